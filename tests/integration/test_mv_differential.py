"""Differential testing through the whole system: random writes to tables, and after every
step each materialized view must equal its query recomputed from scratch by DuckDB over the
tables' current contents (read back through environmentd)."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal
from typing import Any

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.integration.environmentd_harness import Environmentd, running_environmentd

pytestmark = pytest.mark.integration

VIEWS = {
    "join_agg": "SELECT a.g, count(*) AS n, sum(b.w) AS s FROM a JOIN b ON a.k = b.k "
                "GROUP BY a.g",
    "left_join": "SELECT a.k, a.g, b.w FROM a LEFT JOIN b ON a.k = b.k",
    "full_join": "SELECT a.k AS ak, b.k AS bk FROM a FULL OUTER JOIN b ON a.k = b.k",
    # Top-2 per group, in the form the planner supports (no window functions yet).
    "top2": "SELECT g, k FROM a AS o WHERE (SELECT count(*) FROM a AS i "
            "WHERE i.g = o.g AND i.k > o.k) < 2",
    "distinct_minmax": "SELECT g, min(k) AS lo, max(k) AS hi, count(DISTINCT k) AS d "
                       "FROM a GROUP BY g",
    "not_exists": "SELECT k FROM a WHERE NOT EXISTS (SELECT 1 FROM b WHERE b.k = a.k)",
}

Op = tuple[str, str, tuple[int, ...]]
ops = st.lists(
    st.one_of(
        st.tuples(st.just("insert"), st.sampled_from(["a", "b"]),
                  st.tuples(st.integers(0, 5), st.integers(0, 3))),
        st.tuples(st.just("delete"), st.sampled_from(["a", "b"]),
                  st.tuples(st.integers(0, 5))),
        st.tuples(st.just("update"), st.sampled_from(["a", "b"]),
                  st.tuples(st.integers(0, 5), st.integers(0, 3))),
    ),
    min_size=4, max_size=10,
)


def _norm(rows: list[tuple[Any, ...]]) -> Counter[tuple[Any, ...]]:
    return Counter(tuple(int(v) if isinstance(v, Decimal) else v for v in r) for r in rows)


def _expected(env: Environmentd, query: str) -> Counter[tuple[Any, ...]]:
    con = duckdb.connect()
    con.execute("CREATE TABLE a (k INTEGER, g INTEGER)")
    con.execute("CREATE TABLE b (k INTEGER, w INTEGER)")
    for table in ("a", "b"):
        rows = env.sql(f"SELECT * FROM {table}")
        if rows:
            con.executemany(f"INSERT INTO {table} VALUES (?, ?)", rows)
    return _norm(con.execute(query).fetchall())


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Any:
    with running_environmentd(tmp_path_factory.mktemp("diff") / "mzdata") as env:
        env.sql("CREATE TABLE a (k int, g int)")
        env.sql("CREATE TABLE b (k int, w int)")
        for name, query in VIEWS.items():
            env.sql(f"CREATE MATERIALIZED VIEW {name} AS {query}")
        yield env


@settings(max_examples=8, deadline=None, suppress_health_check=list(HealthCheck))
@given(steps=ops)
def test_materialized_views_match_duckdb(env: Environmentd, steps: list[Op]) -> None:
    for kind, table, args in steps:
        col = "g" if table == "a" else "w"
        if kind == "insert":
            env.sql(f"INSERT INTO {table} VALUES (%s, %s)", list(args))
        elif kind == "delete":
            env.sql(f"DELETE FROM {table} WHERE k = %s", [args[0]])
        else:
            env.sql(f"UPDATE {table} SET {col} = %s WHERE k = %s", [args[1], args[0]])
        for name, query in VIEWS.items():
            got = _norm(env.sql(f"SELECT * FROM {name}"))
            assert got == _expected(env, query), (name, steps)
