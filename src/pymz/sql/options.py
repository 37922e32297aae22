"""``NAME [= value]`` option lists with multi-word option names.

Option names are part of the grammar (as in Materialize), so an unknown name is a syntax
error listing the valid words. Duplicate options and value types are the planner's job.
"""

from __future__ import annotations

from pymz.sql import ast
from pymz.sql.lexer import T
from pymz.sql.parser import Parser, one_of

CLUSTER_OPTIONS: tuple[str, ...] = (
    "AVAILABILITY ZONES",
    "DISK",
    "INTROSPECTION DEBUGGING",
    "INTROSPECTION INTERVAL",
    "MANAGED",
    "REPLICAS",
    "REPLICATION FACTOR",
    "SCHEDULE",
    "SIZE",
    "WORKLOAD CLASS",
)

REPLICA_OPTIONS: tuple[str, ...] = (
    "AVAILABILITY ZONE",
    "BILLED AS",
    "COMPUTE ADDRESSES",
    "COMPUTECTL ADDRESSES",
    "DISK",
    "INTERNAL",
    "INTROSPECTION DEBUGGING",
    "INTROSPECTION INTERVAL",
    "SIZE",
    "STORAGE ADDRESSES",
    "STORAGECTL ADDRESSES",
    "WORKERS",
)

REFRESH_SCHEDULE_OPTIONS: tuple[str, ...] = ("HYDRATION TIME ESTIMATE",)


def option_name(p: Parser, names: tuple[str, ...]) -> tuple[str, int]:
    """Parse one of the multi-word ``names``; returns it and its 1-based position."""
    pos = p.peek().start + 1
    candidates = [n.split() for n in names]
    depth = 0
    words: list[str] = []
    while True:
        # No name in the tables is a prefix of another, so each word narrows the choice.
        choices = sorted({c[depth] for c in candidates if len(c) > depth})
        kw = p.peek().keyword
        if kw is None or kw not in choices:
            raise p.error(one_of(choices))
        p.next()
        words.append(kw)
        depth += 1
        candidates = [c for c in candidates if c[: len(words)] == words]
        if not any(len(c) > depth for c in candidates):
            break
    return " ".join(words), pos


def option(p: Parser, names: tuple[str, ...]) -> ast.Option:
    name, pos = option_name(p, names)
    value: ast.OptionValue | None = None
    has_eq = p.consume(T.EQ) is not None
    if has_eq or p.peek().kind not in (T.COMMA, T.RPAREN, T.EOF):
        value = option_value(p, name)
    return ast.Option(name, value, position=pos)


def option_value(p: Parser, name: str) -> ast.OptionValue:
    if name == "REPLICAS":
        return replicas_value(p)
    if name == "SCHEDULE" and p.peek_kw("ON", "REFRESH"):
        pos = p.peek().start + 1
        p.next()
        p.next()
        opts: tuple[ast.Option, ...] = ()
        if p.peek().kind is T.LPAREN:
            opts = tuple(p.parens(lambda: option(p, REFRESH_SCHEDULE_OPTIONS)))
        return ast.RefreshScheduleValue(opts, position=pos)
    return p.value()


def replica_definition(p: Parser) -> ast.ReplicaDefinition:
    name = p.ident()
    opts = p.parens(lambda: option(p, REPLICA_OPTIONS))
    return ast.ReplicaDefinition(name, tuple(opts), position=name.position)


def replicas_value(p: Parser) -> ast.ReplicasValue:
    start = p.expect(T.LPAREN)
    replicas: list[ast.ReplicaDefinition] = []
    if not p.consume(T.RPAREN):
        replicas = p.comma_separated(lambda: replica_definition(p))
        p.expect(T.RPAREN)
    return ast.ReplicasValue(tuple(replicas), position=start.start + 1)


def option_list(p: Parser, names: tuple[str, ...]) -> tuple[ast.Option, ...]:
    """``(opt, ...)``"""
    return tuple(p.parens(lambda: option(p, names)))


def option_names(p: Parser, names: tuple[str, ...]) -> tuple[ast.Option, ...]:
    """``(NAME, ...)`` as used by ``RESET``; each option gets ``value=None``."""

    def one() -> ast.Option:
        name, pos = option_name(p, names)
        return ast.Option(name, None, position=pos)

    return tuple(p.parens(one))
