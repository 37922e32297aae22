"""Scalar function semantics: NULL propagation, three-valued logic, overflow and division
errors, text functions, casts, temporal arithmetic."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from pymz import errors
from pymz.expr.evaluate import Env, eval_scalar
from pymz.expr.funcs import cast_value, like_regex, parse_interval
from pymz.expr.scalar import (
    FALSE,
    TRUE,
    Call,
    ColType,
    ColumnRef,
    If,
    Literal,
    scalar_type,
)
from pymz.repr import Column, Interval, ScalarType

T = ScalarType
NULL_BOOL = Literal(None, T.BOOL)


def lit(v: object, t: ScalarType) -> Literal:
    return Literal(v, t)


def ev(func: str, *args: object, t: ScalarType = T.INT4) -> object:
    exprs = tuple(a if isinstance(a, Literal | Call | If | ColumnRef) else lit(a, t)
                  for a in args)
    return eval_scalar(Call(func, exprs, t), ())


def test_int_overflow_is_22003_per_width() -> None:
    assert ev("add", 2**31 - 2, 1) == 2**31 - 1
    with pytest.raises(errors.NumericValueOutOfRange, match="integer out of range"):
        ev("add", 2**31 - 1, 1)
    with pytest.raises(errors.NumericValueOutOfRange, match="smallint out of range"):
        ev("mul", 300, 300, t=T.INT2)
    assert ev("mul", 2**31, 2, t=T.INT8) == 2**32
    with pytest.raises(errors.NumericValueOutOfRange) as e:
        ev("neg", -(2**63), t=T.INT8)
    assert e.value.sqlstate == "22003"


def test_division_semantics() -> None:
    assert ev("div", 7, 2) == 3
    assert ev("div", -7, 2) == -3  # truncates toward zero, unlike Python's //
    assert ev("mod", -7, 2) == -1
    assert ev("div", Decimal(1), Decimal(4), t=T.NUMERIC) == Decimal("0.25")
    assert ev("div", 1.0, 4.0, t=T.FLOAT8) == 0.25
    for t, zero in ((T.INT4, 0), (T.NUMERIC, Decimal(0)), (T.FLOAT8, 0.0)):
        with pytest.raises(errors.DivisionByZero) as e:
            ev("div", zero, zero, t=t)
        assert e.value.sqlstate == "22012"
    with pytest.raises(errors.DivisionByZero):
        ev("mod", 1, 0)
    with pytest.raises(errors.NumericValueOutOfRange):
        ev("div", -(2**31), -1)


def test_null_propagation_and_three_valued_logic() -> None:
    assert ev("add", None, 1) is None
    assert ev("eq", None, None) is None
    assert eval_scalar(Call("and", (NULL_BOOL, FALSE), T.BOOL), ()) is False
    assert eval_scalar(Call("and", (NULL_BOOL, TRUE), T.BOOL), ()) is None
    assert eval_scalar(Call("or", (NULL_BOOL, TRUE), T.BOOL), ()) is True
    assert eval_scalar(Call("or", (NULL_BOOL, FALSE), T.BOOL), ()) is None
    assert eval_scalar(Call("not", (NULL_BOOL,), T.BOOL), ()) is None
    assert eval_scalar(Call("is_null", (NULL_BOOL,), T.BOOL), ()) is True
    assert eval_scalar(Call("is_not_distinct", (NULL_BOOL, NULL_BOOL), T.BOOL), ()) is True
    # AND short-circuits: the division by zero on the right is never evaluated.
    guarded = Call("and", (FALSE, Call("eq", (Call("div", (lit(1, T.INT4), lit(0, T.INT4)),
                                                   T.INT4), lit(1, T.INT4)), T.BOOL)), T.BOOL)
    assert eval_scalar(guarded, ()) is False
    # CASE takes ELSE on a NULL condition.
    assert eval_scalar(If(NULL_BOOL, lit(1, T.INT4), lit(2, T.INT4)), ()) == 2


def test_coalesce_nullif_greatest() -> None:
    assert ev("coalesce", None, 2, 3) == 2
    assert ev("coalesce", None, None) is None
    assert ev("nullif", 1, 1) is None
    assert ev("nullif", 1, None) == 1
    assert ev("greatest", 1, None, 3) == 3
    assert ev("least", None, None) is None


def test_text_functions() -> None:
    assert ev("lower", "AbC", t=T.TEXT) == "abc"
    assert ev("upper", "AbC", t=T.TEXT) == "ABC"
    assert ev("length", "héllo", t=T.TEXT) == 5
    assert ev("substr", lit("hello", T.TEXT), lit(2, T.INT4), lit(3, T.INT4), t=T.TEXT) == "ell"
    assert ev("substr", lit("hello", T.TEXT), lit(0, T.INT4), lit(2, T.INT4), t=T.TEXT) == "h"
    assert ev("substr", lit("hello", T.TEXT), lit(3, T.INT4), t=T.TEXT) == "llo"
    assert ev("textcat", "a", "b", t=T.TEXT) == "ab"
    assert ev("textcat", None, "b", t=T.TEXT) is None
    assert like_regex("a%b_").fullmatch("axxbc")
    assert not like_regex("a%").fullmatch("ba")
    assert like_regex("100\\%").fullmatch("100%")
    assert not like_regex("100\\%").fullmatch("1000")
    assert like_regex("A%", True).fullmatch("abc")


def test_casts() -> None:
    assert cast_value("42", T.INT4) == 42
    assert cast_value(" t ", T.BOOL) is True
    assert cast_value(2.5, T.INT4) == 2  # round half to even, as PostgreSQL
    assert cast_value(3.5, T.INT4) == 4
    assert cast_value(Decimal("2.5"), T.INT4) == 3  # numeric rounds half away from zero
    assert cast_value(7, T.TEXT) == "7"
    assert cast_value(True, T.TEXT) == "true"
    assert cast_value("1.50", T.NUMERIC) == Decimal("1.50")
    assert cast_value("2020-01-02", T.DATE) == dt.date(2020, 1, 2)
    assert cast_value(dt.date(2020, 1, 2), T.TIMESTAMP) == dt.datetime(2020, 1, 2)
    with pytest.raises(errors.InvalidTextRepresentation) as e:
        cast_value("abc", T.INT4)
    assert e.value.sqlstate == "22P02"
    with pytest.raises(errors.NumericValueOutOfRange):
        cast_value(2**40, T.INT4)


def test_temporal_arithmetic() -> None:
    d = lit(dt.date(2020, 1, 31), T.DATE)
    month = lit(parse_interval("1 month"), T.INTERVAL)
    assert eval_scalar(Call("add", (d, month), T.TIMESTAMP), ()) == dt.datetime(2020, 2, 29)
    assert eval_scalar(Call("add", (d, lit(1, T.INT4)), T.DATE), ()) == dt.date(2020, 2, 1)
    later = lit(dt.date(2020, 3, 1), T.DATE)
    assert eval_scalar(Call("sub", (later, d), T.INT4), ()) == 30
    ts1 = lit(dt.datetime(2020, 1, 1, 12), T.TIMESTAMP)
    ts0 = lit(dt.datetime(2020, 1, 1), T.TIMESTAMP)
    assert eval_scalar(Call("sub", (ts1, ts0), T.INTERVAL), ()) == Interval(0, 0, 12 * 3600
                                                                            * 10**6)
    assert parse_interval("2 days 3 hours") == Interval(0, 2, 3 * 3600 * 10**6)
    ex = Call("extract", (lit("year", T.TEXT), d), T.NUMERIC)
    assert eval_scalar(ex, ()) == Decimal(2020)


def test_mz_now_is_bound_by_the_evaluator() -> None:
    now = Call("mz_now", (), T.MZ_TIMESTAMP)
    assert eval_scalar(now, (), Env(mz_now=1234)) == 1234
    with pytest.raises(errors.InternalError):
        eval_scalar(now, ())


def test_result_nullability() -> None:
    schema = (Column("a", T.INT4, False), Column("b", T.INT4, True))
    add = Call("add", (ColumnRef(0), ColumnRef(0)), T.INT4)
    assert scalar_type(add, schema) == ColType(T.INT4, False)
    assert scalar_type(Call("add", (ColumnRef(0), ColumnRef(1)), T.INT4), schema).nullable
    assert not scalar_type(Call("is_null", (ColumnRef(1),), T.BOOL), schema).nullable
    assert not scalar_type(Call("coalesce", (ColumnRef(1), ColumnRef(0)), T.INT4),
                           schema).nullable
    assert scalar_type(Call("nullif", (ColumnRef(0), ColumnRef(0)), T.INT4), schema).nullable
