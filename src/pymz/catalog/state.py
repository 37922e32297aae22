"""In-memory catalog state and transactions over the durable store.

A :class:`CatalogTransaction` works on copies; ``commit`` writes the changes durably in
one SQLite transaction and only then swaps the new state in, so readers never see a
change that is not durable.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Iterator
from typing import Any, TypeVar

from pymz.catalog.durable import DurableCatalog
from pymz.catalog.objects import (
    Cluster,
    ClusterReplica,
    Database,
    Index,
    MaterializedView,
    ObjectRecord,
    Role,
    Schema,
    Secret,
    Table,
    TableColumn,
    View,
)
from pymz.errors import DuplicateObject, UndefinedObject

_KINDS: dict[str, type[Any]] = {
    "cluster": Cluster,
    "cluster_replica": ClusterReplica,
    "database": Database,
    "schema": Schema,
    "role": Role,
    "table": Table,
    "view": View,
    "materialized_view": MaterializedView,
    "index": Index,
    "secret": Secret,
}
_KIND_OF: dict[type[Any], str] = {cls: kind for kind, cls in _KINDS.items()}
_FIRST_USER_OID = 20_000

T = TypeVar("T")


def _to_record(obj: Any) -> ObjectRecord:
    data = dataclasses.asdict(obj)
    return ObjectRecord(_KIND_OF[type(obj)], obj.id, data)


def _from_record(rec: ObjectRecord) -> Any:
    cls = _KINDS[rec.kind]
    fields = {f.name for f in dataclasses.fields(cls)}
    data = {k: (tuple(v) if isinstance(v, list) else v) for k, v in rec.data.items()
            if k in fields}
    if cls in (Table, View, MaterializedView):
        data["columns"] = tuple(TableColumn(**c) for c in data["columns"])
    return cls(**data)


class Catalog:
    """The current catalog. Read freely; change only through :meth:`transaction`."""

    def __init__(self, durable: DurableCatalog) -> None:
        self._durable = durable
        self.objects: dict[str, dict[str, Any]] = {kind: {} for kind in _KINDS}
        self.settings: dict[str, str] = {}
        # Bumped on every commit: lets readers cache derived snapshots.
        self.version = 0
        records, settings = durable.load()
        for rec in records:
            if rec.kind in _KINDS:
                self.objects[rec.kind][rec.id] = _from_record(rec)
        self.settings = settings

    @property
    def epoch(self) -> int:
        return self._durable.epoch

    def is_fenced(self) -> bool:
        return self._durable.is_fenced()

    @property
    def is_initialized(self) -> bool:
        return self.settings.get("initialized") == "true"

    @property
    def environment_id(self) -> str:
        return self.settings.get("environment_id", "")

    # --- typed views -----------------------------------------------------------------
    @property
    def clusters(self) -> dict[str, Cluster]:
        return self.objects["cluster"]

    @property
    def replicas(self) -> dict[str, ClusterReplica]:
        return self.objects["cluster_replica"]

    @property
    def databases(self) -> dict[str, Database]:
        return self.objects["database"]

    @property
    def schemas(self) -> dict[str, Schema]:
        return self.objects["schema"]

    @property
    def roles(self) -> dict[str, Role]:
        return self.objects["role"]

    @property
    def tables(self) -> dict[str, Table]:
        return self.objects["table"]

    @property
    def views(self) -> dict[str, View]:
        return self.objects["view"]

    @property
    def materialized_views(self) -> dict[str, MaterializedView]:
        return self.objects["materialized_view"]

    @property
    def indexes(self) -> dict[str, Index]:
        return self.objects["index"]

    @property
    def secrets(self) -> dict[str, Secret]:
        return self.objects["secret"]

    def schema_by_name(self, database_id: str | None, name: str) -> Schema | None:
        return next((s for s in self.schemas.values()
                     if s.name == name and s.database_id == database_id), None)

    def cluster_by_name(self, name: str) -> Cluster | None:
        return next((c for c in self.clusters.values() if c.name == name), None)

    def resolve_cluster(self, name: str) -> Cluster:
        cluster = self.cluster_by_name(name)
        if cluster is None:
            raise UndefinedObject(f"unknown cluster '{name}'")
        return cluster

    def replicas_of(self, cluster_id: str) -> list[ClusterReplica]:
        return sorted((r for r in self.replicas.values() if r.cluster_id == cluster_id),
                      key=lambda r: r.name)

    def resolve_replica(self, cluster_name: str, replica_name: str) -> ClusterReplica:
        cluster = self.resolve_cluster(cluster_name)
        for replica in self.replicas_of(cluster.id):
            if replica.name == replica_name:
                return replica
        raise UndefinedObject(f"unknown cluster replica '{cluster_name}.{replica_name}'")

    def role_by_name(self, name: str) -> Role | None:
        return next((r for r in self.roles.values() if r.name == name), None)

    def database_by_name(self, name: str) -> Database | None:
        return next((d for d in self.databases.values() if d.name == name), None)

    def transaction(self) -> CatalogTransaction:
        return CatalogTransaction(self)

    def _apply(self, txn: CatalogTransaction) -> None:
        upserts = [_to_record(obj) for obj in txn.upserted()]
        self._durable.commit(upserts, txn.deleted, txn.settings_changes)
        self.objects = txn.objects
        self.settings = {**self.settings, **txn.settings_changes}
        self.version += 1


class CatalogTransaction:
    """A batch of catalog changes. Nothing is visible or durable until :meth:`commit`."""

    def __init__(self, catalog: Catalog) -> None:
        self._catalog = catalog
        self.objects = {kind: dict(objs) for kind, objs in catalog.objects.items()}
        self.settings_changes: dict[str, str] = {}
        self._upserted: dict[tuple[str, str], Any] = {}
        self.deleted: list[tuple[str, str]] = []

    # --- ids -------------------------------------------------------------------------
    def _setting(self, key: str, default: str) -> str:
        return self.settings_changes.get(key, self._catalog.settings.get(key, default))

    def allocate_id(self, kind: str, *, system: bool = False) -> str:
        """Next id for ``kind``: ``u<n>`` for user objects, ``s<n>`` for system ones.

        Catalog items (tables, views, secrets, …) share the kind ``item``: their ids must be
        unique across kinds, since dependencies and mz_objects refer to them by id alone."""
        prefix = "s" if system else "u"
        key = f"next_id:{prefix}:{kind}"
        n = int(self._setting(key, "1"))
        self.settings_changes[key] = str(n + 1)
        return f"{prefix}{n}"

    def allocate_oid(self) -> int:
        n = int(self._setting("next_oid", str(_FIRST_USER_OID)))
        self.settings_changes["next_oid"] = str(n + 1)
        return n

    def set_setting(self, key: str, value: str) -> None:
        self.settings_changes[key] = value

    def ensure_environment_id(self, requested: str | None) -> str:
        current = self._setting("environment_id", "")
        if not current:
            current = requested or f"local-az1-{uuid.uuid4()}-0"
            self.settings_changes["environment_id"] = current
        return current

    # --- objects ---------------------------------------------------------------------
    def put(self, obj: Any) -> None:
        kind = _KIND_OF[type(obj)]
        self.objects[kind][obj.id] = obj
        self._upserted[(kind, obj.id)] = obj
        if (kind, obj.id) in self.deleted:
            self.deleted.remove((kind, obj.id))

    def remove(self, obj: Any) -> None:
        kind = _KIND_OF[type(obj)]
        if self.objects[kind].pop(obj.id, None) is None:
            raise UndefinedObject(f"unknown {kind.replace('_', ' ')} '{obj.id}'")
        self._upserted.pop((kind, obj.id), None)
        self.deleted.append((kind, obj.id))

    def upserted(self) -> Iterator[Any]:
        return iter(self._upserted.values())

    def clusters(self) -> dict[str, Cluster]:
        return self.objects["cluster"]

    def replicas(self) -> dict[str, ClusterReplica]:
        return self.objects["cluster_replica"]

    def check_cluster_name_free(self, name: str) -> None:
        if any(c.name == name for c in self.clusters().values()):
            raise DuplicateObject(f"cluster '{name}' already exists")

    def check_replica_name_free(self, cluster: Cluster, name: str) -> None:
        if any(r.cluster_id == cluster.id and r.name == name for r in self.replicas().values()):
            raise DuplicateObject(f"cluster replica '{cluster.name}.{name}' already exists")

    def commit(self) -> None:
        self._catalog._apply(self)
