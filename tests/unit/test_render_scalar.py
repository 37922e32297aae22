"""Compiled scalar code against the reference evaluator, edge cases of the vectorised paths,
and renderer behaviour that the differential test does not reach."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pymz import errors
from pymz.compute.dataflow import Arrange, DeltaJoin, Join, column
from pymz.compute.render import CompiledDataflow, compile_scalar
from pymz.expr import optimize, plan
from pymz.expr.evaluate import eval_scalar
from pymz.expr.scalar import Call, ColumnRef, If, Literal, ScalarExpr
from pymz.repr import Column, ScalarType

T = ScalarType
I8_MAX, I8_MIN = 2**63 - 1, -(2**63)
INTS = [0, 1, -1, 2, 7, -7, 2**31 - 1, -(2**31), I8_MAX, I8_MIN, 2**62, None]


def run_vec(e: ScalarExpr, rows: list[tuple[object, ...]], width: int) -> list[object]:
    cols = tuple(column(r[i] for r in rows) for i in range(width))
    return list(compile_scalar(e)(cols, len(rows)).tolist())


def run_ref(e: ScalarExpr, rows: list[tuple[object, ...]]) -> list[object] | type[Exception]:
    try:
        return [eval_scalar(e, r) for r in rows]
    except errors.PymzError as exc:
        return type(exc)


def matches_evaluator(e: ScalarExpr, rows: list[tuple[object, ...]]) -> None:
    """The compiled batch gives the evaluator's values; if some row fails, the batch raises
    and row by row (as ``guarded`` re-evaluates) each row gives exactly the evaluator's value
    or error."""
    want = run_ref(e, rows)
    if isinstance(want, type):
        with pytest.raises(errors.PymzError):
            run_vec(e, rows, 2)
        for row in rows:
            one = run_ref(e, [row])
            if isinstance(one, type):
                with pytest.raises(one):
                    run_vec(e, [row], 2)
            else:
                assert run_vec(e, [row], 2) == one
    else:
        assert run_vec(e, rows, 2) == want


def exprs() -> st.SearchStrategy[ScalarExpr]:
    leaves: list[ScalarExpr] = [ColumnRef(0), ColumnRef(1), Literal(3, T.INT8),
                                Literal(None, T.INT8), Literal(0, T.INT8)]
    leaf = st.sampled_from(leaves)

    def ext(inner: st.SearchStrategy[ScalarExpr]) -> st.SearchStrategy[ScalarExpr]:
        arith = st.builds(lambda f, a, b: Call(f, (a, b), T.INT8),
                          st.sampled_from(["add", "sub", "mul", "div", "mod"]), inner, inner)
        cmp = st.builds(lambda f, a, b: Call(f, (a, b), T.BOOL),
                        st.sampled_from(["eq", "lt", "gte", "neq"]), inner, inner)
        cond = st.builds(lambda f, a, b: Call(f, (a, b), T.BOOL),
                         st.sampled_from(["and", "or"]), cmp, cmp)
        case = st.builds(If, cmp, inner, inner)
        coal = st.builds(lambda a, b: Call("coalesce", (a, b), T.INT8), inner, inner)
        narrow = st.builds(lambda t, a: Call("cast", (a,), t),
                           st.sampled_from([T.INT2, T.INT4, T.INT8]), inner)
        return arith | case | coal | narrow | st.builds(
            lambda c: If(c, Literal(1, T.INT8), Literal(None, T.INT8)), cond)

    return st.recursive(leaf, ext, max_leaves=6)


@settings(max_examples=300, deadline=None)
@given(exprs(), st.lists(st.tuples(st.sampled_from(INTS), st.sampled_from(INTS)),
                         min_size=1, max_size=6))
def test_vectorised_int8_matches_evaluator(e: ScalarExpr, rows: list[tuple[object, ...]]) -> None:
    matches_evaluator(e, rows)


def test_int4_overflow_and_division() -> None:
    rows: list[tuple[object, ...]] = [(2**31 - 1, 1)]
    add = Call("add", (ColumnRef(0), ColumnRef(1)), T.INT4)
    with pytest.raises(errors.NumericValueOutOfRange):
        run_vec(add, rows, 2)
    div = Call("div", (ColumnRef(0), ColumnRef(1)), T.INT4)
    assert run_vec(div, [(-7, 2), (7, -2), (None, 0), (5, None)], 2) == [-3, -3, None, None]
    with pytest.raises(errors.DivisionByZero):
        run_vec(div, [(1, 0)], 2)
    mod = Call("mod", (ColumnRef(0), ColumnRef(1)), T.INT4)
    assert run_vec(mod, [(-7, 2), (7, -2)], 2) == [-1, 1]


def test_short_circuit_skips_failing_rows() -> None:
    x = ColumnRef(0)
    guard = Call("and", (Call("neq", (x, Literal(0, T.INT4)), T.BOOL),
                         Call("gt", (Call("div", (Literal(10, T.INT4), x), T.INT4),
                                     Literal(2, T.INT4)), T.BOOL)), T.BOOL)
    assert run_vec(guard, [(0,), (1,), (5,), (None,)], 1) == [False, True, False, None]
    case = If(Call("eq", (x, Literal(0, T.INT4)), T.BOOL), Literal(None, T.INT4),
              Call("div", (Literal(6, T.INT4), x), T.INT4))
    assert run_vec(case, [(0,), (3,), (None,)], 1) == [None, 2, None]


def test_non_integer_objects_are_not_truncated() -> None:
    lt = Call("lt", (ColumnRef(0), ColumnRef(1)), T.BOOL)
    rows: list[tuple[object, ...]] = [(Decimal("1.5"), Decimal("1.7")), (None, Decimal(1))]
    assert run_vec(lt, rows, 2) == [True, None]
    assert run_vec(lt, [(True, False), (None, True)], 2) == [False, None]


def test_empty_batches_and_rowwise_functions() -> None:
    up = Call("upper", (ColumnRef(0),), T.TEXT)
    assert run_vec(up, [], 1) == []
    assert run_vec(up, [("a",), (None,)], 1) == ["A", None]
    cast = Call("cast", (ColumnRef(0),), T.NUMERIC)
    assert [str(v) for v in run_vec(cast, [(3,)], 1)] == ["3"]


TABLES = {"t": ("u1", [Column("a", T.INT4), Column("b", T.TEXT), Column("c", T.INT4)]),
          "ev": ("u3", [Column("id", T.INT4), Column("ts", T.INT8)])}


def compiled(sql: str, as_of: int = 1) -> CompiledDataflow:
    p = plan(sql, lambda parts: TABLES.get(parts[-1]))
    return CompiledDataflow(optimize(p.expr), {g: tuple(c) for g, c in TABLES.values()},
                            as_of=as_of)


def test_error_appears_and_disappears_with_its_row() -> None:
    cd = compiled("select a, 10 / c from t")
    cd.push("u1", [((1, "x", 2), 1, 1), ((2, "y", 0), 2, 1)])
    cd.advance_all(3)
    cd.step()
    assert cd.rows(1) == [(1, 5)]
    with pytest.raises(errors.DivisionByZero):
        cd.rows(2)
    cd.push("u1", [((2, "y", 0), 3, -1)])
    cd.advance_all(4)
    cd.step()
    assert cd.rows(3) == [(1, 5)]


def test_subscribe_and_compaction() -> None:
    cd = compiled("select a, count(*) from t group by a")
    cd.push("u1", [((1, "x", 2), 1, 1)])
    cd.advance_all(2)
    cd.step()
    sub = cd.subscribe()
    cd.push("u1", [((1, "y", 3), 2, 1)])
    cd.advance_all(3)
    cd.step()
    chunks = sub.poll()
    assert chunks[0][2].rows() == [(1, 1)]  # the snapshot
    changes = sorted(u for _, _, b in chunks[1:] for u in b.updates())
    assert changes == [((1, 1), 2, -1), ((1, 2), 2, 1)]
    cd.allow_compaction(2)
    with pytest.raises(errors.PymzError):
        cd.snapshot(1)
    assert cd.rows(2) == [(1, 2)]


def test_temporal_filter_expires_rows_without_input_changes() -> None:
    cd = compiled("select id from ev where mz_now() < ts + 5 and mz_now() >= ts")
    cd.push("u3", [((1, 10), 1, 1), ((2, None), 1, 1)])
    cd.advance_all(20)
    cd.step()
    assert [cd.rows(t) for t in (9, 10, 14, 15)] == [[], [(1,)], [(1,)], []]


def test_mz_now_outside_filters_is_unsupported() -> None:
    with pytest.raises(errors.FeatureNotSupported):
        compiled("select mz_now() from t")
    with pytest.raises(errors.FeatureNotSupported):
        compiled("select a from t where mz_now() > 5 or a = 1")


def test_inputs_before_as_of_are_advanced() -> None:
    cd = compiled("select a from t", as_of=10)
    cd.push("u1", [((1, "x", 2), 3, 1)])
    cd.advance_all(11)
    cd.step()
    assert cd.rows(10) == [(1,)]


def test_large_random_batches_are_vectorised_consistently() -> None:
    rng = random.Random(3)
    rows: list[tuple[object, ...]] = [
        (rng.choice(INTS[:-1]), rng.choice([1, 2, 3, None])) for _ in range(500)]
    e = Call("lt", (ColumnRef(0), Call("mul", (ColumnRef(1), Literal(1000, T.INT8)), T.INT8)),
             T.BOOL)
    assert run_vec(e, rows, 2) == run_ref(e, rows)
    assert np.asarray(compile_scalar(e)(
        (column([1, 2]), column([3, 4])), 2)).dtype == np.bool_


JOIN_TABLES = {
    "t": ("u1", [Column("a", T.INT4), Column("b", T.TEXT), Column("c", T.INT4)]),
    "u": ("u2", [Column("a", T.INT4), Column("d", T.INT8)]),
    "ev": ("u3", [Column("id", T.INT4), Column("ts", T.INT8)]),
}


def operators(sql: str) -> list[object]:
    p = plan(sql, lambda parts: JOIN_TABLES.get(parts[-1]))
    cd = CompiledDataflow(optimize(p.expr), {g: tuple(c) for g, c in JOIN_TABLES.values()})
    return list(cd.df.operators)


@pytest.mark.parametrize("sql", [
    "select t.a, u.d, t2.b from t join u on t.a = u.a join t t2 on t2.c = u.d",
    "select t.b, u.d, ev.id from t join u on t.a = u.a join ev on ev.id = u.a",
    "select * from t cross join u where t.c = u.d",
    "select t.a, u.d from t left join u on t.a = u.a",
])
def test_equi_joins_never_cross(sql: str) -> None:
    """Equalities (also under widening casts, also across nested joins) become keys."""
    ops = operators(sql)
    keys = [op.key for op in ops if isinstance(op, Arrange)]
    assert keys and all(keys), keys


def test_three_way_join_is_one_delta_join_and_arrangements_are_shared() -> None:
    ops = operators("select t.b, u.d, ev.id from t join u on t.a = u.a join ev on ev.id = u.a")
    assert sum(isinstance(op, DeltaJoin) for op in ops) == 1
    assert not any(isinstance(op, Join) for op in ops)
    arranged = [(id(op.inputs[0]), op.key) for op in ops if isinstance(op, Arrange)]
    assert len(arranged) == len(set(arranged)) == 3  # u is arranged once for both paths


FLOATS: list[object] = [0.0, -0.0, 1.5, -2.25, 3, -7, 1e308, -1e308, 1e-308, 2**60, 2**63 - 1,
                        None]


def float_exprs() -> st.SearchStrategy[ScalarExpr]:
    leaves: list[ScalarExpr] = [ColumnRef(0), ColumnRef(1), Literal(2.0, T.FLOAT8),
                                Literal(0.0, T.FLOAT8), Literal(None, T.FLOAT8)]
    leaf = st.sampled_from(leaves)

    def ext(inner: st.SearchStrategy[ScalarExpr]) -> st.SearchStrategy[ScalarExpr]:
        arith = st.builds(lambda f, a, b: Call(f, (a, b), T.FLOAT8),
                          st.sampled_from(["add", "sub", "mul", "div"]), inner, inner)
        cmp = st.builds(lambda f, a, b: Call(f, (a, b), T.BOOL),
                        st.sampled_from(["lt", "gte", "eq"]), inner, inner)
        cast = st.builds(lambda a: Call("cast", (a,), T.FLOAT8), inner)
        return arith | cast | st.builds(If, cmp, inner, inner)

    return st.recursive(leaf, ext, max_leaves=5)


@settings(max_examples=300, deadline=None)
@given(float_exprs(), st.lists(st.tuples(st.sampled_from(FLOATS), st.sampled_from(FLOATS)),
                               min_size=1, max_size=6))
def test_vectorised_float8_matches_evaluator(e: ScalarExpr,
                                             rows: list[tuple[object, ...]]) -> None:
    """float8 arithmetic runs as numpy operations; values, overflow (22003) and division by
    zero (22012) must be exactly the evaluator's, over native, mixed and NULL columns."""
    matches_evaluator(e, rows)


def test_float_arith_over_decimals_and_huge_ints_takes_the_exact_path() -> None:
    add = Call("add", (ColumnRef(0), ColumnRef(1)), T.FLOAT8)
    div = Call("div", (ColumnRef(0), ColumnRef(1)), T.FLOAT8)
    rows: list[tuple[object, ...]] = [(2**70, 1.0), (3, 0.5), (None, 1.0)]
    assert run_vec(add, rows, 2) == run_ref(add, rows)
    ints: list[tuple[object, ...]] = [(2**60 + 1, 3), (10, 4)]  # int / int rounds once
    assert run_vec(div, ints, 2) == run_ref(div, ints)
    with pytest.raises(errors.DivisionByZero):
        run_vec(div, [(1.0, 0.0)], 2)
    with pytest.raises(errors.NumericValueOutOfRange):
        run_vec(Call("mul", (ColumnRef(0), ColumnRef(1)), T.FLOAT8), [(1e200, 1e200)], 2)


@pytest.mark.parametrize("f", ["eq", "neq", "lt", "lte", "gt", "gte"])
def test_object_comparisons_match_evaluator(f: str) -> None:
    """Dates and text compare through numpy's object loop, NULLs propagate."""
    d = dt.date
    e = Call(f, (ColumnRef(0), ColumnRef(1)), T.BOOL)
    rows: list[tuple[object, ...]] = [
        (d(2020, 1, 1), d(2020, 1, 2)), (d(2021, 5, 5), d(2021, 5, 5)), (None, d(2020, 1, 1)),
        (d(1999, 12, 31), None), (d(2030, 1, 1), d(2000, 1, 1))]
    assert run_vec(e, rows, 2) == run_ref(e, rows)
    assert run_vec(e, [r for r in rows if None not in r], 2) == run_ref(
        e, [r for r in rows if None not in r])
    texts: list[tuple[object, ...]] = [("a", "b"), ("b", "a"), ("", ""), ("x", None)]
    assert run_vec(e, texts, 2) == run_ref(e, texts)
