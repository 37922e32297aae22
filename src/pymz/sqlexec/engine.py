"""The introspection engine: SELECT over catalog snapshots, run by an in-process DuckDB."""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import duckdb
import pyarrow as pa  # type: ignore[import-untyped]

from pymz import errors
from pymz.repr import Column, Interval
from pymz.sqlexec.errors import translate
from pymz.sqlexec.rewrite import Rewritten, internal_schema, rewrite
from pymz.sqlexec.snapshot import RelationSnapshot
from pymz.sqlexec.types import (
    ResultType,
    arrow_column,
    duckdb_type,
    result_type,
    value_converter,
)

_SETUP = (
    "SET TimeZone = 'UTC'",
    # PostgreSQL's int / int is integer division.
    "SET integer_division = true",
    "CREATE MACRO pymz_nz(x) AS CASE WHEN x = 0 THEN error('division by zero') ELSE x END",
)


def _quote(ident: str) -> str:
    return '"' + ident.replace('"', '""') + '"'


def _bind_value(v: object) -> object:
    # DuckDB has no binding for Interval; the parameter is cast from this text form.
    if isinstance(v, Interval):
        return f"{v.months} months {v.days} days {v.microseconds} microseconds"
    if isinstance(v, list):
        return [_bind_value(e) for e in v]
    return v



@dataclass(frozen=True)
class QueryShape:
    """Parameter type OIDs (resolved, never 0) and result columns of a query."""

    param_oids: tuple[int, ...]
    columns: tuple[Column, ...]


@dataclass(frozen=True)
class QueryRows:
    columns: tuple[Column, ...]
    rows: list[tuple[object, ...]]

class IntrospectionEngine:
    """Answers SELECT over catalog relations with one in-memory DuckDB connection.

    Thread safety: every call takes an internal lock, so the engine may be shared between
    threads; queries run one at a time. Performance: only relations the query references are
    (re)loaded, and a relation is reloaded only when its snapshot changed (same ``version``,
    or equal contents, skips the load). Loading goes through Arrow and costs roughly
    O(rows x columns) Python work, fine for catalog-sized relations (thousands of rows).
    """

    def __init__(self, *, threads: int = 1, memory_limit: str = "256MB") -> None:
        self._conn = duckdb.connect(
            ":memory:", config={"threads": threads, "memory_limit": memory_limit}
        )
        for stmt in _SETUP:
            self._conn.execute(stmt)
        self._lock = threading.Lock()
        # Guards _owner so cancel() interrupts only the query it was aimed at.
        self._owner_lock = threading.Lock()
        self._owner: object | None = None
        self._loaded: dict[tuple[str, str], RelationSnapshot] = {}
        self._schemas: set[str] = set()

    def cancel(self, owner: object | None = None) -> None:
        """Interrupt the running query (only if it was started with this ``owner``, when one
        is given); it raises QueryCanceled. Does not wait for the query lock. A cancel that
        finds nothing running is a no-op: DuckDB clears the interrupt at the next query."""
        with self._owner_lock:
            if owner is None or self._owner is owner:
                self._conn.interrupt()

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    # public API ----------------------------------------------------------------------------

    def describe(
        self,
        sql: str,
        param_oids: Sequence[int],
        *,
        relations: Sequence[RelationSnapshot],
        search_path: Sequence[str],
        session_vars: Mapping[str, str],
    ) -> QueryShape:
        with self._lock:
            rw = rewrite(sql, param_oids, relations, search_path, session_vars)
            rel = self._relation(rw, [None] * len(rw.param_order))
            columns, _ = self._columns(rel, rw)
            return QueryShape(param_oids=tuple(p.oid for p in rw.param_types), columns=columns)

    def execute(
        self,
        sql: str,
        params: Sequence[object | None],
        param_oids: Sequence[int],
        *,
        relations: Sequence[RelationSnapshot],
        search_path: Sequence[str],
        session_vars: Mapping[str, str],
        owner: object | None = None,
    ) -> QueryRows:
        """Run the query. ``owner`` (e.g. the session) lets :meth:`cancel` target it."""
        with self._lock:
            rw = rewrite(sql, param_oids, relations, search_path, session_vars)
            if len(params) < len(rw.param_types):
                raise errors.ProtocolViolation(
                    f"query needs {len(rw.param_types)} parameters, got {len(params)}"
                )
            bound = [_bind_value(params[i]) for i in rw.param_order]
            rel = self._relation(rw, bound)
            columns, rtypes = self._columns(rel, rw)
            with self._owner_lock:
                self._owner = owner
            try:
                table = rel.to_arrow_table()
            except duckdb.Error as e:
                raise translate(e) from None
            finally:
                with self._owner_lock:
                    self._owner = None
            converted = [
                [conv(v) for v in table.column(i).to_pylist()]
                for i, conv in enumerate(value_converter(rt) for rt in rtypes)
            ]
            rows = list(zip(*converted, strict=True)) if converted else []
            return QueryRows(columns=columns, rows=rows)

    # internals -----------------------------------------------------------------------------

    def _relation(self, rw: Rewritten, params: list[object]) -> duckdb.DuckDBPyRelation:
        for snap in rw.relations:
            self._ensure_loaded(snap)
        try:
            rel = self._conn.sql(rw.duckdb_sql, params=params or None)
        except duckdb.Error as e:
            raise translate(e) from None
        if rel is None:
            raise errors.InternalError("query produced no relation")
        return rel

    @staticmethod
    def _columns(
        rel: duckdb.DuckDBPyRelation, rw: Rewritten
    ) -> tuple[tuple[Column, ...], list[ResultType]]:
        rtypes = [result_type(t) for t in rel.types]
        names = rw.column_names(rel.columns)
        cols = tuple(
            Column(name=name, type=rt.type, nullable=True, is_array=rt.is_array)
            for name, rt in zip(names, rtypes, strict=True)
        )
        return cols, rtypes

    def _ensure_loaded(self, snap: RelationSnapshot) -> None:
        key = (snap.schema, snap.name)
        prev = self._loaded.get(key)
        if prev is not None and (
            prev is snap
            or (prev.version is not None and prev.version == snap.version)
            or prev == snap
        ):
            return
        width = len(snap.columns)
        for row in snap.rows:
            if len(row) != width:
                raise errors.InternalError(
                    f"snapshot of {snap.qualified_name} has a row of {len(row)} values, "
                    f"expected {width}"
                )
        by_column: list[list[object]] = [list(c) for c in zip(*snap.rows, strict=True)]
        if not by_column:
            by_column = [[] for _ in snap.columns]
        try:
            arrays = [arrow_column(c, v) for c, v in zip(snap.columns, by_column, strict=True)]
        except (pa.ArrowException, TypeError, ValueError, OverflowError) as e:
            raise errors.InternalError(
                f"snapshot of {snap.qualified_name} has a value of the wrong type: {e}"
            ) from None
        source = pa.table(arrays, names=[f"c{i}" for i in range(width)]) if width else None
        schema = internal_schema(snap.schema)
        target = f"{_quote(schema)}.{_quote(snap.name)}"
        if schema not in self._schemas:
            self._conn.execute(f"CREATE SCHEMA IF NOT EXISTS {_quote(schema)}")
            self._schemas.add(schema)
        try:
            if source is None:
                # A relation with no columns: DuckDB needs at least one, so hide a dummy.
                self._conn.execute(f"CREATE OR REPLACE TABLE {target} (\"?\" BOOLEAN)")
            else:
                select = ", ".join(
                    f"CAST(c{i} AS {duckdb_type(c)}) AS {_quote(c.name)}"
                    for i, c in enumerate(snap.columns)
                )
                self._conn.register("__pymz_load", source)
                try:
                    self._conn.execute(
                        f"CREATE OR REPLACE TABLE {target} AS SELECT {select} FROM __pymz_load"
                    )
                finally:
                    self._conn.unregister("__pymz_load")
        except duckdb.Error as e:
            raise errors.InternalError(
                f"loading {snap.qualified_name} failed: {translate(e).message}"
            ) from None
        self._loaded[key] = snap



