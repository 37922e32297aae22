"""``to_char`` for timestamps, timestamptz, intervals and numbers, as PostgreSQL 15 prints
them (C locale, TimeZone=UTC).

Date/time patterns: ``YYYY YYY YY Y Y,YYY IYYY IYY IY I CC MM Month MONTH month Mon MON mon
RM rm DD DDD IDDD D ID Day DAY day Dy DY dy W WW IW J Q HH HH12 HH24 MI SS MS US FF1..FF6
SSSS SSSSS AM PM A.M. P.M. (and lower case) AD BC A.D. B.C. TZ tz TZH TZM OF``, the ``FM``
and ``TM`` prefixes, the ``TH``/``th`` suffix, ``"quoted text"`` and any other character as
itself. Intervals accept the patterns that do not need a calendar date (years to
microseconds, ``DDD``, ``CC``, ``Q``, ``SSSS``, ``AM``/``PM``); ``Day``, ``Month``, ``D``,
``ID``, ``AD``/``BC`` and the time zone patterns are 22007 as in PostgreSQL, and the
calendar-week patterns (``IYYY``, ``IW``, ``IDDD``, ``WW``, ``W``, ``J``, ``RM``), whose
PostgreSQL results for intervals are artefacts, are 0A000.

Number patterns: ``9 0 . , D G S MI PL SG PR FM TH th V EEEE RN rn L B`` with PostgreSQL's
padding, rounding, sign placement and ``#`` overflow; ``L`` prints the C locale's blank
currency symbol. Values are formatted from their exact decimal (numeric), their shortest
C ``printf`` rendering (float8 up to 15 digits, real up to 6) or their integer digits.
"""

from __future__ import annotations

import datetime as dt
import math
import struct
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, localcontext

from pymz import errors
from pymz.expr.library.times_fields import (
    JULIAN_OFFSET,
    crem,
    ctrunc,
    interval_tm,
)
from pymz.repr import Interval, ScalarType

_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December")
_DAYS = ("Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday")
_ROMAN_MONTHS = ("I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII")

_DCH_UPPER = ("A.D.", "A.M.", "AD", "AM", "B.C.", "BC", "CC", "DAY", "DDD", "DD", "DY",
              "Day", "Dy", "D", "FF1", "FF2", "FF3", "FF4", "FF5", "FF6", "FX", "HH24",
              "HH12", "HH", "IDDD", "ID", "IW", "IYYY", "IYY", "IY", "I", "J", "MI", "MM",
              "MONTH", "MON", "MS", "Month", "Mon", "OF", "P.M.", "PM", "Q", "RM", "SSSSS",
              "SSSS", "SS", "TZH", "TZM", "TZ", "US", "WW", "W", "Y,YYY", "YYYY", "YYY", "YY",
              "Y")
_DCH_LOWER = ("a.d.", "a.m.", "ad", "am", "b.c.", "bc", "cc", "day", "ddd", "dd", "dy", "d",
              "ff1", "ff2", "ff3", "ff4", "ff5", "ff6", "fx", "hh24", "hh12", "hh", "iddd",
              "id", "iw", "iyyy", "iyy", "iy", "i", "j", "mi", "mm", "month", "mon", "ms",
              "of", "p.m.", "pm", "q", "rm", "sssss", "ssss", "ss", "tzh", "tzm", "tz", "us",
              "ww", "w", "y,yyy", "yyyy", "yyy", "yy", "y")
_DCH = tuple(sorted(set(_DCH_UPPER + _DCH_LOWER), key=len, reverse=True))
# Text patterns whose letter case shapes the output; every other pattern is case-blind.
_CASED = frozenset({"DAY", "Day", "day", "DY", "Dy", "dy", "MONTH", "Month", "month", "MON",
                    "Mon", "mon", "RM", "rm", "TZ", "tz", "AM", "am", "PM", "pm", "A.M.",
                    "a.m.", "P.M.", "p.m.", "AD", "ad", "BC", "bc", "A.D.", "a.d.", "B.C.",
                    "b.c."})
_NOT_FOR_INTERVAL = frozenset({"DAY", "DY", "D", "ID", "MONTH", "MON", "AD", "BC", "A.D.",
                               "B.C.", "TZ", "TZH", "TZM", "OF"})
_UNSUPPORTED_FOR_INTERVAL = frozenset({"IYYY", "IYY", "IY", "I", "IW", "IDDD", "WW", "W", "J",
                                       "RM"})

Node = tuple[str, str, bool, bool, str]  # (kind, text, FM, TM, TH suffix)


def _parse(fmt: str, keywords: Sequence[str], prefixes: bool) -> list[Node]:
    """PostgreSQL's parse_format: keywords (longest first), FM/TM prefixes and TH/th/SP
    suffixes (date/time only), "quoted" literals, other characters as themselves."""
    out: list[Node] = []
    i = 0
    n = len(fmt)
    while i < n:
        fm = tm = False
        if prefixes and fmt.startswith(("FM", "fm", "TM", "tm"), i):
            fm, tm = fmt[i] in "Ff", fmt[i] in "Tt"
            i += 2
            if i >= n:
                break
        kw = next((k for k in keywords if fmt.startswith(k, i)), None)
        if kw is not None:
            i += len(kw)
            th = ""
            if prefixes and fmt.startswith(("TH", "th", "SP", "sp"), i):
                th = fmt[i:i + 2] if fmt[i] in "Tt" else ""
                i += 2
            out.append(("kw", kw, fm, tm, th))
            continue
        c = fmt[i]
        if c == '"':
            i += 1
            buf = []
            while i < n and fmt[i] != '"':
                if fmt[i] == "\\" and i + 1 < n:
                    i += 1
                buf.append(fmt[i])
                i += 1
            i += 1
            out.append(("lit", "".join(buf), False, False, ""))
            continue
        if c == "\\" and i + 1 < n and fmt[i + 1] == '"':
            i += 1
            c = '"'
        out.append(("lit", c, False, False, ""))
        i += 1
    return out


def _th(num: str, upper: bool) -> str:
    """The ordinal suffix of the number just printed."""
    if not num or not num[-1].isdigit():
        raise errors.InvalidTextRepresentation(f'"{num}" is not a number')
    last = num[-1]
    if len(num) > 1 and num[-2] == "1":
        s = "th"
    else:
        s = {"1": "st", "2": "nd", "3": "rd"}.get(last, "th")
    return s.upper() if upper else s


def _padded(v: int, width: int, fm: bool) -> str:
    """C's ``%0*d``: zero-padded to ``width`` characters (the sign counts)."""
    if fm:
        return str(v)
    return f"{v:0{width}d}"


def _cased(name: str, kw: str) -> str:
    if kw.isupper():
        return name.upper()
    if kw.islower():
        return name.lower()
    return name


@dataclass(frozen=True)
class _Fields:
    """The broken-down time to_char prints (PostgreSQL's pg_tm plus fsec)."""

    year: int
    mon: int
    mday: int
    hour: int
    minute: int
    sec: int
    us: int
    yday: int
    interval: bool
    tz: str | None
    date: dt.date | None


def _dch_one(kw: str, f: _Fields, fm: bool, tm: bool) -> tuple[str, bool]:
    """(text, is_number) of one date/time pattern."""
    key = kw.upper()
    if f.interval and key in _NOT_FOR_INTERVAL:
        raise errors.PymzError("invalid format specification for an interval value",
                               sqlstate="22007",
                               hint="Intervals are not tied to specific calendar dates.")
    if f.interval and key in _UNSUPPORTED_FOR_INTERVAL:
        raise errors.FeatureNotSupported(
            f'to_char pattern "{kw}" is not supported for intervals')
    d = f.date
    if key in ("HH", "HH12"):
        h = crem(f.hour, 12)
        return _padded(12 if h == 0 else h, 2 if f.hour >= 0 else 3, fm), True
    if key == "HH24":
        return _padded(f.hour, 2 if f.hour >= 0 else 3, fm), True
    if key == "MI":
        return _padded(f.minute, 2 if f.minute >= 0 else 3, fm), True
    if key == "SS":
        return _padded(f.sec, 2 if f.sec >= 0 else 3, fm), True
    if key.startswith("FF"):
        n = int(key[2])
        return f"{ctrunc(f.us, 10 ** (6 - n)):0{n}d}", True
    if key == "MS":
        return f"{ctrunc(f.us, 1000):03d}", True
    if key == "US":
        return f"{f.us:06d}", True
    if key in ("SSSS", "SSSSS"):
        return str((f.hour * 60 + f.minute) * 60 + f.sec), True
    if key in ("AM", "PM", "A.M.", "P.M."):
        pm = crem(f.hour, 24) >= 12
        word = ("P" if pm else "A") + ("M" if len(key) == 2 else ".M.")
        return (word if kw[0].isupper() else word.lower()), False
    if key in ("AD", "BC", "A.D.", "B.C."):
        word = "AD" if len(key) == 2 else "A.D."
        return (word if kw[0].isupper() else word.lower()), False
    if key == "TZ":
        return (f.tz or "") if kw == "TZ" else (f.tz or "").lower(), False
    if key == "TZH":
        return "+00", False
    if key == "TZM":
        return "00", False
    if key == "OF":
        return "+00", False
    if key == "Y,YYY":
        return f"{ctrunc(f.year, 1000)},{crem(f.year, 1000):03d}", True
    if key in ("YYYY", "YYY", "YY", "Y"):
        n = len(key)
        y = f.year if n == 4 else crem(f.year, 10 ** n)
        return _padded(y, n + (1 if y < 0 else 0), fm), True
    if key in ("IYYY", "IYY", "IY", "I"):
        assert d is not None
        n = len(key)
        iy = d.isocalendar()[0]
        return _padded(iy if n == 4 else iy % 10 ** n, n, fm), True
    if key == "CC":
        c = ctrunc(f.year, 100) if f.interval else (f.year + 99) // 100
        return _padded(c, 2 if c >= 0 else 3, fm), True
    if key == "Q":
        if f.interval and f.mon == 0:
            return "", False
        return str(ctrunc(f.mon - 1, 3) + 1), True
    if key == "MM":
        return _padded(f.mon, 2 if f.mon >= 0 else 3, fm), True
    if key in ("MONTH", "MON"):
        assert 1 <= f.mon <= 12
        name = _MONTHS[f.mon - 1]
        if key == "MON":
            return _cased(name[:3], kw), False
        return _cased(name if fm or tm else f"{name:<9}", kw), False
    if key == "RM":
        if f.mon == 0:
            return "", False
        rm = _ROMAN_MONTHS[f.mon - 1]
        rm = rm if fm else f"{rm:<4}"
        return (rm if kw == "RM" else rm.lower()), False
    if key == "DD":
        return _padded(f.mday, 2, fm), True
    if key == "DDD":
        return _padded(f.yday, 3, fm), True
    assert d is not None
    if key in ("DAY", "DY"):
        name = _DAYS[d.isoweekday() % 7]
        if key == "DY":
            return _cased(name[:3], kw), False
        return _cased(name if fm or tm else f"{name:<9}", kw), False
    if key == "IDDD":
        iy, iw, iwd = d.isocalendar()
        return _padded((iw - 1) * 7 + iwd, 3, fm), True
    if key == "D":
        return str(d.isoweekday() % 7 + 1), True
    if key == "ID":
        return str(d.isoweekday()), True
    if key == "WW":
        return _padded((f.yday - 1) // 7 + 1, 2, fm), True
    if key == "IW":
        return _padded(d.isocalendar()[1], 2, fm), True
    if key == "W":
        return str((f.mday - 1) // 7 + 1), True
    if key == "J":
        return str(d.toordinal() + JULIAN_OFFSET), True
    raise errors.FeatureNotSupported(f'to_char pattern "{kw}" is not supported')


def _dch(fmt: str, f: _Fields) -> str:
    out: list[str] = []
    for kind, text, fm, tm, th in _parse(fmt, _DCH, True):
        if kind == "lit":
            out.append(text)
            continue
        if text in ("FX", "fx"):
            continue
        s, number = _dch_one(text, f, fm, tm)
        if th and number:
            s += _th(s, th == "TH")
        out.append(s)
    return "".join(out)


def _datetime_fields(v: dt.datetime) -> _Fields:
    tz = "UTC" if v.tzinfo is not None else None
    yday = v.timetuple().tm_yday
    return _Fields(v.year, v.month, v.day, v.hour, v.minute, v.second, v.microsecond,
                   yday, False, tz, v.date())


def _interval_fields(iv: Interval) -> _Fields:
    year, mon, mday, hour, minute, sec, us = interval_tm(iv)
    yday = (year * 12 + mon) * 30 + mday
    return _Fields(year, mon, mday, hour, minute, sec, us, yday, True, None, None)


# --- numbers ------------------------------------------------------------------------------------

_NUM = tuple(sorted(("EEEE", "eeee", "FM", "fm", "MI", "mi", "PL", "pl", "PR", "pr", "RN",
                     "rn", "SG", "sg", "SP", "sp", "TH", "th", ",", ".", "0", "9", "B", "b",
                     "C", "c", "D", "d", "G", "g", "L", "l", "S", "s", "V", "v"),
                    key=len, reverse=True))


def _syntax(msg: str) -> errors.PymzError:
    return errors.PymzError(msg, sqlstate="42601")


class _Num:
    """NUMDesc: what the picture asks for (PostgreSQL's NUMDesc_prepare)."""

    def __init__(self, nodes: list[Node]) -> None:
        self.pre = self.post = self.multi = 0
        self.zero_start = self.zero_end = 0
        self.pre_lsign_num = 0
        self.lsign = ""  # "", "pre" or "post"
        self.flags: set[str] = set()
        for kind, kw, _fm, _tm, _suffix in nodes:
            if kind == "kw":
                self._add(kw.upper())

    def _add(self, k: str) -> None:
        f = self.flags
        if "EEEE" in f and k != "EEEE":
            raise _syntax('"EEEE" must be the last pattern used')
        if k in ("9", "0"):
            if "PR" in f:
                raise _syntax(f'"{k}" must be ahead of "PR"')
            if k == "9" and "V" in f:
                self.multi += 1
                return
            if k == "0" and "ZERO" not in f and "DEC" not in f:
                f.add("ZERO")
                self.zero_start = self.pre + 1
            if "DEC" in f:
                self.post += 1
            else:
                self.pre += 1
            if k == "0":
                self.zero_end = self.pre + self.post
        elif k in (".", "D"):
            if "DEC" in f:
                raise _syntax("multiple decimal points")
            if "V" in f:
                raise _syntax('cannot use "V" and decimal point together')
            f.add("DEC")
        elif k == "FM":
            f.add("FM")
        elif k == "S":
            if "S" in f:
                raise _syntax('cannot use "S" twice')
            if f & {"PL", "MI", "PR"}:
                raise _syntax('cannot use "S" and "PL"/"MI"/"SG"/"PR" together')
            if "DEC" not in f:
                self.lsign, self.pre_lsign_num = "pre", self.pre
                f.add("S")
            elif not self.lsign:
                self.lsign = "post"
                f.add("S")
        elif k in ("MI", "PL", "SG"):
            if "S" in f:
                raise _syntax(f'cannot use "S" and "{k}" together')
            f.update({"MI", "PL"} if k == "SG" else {k})
        elif k == "PR":
            if f & {"S", "PL", "MI"}:
                raise _syntax('cannot use "PR" and "S"/"PL"/"MI"/"SG" together')
            f.add("PR")
        elif k == "RN":
            f.add("RN")
        elif k == "V":
            if "DEC" in f:
                raise _syntax('cannot use "V" and decimal point together')
            f.add("V")
        elif k == "EEEE":
            if "EEEE" in f:
                raise _syntax('cannot use "EEEE" twice')
            if f & {"FM", "S", "PR", "MI", "PL", "RN", "V"}:
                raise _syntax('"EEEE" is incompatible with other formats')
            f.add("EEEE")


_ROMAN = ((1000, "M"), (900, "CM"), (500, "D"), (400, "CD"), (100, "C"), (90, "XC"),
          (50, "L"), (40, "XL"), (10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I"))


def _roman(n: int) -> str:
    if not 1 <= n <= 3999:
        return "#" * 15
    out = []
    for v, s in _ROMAN:
        while n >= v:
            out.append(s)
            n -= v
    return "".join(out)


def _overflowed(num: _Num) -> str:
    s = ["#"] * (num.pre + num.post + 1)
    s[num.pre] = "."
    return "".join(s)


def _pad_or_overflow(num: _Num, digits: str) -> tuple[str, int]:
    """(number string, leading spaces) for an unsigned digit string."""
    pre_len = digits.find(".") if "." in digits else len(digits)
    if pre_len < num.pre:
        return digits, num.pre - pre_len
    if pre_len > num.pre:
        return _overflowed(num), 0
    return digits, 0


def _sci_numeric(v: Decimal, post: int) -> str:
    """numeric_out_sci: the significand rounded to ``post`` decimals (not renormalised)."""
    exp = 0 if v.is_zero() else v.copy_abs().adjusted()
    with localcontext() as ctx:
        ctx.prec = 1000
        sig = (v.scaleb(-exp)).quantize(Decimal(1).scaleb(-post), rounding=ROUND_HALF_UP)
    return f"{sig:f}e{'-' if exp < 0 else '+'}{abs(exp):02d}"


def _c_float(fmt: str, v: float) -> str:
    """C printf of a double, with PostgreSQL's own NaN/Infinity spelling."""
    if math.isnan(v):
        return "NaN"
    if math.isinf(v):
        return ("-" if v < 0 and "+" not in fmt else "+" if "+" in fmt else "") + "Infinity"
    return fmt % v


def _num_string(v: object, kind: str, num: _Num) -> tuple[str, int, str]:
    """(number string, leading spaces, sign) as PostgreSQL's *_to_char prepare them."""
    f = num.flags
    if "RN" in f:
        if kind == "numeric":
            assert isinstance(v, Decimal)
            if not v.is_finite():
                what = "NaN" if v.is_nan() else "infinity"
                raise errors.FeatureNotSupported(f"cannot convert {what} to integer")
            with localcontext() as ctx:
                ctx.prec = 1000
                n = int(v.quantize(Decimal(1), rounding=ROUND_HALF_UP))
            if not -(2**31) <= n < 2**31:
                raise errors.NumericValueOutOfRange("integer out of range")
        elif kind in ("float4", "float8"):
            assert isinstance(v, float)
            r = round(v) if math.isfinite(v) else 2**31 - 1
            n = r if -(2**31) <= r < 2**31 else 2**31 - 1
        else:
            assert isinstance(v, int)
            if not -(2**31) <= v < 2**31:
                raise errors.NumericValueOutOfRange("integer out of range")
            n = v
        return _roman(n), 0, ""
    if "EEEE" in f:
        finite = (v.is_finite() if isinstance(v, Decimal)
                  else not isinstance(v, float) or math.isfinite(v))
        if not finite:
            marks = list("#" * (num.pre + num.post + 6))
            marks[0] = " "
            marks[num.pre + 1] = "."
            return "".join(marks), 0, ""
        if kind in ("numeric", "int8"):
            s = _sci_numeric(Decimal(v), num.post)  # type: ignore[arg-type]
            return (s if s.startswith("-") else " " + s), 0, ""
        s = f"%+.{num.post}e" % float(v)  # type: ignore[arg-type]
        return (" " + s[1:] if s[0] == "+" else s), 0, ""
    if kind == "numeric":
        assert isinstance(v, Decimal)
        val = v
        if "V" in f:
            val = v * (Decimal(10) ** num.multi)
            num.pre += num.multi
        if val.is_nan():
            text = "NaN"
        elif val.is_infinite():
            text = "-Infinity" if val < 0 else "Infinity"
        else:
            with localcontext() as ctx:
                ctx.prec = 1000
                text = format(val.quantize(Decimal(1).scaleb(-num.post),
                                           rounding=ROUND_HALF_UP), "f")
        if text.startswith("-"):
            sign, digits = "-", text[1:]
        else:
            sign, digits = "+", text
        if val.is_finite() and Decimal(digits) == 0 and sign == "-":
            sign = "+"  # numeric has no negative zero
        digits, spaces = _pad_or_overflow(num, digits)
        return digits, spaces, sign
    if kind in ("int4", "int8"):
        assert isinstance(v, int)
        val_i = v
        if "V" in f:
            val_i = v * 10 ** num.multi
            if kind == "int4":  # C's int32 arithmetic wraps
                val_i = (val_i + 2**31) % 2**32 - 2**31
            num.pre += num.multi
        sign = "-" if val_i < 0 else "+"
        digits = str(abs(val_i))
        pre_len = len(digits)
        if num.post:
            digits += "." + "0" * num.post
        if pre_len < num.pre:
            return digits, num.pre - pre_len, sign
        if pre_len > num.pre:
            return _overflowed(num), 0, sign
        return digits, 0, sign
    # float4 / float8
    assert isinstance(v, float)
    x = v
    max_digits = 6 if kind == "float4" else 15
    if "V" in f:
        x = v * float(10 ** num.multi)
        if kind == "float4":
            x = struct.unpack("f", struct.pack("f", x))[0] if math.isfinite(x) else x
        num.pre += num.multi
    pre_len = len(_c_float("%.0f", abs(x)))
    if pre_len >= max_digits:
        num.post = 0
    elif pre_len + num.post > max_digits:
        num.post = max_digits - pre_len
    text = _c_float(f"%.{num.post}f", x)
    if text.startswith("-"):
        sign, digits = "-", text[1:]
    else:
        sign, digits = "+", text
    digits, spaces = _pad_or_overflow(num, digits)
    return digits, spaces, sign


def _last_relevant(number: str) -> int | None:
    """Index of the last non-zero digit after the point (or of the point), None if none."""
    p = number.find(".")
    if p < 0:
        return None
    last = p
    for i in range(p + 1, len(number)):
        if number[i] != "0":
            last = i
    return last


class _NumWriter:
    """PostgreSQL's NUM_processor, to_char direction."""

    def __init__(self, num: _Num, number: str, spaces: int, sign: str) -> None:
        self.num = num
        self.f = num.flags
        self.number = number
        self.spaces = spaces
        self.sign = sign
        self.out: list[str] = []
        self.cut = False  # a NUL written: PostgreSQL's string ends there
        self.number_p = 0
        self.num_curr = 0
        self.num_in = False
        self.last_relevant: int | None = None
        if num.zero_start:
            num.zero_start -= 1
        if "RN" in self.f:
            num.lsign, num.pre_lsign_num, num.post, num.pre = "", 0, 0, 0
            self.spaces, self.sign = 0, ""
        if self.f & {"PL", "MI"}:
            self.sign_wrote = not ("PL" in self.f and "MI" not in self.f)
        else:
            if self.sign != "-" and "FM" in self.f:
                self.f.discard("PR")
            self.sign_wrote = self.sign == "+" and "FM" in self.f and "S" not in self.f
            if num.lsign == "pre" and num.pre == num.pre_lsign_num:
                num.lsign = "post"
        self.num_count = num.post + num.pre - 1
        if "FM" in self.f and "DEC" in self.f:
            self.last_relevant = _last_relevant(number)
            if self.last_relevant is not None and num.zero_end > self.spaces:
                last_zero = min(len(number) - 1, num.zero_end - self.spaces)
                self.last_relevant = max(self.last_relevant, last_zero)
        if not self.sign_wrote and self.spaces == 0:
            self.num_count += 1

    def emit(self, s: str) -> None:
        if not self.cut:
            self.out.append(s)

    def _at_point(self) -> bool:
        return self.last_relevant is not None and self.number[self.last_relevant] == "."

    def _predec_space(self) -> bool:
        return ("ZERO" not in self.f and self.number_p == 0 and self.number[:1] == "0"
                and self.num.post != 0)

    def digit(self, kw: str) -> None:
        num, f = self.num, self.f
        if "RN" in f:
            return
        self.num_in = False
        if (not self.sign_wrote
                and (self.num_curr >= self.spaces
                     or ("ZERO" in f and num.zero_start == self.num_curr))
                and (not self._predec_space() or self._at_point())):
            if "S" in f:
                if num.lsign == "pre":
                    self.emit("-" if self.sign == "-" else "+")
                    self.sign_wrote = True
            elif "PR" in f:
                self.emit(" " if self.sign == "+" else "<")
                self.sign_wrote = True
            elif self.sign == "+":
                if "FM" not in f:
                    self.emit(" ")
                self.sign_wrote = True
            elif self.sign == "-":
                self.emit("-")
                self.sign_wrote = True
        if self.num_curr < self.spaces and (num.zero_start > self.num_curr
                                            or "ZERO" not in f):
            if "FM" not in f:
                self.emit(" ")
        elif "ZERO" in f and self.num_curr < self.spaces and num.zero_start <= self.num_curr:
            self.emit("0")
            self.num_in = True
        else:
            ch = self.number[self.number_p] if self.number_p < len(self.number) else ""
            if ch == ".":
                if not self._at_point() or "FM" in f:
                    self.emit(".")
            elif (self.last_relevant is not None and self.number_p > self.last_relevant
                  and kw != "0"):
                pass
            elif self._predec_space():
                if "FM" not in f:
                    self.emit(" ")
                elif self._at_point():
                    self.emit("0")
            else:
                if ch:
                    self.emit(ch)
                else:
                    self.cut = True
                self.num_in = True
            if self.number_p < len(self.number):
                self.number_p += 1
        end = self.num_count + (1 if self.spaces else 0) + (1 if "DEC" in f else 0)
        if self.last_relevant is not None and self.last_relevant == self.number_p:
            end = self.num_curr
        if self.num_curr + 1 == end:
            if self.sign_wrote and "PR" in f:
                self.emit(" " if self.sign == "+" else ">")
            elif "S" in f and num.lsign == "post":
                self.emit("-" if self.sign == "-" else "+")
        self.num_curr += 1

    def run(self, nodes: list[Node]) -> str:
        f = self.f
        for kind, kw, _fm, _tm, _suffix in nodes:
            if kind == "lit":
                self.emit(kw)
                continue
            k = kw.upper()
            if k in ("9", "0", ".", "D"):
                self.digit(k)
            elif k in (",", "G"):
                if self.num_in:
                    self.emit(",")
                elif "FM" not in f:
                    self.emit(" ")
            elif k == "L":
                self.emit(" ")
            elif k == "RN":
                rn = self.number[self.number_p:]
                rn = rn if kw == "RN" else rn.lower()
                self.emit(rn if "FM" in f else f"{rn:>15}")
            elif k == "TH":
                if "RN" in f or self.number[:1] == "#" or self.sign == "-" or "DEC" in f:
                    continue
                self.emit(_th(self.number, kw == "TH"))
            elif k == "MI":
                if self.sign == "-":
                    self.emit("-")
                elif "FM" not in f:
                    self.emit(" ")
            elif k == "PL":
                if self.sign == "+":
                    self.emit("+")
                elif "FM" not in f:
                    self.emit(" ")
            elif k == "SG":
                self.emit(self.sign)
        return "".join(self.out)


def number_to_char(v: object, kind: str, fmt: str) -> str:
    if not fmt:
        return ""
    nodes = _parse(fmt, _NUM, False)
    num = _Num(nodes)
    number, spaces, sign = _num_string(v, kind, num)
    if "EEEE" in num.flags:
        return number
    return _NumWriter(num, number, spaces, sign).run(nodes)


def to_char(a: Sequence[object], t: ScalarType) -> object:
    """to_char(timestamp | timestamptz | interval, text)."""
    v, fmt = a[0], str(a[1])
    if not fmt:
        return None  # PostgreSQL returns NULL for an empty format
    if isinstance(v, Interval):
        return _dch(fmt, _interval_fields(v))
    assert isinstance(v, dt.datetime)
    aware = v.tzinfo is not None
    local = v.astimezone(dt.UTC) if aware else v
    return _dch(fmt, _datetime_fields(local))


def to_char_number(kind: str) -> Callable[[Sequence[object], ScalarType], object]:
    def run(a: Sequence[object], t: ScalarType) -> object:
        return number_to_char(a[0], kind, str(a[1]))
    return run

