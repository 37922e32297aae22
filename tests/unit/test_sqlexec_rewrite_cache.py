"""The rewrite cache: hits reuse the parse, but name resolution and columns are re-checked."""

from __future__ import annotations

import pytest

from pymz import errors
from pymz.repr import Column, ScalarType
from pymz.sqlexec import IntrospectionEngine, RelationSnapshot
from pymz.sqlexec import rewrite as rewrite_module
from pymz.sqlexec.rewrite import rewrite

A = (Column("x", ScalarType.INT8),)
B = (Column("x", ScalarType.TEXT),)


def _rel(schema: str, name: str, cols: tuple[Column, ...], rows: list[tuple[object, ...]]
         ) -> RelationSnapshot:
    return RelationSnapshot(schema, name, cols, rows)


def test_hit_returns_the_current_snapshots(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    real = rewrite_module.parse_one

    def counting(sql: str) -> object:
        calls.append(sql)
        return real(sql)

    monkeypatch.setattr(rewrite_module, "parse_one", counting)
    sql = "SELECT x FROM t_hit WHERE x = $1"
    first = rewrite(sql, [], [_rel("public", "t_hit", A, [(1,)])], ["public"], {})
    newer = _rel("public", "t_hit", A, [(2,)])
    second = rewrite(sql, [], [newer], ["public"], {})
    assert len(calls) == 1
    assert second.duckdb_sql == first.duckdb_sql
    assert second.relations == (newer,)
    assert second.relations[0] is newer


def test_changed_columns_or_resolution_miss() -> None:
    sql = "SELECT x + 1 AS y FROM t_miss"
    a = rewrite(sql, [], [_rel("public", "t_miss", A, [])], ["public"], {})
    assert a.param_types == ()
    # Same name, other column types: rewritten again (parameter inference may differ).
    b = rewrite(sql, [], [_rel("public", "t_miss", B, [])], ["public"], {})
    assert b.relations[0].columns == B
    # A relation earlier on the search path now shadows the old one.
    shadow = _rel("first", "t_miss", A, [])
    c = rewrite(sql, [], [shadow, _rel("public", "t_miss", A, [])], ["first", "public"], {})
    assert c.relations == (shadow,)
    # Gone: the error is raised, not a stale cached answer.
    with pytest.raises(errors.UndefinedTable):
        rewrite(sql, [], [], ["public"], {})


def test_session_vars_are_part_of_the_key() -> None:
    engine = IntrospectionEngine()
    try:
        for user in ("alice", "bob"):
            got = engine.execute("SELECT current_user", [], [], relations=[],
                                 search_path=["public"], session_vars={"user": user})
            assert got.rows == [(user,)]
    finally:
        engine.close()


def test_engine_results_follow_new_rows_with_cached_rewrite() -> None:
    engine = IntrospectionEngine()
    try:
        for n in (1, 2, 3):
            rel = _rel("public", "t_rows", A, [(i,) for i in range(n)])
            got = engine.execute("SELECT count(*) FROM t_rows", [], [], relations=[rel],
                                 search_path=["public"], session_vars={})
            assert got.rows == [(n,)]
    finally:
        engine.close()
