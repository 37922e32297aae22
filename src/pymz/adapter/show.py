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
_NOT_YET_CREATABLE = ("TABLES", "VIEWS", "MATERIALIZED VIEWS", "INDEXES", "SOURCES", "SINKS",
                      "SECRETS", "CONNECTIONS", "TYPES", "SUBSOURCES")


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def show_objects_sql(stmt: ast.ShowObjects, database_id_for: str) -> str:
    """The SQL for ``stmt``; ``database_id_for`` is the id of the database whose schemas
    ``SHOW SCHEMAS`` lists (the session's, unless FROM names another)."""
    kind = stmt.object_type
    if kind == "SCHEMAS":
        query = ("SELECT s.name AS name, '' AS comment FROM mz_catalog.mz_schemas s "
                 f"WHERE s.database_id = {_literal(database_id_for)} OR s.database_id IS NULL")
        like_column = "name"
    elif kind in _SHOW_QUERIES:
        query, like_column = _SHOW_QUERIES[kind]
    elif kind in _NOT_YET_CREATABLE:
        query, like_column = _EMPTY_NAMES, "name"
    else:
        raise FeatureNotSupported(f"SHOW {kind} not yet supported")
    order = _ORDER.get(kind, "1")
    outer = f"SELECT * FROM ({query}) AS show_result"
    if isinstance(stmt.filter, ast.LikeFilter):
        outer += f" WHERE {like_column} LIKE {_literal(stmt.filter.pattern)}"
    elif isinstance(stmt.filter, ast.WhereFilter):
        outer += f" WHERE {stmt.filter.expr}"
    return f"{outer} ORDER BY {order}"
