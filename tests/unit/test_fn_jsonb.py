"""jsonb functions and operators (pymz.expr.library.jsonb*): the value model's rules, the
evaluator = dataflow, and behaviour the PostgreSQL corpus cannot show (pymz's deliberate
departures)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from tests.sqlcheck import one, rows, sqlstate

from pymz import errors
from pymz.expr.funcs import FUNCS
from pymz.expr.library import jsonb_value as jv
from pymz.expr.library.jsonb_build import to_json_data
from pymz.repr import ScalarType

T = ScalarType








def js(text: str) -> object:
    return jv.load(jv.parse(text))


def test_order_follows_postgresql() -> None:
    order = ['[]', 'null', '""', '"a"', '"b"', '-1', '1', 'false', 'true', '[0]', '[null, 1]',
             '[1, 1]', '{}', '{"b": 1}', '{"a": 1, "b": 1}']
    vals = [js(x) for x in order]
    for i, a in enumerate(vals):
        for k, b in enumerate(vals):
            assert jv.compare(a, b) == (i > k) - (i < k), (order[i], order[k])
    assert jv.equal(js("1.0"), js("1")) and not jv.equal(js("true"), js("1"))
    assert jv.compare(js('{"aa": 1}'), js('{"b": 1}')) < 0  # keys compare as text


def test_containment_and_existence() -> None:
    assert jv.contains(js('[1, [2, 3]]'), js('[[3]]'))
    assert not jv.contains(js('[1]'), js('[true]'))  # true is not 1
    assert not jv.contains(js('{"a": 1}'), js('{"a": true}'))
    assert jv.contains(js('"x"'), js('"x"')) and not jv.contains(js('"x"'), js('["x"]'))
    assert jv.exists(js('"k"'), "k") and not jv.exists(js('[["k"]]'), "k")


def test_paths() -> None:
    v = js('{"a": [10, {"b": null}]}')
    assert jv.get_path(v, ["a", "1", "b"]) == (True, None)
    assert jv.get_path(v, ["a", " -2"]) == (True, 10)
    assert jv.get_path(v, ["a", "-2 "]) == (False, None)
    assert jv.get_path(v, ["a", "1.0"]) == (False, None)
    assert jv.get_path(v, ["a", "99999999999"]) == (False, None)
    assert jv.get_path(js('"s"'), ["0"]) == (False, None)


def test_to_jsonb_values() -> None:
    assert to_json_data(1.1, "float4") == Decimal("1.1")
    assert to_json_data(float("inf")) == "Infinity"
    assert to_json_data((1.5, None), "float4") == [Decimal("1.5"), None]
    assert to_json_data(('{"a": 1}', None), "jsonb") == [{"a": 1}, None]
    assert one("select to_jsonb(array[1.1::float4, null])") == "[1.1, null]"
    assert one("select to_jsonb(array['{\"a\": 1}'::jsonb])") == '[{"a": 1}]'
    assert one("select jsonb_build_array(1.1::float4, 1.1::float8)") == "[1.1, 1.1]"


def test_departures() -> None:
    # An unknown literal is text here (PostgreSQL asks for a cast).
    assert one("select to_jsonb('x')") == '"x"'
    # Keys print like pymz's numeric text (no trailing zeros, as Materialize).
    assert one("select jsonb_build_object(1.50, 1)") == '{"1.5": 1}'
    # Grouping compares the canonical text: 1.0 and 1 are two groups (equal under =).
    assert rows("select count(*) from (values ('1.0'::jsonb), ('1'::jsonb)) v(x) "
                "group by x") == (("1",), ("1",))
    assert one("select '1.0'::jsonb = '1'::jsonb") == "t"


def test_errors() -> None:
    assert sqlstate("select '{\"a\":1}'::jsonb #- '{a,NULL}'") == "22004"
    assert sqlstate("select '[1]'::jsonb #- '{x}'") == "22P02"
    assert sqlstate("select '{' ::jsonb") == "22P02"
    assert sqlstate("select 'x'::text::jsonb") == "22P02"
    assert sqlstate("select 1::jsonb") == "42846"
    assert sqlstate("select '1'::jsonb::date") == "42846"
    assert sqlstate("select '1e400'::jsonb::float8") == "22003"
    assert sqlstate("select '\"a\"'::jsonb - 1") == "22023"
    assert sqlstate("select '1'::jsonb ?| array[1]") == "42883"
    assert sqlstate("select '{}' @> '{}'") == "42725"
    with pytest.raises(errors.InvalidParameterValue, match="non-array"):
        FUNCS["jsonb_array_length"].impl(['{"a": 1}'], T.INT4)


def test_operators_on_columns_both_engines() -> None:
    got = rows("select id, j -> 'b' -> -1 ->> 'c', j ?| array['a', 'zz'], j @> '{}', "
               "jsonb_typeof(j -> 0), j || '[]', (j)['b'][0] from fx order by id")
    assert got[0] == ("1", "x", "t", "t", None, '[{"a": 1, "b": [1, 2, {"c": "x"}], '
                      '"d": null}]', "1")
    assert got[2] == ("3", None, None, None, None, None, None)


def test_comparisons_on_columns_both_engines() -> None:
    got = rows("select id, j < '{}', j = '123', j in ('123'::jsonb) from fx order by id")
    assert [g[1] for g in got] == ["f", "t", None, "t", "t"]
    assert got[4][2] == "t"


def test_pretty_and_strip() -> None:
    assert one("select jsonb_pretty('[1, {\"a\": []}]')") == (
        "[\n    1,\n    {\n        \"a\": [\n        ]\n    }\n]")
    assert one("select jsonb_pretty('\"s\"')") == '"s"'
    assert one("select jsonb_strip_nulls('[null, {\"a\": null, \"b\": [null]}]')") == (
        '[null, {"b": [null]}]')


def test_sort_key_gives_jsonb_order() -> None:
    texts = ['{"a": 1}', '[1, 2]', "true", "2", "10", '"b"', "null", "[]", "1.0"]
    got = sorted(texts, key=jv.SortKey)
    assert got == ["[]", "null", '"b"', "1.0", "2", "10", "true", "[1, 2]", '{"a": 1}']
