"""Text functions with PostgreSQL 15's overloads, result types and errors.

Provides: concat, concat_ws, format (%s %I %L %%, positions, ``-`` flag, widths including
``*``), left, right, lpad, rpad, repeat, reverse, split_part (negative positions too),
strpos and ``position(a in b)``, starts_with and ``^@``, initcap, md5 (text, bytea),
octet_length and bit_length (text, bytea), translate, ascii, chr, quote_ident,
quote_literal, quote_nullable (any type), to_hex (int4, int8), overlay; and, from
:mod:`.strings_patterns`, the regular-expression functions and operators (``~ ~* !~ !~*``,
regexp_like, regexp_match, regexp_replace, regexp_count, regexp_instr, regexp_substr,
regexp_split_to_array) and SIMILAR TO. lower/upper/length/substr/replace/trim are in
:mod:`.basics`.

concat, concat_ws and format print their arguments with each type's output function
(``concat(true)`` is ``t``, a real prints as a real); quote_literal/quote_nullable use the
cast to text (``quote_literal(true)`` is ``'true'``), as PostgreSQL does. Lengths and
positions count characters; octet_length counts UTF-8 bytes.

Departures: a result column is named after the function sqlglot parsed (``position(a in
b)`` is "strpos", ``a ~ b`` is "regexp_like"; PostgreSQL: "position", "?column?"); calls
PostgreSQL finds ambiguous (``to_hex(int2)``) resolve to the first overload. Case mapping
and "alphanumeric" (initcap) are Unicode, as PostgreSQL under a UTF-8 locale and
Materialize (PostgreSQL in the C locale leaves ``é`` alone); a character whose upper or
lower case is longer than one character keeps its case. Not provided:
``substring(text from pattern)`` (sqlglot parses it like ``substr(text, int)``),
``format(..., VARIADIC array)``, ``regexp_matches`` (set-returning), encode/decode.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence

from sqlglot import exp

from pymz import errors
from pymz.expr.library import strings_patterns
from pymz.expr.library.strings_patterns import int_arg, text_arg
from pymz.expr.sigs import args_of, define, node
from pymz.repr import ScalarType
from pymz.repr.textfmt import value_out

T = ScalarType
Impl = Callable[[Sequence[object], ScalarType], object]
TEXT_OUT = "pymz_text_out"
MAX_ALLOC = 0x3FFFFFFF  # PostgreSQL's MaxAllocSize: larger strings are 54000

# Every type a text-printing function may receive, by signature name.
PRINTABLE = {
    "bool": T.BOOL, "bytea": T.BYTEA, "int2": T.INT2, "int4": T.INT4, "int8": T.INT8,
    "float4": T.FLOAT4, "float8": T.FLOAT8, "numeric": T.NUMERIC, "text": T.TEXT,
    "date": T.DATE, "time": T.TIME, "timestamp": T.TIMESTAMP, "timestamptz": T.TIMESTAMPTZ,
    "interval": T.INTERVAL, "jsonb": T.JSONB, "uuid": T.UUID, "mz_timestamp": T.MZ_TIMESTAMP,
    "oid": T.OID,
}




def too_long() -> errors.PymzError:
    return errors.PymzError("requested length too large", sqlstate="54000")


# --- printing arguments ---------------------------------------------------------------------


def _printer(t: ScalarType, array: bool, cast: bool) -> Callable[[object], str]:
    """Text of a value of type ``t``: its output function, or (``cast``) the ``::text``
    cast, which differs for booleans."""
    if cast and t == T.BOOL and not array:
        return lambda v: "true" if v else "false"
    if t in (T.TEXT, T.VARCHAR, T.CHAR) and not array:
        return str
    return lambda v: value_out(t, v, array)


def _for_each_type(define_one: Callable[[str, ScalarType, bool], None]) -> None:
    # text first: an unknown literal resolves to the first preferred candidate.
    for name, t in sorted(PRINTABLE.items(), key=lambda kv: kv[0] != "text"):
        define_one(name, t, False)
        define_one(f"{name}[]", t, True)


def _text_out_overload(name: str, t: ScalarType, array: bool) -> None:
    out = _printer(t, array, cast=False)
    define(TEXT_OUT, f"{name} -> text", lambda a, rt: out(a[0]), key=f"{TEXT_OUT}_{name}")


_for_each_type(_text_out_overload)


def printed(args: Sequence[exp.Expr]) -> list[exp.Expr]:
    """Arguments wrapped so that they arrive as their types' text output."""
    return [exp.Anonymous(this=TEXT_OUT, expressions=[a]) for a in args]


# --- concat, concat_ws, format --------------------------------------------------------------


def _concat(a: Sequence[object], t: ScalarType) -> object:
    return "".join(x for x in a if isinstance(x, str))


def _concat_ws(a: Sequence[object], t: ScalarType) -> object:
    sep = a[0]
    if sep is None:
        return None
    assert isinstance(sep, str)
    return sep.join(x for x in a[1:] if isinstance(x, str))


define("concat", "text... -> text", _concat, propagates=False, never_null=True)
define("concat_ws", "text, text... -> text", _concat_ws, propagates=False)


def _format_error(msg: str) -> errors.PymzError:
    return errors.InvalidParameterValue(msg)


def _format(a: Sequence[object], t: ScalarType) -> object:
    fmt, args = a[0], a[1:]
    if fmt is None:
        return None
    assert isinstance(fmt, str)
    out: list[str] = []
    i, nxt = 0, 0

    def arg(pos: int | None) -> object:
        nonlocal nxt
        k = nxt if pos is None else pos - 1
        if k >= len(args):
            raise _format_error("too few arguments for format()")
        nxt = k + 1
        return args[k]

    def number() -> int | None:
        nonlocal i
        j = i
        while j < len(fmt) and fmt[j].isdigit():
            j += 1
        if j == i:
            return None
        n, i = int(fmt[i:j]), j
        return n

    def position() -> int | None:
        nonlocal i
        start = i
        n = number()
        if n is not None and i < len(fmt) and fmt[i] == "$":
            i += 1
            if n == 0:
                raise _format_error(
                    "format specifies argument 0, but arguments are numbered from 1")
            return n
        i = start
        return None

    while i < len(fmt):
        c = fmt[i]
        i += 1
        if c != "%":
            out.append(c)
            continue
        if i >= len(fmt):
            raise _format_error("unterminated format() type specifier")
        if fmt[i] == "%":
            out.append("%")
            i += 1
            continue
        pos = position()
        left = False
        while i < len(fmt) and fmt[i] == "-":
            left, i = True, i + 1
        width = 0
        if i < len(fmt) and fmt[i] == "*":
            i += 1
            w = arg(position())
            try:
                width = 0 if w is None else int(str(w).strip())
            except ValueError:
                raise errors.InvalidTextRepresentation(
                    f'invalid input syntax for type integer: "{w}"') from None
            if width < 0:
                left, width = True, -width
        else:
            width = number() or 0
        if i >= len(fmt):
            raise _format_error("unterminated format() type specifier")
        kind = fmt[i]
        i += 1
        if kind not in "sIL":
            raise _format_error(f'unrecognized format() type specifier "{kind}"')
        v = arg(pos)
        if kind == "s":
            text = "" if v is None else str(v)
        elif kind == "I":
            if v is None:
                raise errors.PymzError("null values cannot be formatted as an SQL identifier",
                                       sqlstate="22004")
            text = quote_ident(str(v))
        else:
            text = "NULL" if v is None else quote_literal(str(v))
        out.append(text.ljust(width) if left else text.rjust(width))
    return "".join(out)


define("format", "text, text... -> text", _format, propagates=False)


# --- substrings and padding -----------------------------------------------------------------


def _left(a: Sequence[object], t: ScalarType) -> object:
    s, n = text_arg(a, 0), int_arg(a, 1)
    return s[:n] if n >= 0 else s[:max(len(s) + n, 0)]


def _right(a: Sequence[object], t: ScalarType) -> object:
    s, n = text_arg(a, 0), int_arg(a, 1)
    return s[max(len(s) - n, 0):] if n >= 0 else s[min(-n, len(s)):]


def _pad(left: bool) -> Impl:
    def run(a: Sequence[object], t: ScalarType) -> object:
        s, n = text_arg(a, 0), max(int_arg(a, 1), 0)
        fill = text_arg(a, 2) if len(a) > 2 else " "
        if n * 4 + 4 > MAX_ALLOC:
            raise too_long()
        if len(s) >= n or not fill:
            return s[:n]
        need = n - len(s)
        pad = (fill * (need // len(fill) + 1))[:need]
        return pad + s if left else s + pad
    return run


def _repeat(a: Sequence[object], t: ScalarType) -> object:
    s, n = text_arg(a, 0), int_arg(a, 1)
    if n <= 0:
        return ""
    if n * len(s.encode()) + 4 > MAX_ALLOC:
        raise too_long()
    return s * n


def _split_part(a: Sequence[object], t: ScalarType) -> object:
    s, sep, n = text_arg(a, 0), text_arg(a, 1), int_arg(a, 2)
    if n == 0:
        raise errors.InvalidParameterValue("field position must not be zero")
    if not s:
        return ""
    if not sep:
        return s if n in (1, -1) else ""
    parts = s.split(sep)
    if abs(n) > len(parts):
        return ""
    return parts[n - 1] if n > 0 else parts[n]


def _substring(s: str, start: int, length: int | None) -> str:
    """PostgreSQL's text_substring (1-based start, may be <= 0)."""
    if length is None:
        return s[max(start - 1, 0):]
    if length < 0:
        raise errors.PymzError("negative substring length not allowed", sqlstate="22011")
    end = start + length
    return s[max(start - 1, 0):max(end - 1, 0)]


def _overlay(a: Sequence[object], t: ScalarType) -> object:
    s, p, start = text_arg(a, 0), text_arg(a, 1), int_arg(a, 2)
    count = int_arg(a, 3) if len(a) > 3 else len(p)
    after = start + count
    if not -(2**31) <= after < 2**31:
        raise errors.NumericValueOutOfRange("integer out of range")
    return _substring(s, 1, start - 1) + p + _substring(s, after, None)


define("left", "text, int4 -> text", _left)
define("right", "text, int4 -> text", _right)
define("lpad", "text, int4 -> text", _pad(True))
define("lpad", "text, int4, text -> text", "lpad")
define("rpad", "text, int4 -> text", _pad(False))
define("rpad", "text, int4, text -> text", "rpad")
define("repeat", "text, int4 -> text", _repeat)
define("reverse", "text -> text", lambda a, t: text_arg(a, 0)[::-1])
define("split_part", "text, text, int4 -> text", _split_part)
define("strpos", "text, text -> int4", lambda a, t: text_arg(a, 0).find(text_arg(a, 1)) + 1)
define("starts_with", "text, text -> bool", lambda a, t: text_arg(a, 0).startswith(text_arg(a, 1)))
define("overlay", "text, text, int4 -> text", _overlay)
define("overlay", "text, text, int4, int4 -> text", "overlay")


# --- characters -----------------------------------------------------------------------------


def _one(c: str, upper: bool) -> str:
    mapped = c.upper() if upper else c.lower()
    return mapped if len(mapped) == 1 else c


def _initcap(a: Sequence[object], t: ScalarType) -> object:
    out, word = [], False
    for c in text_arg(a, 0):
        out.append(_one(c, not word))
        word = c.isalnum()
    return "".join(out)


def _translate(a: Sequence[object], t: ScalarType) -> object:
    s, src, dst = text_arg(a, 0), text_arg(a, 1), text_arg(a, 2)
    table: dict[str, str] = {}
    for k, c in enumerate(src):
        table.setdefault(c, dst[k] if k < len(dst) else "")
    return "".join(table.get(c, c) for c in s)


def _chr(a: Sequence[object], t: ScalarType) -> object:
    n = int_arg(a, 0)
    if n < 0:
        raise errors.InvalidParameterValue("character number must be positive")
    if n == 0:
        raise errors.PymzError("null character not permitted", sqlstate="54000")
    if n > 0x10FFFF:
        raise errors.PymzError(f"requested character too large for encoding: {n}",
                               sqlstate="54000")
    if 0xD800 <= n <= 0xDFFF:
        raise errors.PymzError(f"requested character not valid for encoding: {n}",
                               sqlstate="54000")
    return chr(n)


def _bytes(v: object) -> bytes:
    return v.encode() if isinstance(v, str) else bytes(v)  # type: ignore[call-overload]


define("initcap", "text -> text", _initcap)
define("translate", "text, text, text -> text", _translate)
define("ascii", "text -> int4", lambda a, t: ord(text_arg(a, 0)[0]) if text_arg(a, 0) else 0)
define("chr", "int4 -> text", _chr)
define("md5", "text -> text", lambda a, t: hashlib.md5(_bytes(a[0])).hexdigest())
define("md5", "bytea -> text", "md5")
define("octet_length", "text -> int4", lambda a, t: len(_bytes(a[0])))
define("octet_length", "bytea -> int4", "octet_length")
define("bit_length", "text -> int4", lambda a, t: 8 * len(_bytes(a[0])))
define("bit_length", "bytea -> int4", "bit_length")
define("to_hex", "int4 -> text", lambda a, t: format(int_arg(a, 0) & 0xFFFFFFFF, "x"))
define("to_hex", "int8 -> text", lambda a, t: format(int_arg(a, 0) & 0xFFFFFFFFFFFFFFFF, "x"),
       key="to_hex8")


# --- quoting --------------------------------------------------------------------------------

# PostgreSQL's keywords that are not "unreserved": quote_ident quotes them.
_KEYWORD_LIST = """
all analyse analyze and any array as asc asymmetric authorization between bigint binary bit
boolean both case cast char character check coalesce collate collation column concurrently
constraint create cross current_catalog current_date current_role current_schema current_time
current_timestamp current_user dec decimal default deferrable desc distinct do else end except
exists extract false fetch float for foreign freeze from full grant greatest group grouping
having ilike in initially inner inout int integer intersect interval into is isnull join
lateral leading least left like limit localtime localtimestamp national natural nchar none
normalize not notnull null nullif numeric offset on only or order out outer overlaps overlay
placing position precision primary real references returning right row select session_user
setof similar smallint some substring symmetric table tablesample then time timestamp to
trailing treat trim true union unique user using values varchar variadic verbose when where
window with xmlattributes xmlconcat xmlelement xmlexists xmlforest xmlnamespaces xmlparse
xmlpi xmlroot xmlserialize xmltable
"""
_KEYWORDS = frozenset(_KEYWORD_LIST.split())


def quote_ident(s: str) -> str:
    safe = bool(s) and (s[0] == "_" or "a" <= s[0] <= "z") and all(
        c == "_" or "a" <= c <= "z" or "0" <= c <= "9" for c in s) and s not in _KEYWORDS
    return s if safe else '"' + s.replace('"', '""') + '"'


def quote_literal(s: str) -> str:
    body = s.replace("'", "''").replace("\\", "\\\\")
    return f"E'{body}'" if "\\" in s else f"'{body}'"


define("quote_ident", "text -> text", lambda a, t: quote_ident(text_arg(a, 0)))


def _quote_overloads(name: str, t: ScalarType, array: bool) -> None:
    text = _printer(t, array, cast=True)
    define("quote_literal", f"{name} -> text", lambda a, rt: quote_literal(text(a[0])),
           key=f"quote_literal_{name}")
    define("quote_nullable", f"{name} -> text",
           lambda a, rt: "NULL" if a[0] is None else quote_literal(text(a[0])),
           key=f"quote_nullable_{name}", propagates=False, never_null=True)


_for_each_type(_quote_overloads)


# --- sqlglot nodes --------------------------------------------------------------------------


def _plain(name: str, *keys: str) -> Callable[[exp.Expr], tuple[str, list[exp.Expr]]]:
    return lambda n: (name, args_of(n, *keys))


def _concat_node(n: exp.Expr) -> tuple[str, list[exp.Expr]]:
    return "concat", printed(n.expressions)


def _concat_ws_node(n: exp.Expr) -> tuple[str, list[exp.Expr]]:
    sep, *rest = n.expressions
    return "concat_ws", [sep, *printed(rest)]


def _format_node(n: exp.Expr) -> tuple[str, list[exp.Expr]]:
    return "format", [n.this, *printed(n.expressions)]


def _initcap_node(n: exp.Expr) -> tuple[str, list[exp.Expr]]:
    extra = n.args.get("expression")
    # sqlglot adds a default delimiter list of its own (it has no source position).
    return "initcap", [n.this] + ([extra] if extra is not None and extra.meta else [])


def _strpos_node(n: exp.Expr) -> tuple[str, list[exp.Expr]]:
    return "strpos", args_of(n, "this", "substr", "position", "occurrence")


def _chr_node(n: exp.Expr) -> tuple[str, list[exp.Expr]]:
    return "chr", list(n.expressions)


node(exp.Concat, _concat_node)
node(exp.ConcatWs, _concat_ws_node)
node(exp.Format, _format_node)
node(exp.Left, _plain("left", "this", "expression"))
node(exp.Right, _plain("right", "this", "expression"))
node(exp.Pad, lambda n: ("lpad" if n.args.get("is_left") else "rpad",
                         args_of(n, "this", "expression", "fill_pattern")))
node(exp.Repeat, _plain("repeat", "this", "times"))
node(exp.Reverse, _plain("reverse", "this"))
node(exp.SplitPart, _plain("split_part", "this", "delimiter", "part_index"))
node(exp.StrPosition, _strpos_node)
node(exp.StartsWith, _plain("starts_with", "this", "expression"))
node(exp.Initcap, _initcap_node)
node(exp.MD5, _plain("md5", "this"))
node(exp.BitLength, _plain("bit_length", "this"))
node(exp.Translate, _plain("translate", "this", "from_", "to"))
node(exp.Ascii, _plain("ascii", "this"))
node(exp.Chr, _chr_node)
node(exp.Hex, _plain("to_hex", "this"))
node(exp.Overlay, _plain("overlay", "this", "expression", "from_", "for_"))

strings_patterns.register()

__all__ = ["printed", "quote_ident", "quote_literal"]
