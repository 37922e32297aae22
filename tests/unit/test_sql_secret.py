"""Parsing of CREATE / ALTER / DROP / SHOW [CREATE] SECRET(S)."""

from __future__ import annotations

import pytest

from pymz.errors import SqlSyntaxError
from pymz.sql import ast, parse_one


def name(*parts: str) -> ast.ObjectName:
    return ast.ObjectName(tuple(ast.Ident(p) for p in parts))


@pytest.mark.parametrize(
    ("sql", "expected"),
    [
        ("CREATE SECRET s AS 'v'", ast.CreateSecret(name("s"), False, ast.SecretValue("v"))),
        ("create secret if not exists db.sc.s as 'v'::bytea",
         ast.CreateSecret(name("db", "sc", "s"), True, ast.SecretValue("v"))),
        ("CREATE SECRET \"S\" AS decode('aGk=', 'BASE64')",
         ast.CreateSecret(name("S"), False, ast.SecretValue("aGk=", "base64"))),
        ("CREATE SECRET s AS E'a\\nb'", ast.CreateSecret(name("s"), False,
                                                         ast.SecretValue("a\nb"))),
        ("CREATE SECRET s AS $$it's$$", ast.CreateSecret(name("s"), False,
                                                         ast.SecretValue("it's"))),
        ("ALTER SECRET s AS 'w'", ast.AlterSecret(name("s"), False, ast.SecretValue("w"))),
        ("ALTER SECRET IF EXISTS sc.s AS decode('00', 'hex')",
         ast.AlterSecret(name("sc", "s"), True, ast.SecretValue("00", "hex"))),
        ("ALTER SECRET s RENAME TO t", ast.AlterRename("SECRET", False, name("s"),
                                                       ast.Ident("t"))),
        ("ALTER SECRET IF EXISTS s OWNER TO r",
         ast.AlterOwner("SECRET", True, name("s"), ast.Ident("r"))),
        ("DROP SECRET IF EXISTS a, sc.b CASCADE",
         ast.DropObjects("SECRET", True, (name("a"), name("sc", "b")), True)),
        ("SHOW SECRETS", ast.ShowObjects("SECRETS", None, None, None)),
        ("SHOW SECRETS FROM sc LIKE 'a%'",
         ast.ShowObjects("SECRETS", name("sc"), None, ast.LikeFilter("a%"))),
        ("SHOW CREATE SECRET db.sc.s", ast.ShowCreate("SECRET", name("db", "sc", "s"))),
    ],
)
def test_parse(sql: str, expected: ast.Statement) -> None:
    assert parse_one(sql) == expected


def test_positions() -> None:
    stmt = parse_one("CREATE SECRET s AS decode('x', 'hex')")
    assert isinstance(stmt, ast.CreateSecret)
    assert stmt.value.position == 20


def test_repr_redacts_the_value() -> None:
    stmt = parse_one("CREATE SECRET s AS 'hunter2'")
    alter = parse_one("ALTER SECRET s AS decode('aHVudGVyMg==', 'base64')")
    for text in (repr(stmt), str(stmt), repr(alter), str(alter)):
        assert "hunter2" not in text and "aHVudGVyMg" not in text


@pytest.mark.parametrize(
    ("sql", "message"),
    [
        ("CREATE SECRET s 'hunter2'", "Expected AS, found string literal"),
        ("CREATE SECRET s AS 'hunter2' 'more'", "Expected end of statement, found string "
         "literal"),
        ("CREATE SECRET s AS 'hunter2'::text", "Expected bytea, found identifier \"text\""),
        ("CREATE SECRET s AS decode('hunter2' 'hex')", "Expected comma, found string literal"),
        ("CREATE SECRET s AS decode('hunter2', 'hex' 'x')",
         "Expected right parenthesis, found string literal"),
        ("CREATE SECRET s AS upper('hunter2')",
         "Expected literal string, found identifier \"upper\""),
        ("ALTER SECRET s 'hunter2'", "Expected one of AS or OWNER or RENAME, found string "
         "literal"),
        ("CREATE SECRET AS 'hunter2'", "Expected identifier, found AS"),
    ],
)
def test_errors_do_not_echo_the_value(sql: str, message: str) -> None:
    with pytest.raises(SqlSyntaxError) as info:
        parse_one(sql)
    assert info.value.message == message
    assert "hunter2" not in str(info.value)
    assert info.value.position is not None


def test_other_forms_stay_unsupported() -> None:
    assert parse_one("CREATE OR REPLACE SECRET s AS 'x'") == ast.Unsupported(
        "CREATE OR REPLACE SECRET s AS 'x'", "CREATE SECRET")
