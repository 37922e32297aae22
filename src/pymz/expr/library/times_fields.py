"""Fields of dates and times: ``extract``/``date_part``, ``date_trunc``, ``date_bin``.

Implementations over repr values (date, naive timestamp, aware-UTC timestamptz, time,
:class:`~pymz.repr.Interval`), as PostgreSQL 15 computes them with TimeZone=UTC:

* ``extract`` returns numeric, ``date_part`` double precision computed with the same
  floating-point steps as PostgreSQL (so the same bits come out); unit names, their
  abbreviations and plurals (``'years'``, ``'mon'``, ``'us'``...) are matched like PostgreSQL
  (case-insensitive, first 10 characters); errors are 22023 for an unknown unit and 0A000
  for a unit the type does not have, worded as PostgreSQL does.
* interval fields truncate toward zero as C does (``extract(year from interval '-13 mons')``
  is -1).
* ``date_trunc`` on timestamptz truncates the local time of the session zone (UTC) or of
  the zone given as third argument, then converts back with PostgreSQL's DST rule.

Numeric results are exact and printed without trailing zeros (Materialize's rule); the
fraction of a Julian date has PostgreSQL's division scale.
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal, localcontext

from pymz import errors
from pymz.expr.library.times_parse import unit_of
from pymz.expr.library.times_zone import UTC, Zone, out_of_range
from pymz.repr import Interval

TS = "timestamp without time zone"
TSTZ = "timestamp with time zone"
DATE = "date"
TIME = "time without time zone"
IV = "interval"
EPOCH = dt.datetime(1970, 1, 1)
JULIAN_OFFSET = 1721425  # date.toordinal() + this = Julian day number (date2j)
USECS_PER_SEC = 1_000_000
USECS_PER_DAY = 86_400 * USECS_PER_SEC
USECS_PER_HOUR = 3600 * USECS_PER_SEC
USECS_PER_MINUTE = 60 * USECS_PER_SEC

# datetktbl words that name fields (not deltatktbl units), and reserved words.
_SPECIAL = {"j": "julian", "jd": "julian", "julian": "julian", "dow": "dow", "doy": "doy",
            "isodow": "isodow", "isoyear": "isoyear"}
_RESERVED = frozenset({"epoch", "infinity", "-infinity", "now", "today", "tomorrow",
                       "yesterday", "allballs", "invalid"})
_TZ_UNITS = frozenset({"timezone", "timezone_hour", "timezone_minute"})


def ascii_lower(s: str) -> str:
    return "".join(chr(ord(c) + 32) if "A" <= c <= "Z" else c for c in s)


def classify(units: str) -> tuple[str, str, str]:
    """(kind, unit, lowered text): kind is 'unit', 'reserved' or 'unknown'."""
    low = ascii_lower(units)
    u = unit_of(low)
    if u is not None:
        return "unit", u, low
    key = low[:10]
    if key in _SPECIAL:
        return "unit", _SPECIAL[key], low
    if key in _RESERVED:
        return "reserved", key, low
    return "unknown", low, low


def unsupported(low: str, type_name: str) -> errors.PymzError:
    return errors.FeatureNotSupported(f'unit "{low}" not supported for type {type_name}')


def unrecognized(low: str, type_name: str) -> errors.PymzError:
    return errors.InvalidParameterValue(f'unit "{low}" not recognized for type {type_name}')


def us_since_epoch(v: dt.datetime) -> int:
    """Microseconds since 1970-01-01 00:00 (UTC for a timestamptz)."""
    naive = v.astimezone(UTC).replace(tzinfo=None) if v.tzinfo is not None else v
    d = naive - EPOCH
    return (d.days * 86_400 + d.seconds) * USECS_PER_SEC + d.microseconds


def from_us(us: int, aware: bool) -> dt.datetime:
    try:
        v = EPOCH + dt.timedelta(microseconds=us)
    except OverflowError:
        raise out_of_range() from None
    return v.replace(tzinfo=UTC) if aware else v


def dec(d: Decimal) -> Decimal:
    """A numeric without trailing fractional zeros, as Materialize prints it."""
    if d == d.to_integral_value():
        return d.quantize(Decimal(1))
    return d.normalize()


def _int(i: int, numeric: bool) -> object:
    return Decimal(i) if numeric else float(i)


def _scaled(units: int, scale: int) -> Decimal:
    """``units`` / 10**scale, exactly."""
    return dec(Decimal(units).scaleb(-scale))


def _pg_div_scale(a: int, b: int) -> int:
    """PostgreSQL's numeric division result scale for integers a / b (select_div_scale)."""
    def weight_first(v: int) -> tuple[int, int]:
        digits = str(abs(v))
        groups = (len(digits) + 3) // 4
        first = int(digits[: len(digits) - 4 * (groups - 1)])
        return groups - 1, first
    if a == 0:
        return 16
    w1, f1 = weight_first(a)
    w2, f2 = weight_first(b)
    qweight = w1 - w2 - (1 if f1 <= f2 else 0)
    return max(16 - qweight * 4, 0)


def _julian(v: dt.datetime, numeric: bool) -> object:
    j = v.toordinal() + JULIAN_OFFSET
    secs = (v.hour * 60 + v.minute) * 60 + v.second
    if not numeric:
        return j + (secs + v.microsecond / 1000000.0) / 86400.0
    num = secs * USECS_PER_SEC + v.microsecond
    scale = _pg_div_scale(num, USECS_PER_DAY)
    with localcontext() as ctx:
        ctx.prec = 60
        frac = (Decimal(num) / Decimal(USECS_PER_DAY)).quantize(
            Decimal(1).scaleb(-scale), rounding=ROUND_HALF_UP)
        return dec(Decimal(j) + frac)


def _seconds_fields(u: str, sec: int, us: int, numeric: bool) -> object | None:
    """microseconds, milliseconds or second of (whole seconds, microseconds)."""
    total = sec * USECS_PER_SEC + us
    if u == "microsecond":
        return Decimal(total) if numeric else sec * 1000000.0 + us
    if u == "millisecond":
        return _scaled(total, 3) if numeric else sec * 1000.0 + us / 1000.0
    if u == "second":
        return _scaled(total, 6) if numeric else sec + us / 1000000.0
    return None


def _date_unit(u: str, d: dt.date) -> int | None:
    """A calendar field of a date (None: not a date field)."""
    y = d.year
    if u == "day":
        return d.day
    if u == "month":
        return d.month
    if u == "quarter":
        return (d.month - 1) // 3 + 1
    if u == "week":
        return d.isocalendar()[1]
    if u == "year":
        return y
    if u == "decade":
        return y // 10
    if u == "century":
        return (y + 99) // 100
    if u == "millennium":
        return (y + 999) // 1000
    if u == "isoyear":
        return d.isocalendar()[0]
    if u == "dow":
        return d.isoweekday() % 7
    if u == "isodow":
        return d.isoweekday()
    if u == "doy":
        return d.timetuple().tm_yday
    return None


def part_timestamp(units: str, v: dt.datetime, numeric: bool) -> object:
    """extract/date_part of a timestamp (naive) or timestamptz (aware, UTC)."""
    type_name = TSTZ if v.tzinfo is not None else TS
    kind, u, low = classify(units)
    if kind == "reserved":
        if u != "epoch":
            raise unsupported(low, type_name)
        us = us_since_epoch(v)
        return _scaled(us, 6) if numeric else us / 1000000.0
    if kind == "unknown":
        raise unrecognized(low, type_name)
    if u in _TZ_UNITS:
        if v.tzinfo is None:
            raise unsupported(low, type_name)
        return _int(0, numeric)  # the session time zone is UTC
    found = _seconds_fields(u, v.second, v.microsecond, numeric)
    if found is not None:
        return found
    if u == "minute":
        return _int(v.minute, numeric)
    if u == "hour":
        return _int(v.hour, numeric)
    if u == "julian":
        return _julian(v, numeric)
    field = _date_unit(u, v)
    if field is None:
        raise unsupported(low, type_name)
    return _int(field, numeric)


def part_date(units: str, v: dt.date) -> object:
    """extract(field from date): numeric; time-of-day fields are errors (PostgreSQL 14+)."""
    kind, u, low = classify(units)
    if kind == "reserved":
        if u != "epoch":
            raise unsupported(low, DATE)
        return Decimal((v - EPOCH.date()).days * 86_400)
    if kind == "unknown":
        raise unrecognized(low, DATE)
    if u == "julian":
        return Decimal(v.toordinal() + JULIAN_OFFSET)
    field = _date_unit(u, v)
    if field is None:
        raise unsupported(low, DATE)
    return Decimal(field)


def part_time(units: str, v: dt.time, numeric: bool) -> object:
    kind, u, low = classify(units)
    total = ((v.hour * 60 + v.minute) * 60 + v.second) * USECS_PER_SEC + v.microsecond
    if kind == "reserved":
        if u != "epoch":
            raise unsupported(low, TIME)
        return _scaled(total, 6) if numeric else total / 1000000.0
    if kind == "unknown":
        raise unrecognized(low, TIME)
    found = _seconds_fields(u, v.second, v.microsecond, numeric)
    if found is not None:
        return found
    if u == "minute":
        return _int(v.minute, numeric)
    if u == "hour":
        return _int(v.hour, numeric)
    raise unsupported(low, TIME)


def ctrunc(a: int, b: int) -> int:
    """C's integer division (toward zero)."""
    q = abs(a) // abs(b)
    return q if (a >= 0) == (b >= 0) else -q


def crem(a: int, b: int) -> int:
    """C's remainder (the sign of the dividend)."""
    return a - b * ctrunc(a, b)


def interval_tm(iv: Interval) -> tuple[int, int, int, int, int, int, int]:
    """PostgreSQL's interval2itm: (years, months, days, hours, minutes, seconds, usecs)."""
    t = iv.microseconds
    hours = ctrunc(t, USECS_PER_HOUR)
    t -= hours * USECS_PER_HOUR
    minutes = ctrunc(t, USECS_PER_MINUTE)
    t -= minutes * USECS_PER_MINUTE
    secs = ctrunc(t, USECS_PER_SEC)
    return (ctrunc(iv.months, 12), crem(iv.months, 12), iv.days, hours, minutes, secs,
            t - secs * USECS_PER_SEC)


def part_interval(units: str, iv: Interval, numeric: bool) -> object:
    kind, u, low = classify(units)
    if kind == "reserved":
        if u != "epoch":
            raise unsupported(low, IV)
        years, months = ctrunc(iv.months, 12), crem(iv.months, 12)
        if numeric:
            secs = (1461 * years + 120 * months + 4 * iv.days) * 21600
            return _scaled(secs * USECS_PER_SEC + iv.microseconds, 6)
        r = iv.microseconds / 1000000.0
        r += (365.25 * 86400) * years
        r += (30.0 * 86400) * months
        r += 86400.0 * iv.days
        return r
    if kind == "unknown":
        raise unrecognized(low, IV)
    year, mon, day, hour, minute, sec, us = interval_tm(iv)
    found = _seconds_fields(u, sec, us, numeric)
    if found is not None:
        return found
    fields = {"minute": minute, "hour": hour, "day": day, "month": mon,
              "quarter": ctrunc(mon, 3) + 1, "year": year, "decade": ctrunc(year, 10),
              "century": ctrunc(year, 100), "millennium": ctrunc(year, 1000)}
    if u not in fields:
        raise unsupported(low, IV)
    return _int(fields[u], numeric)


# --- date_trunc ---------------------------------------------------------------------------

_TRUNC_UNITS = ("microsecond", "millisecond", "second", "minute", "hour", "day", "week",
                "month", "quarter", "year", "decade", "century", "millennium")


def trunc_unit(units: str, type_name: str) -> str:
    """The date_trunc unit (only deltatktbl words count, as in PostgreSQL)."""
    low = ascii_lower(units)
    u = unit_of(low)
    if u is None:
        raise unrecognized(low, type_name)
    if u not in _TRUNC_UNITS:
        raise unsupported(low, type_name)
    return u


def trunc_local(u: str, v: dt.datetime) -> dt.datetime:
    """Truncate a naive wall-clock time to unit ``u``."""
    if u == "microsecond":
        return v
    if u == "millisecond":
        return v.replace(microsecond=v.microsecond // 1000 * 1000)
    if u == "second":
        return v.replace(microsecond=0)
    if u == "minute":
        return v.replace(second=0, microsecond=0)
    if u == "hour":
        return v.replace(minute=0, second=0, microsecond=0)
    day = v.replace(hour=0, minute=0, second=0, microsecond=0)
    if u == "day":
        return day
    if u == "week":
        try:
            return day - dt.timedelta(days=day.weekday())
        except OverflowError:
            raise out_of_range() from None
    if u == "month":
        return day.replace(day=1)
    if u == "quarter":
        return day.replace(month=(v.month - 1) // 3 * 3 + 1, day=1)
    y = v.year
    if u == "decade":
        y = y // 10 * 10
    elif u == "century":
        y = (y + 99) // 100 * 100 - 99
    elif u == "millennium":
        y = (y + 999) // 1000 * 1000 - 999
    if y < 1:
        raise out_of_range()
    return day.replace(year=y, month=1, day=1)


def trunc_timestamp(units: str, v: dt.datetime) -> dt.datetime:
    return trunc_local(trunc_unit(units, TS), v)


def trunc_timestamptz(units: str, v: dt.datetime, zone: Zone) -> dt.datetime:
    u = trunc_unit(units, TSTZ)
    off = zone.utc_offset(v)
    local = zone.to_local(v)
    t = trunc_local(u, local)
    if u in ("microsecond", "millisecond", "second", "minute", "hour"):
        # PostgreSQL keeps the instant's own offset below a day (no DST re-resolution).
        try:
            return (t - dt.timedelta(seconds=off)).replace(tzinfo=UTC)
        except OverflowError:
            raise out_of_range() from None
    return zone.to_utc(t)


def trunc_interval(units: str, iv: Interval) -> Interval:
    low = ascii_lower(units)
    u = unit_of(low)
    if u is None:
        raise unrecognized(low, IV)
    if u not in _TRUNC_UNITS or u == "week":
        detail = "Months usually have fractional weeks." if u == "week" else None
        raise errors.FeatureNotSupported(f'unit "{low}" not supported for type {IV}',
                                         detail=detail)
    year, mon, day, hour, minute, sec, us = interval_tm(iv)
    order = _TRUNC_UNITS[::-1]
    level = order.index(u)
    if level <= order.index("millennium"):
        year = ctrunc(year, 1000) * 1000
    if level <= order.index("century"):
        year = ctrunc(year, 100) * 100
    if level <= order.index("decade"):
        year = ctrunc(year, 10) * 10
    if level <= order.index("year"):
        mon = 0
    if level <= order.index("quarter"):
        mon = 3 * ctrunc(mon, 3)
    if level <= order.index("month"):
        day = 0
    if level <= order.index("day"):
        hour = 0
    if level <= order.index("hour"):
        minute = 0
    if level <= order.index("minute"):
        sec = 0
    if level <= order.index("second"):
        us = 0
    if level <= order.index("millisecond"):
        us = ctrunc(us, 1000) * 1000
    return Interval(year * 12 + mon, day,
                    ((hour * 60 + minute) * 60 + sec) * USECS_PER_SEC + us)


def date_bin(stride: Interval, v: dt.datetime, origin: dt.datetime) -> dt.datetime:
    """The start of the ``stride``-wide bin (aligned on ``origin``) holding ``v``."""
    if stride.months != 0:
        raise errors.FeatureNotSupported(
            "timestamps cannot be binned into intervals containing months or years")
    step = stride.days * USECS_PER_DAY + stride.microseconds
    if step <= 0:
        raise errors.PymzError("stride must be greater than zero", sqlstate="22008")
    diff = us_since_epoch(v) - us_since_epoch(origin)
    return from_us(us_since_epoch(origin) + diff // step * step, v.tzinfo is not None)
