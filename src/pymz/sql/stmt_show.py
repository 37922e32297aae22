"""SHOW statements: object lists, SHOW CREATE, SHOW COLUMNS and session variables."""

from __future__ import annotations

from pymz.sql import ast
from pymz.sql.lexer import T
from pymz.sql.parser import Parser, one_of

# Plural object lists: words -> whether `FROM <schema|database>` is accepted.
_OBJECT_LISTS: tuple[tuple[str, ...], ...] = (
    ("CLUSTER", "REPLICAS"),
    ("MATERIALIZED", "VIEWS"),
    ("CLUSTERS",),
    ("CONNECTIONS",),
    ("DATABASES",),
    ("INDEXES",),
    ("OBJECTS",),
    ("ROLES",),
    ("SCHEMAS",),
    ("SECRETS",),
    ("SINKS",),
    ("SOURCES",),
    ("TABLES",),
    ("TYPES",),
    ("VIEWS",),
)
_NO_FROM = frozenset({"CLUSTER REPLICAS", "CLUSTERS", "DATABASES", "ROLES"})
_IN_CLUSTER = frozenset({"MATERIALIZED VIEWS", "INDEXES", "SINKS", "SOURCES"})

_SHOW_CREATE_TYPES: tuple[tuple[str, ...], ...] = (
    ("MATERIALIZED", "VIEW"),
    ("CLUSTER",),
    ("CONNECTION",),
    ("INDEX",),
    ("SECRET",),
    ("SINK",),
    ("SOURCE",),
    ("TABLE",),
    ("TYPE",),
    ("VIEW",),
)


def _filter(p: Parser) -> ast.ShowFilter | None:
    if p.parse_kw("LIKE"):
        s = p.string()
        return ast.LikeFilter(s.value, position=s.position)
    if p.parse_kw("WHERE"):
        text, pos = p.rest_text()
        return ast.WhereFilter(text, position=pos)
    return None


def parse_show(p: Parser) -> ast.Statement:
    p.expect_kw("SHOW")
    for words in _OBJECT_LISTS:
        if p.parse_kws(*words):
            return _show_objects(p, " ".join(words))
    if p.parse_kw("CREATE"):
        for words in _SHOW_CREATE_TYPES:
            if p.parse_kws(*words):
                return ast.ShowCreate(" ".join(words), p.object_name())
        raise p.error(one_of(sorted({w[0] for w in _SHOW_CREATE_TYPES})))
    if p.peek_kw("COLUMNS"):
        p.next()
        p.expect_one_of("FROM", "IN")
        return ast.ShowColumns(p.object_name(), _filter(p))
    if p.parse_kws("TRANSACTION", "ISOLATION", "LEVEL"):
        return ast.ShowVariable("transaction_isolation")
    if p.parse_kws("TIME", "ZONE"):
        return ast.ShowVariable("timezone")
    tok = p.peek()
    # Any word names a variable here, reserved or not (`SHOW all`, `SHOW cluster`).
    if tok.kind is not T.WORD:
        raise p.error("identifier")
    p.next()
    name = tok.value
    while p.consume(T.DOT):
        name += "." + p.ident().value
    return ast.ShowVariable(name)


def _show_objects(p: Parser, object_type: str) -> ast.ShowObjects:
    from_: ast.ObjectName | None = None
    in_cluster: ast.Ident | None = None
    if object_type == "INDEXES" and p.parse_kw("ON"):
        from_ = p.object_name()  # SHOW INDEXES ON t: the relation goes in `from_`
    elif (
        object_type not in _NO_FROM
        and not p.peek_kw("IN", "CLUSTER")
        and p.parse_one_of("FROM", "IN") is not None
    ):
        from_ = p.object_name()
    if object_type in _IN_CLUSTER and p.parse_kws("IN", "CLUSTER"):
        in_cluster = p.ident()
    return ast.ShowObjects(object_type, from_, in_cluster, _filter(p))
