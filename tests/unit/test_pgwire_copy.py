"""COPY data formats: encoding as PostgreSQL writes them, decoding across split messages."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from pymz.adapter.client import CopyOptions
from pymz.errors import PymzError
from pymz.pgwire.copy import BINARY_SIGNATURE, CopyDecoder, CopyEncoder
from pymz.repr import Column, ScalarType

COLS = (Column("id", ScalarType.INT8), Column("s", ScalarType.TEXT),
        Column("d", ScalarType.DATE), Column("arr", ScalarType.INT4, is_array=True))
ROWS: list[tuple[object | None, ...]] = [
    (1, "tab\there\nnl\\bs", dt.date(2024, 1, 2), [1, None]),
    (None, "", None, []),
    (-5, "a,b \"q\"", dt.date(1999, 12, 31), None),
    (7, "\\.", dt.date(2000, 1, 1), [3]),
]


def test_text_encoding_matches_postgres() -> None:
    enc = CopyEncoder(COLS, CopyOptions())
    assert enc.header() == b""
    assert b"".join(enc.rows(ROWS)) == (
        b"1\ttab\\there\\nnl\\\\bs\t2024-01-02\t{1,NULL}\n"
        b"\\N\t\t\\N\t{}\n"
        b"-5\ta,b \"q\"\t1999-12-31\t\\N\n"
        b"7\t\\\\.\t2000-01-01\t{3}\n"
    )


def test_csv_encoding_matches_postgres() -> None:
    enc = CopyEncoder(COLS, CopyOptions(format="csv", header=True))
    assert enc.header() == b"id,s,d,arr\n"
    assert b"".join(enc.rows(ROWS)) == (
        b'1,"tab\there\nnl\\bs",2024-01-02,"{1,NULL}"\n'
        b',"",,{}\n'
        b'-5,"a,b ""q""",1999-12-31,\n'
        b'7,"\\.",2000-01-01,{3}\n'
    )


@pytest.mark.parametrize(
    "options",
    [CopyOptions(), CopyOptions(format="csv"), CopyOptions(format="binary"),
     CopyOptions(format="csv", header=True, delimiter=";", null="NULL"),
     CopyOptions(format="text", delimiter="|", null="", header=True),
     CopyOptions(format="csv", quote="'", escape="\\")],
)
@pytest.mark.parametrize("chunk", [1, 3, 1000])
def test_round_trip_in_chunks(options: CopyOptions, chunk: int) -> None:
    enc = CopyEncoder(COLS, options)
    data = enc.header() + b"".join(enc.rows(ROWS)) + enc.trailer()
    if options.format == "binary":
        assert data.startswith(BINARY_SIGNATURE)
    dec = CopyDecoder(COLS, options)
    got = []
    for i in range(0, len(data), chunk):
        got.extend(dec.feed(data[i : i + chunk]))
    got.extend(dec.finish())
    if options.format != "binary" and options.null == "":
        # With NULL '' an empty string cannot be told from NULL in text format.
        assert got[1][1] is None
        got[1] = (None, "", None, [])
    assert got == ROWS


def test_text_decoding_details() -> None:
    dec = CopyDecoder(COLS[:2], CopyOptions())
    rows = dec.feed(b"1\t\\x41\\101\\q\r\n2\tlast")
    assert rows == [(1, "AAq")]
    assert dec.finish() == [(2, "last")]
    dec = CopyDecoder(COLS[:2], CopyOptions())
    assert dec.feed(b"1\ta\n\\.\nignored garbage\n") == [(1, "a")]
    assert dec.finish() == []


@pytest.mark.parametrize(
    ("options", "data", "sqlstate"),
    [
        (CopyOptions(), b"1\n", "22P04"),
        (CopyOptions(), b"1\ta\tb\n", "22P04"),
        (CopyOptions(), b"x\ta\n", "22P02"),
        (CopyOptions(format="csv"), b'1,"unterminated\n', "22P04"),
        (CopyOptions(format="binary"), b"NOTPGCOPY\n\xff\r\n\x00\0\0\0\0\0\0\0\0", "22P04"),
        (CopyOptions(format="binary"), BINARY_SIGNATURE + b"\0" * 8 + b"\0\x01", "22P04"),
        (CopyOptions(), b"1\t\xff\n", "22021"),
    ],
)
def test_decoding_errors(options: CopyOptions, data: bytes, sqlstate: str) -> None:
    dec = CopyDecoder(COLS[:2], options)
    with pytest.raises(PymzError) as ei:
        dec.feed(data)
        dec.finish()
    assert ei.value.sqlstate == sqlstate


def test_numeric_and_binary_trailer_required() -> None:
    cols = (Column("n", ScalarType.NUMERIC),)
    enc = CopyEncoder(cols, CopyOptions(format="binary"))
    data = enc.header() + b"".join(enc.rows([(Decimal("1.50"),)]))
    dec = CopyDecoder(cols, CopyOptions(format="binary"))
    assert dec.feed(data) == [(Decimal("1.50"),)]
    with pytest.raises(PymzError):
        dec.finish()  # no trailer
