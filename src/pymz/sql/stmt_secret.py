"""CREATE SECRET / ALTER SECRET.

The value expression is parsed here into :class:`ast.SecretValue` (a string literal, with an
optional ``::bytea`` cast, or ``decode(literal, format)``) rather than kept as text, so the
adapter never has to hand secret text to a SQL engine. Syntax errors in and after the value
never quote string literals: the message would otherwise echo (part of) the secret.
"""

from __future__ import annotations

from pymz.errors import SqlSyntaxError
from pymz.sql import ast
from pymz.sql.lexer import T, Token
from pymz.sql.parser import Parser, one_of


def _describe(tok: Token) -> str:
    """Like :meth:`Token.describe`, but without the contents of string literals."""
    if tok.kind in (T.STRING, T.HEX_STRING):
        return str(tok.kind.value)
    return tok.describe()


def _error(p: Parser, expected: str) -> SqlSyntaxError:
    tok = p.peek()
    return SqlSyntaxError(f"Expected {expected}, found {_describe(tok)}",
                          position=tok.start + 1)


def _literal(p: Parser) -> Token:
    tok = p.peek()
    if tok.kind is not T.STRING:
        raise _error(p, "literal string")
    return p.next()


def secret_value(p: Parser) -> ast.SecretValue:
    """``'literal' [::bytea]`` or ``decode('literal', 'format')``."""
    tok = p.peek()
    if tok.kind is T.WORD and not tok.quoted and tok.value == "decode":
        p.next()
        if p.consume(T.LPAREN) is None:
            raise _error(p, "left parenthesis")
        literal = _literal(p)
        if p.consume(T.COMMA) is None:
            raise _error(p, "comma")
        fmt = _literal(p)
        if p.consume(T.RPAREN) is None:
            raise _error(p, "right parenthesis")
        return ast.SecretValue(literal.value, fmt.value.lower(), position=tok.start + 1)
    literal = _literal(p)
    if p.consume(T.DOUBLE_COLON) is not None:
        cast = p.peek()
        if cast.kind is not T.WORD or cast.value.lower() != "bytea":
            raise _error(p, "bytea")
        p.next()
    return ast.SecretValue(literal.value, None, position=tok.start + 1)


def _end(p: Parser) -> None:
    if not p.at_end():
        raise _error(p, "end of statement")


def parse_create_secret(p: Parser) -> ast.CreateSecret:
    """After ``CREATE SECRET``."""
    if_not_exists = p.parse_kws("IF", "NOT", "EXISTS")
    name = p.object_name()
    if not p.parse_kw("AS"):
        raise _error(p, "AS")
    value = secret_value(p)
    _end(p)
    return ast.CreateSecret(name, if_not_exists, value)


def parse_alter_secret(p: Parser) -> ast.Statement:
    """After ``ALTER SECRET``: ``AS value``, ``RENAME TO name`` or ``OWNER TO role``."""
    if_exists = p.parse_kws("IF", "EXISTS")
    name = p.object_name()
    if p.parse_kw("AS"):
        value = secret_value(p)
        _end(p)
        return ast.AlterSecret(name, if_exists, value)
    action = p.parse_one_of("OWNER", "RENAME")
    if action is None:
        raise _error(p, one_of(("AS", "OWNER", "RENAME")))
    p.expect_kw("TO")
    target = p.ident()
    if action == "RENAME":
        return ast.AlterRename("SECRET", if_exists, name, target)
    return ast.AlterOwner("SECRET", if_exists, name, target)
