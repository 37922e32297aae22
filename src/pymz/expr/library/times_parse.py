"""Text input of dates, times, timestamps and intervals (casts from text and typed literals).

Dates and timestamps reuse :mod:`pymz.repr.textfmt`'s ISO parsers (the wire protocol's) and
add what PostgreSQL also accepts: the special value ``epoch``, compact ``YYYYMMDD`` dates,
``AM``/``PM``, a trailing time zone name or abbreviation (``2020-07-01 10:00
Europe/Berlin``, ``... EST``), and times with a date or a zone attached (both ignored).
Intervals have their own parser, PostgreSQL's ``DecodeInterval`` rules: unit words and their
abbreviations, fractions cascading down in double precision (years to whole months, months
to 30-day days, days to microseconds), ``@``/``ago``, ``h:m:s`` fields, SQL-standard
``Y-M`` and ``D h:m:s``, a unit given twice is an error; and ISO 8601 (``P1Y2M3DT4H5M6S``,
``P0001-02-03T04:05:06``).

Errors use PostgreSQL's SQLSTATEs: 22007 bad syntax, 22008 field out of range, 22015 interval
field overflow, 22023 unknown time zone.

Departs from PostgreSQL: ``infinity``/``-infinity`` (no Python value holds them), ``24:00:00``
as a time of day, years BC and past 9999 are rejected with a clear error; ``now``, ``today``,
``tomorrow`` and ``yesterday`` are rejected (their value depends on when they are read, which a
maintained view cannot honour). Month names (``January 8, 1999``) and the MDY/DMY slash
formats are not accepted.
"""

from __future__ import annotations

import datetime as dt
import re

from pymz import errors
from pymz.expr.library.times_zone import ABBREVIATIONS, UTC, Zone, iana
from pymz.repr import Interval, textfmt

EPOCH = dt.datetime(1970, 1, 1)
USECS_PER_DAY = 86_400_000_000
_VOLATILE = ("now", "today", "tomorrow", "yesterday")
_INFINITE = ("infinity", "+infinity", "-infinity")
I32 = 2**31
I64 = 2**63


def syntax_error(type_name: str, s: str) -> errors.PymzError:
    return errors.PymzError(f'invalid input syntax for type {type_name}: "{s}"',
                            sqlstate="22007")


def field_range(s: str) -> errors.PymzError:
    return errors.PymzError(f'date/time field value out of range: "{s}"', sqlstate="22008")


def _special(low: str, type_name: str) -> None:
    if low in _INFINITE:
        raise errors.FeatureNotSupported(f'{type_name} "{low}" is not supported: infinite '
                                         "dates and times cannot be represented")
    if low in _VOLATILE:
        raise errors.FeatureNotSupported(
            f'{type_name} input "{low}" is not supported: its value depends on the current '
            "time; use mz_now() for temporal filters")


_TRAILING_WORD = re.compile(r"\s+([A-Za-z][A-Za-z0-9_/+\-]*)$")
_COMPACT_DATE = re.compile(r"^(\d{4})(\d{2})(\d{2})(?=$|[Tt\s])")


def _split_words(s: str, text: str, type_name: str
                 ) -> tuple[str, Zone | None, str | None]:
    """Strip trailing ``AM``/``PM``/``AD`` and a zone name: (rest, zone, am/pm)."""
    zone: Zone | None = None
    ampm: str | None = None
    while True:
        m = _TRAILING_WORD.search(text)
        if not m:
            return text, zone, ampm
        word = m[1].lower()
        if word in ("am", "pm") and ampm is None:
            ampm = word
        elif word == "ad":
            pass
        elif word == "bc":
            raise errors.PymzError(f'{type_name} out of range: "{s}"', sqlstate="22008")
        elif zone is None and ampm is None:
            fixed = ABBREVIATIONS.get(word)
            found = Zone(fixed) if fixed is not None else iana(word)
            if found is None:
                if "/" in word:
                    raise errors.InvalidParameterValue(f'time zone "{word}" not recognized')
                raise syntax_error(type_name, s)
            zone = found
        else:
            raise syntax_error(type_name, s)
        text = text[:m.start()]


def _apply_ampm(s: str, hour: int, ampm: str | None) -> int:
    if ampm is None:
        return 0
    if hour > 12:
        raise field_range(s)
    if ampm == "am":
        return -12 if hour == 12 else 0
    return 0 if hour == 12 else 12


def _reraise(e: errors.PymzError, type_name: str, s: str) -> errors.PymzError:
    if e.sqlstate == "22008":
        return errors.PymzError(e.message if "out of range:" not in e.message
                                else f'date/time field value out of range: "{s}"',
                                sqlstate="22008")
    return syntax_error(type_name, s)


def _timestamp(s: str, type_name: str, aware: bool) -> dt.datetime:
    text = s.strip()
    low = text.lower()
    if low == "epoch":
        return EPOCH.replace(tzinfo=UTC) if aware else EPOCH
    _special(low, type_name)
    rest, zone, ampm = _split_words(s, text, type_name)
    rest = _COMPACT_DATE.sub(r"\1-\2-\3", rest, count=1)
    try:
        parse = textfmt.timestamptz_in if aware and zone is None else textfmt.timestamp_in
        v = parse(rest)
    except errors.PymzError as e:
        raise _reraise(e, type_name, s) from None
    if ampm is not None:
        # The hour AM/PM qualifies is the one written, before any offset applies.
        written = textfmt.timestamp_in(rest).hour if v.tzinfo is not None else v.hour
        v = v + dt.timedelta(hours=_apply_ampm(s, written, ampm))
    if aware and zone is not None:
        return zone.to_utc(v)
    return v


def timestamp_from_text(s: str) -> dt.datetime:
    """``text::timestamp``: a zone in the text is ignored, as PostgreSQL does."""
    return _timestamp(s, "timestamp", False)


def timestamptz_from_text(s: str) -> dt.datetime:
    """``text::timestamptz``: no zone in the text means the session's, UTC."""
    return _timestamp(s, "timestamp with time zone", True)


def date_from_text(s: str) -> dt.date:
    """``text::date``: a time of day or zone after the date is read and ignored."""
    return _timestamp(s, "date", False).date()


_TIME_DATE = re.compile(r"\d{4,}-\d{1,2}-\d{1,2}(?:[Tt]|\s+)")
_TIME_ZONE = re.compile(r"(?:\s*[zZ]|\s*[+-]\d{1,2}(?::?\d{2}){0,2})$")
_MIDNIGHT_END = re.compile(r"24:00(?::00(?:\.0*)?)?")


def time_from_text(s: str) -> dt.time:
    """``text::time``: ``allballs``, AM/PM; a leading date and a trailing zone are ignored."""
    text = s.strip()
    low = text.lower()
    if low == "allballs":
        return dt.time(0)
    _special(low, "time")
    rest, _zone, ampm = _split_words(s, text, "time")
    m = _TIME_DATE.match(rest)
    if m:
        rest = rest[m.end():]
    rest = _TIME_ZONE.sub("", rest).strip()
    if _MIDNIGHT_END.fullmatch(rest):
        raise errors.FeatureNotSupported("time 24:00:00 is not supported")
    try:
        v = textfmt.time_in(rest)
    except errors.PymzError as e:
        raise _reraise(e, "time", s) from None
    shift = _apply_ampm(s, v.hour, ampm)
    return v.replace(hour=v.hour + shift) if shift else v


# --- intervals ---------------------------------------------------------------------------

# PostgreSQL's interval unit words (deltatktbl), looked up by their first 10 characters.
UNITS: dict[str, str] = {}
for _unit, _words in (
    ("microsecond", "us usec usecs useconds usecond microsecon"),
    ("millisecond", "ms msec msecs mseconds msecond millisecon"),
    ("second", "s sec secs second seconds"),
    ("minute", "m min mins minute minutes"),
    ("hour", "h hr hrs hour hours"),
    ("day", "d day days"),
    ("week", "w week weeks"),
    ("month", "mon mons month months"),
    ("quarter", "qtr quarter"),
    ("year", "y yr yrs year years"),
    ("decade", "dec decs decade decades"),
    ("century", "c cent century centuries"),
    ("millennium", "mil mils millennia millennium"),
    ("timezone", "timezone"),
    ("timezone_hour", "timezone_h"),
    ("timezone_minute", "timezone_m"),
):
    for _w in _words.split():
        UNITS[_w] = _unit


def unit_of(word: str) -> str | None:
    """The canonical unit a unit word names (PostgreSQL compares 10 characters), or None."""
    return UNITS.get(word.lower()[:10])


_US = {"microsecond": 1, "millisecond": 1000, "second": 1_000_000, "minute": 60_000_000,
       "hour": 3_600_000_000}
_YEARS = {"year": 1, "decade": 10, "century": 100, "millennium": 1000}
_SECOND_BITS = frozenset({"second", "millisecond", "microsecond"})
_TIME_BITS = frozenset({"hour", "minute"}) | _SECOND_BITS

_IV_TOKEN = re.compile(
    r"(?P<ws>[\s,]+)|(?P<at>@)"
    r"|(?P<time>[+-]?\d+:\d+(?::\d+)?(?:\.\d*)?)"
    r"|(?P<ym>[+-]?\d+-\d+)(?![\d-])"
    r"|(?P<num>[+-]?(?:\d+\.?\d*|\.\d+))"
    r"|(?P<sign>[+-])"
    r"|(?P<word>[A-Za-z]+)", re.ASCII)


class _Acc:
    """PostgreSQL's pg_itm_in: months, days, microseconds, with overflow checks."""

    def __init__(self, s: str) -> None:
        self.s = s
        self.months = 0
        self.days = 0
        self.us = 0

    def overflow(self) -> errors.PymzError:
        return errors.PymzError(f'interval field value out of range: "{self.s}"',
                                sqlstate="22015")

    def check(self) -> None:
        if not (-I32 <= self.months < I32 and -I32 <= self.days < I32
                and -I64 <= self.us < I64):
            raise self.overflow()

    def fract_us(self, frac: float, scale: int) -> None:
        if frac == 0:
            return
        frac *= scale
        whole = int(frac)
        self.us += whole + round(frac - whole)

    def fract_days(self, frac: float, scale: int) -> None:
        if frac == 0:
            return
        frac *= scale
        extra = int(frac)
        self.days += extra
        self.fract_us(frac - extra, USECS_PER_DAY)

    def add(self, unit: str, val: int, fval: float) -> None:
        if unit in _US:
            self.us += val * _US[unit]
            self.fract_us(fval, _US[unit])
        elif unit == "day":
            self.days += val
            self.fract_us(fval, USECS_PER_DAY)
        elif unit == "week":
            self.days += val * 7
            self.fract_days(fval, 7)
        elif unit == "month":
            self.months += val
            self.fract_days(fval, 30)
        elif unit in _YEARS:
            scale = _YEARS[unit]
            if not -I32 <= val * scale * 12 < I32:
                raise self.overflow()
            self.months += val * scale * 12 + round(fval * scale * 12)
        self.check()


def _split_number(text: str) -> tuple[int, float]:
    """PostgreSQL's (integer part, fraction as a double with the number's sign)."""
    neg = text.startswith("-")
    body = text.lstrip("+-")
    whole, _, frac = body.partition(".")
    val = int(whole or "0")
    fval = float("0." + frac) if frac else 0.0
    return (-val, -fval) if neg else (val, fval)


def _time_field(acc: _Acc, text: str) -> None:
    neg = text.startswith("-")
    body = text.lstrip("+-")
    main, _, frac = body.partition(".")
    parts = [int(p) for p in main.split(":")]
    if len(parts) == 2 and frac:
        h, mi, sec = 0, parts[0], parts[1]  # mm:ss.fff is minutes to seconds
    else:
        h, mi, sec = parts[0], parts[1], parts[2] if len(parts) > 2 else 0
    if mi > 59 or sec > 59:
        raise acc.overflow()
    us = ((h * 60 + mi) * 60 + sec) * 1_000_000 + (round(float("0." + frac) * 1e6)
                                                  if frac else 0)
    acc.us += -us if neg else us
    acc.check()


def _postgres_interval(s: str) -> Interval | None:
    """The postgres-style reading, or None when ``s`` is not one (try ISO 8601 next)."""
    tokens: list[tuple[str, str]] = []
    pos = 0
    while pos < len(s):
        m = _IV_TOKEN.match(s, pos)
        if not m:
            return None
        pos = m.end()
        kind = m.lastgroup
        assert kind is not None
        if kind != "ws":
            tokens.append((kind, m[0]))
    # A lone sign belongs to the number after it ('- 1 day').
    merged: list[tuple[str, str]] = []
    sign = ""
    for kind, text in tokens:
        if kind == "sign":
            if sign:
                return None
            sign = text
            continue
        if sign:
            if kind not in ("num", "time", "ym") or text[0] in "+-":
                return None
            merged.append((kind, sign + text))
            sign = ""
            continue
        merged.append((kind, text))
    if sign:
        return None
    acc = _Acc(s)
    seen: set[str] = set()
    unit = "second"
    ago = False
    found = False

    def mark(bits: set[str] | frozenset[str]) -> bool:
        if seen & bits:
            return False
        seen.update(bits)
        return True

    for kind, text in reversed(merged):
        if kind == "at":
            continue
        if kind == "word":
            w = text.lower()
            if w == "ago":
                ago = True
                continue
            u = unit_of(w)
            if u is None or u.startswith("timezone") or u == "quarter":
                return None
            unit = u
            continue
        found = True
        if kind == "time":
            if not mark(_TIME_BITS):
                return None
            _time_field(acc, text)
            unit = "day"
        elif kind == "ym":
            neg = text.startswith("-")
            y, _, mo = text.lstrip("+-").partition("-")
            if int(mo) > 11:
                raise acc.overflow()
            if not mark({"year", "month"}):
                return None
            months = int(y) * 12 + int(mo)
            acc.months += -months if neg else months
            acc.check()
        else:
            val, fval = _split_number(text)
            bits = _SECOND_BITS if unit == "second" and fval else {unit}
            if not mark(bits):
                return None
            acc.add(unit, val, fval)
    if not found:
        return None
    if ago:
        acc.months, acc.days, acc.us = -acc.months, -acc.days, -acc.us
    return Interval(acc.months, acc.days, acc.us)


_ISO_NUM = r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)"
_ISO_DESIGNATORS = re.compile(
    rf"P(?:(?P<Y>{_ISO_NUM})Y)?(?:(?P<M>{_ISO_NUM})M)?(?:(?P<W>{_ISO_NUM})W)?"
    rf"(?:(?P<D>{_ISO_NUM})D)?(?:T(?:(?P<H>{_ISO_NUM})H)?(?:(?P<MI>{_ISO_NUM})M)?"
    rf"(?:(?P<S>{_ISO_NUM})S)?)?", re.ASCII)
_ISO_ALTERNATIVE = re.compile(
    r"P(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2}):(\d{2}(?:\.\d*)?))?", re.ASCII)
_ISO_BASIC = re.compile(
    r"P(\d{4})(\d{2})(\d{2})(?:T(\d{2})(\d{2})(\d{2}(?:\.\d*)?))?", re.ASCII)
_ISO_TIME = re.compile(r"PT(\d{2}):?(\d{2}):?(\d{2}(?:\.\d*)?)", re.ASCII)
_ISO_UNITS = (("Y", "year"), ("M", "month"), ("W", "week"), ("D", "day"), ("H", "hour"),
              ("MI", "minute"), ("S", "second"))


def _iso_interval(s: str) -> Interval | None:
    acc = _Acc(s)
    m = _ISO_ALTERNATIVE.fullmatch(s) or _ISO_BASIC.fullmatch(s)
    if m:
        names = ("year", "month", "day", "hour", "minute", "second")
        pairs = [(names[i], g) for i, g in enumerate(m.groups()) if g is not None]
    elif (t := _ISO_TIME.fullmatch(s)) is not None:
        pairs = list(zip(("hour", "minute", "second"), t.groups(), strict=True))
    else:
        m = _ISO_DESIGNATORS.fullmatch(s)
        if not m or s == "P":
            return None
        pairs = [(unit, m[g]) for g, unit in _ISO_UNITS if m[g] is not None]
    for unit, text in pairs:
        # ISO numbers are read whole as a double, then split (ParseISO8601Number).
        v = float(text)
        val = int(v)
        acc.add(unit, val, v - val)
    return Interval(acc.months, acc.days, acc.us)


def interval_from_text(s: str) -> Interval:
    """``text::interval`` in IntervalStyle postgres (and ISO 8601) input forms."""
    text = s.strip()
    iv = _postgres_interval(text) if text else None
    if iv is None and s.startswith("P"):
        iv = _iso_interval(s)
    if iv is None:
        raise syntax_error("interval", s)
    return iv
