"""INSERT / UPDATE / DELETE / COPY."""

from __future__ import annotations

import pickle

import pytest

from pymz.errors import SqlSyntaxError
from pymz.sql import ast, parse, parse_one

D = ast.DefaultMarker()


def _id(*names: str) -> ast.ObjectName:
    return ast.ObjectName(tuple(ast.Ident(n) for n in names))


def _insert(sql: str) -> ast.Insert:
    stmt = parse_one(sql)
    assert isinstance(stmt, ast.Insert)
    return stmt


def _rows(sql: str) -> tuple[tuple[ast.ValuesItem, ...], ...]:
    source = _insert(sql).source
    assert isinstance(source, ast.InsertValues)
    return source.rows


def _error(sql: str) -> SqlSyntaxError:
    with pytest.raises(SqlSyntaxError) as info:
        parse(sql)
    return info.value


def _check_error(sql: str, message: str, at: str | None) -> None:
    err = _error(sql)
    assert err.message == message
    assert err.position == (len(sql) + 1 if at is None else sql.index(at) + 1)


# --------------------------------------------------------------------------------- INSERT


def test_insert_values() -> None:
    assert parse_one("INSERT INTO s.t VALUES (1, 'a'), (2, 'b')") == ast.Insert(
        _id("s", "t"), (), ast.InsertValues((("1", "'a'"), ("2", "'b'"))), None
    )


def test_insert_columns_alias_returning() -> None:
    stmt = _insert('insert into t as x (a, "B") values (1, 2) returning a, b + 1 AS c')
    assert stmt.alias == ast.Ident("x")
    assert stmt.columns == (ast.Ident("a"), ast.Ident("B"))
    assert stmt.returning == "a, b + 1 AS c"


@pytest.mark.parametrize(
    ("values", "rows"),
    [
        ("(DEFAULT)", ((D,),)),
        ("(1, DEFAULT), (DEFAULT, 2)", (("1", D), (D, "2"))),
        ("(f(1, 2), (3), ARRAY[4, 5][1])", (("f(1, 2)", "(3)", "ARRAY[4, 5][1]"),)),
        ("('a,b'::text, 'x)' || ')', E'\\')')", (("'a,b'::text", "'x)' || ')'", "E'\\')'"),)),
        ("($1, $2::int, -$3)", (("$1", "$2::int", "-$3"),)),
        ("(CASE WHEN a THEN (1) ELSE 2 END, 3)", (("CASE WHEN a THEN (1) ELSE 2 END", "3"),)),
        ("((SELECT max(x) FROM u), NULL)", (("(SELECT max(x) FROM u)", "NULL"),)),
        ("(DEFAULT + 1)", (("DEFAULT + 1",),)),
        ("(1 /* , */, 2 -- x\n)", (("1", "2"),)),
        ("(1 + /* ) */ 2)", (("1 + /* ) */ 2",),)),
        ("($$a,b$$)", (("$$a,b$$",),)),
    ],
)
def test_values_item_extent(values: str, rows: tuple[tuple[ast.ValuesItem, ...], ...]) -> None:
    assert _rows(f"INSERT INTO t VALUES {values}") == rows


def test_values_positions() -> None:
    sql = "SELECT 1;\nINSERT INTO t VALUES (10, DEFAULT)"
    stmt = parse(sql)[1].ast
    assert isinstance(stmt, ast.Insert)
    source = stmt.source
    assert isinstance(source, ast.InsertValues)
    assert source.position == sql.index("VALUES") + 1
    item, marker = source.rows[0]
    assert isinstance(item, str)
    assert ast.expr_position(item) == sql.index("10") + 1
    assert isinstance(marker, ast.DefaultMarker)
    assert marker.position == sql.index("DEFAULT") + 1


def test_default_values() -> None:
    assert _insert("INSERT INTO t DEFAULT VALUES").source == ast.DefaultValues()
    assert _insert("INSERT INTO t DEFAULT VALUES RETURNING *").returning == "*"


@pytest.mark.parametrize(
    ("query", "columns"),
    [
        ("SELECT a, b FROM u WHERE c", ()),
        ("WITH x AS (SELECT 1) SELECT * FROM x", ()),
        ("TABLE u", ()),
        ("(SELECT 1)", ()),
        ("((SELECT 1) UNION (SELECT 2))", ()),
        ("VALUES (1) ORDER BY 1", ()),
        ("VALUES (1), (2) UNION ALL SELECT 3", ()),
        ("VALUES (1) LIMIT 1", ()),
        ("SELECT * FROM a JOIN b ON a.x = b.x LEFT JOIN c ON true", ()),
        ("SELECT DISTINCT ON (a) a FROM u", ()),
    ],
)
def test_insert_query(query: str, columns: tuple[ast.Ident, ...]) -> None:
    sql = f"INSERT INTO t {query}"
    stmt = _insert(sql)
    assert stmt.source == ast.InsertQuery(query)
    assert isinstance(stmt.source, ast.InsertQuery)
    assert stmt.source.position == sql.index(query) + 1
    with_cols = _insert(f"INSERT INTO t (a) {query} RETURNING a")
    assert with_cols.columns == (ast.Ident("a"),)
    assert with_cols.source == ast.InsertQuery(query)
    assert with_cols.returning == "a"


@pytest.mark.parametrize(
    ("sql", "message", "at"),
    [
        ("INSERT INTO t VALUES (1), (1, 2)", "VALUES lists must all be the same length", "(1, 2)"),
        ("INSERT INTO t VALUES (1, 2), (3)", "VALUES lists must all be the same length", "(3)"),
        (
            "INSERT INTO t VALUES (DEFAULT) ORDER BY 1",
            "DEFAULT is not allowed in this context",
            "DEFAULT",
        ),
        ("INSERT INTO t VALUES ()", "Expected an expression, found right parenthesis", ")"),
        ("INSERT INTO t VALUES (1,)", "Expected an expression, found right parenthesis", ")"),
        ("INSERT INTO t VALUES (1", "Expected right parenthesis, found EOF", None),
        ("INSERT INTO t VALUES (f(1)", "Expected right parenthesis, found EOF", None),
        (
            "INSERT INTO t VALUES (a[1)",
            "Expected right square bracket, found right parenthesis",
            ")",
        ),
        ("INSERT INTO t VALUES (CASE WHEN a THEN 1)", "Expected END, found right parenthesis", ")"),
        ("INSERT INTO t VALUES", "Expected left parenthesis, found EOF", None),
        (
            "INSERT INTO t",
            (
                "Expected one of DEFAULT or SELECT or TABLE or VALUES or WITH or left parenthesis, "
                "found EOF"
            ),
            None,
        ),
        (
            "INSERT INTO t (a) DEFAULT VALUES",
            "Expected one of SELECT or TABLE or VALUES or WITH or left parenthesis, found DEFAULT",
            "DEFAULT",
        ),
        ("INSERT t VALUES (1)", 'Expected INTO, found identifier "t"', "t "),
        ("INSERT INTO t (a,) VALUES (1)", "Expected identifier, found right parenthesis", ")"),
        ("INSERT INTO t VALUES (1) RETURNING", "Expected an expression, found EOF", None),
        (
            "INSERT INTO t VALUES (1) ON CONFLICT DO NOTHING",
            "Expected end of statement, found ON",
            "ON",
        ),
        (
            "INSERT INTO t SELECT 1 ON CONFLICT DO NOTHING",
            "Expected end of statement, found ON",
            "ON",
        ),
    ],
)
def test_insert_errors(sql: str, message: str, at: str | None) -> None:
    _check_error(sql, message, at)


def test_unbalanced_close_after_values() -> None:
    sql = "INSERT INTO t VALUES (1))"
    err = _error(sql)
    assert err.message == "Expected end of statement, found right parenthesis"
    assert err.position == len(sql)


def test_values_followed_by_other_text_is_a_query() -> None:
    # Anything after the rows other than RETURNING / ON CONFLICT makes the source a
    # general query; the SQL engine reports what is wrong with it.
    assert _insert("INSERT INTO t VALUES (1) x").source == ast.InsertQuery("VALUES (1) x")


def test_error_position_in_later_statement() -> None:
    sql = "SELECT 1; INSERT INTO t VALUES (1), (2, 3)"
    assert _error(sql).position == sql.index("(2, 3)") + 1


# --------------------------------------------------------------------------------- UPDATE


def test_update() -> None:
    assert parse_one("UPDATE s.t SET a = 1, b = 'x'::text WHERE c = $1") == ast.Update(
        _id("s", "t"),
        None,
        (ast.Assignment(ast.Ident("a"), "1"), ast.Assignment(ast.Ident("b"), "'x'::text")),
        "c = $1",
    )


@pytest.mark.parametrize(
    ("sql", "alias"),
    [("UPDATE t x SET a = 1", "x"), ("UPDATE t AS x SET a = 1", "x"), ("UPDATE t SET a = 1", None)],
)
def test_update_alias(sql: str, alias: str | None) -> None:
    stmt = parse_one(sql)
    assert isinstance(stmt, ast.Update)
    assert stmt.alias == (None if alias is None else ast.Ident(alias))
    assert stmt.where is None


@pytest.mark.parametrize(
    ("expr"),
    [
        "f(a, b)",
        "(SELECT x FROM u WHERE y = 1)",
        "CASE WHEN a = 1 THEN b ELSE c END",
        "a IS DISTINCT FROM b",
        "ARRAY[1, 2]",
        "extract(year FROM d)",
        "'where'",
    ],
)
def test_update_expression_extent(expr: str) -> None:
    sql = f"UPDATE t SET a = {expr}, b = 2 WHERE c"
    stmt = parse_one(sql)
    assert isinstance(stmt, ast.Update)
    assert [a.expr for a in stmt.assignments] == [expr, "2"]
    assert stmt.assignments[0].position == sql.index("a =") + 1
    assert ast.expr_position(stmt.assignments[0].expr) == sql.index(expr) + 1
    assert stmt.where == "c"
    assert ast.expr_position(stmt.where) == len(sql)


@pytest.mark.parametrize(
    ("sql", "message", "at"),
    [
        ("UPDATE t SET (a, b) = (1, 2)", "Expected identifier, found left parenthesis", "("),
        ("UPDATE t SET a = 1 FROM u", "Expected end of statement, found FROM", "FROM"),
        (
            "UPDATE t SET a = 1 WHERE b RETURNING a",
            "Expected end of statement, found RETURNING",
            "RETURNING",
        ),
        ("UPDATE t SET a", "Expected equals sign, found EOF", None),
        ("UPDATE t SET a =", "Expected an expression, found EOF", None),
        ("UPDATE t SET a = WHERE b", "Expected end of statement, found WHERE", None),
        ("UPDATE t SET a = 1 WHERE", "Expected an expression, found EOF", None),
        ("UPDATE t a = 1", "Expected SET, found equals sign", "="),
    ],
)
def test_update_errors(sql: str, message: str, at: str | None) -> None:
    if message.endswith("found WHERE"):
        # `a = WHERE b` is not caught here: WHERE is the first token of the expression,
        # so it is kept as text for the SQL engine to reject.
        stmt = parse_one(sql)
        assert isinstance(stmt, ast.Update)
        assert stmt.assignments[0].expr == "WHERE b"
        return
    _check_error(sql, message, at)


# --------------------------------------------------------------------------------- DELETE


def test_delete() -> None:
    assert parse_one("DELETE FROM t") == ast.Delete(_id("t"), None, None)
    assert parse_one("DELETE FROM s.t AS x WHERE x.a IN (1, 2)") == ast.Delete(
        _id("s", "t"), ast.Ident("x"), "x.a IN (1, 2)"
    )
    assert parse_one("DELETE FROM t x WHERE a > $1") == ast.Delete(
        _id("t"), ast.Ident("x"), "a > $1"
    )


def test_delete_using_is_unsupported() -> None:
    sql = "DELETE FROM t USING u WHERE t.a = u.a"
    assert parse_one(sql) == ast.Unsupported(sql, "DELETE USING")


@pytest.mark.parametrize(
    ("sql", "message", "at"),
    [
        ("DELETE t", 'Expected FROM, found identifier "t"', "t"),
        ("DELETE FROM t WHERE", "Expected an expression, found EOF", None),
        ("DELETE FROM t x y", 'Expected end of statement, found identifier "y"', "y"),
        ("DELETE FROM t WHERE (a", "Expected right parenthesis, found EOF", None),
    ],
)
def test_delete_errors(sql: str, message: str, at: str | None) -> None:
    _check_error(sql, message, at)


# ----------------------------------------------------------------------------------- COPY


def _copy(sql: str) -> ast.Copy:
    stmt = parse_one(sql)
    assert isinstance(stmt, ast.Copy)
    return stmt


def _opt(name: str, value: ast.OptionValue | None = None) -> ast.Option:
    return ast.Option(name, value)


CSV = _opt("FORMAT", ast.IdentValue("csv"))


def test_copy_from_stdin() -> None:
    assert parse_one("COPY s.t (a, b) FROM STDIN") == ast.Copy(
        _id("s", "t"), None, (ast.Ident("a"), ast.Ident("b")), "FROM", "STDIN", ()
    )


def test_copy_to_stdout_table_and_query() -> None:
    assert _copy("COPY t TO STDOUT") == ast.Copy(_id("t"), None, (), "TO", "STDOUT", ())
    sql = "COPY (SELECT a, (b) FROM t WHERE c IN (1, 2)) TO STDOUT"
    stmt = _copy(sql)
    assert stmt.table is None
    assert stmt.query == "SELECT a, (b) FROM t WHERE c IN (1, 2)"
    assert ast.expr_position(stmt.query) == sql.index("SELECT") + 1


@pytest.mark.parametrize(
    ("suffix", "options"),
    [
        ("", ()),
        ("WITH (FORMAT csv)", (CSV,)),
        ("(FORMAT 'CSV')", (CSV,)),
        ("(FORMAT = csv, HEADER)", (CSV, _opt("HEADER"))),
        (
            "(FORMAT text, HEADER true)",
            (_opt("FORMAT", ast.IdentValue("text")), _opt("HEADER", ast.BooleanValue(True))),
        ),
        ("(FORMAT binary)", (_opt("FORMAT", ast.IdentValue("binary")),)),
        (
            "(DELIMITER '|', NULL 'n', QUOTE '\"', ESCAPE '\\')",
            (
                _opt("DELIMITER", ast.StringValue("|")),
                _opt("NULL", ast.StringValue("n")),
                _opt("QUOTE", ast.StringValue('"')),
                _opt("ESCAPE", ast.StringValue("\\")),
            ),
        ),
        ("(FORCE_QUOTE *)", (_opt("FORCE_QUOTE", ast.IdentValue("*")),)),
        (
            "(FORCE_QUOTE (a, b))",
            (_opt("FORCE_QUOTE", ast.ListValue((ast.IdentValue("a"), ast.IdentValue("b")))),),
        ),
        ("WITH CSV HEADER", (CSV, _opt("HEADER"))),
        ("CSV", (CSV,)),
        ("BINARY", (_opt("FORMAT", ast.IdentValue("binary")),)),
        (
            "DELIMITER ',' NULL AS ''",
            (_opt("DELIMITER", ast.StringValue(",")), _opt("NULL", ast.StringValue(""))),
        ),
        (
            "WITH DELIMITER AS '|' CSV QUOTE AS '''' ESCAPE '\\' FORCE QUOTE *",
            (
                _opt("DELIMITER", ast.StringValue("|")),
                CSV,
                _opt("QUOTE", ast.StringValue("'")),
                _opt("ESCAPE", ast.StringValue("\\")),
                _opt("FORCE_QUOTE", ast.IdentValue("*")),
            ),
        ),
        (
            "CSV FORCE QUOTE a, b",
            (CSV, _opt("FORCE_QUOTE", ast.ListValue((ast.IdentValue("a"), ast.IdentValue("b"))))),
        ),
        (
            "CSV FORCE NOT NULL a",
            (CSV, _opt("FORCE_NOT_NULL", ast.ListValue((ast.IdentValue("a"),)))),
        ),
    ],
)
def test_copy_options(suffix: str, options: tuple[ast.Option, ...]) -> None:
    assert _copy(f"COPY t TO STDOUT {suffix}").options == options
    assert _copy(f"COPY t FROM STDIN {suffix}").options == options


def test_copy_option_positions() -> None:
    sql = "COPY t FROM STDIN WITH (FORMAT csv)"
    (opt,) = _copy(sql).options
    assert opt.position == sql.index("FORMAT") + 1
    assert isinstance(opt.value, ast.IdentValue)
    assert opt.value.position == sql.index("csv") + 1


@pytest.mark.parametrize(
    ("sql", "kind"),
    [
        ("COPY t FROM '/tmp/data.csv'", "COPY FROM file"),
        ("COPY t TO '/tmp/out'", "COPY TO file"),
        ("COPY t FROM PROGRAM 'cat'", "COPY FROM file"),
    ],
)
def test_copy_files_unsupported(sql: str, kind: str) -> None:
    assert parse_one(sql) == ast.Unsupported(sql, kind)


@pytest.mark.parametrize(
    ("sql", "message", "at"),
    [
        ("COPY t FROM STDOUT", "Expected STDIN, found STDOUT", "STDOUT"),
        ("COPY t TO STDIN", "Expected STDOUT, found STDIN", "STDIN"),
        ("COPY (SELECT 1) FROM STDIN", "Expected TO, found FROM", "FROM"),
        ("COPY (SELECT 1 TO STDOUT", "Expected right parenthesis, found EOF", None),
        ("COPY () TO STDOUT", "Expected a query, found right parenthesis", ")"),
        ("COPY t STDIN", "Expected one of FROM or TO, found STDIN", "STDIN"),
        (
            "COPY t FROM STDIN (BOGUS 1)",
            (
                "Expected one of DEFAULT or DELIMITER or ENCODING or ESCAPE or FORCE_NOT_NULL or "
                "FORCE_NULL or FORCE_QUOTE or FORMAT or FREEZE or HEADER or NULL or ON_ERROR or "
                'QUOTE, found identifier "bogus"'
            ),
            "BOGUS",
        ),
        ("COPY t FROM STDIN (FORMAT csv", "Expected right parenthesis, found EOF", None),
        ("COPY t FROM STDIN DELIMITER x", 'Expected literal string, found identifier "x"', "x"),
        (
            "COPY t FROM STDIN CSV BOGUS",
            (
                "Expected one of BINARY or CSV or DELIMITER or ESCAPE or FORCE or HEADER or "
                'NULL or QUOTE or left parenthesis, found identifier "bogus"'
            ),
            "BOGUS",
        ),
        ("COPY t FROM STDIN FORCE NULL a", "Expected NOT, found NULL", "NULL"),
    ],
)
def test_copy_errors(sql: str, message: str, at: str | None) -> None:
    _check_error(sql, message, at)


def test_dml_in_multi_statement_text() -> None:
    stmts = parse("INSERT INTO t VALUES (';'); DELETE FROM t; COPY t TO STDOUT")
    assert [type(s.ast) for s in stmts] == [ast.Insert, ast.Delete, ast.Copy]
    assert stmts[0].sql == "INSERT INTO t VALUES (';')"


def test_expr_text_is_a_plain_string_with_a_position() -> None:
    text = ast.ExprText("a + 1", 7)
    assert text == "a + 1"
    assert hash(text) == hash("a + 1")
    assert "a + 1" in {text}
    restored = pickle.loads(pickle.dumps(text))
    assert (restored, restored.position) == ("a + 1", 7)
    assert ast.expr_position(text) == 7
    assert ast.expr_position("plain") == 0
    assert ast.expr_position(None) == 0
