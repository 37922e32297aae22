"""CREATE TABLE: column definitions, data types and (recorded, unimplemented) constraints."""

from __future__ import annotations

from pymz.errors import SqlSyntaxError
from pymz.sql import ast
from pymz.sql.datatype import parse_data_type
from pymz.sql.lexer import T
from pymz.sql.parser import Parser, one_of

# Words that begin a column constraint; a DEFAULT expression ends before any of them
# (PostgreSQL's b_expr cannot contain them at the top level either).
_COLUMN_CONSTRAINT_STARTS = frozenset(
    {"CHECK", "COLLATE", "CONSTRAINT", "DEFAULT", "NOT", "NULL", "PRIMARY", "REFERENCES",
     "UNIQUE"}
)
_TABLE_CONSTRAINT_STARTS = frozenset({"CHECK", "CONSTRAINT", "FOREIGN", "PRIMARY", "UNIQUE"})
_REFERENTIAL_ACTIONS: tuple[tuple[str, ...], ...] = (
    ("NO", "ACTION"),
    ("RESTRICT",),
    ("CASCADE",),
    ("SET", "NULL"),
    ("SET", "DEFAULT"),
)


def parse_create_table(p: Parser) -> ast.Statement:
    """After ``CREATE TABLE``."""
    if_not_exists = p.parse_kws("IF", "NOT", "EXISTS")
    name = p.object_name()
    if p.peek_kw("FROM", "SOURCE"):
        return ast.Unsupported(p.statement_text(), "CREATE TABLE FROM SOURCE")
    p.expect(T.LPAREN)
    columns: list[ast.ColumnDef] = []
    constraints: list[ast.TableConstraint] = []
    if p.peek().kind is not T.RPAREN:
        while True:
            tok = p.peek()
            if tok.keyword in _TABLE_CONSTRAINT_STARTS:
                constraints.append(_table_constraint(p))
            else:
                columns.append(_column_def(p))
            if not p.consume(T.COMMA):
                break
    p.expect(T.RPAREN)
    if p.peek_kw("WITH"):
        # Table options (RETAIN HISTORY, ...) are not implemented.
        return ast.Unsupported(p.statement_text(), "CREATE TABLE WITH")
    return ast.CreateTable(name, tuple(columns), if_not_exists, tuple(constraints))


def _column_def(p: Parser) -> ast.ColumnDef:
    name = p.ident()
    data_type = parse_data_type(p)
    nullability: bool | None = None  # True: NOT NULL, False: NULL
    default: ast.ExprText | None = None
    constraints: list[str] = []
    while p.peek().kind not in (T.COMMA, T.RPAREN, T.EOF):
        start = p.i
        if p.parse_kw("CONSTRAINT"):
            p.ident()  # a name on NULL/NOT NULL/DEFAULT is accepted and dropped
        tok = p.peek()
        pos = tok.start + 1
        if p.parse_kws("NOT", "NULL") or p.parse_kw("NULL"):
            not_null = tok.keyword == "NOT"
            if nullability is not None and nullability != not_null:
                raise SqlSyntaxError(
                    f"conflicting NULL/NOT NULL declarations for column {_quote(name)}",
                    position=pos,
                )
            nullability = not_null
        elif p.parse_kw("DEFAULT"):
            if default is not None:
                raise SqlSyntaxError(
                    f"multiple default values specified for column {_quote(name)}",
                    position=pos,
                )
            default = p.expr_text(_COLUMN_CONSTRAINT_STARTS)
        elif p.parse_kw("COLLATE"):
            p.object_name()
            constraints.append(p.text_since(start))
        else:
            _column_constraint(p)
            constraints.append(p.text_since(start))
    return ast.ColumnDef(
        name,
        data_type,
        nullability is True,
        default,
        tuple(constraints),
        position=name.position,
    )


def _quote(name: ast.Ident) -> str:
    return f'"{name.value}"'


def _column_constraint(p: Parser) -> None:
    kw = p.parse_one_of("CHECK", "PRIMARY", "REFERENCES", "UNIQUE")
    if kw is None:
        raise p.error(
            one_of(("CHECK", "COLLATE", "CONSTRAINT", "DEFAULT", "NOT", "NULL", "PRIMARY",
                    "REFERENCES", "UNIQUE", "comma", "right parenthesis"))
        )
    if kw == "PRIMARY":
        p.expect_kw("KEY")
    elif kw == "UNIQUE":
        _nulls_distinct(p)
    elif kw == "CHECK":
        p.parenthesized_text()
    else:
        _references_tail(p)
    _constraint_attributes(p)


def _nulls_distinct(p: Parser) -> None:
    if p.parse_kw("NULLS"):
        p.parse_kw("NOT")
        p.expect_kw("DISTINCT")


def _references_tail(p: Parser) -> None:
    """After ``REFERENCES``: ``table [(cols)] [MATCH ...] [ON {DELETE|UPDATE} action]...``."""
    p.object_name()
    if p.peek().kind is T.LPAREN:
        p.parens(p.ident)
    while True:
        if p.parse_kw("MATCH"):
            p.expect_one_of("FULL", "PARTIAL", "SIMPLE")
        elif p.parse_kw("ON"):
            p.expect_one_of("DELETE", "UPDATE")
            for words in _REFERENTIAL_ACTIONS:
                if p.parse_kws(*words):
                    if words[0] == "SET" and p.peek().kind is T.LPAREN:
                        p.parens(p.ident)
                    break
            else:
                raise p.error(one_of(("CASCADE", "NO", "RESTRICT", "SET")))
        else:
            return


def _constraint_attributes(p: Parser) -> None:
    """``[NOT] DEFERRABLE``, ``INITIALLY {DEFERRED | IMMEDIATE}``."""
    while True:
        if p.parse_kws("NOT", "DEFERRABLE") or p.parse_kw("DEFERRABLE"):
            continue
        if p.parse_kw("INITIALLY"):
            p.expect_one_of("DEFERRED", "IMMEDIATE")
            continue
        return


def _table_constraint(p: Parser) -> ast.TableConstraint:
    start = p.i
    pos = p.peek().start + 1
    name: ast.Ident | None = None
    if p.parse_kw("CONSTRAINT"):
        name = p.ident()
    kw = p.expect_one_of("CHECK", "FOREIGN", "PRIMARY", "UNIQUE")
    if kw == "CHECK":
        kind = "CHECK"
        p.parenthesized_text()
    elif kw == "PRIMARY":
        kind = "PRIMARY KEY"
        p.expect_kw("KEY")
        p.parens(p.ident)
    elif kw == "UNIQUE":
        kind = "UNIQUE"
        _nulls_distinct(p)
        p.parens(p.ident)
    else:
        kind = "FOREIGN KEY"
        p.expect_kw("KEY")
        p.parens(p.ident)
        p.expect_kw("REFERENCES")
        _references_tail(p)
    _constraint_attributes(p)
    return ast.TableConstraint(kind, name, p.text_since(start), position=pos)
