"""Materialized views, indexes and SUBSCRIBE: incremental dataflows on real clusterd."""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any

import psycopg
import pytest
from tests.integration.environmentd_harness import Environmentd

pytestmark = pytest.mark.integration

QUERY = ("SELECT o.customer, count(*) AS n, sum(o.amount) AS total "
         "FROM orders o JOIN customers c ON c.name = o.customer "
         "WHERE c.active GROUP BY o.customer")


def setup_tables(env: Environmentd) -> None:
    env.sql("CREATE TABLE customers (name text, active bool)")
    env.sql("CREATE TABLE orders (id int, customer text, amount int)")
    env.sql("INSERT INTO customers VALUES ('a', true), ('b', true), ('c', false)")
    env.sql("INSERT INTO orders VALUES (1, 'a', 10), (2, 'a', 5), (3, 'b', 7), (4, 'c', 1)")


def test_materialized_view_is_maintained(environmentd: Environmentd) -> None:
    env = environmentd
    setup_tables(env)
    env.sql(f"CREATE MATERIALIZED VIEW per_customer AS {QUERY}")
    assert env.sql("SHOW MATERIALIZED VIEWS") == [("per_customer", "quickstart", "")]

    def check() -> None:
        # The maintained result equals the query recomputed over the tables, always.
        assert sorted(env.sql("SELECT * FROM per_customer")) == sorted(env.sql(QUERY))

    check()
    env.sql("INSERT INTO orders VALUES (5, 'b', 3), (6, 'c', 2)")
    check()
    env.sql("UPDATE customers SET active = true WHERE name = 'c'")
    check()
    env.sql("DELETE FROM orders WHERE customer = 'a'")
    check()
    env.sql("UPDATE orders SET amount = amount * 10")
    check()
    assert sorted(env.sql("SELECT * FROM per_customer")) == [("b", 2, 100), ("c", 2, 30)]
    # Other queries can read it, join it, build views on it.
    env.sql("CREATE VIEW big AS SELECT customer FROM per_customer WHERE total > 50")
    assert env.sql("SELECT * FROM big") == [("b",)]
    # It survives a restart of environmentd (and resumes without duplicating anything).
    env.restart()
    check()
    env.sql("INSERT INTO orders VALUES (7, 'b', 1)")
    check()
    assert env.sql("SELECT n FROM per_customer WHERE customer = 'b'") == [(3,)]


def test_materialized_view_on_other_cluster_and_drops(environmentd: Environmentd) -> None:
    env = environmentd
    setup_tables(env)
    env.sql("CREATE CLUSTER compute (SIZE = '1')")
    env.sql("CREATE MATERIALIZED VIEW mv IN CLUSTER compute AS "
            "SELECT customer, max(amount) AS top FROM orders GROUP BY customer")
    assert env.sql("SELECT c.name FROM mz_materialized_views m JOIN mz_clusters c "
                   "ON c.id = m.cluster_id") == [("compute",)]
    assert sorted(env.sql("SELECT * FROM mv")) == [("a", 10), ("b", 7), ("c", 1)]
    with env.connect() as conn:
        with pytest.raises(psycopg.errors.DependentObjectsStillExist):
            conn.execute("DROP TABLE orders")
        conn.execute("DROP TABLE orders CASCADE")
        assert conn.execute("SELECT count(*) FROM mz_materialized_views").fetchone() == (0,)


def test_index_reads_match(environmentd: Environmentd) -> None:
    env = environmentd
    setup_tables(env)
    before = sorted(env.sql("SELECT * FROM orders"))
    env.sql("CREATE INDEX orders_by_customer ON orders (customer)")
    env.sql("CREATE DEFAULT INDEX ON customers")
    assert sorted(r[0] for r in env.sql("SHOW INDEXES")) == [
        "customers_primary_idx", "orders_by_customer"]
    # Same rows from the arrangement (fast path) as from the snapshot before the index.
    assert sorted(env.sql("SELECT * FROM orders")) == before
    env.sql("INSERT INTO orders VALUES (9, 'z', 0)")
    assert len(env.sql("SELECT * FROM orders")) == len(before) + 1
    assert sorted(env.sql("SELECT * FROM customers")) == [
        ("a", True), ("b", True), ("c", False)]
    metrics = env.http_get("/metrics")[1]
    index_reads = next(float(line.split()[-1]) for line in metrics.splitlines()
                       if line.startswith('mz_query_execution_total{path="index"}'))
    assert index_reads == 3
    env.sql("DROP INDEX orders_by_customer")
    assert [r[0] for r in env.sql("SHOW INDEXES")] == ["customers_primary_idx"]


def test_subscribe_streams_changes(environmentd: Environmentd) -> None:
    env = environmentd
    env.sql("CREATE TABLE s (k int, v int)")
    env.sql("INSERT INTO s VALUES (1, 1)")
    seen: list[tuple[Any, ...]] = []
    writer_done = threading.Event()

    def write() -> None:
        with env.connect() as w:
            w.execute("INSERT INTO s VALUES (2, 2)")
            w.execute("UPDATE s SET v = 10 WHERE k = 1")
        writer_done.set()

    expected = Counter({("1", "1", 1): 1, ("2", "2", 1): 1, ("1", "1", -1): 1,
                        ("1", "10", 1): 1})
    conn = env.connect()
    try:
        # The subscribe runs until the client cancels it.
        with (pytest.raises(psycopg.errors.QueryCanceled),
              conn.cursor().copy("COPY (SUBSCRIBE (SELECT k, v FROM s) WITH (PROGRESS)) "
                                 "TO STDOUT") as copy):
            started = canceled = False
            for row in copy.rows():
                seen.append(row)
                if row[1] == "t" and not started:
                    started = True  # the snapshot is complete: now change things
                    threading.Thread(target=write).start()
                data = Counter((r[3], r[4], int(r[2])) for r in seen if r[1] == "f")
                if writer_done.is_set() and data == expected and not canceled:
                    conn.cancel()
                    canceled = True
        assert conn.execute("SELECT count(*) FROM s").fetchone() == (2,)
    finally:
        conn.close()
    times = [int(r[0]) for r in seen]
    assert times == sorted(times), "updates and progress arrive in time order"
    assert seen[0][1:] == ("f", "1", "1", "1")


def test_cursor_over_subscribe(environmentd: Environmentd) -> None:
    env = environmentd
    env.sql("CREATE TABLE cur (k int)")
    env.sql("INSERT INTO cur VALUES (1), (2)")
    with env.connect() as conn, env.connect() as writer:
        conn.execute("BEGIN")
        conn.execute("DECLARE c CURSOR FOR SUBSCRIBE cur")
        first = conn.execute("FETCH ALL c").fetchall()
        assert sorted((int(r[1]), r[2]) for r in first) == [(1, 1), (1, 2)]
        writer.execute("DELETE FROM cur WHERE k = 1")
        later = conn.execute("FETCH ALL c WITH (TIMEOUT = '30s')").fetchall()
        assert [(int(r[1]), r[2]) for r in later] == [(-1, 1)]
        assert int(later[0][0]) > int(first[0][0])
        # Nothing more arrives: a short timeout returns no rows.
        assert conn.execute("FETCH 10 c WITH (TIMEOUT = '100ms')").fetchall() == []
        conn.execute("CLOSE c")
        with pytest.raises(psycopg.errors.InvalidCursorName):
            conn.execute("FETCH c")
        conn.execute("ROLLBACK")
        conn.execute("BEGIN")
        conn.execute("DECLARE q CURSOR FOR SELECT k FROM cur")
        assert conn.execute("FETCH 5 q").fetchall() == [(2,)]
        conn.execute("COMMIT")
        with pytest.raises(psycopg.Error) as info:
            conn.execute("DECLARE outside CURSOR FOR SELECT 1")
        assert info.value.sqlstate == "25P01"
