"""Data type names as written in column definitions (and, later, casts).

Only the *shape* is parsed: multi-word names are joined, modifiers and array suffixes
collected. Whether a name denotes a real type is the planner's question, so any identifier
is accepted.
"""

from __future__ import annotations

from pymz.sql import ast
from pymz.sql.lexer import T
from pymz.sql.parser import Parser


def _unsigned(p: Parser) -> int:
    tok = p.peek()
    if tok.kind is not T.NUMBER or not tok.value.isdigit():
        raise p.error("literal unsigned integer")
    p.next()
    return int(tok.value)


def _modifiers(p: Parser) -> tuple[int, ...]:
    if p.peek().kind is not T.LPAREN:
        return ()
    return tuple(p.parens(lambda: _unsigned(p)))


def _time_zone_suffix(p: Parser) -> str:
    """``WITH TIME ZONE`` / ``WITHOUT TIME ZONE`` after time/timestamp."""
    word = p.parse_one_of("WITH", "WITHOUT")
    if word is None:
        return ""
    p.expect_kws("TIME", "ZONE")
    return f" {word.lower()} time zone"


def parse_data_type(p: Parser) -> ast.DataType:
    tok = p.peek()
    pos = tok.start + 1
    if not p.is_ident(tok):
        raise p.error("a data type name")
    kw = tok.keyword
    modifiers: tuple[int, ...] = ()
    if kw == "DOUBLE" and p.peek_kw("PRECISION", k=1):
        p.i += 2
        name = "double precision"
    elif kw in ("CHARACTER", "CHAR") and p.peek_kw("VARYING", k=1):
        p.i += 2
        name = "character varying"
        modifiers = _modifiers(p)
    elif kw in ("TIME", "TIMESTAMP"):
        p.next()
        modifiers = _modifiers(p)
        name = tok.value + _time_zone_suffix(p)
    else:
        p.next()
        parts = [tok.value]
        while p.consume(T.DOT):
            parts.append(p.ident().value)
        name = ".".join(parts)
        modifiers = _modifiers(p)
    dims = 0
    while True:
        if p.consume(T.LBRACKET):
            if p.peek().kind is not T.RBRACKET:
                _unsigned(p)  # the declared size is ignored, as in PostgreSQL
            p.expect(T.RBRACKET)
        elif p.parse_kw("ARRAY"):
            if p.consume(T.LBRACKET):
                _unsigned(p)
                p.expect(T.RBRACKET)
        else:
            break
        dims += 1
    return ast.DataType(name, modifiers, dims, position=pos)
