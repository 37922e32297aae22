"""Syntax errors: Materialize-style messages and 1-based positions into the full text."""

from __future__ import annotations

import pytest

from pymz.errors import SqlSyntaxError
from pymz.sql import parse, parse_one

_CLUSTER_OPTS = (
    "one of AVAILABILITY or DISK or INTROSPECTION or MANAGED or REPLICAS or REPLICATION "
    "or SCHEDULE or SIZE or WORKLOAD"
)


_START = "Expected a keyword at the beginning of a statement"


def _err(sql: str) -> SqlSyntaxError:
    with pytest.raises(SqlSyntaxError) as ei:
        parse(sql)
    assert ei.value.sqlstate == "42601"
    return ei.value


@pytest.mark.parametrize(
    ("sql", "message", "at"),
    [
        # Unknown statements.
        ("foo", f'{_START}, found identifier "foo"', "foo"),
        ("FROM t", "Expected a keyword at the beginning of a statement, found FROM", "FROM"),
        ("1", 'Expected a keyword at the beginning of a statement, found number "1"', "1"),
        (
            "SELECT 1; bogus",
            'Expected a keyword at the beginning of a statement, found identifier "bogus"',
            "bogus",
        ),
        # Truncated / malformed option lists.
        ("CREATE CLUSTER", "Expected identifier, found EOF", None),
        ("CREATE CLUSTER c (SIZE = '1'", "Expected right parenthesis, found EOF", None),
        ("CREATE CLUSTER c (SIZE = ", "Expected option value, found EOF", None),
        ("CREATE CLUSTER c (SIZE = )", "Expected option value, found right parenthesis", ")"),
        ("CREATE CLUSTER c (SIZE = ,)", "Expected option value, found comma", ","),
        ("CREATE CLUSTER c (FOO = 1)", f'Expected {_CLUSTER_OPTS}, found identifier "foo"', "FOO"),
        ("CREATE CLUSTER c ()", f"Expected {_CLUSTER_OPTS}, found right parenthesis", ")"),
        (
            "CREATE CLUSTER c (SIZE = '1',)",
            f"Expected {_CLUSTER_OPTS}, found right parenthesis",
            ")",
        ),
        ("CREATE CLUSTER c (REPLICATION = 1)", "Expected FACTOR, found equals sign", "="),
        (
            "CREATE CLUSTER c (INTROSPECTION = 1)",
            "Expected one of DEBUGGING or INTERVAL, found equals sign",
            "=",
        ),
        (
            "CREATE CLUSTER c (SIZE = '1') extra",
            'Expected end of statement, found identifier "extra"',
            "extra",
        ),
        (
            "CREATE CLUSTER c (REPLICAS (r1))",
            "Expected left parenthesis, found right parenthesis",
            "))",
        ),
        (
            "CREATE CLUSTER c (REPLICAS (r1 (SIZE = '1', WORKERZ = 2)))",
            "Expected one of AVAILABILITY or BILLED or COMPUTE or COMPUTECTL or DISK or INTERNAL "
            "or INTROSPECTION or SIZE or STORAGE or STORAGECTL or WORKERS, "
            'found identifier "workerz"',
            "WORKERZ",
        ),
        ("CREATE CLUSTER select", "Expected identifier, found SELECT", "select"),
        # Bad numbers.
        (
            "CREATE CLUSTER c (REPLICATION FACTOR = 1.2.3)",
            'Expected right parenthesis, found number ".3"',
            ".3",
        ),
        ("CREATE CLUSTER c (REPLICATION FACTOR = 1e-)", "missing required exponent", "e-"),
        # Lexical errors anywhere fail the whole string.
        ("SELECT 1; SELECT 'abc", "unterminated quoted string", "'abc"),
        ("SELECT /* a /* b */", "unterminated multiline comment", "/* a"),
        ("SELECT $a$ x", "unterminated dollar-quoted string", "$a$"),
        ('SHOW "abc', "unterminated quoted identifier", '"abc'),
        # Other statements.
        ("CREATE FOO", None, "FOO"),
        ("DROP CLUSTER REPLICA c", "Expected dot, found EOF", None),
        ("DROP CLUSTER a b", 'Expected end of statement, found identifier "b"', "b"),
        (
            "ALTER CLUSTER c FOO",
            'Expected one of OWNER or RENAME or RESET or SET or SWAP, found identifier "foo"',
            "FOO",
        ),
        ("ALTER CLUSTER c RENAME d", 'Expected TO, found identifier "d"', "d"),
        ("SHOW CLUSTERS LIKE", "Expected literal string, found EOF", None),
        ("SHOW CLUSTERS WHERE", "Expected expression, found EOF", None),
        ("SET x", "Expected equals sign or TO, found EOF", None),
        ("SET x = ", "Expected variable value, found EOF", None),
        ("BEGIN READ", "Expected one of ONLY or WRITE, found EOF", None),
        ("BEGIN READ ONLY,", "Expected one of ISOLATION or READ, found EOF", None),
        (
            "BEGIN ISOLATION LEVEL FOO",
            "Expected one of READ or REPEATABLE or SERIALIZABLE or STRICT or STRONG, "
            'found identifier "foo"',
            "FOO",
        ),
        (
            "DISCARD x",
            'Expected one of ALL or PLANS or SEQUENCES or TEMP or TEMPORARY, found identifier "x"',
            "x",
        ),
        ("COMMIT foo", 'Expected end of statement, found identifier "foo"', "foo"),
        ("RESET", "Expected identifier, found EOF", None),
    ],
)
def test_errors(sql: str, message: str | None, at: str | None) -> None:
    err = _err(sql)
    if message is not None:
        assert err.message == message
    # `at` is the text the error points at; None means end of input.
    expected = len(sql) + 1 if at is None else sql.rindex(at) + 1
    assert err.position == expected


def test_eof_position_is_the_semicolon() -> None:
    sql = "CREATE CLUSTER c (SIZE = '1'; SELECT 1"
    assert _err(sql).position == sql.index(";") + 1


def test_create_expected_list_mentions_cluster() -> None:
    msg = _err("CREATE FOO").message
    assert msg.startswith("Expected one of CLUSTER or ")
    assert msg.endswith('found identifier "foo"')


def test_parse_one_requires_exactly_one() -> None:
    with pytest.raises(SqlSyntaxError, match="expected a single statement, found 2"):
        parse_one("SELECT 1; SELECT 2")
    with pytest.raises(SqlSyntaxError, match="found 0"):
        parse_one(" -- nothing")
