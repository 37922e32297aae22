"""Snapshot-query peek plans and result rows round-trip every repr value type."""

from __future__ import annotations

import datetime as dt
import json
import math
import uuid
from decimal import Decimal

import pytest

from pymz.compute.peek import conform
from pymz.compute_client.controller import peek_rows
from pymz.compute_client.peek_plan import (
    ShardImport,
    SnapshotQueryPlan,
    concat_results,
    decode_plan,
    decode_result,
    decode_value,
    encode_plan,
    encode_result,
    encode_value,
    plan_kind,
    result_columns,
)
from pymz.compute_client.protocol import PeekResponse, peek_error
from pymz.errors import InternalError, PymzError, QueryCanceled
from pymz.repr.types import Column, Interval, ScalarType
from pymz.sqlexec import QueryRows, RelationSnapshot

UTC_PLUS_2 = dt.timezone(dt.timedelta(hours=2))

# One value per ScalarType (the Python conventions of pymz.repr.types).
SAMPLES: list[tuple[ScalarType, object]] = [
    (ScalarType.BOOL, True),
    (ScalarType.BYTEA, b"\x00\xffbin"),
    (ScalarType.INT2, -7),
    (ScalarType.INT4, 2**31 - 1),
    (ScalarType.INT8, -(2**63)),
    (ScalarType.OID, 4_000_000_000),
    (ScalarType.FLOAT4, 1.5),
    (ScalarType.FLOAT8, 0.1 + 0.2),
    (ScalarType.NUMERIC, Decimal("12345678901234567890.000100")),
    (ScalarType.TEXT, 'héllo "world"'),
    (ScalarType.VARCHAR, ""),
    (ScalarType.CHAR, "x"),
    (ScalarType.DATE, dt.date(1999, 12, 31)),
    (ScalarType.TIME, dt.time(23, 59, 59, 999999)),
    (ScalarType.TIMESTAMP, dt.datetime(2024, 2, 29, 12, 0, 0, 1)),
    (ScalarType.TIMESTAMPTZ, dt.datetime(2024, 2, 29, 12, 0, 0, 1, tzinfo=dt.UTC)),
    (ScalarType.INTERVAL, Interval(months=14, days=-3, microseconds=123_456_789)),
    (ScalarType.JSONB, '{"a": [1, 2]}'),
    (ScalarType.UUID, uuid.UUID("12345678-1234-5678-1234-567812345678")),
    (ScalarType.MZ_TIMESTAMP, 1_700_000_000_000),
]

EXTRA_VALUES: list[object] = [
    None,
    False,
    Decimal("NaN"),
    Decimal("-Infinity"),
    Decimal("1.2300"),
    float("inf"),
    float("-inf"),
    2**70,
    dt.datetime(2020, 1, 1, 3, 4, 5, tzinfo=UTC_PLUS_2),
    [1, None, 3],
    [Decimal("1.0"), None],
    [[1, 2], [3, None]],
    [],
]


def _same(a: object, b: object) -> bool:
    if type(a) is not type(b):
        return False
    if isinstance(a, Decimal) and isinstance(b, Decimal):
        return (a.is_nan() and b.is_nan()) or str(a) == str(b)
    if isinstance(a, dt.datetime) and isinstance(b, dt.datetime):
        return a == b and a.utcoffset() == b.utcoffset()
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return a == b


@pytest.mark.parametrize("value", [v for _, v in SAMPLES] + EXTRA_VALUES, ids=repr)
def test_value_round_trip(value: object) -> None:
    back = decode_value(json.loads(json.dumps(encode_value(value), allow_nan=False)))
    assert _same(back, value), (back, value)


def test_float_nan_round_trips() -> None:
    back = decode_value(encode_value(float("nan")))
    assert isinstance(back, float) and math.isnan(back)


def test_unencodable_value_is_an_internal_error() -> None:
    with pytest.raises(InternalError):
        encode_value(object())


def _columns() -> tuple[Column, ...]:
    cols = [Column(f"c_{t.name.lower()}", t) for t, _ in SAMPLES]
    cols += [Column(f"a_{t.name.lower()}", t, is_array=True) for t, _ in SAMPLES]
    return tuple(cols)


def _row() -> tuple[object, ...]:
    return tuple(v for _, v in SAMPLES) + tuple([v, None] for _, v in SAMPLES)


def test_plan_round_trip_every_type() -> None:
    cols = _columns()
    inline = RelationSnapshot(
        "mz_catalog",
        "mz_clusters",
        cols,
        [_row(), tuple(None for _ in cols)],
        version=7,
    )
    plan = SnapshotQueryPlan(
        sql="SELECT $1::numeric, * FROM t JOIN mz_clusters ON true",
        params=(*(v for _, v in SAMPLES), None, [1, None], Decimal("NaN")),
        param_oids=(*(t.oid for t, _ in SAMPLES), 0, 1007, 1700),
        search_path=("public", "mz_catalog"),
        session_vars={"cluster": "quickstart", "TimeZone": "UTC"},
        imports=(ShardImport("materialize.public", "t", "s-abc_1", cols[:5]),),
        inline_relations=(inline,),
        result_columns=cols,
    )
    data = encode_plan(plan)
    assert plan_kind(data) == "snapshot_query"
    back = decode_plan(data)
    assert back.sql == plan.sql
    assert back.param_oids == plan.param_oids
    assert back.search_path == plan.search_path
    assert dict(back.session_vars) == dict(plan.session_vars)
    assert back.imports == plan.imports
    assert back.result_columns == plan.result_columns
    assert len(back.params) == len(plan.params)
    assert all(_same(a, b) for a, b in zip(back.params, plan.params, strict=True))
    (rel,) = back.inline_relations
    assert (rel.schema, rel.name, rel.columns, rel.version) == (
        "mz_catalog",
        "mz_clusters",
        cols,
        7,
    )
    assert all(
        _same(a, b)
        for ra, rb in zip(rel.rows, inline.rows, strict=True)
        for a, b in zip(ra, rb, strict=True)
    )


def test_plan_kind_of_other_payloads() -> None:
    assert plan_kind(b"") is None
    assert plan_kind(b"not json") is None
    assert plan_kind(b"[1]") is None
    assert plan_kind(b'{"kind": "fast_path"}') == "fast_path"
    with pytest.raises(InternalError):
        decode_plan(b'{"kind": "fast_path"}')
    with pytest.raises(InternalError):
        decode_plan(b'{"kind": "snapshot_query", "version": 1}')


def test_result_round_trip_every_type() -> None:
    cols = _columns()
    rows = [_row(), tuple(None for _ in cols), _row()]
    data = encode_result(cols, rows, timestamp=42)
    assert [(c.name, c.type, c.is_array) for c in result_columns(data)] == [
        (c.name, c.type, c.is_array) for c in cols
    ]
    back = decode_result(data)
    assert len(back) == 3
    for rb, ra in zip(back, rows, strict=True):
        assert all(_same(a, b) for a, b in zip(rb, ra, strict=True)), (rb, ra)


def test_result_with_wrong_value_type_is_an_internal_error() -> None:
    with pytest.raises(InternalError):
        encode_result((Column("x", ScalarType.INT4),), [("not an int",)])


def test_concat_results_keeps_process_order_and_skips_empty_answers() -> None:
    cols = (Column("k", ScalarType.INT8), Column("v", ScalarType.TEXT))
    p0 = encode_result(cols, [(1, "a"), (2, "b")])
    p1 = encode_result(cols, [])
    p2 = encode_result(cols, [(3, None)])
    untyped_empty = encode_result((), [])
    assert decode_result(concat_results([p0, p1, p2])) == [(1, "a"), (2, "b"), (3, None)]
    assert decode_result(concat_results([p0, untyped_empty])) == [(1, "a"), (2, "b")]
    assert decode_result(concat_results([p1, untyped_empty])) == []
    assert concat_results([]) == b""


def test_peek_rows_raises_the_replica_error() -> None:
    err = peek_error("division by zero", sqlstate="22012", hint="check your divisor")
    with pytest.raises(PymzError) as info:
        peek_rows(PeekResponse(uuid="p", error=err))
    assert info.value.sqlstate == "22012"
    assert info.value.message == "division by zero"
    assert info.value.hint == "check your divisor"
    assert info.value.detail is None
    with pytest.raises(QueryCanceled):
        peek_rows(PeekResponse(uuid="p", canceled=True))
    with pytest.raises(InternalError):
        peek_rows(PeekResponse(uuid="p"))


def test_conform_renames_and_coerces_to_described_columns() -> None:
    got = QueryRows(
        columns=(Column("?column?", ScalarType.INT8), Column("s", ScalarType.INT8)),
        rows=[(1, 2), (None, 3)],
    )
    wanted = (Column("n", ScalarType.NUMERIC), Column("s", ScalarType.INT8))
    cols, rows = conform(got, wanted)
    assert cols == wanted
    assert rows == [(Decimal(1), 2), (None, 3)]
    assert isinstance(rows[0][0], Decimal)
    assert conform(got, ()) == (got.columns, got.rows)
    with pytest.raises(InternalError):
        conform(got, wanted[:1])
