"""Capture groups of a regular-expression match, assigned as PostgreSQL assigns them.

Within a match (whose extent :func:`.strings_regex.search` already chose as PostgreSQL
does), PostgreSQL gives each subexpression, from left to right, the longest span the match
allows if it is greedy (the shortest if not), where Python takes the first alternative
that works. :func:`captures` runs probe patterns (the translation with lookahead
assertions on the remaining length inserted at group boundaries) to

* lengthen (or shorten) each unrepeated group as far as the match and the groups before
  it allow: ``(a|ab)(b?)`` on ``ab`` captures ``ab`` and the empty string, as PostgreSQL;
* for a group whose span also depends on a choice made outside any earlier group (an
  alternation in a non-capturing group, a repetition of a variable-length group, such as
  ``(?:a|ab)(b*)``), check that no other span is possible; if one is, the result could
  differ from PostgreSQL's and the call fails with 0A000 rather than return it. Groups
  inside such repetitions are refused the same way (PostgreSQL splits the repetitions
  differently from Python).

Only the groups a call actually uses are checked (all of them for regexp_match, the ones
a replacement string refers to, the subexpression of regexp_substr/regexp_instr).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

from pymz import errors
from pymz.expr.library.strings_regex import Regex

Spec = tuple[tuple[int, str, str], ...]  # (group, text after "(", text before ")")


def exactly(remaining: int) -> str:
    """Asserts that exactly ``remaining`` characters follow."""
    return f"(?=(?s:.){{{remaining}}}\\Z)"


def fewer(remaining: int) -> str:
    return f"(?!(?s:.){{{remaining}}})"


def more(remaining: int) -> str:
    return f"(?=(?s:.){{{remaining + 1}}})"


@lru_cache(maxsize=512)
def _probe(rx: Regex, spec: Spec, end_left: int, tail: str) -> re.Pattern[str]:
    """``rx`` with assertions inside the groups of ``spec``, ending with ``end_left``
    characters left, then ``tail``."""
    inserts: dict[int, list[str]] = {}
    for g, after_open, before_close in spec:
        o, c, _, _ = rx.group_info[g - 1]
        inserts.setdefault(o + 1, []).append(after_open + "(?:")
        inserts.setdefault(c, []).append(")" + before_close)
    parts = ["(?:"]
    for i, tok in enumerate(rx.tokens):
        parts.extend(inserts.get(i, ()))
        parts.append(tok)
    parts.append(")" + exactly(end_left) + tail)
    return re.compile("".join(parts), rx.flags)


def _pinned(rx: Regex, m: re.Match[str], n: int, upto: int) -> tuple[Spec, str] | None:
    """Assertions fixing groups 1..upto-1 to their spans in ``m`` (None if one of them is
    repeated and so cannot be fixed)."""
    spec: list[tuple[int, str, str]] = []
    tail = ""
    for g in range(1, upto):
        if m.start(g) < 0:
            tail += f"(?({g})(?!)|)"  # must not take part either
        elif rx.group_info[g - 1][3]:
            return None
        else:
            spec.append((g, exactly(n - m.start(g)), exactly(n - m.end(g))))
    return tuple(spec), tail


def _consistent(better: re.Match[str] | None, m: re.Match[str], k: int) -> bool:
    """A probe found a match, and the groups before ``k`` kept their spans (assertions
    only bind the groups a match goes through)."""
    return better is not None and all(better.span(g) == m.span(g) for g in range(1, k))


def _refine_group(rx: Regex, s: str, m: re.Match[str], k: int) -> re.Match[str]:
    _, _, attr, repeated = rx.group_info[k - 1]
    if attr is None or repeated:
        return m
    n, start, end = len(s), m.start(), m.end()
    while m.start(k) >= 0 and (m.end(k) < end if attr else m.end(k) > m.start(k)):
        pinned = _pinned(rx, m, n, k)
        if pinned is None:
            break
        spec, tail = pinned
        limit = fewer(n - m.end(k)) if attr else more(n - m.end(k))
        spec = (*spec, (k, exactly(n - m.start(k)), limit))
        better = _probe(rx, spec, n - end, tail + f"(?({k})|(?!))").match(s, start)
        if better is None or not _consistent(better, m, k):
            break
        m = better
    return m


def _unique(rx: Regex, s: str, m: re.Match[str], k: int) -> bool:
    """Whether group ``k`` can have no other span in a match with the same extent and the
    same spans for the groups before it."""
    if rx.group_info[k - 1][3]:
        return False
    pinned = _pinned(rx, m, len(s), k)
    if pinned is None:
        return False
    spec, tail = pinned
    n, start, left = len(s), m.start(), len(s) - m.end()
    if m.start(k) < 0:
        probes = [(spec, tail + f"(?({k})|(?!))")]
    else:
        gs, ge = n - m.start(k), n - m.end(k)
        takes_part = tail + f"(?({k})|(?!))"
        probes = [(spec, tail + f"(?({k})(?!)|)"),
                  ((*spec, (k, more(gs), "")), takes_part),
                  ((*spec, (k, fewer(gs), "")), takes_part),
                  ((*spec, (k, exactly(gs), more(ge))), takes_part),
                  ((*spec, (k, exactly(gs), fewer(ge))), takes_part)]
    return not any(_consistent(_probe(rx, sp, left, t).match(s, start), m, k)
                   for sp, t in probes)


def captures(rx: Regex, s: str, m: re.Match[str], wanted: Iterable[int]) -> re.Match[str]:
    """``m`` with its groups as PostgreSQL would report them (0A000 if a wanted group's
    span may differ from PostgreSQL's and cannot be settled)."""
    want = sorted({k for k in wanted if 0 < k <= rx.groups})
    if not want or rx.simple:
        return m
    for k in range(1, max(want) + 1):
        m = _refine_group(rx, s, m, k)
        if k in want and k in rx.uncertain and not _unique(rx, s, m, k):
            raise errors.FeatureNotSupported(
                f"capture group {k} of this regular expression is ambiguous: PostgreSQL "
                "may assign it differently from pymz",
                hint="Capture the alternation or repetition it follows in a group of its "
                     "own, or avoid repeating groups whose contents vary in length.")
    return m
