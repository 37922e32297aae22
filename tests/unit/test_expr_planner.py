"""Planner: errors with SQLSTATEs, output names and types, and the shape of plans."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from decimal import Decimal

import pytest

from pymz import errors
from pymz.expr import explain, plan, run_query
from pymz.expr import relation as r
from pymz.expr.relation import PlannedQuery
from pymz.repr import Column, ScalarType

T = ScalarType
TABLES = {
    "t": ("u1", [Column("a", T.INT4, False), Column("b", T.TEXT), Column("c", T.INT8)]),
    "u": ("u2", [Column("a", T.INT4), Column("d", T.NUMERIC)]),
    "ev": ("u3", [Column("id", T.INT4), Column("ts", T.MZ_TIMESTAMP)]),
}
DATA: dict[str, list[tuple[object, ...]]] = {
    "u1": [(1, "x", 10), (2, "y", None), (2, "z", 30)],
    "u2": [(1, Decimal("1.5")), (1, Decimal("2.5")), (3, None)],
    "u3": [(1, 100), (2, 200)],
}


def catalog(parts: tuple[str, ...]) -> tuple[str, list[Column]] | None:
    if len(parts) == 2 and parts[0] != "public":
        return None
    return TABLES.get(parts[-1])


def p(sql: str) -> PlannedQuery:
    return plan(sql, catalog)


def rows(sql: str, data: dict[str, list[tuple[object, ...]]] | None = None,
         ) -> list[tuple[object, ...]]:
    return run_query(p(sql), DATA if data is None else data)


@pytest.mark.parametrize(("sql", "code"), [
    ("select * from nope", "42P01"),
    ("select * from other.t", "42P01"),
    ("select nope from t", "42703"),
    ("select t.nope from t", "42703"),
    ("select a from t, u", "42702"),
    ("select b, count(*) from t", "42803"),
    ("select a, b from t group by a", "42803"),
    ("select nope(a) from t", "42883"),
    ("select a + b from t", "42883"),
    ("select a from t where b", "42804"),
    ("select a from t union select b from t", "42804"),
    ("select a from t where sum(a) > 1", "42803"),
    ("select a from t order by 5", "42P10"),
    ("select distinct a from t order by b", "42P10"),
    ("select a from t union select a, b from t", "42601"),
    ("select (select a, b from t) from t", "42601"),
    ("select 'abc'::integer", "22P02"),
    ("select a from t limit a", "0A000"),
    ("select rank() over (rows between 1 preceding and current row) from t", "0A000"),
    ("select a from t where rank() over () > 1", "42P20"),
    ("select string_agg(b, ',') over () from t", "0A000"),
    ("select count(distinct a) over () from t", "0A000"),
    ("select lag(a, a) over () from t", "0A000"),
    ("select sum(sum(a) over ()) over () from t", "42P20"),
    ("selec 1", "42601"),
    ("select now()", "0A000"),
    ("select coalesce(a, 'x') from t", "22P02"),
    ("select sum(b) from t", "42883"),
])
def test_errors_carry_sqlstates(sql: str, code: str) -> None:
    with pytest.raises(errors.PymzError) as e:
        rows(sql)
    assert e.value.sqlstate == code, e.value.message


def test_output_names_and_types() -> None:
    q = p("select a, a + 1, b as bee, count(*), sum(c), avg(a), max(b), "
          "c::text, 'lit', 1.5, coalesce(c, 0) from t group by a, b, c")
    assert q.names == ("a", "?column?", "bee", "count", "sum", "avg", "max", "c", "?column?",
                       "?column?", "coalesce")
    types = [c.type for c in q.columns]
    assert types == [T.INT4, T.INT4, T.TEXT, T.INT8, T.NUMERIC, T.NUMERIC, T.TEXT, T.TEXT,
                     T.TEXT, T.NUMERIC, T.INT8]
    nullable = [c.nullable for c in q.columns]
    assert nullable[:2] == [False, False] and nullable[3] is False


def test_global_aggregate_over_empty_input_has_one_row() -> None:
    assert rows("select count(*), sum(a), max(b) from t where a > 100") == [(0, None, None)]
    assert rows("select count(*) from t where a > 100 having count(*) > 0") == []
    assert rows("select a, count(*) from t where a > 100 group by a") == []


def test_avg_is_numeric_sum_over_count() -> None:
    assert rows("select avg(c) from t") == [(Decimal(20),)]
    assert rows("select avg(c) from t where c is null") == [(None,)]


def test_values_and_ctes() -> None:
    assert sorted(rows("values (1, 'a'), (2, null)")) == [(1, "a"), (2, None)]
    q = p("values (1), (2.5)")
    assert q.columns[0].type == T.NUMERIC
    assert isinstance(q.expr, r.Constant)
    got = rows("with x(k) as (select a from t where a > 1) select k, k * 2 from x order by k")
    assert got == [(2, 4), (2, 4)]


def test_order_by_limit_is_a_finishing_at_top_and_topk_below() -> None:
    q = p("select b from t order by c desc nulls last, b limit 2 offset 1")
    assert q.finishing.limit == 2 and q.finishing.offset == 1
    assert [o.desc for o in q.finishing.order_by] == [True, False]
    assert "TopK" not in explain(q.expr)
    assert run_query(q, DATA) == [("x",), ("y",)]
    sub = p("select * from (select a from t order by c limit 1) s")
    assert "TopK" in explain(sub.expr)
    assert run_query(sub, DATA) == [(1,)]


def test_scalar_subquery_with_two_rows_raises_21000() -> None:
    with pytest.raises(errors.PymzError) as e:
        rows("select (select d from u where u.a = t.a) from t")
    assert e.value.sqlstate == "21000"
    assert rows("select (select d from u where u.a = t.a and d > 2) from t") == [
        (Decimal("2.5"),), (None,), (None,)]


def test_correlated_subquery_is_decorrelated_into_joins() -> None:
    q = p("select a, (select count(*) from u where u.a = t.a) from t")
    text = explain(q.expr)
    assert "Join" in text and "Distinct" in text  # joined with the outer's distinct keys
    assert sorted(run_query(q, DATA)) == [(1, 2), (2, 0), (2, 0)]


def test_in_subquery_three_valued() -> None:
    data: dict[str, list[tuple[object, ...]]] = {**DATA, "u2": [(1, None), (None, None)]}
    # 1 IN (1, NULL) is true; 2 IN (1, NULL) is NULL, so NOT IN drops it too.
    assert rows("select a from t where a in (select a from u)", data) == [(1,)]
    assert rows("select a from t where a not in (select a from u)", data) == []
    got = rows("select a, a in (select a from u) from t", data)
    assert Counter(got) == Counter([(1, True), (2, None), (2, None)])


def test_generate_series_and_text_ops() -> None:
    assert rows("select g * 2 from generate_series(1, 3) g") == [(2,), (4,), (6,)]
    assert rows("select b || '!' from t where b like 'x%'") == [("x!",)]
    assert rows("select substr(b, 1, 1), upper(b) from t where a = 1") == [("x", "X")]


def test_mz_now_temporal_filter() -> None:
    q = p("select id from ev where mz_now() <= ts + 50")
    assert "mz_now()" in explain(q.expr)
    assert run_query(q, DATA, mz_now=180) == [(2,)]


def test_explain_is_indented() -> None:
    q = p("select t.b, u.d from t join u on t.a = u.a where u.d > 1 order by 1")
    text = explain(q.expr, q.finishing)
    lines = text.splitlines()
    assert lines[0].startswith("Finish order_by=[#0")
    assert any(line.startswith("    ") and "Get u1" in line for line in lines)


def test_outer_only_aggregate_in_subquery_is_rejected() -> None:
    with pytest.raises(errors.FeatureNotSupported):
        p("select (select max(t.c) from u) from t")
    # Mixed inner and outer columns belong to the subquery, as in PostgreSQL.
    assert Counter(rows("select (select sum(u.a + t.a) from u) from t")) == Counter(
        [(8,), (11,), (11,)])


def test_dates() -> None:
    got = rows("select date_trunc('month', timestamp '2020-03-04 10:00'), "
               "date '2020-01-31' + interval '1 month', extract(year from date '2021-05-01')")
    assert got == [(dt.datetime(2020, 3, 1), dt.datetime(2020, 2, 29), Decimal(2021))]
    assert p("select date_trunc('day', timestamp '2020-01-01')").names == ("date_trunc",)


def test_arrays_and_unnest() -> None:
    q = p("select x, array[x, 2] from unnest(array[1, null, 3]) as u(x)")
    assert q.columns[1].is_array and q.columns[1].type == T.INT4
    got = sorted(run_query(q, {}), key=repr)
    assert got == sorted([(1, [1, 2]), (None, [None, 2]), (3, [3, 2])], key=repr)
    with pytest.raises(errors.FeatureNotSupported):
        p("select generate_series(1, 3)")
    agg = sorted(rows("select a, array_agg(b) from t group by a"), key=repr)
    assert agg == [(1, ["x"]), (2, ["y", "z"])]
