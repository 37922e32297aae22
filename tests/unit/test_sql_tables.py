"""CREATE TABLE, data types, DROP TABLE / SHOW TABLES / SHOW COLUMNS."""

from __future__ import annotations

import pytest

from pymz.errors import SqlSyntaxError
from pymz.sql import ast, parse, parse_one


def _id(*names: str) -> ast.ObjectName:
    return ast.ObjectName(tuple(ast.Ident(n) for n in names))


def _create(sql: str) -> ast.CreateTable:
    stmt = parse_one(sql)
    assert isinstance(stmt, ast.CreateTable)
    return stmt


def _type(text: str) -> ast.DataType:
    stmt = _create(f"CREATE TABLE t (a {text})")
    assert len(stmt.columns) == 1
    return stmt.columns[0].data_type


def _error(sql: str) -> SqlSyntaxError:
    with pytest.raises(SqlSyntaxError) as info:
        parse(sql)
    return info.value


def test_basic_create_table() -> None:
    stmt = _create("CREATE TABLE t (a int, b text)")
    assert stmt == ast.CreateTable(
        _id("t"),
        (
            ast.ColumnDef(ast.Ident("a"), ast.DataType("int")),
            ast.ColumnDef(ast.Ident("b"), ast.DataType("text")),
        ),
        if_not_exists=False,
        constraints=(),
    )


def test_if_not_exists_qualified_and_quoted() -> None:
    stmt = _create('create table if not exists db.s."T" ("Col" INT)')
    assert stmt.if_not_exists
    assert stmt.name == _id("db", "s", "T")
    assert stmt.columns[0].name == ast.Ident("Col")


def test_zero_columns() -> None:
    assert _create("CREATE TABLE t ()").columns == ()


def test_positions() -> None:
    sql = "SELECT 1; CREATE TABLE t (abc numeric(3) DEFAULT 7)"
    stmt = parse(sql)[1].ast
    assert isinstance(stmt, ast.CreateTable)
    col = stmt.columns[0]
    assert col.position == sql.index("abc") + 1
    assert col.name.position == sql.index("abc") + 1
    assert col.data_type.position == sql.index("numeric") + 1
    assert col.default == "7"
    assert ast.expr_position(col.default) == sql.index("7") + 1
    assert stmt.name.position == sql.index("t (") + 1


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("int", ast.DataType("int")),
        ("INT4", ast.DataType("int4")),
        ("int2", ast.DataType("int2")),
        ("int8", ast.DataType("int8")),
        ("integer", ast.DataType("integer")),
        ("smallint", ast.DataType("smallint")),
        ("bigint", ast.DataType("bigint")),
        ("numeric", ast.DataType("numeric")),
        ("numeric(10)", ast.DataType("numeric", (10,))),
        ("NUMERIC (10, 2)", ast.DataType("numeric", (10, 2))),
        ("decimal(5,0)", ast.DataType("decimal", (5, 0))),
        ("real", ast.DataType("real")),
        ("float", ast.DataType("float")),
        ("float(24)", ast.DataType("float", (24,))),
        ("float4", ast.DataType("float4")),
        ("float8", ast.DataType("float8")),
        ("double precision", ast.DataType("double precision")),
        ("DOUBLE   PRECISION", ast.DataType("double precision")),
        ("text", ast.DataType("text")),
        ("varchar", ast.DataType("varchar")),
        ("varchar(20)", ast.DataType("varchar", (20,))),
        ("character varying", ast.DataType("character varying")),
        ("character varying(5)", ast.DataType("character varying", (5,))),
        ("char varying(5)", ast.DataType("character varying", (5,))),
        ("char", ast.DataType("char")),
        ("char(3)", ast.DataType("char", (3,))),
        ("character(3)", ast.DataType("character", (3,))),
        ("bpchar", ast.DataType("bpchar")),
        ("bool", ast.DataType("bool")),
        ("boolean", ast.DataType("boolean")),
        ("date", ast.DataType("date")),
        ("time", ast.DataType("time")),
        ("time(3)", ast.DataType("time", (3,))),
        ("time with time zone", ast.DataType("time with time zone")),
        ("time without time zone", ast.DataType("time without time zone")),
        ("timestamp", ast.DataType("timestamp")),
        ("timestamp(6)", ast.DataType("timestamp", (6,))),
        ("TIMESTAMP WITH TIME ZONE", ast.DataType("timestamp with time zone")),
        ("timestamp(3) without time zone", ast.DataType("timestamp without time zone", (3,))),
        ("timestamptz", ast.DataType("timestamptz")),
        ("timestamptz(2)", ast.DataType("timestamptz", (2,))),
        ("interval", ast.DataType("interval")),
        ("jsonb", ast.DataType("jsonb")),
        ("json", ast.DataType("json")),
        ("bytea", ast.DataType("bytea")),
        ("uuid", ast.DataType("uuid")),
        ("oid", ast.DataType("oid")),
        ("mz_timestamp", ast.DataType("mz_timestamp")),
        ("pg_catalog.int4", ast.DataType("pg_catalog.int4")),
        ('"MyType"', ast.DataType("MyType")),
        ("no_such_type", ast.DataType("no_such_type")),
        ("int[]", ast.DataType("int", (), 1)),
        ("int[][]", ast.DataType("int", (), 2)),
        ("int[3][4]", ast.DataType("int", (), 2)),
        ("text ARRAY", ast.DataType("text", (), 1)),
        ("text ARRAY[5]", ast.DataType("text", (), 1)),
        ("numeric(10,2)[]", ast.DataType("numeric", (10, 2), 1)),
        ("double precision[]", ast.DataType("double precision", (), 1)),
        ("timestamp with time zone[]", ast.DataType("timestamp with time zone", (), 1)),
        ("varchar(3) array", ast.DataType("varchar", (3,), 1)),
    ],
)
def test_data_types(text: str, expected: ast.DataType) -> None:
    assert _type(text) == expected


def test_data_type_str() -> None:
    assert str(ast.DataType("numeric", (10, 2), 2)) == "numeric(10, 2)[][]"


@pytest.mark.parametrize(
    ("sql", "message", "at"),
    [
        ("CREATE TABLE t (a)", "Expected a data type name, found right parenthesis", ")"),
        (
            "CREATE TABLE t (a numeric(x))",
            'Expected literal unsigned integer, found identifier "x"',
            "x",
        ),
        (
            "CREATE TABLE t (a numeric(1.5))",
            'Expected literal unsigned integer, found number "1.5"',
            "1.5",
        ),
        (
            "CREATE TABLE t (a numeric(10,))",
            "Expected literal unsigned integer, found right parenthesis",
            "))",
        ),
        (
            "CREATE TABLE t (a int[x])",
            'Expected literal unsigned integer, found identifier "x"',
            "x",
        ),
        ("CREATE TABLE t (a int[1)", "Expected right square bracket, found right parenthesis", ")"),
        ("CREATE TABLE t (a timestamp with zone)", "Expected TIME, found ZONE", "zone"),
        ("CREATE TABLE t (a FROM)", "Expected a data type name, found FROM", "FROM"),
    ],
)
def test_data_type_errors(sql: str, message: str, at: str) -> None:
    err = _error(sql)
    assert err.message == message
    assert err.position == sql.index(at) + 1


def test_column_options_any_order_and_repeatable() -> None:
    stmt = _create(
        "CREATE TABLE t (a int DEFAULT 1 NOT NULL, b int NOT NULL NOT NULL DEFAULT 2, c int NULL)"
    )
    a, b, c = stmt.columns
    assert (a.not_null, a.default) == (True, "1")
    assert (b.not_null, b.default) == (True, "2")
    assert (c.not_null, c.default) == (False, None)


@pytest.mark.parametrize(
    ("decl", "default"),
    [
        ("DEFAULT NULL", "NULL"),
        ("DEFAULT NULL NOT NULL", "NULL"),
        ("DEFAULT 'a,b'::text", "'a,b'::text"),
        ("DEFAULT (1, 2)", "(1, 2)"),
        ("DEFAULT coalesce(1, (2), 3) + 4 NOT NULL", "coalesce(1, (2), 3) + 4"),
        ("DEFAULT ARRAY[1, 2][1]", "ARRAY[1, 2][1]"),
        ("DEFAULT CASE WHEN true THEN 1 ELSE NULL END", "CASE WHEN true THEN 1 ELSE NULL END"),
        ("DEFAULT now() /* c */ NULL", "now()"),
        ("DEFAULT -1 PRIMARY KEY", "-1"),
        ("DEFAULT $1", "$1"),
        ("DEFAULT 'x' COLLATE \"C\"", "'x'"),
    ],
)
def test_default_expression_extent(decl: str, default: str) -> None:
    assert _create(f"CREATE TABLE t (a int {decl}, b int)").columns[0].default == default


def test_column_constraints_are_recorded() -> None:
    stmt = _create(
        "CREATE TABLE t (a int PRIMARY KEY, b int UNIQUE NOT NULL, "
        "c int CONSTRAINT pos CHECK (c > 0 AND (c < 10)), "
        "d int REFERENCES u (x) ON DELETE SET NULL ON UPDATE NO ACTION DEFERRABLE "
        'INITIALLY DEFERRED, e int UNIQUE NULLS NOT DISTINCT, f text COLLATE "C", '
        "g int CONSTRAINT nn NOT NULL)"
    )
    cols = {c.name.value: c for c in stmt.columns}
    assert cols["a"].constraints == ("PRIMARY KEY",)
    assert cols["b"].constraints == ("UNIQUE",)
    assert cols["b"].not_null
    assert cols["c"].constraints == ("CONSTRAINT pos CHECK (c > 0 AND (c < 10))",)
    assert cols["d"].constraints == (
        "REFERENCES u (x) ON DELETE SET NULL ON UPDATE NO ACTION DEFERRABLE INITIALLY DEFERRED",
    )
    assert cols["e"].constraints == ("UNIQUE NULLS NOT DISTINCT",)
    assert cols["f"].constraints == ('COLLATE "C"',)
    assert cols["g"].constraints == ()
    assert cols["g"].not_null


def test_constraint_text_position() -> None:
    sql = "CREATE TABLE t (a int PRIMARY KEY)"
    (c,) = _create(sql).columns[0].constraints
    assert ast.expr_position(c) == sql.index("PRIMARY") + 1


def test_table_constraints() -> None:
    sql = (
        "CREATE TABLE t (a int, PRIMARY KEY (a, b), CONSTRAINT u1 UNIQUE (b), b int, "
        "CHECK (a <> b), FOREIGN KEY (a) REFERENCES s.u (x) ON DELETE CASCADE)"
    )
    stmt = _create(sql)
    assert [c.name.value for c in stmt.columns] == ["a", "b"]
    assert stmt.constraints == (
        ast.TableConstraint("PRIMARY KEY", None, "PRIMARY KEY (a, b)"),
        ast.TableConstraint("UNIQUE", ast.Ident("u1"), "CONSTRAINT u1 UNIQUE (b)"),
        ast.TableConstraint("CHECK", None, "CHECK (a <> b)"),
        ast.TableConstraint(
            "FOREIGN KEY", None, "FOREIGN KEY (a) REFERENCES s.u (x) ON DELETE CASCADE"
        ),
    )
    assert stmt.constraints[1].position == sql.index("CONSTRAINT") + 1


def test_quoted_constraint_word_is_a_column() -> None:
    stmt = _create('CREATE TABLE t ("primary" int)')
    assert stmt.columns[0].name == ast.Ident("primary")
    assert stmt.constraints == ()


@pytest.mark.parametrize(
    ("sql", "message", "at"),
    [
        ("CREATE TABLE t", "Expected left parenthesis, found EOF", None),
        ("CREATE TABLE t (a int", "Expected right parenthesis, found EOF", None),
        ("CREATE TABLE t (a int,)", "Expected identifier, found right parenthesis", ")"),
        ("CREATE TABLE t (a int) x", 'Expected end of statement, found identifier "x"', "x"),
        ("CREATE TABLE t (a int DEFAULT)", "Expected an expression, found right parenthesis", ")"),
        ("CREATE TABLE t (a int DEFAULT (1)", "Expected right parenthesis, found EOF", None),
        ("CREATE TABLE t (a int PRIMARY)", "Expected KEY, found right parenthesis", ")"),
        (
            "CREATE TABLE t (a int CHECK a > 1)",
            'Expected left parenthesis, found identifier "a"',
            "a >",
        ),
        (
            "CREATE TABLE t (a int FOO)",
            (
                "Expected one of CHECK or COLLATE or CONSTRAINT or DEFAULT or NOT or NULL or "
                "PRIMARY or REFERENCES or UNIQUE or comma or right parenthesis, "
                'found identifier "foo"'
            ),
            "FOO",
        ),
        ("CREATE TABLE t (PRIMARY KEY a)", 'Expected left parenthesis, found identifier "a"', "a)"),
        (
            "CREATE TABLE t (FOREIGN KEY (a) u (x))",
            'Expected REFERENCES, found identifier "u"',
            "u (",
        ),
        (
            "CREATE TABLE t (a int REFERENCES u ON DELETE x)",
            'Expected one of CASCADE or NO or RESTRICT or SET, found identifier "x"',
            "x)",
        ),
        (
            "CREATE TABLE t (a int NOT NULL NULL)",
            'conflicting NULL/NOT NULL declarations for column "a"',
            "NULL)",
        ),
        (
            "CREATE TABLE t (a int DEFAULT 1 DEFAULT 2)",
            'multiple default values specified for column "a"',
            "DEFAULT 2",
        ),
    ],
)
def test_create_table_errors(sql: str, message: str, at: str | None) -> None:
    err = _error(sql)
    assert err.message == message
    assert err.position == (len(sql) + 1 if at is None else sql.index(at) + 1)


def test_create_table_unsupported_forms() -> None:
    sql = "CREATE TEMPORARY TABLE t (a int)"
    assert parse_one(sql) == ast.Unsupported(sql, "CREATE TABLE")


def test_drop_table() -> None:
    assert parse_one("DROP TABLE IF EXISTS a, s.b CASCADE") == ast.DropObjects(
        "TABLE", True, (_id("a"), _id("s", "b")), True
    )
    assert parse_one("DROP TABLE t RESTRICT") == ast.DropObjects("TABLE", False, (_id("t"),), False)


def test_show_tables_and_columns() -> None:
    assert parse_one("SHOW TABLES FROM s") == ast.ShowObjects("TABLES", _id("s"), None, None)
    assert parse_one("SHOW TABLES") == ast.ShowObjects("TABLES", None, None, None)
    assert parse_one("SHOW COLUMNS FROM s.t") == ast.ShowColumns(_id("s", "t"), None)


def test_create_or_replace_table_is_unsupported() -> None:
    sql = "CREATE OR REPLACE TABLE t (a int)"
    assert parse_one(sql) == ast.Unsupported(sql, "CREATE TABLE")
