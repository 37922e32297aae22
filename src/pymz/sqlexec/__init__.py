"""Answers SELECT over catalog (system) relations with an in-process DuckDB.

The adapter hands :class:`IntrospectionEngine` a snapshot of the relations a session can see
(``mz_catalog``, ``mz_internal``, ``pg_catalog``, ``information_schema``...) and the query;
the query is parsed as PostgreSQL with sqlglot, table references are resolved against the
snapshots (qualified, or through the search path), session functions (``version()``,
``current_setting()``...) are replaced by constants, and DuckDB runs the result.

Guarantees: only snapshot relations are reachable by table name (DuckDB's own catalogs are
shadowed); a query's rewrite is cached (an LRU keyed by text, parameter types, search path
and session variables) and a hit is re-validated against the current relations' name
resolution and columns, so it equals a fresh rewrite; results use :mod:`pymz.repr` types
and value conventions; failures raise
:class:`pymz.errors.PymzError` with a PostgreSQL SQLSTATE. Does not guarantee: PostgreSQL
semantics for every function or operator (DuckDB's apply where they differ), parameter type
inference beyond simple contexts, or exact PostgreSQL output column names in every case.
See ``docs/introspection.md``.
"""

from pymz.sqlexec.engine import IntrospectionEngine, QueryRows, QueryShape
from pymz.sqlexec.pg_catalog import (
    DatabaseEntry,
    SchemaEntry,
    pg_catalog_relations,
)
from pymz.sqlexec.snapshot import RelationSnapshot

__all__ = [
    "DatabaseEntry",
    "IntrospectionEngine",
    "QueryRows",
    "QueryShape",
    "RelationSnapshot",
    "SchemaEntry",
    "pg_catalog_relations",
]
