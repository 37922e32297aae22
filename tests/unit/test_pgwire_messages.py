"""pgwire message framing and startup parsing (no sockets)."""

from __future__ import annotations

import struct

import pytest

from pymz.errors import PymzError
from pymz.pgwire import messages as m
from pymz.pgwire.connection import _expand_formats, error_fields
from pymz.pgwire.startup import parse_options, split_options, startup_request
from pymz.repr import Column, ScalarType


def test_decode_startup_variants() -> None:
    pkt = m.encode_startup({"user": "u", "database": "d"})
    assert struct.unpack(">i", pkt[:4])[0] == len(pkt)
    assert m.decode_startup(pkt[4:]) == m.Startup(m.PROTOCOL_V3, {"user": "u", "database": "d"})
    assert m.decode_startup(struct.pack(">i", m.SSL_REQUEST)) == m.SslRequest()
    assert m.decode_startup(struct.pack(">i", m.GSSENC_REQUEST)) == m.GssEncRequest()
    assert m.decode_startup(struct.pack(">iii", m.CANCEL_REQUEST, 7, -9)) == m.CancelRequest(7, -9)


@pytest.mark.parametrize(
    "body",
    [
        struct.pack(">i", m.SSL_REQUEST) + b"x",  # trailing bytes
        struct.pack(">ii", m.CANCEL_REQUEST, 1),  # short cancel
        struct.pack(">i", m.PROTOCOL_V3) + b"user\0u",  # unterminated
        struct.pack(">i", m.PROTOCOL_V3) + b"user\0\xff\0\0",  # invalid UTF-8
        b"\0\0",
    ],
)
def test_decode_startup_malformed(body: bytes) -> None:
    with pytest.raises(PymzError) as ei:
        m.decode_startup(body)
    assert ei.value.sqlstate == "08P01"


def test_decode_messages() -> None:
    assert m.decode_message(ord("Q"), b"SELECT 1\0") == m.Query("SELECT 1")
    parse = b"s\0SELECT $1\0" + struct.pack(">hI", 1, 23)
    assert m.decode_message(ord("P"), parse) == m.Parse("s", "SELECT $1", (23,))
    bind = (b"p\0s\0" + struct.pack(">hh", 1, 1) + struct.pack(">h", 2)
            + struct.pack(">i", 2) + b"ab" + struct.pack(">i", -1) + struct.pack(">hh", 1, 0))
    assert m.decode_message(ord("B"), bind) == m.Bind("p", "s", (1,), (b"ab", None), (0,))
    assert m.decode_message(ord("D"), b"Sx\0") == m.Describe("S", "x")
    assert m.decode_message(ord("C"), b"P\0") == m.Close("P", "")
    assert m.decode_message(ord("E"), b"\0" + struct.pack(">i", 5)) == m.Execute("", 5)
    assert m.decode_message(ord("S"), b"") == m.Sync()
    assert m.decode_message(ord("H"), b"") == m.Flush()
    assert m.decode_message(ord("X"), b"") == m.Terminate()


@pytest.mark.parametrize(
    ("tag", "body"),
    [
        ("Y", b""), ("Q", b"no nul"), ("Q", b"a\0extra"), ("S", b"x"), ("D", b"Zx\0"),
        ("E", b"\0\0\0"), ("P", b"s\0q\0" + struct.pack(">h", 2) + b"\0\0\0\x17"),
        ("B", b"p\0s\0" + struct.pack(">h", -1)),
        ("B", b"p\0s\0" + struct.pack(">hh", 0, 1) + struct.pack(">i", 10) + b"abc"),
        ("B", b"p\0s\0" + struct.pack(">hh", 0, 1) + struct.pack(">i", -2)),
    ],
)
def test_decode_malformed(tag: str, body: bytes) -> None:
    with pytest.raises(PymzError) as ei:
        m.decode_message(ord(tag), body)
    assert ei.value.sqlstate == "08P01"


@pytest.mark.parametrize(("length", "ok"), [(3, False), (4, True), (1 << 30, True),
                                            ((1 << 30) + 1, False), (-5, False)])
def test_check_length(length: int, ok: bool) -> None:
    if ok:
        m.check_length(length)
    else:
        with pytest.raises(PymzError):
            m.check_length(length)


def test_backend_encoding() -> None:
    assert m.ready_for_query("I") == b"Z\0\0\0\x05I"
    assert m.command_complete("SELECT 1") == b"C\0\0\0\x0dSELECT 1\0"
    assert m.data_row([b"1", None]) == b"D" + struct.pack(">ihi", 15, 2, 1) + b"1" + struct.pack(
        ">i", -1)
    rd = m.row_description([Column("a", ScalarType.INT8)], [1])
    assert rd == b"T" + struct.pack(">ih", 4 + 2 + 2 + 18, 1) + b"a\0" + struct.pack(
        ">ihIhih", 0, 0, 20, 8, -1, 1)
    assert m.parameter_description([23, 25]) == b"t" + struct.pack(">ihII", 14, 2, 23, 25)
    err = m.error_response({"S": "ERROR", "C": "42601", "M": "bad", "D": None})
    assert err == b"E" + struct.pack(">i", 4 + 7 + 7 + 5 + 1) + b"SERROR\0C42601\0Mbad\0\0"


def test_error_fields() -> None:
    e = PymzError("m", detail="d", hint="h", sqlstate="22012", position=3)
    assert error_fields(e) == {"S": "ERROR", "V": "ERROR", "C": "22012", "M": "m",
                               "D": "d", "H": "h", "P": "3"}
    assert error_fields(e, "FATAL")["S"] == "FATAL"


def test_format_code_rule() -> None:
    assert _expand_formats([], 3, "x", "y") == [0, 0, 0]
    assert _expand_formats([1], 2, "x", "y") == [1, 1]
    assert _expand_formats([0, 1], 2, "x", "y") == [0, 1]
    with pytest.raises(PymzError):
        _expand_formats([0, 1], 3, "x", "y")
    with pytest.raises(PymzError):
        _expand_formats([2], 1, "x", "y")


def test_options_parsing() -> None:
    assert split_options(r"-c a=b\ c  --d=e") == ["-c", "a=b c", "--d=e"]
    assert parse_options("-c cluster=foo -csearch_path=x --statement-timeout=5") == {
        "cluster": "foo", "search_path": "x", "statement_timeout": "5"}
    for bad in ("-c", "-c novalue", "-x"):
        with pytest.raises(PymzError):
            parse_options(bad)


def test_startup_request() -> None:
    req = startup_request({"user": "u", "options": "-c cluster=c", "application_name": "a",
                           "client_encoding": "UTF8", "_pq_.x": "1"})
    assert (req.user, req.database, req.application_name) == ("u", "u", "a")
    assert dict(req.options) == {"client_encoding": "UTF8", "cluster": "c"}
    with pytest.raises(PymzError) as ei:
        startup_request({"database": "d"})
    assert ei.value.sqlstate == "28000"
