"""The scalar function registry: PostgreSQL semantics for the IR's calls.

Each :class:`FuncDef` has an implementation over Python values (repr conventions) that is
given the call's resolved result type, so integer overflow (22003) is checked against the
declared width. NULL handling: ``propagates`` functions return NULL when any argument is
NULL without calling the implementation; the others (and/or/coalesce/is_null/...) see NULLs.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import MAX_EMAX, MAX_PREC, MIN_EMIN, Context, Decimal, InvalidOperation, localcontext

from pymz import errors
from pymz.repr import Interval, ScalarType, textfmt

Impl = Callable[[Sequence[object], ScalarType], object]

INT_RANGES = {
    ScalarType.INT2: (-(2**15), 2**15 - 1, "smallint"),
    ScalarType.INT4: (-(2**31), 2**31 - 1, "integer"),
    ScalarType.INT8: (-(2**63), 2**63 - 1, "bigint"),
}
INT_TYPES = frozenset(INT_RANGES)
FLOAT_TYPES = frozenset({ScalarType.FLOAT4, ScalarType.FLOAT8})
TEXT_TYPES = frozenset({ScalarType.TEXT, ScalarType.VARCHAR, ScalarType.CHAR})


@dataclass(frozen=True)
class FuncDef:
    name: str
    impl: Impl
    propagates: bool = True
    # Can return NULL on non-NULL inputs (nullif, substr of ... , raise, ...).
    introduces_nulls: bool = False
    # Safe to evaluate at plan time when all arguments are literals.
    foldable: bool = True
    infix: str | None = None
    never_null: bool = False
    # NULL only when every argument is (coalesce, greatest, least).
    null_if_all: bool = False

    def result_nullable(self, args_nullable: Sequence[bool]) -> bool:
        if self.never_null:
            return False
        if self.null_if_all:
            return all(args_nullable)
        return self.introduces_nulls or any(args_nullable)


FUNCS: dict[str, FuncDef] = {}


def _reg(name: str, impl: Impl, **kw: object) -> None:
    FUNCS[name] = FuncDef(name, impl, **kw)  # type: ignore[arg-type]


def check_int(v: int, t: ScalarType) -> int:
    rng = INT_RANGES.get(t)
    if rng is not None and not rng[0] <= v <= rng[1]:
        raise errors.NumericValueOutOfRange(f"{rng[2]} out of range")
    return v


def _check_float(v: float) -> float:
    if math.isinf(v):
        raise errors.NumericValueOutOfRange("value out of range: overflow")
    return v


def _num(v: object, t: ScalarType) -> object:
    """Coerce an arithmetic result to the result type's Python representation."""
    if t in INT_TYPES:
        assert isinstance(v, int)
        return check_int(v, t)
    if t in FLOAT_TYPES:
        assert isinstance(v, int | float | Decimal)
        return _check_float(float(v))
    if t == ScalarType.NUMERIC and isinstance(v, int | float):
        return Decimal(v)
    return v


# --- temporal arithmetic --------------------------------------------------------------------


def add_interval(t: dt.datetime | dt.date, iv: Interval, sign: int = 1) -> dt.datetime:
    """timestamp + interval as PostgreSQL adds it: months first (the day clamped to the
    month's length), then days, then microseconds. Past year 9999 (or before 1) is 22008."""
    base = t if isinstance(t, dt.datetime) else dt.datetime(t.year, t.month, t.day)
    months = base.month - 1 + sign * iv.months
    year = base.year + months // 12
    month = months % 12 + 1
    if not 1 <= year <= 9999:
        raise errors.PymzError("timestamp out of range", sqlstate="22008")
    day = min(base.day, _days_in_month(year, month))
    base = base.replace(year=year, month=month, day=day)
    try:
        return base + sign * dt.timedelta(days=iv.days, microseconds=iv.microseconds)
    except OverflowError:
        raise errors.PymzError("timestamp out of range", sqlstate="22008") from None


def _days_in_month(y: int, m: int) -> int:
    if m == 2:
        return 29 if y % 4 == 0 and (y % 100 != 0 or y % 400 == 0) else 28
    return 30 if m in (4, 6, 9, 11) else 31


def _td_to_interval(d: dt.timedelta) -> Interval:
    """A timestamp difference as PostgreSQL gives it: whole days and the rest, both with the
    sign of the difference (timedelta's own days round toward minus infinity)."""
    us = (d.days * 86_400 + d.seconds) * 1_000_000 + d.microseconds
    days = abs(us) // 86_400_000_000 * (1 if us >= 0 else -1)
    return Interval(0, days, us - days * 86_400_000_000)


# Conversions to date, time, timestamp, timestamptz and interval (from text and between the
# temporal types), registered by pymz.expr.library.times: that module imports this one, so
# the conversions are looked up here at cast time. Target type -> (non-NULL value -> value).
TEMPORAL_CASTS: dict[ScalarType, Callable[[object], object]] = {}


def _temporal(impl: Impl) -> Impl:
    """Python's dates end at year 9999 (PostgreSQL's much later): past it is 22008."""
    def run(a: Sequence[object], t: ScalarType) -> object:
        try:
            return impl(a, t)
        except OverflowError:
            if t in (ScalarType.DATE, ScalarType.TIMESTAMP, ScalarType.TIMESTAMPTZ):
                what = "date" if t == ScalarType.DATE else "timestamp"
                raise errors.PymzError(f"{what} out of range", sqlstate="22008") from None
            raise
    return run


@_temporal
def _add(a: Sequence[object], t: ScalarType) -> object:
    x, y = a
    if isinstance(y, dt.date) and not isinstance(x, dt.date):
        x, y = y, x
    if isinstance(x, dt.date):
        if isinstance(y, Interval):
            return add_interval(x, y)
        if isinstance(y, int) and not isinstance(x, dt.datetime):
            return x + dt.timedelta(days=y)
        if isinstance(y, dt.time):
            return dt.datetime.combine(x, y)
    if isinstance(x, Interval) and isinstance(y, Interval):
        return Interval(x.months + y.months, x.days + y.days, x.microseconds + y.microseconds)
    return _num(x + y, t)  # type: ignore[operator]


@_temporal
def _sub(a: Sequence[object], t: ScalarType) -> object:
    x, y = a
    if isinstance(x, dt.date):
        if isinstance(y, Interval):
            return add_interval(x, y, -1)
        if isinstance(y, dt.datetime) and isinstance(x, dt.datetime):
            return _td_to_interval(x - y)
        if isinstance(y, dt.date) and not isinstance(y, dt.datetime):
            return (x - y).days
        if isinstance(y, int):
            return x - dt.timedelta(days=y)
    if isinstance(x, Interval) and isinstance(y, Interval):
        return Interval(x.months - y.months, x.days - y.days, x.microseconds - y.microseconds)
    return _num(x - y, t)  # type: ignore[operator]


def _mul(a: Sequence[object], t: ScalarType) -> object:
    x, y = a
    return _num(x * y, t)  # type: ignore[operator]


def _zero_check(y: object) -> None:
    if y == 0:
        raise errors.DivisionByZero("division by zero")


def _div(a: Sequence[object], t: ScalarType) -> object:
    x, y = a
    _zero_check(y)
    if t in INT_TYPES:
        assert isinstance(x, int) and isinstance(y, int)
        q = abs(x) // abs(y)
        return check_int(q if (x >= 0) == (y >= 0) else -q, t)
    if t == ScalarType.NUMERIC:
        return Decimal(x) / Decimal(y)  # type: ignore[arg-type]
    return _num(x / y, t)  # type: ignore[operator]


def _mod(a: Sequence[object], t: ScalarType) -> object:
    x, y = a
    _zero_check(y)
    if t in INT_TYPES:
        assert isinstance(x, int) and isinstance(y, int)
        r = abs(x) % abs(y)
        return r if x >= 0 else -r
    if t == ScalarType.NUMERIC:
        # The quotient may have more digits than the precision (DivisionImpossible): take
        # the remainder exactly, then round it like any result.
        dx, dy = Decimal(x), Decimal(y)  # type: ignore[arg-type]
        digits = max(dx.adjusted() - dy.adjusted(), 0) + 2 * len(dy.as_tuple().digits) + 50
        with localcontext(Context(prec=min(digits, MAX_PREC), Emax=MAX_EMAX, Emin=MIN_EMIN)):
            rem = dx % dy
        return +rem
    return math.fmod(x, y)  # type: ignore[arg-type]


def _neg(a: Sequence[object], t: ScalarType) -> object:
    (x,) = a
    if isinstance(x, Interval):
        return Interval(-x.months, -x.days, -x.microseconds)
    return _num(-x, t)  # type: ignore[operator]


def _abs(a: Sequence[object], t: ScalarType) -> object:
    return _num(abs(a[0]), t)  # type: ignore[arg-type]


def _stddev_sqrt(a: Sequence[object], t: ScalarType) -> object:
    (v,) = a
    if isinstance(v, Decimal):
        return v.sqrt()
    return math.sqrt(v)  # type: ignore[arg-type]


_reg("add", _add, infix="+")
# The square root of a variance (>= 0 by construction), for stddev_samp/stddev_pop.
_reg("stddev_sqrt", _stddev_sqrt)
_reg("sub", _sub, infix="-")
_reg("mul", _mul, infix="*")
_reg("div", _div, infix="/")
_reg("mod", _mod, infix="%")
_reg("neg", _neg)
_reg("abs", _abs)


# --- comparison and logic -------------------------------------------------------------------


def _cmp(op: Callable[[object, object], bool]) -> Impl:
    return lambda a, t: op(a[0], a[1])


_reg("eq", _cmp(lambda x, y: x == y), infix="=")
_reg("neq", _cmp(lambda x, y: x != y), infix="<>")
_reg("lt", _cmp(lambda x, y: x < y), infix="<")  # type: ignore[operator]
_reg("lte", _cmp(lambda x, y: x <= y), infix="<=")  # type: ignore[operator]
_reg("gt", _cmp(lambda x, y: x > y), infix=">")  # type: ignore[operator]
_reg("gte", _cmp(lambda x, y: x >= y), infix=">=")  # type: ignore[operator]


def _and(a: Sequence[object], t: ScalarType) -> object:
    if any(x is False for x in a):
        return False
    return None if any(x is None for x in a) else True


def _or(a: Sequence[object], t: ScalarType) -> object:
    if any(x is True for x in a):
        return True
    return None if any(x is None for x in a) else False


_reg("and", _and, propagates=False, infix="AND")
_reg("or", _or, propagates=False, infix="OR")
_reg("not", lambda a, t: not a[0])
_reg("is_null", lambda a, t: a[0] is None, propagates=False, never_null=True)
_reg("is_true", lambda a, t: a[0] is True, propagates=False, never_null=True)
_reg("is_false", lambda a, t: a[0] is False, propagates=False, never_null=True)
_reg("is_not_distinct", lambda a, t: a[0] == a[1], propagates=False, never_null=True)


def _coalesce(a: Sequence[object], t: ScalarType) -> object:
    return next((x for x in a if x is not None), None)


def _nullif(a: Sequence[object], t: ScalarType) -> object:
    return None if a[0] is not None and a[0] == a[1] else a[0]


def _extremum(pick: Callable[..., object]) -> Impl:
    def f(a: Sequence[object], t: ScalarType) -> object:
        vals = [x for x in a if x is not None]
        return pick(vals) if vals else None

    return f


# coalesce/greatest/least are NULL only if all args are: callers see result_nullable below.
_reg("coalesce", _coalesce, propagates=False, null_if_all=True)
_reg("nullif", _nullif, propagates=False, introduces_nulls=True)
_reg("greatest", _extremum(max), propagates=False, null_if_all=True)
_reg("least", _extremum(min), propagates=False, null_if_all=True)


def _raise(a: Sequence[object], t: ScalarType) -> object:
    msg = str(a[0])
    code = str(a[1]) if len(a) > 1 else "XX000"
    raise errors.PymzError(msg, sqlstate=code)


# ARRAY[...]: a one-dimensional array (a tuple inside the engine); NULL elements allowed.
_reg("array", lambda a, t: tuple(a), propagates=False, never_null=True)
_reg("raise_error", _raise, propagates=False, foldable=False, introduces_nulls=True)


# --- text -----------------------------------------------------------------------------------


def like_regex(pattern: str, case_insensitive: bool = False) -> re.Pattern[str]:
    """Translate a LIKE pattern (``%``, ``_``, backslash escapes) into a regex."""
    out = []
    i = 0
    while i < len(pattern):
        c = pattern[i]
        if c == "\\" and i + 1 < len(pattern):
            out.append(re.escape(pattern[i + 1]))
            i += 2
            continue
        out.append(".*" if c == "%" else "." if c == "_" else re.escape(c))
        i += 1
    return re.compile("".join(out), re.DOTALL | (re.IGNORECASE if case_insensitive else 0))


def _substr(a: Sequence[object], t: ScalarType) -> object:
    s, start = str(a[0]), int(a[1])  # type: ignore[call-overload]
    if len(a) > 2:
        n = int(a[2])  # type: ignore[call-overload]
        if n < 0:
            raise errors.PymzError("negative substring length not allowed", sqlstate="22011")
        end = start + n
        return s[max(start - 1, 0): max(end - 1, 0)]
    return s[max(start - 1, 0):]


_reg("lower", lambda a, t: str(a[0]).lower())
_reg("upper", lambda a, t: str(a[0]).upper())
_reg("length", lambda a, t: len(str(a[0])))
_reg("substr", _substr)
_reg("textcat", lambda a, t: str(a[0]) + str(a[1]), infix="||")
_reg("like", lambda a, t: like_regex(str(a[1])).fullmatch(str(a[0])) is not None, infix="LIKE")
_reg("ilike", lambda a, t: like_regex(str(a[1]), True).fullmatch(str(a[0])) is not None,
     infix="ILIKE")
_reg("replace", lambda a, t: str(a[0]).replace(str(a[1]), str(a[2])))
_reg("btrim", lambda a, t: str(a[0]).strip(" " if len(a) < 2 else str(a[1])))
_reg("ltrim", lambda a, t: str(a[0]).lstrip(" " if len(a) < 2 else str(a[1])))
_reg("rtrim", lambda a, t: str(a[0]).rstrip(" " if len(a) < 2 else str(a[1])))
_reg("position", lambda a, t: str(a[1]).find(str(a[0])) + 1)


# --- dates ----------------------------------------------------------------------------------

# extract, date_part, date_trunc and the other date/time functions are registered by
# pymz.expr.library.times.


def _mz_now(a: Sequence[object], t: ScalarType) -> object:
    raise errors.InternalError("mz_now() must be bound by the evaluator")


# mz_now() is a marker for temporal filters: only the evaluator (given a time) or the
# dataflow renderer give it a value; it is never constant-folded.
_reg("mz_now", _mz_now, propagates=False, foldable=False, never_null=True)


# --- casts ----------------------------------------------------------------------------------

_TRUE_TEXT = {"t", "true", "y", "yes", "on", "1"}
_FALSE_TEXT = {"f", "false", "n", "no", "off", "0"}


def _value_type(v: object) -> ScalarType:
    """The type whose text output prints ``v`` (values of every type but float4 and jsonb
    are told apart by their Python type; float4 casts go through ``float4_text``)."""
    if isinstance(v, bool):
        return ScalarType.BOOL
    if isinstance(v, float):
        return ScalarType.FLOAT8
    if isinstance(v, Decimal):
        return ScalarType.NUMERIC
    if isinstance(v, dt.datetime):
        return ScalarType.TIMESTAMPTZ if v.tzinfo is not None else ScalarType.TIMESTAMP
    if isinstance(v, dt.date):
        return ScalarType.DATE
    if isinstance(v, dt.time):
        return ScalarType.TIME
    if isinstance(v, Interval):
        return ScalarType.INTERVAL
    if isinstance(v, bytes):
        return ScalarType.BYTEA
    return ScalarType.TEXT


def _text_out(v: object) -> str:
    """``v::text``: the type's output function, except that booleans cast to true/false."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, tuple | list):
        elems = [e for e in v if e is not None]
        t = _value_type(elems[0]) if elems else ScalarType.TEXT
        return textfmt.value_out(t, v, is_array=True)
    return textfmt.value_out(_value_type(v), v)


def cast_value(v: object, to: ScalarType) -> object:
    """Cast a non-NULL Python value (of any repr type) to ``to``, PostgreSQL-style."""
    try:
        return _cast(v, to)
    except (ValueError, InvalidOperation, TypeError, OverflowError):
        raise errors.InvalidTextRepresentation(
            f'invalid input syntax for type {to.type_name}: "{_text_out(v)}"'
        ) from None


def _cast(v: object, to: ScalarType) -> object:
    if to in TEXT_TYPES:
        return _text_out(v)
    if to == ScalarType.BOOL:
        if isinstance(v, str):
            s = v.strip().lower()
            if s in _TRUE_TEXT:
                return True
            if s in _FALSE_TEXT:
                return False
            raise ValueError(v)
        return bool(v)
    if to == ScalarType.MZ_TIMESTAMP and isinstance(v, dt.datetime):
        aware = v if v.tzinfo is not None else v.replace(tzinfo=dt.UTC)
        return int(aware.timestamp() * 1000)
    if to in INT_TYPES or to in (ScalarType.OID, ScalarType.MZ_TIMESTAMP):
        if isinstance(v, str):
            v = int(v.strip())
        elif isinstance(v, float):
            if math.isnan(v) or math.isinf(v):
                raise errors.NumericValueOutOfRange(f"{to.type_name} out of range")
            v = round(v)  # PostgreSQL rounds half to even for float → int
        elif isinstance(v, Decimal):
            v = int(v.quantize(Decimal(1), rounding="ROUND_HALF_UP"))
        assert isinstance(v, int)
        return check_int(int(v), to)
    if to in FLOAT_TYPES:
        if isinstance(v, str):
            s = v.strip().lower()
            return float({"infinity": "inf", "-infinity": "-inf"}.get(s, s))
        return _check_float(float(v))  # type: ignore[arg-type]
    if to == ScalarType.NUMERIC:
        if isinstance(v, float):
            return Decimal(repr(v))
        if isinstance(v, bool):
            raise TypeError(v)
        return Decimal(v.strip() if isinstance(v, str) else v)  # type: ignore[arg-type]
    temporal = TEMPORAL_CASTS.get(to)
    if temporal is not None:
        return temporal(v)
    if to == ScalarType.JSONB and isinstance(v, str):
        return textfmt.jsonb_in(v)  # canonical: key order and exact numbers as jsonb keeps
    return v


def parse_interval(s: str) -> Interval:
    """``s`` read as an interval, as PostgreSQL's interval input does (22007 if it is not
    one); see :mod:`pymz.expr.library.times_parse`."""
    iv = TEMPORAL_CASTS[ScalarType.INTERVAL](s)
    assert isinstance(iv, Interval)
    return iv


_reg("cast", lambda a, t: cast_value(a[0], t))
# real::text prints the shortest float4 digits (a float4 is held as a Python float).
_reg("float4_text", lambda a, t: textfmt.float_out(a[0], single=True))
