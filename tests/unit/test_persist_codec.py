"""Arrow encoding of every ScalarType (scalars and arrays) round-trips exactly."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

import pytest

from pymz.persist.codec import decode_updates, encode_updates
from pymz.persist.consolidate import Update
from pymz.repr.types import Column, Interval, ScalarType


def _norm(v: object) -> object:
    """Make NaN comparable (Decimal('NaN') != itself) while keeping everything else exact."""
    if isinstance(v, Decimal):
        return ("decimal", str(v))
    if isinstance(v, list | tuple):
        return [_norm(e) for e in v]
    return v


SAMPLES: dict[ScalarType, list[object]] = {
    ScalarType.BOOL: [True, False],
    ScalarType.BYTEA: [b"", b"\x00\xff binary"],
    ScalarType.INT2: [-(2**15), 2**15 - 1],
    ScalarType.INT4: [-(2**31), 2**31 - 1],
    ScalarType.INT8: [-(2**63), 2**63 - 1],
    ScalarType.OID: [0, 2**32 - 1],
    ScalarType.FLOAT4: [1.5, 0.1, float("inf")],
    ScalarType.FLOAT8: [-0.0, 1e300, 0.1],
    ScalarType.NUMERIC: [
        Decimal("123.4500"),
        Decimal("-1e-40"),
        Decimal("NaN"),
        Decimal("Infinity"),
    ],
    ScalarType.TEXT: ["", "héllo ☃"],
    ScalarType.VARCHAR: ["x" * 1000],
    ScalarType.CHAR: ["a  "],
    ScalarType.DATE: [dt.date(1, 1, 1), dt.date(9999, 12, 31), dt.date(2024, 2, 29)],
    ScalarType.TIME: [dt.time(0, 0), dt.time(23, 59, 59, 999999)],
    ScalarType.TIMESTAMP: [dt.datetime(1970, 1, 1), dt.datetime(2262, 1, 1, 0, 0, 0, 1)],
    ScalarType.TIMESTAMPTZ: [
        dt.datetime(2020, 5, 1, 12, 0, tzinfo=dt.UTC),
        dt.datetime(2020, 5, 1, 12, 0, tzinfo=dt.timezone(dt.timedelta(hours=-7))),
    ],
    ScalarType.INTERVAL: [Interval(), Interval(-14, 3, 86_400_000_001)],
    ScalarType.JSONB: ['{"a":[1,2,null]}', "null"],
    ScalarType.UUID: [uuid.UUID(int=0), uuid.UUID("12345678-1234-5678-1234-567812345678")],
    ScalarType.MZ_TIMESTAMP: [0, 2**64 - 1],
    ScalarType.UNKNOWN: ["?"],
}


def test_samples_cover_every_scalar_type() -> None:
    assert set(SAMPLES) == set(ScalarType)


@pytest.mark.parametrize("st", list(ScalarType), ids=lambda t: t.name)
def test_scalar_round_trip(st: ScalarType) -> None:
    cols = [Column("v", st), Column("k", ScalarType.INT4, nullable=False)]
    values = [*SAMPLES[st], None]
    ups: list[Update] = [((v, i), 10 + i, (-1) ** i) for i, v in enumerate(values)]
    got = decode_updates(cols, encode_updates(cols, ups))
    assert _norm(got) == _norm(ups)
    for (g_row, _, _), (w_row, _, _) in zip(got, ups, strict=True):
        assert type(g_row[0]) is type(w_row[0])


@pytest.mark.parametrize("st", list(ScalarType), ids=lambda t: t.name)
def test_array_round_trip(st: ScalarType) -> None:
    cols = [Column("arr", st, is_array=True)]
    ups: list[Update] = [
        ((list(SAMPLES[st]),), 1, 1),
        (([None, SAMPLES[st][0]],), 2, 1),
        (([],), 3, 1),
        ((None,), 4, 2),
    ]
    got = decode_updates(cols, encode_updates(cols, ups))
    assert _norm(got) == _norm(ups)


def test_timestamptz_keeps_the_instant() -> None:
    cols = [Column("t", ScalarType.TIMESTAMPTZ)]
    v = dt.datetime(2020, 5, 1, 5, 0, tzinfo=dt.timezone(dt.timedelta(hours=-7)))
    [(row, _, _)] = decode_updates(cols, encode_updates(cols, [((v,), 0, 1)]))
    got = row[0]
    assert isinstance(got, dt.datetime)
    assert got == v
    assert got.utcoffset() == dt.timedelta(0)


def test_empty_schema_and_empty_batch() -> None:
    assert decode_updates([], encode_updates([], [((), 5, 3)])) == [((), 5, 3)]
    cols = [Column("a", ScalarType.TEXT)]
    assert decode_updates(cols, encode_updates(cols, [])) == []


def test_schema_width_mismatch_is_detected() -> None:
    data = encode_updates([Column("a", ScalarType.TEXT)], [(("x",), 0, 1)])
    with pytest.raises(ValueError):
        decode_updates([Column("a", ScalarType.TEXT), Column("b", ScalarType.TEXT)], data)
