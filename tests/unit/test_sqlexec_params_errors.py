"""Parameters (explicit and inferred types) and error translation to SQLSTATEs."""

from __future__ import annotations

import datetime
import decimal
import threading
import time
import uuid
from collections.abc import Sequence

import pytest

from pymz import errors
from pymz.repr import Column, Interval, ScalarType
from pymz.sqlexec import IntrospectionEngine, RelationSnapshot
from pymz.sqlexec import QueryRows as QueryResult
from pymz.sqlexec import QueryShape as StatementDescription

T = ScalarType
CLUSTERS = RelationSnapshot(
    "mz_catalog",
    "mz_clusters",
    (Column("id", T.TEXT), Column("name", T.TEXT), Column("replication_factor", T.INT4),
     Column("oid", T.OID), Column("created", T.TIMESTAMPTZ)),
    [
        ("u1", "quickstart", 1, 20001, datetime.datetime(2024, 1, 1, tzinfo=datetime.UTC)),
        ("u2", "analytics", 2, 20002, datetime.datetime(2024, 6, 1, tzinfo=datetime.UTC)),
    ],
)
PATH = ["public", "mz_catalog", "pg_catalog"]


@pytest.fixture(scope="module")
def engine() -> IntrospectionEngine:
    return IntrospectionEngine()


def run(engine: IntrospectionEngine, sql: str, params: Sequence[object | None] = (),
        oids: Sequence[int] = ()) -> QueryResult:
    return engine.execute(sql, params, oids, relations=[CLUSTERS], search_path=PATH,
                          session_vars={"cluster": "quickstart"})


def describe(engine: IntrospectionEngine, sql: str, oids: Sequence[int] = ()
             ) -> StatementDescription:
    return engine.describe(sql, oids, relations=[CLUSTERS], search_path=PATH,
                           session_vars={"cluster": "quickstart"})


# --- parameters ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sql", "expected"),
    [
        ("SELECT name FROM mz_clusters WHERE id = $1", (T.TEXT.oid,)),
        ("SELECT name FROM mz_clusters WHERE replication_factor > $1", (T.INT4.oid,)),
        ("SELECT name FROM mz_clusters WHERE $1 = oid", (T.OID.oid,)),
        ("SELECT name FROM mz_clusters c WHERE c.created < $1", (T.TIMESTAMPTZ.oid,)),
        ("SELECT name FROM mz_clusters WHERE id IN ($1, $2)", (T.TEXT.oid, T.TEXT.oid)),
        ("SELECT name FROM mz_clusters LIMIT $1", (T.INT8.oid,)),
        ("SELECT $1::int4 + 1", (T.INT4.oid,)),
        ("SELECT $1", (T.TEXT.oid,)),
        ("SELECT name FROM mz_clusters WHERE id = ANY($1)", (T.TEXT.array_oid,)),
    ],
)
def test_inferred_param_types(engine: IntrospectionEngine, sql: str,
                              expected: tuple[int, ...]) -> None:
    assert describe(engine, sql, [0] * len(expected)).param_oids == expected
    # Parameters not mentioned in param_oids at all are inferred the same way.
    assert describe(engine, sql).param_oids == expected


def test_explicit_param_types_win(engine: IntrospectionEngine) -> None:
    d = describe(engine, "SELECT $1 AS a, $2 AS b", [T.INT8.oid, T.INT4.array_oid])
    assert d.param_oids == (T.INT8.oid, T.INT4.array_oid)
    assert d.columns == (Column("a", T.INT8), Column("b", T.INT4, is_array=True))
    r = run(engine, "SELECT $1 AS a, $2 AS b", [5, [1, None]], [T.INT8.oid, T.INT4.array_oid])
    assert r.rows == [(5, [1, None])]


def test_unknown_param_oid(engine: IntrospectionEngine) -> None:
    with pytest.raises(errors.UndefinedObject):
        describe(engine, "SELECT $1", [999_999])


def test_execute_binds_values(engine: IntrospectionEngine) -> None:
    r = run(engine, "SELECT name FROM mz_clusters WHERE replication_factor >= $1 AND id <> $2",
            [1, "u1"])
    assert r.rows == [("analytics",)]
    r = run(engine, "SELECT id FROM mz_clusters WHERE id = ANY($1) ORDER BY id",
            [["u2", "u1", "zz"]], [T.TEXT.array_oid])
    assert r.rows == [("u1",), ("u2",)]
    # Unused $1 is fine; $2 binds the second value.
    r = run(engine, "SELECT $2::text", ["ignored", "x"], [T.TEXT.oid, T.TEXT.oid])
    assert r.rows == [("x",)]


@pytest.mark.parametrize(
    ("t", "value"),
    [
        (T.INTERVAL, Interval(1, 2, 3)),
        (T.NUMERIC, decimal.Decimal("1.25")),
        (T.UUID, uuid.UUID(int=5)),
        (T.BYTEA, b"\x01"),
        (T.DATE, datetime.date(2020, 1, 1)),
        (T.JSONB, '{"a":1}'),
        (T.BOOL, False),
        (T.FLOAT8, 2.5),
    ],
)
def test_param_value_round_trip(engine: IntrospectionEngine, t: ScalarType,
                                value: object) -> None:
    r = run(engine, "SELECT $1", [value], [t.oid])
    assert r.columns[0].type is t
    assert r.rows == [(value,)]


def test_too_few_params(engine: IntrospectionEngine) -> None:
    with pytest.raises(errors.ProtocolViolation):
        run(engine, "SELECT $1, $2", ["a"])


# --- errors ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sql", "cls", "sqlstate"),
    [
        ("SELECT * FROM foo", errors.UndefinedTable, "42P01"),
        ("SELECT * FROM mz_catalog.foo", errors.UndefinedTable, "42P01"),
        ("SELECT * FROM nosuchschema.foo", errors.InvalidSchemaName, "3F000"),
        ("SELECT nope FROM mz_clusters", errors.UndefinedColumn, "42703"),
        ("SELECT x.id FROM mz_clusters c", errors.UndefinedTable, "42P01"),
        ("SELECT FROM WHERE", errors.SqlSyntaxError, "42601"),
        ("SELECT no_such_function(1)", errors.UndefinedFunction, "42883"),
        ("SELECT 'abc'::int", errors.InvalidTextRepresentation, "22P02"),
        ("SELECT 1 / 0", errors.DivisionByZero, "22012"),
        ("SELECT 5 % (replication_factor - 1) FROM mz_clusters", errors.DivisionByZero,
         "22012"),
        ("SELECT 2147483647::int4 + 1", errors.NumericValueOutOfRange, "22003"),
        ("SELECT current_setting('nope')", errors.UndefinedObject, "42704"),
        ("SELECT CASE WHEN true THEN 1 ELSE DATE '2020-01-01' END", errors.DatatypeMismatch,
         "42804"),
        ("INSERT INTO mz_clusters VALUES (1)", errors.FeatureNotSupported, "0A000"),
        ("SELECT 1; SELECT 2", errors.FeatureNotSupported, "0A000"),
        ("", errors.SqlSyntaxError, "42601"),
    ],
)
def test_errors(engine: IntrospectionEngine, sql: str, cls: type[errors.PymzError],
                sqlstate: str) -> None:
    with pytest.raises(cls) as info:
        run(engine, sql)
    assert info.value.sqlstate == sqlstate
    assert "__pymz" not in info.value.message


def test_unknown_relation_wording(engine: IntrospectionEngine) -> None:
    with pytest.raises(errors.UndefinedTable, match="unknown catalog item 'foo'"):
        run(engine, "SELECT * FROM foo")


def test_syntax_error_position(engine: IntrospectionEngine) -> None:
    with pytest.raises(errors.SqlSyntaxError) as info:
        run(engine, "SELECT 1 FROM WHERE")
    assert info.value.position == len("SELECT 1 FROM ") + 1


def test_internal_names_do_not_leak(engine: IntrospectionEngine) -> None:
    with pytest.raises(errors.UndefinedColumn) as info:
        run(engine, "SELECT mz_catalog.mz_clusters.nope FROM mz_catalog.mz_clusters")
    assert "__pymz" not in info.value.message
    assert "nope" in info.value.message


def test_describe_does_not_need_values(engine: IntrospectionEngine) -> None:
    d = describe(engine, "SELECT id, 1 / $1 FROM mz_clusters", [T.INT4.oid])
    assert d.columns is not None
    assert [c.type for c in d.columns] == [T.TEXT, T.INT4]


# --- casts to object identifiers ---------------------------------------------------------------


def test_regtype_and_regclass_casts(engine: IntrospectionEngine) -> None:
    pg_class = RelationSnapshot("pg_catalog", "pg_class",
                                (Column("oid", T.OID), Column("relname", T.TEXT)),
                                [(20001, "mz_clusters")])
    r = engine.execute(
        "SELECT 'int4'::regtype, 'integer'::regtype, 'text[]'::regtype, 5::oid, "
        "'mz_catalog.mz_clusters'::regclass",
        [], [], relations=[pg_class], search_path=PATH, session_vars={})
    assert r.rows == [(23, 23, 1009, 5, 20001)]
    assert all(c.type is T.OID for c in r.columns)
    with pytest.raises(errors.UndefinedObject):
        run(engine, "SELECT 'nosuchtype'::regtype")
    with pytest.raises(errors.FeatureNotSupported):
        run(engine, "SELECT 'mz_clusters'::regclass")


def test_order_by_postgres_output_name(engine: IntrospectionEngine) -> None:
    r = run(engine, "SELECT replication_factor, count(*) FROM mz_clusters "
                    "GROUP BY replication_factor ORDER BY count DESC, replication_factor")
    assert [c.name for c in r.columns] == ["replication_factor", "count"]
    assert r.rows == [(1, 1), (2, 1)]


def test_cancel_interrupts_running_query(engine: IntrospectionEngine) -> None:
    outcome: list[BaseException | None] = []
    me, other = object(), object()

    def long_query() -> None:
        try:
            engine.execute("SELECT count(*) FROM generate_series(1, 100000000000) AS g(x) "
                           "WHERE x % 7 = 3", [], [], relations=[], search_path=[],
                           session_vars={}, owner=me)
            outcome.append(None)
        except errors.PymzError as e:
            outcome.append(e)

    worker = threading.Thread(target=long_query)
    worker.start()
    # Keep interrupting until the worker ends: an interrupt sent before the query starts
    # is lost, so one call alone would race.
    deadline = time.monotonic() + 60
    while worker.is_alive() and time.monotonic() < deadline:
        engine.cancel(other)  # aimed at another session: must not hit this query
        engine.cancel(me)
        worker.join(timeout=0.05)
    assert not worker.is_alive()
    assert len(outcome) == 1
    assert isinstance(outcome[0], errors.QueryCanceled)
    assert outcome[0].sqlstate == "57014"
    # The engine stays usable afterwards.
    assert run(engine, "SELECT 1").rows == [(1,)]


@pytest.mark.parametrize(
    ("sql", "expected"),
    [
        ("SELECT 1 WHERE $1", T.BOOL.oid),
        ("SELECT name FROM mz_clusters WHERE replication_factor BETWEEN $1 AND 3",
         T.INT4.oid),
        ("SELECT $1 BETWEEN 1 AND 3", T.INT4.oid),
        ("SELECT name FROM mz_clusters WHERE name LIKE $1", T.TEXT.oid),
        ("SELECT $1 + 1", T.INT4.oid),
    ],
)
def test_more_inferred_param_types(engine: IntrospectionEngine, sql: str,
                                   expected: int) -> None:
    assert describe(engine, sql).param_oids == (expected,)
