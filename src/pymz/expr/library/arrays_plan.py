"""Planning of array and jsonb expressions: operators, ANY/ALL, subscripts, casts, and calls
of the array/jsonb functions. :mod:`pymz.expr.plan_scalar` plans the operands and hands
them here as ``(expression, type)`` pairs.

Unknown literals take the type the other operand implies, as in PostgreSQL: ``ai @> '{1}'``
reads the literal as ``integer[]``, ``j @> '{"a":1}'`` as jsonb, ``j #> '{a,b}'`` and
``j ?| '{a,b}'`` as ``text[]``, ``j -> 'a'`` as text. Array operators other than ``||``
need both arrays of the same element type (``integer[] @> bigint[]`` is 42883, as in
PostgreSQL); ``||``, array_cat/append/prepend/position/remove/replace cast to the common
element type.

Departs from PostgreSQL: an unknown literal on both sides of an operator is reported as
ambiguous (42725) in more cases; multi-dimensional subscripts are 0A000.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from sqlglot import exp

from pymz import errors
from pymz.expr.funcs import INT_TYPES, TEXT_TYPES
from pymz.expr.library import arrays, jsonb_build
from pymz.expr.library import jsonb_value as jv
from pymz.expr.library.arrays import ARRAY_COMPARE, parse_array
from pymz.expr.library.jsonb import JSONB_COMPARE
from pymz.expr.plan_types import NUMERIC_TYPES, TEMPORAL_LADDER, coerce, common_type, comparable
from pymz.expr.scalar import Call, ColType, Literal, ScalarExpr
from pymz.expr.sigs import FUNCTIONS, Param, resolve
from pymz.repr import ScalarType

T = ScalarType
ArgT = tuple[ScalarExpr, ColType]
CallPlanner = Callable[[str, Sequence[ArgT]], ScalarExpr]


def type_name(t: ColType) -> str:
    return t.scalar.type_name + ("[]" if t.is_array else "")


def _no_operator(op: str, left: ColType, right: ColType) -> errors.PymzError:
    return errors.UndefinedFunction(
        f"operator does not exist: {type_name(left)} {op} {type_name(right)}",
        hint="No operator matches the given name and argument types. You might need to add "
             "explicit type casts.")


def _unknown(a: ArgT) -> bool:
    t = a[1]
    return t.scalar == T.UNKNOWN and not t.is_array


def array_literal(e: ScalarExpr, elem: ScalarType) -> ArgT:
    """An unknown literal read as an array of ``elem`` (NULL stays NULL)."""
    if not isinstance(e, Literal):  # unknown-typed but computed: parse when evaluated
        return Call("text_to_array", (coerce(e, ColType(T.UNKNOWN), T.TEXT),), elem,
                    True), ColType(elem, True, True)
    if e.value is None:
        return Literal(None, elem, True), ColType(elem, True, True)
    return Literal(parse_array(str(e.value), elem), elem, True), ColType(elem, False, True)


def jsonb_literal(e: ScalarExpr) -> ArgT:
    """An unknown literal read as jsonb (canonical text; 22P02 if it is not JSON)."""
    if not isinstance(e, Literal):
        return Call("text_to_jsonb", (coerce(e, ColType(T.UNKNOWN), T.TEXT),), T.JSONB), \
            ColType(T.JSONB, True)
    if e.value is None:
        return Literal(None, T.JSONB), ColType(T.JSONB, True)
    return Literal(jv.parse(str(e.value)), T.JSONB), ColType(T.JSONB, False)


def _same_text(a: ScalarType, b: ScalarType) -> bool:
    return a == b or (a in TEXT_TYPES and b in TEXT_TYPES)


def cast_array(e: ScalarExpr, t: ColType, elem: ScalarType) -> ScalarExpr:
    """Cast an array expression to an array of ``elem`` (no-op for the same type)."""
    if _same_text(t.scalar, elem):
        return e
    if isinstance(e, Literal) and e.value is None:
        return Literal(None, elem, True)
    if not _element_cast_ok(t.scalar, elem):
        raise _cannot_cast(t, ColType(elem, True, True))
    return Call("array_cast", (e, Literal(t.scalar.name, T.TEXT)), elem, True)


def _element_cast_ok(src: ScalarType, dst: ScalarType) -> bool:
    if src in TEXT_TYPES:
        return dst in arrays.ELEM_IN
    if dst in TEXT_TYPES or src == dst:
        return True
    if src == T.JSONB:
        return dst in jsonb_build.CASTABLE
    if src in NUMERIC_TYPES and dst in NUMERIC_TYPES:
        return True
    if src in TEMPORAL_LADDER and dst in TEMPORAL_LADDER:
        return True
    return {src, dst} <= {T.INT4, T.BOOL}


def _cannot_cast(src: ColType, dst: ColType) -> errors.PymzError:
    return errors.PymzError(f"cannot cast type {type_name(src)} to {type_name(dst)}",
                            sqlstate="42846")


# --- casts ------------------------------------------------------------------------------------


def plan_cast(e: ScalarExpr, src: ColType, want: ColType) -> ScalarExpr | None:
    """``e::want`` when arrays or jsonb are involved (None: an ordinary cast)."""
    if want.is_array:
        if isinstance(e, Literal) and e.type == T.UNKNOWN:
            return array_literal(e, want.scalar)[0]
        if src.is_array:
            return cast_array(e, src, want.scalar)
        if src.scalar in TEXT_TYPES:
            if want.scalar not in arrays.ELEM_IN:
                raise _cannot_cast(src, want)
            return Call("text_to_array", (e,), want.scalar, True)
        raise _cannot_cast(src, want)
    if src.is_array:
        if want.scalar in TEXT_TYPES:
            return Call("array_to_text", (e, Literal(src.scalar.name, T.TEXT)), want.scalar)
        raise _cannot_cast(src, want)
    if T.JSONB in (src.scalar, want.scalar):
        return jsonb_build.cast_jsonb(e, src, want.scalar)
    return None


# --- comparisons and ANY/ALL ------------------------------------------------------------------


def _array_pair(op: str, left: ArgT, right: ArgT) -> tuple[ScalarExpr, ScalarExpr, ScalarType]:
    """Two operands of an array operator (``anyarray op anyarray``): one may be an unknown
    literal; the element types must match."""
    (le, lt), (re_, rt) = left, right
    if _unknown(left) and rt.is_array:
        le, lt = array_literal(le, rt.scalar)
    elif _unknown(right) and lt.is_array:
        re_, rt = array_literal(re_, lt.scalar)
    if not (lt.is_array and rt.is_array) or not _same_text(lt.scalar, rt.scalar):
        raise _no_operator(op, lt, rt)
    return le, re_, lt.scalar


def plan_compare(fn: str, sym: str, left: ArgT, right: ArgT) -> ScalarExpr | None:
    """Comparisons of arrays (element-wise, PostgreSQL's array order) and of jsonb values
    (jsonb's order). None when neither operand is an array or jsonb."""
    (le, lt), (re_, rt) = left, right
    if lt.is_array or rt.is_array:
        a, b, _ = _array_pair(sym, left, right)
        return Call(ARRAY_COMPARE.get(fn, fn), (a, b), T.BOOL)
    if T.JSONB in (lt.scalar, rt.scalar) and {lt.scalar, rt.scalar} <= {T.JSONB, T.UNKNOWN}:
        if _unknown(left):
            le, lt = jsonb_literal(le)
        if _unknown(right):
            re_, rt = jsonb_literal(re_)
        return Call(JSONB_COMPARE.get(fn, fn), (le, re_), T.BOOL)
    return None


def plan_any_all(fn: str, sym: str, left: ArgT, arr: ArgT, all_: bool) -> ScalarExpr:
    """``left sym ANY/ALL (arr)`` for an array (or an array literal) ``arr``."""
    (le, lt), (ae, at) = left, arr
    if not at.is_array:
        if not _unknown(arr):
            raise errors.WrongObjectType("op ANY/ALL (array) requires array on right side")
        ae, at = array_literal(ae, T.TEXT if lt.scalar == T.UNKNOWN else lt.scalar)
    if lt.is_array:
        raise errors.FeatureNotSupported("ANY/ALL over arrays of arrays is not supported")
    elem: ScalarType
    if T.JSONB in (lt.scalar, at.scalar):
        if _unknown(left):
            le, lt = jsonb_literal(le)
        if lt.scalar != at.scalar:
            raise _no_operator(sym, lt, ColType(at.scalar))
        elem = T.JSONB
    else:
        elem = comparable(lt.scalar, at.scalar, sym)
    le = coerce(le, lt, elem)
    ae = cast_array(ae, at, elem)
    return Call("array_all" if all_ else "array_any", (le, ae, Literal(fn, T.TEXT)), T.BOOL)


# --- operators --------------------------------------------------------------------------------


def _jsonb_operand(op: str, a: ArgT, other: ColType) -> ScalarExpr:
    e, t = a
    if _unknown(a):
        return jsonb_literal(e)[0]
    if t.scalar != T.JSONB or t.is_array:
        raise _no_operator(op, t, other)
    return e


def _text_operand(a: ArgT) -> ScalarExpr | None:
    e, t = a
    if t.is_array or (t.scalar not in TEXT_TYPES and t.scalar != T.UNKNOWN):
        return None
    return coerce(e, t, T.TEXT)


def _text_array_operand(a: ArgT) -> ScalarExpr | None:
    e, t = a
    if _unknown(a):
        return array_literal(e, T.TEXT)[0]
    if t.is_array and t.scalar in TEXT_TYPES:
        return e
    return None


def _int_operand(a: ArgT) -> ScalarExpr | None:
    e, t = a
    if t.is_array or t.scalar not in (T.INT2, T.INT4):
        return None
    return coerce(e, t, T.INT4)


def plan_jsonb_operator(op: str, left: ArgT, right: ArgT) -> ScalarExpr:
    """``->`` ``->>`` ``#>`` ``#>>`` ``?`` ``?|`` ``?&`` ``-`` ``#-`` on a jsonb left side."""
    lt, rt = left[1], right[1]
    j = _jsonb_operand(op, left, rt)
    text_result = op in ("->>", "#>>")
    if op in ("->", "->>", "?", "-"):
        key = _text_operand(right)
        if key is not None:
            fn = {"->": "jsonb_object_field", "->>": "jsonb_object_field_text",
                  "?": "jsonb_exists", "-": "jsonb_delete"}[op]
            return Call(fn, (j, key), T.BOOL if op == "?" else
                        T.TEXT if text_result else T.JSONB)
        index = _int_operand(right) if op != "?" else None
        if index is not None:
            fn = {"->": "jsonb_array_element", "->>": "jsonb_array_element_text",
                  "-": "jsonb_delete_index"}[op]
            return Call(fn, (j, index), T.TEXT if text_result else T.JSONB)
        if op == "-":
            keys = _text_array_operand(right)
            if keys is not None:
                return Call("jsonb_delete_keys", (j, keys), T.JSONB)
        raise _no_operator(op, lt, rt)
    path = _text_array_operand(right)
    if path is None:
        raise _no_operator(op, lt, rt)
    fn, result = {"#>": ("jsonb_path", T.JSONB), "#>>": ("jsonb_path_text", T.TEXT),
                  "?|": ("jsonb_exists_any", T.BOOL), "?&": ("jsonb_exists_all", T.BOOL),
                  "#-": ("jsonb_delete_path", T.JSONB)}[op]
    return Call(fn, (j, path), result)


def plan_containment(op: str, left: ArgT, right: ArgT) -> ScalarExpr:
    """``@>``, ``<@`` (arrays or jsonb) and ``&&`` (arrays)."""
    lt, rt = left[1], right[1]
    if lt.is_array or rt.is_array or op == "&&":
        a, b, _ = _array_pair(op, left, right)
        fn = {"@>": "arraycontains", "<@": "arraycontained", "&&": "arrayoverlap"}[op]
        return Call(fn, (a, b), T.BOOL)
    if _unknown(left) and _unknown(right):
        raise errors.PymzError(f"operator is not unique: unknown {op} unknown",
                               sqlstate="42725")
    a = _jsonb_operand(op, left, rt)
    b = _jsonb_operand(op, right, lt)
    return Call("jsonb_contains" if op == "@>" else "jsonb_contained", (a, b), T.BOOL)


def plan_concat(left: ArgT, right: ArgT) -> ScalarExpr | None:
    """``||`` on arrays or jsonb; None for text concatenation (the caller's case)."""
    (le, lt), (re_, rt) = left, right
    if lt.is_array or rt.is_array:
        if _unknown(left):
            le, lt = array_literal(le, rt.scalar)
        elif _unknown(right):
            re_, rt = array_literal(re_, lt.scalar)
        try:
            elem = common_type([lt.scalar, rt.scalar], "||")
        except errors.DatatypeMismatch:
            raise _no_operator("||", lt, rt) from None
        if lt.is_array and rt.is_array:
            return Call("array_cat", (cast_array(le, lt, elem), cast_array(re_, rt, elem)),
                        elem, True)
        if lt.is_array:
            return Call("array_append", (cast_array(le, lt, elem), coerce(re_, rt, elem)),
                        elem, True)
        return Call("array_prepend", (coerce(le, lt, elem), cast_array(re_, rt, elem)),
                    elem, True)
    if T.JSONB not in (lt.scalar, rt.scalar):
        return None
    other = rt if lt.scalar == T.JSONB else lt
    if other.scalar in TEXT_TYPES:
        return None  # jsonb || text is text concatenation (anynonarray || text)
    if other.scalar not in (T.JSONB, T.UNKNOWN):
        raise _no_operator("||", lt, rt)
    return Call("jsonb_concat", (_jsonb_operand("||", left, rt),
                                 _jsonb_operand("||", right, lt)), T.JSONB)


# sqlglot's node classes of the operators, by symbol.
OPERATOR_NODES: dict[type[exp.Expr], str] = {
    exp.JSONExtract: "->", exp.JSONExtractScalar: "->>", exp.JSONBExtract: "#>",
    exp.JSONBExtractScalar: "#>>", exp.ArrayContainsAll: "@>", exp.ArrayContainedBy: "<@",
    exp.ArrayOverlaps: "&&", exp.JSONBContainsTopKey: "?", exp.JSONBContainsAnyTopKeys: "?|",
    exp.JSONBContainsAllTopKeys: "?&", exp.JSONBDeleteAtPath: "#-",
}


def operand_node(node: exp.Expr) -> exp.Expr:
    """The right operand of ``->``/``->>`` as written: sqlglot turns a literal into a JSON
    path (a key or an integer subscript)."""
    if isinstance(node, exp.JSONPath):
        parts = [p for p in node.expressions if not isinstance(p, exp.JSONPathRoot)]
        if len(parts) == 1 and isinstance(parts[0], exp.JSONPathKey):
            return exp.Literal.string(str(parts[0].this))
        if len(parts) == 1 and isinstance(parts[0], exp.JSONPathSubscript):
            return exp.Literal.number(int(parts[0].this))
        raise errors.FeatureNotSupported(f"JSON path not supported: {node.sql('postgres')}")
    return node


def arrow_from_lambda(node: exp.Lambda) -> exp.Expr:
    """sqlglot reads ``f(j -> 'a' = x)`` (in function arguments) as a lambda with parameter
    ``j``; SQL has no lambdas: it is ``->`` applied to column ``j`` and the leftmost operand
    of the lambda's body."""
    params = node.expressions
    if len(params) != 1 or not isinstance(params[0], exp.Identifier):
        raise errors.SqlSyntaxError(f"syntax error at or near \"->\": {node.sql('postgres')}")
    body: exp.Expr = node.this.copy()
    parent: exp.Expr | None = None
    cur = body
    while (isinstance(cur, exp.Binary | exp.Between | exp.In) or type(cur) in OPERATOR_NODES
           or (isinstance(cur, exp.Not) and isinstance(cur.this, exp.Is))):
        parent, cur = cur, cur.this
    arrow = exp.JSONExtract(this=exp.Column(this=params[0].copy()), expression=cur.copy())
    if parent is None:
        return arrow
    parent.set("this", arrow)
    return body


def plan_operator(op: str, left: ArgT, right: ArgT) -> ScalarExpr:
    """A jsonb/array operator (``op`` is one of :data:`OPERATOR_NODES`'s symbols)."""
    if op in ("@>", "<@", "&&"):
        return plan_containment(op, left, right)
    return plan_jsonb_operator(op, left, right)


# --- subscripts -------------------------------------------------------------------------------


def _subscript_int(a: ArgT) -> ScalarExpr:
    e, t = a
    if t.is_array or (t.scalar not in NUMERIC_TYPES and t.scalar != T.UNKNOWN):
        raise errors.DatatypeMismatch("array subscript must have type integer")
    return coerce(e, t, T.INT4, explicit=True)


INT4_MAX = 2**31 - 1


def plan_subscript(base: ArgT, index: ArgT | None, upper: ArgT | None = None,
                   is_slice: bool = False) -> ScalarExpr:
    """``base[index]`` or (``is_slice``) ``base[index:upper]`` (either bound may be omitted)."""
    e, t = base
    if t.is_array:
        if not is_slice:
            assert index is not None
            return Call("array_subscript", (e, _subscript_int(index)), t.scalar)
        lo = Literal(1, T.INT4) if index is None else _subscript_int(index)
        hi = Literal(INT4_MAX, T.INT4) if upper is None else _subscript_int(upper)
        return Call("array_slice", (e, lo, hi), t.scalar, True)
    if t.scalar == T.JSONB:
        if is_slice or index is None:
            raise errors.DatatypeMismatch("jsonb subscript does not support slices")
        ie, it = index
        if not it.is_array and it.scalar in INT_TYPES:
            key = coerce(ie, it, T.TEXT, explicit=True)
        elif not it.is_array and (it.scalar in TEXT_TYPES or it.scalar == T.UNKNOWN):
            key = coerce(ie, it, T.TEXT)
        else:
            raise errors.DatatypeMismatch(
                f"subscript type {type_name(it)} is not supported",
                hint="jsonb subscript must be coercible to either integer or text.")
        return Call("jsonb_subscript", (e, key), T.JSONB)
    raise errors.DatatypeMismatch(
        f"cannot subscript type {type_name(t)} because it does not support subscripting")


# --- branches of CASE, COALESCE, VALUES, UNION ----------------------------------------------


def unify(items: Sequence[ArgT], what: str) -> tuple[list[ScalarExpr], ColType] | None:
    """The branches cast to their common type when arrays or jsonb are among them (unknown
    literals become arrays / canonical jsonb); None when neither is (the scalar rules
    apply)."""
    known = [t for a in items if not _unknown(a) for t in (a[1],)]
    arrays_ = [t for t in known if t.is_array]
    nullable = any(t.nullable for _, t in items)
    if arrays_:
        if len(arrays_) != len(known):
            other = next(t for t in known if not t.is_array)
            raise errors.DatatypeMismatch(
                f"{what} types {type_name(arrays_[0])} and {type_name(other)} cannot be "
                "matched")
        elem = common_type([t.scalar for t in known], what)
        out = [array_literal(e, elem)[0] if _unknown((e, t)) else cast_array(e, t, elem)
               for e, t in items]
        return out, ColType(elem, nullable, True)
    if not any(t.scalar == T.JSONB for t in known):
        return None
    for t in known:
        if t.scalar != T.JSONB:
            raise errors.DatatypeMismatch(
                f"{what} types jsonb and {type_name(t)} cannot be matched")
    return [jsonb_literal(e)[0] if _unknown((e, t)) else e for e, t in items], ColType(
        T.JSONB, nullable)


# --- calls of library functions ---------------------------------------------------------------


def plan_library_call(name: str, args: Sequence[ArgT]) -> ScalarExpr:
    """A call of an array/jsonb function: unknown literals at array (jsonb) parameters are
    read as arrays (jsonb) first, polymorphic arrays and elements are cast to their common
    element type, then the overload is resolved as usual."""
    cands = [ov.expand(len(args)) for ov in FUNCTIONS.get(name, [])]
    params = [ps for ps in cands if ps is not None]
    items = list(args)
    # The element type polymorphic parameters bind to: from an array argument, else from a
    # known element argument.
    known = [t.scalar for _, t in items if t.is_array] + [
        t.scalar for k, (_, t) in enumerate(items) if not t.is_array
        and t.scalar != T.UNKNOWN and params and params[0][k].poly not in ("", "any")]
    for i, a in enumerate(items):
        if not _unknown(a) or not params:
            continue
        ps = [p[i] for p in params]
        if all(p.array for p in ps):
            fixed = {p.scalar for p in ps if p.scalar is not None}
            elem = next(iter(fixed)) if len(fixed) == 1 else (known[0] if known else T.TEXT)
            items[i] = array_literal(a[0], elem)
        elif all(p.scalar == T.JSONB and not p.array for p in ps):
            items[i] = jsonb_literal(a[0])
    if params and all(any(p.poly for p in ps) for ps in params):
        items = _unify_poly(items, params[0])
    if name == "array_to_string" and items and items[0][1].is_array:
        # Elements print with their type's output function (booleans as t/f).
        e, t = items[0]
        if t.scalar not in TEXT_TYPES:
            e = Call("array_elements_out", (e, Literal(t.scalar.name, T.TEXT)), T.TEXT, True)
        items[0] = (e, ColType(T.TEXT, t.nullable, True))
    return resolve(name, items)


def _unify_poly(items: list[ArgT], params: Sequence[Param]) -> list[ArgT]:
    """Cast polymorphic array/element arguments to their common element type."""
    poly = [i for i, p in enumerate(params) if p.poly not in ("", "any")]
    elems = [items[i][1].scalar for i in poly if items[i][1].scalar != T.UNKNOWN]
    if not elems:
        return items
    try:
        elem = common_type(elems, "function argument")
    except errors.DatatypeMismatch:
        return items  # resolve() reports the mismatch
    out = list(items)
    for i in poly:
        e, t = out[i]
        if t.is_array and not _same_text(t.scalar, elem):
            out[i] = (cast_array(e, t, elem), ColType(elem, t.nullable, True))
        elif not t.is_array and t.scalar not in (elem, T.UNKNOWN):
            out[i] = (coerce(e, t, elem), ColType(elem, t.nullable))
    return out


def _srf_in_select(name: str, args: Sequence[ArgT]) -> ScalarExpr:
    raise errors.FeatureNotSupported(
        f"set-returning function {name}() is only supported in FROM")


LIBRARY_FUNCTIONS = (
    "array_length", "array_upper", "array_lower", "cardinality", "array_ndims", "array_dims",
    "array_to_string", "array_position", "array_positions", "array_cat", "array_append",
    "array_prepend", "array_remove", "array_replace", "arraycontains", "arraycontained",
    "arrayoverlap", "jsonb_object_field", "jsonb_array_element", "jsonb_object_field_text",
    "jsonb_array_element_text", "jsonb_extract_path", "jsonb_extract_path_text",
    "jsonb_contains", "jsonb_contained", "jsonb_exists", "jsonb_exists_any",
    "jsonb_exists_all", "jsonb_concat", "jsonb_delete", "jsonb_delete_path", "jsonb_typeof",
    "jsonb_array_length", "jsonb_strip_nulls", "jsonb_pretty",
)
SET_RETURNING = ("generate_series", "unnest", "jsonb_array_elements",
                 "jsonb_array_elements_text", "jsonb_each", "jsonb_each_text",
                 "jsonb_object_keys", "regexp_split_to_table", "generate_subscripts")

# Function names whose calls are planned here instead of by plain overload resolution.
CALL_PLANNERS: dict[str, CallPlanner] = {
    **{n: plan_library_call for n in LIBRARY_FUNCTIONS},
    **jsonb_build.CALL_PLANNERS,
    **{n: _srf_in_select for n in SET_RETURNING},
}
