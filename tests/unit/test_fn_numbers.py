"""Numeric functions (pymz.expr.library.numbers): behaviour the PostgreSQL comparison
corpus cannot show — pymz's deliberate departures (39-digit numerics), the PostgreSQL
result-scale rules on inputs the corpus does not build, error SQLSTATEs, and the
vectorised dataflow agreeing with the reference evaluator."""

from __future__ import annotations

import math
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import pytest
from tests.sqlcheck import checks

from pymz import errors
from pymz.expr import plan
from pymz.expr.library import numbers_float as fl
from pymz.expr.library import numbers_numeric as nu
from pymz.repr import Column, ScalarType

T = ScalarType
TABLE = "u_nums"
COLUMNS = (Column("id", T.INT4, nullable=False), Column("f", T.FLOAT8), Column("n", T.NUMERIC),
           Column("i", T.INT4))
ROWS: list[tuple[Any, ...]] = [
    (1, 2.25, Decimal("3.14159"), 10), (2, -0.5, Decimal("-2.5"), -7), (3, None, None, None),
    (4, 0.0, Decimal(0), 0), (5, 1e300, Decimal("12345678901234567890.123456789"), 2**31 - 1),
    (6, 1e-300, Decimal("0.000000001"), -(2**31)), (7, 0.5, Decimal("1.00001"), 3),
]










def _catalog(parts: tuple[str, ...]) -> tuple[str, Sequence[Column]] | None:
    return (TABLE, COLUMNS) if parts[-1] == "t" else None


both, one, sqlstate = checks("t", TABLE, COLUMNS, ROWS)


def test_dataflow_agrees_with_evaluator_on_every_function() -> None:
    rows = both("select id, round(f), round(n, 3), trunc(n, -1), ceil(n), floor(f), sign(n), "
                "sqrt(abs(f)), cbrt(f), exp(n / 1000), ln(abs(n) + 1), log(abs(f) + 1), "
                "power(n, 2), gcd(i, 6), lcm(i % 1000, 4), div(n, 3), sin(f), sind(i), "
                "atan2(f, 1), degrees(f), width_bucket(f, -1, 3, 4), "
                "width_bucket(n, -5, 5, 10) from t where id <> 5 order by id")
    assert rows[2][1:] == (None,) * (len(rows[2]) - 1)
    assert rows[0][1] == 2.0 and rows[0][2] == Decimal("3.142")


def test_numeric_results_have_no_trailing_zeros_and_integer_exponents() -> None:
    for v in (nu.n_round(Decimal("2.50"), 5), nu.n_sqrt(Decimal(100)), nu.n_ceil(Decimal("9.5")),
              nu.n_power(Decimal(10), Decimal(3)), nu.n_trunc(Decimal("1234.5"), -2)):
        exponent = v.as_tuple().exponent
        assert (isinstance(exponent, int) and exponent <= 0) or v.adjusted() >= 39
        assert str(v) == format(v, "f")
    assert nu.n_round(Decimal("-0.4")) == 0 and not nu.n_round(Decimal("-0.4")).is_signed()


def test_postgres_result_scales() -> None:
    # The display scale of the input counts, as in PostgreSQL: more digits for 2.000...
    assert str(nu.n_sqrt(Decimal("2"))) == "1.414213562373095"
    assert str(nu.n_sqrt(Decimal("2.00000000000000000000000"))) == \
        "1.41421356237309504880169"
    assert str(nu.n_ln(Decimal("1.0001"))) == "0.00009999500033330834"
    assert str(nu.n_exp(Decimal(-100))) == "3.720075976020836E-44"
    # Integer powers keep max(16, scale) digits (PostgreSQL 15): 10^-20 rounds to zero.
    assert nu.n_power(Decimal(10), Decimal(-20)) == 0
    assert str(nu.n_power(Decimal("1.5"), Decimal(100))) == "406561177535215237.3972797075670417"


def test_numeric_beyond_39_digits_is_an_overflow_error() -> None:
    for sql in ("select exp(100::numeric)", "select power(2::numeric, 200)",
                "select factorial(41)", "select power(2::numeric, 200.5)",
                "select lcm(12345678901234567890123456789::numeric, 98765432109876543211)"):
        assert sqlstate(sql) == "22003", sql
    # Exactly representable large values are fine.
    assert one("select power(10::numeric, 50)") == Decimal(10) ** 50
    assert one("select factorial(40)") == math.factorial(40)


def test_numeric_special_values() -> None:
    nan, inf = Decimal("NaN"), Decimal("Infinity")
    assert nu.n_sqrt(nan).is_nan() and nu.n_round(nan, 2).is_nan() and nu.n_sign(nan).is_nan()
    assert nu.n_exp(-inf) == 0 and nu.n_ln(inf) == inf and nu.n_ceil(-inf) == -inf
    assert nu.n_power(inf, Decimal(-1)) == 0 and nu.n_power(Decimal(-1), inf) == 1
    assert nu.n_power(nan, Decimal(0)) == 1 and nu.n_gcd(nan, Decimal(1)).is_nan()
    assert nu.n_div(inf, Decimal(-2)) == -inf
    with pytest.raises(errors.PymzError) as e:
        nu.n_ln(-inf)
    assert e.value.sqlstate == "2201E"


@pytest.mark.parametrize(("sql", "state"), [
    ("select sqrt(-1::numeric)", "2201F"), ("select sqrt(-1e-300::float8)", "2201F"),
    ("select ln(0::numeric)", "2201E"), ("select log(-2::float8)", "2201E"),
    ("select power(0::numeric, -2)", "2201F"), ("select power(-8::float8, 0.5)", "2201F"),
    ("select div(1::numeric, 0)", "22012"), ("select log(1::numeric, 5)", "22012"),
    ("select exp(710::float8)", "22003"), ("select exp(-750::float8)", "22003"),
    ("select power(1e200::float8, 2)", "22003"), ("select radians(5e-324::float8)", "22003"),
    ("select cos('-Infinity'::float8)", "22003"), ("select atanh(1.5::float8)", "22003"),
    ("select gcd(-2147483648, 0)", "22003"), ("select lcm(-9223372036854775808, 1::int8)", "22003"),
    ("select width_bucket(1::numeric, 0, 1, -1)", "2201G"),
    ("select factorial(-3)", "22003"), ("select random()", "42883"),
    ("select round(1.5, 3000000000)", "42883"), ("select sind('x')", "22P02"),
])
def test_errors(sql: str, state: str) -> None:
    assert sqlstate(sql) == state


def test_error_on_some_rows_only_is_raised_by_both_engines() -> None:
    assert sqlstate("select ln(n) from t") == "2201E"
    assert sqlstate("select sqrt(f) from t") == "2201F"
    assert sqlstate("select exp(f) from t") == "22003"


def test_float_special_cases_match_c_semantics() -> None:
    assert math.copysign(1.0, fl.f_ceil(-0.5)) == -1.0
    assert math.copysign(1.0, fl.f_round(-0.4)) == -1.0
    assert fl.f_round(2.5) == 2.0 and fl.f_round(3.5) == 4.0  # rint: half to even
    assert fl.f_sign(-0.0) == 0.0 and math.copysign(1.0, fl.f_sign(-0.0)) == 1.0
    assert fl.f_power(-1.0, math.inf) == 1.0 and fl.f_power(-math.inf, 3.0) == -math.inf
    assert fl.f_cot(0.0) == math.inf and fl.f_cotd(-0.0) == -math.inf
    assert fl.f_sinh(1000.0) == math.inf and fl.f_cosh(-1000.0) == math.inf
    assert (fl.f_sind(30.0), fl.f_cosd(60.0), fl.f_tand(45.0), fl.f_asind(0.5)) == \
        (0.5, 0.5, 1.0, 30.0)
    assert math.isnan(fl.f_sqrt(math.nan)) and math.isnan(fl.f_sin(math.nan))


def test_width_bucket_with_overflowing_range_gives_a_sensible_bucket() -> None:
    # PostgreSQL 15 returns an undefined value here (C overflow); pymz halves the
    # operands as later releases do.
    assert fl.f_width_bucket(180.0, 1e308, -267.4, 3) == 3
    assert fl.f_width_bucket(0.0, -1e308, 1e308, 4) == 3


def test_types_follow_postgres_resolution() -> None:
    q = plan("select round(5), round(5.5), round(5.5, 1), log10(2::float8), log(10, 2), "
             "div(7, 2), gcd(4, 6), gcd(4::int8, 6), power(2, 3), sqrt(4::numeric), pi()",
             _catalog)
    got = [q.expr.schema[i].type for i in q.finishing.project]
    assert got == [T.FLOAT8, T.NUMERIC, T.NUMERIC, T.FLOAT8, T.NUMERIC, T.NUMERIC, T.INT4,
                   T.INT8, T.FLOAT8, T.NUMERIC, T.FLOAT8]
    # log(10, x) written out is PostgreSQL's numeric log, not log10: no float8 overload.
    assert sqlstate("select log(10, f) from t") == "42883"


def test_integer_gcd_lcm() -> None:
    assert both("select gcd(i, 4), lcm(i, 4) from t where id in (1, 2, 4) order by id") == [
        (2, 20), (1, 28), (4, 0)]
    assert one("select gcd(-9223372036854775807, 0::int8)") == 2**63 - 1
