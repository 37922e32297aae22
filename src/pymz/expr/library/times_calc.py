"""Date/time arithmetic and constructors, PostgreSQL 15 semantics (TimeZone=UTC).

Provides: interval * / float8 (PostgreSQL's double-precision steps, fractions cascading
down from months to days to microseconds), timestamp differences (``justify_hours``-style
result), time +/- interval (wrapping at midnight), ``justify_days/hours/interval``,
``age``, ``make_date/time/timestamp/timestamptz/interval``, ``to_timestamp(float8)``,
``AT TIME ZONE`` in both directions, and the casts between the temporal types.

Guarantees: results outside what a value can hold raise 22008 ("... out of range"), never a
Python exception; messages follow PostgreSQL's wording.

Departs from PostgreSQL: Python's dates end at year 9999 and start at year 1, so results
past either end are 22008 where PostgreSQL (up to year 294276, and BC dates) has a value;
``24:00:00`` as a time of day cannot be held either (0A000).
"""

from __future__ import annotations

import datetime as dt
import math

from pymz import errors
from pymz.expr.library.times_fields import (
    USECS_PER_DAY,
    USECS_PER_SEC,
    ctrunc,
    from_us,
    us_since_epoch,
)
from pymz.expr.library.times_zone import UTC, UTC_ZONE, Zone, zone_named
from pymz.repr import Interval, textfmt

I32 = 2**31
I64 = 2**63


def interval_out_of_range() -> errors.PymzError:
    return errors.PymzError("interval out of range", sqlstate="22008")


def check_interval(months: int, days: int, us: int) -> Interval:
    if not (-I32 <= months < I32 and -I32 <= days < I32 and -I64 <= us < I64):
        raise interval_out_of_range()
    return Interval(months, days, us)


def _fits_i32(x: float) -> bool:
    return not math.isnan(x) and -2147483648.0 <= x < 2147483648.0


def _fits_i64(x: float) -> bool:
    return not math.isnan(x) and -9223372036854775808.0 <= x < 9223372036854775808.0


def _tsround(x: float) -> float:
    # TSROUND: round to microsecond precision, to absorb float noise in whole numbers.
    return round(x * 1000000.0) / 1000000.0


def _scale(iv: Interval, m: float, d: float, f: float, t: float) -> Interval:
    """interval * factor from the products PostgreSQL computes (months * factor, ...)."""
    if not _fits_i32(m) or not _fits_i32(d):
        raise interval_out_of_range()
    months, days = int(m), int(d)
    month_days = _tsround((f - months) * 30)
    sec_rem = _tsround((d - days + month_days - int(month_days)) * 86400)
    if abs(sec_rem) >= 86400:
        days += int(sec_rem / 86400)
        sec_rem -= int(sec_rem / 86400) * 86400
    days += int(month_days)
    total = t + sec_rem * 1000000
    if not _fits_i64(total) or not -I32 <= days < I32:
        raise interval_out_of_range()
    return Interval(months, days, round(total))


def interval_mul(iv: Interval, factor: float) -> Interval:
    if math.isnan(factor) or math.isinf(factor):
        raise interval_out_of_range()
    return _scale(iv, iv.months * factor, iv.days * factor, iv.months * factor,
                  iv.microseconds * factor)


def interval_div(iv: Interval, factor: float) -> Interval:
    if factor == 0.0:
        raise errors.DivisionByZero("division by zero")
    if math.isnan(factor):
        raise interval_out_of_range()
    return _scale(iv, iv.months / factor, iv.days / factor, iv.months / factor,
                  iv.microseconds / factor)


def span_to_interval(us: int) -> Interval:
    """A timestamp difference: whole days and the rest, both with the sign of ``us``."""
    days = ctrunc(us, USECS_PER_DAY)
    return check_interval(0, days, us - days * USECS_PER_DAY)


def timestamp_diff(a: dt.datetime, b: dt.datetime) -> Interval:
    return span_to_interval(us_since_epoch(a) - us_since_epoch(b))


def justify_hours(iv: Interval) -> Interval:
    months, days, t = iv.months, iv.days, iv.microseconds
    whole = ctrunc(t, USECS_PER_DAY)
    t -= whole * USECS_PER_DAY
    days, t = _borrow(days + whole, t, USECS_PER_DAY)
    return check_interval(months, days, t)


def _borrow(big: int, small: int, unit: int) -> tuple[int, int]:
    """Give ``small`` the sign of ``big`` by moving one ``unit`` between them (PostgreSQL's
    justify step: ``1 day -1 hour`` becomes ``23:00:00``)."""
    if big > 0 and small < 0:
        return big - 1, small + unit
    if big < 0 and small > 0:
        return big + 1, small - unit
    return big, small


def justify_days(iv: Interval) -> Interval:
    months, days = iv.months, iv.days
    whole = ctrunc(days, 30)
    days -= whole * 30
    months, days = _borrow(months + whole, days, 30)
    return check_interval(months, days, iv.microseconds)


def justify_interval(iv: Interval) -> Interval:
    months, days, t = iv.months, iv.days, iv.microseconds
    if (days > 0 and t > 0) or (days < 0 and t < 0):
        whole = ctrunc(days, 30)
        days -= whole * 30
        months += whole
    whole = ctrunc(t, USECS_PER_DAY)
    t -= whole * USECS_PER_DAY
    days += whole
    whole = ctrunc(days, 30)
    days -= whole * 30
    months += whole
    if months > 0 and (days < 0 or (days == 0 and t < 0)):
        days += 30
        months -= 1
    elif months < 0 and (days > 0 or (days == 0 and t > 0)):
        days -= 30
        months += 1
    days, t = _borrow(days, t, USECS_PER_DAY)
    return check_interval(months, days, t)


def _days_in_month(y: int, m: int) -> int:
    if m == 2:
        return 29 if (y % 4 == 0 and (y % 100 != 0 or y % 400 == 0)) else 28
    return 30 if m in (4, 6, 9, 11) else 31


def age(a: dt.datetime, b: dt.datetime) -> Interval:
    """PostgreSQL's symbolic difference: field by field, borrowing from the next field up
    (a month borrowed has the length of the month the earlier timestamp is in)."""
    neg = a < b
    fields = [a.microsecond - b.microsecond, a.second - b.second, a.minute - b.minute,
              a.hour - b.hour, a.day - b.day, a.month - b.month, a.year - b.year]
    if neg:
        fields = [-f for f in fields]
    us, sec, mi, hour, mday, mon, year = fields
    while us < 0:
        us += USECS_PER_SEC
        sec -= 1
    while sec < 0:
        sec += 60
        mi -= 1
    while mi < 0:
        mi += 60
        hour -= 1
    while hour < 0:
        hour += 24
        mday -= 1
    ref = a if neg else b
    while mday < 0:
        mday += _days_in_month(ref.year, ref.month)
        mon -= 1
    while mon < 0:
        mon += 12
        year -= 1
    months = year * 12 + mon
    t = ((hour * 60 + mi) * 60 + sec) * USECS_PER_SEC + us
    if neg:
        months, mday, t = -months, -mday, -t
    return check_interval(months, mday, t)


# --- time of day ---------------------------------------------------------------------------


def time_us(t: dt.time) -> int:
    return ((t.hour * 60 + t.minute) * 60 + t.second) * USECS_PER_SEC + t.microsecond


def time_of_us(us: int) -> dt.time:
    s, frac = divmod(us, USECS_PER_SEC)
    return dt.time(s // 3600, s // 60 % 60, s % 60, frac)


def time_add(t: dt.time, iv: Interval, sign: int = 1) -> dt.time:
    """time +/- interval: the interval's months and days are ignored; wraps at midnight."""
    return time_of_us((time_us(t) + sign * iv.microseconds) % USECS_PER_DAY)


def time_diff(a: dt.time, b: dt.time) -> Interval:
    return Interval(0, 0, time_us(a) - time_us(b))


def interval_to_time(iv: Interval) -> dt.time:
    return time_of_us(iv.microseconds % USECS_PER_DAY)


# --- constructors ---------------------------------------------------------------------------


def _fmt_g(x: float) -> str:
    return f"{x:02g}"


def _date_of(y: int, m: int, d: int) -> dt.date:
    if y == 0 or not 1 <= m <= 12 or not 1 <= d <= _days_in_month(abs(y), m):
        raise errors.PymzError(f"date field value out of range: {y}-{m:02d}-{d:02d}",
                               sqlstate="22008")
    if not 1 <= y <= 9999:
        raise errors.PymzError(f"date out of range: {y}-{m:02d}-{d:02d}", sqlstate="22008")
    return dt.date(y, m, d)


def make_date(y: int, m: int, d: int) -> dt.date:
    return _date_of(y, m, d)


def _time_us(h: int, mi: int, sec: float) -> int:
    """PostgreSQL's float_time_overflows check, then the time in microseconds."""
    bad = h < 0 or h > 24 or mi < 0 or mi >= 60 or math.isnan(sec)
    if not bad:
        r = round(sec * USECS_PER_SEC) if math.isfinite(sec) else -1
        bad = r < 0 or r > 60 * USECS_PER_SEC or (
            ((h * 60 + mi) * 60) * USECS_PER_SEC + r > USECS_PER_DAY)
    if bad:
        raise errors.PymzError(
            f"time field value out of range: {h}:{mi:02d}:{_fmt_g(sec)}", sqlstate="22008")
    return ((h * 60 + mi) * 60) * USECS_PER_SEC + round(sec * USECS_PER_SEC)


def make_time(h: int, mi: int, sec: float) -> dt.time:
    us = _time_us(h, mi, sec)
    if us == USECS_PER_DAY:
        raise errors.FeatureNotSupported("time 24:00:00 is not supported")
    return time_of_us(us)


def make_timestamp(ymd: tuple[int, int, int], h: int, mi: int, sec: float) -> dt.datetime:
    y, mo, d = ymd
    day = _date_of(y, mo, d)
    us = _time_us(h, mi, sec)
    try:
        return dt.datetime.combine(day, dt.time(0)) + dt.timedelta(microseconds=us)
    except OverflowError:
        raise errors.PymzError(
            f"timestamp out of range: {y}-{mo:02d}-{d:02d} {h}:{mi:02d}:{_fmt_g(sec)}",
            sqlstate="22008") from None


def make_timestamptz(ymd: tuple[int, int, int], h: int, mi: int, sec: float,
                     zone: Zone = UTC_ZONE) -> dt.datetime:
    return zone.to_utc(make_timestamp(ymd, h, mi, sec))


def make_interval(parts: tuple[int, int, int, int, int, int], secs: float) -> Interval:
    """make_interval(years, months, weeks, days, hours, mins, secs)."""
    years, months, weeks, days, hours, mins = parts
    if math.isnan(secs) or math.isinf(secs):
        raise interval_out_of_range()
    us = round(secs * USECS_PER_SEC)
    total = hours * 3600 * USECS_PER_SEC + mins * 60 * USECS_PER_SEC + us
    return check_interval(years * 12 + months, weeks * 7 + days, total)


_PG_EPOCH_SECS = 946684800.0  # 2000-01-01 in Unix seconds
_MIN_US = -62135596800 * USECS_PER_SEC  # 0001-01-01 in Unix microseconds
_MAX_US = 253402300800 * USECS_PER_SEC  # 10000-01-01


def to_timestamp(secs: float) -> dt.datetime:
    """to_timestamp(double precision): the same float steps as PostgreSQL."""
    if math.isnan(secs):
        raise errors.PymzError("timestamp cannot be NaN", sqlstate="22008")
    if math.isinf(secs):
        raise errors.FeatureNotSupported("infinite timestamps are not supported")
    pg = round((secs - _PG_EPOCH_SECS) * USECS_PER_SEC)
    us = int(pg) + int(_PG_EPOCH_SECS) * USECS_PER_SEC
    if not _MIN_US <= us < _MAX_US:
        raise errors.PymzError(f'timestamp out of range: "{secs:g}"', sqlstate="22008")
    return from_us(us, True)


# --- time zones ----------------------------------------------------------------------------


def interval_zone(iv: Interval) -> Zone:
    if iv.months or iv.days:
        raise errors.InvalidParameterValue(
            f'interval time zone "{textfmt.interval_out(iv)}" must not include months or days')
    return Zone(ctrunc(iv.microseconds, USECS_PER_SEC))


def zone_arg(z: object) -> Zone:
    return interval_zone(z) if isinstance(z, Interval) else zone_named(str(z))


def at_time_zone(z: object, v: dt.datetime) -> dt.datetime:
    """timezone(zone, v): timestamptz -> local timestamp there; timestamp -> timestamptz."""
    zone = zone_arg(z)
    if v.tzinfo is not None:
        return zone.to_local(v)
    return zone.to_utc(v)


# --- casts between temporal types -------------------------------------------------------------


def to_naive(v: dt.datetime) -> dt.datetime:
    return v.astimezone(UTC).replace(tzinfo=None) if v.tzinfo is not None else v

