"""Queries answered from indexes: key lookups and filtered/aggregated reads of arrangements.

Every result is compared with the same query answered without the index (on a cluster that
has none), and the read path is checked through ``mz_query_execution_total{path}``.
"""

from __future__ import annotations

from typing import Any

import psycopg
import pytest
from tests.integration.environmentd_harness import Environmentd

pytestmark = pytest.mark.integration


def paths(env: Environmentd) -> dict[str, float]:
    out: dict[str, float] = {}
    for line in env.http_get("/metrics")[1].splitlines():
        if line.startswith("mz_query_execution_total{"):
            label = line.split('path="', 1)[1].split('"', 1)[0]
            out[label] = float(line.split()[-1])
    return out


def both(env: Environmentd, query: str, params: tuple[Any, ...] | None = None
         ) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """(result on the indexed cluster, result on a cluster without indexes)."""
    with env.connect() as conn:
        indexed = conn.execute(query, params).fetchall()
        conn.execute("SET cluster = plain")
        plain = conn.execute(query, params).fetchall()
    return sorted(indexed), sorted(plain)


@pytest.fixture
def env(environmentd: Environmentd) -> Environmentd:
    e = environmentd
    e.sql("CREATE CLUSTER plain (SIZE = '1')")
    e.sql("CREATE TABLE t (k int, s text, v int)")
    e.sql("INSERT INTO t SELECT g % 50, 'name' || (g % 7), g FROM generate_series(1, 400) g")
    e.sql("CREATE VIEW w AS SELECT k, s, v * 2 AS v2 FROM t WHERE v % 3 <> 0")
    e.sql("CREATE INDEX w_by_k ON w (k)")
    e.sql("CREATE INDEX t_by_s ON t (s)")
    return e


def test_key_lookups_match_the_unindexed_answer(env: Environmentd) -> None:
    before = paths(env).get("index_lookup", 0)
    queries: list[tuple[str, tuple[Any, ...] | None]] = [
        ("SELECT * FROM w WHERE k = 7", None),
        ("SELECT k, sum(v2), count(*) FROM w WHERE k IN (1, 2, 49) GROUP BY k", None),
        ("SELECT s FROM w WHERE k = %s AND v2 > 100 ORDER BY s", (3,)),
        ("SELECT count(*) FROM w x WHERE x.k = 11 AND x.k = 11", None),
        ("SELECT * FROM w WHERE k = 1 AND k = 2", None),           # contradiction: no rows
        ("SELECT * FROM w WHERE k = 999", None),                   # no such key
        ("SELECT v FROM t WHERE s = 'name3' AND v < 30", None),    # text key on a table
        ("SELECT count(*) FROM t WHERE s = %s", ("name0",)),
    ]
    for q, params in queries:
        indexed, plain = both(env, q, params)
        assert indexed == plain, q
    assert both(env, "SELECT * FROM w WHERE k = 7")[0]  # not vacuous
    assert paths(env)["index_lookup"] - before == len(queries) + 1


def test_reads_without_a_key_use_the_whole_index(env: Environmentd) -> None:
    before = paths(env)
    for q in ["SELECT k, count(*) FROM w GROUP BY k",
              "SELECT * FROM w WHERE k > 40 OR s = 'name1'",
              "SELECT max(v2) FROM w WHERE k = v2",
              "SELECT * FROM w WHERE k = '7'"]:  # a cast literal: no lookup, same answer
        indexed, plain = both(env, q)
        assert indexed == plain, q
    after = paths(env)
    assert after["index"] - before.get("index", 0) == 4
    assert after.get("index_lookup", 0) == before.get("index_lookup", 0)
    # A join of the indexed view with a table reads one from the index, one from persist.
    indexed, plain = both(env, "SELECT w.k, count(*) FROM w JOIN t ON t.k = w.k "
                               "WHERE w.k = 5 GROUP BY w.k")
    assert indexed == plain and indexed


def test_lookups_see_every_acknowledged_write(env: Environmentd) -> None:
    with env.connect() as conn:
        for i in range(5):
            conn.execute("INSERT INTO t VALUES (%s, 'new', 1000 + %s)", (100 + i, i))
            rows = conn.execute("SELECT v2 FROM w WHERE k = %s", (100 + i,)).fetchall()
            assert rows == ([(2 * (1000 + i),)] if (1000 + i) % 3 else [])
        conn.execute("DELETE FROM t WHERE k = 7")
        assert conn.execute("SELECT * FROM w WHERE k = 7").fetchall() == []
        # In an explicit transaction every read is at the same timestamp.
        conn.execute("BEGIN")
        first = conn.execute("SELECT count(*) FROM t WHERE s = 'new'").fetchone()
        assert first == (5,)
        with env.connect() as other:
            other.execute("INSERT INTO t VALUES (1, 'new', 5)")
        assert conn.execute("SELECT count(*) FROM t WHERE s = 'new'").fetchone() == first
        conn.execute("COMMIT")
        assert conn.execute("SELECT count(*) FROM t WHERE s = 'new'").fetchone() == (6,)


def test_query_errors_surface_through_lookups(env: Environmentd) -> None:
    env.sql("CREATE VIEW q AS SELECT k, 100 / v AS r FROM t")
    env.sql("CREATE INDEX q_by_k ON q (k)")
    assert env.sql("SELECT r FROM q WHERE k = 10 ORDER BY r") == sorted(
        env.sql("SELECT 100 / v FROM t WHERE k = 10"))
    env.sql("INSERT INTO t VALUES (77, 'zero', 0)")
    with env.connect() as conn, pytest.raises(psycopg.errors.DivisionByZero):
        conn.execute("SELECT r FROM q WHERE k = 10")
    env.sql("DELETE FROM t WHERE v = 0")
    assert env.sql("SELECT count(*) FROM q WHERE k = 10") == [(8,)]
    # Unknown columns and bad types are the usual errors, on the lookup path too.
    with env.connect() as conn, pytest.raises(psycopg.errors.UndefinedColumn):
        conn.execute("SELECT nope FROM w WHERE k = 1")
    with env.connect() as conn, pytest.raises(psycopg.Error):
        conn.execute("SELECT * FROM w WHERE k = 'abc'")
