"""SQL lexer following PostgreSQL's lexical rules (as Materialize does).

Produces a flat list of :class:`Token` for a whole query string, with 0-based character
offsets. Words are folded to lower case unless double-quoted. Lexical errors raise
:class:`~pymz.errors.SqlSyntaxError` with a 1-based ``position``.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from pymz.errors import SqlSyntaxError
from pymz.sql.keywords import KEYWORDS


class T(enum.Enum):
    """Token kinds; the value is how error messages name the token."""

    WORD = "word"
    STRING = "string literal"
    HEX_STRING = "hex string literal"
    NUMBER = "number"
    PARAM = "parameter"
    OP = "operator"
    STAR = "star"
    EQ = "equals sign"
    LPAREN = "left parenthesis"
    RPAREN = "right parenthesis"
    LBRACKET = "left square bracket"
    RBRACKET = "right square bracket"
    DOT = "dot"
    COMMA = "comma"
    COLON = "colon"
    DOUBLE_COLON = "double colon"
    SEMICOLON = "semicolon"
    EOF = "EOF"


@dataclass(frozen=True)
class Token:
    kind: T
    # WORD: folded identifier text (or the exact text if quoted); STRING: the decoded
    # contents; NUMBER: the literal text; PARAM: the digits; OP: the operator.
    value: str
    start: int  # 0-based offset of the first character
    end: int  # 0-based offset one past the last character
    quoted: bool = False  # WORD only: was written as "..."

    @property
    def keyword(self) -> str | None:
        """The upper-case keyword if this is an unquoted word, else None."""
        if self.kind is T.WORD and not self.quoted:
            return self.value.upper()
        return None

    def describe(self) -> str:
        """How Materialize names this token in "found ..." error messages."""
        if self.kind is T.WORD:
            kw = self.keyword
            if kw is not None and kw in KEYWORDS:
                return kw
            return f"identifier {quote(self.value)}"
        if self.kind in (T.STRING, T.HEX_STRING, T.OP):
            return f"{self.kind.value} {quote(self.value)}"
        if self.kind is T.NUMBER:
            return f"number {quote(self.value)}"
        if self.kind is T.PARAM:
            return f'parameter "${self.value}"'
        return str(self.kind.value)


def quote(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


_OP_CHARS = frozenset("+-*/<>=~!@#%^&|`?")
# An operator ending in + or - must contain one of these to keep the trailing sign
# (so `1+-2` is `1 + -2`), per PostgreSQL's scan.l.
_NONSTANDARD_OP_CHARS = frozenset("~!@#%^&|`?")
_SINGLE = {
    "(": T.LPAREN,
    ")": T.RPAREN,
    "[": T.LBRACKET,
    "]": T.RBRACKET,
    ",": T.COMMA,
    ";": T.SEMICOLON,
}
# frozensets (not strings) so that `"" in _HEX` is False at end of input.
_HEX = frozenset("0123456789abcdefABCDEF")
_OCT = frozenset("01234567")
_SIMPLE_ESCAPES = {"b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t"}


def _is_ident_start(c: str) -> bool:
    return (c.isascii() and (c.isalpha() or c == "_")) or not c.isascii()


def _is_ident_char(c: str) -> bool:
    return _is_ident_start(c) or c.isdigit() or c == "$"


class _Lexer:
    def __init__(self, text: str) -> None:
        self.s = text
        self.i = 0
        self.n = len(text)
        self.tokens: list[Token] = []

    def peek(self, k: int = 0) -> str:
        j = self.i + k
        return self.s[j] if j < self.n else ""

    def err(self, pos: int, msg: str) -> SqlSyntaxError:
        return SqlSyntaxError(msg, position=pos + 1)

    def push(self, kind: T, value: str, start: int, quoted: bool = False) -> None:
        self.tokens.append(Token(kind, value, start, self.i, quoted))

    def run(self) -> list[Token]:
        s = self.s
        while self.i < self.n:
            c = s[self.i]
            start = self.i
            nxt = self.peek(1)
            if c.isspace():
                self.i += 1
            elif c == "-" and nxt == "-":
                self.line_comment()
            elif c == "/" and nxt == "*":
                self.block_comment()
            elif c == "'":
                self.i += 1
                self.push(T.STRING, self.string(start, extended=False), start)
            elif c in "eE" and nxt == "'":
                self.i += 2
                self.push(T.STRING, self.string(start, extended=True), start)
            elif c in "xX" and nxt == "'":
                self.i += 2
                self.push(T.HEX_STRING, self.string(start, extended=False), start)
            elif c == '"':
                self.quoted_ident()
            elif _is_ident_start(c):
                while self.i < self.n and _is_ident_char(s[self.i]):
                    self.i += 1
                self.push(T.WORD, s[start : self.i].lower(), start)
            elif c.isdigit() or (c == "." and nxt.isdigit()):
                self.number()
            elif c == "$" and nxt.isdigit():
                self.i += 1
                while self.peek().isdigit():
                    self.i += 1
                self.push(T.PARAM, s[start + 1 : self.i], start)
            elif c == "$":
                self.dollar_string()
            elif c in _SINGLE:
                self.i += 1
                self.push(_SINGLE[c], c, start)
            elif c == ".":
                self.i += 1
                self.push(T.DOT, c, start)
            elif c == ":":
                self.i += 2 if nxt == ":" else 1
                self.push(T.DOUBLE_COLON if nxt == ":" else T.COLON, s[start : self.i], start)
            elif c in _OP_CHARS:
                self.operator()
            else:
                raise self.err(start, f"unexpected character in input: {c}")
        return self.tokens

    def line_comment(self) -> None:
        while self.i < self.n and self.s[self.i] != "\n":
            self.i += 1

    def block_comment(self) -> None:
        start = self.i
        self.i += 2
        depth = 1
        while self.i < self.n:
            two = self.s[self.i : self.i + 2]
            if two == "/*":
                depth += 1
                self.i += 2
            elif two == "*/":
                depth -= 1
                self.i += 2
                if depth == 0:
                    return
            else:
                self.i += 1
        raise self.err(start, "unterminated multiline comment")

    def string(self, start: int, *, extended: bool) -> str:
        """Lex the body of a quoted string whose opening quote was just consumed."""
        out: list[str] = []
        while True:
            while True:
                if self.i >= self.n:
                    raise self.err(start, "unterminated quoted string")
                c = self.s[self.i]
                self.i += 1
                if c == "'":
                    if self.peek() == "'":
                        out.append("'")
                        self.i += 1
                        continue
                    break
                if c == "\\" and extended:
                    out.append(self.escape(start))
                    continue
                out.append(c)
            # Adjacent literals separated by whitespace containing a newline are
            # concatenated (SQL standard; PostgreSQL does the same).
            j = self.i
            while j < self.n and self.s[j].isspace():
                j += 1
            gap = self.s[self.i : j]
            if ("\n" in gap or "\r" in gap) and j < self.n and self.s[j] == "'":
                self.i = j + 1
                continue
            return "".join(out)

    def escape(self, start: int) -> str:
        if self.i >= self.n:
            raise self.err(start, "unterminated quoted string")
        esc_pos = self.i - 1
        c = self.s[self.i]
        self.i += 1
        if c in _SIMPLE_ESCAPES:
            return _SIMPLE_ESCAPES[c]
        if c in "uU":
            width = 4 if c == "u" else 8
            digits = self.s[self.i : self.i + width]
            if len(digits) != width or not all(d in _HEX for d in digits):
                raise self.err(esc_pos, "invalid unicode escape")
            self.i += width
            return self.codepoint(int(digits, 16), esc_pos)
        if c in _OCT:
            digits = c
            while len(digits) < 3 and self.peek() in _OCT:
                digits += self.s[self.i]
                self.i += 1
            return self.codepoint(int(digits, 8), esc_pos)
        if c == "x" and self.peek() in _HEX:
            digits = ""
            while len(digits) < 2 and self.peek() in _HEX:
                digits += self.s[self.i]
                self.i += 1
            return self.codepoint(int(digits, 16), esc_pos)
        return c

    def codepoint(self, cp: int, pos: int) -> str:
        if cp == 0 or cp > 0x10FFFF or 0xD800 <= cp <= 0xDFFF:
            raise self.err(pos, "invalid unicode escape")
        return chr(cp)

    def quoted_ident(self) -> None:
        start = self.i
        self.i += 1
        out: list[str] = []
        while True:
            if self.i >= self.n:
                raise self.err(start, "unterminated quoted identifier")
            c = self.s[self.i]
            self.i += 1
            if c == '"':
                if self.peek() == '"':
                    out.append('"')
                    self.i += 1
                    continue
                break
            if c == "\0":
                raise self.err(start, "null character in quoted identifier")
            out.append(c)
        if not out:
            raise self.err(start, "zero-length delimited identifier")
        self.push(T.WORD, "".join(out), start, quoted=True)

    def dollar_string(self) -> None:
        start = self.i
        j = self.i + 1
        # A tag follows identifier rules but may not contain `$`.
        if j < self.n and _is_ident_start(self.s[j]):
            j += 1
            while j < self.n and _is_ident_char(self.s[j]) and self.s[j] != "$":
                j += 1
        if j >= self.n or self.s[j] != "$":
            raise self.err(start, "unexpected character in input: $")
        tag = self.s[start : j + 1]
        end = self.s.find(tag, j + 1)
        if end < 0:
            raise self.err(start, "unterminated dollar-quoted string")
        body = self.s[j + 1 : end]
        self.i = end + len(tag)
        self.push(T.STRING, body, start)

    def number(self) -> None:
        start = self.i
        s = self.s
        while self.peek().isdigit():
            self.i += 1
        if self.peek() == ".":
            self.i += 1
            while self.peek().isdigit():
                self.i += 1
        if self.peek() in ("e", "E"):
            mark = self.i
            self.i += 1
            signed = self.peek() in ("+", "-")
            if signed:
                self.i += 1
            if not self.peek().isdigit():
                if signed:
                    raise self.err(mark, "missing required exponent")
                self.i = mark  # `1e` is the number 1 followed by the word `e`
            else:
                while self.peek().isdigit():
                    self.i += 1
        self.push(T.NUMBER, s[start : self.i], start)

    def operator(self) -> None:
        start = self.i
        s = self.s
        while self.i < self.n and s[self.i] in _OP_CHARS:
            if s[self.i : self.i + 2] in ("--", "/*"):
                break  # a comment starts here, ending the operator
            self.i += 1
        op = s[start : self.i]
        if len(op) > 1 and op[-1] in "+-" and not (set(op) & _NONSTANDARD_OP_CHARS):
            while len(op) > 1 and op[-1] in "+-":
                op = op[:-1]
            self.i = start + len(op)
        if op == "*":
            self.push(T.STAR, op, start)
        elif op == "=":
            self.push(T.EQ, op, start)
        else:
            self.push(T.OP, "<>" if op == "!=" else op, start)


def lex(text: str) -> list[Token]:
    """Tokenize ``text`` (without a trailing EOF token)."""
    return _Lexer(text).run()
