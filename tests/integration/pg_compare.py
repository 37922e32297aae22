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

import re
from typing import Any

import psycopg
from tests.sqlcheck import FX_COLUMNS, FX_ROWS, PG_TYPES, Outcome, pymz_outcomes

from pymz.repr import Column, Interval, ScalarType

T = ScalarType
__all__ = ["Outcome", "create_fx", "postgres_outcome", "pymz_outcomes"]


def create_fx(conn: psycopg.Connection[Any]) -> None:
    cols = ", ".join(f"{c.name} {PG_TYPES[c.type]}{'[]' if c.is_array else ''}"
                     for c in FX_COLUMNS)
    with conn.cursor() as cur:
        cur.execute("SET TimeZone = 'UTC'")
        cur.execute("SET extra_float_digits = 1")
        cur.execute("DROP TABLE IF EXISTS fx")
        cur.execute(f"CREATE TABLE fx ({cols})")
        marks = ", ".join(f"%s::{PG_TYPES[c.type]}{'[]' if c.is_array else ''}"
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
