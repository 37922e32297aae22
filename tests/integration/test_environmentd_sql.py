"""SQL surface of environmentd over real clients: catalog relations, SET/SHOW, errors."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import asyncpg
import psycopg
import pytest
from tests.integration.environmentd_harness import Environmentd

pytestmark = pytest.mark.integration


def sqlstate_of(env: Environmentd, query: str) -> tuple[str | None, str]:
    with env.connect() as conn:
        with pytest.raises(psycopg.Error) as info:
            conn.execute(query)
        # The session survives the error.
        assert conn.execute("SELECT 1").fetchone() == (1,)
    return info.value.sqlstate, str(info.value.diag.message_primary)


def test_psql_psycopg_asyncpg_connect(environmentd: Environmentd) -> None:
    env = environmentd
    out = env.psql("-A", "-t", "-c", "SELECT name FROM mz_clusters ORDER BY name")
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["mz_catalog_server", "mz_system", "quickstart"]

    with env.connect() as conn:
        assert conn.execute("SELECT current_database(), current_user").fetchone() == (
            "materialize", "materialize")
        row = conn.execute("SELECT id, name FROM mz_databases WHERE name = %s",
                           ["materialize"]).fetchone()
        assert row is not None and row[0] == "u1"
        assert conn.info.parameter_status("server_version") == "9.5.0"

    async def via_asyncpg() -> list[Any]:
        conn = await asyncpg.connect(env.url())
        try:
            rows: list[Any] = await conn.fetch("SELECT name, managed FROM mz_catalog.mz_clusters "
                                    "WHERE name = $1", "quickstart")
            return rows
        finally:
            await conn.close()

    rows = asyncio.run(via_asyncpg())
    assert [tuple(r) for r in rows] == [("quickstart", True)]


def test_catalog_relations(environmentd: Environmentd) -> None:
    env = environmentd
    assert env.sql("SELECT name FROM mz_schemas WHERE database_id = 'u1'") == [("public",)]
    assert ("materialize",) in env.sql("SELECT name FROM mz_roles")
    sizes = dict(env.sql("SELECT size, processes FROM mz_cluster_replica_sizes"))
    assert sizes["2-1"] == 2 and sizes["1"] == 1
    assert env.sql("SELECT count(*) FROM mz_internal.mz_cluster_replica_statuses") == [(1,)]
    # Full SQL over the catalog: join + aggregate + subquery.
    assert env.sql(
        "SELECT c.name, count(r.id) FROM mz_clusters c LEFT JOIN mz_cluster_replicas r "
        "ON r.cluster_id = c.id WHERE c.id IN (SELECT id FROM mz_clusters WHERE id LIKE 'u%') "
        "GROUP BY c.name") == [("quickstart", 1)]


def test_set_and_show_cluster(environmentd: Environmentd) -> None:
    with environmentd.connect() as conn:
        assert conn.execute("SHOW cluster").fetchone() == ("quickstart",)
        conn.execute("CREATE CLUSTER other (SIZE = '1', REPLICATION FACTOR = 0)")
        conn.execute("SET cluster = other")
        assert conn.execute("SHOW cluster").fetchone() == ("other",)
        notices: list[str] = []
        conn.add_notice_handler(lambda d: notices.append(str(d.message_primary)))
        conn.execute("SET cluster = 'nope'")
        assert notices == ['cluster "nope" does not exist']
        conn.execute("RESET cluster")
        assert conn.execute("SHOW cluster").fetchone() == ("quickstart",)
    with psycopg.connect(environmentd.url(), autocommit=True,
                         options="-c cluster=other") as conn:
        assert conn.execute("SHOW cluster").fetchone() == ("other",)


def test_cluster_ddl_forms(environmentd: Environmentd) -> None:
    env = environmentd
    env.sql("CREATE CLUSTER u REPLICAS (a (SIZE = '1'), b (SIZE = '2'))")
    assert env.sql("SHOW CLUSTER REPLICAS WHERE cluster = 'u'") == [
        ("u", "a", "1", False, ""), ("u", "b", "2", False, "")] or all(
        r[:3] in {("u", "a", "1"), ("u", "b", "2")}
        for r in env.sql("SHOW CLUSTER REPLICAS WHERE cluster = 'u'"))
    env.sql("CREATE CLUSTER REPLICA u.c SIZE = '1'") if False else env.sql(
        "CREATE CLUSTER REPLICA u.c (SIZE = '1')")
    env.sql("DROP CLUSTER REPLICA u.a")
    env.sql("ALTER CLUSTER REPLICA u.b RENAME TO bee")
    assert sorted(r[1] for r in env.sql("SHOW CLUSTER REPLICAS WHERE cluster = 'u'")) == [
        "bee", "c"]
    env.sql("ALTER CLUSTER u RENAME TO v")
    assert env.sql("SHOW CLUSTERS LIKE 'v'")[0][0] == "v"
    assert env.sql("SELECT managed, size FROM mz_clusters WHERE name = 'v'") == [(False, None)]
    env.sql("DROP CLUSTER v CASCADE")
    with env.connect() as conn:
        notices: list[str] = []
        conn.add_notice_handler(lambda d: notices.append(str(d.message_primary)))
        conn.execute("DROP CLUSTER IF EXISTS v")
        assert notices == ['cluster "v" does not exist, skipping']


@pytest.mark.parametrize(
    ("query", "sqlstate", "message"),
    [
        ("DROP CLUSTER nope", "42704", "unknown cluster 'nope'"),
        ("CREATE CLUSTER REPLICA nope.r1 (SIZE = '1')", "42704", "unknown cluster 'nope'"),
        ("ALTER CLUSTER nope SET (SIZE = '1')", "42704", "unknown cluster 'nope'"),
        ("SELECT * FROM no_such_relation", "42P01", ""),
        ("CREATE CLUSTER quickstart (SIZE = '1')", "42710",
         "cluster 'quickstart' already exists"),
        ("CREATE CLUSTER c (SIZE = 'galactic')", "22023", "unknown cluster replica size galactic"),
        ("CREATE CLUSTER c (SIZE = '1', SIZE = '2')", "42601", "SIZE specified more than once"),
        ("CREATE CLUSTER c (SIZE = '1', REPLICATION FACTOR = 'x')", "22023", ""),
        ("CREATE CLUSTER c (SIZE = '1', REPLICAS (r1 (SIZE = '1')))", "42601", ""),
        ("CREATE CLUSTER c (REPLICATION FACTOR = 1)", "22023", ""),
        ("CREATE CLUSTER mz_c (SIZE = '1')", "42939", ""),
        ("DROP CLUSTER mz_system", "42501", ""),
        ("CREATE CLUSTER REPLICA quickstart.r9 (SIZE = '1')", "0A000", ""),
        ("CREATE CLUSTR c", "42601", ""),
        ("CREATE CLUSTER c (SIZE = '1'", "42601", ""),
        ("SELECT 'unterminated", "42601", ""),
        ("SET no_such_variable = 1", "42704", ""),
        ("SELECT 1/0", "22012", ""),
        ("CREATE SOURCE s FROM LOAD GENERATOR COUNTER", "0A000", ""),
        # Nested beyond what the planner's stack holds: the statement's error (54001).
        ("SELECT " + "(" * 3000 + "1" + ")" * 3000, "54001", "stack depth limit exceeded"),
    ],
)
def test_errors_have_sqlstates(environmentd: Environmentd, query: str, sqlstate: str,
                               message: str) -> None:
    got_state, got_message = sqlstate_of(environmentd, query)
    assert got_state == sqlstate, got_message
    if message:
        assert got_message == message


def test_failed_transaction_block(environmentd: Environmentd) -> None:
    with environmentd.connect() as conn:
        conn.autocommit = False
        with pytest.raises(psycopg.Error):
            conn.execute("SELECT * FROM nope")
        with pytest.raises(psycopg.errors.InFailedSqlTransaction):
            conn.execute("SELECT 1")
        conn.rollback()
        assert conn.execute("SELECT 1").fetchone() == (1,)
        conn.rollback()
        conn.autocommit = True
        conn.execute("BEGIN")
        with pytest.raises(psycopg.errors.ActiveSqlTransaction):
            conn.execute("CREATE CLUSTER x (SIZE = '1')")
        conn.execute("ROLLBACK")


def test_psql_script_with_errors_keeps_going(environmentd: Environmentd) -> None:
    out = environmentd.psql("-A", "-t", "-f", "-", input=(
        "CREATE CLUSTER s1c (SIZE = '1', REPLICATION FACTOR = 0);\n"
        "CREATE CLUSTER s1c (SIZE = '1');\n"
        "SELECT name FROM mz_clusters WHERE name = 's1c';\n"))
    assert "cluster 's1c' already exists" in out.stderr
    assert out.stdout.strip() == "CREATE CLUSTER\ns1c" or out.stdout.strip().endswith("s1c")


def test_databases_schemas_roles(environmentd: Environmentd) -> None:
    env = environmentd
    env.sql("CREATE DATABASE d2")
    env.sql("CREATE SCHEMA d2.s")
    env.sql("CREATE ROLE analyst")
    assert ("d2", "") in env.sql("SHOW DATABASES")
    assert env.sql("SELECT s.name FROM mz_schemas s JOIN mz_databases d "
                   "ON d.id = s.database_id WHERE d.name = 'd2' ORDER BY 1") == [
        ("public",), ("s",)]
    assert ("analyst",) in env.sql("SELECT name FROM mz_roles")
    env.sql("DROP DATABASE d2")
    assert env.sql("SELECT count(*) FROM mz_databases WHERE name = 'd2'") == [(0,)]


def test_http_health_and_metrics(environmentd: Environmentd) -> None:
    env = environmentd
    assert env.http_get("/api/readyz")[0] == 200
    assert env.http_get("/api/livez")[0] == 200
    env.sql("SELECT 1")
    status, body = env.http_get("/metrics")
    assert status == 200
    assert "mz_query_total" in body and "mz_pgwire_connections_total" in body


def test_catalog_survives_restart(environmentd: Environmentd) -> None:
    env = environmentd
    env.sql("CREATE CLUSTER durable (SIZE = '1', REPLICATION FACTOR = 0)")
    env.sql("CREATE DATABASE keepme")
    ids = env.sql("SELECT id, name FROM mz_clusters ORDER BY id")
    env.kill()
    env.start()
    assert env.sql("SELECT id, name FROM mz_clusters ORDER BY id") == ids
    assert env.sql("SELECT count(*) FROM mz_databases WHERE name = 'keepme'") == [(1,)]
    # Ids are never reused after a restart.
    env.sql("CREATE CLUSTER after (SIZE = '1', REPLICATION FACTOR = 0)")
    new_id = env.sql("SELECT id FROM mz_clusters WHERE name = 'after'")[0][0]
    assert new_id not in {i for i, _ in ids}


def test_cancel_running_query(environmentd: Environmentd) -> None:
    with environmentd.connect() as conn:
        timer = threading.Timer(0.5, conn.cancel)
        timer.start()
        try:
            with pytest.raises(psycopg.errors.QueryCanceled):
                conn.execute("SELECT count(*) FROM generate_series(1, 100000000000) AS a")
        finally:
            timer.cancel()
        assert conn.execute("SELECT 1").fetchone() == (1,)


def test_long_one_shot_queries_stop(environmentd: Environmentd) -> None:
    """A one-shot query that generates many rows runs on the cluster, where a statement
    timeout stops it; one call may return at most 10 million rows (54000, not an
    out-of-memory kill), and the server keeps serving."""
    with environmentd.connect() as conn:
        conn.execute("SET statement_timeout = '1s'")
        with pytest.raises(psycopg.errors.QueryCanceled):
            conn.execute("SELECT count(*) FROM generate_series(1, 9000000)")
        conn.execute("SET statement_timeout = 0")
        with pytest.raises(psycopg.Error) as e:
            conn.execute("SELECT count(*) FROM generate_series(1, 100000000)")
        assert e.value.sqlstate == "54000"
        assert conn.execute("SELECT count(*) FROM generate_series(1, 1000)").fetchone() == (
            1000,)
