"""Snapshot builders for the ``pg_catalog`` relations psql and drivers probe.

The adapter calls :func:`pg_catalog_relations` with what the catalog knows (databases,
schemas, session variables) and passes the result to the engine with its other snapshots.
Rows follow PostgreSQL's layout for the columns clients read; columns nobody reads are left
out rather than filled with guesses.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from pymz.repr import Column, ScalarType
from pymz.sqlexec.snapshot import RelationSnapshot

# PostgreSQL's fixed OID for pg_catalog, used when the caller's schemas do not name one.
PG_CATALOG_OID = 11


@dataclass(frozen=True)
class DatabaseEntry:
    oid: int
    name: str
    owner_oid: int = 0


@dataclass(frozen=True)
class SchemaEntry:
    """A schema; ``database_oid`` None marks an ambient (system) schema seen from every
    database."""

    oid: int
    name: str
    database_oid: int | None = None
    owner_oid: int = 0


# (typname, typcategory) for each scalar type, as PostgreSQL spells them.
_TYPE_INFO: dict[ScalarType, tuple[str, str]] = {
    ScalarType.BOOL: ("bool", "B"),
    ScalarType.BYTEA: ("bytea", "U"),
    ScalarType.INT2: ("int2", "N"),
    ScalarType.INT4: ("int4", "N"),
    ScalarType.INT8: ("int8", "N"),
    ScalarType.OID: ("oid", "N"),
    ScalarType.FLOAT4: ("float4", "N"),
    ScalarType.FLOAT8: ("float8", "N"),
    ScalarType.NUMERIC: ("numeric", "N"),
    ScalarType.TEXT: ("text", "S"),
    ScalarType.VARCHAR: ("varchar", "S"),
    ScalarType.CHAR: ("bpchar", "S"),
    ScalarType.DATE: ("date", "D"),
    ScalarType.TIME: ("time", "D"),
    ScalarType.TIMESTAMP: ("timestamp", "D"),
    ScalarType.TIMESTAMPTZ: ("timestamptz", "D"),
    ScalarType.INTERVAL: ("interval", "T"),
    ScalarType.JSONB: ("jsonb", "U"),
    ScalarType.UUID: ("uuid", "U"),
    ScalarType.MZ_TIMESTAMP: ("mz_timestamp", "N"),
    ScalarType.UNKNOWN: ("unknown", "X"),
}

TYPE_NAMES: dict[ScalarType, str] = {t: info[0] for t, info in _TYPE_INFO.items()}

_C = Column
PG_TYPE_COLUMNS = (
    _C("oid", ScalarType.OID, False),
    _C("typname", ScalarType.TEXT, False),
    _C("typnamespace", ScalarType.OID, False),
    _C("typowner", ScalarType.OID, False),
    _C("typlen", ScalarType.INT2, False),
    _C("typtype", ScalarType.TEXT, False),
    _C("typcategory", ScalarType.TEXT, False),
    _C("typdelim", ScalarType.TEXT, False),
    _C("typrelid", ScalarType.OID, False),
    _C("typelem", ScalarType.OID, False),
    _C("typarray", ScalarType.OID, False),
    _C("typinput", ScalarType.OID, False),
    _C("typoutput", ScalarType.OID, False),
    _C("typreceive", ScalarType.OID, False),
    _C("typsend", ScalarType.OID, False),
    _C("typnotnull", ScalarType.BOOL, False),
    _C("typbasetype", ScalarType.OID, False),
    _C("typtypmod", ScalarType.INT4, False),
    _C("typndims", ScalarType.INT4, False),
    _C("typcollation", ScalarType.OID, False),
    _C("typdefault", ScalarType.TEXT),
)
PG_NAMESPACE_COLUMNS = (
    _C("oid", ScalarType.OID, False),
    _C("nspname", ScalarType.TEXT, False),
    _C("nspowner", ScalarType.OID, False),
    _C("nspacl", ScalarType.TEXT, True, True),
)
PG_DATABASE_COLUMNS = (
    _C("oid", ScalarType.OID, False),
    _C("datname", ScalarType.TEXT, False),
    _C("datdba", ScalarType.OID, False),
    _C("encoding", ScalarType.INT4, False),
    _C("datcollate", ScalarType.TEXT, False),
    _C("datctype", ScalarType.TEXT, False),
    _C("datistemplate", ScalarType.BOOL, False),
    _C("datallowconn", ScalarType.BOOL, False),
    _C("datconnlimit", ScalarType.INT4, False),
    _C("datacl", ScalarType.TEXT, True, True),
)
PG_SETTINGS_COLUMNS = (
    _C("name", ScalarType.TEXT, False),
    _C("setting", ScalarType.TEXT),
    _C("unit", ScalarType.TEXT),
    _C("category", ScalarType.TEXT),
    _C("short_desc", ScalarType.TEXT),
    _C("extra_desc", ScalarType.TEXT),
    _C("context", ScalarType.TEXT),
    _C("vartype", ScalarType.TEXT),
    _C("source", ScalarType.TEXT),
    _C("min_val", ScalarType.TEXT),
    _C("max_val", ScalarType.TEXT),
    _C("enumvals", ScalarType.TEXT, True, True),
    _C("boot_val", ScalarType.TEXT),
    _C("reset_val", ScalarType.TEXT),
    _C("pending_restart", ScalarType.BOOL),
)
# Present (empty) because drivers join them while introspecting types.
PG_RANGE_COLUMNS = (
    _C("rngtypid", ScalarType.OID, False),
    _C("rngsubtype", ScalarType.OID, False),
)
PG_ENUM_COLUMNS = (
    _C("oid", ScalarType.OID, False),
    _C("enumtypid", ScalarType.OID, False),
    _C("enumsortorder", ScalarType.FLOAT4, False),
    _C("enumlabel", ScalarType.TEXT, False),
)


def pg_type_rows(pg_catalog_oid: int, mz_catalog_oid: int) -> list[tuple[object, ...]]:
    rows: list[tuple[object, ...]] = []
    for t, (name, category) in _TYPE_INFO.items():
        # Materialize defines mz_timestamp in mz_catalog; the rest are PostgreSQL's own.
        ns = mz_catalog_oid if t is ScalarType.MZ_TIMESTAMP else pg_catalog_oid
        typtype = "p" if t is ScalarType.UNKNOWN else "b"
        rows.append((t.oid, name, ns, 0, t.typlen, typtype, category, ",", 0, 0, t.array_oid,
                     0, 0, 0, 0, False, 0, -1, 0, 0, None))
        if t.array_oid:
            rows.append((t.array_oid, "_" + name, ns, 0, -1, "b", "A", ",", 0, t.oid, 0,
                         0, 0, 0, 0, False, 0, -1, 0, 0, None))
    return rows


def pg_catalog_relations(
    databases: Sequence[DatabaseEntry],
    schemas: Sequence[SchemaEntry],
    session_vars: Mapping[str, str],
    *,
    setting_descriptions: Mapping[str, str] | None = None,
) -> list[RelationSnapshot]:
    """Build pg_type, pg_namespace, pg_database, pg_settings, pg_range and pg_enum.

    pg_namespace lists the ambient schemas plus those of the session's database
    (``session_vars["database"]``), as PostgreSQL scopes it per database. pg_settings has one
    row per session variable, described by ``setting_descriptions`` where given.
    """
    by_name = {s.name: s.oid for s in schemas if s.database_oid is None}
    pg_oid = by_name.get("pg_catalog", PG_CATALOG_OID)
    mz_oid = by_name.get("mz_catalog", pg_oid)

    current_db = session_vars.get("database")
    db_oid = next((d.oid for d in databases if d.name == current_db), None)
    ns_rows: list[tuple[object, ...]] = [
        (s.oid, s.name, s.owner_oid, None)
        for s in schemas
        if s.database_oid is None or s.database_oid == db_oid
    ]
    db_rows: list[tuple[object, ...]] = [
        (d.oid, d.name, d.owner_oid, 6, "C", "C", False, True, -1, None) for d in databases
    ]
    descs = setting_descriptions or {}
    settings_rows: list[tuple[object, ...]] = [
        (name, value, None, None, descs.get(name), None, "user", "string", "session",
         None, None, None, None, value, False)
        for name, value in sorted(session_vars.items())
    ]
    return [
        RelationSnapshot("pg_catalog", "pg_type", PG_TYPE_COLUMNS,
                         pg_type_rows(pg_oid, mz_oid)),
        RelationSnapshot("pg_catalog", "pg_namespace", PG_NAMESPACE_COLUMNS, ns_rows),
        RelationSnapshot("pg_catalog", "pg_database", PG_DATABASE_COLUMNS, db_rows),
        RelationSnapshot("pg_catalog", "pg_settings", PG_SETTINGS_COLUMNS, settings_rows),
        RelationSnapshot("pg_catalog", "pg_range", PG_RANGE_COLUMNS, []),
        RelationSnapshot("pg_catalog", "pg_enum", PG_ENUM_COLUMNS, []),
    ]
