"""Date and time functions: their SQL signatures, sqlglot syntax and casts.

Registers (PostgreSQL 15 names and types, TimeZone=UTC, DateStyle ISO, IntervalStyle
postgres): ``extract`` (numeric) and ``date_part`` (double precision) for date, timestamp,
timestamptz, time and interval; ``date_trunc`` (timestamp, timestamptz with an optional zone,
interval; a date resolves to timestamptz as in PostgreSQL); ``date_bin``; ``age`` with two
arguments; ``make_date``, ``make_time``, ``make_timestamp``, ``make_timestamptz`` (with an
optional zone), ``make_interval`` (positional or named arguments); ``to_timestamp(float8)``;
``to_char`` (see :mod:`.times_format`); ``justify_days``, ``justify_hours``,
``justify_interval``; ``isfinite``; ``date(x)``; ``timezone(zone, x)`` and ``x AT TIME
ZONE zone`` (names, abbreviations, POSIX offsets, intervals; see :mod:`.times_zone`); the
operator functions ``interval_mul``, ``interval_div``, ``mul_d_interval``,
``time_pl_interval``, ``time_mi_interval``, ``interval_pl_time``, ``time_mi_time``,
``timestamp_mi``, ``timestamptz_mi``, ``datetime_pl``, ``timedate_pl``; and the casts from
text and between the temporal types (``funcs.TEMPORAL_CASTS``). :func:`temporal_operator`
tells the planner which of these implements ``interval * number``, ``time + interval``...

sqlglot rewrites some PostgreSQL calls into its own nodes and loses information on the way
(``date_part`` becomes ``extract``, ``to_char``'s format is translated to strftime,
``date_bin``'s origin becomes a unit, a column as ``date_trunc`` unit becomes a name, and
``INTERVAL '1 day ago'`` becomes ``INTERVAL '1' DAY``), so the planner parses with its own
dialect (:mod:`pymz.expr.dialect`), which keeps those as written.

The current time: ``age(x)`` is read as ``age(current_date, x)``, so like ``now()`` and
``current_date`` it is a constant in one-shot queries (planned with ``now``) and refused
(0A000) in maintained plans. Not provided: ``to_timestamp(text, text)`` and ``to_date``
(format parsing; 0A000 when evaluated). Infinite dates/timestamps and years outside
1..9999 cannot be represented: inputs and results there are errors (22008 or 0A000), see
:mod:`.times_calc`. Timestamps print as PostgreSQL does with TimeZone=UTC only.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from decimal import Decimal

from sqlglot import exp

from pymz import errors
from pymz.expr.funcs import TEMPORAL_CASTS, Impl
from pymz.expr.library import times_calc as calc
from pymz.expr.library import times_fields as fields
from pymz.expr.library import times_format
from pymz.expr.library.times_parse import (
    date_from_text,
    interval_from_text,
    time_from_text,
    timestamp_from_text,
    timestamptz_from_text,
)
from pymz.expr.library.times_zone import UTC, UTC_ZONE, zone_iso, zone_named
from pymz.expr.sigs import args_of, node
from pymz.expr.sigs import define as sig_define
from pymz.repr import Interval, ScalarType

T = ScalarType
Args = Sequence[object]


def _guarded(impl: Impl) -> Impl:
    """Python's datetime arithmetic raises OverflowError/ValueError past year 9999 (or for
    absurd inputs): that is PostgreSQL's 22008, never a Python exception."""
    def run(a: Args, t: ScalarType) -> object:
        try:
            return impl(a, t)
        except (OverflowError, ValueError):
            raise errors.PymzError(f"{t.type_name} out of range", sqlstate="22008") from None
    return run


def define(names: str, signature: str, impl: Impl | str, *, key: str | None = None,
           **funcdef: object) -> None:
    """:func:`pymz.expr.sigs.define` with the implementation guarded (:func:`_guarded`)."""
    sig_define(names, signature, impl if isinstance(impl, str) else _guarded(impl), key=key,
               **funcdef)




def _extract_node(n: exp.Expr) -> tuple[str, list[exp.Expr]]:
    unit = n.this
    name = str(unit.this) if isinstance(unit, exp.Literal) else str(unit.name)
    return "extract", [exp.Literal.string(name), n.args["expression"]]


def _make_interval_node(n: exp.Expr) -> tuple[str, list[exp.Expr]]:
    out: list[exp.Expr] = []
    for key in ("year", "month", "week", "day", "hour", "minute", "second"):
        v = n.args.get(key)
        if isinstance(v, exp.Kwarg):
            v = v.expression
        out.append(v if v is not None else exp.Literal.number(0))
    return "make_interval", out


def _trunc_node(n: exp.Expr) -> tuple[str, list[exp.Expr]]:
    # Only reached if sqlglot built the node anyway (see _keep_postgres_calls).
    unit = n.args["unit"]
    name = str(unit.this) if isinstance(unit, exp.Literal) else str(unit.name)
    return "date_trunc", [exp.Literal.string(name), *args_of(n, "this", "zone")]


def _volatile(what: str) -> Callable[[exp.Expr], tuple[str, list[exp.Expr]]]:
    def refuse(n: exp.Expr) -> tuple[str, list[exp.Expr]]:
        raise errors.FeatureNotSupported(
            f"{what} cannot be used in a maintained plan; use mz_now() for temporal filters")
    return refuse


node(exp.Extract, _extract_node)
node(exp.MakeInterval, _make_interval_node)
node(exp.TimestampTrunc, _trunc_node)
node(exp.AtTimeZone, lambda n: ("timezone", [n.args["zone"], n.this]))
node(exp.JustifyDays, lambda n: ("justify_days", [n.this]))
node(exp.JustifyHours, lambda n: ("justify_hours", [n.this]))
node(exp.JustifyInterval, lambda n: ("justify_interval", [n.this]))
node(exp.Date, lambda n: ("date", args_of(n, "this", "expressions")))
node(exp.Localtime, _volatile("localtime"))


# --- extract / date_part / date_trunc / date_bin ------------------------------------------------

def _extract(a: Args, t: ScalarType) -> object:
    unit, v = str(a[0]), a[1]
    numeric = t == T.NUMERIC
    if isinstance(v, dt.datetime):
        return fields.part_timestamp(unit, v, numeric)
    if isinstance(v, dt.date):
        if numeric:
            return fields.part_date(unit, v)
        # date_part(text, date) is date_part(text, $2::timestamp) in PostgreSQL.
        return fields.part_timestamp(unit, dt.datetime(v.year, v.month, v.day), False)
    if isinstance(v, dt.time):
        return fields.part_time(unit, v, numeric)
    assert isinstance(v, Interval)
    return fields.part_interval(unit, v, numeric)


for _t in ("date", "timestamp", "timestamptz", "time", "interval"):
    define("extract", f"text, {_t} -> numeric", _extract if _t == "date" else "extract")
    define("date_part", f"text, {_t} -> float8", "extract")


def _date_trunc(a: Args, t: ScalarType) -> object:
    unit, v = str(a[0]), a[1]
    if isinstance(v, Interval):
        return fields.trunc_interval(unit, v)
    assert isinstance(v, dt.datetime)
    if v.tzinfo is None:
        return fields.trunc_timestamp(unit, v)
    zone = zone_named(str(a[2])) if len(a) > 2 else UTC_ZONE
    return fields.trunc_timestamptz(unit, v, zone)


define("date_trunc", "text, timestamp -> timestamp", _date_trunc)
define("date_trunc", "text, timestamptz -> timestamptz", "date_trunc")
define("date_trunc", "text, timestamptz, text -> timestamptz", "date_trunc")
define("date_trunc", "text, interval -> interval", "date_trunc")


def _date_bin(a: Args, t: ScalarType) -> object:
    stride, v, origin = a
    assert isinstance(stride, Interval)
    assert isinstance(v, dt.datetime) and isinstance(origin, dt.datetime)
    return fields.date_bin(stride, v, origin)


define("date_bin", "interval, timestamp, timestamp -> timestamp", _date_bin)
define("date_bin", "interval, timestamptz, timestamptz -> timestamptz", "date_bin")


# --- intervals, ages, constructors ---------------------------------------------------------------

def _interval_fn(f: Callable[[Interval], Interval]) -> Callable[[Args, ScalarType], object]:
    def run(a: Args, t: ScalarType) -> object:
        v = a[0]
        assert isinstance(v, Interval)
        return f(v)
    return run


define("justify_days", "interval -> interval", _interval_fn(calc.justify_days))
define("justify_hours", "interval -> interval", _interval_fn(calc.justify_hours))
define("justify_interval", "interval -> interval", _interval_fn(calc.justify_interval))


def _age(a: Args, t: ScalarType) -> object:
    x, y = a
    assert isinstance(x, dt.datetime) and isinstance(y, dt.datetime)
    return calc.age(calc.to_naive(x), calc.to_naive(y))


define("age", "timestamp, timestamp -> interval", _age)
define("age", "timestamptz, timestamptz -> interval", "age")
for _t in ("date", "timestamp", "timestamptz", "interval"):
    define("isfinite", f"{_t} -> bool", (lambda a, t: True) if _t == "date" else "isfinite")


def _int(v: object) -> int:
    assert isinstance(v, int)
    return v


def _float(v: object) -> float:
    assert isinstance(v, float | int | Decimal)
    return float(v)


def _ymd(a: Args) -> tuple[int, int, int]:
    return _int(a[0]), _int(a[1]), _int(a[2])


define("make_date", "int4, int4, int4 -> date", lambda a, t: calc.make_date(*_ymd(a)))
define("make_time", "int4, int4, float8 -> time",
       lambda a, t: calc.make_time(_int(a[0]), _int(a[1]), _float(a[2])))
define("make_timestamp", "int4, int4, int4, int4, int4, float8 -> timestamp",
       lambda a, t: calc.make_timestamp(_ymd(a), _int(a[3]), _int(a[4]), _float(a[5])))


def _make_timestamptz(a: Args, t: ScalarType) -> object:
    zone = zone_iso(str(a[6])) if len(a) > 6 else UTC_ZONE
    return calc.make_timestamptz(_ymd(a), _int(a[3]), _int(a[4]), _float(a[5]), zone)


define("make_timestamptz", "int4, int4, int4, int4, int4, float8 -> timestamptz",
       _make_timestamptz)
define("make_timestamptz", "int4, int4, int4, int4, int4, float8, text -> timestamptz",
       "make_timestamptz")


def _make_interval(a: Args, t: ScalarType) -> object:
    p = [_int(x) for x in a[:6]]
    return calc.make_interval((p[0], p[1], p[2], p[3], p[4], p[5]), _float(a[6]))


define("make_interval", "int4, int4, int4, int4, int4, int4, float8 -> interval",
       _make_interval)
define("to_timestamp", "float8 -> timestamptz", lambda a, t: calc.to_timestamp(_float(a[0])))


def _no_format_parsing(a: Args, t: ScalarType) -> object:
    raise errors.FeatureNotSupported(
        "to_timestamp(text, text) and to_date(text, text) are not supported")


define("to_timestamp", "text, text -> timestamptz", _no_format_parsing,
       key="to_timestamp_text")
define("to_date", "text, text -> date", "to_timestamp_text")


def _date_of(a: Args, t: ScalarType) -> object:
    v = a[0]
    assert isinstance(v, dt.datetime)
    return calc.to_naive(v).date()


define("date", "timestamp -> date", _date_of)
define("date", "timestamptz -> date", "date")


def _timezone(a: Args, t: ScalarType) -> object:
    z, v = a
    assert isinstance(v, dt.datetime)
    return calc.at_time_zone(z, v)


define("timezone", "text, timestamptz -> timestamp", _timezone)
define("timezone", "text, timestamp -> timestamptz", "timezone")
define("timezone", "interval, timestamptz -> timestamp", "timezone")
define("timezone", "interval, timestamp -> timestamptz", "timezone")


# --- operators (as PostgreSQL's functions of the same names) -------------------------------------

def _iv(v: object) -> Interval:
    assert isinstance(v, Interval)
    return v


def _tm(v: object) -> dt.time:
    assert isinstance(v, dt.time)
    return v


def _stamp(v: object) -> dt.datetime:
    assert isinstance(v, dt.datetime)
    return v


def _day(v: object) -> dt.date:
    assert isinstance(v, dt.date)
    return v


define("interval_mul", "interval, float8 -> interval",
       lambda a, t: calc.interval_mul(_iv(a[0]), _float(a[1])))
define("mul_d_interval", "float8, interval -> interval",
       lambda a, t: calc.interval_mul(_iv(a[1]), _float(a[0])))
define("interval_div", "interval, float8 -> interval",
       lambda a, t: calc.interval_div(_iv(a[0]), _float(a[1])))
define("time_pl_interval", "time, interval -> time",
       lambda a, t: calc.time_add(_tm(a[0]), _iv(a[1])))
define("interval_pl_time", "interval, time -> time",
       lambda a, t: calc.time_add(_tm(a[1]), _iv(a[0])))
define("time_mi_interval", "time, interval -> time",
       lambda a, t: calc.time_add(_tm(a[0]), _iv(a[1]), -1))
define("time_mi_time", "time, time -> interval",
       lambda a, t: calc.time_diff(_tm(a[0]), _tm(a[1])))
define("timestamp_mi", "timestamp, timestamp -> interval",
       lambda a, t: calc.timestamp_diff(_stamp(a[0]), _stamp(a[1])))
define("timestamptz_mi", "timestamptz, timestamptz -> interval", "timestamp_mi")
define("datetime_pl", "date, time -> timestamp",
       lambda a, t: dt.datetime.combine(_day(a[0]), _tm(a[1])))
define("timedate_pl", "time, date -> timestamp",
       lambda a, t: dt.datetime.combine(_day(a[1]), _tm(a[0])))

_NUMBERS = (T.INT2, T.INT4, T.INT8, T.NUMERIC, T.FLOAT4, T.FLOAT8, T.UNKNOWN)
_STAMPS = (T.DATE, T.TIMESTAMP, T.TIMESTAMPTZ)
OperatorImpl = tuple[str, ScalarType, ScalarType, ScalarType]


def temporal_operator(op: str, a: ScalarType, b: ScalarType) -> OperatorImpl | None:
    """For ``a <op> b`` (op: add, sub, mul, div): (FUNCS key, left type, right type, result
    type) when it is a date/time operator the planner's arithmetic table lacks, else None."""
    iv, tm = T.INTERVAL, T.TIME
    if op == "sub" and T.UNKNOWN in (a, b) and {a, b} & {tm, *_STAMPS}:
        # PostgreSQL first tries the unknown literal as the other side's type.
        a = b = b if a == T.UNKNOWN else a
        if a == T.DATE:
            return "sub", T.DATE, T.DATE, T.INT4
    if op == "mul" and a == iv and b in _NUMBERS:
        return "interval_mul", iv, T.FLOAT8, iv
    if op == "mul" and b == iv and a in _NUMBERS:
        return "mul_d_interval", T.FLOAT8, iv, iv
    if op == "div" and a == iv and b in _NUMBERS:
        return "interval_div", iv, T.FLOAT8, iv
    if op == "add" and a == tm and b in (iv, T.UNKNOWN):
        return "time_pl_interval", tm, iv, tm
    if op == "add" and b == tm and a in (iv, T.UNKNOWN):
        return "interval_pl_time", iv, tm, tm
    if op == "sub" and a == tm and b in (iv, T.UNKNOWN):
        return "time_mi_interval", tm, iv, tm
    if op == "sub" and a == tm and b == tm:
        return "time_mi_time", tm, tm, iv
    if op == "add" and a == tm and b == T.DATE:
        return "timedate_pl", tm, T.DATE, T.TIMESTAMP
    if op == "add" and a == T.DATE and b == tm:
        return "datetime_pl", T.DATE, tm, T.TIMESTAMP
    if op == "sub" and a in _STAMPS and b in _STAMPS and (a, b) != (T.DATE, T.DATE):
        common = T.TIMESTAMPTZ if T.TIMESTAMPTZ in (a, b) else T.TIMESTAMP
        return "timestamp_mi", common, common, iv
    return None


# --- to_char ----------------------------------------------------------------------------------

define("to_char", "timestamp, text -> text", times_format.to_char, introduces_nulls=True)
define("to_char", "timestamptz, text -> text", "to_char")
define("to_char", "interval, text -> text", "to_char")
for _t in ("int4", "int8", "float4", "float8", "numeric"):
    define("to_char", f"{_t}, text -> text", times_format.to_char_number(_t),
           key=f"to_char_{_t}")


# --- casts -------------------------------------------------------------------------------------

_SOURCE_NAMES = {bool: "boolean", int: "integer", float: "double precision",
                 Decimal: "numeric", bytes: "bytea"}


def _cannot(v: object, to: str) -> errors.PymzError:
    src = _SOURCE_NAMES.get(type(v), type(v).__name__)
    return errors.PymzError(f"cannot cast type {src} to {to}", sqlstate="42846")


def _to_date(v: object) -> object:
    if isinstance(v, str):
        return date_from_text(v)
    if isinstance(v, dt.datetime):
        return calc.to_naive(v).date()
    if isinstance(v, dt.date):
        return v
    raise _cannot(v, "date")


def _to_timestamp(v: object) -> object:
    if isinstance(v, str):
        return timestamp_from_text(v)
    if isinstance(v, dt.datetime):
        return calc.to_naive(v)
    if isinstance(v, dt.date):
        return dt.datetime(v.year, v.month, v.day)
    raise _cannot(v, "timestamp without time zone")


def _to_timestamptz(v: object) -> object:
    if isinstance(v, str):
        return timestamptz_from_text(v)
    if isinstance(v, dt.datetime):
        return v.astimezone(UTC) if v.tzinfo is not None else v.replace(tzinfo=UTC)
    if isinstance(v, dt.date):
        return dt.datetime(v.year, v.month, v.day, tzinfo=UTC)
    raise _cannot(v, "timestamp with time zone")


def _to_time(v: object) -> object:
    if isinstance(v, str):
        return time_from_text(v)
    if isinstance(v, dt.datetime):
        return calc.to_naive(v).time()
    if isinstance(v, dt.time):
        return v
    if isinstance(v, Interval):
        return calc.interval_to_time(v)
    raise _cannot(v, "time without time zone")


def _to_interval(v: object) -> object:
    if isinstance(v, str):
        return interval_from_text(v)
    if isinstance(v, Interval):
        return v
    if isinstance(v, dt.time):
        return Interval(0, 0, calc.time_us(v))
    raise _cannot(v, "interval")


TEMPORAL_CASTS.update({T.DATE: _to_date, T.TIMESTAMP: _to_timestamp,
                       T.TIMESTAMPTZ: _to_timestamptz, T.TIME: _to_time,
                       T.INTERVAL: _to_interval})
