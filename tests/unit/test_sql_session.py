"""SET / RESET / transactions / DISCARD / DEALLOCATE."""

from __future__ import annotations

import pytest

from pymz.sql import ast, parse_one
from pymz.sql.ast import (
    AccessMode,
    BooleanValue,
    Ident,
    IdentValue,
    IsolationLevel,
    NumberValue,
    SetVariable,
    StringValue,
)


@pytest.mark.parametrize(
    ("sql", "expected"),
    [
        ("SET cluster = quickstart", SetVariable("cluster", (IdentValue("quickstart"),))),
        ("set CLUSTER to 'Prod'", SetVariable("cluster", (StringValue("Prod"),))),
        ('SET cluster = "Prod"', SetVariable("cluster", (IdentValue("Prod"),))),
        (
            "SET search_path = public, mz_catalog",
            SetVariable("search_path", (IdentValue("public"), IdentValue("mz_catalog"))),
        ),
        ("SET SESSION x = 1.5", SetVariable("x", (NumberValue("1.5"),))),
        ("SET LOCAL x TO -3", SetVariable("x", (NumberValue("-3"),), local=True)),
        ("SET x = true", SetVariable("x", (BooleanValue(True),))),
        ("SET x = on", SetVariable("x", (IdentValue("on"),))),
        ("SET x TO DEFAULT", SetVariable("x", None)),
        ("SET a.b = 'c'", SetVariable("a.b", (StringValue("c"),))),
        ("SET TIME ZONE 'UTC'", SetVariable("timezone", (StringValue("UTC"),))),
        ("SET TIME ZONE LOCAL", SetVariable("timezone", None)),
        ("SET LOCAL TIME ZONE DEFAULT", SetVariable("timezone", None, local=True)),
        ("SET SCHEMA 'public'", SetVariable("search_path", (StringValue("public"),))),
        ("SET NAMES 'UTF8'", SetVariable("client_encoding", (StringValue("UTF8"),))),
        ("SET schema = x", SetVariable("schema", (IdentValue("x"),))),
    ],
)
def test_set(sql: str, expected: ast.Statement) -> None:
    assert parse_one(sql) == expected


def test_set_value_text() -> None:
    stmt = parse_one("SET x = 'a', b, 1, false")
    assert isinstance(stmt, SetVariable)
    assert stmt.values is not None
    assert [v.to_text() for v in stmt.values] == ["a", "b", "1", "false"]


def test_set_transaction() -> None:
    assert parse_one("SET TRANSACTION ISOLATION LEVEL STRICT SERIALIZABLE") == (
        ast.SetTransaction((IsolationLevel("STRICT SERIALIZABLE"),), local=True)
    )
    assert parse_one(
        "SET SESSION CHARACTERISTICS AS TRANSACTION ISOLATION LEVEL READ COMMITTED"
    ) == ast.SetTransaction((IsolationLevel("READ COMMITTED"),), local=False)


def test_reset() -> None:
    assert parse_one("RESET cluster") == ast.ResetVariable("cluster")
    assert parse_one("RESET ALL") == ast.ResetVariable(None)


@pytest.mark.parametrize(
    ("sql", "modes"),
    [
        ("BEGIN", ()),
        ("begin work", ()),
        ("BEGIN TRANSACTION READ ONLY", (AccessMode(True),)),
        ("START TRANSACTION READ WRITE", (AccessMode(False),)),
        (
            "BEGIN ISOLATION LEVEL SERIALIZABLE, READ ONLY",
            (IsolationLevel("SERIALIZABLE"), AccessMode(True)),
        ),
        (
            "BEGIN ISOLATION LEVEL REPEATABLE READ READ WRITE",
            (IsolationLevel("REPEATABLE READ"), AccessMode(False)),
        ),
        (
            "START TRANSACTION ISOLATION LEVEL STRONG SESSION SERIALIZABLE",
            (IsolationLevel("STRONG SESSION SERIALIZABLE"),),
        ),
    ],
)
def test_begin(sql: str, modes: tuple[ast.TransactionMode, ...]) -> None:
    assert parse_one(sql) == ast.StartTransaction(modes)


@pytest.mark.parametrize(
    ("sql", "expected"),
    [
        ("COMMIT", ast.Commit()),
        ("commit work", ast.Commit()),
        ("END TRANSACTION", ast.Commit()),
        ("COMMIT AND CHAIN", ast.Commit(chain=True)),
        ("COMMIT AND NO CHAIN", ast.Commit()),
        ("ROLLBACK", ast.Rollback()),
        ("ROLLBACK TRANSACTION", ast.Rollback()),
        ("ABORT", ast.Rollback()),
        ("DISCARD ALL", ast.Discard("ALL")),
        ("DISCARD TEMPORARY", ast.Discard("TEMP")),
        ("discard plans", ast.Discard("PLANS")),
        ("DEALLOCATE s1", ast.Deallocate(Ident("s1"))),
        ("DEALLOCATE PREPARE s1", ast.Deallocate(Ident("s1"))),
        ("DEALLOCATE ALL", ast.Deallocate(None)),
    ],
)
def test_transaction_control(sql: str, expected: ast.Statement) -> None:
    assert parse_one(sql) == expected
