"""pgwire driven by psycopg 3 and asyncpg (simple and extended protocol, text and binary)."""

from __future__ import annotations

import asyncio
import datetime as dt
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import asyncpg
import psycopg
import pytest
from tests.integration.pgwire_fixture import RunningServer, running_server, wait_until

pytestmark = pytest.mark.integration

EXPECTED_TYPED: tuple[Any, ...] = (
    True, -32768, 2147483647, -9223372036854775808, 1.5, 0.1, Decimal("-12345.6780"),
    "héllo", b"\x00\xff", dt.date(2024, 2, 29), dt.time(13, 4, 5, 120000),
    dt.datetime(1999, 12, 31, 23, 59, 59),
    dt.datetime(2024, 1, 2, 3, 4, 5, 6, tzinfo=dt.UTC),
    dt.timedelta(days=428, seconds=14706), {"a": [1, 2, None]},
    uuid.UUID("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"), ["a", "b c", None, ""], [1, None, 3],
    None,
)


@pytest.fixture
def srv() -> Iterator[RunningServer]:
    with running_server() as rs:
        yield rs


# ---------------------------------------------------------------- psycopg


@pytest.mark.parametrize("binary", [False, True])
def test_psycopg_typed_row(srv: RunningServer, binary: bool) -> None:
    with psycopg.connect(srv.dsn()) as conn:
        row = conn.cursor(binary=binary).execute("SELECT * FROM typed").fetchone()
    assert row == EXPECTED_TYPED


@pytest.mark.parametrize("binary", [False, True])
@pytest.mark.parametrize(
    ("cast", "value"),
    [
        ("int2", 7), ("int4", -5), ("int8", 2**40), ("float8", 2.5), ("float4", -0.25),
        ("numeric", Decimal("123456789.000123")), ("numeric", Decimal("-0.0001")),
        ("text", "it's \"quoted\""), ("bool", False), ("bytea", b"\x00\x01\\"),
        ("date", dt.date(1970, 1, 1)), ("time", dt.time(23, 59, 59, 999999)),
        ("timestamp", dt.datetime(2000, 1, 1, 0, 0, 0, 1)),
        ("timestamptz", dt.datetime(2030, 6, 1, 12, 0, tzinfo=dt.UTC)),
        ("interval", dt.timedelta(days=-1, seconds=5)),
        ("uuid", uuid.UUID(int=12345)),
    ],
)
def test_psycopg_param_round_trip(srv: RunningServer, cast: str, value: object,
                                  binary: bool) -> None:
    with psycopg.connect(srv.dsn()) as conn:
        cur = conn.cursor(binary=binary)
        placeholder = "%b" if binary else "%t"
        got = cur.execute(f"SELECT {placeholder}::{cast}", [value]).fetchone()
    assert got == (value,)


def test_psycopg_untyped_str_param_and_arrays(srv: RunningServer) -> None:
    with psycopg.connect(srv.dsn()) as conn:
        assert conn.execute("SELECT %s AS s", ["x,y"]).fetchone() == ("x,y",)
        got = conn.execute("SELECT %s::int8[]", [[1, None, 3]]).fetchone()
        assert got == ([1, None, 3],)
        got = conn.cursor(binary=True).execute("SELECT %b::text[]", [["a", None]]).fetchone()
        assert got == (["a", None],)


def test_psycopg_prepared_statements(srv: RunningServer) -> None:
    with psycopg.connect(srv.dsn(), prepare_threshold=0) as conn:
        for i in range(5):
            assert conn.execute("SELECT %s::int4 AS i", [i]).fetchone() == (i,)
        # prepare_threshold=0 makes psycopg use a named prepared statement each time.
        assert conn.execute("SELECT 1").fetchone() == (1,)


def test_psycopg_error_sqlstate_and_recovery(srv: RunningServer) -> None:
    with psycopg.connect(srv.dsn(), autocommit=True) as conn:
        with pytest.raises(psycopg.Error) as ei:
            conn.execute("select error")
        assert ei.value.sqlstate == "42703"
        assert ei.value.diag.message_detail == "some detail"
        assert ei.value.diag.message_hint == "some hint"
        assert ei.value.diag.statement_position == "8"
        assert conn.execute("SELECT 2").fetchone() == (2,)


def test_psycopg_transaction_status(srv: RunningServer) -> None:
    with psycopg.connect(srv.dsn()) as conn:  # not autocommit: psycopg sends BEGIN
        conn.execute("SELECT 1")
        status = conn.info.transaction_status
        assert status == psycopg.pq.TransactionStatus.INTRANS
        with pytest.raises(psycopg.Error):
            conn.execute("select error")
        status = conn.info.transaction_status
        assert status == psycopg.pq.TransactionStatus.INERROR
        with pytest.raises(psycopg.Error) as ei:
            conn.execute("SELECT 1")
        assert ei.value.sqlstate == "25P02"
        conn.rollback()
        assert conn.info.transaction_status == psycopg.pq.TransactionStatus.IDLE


def test_psycopg_bad_param_is_22p02(srv: RunningServer) -> None:
    with psycopg.connect(srv.dsn(), autocommit=True) as conn:
        with pytest.raises(psycopg.Error) as ei:
            conn.execute("SELECT %s::int4", ["12x"])
        assert ei.value.sqlstate == "22P02"
        assert conn.execute("SELECT 3").fetchone() == (3,)


def test_psycopg_notices_and_parameter_status(srv: RunningServer) -> None:
    with psycopg.connect(srv.dsn(), autocommit=True) as conn:
        notices: list[str] = []
        conn.add_notice_handler(lambda d: notices.append(d.message_primary or ""))
        conn.execute("select notice")
        assert notices == ["hello from notice"]
        conn.execute("SET cluster = c2")
        assert conn.info.parameter_status("cluster") == "c2"
        assert conn.info.parameter_status("TimeZone") == "UTC"


def test_psycopg_server_side_cursor_fetches_in_batches(srv: RunningServer) -> None:
    with psycopg.connect(srv.dsn()) as conn, conn.cursor() as cur:
        cur.execute("SELECT * FROM series(10)")
        assert cur.fetchall() == [(i,) for i in range(1, 11)]


@pytest.mark.parametrize("binary", [False, True])
def test_psycopg_large_result(srv: RunningServer, binary: bool) -> None:
    with psycopg.connect(srv.dsn()) as conn:
        rows = conn.cursor(binary=binary).execute("SELECT * FROM series(50000)").fetchall()
    assert len(rows) == 50000 and rows[-1] == (50000,)


def test_psycopg_cancel_safe(srv: RunningServer) -> None:
    with psycopg.connect(srv.dsn(), autocommit=True) as conn:
        errors: list[BaseException] = []

        def run() -> None:
            try:
                conn.execute("select sleep")
            except BaseException as e:
                errors.append(e)

        t = threading.Thread(target=run)
        t.start()
        wait_until(srv.client.sleeping.is_set)
        conn.cancel_safe(timeout=30)
        t.join(30)
        assert not t.is_alive()
        assert len(errors) == 1 and isinstance(errors[0], psycopg.errors.QueryCanceled)
        assert conn.execute("SELECT 1").fetchone() == (1,)
    assert srv.client.cancels == 1


def test_psycopg_cancel_against_server_process() -> None:
    # conn.cancel() blocks in libpq while holding the GIL, so the server runs elsewhere.
    proc = subprocess.Popen(
        [sys.executable, str(Path(__file__).with_name("pgwire_fixture.py"))],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )
    try:
        assert proc.stdout is not None
        port = int(proc.stdout.readline())
        dsn = f"host=127.0.0.1 port={port} user=alice dbname=db sslmode=disable"
        with psycopg.connect(dsn, autocommit=True) as conn:
            errors: list[BaseException] = []

            def run() -> None:
                try:
                    conn.execute("select sleep")
                except BaseException as e:
                    errors.append(e)

            t = threading.Thread(target=run)
            t.start()
            assert proc.stdout.readline().strip() == "sleeping"
            conn.cancel()
            t.join(30)
            assert len(errors) == 1 and isinstance(errors[0], psycopg.errors.QueryCanceled)
            assert errors[0].sqlstate == "57014"
            assert conn.execute("SELECT 1").fetchone() == (1,)
    finally:
        assert proc.stdin is not None
        proc.stdin.close()
        assert proc.wait(30) == 0


# ---------------------------------------------------------------- asyncpg


async def _asyncpg(srv: RunningServer) -> Any:
    return await asyncpg.connect(host="127.0.0.1", port=srv.port, user="alice",
                                 database="materialize", ssl=False)


async def test_asyncpg_fetch_with_params(srv: RunningServer) -> None:
    conn = await _asyncpg(srv)
    try:
        row = await conn.fetchrow(
            "SELECT $1::int8 AS a, $2::text AS b, $3::numeric AS c, $4::bool AS d, "
            "$5::timestamptz AS e, $6::jsonb AS f, $7::int2 AS g, $8::interval AS h, "
            "$9::uuid AS i, $10::bytea AS j, $11::float8 AS k, $12::date AS l",
            2**50, "héllo", Decimal("-1.50"), True,
            dt.datetime(2024, 5, 6, 7, 8, 9, tzinfo=dt.UTC), '{"b": 1, "a": 2}', -3,
            dt.timedelta(hours=25, microseconds=1), uuid.UUID(int=7), b"\x01\x02",
            float("inf"), dt.date(2001, 2, 3),
        )
        assert tuple(row) == (
            2**50, "héllo", Decimal("-1.50"), True,
            dt.datetime(2024, 5, 6, 7, 8, 9, tzinfo=dt.UTC), '{"a": 2, "b": 1}', -3,
            dt.timedelta(hours=25, microseconds=1), uuid.UUID(int=7), b"\x01\x02",
            float("inf"), dt.date(2001, 2, 3),
        )
    finally:
        await conn.close()


async def test_asyncpg_typed_row(srv: RunningServer) -> None:
    conn = await _asyncpg(srv)
    try:
        # Array columns would make asyncpg introspect pg_type, which the test adapter lacks.
        row = await conn.fetchrow("SELECT * FROM scalars")
        got = tuple(row)
        # asyncpg returns jsonb as text.
        assert got[:14] == EXPECTED_TYPED[:14]
        assert got[14] == '{"a": [1, 2, null]}'
        assert got[15:] == (EXPECTED_TYPED[15], None)
    finally:
        await conn.close()


async def test_asyncpg_prepared_and_cursor(srv: RunningServer) -> None:
    conn = await _asyncpg(srv)
    try:
        stmt = await conn.prepare("SELECT $1::int4 AS x, $2::text AS y")
        assert [a.name for a in stmt.get_attributes()] == ["x", "y"]
        for i in range(3):
            assert tuple(await stmt.fetchrow(i, str(i))) == (i, str(i))
        async with conn.transaction():
            rows = [r["n"] async for r in conn.cursor("SELECT * FROM series(25)", prefetch=4)]
        assert rows == list(range(1, 26))
    finally:
        await conn.close()


async def test_asyncpg_errors(srv: RunningServer) -> None:
    conn = await _asyncpg(srv)
    try:
        with pytest.raises(asyncpg.PostgresError) as ei:
            await conn.fetch("select error")
        assert ei.value.sqlstate == "42703"
        with pytest.raises(asyncpg.PostgresError) as ei:
            await conn.fetch("SELECT 1; SELECT 2")  # no params: still one Parse
        assert await conn.fetchval("SELECT 5::int8") == 5
    finally:
        await conn.close()


async def test_asyncpg_cancel_via_timeout(srv: RunningServer) -> None:
    conn = await _asyncpg(srv)
    try:
        task = asyncio.ensure_future(conn.fetch("select sleep"))
        deadline = asyncio.get_running_loop().time() + 10
        while not srv.client.sleeping.is_set():
            assert asyncio.get_running_loop().time() < deadline
            await asyncio.sleep(0.01)
        task.cancel()  # asyncpg sends a CancelRequest on a new connection
        with pytest.raises(asyncio.CancelledError):
            await task
        assert await conn.fetchval("SELECT 9::int4") == 9
    finally:
        await conn.close()
    assert srv.client.cancels == 1
