"""One client connection: startup handshake, then the simple and extended query protocols."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import ssl
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from pymz.adapter.client import (
    AdapterSession,
    CommandResult,
    CopyInResult,
    CopyOutResult,
    ExecuteResult,
    ParsedStatement,
    QueryResult,
    StatementDescription,
)
from pymz.errors import (
    AdminShutdown,
    DuplicatePreparedStatement,
    FeatureNotSupported,
    InternalError,
    InvalidCursorName,
    ProtocolViolation,
    PymzError,
    QueryCanceled,
    SqlSyntaxError,
    UndefinedPreparedStatement,
)
from pymz.pgwire import codec
from pymz.pgwire import messages as m
from pymz.pgwire.copy import CopyDecoder, CopyEncoder, format_code
from pymz.pgwire.startup import startup_request
from pymz.repr import Column

if TYPE_CHECKING:
    from pymz.pgwire.server import PgwireServer

log = logging.getLogger(__name__)

_FLUSH_AT = 64 * 1024


class _ConnectionEndError(Exception):
    """Ends the connection; never rendered as an ordinary ERROR."""


class _ClosedError(_ConnectionEndError):
    """The connection is over (Terminate, EOF, fatal error already reported)."""


class _FatalProtocolError(_ConnectionEndError):
    """A framing error inside a sub-protocol (COPY): FATAL, then close."""

    def __init__(self, error: PymzError) -> None:
        super().__init__(error.message)
        self.error = error


@dataclass
class _Prepared:
    statement: ParsedStatement | None  # None: the empty query
    desc: StatementDescription


@dataclass
class _Portal:
    statement_name: str
    prepared: _Prepared
    params: Sequence[object | None]
    result_formats: list[int]
    result: ExecuteResult | None = None
    offset: int = 0
    encoders: list[codec.Encoder] = field(default_factory=list)


def error_fields(err: PymzError, severity: str | None = None) -> dict[str, str | None]:
    sev = severity or err.severity
    return {
        "S": sev,
        "V": sev,
        "C": err.sqlstate,
        "M": err.message,
        "D": err.detail,
        "H": err.hint,
        "P": str(err.position) if err.position is not None else None,
    }


def _expand_formats(codes: Sequence[int], n: int, what: str, against: str) -> list[int]:
    """PostgreSQL's 0/1/N rule for format codes."""
    if len(codes) == 0:
        out = [codec.TEXT] * n
    elif len(codes) == 1:
        out = [codes[0]] * n
    elif len(codes) == n:
        out = list(codes)
    else:
        raise ProtocolViolation(f"bind message has {len(codes)} {what} formats but {n} {against}")
    for c in out:
        if c not in (codec.TEXT, codec.BINARY):
            raise ProtocolViolation(f"unsupported format code: {c}")
    return out


class Connection:
    def __init__(self, server: PgwireServer) -> None:
        self.server = server
        self.lost = asyncio.Event()
        self.session: AdapterSession | None = None
        # The COPY TO stream in progress (SUBSCRIBE): what a CancelRequest cancels once the
        # statement itself has returned.
        self._copy_task: asyncio.Future[bytes] | None = None
        self.pid = 0
        self.secret = secrets.randbits(32) - 2**31
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None
        self._out = bytearray()
        self._statements: dict[str, _Prepared] = {}
        self._portals: dict[str, _Portal] = {}
        self._ignore_till_sync = False
        self._failed_since_sync = False

    # ------------------------------------------------------------ I/O

    def _send(self, data: bytes) -> None:
        self._out += data

    async def _flush(self) -> None:
        assert self.writer is not None
        if self._out:
            self.writer.write(bytes(self._out))
            self._out.clear()
        await self.writer.drain()

    async def _maybe_flush(self) -> None:
        if len(self._out) >= _FLUSH_AT:
            await self._flush()

    async def _read(self, n: int) -> bytes:
        assert self.reader is not None
        try:
            return await self.reader.readexactly(n)
        except asyncio.IncompleteReadError as e:
            if e.partial:
                raise ProtocolViolation("unexpected EOF within message") from None
            raise _ClosedError from None
        except (ConnectionError, ssl.SSLError):
            raise _ClosedError from None

    async def _read_frame(self, *, startup: bool) -> tuple[int, bytes]:
        tag = 0 if startup else (await self._read(1))[0]
        hdr = await self._read(4)
        length = int.from_bytes(hdr, "big", signed=True)
        try:
            m.check_length(length, startup=startup)
        except ProtocolViolation:
            self.server.stats.protocol_errors_total += 1
            raise
        return tag, await self._read(length - 4)

    # ------------------------------------------------------------ lifecycle

    async def run(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer
        stats = self.server.stats
        stats.connections_total += 1
        stats.connections_active += 1
        try:
            if await self._startup():
                await self._serve()
        except _ClosedError:
            pass
        except _FatalProtocolError as e:
            stats.protocol_errors_total += 1
            await self._fatal(e.error)
        except ProtocolViolation as e:
            stats.protocol_errors_total += 1
            await self._fatal(e)
        except PymzError as e:
            await self._fatal(e)
        except asyncio.CancelledError:
            if not self.server.closing:
                raise
            await self._fatal(AdminShutdown("terminating connection due to administrator command"))
        except (ConnectionError, ssl.SSLError):
            pass
        except Exception:
            log.exception("pgwire connection failed")
            await self._fatal(InternalError("internal error in connection handling"))
        finally:
            stats.connections_active -= 1
            self.server.unregister(self)
            if self.session is not None:
                try:
                    await self.session.terminate()
                except Exception:
                    log.exception("terminating session failed")
            writer.close()

    async def _fatal(self, err: PymzError) -> None:
        self._out.clear()
        self._send(m.error_response(error_fields(err, "FATAL")))
        try:
            assert self.writer is not None
            self.writer.write(bytes(self._out))
            self._out.clear()
            # Do not wait on a client that stopped reading.
            await asyncio.wait_for(self.writer.drain(), timeout=1.0)
        except (ConnectionError, TimeoutError, ssl.SSLError):
            pass

    async def _startup(self) -> bool:
        assert self.writer is not None
        tls = False
        while True:
            _, body = await self._read_frame(startup=True)
            pkt = m.decode_startup(body)
            if isinstance(pkt, m.SslRequest):
                ctx = self.server.ssl_context
                if ctx is None or tls:
                    self.writer.write(b"N")
                    continue
                self.writer.write(b"S")
                await self.writer.drain()
                await self.writer.start_tls(ctx)
                tls = True
            elif isinstance(pkt, m.GssEncRequest):
                self.writer.write(b"N")
            elif isinstance(pkt, m.CancelRequest):
                self.server.stats.cancel_requests_total += 1
                self.server.cancel(pkt.pid, pkt.secret)
                return False
            else:
                return await self._open_session(pkt)

    async def _open_session(self, pkt: m.Startup) -> bool:
        major, minor = pkt.version >> 16, pkt.version & 0xFFFF
        if major != 3:
            raise FeatureNotSupported(
                f"unsupported frontend protocol {major}.{minor}: server supports 3.0 to 3.0"
            )
        unrecognized = [k for k in pkt.params if k.startswith("_pq_.")]
        if minor > 0 or unrecognized:
            self._send(m.negotiate_protocol_version(0, unrecognized))
        session = await self.server.client.new_session(startup_request(pkt.params))
        self.session = session
        self.pid = session.connection_id & 0x7FFFFFFF
        self.server.register(self)
        self._send(m.authentication_ok())
        for k, v in session.startup_parameters().items():
            self._send(m.parameter_status(k, v))
        self._send(m.backend_key_data(self.pid, self.secret))
        self._send(m.ready_for_query(session.transaction_status))
        await self._flush()
        return True

    # ------------------------------------------------------------ message loop

    async def _serve(self) -> None:
        while True:
            tag, body = await self._read_frame(startup=False)
            msg = m.decode_message(tag, body)
            if isinstance(msg, m.Terminate):
                return
            if isinstance(msg, m.Sync):
                await self._sync()
                continue
            if isinstance(msg, m.Flush):
                await self._flush()
                continue
            if isinstance(msg, m.CopyData | m.CopyDone | m.CopyFail):
                continue  # stragglers of a COPY FROM STDIN that already failed
            if self._ignore_till_sync:
                continue
            if isinstance(msg, m.Query):
                await self._simple_query(msg.sql)
                continue
            try:
                await self._extended(msg)
            except PymzError as e:
                self._error(e)
                self._ignore_till_sync = True
                # Like PostgreSQL, errors go out at once, not at the next Sync/Flush.
                await self._flush()
            await self._maybe_flush()

    def _error(self, err: PymzError) -> None:
        self.server.stats.errors_total += 1
        self._failed_since_sync = True
        self._send(m.error_response(error_fields(err)))

    def _send_async_messages(self) -> None:
        assert self.session is not None
        for n in self.session.drain_notices():
            self._send(m.notice_response({
                "S": n.severity, "V": n.severity, "C": n.sqlstate, "M": n.message,
                "D": n.detail, "H": n.hint,
            }))
        for k, v in self.session.drain_parameter_changes().items():
            self._send(m.parameter_status(k, v))

    async def _run_adapter(self, statement: ParsedStatement,
                           params: Sequence[object | None]) -> ExecuteResult:
        """Execute, cancelling the statement if the client goes away meanwhile."""
        assert self.session is not None
        self.server.stats.queries_total += 1
        task = asyncio.ensure_future(self.session.execute(statement, params))
        lost = asyncio.ensure_future(self.lost.wait())
        try:
            await asyncio.wait({task, lost}, return_when=asyncio.FIRST_COMPLETED)
        except asyncio.CancelledError:
            self.session.cancel()
            task.cancel()
            raise
        finally:
            lost.cancel()
        if task.done():
            return _adapter_result(task)
        self.session.cancel()
        with contextlib.suppress(Exception):
            await task
        raise _ClosedError

    # ------------------------------------------------------------ simple query

    async def _simple_query(self, sql: str) -> None:
        assert self.session is not None
        failed = False
        self._statements.pop("", None)
        self._portals.pop("", None)
        try:
            statements = self.session.parse(sql)
            if not statements:
                self._send(m.empty_query_response())
            for st in statements:
                result = await self._run_adapter(st, ())
                if isinstance(result, QueryResult):
                    cols = result.columns
                    self._send(m.row_description(cols, [codec.TEXT] * len(cols)))
                    await self._send_rows([codec.text_encoder(c) for c in cols], result.rows)
                    self._send(m.command_complete(result.tag))
                else:
                    await self._emit_other(result)
                self._send_async_messages()
        except _ConnectionEndError:
            raise
        except PymzError as e:
            failed = True
            self._error(e)
        except Exception as e:
            failed = True
            self._error(_internal(e))
        try:
            self.session.end_implicit_transaction(failed=failed)
        except PymzError as e:
            self._error(e)
        self._failed_since_sync = False
        self._send_async_messages()
        self._send(m.ready_for_query(self.session.transaction_status))
        await self._flush()

    async def _send_rows(self, encoders: Sequence[codec.Encoder],
                         rows: Sequence[tuple[object, ...]]) -> None:
        for row in rows:
            self._send(m.data_row(
                None if v is None else enc(v) for enc, v in zip(encoders, row, strict=True)
            ))
            if len(self._out) >= _FLUSH_AT:
                await self._flush()

    # ------------------------------------------------------------ extended query

    async def _extended(self, msg: m.FrontendMessage) -> None:
        try:
            if isinstance(msg, m.Parse):
                await self._parse(msg)
            elif isinstance(msg, m.Bind):
                self._bind(msg)
            elif isinstance(msg, m.Describe):
                self._describe(msg)
            elif isinstance(msg, m.Execute):
                await self._execute(msg)
            elif isinstance(msg, m.Close):
                if msg.kind == "S":
                    self._statements.pop(msg.name, None)
                    for name in [k for k, p in self._portals.items()
                                 if p.statement_name == msg.name]:
                        del self._portals[name]
                else:
                    self._portals.pop(msg.name, None)
                self._send(m.close_complete())
            elif isinstance(msg, m.PasswordMessage):
                raise ProtocolViolation("unexpected password message")
        except (PymzError, _ConnectionEndError, asyncio.CancelledError):
            raise
        except Exception as e:
            raise _internal(e) from e

    async def _parse(self, msg: m.Parse) -> None:
        assert self.session is not None
        if msg.name and msg.name in self._statements:
            raise DuplicatePreparedStatement(f'prepared statement "{msg.name}" already exists')
        statements = self.session.parse(msg.sql)
        if len(statements) > 1:
            raise SqlSyntaxError("cannot insert multiple commands into a prepared statement")
        if not statements:
            prepared = _Prepared(None, StatementDescription(msg.param_oids, None))
        else:
            desc = await self.session.describe(statements[0], msg.param_oids)
            prepared = _Prepared(statements[0], desc)
        self._statements[msg.name] = prepared
        self._send(m.parse_complete())

    def _lookup_statement(self, name: str) -> _Prepared:
        prepared = self._statements.get(name)
        if prepared is None:
            raise UndefinedPreparedStatement(f'prepared statement "{name}" does not exist')
        return prepared

    def _lookup_portal(self, name: str) -> _Portal:
        portal = self._portals.get(name)
        if portal is None:
            raise InvalidCursorName(f'portal "{name}" does not exist')
        return portal

    def _bind(self, msg: m.Bind) -> None:
        prepared = self._lookup_statement(msg.statement)
        if msg.portal and msg.portal in self._portals:
            raise PymzError(f'cursor "{msg.portal}" already exists', sqlstate="42P03")
        oids = prepared.desc.param_oids
        if len(msg.params) != len(oids):
            raise ProtocolViolation(
                f"bind message supplies {len(msg.params)} parameters, but prepared statement "
                f'"{msg.statement}" requires {len(oids)}'
            )
        formats = _expand_formats(msg.param_formats, len(oids), "parameter", "parameters")
        params = [
            None if raw is None else codec.decoder(oid, fmt)(raw)
            for raw, oid, fmt in zip(msg.params, oids, formats, strict=True)
        ]
        ncols = len(prepared.desc.columns or ())
        rformats = _expand_formats(msg.result_formats, ncols, "result", "columns")
        self._portals[msg.portal] = _Portal(msg.statement, prepared, params, rformats)
        self._send(m.bind_complete())

    def _describe(self, msg: m.Describe) -> None:
        if msg.kind == "S":
            prepared = self._lookup_statement(msg.name)
            self._send(m.parameter_description(prepared.desc.param_oids))
            formats: list[int] | None = None
        else:
            portal = self._lookup_portal(msg.name)
            prepared = portal.prepared
            formats = portal.result_formats
        cols = prepared.desc.columns
        if cols is None:
            self._send(m.no_data())
        else:
            self._send(m.row_description(cols, formats or [codec.TEXT] * len(cols)))

    async def _execute(self, msg: m.Execute) -> None:
        portal = self._lookup_portal(msg.portal)
        statement = portal.prepared.statement
        if statement is None:
            self._send(m.empty_query_response())
            return
        if portal.result is None:
            result = await self._run_adapter(statement, portal.params)
            if isinstance(result, CopyInResult | CopyOutResult):
                await self._emit_other(result)
                # COPY runs once; executing the portal again only repeats the tag.
                portal.result = CommandResult(result.tag if isinstance(
                    result, CopyOutResult) else "COPY 0")
                self._send_async_messages()
                return
            portal.result = result
            if isinstance(portal.result, QueryResult):
                portal.encoders = _encoders(portal.result.columns, portal.result_formats)
        result = portal.result
        if isinstance(result, CommandResult):
            self._send(m.command_complete(result.tag))
        elif isinstance(result, QueryResult):
            start = portal.offset
            end = len(result.rows) if msg.max_rows <= 0 else min(
                len(result.rows), start + msg.max_rows)
            await self._send_rows(portal.encoders, result.rows[start:end])
            portal.offset = end
            # Like PostgreSQL, a batch that fills max_rows suspends even if nothing is left.
            if msg.max_rows > 0 and end - start == msg.max_rows:
                self._send(m.portal_suspended())
            elif start == 0:
                self._send(m.command_complete(result.tag))
            else:
                self._send(m.command_complete(f"SELECT {end - start}"))
        self._send_async_messages()

    async def _emit_other(self, result: ExecuteResult) -> None:
        """Send a non-row result: a command tag, or run a COPY sub-protocol."""
        if isinstance(result, CommandResult):
            self._send(m.command_complete(result.tag))
        elif isinstance(result, CopyOutResult):
            await self._copy_out(result)
        elif isinstance(result, CopyInResult):
            await self._copy_in(result)
        else:
            raise InternalError("unexpected query result")

    def cancel_stream(self) -> None:
        if self._copy_task is not None and not self._copy_task.done():
            self._copy_task.cancel()

    async def _copy_out(self, result: CopyOutResult) -> None:
        enc = CopyEncoder(result.columns, result.options)
        fmt = format_code(result.options)
        self._send(m.copy_out_response(fmt, [fmt] * len(result.columns)))
        # Like PostgreSQL, the binary header shares the first row's message.
        prefix = b""
        if head := enc.header():
            if result.options.format == "binary":
                prefix = head
            else:
                self._send(m.copy_data(head))
        async def stream() -> bytes:
            first = prefix
            async for batch in result.batches:
                for data in enc.rows(batch):
                    self._send(m.copy_data(first + data))
                    first = b""
                # Batches may be minutes apart (SUBSCRIBE): each goes out as it exists.
                await self._flush()
            return first

        # A CancelRequest cancels the stream (the statement itself has already returned).
        copy_task = self._copy_task = asyncio.ensure_future(stream())
        lost = asyncio.ensure_future(self.lost.wait())
        try:
            await asyncio.wait({copy_task, lost}, return_when=asyncio.FIRST_COMPLETED)
            if not copy_task.done():  # the client went away mid-stream
                copy_task.cancel()
                with contextlib.suppress(BaseException):
                    await copy_task
                raise _ClosedError
            if copy_task.cancelled():
                raise QueryCanceled("canceling statement due to user request")
            prefix = copy_task.result()
        except asyncio.CancelledError:
            # Wait for the stream to stop before closing its generator below (closing a
            # generator that is still running fails; e.g. at shutdown mid-SUBSCRIBE).
            copy_task.cancel()
            with contextlib.suppress(BaseException):
                await copy_task
            raise
        finally:
            lost.cancel()
            self._copy_task = None
            aclose = getattr(result.batches, "aclose", None)
            if aclose is not None:
                await aclose()
        if tail := enc.trailer():
            self._send(m.copy_data(prefix + tail))
        self._send(m.copy_done())
        self._send(m.command_complete(result.tag))

    async def _copy_in(self, result: CopyInResult) -> None:
        sink = result.sink
        try:
            dec = CopyDecoder(result.columns, result.options)
            fmt = format_code(result.options)
            self._send(m.copy_in_response(fmt, [fmt] * len(result.columns)))
            await self._flush()
            while True:
                try:
                    tag, body = await self._read_frame(startup=False)
                    msg = m.decode_message(tag, body)
                except ProtocolViolation as e:
                    raise _FatalProtocolError(e) from e
                if isinstance(msg, m.CopyData):
                    if rows := dec.feed(msg.data):
                        await sink.write_rows(rows)
                elif isinstance(msg, m.CopyDone):
                    if rows := dec.finish():
                        await sink.write_rows(rows)
                    done = await sink.finish()
                    self._send(m.command_complete(done.tag))
                    return
                elif isinstance(msg, m.CopyFail):
                    raise PymzError(f"COPY from stdin failed: {msg.message}", sqlstate="57014")
                elif isinstance(msg, m.Flush | m.Sync):
                    continue
                elif isinstance(msg, m.Terminate):
                    raise _ClosedError
                else:
                    raise ProtocolViolation(
                        f"unexpected message type 0x{tag:02X} during COPY from stdin")
        except BaseException as e:
            with contextlib.suppress(Exception):
                await sink.abort(str(e) or type(e).__name__)
            raise

    async def _sync(self) -> None:
        assert self.session is not None
        self._ignore_till_sync = False
        try:
            self.session.end_implicit_transaction(failed=self._failed_since_sync)
        except PymzError as e:
            self._error(e)
        self._failed_since_sync = False
        if self.session.transaction_status == "I":
            # Portals live only as long as their transaction.
            self._portals.clear()
        self._send_async_messages()
        self._send(m.ready_for_query(self.session.transaction_status))
        await self._flush()


def _encoders(columns: Sequence[Column], formats: Sequence[int]) -> list[codec.Encoder]:
    if len(formats) != len(columns):
        formats = [codec.TEXT] * len(columns)
    return [codec.encoder(c, f) for c, f in zip(columns, formats, strict=True)]


def _adapter_result(task: asyncio.Future[ExecuteResult]) -> ExecuteResult:
    try:
        return task.result()
    except (PymzError, asyncio.CancelledError):
        raise
    except Exception as e:
        raise _internal(e) from e


def _internal(e: Exception) -> PymzError:
    if isinstance(e, PymzError):
        return e
    if isinstance(e, RecursionError):
        # A deeply nested statement exhausted the planner's (Python's) stack; as in
        # PostgreSQL, an error of the statement, not of the server.
        return PymzError("stack depth limit exceeded", sqlstate="54001",
                         hint="The statement is nested too deeply; simplify it.")
    log.error("internal error while serving a query", exc_info=e)
    return InternalError(f"internal error: {e}")
