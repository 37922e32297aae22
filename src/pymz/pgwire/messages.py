"""Protocol v3 message framing: decoding frontend messages, encoding backend messages.

Pure functions over bytes (no I/O), so every framing rule is unit-testable. Malformed input
raises :class:`pymz.errors.ProtocolViolation` (08P01).
"""

from __future__ import annotations

import struct
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from pymz.errors import ProtocolViolation
from pymz.repr import Column

PROTOCOL_V3 = 196608  # 3.0
SSL_REQUEST = 80877103
GSSENC_REQUEST = 80877104
CANCEL_REQUEST = 80877102
MAX_STARTUP_LEN = 10_000
MAX_MESSAGE_LEN = 1 << 30  # 1 GiB, PostgreSQL's PQ_LARGE_MESSAGE_LIMIT

_I16 = struct.Struct(">h")
_I32 = struct.Struct(">i")
_U32 = struct.Struct(">I")


# ---------------------------------------------------------------- frontend messages


@dataclass(frozen=True)
class Startup:
    version: int
    params: dict[str, str]


@dataclass(frozen=True)
class SslRequest:
    pass


@dataclass(frozen=True)
class GssEncRequest:
    pass


@dataclass(frozen=True)
class CancelRequest:
    pid: int
    secret: int


StartupPacket = Startup | SslRequest | GssEncRequest | CancelRequest


@dataclass(frozen=True)
class Query:
    sql: str


@dataclass(frozen=True)
class Parse:
    name: str
    sql: str
    param_oids: tuple[int, ...]


@dataclass(frozen=True)
class Bind:
    portal: str
    statement: str
    param_formats: tuple[int, ...]
    params: tuple[bytes | None, ...]
    result_formats: tuple[int, ...]


@dataclass(frozen=True)
class Describe:
    kind: str  # "S" statement or "P" portal
    name: str


@dataclass(frozen=True)
class Execute:
    portal: str
    max_rows: int


@dataclass(frozen=True)
class Close:
    kind: str
    name: str


@dataclass(frozen=True)
class Sync:
    pass


@dataclass(frozen=True)
class Flush:
    pass


@dataclass(frozen=True)
class Terminate:
    pass


@dataclass(frozen=True)
class CopyData:
    data: bytes


@dataclass(frozen=True)
class CopyDone:
    pass


@dataclass(frozen=True)
class CopyFail:
    message: str


@dataclass(frozen=True)
class PasswordMessage:
    """'p' messages; pymz uses trust auth, so these arrive only from confused clients."""

    data: bytes


FrontendMessage = (
    Query | Parse | Bind | Describe | Execute | Close | Sync | Flush | Terminate | PasswordMessage
    | CopyData | CopyDone | CopyFail
)


class _Buf:
    """Cursor over one message body; every read checks bounds."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def _need(self, n: int) -> None:
        if n < 0 or self.pos + n > len(self.data):
            raise ProtocolViolation("invalid message format")

    def i16(self) -> int:
        self._need(2)
        v: int = _I16.unpack_from(self.data, self.pos)[0]
        self.pos += 2
        return v

    def i32(self) -> int:
        self._need(4)
        v: int = _I32.unpack_from(self.data, self.pos)[0]
        self.pos += 4
        return v

    def u32(self) -> int:
        self._need(4)
        v: int = _U32.unpack_from(self.data, self.pos)[0]
        self.pos += 4
        return v

    def byte(self) -> int:
        self._need(1)
        v = self.data[self.pos]
        self.pos += 1
        return v

    def raw(self, n: int) -> bytes:
        self._need(n)
        v = self.data[self.pos : self.pos + n]
        self.pos += n
        return v

    def cstr(self) -> str:
        end = self.data.find(b"\x00", self.pos)
        if end < 0:
            raise ProtocolViolation("invalid string in message")
        raw = self.data[self.pos : end]
        self.pos = end + 1
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            raise ProtocolViolation('invalid byte sequence for encoding "UTF8"') from None

    def done(self) -> None:
        if self.pos != len(self.data):
            raise ProtocolViolation("invalid message format")


def decode_startup(body: bytes) -> StartupPacket:
    """Body of an untyped startup-phase packet (after its 4-byte length)."""
    b = _Buf(body)
    code = b.i32()
    if code == SSL_REQUEST:
        b.done()
        return SslRequest()
    if code == GSSENC_REQUEST:
        b.done()
        return GssEncRequest()
    if code == CANCEL_REQUEST:
        pid, secret = b.i32(), b.i32()
        b.done()
        return CancelRequest(pid, secret)
    params: dict[str, str] = {}
    if code >> 16 == 3:
        while True:
            key = b.cstr()
            if key == "":
                break
            params[key] = b.cstr()
        b.done()
    return Startup(code, params)


def decode_message(tag: int, body: bytes) -> FrontendMessage:
    """A typed frontend message; unknown tags are protocol violations."""
    b = _Buf(body)
    msg: FrontendMessage
    t = chr(tag)
    if t == "Q":
        msg = Query(b.cstr())
    elif t == "P":
        name, sql = b.cstr(), b.cstr()
        n = b.i16()
        if n < 0:
            raise ProtocolViolation("invalid message format")
        msg = Parse(name, sql, tuple(b.u32() for _ in range(n)))
    elif t == "B":
        portal, stmt = b.cstr(), b.cstr()
        formats = tuple(b.i16() for _ in range(_count(b)))
        params: list[bytes | None] = []
        for _ in range(_count(b)):
            ln = b.i32()
            if ln < -1:
                raise ProtocolViolation("invalid message format")
            params.append(None if ln == -1 else b.raw(ln))
        rformats = tuple(b.i16() for _ in range(_count(b)))
        msg = Bind(portal, stmt, formats, tuple(params), rformats)
    elif t in ("D", "C"):
        kind = chr(b.byte())
        if kind not in ("S", "P"):
            raise ProtocolViolation(f"invalid {'DESCRIBE' if t == 'D' else 'CLOSE'} message "
                                    f"subtype {ord(kind)}")
        name = b.cstr()
        msg = Describe(kind, name) if t == "D" else Close(kind, name)
    elif t == "E":
        msg = Execute(b.cstr(), b.i32())
    elif t == "S":
        msg = Sync()
    elif t == "H":
        msg = Flush()
    elif t == "X":
        msg = Terminate()
    elif t == "p":
        return PasswordMessage(body)
    elif t == "d":
        return CopyData(body)
    elif t == "c":
        msg = CopyDone()
    elif t == "f":
        msg = CopyFail(b.cstr())
    else:
        raise ProtocolViolation(f"invalid frontend message type {tag}")
    b.done()
    return msg


def _count(b: _Buf) -> int:
    n = b.i16()
    if n < 0:
        raise ProtocolViolation("invalid message format")
    return n


def check_length(length: int, *, startup: bool = False) -> None:
    """Validate a frame's length word (which counts itself)."""
    limit = MAX_STARTUP_LEN if startup else MAX_MESSAGE_LEN
    if length < (8 if startup else 4) or length > limit:
        raise ProtocolViolation(f"invalid message length {length}")


# ---------------------------------------------------------------- backend messages


def _msg(tag: bytes, body: bytes = b"") -> bytes:
    return tag + _I32.pack(len(body) + 4) + body


def _cstr(s: str) -> bytes:
    return s.encode() + b"\x00"


def authentication_ok() -> bytes:
    return _msg(b"R", _I32.pack(0))


def parameter_status(name: str, value: str) -> bytes:
    return _msg(b"S", _cstr(name) + _cstr(value))


def backend_key_data(pid: int, secret: int) -> bytes:
    return _msg(b"K", _I32.pack(pid) + _I32.pack(secret))


def negotiate_protocol_version(newest_minor: int, unrecognized: Sequence[str]) -> bytes:
    body = _I32.pack(newest_minor) + _I32.pack(len(unrecognized))
    return _msg(b"v", body + b"".join(_cstr(o) for o in unrecognized))


def ready_for_query(status: str) -> bytes:
    return _msg(b"Z", status.encode())


def row_description(columns: Sequence[Column], formats: Sequence[int]) -> bytes:
    parts = [_I16.pack(len(columns))]
    for col, fmt in zip(columns, formats, strict=True):
        # table oid 0, attnum 0, type oid, typlen, typmod -1, format
        parts.append(_cstr(col.name))
        parts.append(struct.pack(">ihIhih", 0, 0, col.oid, col.typlen, -1, fmt))
    return _msg(b"T", b"".join(parts))


def data_row(values: Iterable[bytes | None]) -> bytes:
    vals = list(values)
    parts = [_I16.pack(len(vals))]
    for v in vals:
        if v is None:
            parts.append(_I32.pack(-1))
        else:
            parts.append(_I32.pack(len(v)))
            parts.append(v)
    return _msg(b"D", b"".join(parts))


def command_complete(tag: str) -> bytes:
    return _msg(b"C", _cstr(tag))


def empty_query_response() -> bytes:
    return _msg(b"I")


def parse_complete() -> bytes:
    return _msg(b"1")


def bind_complete() -> bytes:
    return _msg(b"2")


def close_complete() -> bytes:
    return _msg(b"3")


def no_data() -> bytes:
    return _msg(b"n")


def portal_suspended() -> bytes:
    return _msg(b"s")


def parameter_description(oids: Sequence[int]) -> bytes:
    return _msg(b"t", _I16.pack(len(oids)) + b"".join(_U32.pack(o) for o in oids))


def _copy_response(tag: bytes, overall: int, formats: Sequence[int]) -> bytes:
    body = struct.pack(">bh", overall, len(formats)) + b"".join(_I16.pack(f) for f in formats)
    return _msg(tag, body)


def copy_in_response(overall: int, formats: Sequence[int]) -> bytes:
    return _copy_response(b"G", overall, formats)


def copy_out_response(overall: int, formats: Sequence[int]) -> bytes:
    return _copy_response(b"H", overall, formats)


def copy_data(data: bytes) -> bytes:
    return _msg(b"d", data)


def copy_done() -> bytes:
    return _msg(b"c")


def _fields(fields: Mapping[str, str | None]) -> bytes:
    out = [f.encode() + _cstr(v) for f, v in fields.items() if v is not None]
    return b"".join(out) + b"\x00"


def error_response(fields: Mapping[str, str | None]) -> bytes:
    """Fields keyed by PostgreSQL's one-letter codes (S, V, C, M, D, H, P)."""
    return _msg(b"E", _fields(fields))


def notice_response(fields: Mapping[str, str | None]) -> bytes:
    return _msg(b"N", _fields(fields))


# ---------------------------------------------------------------- frontend encoders
# The inverse direction, for tests and tools that speak to a pymz server.


def encode_startup(params: Mapping[str, str], version: int = PROTOCOL_V3) -> bytes:
    body = _I32.pack(version) + b"".join(_cstr(k) + _cstr(v) for k, v in params.items()) + b"\0"
    return _I32.pack(len(body) + 4) + body


def encode_frontend(tag: bytes, body: bytes = b"") -> bytes:
    return _msg(tag, body)
