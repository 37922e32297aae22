"""Optimisation passes: each one's effect on plan shape, and that each preserves results."""

from __future__ import annotations

import random
from collections import Counter

import pytest

from pymz.expr import evaluate, plan
from pymz.expr import relation as r
from pymz.expr.optimize import (
    extract_join_equivalences,
    fold_constants,
    optimize,
    push_predicates,
    push_projections,
)
from pymz.expr.scalar import TRUE, Call, ColumnRef, Literal
from pymz.expr.semijoin import remove_self_semijoins
from pymz.repr import Column, ScalarType

T = ScalarType
A = r.Get("a", (Column("x", T.INT4), Column("y", T.INT4, False)))
B = r.Get("b", (Column("x", T.INT4), Column("z", T.INT4)))


def i4(v: int | None) -> Literal:
    return Literal(v, T.INT4)


def call(f: str, *args: object, t: ScalarType = T.BOOL) -> Call:
    return Call(f, tuple(args), t)  # type: ignore[arg-type]


def test_fold_constants() -> None:
    two = call("add", i4(1), i4(1), t=T.INT4)
    assert fold_constants(r.Filter(A, (call("eq", two, i4(2)),))) == A
    assert fold_constants(r.Filter(A, (call("eq", i4(None), i4(2)),))) == r.empty(A.schema)
    folded = fold_constants(r.Map(r.unit(), (two,)))
    assert folded == r.Constant((((2,), 1),), folded.schema)
    # Errors are left for run time (the row may never be evaluated).
    div0 = call("div", i4(1), i4(0), t=T.INT4)
    assert fold_constants(r.Map(A, (div0,))) == r.Map(A, (div0,))
    keep = call("and", TRUE, call("gt", ColumnRef(0), i4(1)))
    assert fold_constants(r.Filter(A, (keep,))) == r.Filter(A, (call("gt", ColumnRef(0),
                                                                      i4(1)),))
    # Operators over an empty constant are empty.
    assert fold_constants(r.Join((A, r.empty(B.schema)))) == r.empty(A.schema + B.schema)


def test_extract_join_equivalences_adds_not_null_only_when_needed() -> None:
    j = r.Join((A, B))
    got = extract_join_equivalences(r.Filter(j, (call("eq", ColumnRef(0), ColumnRef(2)),)))
    assert isinstance(got, r.Filter) and isinstance(got.input, r.Join)
    assert got.input.equivalences == (((0, 0), (1, 0)),)
    assert got.predicates == (call("not", call("is_null", ColumnRef(0))),)
    # y is NOT NULL: equality with it already excludes NULLs.
    got = extract_join_equivalences(r.Filter(j, (call("eq", ColumnRef(1), ColumnRef(3)),)))
    assert got == r.Join((A, B), (((0, 1), (1, 1)),))


def test_push_predicates_into_join_inputs_and_below_reduce() -> None:
    pred_a = call("gt", ColumnRef(1), i4(0))
    pred_b = call("lt", ColumnRef(3), i4(5))
    cross = call("lt", ColumnRef(0), ColumnRef(3))
    got = push_predicates(r.Filter(r.Join((A, B)), (pred_a, pred_b, cross)))
    assert got == r.Filter(r.Join((r.Filter(A, (pred_a,)),
                                   r.Filter(B, (call("lt", ColumnRef(1), i4(5)),)))), (cross,))
    red = r.Reduce(A, (1,), (r.Aggregate("count", TRUE),))
    on_key = call("gt", ColumnRef(0), i4(0))
    on_agg = call("gt", ColumnRef(1), Literal(1, T.INT8))
    got = push_predicates(r.Filter(red, (on_key, on_agg)))
    assert got == r.Filter(r.Reduce(r.Filter(A, (call("gt", ColumnRef(1), i4(0)),)), (1,),
                                    red.aggregates), (on_agg,))


def test_push_projections_narrows_join_inputs() -> None:
    e = r.Project(r.Join((A, B), (((0, 0), (1, 0)),)), (3,))
    got = push_projections(e)
    assert isinstance(got, r.Project) and isinstance(got.input, r.Join)
    assert [len(i.schema) for i in got.input.inputs] == [1, 2]
    m = r.Project(r.Map(A, (call("add", ColumnRef(0), i4(1), t=T.INT4),
                            call("add", ColumnRef(1), i4(1), t=T.INT4))), (3,))
    got = push_projections(m)
    assert "add" in repr(got) and repr(got).count("Call(func='add'") == 1


def test_remove_self_semijoins_drops_only_joins_with_own_distinct_values() -> None:
    distinct_x = r.Reduce(r.Project(A, (0,)), (0,))
    # a ⋈ DISTINCT a.x on x: a, with x repeated in the join input's place.
    got = remove_self_semijoins(r.Join((distinct_x, A), (((0, 0), (1, 0)),)))
    assert got == r.Project(A, (0, 0, 1))
    # Through a Let binding and a filter on the other side.
    let = r.Let("l", distinct_x, r.Join(
        (r.Filter(A, (call("gt", ColumnRef(1), i4(1)),)), r.Get("l", distinct_x.schema)),
        (((0, 0), (1, 0)),)))
    got = remove_self_semijoins(let)
    assert not isinstance(got, r.Let) and "Join" not in repr(got)
    # Not the same relation, not the same column, or the distinct side filtered: kept.
    for e in (r.Join((distinct_x, B), (((0, 0), (1, 0)),)),
              r.Join((distinct_x, A), (((0, 0), (1, 1)),)),
              r.Join((r.Reduce(r.Project(r.Filter(A, (call("gt", ColumnRef(1), i4(1)),)),
                                         (0,)), (0,)), A), (((0, 0), (1, 0)),))):
        assert remove_self_semijoins(e) == e


QUERIES = [
    "select a.x, b.z from a, b where a.x = b.x and a.y > 1 and b.z < 3",
    "select a.y, count(*) from a left join b on a.x = b.x group by a.y having a.y > 0",
    "select x from a where x in (select z from b where b.x = a.y) and 1 = 1",
    "select y + 1 from a where exists (select 1 from b where b.z = a.x) and false",
    "select x from a union all select z from b where z is not null",
    "select q.x, q.n from (select x, count(*) as n from b group by x) q where q.x > 1",
    # Joins with a relation's own distinct values (removed by remove_self_semijoins).
    "select p.x, t.y from (select distinct x from a) p, lateral (select y from a a2 "
    "where a2.x = p.x order by y desc limit 1) t",
    "select a.x, a.y from a join (select distinct x from a) d on a.x = d.x",
    "select a.y, d.x from (select distinct x from a where y > 1) d join a on a.x = d.x",
    "select s.x, s.n from (select distinct x from a) d join "
    "(select x, count(*) as n from a where y < 3 group by x) s on s.x = d.x",
]


@pytest.mark.parametrize("sql", QUERIES)
@pytest.mark.parametrize("opt", [fold_constants, extract_join_equivalences, push_predicates,
                                 push_projections, remove_self_semijoins, optimize])
def test_passes_preserve_results(sql: str, opt: object) -> None:
    tables = {"a": ("a", A.columns), "b": ("b", B.columns)}
    q = plan(sql, lambda parts: tables.get(parts[-1]))
    after = opt(q.expr)  # type: ignore[operator]
    assert after.schema == q.expr.schema or [c.type for c in after.schema] == [
        c.type for c in q.expr.schema]
    rng = random.Random(7)
    for _ in range(30):
        data: dict[str, list[tuple[object, ...]]] = {
            "a": [(rng.choice([None, 1, 2, 3]), rng.randint(0, 3))
                  for _ in range(rng.randint(0, 5))],
            "b": [(rng.choice([None, 1, 2]), rng.choice([None, 0, 2, 4]))
                  for _ in range(rng.randint(0, 5))],
        }
        assert Counter(evaluate(after, data)) == Counter(evaluate(q.expr, data))
