"""IR JSON encoding: lossless round trips of planner output and of every datum type."""

from __future__ import annotations

import datetime as dt
import json
import math
import uuid
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from tests.unit.test_expr_differential import QUERIES, TABLES

from pymz import errors
from pymz.expr import Literal, optimize, plan
from pymz.expr.relation import Constant, PlannedQuery
from pymz.expr.serde import decode, decode_value, dumps, encode, encode_value, loads
from pymz.repr import Column, Interval, ScalarType


def catalog(parts: tuple[str, ...]) -> tuple[str, list[Column]] | None:
    return TABLES.get(parts[-1])


@pytest.mark.parametrize("sql", [q for q, _ in QUERIES])
def test_planned_queries_round_trip(sql: str) -> None:
    q = plan(sql, catalog)
    for p in (q, PlannedQuery(optimize(q.expr), q.finishing, q.names)):
        text = dumps(p)
        back = loads(text)
        assert back == p
        assert back.expr.schema == p.expr.schema
        assert json.loads(text)["v"] == 1


datums = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text()
    | st.floats(allow_nan=False) | st.decimals(allow_nan=False, allow_infinity=False)
    | st.dates() | st.times() | st.datetimes() | st.datetimes(timezones=st.just(dt.UTC))
    | st.builds(Interval, st.integers(), st.integers(), st.integers())
    | st.binary() | st.uuids(),
    lambda inner: st.lists(inner, max_size=3).map(tuple), max_leaves=8)


@given(datums)
def test_datums_round_trip_with_their_types(v: object) -> None:
    back = decode_value(json.loads(json.dumps(encode_value(v))))
    assert back == v and type(back) is type(v)


def test_special_values() -> None:
    for v in (float("inf"), -0.0, Decimal("1.50"), Decimal("-1E+3"), 2**70, b"\x00\xff",
              uuid.UUID(int=5), (1, None, (2,))):
        back = decode_value(json.loads(json.dumps(encode_value(v))))
        assert back == v and repr(back) == repr(v)
    nan = decode_value(encode_value(float("nan")))
    assert isinstance(nan, float) and math.isnan(nan)
    assert decode_value(encode_value([1, 2])) == (1, 2)  # arrays are tuples inside


def test_literals_and_constants_of_every_type() -> None:
    vals = [(True, ScalarType.BOOL), (3, ScalarType.INT4), (1.5, ScalarType.FLOAT8),
            (Decimal("2.25"), ScalarType.NUMERIC), ("x", ScalarType.TEXT),
            (dt.date(2024, 1, 2), ScalarType.DATE), (dt.time(1, 2, 3), ScalarType.TIME),
            (dt.datetime(2024, 1, 2, 3), ScalarType.TIMESTAMP),
            (dt.datetime(2024, 1, 2, 3, tzinfo=dt.UTC), ScalarType.TIMESTAMPTZ),
            (Interval(1, 2, 3), ScalarType.INTERVAL), (b"ab", ScalarType.BYTEA),
            (uuid.UUID(int=1), ScalarType.UUID), ('{"a": 1}', ScalarType.JSONB),
            (None, ScalarType.INT8)]
    for v, t in vals:
        lit = Literal(v, t)
        assert loads(dumps(lit)) == lit
    cols = tuple(Column(f"c{i}", t, True) for i, (_, t) in enumerate(vals))
    const = Constant(((tuple(v for v, _ in vals), 2),), cols)
    back = loads(dumps(const))
    assert back == const and [type(x) for x in back.rows[0][0]] == [type(v) for v, _ in vals]
    arr = Literal((1, None), ScalarType.INT4, True)
    assert decode(encode(arr)) == arr


def test_bad_input_is_an_internal_error() -> None:
    with pytest.raises(errors.InternalError):
        loads('{"v": 99, "ir": null}')
    with pytest.raises(errors.InternalError):
        decode({"$": "Nope"})
    with pytest.raises(errors.InternalError):
        encode(object())
