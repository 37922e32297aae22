"""Views: named queries, inlined where they are read."""

from __future__ import annotations

import psycopg
import pytest
from tests.integration.environmentd_harness import Environmentd

pytestmark = pytest.mark.integration


def test_views_over_tables_and_catalog(environmentd: Environmentd) -> None:
    env = environmentd
    env.sql("CREATE TABLE orders (id int, customer text, amount numeric(10,2))")
    env.sql("INSERT INTO orders VALUES (1, 'a', 10), (2, 'a', 5), (3, 'b', 7)")
    env.sql("CREATE VIEW totals AS SELECT customer, sum(amount) AS total FROM orders "
            "GROUP BY customer")
    env.sql("CREATE VIEW big (who, spent) AS SELECT customer, total FROM totals "
            "WHERE total > 8")
    assert env.sql("SELECT * FROM big") == [("a", 15)]
    env.sql("INSERT INTO orders VALUES (4, 'b', 3)")
    assert env.sql("SELECT who, spent FROM big ORDER BY who") == [("a", 15), ("b", 10)]
    # Views compose with CTEs of the same name (the CTE wins), joins and the catalog.
    assert env.sql("WITH totals AS (SELECT 1 AS x) SELECT * FROM totals") == [(1,)]
    assert env.sql("SELECT t.customer, b.spent FROM totals t JOIN big b ON b.who = t.customer "
                   "ORDER BY 1") == [("a", 15), ("b", 10)]
    env.sql("CREATE VIEW clusters AS SELECT name FROM mz_clusters WHERE id LIKE 'u%'")
    assert env.sql("SELECT * FROM clusters") == [("quickstart",)]
    assert env.sql("SHOW VIEWS") == [("big", ""), ("clusters", ""), ("totals", "")]
    assert env.sql("SELECT c.name, position, type FROM mz_columns c JOIN mz_views v "
                   "ON v.id = c.id WHERE v.name = 'big' ORDER BY position") == [
        ("who", 1, "text"), ("spent", 2, "numeric")]
    # A view keeps reading what it was defined over, whatever the session's search path.
    with env.connect() as conn:
        conn.execute("CREATE SCHEMA other")
        conn.execute("SET search_path = other, public")
        conn.execute("CREATE TABLE other.orders (id int)")
        assert conn.execute("SELECT count(*) FROM totals").fetchone() == (2,)
    # Dependencies: no dropping what a view reads without CASCADE.
    with env.connect() as conn:
        with pytest.raises(psycopg.errors.DependentObjectsStillExist):
            conn.execute("DROP TABLE orders")
        with pytest.raises(psycopg.errors.DependentObjectsStillExist):
            conn.execute("DROP VIEW totals")
        conn.execute("CREATE OR REPLACE VIEW big AS SELECT customer AS who FROM totals")
        assert conn.execute("SELECT * FROM big ORDER BY 1").fetchall() == [("a",), ("b",)]
        conn.execute("DROP TABLE orders CASCADE")
    assert env.sql("SELECT name FROM mz_views ORDER BY name") == [("clusters",)]
    env.restart()
    assert env.sql("SELECT * FROM clusters") == [("quickstart",)]


@pytest.mark.parametrize(
    ("statement", "sqlstate"),
    [
        ("CREATE VIEW v AS SELECT * FROM nope", "42P01"),
        ("CREATE VIEW v AS SELEC 1", "42601"),
        ("CREATE VIEW v (a, b) AS SELECT 1", "42601"),
        ("CREATE VIEW v (a, a) AS SELECT 1, 2", "42701"),
        ("CREATE VIEW t AS SELECT 1", "42710"),
        ("DROP VIEW nope", "42P01"),
        ("DROP VIEW t", "42809"),
    ],
)
def test_view_errors(environmentd: Environmentd, statement: str, sqlstate: str) -> None:
    environmentd.sql("CREATE TABLE t (a int)")
    with environmentd.connect() as conn:
        with pytest.raises(psycopg.Error) as info:
            conn.execute(statement)
        assert info.value.sqlstate == sqlstate, info.value
        assert conn.execute("SELECT count(*) FROM mz_views").fetchone() == (0,)


def test_explain(environmentd: Environmentd) -> None:
    env = environmentd
    env.sql("CREATE TABLE a (k int, v int)")
    env.sql("CREATE TABLE b (k int, w text)")
    env.sql("CREATE VIEW j AS SELECT a.k, sum(v) AS s FROM a JOIN b ON a.k = b.k GROUP BY a.k")
    with env.connect() as conn:
        cur = conn.execute("EXPLAIN SELECT * FROM j WHERE s > 1")
        assert cur.description is not None and cur.description[0].name == "Optimized Plan"
        plan = cur.fetchone()[0]  # type: ignore[index]
        assert "Join" in plan and "Reduce" in plan and "public.a" in plan
        raw = conn.execute("EXPLAIN RAW PLAN FOR VIEW j").fetchone()[0]  # type: ignore[index]
        assert "Reduce" in raw
        with pytest.raises(psycopg.errors.UndefinedTable):
            conn.execute("EXPLAIN SELECT * FROM nope")
