"""PostgreSQL text formats: output exactly as PostgreSQL prints it, input as it accepts it.

Covers the scalar types of :mod:`pymz.repr.types` (session settings assumed:
DateStyle=ISO, IntervalStyle=postgres, TimeZone=UTC). Parse errors raise
:class:`pymz.errors.PymzError` with PostgreSQL's SQLSTATEs (22P02, 22003, 22007, 22008).
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
import struct
import uuid
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any

from pymz.errors import InvalidTextRepresentation, NumericValueOutOfRange, PymzError
from pymz.repr.types import Interval, ScalarType

UTC = dt.UTC
USECS_PER_SEC = 1_000_000
USECS_PER_DAY = 86_400 * USECS_PER_SEC


def bad_input(type_name: str, text: str) -> PymzError:
    return InvalidTextRepresentation(f'invalid input syntax for type {type_name}: "{text}"')


def _datetime_error(type_name: str, text: str) -> PymzError:
    return PymzError(
        f'invalid input syntax for type {type_name}: "{text}"', sqlstate="22007"
    )


# ---------------------------------------------------------------- output


def bool_out(v: object) -> str:
    return "t" if v else "f"


def _shortest_digits(v: float, single: bool) -> tuple[str, int]:
    """Shortest round-trip digits and decimal exponent of the first digit."""
    if single:
        for prec in range(1, 10):
            s = f"{v:.{prec - 1}e}"
            if struct.unpack("f", struct.pack("f", float(s)))[0] == v:
                break
    else:
        s = repr(v)
    _sign, digits, exp = Decimal(s).as_tuple()
    assert isinstance(exp, int)
    ds = "".join(map(str, digits)).rstrip("0") or "0"
    return ds, len(digits) + exp - 1


def float_out(v: object, *, single: bool = False) -> str:
    """PostgreSQL's shortest-exact float output (PG 12+ with extra_float_digits=1)."""
    f = float(v)  # type: ignore[arg-type]
    if single and math.isfinite(f):
        # Print the float32 the client would receive in binary, not the double it came from.
        try:
            f = struct.unpack("f", struct.pack("f", f))[0]
        except OverflowError:
            f = math.copysign(math.inf, f)
    if math.isnan(f):
        return "NaN"
    if math.isinf(f):
        return "Infinity" if f > 0 else "-Infinity"
    if f == 0:
        return "-0" if math.copysign(1.0, f) < 0 else "0"
    sign = "-" if f < 0 else ""
    digits, exp = _shortest_digits(abs(f), single)
    # PostgreSQL switches to exponent form like printf %g with precision DBL_DIG / FLT_DIG.
    if -4 <= exp < (6 if single else 15):
        if exp < 0:
            return f"{sign}0.{'0' * (-exp - 1)}{digits}"
        if len(digits) <= exp + 1:
            return sign + digits + "0" * (exp + 1 - len(digits))
        return f"{sign}{digits[: exp + 1]}.{digits[exp + 1 :]}"
    mant = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
    return f"{sign}{mant}e{'-' if exp < 0 else '+'}{abs(exp):02d}"


def numeric_out(v: object) -> str:
    d = v if isinstance(v, Decimal) else Decimal(str(v))
    if d.is_nan():
        return "NaN"
    if d.is_infinite():
        return "Infinity" if d > 0 else "-Infinity"
    if d.is_zero():
        return "0"  # numeric has no negative zero
    # Materialize prints numerics without trailing fractional zeros, whatever their scale.
    text = format(d, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def bytea_out(v: object) -> str:
    assert isinstance(v, bytes | bytearray | memoryview)
    return "\\x" + bytes(v).hex()


def _frac(us: int) -> str:
    return f".{us:06d}".rstrip("0") if us else ""


def time_out(v: object) -> str:
    assert isinstance(v, dt.time)
    return f"{v.hour:02d}:{v.minute:02d}:{v.second:02d}{_frac(v.microsecond)}"


def date_out(v: object) -> str:
    assert isinstance(v, dt.date)
    return f"{v.year:04d}-{v.month:02d}-{v.day:02d}"


def timestamp_out(v: object) -> str:
    assert isinstance(v, dt.datetime)
    return f"{date_out(v)} {time_out(v.time())}"


def timestamptz_out(v: object) -> str:
    assert isinstance(v, dt.datetime)
    u = v.replace(tzinfo=UTC) if v.tzinfo is None else v.astimezone(UTC)
    return f"{timestamp_out(u)}+00"


def interval_out(v: object) -> str:
    """IntervalStyle=postgres, as EncodeInterval prints it."""
    assert isinstance(v, Interval)
    # C division truncates toward zero; Python's floors, so work on magnitudes.
    year = _tdiv(v.months, 12)
    mon = v.months - year * 12
    parts: list[str] = []
    is_before = False
    for value, unit in ((year, "year"), (mon, "mon"), (v.days, "day")):
        if value == 0:
            continue
        plus = "+" if is_before and value > 0 else ""
        parts.append(f"{plus}{value} {unit}{'' if value == 1 else 's'}")
        is_before = value < 0
    us = v.microseconds
    if not parts or us != 0:
        sign = "-" if us < 0 else ("+" if is_before else "")
        a = abs(us)
        hours, rem = divmod(a, 3600 * USECS_PER_SEC)
        mins, rem = divmod(rem, 60 * USECS_PER_SEC)
        secs, frac = divmod(rem, USECS_PER_SEC)
        parts.append(f"{sign}{hours:02d}:{mins:02d}:{secs:02d}{_frac(frac)}")
    return " ".join(parts)


def _tdiv(a: int, b: int) -> int:
    q = abs(a) // abs(b)
    return q if (a >= 0) == (b >= 0) else -q


def jsonb_out(v: object) -> str:
    return v if isinstance(v, str) else canonical_json(v)


def uuid_out(v: object) -> str:
    return str(v)


def str_out(v: object) -> str:
    return str(v)


_NEEDS_QUOTE = re.compile(r'[{},"\\\s]')


def array_out(elems: object, elem_out: Callable[[object], str]) -> str:
    assert isinstance(elems, list | tuple)
    out: list[str] = []
    for e in elems:
        if e is None:
            out.append("NULL")
            continue
        s = elem_out(e)
        if s == "" or s.upper() == "NULL" or _NEEDS_QUOTE.search(s):
            s = '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'
        out.append(s)
    return "{" + ",".join(out) + "}"


# ---------------------------------------------------------------- JSON canonical form


def canonical_json(value: object) -> str:
    """jsonb's output: object keys ordered by (length, bytes), ", " and ": " separators."""
    if isinstance(value, dict):
        keys = sorted(value, key=lambda k: (len(k.encode()), k.encode()))
        body = ", ".join(f"{json.dumps(k, ensure_ascii=False)}: {canonical_json(value[k])}"
                         for k in keys)
        return "{" + body + "}"
    if isinstance(value, list):
        return "[" + ", ".join(canonical_json(x) for x in value) + "]"
    if isinstance(value, Decimal):
        # JSON numbers keep their exact text (jsonb prints 2.50 as 2.50).
        return format(value.copy_abs() if value.is_zero() else value, "f")
    return json.dumps(value, ensure_ascii=False)


def jsonb_in(s: str) -> str:
    def _bad_const(c: str) -> Any:
        raise ValueError(c)

    try:
        parsed = json.loads(s, parse_float=Decimal, parse_constant=_bad_const)
    except ValueError:
        raise bad_input("json", s) from None
    # Keep the last duplicate key like jsonb does (json.loads already does).
    return canonical_json(parsed)


# ---------------------------------------------------------------- input


_INT_RE = re.compile(r"\s*[+-]?[0-9]+\s*", re.ASCII)
_INT_RANGES = {"smallint": 16, "integer": 32, "bigint": 64}


def int_in(s: str, type_name: str) -> int:
    if not _INT_RE.fullmatch(s):
        raise bad_input(type_name, s)
    v = int(s)
    if type_name == "oid":
        if not -(2**31) <= v < 2**32:
            raise NumericValueOutOfRange(f'value "{s}" is out of range for type oid')
        return v & 0xFFFFFFFF
    if type_name == "mz_timestamp":
        if not 0 <= v < 2**64:
            raise NumericValueOutOfRange(f'value "{s}" is out of range for type mz_timestamp')
        return v
    bits = _INT_RANGES[type_name]
    if not -(2 ** (bits - 1)) <= v < 2 ** (bits - 1):
        raise NumericValueOutOfRange(f'value "{s}" is out of range for type {type_name}')
    return v


_FLOAT_RE = re.compile(
    r"\s*[+-]?(?:(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?|inf|infinity|nan)\s*",
    re.ASCII | re.IGNORECASE,
)


def float_in(s: str, *, single: bool = False) -> float:
    name = "real" if single else "double precision"
    if not _FLOAT_RE.fullmatch(s):
        raise bad_input(name, s)
    v = float(s)
    finite_text = not re.search(r"inf|nan", s, re.IGNORECASE)
    if finite_text and single and math.isfinite(v):
        if abs(v) > 3.4028234663852886e38:
            raise NumericValueOutOfRange(f'"{s.strip()}" is out of range for type real')
        v = struct.unpack("f", struct.pack("f", v))[0]
    if finite_text and math.isinf(v):
        raise NumericValueOutOfRange(f'"{s.strip()}" is out of range for type {name}')
    return v


_NUMERIC_RE = re.compile(
    r"\s*[+-]?(?:(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?|infinity|inf|nan)\s*",
    re.ASCII | re.IGNORECASE,
)


def numeric_in(s: str) -> Decimal:
    if not _NUMERIC_RE.fullmatch(s):
        raise bad_input("numeric", s)
    try:
        return Decimal(s.strip())
    except InvalidOperation:
        raise bad_input("numeric", s) from None


def bool_in(s: str) -> bool:
    t = s.strip().lower()
    if t in ("1", "on") or (t and ("true".startswith(t) or "yes".startswith(t))):
        return True
    if t in ("0", "of", "off") or (t and ("false".startswith(t) or "no".startswith(t))):
        return False
    raise bad_input("boolean", s)


def bytea_in(s: str) -> bytes:
    if s.startswith("\\x"):
        h = "".join(s[2:].split())
        try:
            return bytes.fromhex(h)
        except ValueError:
            raise bad_input("bytea", s) from None
    out = bytearray()
    i = 0
    while i < len(s):
        c = s[i]
        if c != "\\":
            out += c.encode()
            i += 1
        elif s[i + 1 : i + 2] == "\\":
            out.append(0x5C)
            i += 2
        elif re.fullmatch(r"[0-3][0-7][0-7]", s[i + 1 : i + 4]):
            out.append(int(s[i + 1 : i + 4], 8))
            i += 4
        else:
            raise bad_input("bytea", s)
    return bytes(out)


def uuid_in(s: str) -> uuid.UUID:
    try:
        return uuid.UUID(s.strip())
    except ValueError:
        raise bad_input("uuid", s) from None


_DATE_RE = re.compile(r"(\d{4,})-(\d{1,2})-(\d{1,2})", re.ASCII)
_TIME_RE = re.compile(r"(\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?", re.ASCII)
_TZ_RE = re.compile(r"(?:([zZ])|(?:\s*(?:UTC|GMT))|([+-])(\d{1,2})(?::?(\d{2}))?(?::?(\d{2}))?)",
                    re.ASCII)


def _fraction_us(frac: str | None) -> int:
    if not frac:
        return 0
    if len(frac) <= 6:
        return int(frac.ljust(6, "0"))
    # Round half to even at microseconds, like PostgreSQL's rint().
    return int((Decimal(frac) / 10 ** (len(frac) - 6)).to_integral_value())


def _mk_date(type_name: str, s: str, y: str, m: str, d: str) -> dt.date:
    try:
        return dt.date(int(y), int(m), int(d))
    except ValueError:
        raise PymzError(f'date/time field value out of range: "{s}"', sqlstate="22008") from None


def date_in(s: str) -> dt.date:
    m = _DATE_RE.fullmatch(s.strip())
    if not m:
        raise _datetime_error("date", s)
    return _mk_date("date", s, *m.groups())


def _time_parts(s: str, text: str, type_name: str) -> tuple[int, int, int, int]:
    m = _TIME_RE.fullmatch(text)
    if not m:
        raise _datetime_error(type_name, s)
    h, mi, sec = int(m[1]), int(m[2]), int(m[3] or 0)
    us = _fraction_us(m[4])
    if h > 24 or mi > 59 or sec > 60:
        raise PymzError(f'date/time field value out of range: "{s}"', sqlstate="22008")
    return h, mi, sec, us


def _time_of(parts: tuple[int, int, int, int]) -> tuple[dt.time, int]:
    """A time plus a carry in microseconds (for 24:00:00 and rounding to the next second)."""
    h, mi, sec, us = parts
    total = ((h * 60 + mi) * 60 + sec) * USECS_PER_SEC + us
    days, rem = divmod(total, USECS_PER_DAY)
    s, us2 = divmod(rem, USECS_PER_SEC)
    return dt.time(s // 3600, s // 60 % 60, s % 60, us2), days


def time_in(s: str) -> dt.time:
    t, carry = _time_of(_time_parts(s, s.strip(), "time"))
    if carry:
        if t != dt.time(0):
            raise PymzError(f'date/time field value out of range: "{s}"', sqlstate="22008")
        # PostgreSQL keeps 24:00:00 as a distinct value; Python cannot, so clamp.
        return dt.time(23, 59, 59, 999999)
    return t


def _timestamp_parts(s: str, type_name: str) -> tuple[dt.datetime, dt.tzinfo | None]:
    text = s.strip()
    m = _DATE_RE.match(text)
    if not m:
        raise _datetime_error(type_name, s)
    day = _mk_date(type_name, s, *m.groups())
    rest = text[m.end():]
    tz: dt.tzinfo | None = None
    if rest[:1] in ("T", "t", " "):
        rest = rest[1:].lstrip()
        tm = _TIME_RE.match(rest)
        if not tm:
            raise _datetime_error(type_name, s)
        t, carry = _time_of(_time_parts(s, tm[0], type_name))
        rest = rest[tm.end():]
    else:
        t, carry = dt.time(0), 0
    if rest.strip():
        zm = _TZ_RE.fullmatch(rest.strip() if rest.strip().upper() in ("UTC", "GMT") else rest)
        if not zm:
            zm = _TZ_RE.fullmatch(rest.strip())
        if not zm:
            raise _datetime_error(type_name, s)
        if zm[2]:
            off = dt.timedelta(hours=int(zm[3]), minutes=int(zm[4] or 0), seconds=int(zm[5] or 0))
            tz = dt.timezone(-off if zm[2] == "-" else off)
        else:
            tz = UTC
    try:
        stamp = dt.datetime.combine(day, t) + dt.timedelta(days=carry)
    except OverflowError:
        raise PymzError("timestamp out of range", sqlstate="22008") from None
    return stamp, tz


def timestamp_in(s: str) -> dt.datetime:
    stamp, _tz = _timestamp_parts(s, "timestamp")
    return stamp


def timestamptz_in(s: str) -> dt.datetime:
    stamp, tz = _timestamp_parts(s, "timestamp with time zone")
    # Without an explicit offset the session time zone applies; pymz sessions use UTC.
    try:
        return stamp.replace(tzinfo=tz or UTC).astimezone(UTC)
    except OverflowError:
        raise PymzError("timestamp out of range", sqlstate="22008") from None


_INTERVAL_UNITS: dict[str, tuple[int, int, int]] = {}
for _names, _unit in (
    (("microsecond", "microseconds", "us", "usec", "usecs"), (0, 0, 1)),
    (("millisecond", "milliseconds", "ms", "msec", "msecs"), (0, 0, 1000)),
    (("second", "seconds", "s", "sec", "secs"), (0, 0, USECS_PER_SEC)),
    (("minute", "minutes", "m", "min", "mins"), (0, 0, 60 * USECS_PER_SEC)),
    (("hour", "hours", "h", "hr", "hrs"), (0, 0, 3600 * USECS_PER_SEC)),
    (("day", "days", "d"), (0, 1, 0)),
    (("week", "weeks", "w"), (0, 7, 0)),
    (("month", "months", "mon", "mons"), (1, 0, 0)),
    (("year", "years", "y", "yr", "yrs"), (12, 0, 0)),
    (("decade", "decades"), (120, 0, 0)),
    (("century", "centuries"), (1200, 0, 0)),
    (("millennium", "millennia", "millenniums"), (12000, 0, 0)),
):
    for _n in _names:
        _INTERVAL_UNITS[_n] = _unit

_IV_TOKEN = re.compile(
    r"\s*(?:(?P<time>[+-]?\d+:\d{1,2}(?::\d{1,2}(?:\.\d*)?)?)"
    r"|(?P<num>[+-]?(?:\d+\.?\d*|\.\d+))\s*(?P<unit>[a-z]+)?)\s*,?",
    re.ASCII | re.IGNORECASE,
)


def interval_in(s: str) -> Interval:
    """PostgreSQL-style interval input: ``1 year 2 mons -3 days 04:05:06.5``, ``@ ... ago``."""
    text = s.strip()
    ago = False
    if text.startswith("@"):
        text = text[1:]
    if re.search(r"\bago\s*$", text, re.IGNORECASE):
        ago, text = True, re.sub(r"\bago\s*$", "", text, flags=re.IGNORECASE)
    months = days = 0
    us = Decimal(0)
    pos = 0
    if not text.strip():
        raise bad_input("interval", s)
    while pos < len(text):
        m = _IV_TOKEN.match(text, pos)
        if not m or m.end() == pos:
            raise bad_input("interval", s)
        pos = m.end()
        if m["time"]:
            neg = m["time"].startswith("-")
            bits = m["time"].lstrip("+-").split(":")
            secs = Decimal(bits[2]) if len(bits) > 2 else Decimal(0)
            total = (int(bits[0]) * 3600 + int(bits[1]) * 60) * USECS_PER_SEC + secs * USECS_PER_SEC
            us += -total if neg else total
            continue
        num = Decimal(m["num"])
        unit = (m["unit"] or "second").lower()
        if unit not in _INTERVAL_UNITS:
            raise bad_input("interval", s)
        um, ud, uus = _INTERVAL_UNITS[unit]
        # Fractions cascade down as PostgreSQL does: months -> 30-day days -> microseconds.
        mv = num * um
        months += int(mv)
        dv = (mv - int(mv)) * 30 + num * ud
        days += int(dv)
        us += (dv - int(dv)) * USECS_PER_DAY + num * uus
    micro = int(us.to_integral_value())
    if ago:
        months, days, micro = -months, -days, -micro
    if not (-(2**31) <= months < 2**31 and -(2**31) <= days < 2**31 and abs(micro) < 2**63):
        raise PymzError("interval out of range", sqlstate="22008")
    return Interval(months, days, micro)


def array_in(s: str, elem_in: Callable[[str], object], type_name: str) -> list[object]:
    """One-dimensional array literal ``{a,"b c",NULL}``."""
    text = s.strip()
    if text.startswith("["):  # explicit bounds decoration: [1:3]={...}
        eq = text.find("=")
        if eq < 0:
            raise bad_input(type_name, s)
        text = text[eq + 1 :].strip()
    if not (text.startswith("{") and text.endswith("}")):
        raise PymzError(f'malformed array literal: "{s}"', sqlstate="22P02")
    body = text[1:-1]
    out: list[object] = []
    if not body.strip():
        return out
    i, n = 0, len(body)
    while True:
        while i < n and body[i].isspace():
            i += 1
        if i < n and body[i] == "{":
            raise PymzError("multidimensional arrays are not supported", sqlstate="0A000")
        if i < n and body[i] == '"':
            i += 1
            buf: list[str] = []
            while i < n and body[i] != '"':
                if body[i] == "\\" and i + 1 < n:
                    i += 1
                buf.append(body[i])
                i += 1
            if i >= n:
                raise PymzError(f'malformed array literal: "{s}"', sqlstate="22P02")
            i += 1
            out.append(elem_in("".join(buf)))
        else:
            start = i
            buf = []
            while i < n and body[i] not in ",":
                if body[i] in '{}"':
                    raise PymzError(f'malformed array literal: "{s}"', sqlstate="22P02")
                if body[i] == "\\" and i + 1 < n:
                    i += 1
                buf.append(body[i])
                i += 1
            raw = "".join(buf).strip()
            if not raw and start == i:
                raise PymzError(f'malformed array literal: "{s}"', sqlstate="22P02")
            out.append(None if raw.upper() == "NULL" else elem_in(raw))
        while i < n and body[i].isspace():
            i += 1
        if i >= n:
            return out
        if body[i] != ",":
            raise PymzError(f'malformed array literal: "{s}"', sqlstate="22P02")
        i += 1


# ---------------------------------------------------------------- by type

_OUT: dict[ScalarType, Callable[[object], str]] = {
    ScalarType.BOOL: bool_out,
    ScalarType.BYTEA: bytea_out,
    ScalarType.FLOAT4: lambda v: float_out(v, single=True),
    ScalarType.FLOAT8: float_out,
    ScalarType.NUMERIC: numeric_out,
    ScalarType.DATE: date_out,
    ScalarType.TIME: time_out,
    ScalarType.TIMESTAMP: timestamp_out,
    ScalarType.TIMESTAMPTZ: timestamptz_out,
    ScalarType.INTERVAL: interval_out,
    ScalarType.JSONB: jsonb_out,
    ScalarType.UUID: uuid_out,
}


def value_out(t: ScalarType, v: object, is_array: bool = False) -> str:
    """A non-NULL value of type ``t`` as PostgreSQL's text output function prints it."""
    out = _OUT.get(t, str_out)
    return array_out(v, out) if is_array else out(v)
