"""numeric implementations of the numeric function family (see :mod:`.numbers`).

PostgreSQL chooses the number of fractional digits of an inexact numeric result (its
"rscale") from the inputs: ``sqrt(2::numeric)`` has 15 fractional digits, ``ln(0.5)`` 16,
``power(2::numeric, 0.5)`` 16, and so on. These functions reproduce PostgreSQL 15's scale
rules (``numeric.c``: sqrt, exp, ln, log, power and the integer-power path), computing the
exact value with enough guard digits and rounding half away from zero at that scale, so
the digits printed are PostgreSQL's. round/trunc/ceil/floor/div/gcd/lcm are exact.

The display scale of an input is taken from the Decimal's exponent (``2.000`` has scale 3),
which is what PostgreSQL's rules depend on; values that went through other operations may
carry a different exponent than PostgreSQL's dscale would be.

Departures from PostgreSQL (Materialize's numeric): results are returned with trailing
zeros removed (Materialize prints no trailing zeros) and at most 39 significant digits.
A result whose integer part does not fit in 39 digits exactly (``exp(100)``,
``power(2::numeric, 200)``, ``factorial(41)``) raises 22003 "value overflows numeric format"
where PostgreSQL would print all of its digits; fractional digits beyond the 39th are
rounded away. NaN and ±Infinity inputs follow PostgreSQL's rules.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from decimal import (
    ROUND_CEILING,
    ROUND_DOWN,
    ROUND_FLOOR,
    ROUND_HALF_EVEN,
    ROUND_HALF_UP,
    Context,
    Decimal,
    Inexact,
    localcontext,
)

from pymz import errors
from pymz.expr.library.numbers_float import bucket_outside, log_error, power_error
from pymz.repr.types import NUMERIC_PRECISION

MIN_SIG_DIGITS = 16  # NUMERIC_MIN_SIG_DIGITS
MAX_DISPLAY_SCALE = 1000  # NUMERIC_MAX_DISPLAY_SCALE
MAX_RESULT_SCALE = 2000  # NUMERIC_MAX_RESULT_SCALE
ZERO = Decimal(0)
ONE = Decimal(1)
NAN = Decimal("NaN")
PINF = Decimal("Infinity")
NINF = Decimal("-Infinity")


def overflow() -> errors.PymzError:
    return errors.NumericValueOutOfRange("value overflows numeric format")


# --- representation -------------------------------------------------------------------------


def dscale(d: Decimal) -> int:
    """PostgreSQL's display scale of ``d``: its number of fractional digits."""
    exp = d.as_tuple().exponent
    assert isinstance(exp, int)
    return max(0, -exp)


def coefficient(d: Decimal) -> tuple[int, int]:
    """(signed integer coefficient, exponent) of a finite Decimal: d = c * 10**e."""
    _, digits, exp = d.as_tuple()
    assert isinstance(exp, int)
    with localcontext() as ctx:
        ctx.prec = len(digits) + 2  # exact: scaleb only moves the exponent
        return int(d.scaleb(-exp)), exp


def nbase(d: Decimal) -> tuple[list[int], int]:
    """The base-10000 digits and weight of ``|d|`` as PostgreSQL stores them (``d`` finite
    and nonzero): value = sum(digits[i] * 10000 ** (weight - i))."""
    coeff, exp = coefficient(d)
    coeff = abs(coeff)
    shift = exp % 4
    n, e4 = coeff * 10**shift, (exp - shift) // 4
    groups: list[int] = []
    while n:
        n, g = divmod(n, 10000)
        groups.append(g)
    groups.reverse()
    weight = len(groups) - 1 + e4
    while groups and groups[-1] == 0:
        groups.pop()
    return groups, weight


def finish(v: Decimal) -> Decimal:
    """A result as pymz holds numerics: 39 significant digits, no trailing zeros."""
    if not v.is_finite():
        return v
    if v.is_zero():
        return ZERO
    with localcontext() as ctx:
        ctx.prec = NUMERIC_PRECISION
        ctx.rounding = ROUND_HALF_UP
        ctx.clear_flags()
        r = ctx.plus(v)
        if r.adjusted() >= NUMERIC_PRECISION and ctx.flags[Inexact]:
            raise overflow()
        r = r.normalize(ctx)
        exp = r.as_tuple().exponent
        if isinstance(exp, int) and exp > 0 and r.adjusted() < NUMERIC_PRECISION:
            r = r.quantize(ONE, context=ctx)
        return r


def round_scale(v: Decimal, scale: int, rounding: str = ROUND_HALF_UP) -> Decimal:
    """``v`` rounded to ``scale`` fractional digits (negative: to tens, hundreds, ...)."""
    if not v.is_finite() or dscale(v) <= scale:
        return v
    with localcontext() as ctx:
        ctx.prec = max(v.adjusted() + scale + 3, 1)
        ctx.rounding = rounding
        return v.quantize(ONE.scaleb(-scale), context=ctx)


def _clamp_scale(rscale: int) -> int:
    return min(max(rscale, 0), MAX_DISPLAY_SCALE)


def _at_scale(fn: Callable[[Context], Decimal], rscale: int) -> Decimal:
    """``fn`` (an inexact function computed in the given context) rounded to ``rscale``."""
    with localcontext() as ctx:
        ctx.prec = 30
        approx = fn(ctx)
    if approx.is_zero():
        return ZERO
    if approx.adjusted() >= NUMERIC_PRECISION:
        with localcontext() as ctx:
            ctx.prec = NUMERIC_PRECISION
            ctx.clear_flags()
            r = fn(ctx)
            if ctx.flags[Inexact]:
                raise overflow()
            return r
    with localcontext() as ctx:
        ctx.prec = max(approx.adjusted() + 1 + rscale, 1) + 12
        ctx.rounding = ROUND_HALF_EVEN
        return round_scale(fn(ctx), rscale)


# --- rounding -------------------------------------------------------------------------------


def n_round(x: Decimal, scale: int = 0) -> Decimal:
    scale = min(max(scale, -MAX_RESULT_SCALE), MAX_RESULT_SCALE)
    return finish(round_scale(x, scale))


def n_trunc(x: Decimal, scale: int = 0) -> Decimal:
    scale = min(max(scale, -MAX_RESULT_SCALE), MAX_RESULT_SCALE)
    return finish(round_scale(x, scale, ROUND_DOWN))


def n_ceil(x: Decimal) -> Decimal:
    return finish(round_scale(x, 0, ROUND_CEILING))


def n_floor(x: Decimal) -> Decimal:
    return finish(round_scale(x, 0, ROUND_FLOOR))


def n_sign(x: Decimal) -> Decimal:
    if x.is_nan():
        return NAN
    return ZERO if x.is_zero() else Decimal(-1) if x.is_signed() else ONE


# --- sqrt, exp, ln, log ---------------------------------------------------------------------


def n_sqrt(x: Decimal) -> Decimal:
    if x.is_nan() or x == PINF:
        return x
    if x.is_signed() and not x.is_zero():
        raise power_error("cannot take square root of a negative number")
    if x.is_zero():
        return ZERO
    _, weight = nbase(x)
    rscale = _clamp_scale(max(MIN_SIG_DIGITS - (2 * weight + 1), dscale(x)))
    return finish(_at_scale(lambda c: c.sqrt(x), rscale))


def n_exp(x: Decimal) -> Decimal:
    if x.is_nan() or x == PINF:
        return x
    if x == NINF:
        return ZERO
    val = float(x)
    if abs(val) >= MAX_RESULT_SCALE * 3:
        if val > 0:
            raise overflow()
        return ZERO
    w = min(max(val * 0.434294481903252, -MAX_RESULT_SCALE), MAX_RESULT_SCALE)
    rscale = _clamp_scale(max(MIN_SIG_DIGITS - int(w), dscale(x)))
    return finish(_at_scale(lambda c: c.exp(x), rscale))


def estimate_ln_dweight(x: Decimal) -> int:
    """PostgreSQL's estimate of the decimal weight of ln(x) (0 for x <= 0)."""
    if x.is_signed() or x.is_zero():
        return 0
    if Decimal("0.9") <= x <= Decimal("1.1"):
        with localcontext() as ctx:
            ctx.prec = len(x.as_tuple().digits) + 2
            diff = x - ONE
        if diff.is_zero():
            return 0
        digits, weight = nbase(diff)
        return weight * 4 + int(math.log10(digits[0]))
    digits, weight = nbase(x)
    lead, dweight = digits[0], weight * 4
    if len(digits) > 1:
        lead, dweight = lead * 10000 + digits[1], dweight - 4
    ln_var = math.log(lead) + dweight * 2.302585092994046
    return int(math.log10(abs(ln_var)))


def _check_ln_arg(x: Decimal) -> None:
    if x.is_zero():
        raise log_error(True)
    if x.is_signed():
        raise log_error(False)


def n_ln(x: Decimal) -> Decimal:
    if x.is_nan() or x == PINF:
        return x
    if x == NINF:
        raise log_error(False)
    rscale = _clamp_scale(max(MIN_SIG_DIGITS - estimate_ln_dweight(x), dscale(x)))
    _check_ln_arg(x)
    return finish(_at_scale(lambda c: c.ln(x), rscale))


def n_log(base: Decimal, x: Decimal) -> Decimal:
    """log(base, x), as PostgreSQL's log_var."""
    if not (base.is_finite() and x.is_finite()):
        if base.is_nan() or x.is_nan():
            return NAN
        if base.is_signed() or x.is_signed():
            raise log_error(False)
        if base.is_zero() or x.is_zero():
            raise log_error(True)
        if base == PINF:
            return NAN if x == PINF else ZERO
        return PINF
    result_dweight = estimate_ln_dweight(x) - estimate_ln_dweight(base)
    rscale = _clamp_scale(max(MIN_SIG_DIGITS - result_dweight, dscale(base), dscale(x)))
    _check_ln_arg(base)
    _check_ln_arg(x)
    if base == ONE:
        raise errors.DivisionByZero("division by zero")
    return finish(_at_scale(lambda c: c.divide(c.ln(x), c.ln(base)), rscale))


def n_log10(x: Decimal) -> Decimal:
    return n_log(Decimal(10), x)


# --- power ----------------------------------------------------------------------------------


def _is_integral(d: Decimal) -> bool:
    return d.is_finite() and d == d.to_integral_value()


def _power_special(x: Decimal, y: Decimal) -> Decimal:
    """numeric_power for NaN and infinite inputs (POSIX pow rules, as PostgreSQL)."""
    if x.is_nan():
        return ONE if y.is_finite() and y.is_zero() else NAN
    if y.is_nan():
        return ONE if x.is_finite() and x == ONE else NAN
    sx = 0 if x.is_zero() else -1 if x.is_signed() else 1
    sy = 0 if y.is_zero() else -1 if y.is_signed() else 1
    if sx == 0 and sy < 0:
        raise power_error("zero raised to a negative power is undefined")
    if sx < 0 and not _is_integral(y) and y.is_finite():
        raise power_error("a negative number raised to a non-integer power yields a "
                          "complex result")
    if x.is_finite() and x == ONE:
        return ONE
    if sy == 0:
        return ONE
    if sx == 0 and sy > 0:
        return ZERO
    if y.is_infinite():
        if x.is_finite() and x == Decimal(-1):
            return ONE
        abs_gt_one = x.is_infinite() or abs(x) > ONE
        return PINF if abs_gt_one == (sy > 0) else ZERO
    if x == PINF:
        return PINF if sy > 0 else ZERO
    # x is -Infinity and y finite and integral
    if sy < 0:
        return ZERO
    return NINF if int(y) % 2 else PINF


def _int_power(base: Decimal, e: int) -> Decimal:
    """power_var_int of PostgreSQL 15: the result scale is max(16, dscale(base))."""
    rscale = _clamp_scale(max(MIN_SIG_DIGITS, dscale(base)))
    if e == 0:
        return ONE
    if base.is_zero():
        return ZERO
    digits, weight = nbase(base)
    lead, p = float(digits[0]), weight * 4
    for d in digits[1:4]:
        lead, p = lead * 10000 + d, p - 4
    f = e * (math.log10(lead) + p)
    if f > 3 * 32767 * 4:
        raise overflow()
    if f + 1 < -rscale:
        return ZERO
    if f > NUMERIC_PRECISION + 2:
        with localcontext() as ctx:
            ctx.prec = NUMERIC_PRECISION
            ctx.clear_flags()
            r = ctx.power(base, e)
            if ctx.flags[Inexact]:
                raise overflow()
            return r
    with localcontext() as ctx:
        ctx.prec = max(int(f) + 2, 1) + rscale + 12
        return round_scale(ctx.power(base, e), rscale)


def n_power(x: Decimal, y: Decimal) -> Decimal:
    if not (x.is_finite() and y.is_finite()):
        return _power_special(x, y)
    if x.is_zero() and y.is_signed() and not y.is_zero():
        raise power_error("zero raised to a negative power is undefined")
    if _is_integral(y) and -(2**31) <= y <= 2**31 - 1:
        return finish(_int_power(x, int(y)))
    if x.is_zero():
        return ZERO
    negative = False
    if x.is_signed():
        if not _is_integral(y):
            raise power_error("a negative number raised to a non-integer power yields a "
                              "complex result")
        negative = int(y) % 2 == 1
        x = x.copy_abs()
    # Result scale from a low-precision exp * ln(base), exactly as PostgreSQL does it.
    ln_dweight = estimate_ln_dweight(x)
    local = max(8 - ln_dweight, 0)
    with localcontext() as ctx:
        ctx.prec = max(local + 20, 30)
        ln_base = round_scale(ctx.ln(x), local)
        ctx.prec = 2 * ctx.prec + len(y.as_tuple().digits)
        ln_num = round_scale(ctx.multiply(ln_base, y), local)
    val = float(ln_num)
    if abs(val) > MAX_RESULT_SCALE * 3.01:
        if val > 0:
            raise overflow()
        return ZERO
    val *= 0.434294481903252
    rscale = _clamp_scale(max(MIN_SIG_DIGITS - int(val), dscale(x), dscale(y)))
    r = _at_scale(lambda c: c.power(x, y), rscale)
    return finish(r.copy_negate() if negative else r)


# --- integer-valued -------------------------------------------------------------------------


def _scaled(*ds: Decimal) -> tuple[list[int], int]:
    """The values times 10**k as exact integers, for the smallest such k."""
    k = max(dscale(d) for d in ds)
    out = []
    for d in ds:
        c, exp = coefficient(d)
        out.append(c * 10 ** (exp + k))
    return out, k


def _unscale(n: int, k: int) -> Decimal:
    """n / 10**k, exactly."""
    d = Decimal(n)
    with localcontext() as ctx:
        ctx.prec = len(d.as_tuple().digits) + 1
        return d.scaleb(-k)


def n_div(x: Decimal, y: Decimal) -> Decimal:
    """div(x, y): the quotient truncated toward zero."""
    if not (x.is_finite() and y.is_finite()):
        if x.is_nan() or y.is_nan():
            return NAN
        if x.is_infinite():
            if y.is_infinite():
                return NAN
            if y.is_zero():
                raise errors.DivisionByZero("division by zero")
            return x if not y.is_signed() else -x
        return ZERO
    if y.is_zero():
        raise errors.DivisionByZero("division by zero")
    (a, b), _ = _scaled(x, y)
    q = abs(a) // abs(b)
    return finish(Decimal(q if (a < 0) == (b < 0) else -q))


def n_gcd(x: Decimal, y: Decimal) -> Decimal:
    if not (x.is_finite() and y.is_finite()):
        return NAN
    (a, b), k = _scaled(x, y)
    return finish(_unscale(math.gcd(a, b), k))


def n_lcm(x: Decimal, y: Decimal) -> Decimal:
    if not (x.is_finite() and y.is_finite()):
        return NAN
    (a, b), k = _scaled(x, y)
    if a == 0 or b == 0:
        return ZERO
    return finish(_unscale(abs(a // math.gcd(a, b) * b), k))


def n_width_bucket(op: Decimal, b1: Decimal, b2: Decimal, count: int) -> int:
    outside = bucket_outside(op, b1, b2, count,
                             nan=op.is_nan() or b1.is_nan() or b2.is_nan(),
                             infinite=b1.is_infinite() or b2.is_infinite())
    if outside is not None:
        return outside
    (o, lo, hi), _ = _scaled(op, b1, b2)
    num, den = (o - lo, hi - lo) if b1 < b2 else (lo - o, lo - hi)
    return num * count // den + 1


def n_min_scale(x: Decimal) -> int | None:
    if not x.is_finite():
        return None
    if x.is_zero():
        return 0
    return dscale(x.normalize(Context(prec=len(x.as_tuple().digits) + 1)))


def n_trim_scale(x: Decimal) -> Decimal:
    return finish(x)


def n_factorial(n: int) -> Decimal:
    if n < 0:
        raise errors.NumericValueOutOfRange("factorial of a negative number is undefined")
    if n > 40:  # 41! and beyond need more than 39 significant digits
        raise overflow()
    return finish(Decimal(math.factorial(n)))
