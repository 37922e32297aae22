"""Comparisons with a constant take a shortcut; it must equal the column-vs-column path."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import numpy as np
import pytest

from pymz.compute.render.scalar import compile_scalar
from pymz.expr.scalar import Call, ColumnRef, Literal
from pymz.repr.types import ScalarType

CASES = [
    (ScalarType.DATE, [dt.date(2020, 1, 1), None, dt.date(1995, 3, 15), dt.date(1990, 1, 1)],
     dt.date(1995, 3, 15)),
    (ScalarType.TEXT, ["b", "a", None, "ab", ""], "ab"),
    (ScalarType.NUMERIC, [Decimal("1.5"), None, Decimal("-2"), Decimal("1.50")],
     Decimal("1.5")),
    (ScalarType.DATE, [dt.date(2020, 1, 1), dt.date(1995, 3, 15)], dt.date(1995, 3, 15)),
]


@pytest.mark.parametrize("op", ["eq", "neq", "lt", "lte", "gt", "gte"])
@pytest.mark.parametrize(("st", "values", "constant"), CASES)
def test_constant_comparison_equals_column_comparison(op: str, st: ScalarType,
                                                      values: list[object],
                                                      constant: object) -> None:
    n = len(values)
    col = np.empty(n, dtype=object)
    col[:] = values
    const_col = np.empty(n, dtype=object)
    const_col[:] = [constant] * n
    shortcut = compile_scalar(Call(op, (ColumnRef(0), Literal(constant, st)), ScalarType.BOOL))
    general = compile_scalar(Call(op, (ColumnRef(0), ColumnRef(1)), ScalarType.BOOL))
    got = shortcut((col,), n)
    want = general((col, const_col), n)
    assert got.tolist() == want.tolist()
    assert [v is None for v in got.tolist()] == [v is None for v in values]
