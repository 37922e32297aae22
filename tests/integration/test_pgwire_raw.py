"""pgwire over raw sockets: framing errors, extended-protocol edge cases, shutdown."""

from __future__ import annotations

import socket
import struct
from collections.abc import Iterator

import psycopg
import pytest
from tests.integration.pgwire_fixture import RunningServer, running_server, wait_until

from pymz.pgwire import messages as m

pytestmark = pytest.mark.integration


@pytest.fixture
def srv() -> Iterator[RunningServer]:
    with running_server() as rs:
        yield rs


class Raw:
    """A hand-driven frontend: send bytes, read typed backend messages."""

    def __init__(self, port: int) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=20)
        self.buf = b""

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def _fill(self, n: int) -> bool:
        while len(self.buf) < n:
            chunk = self.sock.recv(65536)
            if not chunk:
                return False
            self.buf += chunk
        return True

    def read(self) -> tuple[str, bytes] | None:
        """Next backend message, or None at EOF."""
        if not self._fill(5):
            return None
        tag, length = chr(self.buf[0]), struct.unpack(">i", self.buf[1:5])[0]
        assert self._fill(1 + length)
        body = self.buf[5 : 1 + length]
        self.buf = self.buf[1 + length :]
        return tag, body

    def until(self, tag: str) -> list[tuple[str, bytes]]:
        out: list[tuple[str, bytes]] = []
        while True:
            msg = self.read()
            assert msg is not None, f"EOF before {tag!r}; got {out}"
            out.append(msg)
            if msg[0] == tag:
                return out

    def startup(self) -> None:
        self.send(m.encode_startup({"user": "alice", "database": "materialize"}))
        msgs = self.until("Z")
        assert msgs[0] == ("R", b"\0\0\0\0")
        assert any(t == "K" for t, _ in msgs)

    def close(self) -> None:
        self.sock.close()


def fields(body: bytes) -> dict[str, str]:
    out = {}
    for part in body.rstrip(b"\0").split(b"\0"):
        out[chr(part[0])] = part[1:].decode()
    return out


def assert_still_serving(srv: RunningServer) -> None:
    with psycopg.connect(srv.dsn(), autocommit=True) as conn:
        assert conn.execute("SELECT 42").fetchone() == (42,)


def query(text: str) -> bytes:
    return m.encode_frontend(b"Q", text.encode() + b"\0")


def parse(name: str, sql: str, oids: tuple[int, ...] = ()) -> bytes:
    body = name.encode() + b"\0" + sql.encode() + b"\0" + struct.pack(">h", len(oids))
    return m.encode_frontend(b"P", body + b"".join(struct.pack(">I", o) for o in oids))


def bind(portal: str, stmt: str, params: list[bytes | None], pfmts: tuple[int, ...] = (),
         rfmts: tuple[int, ...] = ()) -> bytes:
    body = portal.encode() + b"\0" + stmt.encode() + b"\0"
    body += struct.pack(">h", len(pfmts)) + b"".join(struct.pack(">h", f) for f in pfmts)
    body += struct.pack(">h", len(params))
    for p in params:
        body += struct.pack(">i", -1) if p is None else struct.pack(">i", len(p)) + p
    body += struct.pack(">h", len(rfmts)) + b"".join(struct.pack(">h", f) for f in rfmts)
    return m.encode_frontend(b"B", body)


def execute(portal: str, max_rows: int = 0) -> bytes:
    return m.encode_frontend(b"E", portal.encode() + b"\0" + struct.pack(">i", max_rows))


def describe(kind: str, name: str) -> bytes:
    return m.encode_frontend(b"D", kind.encode() + name.encode() + b"\0")


SYNC = m.encode_frontend(b"S")


@pytest.mark.parametrize(
    "garbage",
    [
        b"Y\x00\x00\x00\x04",  # unknown message type
        b"Q\x00\x00\x00\x02",  # length below the minimum
        b"Q\x7f\xff\xff\xff",  # over the 1 GiB limit
        b"Q\x00\x00\x00\x09\xff\xfe\x00\x00\x00",  # invalid UTF-8
        b"Q\x00\x00\x00\x08abcd",  # no terminating NUL
    ],
)
def test_malformed_message_is_fatal_08p01(srv: RunningServer, garbage: bytes) -> None:
    c = Raw(srv.port)
    c.startup()
    c.send(garbage)
    msg = c.read()
    assert msg is not None and msg[0] == "E"
    f = fields(msg[1])
    assert (f["S"], f["C"]) == ("FATAL", "08P01")
    assert c.read() is None  # connection closed
    c.close()
    assert_still_serving(srv)
    wait_until(lambda: srv.client.terminated == 2)


def test_truncated_frame_then_eof(srv: RunningServer) -> None:
    c = Raw(srv.port)
    c.startup()
    c.send(b"Q\x00\x00\x01\x00SEL")
    c.sock.shutdown(socket.SHUT_WR)
    msg = c.read()
    assert msg is not None and fields(msg[1])["C"] == "08P01"
    c.close()
    wait_until(lambda: srv.client.terminated == 1)
    assert_still_serving(srv)


def test_bad_startup_packets(srv: RunningServer) -> None:
    c = Raw(srv.port)
    c.send(struct.pack(">ii", 100_000, m.PROTOCOL_V3))  # startup over 10 000 bytes
    msg = c.read()
    assert msg is not None and fields(msg[1])["C"] == "08P01"
    c.close()
    c = Raw(srv.port)
    c.send(m.encode_startup({"user": "x"}, version=2 << 16))
    msg = c.read()
    assert msg is not None and fields(msg[1])["C"] == "0A000"
    c.close()
    c = Raw(srv.port)
    c.send(m.encode_startup({"database": "x"}))
    msg = c.read()
    assert msg is not None and fields(msg[1])["C"] == "28000"
    c.close()
    assert_still_serving(srv)


def test_ssl_and_gssenc_requests_refused_then_startup(srv: RunningServer) -> None:
    c = Raw(srv.port)
    c.send(struct.pack(">ii", 8, m.SSL_REQUEST))
    assert c.sock.recv(1) == b"N"
    c.send(struct.pack(">ii", 8, m.GSSENC_REQUEST))
    assert c.sock.recv(1) == b"N"
    c.startup()
    c.send(query("SELECT 1"))
    assert [t for t, _ in c.until("Z")] == ["T", "D", "C", "Z"]
    c.close()


def test_unknown_cancel_key_closes_silently(srv: RunningServer) -> None:
    c = Raw(srv.port)
    c.send(struct.pack(">iiii", 16, m.CANCEL_REQUEST, 1, 2))
    assert c.read() is None
    c.close()
    assert srv.client.cancels == 0


def test_protocol_minor_version_negotiated(srv: RunningServer) -> None:
    c = Raw(srv.port)
    c.send(m.encode_startup({"user": "a", "_pq_.foo": "1"}, version=(3 << 16) | 2))
    msgs = c.until("Z")
    assert msgs[0][0] == "v"
    assert msgs[0][1] == struct.pack(">ii", 0, 1) + b"_pq_.foo\0"
    c.close()


def test_simple_query_error_skips_rest(srv: RunningServer) -> None:
    c = Raw(srv.port)
    c.startup()
    c.send(query("SELECT 1; select error; SELECT 2"))
    msgs = c.until("Z")
    assert [t for t, _ in msgs] == ["T", "D", "C", "E", "Z"]
    f = fields(msgs[3][1])
    assert f == {"S": "ERROR", "V": "ERROR", "C": "42703", "M": 'column "nope" does not exist',
                 "D": "some detail", "H": "some hint", "P": "8"}
    c.send(query(""))
    assert [t for t, _ in c.until("Z")] == ["I", "Z"]
    c.close()


def test_extended_protocol_flow(srv: RunningServer) -> None:
    c = Raw(srv.port)
    c.startup()
    c.send(parse("s1", "SELECT $1::int8 AS a, $2::text AS b", (0, 25)))
    c.send(describe("S", "s1"))
    c.send(bind("p1", "s1", [struct.pack(">q", 7), b"x"], pfmts=(1, 0), rfmts=(1,)))
    c.send(describe("P", "p1"))
    c.send(execute("p1"))
    c.send(SYNC)
    msgs = c.until("Z")
    assert [t for t, _ in msgs] == ["1", "t", "T", "2", "T", "D", "C", "Z"]
    assert msgs[1][1] == struct.pack(">hII", 2, 20, 25)
    # Row in binary: int8 7 and text "x".
    assert msgs[5][1] == struct.pack(">hiqi", 2, 8, 7, 1) + b"x"
    assert msgs[6][1] == b"SELECT 1\0"
    # Duplicate statement name, then everything up to Sync is skipped.
    c.send(parse("s1", "SELECT 1"))
    c.send(bind("", "s1", [b"1", b"2"]))
    c.send(SYNC)
    msgs = c.until("Z")
    assert [t for t, _ in msgs] == ["E", "Z"]
    assert fields(msgs[0][1])["C"] == "42P05"
    c.close()


@pytest.mark.parametrize(
    ("messages", "sqlstate"),
    [
        ([bind("", "nope", [])], "26000"),
        ([execute("nope")], "34000"),
        ([describe("P", "nope")], "34000"),
        ([parse("", "SELECT 1; SELECT 2")], "42601"),
        ([parse("", "SELECT $1::int4"), bind("", "", [])], "08P01"),
        ([parse("", "SELECT $1::int4"), bind("", "", [b"1"], pfmts=(0, 0))], "08P01"),
        ([parse("", "SELECT $1::int4"), bind("", "", [b"1"], pfmts=(7,))], "08P01"),
        ([parse("", "SELECT $1::int4"), bind("", "", [b"x1"])], "22P02"),
        ([parse("", "SELECT $1::int4"), bind("", "", [b"\0\0\0"], pfmts=(1,))], "22P03"),
        ([parse("", "SELECT $1::int2"), bind("", "", [b"70000"])], "22003"),
        ([parse("", "SELECT 1, 2"), bind("", "", [], rfmts=(0, 0, 0))], "08P01"),
    ],
)
def test_extended_protocol_errors(srv: RunningServer, messages: list[bytes],
                                  sqlstate: str) -> None:
    c = Raw(srv.port)
    c.startup()
    for msg in messages:
        c.send(msg)
    c.send(execute(""))
    c.send(SYNC)
    got = c.until("Z")
    errors = [fields(b) for t, b in got if t == "E"]
    assert len(errors) == 1 and errors[0]["C"] == sqlstate, got
    assert errors[0]["S"] == "ERROR"
    # The connection is still usable.
    c.send(query("SELECT 1"))
    assert [t for t, _ in c.until("Z")] == ["T", "D", "C", "Z"]
    c.close()


def test_portal_suspension_and_resume(srv: RunningServer) -> None:
    c = Raw(srv.port)
    c.startup()
    c.send(query("BEGIN"))
    c.until("Z")
    c.send(parse("", "SELECT * FROM series(5)"))
    c.send(bind("cur", "", []))
    c.send(execute("cur", 2))
    c.send(execute("cur", 2))
    c.send(execute("cur", 2))
    c.send(SYNC)
    msgs = [t for t, _ in c.until("Z")]
    assert msgs == ["1", "2", "D", "D", "s", "D", "D", "s", "D", "C", "Z"]
    # Executing the finished portal again yields nothing more.
    c.send(execute("cur", 0))
    c.send(SYNC)
    msgs2 = c.until("Z")
    assert [t for t, _ in msgs2] == ["C", "Z"]
    assert msgs2[0][1] == b"SELECT 0\0"
    assert msgs2[1][1] == b"T"
    # Close the portal; executing it again is 34000.
    c.send(m.encode_frontend(b"C", b"Pcur\0"))
    c.send(execute("cur"))
    c.send(SYNC)
    msgs3 = c.until("Z")
    assert [t for t, _ in msgs3] == ["3", "E", "Z"]
    assert fields(msgs3[1][1])["C"] == "34000"
    assert msgs3[2][1] == b"E"  # the failure aborted the transaction block
    c.close()


def test_empty_prepared_statement(srv: RunningServer) -> None:
    c = Raw(srv.port)
    c.startup()
    c.send(parse("", ""))
    c.send(bind("", "", []))
    c.send(describe("P", ""))
    c.send(execute(""))
    c.send(SYNC)
    assert [t for t, _ in c.until("Z")] == ["1", "2", "n", "I", "Z"]
    c.close()


def test_disconnect_mid_query_cancels_and_terminates(srv: RunningServer) -> None:
    c = Raw(srv.port)
    c.startup()
    c.send(query("select sleep"))
    wait_until(srv.client.sleeping.is_set)
    c.close()
    wait_until(lambda: srv.client.terminated == 1)
    assert srv.client.cancels == 1
    assert_still_serving(srv)


def test_terminate_message_closes(srv: RunningServer) -> None:
    c = Raw(srv.port)
    c.startup()
    c.send(m.encode_frontend(b"X"))
    assert c.read() is None
    c.close()
    wait_until(lambda: srv.client.terminated == 1)


def test_close_sends_admin_shutdown() -> None:
    with running_server() as rs:
        c = Raw(rs.port)
        c.startup()
        # Closing the server happens in the fixture's teardown below.
    msg = c.read()
    assert msg is not None and msg[0] == "E"
    f = fields(msg[1])
    assert (f["S"], f["C"]) == ("FATAL", "57P01")
    assert c.read() is None
    c.close()
    assert rs.client.terminated == 1


def test_close_during_running_query() -> None:
    with running_server() as rs:
        c = Raw(rs.port)
        c.startup()
        c.send(query("select sleep"))
        wait_until(rs.client.sleeping.is_set)
    msg = c.read()
    assert msg is not None and fields(msg[1])["C"] == "57P01"
    assert c.read() is None
    c.close()
    assert rs.client.terminated == 1
