"""pgwire value codecs: text output as PostgreSQL prints it, and text/binary round trips."""

from __future__ import annotations

import datetime as dt
import math
import struct
import uuid
from decimal import Decimal

import pytest

from pymz.errors import PymzError
from pymz.pgwire import codec
from pymz.repr import Column, Interval, ScalarType
from pymz.repr import textfmt as tf

T = ScalarType


def text_out(t: ScalarType, v: object, is_array: bool = False) -> str:
    return codec.text_encoder(Column("c", t, is_array=is_array))(v).decode()


# (type, value, what PostgreSQL 16 prints)
PG_TEXT = [
    (T.BOOL, True, "t"), (T.BOOL, False, "f"),
    (T.INT2, -32768, "-32768"), (T.INT8, 9223372036854775807, "9223372036854775807"),
    (T.OID, 4294967295, "4294967295"),
    (T.FLOAT8, 0.1, "0.1"), (T.FLOAT8, 1.0, "1"), (T.FLOAT8, -2.5, "-2.5"),
    (T.FLOAT8, 1e15, "1e+15"), (T.FLOAT8, 123456789012345.0, "123456789012345"),
    (T.FLOAT8, 1e-5, "1e-05"), (T.FLOAT8, 0.0001, "0.0001"), (T.FLOAT8, 1.5e300, "1.5e+300"),
    (T.FLOAT8, 1 / 3, "0.3333333333333333"), (T.FLOAT8, float("inf"), "Infinity"),
    (T.FLOAT8, float("-inf"), "-Infinity"), (T.FLOAT8, float("nan"), "NaN"),
    (T.FLOAT8, -0.0, "-0"), (T.FLOAT8, 100.0, "100"),
    (T.FLOAT4, 0.1, "0.1"), (T.FLOAT4, 1e6, "1e+06"), (T.FLOAT4, 123456.0, "123456"),
    (T.FLOAT4, 3.4028234663852886e38, "3.4028235e+38"), (T.FLOAT4, 0.1 + 0.2, "0.3"),
    (T.FLOAT4, 1e300, "Infinity"),
    # Materialize prints numerics without trailing fractional zeros (PostgreSQL: 1.50).
    (T.NUMERIC, Decimal("1.50"), "1.5"), (T.NUMERIC, Decimal("1E+3"), "1000"),
    (T.NUMERIC, Decimal("-0.00"), "0"), (T.NUMERIC, Decimal("NaN"), "NaN"),
    (T.NUMERIC, Decimal("-Infinity"), "-Infinity"),
    (T.NUMERIC, Decimal("0.000001"), "0.000001"),
    (T.TEXT, "a\tb", "a\tb"), (T.BYTEA, b"\xde\xad", "\\xdead"), (T.BYTEA, b"", "\\x"),
    (T.DATE, dt.date(1, 1, 1), "0001-01-01"),
    (T.TIME, dt.time(0, 0), "00:00:00"), (T.TIME, dt.time(1, 2, 3, 400), "01:02:03.0004"),
    (T.TIMESTAMP, dt.datetime(2020, 2, 29, 12, 0, 0, 500000), "2020-02-29 12:00:00.5"),
    (T.TIMESTAMPTZ, dt.datetime(2020, 1, 1, 1, 0, tzinfo=dt.timezone(dt.timedelta(hours=2))),
     "2019-12-31 23:00:00+00"),
    (T.INTERVAL, Interval(), "00:00:00"),
    (T.INTERVAL, Interval(months=1), "1 mon"),
    (T.INTERVAL, Interval(months=-14), "-1 years -2 mons"),
    (T.INTERVAL, Interval(days=1, microseconds=-1), "1 day -00:00:00.000001"),
    (T.INTERVAL, Interval(months=-1, days=3), "-1 mons +3 days"),
    (T.INTERVAL, Interval(days=-1, microseconds=3_600_000_000), "-1 days +01:00:00"),
    (T.INTERVAL, Interval(microseconds=100 * 3_600_000_000 + 1_500_000), "100:00:01.5"),
    (T.INTERVAL, Interval(12, 2, 0), "1 year 2 days"),
    (T.JSONB, '{"a": 1}', '{"a": 1}'),
    (T.UUID, uuid.UUID(int=1), "00000000-0000-0000-0000-000000000001"),
    (T.MZ_TIMESTAMP, 1700000000000, "1700000000000"),
]


@pytest.mark.parametrize(("typ", "value", "expected"), PG_TEXT)
def test_text_output_matches_postgres(typ: ScalarType, value: object, expected: str) -> None:
    assert text_out(typ, value) == expected


@pytest.mark.parametrize(
    ("typ", "value", "expected"),
    [
        (T.TEXT, ["a", None, "", "NULL", "x y", 'q"', "b\\s", "{}", "ü"],
         '{a,NULL,"","NULL","x y","q\\"","b\\\\s","{}",ü}'),
        (T.INT4, [], "{}"),
        (T.BYTEA, [b"\x01"], '{"\\\\x01"}'),
        (T.FLOAT8, [1.5, float("nan")], "{1.5,NaN}"),
        (T.BOOL, [True, False], "{t,f}"),
    ],
)
def test_array_text_output(typ: ScalarType, value: object, expected: str) -> None:
    assert text_out(typ, value, is_array=True) == expected


def _same(a: object, b: object) -> bool:
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a):
        return math.isnan(b)
    if isinstance(a, Decimal) and isinstance(b, Decimal):
        if not a.is_finite():
            return str(a) == str(b)
        # Same value and same display scale (numeric has no positive exponents).
        return a == b and max(0, -int(a.as_tuple().exponent)) == max(
            0, -int(b.as_tuple().exponent))
    return a == b


ROUND_TRIP = [
    (T.BOOL, True), (T.INT2, -7), (T.INT4, 2**31 - 1), (T.INT8, -(2**63)), (T.OID, 2**32 - 1),
    (T.FLOAT4, 0.5), (T.FLOAT4, float("-inf")), (T.FLOAT8, 0.1), (T.FLOAT8, float("nan")),
    (T.FLOAT8, 5e-324), (T.NUMERIC, Decimal("0")), (T.NUMERIC, Decimal("0.0012")),
    (T.NUMERIC, Decimal("-98765432109876543210.0123456789")), (T.NUMERIC, Decimal("1E+20")),
    (T.NUMERIC, Decimal("10000")), (T.NUMERIC, Decimal("NaN")),
    (T.NUMERIC, Decimal("Infinity")),
    (T.TEXT, "héllo\nworld"), (T.VARCHAR, ""), (T.BYTEA, bytes(range(256))),
    (T.DATE, dt.date(2000, 1, 1)), (T.DATE, dt.date(1999, 12, 31)), (T.DATE, dt.date(9999, 1, 1)),
    (T.TIME, dt.time(23, 59, 59, 999999)),
    (T.TIMESTAMP, dt.datetime(1970, 1, 1, 0, 0, 0, 1)),
    (T.TIMESTAMP, dt.datetime(2100, 7, 4, 5, 6, 7)),
    (T.TIMESTAMPTZ, dt.datetime(1999, 1, 1, tzinfo=dt.UTC)),
    (T.INTERVAL, Interval(-14, 3, 14_706_000_001)), (T.INTERVAL, Interval(0, -1, -1)),
    (T.JSONB, '{"a": [1, 2.50, "x"], "bb": null}'),
    (T.UUID, uuid.UUID("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11")),
    (T.MZ_TIMESTAMP, 2**63),
]


@pytest.mark.parametrize(("typ", "value"), ROUND_TRIP)
@pytest.mark.parametrize("fmt", [codec.TEXT, codec.BINARY])
def test_round_trip(typ: ScalarType, value: object, fmt: int) -> None:
    col = Column("c", typ)
    data = codec.encoder(col, fmt)(value)
    assert _same(codec.decoder(typ.oid, fmt)(data), value)


@pytest.mark.parametrize(("typ", "value"), ROUND_TRIP)
@pytest.mark.parametrize("fmt", [codec.TEXT, codec.BINARY])
def test_array_round_trip(typ: ScalarType, value: object, fmt: int) -> None:
    col = Column("c", typ, is_array=True)
    arr = [value, None, value]
    got = codec.decoder(typ.array_oid, fmt)(codec.encoder(col, fmt)(arr))
    assert isinstance(got, list) and len(got) == 3 and got[1] is None
    assert _same(got[0], value) and _same(got[2], value)


@pytest.mark.parametrize(
    ("value", "header", "digits"),
    [
        (Decimal("0"), (0, 0, 0, 0), ()),
        (Decimal("1.50"), (2, 0, 0, 1), (1, 5000)),
        (Decimal("-12345.678"), (3, 1, 0x4000, 3), (1, 2345, 6780)),
        (Decimal("0.0012"), (1, -1, 0, 4), (12,)),
        (Decimal("10000"), (1, 1, 0, 0), (1,)),
        (Decimal("NaN"), (0, 0, 0xC000, 0), ()),
    ],
)
def test_numeric_binary_layout(value: Decimal, header: tuple[int, ...],
                               digits: tuple[int, ...]) -> None:
    expected = struct.pack(">hhHH", *header) + struct.pack(f">{len(digits)}h", *digits)
    assert codec.numeric_to_binary(value) == expected


def test_binary_layouts() -> None:
    enc = codec.binary_encoder
    assert enc(Column("c", T.DATE))(dt.date(2000, 1, 2)) == struct.pack(">i", 1)
    assert enc(Column("c", T.TIMESTAMP))(dt.datetime(2000, 1, 1, 0, 0, 1)) == struct.pack(
        ">q", 1_000_000)
    assert enc(Column("c", T.TIMESTAMPTZ))(
        dt.datetime(2000, 1, 1, 1, tzinfo=dt.timezone(dt.timedelta(hours=1)))
    ) == struct.pack(">q", 0)
    assert enc(Column("c", T.INTERVAL))(Interval(1, 2, 3)) == struct.pack(">qii", 3, 2, 1)
    assert enc(Column("c", T.JSONB))('{"a": 1}') == b'\x01{"a": 1}'
    assert enc(Column("c", T.INT4, is_array=True))([1, None]) == struct.pack(
        ">iiiiiiii", 1, 1, 23, 2, 1, 4, 1, -1)
    assert enc(Column("c", T.INT4, is_array=True))([]) == struct.pack(">iii", 0, 0, 23)


@pytest.mark.parametrize(
    ("oid", "text", "sqlstate"),
    [
        (23, "12x", "22P02"), (23, "", "22P02"), (23, "2147483648", "22003"),
        (21, "1_0", "22P02"), (20, "٣", "22P02"), (16, "maybe", "22P02"), (16, "o", "22P02"),
        (701, "1e400", "22003"), (701, "abc", "22P02"), (700, "1e39", "22003"),
        (1700, "1.2.3", "22P02"), (1700, "sNaN", "22P02"), (17, "\\xZZ", "22P02"),
        (2950, "not-a-uuid", "22P02"), (3802, "{bad", "22P02"), (3802, "NaN", "22P02"),
        (1082, "2024-13-01", "22008"), (1082, "yesterday", "22007"),
        (1114, "2024-01-01 25:00", "22008"), (1083, "noon", "22007"),
        (1186, "1 fortnight", "22P02"), (1007, "{1,{2}}", "0A000"), (1007, "1,2", "22P02"),
        (1007, "{1,x}", "22P02"),
    ],
)
def test_text_decode_errors(oid: int, text: str, sqlstate: str) -> None:
    with pytest.raises(PymzError) as ei:
        codec.decoder(oid, codec.TEXT)(text.encode())
    assert ei.value.sqlstate == sqlstate


@pytest.mark.parametrize(
    ("oid", "data"),
    [(23, b"\0\0\0"), (20, b"\0" * 4), (16, b""), (701, b"\0" * 4), (1082, b"\0"),
     (2950, b"\0" * 15), (1186, b"\0" * 12), (1700, b"\0\x01\0\0\0\0\0\0"), (3802, b"\x02{}"),
     (1007, b"\0\0\0\x01\0\0\0\0\0\0\0\x17\0\0\0\x02\0\0\0\x01\0\0\0\x04\0\0\0\x01")],
)
def test_binary_decode_errors(oid: int, data: bytes) -> None:
    with pytest.raises(PymzError) as ei:
        codec.decoder(oid, codec.BINARY)(data)
    assert ei.value.sqlstate == "22P03"


@pytest.mark.parametrize(
    ("oid", "text", "value"),
    [
        (16, " TRUE ", True), (16, "yes", True), (16, "off", False), (16, "f", False),
        (23, " -42 ", -42), (701, "-Infinity", float("-inf")), (701, " 1.5e3", 1500.0),
        (1700, " 1.50 ", Decimal("1.50")),
        (17, "\\x01 02", b"\x01\x02"), (17, "ab\\\\c\\001", b"ab\\c\x01"),
        (1082, "2024-02-29", dt.date(2024, 2, 29)),
        (1083, "24:00:00", dt.time(23, 59, 59, 999999)),
        (1114, "2024-01-02T03:04:05.1234567", dt.datetime(2024, 1, 2, 3, 4, 5, 123457)),
        (1114, "2024-01-02", dt.datetime(2024, 1, 2)),
        (1184, "2024-01-02 03:04:05+02:30",
         dt.datetime(2024, 1, 2, 0, 34, 5, tzinfo=dt.UTC)),
        (1184, "2024-01-02 03:04:05-07", dt.datetime(2024, 1, 2, 10, 4, 5, tzinfo=dt.UTC)),
        (1184, "2024-01-02 03:04:05Z", dt.datetime(2024, 1, 2, 3, 4, 5, tzinfo=dt.UTC)),
        (1186, "1 year 2 mons -3 days 04:05:06.5", Interval(14, -3, 14_706_500_000)),
        (1186, "1 day 0:00:01", Interval(0, 1, 1_000_000)),
        (1186, "-1 day, 23:59:59", Interval(0, -1, 86_399_000_000)),
        (1186, "@ 2 hours ago", Interval(0, 0, -7_200_000_000)),
        (1186, "1.5 days", Interval(0, 1, 43_200_000_000)),
        (1186, "1.5 months", Interval(1, 15, 0)),
        (1186, "90", Interval(0, 0, 90_000_000)),
        (3802, '{"b":1, "a" : [true,1.50]}', '{"a": [true, 1.50], "b": 1}'),
        (3802, '{"aa":1,"b":2}', '{"b": 2, "aa": 1}'),
        (2950, "{A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11}",
         uuid.UUID("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11")),
        (1009, '{a, "b,c" ,NULL,"NULL",\\"q}', ["a", "b,c", None, "NULL", '"q']),
        (1007, "[1:2]={1,2}", [1, 2]), (1007, "{}", []),
        (0, "anything", "anything"), (705, "x", "x"), (114, "{}", "{}"),
    ],
)
def test_text_decode(oid: int, text: str, value: object) -> None:
    assert codec.decoder(oid, codec.TEXT)(text.encode()) == value


def test_unknown_oid_binary_is_not_supported() -> None:
    with pytest.raises(PymzError) as ei:
        codec.decoder(114, codec.BINARY)
    assert ei.value.sqlstate == "0A000"
    assert codec.decoder(0, codec.BINARY)(b"raw") == "raw"


def test_float_shortest_round_trips() -> None:
    for v in (0.1 + 0.2, 1e22, 2.2250738585072014e-308, 123.456, 9007199254740993.0):
        assert float(tf.float_out(v)) == v
    for v in (0.1, 3.14159, 1e-10, 16777217.0):
        f32 = struct.unpack("f", struct.pack("f", v))[0]
        assert struct.unpack("f", struct.pack("f", float(tf.float_out(f32, single=True))))[0] \
            == f32
