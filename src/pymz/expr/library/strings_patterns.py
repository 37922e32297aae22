"""Regular-expression SQL functions and SIMILAR TO (registered by :mod:`.strings`).

Provides ``~ ~* !~ !~*`` and regexp_like (boolean match), regexp_match (text[] of the
capture groups, or of the whole match), regexp_replace (all of PostgreSQL 15's forms:
flags, start, N, with ``\\1``-``\\9``, ``\\&`` and ``\\\\`` in the replacement),
regexp_count, regexp_instr, regexp_substr, regexp_split_to_array, and ``SIMILAR TO``
(with ``ESCAPE``), which is translated to an ARE exactly as PostgreSQL's
similar_to_escape does. Patterns go through :mod:`.strings_regex`, whose docstring lists
the supported syntax and how matching follows PostgreSQL; errors: 2201B for invalid or
untranslatable patterns, 22023 for bad flags and parameters, 22025 for bad escapes.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from sqlglot import exp

from pymz import errors
from pymz.expr.library.strings_captures import captures
from pymz.expr.library.strings_regex import (
    Options,
    Regex,
    compile_are,
    groups_of,
    matches,
    parse_flags,
    search,
)
from pymz.expr.sigs import args_of, define, node
from pymz.repr import ScalarType


def text_arg(a: Sequence[object], i: int) -> str:
    v = a[i]
    assert isinstance(v, str)
    return v


def int_arg(a: Sequence[object], i: int) -> int:
    v = a[i]
    assert isinstance(v, int)
    return v


def _bad_param(name: str, value: int) -> errors.PymzError:
    return errors.InvalidParameterValue(f'invalid value for parameter "{name}": {value}')


def _regex(pattern: str, flags: str = "", func: str | None = None) -> tuple[Regex, bool]:
    opts, glob = parse_flags(flags, func)
    return compile_are(pattern, opts), glob


# --- matching -------------------------------------------------------------------------------


def _like(a: Sequence[object], t: ScalarType) -> object:
    rx, _ = _regex(text_arg(a, 1), text_arg(a, 2) if len(a) > 2 else "", "regexp_like")
    return rx.pattern.search(text_arg(a, 0)) is not None


def _match(a: Sequence[object], t: ScalarType) -> object:
    rx, _ = _regex(text_arg(a, 1), text_arg(a, 2) if len(a) > 2 else "", "regexp_match")
    s = text_arg(a, 0)
    m = search(rx, s)
    if m is None:
        return None
    return groups_of(captures(rx, s, m, range(1, rx.groups + 1)), rx.groups) \
        if rx.groups else (m.group(0),)


def _expand(m: re.Match[str], groups: int, repl: str) -> str:
    """A replacement string with PostgreSQL's escapes: \\1-\\9, \\& and \\\\."""
    out: list[str] = []
    i = 0
    while i < len(repl):
        c = repl[i]
        if c == "\\" and i + 1 < len(repl):
            nxt = repl[i + 1]
            if "1" <= nxt <= "9":
                k = int(nxt)
                out.append((m.group(k) or "") if k <= groups else "")
                i += 2
                continue
            if nxt == "&":
                out.append(m.group(0))
                i += 2
                continue
            if nxt == "\\":
                out.append("\\")
                i += 2
                continue
        out.append(c)
        i += 1
    return "".join(out)


def _refs(repl: str) -> list[int]:
    """The groups a replacement string refers to."""
    out, i = [], 0
    while i < len(repl) - 1:
        if repl[i] == "\\":
            if "1" <= repl[i + 1] <= "9":
                out.append(int(repl[i + 1]))
            i += 2
        else:
            i += 1
    return out


def _replace(s: str, rx: Regex, repl: str, start: int, n: int) -> str:
    """Replace the n-th match at or after ``start`` (0-based), or every one when n is 0."""
    out: list[str] = []
    last = 0
    refs = _refs(repl)
    for count, m in enumerate(matches(rx, s, start), 1):
        if n and count < n:
            continue
        out.append(s[last:m.start()])
        out.append(_expand(captures(rx, s, m, refs), rx.groups, repl))
        last = m.end()
        if n:
            break
    out.append(s[last:])
    return "".join(out)


def _regexp_replace(a: Sequence[object], t: ScalarType) -> object:
    s, pattern, repl = text_arg(a, 0), text_arg(a, 1), text_arg(a, 2)
    rest = list(a[3:])
    flags = rest.pop() if rest and isinstance(rest[-1], str) else ""
    assert isinstance(flags, str)
    rx, glob = _regex(pattern, flags)
    start = 1
    n = 0 if glob else 1
    if rest:
        start = int_arg(rest, 0)
        if start <= 0:
            raise _bad_param("start", start)
        if len(rest) > 1:
            n = int_arg(rest, 1)
            if n < 0:
                raise _bad_param("n", n)
    return _replace(s, rx, repl, start - 1, n)


def _start_n(a: Sequence[object], k: int) -> tuple[int, int]:
    start = int_arg(a, k) if len(a) > k else 1
    if start <= 0:
        raise _bad_param("start", start)
    n = int_arg(a, k + 1) if len(a) > k + 1 else 1
    if n <= 0:
        raise _bad_param("n", n)
    return start, n


def _nth(rx: Regex, s: str, start: int, n: int) -> re.Match[str] | None:
    for count, m in enumerate(matches(rx, s, start - 1), 1):
        if count == n:
            return m
    return None


def _count(a: Sequence[object], t: ScalarType) -> object:
    start = int_arg(a, 2) if len(a) > 2 else 1
    if start <= 0:
        raise _bad_param("start", start)
    rx, _ = _regex(text_arg(a, 1), text_arg(a, 3) if len(a) > 3 else "", "regexp_count")
    return sum(1 for _ in matches(rx, text_arg(a, 0), start - 1))


def _subexpr(a: Sequence[object], k: int) -> int:
    sub = int_arg(a, k) if len(a) > k else 0
    if sub < 0:
        raise _bad_param("subexpr", sub)
    return sub


def _instr(a: Sequence[object], t: ScalarType) -> object:
    start, n = _start_n(a, 2)
    end_option = int_arg(a, 4) if len(a) > 4 else 0
    if end_option not in (0, 1):
        raise _bad_param("endoption", end_option)
    rx, _ = _regex(text_arg(a, 1), text_arg(a, 5) if len(a) > 5 else "", "regexp_instr")
    sub = _subexpr(a, 6)
    m = _nth(rx, text_arg(a, 0), start, n)
    if m is None or sub > rx.groups:
        return 0
    m = captures(rx, text_arg(a, 0), m, [sub])
    if m.start(sub) < 0:
        return 0
    return (m.end(sub) if end_option else m.start(sub)) + 1


def _substr(a: Sequence[object], t: ScalarType) -> object:
    start, n = _start_n(a, 2)
    rx, _ = _regex(text_arg(a, 1), text_arg(a, 4) if len(a) > 4 else "", "regexp_substr")
    sub = _subexpr(a, 5)
    m = _nth(rx, text_arg(a, 0), start, n)
    if m is None or sub > rx.groups:
        return None
    return captures(rx, text_arg(a, 0), m, [sub]).group(sub)


def _split(a: Sequence[object], t: ScalarType) -> object:
    s = text_arg(a, 0)
    rx, _ = _regex(text_arg(a, 1), text_arg(a, 2) if len(a) > 2 else "", "regexp_split_to_array")
    out: list[str] = []
    last = 0
    prev_end = 0
    for m in matches(rx, s):
        # Empty matches at either end or right after the previous match split nothing.
        if m.start() < len(s) and m.end() > prev_end:
            out.append(s[last:m.start()])
            last = m.end()
        prev_end = m.end()
    out.append(s[last:])
    return tuple(out)


# --- SIMILAR TO -----------------------------------------------------------------------------


def similar_to_are(pattern: str, escape: str | None) -> str:
    """PostgreSQL's similar_to_escape: a SIMILAR TO pattern as an anchored ARE."""
    if escape is not None and len(escape) > 1:
        raise errors.PymzError("invalid escape string", sqlstate="22025",
                               hint="Escape string must be empty or one character.")
    esc = "\\" if escape is None else escape
    out = ["^(?:"]
    after_escape = in_class = False
    quotes = 0
    for c in pattern:
        if after_escape:
            if c == '"' and not in_class:
                if quotes == 0:
                    out.append("){1,1}?(")
                elif quotes == 1:
                    out.append("){1,1}(?:")
                else:
                    raise errors.PymzError(
                        "SQL regular expression may not contain more than two "
                        "escape-double-quote separators", sqlstate="2200C")
                quotes += 1
            else:
                out.append("\\" + c)
            after_escape = False
        elif esc and c == esc:
            after_escape = True
        elif in_class:
            out.append("\\\\" if c == "\\" else c)
            if c == "]":
                in_class = False
        elif c == "[":
            out.append(c)
            in_class = True
        elif c == "%":
            out.append(".*")
        elif c == "_":
            out.append(".")
        elif c == "(":
            out.append("(?:")
        elif c in "\\.^$":
            out.append("\\" + c)
        else:
            out.append(c)
    out.append(")$")
    return "".join(out)


def _similar(a: Sequence[object], t: ScalarType) -> object:
    escape = text_arg(a, 2) if len(a) > 2 else None
    rx = compile_are(similar_to_are(text_arg(a, 1), escape), Options())
    return rx.pattern.search(text_arg(a, 0)) is not None


# --- registration ---------------------------------------------------------------------------


def _flagged(name: str, extra: str = "") -> Callable[[exp.Expr], tuple[str, list[exp.Expr]]]:
    def run(n: exp.Expr) -> tuple[str, list[exp.Expr]]:
        args = args_of(n, "this", "expression", "flag")
        return name, args + ([exp.Literal.string(extra)] if extra else [])
    return run


def _escape_node(n: exp.Expr) -> tuple[str, list[exp.Expr]]:
    inner = n.this
    if not isinstance(inner, exp.SimilarTo):
        raise errors.FeatureNotSupported(f"ESCAPE is not supported here: {n.sql('postgres')}")
    return "similar_to", [inner.this, inner.expression, n.expression]


def register() -> None:
    define("regexp_like", "text, text -> bool", _like)
    define("regexp_like", "text, text, text -> bool", "regexp_like")
    define("regexp_match", "text, text -> text[]", _match, introduces_nulls=True)
    define("regexp_match", "text, text, text -> text[]", "regexp_match")
    define("regexp_replace", "text, text, text -> text", _regexp_replace)
    for sig in ("text", "int4", "int4, int4", "int4, int4, text"):
        define("regexp_replace", f"text, text, text, {sig} -> text", "regexp_replace")
    define("regexp_count", "text, text -> int4", _count)
    for sig in ("int4", "int4, text"):
        define("regexp_count", f"text, text, {sig} -> int4", "regexp_count")
    define("regexp_instr", "text, text -> int4", _instr)
    for sig in ("int4", "int4, int4", "int4, int4, int4", "int4, int4, int4, text",
                "int4, int4, int4, text, int4"):
        define("regexp_instr", f"text, text, {sig} -> int4", "regexp_instr")
    define("regexp_substr", "text, text -> text", _substr, introduces_nulls=True)
    for sig in ("int4", "int4, int4", "int4, int4, text", "int4, int4, text, int4"):
        define("regexp_substr", f"text, text, {sig} -> text", "regexp_substr")
    define("regexp_split_to_array", "text, text -> text[]", _split)
    define("regexp_split_to_array", "text, text, text -> text[]", "regexp_split_to_array")
    define("similar_to", "text, text -> bool", _similar)
    define("similar_to", "text, text, text -> bool", "similar_to")

    node(exp.RegexpLike, _flagged("regexp_like"))
    node(exp.RegexpILike, _flagged("regexp_like", "i"))
    node(exp.RegexpReplace, lambda n: ("regexp_replace", args_of(
        n, "this", "expression", "replacement", "position", "occurrence", "modifiers")))
    node(exp.RegexpCount, lambda n: ("regexp_count", args_of(
        n, "this", "expression", "position", "parameters")))
    node(exp.RegexpInstr, lambda n: ("regexp_instr", args_of(
        n, "this", "expression", "position", "occurrence", "option", "parameters", "group")))
    node(exp.RegexpSubstr, lambda n: ("regexp_substr", args_of(
        n, "this", "expression", "position", "occurrence", "parameters", "group")))
    node(exp.SimilarTo, lambda n: ("similar_to", args_of(n, "this", "expression")))
    node(exp.Escape, _escape_node)
