"""Tables end to end: types, writes, reads as peeks on clusters, transactions, errors."""

from __future__ import annotations

import asyncio
import datetime
import decimal
import threading
import uuid
from typing import Any

import asyncpg
import psycopg
import pytest
from psycopg.types.json import Jsonb
from tests.integration.environmentd_harness import Environmentd

pytestmark = pytest.mark.integration

TYPES: list[tuple[str, Any]] = [
    ("smallint", -32768),
    ("integer", 2147483647),
    ("bigint", -9223372036854775808),
    ("numeric", decimal.Decimal("12345678901234567890.0123456789")),
    ("real", 1.5),
    ("double precision", -2.25e-300),
    ("text", "héllo, 'wörld' \\ \"q\""),
    ("varchar(10)", "short"),
    ("boolean", True),
    ("date", datetime.date(2024, 2, 29)),
    ("time", datetime.time(23, 59, 58, 123456)),
    ("timestamp", datetime.datetime(1999, 12, 31, 23, 59, 59, 999999)),
    ("timestamptz", datetime.datetime(2001, 2, 3, 4, 5, 6, 7, tzinfo=datetime.UTC)),
    ("interval", datetime.timedelta(days=3, seconds=7, microseconds=5)),
    ("jsonb", {"a": [1, 2, {"b": None}], "c": "d"}),
    ("bytea", b"\x00\x01binary\xff"),
    ("uuid", uuid.UUID("12345678-1234-5678-1234-567812345678")),
    ("integer[]", [1, None, 3]),
    ("text[]", ["a", "b,c", None]),
]


def test_type_round_trips_text_and_binary(environmentd: Environmentd) -> None:
    with environmentd.connect() as conn:
        cols = ", ".join(f"c{i} {t}" for i, (t, _) in enumerate(TYPES))
        conn.execute(f"CREATE TABLE types ({cols})")
        placeholders = ", ".join("%s" for _ in TYPES)
        values = [Jsonb(v) if t == "jsonb" else v for t, v in TYPES]
        conn.execute(f"INSERT INTO types VALUES ({placeholders})", values)
        conn.execute("INSERT INTO types (c0) VALUES (NULL)")
        for binary in (False, True):
            with conn.cursor(binary=binary) as cur:
                cur.execute("SELECT * FROM types WHERE c0 IS NOT NULL")
                row = cur.fetchone()
                assert row is not None
                for (type_name, expected), got in zip(TYPES, row, strict=True):
                    assert got == expected, (type_name, binary, got)
                cur.execute("SELECT * FROM types WHERE c0 IS NULL")
                assert cur.fetchone() == tuple(None for _ in TYPES)
    # psql prints PostgreSQL's text forms.
    out = environmentd.psql("-A", "-t", "-c",
                            "SELECT c1, c4, c8, c12, c16, c17 FROM types WHERE c0 IS NOT NULL")
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == (
        "2147483647|1.5|t|2001-02-03 04:05:06.000007+00|"
        "12345678-1234-5678-1234-567812345678|{1,NULL,3}")


def test_insert_update_delete_and_select(environmentd: Environmentd) -> None:
    env = environmentd
    env.sql("CREATE TABLE t (id int NOT NULL, name text, score numeric(6,2) DEFAULT 0)")
    env.sql("INSERT INTO t VALUES (1, 'a', 1.005), (2, 'b', DEFAULT), (3, NULL, 3)")
    env.sql("INSERT INTO t (id) VALUES (4)")
    env.sql("INSERT INTO t SELECT id + 10, name, score FROM t WHERE id <= 2")
    assert env.sql("SELECT id, name, score FROM t ORDER BY id") == [
        (1, "a", decimal.Decimal("1.01")), (2, "b", decimal.Decimal("0.00")),
        (3, None, decimal.Decimal("3.00")), (4, None, decimal.Decimal("0.00")),
        (11, "a", decimal.Decimal("1.01")), (12, "b", decimal.Decimal("0.00"))]
    with env.connect() as conn:
        cur = conn.execute("UPDATE t SET score = score * 2, name = upper(name) WHERE id > 10")
        assert cur.rowcount == 2
        cur = conn.execute("DELETE FROM t WHERE name IS NULL")
        assert cur.rowcount == 2
    assert env.sql("SELECT id, name, score FROM t ORDER BY id") == [
        (1, "a", decimal.Decimal("1.01")), (2, "b", decimal.Decimal("0.00")),
        (11, "A", decimal.Decimal("2.02")), (12, "B", decimal.Decimal("0.00"))]
    # Full SQL over tables: join, aggregate, subquery, CTE, window function.
    env.sql("CREATE TABLE names (id int, label text)")
    env.sql("INSERT INTO names VALUES (1, 'one'), (11, 'eleven')")
    assert env.sql(
        "WITH s AS (SELECT t.id, n.label, t.score FROM t LEFT JOIN names n ON n.id = t.id) "
        "SELECT id, label, rank() OVER (ORDER BY score DESC) FROM s "
        "WHERE id IN (SELECT id FROM t WHERE score > 0) ORDER BY id") == [
        (1, "one", 2), (11, "eleven", 1)]
    assert env.sql("SELECT count(*), sum(id), max(name) FROM t") == [(4, 26, "b")]
    assert env.sql("SHOW TABLES") == [("names", ""), ("t", "")]
    assert env.sql("SHOW COLUMNS FROM t") == [
        ("id", False, "integer", ""), ("name", True, "text", ""),
        ("score", True, "numeric(6,2)", "")]
    env.sql("DROP TABLE names")
    assert env.sql("SELECT name FROM mz_tables") == [("t",)]


@pytest.mark.parametrize(
    ("statement", "sqlstate"),
    [
        ("INSERT INTO t VALUES (NULL, 'x')", "23502"),
        ("INSERT INTO t VALUES ('abc', 'x')", "22P02"),
        ("INSERT INTO t VALUES (true, 'x')", "42804"),
        ("INSERT INTO t VALUES (1, 'x', 3)", "42601"),
        ("INSERT INTO t (nope) VALUES (1)", "42703"),
        ("INSERT INTO nope VALUES (1)", "42P01"),
        ("SELECT * FROM nope", "42P01"),
        ("SELECT nope FROM t", "42703"),
        ("UPDATE t SET nope = 1", "42703"),
        ("UPDATE t SET id = NULL", "23502"),
        ("INSERT INTO t VALUES (1, 'this is too long')", "22001"),
        ("INSERT INTO t VALUES (2147483648, 'x')", "22003"),
        ("SELECT id / 0 FROM t", "22012"),
        ("CREATE TABLE t (a int)", "42710"),
        ("CREATE TABLE bad (a nosuchtype)", "42704"),
        ("CREATE TABLE bad (a int, a int)", "42701"),
        ("CREATE TABLE bad (a int PRIMARY KEY)", "0A000"),
    ],
)
def test_write_errors(environmentd: Environmentd, statement: str, sqlstate: str) -> None:
    env = environmentd
    env.sql("CREATE TABLE t (id int NOT NULL, name varchar(5))")
    env.sql("INSERT INTO t VALUES (1, 'a')")
    with env.connect() as conn:
        with pytest.raises(psycopg.Error) as info:
            conn.execute(statement)
        assert info.value.sqlstate == sqlstate, info.value
        # Nothing was half-applied, and the session still works.
        assert conn.execute("SELECT id, name FROM t").fetchall() == [(1, "a")]


def test_reads_see_acknowledged_writes_across_connections(environmentd: Environmentd) -> None:
    env = environmentd
    env.sql("CREATE TABLE seen (i int)")
    with env.connect() as writer, env.connect() as reader:
        for i in range(20):
            writer.execute("INSERT INTO seen VALUES (%s)", [i])
            assert reader.execute("SELECT count(*) FROM seen").fetchone() == (i + 1,)


def test_concurrent_writers(environmentd: Environmentd) -> None:
    env = environmentd
    env.sql("CREATE TABLE c (writer int, i int)")
    errors: list[BaseException] = []

    def write(w: int) -> None:
        try:
            with env.connect() as conn:
                for i in range(25):
                    conn.execute("INSERT INTO c VALUES (%s, %s)", [w, i])
        except BaseException as e:
            errors.append(e)

    threads = [threading.Thread(target=write, args=(w,)) for w in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert env.sql("SELECT writer, count(*), count(DISTINCT i) FROM c GROUP BY writer "
                   "ORDER BY writer") == [(w, 25, 25) for w in range(4)]


def test_transactions(environmentd: Environmentd) -> None:
    env = environmentd
    env.sql("CREATE TABLE tx (i int)")
    env.sql("INSERT INTO tx VALUES (1)")
    with env.connect() as conn, env.connect() as other:
        # A read-only transaction reads at one timestamp.
        conn.execute("BEGIN")
        assert conn.execute("SELECT count(*) FROM tx").fetchone() == (1,)
        other.execute("INSERT INTO tx VALUES (2)")
        assert conn.execute("SELECT count(*) FROM tx").fetchone() == (1,)
        conn.execute("COMMIT")
        assert conn.execute("SELECT count(*) FROM tx").fetchone() == (2,)
        # Write transactions apply at COMMIT, atomically; ROLLBACK discards.
        conn.execute("BEGIN")
        conn.execute("INSERT INTO tx VALUES (3)")
        conn.execute("INSERT INTO tx VALUES (4)")
        assert other.execute("SELECT count(*) FROM tx").fetchone() == (2,)
        conn.execute("COMMIT")
        assert other.execute("SELECT count(*) FROM tx").fetchone() == (4,)
        conn.execute("BEGIN")
        conn.execute("INSERT INTO tx VALUES (5)")
        conn.execute("ROLLBACK")
        assert other.execute("SELECT count(*) FROM tx").fetchone() == (4,)
        conn.execute("BEGIN")
        conn.execute("INSERT INTO tx VALUES (6)")
        with pytest.raises(psycopg.errors.InvalidTransactionState):
            conn.execute("SELECT * FROM tx")
        conn.execute("ROLLBACK")


def test_select_on_cluster_without_replicas_fails_clearly(environmentd: Environmentd) -> None:
    env = environmentd
    env.sql("CREATE TABLE r (i int)")
    env.sql("CREATE CLUSTER empty (SIZE = '1', REPLICATION FACTOR = 0)")
    with env.connect() as conn:
        conn.execute("SET cluster = empty")
        with pytest.raises(psycopg.Error, match="has no replicas"):
            conn.execute("SELECT * FROM r")
        # Catalog queries do not need a replica.
        assert conn.execute("SELECT count(*) FROM mz_tables").fetchone() == (1,)
        conn.execute("SET cluster = quickstart")
        assert conn.execute("SELECT count(*) FROM r").fetchone() == (0,)


def test_select_on_another_cluster(environmentd: Environmentd) -> None:
    env = environmentd
    env.sql("CREATE TABLE r (i int)")
    env.sql("INSERT INTO r VALUES (7)")
    env.sql("CREATE CLUSTER two (SIZE = '2-1', REPLICATION FACTOR = 2)")
    with env.connect() as conn:
        conn.execute("SET cluster = two")
        assert conn.execute("SELECT i FROM r").fetchall() == [(7,)]


def test_copy_from_stdin_and_to_stdout(environmentd: Environmentd) -> None:
    env = environmentd
    env.sql("CREATE TABLE cp (id int NOT NULL, name text, at date)")
    with env.connect() as conn:
        with conn.cursor().copy("COPY cp FROM STDIN") as copy:
            for i in range(500):
                copy.write_row((i, None if i % 7 == 0 else f"n\t{i}", datetime.date(2024, 1, 1)))
        with conn.cursor().copy("COPY cp (id, name) FROM STDIN WITH (FORMAT csv)") as copy:
            copy.write('1000,"quoted, comma"\n1001,\n')
        assert conn.execute("SELECT count(*), count(name) FROM cp").fetchone() == (502, 429)
        assert conn.execute("SELECT name FROM cp WHERE id = 1000").fetchone() == (
            "quoted, comma",)
        # Bad data aborts the whole COPY: nothing from it is visible.
        with (pytest.raises(psycopg.errors.InvalidTextRepresentation),
              conn.cursor().copy("COPY cp FROM STDIN") as copy):
            copy.write("2000\tok\t2024-01-01\nnot-a-number\tx\t2024-01-01\n")
        with (pytest.raises(psycopg.errors.NotNullViolation),
              conn.cursor().copy("COPY cp (name) FROM STDIN") as copy):
            copy.write("no id\n")
        assert conn.execute("SELECT count(*) FROM cp").fetchone() == (502,)
        with conn.cursor().copy("COPY (SELECT id, name FROM cp WHERE id < 3 ORDER BY id) "
                                "TO STDOUT") as copy:
            copied = b"".join(bytes(chunk) for chunk in copy)
        assert copied == b"0\t\\N\n1\tn\\t1\n2\tn\\t2\n"
    # psql's \copy uses the same protocol.
    out = env.psql("-c", "\\copy cp (id, name) FROM STDIN", input="3000\tfrom psql\n\\.\n")
    assert out.returncode == 0, out.stderr
    assert env.sql("SELECT name FROM cp WHERE id = 3000") == [("from psql",)]


def test_asyncpg_with_tables(environmentd: Environmentd) -> None:
    environmentd.sql("CREATE TABLE ap (id int, tags text[], amount numeric)")

    async def run() -> list[Any]:
        conn = await asyncpg.connect(environmentd.url())
        try:
            await conn.executemany("INSERT INTO ap VALUES ($1, $2, $3)",
                                   [(1, ["a", "b"], decimal.Decimal("1.5")),
                                    (2, [], decimal.Decimal("-2"))])
            rows: list[Any] = await conn.fetch("SELECT * FROM ap WHERE id >= $1 ORDER BY id", 1)
            return [tuple(r) for r in rows]
        finally:
            await conn.close()

    assert asyncio.run(run()) == [(1, ["a", "b"], decimal.Decimal("1.5")),
                                  (2, [], decimal.Decimal("-2"))]


def test_names_shared_with_secrets_and_nonempty_schemas(environmentd: Environmentd) -> None:
    env = environmentd
    env.sql("CREATE SECRET pw AS 'hunter2'")
    with env.connect() as conn:
        with pytest.raises(psycopg.errors.DuplicateObject):
            conn.execute("CREATE TABLE pw (a int)")
        conn.execute("CREATE SCHEMA s")
        conn.execute("CREATE TABLE s.kept (a int)")
        conn.execute("INSERT INTO s.kept VALUES (1)")
        for drop in ("DROP SCHEMA s", "DROP DATABASE materialize"):
            with pytest.raises(psycopg.errors.DependentObjectsStillExist):
                conn.execute(drop)
        assert conn.execute("SELECT a FROM s.kept").fetchall() == [(1,)]
        conn.execute("DROP TABLE s.kept")
        conn.execute("DROP SCHEMA s")


LITERALS = ["1", "-5", "1.5", "'2.5'", "'abc'", "2147483648", "NULL", "true", "'t'",
            "'2020-01-01'", "1e3", "' 7 '", "'{\"a\": 2.50}'", "''"]
COLUMN_TYPES = ["int", "bigint", "numeric(5,2)", "float8", "text", "varchar(3)", "date",
                "boolean", "jsonb"]


def test_literal_inserts_equal_the_general_path(environmentd: Environmentd) -> None:
    """INSERT of plain literals skips query planning; ``(literal)`` (an expression) takes the
    general path. Both must store the same value or fail with the same SQLSTATE."""
    def outcome(conn: psycopg.Connection[Any], table: str, item: str) -> object:
        try:
            conn.execute(f"INSERT INTO {table} VALUES ({item})".encode())
            return conn.execute(f"SELECT c FROM {table}".encode()).fetchall()
        except psycopg.Error as e:
            return e.sqlstate

    with environmentd.connect() as conn:
        for i, typ in enumerate(COLUMN_TYPES):
            for j, lit in enumerate(LITERALS):
                fast, general = f"f_{i}_{j}", f"g_{i}_{j}"
                for t in (fast, general):
                    conn.execute(f"CREATE TABLE {t} (c {typ})".encode())
                assert outcome(conn, fast, lit) == outcome(conn, general, f"({lit})"), (typ, lit)
