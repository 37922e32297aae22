"""A query gives the same answer however pymz computes it.

Every query of ``corpus/core.sql`` and a sample of the other corpora runs through a real
environmentd and clusterd four ways: as a one-shot SELECT (a peek), as a materialized view,
as a view with a default index (read from the index's arrangement) and as SUBSCRIBE's
initial snapshot. All four must agree on the column types and on the rows (as a multiset: a
maintained collection has no order), or fail with the same SQLSTATE. Views get positional
column names (``c1, c2, ...``), as many queries have unnamed or repeated ones; the corpus
test (``test_sql_vs_postgres.py``) checks names, and everything else, against PostgreSQL.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from tests.integration.environmentd_harness import Environmentd, running_environmentd
from tests.integration.pg_compare import create_fx

CORPUS = Path(__file__).parent / "corpus"
SAMPLE_EVERY = 1  # of the other corpora, every query (1) or a sample


def _queries() -> list[Any]:
    out = []
    for f in sorted(CORPUS.glob("*.sql")):
        lines = [(n, line.strip()) for n, line in enumerate(f.read_text().splitlines(), 1)
                 if line.strip() and not line.strip().startswith("--")]
        for k, (n, sql) in enumerate(lines):
            if f.stem == "core" or k % SAMPLE_EVERY == 0:
                out.append(pytest.param(sql, id=f"{f.stem}:{n}"))
    return out


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Environmentd]:
    with running_environmentd(tmp_path_factory.mktemp("paths") / "mzdata") as e:
        with e.connect() as conn:
            create_fx(conn)
        yield e


Outcome = tuple[str, Any]


def _rows(cur: psycopg.Cursor[Any]) -> Outcome:
    assert cur.description is not None
    shape = tuple(d.type_code for d in cur.description)
    return "rows", (shape, Counter(repr(r) for r in cur.fetchall()))


def _columns(conn: psycopg.Connection[Any], sql: str) -> str:
    """``(c1, ..., cn)`` for the query's columns, from a Describe (nothing runs); empty when
    the query does not plan (every path then fails alike)."""
    res = conn.pgconn.prepare(b"", sql.encode())
    if res.status != psycopg.pq.ExecStatus.COMMAND_OK:
        return ""
    n = conn.pgconn.describe_prepared(b"").nfields
    return "(" + ", ".join(f"c{i + 1}" for i in range(n)) + ")"


def _run(conn: psycopg.Connection[Any], *statements: str) -> Outcome:
    """The last statement's rows, or ("error", sqlstate) if any statement fails."""
    try:
        with conn.cursor() as cur:
            for s in statements:
                cur.execute(s.encode())
            return _rows(cur)
    except psycopg.Error as e:
        return "error", e.sqlstate


def _subscribe(conn: psycopg.Connection[Any], sql: str) -> Outcome:
    """SUBSCRIBE's snapshot: its rows up to the first progress message (which says every
    time up to the snapshot's is complete)."""
    try:
        with conn.transaction(), conn.cursor() as cur:
            cur.execute(f"DECLARE c CURSOR FOR SUBSCRIBE ({sql}) WITH (PROGRESS)".encode())
            rows: Counter[str] = Counter()
            shape: tuple[int, ...] = ()
            for _ in range(6):
                cur.execute(b"FETCH ALL c WITH (timeout = '10s')")
                assert cur.description is not None
                shape = tuple(d.type_code for d in cur.description[3:])
                got = cur.fetchall()
                if not got:  # the subscription is over (a constant query): all it sent
                    return "rows", (shape, rows)
                for r in got:
                    if r[1]:  # mz_progressed
                        return "rows", (shape, rows)
                    assert r[2] > 0, f"a snapshot has only insertions: {r}"
                    rows[repr(tuple(r[3:]))] += r[2]
            raise AssertionError("no progress within a minute")
    except psycopg.Error as e:
        return "error", e.sqlstate


@pytest.mark.parametrize("sql", _queries())
def test_every_path_agrees(env: Environmentd, sql: str) -> None:
    name = f"q{abs(hash(sql)) % 10**8}"
    with env.connect() as conn:
        peek = _run(conn, sql)
        cols = _columns(conn, sql)
        mv = _run(conn, f"CREATE MATERIALIZED VIEW {name}_mv {cols} AS {sql}",
                  f"SELECT * FROM {name}_mv")
        if mv == ("error", "0A000") and peek[0] == "rows":
            pytest.skip("not maintainable (e.g. now()): only one-shot queries may use it")
        view = _run(conn, f"CREATE VIEW {name}_v {cols} AS {sql}",
                    f"CREATE DEFAULT INDEX ON {name}_v", f"SELECT * FROM {name}_v")
        sub = _subscribe(conn, sql)
        for stmt in (f"DROP MATERIALIZED VIEW IF EXISTS {name}_mv",
                     f"DROP VIEW IF EXISTS {name}_v CASCADE"):
            conn.execute(stmt.encode())
    assert mv == peek, f"materialized view: {mv}\npeek: {peek}"
    assert view == peek, f"indexed view: {view}\npeek: {peek}"
    assert sub == peek, f"subscribe: {sub}\npeek: {peek}"
