"""jsonb functions and the implementations of jsonb's operators (PostgreSQL 15 semantics).

SQL-callable: jsonb_object_field(_text), jsonb_array_element(_text), jsonb_extract_path(_text),
jsonb_contains, jsonb_contained, jsonb_exists(_any|_all), jsonb_concat, jsonb_delete,
jsonb_delete_path, jsonb_typeof, jsonb_array_length, jsonb_strip_nulls, jsonb_pretty (and,
in :mod:`~pymz.expr.library.jsonb_build`, to_jsonb, jsonb_build_object, jsonb_build_array).
Operators (planned by :mod:`~pymz.expr.library.arrays_plan`): ``->`` ``->>`` ``#>`` ``#>>``
``@>`` ``<@`` ``?`` ``?|`` ``?&`` ``||`` ``-`` ``#-``, jsonb subscripts ``j['a']``, and the
comparisons ``= <> < <= > >=`` in jsonb's own order (so ``'1.0'::jsonb = '1'``).

Errors are PostgreSQL's: 22023 for operations on the wrong kind of value ("cannot delete
from scalar", "cannot get array length of a scalar"), 22P02/22004 for bad ``#-`` paths.

Departs from PostgreSQL: grouping, DISTINCT, join keys, ORDER BY and min/max on jsonb use the
canonical text (so ``1.0`` and ``1`` are two groups, though equal under ``=``; ORDER BY sorts
by text unless the engine uses :class:`~pymz.expr.library.jsonb_value.SortKey`). A numeric
literal after ``->`` is read as a key (sqlglot keeps no literal type there).
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlglot import exp

from pymz import errors
from pymz.expr.funcs import Impl
from pymz.expr.library import jsonb_value as jv
from pymz.expr.library.jsonb_value import Json, register
from pymz.expr.sigs import args_of, define, node
from pymz.repr import ScalarType


def _json(f: object) -> Json:
    return jv.load(f)


# --- accessors ------------------------------------------------------------------------------


def _object_field(a: Sequence[object], t: ScalarType) -> object:
    v = _json(a[0])
    if isinstance(v, dict) and a[1] in v:
        return jv.dump(v[a[1]])
    return None


def _array_element(a: Sequence[object], t: ScalarType) -> object:
    v = _json(a[0])
    if isinstance(v, dict):
        return None
    # A top-level scalar is a one-element array here (PostgreSQL: '"x"'::jsonb -> 0 is "x").
    found, x = jv.element(v if isinstance(v, list) else [v], int(a[1]))  # type: ignore[call-overload]
    return jv.dump(x) if found else None


def _text_of(impl: Impl) -> Impl:
    def run(a: Sequence[object], t: ScalarType) -> object:
        out = impl(a, ScalarType.JSONB)
        return None if out is None else jv.as_text(_json(out))
    return run


def _path(j: object, path: Sequence[object], as_text: bool) -> object:
    v = _json(j)
    if not path:
        if as_text:
            return jv.as_text(v)
        return j
    steps = [None if p is None else str(p) for p in path]
    found, x = jv.get_path(v, steps)
    if not found:
        return None
    return jv.as_text(x) if as_text else jv.dump(x)


def _path_op(as_text: bool) -> Impl:
    def run(a: Sequence[object], t: ScalarType) -> object:
        path = a[1]
        assert isinstance(path, tuple | list)
        return _path(a[0], path, as_text)
    return run


def _path_variadic(as_text: bool) -> Impl:
    def run(a: Sequence[object], t: ScalarType) -> object:
        return _path(a[0], a[1:], as_text)
    return run


def _subscript(a: Sequence[object], t: ScalarType) -> object:
    """``j[key]``: one ``#>`` step (array steps are integers; a scalar has no elements)."""
    return _path(a[0], (a[1],), False)


define("jsonb_object_field", "jsonb, text -> jsonb", _object_field, introduces_nulls=True,
       infix="->")
define("jsonb_array_element", "jsonb, int4 -> jsonb", _array_element, introduces_nulls=True,
       infix="->")
define("jsonb_object_field_text", "jsonb, text -> text", _text_of(_object_field),
       introduces_nulls=True, infix="->>")
define("jsonb_array_element_text", "jsonb, int4 -> text", _text_of(_array_element),
       introduces_nulls=True, infix="->>")
define("jsonb_extract_path", "jsonb, text, text... -> jsonb", _path_variadic(False),
       introduces_nulls=True)
define("jsonb_extract_path_text", "jsonb, text, text... -> text", _path_variadic(True),
       introduces_nulls=True)
register("jsonb_path", _path_op(False), introduces_nulls=True, infix="#>")
register("jsonb_path_text", _path_op(True), introduces_nulls=True, infix="#>>")
register("jsonb_subscript", _subscript, introduces_nulls=True)


# --- containment and existence --------------------------------------------------------------


def key_node(path: exp.Expr) -> exp.Expr:
    """A key sqlglot turned into a JSON path (``jsonb_exists(j, 'a')``), as a literal."""
    if isinstance(path, exp.JSONPath):
        keys = [p for p in path.expressions if isinstance(p, exp.JSONPathKey)]
        if len(keys) == 1 and len(path.expressions) == 2:
            return exp.Literal.string(str(keys[0].this))
        raise errors.FeatureNotSupported(f"JSON path not supported: {path.sql('postgres')}")
    return path


def _contains(a: Sequence[object], t: ScalarType) -> object:
    return jv.contains(_json(a[0]), _json(a[1]))


def _contained(a: Sequence[object], t: ScalarType) -> object:
    return jv.contains(_json(a[1]), _json(a[0]))


def _exists(a: Sequence[object], t: ScalarType) -> object:
    return jv.exists(_json(a[0]), str(a[1]))


def _exists_many(want_all: bool) -> Impl:
    def run(a: Sequence[object], t: ScalarType) -> object:
        v = _json(a[0])
        keys = a[1]
        assert isinstance(keys, tuple | list)
        # NULL keys are skipped, as PostgreSQL does.
        hits = (jv.exists(v, str(k)) for k in keys if k is not None)
        return all(hits) if want_all else any(hits)
    return run


# sqlglot parses these two calls into its own node classes.
node(exp.JSONBExists, lambda n: ("jsonb_exists", [n.this, key_node(n.args["path"])]))
node(exp.JSONBContains, lambda n: ("jsonb_contains", args_of(n, "this", "expression")))
define("jsonb_contains", "jsonb, jsonb -> bool", _contains, infix="@>")
define("jsonb_contained", "jsonb, jsonb -> bool", _contained, infix="<@")
define("jsonb_exists", "jsonb, text -> bool", _exists, infix="?")
define("jsonb_exists_any", "jsonb, text[] -> bool", _exists_many(False), infix="?|")
define("jsonb_exists_all", "jsonb, text[] -> bool", _exists_many(True), infix="?&")


# --- building and deleting --------------------------------------------------------------------


def _concat(a: Sequence[object], t: ScalarType) -> object:
    x, y = _json(a[0]), _json(a[1])
    if isinstance(x, dict) and isinstance(y, dict):
        return jv.dump({**x, **y})
    left = x if isinstance(x, list) else [x]
    right = y if isinstance(y, list) else [y]
    return jv.dump(left + right)


def _no_scalar(v: Json) -> None:
    if not jv.is_container(v):
        raise jv.bad("cannot delete from scalar")


def _delete_key(a: Sequence[object], t: ScalarType) -> object:
    v, key = _json(a[0]), a[1]
    _no_scalar(v)
    if isinstance(v, dict):
        return jv.dump({k: x for k, x in v.items() if k != key})
    return jv.dump([x for x in v if not (isinstance(x, str) and x == key)])


def _delete_keys(a: Sequence[object], t: ScalarType) -> object:
    v, keys = _json(a[0]), a[1]
    assert isinstance(keys, tuple | list)
    _no_scalar(v)
    drop = {str(k) for k in keys if k is not None}
    if isinstance(v, dict):
        return jv.dump({k: x for k, x in v.items() if k not in drop})
    return jv.dump([x for x in v if not (isinstance(x, str) and x in drop)])


def _delete_index(a: Sequence[object], t: ScalarType) -> object:
    v, i = _json(a[0]), a[1]
    assert isinstance(i, int)
    _no_scalar(v)
    if isinstance(v, dict):
        raise jv.bad("cannot delete from object using integer index")
    n = len(v)
    if i < 0:
        i += n
    if not 0 <= i < n:
        return a[0]
    return jv.dump(v[:i] + v[i + 1:])


def _delete_in(v: Json, path: Sequence[object], level: int) -> Json:
    """``#-`` at ``level``: PostgreSQL's setPath in delete mode (a NULL step is an error
    wherever the walk reaches it, even on a scalar)."""
    step = path[level]
    if step is None:
        raise errors.PymzError(f"path element at position {level + 1} is null",
                               sqlstate="22004")
    last = level == len(path) - 1
    if isinstance(v, dict):
        key = str(step)
        if key not in v:
            return v
        if last:
            return {k: x for k, x in v.items() if k != key}
        return {**v, key: _delete_in(v[key], path, level + 1)}
    if isinstance(v, list):
        i = jv.array_index(str(step))
        if i is None:
            raise errors.InvalidTextRepresentation(
                f'path element at position {level + 1} is not an integer: "{step}"')
        if i < 0:
            i += len(v)
        if not 0 <= i < len(v):
            return v
        if last:
            return v[:i] + v[i + 1:]
        return [*v[:i], _delete_in(v[i], path, level + 1), *v[i + 1:]]
    return v


def _delete_path(a: Sequence[object], t: ScalarType) -> object:
    v, path = _json(a[0]), a[1]
    assert isinstance(path, tuple | list)
    if not jv.is_container(v):
        raise jv.bad("cannot delete path in scalar")
    if not v or not path:
        return a[0]
    return jv.dump(_delete_in(v, path, 0))


define("jsonb_concat", "jsonb, jsonb -> jsonb", _concat, infix="||")
define("jsonb_delete", "jsonb, text -> jsonb", _delete_key, infix="-")
define("jsonb_delete", "jsonb, int4 -> jsonb", _delete_index, key="jsonb_delete_index",
       infix="-")
define("jsonb_delete", "jsonb, text[] -> jsonb", _delete_keys, key="jsonb_delete_keys",
       infix="-")
define("jsonb_delete_path", "jsonb, text[] -> jsonb", _delete_path, infix="#-")


# --- inspection -------------------------------------------------------------------------------


def _typeof(a: Sequence[object], t: ScalarType) -> object:
    return jv.typeof(_json(a[0]))


def _array_length(a: Sequence[object], t: ScalarType) -> object:
    v = _json(a[0])
    if isinstance(v, list):
        return len(v)
    if isinstance(v, dict):
        raise jv.bad("cannot get array length of a non-array")
    raise jv.bad("cannot get array length of a scalar")


def _strip(v: Json) -> Json:
    if isinstance(v, dict):
        return {k: _strip(x) for k, x in v.items() if x is not None}
    if isinstance(v, list):
        return [_strip(x) for x in v]
    return v


def _strip_nulls(a: Sequence[object], t: ScalarType) -> object:
    return jv.dump(_strip(_json(a[0])))


def _pretty_lines(v: Json, level: int) -> str:
    pad = "    " * level
    inner = "    " * (level + 1)
    if isinstance(v, dict):
        if not v:
            return "{\n" + pad + "}"
        items = [f"{inner}{jv.dump(k)}: {_pretty_lines(x, level + 1)}"
                 for k, x in jv.storage_items(v)]
        return "{\n" + ",\n".join(items) + "\n" + pad + "}"
    if isinstance(v, list):
        if not v:
            return "[\n" + pad + "]"
        elems = [inner + _pretty_lines(x, level + 1) for x in v]
        return "[\n" + ",\n".join(elems) + "\n" + pad + "]"
    return jv.dump(v)


def _pretty(a: Sequence[object], t: ScalarType) -> object:
    return _pretty_lines(_json(a[0]), 0)


define("jsonb_typeof", "jsonb -> text", _typeof)
define("jsonb_array_length", "jsonb -> int4", _array_length)
define("jsonb_strip_nulls", "jsonb -> jsonb", _strip_nulls)
define("jsonb_pretty", "jsonb -> text", _pretty)


# --- comparison -------------------------------------------------------------------------------


def _cmp(test: str) -> Impl:
    def run(a: Sequence[object], t: ScalarType) -> object:
        # Equal canonical text means equal values: the common case needs no parsing.
        c = 0 if a[0] == a[1] else jv.compare(_json(a[0]), _json(a[1]))
        return {"eq": c == 0, "neq": c != 0, "lt": c < 0, "lte": c <= 0, "gt": c > 0,
                "gte": c >= 0}[test]
    return run


JSONB_COMPARE = {"eq": "jsonb_eq", "neq": "jsonb_ne", "lt": "jsonb_lt", "lte": "jsonb_le",
                 "gt": "jsonb_gt", "gte": "jsonb_ge"}
for _test, _key in JSONB_COMPARE.items():
    _sym = {"eq": "=", "neq": "<>", "lt": "<", "lte": "<=", "gt": ">", "gte": ">="}[_test]
    define(_key, "jsonb, jsonb -> bool", _cmp(_test), infix=_sym)


def _not_distinct(a: Sequence[object], t: ScalarType) -> object:
    x, y = a
    if x is None or y is None:
        return x is y
    return x == y or jv.equal(_json(x), _json(y))


JSONB_COMPARE["is_not_distinct"] = "jsonb_not_distinct"
register("jsonb_not_distinct", _not_distinct, propagates=False, never_null=True,
         infix="IS NOT DISTINCT FROM")


# Registers to_jsonb, jsonb_build_object/array and the casts (kept in their own module).
from pymz.expr.library import jsonb_build  # noqa: E402

__all__ = ["JSONB_COMPARE", "jsonb_build"]
