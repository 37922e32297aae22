"""Table functions (pymz.expr.tablefuncs): the shared registry, planning (names, types,
ordinality, LATERAL and LEFT JOIN), evaluator = dataflow, serialisation, and the behaviour
the PostgreSQL corpus cannot show."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from tests.sqlcheck import fx_catalog, rows, sqlstate

from pymz import errors
from pymz.expr import evaluate, optimize, plan, serde
from pymz.expr import relation as r
from pymz.expr import tablefuncs as tf
from pymz.expr.library.arrays_plan import SET_RETURNING
from pymz.expr.scalar import Literal
from pymz.repr import Column, Interval, ScalarType

T = ScalarType






def test_registry_is_the_one_every_engine_uses() -> None:
    assert set(SET_RETURNING) == set(tf.TABLE_FUNCS)
    assert not hasattr(r, "TABLE_FUNCS")
    assert tf.known("jsonb_each") and tf.known(tf.OUTER + "unnest") and not tf.known("nope")
    with pytest.raises(errors.UndefinedFunction):
        list(tf.expand("nope", [], 1))


def test_expand_appends_ordinality_and_outer_null_row() -> None:
    assert list(tf.expand("unnest", [("a", "b")], 2)) == [("a", 1), ("b", 2)]
    assert list(tf.expand("unnest", [(1,), (2, 3)], 2)) == [(1, 2), (None, 3)]
    assert list(tf.expand("generate_series", [1, None], 1)) == []
    assert list(tf.expand(tf.OUTER + "generate_series", [1, None], 2)) == [(None, None)]
    assert list(tf.expand(tf.OUTER + "unnest", [()], 1)) == [(None,)]
    assert list(tf.expand(tf.OUTER + "unnest", [(7,)], 1)) == [(7,)]


def test_series_kinds() -> None:
    assert list(tf.expand("generate_series", [Decimal("0.5"), 2, Decimal("0.75")], 1)) == [
        (Decimal("0.5"),), (Decimal("1.25"),), (Decimal("2.00"),)]
    start = dt.datetime(2020, 1, 31)
    got = list(tf.expand("generate_series", [start, dt.datetime(2020, 4, 1),
                                             Interval(months=1)], 1))
    assert [g[0] for g in got] == [dt.datetime(2020, 1, 31), dt.datetime(2020, 2, 29),
                                   dt.datetime(2020, 3, 29)]
    with pytest.raises(errors.InvalidParameterValue, match="cannot be NaN"):
        list(tf.expand("generate_series", [Decimal("NaN"), 1], 1))
    # '1 month -30 days' has length zero: PostgreSQL refuses it as a step.
    with pytest.raises(errors.InvalidParameterValue, match="cannot equal zero"):
        list(tf.expand("generate_series", [start, start, Interval(1, -30, 0)], 1))


def test_series_stops_at_year_9999() -> None:
    # Departure: Python's datetimes end at 9999-12-31; the series ends there.
    assert rows("select * from generate_series('9999-12-30'::timestamp, '9999-12-31', "
                "'1 day') order by 1") == (("9999-12-30 00:00:00",), ("9999-12-31 00:00:00",))


def test_column_names_and_types() -> None:
    q = plan("select * from fx, jsonb_each(fx.j) with ordinality as e(k)", fx_catalog)
    cols = q.columns[-3:]
    assert [c.name for c in cols] == ["k", "value", "ordinality"]
    assert [c.type for c in cols] == [T.TEXT, T.JSONB, T.INT8]
    assert not cols[2].nullable
    q = plan("select * from generate_series(1::int8, 2) as g", fx_catalog)
    assert [(c.name, c.type, c.nullable) for c in q.columns] == [("g", T.INT8, False)]
    q = plan("select * from jsonb_array_elements('[1]') e", fx_catalog)
    assert q.names == ("value",)  # named by the function's OUT parameter, not the alias
    q = plan("select * from unnest(array[1], array['a']) with ordinality", fx_catalog)
    assert q.names == ("unnest", "unnest", "ordinality")
    q = plan("select * from fx left join lateral unnest(ai) u on true", fx_catalog)
    assert q.columns[-1].nullable


def test_planning_errors() -> None:
    assert sqlstate("select * from generate_series(1, 2) as g(a, b)") == "42P10"
    assert sqlstate("select * from unnest('{1,2}')") == "42725"
    assert sqlstate("select * from unnest(1)") == "42883"
    assert sqlstate("select * from generate_series(1.5::float8, 3)") == "42883"
    assert sqlstate("select * from generate_series(now(), now())") in ("42883", "0A000")
    assert sqlstate("select * from jsonb_each(1)") == "42883"
    assert sqlstate("select * from fx right join lateral unnest(ai) u on true") == "0A000"


def test_set_returning_functions_in_select_list_are_rejected() -> None:
    # Departure: PostgreSQL (and Materialize) allow them; pymz supports them in FROM only.
    for sql in ("select generate_series(1, 3)", "select unnest(array[1])",
                "select jsonb_array_elements('[1]')", "select jsonb_object_keys(j) from fx"):
        assert sqlstate(sql) == "0A000"


def test_lateral_and_left_joins() -> None:
    assert rows("select id, u from fx left join lateral unnest(ai) u on true "
                "order by id, u") == rows(
        "select id, u from fx left join lateral unnest(ai) u on 1 = 1 order by id, u")
    assert rows("select id, k from fx left join jsonb_object_keys(case when id = 1 then j "
                "end) k on true order by id, k")[:4] == (
        ("1", "a"), ("1", "b"), ("1", "d"), ("2", None))
    assert rows("select count(*) from fx, lateral generate_series(1, id) g") == (("15",),)
    # Correlated use in a subquery.
    assert rows("select id, (select count(*) from unnest(ai)) from fx order by id") == (
        ("1", "3"), ("2", "0"), ("3", "0"), ("4", "2"), ("5", "1"))


def test_flatmap_serialises_and_folds() -> None:
    q = plan("select f.id, e.*, g from fx f left join lateral jsonb_each(j) with ordinality "
             "e on true, generate_series(1, 2) g", fx_catalog)
    assert serde.loads(serde.dumps(q)) == q
    o = optimize(q.expr)
    assert serde.loads(serde.dumps(o)) == o
    # A FlatMap over constants is not folded at optimisation time (its output may be huge);
    # it runs, and fails, when the plan is evaluated.
    c = optimize(plan("select * from generate_series(1, 3)", fx_catalog).expr)
    assert isinstance(c, r.FlatMap) and len(evaluate(c, {})) == 3
    bad = optimize(plan("select * from generate_series(1, 3, 0)", fx_catalog).expr)
    with pytest.raises(errors.InvalidParameterValue):
        evaluate(bad, {})


def test_a_call_returns_at_most_max_rows(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tf, "MAX_ROWS_PER_CALL", 5)
    assert sqlstate("select count(*) from generate_series(1, 5)") == ""
    assert sqlstate("select count(*) from generate_series(1, 6)") == "54000"


def test_flatmap_ir_directly() -> None:
    fm = r.FlatMap(r.unit(), "jsonb_array_elements_text", (Literal('[1, "a", null]', T.JSONB),),
                   (Column("value", T.TEXT),))
    assert sorted(evaluate(fm, {}), key=repr) == [("1",), ("a",), (None,)]


def test_regexp_split_degenerate_matches() -> None:
    assert tf.regexp_split("hello", "", "") == list("hello")
    assert tf.regexp_split(",a,", ",", "") == ["", "a", ""]
    assert tf.regexp_split("a1b22c", "[0-9]*", "") == ["a", "b", "c"]
    assert tf.regexp_split("", ",", "") == [""]
    with pytest.raises(errors.InvalidParameterValue, match="global"):
        tf.regexp_split("a", ",", "g")
