"""Errors in materialized views: persisted next to the data, raised by every reader while
live, gone when the failing row is, and surviving restarts of both processes."""

from __future__ import annotations

import threading

import psycopg
import pytest
from tests.integration.environmentd_harness import Environmentd

pytestmark = pytest.mark.integration


def error_of(env: Environmentd, query: str) -> type[Exception] | None:
    with env.connect() as conn:
        try:
            conn.execute(query).fetchall()
        except psycopg.Error as e:
            return type(e)
    return None


def test_errors_are_persisted_and_retracted(environmentd: Environmentd) -> None:
    env = environmentd
    env.sql("CREATE TABLE t (k int, v int)")
    env.sql("INSERT INTO t VALUES (1, 10), (2, 5)")
    env.sql("CREATE MATERIALIZED VIEW q AS SELECT k, 100 / v AS r FROM t")
    env.sql("CREATE MATERIALIZED VIEW total AS SELECT sum(r) AS s FROM q")  # reads q
    assert sorted(env.sql("SELECT * FROM q")) == [(1, 10), (2, 20)]
    assert env.sql("SELECT * FROM total") == [(30,)]

    env.sql("INSERT INTO t VALUES (3, 0)")
    # Every reader of the view sees the error, not a stall and not partial rows: a SELECT,
    # a filtered SELECT, a view over it, a materialized view built on it.
    assert error_of(env, "SELECT * FROM q") is psycopg.errors.DivisionByZero
    assert error_of(env, "SELECT k FROM q WHERE k = 1") is psycopg.errors.DivisionByZero
    assert error_of(env, "SELECT * FROM total") is psycopg.errors.DivisionByZero
    # Writes keep flowing while the error is live.
    env.sql("INSERT INTO t VALUES (4, 50)")

    env.sql("DELETE FROM t WHERE v = 0")
    assert sorted(env.sql("SELECT * FROM q")) == [(1, 10), (2, 20), (4, 2)]
    assert env.sql("SELECT * FROM total") == [(32,)]

    # Durable: a restart of environmentd (and so of the dataflows) keeps both the rows and
    # a live error.
    env.sql("INSERT INTO t VALUES (5, 0)")
    assert error_of(env, "SELECT * FROM q") is psycopg.errors.DivisionByZero
    env.restart()
    assert error_of(env, "SELECT * FROM q") is psycopg.errors.DivisionByZero
    assert error_of(env, "SELECT * FROM total") is psycopg.errors.DivisionByZero
    env.sql("DELETE FROM t WHERE k = 5")
    assert sorted(env.sql("SELECT * FROM q")) == [(1, 10), (2, 20), (4, 2)]
    assert env.sql("SELECT * FROM total") == [(32,)]


def test_subscribe_to_a_failing_view_reports_the_error(environmentd: Environmentd) -> None:
    env = environmentd
    env.sql("CREATE TABLE t (v int)")
    env.sql("INSERT INTO t VALUES (0)")
    env.sql("CREATE MATERIALIZED VIEW q AS SELECT 1 / v AS r FROM t")
    with (env.connect() as conn, pytest.raises(psycopg.errors.DivisionByZero),
          conn.cursor().copy("COPY (SUBSCRIBE q) TO STDOUT") as copy):
        for _ in copy:
            pass
    # An index on it fails reads the same way.
    env.sql("CREATE DEFAULT INDEX ON q")
    assert error_of(env, "SELECT * FROM q") is psycopg.errors.DivisionByZero
    env.sql("UPDATE t SET v = 1")
    assert env.sql("SELECT * FROM q") == [(1,)]


def test_shutdown_mid_subscribe_is_an_admin_shutdown(environmentd: Environmentd) -> None:
    """Stopping environmentd while a SUBSCRIBE streams ends it with 57P01, like PostgreSQL's
    shutdown, not an internal error from tearing down the stream."""
    env = environmentd
    env.sql("CREATE TABLE t (a int)")
    env.sql("CREATE MATERIALIZED VIEW m AS SELECT count(*) FROM t")
    outcome: list[BaseException] = []
    started = threading.Event()

    def stream() -> None:
        try:
            with (psycopg.connect(env.url(), autocommit=True) as conn,
                  conn.cursor().copy("COPY (SUBSCRIBE m) TO STDOUT") as copy):
                for _ in copy:
                    started.set()
        except BaseException as e:  # recorded for the assertion below
            outcome.append(e)

    reader = threading.Thread(target=stream)
    reader.start()
    assert started.wait(30)  # the snapshot arrived: the stream is running
    env.stop()
    reader.join(30)
    assert len(outcome) == 1 and isinstance(outcome[0], psycopg.errors.AdminShutdown), outcome
