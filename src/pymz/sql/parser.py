"""Recursive-descent parser core: a cursor over one statement's tokens plus helpers.

Statement grammars live in the ``stmt_*`` modules and drive a :class:`Parser`. Error
messages follow Materialize's ``Expected X, found Y`` style, positioned (1-based) at the
offending token in the full query text.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from pymz.errors import SqlSyntaxError
from pymz.sql import ast
from pymz.sql.keywords import RESERVED
from pymz.sql.lexer import T, Token

R = TypeVar("R")


def one_of(words: tuple[str, ...] | list[str]) -> str:
    """``A`` or ``one of A or B or C`` as Materialize words its expectations."""
    if len(words) == 1:
        return words[0]
    return "one of " + " or ".join(words)


class Parser:
    def __init__(self, text: str, tokens: list[Token], eof_pos: int) -> None:
        self.text = text
        self.toks = tokens
        self.i = 0
        self.eof = Token(T.EOF, "", eof_pos, eof_pos)

    # ------------------------------------------------------------------ cursor
    def peek(self, k: int = 0) -> Token:
        j = self.i + k
        return self.toks[j] if j < len(self.toks) else self.eof

    def next(self) -> Token:
        tok = self.peek()
        if self.i < len(self.toks):
            self.i += 1
        return tok

    def at_end(self) -> bool:
        return self.i >= len(self.toks)

    def error(self, expected: str, tok: Token | None = None) -> SqlSyntaxError:
        tok = tok or self.peek()
        return SqlSyntaxError(
            f"Expected {expected}, found {tok.describe()}", position=tok.start + 1
        )

    def expect_end(self) -> None:
        if not self.at_end():
            raise self.error("end of statement")

    # ---------------------------------------------------------------- keywords
    def peek_kw(self, *kws: str, k: int = 0) -> bool:
        """Do the next tokens spell exactly the keywords ``kws``?"""
        return all(self.peek(k + n).keyword == kw for n, kw in enumerate(kws))

    def parse_kw(self, kw: str) -> bool:
        if self.peek().keyword == kw:
            self.i += 1
            return True
        return False

    def parse_kws(self, *kws: str) -> bool:
        """Consume the keyword sequence if all of it is there, else consume nothing."""
        if self.peek_kw(*kws):
            self.i += len(kws)
            return True
        return False

    def parse_one_of(self, *kws: str) -> str | None:
        kw = self.peek().keyword
        if kw is not None and kw in kws:
            self.i += 1
            return kw
        return None

    def expect_one_of(self, *kws: str) -> str:
        kw = self.parse_one_of(*kws)
        if kw is None:
            raise self.error(one_of(kws))
        return kw

    def expect_kw(self, kw: str) -> Token:
        if self.peek().keyword != kw:
            raise self.error(kw)
        return self.next()

    def expect_kws(self, *kws: str) -> None:
        for kw in kws:
            self.expect_kw(kw)

    # ------------------------------------------------------------------ tokens
    def consume(self, kind: T) -> Token | None:
        if self.peek().kind is kind:
            return self.next()
        return None

    def expect(self, kind: T) -> Token:
        if self.peek().kind is not kind:
            raise self.error(str(kind.value))
        return self.next()

    # ------------------------------------------------------------------- names
    def is_ident(self, tok: Token | None = None) -> bool:
        tok = tok or self.peek()
        return tok.kind is T.WORD and (tok.quoted or tok.value.upper() not in RESERVED)

    def ident(self) -> ast.Ident:
        tok = self.peek()
        if not self.is_ident(tok):
            raise self.error("identifier")
        self.next()
        return ast.Ident(tok.value, position=tok.start + 1)

    def object_name(self) -> ast.ObjectName:
        first = self.ident()
        parts = [first]
        while self.consume(T.DOT):
            parts.append(self.ident())
        return ast.ObjectName(tuple(parts), position=first.position)

    def comma_separated(self, item: Callable[[], R]) -> list[R]:
        out = [item()]
        while self.consume(T.COMMA):
            out.append(item())
        return out

    def parens(self, item: Callable[[], R]) -> list[R]:
        """``( item, ... )`` with at least one item."""
        self.expect(T.LPAREN)
        out = self.comma_separated(item)
        self.expect(T.RPAREN)
        return out

    # -------------------------------------------------------------------- text
    def statement_text(self) -> str:
        if not self.toks:
            return ""
        return self.text[self.toks[0].start : self.toks[-1].end]

    def remaining_text(self) -> ast.ExprText:
        """Source text from the current token to the end of the statement (the whole
        statement at the start); does not consume it."""
        if self.at_end():
            return ast.ExprText("", self.eof.start + 1)
        start = self.peek().start
        return ast.ExprText(self.text[start : self.toks[-1].end], start + 1)

    def rest_text(self) -> tuple[str, int]:
        """Source text from the current token to the end of the statement, and its
        1-based position; consumes it."""
        if self.at_end():
            raise self.error("expression")
        start = self.peek().start
        text = self.text[start : self.toks[-1].end]
        self.i = len(self.toks)
        return text, start + 1

    # ------------------------------------------------------------------ values
    def string(self) -> ast.StringValue:
        tok = self.peek()
        if tok.kind is not T.STRING:
            raise self.error("literal string")
        self.next()
        return ast.StringValue(tok.value, position=tok.start + 1)

    def value(self, expected: str = "option value") -> ast.OptionValue:
        """A literal-ish value: string, number, boolean, word, INTERVAL '..', or a list."""
        tok = self.peek()
        pos = tok.start + 1
        if tok.kind is T.STRING:
            self.next()
            return ast.StringValue(tok.value, position=pos)
        if tok.kind is T.NUMBER:
            self.next()
            return ast.NumberValue(tok.value, position=pos)
        if tok.kind is T.OP and tok.value in ("-", "+") and self.peek(1).kind is T.NUMBER:
            self.next()
            num = self.next()
            text = num.value if tok.value == "+" else "-" + num.value
            return ast.NumberValue(text, position=pos)
        if tok.kind is T.LPAREN:
            return self.list_value(T.LPAREN, T.RPAREN)
        if tok.kind is T.LBRACKET:
            return self.list_value(T.LBRACKET, T.RBRACKET)
        if tok.kind is T.WORD:
            kw = tok.keyword
            if kw in ("TRUE", "FALSE"):
                self.next()
                return ast.BooleanValue(kw == "TRUE", position=pos)
            if kw == "INTERVAL" and self.peek(1).kind is T.STRING:
                self.next()
                return ast.IntervalValue(self.next().value, position=pos)
            if kw == "ARRAY" and self.peek(1).kind is T.LBRACKET:
                self.next()
                return self.list_value(T.LBRACKET, T.RBRACKET, pos)
            self.next()
            return ast.IdentValue(tok.value, position=pos)
        raise self.error(expected)

    def list_value(self, open_: T, close: T, pos: int | None = None) -> ast.ListValue:
        start = self.expect(open_)
        items: list[ast.OptionValue] = []
        if not self.consume(close):
            items = self.comma_separated(self.value)
            self.expect(close)
        return ast.ListValue(tuple(items), position=pos or start.start + 1)

    # ------------------------------------------------------------- expressions
    def expr_text(
        self,
        stop_kws: frozenset[str] = frozenset(),
        *,
        stop_at_comma: bool = True,
        expected: str = "an expression",
    ) -> ast.ExprText:
        """Consume one expression (or query) without parsing it; return its source text.

        The extent runs up to, not including, the first token at nesting depth 0 that is
        a `,` (if ``stop_at_comma``), an unmatched `)`/`]`, a keyword in ``stop_kws``
        (never the first token, so ``DEFAULT NULL`` works) or the end of the statement.
        Nesting counts `(`, `[` and ``CASE ... END``, so strings, casts (``'a'::text``),
        parameters, subqueries and array subscripts need no special handling.
        """
        start = self.i
        stack: list[T | None] = []  # None marks CASE
        while not self.at_end():
            tok = self.peek()
            kind = tok.kind
            if not stack:
                if kind is T.COMMA and stop_at_comma:
                    break
                if kind in (T.RPAREN, T.RBRACKET):
                    break
                kw = tok.keyword
                # `a IS DISTINCT FROM b` is the one depth-0 FROM inside an expression.
                distinct_from = kw == "FROM" and self.toks[self.i - 1].keyword == "DISTINCT"
                if kw is not None and kw in stop_kws and self.i > start and not distinct_from:
                    break
            if kind is T.LPAREN:
                stack.append(T.RPAREN)
            elif kind is T.LBRACKET:
                stack.append(T.RBRACKET)
            elif tok.keyword == "CASE":
                stack.append(None)
            elif kind in (T.RPAREN, T.RBRACKET):
                if stack[-1] is not kind:
                    raise self.error(str(stack[-1].value) if stack[-1] else "END")
                stack.pop()
            elif tok.keyword == "END" and stack and stack[-1] is None:
                stack.pop()
            self.i += 1
        if stack:
            raise self.error(str(stack[-1].value) if stack[-1] else "END")
        if self.i == start:
            raise self.error(expected)
        first, last = self.toks[start], self.toks[self.i - 1]
        return ast.ExprText(self.text[first.start : last.end], first.start + 1)

    def parenthesized_text(self) -> ast.ExprText:
        """``( ... )``: consume a balanced parenthesised group; return its text including
        the parentheses."""
        open_ = self.expect(T.LPAREN)
        if self.peek().kind is not T.RPAREN:
            self.expr_text(stop_at_comma=False)
        close = self.expect(T.RPAREN)
        return ast.ExprText(self.text[open_.start : close.end], open_.start + 1)

    def text_since(self, start_index: int) -> ast.ExprText:
        """Source text of the tokens from index ``start_index`` to the last consumed one."""
        first, last = self.toks[start_index], self.toks[self.i - 1]
        return ast.ExprText(self.text[first.start : last.end], first.start + 1)
