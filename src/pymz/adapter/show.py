"""``SHOW`` statements as SQL over the catalog relations.

Each SHOW becomes a query the introspection engine runs, so ``LIKE`` and ``WHERE`` filters
behave exactly like a WHERE clause over the output columns.
"""

from __future__ import annotations

from pymz.errors import FeatureNotSupported
from pymz.sql import ast

_EMPTY_NAMES = "SELECT name, comment FROM (SELECT NULL::text AS name, NULL::text AS comment) " \
    "AS t WHERE false"

_SHOW_QUERIES: dict[str, tuple[str, str]] = {
    # object type -> (query, column LIKE applies to)
    "CLUSTERS": (
        "SELECT c.name AS name, "
        "coalesce(string_agg(r.name || ' (' || r.size || ')', ', ' ORDER BY r.name), '') "
        "AS replicas, '' AS comment "
        "FROM mz_catalog.mz_clusters c "
        "LEFT JOIN mz_catalog.mz_cluster_replicas r ON c.id = r.cluster_id "
        "GROUP BY c.name",
        "name",
    ),
    "CLUSTER REPLICAS": (
        "SELECT c.name AS cluster, r.name AS replica, r.size AS size, "
        "coalesce(bool_and(s.status = 'online'), false) AS ready, '' AS comment "
        "FROM mz_catalog.mz_cluster_replicas r "
        "JOIN mz_catalog.mz_clusters c ON c.id = r.cluster_id "
        "LEFT JOIN mz_internal.mz_cluster_replica_statuses s ON s.replica_id = r.id "
        "GROUP BY c.name, r.name, r.size",
        "cluster",
    ),
    "DATABASES": ("SELECT name, '' AS comment FROM mz_catalog.mz_databases", "name"),
    "ROLES": ("SELECT name, '' AS comment FROM mz_catalog.mz_roles WHERE id LIKE 'u%'",
              "name"),
}
_ORDER = {"CLUSTER REPLICAS": "cluster, replica"}
# Object types that exist in Materialize but that pymz cannot create yet: empty listings.
_NOT_YET_CREATABLE = ("SOURCES", "SINKS",
                      "CONNECTIONS", "TYPES", "SUBSOURCES")


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _filtered(query: str, like_column: str, flt: ast.ShowFilter | None, order: str) -> str:
    outer = f"SELECT * FROM ({query}) AS show_result"
    if isinstance(flt, ast.LikeFilter):
        outer += f" WHERE {like_column} LIKE {_literal(flt.pattern)}"
    elif isinstance(flt, ast.WhereFilter):
        outer += f" WHERE {flt.expr}"
    return f"{outer} ORDER BY {order}"


def show_columns_sql(table_id: str, flt: ast.ShowFilter | None) -> str:
    query = ("SELECT name, nullable, type, '' AS comment, position FROM mz_catalog.mz_columns "
             f"WHERE id = {_literal(table_id)}")
    return _filtered(query, "name", flt, "position").replace(
        "SELECT * FROM", "SELECT name, nullable, type, comment FROM", 1)


def show_objects_sql(stmt: ast.ShowObjects, database_id: str, schema_id: str) -> str:
    """The SQL for ``stmt``: ``database_id`` is the database whose schemas ``SHOW SCHEMAS``
    lists, ``schema_id`` the schema whose objects other SHOWs list."""
    kind = stmt.object_type
    if kind in ("TABLES", "VIEWS"):
        relation = "mz_tables" if kind == "TABLES" else "mz_views"
        query = (f"SELECT name, '' AS comment FROM mz_catalog.{relation} "
                 f"WHERE schema_id = {_literal(schema_id)}")
        like_column = "name"
    elif kind == "MATERIALIZED VIEWS":
        query = ("SELECT m.name, c.name AS cluster, '' AS comment "
                 "FROM mz_catalog.mz_materialized_views m "
                 "JOIN mz_catalog.mz_clusters c ON c.id = m.cluster_id "
                 f"WHERE m.schema_id = {_literal(schema_id)}")
        like_column = "name"
    elif kind == "INDEXES":
        query = ("SELECT i.name, o.name AS on, c.name AS cluster, '' AS comment "
                 "FROM mz_catalog.mz_indexes i "
                 "JOIN mz_catalog.mz_objects o ON o.id = i.on_id "
                 "JOIN mz_catalog.mz_clusters c ON c.id = i.cluster_id "
                 f"WHERE o.schema_id = {_literal(schema_id)}")
        like_column = "name"
    elif kind == "SECRETS":
        query = ("SELECT name, '' AS comment FROM mz_catalog.mz_secrets "
                 f"WHERE schema_id = {_literal(schema_id)}")
        like_column = "name"
    elif kind == "SCHEMAS":
        query = ("SELECT s.name AS name, '' AS comment FROM mz_catalog.mz_schemas s "
                 f"WHERE s.database_id = {_literal(database_id)} OR s.database_id IS NULL")
        like_column = "name"
    elif kind in _SHOW_QUERIES:
        query, like_column = _SHOW_QUERIES[kind]
    elif kind in _NOT_YET_CREATABLE:
        query, like_column = _EMPTY_NAMES, "name"
    else:
        raise FeatureNotSupported(f"SHOW {kind} not yet supported")
    return _filtered(query, like_column, stmt.filter, _ORDER.get(kind, "1"))
