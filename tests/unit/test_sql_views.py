"""Views, materialized views, indexes, SUBSCRIBE, cursors and EXPLAIN (pymz.sql)."""

from __future__ import annotations

import pytest

from pymz.errors import SqlSyntaxError
from pymz.sql import ast, parse, parse_one
from pymz.sql.ast import (
    BooleanValue,
    CreateIndex,
    CreateMaterializedView,
    CreateView,
    ExprValue,
    Ident,
    IdentValue,
    ObjectName,
    Option,
    StringValue,
    Subscribe,
)


def name(*parts: str) -> ObjectName:
    return ObjectName(tuple(Ident(p) for p in parts))


def ids(*names: str) -> tuple[Ident, ...]:
    return tuple(Ident(n) for n in names)


def syntax_error(sql: str) -> SqlSyntaxError:
    with pytest.raises(SqlSyntaxError) as info:
        parse(sql)
    return info.value


# ------------------------------------------------------------------------------ views


@pytest.mark.parametrize(
    ("sql", "expected"),
    [
        ("CREATE VIEW v AS SELECT 1", CreateView(name("v"), (), "SELECT 1")),
        (
            "CREATE OR REPLACE VIEW s.v (a, \"B\") AS SELECT 1, 2",
            CreateView(name("s", "v"), ids("a", "B"), "SELECT 1, 2", or_replace=True),
        ),
        (
            "CREATE TEMP VIEW IF NOT EXISTS v AS VALUES (1)",
            CreateView(name("v"), (), "VALUES (1)", if_not_exists=True, temporary=True),
        ),
        (
            "CREATE OR REPLACE TEMPORARY VIEW v AS (SELECT 1) UNION (SELECT 2)",
            CreateView(
                name("v"), (), "(SELECT 1) UNION (SELECT 2)", or_replace=True, temporary=True
            ),
        ),
        (
            "create view v as with x as (select 1) select * from x",
            CreateView(name("v"), (), "with x as (select 1) select * from x"),
        ),
        ("CREATE VIEW v AS TABLE t", CreateView(name("v"), (), "TABLE t")),
    ],
)
def test_create_view(sql: str, expected: CreateView) -> None:
    assert parse_one(sql) == expected


def test_view_query_position() -> None:
    text = "SELECT 1; CREATE VIEW v AS SELECT a FROM t"
    stmt = parse(text)[1].ast
    assert isinstance(stmt, CreateView)
    assert ast.expr_position(stmt.query) == text.index("SELECT a") + 1
    assert stmt.name.position == text.index("v AS") + 1


@pytest.mark.parametrize(
    ("sql", "expected"),
    [
        (
            "CREATE MATERIALIZED VIEW mv AS SELECT 1",
            CreateMaterializedView(name("mv"), (), None, "SELECT 1"),
        ),
        (
            "CREATE OR REPLACE MATERIALIZED VIEW IF NOT EXISTS d.s.mv (a) IN CLUSTER c "
            "AS SELECT 1",
            CreateMaterializedView(
                name("d", "s", "mv"), ids("a"), Ident("c"), "SELECT 1", True, True
            ),
        ),
        (
            "CREATE MATERIALIZED VIEW mv WITH (ASSERT NOT NULL a, ASSERT NOT NULL = b, "
            "PARTITION BY (a), RETAIN HISTORY = FOR '1h', REFRESH EVERY '1 day' "
            "ALIGNED TO now(), REFRESH ON COMMIT, REFRESH = AT CREATION) AS SELECT 1",
            CreateMaterializedView(
                name("mv"),
                (),
                None,
                "SELECT 1",
                options=(
                    Option("ASSERT NOT NULL", IdentValue("a")),
                    Option("ASSERT NOT NULL", IdentValue("b")),
                    Option("PARTITION BY", ast.ListValue((IdentValue("a"),))),
                    Option("RETAIN HISTORY", StringValue("1h")),
                    Option("REFRESH", ExprValue("EVERY '1 day' ALIGNED TO now()")),
                    Option("REFRESH", ExprValue("ON COMMIT")),
                    Option("REFRESH", ExprValue("AT CREATION")),
                ),
            ),
        ),
        (
            "CREATE MATERIALIZED VIEW mv IN CLUSTER c WITH (RETAIN HISTORY FOR '1m') "
            "AS SELECT 1",
            CreateMaterializedView(
                name("mv"),
                (),
                Ident("c"),
                "SELECT 1",
                options=(Option("RETAIN HISTORY", StringValue("1m")),),
            ),
        ),
    ],
)
def test_create_materialized_view(sql: str, expected: CreateMaterializedView) -> None:
    assert parse_one(sql) == expected


def test_materialized_view_positions() -> None:
    sql = "CREATE MATERIALIZED VIEW mv IN CLUSTER c WITH (REFRESH AT now()) AS SELECT 1"
    stmt = parse_one(sql)
    assert isinstance(stmt, CreateMaterializedView)
    assert stmt.in_cluster is not None and stmt.in_cluster.position == sql.index("c WITH") + 1
    assert stmt.options[0].position == sql.index("REFRESH") + 1
    value = stmt.options[0].value
    assert isinstance(value, ExprValue) and value.position == sql.index("AT now") + 1
    assert ast.expr_position(stmt.query) == sql.index("SELECT") + 1


# ---------------------------------------------------------------------------- indexes


@pytest.mark.parametrize(
    ("sql", "expected"),
    [
        ("CREATE INDEX i ON t (a)", CreateIndex(Ident("i"), name("t"), None, ("a",))),
        ("CREATE INDEX ON t (a)", CreateIndex(None, name("t"), None, ("a",))),
        (
            "CREATE INDEX IF NOT EXISTS i IN CLUSTER c ON s.t USING ARRANGEMENT "
            "(a + 1, f(b, c), (d))",
            CreateIndex(
                Ident("i"), name("s", "t"), Ident("c"), ("a + 1", "f(b, c)", "(d)"), True
            ),
        ),
        ("CREATE INDEX IN CLUSTER c ON t (a)", CreateIndex(None, name("t"), Ident("c"), ("a",))),
        (
            "CREATE DEFAULT INDEX ON t",
            CreateIndex(None, name("t"), None, None, default=True),
        ),
        (
            "CREATE DEFAULT INDEX IF NOT EXISTS IN CLUSTER c ON t USING ARRANGEMENT",
            CreateIndex(None, name("t"), Ident("c"), None, True, True),
        ),
        (
            "CREATE INDEX i ON t (a) WITH (RETAIN HISTORY = FOR '1h')",
            CreateIndex(
                Ident("i"),
                name("t"),
                None,
                ("a",),
                options=(Option("RETAIN HISTORY", StringValue("1h")),),
            ),
        ),
    ],
)
def test_create_index(sql: str, expected: CreateIndex) -> None:
    assert parse_one(sql) == expected


def test_index_key_positions() -> None:
    sql = "CREATE INDEX i ON t (a, b + 1)"
    stmt = parse_one(sql)
    assert isinstance(stmt, CreateIndex) and stmt.key_parts is not None
    assert [ast.expr_position(k) for k in stmt.key_parts] == [
        sql.index("a,") + 1,
        sql.index("b + 1") + 1,
    ]
    assert stmt.on.position == sql.index("t (") + 1


# -------------------------------------------------------------------------- SUBSCRIBE


@pytest.mark.parametrize(
    ("sql", "expected"),
    [
        ("SUBSCRIBE t", Subscribe(name("t"), None)),
        ("SUBSCRIBE TO s.t", Subscribe(name("s", "t"), None)),
        ("SUBSCRIBE (SELECT a FROM t)", Subscribe(None, "SELECT a FROM t")),
        ("SUBSCRIBE TO (VALUES (1), (2))", Subscribe(None, "VALUES (1), (2)")),
        (
            "SUBSCRIBE t WITH (SNAPSHOT = false, PROGRESS)",
            Subscribe(
                name("t"),
                None,
                (Option("SNAPSHOT", BooleanValue(False)), Option("PROGRESS", None)),
            ),
        ),
        (
            "SUBSCRIBE t WITH (PROGRESS true) AS OF 10",
            Subscribe(name("t"), None, (Option("PROGRESS", BooleanValue(True)),), "10"),
        ),
        (
            "SUBSCRIBE t AS OF AT LEAST now() - INTERVAL '1s' UP TO 100",
            Subscribe(name("t"), None, (), "now() - INTERVAL '1s'", True, "100"),
        ),
        ("SUBSCRIBE t UP TO $1", Subscribe(name("t"), None, up_to="$1")),
        (
            "SUBSCRIBE t ENVELOPE UPSERT (KEY (a, b))",
            Subscribe(name("t"), None, output="ENVELOPE UPSERT (KEY (a, b))"),
        ),
        (
            "SUBSCRIBE t AS OF 1 ENVELOPE DEBEZIUM (KEY (a))",
            Subscribe(name("t"), None, as_of="1", output="ENVELOPE DEBEZIUM (KEY (a))"),
        ),
        (
            "SUBSCRIBE t UP TO 5 WITHIN TIMESTAMP ORDER BY a DESC, b",
            Subscribe(name("t"), None, up_to="5", output="WITHIN TIMESTAMP ORDER BY a DESC, b"),
        ),
    ],
)
def test_subscribe(sql: str, expected: Subscribe) -> None:
    assert parse_one(sql) == expected


def test_subscribe_positions() -> None:
    sql = "SUBSCRIBE (SELECT 1) AS OF 5 UP TO 7"
    stmt = parse_one(sql)
    assert isinstance(stmt, Subscribe)
    assert ast.expr_position(stmt.query) == sql.index("SELECT") + 1
    assert ast.expr_position(stmt.as_of) == sql.index("5") + 1
    assert ast.expr_position(stmt.up_to) == sql.index("7") + 1


# ---------------------------------------------------------------------------- cursors


def test_declare_subscribe() -> None:
    sql = "DECLARE c CURSOR FOR SUBSCRIBE t WITH (SNAPSHOT = false)"
    assert parse_one(sql) == ast.DeclareCursor(
        Ident("c"),
        Subscribe(name("t"), None, (Option("SNAPSHOT", BooleanValue(False)),)),
    )


def test_declare_query() -> None:
    sql = "BEGIN; DECLARE \"C\" CURSOR WITHOUT HOLD FOR SELECT * FROM t; FETCH 2 \"C\""
    stmts = parse(sql)
    assert stmts[1].ast == ast.DeclareCursor(Ident("C"), ast.Query("SELECT * FROM t"))
    assert stmts[1].sql == 'DECLARE "C" CURSOR WITHOUT HOLD FOR SELECT * FROM t'
    declare = stmts[1].ast
    assert isinstance(declare, ast.DeclareCursor)
    inner = declare.statement
    assert isinstance(inner, ast.Query)
    assert stmts[2].ast == ast.Fetch(Ident("C"), 2)
    assert ast.expr_position(inner.text) == sql.index("SELECT") + 1


def test_declare_explain_keeps_own_text() -> None:
    stmt = parse_one("DECLARE c CURSOR FOR EXPLAIN SELECT 1")
    assert isinstance(stmt, ast.DeclareCursor) and isinstance(stmt.statement, ast.Explain)
    assert stmt.statement.text == "EXPLAIN SELECT 1"


@pytest.mark.parametrize(
    ("sql", "expected"),
    [
        ("FETCH c", ast.Fetch(Ident("c"))),
        ("FETCH FROM c", ast.Fetch(Ident("c"))),
        ("FETCH 100 c", ast.Fetch(Ident("c"), 100)),
        ("FETCH FORWARD ALL IN c", ast.Fetch(Ident("c"), None)),
        ("FETCH ALL c", ast.Fetch(Ident("c"), None)),
        ("FETCH FORWARD 5 FROM c", ast.Fetch(Ident("c"), 5)),
        ("FETCH forward", ast.Fetch(Ident("forward"))),
        (
            "FETCH ALL c WITH (TIMEOUT = '1s')",
            ast.Fetch(Ident("c"), None, StringValue("1s")),
        ),
        (
            "FETCH c WITH (TIMEOUT = INTERVAL '0s')",
            ast.Fetch(Ident("c"), 1, ast.IntervalValue("0s")),
        ),
        ("CLOSE c", ast.CloseCursor(Ident("c"))),
    ],
)
def test_fetch_close(sql: str, expected: ast.Statement) -> None:
    assert parse_one(sql) == expected


# ---------------------------------------------------------------------------- EXPLAIN


@pytest.mark.parametrize(
    ("sql", "fields"),
    [
        ("EXPLAIN SELECT 1", dict(stage=None, explainee="QUERY", query="SELECT 1")),
        (
            "EXPLAIN PLAN FOR SELECT 1",
            dict(stage=None, explainee="QUERY", query="SELECT 1"),
        ),
        (
            "EXPLAIN RAW PLAN FOR (SELECT 1)",
            dict(stage="RAW", explainee="QUERY", query="(SELECT 1)"),
        ),
        (
            "EXPLAIN DECORRELATED PLAN AS JSON FOR SELECT 1",
            dict(stage="DECORRELATED", format="JSON", query="SELECT 1"),
        ),
        (
            "EXPLAIN OPTIMIZED PLAN WITH (ARITY, JOIN IMPLEMENTATIONS = true) AS TEXT FOR "
            "VIEW v",
            dict(
                stage="OPTIMIZED",
                options=(
                    Option("ARITY", None),
                    Option("JOIN IMPLEMENTATIONS", BooleanValue(True)),
                ),
                explainee="VIEW",
                name=name("v"),
            ),
        ),
        (
            "EXPLAIN PHYSICAL PLAN FOR MATERIALIZED VIEW s.mv",
            dict(stage="PHYSICAL", explainee="MATERIALIZED VIEW", name=name("s", "mv")),
        ),
        ("EXPLAIN INDEX i", dict(explainee="INDEX", name=name("i"))),
        ("EXPLAIN VIEW v", dict(explainee="VIEW", name=name("v"))),
    ],
)
def test_explain(sql: str, fields: dict[str, object]) -> None:
    stmt = parse_one(sql)
    assert stmt == ast.Explain(sql, **fields)  # type: ignore[arg-type]


def test_explain_text_is_whole_statement_and_query_has_position() -> None:
    text = "SELECT 1;\n  EXPLAIN OPTIMIZED PLAN FOR SELECT 2"
    stmt = parse(text)[1].ast
    assert isinstance(stmt, ast.Explain)
    assert stmt.text == "EXPLAIN OPTIMIZED PLAN FOR SELECT 2"
    assert ast.expr_position(stmt.query) == text.index("SELECT 2") + 1


@pytest.mark.parametrize(
    ("sql", "kind"),
    [
        ("EXPLAIN TIMESTAMP FOR SELECT 1", "EXPLAIN TIMESTAMP"),
        ("EXPLAIN FILTER PUSHDOWN FOR SELECT 1", "EXPLAIN FILTER PUSHDOWN"),
        ("EXPLAIN ANALYZE MEMORY FOR INDEX i", "EXPLAIN ANALYZE"),
        ("EXPLAIN KEY SCHEMA FOR CREATE SINK ...", "EXPLAIN KEY SCHEMA"),
        ("ALTER VIEW v SET CLUSTER c", "ALTER VIEW"),
        ("ALTER INDEX i SET (RETAIN HISTORY = FOR '1h')", "ALTER INDEX"),
    ],
)
def test_still_unsupported(sql: str, kind: str) -> None:
    assert parse_one(sql) == ast.Unsupported(sql, kind)


# ---------------------------------------------------------------- SHOW / ALTER / DROP


@pytest.mark.parametrize(
    ("sql", "expected"),
    [
        ("SHOW VIEWS", ast.ShowObjects("VIEWS", None, None, None)),
        ("SHOW VIEWS FROM s", ast.ShowObjects("VIEWS", name("s"), None, None)),
        (
            "SHOW MATERIALIZED VIEWS FROM d.s IN CLUSTER c LIKE 'm%'",
            ast.ShowObjects(
                "MATERIALIZED VIEWS", name("d", "s"), Ident("c"), ast.LikeFilter("m%")
            ),
        ),
        (
            "SHOW MATERIALIZED VIEWS IN CLUSTER c",
            ast.ShowObjects("MATERIALIZED VIEWS", None, Ident("c"), None),
        ),
        (
            "SHOW INDEXES ON t IN CLUSTER c",
            ast.ShowObjects("INDEXES", name("t"), Ident("c"), None),
        ),
        ("SHOW INDEXES FROM s", ast.ShowObjects("INDEXES", name("s"), None, None)),
        ("SHOW CREATE VIEW s.v", ast.ShowCreate("VIEW", name("s", "v"))),
        ("SHOW CREATE MATERIALIZED VIEW mv", ast.ShowCreate("MATERIALIZED VIEW", name("mv"))),
        ("SHOW CREATE INDEX i", ast.ShowCreate("INDEX", name("i"))),
        (
            "ALTER VIEW IF EXISTS s.v RENAME TO w",
            ast.AlterRename("VIEW", True, name("s", "v"), Ident("w")),
        ),
        (
            "ALTER MATERIALIZED VIEW mv RENAME TO mv2",
            ast.AlterRename("MATERIALIZED VIEW", False, name("mv"), Ident("mv2")),
        ),
        (
            "ALTER INDEX i RENAME TO j",
            ast.AlterRename("INDEX", False, name("i"), Ident("j")),
        ),
        (
            "ALTER MATERIALIZED VIEW mv OWNER TO r",
            ast.AlterOwner("MATERIALIZED VIEW", False, name("mv"), Ident("r")),
        ),
        (
            "DROP MATERIALIZED VIEW IF EXISTS a, b CASCADE",
            ast.DropObjects("MATERIALIZED VIEW", True, (name("a"), name("b")), True),
        ),
        ("DROP INDEX i", ast.DropObjects("INDEX", False, (name("i"),), False)),
    ],
)
def test_show_alter_drop(sql: str, expected: ast.Statement) -> None:
    assert parse_one(sql) == expected


# ----------------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    ("sql", "message", "at"),
    [
        (
            "CREATE VIEW v AS",
            "Expected one of SELECT or TABLE or VALUES or WITH or left parenthesis, found EOF",
            len("CREATE VIEW v AS") + 1,
        ),
        (
            "CREATE VIEW v SELECT 1",
            "Expected AS, found SELECT",
            len("CREATE VIEW v ") + 1,
        ),
        (
            "CREATE VIEW v AS SELECT (1",
            "Expected right parenthesis, found EOF",
            len("CREATE VIEW v AS SELECT (1") + 1,
        ),
        ("CREATE VIEW v AS SELECT 1)", "Expected end of statement, found right parenthesis", 26),
        ("CREATE VIEW v () AS SELECT 1", "Expected identifier, found right parenthesis", 16),
        ("CREATE TEMP MATERIALIZED VIEW mv AS SELECT 1", "Expected one of TABLE or VIEW", 13),
        ("CREATE VIEW v IN CLUSTER c AS SELECT 1", "Expected AS, found IN", 15),
        (
            "CREATE MATERIALIZED VIEW mv WITH (SIZE = 1) AS SELECT 1",
            "Expected one of ASSERT or PARTITION or REFRESH or RETAIN, found SIZE",
            35,
        ),
        (
            "CREATE MATERIALIZED VIEW mv WITH (REFRESH) AS SELECT 1",
            "Expected one of AT or EVERY or ON, found right parenthesis",
            42,
        ),
        (
            "CREATE MATERIALIZED VIEW mv WITH (RETAIN HISTORY = '1h') AS SELECT 1",
            "Expected FOR, found string literal",
            52,
        ),
        ("CREATE INDEX i ON t", "Expected left parenthesis, found EOF", 20),
        ("CREATE INDEX i ON t ()", "Expected an expression, found right parenthesis", 22),
        ("CREATE INDEX i t (a)", "Expected one of IN or ON, found identifier", 16),
        ("CREATE DEFAULT INDEX i ON t", "Expected one of IN or ON, found identifier", 22),
        ("CREATE DEFAULT INDEX ON t (a)", "Key parts are not allowed in a DEFAULT INDEX", 27),
        ("CREATE OR REPLACE INDEX i ON t (a)", "found INDEX", 19),
        ("SUBSCRIBE", "Expected one of identifier or left parenthesis, found EOF", 10),
        ("SUBSCRIBE (SHOW x)", "Expected one of SELECT or TABLE", 12),
        (
            "SUBSCRIBE t WITH (FOO)",
            "Expected one of PROGRESS or SNAPSHOT, found identifier",
            19,
        ),
        ("SUBSCRIBE t AS OF", "Expected an expression, found EOF", 18),
        ("SUBSCRIBE t ENVELOPE APPEND", "Expected one of DEBEZIUM or UPSERT", 22),
        ("SUBSCRIBE t UP TO 1 AS OF 2", "Expected end of statement, found AS", 21),
        ("SUBSCRIBE t AS OF 1 WITH (PROGRESS)", "Expected end of statement, found WITH", 21),
        ("DECLARE c FOR SELECT 1", "Expected CURSOR, found FOR", 11),
        ("DECLARE c CURSOR SELECT 1", "Expected FOR, found SELECT", 18),
        ("DECLARE c CURSOR FOR", "Expected a keyword at the beginning of a statement", 21),
        ("FETCH 1.5 c", "Expected literal unsigned integer, found number", 7),
        ("FETCH", "Expected identifier, found EOF", 6),
        ("FETCH c WITH (SIZE = 1)", "Expected TIMEOUT, found SIZE", 15),
        ("CLOSE", "Expected identifier, found EOF", 6),
        ("CLOSE c d", "Expected end of statement, found identifier", 9),
        ("EXPLAIN", "Expected one of DECORRELATED or INDEX", 8),
        ("EXPLAIN OPTIMIZED SELECT 1", "Expected PLAN, found SELECT", 19),
        ("EXPLAIN PLAN SELECT 1", "Expected FOR, found SELECT", 14),
        ("EXPLAIN PLAN AS YAML FOR SELECT 1", "Expected one of JSON or TEXT", 17),
        ("EXPLAIN PLAN WITH (BOGUS) FOR SELECT 1", "Expected one of ARITY", 20),
        (
            "EXPLAIN PLAN FOR SHOW x",
            "Expected one of INDEX or MATERIALIZED or SELECT or TABLE or VALUES or VIEW or "
            "WITH or left parenthesis, found SHOW",
            18,
        ),
        ("EXPLAIN VIEW", "Expected identifier, found EOF", 13),
        ("ALTER VIEW v RENAME x", "Expected TO, found identifier", 21),
    ],
)
def test_errors(sql: str, message: str, at: int) -> None:
    err = syntax_error(sql)
    assert message in str(err)
    assert err.position == at
    assert err.sqlstate == "42601"
