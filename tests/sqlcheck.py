"""Running SQL through pymz's engine in-process, for tests that check SQL semantics.

:func:`pymz_outcomes` runs a query over the fixture table ``fx`` (one column per type, rows
with edge values and one row of NULLs) through the reference evaluator and the vectorised
dataflow renderer, printing values as pgwire would (:func:`pymz.repr.textfmt.value_out`);
:func:`rows`, :func:`one` and :func:`sqlstate` also require the two engines to agree.
:func:`both_engines` does the same over any table, returning Python values. The integration
test ``test_sql_vs_postgres.py`` compares the same outcomes with a real PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
import struct
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest

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
PG_TYPES = {
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


def fx_catalog(parts: tuple[str, ...]) -> tuple[str, Sequence[Column]] | None:
    return (FX_ID, FX_COLUMNS) if parts[-1] == "fx" else None


def _text_rows(schema: Sequence[Column], rows: Sequence[Sequence[Any]]
               ) -> tuple[tuple[str | None, ...], ...]:
    return tuple(tuple(None if v is None else value_out(c.type, v, c.is_array)
                       for c, v in zip(schema, row, strict=True)) for row in rows)


def pymz_outcomes(sql: str) -> tuple[Outcome, Outcome]:
    """(reference evaluator, vectorised dataflow) outcomes of ``sql`` over fx."""
    try:
        q = plan(sql, fx_catalog)
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


def rows(sql: str) -> tuple[tuple[str | None, ...], ...]:
    """The text rows of ``sql`` over fx (both engines agreeing, no error)."""
    ref, df = pymz_outcomes(sql)
    assert ref.same(df), (ref, df)
    assert not ref.sqlstate, ref.message
    return ref.rows


def one(sql: str) -> str | None:
    """The single value of a one-row, one-column query over fx."""
    (row,) = rows(sql)
    (v,) = row
    return v


def sqlstate(sql: str) -> str:
    """The SQLSTATE ``sql`` fails with over fx ("" if it does not), the same in both engines."""
    ref, df = pymz_outcomes(sql)
    assert ref.sqlstate == df.sqlstate, (ref, df)
    return ref.sqlstate


def both_engines(sql: str, table: str, gid: str, columns: tuple[Column, ...],
                 data: Sequence[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    """Rows of ``sql`` over ``table`` (Get id ``gid``) from the evaluator, checked against
    the dataflow renderer; raises the query's PymzError."""
    def catalog(parts: tuple[str, ...]) -> tuple[str, Sequence[Column]] | None:
        return (gid, columns) if parts[-1] == table else None

    q = plan(sql, catalog)
    reference = run_query(q, {gid: data})
    cd = CompiledDataflow(optimize(q.expr), {gid: columns}, as_of=1)
    cd.push(gid, [(row, 1, 1) for row in data])
    cd.advance_all(2)
    cd.step()
    assert finish(cd.rows(1), q.finishing) == reference
    return reference


def checks(table: str, gid: str, columns: tuple[Column, ...], data: Sequence[tuple[Any, ...]]
           ) -> tuple[Any, Any, Any]:
    """``(both, one, sqlstate)`` bound to one table: rows (both engines agreeing), the single
    value of a one-value query, and the SQLSTATE a query fails with."""
    return (lambda sql: both_engines(sql, table, gid, columns, data),
            lambda sql: one_of(sql, table, gid, columns, data),
            lambda sql: error_of(sql, table, gid, columns, data))


def one_of(sql: str, table: str, gid: str, columns: tuple[Column, ...],
           data: Sequence[tuple[Any, ...]]) -> Any:
    out = both_engines(sql, table, gid, columns, data)
    assert len(out) == 1 and len(out[0]) == 1
    return out[0][0]


def error_of(sql: str, table: str, gid: str, columns: tuple[Column, ...],
             data: Sequence[tuple[Any, ...]]) -> str:
    with pytest.raises(PymzError) as e:
        both_engines(sql, table, gid, columns, data)
    return e.value.sqlstate
