"""COPY ... FROM STDIN / TO STDOUT, with PostgreSQL's modern and legacy option syntax."""

from __future__ import annotations

from pymz.sql import ast
from pymz.sql.lexer import T
from pymz.sql.parser import Parser, one_of

# Names accepted in the parenthesised option list (PostgreSQL's, spelled with `_`).
COPY_OPTIONS: tuple[str, ...] = (
    "DEFAULT",
    "DELIMITER",
    "ENCODING",
    "ESCAPE",
    "FORCE_NOT_NULL",
    "FORCE_NULL",
    "FORCE_QUOTE",
    "FORMAT",
    "FREEZE",
    "HEADER",
    "NULL",
    "ON_ERROR",
    "QUOTE",
)


def parse_copy(p: Parser) -> ast.Statement:
    p.expect_kw("COPY")
    table: ast.ObjectName | None = None
    query: ast.ExprText | None = None
    columns: tuple[ast.Ident, ...] = ()
    if p.consume(T.LPAREN):
        query = p.expr_text(stop_at_comma=False, expected="a query")
        p.expect(T.RPAREN)
    else:
        table = p.object_name()
        if p.peek().kind is T.LPAREN:
            columns = tuple(p.parens(p.ident))
    if query is not None:
        p.expect_kw("TO")
        direction = "TO"
    else:
        direction = p.expect_one_of("FROM", "TO")
    if p.peek().kind is T.STRING or p.peek_kw("PROGRAM"):
        # Server-side files and programs: not something pymz offers.
        return ast.Unsupported(p.statement_text(), f"COPY {direction} file")
    p.expect_kw("STDIN" if direction == "FROM" else "STDOUT")
    p.parse_kw("WITH")
    if p.peek().kind is T.LPAREN:
        options = tuple(p.parens(lambda: _option(p)))
    else:
        options = _legacy_options(p)
    return ast.Copy(
        table,
        query,
        columns,
        "FROM" if direction == "FROM" else "TO",
        "STDIN" if direction == "FROM" else "STDOUT",
        options,
    )


def _format_value(value: ast.OptionValue, pos: int) -> ast.IdentValue:
    return ast.IdentValue(value.to_text().lower(), position=pos)


def _option(p: Parser) -> ast.Option:
    tok = p.peek()
    pos = tok.start + 1
    kw = tok.keyword
    if tok.kind is not T.WORD or kw not in COPY_OPTIONS:
        raise p.error(one_of(COPY_OPTIONS))
    p.next()
    p.consume(T.EQ)
    value: ast.OptionValue | None = None
    nxt = p.peek()
    if nxt.kind is T.STAR:
        p.next()
        value = ast.IdentValue("*", position=nxt.start + 1)
    elif nxt.kind not in (T.COMMA, T.RPAREN, T.EOF):
        value = p.value()
        if kw == "FORMAT":
            value = _format_value(value, nxt.start + 1)
    return ast.Option(kw, value, position=pos)


def _legacy_options(p: Parser) -> tuple[ast.Option, ...]:
    """``[BINARY] [DELIMITER [AS] 'c'] [NULL [AS] 's'] [CSV] [HEADER] [QUOTE [AS] 'q']
    [ESCAPE [AS] 'e'] [FORCE QUOTE {cols | *}] [FORCE NOT NULL cols]``, any order."""
    out: list[ast.Option] = []
    while not p.at_end():
        tok = p.peek()
        pos = tok.start + 1
        kw = p.parse_one_of("BINARY", "CSV", "DELIMITER", "ESCAPE", "FORCE", "HEADER", "NULL",
                            "QUOTE")
        if kw in ("BINARY", "CSV"):
            fmt = ast.IdentValue(tok.value.lower(), position=pos)
            out.append(ast.Option("FORMAT", fmt, position=pos))
        elif kw == "HEADER":
            out.append(ast.Option("HEADER", None, position=pos))
        elif kw in ("DELIMITER", "ESCAPE", "NULL", "QUOTE"):
            p.parse_kw("AS")
            out.append(ast.Option(kw, p.string(), position=pos))
        elif kw == "FORCE":
            name = "FORCE_QUOTE" if p.parse_kw("QUOTE") else None
            if name is None:
                p.expect_kws("NOT", "NULL")
                name = "FORCE_NOT_NULL"
            value: ast.OptionValue
            star = p.peek()
            if name == "FORCE_QUOTE" and p.consume(T.STAR):
                value = ast.IdentValue("*", position=star.start + 1)
            else:
                cols = p.comma_separated(p.ident)
                value = ast.ListValue(
                    tuple(ast.IdentValue(c.value, position=c.position) for c in cols),
                    position=cols[0].position,
                )
            out.append(ast.Option(name, value, position=pos))
        else:
            raise p.error(
                one_of(("BINARY", "CSV", "DELIMITER", "ESCAPE", "FORCE", "HEADER", "NULL",
                        "QUOTE", "left parenthesis"))
            )
    return tuple(out)
