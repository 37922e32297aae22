"""Queries over synthetic catalog snapshots: joins, aggregates, CTEs, names, functions."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pytest

from pymz import errors
from pymz.repr import Column, ScalarType
from pymz.sqlexec import (
    DatabaseEntry,
    IntrospectionEngine,
    RelationSnapshot,
    SchemaEntry,
    pg_catalog_relations,
)
from pymz.sqlexec import QueryRows as QueryResult

T = ScalarType
SEARCH_PATH = ("public", "mz_catalog", "mz_internal", "pg_catalog")
VARS = {
    "cluster": "quickstart",
    "database": "materialize",
    "user": "alice",
    "environment_id": "local-az1-1234",
    "connection_id": "42",
}

CLUSTERS = RelationSnapshot(
    "mz_catalog",
    "mz_clusters",
    (
        Column("id", T.TEXT, False),
        Column("name", T.TEXT, False),
        Column("size", T.TEXT),
        Column("replication_factor", T.INT4),
        Column("oid", T.OID, False),
    ),
    [
        ("u1", "quickstart", "25cc", 1, 20001),
        ("u2", "analytics", "100cc", 2, 20002),
        ("s1", "mz_system", None, None, 20003),
    ],
)
REPLICAS = RelationSnapshot(
    "mz_catalog",
    "mz_cluster_replicas",
    (
        Column("id", T.TEXT, False),
        Column("name", T.TEXT, False),
        Column("cluster_id", T.TEXT, False),
        Column("size", T.TEXT),
    ),
    [("u1", "r1", "u1", "25cc"), ("u2", "r1", "u2", "100cc"), ("u3", "r2", "u2", "100cc")],
)
STATUSES = RelationSnapshot(
    "mz_internal",
    "mz_cluster_replica_statuses",
    (
        Column("replica_id", T.TEXT, False),
        Column("process_id", T.INT8, False),
        Column("status", T.TEXT, False),
    ),
    [("u1", 0, "online"), ("u2", 0, "online"), ("u3", 0, "offline")],
)
RELATIONS = (CLUSTERS, REPLICAS, STATUSES)


@pytest.fixture(scope="module")
def engine() -> IntrospectionEngine:
    return IntrospectionEngine()


def run(
    engine: IntrospectionEngine,
    sql: str,
    params: Sequence[object | None] = (),
    param_oids: Sequence[int] = (),
    *,
    relations: Sequence[RelationSnapshot] = RELATIONS,
    search_path: Sequence[str] = SEARCH_PATH,
    session_vars: Mapping[str, str] = VARS,
) -> QueryResult:
    return engine.execute(
        sql, params, param_oids,
        relations=relations, search_path=search_path, session_vars=session_vars,
    )


def test_select_constants(engine: IntrospectionEngine) -> None:
    r = run(engine, "SELECT 1")
    assert r.rows == [(1,)]
    assert r.columns == (Column("?column?", T.INT4),)
    assert len(r.rows) == 1
    r = run(engine, "SELECT 'a'")
    assert r.columns[0].type is T.TEXT
    assert r.rows == [("a",)]


def test_join_aggregate_order(engine: IntrospectionEngine) -> None:
    r = run(
        engine,
        """SELECT c.name, count(r.id) AS replicas
           FROM mz_clusters c LEFT JOIN mz_cluster_replicas r ON r.cluster_id = c.id
           GROUP BY c.name ORDER BY replicas DESC, c.name""",
    )
    assert [c.name for c in r.columns] == ["name", "replicas"]
    assert r.columns[1].type is T.INT8
    assert r.rows == [("analytics", 2), ("quickstart", 1), ("mz_system", 0)]
    assert len(r.rows) == 3


def test_three_way_join_across_schemas(engine: IntrospectionEngine) -> None:
    r = run(
        engine,
        """SELECT c.name AS cluster, r.name AS replica, s.status
           FROM mz_catalog.mz_clusters c
           JOIN mz_catalog.mz_cluster_replicas r ON r.cluster_id = c.id
           JOIN mz_internal.mz_cluster_replica_statuses s ON s.replica_id = r.id
           WHERE s.status <> 'online'""",
    )
    assert r.rows == [("analytics", "r2", "offline")]


def test_cte_subquery_limit(engine: IntrospectionEngine) -> None:
    r = run(
        engine,
        """WITH busy AS (SELECT cluster_id FROM mz_cluster_replicas
                         GROUP BY cluster_id HAVING count(*) > 1)
           SELECT name FROM mz_clusters WHERE id IN (SELECT cluster_id FROM busy)""",
    )
    assert r.rows == [("analytics",)]
    r = run(
        engine,
        "SELECT name, (SELECT count(*) FROM mz_cluster_replicas r WHERE r.cluster_id = c.id)"
        " FROM mz_clusters c ORDER BY name LIMIT 2 OFFSET 1",
    )
    assert r.rows == [("mz_system", 0), ("quickstart", 1)]
    assert [c.name for c in r.columns] == ["name", "count"]
    r = run(engine, "SELECT EXISTS (SELECT 1 FROM mz_clusters WHERE size IS NULL)")
    assert r.rows == [(True,)]
    assert r.columns[0].name == "exists"


def test_set_operation_names_from_left(engine: IntrospectionEngine) -> None:
    r = run(engine, "SELECT id AS x FROM mz_clusters UNION ALL SELECT id FROM mz_cluster_replicas"
                    " ORDER BY 1")
    assert r.columns[0].name == "x"
    assert len(r.rows) == 6


def test_column_names_like_postgres(engine: IntrospectionEngine) -> None:
    r = run(engine, "SELECT count(*), 1 + 1, 1::int, 'x'::text, name::text, "
                    "CASE WHEN true THEN 1 END, max(oid) FROM mz_clusters GROUP BY name "
                    "ORDER BY name LIMIT 1")
    assert [c.name for c in r.columns] == [
        "count", "?column?", "int4", "text", "name", "case", "max"
    ]
    assert r.columns[6].type is T.OID


def test_star_and_qualified_star(engine: IntrospectionEngine) -> None:
    r = run(engine, "SELECT c.*, 1 AS one FROM mz_clusters c WHERE c.id = 'u1'")
    assert [c.name for c in r.columns] == ["id", "name", "size", "replication_factor", "oid",
                                           "one"]
    assert r.rows == [("u1", "quickstart", "25cc", 1, 20001, 1)]


def test_empty_relation(engine: IntrospectionEngine) -> None:
    empty = RelationSnapshot("mz_catalog", "mz_clusters", CLUSTERS.columns, [])
    r = run(engine, "SELECT * FROM mz_clusters", relations=[empty])
    assert r.rows == []
    assert len(r.rows) == 0
    assert len(r.columns) == 5
    r = run(engine, "SELECT count(*) FROM mz_clusters", relations=[empty])
    assert r.rows == [(0,)]


def test_snapshot_changes_are_seen(engine: IntrospectionEngine) -> None:
    one = RelationSnapshot("mz_catalog", "mz_clusters", CLUSTERS.columns,
                           [("u9", "x", None, 1, 1)], version=1)
    assert run(engine, "SELECT id FROM mz_clusters", relations=[one]).rows == [("u9",)]
    two = RelationSnapshot("mz_catalog", "mz_clusters", CLUSTERS.columns,
                           [("u8", "y", None, 1, 1)], version=2)
    assert run(engine, "SELECT id FROM mz_clusters", relations=[two]).rows == [("u8",)]
    # Without versions, changed contents are detected by comparison.
    three = RelationSnapshot("mz_catalog", "mz_clusters", CLUSTERS.columns,
                             [("u7", "z", None, 1, 1)])
    assert run(engine, "SELECT id FROM mz_clusters", relations=[three]).rows == [("u7",)]


def test_session_functions(engine: IntrospectionEngine) -> None:
    r = run(engine, "SELECT version(), current_database(), current_user, current_schema(), "
                    "current_setting('cluster'), pg_backend_pid(), mz_version(), "
                    "mz_environment_id(), pg_catalog.current_setting('database'), "
                    "has_table_privilege('mz_clusters', 'SELECT')")
    (row,) = r.rows
    assert str(row[0]).startswith("PostgreSQL 9.5.0 on x86_64-pc-linux-gnu (pymz v")
    assert row[1:] == ("materialize", "alice", "public", "quickstart", 42,
                       row[6], "local-az1-1234", "materialize", True)
    assert str(row[6]).startswith("v")
    assert [c.name for c in r.columns][:5] == [
        "version", "current_database", "current_user", "current_schema", "current_setting"
    ]
    r = run(engine, "SELECT now()")
    assert r.columns[0].type is T.TIMESTAMPTZ
    assert r.rows[0][0].tzinfo is not None  # type: ignore[attr-defined]
    r = run(engine, "SELECT current_setting('nonexistent', true)")
    assert r.rows == [(None,)]


def test_search_path_resolution(engine: IntrospectionEngine) -> None:
    shadow = RelationSnapshot("public", "mz_clusters", (Column("x", T.INT4),), [(7,)])
    rels = (*RELATIONS, shadow)
    # An explicit path is searched in order...
    assert run(engine, "SELECT count(*) FROM mz_clusters", relations=rels).rows == [(1,)]
    # ...and mz_catalog/pg_catalog, when absent from it, are searched first (Materialize).
    r = run(engine, "SELECT count(*) FROM mz_clusters", relations=rels, search_path=["public"])
    assert r.rows == [(3,)]
    assert run(engine, "SELECT x FROM public.mz_clusters", relations=rels).rows == [(7,)]
    # mz_internal is reachable unqualified only when on the path.
    assert run(engine, "SELECT count(*) FROM mz_cluster_replica_statuses").rows == [(3,)]
    with pytest.raises(errors.UndefinedTable):
        run(engine, "SELECT * FROM mz_cluster_replica_statuses",
            search_path=["public"])
    r = run(engine, "SELECT mz_catalog.mz_clusters.id FROM materialize.mz_catalog.mz_clusters"
                    " WHERE mz_clusters.id = 's1'")
    assert r.rows == [("s1",)]


def test_our_pg_catalog_shadows_duckdb(engine: IntrospectionEngine) -> None:
    rels = [
        *RELATIONS,
        *pg_catalog_relations(
            [DatabaseEntry(1, "materialize"), DatabaseEntry(2, "other")],
            [SchemaEntry(11, "pg_catalog"), SchemaEntry(12, "mz_catalog"),
             SchemaEntry(100, "public", 1), SchemaEntry(101, "public", 2),
             SchemaEntry(102, "analytics", 1)],
            VARS,
        ),
    ]
    r = run(engine, "SELECT datname FROM pg_database ORDER BY oid", relations=rels)
    assert r.rows == [("materialize",), ("other",)]
    r = run(engine, "SELECT nspname FROM pg_catalog.pg_namespace ORDER BY oid", relations=rels)
    assert r.rows == [("pg_catalog",), ("mz_catalog",), ("public",), ("analytics",)]
    r = run(engine, "SELECT typname, typarray FROM pg_type WHERE oid = 23", relations=rels)
    assert r.rows == [("int4", 1007)]
    r = run(engine, "SELECT t.typname, n.nspname FROM pg_type t JOIN pg_namespace n "
                    "ON n.oid = t.typnamespace WHERE t.oid = $1", [16552], [26],
            relations=rels)
    assert r.rows == [("mz_timestamp", "mz_catalog")]
    r = run(engine, "SELECT setting FROM pg_settings WHERE name = 'cluster'", relations=rels)
    assert r.rows == [("quickstart",)]
    # DuckDB's own pg_class exists, but ours does not: the name must not resolve to DuckDB's.
    with pytest.raises(errors.UndefinedTable):
        run(engine, "SELECT * FROM pg_catalog.pg_class", relations=rels)
    with pytest.raises(errors.UndefinedTable):
        run(engine, "SELECT * FROM information_schema.tables", relations=rels)


def test_pg_type_covers_every_scalar_type() -> None:
    rels = {r.name: r for r in pg_catalog_relations([], [], {})}
    oids = {row[0] for row in rels["pg_type"].rows}
    for t in ScalarType:
        assert t.oid in oids
        if t.array_oid:
            assert t.array_oid in oids


def test_describe_matches_execute(engine: IntrospectionEngine) -> None:
    sql = "SELECT name, replication_factor FROM mz_clusters WHERE id = $1"
    d = engine.describe(sql, [0], relations=RELATIONS, search_path=SEARCH_PATH,
                        session_vars=VARS)
    assert d.param_oids == (T.TEXT.oid,)
    r = run(engine, sql, ["u2"])
    assert d.columns == r.columns
    assert r.rows == [("analytics", 2)]


def test_driver_type_introspection_shape(engine: IntrospectionEngine) -> None:
    """The constructs asyncpg's type introspection uses: $1::oid[], = any(), regtype::text,
    WITH RECURSIVE, LEFT JOINs against pg_type/pg_range."""
    rels = pg_catalog_relations([DatabaseEntry(1, "materialize")],
                                [SchemaEntry(11, "pg_catalog"), SchemaEntry(12, "mz_catalog")],
                                VARS)
    sql = """
        WITH RECURSIVE tree(oid, name, elemtype, depth) AS (
            SELECT t.oid, t.typname, t.typelem, 0 FROM pg_catalog.pg_type AS t
            LEFT JOIN pg_range r ON t.oid = r.rngtypid
            WHERE t.oid = any($1::oid[])
            UNION ALL
            SELECT t.oid, t.typname, t.typelem, tt.depth + 1
            FROM pg_type t, tree tt WHERE tt.elemtype <> 0 AND t.oid = tt.elemtype
        )
        SELECT DISTINCT *, elemtype::regtype::text AS elemtype_name FROM tree
        ORDER BY depth DESC"""
    d = engine.describe(sql, [], relations=rels, search_path=["public"], session_vars=VARS)
    assert d.param_oids == (T.OID.array_oid,)
    r = run(engine, sql, [[T.MZ_TIMESTAMP.array_oid]], relations=rels)
    assert r.rows == [
        (T.MZ_TIMESTAMP.oid, "mz_timestamp", 0, 1, "-"),
        (T.MZ_TIMESTAMP.array_oid, "_mz_timestamp", T.MZ_TIMESTAMP.oid, 0, "mz_timestamp"),
    ]


def test_cast_column_names(engine: IntrospectionEngine) -> None:
    r = run(engine, "SELECT oid::int::text, 1::int::text, 'int4'::regtype::text, (SELECT 1), "
                    "(SELECT name) FROM mz_clusters LIMIT 1")
    assert [c.name for c in r.columns] == ["oid", "text", "text", "?column?", "name"]
    assert r.rows[0][2] == "integer"


def test_values_and_current_schemas(engine: IntrospectionEngine) -> None:
    r = run(engine, "VALUES (1, 'a'), (2, 'b')")
    assert [c.name for c in r.columns] == ["column1", "column2"]
    assert r.rows == [(1, "a"), (2, "b")]
    r = run(engine, "SELECT column2 FROM (VALUES (1, 'a')) v WHERE column1 = 1")
    assert r.rows == [("a",)]
    r = run(engine, "SELECT current_schemas(true), current_schemas(false)",
            search_path=["public"])
    assert r.columns[0] == Column("current_schemas", T.TEXT, is_array=True)
    assert r.rows == [(["mz_catalog", "pg_catalog", "public"], ["public"])]
