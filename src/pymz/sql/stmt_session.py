"""Session and transaction control: SET, RESET, BEGIN, COMMIT, ROLLBACK, DISCARD, DEALLOCATE."""

from __future__ import annotations

from pymz.sql import ast
from pymz.sql.lexer import T
from pymz.sql.parser import Parser, one_of

_ISOLATION_LEVELS: tuple[tuple[str, ...], ...] = (
    ("STRONG", "SESSION", "SERIALIZABLE"),
    ("STRICT", "SERIALIZABLE"),
    ("READ", "UNCOMMITTED"),
    ("READ", "COMMITTED"),
    ("REPEATABLE", "READ"),
    ("SERIALIZABLE",),
)


def _variable_name(p: Parser) -> tuple[str, int]:
    tok = p.peek()
    name = p.ident().value
    while p.consume(T.DOT):
        name += "." + p.ident().value
    return name, tok.start + 1


def parse_set(p: Parser) -> ast.Statement:
    p.expect_kw("SET")
    if p.parse_kws("SESSION", "CHARACTERISTICS"):
        p.expect_kws("AS", "TRANSACTION")
        return ast.SetTransaction(_transaction_modes(p, required=True), local=False)
    if p.parse_kw("TRANSACTION"):
        return ast.SetTransaction(_transaction_modes(p, required=True), local=True)
    local = p.parse_one_of("SESSION", "LOCAL") == "LOCAL"
    if p.peek_kw("TIME", "ZONE"):
        pos = p.peek().start + 1
        p.next()
        p.next()
        if p.parse_one_of("LOCAL", "DEFAULT"):
            return ast.SetVariable("timezone", None, local, position=pos)
        value = p.value("variable value")
        return ast.SetVariable("timezone", (value,), local, position=pos)
    # PostgreSQL's aliases `SET SCHEMA 'x'` and `SET NAMES 'x'` take one value and no `=`.
    alias = {"SCHEMA": "search_path", "NAMES": "client_encoding"}.get(p.peek().keyword or "")
    if alias is not None and p.peek(1).kind not in (T.EQ, T.EOF) and not p.peek_kw("TO", k=1):
        pos = p.next().start + 1
        if p.parse_kw("DEFAULT"):
            return ast.SetVariable(alias, None, local, position=pos)
        return ast.SetVariable(alias, (p.value("variable value"),), local, position=pos)
    name, pos = _variable_name(p)
    if p.consume(T.EQ) is None and not p.parse_kw("TO"):
        raise p.error("equals sign or TO")
    if p.parse_kw("DEFAULT"):
        return ast.SetVariable(name, None, local, position=pos)
    values = tuple(p.comma_separated(lambda: p.value("variable value")))
    return ast.SetVariable(name, values, local, position=pos)


def parse_reset(p: Parser) -> ast.Statement:
    p.expect_kw("RESET")
    if p.parse_kw("ALL"):
        return ast.ResetVariable(None)
    return ast.ResetVariable(_variable_name(p)[0])


def _transaction_mode(p: Parser) -> ast.TransactionMode:
    if p.parse_kws("ISOLATION", "LEVEL"):
        for words in _ISOLATION_LEVELS:
            if p.parse_kws(*words):
                return ast.IsolationLevel(" ".join(words))
        raise p.error(one_of(("READ", "REPEATABLE", "SERIALIZABLE", "STRICT", "STRONG")))
    if p.parse_kw("READ"):
        return ast.AccessMode(p.expect_one_of("ONLY", "WRITE") == "ONLY")
    raise p.error(one_of(("ISOLATION", "READ")))


def _transaction_modes(p: Parser, *, required: bool) -> tuple[ast.TransactionMode, ...]:
    if not required and p.at_end():
        return ()
    modes = [_transaction_mode(p)]
    # Modes are separated by commas or just by whitespace, as in PostgreSQL.
    while p.consume(T.COMMA) or not p.at_end():
        modes.append(_transaction_mode(p))
    return tuple(modes)


def parse_begin(p: Parser) -> ast.Statement:
    if p.parse_kw("START"):
        p.expect_kw("TRANSACTION")
    else:
        p.expect_kw("BEGIN")
        p.parse_one_of("TRANSACTION", "WORK")
    return ast.StartTransaction(_transaction_modes(p, required=False))


def _chain(p: Parser) -> bool:
    if p.parse_kw("AND"):
        no = p.parse_kw("NO")
        p.expect_kw("CHAIN")
        return not no
    return False


def parse_commit(p: Parser) -> ast.Statement:
    p.expect_one_of("COMMIT", "END")
    p.parse_one_of("TRANSACTION", "WORK")
    return ast.Commit(_chain(p))


def parse_rollback(p: Parser) -> ast.Statement:
    p.expect_one_of("ROLLBACK", "ABORT")
    p.parse_one_of("TRANSACTION", "WORK")
    return ast.Rollback(_chain(p))


def parse_discard(p: Parser) -> ast.Statement:
    p.expect_kw("DISCARD")
    target = p.expect_one_of("ALL", "PLANS", "SEQUENCES", "TEMP", "TEMPORARY")
    return ast.Discard("TEMP" if target == "TEMPORARY" else target)


def parse_deallocate(p: Parser) -> ast.Statement:
    p.expect_kw("DEALLOCATE")
    p.parse_kw("PREPARE")
    if p.parse_kw("ALL"):
        return ast.Deallocate(None)
    return ast.Deallocate(p.ident())
