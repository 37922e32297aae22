"""Time zones for the date/time functions: names, abbreviations and offsets as PostgreSQL reads
them, and conversions between UTC instants and local wall-clock times.

A :class:`Zone` is a fixed offset or an IANA zone (via :mod:`zoneinfo`, from the system's
tz database, which PostgreSQL's Debian package uses too). Guarantees, as PostgreSQL 15:

* IANA names are matched case-insensitively (``europe/berlin``); only names the tz database
  lists are opened, never a path built from user input.
* :func:`zone_named` (``AT TIME ZONE``, ``timezone()``, ``date_trunc(.., zone)``) tries a
  fixed abbreviation, then an IANA name, then a POSIX-style offset (``'+02'``, ``'UTC+3'``,
  ``'2'``), whose sign means hours *west* of Greenwich, as POSIX (and PostgreSQL) read it.
* :func:`zone_iso` (``make_timestamptz``'s zone, time zones inside timestamp text) reads a
  numeric offset ISO-style (``'+02'`` is east), and names as above.
* Local times that fall in a DST gap or overlap take the smaller of the two offsets, which is
  PostgreSQL's rule ("before" the transition in a gap, "after" it in an overlap).

Departs from PostgreSQL: only a table of common fixed abbreviations is known (PostgreSQL's
``Default`` set has ~190, some of them date-dependent, like MSK); others are "not
recognized". POSIX zone strings with DST rules (``'EST5EDT,M3.2.0,M11.1.0'``) are not
supported, except where the tz database has a file of that name (``EST5EDT``).
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import zoneinfo
from dataclasses import dataclass

from pymz import errors

UTC = dt.UTC
_H = 3600

# Fixed-offset abbreviations of PostgreSQL's Default set (seconds east of UTC), checked
# against pg_timezone_abbrevs. Date-dependent ones (MSK, ...) are left out on purpose.
ABBREVIATIONS: dict[str, int] = {
    "utc": 0, "gmt": 0, "ut": 0, "z": 0, "zulu": 0,
    "est": -5 * _H, "edt": -4 * _H, "cst": -6 * _H, "cdt": -5 * _H, "mst": -7 * _H,
    "mdt": -6 * _H, "pst": -8 * _H, "pdt": -7 * _H, "akst": -9 * _H, "akdt": -8 * _H,
    "hst": -10 * _H, "ast": -4 * _H, "adt": -3 * _H, "nst": -3 * _H - 1800,
    "ndt": -2 * _H - 1800, "wet": 0, "west": _H, "bst": _H, "cet": _H, "cest": 2 * _H,
    "met": _H, "mest": 2 * _H, "eet": 2 * _H, "eest": 3 * _H, "wat": _H, "cat": 2 * _H,
    "eat": 3 * _H, "sast": 2 * _H, "ist": 2 * _H, "hkt": 8 * _H, "sgt": 8 * _H,
    "awst": 8 * _H, "jst": 9 * _H, "kst": 9 * _H, "acst": 9 * _H + 1800,
    "acdt": 10 * _H + 1800, "aest": 10 * _H, "aedt": 11 * _H, "nzst": 12 * _H,
    "nzdt": 13 * _H, "art": -3 * _H, "brt": -3 * _H,
}

_NUMERIC = re.compile(r"([+-]?)(\d{1,3})(?::?(\d{2}))?(?::?(\d{2}))?", re.ASCII)
_POSIX = re.compile(r"([A-Za-z]{3,})?([+-]?)(\d{1,3})(?::(\d{2}))?(?::(\d{2}))?", re.ASCII)


def out_of_range(what: str = "timestamp") -> errors.PymzError:
    return errors.PymzError(f"{what} out of range", sqlstate="22008")


@dataclass(frozen=True)
class Zone:
    """A fixed offset (seconds east of UTC) or an IANA zone."""

    offset: int = 0
    tz: zoneinfo.ZoneInfo | None = None

    def utc_offset(self, utc: dt.datetime) -> int:
        """Seconds east of UTC in effect at the instant ``utc`` (aware or naive UTC)."""
        if self.tz is None:
            return self.offset
        aware = utc if utc.tzinfo is not None else utc.replace(tzinfo=UTC)
        try:
            off = aware.astimezone(self.tz).utcoffset()
        except OverflowError:
            raise out_of_range() from None
        assert off is not None
        return int(off.total_seconds())

    def to_local(self, utc: dt.datetime) -> dt.datetime:
        """The naive wall-clock time in this zone at the instant ``utc``."""
        naive = utc.astimezone(UTC).replace(tzinfo=None) if utc.tzinfo else utc
        try:
            return naive + dt.timedelta(seconds=self.utc_offset(naive))
        except OverflowError:
            raise out_of_range() from None

    def to_utc(self, local: dt.datetime) -> dt.datetime:
        """The aware UTC instant of the wall-clock time ``local`` (naive) in this zone."""
        if self.tz is None:
            off = self.offset
        else:
            offs = [local.replace(tzinfo=self.tz, fold=f).utcoffset() for f in (0, 1)]
            off = int(min(o for o in offs if o is not None).total_seconds())
        try:
            return (local - dt.timedelta(seconds=off)).replace(tzinfo=UTC)
        except OverflowError:
            raise out_of_range() from None


UTC_ZONE = Zone(0)


@functools.cache
def _iana_names() -> dict[str, str]:
    return {n.lower(): n for n in zoneinfo.available_timezones()}


@functools.lru_cache(maxsize=1024)
def iana(name: str) -> Zone | None:
    """The IANA zone of that name (any letter case), or None."""
    real = _iana_names().get(name.lower())
    if real is None:
        return None
    try:
        return Zone(tz=zoneinfo.ZoneInfo(real))
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
        return None


def _seconds(h: str, m: str | None, s: str | None) -> int:
    return int(h) * 3600 + int(m or 0) * 60 + int(s or 0)


def not_recognized(name: str) -> errors.PymzError:
    return errors.InvalidParameterValue(f'time zone "{name}" not recognized')


@functools.lru_cache(maxsize=1024)
def zone_named(name: str) -> Zone:
    """The zone of ``AT TIME ZONE name`` / ``timezone(name, ..)`` (POSIX offsets)."""
    fixed = ABBREVIATIONS.get(name.lower())
    if fixed is not None:
        return Zone(fixed)
    z = iana(name)
    if z is not None:
        return z
    m = _POSIX.fullmatch(name)
    if m:
        secs = _seconds(m[3], m[4], m[5])
        if secs <= 167 * 3600 + 59 * 60 + 59:
            return Zone(secs if m[2] == "-" else -secs)
    raise not_recognized(name)


@functools.lru_cache(maxsize=1024)
def zone_iso(name: str) -> Zone:
    """The zone of ``make_timestamptz(.., name)``: ISO numeric offsets, then names."""
    if name[:1].isdigit():
        raise errors.InvalidParameterValue(
            f'invalid input syntax for type numeric time zone: "{name}"',
            hint='Numeric time zones must have "-" or "+" as first character.')
    m = _NUMERIC.fullmatch(name)
    if m and m[1]:
        secs = _seconds(m[2], m[3], m[4])
        if int(m[2]) > 15 or int(m[3] or 0) > 59 or int(m[4] or 0) > 59:
            raise errors.InvalidParameterValue(f'numeric time zone "{name}" out of range')
        return Zone(-secs if m[1] == "-" else secs)
    fixed = ABBREVIATIONS.get(name.lower())
    if fixed is not None:
        return Zone(fixed)
    z = iana(name)
    if z is None:
        raise not_recognized(name)
    return z
