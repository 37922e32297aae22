"""INSERT / UPDATE / DELETE. Expressions and queries are kept as source text."""

from __future__ import annotations

from pymz.errors import SqlSyntaxError
from pymz.sql import ast
from pymz.sql.lexer import T
from pymz.sql.parser import Parser, one_of

_QUERY_STARTS = frozenset({"SELECT", "WITH", "VALUES", "TABLE"})
_UPDATE_EXPR_STOPS = frozenset({"WHERE", "FROM", "RETURNING"})


def _is_query_start(p: Parser, k: int = 0) -> bool:
    tok = p.peek(k)
    return tok.kind is T.LPAREN or tok.keyword in _QUERY_STARTS


def _returning(p: Parser) -> ast.ExprText | None:
    if p.parse_kw("RETURNING"):
        return p.expr_text(stop_at_comma=False)
    return None


# --------------------------------------------------------------------------------- INSERT


def parse_insert(p: Parser) -> ast.Statement:
    p.expect_kw("INSERT")
    p.expect_kw("INTO")
    table = p.object_name()
    alias = p.ident() if p.parse_kw("AS") else None
    columns: tuple[ast.Ident, ...] = ()
    if p.peek().kind is T.LPAREN and not _is_query_start(p, 1):
        columns = tuple(p.parens(p.ident))
    source: ast.InsertSource
    tok = p.peek()
    if not columns and p.peek_kw("DEFAULT", "VALUES"):
        p.i += 2
        source = ast.DefaultValues(position=tok.start + 1)
    elif tok.keyword == "VALUES":
        source = _values_or_query(p)
    elif _is_query_start(p):
        source = _query(p)
    else:
        words = ("SELECT", "TABLE", "VALUES", "WITH", "left parenthesis")
        raise p.error(one_of(words if columns else ("DEFAULT", *words)))
    return ast.Insert(table, columns, source, _returning(p), alias)


def _query(p: Parser) -> ast.InsertQuery:
    # A query ends at RETURNING or (unsupported) ON CONFLICT at depth 0; nothing else at
    # depth 0 can follow an INSERT's query.
    start = p.i
    p.expr_text(frozenset({"RETURNING", "ON"}), stop_at_comma=False, expected="a query")
    while p.peek_kw("ON") and not p.peek_kw("ON", "CONFLICT"):
        p.next()  # `JOIN ... ON cond`: keep going
        if not p.at_end() and not p.peek_kw("RETURNING"):
            p.expr_text(frozenset({"RETURNING", "ON"}), stop_at_comma=False)
    text = p.text_since(start)
    return ast.InsertQuery(text, position=text.position)


def _values_or_query(p: Parser) -> ast.InsertValues | ast.InsertQuery:
    start = p.i
    values_tok = p.expect_kw("VALUES")
    rows: list[tuple[ast.ValuesItem, ...]] = []
    defaults: list[ast.DefaultMarker] = []
    while True:
        row_tok = p.expect(T.LPAREN)
        row: list[ast.ValuesItem] = []
        while True:
            tok = p.peek()
            if tok.keyword == "DEFAULT" and p.peek(1).kind in (T.COMMA, T.RPAREN):
                p.next()
                marker = ast.DefaultMarker(position=tok.start + 1)
                defaults.append(marker)
                row.append(marker)
            else:
                row.append(p.expr_text())
            if not p.consume(T.COMMA):
                break
        p.expect(T.RPAREN)
        if rows and len(row) != len(rows[0]):
            raise SqlSyntaxError(
                "VALUES lists must all be the same length", position=row_tok.start + 1
            )
        rows.append(tuple(row))
        if not p.consume(T.COMMA):
            break
    if p.at_end() or p.peek_kw("RETURNING") or p.peek_kw("ON", "CONFLICT"):
        return ast.InsertValues(tuple(rows), position=values_tok.start + 1)
    # VALUES followed by ORDER BY / LIMIT / UNION ...: a general query, where DEFAULT
    # has no meaning.
    if defaults:
        raise SqlSyntaxError(
            "DEFAULT is not allowed in this context", position=defaults[0].position
        )
    p.i = start
    return _query(p)


# --------------------------------------------------------------------------------- UPDATE


def _where(p: Parser) -> ast.ExprText | None:
    # Stopping at RETURNING makes `... WHERE x RETURNING y` a clear syntax error
    # (Materialize has no UPDATE/DELETE ... RETURNING) instead of a garbled condition.
    if p.parse_kw("WHERE"):
        return p.expr_text(frozenset({"RETURNING"}), stop_at_comma=False)
    return None


def _alias(p: Parser, *followers: str) -> ast.Ident | None:
    """``[AS] alias`` unless the next word is one of ``followers``."""
    if p.parse_kw("AS"):
        return p.ident()
    if p.is_ident() and p.peek().keyword not in followers:
        return p.ident()
    return None


def parse_update(p: Parser) -> ast.Statement:
    p.expect_kw("UPDATE")
    table = p.object_name()
    alias = _alias(p, "SET")
    p.expect_kw("SET")
    assignments = tuple(p.comma_separated(lambda: _assignment(p)))
    where = _where(p)
    return ast.Update(table, alias, assignments, where)


def _assignment(p: Parser) -> ast.Assignment:
    column = p.ident()
    p.expect(T.EQ)
    expr = p.expr_text(_UPDATE_EXPR_STOPS)
    return ast.Assignment(column, expr, position=column.position)


# --------------------------------------------------------------------------------- DELETE


def parse_delete(p: Parser) -> ast.Statement:
    p.expect_kw("DELETE")
    p.expect_kw("FROM")
    table = p.object_name()
    alias = _alias(p, "USING", "WHERE")
    if p.peek_kw("USING"):
        return ast.Unsupported(p.statement_text(), "DELETE USING")
    where = _where(p)
    return ast.Delete(table, alias, where)
