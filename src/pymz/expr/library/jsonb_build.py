"""Converting SQL values to jsonb and back: to_jsonb, jsonb_build_object, jsonb_build_array,
and the casts jsonb -> boolean / numbers / text and text -> jsonb.

These need the SQL types of their arguments (a jsonb value and a text value are both Python
strings; a real prints differently from a double), so they are planned by the functions
here (:data:`CALL_PLANNERS`, used by :mod:`~pymz.expr.library.arrays_plan`), which pass the
conversion kind to the implementation as a literal.

Guarantees (PostgreSQL 15): numbers become JSON numbers (NaN and infinities become strings,
floats go through their shortest text, so ``to_jsonb(1e308::float8)`` prints every digit),
dates and timestamps use the ISO form PostgreSQL's JSON output uses
(``"2024-01-31T10:11:12.5"``, ``"...+00:00"`` for timestamptz), intervals, times and bytea
their text output; arrays become JSON arrays. Object keys are the key's text output; a NULL
key, an array/jsonb key or an odd argument count are 22023. Casts from jsonb only accept
the matching JSON kind ("cannot cast jsonb string to type integer", 22023) and round
numbers to integers half away from zero, as numeric does. Departs from PostgreSQL:
``to_jsonb('text literal')`` is accepted as text (PostgreSQL asks for a cast).
"""

from __future__ import annotations

import datetime as dt
import math
import uuid
from collections.abc import Callable, Sequence
from decimal import ROUND_HALF_UP, Decimal

from pymz import errors
from pymz.expr.funcs import INT_TYPES, TEXT_TYPES, check_int
from pymz.expr.library import jsonb_value as jv
from pymz.expr.library.jsonb_value import Json, register
from pymz.expr.plan_types import coerce
from pymz.expr.scalar import Call, ColType, Literal, ScalarExpr
from pymz.repr import Interval, ScalarType, textfmt

T = ScalarType
ArgT = tuple[ScalarExpr, ColType]


def _float(v: float, single: bool) -> Json:
    text = textfmt.float_out(v, single=single)
    return Decimal(text) if math.isfinite(v) else text


def to_json_data(v: object, kind: str = "") -> Json:
    """The JSON data of a non-NULL SQL value; ``kind`` is "jsonb" for jsonb values (parsed,
    not quoted) and "float4" for reals (printed with float4 digits)."""
    if v is None:
        return None
    if isinstance(v, tuple | list):
        return [to_json_data(x, kind) for x in v]
    if kind == "jsonb":
        return jv.load(v)
    if isinstance(v, bool | int | str):
        return v
    if isinstance(v, float):
        return _float(v, kind == "float4")
    if isinstance(v, Decimal):
        if v.is_nan():
            return "NaN"
        if v.is_infinite():
            return "Infinity" if v > 0 else "-Infinity"
        return v
    if isinstance(v, dt.datetime):
        text = f"{textfmt.date_out(v)}T{textfmt.time_out(v.time())}"
        if v.tzinfo is not None:
            u = v.astimezone(dt.UTC)
            text = f"{textfmt.date_out(u)}T{textfmt.time_out(u.time())}+00:00"
        return text
    if isinstance(v, dt.date):
        return textfmt.date_out(v)
    if isinstance(v, dt.time):
        return textfmt.time_out(v)
    if isinstance(v, Interval):
        return textfmt.interval_out(v)
    if isinstance(v, bytes):
        return textfmt.bytea_out(v)
    if isinstance(v, uuid.UUID):
        return str(v)
    raise errors.FeatureNotSupported(f"cannot convert a {type(v).__name__} value to jsonb")


def _to_jsonb(a: Sequence[object], t: ScalarType) -> object:
    return jv.dump(to_json_data(a[0], str(a[1])))


def _build_object(a: Sequence[object], t: ScalarType) -> object:
    out: dict[str, Json] = {}
    for i in range(0, len(a), 2):
        key = a[i]
        if key is None:
            raise jv.bad(f"argument {i + 1}: key must not be null")
        out[str(key)] = None if a[i + 1] is None else jv.load(a[i + 1])
    return jv.dump(out)


def _build_array(a: Sequence[object], t: ScalarType) -> object:
    return jv.dump([None if x is None else jv.load(x) for x in a])


def _bad_key(a: Sequence[object], t: ScalarType) -> object:
    raise jv.bad("key value must be scalar, not array, composite, or json")


register("to_jsonb", _to_jsonb)
register("jsonb_build_object", _build_object, propagates=False, never_null=True)
register("jsonb_build_array", _build_array, propagates=False, never_null=True)
register("jsonb_bad_key", _bad_key)


# --- planning ---------------------------------------------------------------------------------


def _kind(t: ColType) -> str:
    return "jsonb" if t.scalar == T.JSONB else "float4" if t.scalar == T.FLOAT4 else ""


def as_jsonb(e: ScalarExpr, t: ColType) -> ScalarExpr:
    """``to_jsonb(e)`` for an argument of type ``t`` (unknown literals are text)."""
    if t.scalar == T.JSONB and not t.is_array:
        return e
    if t.scalar == T.UNKNOWN:
        e = coerce(e, t, T.TEXT)
    return Call("to_jsonb", (e, Literal(_kind(t), T.TEXT)), T.JSONB)


def _key(e: ScalarExpr, t: ColType) -> ScalarExpr:
    if t.is_array or t.scalar == T.JSONB:
        return Call("jsonb_bad_key", (e,), T.TEXT)
    if t.scalar in TEXT_TYPES:
        return e
    return coerce(e, t, T.TEXT, explicit=True)


def plan_to_jsonb(name: str, args: Sequence[ArgT]) -> ScalarExpr:
    if len(args) != 1:
        raise errors.UndefinedFunction(f"function {name} takes exactly one argument")
    return as_jsonb(*args[0])


def plan_build_object(name: str, args: Sequence[ArgT]) -> ScalarExpr:
    if len(args) % 2:
        raise errors.InvalidParameterValue(
            "argument list must have even number of elements",
            hint="The arguments of jsonb_build_object() must consist of alternating keys "
                 "and values.")
    out: list[ScalarExpr] = []
    for i in range(0, len(args), 2):
        out.append(_key(*args[i]))
        out.append(as_jsonb(*args[i + 1]))
    return Call("jsonb_build_object", tuple(out), T.JSONB)


def plan_build_array(name: str, args: Sequence[ArgT]) -> ScalarExpr:
    return Call("jsonb_build_array", tuple(as_jsonb(e, t) for e, t in args), T.JSONB)


CALL_PLANNERS: dict[str, Callable[[str, Sequence[ArgT]], ScalarExpr]] = {
    "to_jsonb": plan_to_jsonb,
    "jsonb_build_object": plan_build_object,
    "jsonb_build_array": plan_build_array,
}


# --- casts ------------------------------------------------------------------------------------

CASTABLE = frozenset({*INT_TYPES, T.FLOAT4, T.FLOAT8, T.NUMERIC, T.BOOL, *TEXT_TYPES, T.JSONB})


def from_jsonb(a: Sequence[object], t: ScalarType) -> object:
    v = jv.load(a[0])
    k = jv.kind(v)
    want_bool = t == T.BOOL
    if (want_bool and not isinstance(v, bool)) or (
            not want_bool and (isinstance(v, bool) or not isinstance(v, int | Decimal))):
        raise jv.bad(f"cannot cast jsonb {jv.CAST_NAMES[k]} to type {t.type_name}")
    if want_bool:
        return v
    if t in INT_TYPES:
        return check_int(int(Decimal(v).quantize(Decimal(1), rounding=ROUND_HALF_UP)), t)
    if t == T.NUMERIC:
        return Decimal(v)
    try:
        f = float(v)
    except OverflowError:
        f = math.inf
    if math.isinf(f) or (t == T.FLOAT4 and abs(f) > _FLOAT4_MAX):
        raise errors.NumericValueOutOfRange("value out of range: overflow")
    return f


_FLOAT4_MAX = 3.4028234663852886e38


def _text_to_jsonb(a: Sequence[object], t: ScalarType) -> object:
    return jv.parse(str(a[0]))


register("jsonb_cast", from_jsonb)
register("text_to_jsonb", _text_to_jsonb)


def cast_jsonb(e: ScalarExpr, src: ColType, dst: ScalarType) -> ScalarExpr:
    """``e::dst`` where ``e`` (of type ``src``) is jsonb, or ``dst`` is jsonb."""
    if src.scalar == T.JSONB and dst == T.JSONB:
        return e
    if dst == T.JSONB:
        if isinstance(e, Literal) and e.type == T.UNKNOWN:
            return Literal(None if e.value is None else jv.parse(str(e.value)), T.JSONB)
        if src.scalar in TEXT_TYPES:
            return Call("text_to_jsonb", (e,), T.JSONB)
        raise _cannot_cast(src.scalar, dst)
    if dst in TEXT_TYPES:
        return Call("cast", (e,), dst)  # the canonical text is the text output
    if dst not in CASTABLE:
        raise _cannot_cast(src.scalar, dst)
    return Call("jsonb_cast", (e,), dst)


def _cannot_cast(src: ScalarType, dst: ScalarType) -> errors.PymzError:
    return errors.PymzError(f"cannot cast type {src.type_name} to {dst.type_name}",
                            sqlstate="42846")
