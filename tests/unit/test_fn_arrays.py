"""Array functions and operators (pymz.expr.library.arrays, arrays_plan): element order and
NULL rules, evaluator = dataflow, and behaviour the PostgreSQL corpus cannot show
(one-dimensional arrays only)."""

from __future__ import annotations

import math

from tests.sqlcheck import one, rows, sqlstate

from pymz.expr.funcs import FUNCS
from pymz.expr.library.arrays import array_cmp, elem_cmp, parse_array, sort_key
from pymz.expr.library.arrays_plan import unify
from pymz.expr.scalar import ColType, ColumnRef, Literal
from pymz.repr import ScalarType

T = ScalarType








def test_element_order() -> None:
    nan = math.nan
    assert elem_cmp(None, None) == 0 and elem_cmp(None, 1) == 1 and elem_cmp(1, None) == -1
    assert elem_cmp(nan, nan) == 0 and elem_cmp(nan, 1e308) == 1
    assert array_cmp((1, None), (1, 2)) == 1
    assert array_cmp((), (None,)) == -1
    assert array_cmp([1, 2], (1, 2)) == 0  # aggregates build lists, literals tuples


def test_any_all_three_valued() -> None:
    any_, all_ = FUNCS["array_any"].impl, FUNCS["array_all"].impl
    assert any_([1, (2, None), "eq"], T.BOOL) is None
    assert any_([1, (1, None), "eq"], T.BOOL) is True
    assert any_([None, (), "eq"], T.BOOL) is False
    assert all_([None, (), "eq"], T.BOOL) is True
    assert all_([1, (2, None), "lt"], T.BOOL) is None
    assert all_([3, (2, None), "lt"], T.BOOL) is False
    assert any_([1, None, "eq"], T.BOOL) is None


def test_literals() -> None:
    assert parse_array('{1, "2" ,NULL}', T.INT4) == (1, 2, None)
    assert parse_array('{"NULL",""}', T.TEXT) == ("NULL", "")
    assert parse_array("[1:2]={a,b}", T.TEXT) == ("a", "b")


def test_multidimensional_arrays_are_not_supported() -> None:
    # Departure: PostgreSQL has them; pymz's arrays are one-dimensional.
    for sql in ("select '{{1,2},{3,4}}'::int[]", "select array[array[1]]",
                "select (array[1,2])[1][1]", "select ai[1][1] from fx"):
        assert sqlstate(sql) == "0A000", sql


def test_aggregated_arrays() -> None:
    got = rows("select cardinality(array_agg(i4)), (array_agg(i4 order by id))[2], "
               "array_agg(i4 order by id) @> array[0], 0 = any(array_agg(i4)) from fx")
    assert got == (("5", "-7", "t", "t"),)


def test_operators_on_columns_both_engines() -> None:
    got = rows("select id, ai[2], ai[2:], ai || 9, ai && '{5}', i4 = any(ai), "
               "array_position(ai, null), array_to_string(ai, '-', '?') from fx order by id")
    assert got[0] == ("1", "2", "{2,3}", "{1,2,3,9}", "f", "f", None, "1-2-3")
    assert got[2] == ("3", None, None, "{9}", None, None, None, None)
    assert got[3] == ("4", "5", "{5}", "{NULL,5,9}", "t", None, "1", "?-5")


def test_casts() -> None:
    assert one("select array[1.5::float4]::text[]") == "{1.5}"
    assert one("select array['{\"a\": 1}'::jsonb]::text[]") == '{"{\\"a\\": 1}"}'
    assert one("select '{1, 2}'::jsonb[]") == "{1,2}"
    assert one("select array['1', '2.5']::numeric[]") == "{1,2.5}"
    assert one("select array['2020-01-01']::date[]") == "{2020-01-01}"
    assert sqlstate("select array[1]::date[]") == "42846"
    assert sqlstate("select array[1]::jsonb") == "42846"
    assert sqlstate("select 'x'::text::int[]") == "22P02"
    assert sqlstate("select '{x}'::text::int[]") == "22P02"


def test_unknown_literals_take_the_array_type() -> None:
    assert one("select array_cat(array[1], '{2,3}')") == "{1,2,3}"
    assert one("select array_append('{1}', 2)") == "{1,2}"
    assert one("select array_position('{a,b}', 'b')") == "2"
    assert one("select cardinality('{a,b}'::text[])") == "2"
    assert sqlstate("select array[1] @> '{x}'") == "22P02"
    assert sqlstate("select array[1] || array['a']") == "42883"
    assert sqlstate("select array[1] @> array[1.5]") == "42883"


def test_string_to_array_edges() -> None:
    assert one("select string_to_array('a', 'a')") == '{"",""}'
    assert one("select string_to_array('xx', 'x', '')") == "{NULL,NULL,NULL}"
    assert one("select array_to_string(string_to_array('a b', null), '|')") == "a| |b"


def test_helpers_for_case_coalesce_and_sorting() -> None:
    # arrays_plan.unify: what CASE/COALESCE/VALUES need for array and jsonb branches.
    ai = (ColumnRef(0), ColType(T.INT4, True, True))
    out = unify([ai, (Literal("{2}", T.UNKNOWN), ColType(T.UNKNOWN, False))], "COALESCE")
    assert out is not None
    exprs, t = out
    assert t == ColType(T.INT4, True, True) and exprs[1] == Literal((2,), T.INT4, True)
    assert unify([(ColumnRef(0), ColType(T.INT4))], "CASE") is None
    jb = unify([(Literal('{"b":1,"a":2}', T.UNKNOWN), ColType(T.UNKNOWN, False)),
                (ColumnRef(1), ColType(T.JSONB))], "CASE")
    assert jb is not None and jb[0][0] == Literal('{"a": 2, "b": 1}', T.JSONB)
    values = [(1, 2, 3), (), None, (None, 5), (-1,), (1, None)]
    ordered = sorted((v for v in values if v is not None), key=sort_key)
    assert ordered == [(), (-1,), (1, 2, 3), (1, None), (None, 5)]
