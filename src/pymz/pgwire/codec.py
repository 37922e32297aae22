"""Value codecs keyed by PostgreSQL type OID: text and binary, both directions.

Guarantees: for every :class:`ScalarType` and its one-dimensional array type, values in the
conventions of :mod:`pymz.repr.types` encode to the bytes PostgreSQL sends, and parameters
decode from what PostgreSQL accepts. OIDs 0 and 705 (unknown) decode as ``str``. Decode errors
are :class:`PymzError` (22P02/22003/22007/22008 for text, 22P03 for binary).
"""

from __future__ import annotations

import datetime as dt
import struct
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from pymz.errors import FeatureNotSupported, PymzError
from pymz.repr import Column, Interval, ScalarType
from pymz.repr import textfmt as tf

Encoder = Callable[[object], bytes]
Decoder = Callable[[bytes], object]

TEXT = 0
BINARY = 1
UNKNOWN_OIDS = (0, 705)

PG_EPOCH_DATE = dt.date(2000, 1, 1)
PG_EPOCH = dt.datetime(2000, 1, 1)
PG_EPOCH_TZ = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
_ONE_US = dt.timedelta(microseconds=1)


def binary_error(type_name: str, why: str = "incorrect binary data format") -> PymzError:
    return PymzError(f"{why} in {type_name} parameter", sqlstate="22P03")


# ---------------------------------------------------------------- binary: fixed-width


def _fixed(fmt: str, type_name: str) -> tuple[Encoder, Decoder]:
    st = struct.Struct(fmt)

    def enc(v: object) -> bytes:
        return st.pack(v)

    def dec(b: bytes) -> object:
        if len(b) != st.size:
            raise binary_error(type_name)
        return st.unpack(b)[0]

    return enc, dec


def _bool_dec(b: bytes) -> object:
    if len(b) != 1:
        raise binary_error("boolean")
    return b != b"\x00"


def _float_enc(fmt: str) -> Encoder:
    st = struct.Struct(fmt)
    return lambda v: st.pack(float(v))  # type: ignore[arg-type]


# ---------------------------------------------------------------- binary: numeric

_NUMERIC_HDR = struct.Struct(">hhHH")
_NUMERIC_POS, _NUMERIC_NEG, _NUMERIC_NAN = 0x0000, 0x4000, 0xC000
_NUMERIC_PINF, _NUMERIC_NINF = 0xD000, 0xF000


def numeric_to_binary(v: object) -> bytes:
    """PostgreSQL's NumericVar wire form: base-10000 digits, weight, sign, display scale."""
    d = v if isinstance(v, Decimal) else Decimal(str(v))
    if d.is_nan():
        return _NUMERIC_HDR.pack(0, 0, _NUMERIC_NAN, 0)
    if d.is_infinite():
        return _NUMERIC_HDR.pack(0, 0, _NUMERIC_PINF if d > 0 else _NUMERIC_NINF, 0)
    text = format(d.copy_abs(), "f")
    ipart, _, fpart = text.partition(".")
    fpart = fpart.rstrip("0")  # as the text output: no trailing fractional zeros
    dscale = len(fpart)
    ipart = ipart.lstrip("0")
    ipart = "0" * (-len(ipart) % 4) + ipart
    fpart = fpart + "0" * (-len(fpart) % 4)
    groups = [int(ipart[i : i + 4]) for i in range(0, len(ipart), 4)]
    groups += [int(fpart[i : i + 4]) for i in range(0, len(fpart), 4)]
    weight = len(ipart) // 4 - 1
    while groups and groups[0] == 0:
        groups.pop(0)
        weight -= 1
    while groups and groups[-1] == 0:
        groups.pop()
    if not groups:
        weight = 0
    sign = _NUMERIC_NEG if d.is_signed() and groups else _NUMERIC_POS
    return _NUMERIC_HDR.pack(len(groups), weight, sign, dscale) + struct.pack(
        f">{len(groups)}h", *groups
    )


def numeric_from_binary(b: bytes) -> object:
    if len(b) < 8:
        raise binary_error("numeric")
    ndigits, weight, sign, dscale = _NUMERIC_HDR.unpack_from(b)
    if len(b) != 8 + 2 * ndigits or ndigits < 0:
        raise binary_error("numeric")
    if sign == _NUMERIC_NAN:
        return Decimal("NaN")
    if sign in (_NUMERIC_PINF, _NUMERIC_NINF):
        return Decimal("Infinity") if sign == _NUMERIC_PINF else Decimal("-Infinity")
    if sign not in (_NUMERIC_POS, _NUMERIC_NEG) or dscale > 0x3FFF:
        raise binary_error("numeric", "invalid sign or scale")
    groups = struct.unpack_from(f">{ndigits}h", b, 8)
    if any(not 0 <= g < 10000 for g in groups):
        raise binary_error("numeric", "invalid digit")
    digits_str = "".join(f"{g:04d}" for g in groups) or "0"
    exp = (weight + 1 - ndigits) * 4
    digits = tuple(int(c) for c in digits_str)
    # Adjust to the display scale without a decimal context (which would round).
    if exp > -dscale:
        digits, exp = digits + (0,) * (exp + dscale), -dscale
    elif exp < -dscale:
        digits, exp = digits[: len(digits) - (-dscale - exp)] or (0,), -dscale
    return Decimal((1 if sign == _NUMERIC_NEG else 0, digits, exp))


# ---------------------------------------------------------------- binary: date/time

_I32 = struct.Struct(">i")
_I64 = struct.Struct(">q")
_INTERVAL = struct.Struct(">qii")


def _date_enc(v: object) -> bytes:
    assert isinstance(v, dt.date)
    return _I32.pack((v - PG_EPOCH_DATE).days)


def _date_dec(b: bytes) -> object:
    if len(b) != 4:
        raise binary_error("date")
    try:
        return PG_EPOCH_DATE + dt.timedelta(days=_I32.unpack(b)[0])
    except OverflowError:
        raise PymzError("date out of range", sqlstate="22008") from None


def _time_enc(v: object) -> bytes:
    assert isinstance(v, dt.time)
    return _I64.pack(((v.hour * 60 + v.minute) * 60 + v.second) * 1_000_000 + v.microsecond)


def _time_dec(b: bytes) -> object:
    if len(b) != 8:
        raise binary_error("time")
    us = _I64.unpack(b)[0]
    if not 0 <= us <= tf.USECS_PER_DAY:
        raise PymzError("time out of range", sqlstate="22008")
    us = min(us, tf.USECS_PER_DAY - 1)
    s, frac = divmod(us, 1_000_000)
    return dt.time(s // 3600, s // 60 % 60, s % 60, frac)


def _timestamp_enc(v: object) -> bytes:
    assert isinstance(v, dt.datetime)
    return _I64.pack((v.replace(tzinfo=None) - PG_EPOCH) // _ONE_US)


def _timestamptz_enc(v: object) -> bytes:
    assert isinstance(v, dt.datetime)
    aware = v if v.tzinfo is not None else v.replace(tzinfo=dt.UTC)
    return _I64.pack((aware - PG_EPOCH_TZ) // _ONE_US)


def _timestamp_dec(b: bytes) -> object:
    if len(b) != 8:
        raise binary_error("timestamp")
    try:
        return PG_EPOCH + dt.timedelta(microseconds=_I64.unpack(b)[0])
    except OverflowError:
        raise PymzError("timestamp out of range", sqlstate="22008") from None


def _timestamptz_dec(b: bytes) -> object:
    if len(b) != 8:
        raise binary_error("timestamp with time zone")
    try:
        return PG_EPOCH_TZ + dt.timedelta(microseconds=_I64.unpack(b)[0])
    except OverflowError:
        raise PymzError("timestamp out of range", sqlstate="22008") from None


def _interval_enc(v: object) -> bytes:
    assert isinstance(v, Interval)
    return _INTERVAL.pack(v.microseconds, v.days, v.months)


def _interval_dec(b: bytes) -> object:
    if len(b) != 16:
        raise binary_error("interval")
    us, days, months = _INTERVAL.unpack(b)
    return Interval(months, days, us)


# ---------------------------------------------------------------- binary: variable-width


def _text_enc(v: object) -> bytes:
    return str(v).encode()


def _text_dec(b: bytes) -> object:
    try:
        return b.decode("utf-8")
    except UnicodeDecodeError:
        raise PymzError(
            "invalid byte sequence for encoding \"UTF8\"", sqlstate="22021"
        ) from None


def _bytea_enc(v: object) -> bytes:
    assert isinstance(v, bytes | bytearray | memoryview)
    return bytes(v)


def _uuid_enc(v: object) -> bytes:
    return v.bytes if isinstance(v, uuid.UUID) else uuid.UUID(str(v)).bytes


def _uuid_dec(b: bytes) -> object:
    if len(b) != 16:
        raise binary_error("uuid")
    return uuid.UUID(bytes=b)


def _jsonb_enc(v: object) -> bytes:
    return b"\x01" + tf.jsonb_out(v).encode()


def _jsonb_dec(b: bytes) -> object:
    if not b or b[0] != 1:
        raise binary_error("jsonb", "unsupported jsonb version number")
    text = _text_dec(b[1:])
    assert isinstance(text, str)
    return tf.jsonb_in(text)


# ---------------------------------------------------------------- registry


@dataclass(frozen=True)
class ScalarCodec:
    text_out: Callable[[object], str]
    text_in: Callable[[str], object]
    bin_out: Encoder
    bin_in: Decoder


def _build() -> dict[ScalarType, ScalarCodec]:
    i2 = _fixed(">h", "smallint")
    i4 = _fixed(">i", "integer")
    i8 = _fixed(">q", "bigint")
    oid = _fixed(">I", "oid")
    u8 = _fixed(">Q", "mz_timestamp")
    f4d = _fixed(">f", "real")[1]
    f8d = _fixed(">d", "double precision")[1]
    text = ScalarCodec(tf.str_out, str, _text_enc, _text_dec)
    return {
        ScalarType.BOOL: ScalarCodec(
            tf.bool_out, tf.bool_in, lambda v: b"\x01" if v else b"\x00", _bool_dec
        ),
        ScalarType.BYTEA: ScalarCodec(tf.bytea_out, tf.bytea_in, _bytea_enc, bytes),
        ScalarType.INT2: ScalarCodec(str, lambda s: tf.int_in(s, "smallint"), *i2),
        ScalarType.INT4: ScalarCodec(str, lambda s: tf.int_in(s, "integer"), *i4),
        ScalarType.INT8: ScalarCodec(str, lambda s: tf.int_in(s, "bigint"), *i8),
        ScalarType.OID: ScalarCodec(str, lambda s: tf.int_in(s, "oid"), *oid),
        ScalarType.MZ_TIMESTAMP: ScalarCodec(str, lambda s: tf.int_in(s, "mz_timestamp"), *u8),
        ScalarType.FLOAT4: ScalarCodec(
            lambda v: tf.float_out(v, single=True),
            lambda s: tf.float_in(s, single=True),
            _float_enc(">f"),
            f4d,
        ),
        ScalarType.FLOAT8: ScalarCodec(tf.float_out, tf.float_in, _float_enc(">d"), f8d),
        ScalarType.NUMERIC: ScalarCodec(
            tf.numeric_out, tf.numeric_in, numeric_to_binary, numeric_from_binary
        ),
        ScalarType.TEXT: text,
        ScalarType.VARCHAR: text,
        ScalarType.CHAR: text,
        ScalarType.UNKNOWN: text,
        ScalarType.DATE: ScalarCodec(tf.date_out, tf.date_in, _date_enc, _date_dec),
        ScalarType.TIME: ScalarCodec(tf.time_out, tf.time_in, _time_enc, _time_dec),
        ScalarType.TIMESTAMP: ScalarCodec(
            tf.timestamp_out, tf.timestamp_in, _timestamp_enc, _timestamp_dec
        ),
        ScalarType.TIMESTAMPTZ: ScalarCodec(
            tf.timestamptz_out, tf.timestamptz_in, _timestamptz_enc, _timestamptz_dec
        ),
        ScalarType.INTERVAL: ScalarCodec(
            tf.interval_out, tf.interval_in, _interval_enc, _interval_dec
        ),
        ScalarType.JSONB: ScalarCodec(tf.jsonb_out, tf.jsonb_in, _jsonb_enc, _jsonb_dec),
        ScalarType.UUID: ScalarCodec(tf.uuid_out, tf.uuid_in, _uuid_enc, _uuid_dec),
    }


CODECS: dict[ScalarType, ScalarCodec] = _build()
_ARRAY_ELEMENT: dict[int, ScalarType] = {t.array_oid: t for t in ScalarType if t.array_oid}
_ARRAY_HDR = struct.Struct(">iii")
_DIM = struct.Struct(">ii")


def _array_bin_out(elem: ScalarType) -> Encoder:
    enc = CODECS[elem].bin_out

    def out(v: object) -> bytes:
        assert isinstance(v, list | tuple)
        if not v:
            return _ARRAY_HDR.pack(0, 0, elem.oid)
        parts = [_ARRAY_HDR.pack(1, int(any(e is None for e in v)), elem.oid),
                 _DIM.pack(len(v), 1)]
        for e in v:
            if e is None:
                parts.append(_I32.pack(-1))
            else:
                b = enc(e)
                parts.append(_I32.pack(len(b)))
                parts.append(b)
        return b"".join(parts)

    return out


def _array_bin_in(elem: ScalarType) -> Decoder:
    dec = CODECS[elem].bin_in
    name = f"{elem.type_name}[]"

    def inp(b: bytes) -> object:
        if len(b) < 12:
            raise binary_error(name)
        ndim, _flags, elem_oid = _ARRAY_HDR.unpack_from(b)
        if ndim == 0:
            return []
        if ndim != 1:
            raise FeatureNotSupported("multidimensional arrays are not supported")
        if elem_oid != elem.oid:
            raise PymzError(
                "binary data has array element type "
                f"{elem_oid} instead of expected {elem.oid}", sqlstate="42804")
        if len(b) < 20:
            raise binary_error(name)
        n, _lbound = _DIM.unpack_from(b, 12)
        pos, out = 20, list[object]()
        for _ in range(n):
            if pos + 4 > len(b):
                raise binary_error(name)
            ln = _I32.unpack_from(b, pos)[0]
            pos += 4
            if ln < 0:
                out.append(None)
                continue
            if pos + ln > len(b):
                raise binary_error(name)
            out.append(dec(b[pos : pos + ln]))
            pos += ln
        if pos != len(b):
            raise binary_error(name)
        return out

    return inp


def text_encoder(column: Column) -> Encoder:
    """Encoder of one column's non-NULL values in text format."""
    out = CODECS[column.type].text_out
    if column.is_array:
        return lambda v: tf.array_out(v, out).encode()
    return lambda v: out(v).encode()


def binary_encoder(column: Column) -> Encoder:
    if column.is_array:
        return _array_bin_out(column.type)
    return CODECS[column.type].bin_out


def encoder(column: Column, fmt: int) -> Encoder:
    return binary_encoder(column) if fmt == BINARY else text_encoder(column)


def decoder(oid: int, fmt: int) -> Decoder:
    """Decoder of parameter bytes for type ``oid`` in format ``fmt`` (0 text, 1 binary)."""
    scalar = ScalarType.from_oid(oid) if oid not in UNKNOWN_OIDS else ScalarType.UNKNOWN
    if scalar is not None:
        c = CODECS[scalar]
        if fmt == BINARY:
            return c.bin_in
        text_in = c.text_in
        return lambda b: text_in(_as_text(b))
    elem = _ARRAY_ELEMENT.get(oid)
    if elem is not None:
        if fmt == BINARY:
            return _array_bin_in(elem)
        elem_in = CODECS[elem].text_in
        name = f"{elem.type_name}[]"
        return lambda b: tf.array_in(_as_text(b), elem_in, name)
    if fmt == TEXT:
        return _as_text
    raise FeatureNotSupported(f"binary format is not supported for parameters of type {oid}")


def _as_text(b: bytes) -> str:
    v = _text_dec(b)
    assert isinstance(v, str)
    return v
