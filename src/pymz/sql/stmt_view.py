"""Views, materialized views, indexes, SUBSCRIBE, cursors (FETCH/CLOSE) and EXPLAIN.

Queries are not parsed: the parser finds their extent and keeps their source text
(:class:`ast.ExprText`, with positions). ``DECLARE`` lives in ``statements`` because its
inner statement goes through the top-level dispatcher.
"""

from __future__ import annotations

from typing import Literal

from pymz.errors import SqlSyntaxError
from pymz.sql import ast
from pymz.sql.lexer import T
from pymz.sql.options import option, option_name
from pymz.sql.parser import Parser, one_of

QUERY_STARTS = frozenset({"SELECT", "WITH", "VALUES", "TABLE"})
_QUERY_WORDS = ("SELECT", "TABLE", "VALUES", "WITH", "left parenthesis")

# Materialized view / index options. Values with their own grammar (REFRESH, RETAIN
# HISTORY FOR, ASSERT NOT NULL col) are handled in _view_option.
MATERIALIZED_VIEW_OPTIONS: tuple[str, ...] = (
    "ASSERT NOT NULL",
    "PARTITION BY",
    "REFRESH",
    "RETAIN HISTORY",
)
INDEX_OPTIONS: tuple[str, ...] = ("RETAIN HISTORY",)
SUBSCRIBE_OPTIONS: tuple[str, ...] = ("PROGRESS", "SNAPSHOT")
FETCH_OPTIONS: tuple[str, ...] = ("TIMEOUT",)
EXPLAIN_OPTIONS: tuple[str, ...] = (
    "ARITY",
    "CARDINALITY",
    "COLUMN NAMES",
    "EQUIVALENCES",
    "FILTER PUSHDOWN",
    "HUMANIZED EXPRESSIONS",
    "JOIN IMPLEMENTATIONS",
    "KEYS",
    "LINEAR CHAINS",
    "NO FAST PATH",
    "NO NOTICES",
    "NODE IDENTIFIERS",
    "NON NEGATIVE",
    "RAW PLANS",
    "RAW SYNTAX",
    "REDACTED",
    "SUBTREE SIZE",
    "TIMING",
    "TYPES",
)
_EXPLAIN_STAGES = ("DECORRELATED", "OPTIMIZED", "PHYSICAL", "RAW")
# EXPLAIN forms Materialize has beyond plans of queries/views/indexes.
_EXPLAIN_UNSUPPORTED: tuple[tuple[str, ...], ...] = (
    ("ANALYZE",),
    ("FILTER", "PUSHDOWN"),
    ("KEY", "SCHEMA"),
    ("TIMESTAMP",),
    ("VALUE", "SCHEMA"),
)


def query_text(p: Parser) -> ast.ExprText:
    """A whole query up to an unmatched ``)`` or the end of the statement."""
    if p.peek().kind is not T.LPAREN and p.peek().keyword not in QUERY_STARTS:
        raise p.error(one_of(_QUERY_WORDS))
    return p.expr_text(stop_at_comma=False, expected="a query")


def _columns(p: Parser) -> tuple[ast.Ident, ...]:
    if p.peek().kind is T.LPAREN:
        return tuple(p.parens(p.ident))
    return ()


def _in_cluster(p: Parser) -> ast.Ident | None:
    if p.parse_kws("IN", "CLUSTER"):
        return p.ident()
    return None


def _view_option(p: Parser, names: tuple[str, ...]) -> ast.Option:
    name, pos = option_name(p, names)
    value: ast.OptionValue | None
    if name == "REFRESH":
        # REFRESH ON COMMIT | AT CREATION | AT expr | EVERY interval [ALIGNED TO expr]
        tok = p.peek()
        p.consume(T.EQ)
        if p.peek().kind in (T.COMMA, T.RPAREN, T.EOF):
            raise p.error(one_of(("AT", "EVERY", "ON")), tok)
        text = p.expr_text(stop_at_comma=True)
        value = ast.ExprValue(text, position=text.position)
    elif name == "RETAIN HISTORY":
        p.consume(T.EQ)
        p.expect_kw("FOR")  # the value is what follows FOR
        value = p.value()
    elif name == "ASSERT NOT NULL":
        p.consume(T.EQ)
        ident = p.ident()
        value = ast.IdentValue(ident.value, position=ident.position)
    else:
        p.consume(T.EQ)
        value = p.value()
    return ast.Option(name, value, position=pos)


def _with_options(p: Parser, names: tuple[str, ...]) -> tuple[ast.Option, ...]:
    if p.parse_kw("WITH"):
        return tuple(p.parens(lambda: _view_option(p, names)))
    return ()


def _if_not_exists(p: Parser) -> bool:
    return p.parse_kws("IF", "NOT", "EXISTS")


# ----------------------------------------------------------------------- CREATE VIEW


def parse_create_view(p: Parser, or_replace: bool, temporary: bool) -> ast.CreateView:
    """After ``CREATE [OR REPLACE] [TEMP] VIEW``."""
    if_not_exists = _if_not_exists(p)
    name = p.object_name()
    columns = _columns(p)
    p.expect_kw("AS")
    query = query_text(p)
    return ast.CreateView(name, columns, query, if_not_exists, or_replace, temporary)


def parse_create_materialized_view(p: Parser, or_replace: bool) -> ast.CreateMaterializedView:
    """After ``CREATE [OR REPLACE] MATERIALIZED VIEW``."""
    if_not_exists = _if_not_exists(p)
    name = p.object_name()
    columns = _columns(p)
    in_cluster = _in_cluster(p)
    options = _with_options(p, MATERIALIZED_VIEW_OPTIONS)
    p.expect_kw("AS")
    query = query_text(p)
    return ast.CreateMaterializedView(
        name, columns, in_cluster, query, if_not_exists, or_replace, options
    )


def parse_create_index(p: Parser, default: bool) -> ast.CreateIndex:
    """After ``CREATE [DEFAULT] INDEX``."""
    if_not_exists = _if_not_exists(p)
    name: ast.Ident | None = None
    if not default and p.is_ident():
        name = p.ident()
    in_cluster = _in_cluster(p)
    if p.peek().keyword != "ON":
        raise p.error(one_of(("IN", "ON")) if in_cluster is None else "ON")
    p.next()
    on = p.object_name()
    p.parse_kws("USING", "ARRANGEMENT")
    key_parts: tuple[str, ...] | None = None
    if not default:
        key_parts = tuple(p.parens(p.expr_text))
    elif p.peek().kind is T.LPAREN:
        raise SqlSyntaxError(
            "Key parts are not allowed in a DEFAULT INDEX", position=p.peek().start + 1
        )
    options = _with_options(p, INDEX_OPTIONS)
    return ast.CreateIndex(name, on, in_cluster, key_parts, if_not_exists, default, options)


# ------------------------------------------------------------------------- SUBSCRIBE

# AS and WITH cannot end a depth-0 expression, so stopping there turns a misplaced
# clause (`UP TO 1 AS OF 2`) into "Expected end of statement" instead of a garbled bound.
_SUBSCRIBE_OUTPUT_STOPS = frozenset({"AS", "ENVELOPE", "WITH", "WITHIN"})


def parse_subscribe(p: Parser) -> ast.Subscribe:
    p.expect_kw("SUBSCRIBE")
    p.parse_kw("TO")
    target: ast.ObjectName | None = None
    query: ast.ExprText | None = None
    if p.consume(T.LPAREN):
        query = query_text(p)
        p.expect(T.RPAREN)
    elif p.is_ident():
        target = p.object_name()
    else:
        raise p.error(one_of(("identifier", "left parenthesis")))
    options: tuple[ast.Option, ...] = ()
    if p.parse_kw("WITH"):
        options = tuple(p.parens(lambda: option(p, SUBSCRIBE_OPTIONS)))
    as_of: ast.ExprText | None = None
    at_least = False
    if p.parse_kws("AS", "OF"):
        at_least = p.parse_kws("AT", "LEAST")
        as_of = p.expr_text(_SUBSCRIBE_OUTPUT_STOPS | {"UP"})
    up_to: ast.ExprText | None = None
    if p.parse_kws("UP", "TO"):
        up_to = p.expr_text(_SUBSCRIBE_OUTPUT_STOPS)
    output: ast.ExprText | None = None
    if p.peek_kw("ENVELOPE") or p.peek_kw("WITHIN"):
        start = p.i
        if p.parse_kw("ENVELOPE"):
            p.expect_one_of("DEBEZIUM", "UPSERT")
            p.parenthesized_text()
        else:
            p.expect_kws("WITHIN", "TIMESTAMP", "ORDER", "BY")
            p.expr_text(stop_at_comma=False)
        output = p.text_since(start)
    return ast.Subscribe(target, query, options, as_of, at_least, up_to, output)


# --------------------------------------------------------------------- FETCH / CLOSE


def parse_fetch(p: Parser) -> ast.Fetch:
    p.expect_kw("FETCH")
    # FORWARD is not reserved: `FETCH forward` fetches from a cursor named "forward".
    if p.peek_kw("FORWARD") and not _ends_cursor_name(p, 1):
        p.next()
    count: int | None = 1
    if p.parse_kw("ALL"):
        count = None
    elif p.peek().kind is T.NUMBER:
        tok = p.next()
        if not tok.value.isdigit():
            raise p.error("literal unsigned integer", tok)
        count = int(tok.value)
    p.parse_one_of("FROM", "IN")
    name = p.ident()
    timeout: ast.OptionValue | None = None
    if p.parse_kw("WITH"):
        opts = p.parens(lambda: option(p, FETCH_OPTIONS))
        timeout = opts[-1].value
    return ast.Fetch(name, count, timeout)


def _ends_cursor_name(p: Parser, k: int) -> bool:
    return p.peek(k).kind is T.EOF or p.peek_kw("WITH", k=k)


def parse_close(p: Parser) -> ast.CloseCursor:
    p.expect_kw("CLOSE")
    return ast.CloseCursor(p.ident())


# ---------------------------------------------------------------------------- EXPLAIN


def parse_explain(p: Parser) -> ast.Explain | ast.Unsupported:
    text = p.remaining_text()  # the whole statement unless inside DECLARE
    p.expect_kw("EXPLAIN")
    for words in _EXPLAIN_UNSUPPORTED:
        if p.peek_kw(*words):
            return ast.Unsupported(text, "EXPLAIN " + " ".join(words))
    stage: str | None = None
    options: tuple[ast.Option, ...] = ()
    fmt = "TEXT"
    stage = p.parse_one_of(*_EXPLAIN_STAGES)
    plan_clause = stage is not None or p.peek_kw("PLAN")
    if plan_clause:
        p.expect_kw("PLAN")
        if p.parse_kw("WITH"):
            options = tuple(p.parens(lambda: option(p, EXPLAIN_OPTIONS)))
        if p.parse_kw("AS"):
            fmt = p.expect_one_of("JSON", "TEXT")
        p.expect_kw("FOR")
    if p.parse_kws("MATERIALIZED", "VIEW"):
        return ast.Explain(
            text, stage, options, _format(fmt), "MATERIALIZED VIEW", name=p.object_name()
        )
    if p.parse_kw("VIEW"):
        return ast.Explain(text, stage, options, _format(fmt), "VIEW", name=p.object_name())
    if p.parse_kw("INDEX"):
        return ast.Explain(text, stage, options, _format(fmt), "INDEX", name=p.object_name())
    if p.peek().kind is not T.LPAREN and p.peek().keyword not in QUERY_STARTS:
        expected = ["INDEX", "MATERIALIZED", "VIEW", *_QUERY_WORDS[:-1]]
        if not plan_clause:
            expected += ["PLAN", *_EXPLAIN_STAGES]
        raise p.error(one_of([*sorted(expected), "left parenthesis"]))
    return ast.Explain(text, stage, options, _format(fmt), "QUERY", query=query_text(p))


def _format(fmt: str) -> Literal["TEXT", "JSON"]:
    return "JSON" if fmt == "JSON" else "TEXT"
