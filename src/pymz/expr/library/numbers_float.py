"""double precision implementations of the numeric function family (see :mod:`.numbers`).

Each function follows PostgreSQL 15's ``float.c``: the same special cases for NaN and
infinities, the same SQLSTATEs (2201E for logarithms of zero or negative numbers, 2201F for
square roots of negative numbers and invalid powers, 22003 for "input is out of range",
"value out of range: overflow" and "value out of range: underflow"), and the same formulas
where rounding makes them observable (``degrees`` divides by the radians-per-degree
constant; the degree-based trigonometric functions scale by the same reference values so
that ``sind(30)`` is exactly 0.5). Python's ``math`` wraps the same C library functions, so
results agree bit for bit on the same platform.

Departures: none known for finite inputs. Python's ``math`` raises instead of setting errno;
those cases are mapped to the errors PostgreSQL raises for them.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

from pymz import errors
from pymz.repr import ScalarType

RADIANS_PER_DEGREE = 0.0174532925199432957692
INF = math.inf


def overflow() -> errors.PymzError:
    return errors.NumericValueOutOfRange("value out of range: overflow")


def underflow() -> errors.PymzError:
    return errors.NumericValueOutOfRange("value out of range: underflow")


def out_of_range() -> errors.PymzError:
    return errors.NumericValueOutOfRange("input is out of range")


def power_error(msg: str) -> errors.PymzError:
    return errors.PymzError(msg, sqlstate="2201F")


def log_error(zero: bool) -> errors.PymzError:
    return errors.PymzError(
        "cannot take logarithm of zero" if zero else
        "cannot take logarithm of a negative number", sqlstate="2201E")


def _f(a: Sequence[object], i: int = 0) -> float:
    v = a[i]
    assert isinstance(v, float | int)
    return float(v)


def _unary(fn: Callable[[float], float]) -> Callable[[Sequence[object], ScalarType], object]:
    return lambda a, t: fn(_f(a))


# --- rounding -------------------------------------------------------------------------------


def _integral(x: float, fn: Callable[[float], int]) -> float:
    """ceil/floor/trunc keeping C's signed zero and passing NaN/infinity through."""
    if not math.isfinite(x):
        return x
    return math.copysign(float(fn(x)), x)


def f_round(x: float) -> float:
    # rint(): half to even, like Python's round(); round(x, 0) keeps the float and -0.
    return x if not math.isfinite(x) else round(x, 0)


def f_ceil(x: float) -> float:
    return _integral(x, math.ceil)


def f_floor(x: float) -> float:
    return _integral(x, math.floor)


def f_trunc(x: float) -> float:
    return _integral(x, math.trunc)


def f_sign(x: float) -> float:
    return 1.0 if x > 0 else -1.0 if x < 0 else 0.0


# --- powers and logarithms ------------------------------------------------------------------


def f_sqrt(x: float) -> float:
    if x < 0:
        raise power_error("cannot take square root of a negative number")
    return math.sqrt(x)


def f_cbrt(x: float) -> float:
    r = math.cbrt(x)
    if r == 0.0 and x != 0.0:
        raise underflow()
    return r


def f_power(x: float, y: float) -> float:
    if math.isnan(x):
        return 1.0 if y == 0.0 else math.nan
    if math.isnan(y):
        return 1.0 if x == 1.0 else math.nan
    if x == 0 and y < 0:
        raise power_error("zero raised to a negative power is undefined")
    if x < 0 and math.isfinite(y) and math.floor(y) != y:
        raise power_error("a negative number raised to a non-integer power yields a "
                          "complex result")
    if math.isinf(y):
        ax = abs(x)
        if ax == 1.0:
            return 1.0
        if y > 0:
            return y if ax > 1.0 else 0.0
        return 0.0 if ax > 1.0 else -y
    if math.isinf(x):
        if y == 0.0:
            return 1.0
        if x > 0:
            return x if y > 0 else 0.0
        odd = math.floor(y / 2) != y / 2
        if y > 0:
            return x if odd else -x
        return -0.0 if odd else 0.0
    try:
        r = math.pow(x, y)
    except OverflowError:
        raise overflow() from None
    if math.isinf(r):
        raise overflow()
    if r == 0.0 and x != 0.0:
        raise underflow()
    return r


def f_exp(x: float) -> float:
    if math.isnan(x):
        return x
    if math.isinf(x):
        return x if x > 0 else 0.0
    try:
        r = math.exp(x)
    except OverflowError:
        raise overflow() from None
    if r == 0.0:
        raise underflow()
    return r


def _log(fn: Callable[[float], float]) -> Callable[[float], float]:
    def run(x: float) -> float:
        if x == 0.0:
            raise log_error(True)
        if x < 0:
            raise log_error(False)
        r = fn(x)
        if r == 0.0 and x != 1.0:
            raise underflow()
        return r
    return run


f_ln = _log(math.log)
f_log10 = _log(math.log10)


# --- trigonometry ---------------------------------------------------------------------------


def _periodic(fn: Callable[[float], float], check_inf: bool = True) -> Callable[[float], float]:
    def run(x: float) -> float:
        if math.isnan(x):
            return x
        if math.isinf(x):
            raise out_of_range()
        r = fn(x)
        if check_inf and math.isinf(r):
            raise overflow()
        return r
    return run


def _inverse(fn: Callable[[float], float], bounded: bool) -> Callable[[float], float]:
    def run(x: float) -> float:
        if math.isnan(x):
            return x
        if bounded and (x < -1.0 or x > 1.0):
            raise out_of_range()
        return fn(x)
    return run


f_sin = _periodic(math.sin)
f_cos = _periodic(math.cos)
f_tan = _periodic(math.tan, check_inf=False)  # tan(pi/2) may be huge but is allowed


def _cot(x: float) -> float:
    tan = math.tan(x)
    return math.copysign(INF, tan) if tan == 0.0 else 1.0 / tan


f_cot = _periodic(_cot, check_inf=False)  # cot(0) is Infinity
f_asin = _inverse(math.asin, True)
f_acos = _inverse(math.acos, True)
f_atan = _inverse(math.atan, False)


def f_atan2(y: float, x: float) -> float:
    return math.nan if math.isnan(x) or math.isnan(y) else math.atan2(y, x)


def f_degrees(x: float) -> float:
    r = x / RADIANS_PER_DEGREE
    if math.isinf(r) and not math.isinf(x):
        raise overflow()
    return r


def f_radians(x: float) -> float:
    r = x * RADIANS_PER_DEGREE
    if math.isinf(r) and not math.isinf(x):
        raise overflow()
    if r == 0.0 and x != 0.0:
        raise underflow()
    return r


# Degree-based functions: PostgreSQL scales by reference values so the special angles come
# out exact; the same arithmetic here gives the same doubles.
_SIN_30 = math.sin(30.0 * RADIANS_PER_DEGREE)
_ONE_MINUS_COS_60 = 1.0 - math.cos(60.0 * RADIANS_PER_DEGREE)
_ASIN_0_5 = math.asin(0.5)
_ACOS_0_5 = math.acos(0.5)
_ATAN_1_0 = math.atan(1.0)


def _sind_0_to_30(x: float) -> float:
    return (math.sin(x * RADIANS_PER_DEGREE) / _SIN_30) / 2.0


def _cosd_0_to_60(x: float) -> float:
    return 1.0 - ((1.0 - math.cos(x * RADIANS_PER_DEGREE)) / _ONE_MINUS_COS_60) / 2.0


def _sind_q1(x: float) -> float:
    return _sind_0_to_30(x) if x <= 30.0 else _cosd_0_to_60(90.0 - x)


def _cosd_q1(x: float) -> float:
    return _cosd_0_to_60(x) if x <= 60.0 else _sind_0_to_30(90.0 - x)


_TAN_45 = _sind_q1(45.0) / _cosd_q1(45.0)
_COT_45 = _cosd_q1(45.0) / _sind_q1(45.0)


def _reduce(x: float, odd_neg: bool, odd_over_180: bool, odd_over_90: bool
            ) -> tuple[float, float]:
    """Reduce degrees to [0, 90] and the sign flip, as PostgreSQL does per function."""
    sign = 1.0
    x = math.fmod(x, 360.0)
    if x < 0.0:
        x = -x
        sign = -sign if odd_neg else sign
    if x > 180.0:
        x = 360.0 - x
        sign = -sign if odd_over_180 else sign
    if x > 90.0:
        x = 180.0 - x
        sign = -sign if odd_over_90 else sign
    return x, sign


def _degree_fn(fn: Callable[[float], float]) -> Callable[[float], float]:
    def run(x: float) -> float:
        if math.isnan(x):
            return x
        if math.isinf(x):
            raise out_of_range()
        return fn(x)
    return run


@_degree_fn
def f_sind(x: float) -> float:
    x, sign = _reduce(x, True, True, False)
    return sign * _sind_q1(x)


@_degree_fn
def f_cosd(x: float) -> float:
    x, sign = _reduce(x, False, False, True)
    return sign * _cosd_q1(x)


def _ratio(num: float, den: float) -> float:
    if den == 0.0:  # C division: a signed infinity (the sign of zero counts), or NaN
        return math.copysign(INF, num) * math.copysign(1.0, den) if num != 0.0 else math.nan
    return num / den


@_degree_fn
def f_tand(x: float) -> float:
    x, sign = _reduce(x, True, True, True)
    r = sign * (_ratio(_sind_q1(x), _cosd_q1(x)) / _TAN_45)
    return 0.0 if r == 0.0 else r  # PostgreSQL never returns minus zero here


@_degree_fn
def f_cotd(x: float) -> float:
    x, sign = _reduce(x, True, True, True)
    r = sign * (_ratio(_cosd_q1(x), _sind_q1(x)) / _COT_45)
    return 0.0 if r == 0.0 else r


def _asind_q1(x: float) -> float:
    if x <= 0.5:
        return (math.asin(x) / _ASIN_0_5) * 30.0
    return 90.0 - (math.acos(x) / _ACOS_0_5) * 60.0


def _acosd_q1(x: float) -> float:
    if x <= 0.5:
        return 90.0 - (math.asin(x) / _ASIN_0_5) * 30.0
    return (math.acos(x) / _ACOS_0_5) * 60.0


def f_asind(x: float) -> float:
    if math.isnan(x):
        return x
    if x < -1.0 or x > 1.0:
        raise out_of_range()
    return _asind_q1(x) if x >= 0.0 else -_asind_q1(-x)


def f_acosd(x: float) -> float:
    if math.isnan(x):
        return x
    if x < -1.0 or x > 1.0:
        raise out_of_range()
    return _acosd_q1(x) if x >= 0.0 else 90.0 + _asind_q1(-x)


def f_atand(x: float) -> float:
    return x if math.isnan(x) else (math.atan(x) / _ATAN_1_0) * 45.0


def f_atan2d(y: float, x: float) -> float:
    if math.isnan(x) or math.isnan(y):
        return math.nan
    return (math.atan2(y, x) / _ATAN_1_0) * 45.0


# --- hyperbolic -----------------------------------------------------------------------------


def f_sinh(x: float) -> float:
    try:
        return math.sinh(x)
    except OverflowError:
        return -INF if x < 0 else INF  # PostgreSQL returns infinity, no error


def f_cosh(x: float) -> float:
    try:
        return math.cosh(x)
    except OverflowError:
        return INF


def f_acosh(x: float) -> float:
    if x < 1.0:
        raise out_of_range()
    return math.acosh(x)


def f_atanh(x: float) -> float:
    if x < -1.0 or x > 1.0:
        raise out_of_range()
    if x in (-1.0, 1.0):
        return math.copysign(INF, x)
    return math.atanh(x)


# --- width_bucket ---------------------------------------------------------------------------


def bucket_error(msg: str) -> errors.PymzError:
    return errors.PymzError(msg, sqlstate="2201G")


def bucket_outside(op: Any, b1: Any, b2: Any, count: int, *, nan: bool,
                   infinite: bool) -> int | None:
    """width_bucket's argument checks (both forms) and the buckets outside the range:
    0 below it, ``count + 1`` above, None inside. ``nan``/``infinite``: whether any
    argument is NaN / a bound is infinite."""
    if count <= 0:
        raise bucket_error("count must be greater than zero")
    if nan:
        raise bucket_error("operand, lower bound, and upper bound cannot be NaN")
    if infinite:
        raise bucket_error("lower and upper bounds must be finite")
    if b1 == b2:
        raise bucket_error("lower bound cannot equal upper bound")
    if (op < b1) if b1 < b2 else (op > b1):
        return 0
    if (op >= b2) if b1 < b2 else (op <= b2):
        if count == 2**31 - 1:
            raise errors.NumericValueOutOfRange("integer out of range")
        return count + 1
    return None


def f_width_bucket(op: float, b1: float, b2: float, count: int) -> int:
    outside = bucket_outside(op, b1, b2, count,
                             nan=math.isnan(op) or math.isnan(b1) or math.isnan(b2),
                             infinite=math.isinf(b1) or math.isinf(b2))
    if outside is not None:
        return outside
    r = (float(count) * (op - b1) / (b2 - b1)) if b1 < b2 else \
        (float(count) * (b1 - op) / (b1 - b2))
    if not math.isfinite(r):
        # The bounds are so far apart that their difference overflows (undefined in C):
        # halve everything, as later PostgreSQL releases do.
        r = float(count) * ((op / 2 - b1 / 2) / (b2 / 2 - b1 / 2))
        r = min(max(r, 0.0), count - 1.0)
    return math.trunc(r + 1)


UNARY: dict[str, Callable[[float], float]] = {
    "round": f_round, "ceil": f_ceil, "floor": f_floor, "trunc": f_trunc, "sign": f_sign,
    "sqrt": f_sqrt, "cbrt": f_cbrt, "exp": f_exp, "ln": f_ln, "log10": f_log10,
    "sin": f_sin, "cos": f_cos, "tan": f_tan, "cot": f_cot, "asin": f_asin, "acos": f_acos,
    "atan": f_atan, "sind": f_sind, "cosd": f_cosd, "tand": f_tand, "cotd": f_cotd,
    "asind": f_asind, "acosd": f_acosd, "atand": f_atand, "degrees": f_degrees,
    "radians": f_radians, "sinh": f_sinh, "cosh": f_cosh, "tanh": math.tanh,
    "asinh": math.asinh, "acosh": f_acosh, "atanh": f_atanh,
}
BINARY: dict[str, Callable[[float, float], float]] = {
    "power": f_power, "atan2": f_atan2, "atan2d": f_atan2d,
}


def unary_impl(name: str) -> Callable[[Sequence[object], ScalarType], object]:
    return _unary(UNARY[name])


def binary_impl(name: str) -> Callable[[Sequence[object], ScalarType], object]:
    fn = BINARY[name]
    return lambda a, t: fn(_f(a, 0), _f(a, 1))


def width_bucket_impl(a: Sequence[object], t: ScalarType) -> object:
    count = a[3]
    assert isinstance(count, int)
    return f_width_bucket(_f(a, 0), _f(a, 1), _f(a, 2), count)
