"""A tiny in-memory adapter and a server thread, to drive pgwire with real clients.

The adapter understands a fixed handful of statements (see ``_parse_one``); it is a harness
for the wire layer only, not a SQL engine. The server runs on its own event loop in a
background thread so blocking clients (psycopg, psql) can be used from the test.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import re
import ssl
import sys
import threading
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal

from pymz.adapter.client import (
    CommandResult,
    CopyInResult,
    CopyOptions,
    CopyOutResult,
    ExecuteResult,
    Notice,
    ParsedStatement,
    QueryResult,
    StartupRequest,
    StatementDescription,
    TransactionStatus,
)
from pymz.errors import (
    InFailedSqlTransaction,
    InvalidAuthorizationSpecification,
    PymzError,
    QueryCanceled,
    SqlSyntaxError,
    UndefinedColumn,
)
from pymz.pgwire import PgwireServer, codec, start_server
from pymz.repr import Column, Interval, ScalarType

TYPE_NAMES: dict[str, ScalarType] = {
    "bool": ScalarType.BOOL, "boolean": ScalarType.BOOL, "bytea": ScalarType.BYTEA,
    "int2": ScalarType.INT2, "smallint": ScalarType.INT2, "int4": ScalarType.INT4,
    "int": ScalarType.INT4, "integer": ScalarType.INT4, "int8": ScalarType.INT8,
    "bigint": ScalarType.INT8, "oid": ScalarType.OID, "float4": ScalarType.FLOAT4,
    "real": ScalarType.FLOAT4, "float8": ScalarType.FLOAT8, "numeric": ScalarType.NUMERIC,
    "text": ScalarType.TEXT, "varchar": ScalarType.VARCHAR, "date": ScalarType.DATE,
    "time": ScalarType.TIME, "timestamp": ScalarType.TIMESTAMP,
    "timestamptz": ScalarType.TIMESTAMPTZ, "interval": ScalarType.INTERVAL,
    "jsonb": ScalarType.JSONB, "uuid": ScalarType.UUID,
}

# One row of every type, with what PostgreSQL prints for it in text format.
TYPED_ROW: list[tuple[Column, object, str]] = [
    (Column("b", ScalarType.BOOL), True, "t"),
    (Column("i2", ScalarType.INT2), -32768, "-32768"),
    (Column("i4", ScalarType.INT4), 2147483647, "2147483647"),
    (Column("i8", ScalarType.INT8), -9223372036854775808, "-9223372036854775808"),
    (Column("f4", ScalarType.FLOAT4), 1.5, "1.5"),
    (Column("f8", ScalarType.FLOAT8), 0.1, "0.1"),
    # Numerics print without trailing fractional zeros (Materialize), whatever the scale.
    (Column("n", ScalarType.NUMERIC), Decimal("-12345.6780"), "-12345.678"),
    (Column("t", ScalarType.TEXT), "héllo", "héllo"),
    (Column("by", ScalarType.BYTEA), b"\x00\xff", "\\x00ff"),
    (Column("d", ScalarType.DATE), dt.date(2024, 2, 29), "2024-02-29"),
    (Column("tm", ScalarType.TIME), dt.time(13, 4, 5, 120000), "13:04:05.12"),
    (Column("ts", ScalarType.TIMESTAMP), dt.datetime(1999, 12, 31, 23, 59, 59),
     "1999-12-31 23:59:59"),
    (Column("tz", ScalarType.TIMESTAMPTZ),
     dt.datetime(2024, 1, 2, 3, 4, 5, 6, tzinfo=dt.UTC), "2024-01-02 03:04:05.000006+00"),
    (Column("iv", ScalarType.INTERVAL), Interval(14, 3, 14_706_000_000),
     "1 year 2 mons 3 days 04:05:06"),
    (Column("j", ScalarType.JSONB), '{"a": [1, 2, null]}', '{"a": [1, 2, null]}'),
    (Column("u", ScalarType.UUID), uuid.UUID("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"),
     "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"),
    (Column("arr", ScalarType.TEXT, is_array=True), ["a", "b c", None, ""],
     '{a,"b c",NULL,""}'),
    (Column("iarr", ScalarType.INT4, is_array=True), [1, None, 3], "{1,NULL,3}"),
    (Column("nul", ScalarType.TEXT), None, ""),
]


@dataclass(frozen=True)
class Expr:
    literal: str | None  # source text of a literal ('..' unquoted), None for $n / NULL
    param: int | None
    type: ScalarType
    is_array: bool
    name: str
    is_null: bool = False


@dataclass(frozen=True)
class Stmt:
    kind: str  # SELECT, TYPED, SERIES, SLEEP, ERROR, NOTICE, BEGIN, COMMIT, ROLLBACK, SET, SHOW
    exprs: tuple[Expr, ...] = ()
    arg: str = ""
    value: str = ""


_EXPR = re.compile(
    r"\s*(?:(?P<str>'(?:[^']|'')*')|(?P<num>-?\d+(?:\.\d*)?)|(?P<param>\$\d+)"
    r"|(?P<word>true|false|null))"
    r"(?:::(?P<cast>[a-z0-9]+)(?P<arr>\[\])?)?(?:\s+as\s+(?P<alias>\w+))?\s*(?:,|$)",
    re.IGNORECASE,
)


def _split(sql: str) -> list[str]:
    out: list[str] = []
    cur: list[str] = []
    quoted = False
    for c in sql:
        if c == "'":
            quoted = not quoted
        if c == ";" and not quoted:
            out.append("".join(cur))
            cur = []
        else:
            cur.append(c)
    out.append("".join(cur))
    return [s.strip() for s in out if s.strip()]


def _parse_one(sql: str) -> Stmt:
    low = sql.lower()
    fixed = {"select * from typed": "TYPED", "select * from scalars": "SCALARS",
             "select sleep": "SLEEP", "select error": "ERROR", "select notice": "NOTICE",
             "begin": "BEGIN", "commit": "COMMIT", "rollback": "ROLLBACK"}
    if low in fixed:
        return Stmt(fixed[low])
    if m := re.fullmatch(r"select \* from series\((\d+)\)", low):
        return Stmt("SERIES", arg=m[1])
    if m := re.fullmatch(r"copy t (to stdout|from stdin)(.*)", sql, re.IGNORECASE | re.DOTALL):
        return Stmt("COPYOUT" if m[1].lower() == "to stdout" else "COPYIN", arg=m[2])
    if m := re.fullmatch(r"set (\w+)\s*(?:=|to)\s*'?([^']*)'?", sql, re.IGNORECASE):
        return Stmt("SET", arg=m[1].lower(), value=m[2])
    if m := re.fullmatch(r"show (\w+)", low):
        return Stmt("SHOW", arg=m[1])
    if low.startswith("select "):
        exprs: list[Expr] = []
        rest, pos = sql[7:], 0
        while pos < len(rest):
            m = _EXPR.match(rest, pos)
            if not m or m.end() == pos:
                raise SqlSyntaxError("syntax error at or near", position=8 + pos)
            pos = m.end()
            exprs.append(_expr(m))
        return Stmt("SELECT", tuple(exprs))
    word = sql.split(maxsplit=1)[0] if sql.split() else sql
    raise SqlSyntaxError(f'syntax error at or near "{word}"', position=1)


def _expr(m: re.Match[str]) -> Expr:
    cast = m["cast"]
    typ = TYPE_NAMES[cast.lower()] if cast else None
    name = m["alias"] or "?column?"
    arr = bool(m["arr"])
    if m["param"]:
        return Expr(None, int(m["param"][1:]), typ or ScalarType.UNKNOWN, arr, name)
    if m["str"]:
        return Expr(m["str"][1:-1].replace("''", "'"), None, typ or ScalarType.TEXT, arr, name)
    if m["num"]:
        default = ScalarType.NUMERIC if "." in m["num"] else ScalarType.INT4
        return Expr(m["num"], None, typ or default, arr, name)
    word = m["word"].lower()
    if word == "null":
        return Expr(None, None, typ or ScalarType.TEXT, arr, name, is_null=True)
    return Expr(word, None, typ or ScalarType.BOOL, arr, name)


@dataclass
class FakeSession:
    connection_id: int
    request: StartupRequest
    client: FakeClient
    vars: dict[str, str] = field(default_factory=dict)
    in_block: bool = False
    failed: bool = False
    notices: list[Notice] = field(default_factory=list)
    changes: dict[str, str] = field(default_factory=dict)
    cancel_event: asyncio.Event = field(default_factory=asyncio.Event)
    terminated: bool = False
    # Parameter types chosen at describe time, so execute reports the same columns.
    described: dict[int, tuple[int, ...]] = field(default_factory=dict)

    @property
    def transaction_status(self) -> TransactionStatus:
        return "E" if self.failed else ("T" if self.in_block else "I")

    def startup_parameters(self) -> Mapping[str, str]:
        return {
            "server_version": "9.5.0", "server_encoding": "UTF8", "client_encoding": "UTF8",
            "DateStyle": "ISO, MDY", "IntervalStyle": "postgres", "TimeZone": "UTC",
            "integer_datetimes": "on", "standard_conforming_strings": "on",
            "application_name": self.request.application_name, "is_superuser": "off",
        }

    def parse(self, sql: str) -> list[ParsedStatement]:
        return [ParsedStatement(s, _parse_one(s), s.split()[0].upper()) for s in _split(sql)]

    def _param_oids(self, st: Stmt, given: Sequence[int]) -> tuple[int, ...]:
        n = max([e.param or 0 for e in st.exprs] + [len(given)])
        oids = [given[i] if i < len(given) else 0 for i in range(n)]
        for e in st.exprs:
            if e.param and oids[e.param - 1] == 0:
                t = ScalarType.TEXT if e.type is ScalarType.UNKNOWN else e.type
                oids[e.param - 1] = t.array_oid if e.is_array else t.oid
        return tuple(o or ScalarType.TEXT.oid for o in oids)

    def _columns(self, st: Stmt, oids: Sequence[int]) -> tuple[Column, ...] | None:
        if st.kind == "TYPED":
            return tuple(c for c, _, _ in TYPED_ROW)
        if st.kind == "SCALARS":
            return tuple(c for c, _, _ in TYPED_ROW if not c.is_array)
        if st.kind == "SERIES":
            return (Column("n", ScalarType.INT8),)
        if st.kind in ("SLEEP", "NOTICE", "ERROR"):
            return (Column(st.kind.lower(), ScalarType.INT4),)
        if st.kind == "SHOW":
            return (Column(st.arg, ScalarType.TEXT),)
        if st.kind != "SELECT":
            return None
        cols = []
        for e in st.exprs:
            if e.param and e.type is ScalarType.UNKNOWN:
                oid = oids[e.param - 1]
                t = ScalarType.from_oid(oid)
                if t is not None:
                    cols.append(Column(e.name, t))
                    continue
                elem = next(s for s in ScalarType if s.array_oid == oid)
                cols.append(Column(e.name, elem, is_array=True))
            else:
                cols.append(Column(e.name, e.type, is_array=e.is_array))
        return tuple(cols)

    async def describe(self, statement: ParsedStatement,
                       param_oids: Sequence[int]) -> StatementDescription:
        st = statement.ast
        assert isinstance(st, Stmt)
        oids = self._param_oids(st, param_oids)
        self.described[id(st)] = oids
        return StatementDescription(oids, self._columns(st, oids))

    async def execute(self, statement: ParsedStatement,
                      params: Sequence[object | None]) -> ExecuteResult:
        st = statement.ast
        assert isinstance(st, Stmt)
        if self.failed and st.kind not in ("COMMIT", "ROLLBACK"):
            raise InFailedSqlTransaction(
                "current transaction is aborted, commands ignored until end of transaction block")
        try:
            return await self._execute(st, params)
        except PymzError:
            if self.in_block:
                self.failed = True
            raise

    async def _execute(self, st: Stmt, params: Sequence[object | None]) -> ExecuteResult:
        self.client.executed.append(st.kind)
        if st.kind == "BEGIN":
            self.in_block = True
            return CommandResult("BEGIN")
        if st.kind in ("COMMIT", "ROLLBACK"):
            tag = "ROLLBACK" if self.failed else st.kind
            self.in_block = self.failed = False
            return CommandResult(tag)
        if st.kind == "SET":
            self.vars[st.arg] = st.value
            self.changes[st.arg] = st.value
            return CommandResult("SET")
        if st.kind == "COPYOUT":
            return CopyOutResult(COPY_COLUMNS, _copy_options(st.arg), _batches(),
                                 f"COPY {len(COPY_ROWS)}")
        if st.kind == "COPYIN":
            return CopyInResult(COPY_COLUMNS, _copy_options(st.arg), FakeSink(self.client))
        cols = self._columns(st, self.described.get(id(st), self._param_oids(st, ())))
        assert cols is not None
        if st.kind == "SHOW":
            rows: list[tuple[object, ...]] = [(self.vars.get(st.arg, ""),)]
        elif st.kind == "TYPED":
            rows = [tuple(v for _, v, _ in TYPED_ROW)]
        elif st.kind == "SCALARS":
            rows = [tuple(v for c, v, _ in TYPED_ROW if not c.is_array)]
        elif st.kind == "SERIES":
            rows = [(i,) for i in range(1, int(st.arg) + 1)]
        elif st.kind == "SLEEP":
            self.cancel_event.clear()
            self.client.sleeping.set()
            self.client.on_sleep()
            try:
                await self.cancel_event.wait()
            finally:
                self.client.sleeping.clear()
            raise QueryCanceled("canceling statement due to user request")
        elif st.kind == "ERROR":
            raise UndefinedColumn('column "nope" does not exist', detail="some detail",
                                  hint="some hint", position=8)
        elif st.kind == "NOTICE":
            self.notices.append(Notice("NOTICE", "00000", "hello from notice", detail="d"))
            rows = [(1,)]
        else:
            values: list[object] = []
            for e in st.exprs:
                if e.is_null:
                    values.append(None)
                elif e.param:
                    values.append(params[e.param - 1])
                else:
                    assert e.literal is not None
                    oid = e.type.array_oid if e.is_array else e.type.oid
                    values.append(codec.decoder(oid, codec.TEXT)(e.literal.encode()))
            rows = [tuple(values)]
        return QueryResult(cols, rows, f"SELECT {len(rows)}")

    def end_implicit_transaction(self, *, failed: bool) -> None:
        if failed and self.in_block:
            self.failed = True

    def cancel(self) -> None:
        self.client.cancels += 1
        self.cancel_event.set()

    def drain_notices(self) -> list[Notice]:
        out, self.notices = self.notices, []
        return out

    def drain_parameter_changes(self) -> dict[str, str]:
        out, self.changes = self.changes, {}
        return out

    async def terminate(self) -> None:
        self.terminated = True
        self.client.terminated += 1


COPY_COLUMNS = (Column("a", ScalarType.INT4), Column("b", ScalarType.TEXT),
                Column("c", ScalarType.NUMERIC))
COPY_ROWS: list[tuple[object | None, ...]] = [
    (1, "x\ty", Decimal("1.5")), (None, 'q"uote,', None), (3, "", Decimal("0")),
]


async def _batches() -> AsyncIterator[Sequence[tuple[object | None, ...]]]:
    yield COPY_ROWS[:2]
    yield COPY_ROWS[2:]


def _copy_options(text: str) -> CopyOptions:
    low = text.lower()
    fmt = m[1] if (m := re.search(r"format (\w+)", low)) else "text"
    assert fmt in ("text", "csv", "binary")
    delim = m[1] if (m := re.search(r"delimiter '(.)'", text, re.IGNORECASE)) else None
    null = m[1] if (m := re.search(r"null '([^']*)'", text, re.IGNORECASE)) else None
    return CopyOptions(format=fmt, delimiter=delim, null=null,  # type: ignore[arg-type]
                       header="header" in low)


class FakeSink:
    def __init__(self, client: FakeClient) -> None:
        self.client = client
        self.rows: list[tuple[object | None, ...]] = []

    async def write_rows(self, rows: Sequence[tuple[object | None, ...]]) -> None:
        self.rows.extend(rows)

    async def finish(self) -> CommandResult:
        self.client.copied.extend(self.rows)
        return CommandResult(f"COPY {len(self.rows)}")

    async def abort(self, reason: str) -> None:
        self.client.copy_aborts.append(reason)


class FakeClient:
    def __init__(self) -> None:
        self.next_id = 1000
        self.sessions: list[FakeSession] = []
        self.executed: list[str] = []
        self.sleeping = threading.Event()  # set while a SLEEP statement waits
        self.cancels = 0
        self.terminated = 0
        self.copied: list[tuple[object | None, ...]] = []
        self.copy_aborts: list[str] = []
        self.on_sleep: Callable[[], None] = lambda: None

    async def new_session(self, request: StartupRequest) -> FakeSession:
        if request.user == "nobody":
            raise InvalidAuthorizationSpecification('role "nobody" does not exist')
        self.next_id += 1
        s = FakeSession(self.next_id, request, self)
        self.sessions.append(s)
        return s


@dataclass
class RunningServer:
    server: PgwireServer
    client: FakeClient
    loop: asyncio.AbstractEventLoop

    @property
    def port(self) -> int:
        return self.server.port

    def dsn(self, **extra: str) -> str:
        parts = {"host": "127.0.0.1", "port": str(self.port), "user": "alice",
                 "dbname": "materialize", "sslmode": "disable", **extra}
        return " ".join(f"{k}={v}" for k, v in parts.items())


def wait_until(cond: object, timeout: float = 10.0) -> None:
    """Poll ``cond()`` until true or fail after ``timeout`` seconds."""
    assert callable(cond)
    deadline = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met before deadline")
        time.sleep(0.01)


@contextmanager
def running_server(ssl_context: ssl.SSLContext | None = None) -> Iterator[RunningServer]:
    """A pgwire server over a :class:`FakeClient`, on an ephemeral port, in a thread."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    client = FakeClient()
    server = asyncio.run_coroutine_threadsafe(
        start_server(client, "127.0.0.1", 0, ssl_context=ssl_context), loop).result(10)
    try:
        yield RunningServer(server, client, loop)
    finally:
        asyncio.run_coroutine_threadsafe(server.close(), loop).result(30)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()


async def _serve_stdio() -> None:
    """Serve until stdin closes; print the port, then a line whenever a SLEEP starts."""
    client = FakeClient()
    client.on_sleep = lambda: print("sleeping", flush=True)
    server = await start_server(client, "127.0.0.1", 0)
    print(server.port, flush=True)
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(None, sys.stdin.read)
    await server.close()


if __name__ == "__main__":
    # A server in its own process, for clients whose blocking calls hold the GIL
    # (libpq's PQcancel in psycopg's C implementation would deadlock an in-process server).
    asyncio.run(_serve_stdio())
