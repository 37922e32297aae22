"""Compare pymz's SQL engine with a real PostgreSQL, query by query.

A fixed table ``fx`` (one column per type, rows with edge values and one row of NULLs) is
created in PostgreSQL and registered with pymz's planner. Each query runs on PostgreSQL
(results as PostgreSQL's own text output, via psycopg's raw result) and on pymz twice:
through the reference evaluator and through the vectorised dataflow renderer (values
printed by :func:`pymz.repr.textfmt.value_out`, as pgwire would send them). The two must
agree on the outcome: the same rows, column names and type OIDs, or errors with the same
SQLSTATE.

Deliberate differences from PostgreSQL, normalised before comparing: numeric values print
without trailing fractional zeros (Materialize's rule).
"""

from __future__ import annotations

import datetime as dt
import re
import struct
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import psycopg

from pymz.compute.render import CompiledDataflow
from pymz.errors import PymzError
from pymz.expr import finish, optimize, plan, run_query
from pymz.repr import Column, Interval, ScalarType
from pymz.repr.textfmt import value_out

T = ScalarType
FX_ID = "u_fx"
FX_COLUMNS: tuple[Column, ...] = (
    Column("id", T.INT4, nullable=False), Column("i2", T.INT2), Column("i4", T.INT4),
    Column("i8", T.INT8), Column("f4", T.FLOAT4), Column("f8", T.FLOAT8),
    Column("n", T.NUMERIC), Column("t", T.TEXT), Column("b", T.BOOL), Column("d", T.DATE),
    Column("ts", T.TIMESTAMP), Column("tz", T.TIMESTAMPTZ), Column("iv", T.INTERVAL),
    Column("j", T.JSONB), Column("ai", T.INT4, is_array=True),
    Column("at", T.TEXT, is_array=True),
)
_PG_TYPES = {
    T.INT2: "smallint", T.INT4: "integer", T.INT8: "bigint", T.FLOAT4: "real",
    T.FLOAT8: "double precision", T.NUMERIC: "numeric", T.TEXT: "text", T.BOOL: "boolean",
    T.DATE: "date", T.TIMESTAMP: "timestamp", T.TIMESTAMPTZ: "timestamptz",
    T.INTERVAL: "interval", T.JSONB: "jsonb",
}
_UTC = dt.UTC


def _f32(v: float) -> float:
    """A real as stored: the nearest float32 (persist encodes float4 columns as such)."""
    return float(struct.unpack("f", struct.pack("f", v))[0])


FX_ROWS: list[tuple[Any, ...]] = [
    (1, 1, 10, 100, _f32(1.1), 2.25, Decimal("3.14159"), "hello", True, dt.date(2024, 1, 31),
     dt.datetime(2024, 1, 31, 10, 11, 12, 500000),
     dt.datetime(2024, 1, 31, 10, 11, 12, 500000, tzinfo=_UTC), Interval(0, 1, 7384000000),
     '{"a": 1, "b": [1, 2, {"c": "x"}], "d": null}', (1, 2, 3), ("a", "b")),
    (2, -3, -7, -9000000000, -0.5, -1e-7, Decimal("-2.5"), "Hello World", False,
     dt.date(2000, 2, 29), dt.datetime(1999, 12, 31, 23, 59, 59),
     dt.datetime(2000, 1, 1, tzinfo=_UTC), Interval(-1, 3, 0),
     '[1, "two", 3.5, null, true]', (), (None, "")),
    (3, *([None] * (len(FX_COLUMNS) - 1))),
    (4, 0, 0, 0, 0.0, 0.0, Decimal(0), "", True, dt.date(1970, 1, 1),
     dt.datetime(1970, 1, 1), dt.datetime(1970, 1, 1, tzinfo=_UTC), Interval(0, 0, 0),
     '"str"', (None, 5), ("x",)),
    (5, 32767, 2147483647, 9223372036854775807, _f32(3.4e38), 1e308,
     Decimal("12345678901234567890.123456789"), "  padded  ", False, dt.date(2262, 4, 11),
     dt.datetime(2020, 2, 29, 23, 0, 1, 123456),
     dt.datetime(2020, 2, 29, 23, 0, 1, 123456, tzinfo=_UTC), Interval(14, 0, 0), "123",
     (-1,), ('quoted "x"', "with space")),
]


def create_fx(conn: psycopg.Connection[Any]) -> None:
    cols = ", ".join(f"{c.name} {_PG_TYPES[c.type]}{'[]' if c.is_array else ''}"
                     for c in FX_COLUMNS)
    with conn.cursor() as cur:
        cur.execute("SET TimeZone = 'UTC'")
        cur.execute("SET extra_float_digits = 1")
        cur.execute("DROP TABLE IF EXISTS fx")
        cur.execute(f"CREATE TABLE fx ({cols})")
        marks = ", ".join(f"%s::{_PG_TYPES[c.type]}{'[]' if c.is_array else ''}"
                          for c in FX_COLUMNS)
        for row in FX_ROWS:
            cur.execute(f"INSERT INTO fx VALUES ({marks})",
                        [_pg_param(c, v) for c, v in zip(FX_COLUMNS, row, strict=True)])


def _pg_param(c: Column, v: Any) -> Any:
    if v is None:
        return None
    if c.is_array:
        return list(v)
    if isinstance(v, Interval):
        return f"{v.months} mons {v.days} days {v.microseconds} microseconds"
    return v


@dataclass(frozen=True)
class Outcome:
    """What a query produced: (names, type OIDs, rows of text) or an error's SQLSTATE."""

    names: tuple[str, ...] = ()
    oids: tuple[int, ...] = ()
    rows: tuple[tuple[str | None, ...], ...] = ()
    sqlstate: str = ""
    message: str = ""

    def diff(self, other: Outcome) -> str:
        """'' when the outcomes agree, else where they first differ."""
        if self.sqlstate or other.sqlstate:
            if self.sqlstate == other.sqlstate:
                return ""
            return (f"error {self.sqlstate or '-'} ({self.message}) vs "
                    f"{other.sqlstate or '-'} ({other.message})")
        if self.names != other.names:
            return f"names {self.names} vs {other.names}"
        if self.oids != other.oids:
            return f"types {self.oids} vs {other.oids} (names {self.names})"
        if len(self.rows) != len(other.rows):
            return f"{len(self.rows)} rows vs {len(other.rows)}"
        for i, (a, b) in enumerate(zip(self.rows, other.rows, strict=True)):
            for j, (x, y) in enumerate(zip(a, b, strict=True)):
                if x != y:
                    return f"row {i} column {self.names[j]!r}: {x!r} vs {y!r}"
        return ""

    def same(self, other: Outcome) -> bool:
        if self.sqlstate or other.sqlstate:
            return self.sqlstate == other.sqlstate
        return (self.names, self.oids, self.rows) == (other.names, other.oids, other.rows)


_TRAILING = re.compile(r"(\.\d*?)0+\b")


def _trim_numeric(text: str) -> str:
    """Materialize prints numerics without trailing fractional zeros."""
    out = _TRAILING.sub(lambda m: m.group(1), text)
    return re.sub(r"\.(?=\D|$)", "", out)


def postgres_outcome(conn: psycopg.Connection[Any], sql: str) -> Outcome:
    try:
        with conn.transaction(), conn.cursor() as cur:
            cur.execute(sql)
            assert cur.description is not None and cur.pgresult is not None
            names = tuple(d.name for d in cur.description)
            oids = tuple(d.type_code for d in cur.description)
            res = cur.pgresult
            rows = []
            for i in range(res.ntuples):
                row: list[str | None] = []
                for j in range(res.nfields):
                    raw = res.get_value(i, j)
                    text = None if raw is None else bytes(raw).decode()
                    if text is not None and oids[j] in (T.NUMERIC.oid, T.NUMERIC.array_oid):
                        text = _trim_numeric(text)
                    row.append(text)
                rows.append(tuple(row))
            return Outcome(names, oids, tuple(rows))
    except psycopg.Error as e:
        return Outcome(sqlstate=e.sqlstate or "?", message=str(e).splitlines()[0])


def _catalog(parts: tuple[str, ...]) -> tuple[str, Sequence[Column]] | None:
    return (FX_ID, FX_COLUMNS) if parts[-1] == "fx" else None


def _text_rows(schema: Sequence[Column], rows: Sequence[Sequence[Any]]
               ) -> tuple[tuple[str | None, ...], ...]:
    return tuple(tuple(None if v is None else value_out(c.type, v, c.is_array)
                       for c, v in zip(schema, row, strict=True)) for row in rows)


def pymz_outcomes(sql: str) -> tuple[Outcome, Outcome]:
    """(reference evaluator, vectorised dataflow) outcomes of ``sql`` over fx."""
    try:
        q = plan(sql, _catalog)
    except PymzError as e:
        err = Outcome(sqlstate=e.sqlstate, message=e.message)
        return err, err
    shown = [q.expr.schema[i] for i in q.finishing.project]
    names = tuple(q.names)
    oids = tuple(c.type.array_oid if c.is_array else c.type.oid for c in shown)

    def outcome(run: Any) -> Outcome:
        try:
            rows = run()
        except PymzError as e:
            return Outcome(sqlstate=e.sqlstate, message=e.message)
        return Outcome(names, oids, _text_rows(shown, rows))

    def reference() -> list[tuple[Any, ...]]:
        return run_query(q, {FX_ID: FX_ROWS})

    def dataflow() -> list[tuple[Any, ...]]:
        cd = CompiledDataflow(optimize(q.expr), {FX_ID: FX_COLUMNS}, as_of=1)
        cd.push(FX_ID, [(row, 1, 1) for row in FX_ROWS])
        cd.advance_all(2)
        cd.step()
        return finish(cd.rows(1), q.finishing)

    return outcome(reference), outcome(dataflow)
