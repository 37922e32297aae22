"""Catalog object types. All immutable: a change is a new object in a new catalog state."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class ReplicaSize:
    """One entry of the replica-size table (``--cluster-replica-sizes``)."""

    name: str
    workers: int
    scale: int  # processes per replica
    cpu_nano_cores: int | None = None
    memory_bytes: int | None = None
    disk_bytes: int | None = None
    credits_per_hour: str = "1"


@dataclass(frozen=True)
class Role:
    id: str
    oid: int
    name: str
    inherit: bool = True
    login: bool = True
    superuser: bool = False


@dataclass(frozen=True)
class Database:
    id: str
    oid: int
    name: str
    owner_id: str


@dataclass(frozen=True)
class Schema:
    id: str
    oid: int
    name: str
    database_id: str | None  # None for system (ambient) schemas
    owner_id: str


@dataclass(frozen=True)
class Cluster:
    """A cluster. ``managed`` clusters derive their replicas from size and replication
    factor; unmanaged ones have explicitly created replicas and no size."""

    id: str
    name: str
    owner_id: str
    managed: bool
    size: str | None
    replication_factor: int | None
    availability_zones: tuple[str, ...] = ()
    disk: bool = False
    introspection_interval: str | None = "1s"
    introspection_debugging: bool = False


@dataclass(frozen=True)
class ClusterReplica:
    id: str
    name: str
    cluster_id: str
    size: str
    owner_id: str
    availability_zone: str | None = None
    disk: bool = False
    # Internal replicas are created by the system (e.g. for managed clusters) and are not
    # user-droppable in managed clusters.
    internal: bool = False


@dataclass(frozen=True)
class ObjectRecord:
    """How an object is stored: kind, id, and a JSON-able payload."""

    kind: str
    id: str
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class TableColumn:
    """A table column. ``type_name`` is a :class:`pymz.repr.ScalarType` member name;
    ``type_mod`` is PostgreSQL's typmod (-1: none; varchar(n): n + 4; numeric(p, s):
    ((p << 16) | s) + 4)."""

    name: str
    type_name: str
    is_array: bool = False
    nullable: bool = True
    default: str | None = None
    type_mod: int = -1


@dataclass(frozen=True)
class Table:
    """A user table, stored as one persist shard of (row, time, diff)."""

    id: str
    oid: int
    name: str
    schema_id: str
    owner_id: str
    columns: tuple[TableColumn, ...]
    shard_id: str
    create_sql: str


@dataclass(frozen=True)
class Secret:
    """A secret. Only its name lives here; the contents are in the secrets controller,
    keyed by ``id``. ``create_sql`` has the value redacted (``AS '********'``)."""

    id: str
    oid: int
    name: str
    schema_id: str
    owner_id: str
    create_sql: str


@dataclass(frozen=True)
class View:
    """A named query. ``sql`` is the query as written; ``columns`` its output (names may be
    renamed by the view's column list); ``depends_on`` the ids of relations it reads."""

    id: str
    oid: int
    name: str
    schema_id: str
    owner_id: str
    sql: str
    columns: tuple[TableColumn, ...]
    depends_on: tuple[str, ...]
    create_sql: str


@dataclass(frozen=True)
class MaterializedView:
    """A view whose results a dataflow on ``cluster_id`` keeps in persist shard
    ``shard_id``; reads of it are reads of that shard."""

    id: str
    oid: int
    name: str
    schema_id: str
    owner_id: str
    cluster_id: str
    sql: str
    columns: tuple[TableColumn, ...]
    depends_on: tuple[str, ...]
    shard_id: str
    create_sql: str


@dataclass(frozen=True)
class Index:
    """An arrangement of relation ``on_id`` by columns ``key``, maintained on
    ``cluster_id``."""

    id: str
    oid: int
    name: str
    schema_id: str
    owner_id: str
    on_id: str
    cluster_id: str
    key: tuple[int, ...]
    create_sql: str
