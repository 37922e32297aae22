"""One-dimensional array functions and the implementations of array operators.

SQL-callable: array_length, cardinality, array_upper, array_lower, array_ndims, array_dims,
array_to_string, array_position, array_positions, array_cat, array_append, array_prepend,
array_remove, array_replace, string_to_array, arraycontains, arraycontained, arrayoverlap.
Reached through operators and planner code (:mod:`~pymz.expr.library.arrays_plan`):
subscripts ``a[i]`` and slices ``a[i:j]``, ``@>`` ``<@`` ``&&`` ``||``, the comparisons
``= <> < <= > >=``, ``x op ANY/ALL (array)``, and casts to, from and between array types.

Guarantees (PostgreSQL 15): arrays start at 1 (a subscript out of range is NULL, slices are
clipped), an empty array has no dimensions (array_length/array_upper/array_dims are NULL),
NULL elements are equal to each other under ``=`` and sort after everything (and NaN
equals NaN) but never match in ``@>``/``&&``, array_position/array_remove/array_replace
find NULLs (IS NOT DISTINCT FROM), array_cat/append/prepend treat a NULL array as empty.
ANY/ALL follow three-valued logic (an empty array gives false for ANY, true for ALL).
Departs from PostgreSQL: multi-dimensional arrays are not supported (0A000 where they would
arise); jsonb elements of arrays compare as their canonical text.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

from sqlglot import exp

from pymz import errors
from pymz.expr.funcs import TEXT_TYPES, Impl, cast_value
from pymz.expr.library.jsonb_build import from_jsonb
from pymz.expr.library.jsonb_value import register
from pymz.expr.sigs import args_of, define, node
from pymz.repr import ScalarType, textfmt

T = ScalarType

# Text input functions of array element types (array literals and text -> array casts).
ELEM_IN: dict[ScalarType, Callable[[str], object]] = {
    T.BOOL: textfmt.bool_in,
    T.BYTEA: textfmt.bytea_in,
    T.INT2: lambda s: textfmt.int_in(s, "smallint"),
    T.INT4: lambda s: textfmt.int_in(s, "integer"),
    T.INT8: lambda s: textfmt.int_in(s, "bigint"),
    T.OID: lambda s: textfmt.int_in(s, "oid"),
    T.FLOAT4: lambda s: textfmt.float_in(s, single=True),
    T.FLOAT8: textfmt.float_in,
    T.NUMERIC: textfmt.numeric_in,
    T.TEXT: str,
    T.VARCHAR: str,
    T.CHAR: str,
    T.DATE: textfmt.date_in,
    T.TIME: textfmt.time_in,
    T.TIMESTAMP: textfmt.timestamp_in,
    T.TIMESTAMPTZ: textfmt.timestamptz_in,
    T.INTERVAL: textfmt.interval_in,
    T.JSONB: textfmt.jsonb_in,
    T.UUID: textfmt.uuid_in,
}


def parse_array(text: str, elem: ScalarType) -> tuple[object, ...]:
    """An array literal (``'{1,2,NULL}'``) of ``elem`` values (22P02 if malformed)."""
    elem_in = ELEM_IN.get(elem)
    if elem_in is None:
        raise errors.FeatureNotSupported(f"arrays of type {elem.type_name} are not supported")
    return tuple(textfmt.array_in(text, elem_in, f"{elem.type_name}[]"))


def _arr(v: object) -> tuple[object, ...]:
    assert isinstance(v, tuple | list)
    return tuple(v)


# --- element comparison (btree semantics: NULLs last and equal, NaN equal to NaN) -------------


def _is_nan(v: object) -> bool:
    return isinstance(v, float) and math.isnan(v)


def elem_cmp(x: object, y: object) -> int:
    if x is None or y is None:
        return 0 if x is y else (1 if x is None else -1)
    nx, ny = _is_nan(x), _is_nan(y)
    if nx or ny:
        return 0 if nx and ny else (1 if nx else -1)
    return int(x > y) - int(x < y)  # type: ignore[operator]


def array_cmp(a: Sequence[object], b: Sequence[object]) -> int:
    for x, y in zip(a, b, strict=False):
        c = elem_cmp(x, y)
        if c:
            return c
    return (len(a) > len(b)) - (len(a) < len(b))


def sort_key(v: Sequence[object]) -> tuple[tuple[int, object], ...]:
    """A Python sort key giving arrays PostgreSQL's order (NULL elements last), for ORDER BY,
    min/max and TopK over array columns (a plain tuple comparison fails on NULLs)."""
    return tuple((1, 0) if x is None else (0, x) for x in v)


def _distinct_eq(x: object, y: object) -> bool:
    """IS NOT DISTINCT FROM on elements."""
    return elem_cmp(x, y) == 0


_TESTS: dict[str, Callable[[int], bool]] = {
    "eq": lambda c: c == 0, "neq": lambda c: c != 0, "lt": lambda c: c < 0,
    "lte": lambda c: c <= 0, "gt": lambda c: c > 0, "gte": lambda c: c >= 0,
}
ARRAY_COMPARE = {"eq": "array_eq", "neq": "array_ne", "lt": "array_lt", "lte": "array_le",
                 "gt": "array_gt", "gte": "array_ge"}
_SYMBOLS = {"eq": "=", "neq": "<>", "lt": "<", "lte": "<=", "gt": ">", "gte": ">="}


def _compare(test: str) -> Impl:
    check = _TESTS[test]
    return lambda a, t: check(array_cmp(_arr(a[0]), _arr(a[1])))


for _test, _key in ARRAY_COMPARE.items():
    register(_key, _compare(_test), infix=_SYMBOLS[_test])


def _not_distinct(a: Sequence[object], t: ScalarType) -> object:
    x, y = a
    if x is None or y is None:
        return x is y
    return array_cmp(_arr(x), _arr(y)) == 0


ARRAY_COMPARE["is_not_distinct"] = "array_not_distinct"
register("array_not_distinct", _not_distinct, propagates=False, never_null=True,
         infix="IS NOT DISTINCT FROM")


def _elem_test(op: str, x: object, y: object) -> bool | None:
    """``x op y`` on elements with SQL NULL semantics (used by ANY/ALL)."""
    if x is None or y is None:
        return None
    return _TESTS[op](elem_cmp(x, y))


def _any_all(want_all: bool) -> Impl:
    def run(a: Sequence[object], t: ScalarType) -> object:
        x, arr, op = a[0], a[1], str(a[2])
        if arr is None:
            return None
        saw_null = False
        for y in _arr(arr):
            r = _elem_test(op, x, y)
            if r is None:
                saw_null = True
            elif r is not want_all:
                return r
        return None if saw_null else want_all
    return run


register("array_any", _any_all(False), propagates=False, introduces_nulls=True)
register("array_all", _any_all(True), propagates=False, introduces_nulls=True)


# --- subscripts and casts ---------------------------------------------------------------------


def _subscript(a: Sequence[object], t: ScalarType) -> object:
    arr, i = _arr(a[0]), a[1]
    assert isinstance(i, int)
    return arr[i - 1] if 1 <= i <= len(arr) else None


def _slice(a: Sequence[object], t: ScalarType) -> object:
    arr, lo, hi = _arr(a[0]), a[1], a[2]
    assert isinstance(lo, int) and isinstance(hi, int)
    lo = max(lo, 1)
    hi = min(hi, len(arr))
    return arr[lo - 1:hi] if lo <= hi else ()


register("array_subscript", _subscript, introduces_nulls=True)
register("array_slice", _slice)


def elem_caster(src: ScalarType, dst: ScalarType) -> Callable[[object], object]:
    """The cast of one non-NULL element from ``src`` to ``dst``."""
    if src == dst or (src in TEXT_TYPES and dst in TEXT_TYPES):
        return lambda v: v
    if dst in TEXT_TYPES:
        return lambda v: textfmt.value_out(src, v) if not isinstance(v, bool) else (
            "true" if v else "false")
    if src in TEXT_TYPES:
        elem_in = ELEM_IN[dst]
        return lambda v: elem_in(str(v))
    if src == T.JSONB:
        return lambda v: from_jsonb([v], dst)
    return lambda v: cast_value(v, dst)


def _array_cast(a: Sequence[object], t: ScalarType) -> object:
    cast = elem_caster(ScalarType[str(a[1])], t)
    return tuple(None if v is None else cast(v) for v in _arr(a[0]))


def _array_text(a: Sequence[object], t: ScalarType) -> object:
    return textfmt.value_out(ScalarType[str(a[1])], a[0], is_array=True)


def _elements_out(a: Sequence[object], t: ScalarType) -> object:
    out = textfmt.value_out
    src = ScalarType[str(a[1])]
    return tuple(None if v is None else out(src, v) for v in _arr(a[0]))


def _text_array(a: Sequence[object], t: ScalarType) -> object:
    return parse_array(str(a[0]), t)


# The source element type travels as a literal (its ScalarType name): jsonb and real
# elements are told apart from text and double precision only by it.
register("array_cast", _array_cast)
register("array_to_text", _array_text)
register("text_to_array", _text_array)
register("array_elements_out", _elements_out)


# --- operators --------------------------------------------------------------------------------


def _contains(a: Sequence[object], b: Sequence[object]) -> bool:
    have = [x for x in a if x is not None]
    return all(y is not None and any(_distinct_eq(x, y) for x in have) for y in b)


def _overlaps(a: Sequence[object], b: Sequence[object]) -> bool:
    have = [x for x in a if x is not None]
    return any(y is not None and any(_distinct_eq(x, y) for x in have) for y in b)


define("arraycontains", "anyarray, anyarray -> bool",
       lambda a, t: _contains(_arr(a[0]), _arr(a[1])), infix="@>")
define("arraycontained", "anyarray, anyarray -> bool",
       lambda a, t: _contains(_arr(a[1]), _arr(a[0])), infix="<@")
define("arrayoverlap", "anyarray, anyarray -> bool",
       lambda a, t: _overlaps(_arr(a[0]), _arr(a[1])), infix="&&")


def _cat(a: Sequence[object], t: ScalarType) -> object:
    x, y = a
    if x is None or y is None:
        return y if x is None else x
    return _arr(x) + _arr(y)


def _append(a: Sequence[object], t: ScalarType) -> object:
    return (*(() if a[0] is None else _arr(a[0])), a[1])


def _prepend(a: Sequence[object], t: ScalarType) -> object:
    return (a[0], *(() if a[1] is None else _arr(a[1])))


define("array_cat", "anyarray, anyarray -> anyarray", _cat, propagates=False,
       introduces_nulls=True, infix="||")
define("array_append", "anyarray, anyelement -> anyarray", _append, propagates=False,
       never_null=True, infix="||")
define("array_prepend", "anyelement, anyarray -> anyarray", _prepend, propagates=False,
       never_null=True, infix="||")


# --- functions --------------------------------------------------------------------------------


def _dim_one(impl: Callable[[tuple[object, ...]], object]) -> Impl:
    """A per-dimension function: NULL unless the dimension is 1 of a non-empty array."""
    def run(a: Sequence[object], t: ScalarType) -> object:
        arr = _arr(a[0])
        return impl(arr) if a[1] == 1 and arr else None
    return run


define("array_length", "anyarray, int4 -> int4", _dim_one(len), introduces_nulls=True)
define("array_upper", "anyarray, int4 -> int4", _dim_one(len), introduces_nulls=True)
define("array_lower", "anyarray, int4 -> int4", _dim_one(lambda arr: 1),
       introduces_nulls=True)
define("cardinality", "anyarray -> int4", lambda a, t: len(_arr(a[0])))
define("array_ndims", "anyarray -> int4", lambda a, t: 1 if _arr(a[0]) else None,
       introduces_nulls=True)
define("array_dims", "anyarray -> text",
       lambda a, t: f"[1:{len(_arr(a[0]))}]" if _arr(a[0]) else None, introduces_nulls=True)


def _to_string(a: Sequence[object], t: ScalarType) -> object:
    # The planner casts the array to text[] first, so elements print with their type's
    # output function.
    arr, sep = a[0], a[1]
    null = a[2] if len(a) > 2 else None
    if arr is None or sep is None:
        return None
    parts = [str(v) if v is not None else null for v in _arr(arr)]
    return str(sep).join(str(p) for p in parts if p is not None)


define("array_to_string", "text[], text -> text", _to_string, propagates=False,
       introduces_nulls=True)
define("array_to_string", "text[], text, text -> text", "array_to_string")


def _position(a: Sequence[object], t: ScalarType) -> object:
    arr, x = a[0], a[1]
    if arr is None:
        return None
    start = 1
    if len(a) > 2:
        if a[2] is None:
            raise errors.PymzError("initial position must not be null", sqlstate="22004")
        start = max(int(a[2]), 1)  # type: ignore[call-overload]
    items = _arr(arr)
    for i in range(start, len(items) + 1):
        if _distinct_eq(items[i - 1], x):
            return i
    return None


def _positions(a: Sequence[object], t: ScalarType) -> object:
    arr, x = a[0], a[1]
    if arr is None:
        return None
    return tuple(i for i, v in enumerate(_arr(arr), 1) if _distinct_eq(v, x))


def _remove(a: Sequence[object], t: ScalarType) -> object:
    if a[0] is None:
        return None
    return tuple(v for v in _arr(a[0]) if not _distinct_eq(v, a[1]))


def _replace(a: Sequence[object], t: ScalarType) -> object:
    if a[0] is None:
        return None
    return tuple(a[2] if _distinct_eq(v, a[1]) else v for v in _arr(a[0]))


define("array_position", "anyarray, anyelement -> int4", _position, propagates=False,
       introduces_nulls=True)
define("array_position", "anyarray, anyelement, int4 -> int4", "array_position")
define("array_positions", "anyarray, anyelement -> int4[]", _positions, propagates=False,
       introduces_nulls=True)
define("array_remove", "anyarray, anyelement -> anyarray", _remove, propagates=False,
       introduces_nulls=True)
define("array_replace", "anyarray, anyelement, anyelement -> anyarray", _replace,
       propagates=False, introduces_nulls=True)


def _string_to_array(a: Sequence[object], t: ScalarType) -> object:
    s, sep = a[0], a[1]
    null = a[2] if len(a) > 2 else None
    if s is None:
        return None
    text = str(s)
    if not text:
        return ()
    if sep is None:
        parts: list[str] = list(text)
    elif sep == "":
        parts = [text]
    else:
        parts = text.split(str(sep))
    return tuple(None if null is not None and p == null else p for p in parts)


define("string_to_array", "text, text -> text[]", _string_to_array, propagates=False,
       introduces_nulls=True)
define("string_to_array", "text, text, text -> text[]", "string_to_array")


# sqlglot parses these calls into its own node classes.
node(exp.ArraySize, lambda n: ("array_length", args_of(n, "this", "expression")))
node(exp.ArrayToString, lambda n: ("array_to_string", args_of(n, "this", "expression", "null")))
node(exp.ArrayPosition,
     lambda n: ("array_position", args_of(n, "this", "expression", "zero_based")))
node(exp.ArrayConcat, lambda n: ("array_cat", args_of(n, "this", "expressions")))
node(exp.ArrayAppend, lambda n: ("array_append", args_of(n, "this", "expression")))
node(exp.ArrayPrepend, lambda n: ("array_prepend", args_of(n, "expression", "this")))
node(exp.ArrayRemove, lambda n: ("array_remove", args_of(n, "this", "expression")))
node(exp.StringToArray, lambda n: ("string_to_array", args_of(n, "this", "expression", "null")))
