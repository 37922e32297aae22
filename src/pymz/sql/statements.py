"""Entry points: split a query string into statements and parse each one."""

from __future__ import annotations

from collections.abc import Callable

from pymz.errors import SqlSyntaxError
from pymz.sql import ast
from pymz.sql.lexer import T, Token, lex
from pymz.sql.parser import Parser
from pymz.sql.stmt_copy import parse_copy
from pymz.sql.stmt_ddl import parse_alter, parse_create, parse_drop
from pymz.sql.stmt_dml import parse_delete, parse_insert, parse_update
from pymz.sql.stmt_session import (
    parse_begin,
    parse_commit,
    parse_deallocate,
    parse_discard,
    parse_reset,
    parse_rollback,
    parse_set,
)
from pymz.sql.stmt_show import parse_show
from pymz.sql.stmt_view import parse_close, parse_explain, parse_fetch, parse_subscribe


def _declare(p: Parser) -> ast.Statement:
    """``DECLARE name CURSOR [WITHOUT HOLD] FOR statement``: the inner statement goes
    through the same dispatcher (positions stay relative to the full text)."""
    p.expect_kw("DECLARE")
    name = p.ident()
    p.expect_kw("CURSOR")
    p.parse_kws("WITHOUT", "HOLD")
    p.expect_kw("FOR")
    return ast.DeclareCursor(name, _statement(p))



_DISPATCH: dict[str, Callable[[Parser], ast.Statement]] = {
    "ABORT": parse_rollback,
    "ALTER": parse_alter,
    "BEGIN": parse_begin,
    "CLOSE": parse_close,
    "COMMIT": parse_commit,
    "COPY": parse_copy,
    "CREATE": parse_create,
    "DEALLOCATE": parse_deallocate,
    "DECLARE": _declare,
    "DELETE": parse_delete,
    "DISCARD": parse_discard,
    "DROP": parse_drop,
    "END": parse_commit,
    "EXPLAIN": parse_explain,
    "FETCH": parse_fetch,
    "INSERT": parse_insert,
    "RESET": parse_reset,
    "ROLLBACK": parse_rollback,
    "SET": parse_set,
    "SHOW": parse_show,
    "START": parse_begin,
    "SUBSCRIBE": parse_subscribe,
    "UPDATE": parse_update,
}

_QUERY_STARTS = frozenset({"SELECT", "WITH", "VALUES", "TABLE"})

# Statements Materialize has and pymz does not implement yet: answered with 0A000.
_UNSUPPORTED_STARTS = frozenset(
    {
        "COMMENT",
        "EXECUTE",
        "GRANT",
        "INSPECT",
        "PREPARE",
        "REASSIGN",
        "REVOKE",
        "VALIDATE",
    }
)


def split(text: str) -> list[tuple[int, list[Token], int]]:
    """Split into statements on ``;`` outside quotes and comments.

    Returns ``(offset, tokens, end)`` per non-empty statement, where ``end`` is the
    0-based offset of the terminating ``;`` (or the text length).
    """
    out: list[tuple[int, list[Token], int]] = []
    current: list[Token] = []
    for tok in lex(text):
        if tok.kind is T.SEMICOLON:
            if current:
                out.append((current[0].start, current, tok.start))
            current = []
        else:
            current.append(tok)
    if current:
        out.append((current[0].start, current, len(text)))
    return out


def _statement(p: Parser) -> ast.Statement:
    tok = p.peek()
    kw = tok.keyword
    if tok.kind is T.LPAREN or kw in _QUERY_STARTS:
        text = p.remaining_text()  # the whole statement unless inside DECLARE
        p.i = len(p.toks)
        return ast.Query(text)
    if kw is not None and kw in _UNSUPPORTED_STARTS:
        return ast.Unsupported(p.remaining_text(), kw)
    handler = _DISPATCH.get(kw or "")
    if handler is None:
        raise p.error("a keyword at the beginning of a statement")
    stmt = handler(p)
    if not isinstance(stmt, ast.Unsupported):
        p.expect_end()
    return stmt


def parse(sql: str) -> list[ast.ParsedStmt]:
    """Parse every statement in ``sql``; an empty/whitespace/comment-only string gives ``[]``.

    Raises :class:`~pymz.errors.SqlSyntaxError` (with a 1-based ``position`` into ``sql``)
    for the first lexical or syntax error anywhere in the text.
    """
    result: list[ast.ParsedStmt] = []
    for offset, tokens, end in split(sql):
        p = Parser(sql, tokens, end)
        stmt = _statement(p)
        result.append(ast.ParsedStmt(p.statement_text(), stmt, offset))
    return result


def parse_one(sql: str) -> ast.Statement:
    """Parse text that must hold exactly one statement (e.g. catalog ``create_sql``)."""
    stmts = parse(sql)
    if len(stmts) != 1:
        raise SqlSyntaxError(f"expected a single statement, found {len(stmts)}")
    return stmts[0].ast
