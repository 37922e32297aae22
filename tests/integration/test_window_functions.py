"""Window functions in maintained views: materialized views and indexes keep them up to
date as rows change, equal to the same query answered from scratch."""

from __future__ import annotations

import psycopg
import pytest
from tests.integration.environmentd_harness import Environmentd

pytestmark = pytest.mark.integration

QUERY = ("SELECT g, k, v, row_number() OVER (PARTITION BY g ORDER BY v DESC, k) AS rn, "
         "rank() OVER (PARTITION BY g ORDER BY v DESC) AS rk, "
         "sum(v) OVER (PARTITION BY g ORDER BY k) AS running, "
         "lag(v) OVER (PARTITION BY g ORDER BY k) AS prev, "
         "count(*) OVER (PARTITION BY g) AS n FROM t")


def test_window_functions_are_maintained(environmentd: Environmentd) -> None:
    env = environmentd
    env.sql("CREATE TABLE t (g text, k int, v int)")
    env.sql("INSERT INTO t VALUES ('a', 1, 10), ('a', 2, 30), ('a', 3, 20), ('b', 1, 5)")
    env.sql(f"CREATE MATERIALIZED VIEW w AS {QUERY}")
    env.sql("CREATE VIEW latest AS SELECT g, k, v FROM (SELECT g, k, v, row_number() OVER "
            "(PARTITION BY g ORDER BY k DESC) AS rn FROM t) s WHERE rn = 1")
    env.sql("CREATE DEFAULT INDEX ON latest")

    def check() -> None:
        # The maintained results equal the query recomputed over the tables (DuckDB).
        assert sorted(env.sql("SELECT * FROM w")) == sorted(env.sql(QUERY))
        assert sorted(env.sql("SELECT * FROM latest")) == sorted(env.sql(
            "SELECT DISTINCT ON (g) g, k, v FROM t ORDER BY g, k DESC"))

    check()
    assert env.sql("SELECT rn, rk, running, prev FROM w WHERE g = 'a' ORDER BY k") == [
        (3, 3, 10, None), (1, 1, 40, 10), (2, 2, 60, 30)]
    env.sql("INSERT INTO t VALUES ('a', 4, 30), ('c', 1, 1)")
    check()
    env.sql("UPDATE t SET v = v + 1 WHERE k = 1")
    check()
    env.sql("DELETE FROM t WHERE g = 'a' AND k = 2")
    check()
    with env.connect() as conn:
        cur = conn.execute("EXPLAIN MATERIALIZED VIEW w")
        assert "Window partition_by" in "\n".join(r[0] for r in cur.fetchall())


def test_unsupported_window_forms_are_clear_errors(environmentd: Environmentd) -> None:
    env = environmentd
    env.sql("CREATE TABLE t (g text, v int)")
    with env.connect() as conn, pytest.raises(psycopg.errors.FeatureNotSupported):
        conn.execute("CREATE MATERIALIZED VIEW bad AS SELECT sum(v) OVER "
                     "(ORDER BY v ROWS BETWEEN 1 PRECEDING AND CURRENT ROW) FROM t")
    with env.connect() as conn, pytest.raises(psycopg.errors.WindowingError):
        conn.execute("CREATE MATERIALIZED VIEW bad AS SELECT g FROM t "
                     "WHERE row_number() OVER () > 1")
    assert env.sql("SELECT count(*) FROM mz_materialized_views") == [(0,)]
