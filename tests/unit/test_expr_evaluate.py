"""The reference evaluator: multiplicities, aggregates, TopK, Let, finishing."""

from __future__ import annotations

from collections import Counter

import pytest

from pymz import errors
from pymz.expr import evaluate, evaluate_zset, finish
from pymz.expr import relation as r
from pymz.expr.scalar import TRUE, Call, ColumnRef, Literal
from pymz.repr import Column, ScalarType

T = ScalarType
G = r.Get("g", (Column("k", T.INT4), Column("v", T.TEXT)))
ROWS: list[tuple[object, ...]] = [(1, "b"), (1, "a"), (1, None), (2, "c"), (2, "c")]


def test_union_negate_threshold_are_zset_arithmetic() -> None:
    minus = r.Union((G, r.Negate(r.Filter(G, (Call("eq", (ColumnRef(0), Literal(2, T.INT4)),
                                                    T.BOOL),)))))
    assert Counter(evaluate(minus, {"g": ROWS})) == Counter(ROWS[:3])
    neg = r.Negate(G)
    assert evaluate_zset(neg, {"g": [(1, "a")]}) == {(1, "a"): -1}
    assert evaluate(r.Threshold(neg), {"g": [(1, "a")]}) == []
    with pytest.raises(errors.InternalError, match="negative"):
        evaluate(neg, {"g": [(1, "a")]})


def test_aggregates_ignore_nulls_and_handle_distinct() -> None:
    aggs = (
        r.Aggregate("count", TRUE),
        r.Aggregate("count", ColumnRef(1)),
        r.Aggregate("count", ColumnRef(1), distinct=True),
        r.Aggregate("min", ColumnRef(1)),
        r.Aggregate("string_agg", ColumnRef(1), extra=(Literal(",", T.TEXT),)),
        r.Aggregate("array_agg", ColumnRef(1)),
        # jsonb_agg aggregates jsonb values: the planner wraps its argument in to_jsonb.
        r.Aggregate("jsonb_agg", Call("to_jsonb", (ColumnRef(1), Literal("", T.TEXT)), T.JSONB)),
        r.Aggregate("sum", ColumnRef(0)),
    )
    red = r.Reduce(G, (0,), aggs)
    got = sorted(evaluate(red, {"g": ROWS}), key=lambda row: row[0])  # type: ignore[arg-type,return-value]
    assert got[0] == (1, 3, 2, 2, "a", "a,b", ["a", "b", None], '["a", "b", null]', 3)
    assert got[1] == (2, 2, 2, 1, "c", "c,c", ["c", "c"], '["c", "c"]', 4)
    assert [c.type for c in red.schema] == [T.INT4, T.INT8, T.INT8, T.INT8, T.TEXT, T.TEXT,
                                            T.TEXT, T.JSONB, T.INT8]
    assert red.schema[6].is_array
    # No groups without input, even with an empty key (SQL's one row is the planner's job).
    assert evaluate(r.Reduce(G, (), (r.Aggregate("count", TRUE),)), {"g": []}) == []


def test_topk_per_group_with_offset() -> None:
    topk = r.TopK(G, (0,), (r.ColumnOrder(1, desc=True),), limit=1, offset=1)
    got = Counter(evaluate(topk, {"g": ROWS}))
    # Group 1 descending (NULLs first): None, b, a → offset 1 gives b; group 2: c, c → c.
    assert got == Counter([(1, "b"), (2, "c")])


def test_let_binds_a_shared_relation() -> None:
    body = r.Union((r.Get("l", G.schema), r.Get("l", G.schema)))
    let = r.Let("l", r.Filter(G, (Call("eq", (ColumnRef(0), Literal(2, T.INT4)), T.BOOL),)),
                body)
    assert evaluate(let, {"g": ROWS}) == [(2, "c")] * 4


def test_flat_map_and_finishing() -> None:
    fm = r.FlatMap(r.unit(), "generate_series", (Literal(3, T.INT4), Literal(1, T.INT4),
                                                  Literal(-1, T.INT4)),
                   (Column("g", T.INT4, False),))
    rows = evaluate(fm, {})
    assert sorted(rows) == [(1,), (2,), (3,)]
    fin = r.RowSetFinishing((r.ColumnOrder(0),), limit=2, offset=0, project=(0,))
    assert finish(rows, fin) == [(1,), (2,)]
    with pytest.raises(errors.InvalidParameterValue):
        evaluate(r.FlatMap(r.unit(), "generate_series", (Literal(1, T.INT4),
                           Literal(2, T.INT4), Literal(0, T.INT4)),
                           (Column("g", T.INT4, False),)), {})


def test_join_equivalences_match_nulls() -> None:
    other = r.Get("h", (Column("k", T.INT4),))
    j = r.Join((G, other), (((0, 0), (1, 0)),))
    got = evaluate(j, {"g": [(None, "x"), (1, "y")], "h": [(None,), (1,), (1,)]})
    assert Counter(got) == Counter([(None, "x", None), (1, "y", 1), (1, "y", 1)])


def test_let_bindings_are_scoped() -> None:
    inner = r.Let("l", G, r.Get("l", G.schema))
    outside = r.Union((inner, r.Get("l", G.schema)))
    with pytest.raises(errors.InternalError, match="no input for l"):
        evaluate(outside, {"g": ROWS})
