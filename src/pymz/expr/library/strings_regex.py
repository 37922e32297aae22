"""PostgreSQL regular expressions (POSIX AREs) on top of Python's ``re``.

:func:`compile_are` translates an ARE (with PostgreSQL's flag letters) into a Python
pattern, construct by construct, and refuses (2201B "invalid regular expression") what it
cannot translate faithfully instead of letting Python give it another meaning:

* supported: literals, ``.``, bracket expressions with ranges, ``[:class:]``, ``[.c.]`` and
  ``[=c=]`` (single characters), escapes (``\\d \\s \\w \\D \\S \\W``, ``\\m \\M \\y \\Y
  \\A \\Z``, character entries such as ``\\n \\t \\e \\b`` (backspace) ``\\B`` (backslash)
  ``\\x41 \\u00e9 \\U0001F600`` and octal ``\\0nn``, back references ``\\1``-``\\9``),
  groups ``( )`` and ``(?: )``, lookahead/lookbehind constraints (their parentheses do not
  capture, as in PostgreSQL), alternation, quantifiers ``* + ? {m} {m,} {m,n}`` (m, n <=
  255) and their non-greedy forms, ``^ $`` (newline-sensitive per flags), embedded options
  ``(?i)`` etc. at the start, the ``***=`` and ``***:`` directors, and the flags
  c i n m p q s t w x (and g where the function allows it).
* refused: BRE/ERE flavours (flags b, e: 0A000), multi-character collating elements,
  quantified constraints, possessive-looking ``*+``, variable-length lookbehind (Python's
  limit), ambiguous multi-digit escapes, back references to repeated groups.

Matching follows PostgreSQL, not Perl: a match starts at the leftmost possible position
and is then the longest possible one (or the shortest, when the RE's first quantifier is
non-greedy), as POSIX requires. For "simple" REs (no alternation, lookaround or back
reference, quantifiers only on single characters and all of one greediness) Python's
first match is already that one; otherwise it is extended or shortened with probe patterns
(``(?:re)`` followed by a lookahead on the remaining length), one compiled pattern per
distinct remaining length (cached), so very long strings with many matches of such REs
are slow. Capture groups are settled by :mod:`.strings_captures`. Repeated matching
(regexp_replace with 'g', regexp_count, regexp_split_to_array) advances as PostgreSQL
does: to the end of the last match, one character further after an empty match.

Character classes are Unicode (``[[:alpha:]]``, ``\\w`` and case-insensitive matching know
``é``), as PostgreSQL under a UTF-8 locale and as Materialize; PostgreSQL in the C locale
treats only ASCII letters as letters. ``\\d`` and ``[[:digit:]]`` are ASCII 0-9 as in glibc.

Known limitation: Python's backtracking matcher takes exponential time on some patterns
with nested repetitions (``(a+)+b`` against a long run of ``a`` without a ``b``), which
PostgreSQL's automaton-based matcher handles quickly.
"""

from __future__ import annotations

import re
import sys
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cache, lru_cache

from pymz import errors

DUPMAX = 255


def invalid(why: str) -> errors.PymzError:
    return errors.PymzError(f"invalid regular expression: {why}", sqlstate="2201B")


# --- flags ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Options:
    icase: bool = False
    nlstop: bool = False  # '.' and [^...] do not match newline
    nlanch: bool = False  # ^ and $ match at newlines
    expanded: bool = False
    quote: bool = False


def apply_flags(opts: Options, flags: str, *, embedded: bool = False) -> tuple[Options, bool]:
    """Options after PostgreSQL's flag letters (later ones win), and whether 'g' was given."""
    glob = False
    icase, nlstop, nlanch = opts.icase, opts.nlstop, opts.nlanch
    expanded, quote = opts.expanded, opts.quote
    for ch in flags:
        if ch == "g" and not embedded:
            glob = True
        elif ch == "c":
            icase = False
        elif ch == "i":
            icase = True
        elif ch in "nm":
            nlstop = nlanch = True
        elif ch == "p":
            nlstop, nlanch = True, False
        elif ch == "w":
            nlstop, nlanch = False, True
        elif ch == "s":
            nlstop = nlanch = False
        elif ch == "x":
            expanded = True
        elif ch == "t":
            expanded = False
        elif ch == "q":
            quote = True
        elif ch in "be":
            raise errors.FeatureNotSupported(
                "basic and extended regular expression flavors (flags b, e) are not "
                "supported; use the default advanced syntax")
        elif embedded:
            raise invalid("invalid embedded option")
        else:
            raise errors.InvalidParameterValue(f'invalid regular expression option: "{ch}"')
    return Options(icase, nlstop, nlanch, expanded, quote), glob


def parse_flags(flags: str, func: str | None = None) -> tuple[Options, bool]:
    """Function-level flags; ``func`` names a function that does not accept 'g'."""
    opts, glob = apply_flags(Options(), flags)
    if glob and func is not None:
        raise errors.InvalidParameterValue(
            f'{func}() does not support the "global" option',
            hint="Use the regexp_matches function instead." if func == "regexp_match"
            else None)
    return opts, glob


# --- character classes ----------------------------------------------------------------------


def _cls_char(c: str) -> str:
    """One character for use inside a Python character class."""
    o = ord(c)
    if c.isalnum() and o < 128:
        return c
    return f"\\x{o:02x}" if o < 256 else f"\\u{o:04x}" if o < 0x10000 else f"\\U{o:08x}"


def _ranges(pred: Callable[[str], bool]) -> str:
    out: list[str] = []
    start = -1
    for o in range(sys.maxunicode + 2):
        hit = o <= sys.maxunicode and not 0xD800 <= o <= 0xDFFF and pred(chr(o))
        if hit and start < 0:
            start = o
        elif not hit and start >= 0:
            lo, hi = chr(start), chr(o - 1)
            out.append(_cls_char(lo) if lo == hi else f"{_cls_char(lo)}-{_cls_char(hi)}")
            start = -1
    return "".join(out)


def _is_punct(c: str) -> bool:
    return unicodedata.category(c)[0] in "PS"


_CLASS_PREDICATES: dict[str, Callable[[str], bool]] = {
    "alpha": str.isalpha,
    "alnum": lambda c: c.isalpha() or "0" <= c <= "9",
    "upper": str.isupper,
    "lower": str.islower,
    "space": str.isspace,
    "punct": _is_punct,
    "cntrl": lambda c: unicodedata.category(c) == "Cc",
    "graph": lambda c: c.isprintable() and not c.isspace(),
    "print": lambda c: c.isprintable(),
}
_SIMPLE_CLASSES = {
    "digit": "0-9", "xdigit": "0-9A-Fa-f", "blank": " \\t", "ascii": "\\x00-\\x7f",
}


@cache
def class_ranges(name: str) -> str:
    """The contents of a Python character class for the POSIX class ``name``."""
    if name in _SIMPLE_CLASSES:
        return _SIMPLE_CLASSES[name]
    if name == "word":
        return class_ranges("alnum") + "_"
    pred = _CLASS_PREDICATES.get(name)
    if pred is None:
        raise invalid("invalid character class")
    return _ranges(pred)


# --- the translator -------------------------------------------------------------------------

_ENTRY = {"a": "\x07", "b": "\x08", "B": "\\", "e": "\x1b", "f": "\f", "n": "\n",
          "r": "\r", "t": "\t", "v": "\v"}
_HEX = "0123456789abcdefABCDEF"
_SPACE = " \t\n\r\f\v"


@dataclass
class _Group:
    """A capturing group of the translation: where its parentheses are in the output,
    its greediness (None: it matches a fixed amount) and whether it is repeated."""

    opened: int
    closed: int = -1
    attr: bool | None = None
    repeated: bool = False


@dataclass
class _Frame:
    """An open group: its kind and the greediness bookkeeping of its branches."""

    look: bool  # a lookaround constraint
    opened: int = 0  # index of its opening token in the output
    branches: int = 1
    attr: bool | None = None  # greediness of the first branch (None: none yet)
    # Length of what the current branch matches (None: it varies) and the length all
    # finished branches share (None: varies; -1: no branch finished yet).
    branch_len: int | None = 0
    length: int | None = -1

    def end_branch(self) -> None:
        if self.length == -1:
            self.length = self.branch_len
        elif self.length != self.branch_len:
            self.length = None
        self.branch_len = 0


class _Translator:
    def __init__(self, pat: str, opts: Options) -> None:
        self.p, self.o = pat, opts
        self.i = 0
        self.out: list[str] = []
        self.groups = 0
        self.closed: set[int] = set()
        self.frames: list[_Frame] = [_Frame(False)]
        self.capturing: list[int] = []  # group number per open frame (0: not capturing)
        self.quantifiable = False
        # The last atom, until we know whether a quantifier follows: its greediness.
        self.pending = False
        self.pending_attr: bool | None = None
        self.pending_len: int | None = 1
        self.group_info: dict[int, _Group] = {}
        self.last_groups: list[int] = []  # capturing groups inside the last atom
        # The last atom if it is a group: its token range and whether repeating it is
        # ambiguous.
        self.last_group: tuple[int, int, bool] | None = None
        # Token ranges whose extent PostgreSQL and Python may choose differently:
        # alternations inside groups and repetitions of variable-length groups.
        self.ambiguous: list[tuple[int, int]] = []
        self.split: set[int] = set()  # groups inside quantified variable-length groups
        # Simple REs (no alternation, lookaround or back reference; quantifiers only on
        # single characters, all greedy or all non-greedy): Python's first match is then
        # already PostgreSQL's, captures included, so no probes are needed.
        self.simple = True
        self.preferences: set[bool] = set()
        self.last_single = False  # the last atom is a single character (class)

    # -- helpers --

    def peek(self, k: int = 0) -> str:
        j = self.i + k
        return self.p[j] if j < len(self.p) else ""

    def settle(self) -> None:
        """The pending atom is complete: it gives its branch a greediness if it is the
        branch's first atom with one (PostgreSQL's rule for an RE's preference)."""
        f = self.frames[-1]
        if self.pending and f.branches == 1 and f.attr is None:
            f.attr = self.pending_attr
        if self.pending:
            f.branch_len = None if f.branch_len is None or self.pending_len is None \
                else f.branch_len + self.pending_len
        self.pending = False

    def atom(self, text: str, attr: bool | None = None, length: int | None = 1) -> None:
        self.settle()
        self.out.append(text)
        self.quantifiable, self.pending, self.pending_attr = True, True, attr
        self.pending_len = length
        self.last_single = length == 1
        self.last_groups = []
        self.last_group = None

    def constraint(self, text: str) -> None:
        self.settle()
        self.out.append(text)
        self.quantifiable = False

    def in_look(self) -> bool:
        return any(f.look for f in self.frames)

    def uncertain(self) -> frozenset[int]:
        """Capture groups whose span may depend on a choice PostgreSQL makes differently
        (see :mod:`.strings_captures`): an ambiguous construct before the group's end
        that is neither inside the group nor inside an earlier, unrepeated group."""
        out = set(self.split)
        info = self.group_info
        for k, g in info.items():
            for a, b in self.ambiguous:
                if a >= g.closed or (g.opened <= a and b <= g.closed):
                    continue
                if any(j.closed < g.opened and not j.repeated and j.opened <= a
                       and b <= j.closed for j in info.values()):
                    continue
                out.add(k)
        return frozenset(out)

    # -- main loop --

    def run(self) -> str:
        while self.i < len(self.p):
            c = self.p[self.i]
            if self.o.expanded and c in _SPACE:
                self.i += 1
            elif self.o.expanded and c == "#":
                while self.i < len(self.p) and self.p[self.i] != "\n":
                    self.i += 1
            elif c == "\\":
                self.escape()
            elif c == "[":
                self.i += 1
                self.atom(self.bracket())
            elif c == "(":
                self.open_group()
            elif c == ")":
                self.close_group()
            elif c == "|":
                self.i += 1
                self.constraint("|")
                self.simple = False
                self.frames[-1].branches += 1
                self.frames[-1].end_branch()
            elif c in "*+?":
                self.i += 1
                self.quantify(c, fixed=False, least=int(c == "+"),
                              most=1 if c == "?" else None)
            elif c == "{" and self.peek(1).isdigit():
                self.i += 1
                self.bound()
            elif c == ".":
                self.i += 1
                self.atom("[^\\n]" if self.o.nlstop else "(?s:.)")
            elif c == "^":
                self.i += 1
                self.constraint("(?m:^)" if self.o.nlanch else "^")
            elif c == "$":
                self.i += 1
                self.constraint("(?m:$)" if self.o.nlanch else "\\Z")
            else:
                self.i += 1
                self.atom(re.escape(c))
        if len(self.frames) > 1:
            raise invalid("parentheses () not balanced")
        self.settle()
        return "".join(self.out)

    def greedy(self) -> bool:
        top = self.frames[0]
        return True if top.branches > 1 or top.attr is None else top.attr

    # -- quantifiers --

    def quantify(self, q: str, fixed: bool, least: int, most: int | None) -> None:
        """Apply quantifier ``q`` (``least`` to ``most`` repetitions; None: unbounded)."""
        if not self.quantifiable:
            raise invalid("quantifier operand invalid")
        lazy = self.peek() == "?"
        if lazy:
            self.i += 1
        if self.peek() in ("*", "+") or (self.peek() == "{" and self.peek(1).isdigit()):
            raise invalid("quantifier operand invalid")
        if not fixed:
            self.pending_attr = not lazy
            self.preferences.add(not lazy)
        if not self.last_single or len(self.preferences) > 1:
            self.simple = False
        self.pending_len = most * self.pending_len if (
            fixed and most is not None and self.pending_len is not None) else None
        many = most is None or most > 1
        if many:
            for g in self.last_groups:
                self.group_info[g].repeated = True  # reports only its last repetition
        if self.last_group is not None and self.last_group[2] and (least, most) != (1, 1):
            self.ambiguous.append(self.last_group[:2])
            self.split.update(self.last_groups)
        self.settle()
        self.out.append(q + ("?" if lazy else ""))
        self.quantifiable = False

    def bound(self) -> None:
        m = re.compile(r"(\d+)(,(\d*))?\}").match(self.p, self.i)
        if m is None:
            raise invalid("invalid repetition count(s)")
        lo = int(m.group(1))
        hi = lo if m.group(2) is None else (int(m.group(3)) if m.group(3) else None)
        if lo > DUPMAX or (hi is not None and (hi > DUPMAX or hi < lo)):
            raise invalid("invalid repetition count(s)")
        self.i = m.end()
        text = f"{{{lo}}}" if m.group(2) is None else f"{{{lo},{'' if hi is None else hi}}}"
        self.quantify(text, fixed=m.group(2) is None, least=lo, most=hi)

    # -- groups --

    def open_group(self) -> None:
        self.i += 1
        look = False
        if self.peek() == "?":
            rest = self.p[self.i + 1:self.i + 3]
            if rest.startswith(":"):
                self.i += 2
                prefix = "(?:"
            elif rest[:1] in ("=", "!"):
                self.i += 2
                prefix, look = f"(?{rest[0]}", True
                self.simple = False
            elif rest in ("<=", "<!"):
                self.i += 3
                prefix, look = f"(?{rest}", True
                self.simple = False
            elif rest.startswith("#"):
                end = self.p.find(")", self.i)
                if end < 0:
                    raise invalid("parentheses () not balanced")
                self.i = end + 1
                return
            else:
                raise invalid("quantifier operand invalid")
        elif self.in_look():
            prefix = "(?:"  # parentheses inside lookaround constraints do not capture
        else:
            self.groups += 1
            prefix = "("
        self.settle()
        self.frames.append(_Frame(look, len(self.out)))
        self.capturing.append(self.groups if prefix == "(" else 0)
        if prefix == "(":
            self.group_info[self.groups] = _Group(len(self.out))
        self.out.append(prefix)
        self.quantifiable = False

    def close_group(self) -> None:
        self.i += 1
        if len(self.frames) == 1:
            raise invalid("parentheses () not balanced")
        self.settle()
        f = self.frames.pop()
        f.end_branch()
        number = self.capturing.pop()
        if number:
            self.closed.add(number)
        if f.look:
            self.constraint(")")
            return
        attr = True if f.branches > 1 else f.attr
        if number:
            self.group_info[number].closed = len(self.out)
            self.group_info[number].attr = attr
        if f.length is None and f.branches > 1:
            self.ambiguous.append((f.opened, len(self.out)))
        # Repeating it is ambiguous if its length varies, or if it can be empty (whether
        # an empty repetition counts is a choice too).
        self.last_group = (f.opened, len(self.out), not f.length)
        self.out.append(")")
        self.quantifiable, self.pending, self.pending_attr = True, True, attr
        self.pending_len = f.length
        self.last_single = False
        self.last_groups = [g for g, info in self.group_info.items()
                            if info.opened >= f.opened]

    # -- escapes --

    def escape(self) -> None:
        self.i += 1
        if self.i >= len(self.p):
            raise invalid("invalid escape \\ sequence")
        c = self.p[self.i]
        self.i += 1
        if c in "AZ":
            self.constraint(f"\\{c}")
        elif c == "m":
            self.constraint("\\b(?=\\w)")
        elif c == "M":
            self.constraint("\\b(?<=\\w)")
        elif c == "y":
            self.constraint("\\b")
        elif c == "Y":
            self.constraint("\\B")
        elif c in "dswDSW":
            self.atom(self.class_escape(c))
        elif c.isdigit() and c != "0":
            digits = c
            while self.peek().isdigit():
                digits += self.peek()
                self.i += 1
            self.backref_or_octal(digits)
        else:
            self.atom(re.escape(self.entry(c)))

    def class_escape(self, c: str) -> str:
        body = {"d": "0-9", "s": class_ranges("space"), "w": class_ranges("word")}[c.lower()]
        # Unlike [^...], \D \S \W match a newline even in newline-sensitive mode.
        return f"[{body}]" if c.islower() else f"[^{body}]"

    def backref_or_octal(self, digits: str) -> None:
        n = int(digits)
        if self.in_look():
            raise invalid("invalid backreference number")
        if len(digits) == 1 or n in self.closed:
            if n not in self.closed:
                raise invalid("invalid backreference number")
            if self.group_info[n].repeated:
                # Which repetition it refers to is not the same in Python.
                raise invalid("back references to repeated groups are not supported")
            self.atom(f"(?:\\{n})", length=None)
            self.simple = False
            return
        if len(digits) <= 3 and all(d in "01234567" for d in digits):
            self.atom(re.escape(chr(int(digits, 8))))
            return
        raise invalid("invalid backreference number")

    def entry(self, c: str) -> str:
        """The character a character-entry escape (after the backslash) stands for."""
        if c in _ENTRY:
            return _ENTRY[c]
        if c == "c":
            nxt = self.peek()
            if not nxt:
                raise invalid("invalid escape \\ sequence")
            self.i += 1
            return chr(ord(nxt) & 0x1F)
        if c in "xuU":
            want = {"x": 0, "u": 4, "U": 8}[c]
            j = self.i
            while j < len(self.p) and self.p[j] in _HEX and (
                    (want == 0 and j - self.i < 8) or j - self.i < want):
                j += 1
            text = self.p[self.i:j]
            if not text or (want and len(text) != want):
                raise invalid("invalid escape \\ sequence")
            self.i = j
            code = int(text, 16)
            if code > sys.maxunicode or 0xD800 <= code <= 0xDFFF or code == 0:
                raise invalid("invalid escape \\ sequence")
            return chr(code)
        if c == "0":
            j = self.i
            while j < len(self.p) and j - self.i < 2 and self.p[j] in "01234567":
                j += 1
            code = int("0" + self.p[self.i:j], 8)
            self.i = j
            return chr(code)
        if c.isalnum():
            raise invalid("invalid escape \\ sequence")
        return c

    # -- bracket expressions --

    def bracket(self) -> str:
        """A bracket expression (after its '[') as a Python character class."""
        negate = self.peek() == "^"
        if negate:
            self.i += 1
        parts: list[str] = []
        first = True
        while True:
            if self.i >= len(self.p):
                raise invalid("brackets [] not balanced")
            c = self.p[self.i]
            if c == "]" and not first:
                self.i += 1
                break
            first = False
            if c == "[" and self.peek(1) == ":":
                end = self.p.find(":]", self.i + 2)
                if end < 0:
                    raise invalid("brackets [] not balanced")
                parts.append(class_ranges(self.p[self.i + 2:end]))
                self.i = end + 2
                continue
            if c == "\\" and self.peek(1) in "dswDSW" and self.peek(1):
                e = self.peek(1)
                if e.isupper():
                    raise invalid("invalid escape \\ sequence")
                self.i += 2
                parts.append({"d": "0-9", "s": class_ranges("space"),
                              "w": class_ranges("word")}[e])
                continue
            lo = self.bracket_char()
            if self.peek() == "-" and self.peek(1) not in ("]", ""):
                self.i += 1
                hi = self.bracket_char()
                if ord(hi) < ord(lo):
                    raise invalid("invalid character range")
                parts.append(f"{_cls_char(lo)}-{_cls_char(hi)}")
            else:
                parts.append(_cls_char(lo))
        body = "".join(parts)
        if negate:
            return f"[^{body}\\n]" if self.o.nlstop else f"[^{body}]"
        if not body:
            raise invalid("brackets [] not balanced")
        return f"[{body}]"

    def bracket_char(self) -> str:
        c = self.p[self.i]
        if c == "[" and self.peek(1) in (".", "="):
            kind = self.peek(1)
            end = self.p.find(kind + "]", self.i + 2)
            if end < 0:
                raise invalid("brackets [] not balanced")
            name = self.p[self.i + 2:end]
            if len(name) != 1:
                raise invalid("invalid collating element")
            self.i = end + 2
            return name
        if c == "\\":
            if self.i + 1 >= len(self.p):
                raise invalid("brackets [] not balanced")
            e = self.p[self.i + 1]
            self.i += 2
            if e in "AZmMyY" or (e.isdigit() and e != "0"):
                raise invalid("invalid escape \\ sequence")
            return self.entry(e)
        self.i += 1
        return c


@dataclass(frozen=True)
class Regex:
    """A translated ARE: the compiled pattern, its source (for probes) and PostgreSQL's
    match preference (longest for greedy REs, shortest for non-greedy ones)."""

    pattern: re.Pattern[str]
    source: str
    flags: int
    groups: int
    longest: bool
    # For capture refinement: the translation's tokens, and per group (open token index,
    # close token index, greediness or None, repeated).
    tokens: tuple[str, ...] = ()
    group_info: tuple[tuple[int, int, bool | None, bool], ...] = ()
    uncertain: frozenset[int] = frozenset()
    simple: bool = True


@lru_cache(maxsize=512)
def compile_are(pattern: str, opts: Options) -> Regex:
    """The Python translation of an ARE under ``opts`` (2201B if it cannot be translated)."""
    src = pattern
    if src.startswith("***="):
        src, opts = src[4:], Options(opts.icase, opts.nlstop, opts.nlanch, False, True)
    elif src.startswith("***:"):
        src = src[4:]
    if not opts.quote:
        m = re.match(r"\(\?([a-zA-Z]+)\)", src)
        if m is not None:
            opts = apply_flags(opts, m.group(1), embedded=True)[0]
            src = src[m.end():]
    tokens: tuple[str, ...] = ()
    info: tuple[tuple[int, int, bool | None, bool], ...] = ()
    uncertain: frozenset[int] = frozenset()
    simple = True
    if opts.quote:
        py, groups, longest = re.escape(src), 0, True
    else:
        t = _Translator(src, opts)
        py = t.run()
        groups, longest = t.groups, t.greedy()
        tokens = tuple(t.out)
        info = tuple((g.opened, g.closed, g.attr, g.repeated)
                     for _, g in sorted(t.group_info.items()))
        uncertain = t.uncertain()
        simple = t.simple
    flags = re.IGNORECASE if opts.icase else 0
    try:
        rx = re.compile(py, flags)
    except (re.error, OverflowError, RecursionError) as e:
        raise invalid(str(e)) from None
    return Regex(rx, py, flags, groups, longest, tokens, info, uncertain, simple)


@lru_cache(maxsize=1024)
def _probe(source: str, flags: int, remaining: int, longer: bool) -> re.Pattern[str]:
    # Longer: fewer than `remaining` characters may follow; shorter: more than that.
    tail = f"(?!(?s:.){{{remaining}}})" if longer else f"(?=(?s:.){{{remaining + 1}}})"
    return re.compile(f"(?:{source}){tail}", flags)


def search(rx: Regex, s: str, pos: int = 0) -> re.Match[str] | None:
    """PostgreSQL's match at or after ``pos``: leftmost, then longest (or shortest)."""
    m = rx.pattern.search(s, pos)
    if m is None or rx.simple:
        return m
    start = m.start()
    while True:
        remaining = len(s) - m.end()
        if (remaining == 0) if rx.longest else (m.end() == start):
            return m
        better = _probe(rx.source, rx.flags, remaining, rx.longest).match(s, start)
        if better is None:
            return m
        m = better


def matches(rx: Regex, s: str, start: int = 0) -> Iterator[re.Match[str]]:
    """Successive matches as PostgreSQL finds them (advancing past empty matches)."""
    pos = start
    while pos <= len(s):
        m = search(rx, s, pos)
        if m is None:
            return
        yield m
        pos = m.end() + (1 if m.end() == m.start() else 0)


def groups_of(m: re.Match[str], n: int) -> tuple[str | None, ...]:
    return tuple(m.group(i) for i in range(1, n + 1))
