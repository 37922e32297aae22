"""Columnar input from persist's Arrow tables equals the row path, type by type."""

from __future__ import annotations

import datetime as dt
import math
from decimal import Decimal
from typing import Any

import numpy as np
import pytest
from tests.unit.test_persist_codec import SAMPLES

from pymz.compute.arrow_input import arrow_batch
from pymz.compute.dataflow import Batch, Dataflow, Input, Negate, Project
from pymz.compute.dataflow.ops import demanded_columns
from pymz.compute.render.compiled import updates_batch
from pymz.persist.codec import decode_table, decode_updates, encode_updates
from pymz.persist.consolidate import Update
from pymz.repr.types import Column, ScalarType


def _norm(v: Any) -> Any:
    if isinstance(v, Decimal):
        return ("decimal", str(v))
    if isinstance(v, float) and math.isnan(v):
        return "nan"
    if isinstance(v, list | tuple):
        return tuple(_norm(e) for e in v)
    return v


def _assert_same(got: Batch, want: Batch) -> None:
    assert [c.dtype for c in got.cols] == [c.dtype for c in want.cols]
    assert _norm(got.rows()) == _norm(want.rows())
    for g, w in zip(got.cols, want.cols, strict=True):  # same Python types, not just equal
        assert [type(v) for v in g.tolist()] == [type(v) for v in w.tolist()]
    assert got.time.tolist() == want.time.tolist()
    assert got.diff.tolist() == want.diff.tolist()


def _both(cols: list[Column], ups: list[Update], as_of: int) -> tuple[Batch, Batch]:
    data = encode_updates(cols, ups)
    want = updates_batch(decode_updates(cols, data), tuple(cols), as_of)
    return arrow_batch([decode_table(cols, data)], cols, as_of), want


@pytest.mark.parametrize("nulls", [False, True], ids=["no-nulls", "nulls"])
@pytest.mark.parametrize("st", list(ScalarType), ids=lambda t: t.name)
def test_scalar_columns_equal_the_row_path(st: ScalarType, nulls: bool) -> None:
    cols = [Column("v", st), Column("k", ScalarType.INT8, nullable=False)]
    values = list(SAMPLES[st]) + ([None] if nulls else [])
    ups: list[Update] = [((v, i), 3 + i, (-1) ** i) for i, v in enumerate(values)]
    got, want = _both(cols, ups, as_of=4)
    _assert_same(got, want)


@pytest.mark.parametrize("st", list(ScalarType), ids=lambda t: t.name)
def test_array_columns_equal_the_row_path(st: ScalarType) -> None:
    cols = [Column("arr", st, is_array=True)]
    ups: list[Update] = [((list(SAMPLES[st]),), 1, 1), (([None, SAMPLES[st][0]],), 2, 1),
                         (([],), 3, 1), ((None,), 4, 2)]
    got, want = _both(cols, ups, as_of=0)
    _assert_same(got, want)


def test_float_nan_and_several_parts() -> None:
    cols = [Column("f", ScalarType.FLOAT8), Column("d", ScalarType.DATE)]
    ups1: list[Update] = [((float("nan"), SAMPLES[ScalarType.DATE][0]), 1, 1)]
    ups2: list[Update] = [((2.5, None), 7, -1), ((0.1, SAMPLES[ScalarType.DATE][1]), 8, 3)]
    parts = [decode_table(cols, encode_updates(cols, u)) for u in (ups1, ups2)]
    got = arrow_batch(parts, cols, as_of=5)
    want = updates_batch(ups1 + ups2, tuple(cols), 5)
    _assert_same(got, want)
    assert got.time.tolist() == [5, 7, 8]


def test_native_columns_are_writable_copies() -> None:
    cols = [Column("i", ScalarType.INT4, nullable=False)]
    ups: list[Update] = [((1,), 1, 1), ((2,), 1, 1)]
    got = arrow_batch([decode_table(cols, encode_updates(cols, ups))], cols, as_of=0)
    assert got.cols[0].dtype == np.int64 and got.cols[0].flags.writeable
    assert got.time.flags.writeable and got.diff.flags.writeable


def test_no_parts_is_an_empty_batch() -> None:
    cols = [Column("i", ScalarType.INT4)]
    assert len(arrow_batch([], cols, as_of=3)) == 0


def test_undemanded_columns_are_not_decoded() -> None:
    """Columns no operator reads come back as placeholders; the demanded ones are exactly
    what a full decode gives."""
    schema = (Column("a", ScalarType.INT8), Column("t", ScalarType.TEXT),
              Column("d", ScalarType.DATE))
    rows = [((1, "x", dt.date(2020, 1, 1)), 1, 1), ((2, None, None), 1, -1)]
    table = decode_table(schema, encode_updates(schema, rows))
    full = arrow_batch([table], schema, 0)
    part = arrow_batch([table], schema, 0, demanded=(0, 2))
    assert part.cols[0].tolist() == full.cols[0].tolist()
    assert part.cols[2].tolist() == full.cols[2].tolist()
    assert part.cols[1].dtype == np.bool_ and len(part.cols[1]) == 2
    df = Dataflow()
    inp = Input(df, 3)
    Project(inp, [2, 0])
    Project(inp, [0])
    assert demanded_columns(inp) == (0, 2)
    Project(Project(inp, [1, 2]), [0])
    assert demanded_columns(inp) == (0, 1, 2)
    df2 = Dataflow()
    only = Input(df2, 3)
    Negate(only)
    assert demanded_columns(only) is None  # a consumer reading whole rows
