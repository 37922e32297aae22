"""The system catalog relations (``mz_catalog.*``, ``mz_internal.*``) as row snapshots.

Each builder derives rows from the current catalog state and live replica statuses; the
introspection engine runs SELECTs over them. Column names and types follow Materialize's
(unsigned types become the next-larger signed PostgreSQL type).
"""

from __future__ import annotations

import decimal
from collections.abc import Mapping, Sequence

from pymz.adapter.replicas import ProcessStatus
from pymz.adapter.table_types import to_column, type_text
from pymz.catalog import Catalog, MaterializedView, ReplicaSize, Table, View
from pymz.repr import Column, Interval, ScalarType
from pymz.sqlexec import RelationSnapshot

T = ScalarType


def _cols(*spec: tuple[str, ScalarType] | tuple[str, ScalarType, bool]) -> tuple[Column, ...]:
    return tuple(Column(s[0], s[1], is_array=len(s) > 2 and bool(s[2])) for s in spec)


def _privileges(owner_id: str) -> list[object]:
    return [f"{owner_id}=UC/{owner_id}"]


def _interval(text: str | None) -> Interval | None:
    if text is None:
        return None
    value = text.strip().lower()
    units = {"ms": 1_000, "s": 1_000_000, "m": 60_000_000, "min": 60_000_000,
             "h": 3_600_000_000}
    for suffix, micros in sorted(units.items(), key=lambda kv: -len(kv[0])):
        if value.endswith(suffix) and value[: -len(suffix)].strip().isdigit():
            return Interval(microseconds=int(value[: -len(suffix)]) * micros)
    return None


def catalog_relations(
    catalog: Catalog,
    sizes: Mapping[str, ReplicaSize],
    statuses: Sequence[tuple[str, int, ProcessStatus]],
) -> list[RelationSnapshot]:
    clusters = sorted(catalog.clusters.values(), key=lambda c: c.id)
    replicas = sorted(catalog.replicas.values(), key=lambda r: r.id)
    rels = [
        RelationSnapshot(
            "mz_catalog", "mz_clusters",
            _cols(("id", T.TEXT), ("name", T.TEXT), ("owner_id", T.TEXT),
                  ("privileges", T.TEXT, True), ("managed", T.BOOL), ("size", T.TEXT),
                  ("replication_factor", T.INT4), ("disk", T.BOOL),
                  ("availability_zones", T.TEXT, True), ("introspection_debugging", T.BOOL),
                  ("introspection_interval", T.INTERVAL)),
            [(c.id, c.name, c.owner_id, _privileges(c.owner_id), c.managed, c.size,
              c.replication_factor, c.disk if c.managed else None,
              list(c.availability_zones) if c.managed else None,
              c.introspection_debugging if c.managed else None,
              _interval(c.introspection_interval) if c.managed else None)
             for c in clusters],
        ),
        RelationSnapshot(
            "mz_catalog", "mz_cluster_replicas",
            _cols(("id", T.TEXT), ("name", T.TEXT), ("cluster_id", T.TEXT), ("size", T.TEXT),
                  ("availability_zone", T.TEXT), ("owner_id", T.TEXT), ("disk", T.BOOL)),
            [(r.id, r.name, r.cluster_id, r.size, r.availability_zone, r.owner_id, r.disk)
             for r in replicas],
        ),
        RelationSnapshot(
            "mz_catalog", "mz_cluster_replica_sizes",
            _cols(("size", T.TEXT), ("processes", T.INT8), ("workers", T.INT8),
                  ("cpu_nano_cores", T.INT8), ("memory_bytes", T.INT8),
                  ("disk_bytes", T.INT8), ("credits_per_hour", T.NUMERIC)),
            [(s.name, s.scale, s.workers, s.cpu_nano_cores, s.memory_bytes, s.disk_bytes,
              decimal.Decimal(s.credits_per_hour))
             for s in sorted(sizes.values(), key=lambda s: s.name)],
        ),
        RelationSnapshot(
            "mz_catalog", "mz_databases",
            _cols(("id", T.TEXT), ("oid", T.OID), ("name", T.TEXT), ("owner_id", T.TEXT),
                  ("privileges", T.TEXT, True)),
            [(d.id, d.oid, d.name, d.owner_id, _privileges(d.owner_id))
             for d in sorted(catalog.databases.values(), key=lambda d: d.id)],
        ),
        RelationSnapshot(
            "mz_catalog", "mz_schemas",
            _cols(("id", T.TEXT), ("oid", T.OID), ("database_id", T.TEXT), ("name", T.TEXT),
                  ("owner_id", T.TEXT), ("privileges", T.TEXT, True)),
            [(s.id, s.oid, s.database_id, s.name, s.owner_id, _privileges(s.owner_id))
             for s in sorted(catalog.schemas.values(), key=lambda s: s.id)],
        ),
        RelationSnapshot(
            "mz_catalog", "mz_roles",
            _cols(("id", T.TEXT), ("oid", T.OID), ("name", T.TEXT), ("inherit", T.BOOL),
                  ("rolcanlogin", T.BOOL), ("rolsuper", T.BOOL)),
            [(r.id, r.oid, r.name, r.inherit, r.login, r.superuser)
             for r in sorted(catalog.roles.values(), key=lambda r: r.id)],
        ),
        RelationSnapshot(
            "mz_catalog", "mz_secrets",
            _cols(("id", T.TEXT), ("oid", T.OID), ("schema_id", T.TEXT), ("name", T.TEXT),
                  ("owner_id", T.TEXT), ("privileges", T.TEXT, True)),
            [(s.id, s.oid, s.schema_id, s.name, s.owner_id, _privileges(s.owner_id))
             for s in sorted(catalog.secrets.values(), key=lambda s: s.id)],
        ),
        RelationSnapshot(
            "mz_internal", "mz_cluster_replica_statuses",
            _cols(("replica_id", T.TEXT), ("process_id", T.INT8), ("status", T.TEXT),
                  ("reason", T.TEXT), ("updated_at", T.TIMESTAMPTZ)),
            [(rid, pid, "online" if st.online else "offline", st.reason, st.updated_at)
             for rid, pid, st in statuses],
        ),
    ]
    return rels


def table_relations(catalog: Catalog,
                    frontiers: Mapping[str, tuple[int, int]]) -> list[RelationSnapshot]:
    """``mz_tables``, ``mz_columns`` (1-based positions), and for tables
    ``mz_internal.mz_storage_shards`` and ``mz_internal.mz_frontiers`` (``frontiers``: table
    id -> (since, upper))."""
    tables = sorted(catalog.tables.values(), key=lambda t: t.id)
    views = sorted(catalog.views.values(), key=lambda v: v.id)
    mvs = sorted(catalog.materialized_views.values(), key=lambda m: m.id)
    indexes = sorted(catalog.indexes.values(), key=lambda i: i.id)
    relations: list[Table | View | MaterializedView] = [*tables, *views, *mvs]
    backed: list[Table | MaterializedView] = [*tables, *mvs]
    return [
        RelationSnapshot(
            "mz_internal", "mz_storage_shards",
            _cols(("object_id", T.TEXT), ("shard_id", T.TEXT)),
            [(t.id, t.shard_id) for t in backed],
        ),
        RelationSnapshot(
            "mz_internal", "mz_frontiers",
            _cols(("object_id", T.TEXT), ("read_frontier", T.MZ_TIMESTAMP),
                  ("write_frontier", T.MZ_TIMESTAMP)),
            [(t.id, *frontiers[t.id]) for t in tables if t.id in frontiers],
        ),
        RelationSnapshot(
            "mz_catalog", "mz_tables",
            _cols(("id", T.TEXT), ("oid", T.OID), ("schema_id", T.TEXT), ("name", T.TEXT),
                  ("owner_id", T.TEXT), ("privileges", T.TEXT, True), ("create_sql", T.TEXT),
                  ("redacted_create_sql", T.TEXT), ("source_id", T.TEXT)),
            [(t.id, t.oid, t.schema_id, t.name, t.owner_id, _privileges(t.owner_id),
              t.create_sql, t.create_sql, None) for t in tables],
        ),
        RelationSnapshot(
            "mz_catalog", "mz_columns",
            _cols(("id", T.TEXT), ("name", T.TEXT), ("position", T.INT8), ("nullable", T.BOOL),
                  ("type", T.TEXT), ("default", T.TEXT), ("type_oid", T.OID),
                  ("type_mod", T.INT4)),
            [(t.id, c.name, i + 1, c.nullable, type_text(c), c.default,
              to_column(c).oid, c.type_mod)
             for t in relations for i, c in enumerate(t.columns)],
        ),
        RelationSnapshot(
            "mz_catalog", "mz_views",
            _cols(("id", T.TEXT), ("oid", T.OID), ("schema_id", T.TEXT), ("name", T.TEXT),
                  ("definition", T.TEXT), ("owner_id", T.TEXT), ("privileges", T.TEXT, True),
                  ("create_sql", T.TEXT), ("redacted_create_sql", T.TEXT)),
            [(v.id, v.oid, v.schema_id, v.name, v.sql, v.owner_id, _privileges(v.owner_id),
              v.create_sql, v.create_sql) for v in views],
        ),
        RelationSnapshot(
            "mz_catalog", "mz_materialized_views",
            _cols(("id", T.TEXT), ("oid", T.OID), ("schema_id", T.TEXT), ("name", T.TEXT),
                  ("cluster_id", T.TEXT), ("definition", T.TEXT), ("owner_id", T.TEXT),
                  ("privileges", T.TEXT, True), ("create_sql", T.TEXT),
                  ("redacted_create_sql", T.TEXT)),
            [(m.id, m.oid, m.schema_id, m.name, m.cluster_id, m.sql, m.owner_id,
              _privileges(m.owner_id), m.create_sql, m.create_sql) for m in mvs],
        ),
        RelationSnapshot(
            "mz_catalog", "mz_indexes",
            _cols(("id", T.TEXT), ("oid", T.OID), ("name", T.TEXT), ("on_id", T.TEXT),
                  ("cluster_id", T.TEXT), ("owner_id", T.TEXT), ("create_sql", T.TEXT),
                  ("redacted_create_sql", T.TEXT)),
            [(i.id, i.oid, i.name, i.on_id, i.cluster_id, i.owner_id, i.create_sql,
              i.create_sql) for i in indexes],
        ),
        RelationSnapshot(
            "mz_catalog", "mz_objects",
            _cols(("id", T.TEXT), ("oid", T.OID), ("schema_id", T.TEXT), ("name", T.TEXT),
                  ("type", T.TEXT), ("owner_id", T.TEXT), ("cluster_id", T.TEXT),
                  ("privileges", T.TEXT, True)),
            sorted([(o.id, o.oid, o.schema_id, o.name, kind, o.owner_id,
                     getattr(o, "cluster_id", None), _privileges(o.owner_id))
                    for kind, items in (("table", tables), ("view", views),
                                        ("materialized-view", mvs), ("index", indexes),
                                        ("secret", list(catalog.secrets.values())))
                    for o in items], key=lambda r: str(r[0])),
        ),
    ]
