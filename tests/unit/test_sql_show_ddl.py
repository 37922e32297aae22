"""SHOW, CREATE DATABASE/SCHEMA/ROLE, generic DROP, pass-through and unsupported statements."""

from __future__ import annotations

import pytest

from pymz.sql import ast, parse_one
from pymz.sql.ast import Ident, LikeFilter, ObjectName, Option, ShowObjects, WhereFilter


def name(*parts: str) -> ObjectName:
    return ObjectName(tuple(Ident(p) for p in parts))


@pytest.mark.parametrize(
    ("sql", "expected"),
    [
        ("SHOW CLUSTERS", ShowObjects("CLUSTERS", None, None, None)),
        (
            "show clusters like 'q%'",
            ShowObjects("CLUSTERS", None, None, LikeFilter("q%")),
        ),
        (
            "SHOW CLUSTER REPLICAS WHERE cluster = 'quickstart' AND (size <> '1')",
            ShowObjects(
                "CLUSTER REPLICAS",
                None,
                None,
                WhereFilter("cluster = 'quickstart' AND (size <> '1')"),
            ),
        ),
        ("SHOW DATABASES", ShowObjects("DATABASES", None, None, None)),
        ("SHOW SCHEMAS FROM db", ShowObjects("SCHEMAS", name("db"), None, None)),
        ("SHOW ROLES", ShowObjects("ROLES", None, None, None)),
        ("SHOW SECRETS FROM d.s", ShowObjects("SECRETS", name("d", "s"), None, None)),
        ("SHOW TABLES", ShowObjects("TABLES", None, None, None)),
        ("SHOW VIEWS IN s", ShowObjects("VIEWS", name("s"), None, None)),
        (
            "SHOW MATERIALIZED VIEWS FROM s IN CLUSTER c",
            ShowObjects("MATERIALIZED VIEWS", name("s"), Ident("c"), None),
        ),
        ("SHOW INDEXES IN CLUSTER c", ShowObjects("INDEXES", None, Ident("c"), None)),
        ("SHOW INDEXES ON t", ShowObjects("INDEXES", name("t"), None, None)),
        ("SHOW SOURCES", ShowObjects("SOURCES", None, None, None)),
        ("SHOW SINKS", ShowObjects("SINKS", None, None, None)),
        ("SHOW CREATE CLUSTER c", ast.ShowCreate("CLUSTER", name("c"))),
        ("SHOW CREATE MATERIALIZED VIEW a.b", ast.ShowCreate("MATERIALIZED VIEW", name("a", "b"))),
        ("SHOW COLUMNS FROM t", ast.ShowColumns(name("t"), None)),
        ("SHOW cluster", ast.ShowVariable("cluster")),
        ("SHOW CLUSTER", ast.ShowVariable("cluster")),
        ("SHOW search_path", ast.ShowVariable("search_path")),
        ("SHOW server_version", ast.ShowVariable("server_version")),
        ('SHOW "Foo"', ast.ShowVariable("Foo")),
        ("SHOW ALL", ast.ShowVariable("all")),
        ("SHOW DATABASE", ast.ShowVariable("database")),
        ("SHOW TRANSACTION ISOLATION LEVEL", ast.ShowVariable("transaction_isolation")),
        ("SHOW TIME ZONE", ast.ShowVariable("timezone")),
    ],
)
def test_show(sql: str, expected: ast.Statement) -> None:
    assert parse_one(sql) == expected


def test_show_where_position() -> None:
    sql = "SHOW CLUSTERS WHERE name = 'x'"
    stmt = parse_one(sql)
    assert isinstance(stmt, ShowObjects)
    assert isinstance(stmt.filter, WhereFilter)
    assert stmt.filter.position == sql.index("name") + 1


@pytest.mark.parametrize(
    ("sql", "expected"),
    [
        ("CREATE DATABASE d", ast.CreateDatabase(Ident("d"), False)),
        ("CREATE DATABASE IF NOT EXISTS d", ast.CreateDatabase(Ident("d"), True)),
        ("CREATE SCHEMA s", ast.CreateSchema(name("s"), False)),
        ("create schema if not exists D.S", ast.CreateSchema(name("d", "s"), True)),
        ("CREATE ROLE r", ast.CreateRole(Ident("r"), ())),
        (
            "CREATE ROLE r WITH SUPERUSER LOGIN PASSWORD 'pw'",
            ast.CreateRole(
                Ident("r"),
                (
                    Option("SUPERUSER", None),
                    Option("LOGIN", None),
                    Option("PASSWORD", ast.StringValue("pw")),
                ),
            ),
        ),
        ("CREATE ROLE r NOINHERIT", ast.CreateRole(Ident("r"), (Option("NOINHERIT", None),))),
    ],
)
def test_create_other(sql: str, expected: ast.Statement) -> None:
    assert parse_one(sql) == expected


@pytest.mark.parametrize(
    ("sql", "kind"),
    [
        ("DROP TABLE t", "TABLE"),
        ("DROP VIEW a.b.c", "VIEW"),
        ("DROP MATERIALIZED VIEW mv", "MATERIALIZED VIEW"),
        ("DROP INDEX i", "INDEX"),
        ("DROP SOURCE s", "SOURCE"),
        ("DROP SINK s", "SINK"),
        ("DROP SECRET s", "SECRET"),
        ("DROP SCHEMA s", "SCHEMA"),
        ("DROP DATABASE d", "DATABASE"),
        ("DROP ROLE r", "ROLE"),
    ],
)
def test_drop_generic(sql: str, kind: str) -> None:
    stmt = parse_one(sql)
    assert isinstance(stmt, ast.DropObjects)
    assert stmt.object_type == kind
    assert not stmt.if_exists
    assert not stmt.cascade


def test_drop_names_and_behaviour() -> None:
    assert parse_one("DROP TABLE IF EXISTS a, s.b CASCADE") == ast.DropObjects(
        "TABLE", True, (name("a"), name("s", "b")), True
    )


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT 1",
        "select * from t where a = $1 for update",
        "WITH x AS (SELECT 1) SELECT * FROM x",
        "VALUES (1), (2)",
        "TABLE t",
        "(SELECT 1) UNION (SELECT 2)",
    ],
)
def test_queries_are_text(sql: str) -> None:
    assert parse_one(sql) == ast.Query(sql)


def test_explain_keeps_statement_text() -> None:
    sql = "EXPLAIN OPTIMIZED PLAN FOR SELECT 1"
    stmt = parse_one(sql)
    assert isinstance(stmt, ast.Explain)
    assert stmt.text == sql  # structured fields: tests/unit/test_sql_views.py


@pytest.mark.parametrize(
    ("sql", "kind"),
    [
        ("CREATE TEMP TABLE t (a int)", "CREATE TABLE"),
        ("CREATE SOURCE s FROM LOAD GENERATOR COUNTER", "CREATE SOURCE"),
        ("ALTER VIEW v SET CLUSTER c", "ALTER VIEW"),
        ("EXPLAIN TIMESTAMP FOR SELECT 1", "EXPLAIN TIMESTAMP"),
        ("CREATE OR REPLACE SECRET s AS 'x'", "CREATE SECRET"),
        ("CREATE TABLE t (a int) WITH (RETAIN HISTORY = FOR '1h')", "CREATE TABLE WITH"),
        ("CREATE TABLE t FROM SOURCE s (REFERENCE x)", "CREATE TABLE FROM SOURCE"),
        ("DELETE FROM t USING u WHERE t.a = u.a", "DELETE USING"),
        ("COPY t FROM '/tmp/f'", "COPY FROM file"),
        ("COPY t TO PROGRAM 'cat'", "COPY TO file"),
        ("ALTER TABLE t RENAME TO u", "ALTER TABLE"),
        ("ALTER SYSTEM SET x = 1", "ALTER SYSTEM"),
        ("DROP OWNED BY r", "DROP OWNED"),
        ("GRANT SELECT ON t TO r", "GRANT"),
    ],
)
def test_unsupported(sql: str, kind: str) -> None:
    assert parse_one(sql) == ast.Unsupported(sql, kind)
