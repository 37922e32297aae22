"""Type resolution for the planner: SQL type names, implicit casts, common types, operators.

String literals and NULL start as ``unknown`` and take the type their context asks for, as in
PostgreSQL; numeric types promote along smallint < integer < bigint < numeric < real <
double precision.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from sqlglot import exp

from pymz import errors
from pymz.expr.funcs import FLOAT_TYPES, INT_TYPES, TEXT_TYPES, cast_value
from pymz.expr.scalar import Call, ColType, Literal, ScalarExpr
from pymz.repr import ScalarType

T = ScalarType
NUMERIC_LADDER = (T.INT2, T.INT4, T.INT8, T.NUMERIC, T.FLOAT4, T.FLOAT8)
NUMERIC_TYPES = frozenset(NUMERIC_LADDER)
TEMPORAL_LADDER = (T.DATE, T.TIMESTAMP, T.TIMESTAMPTZ)

SQLGLOT_TYPES: dict[exp.DType, ScalarType] = {
    exp.DataType.Type.BOOLEAN: T.BOOL,
    exp.DataType.Type.VARBINARY: T.BYTEA,
    exp.DataType.Type.BINARY: T.BYTEA,
    exp.DataType.Type.SMALLINT: T.INT2,
    exp.DataType.Type.INT: T.INT4,
    exp.DataType.Type.BIGINT: T.INT8,
    exp.DataType.Type.FLOAT: T.FLOAT4,
    exp.DataType.Type.DOUBLE: T.FLOAT8,
    exp.DataType.Type.DECIMAL: T.NUMERIC,
    exp.DataType.Type.TEXT: T.TEXT,
    exp.DataType.Type.VARCHAR: T.TEXT,
    exp.DataType.Type.CHAR: T.TEXT,
    exp.DataType.Type.DATE: T.DATE,
    exp.DataType.Type.TIME: T.TIME,
    exp.DataType.Type.TIMESTAMP: T.TIMESTAMP,
    exp.DataType.Type.TIMESTAMPTZ: T.TIMESTAMPTZ,
    exp.DataType.Type.INTERVAL: T.INTERVAL,
    exp.DataType.Type.JSON: T.JSONB,
    exp.DataType.Type.JSONB: T.JSONB,
    exp.DataType.Type.UUID: T.UUID,
}


def sql_type(dt: exp.Expr) -> ColType:
    """The repr type of a sqlglot DataType (``int[]`` gives an array type)."""
    if isinstance(dt, exp.DataType):
        if dt.this == exp.DataType.Type.ARRAY and dt.expressions:
            inner = sql_type(dt.expressions[0])
            return ColType(inner.scalar, True, True)
        st = SQLGLOT_TYPES.get(dt.this)
        if st is not None:
            return ColType(st)
    raise errors.UndefinedObject(f'type "{dt.sql("postgres").lower()}" does not exist')


def is_implicit(src: ScalarType, dst: ScalarType) -> bool:
    if src in (dst, T.UNKNOWN):
        return True
    if dst == T.MZ_TIMESTAMP:
        # As in Materialize: integers (epoch ms), numeric and timestamps cast implicitly.
        return src in INT_TYPES or src in (T.NUMERIC, T.TIMESTAMP, T.TIMESTAMPTZ)
    if src in NUMERIC_TYPES and dst in NUMERIC_TYPES:
        return NUMERIC_LADDER.index(src) <= NUMERIC_LADDER.index(dst)
    if src in TEXT_TYPES and dst in TEXT_TYPES:
        return True
    if src in TEMPORAL_LADDER and dst in TEMPORAL_LADDER:
        return TEMPORAL_LADDER.index(src) <= TEMPORAL_LADDER.index(dst)
    return False


def common_type(types: Sequence[ScalarType], what: str = "UNION") -> ScalarType:
    """The type every one of ``types`` casts to implicitly (unknown alone becomes text)."""
    known = [t for t in types if t != T.UNKNOWN]
    if not known:
        return T.TEXT
    best = known[0]
    for t in known[1:]:
        if is_implicit(best, t):
            best = t
        elif not is_implicit(t, best):
            raise errors.DatatypeMismatch(
                f"{what} types {best.type_name} and {t.type_name} cannot be matched"
            )
    return T.TEXT if best in TEXT_TYPES else best


def coerce(e: ScalarExpr, src: ColType, dst: ScalarType, *, explicit: bool = False,
           what: str = "expression") -> ScalarExpr:
    """Cast ``e`` (of type ``src``) to ``dst``; unknown literals are converted right away."""
    if src.scalar == dst and not src.is_array:
        return e
    if isinstance(e, Literal) and e.type == T.UNKNOWN:
        return Literal(None if e.value is None else cast_value(e.value, dst), dst)
    if isinstance(e, Literal) and not e.is_array and (explicit or is_implicit(e.type, dst)):
        try:
            return Literal(None if e.value is None else cast_value(e.value, dst), dst)
        except errors.PymzError:
            pass  # e.g. an out-of-range literal: fails when (and if) it is evaluated
    if src.is_array:
        raise errors.DatatypeMismatch(f"cannot cast array to {dst.type_name}")
    if not explicit and not is_implicit(src.scalar, dst):
        raise errors.DatatypeMismatch(
            f"{what} is of type {src.scalar.type_name} but expected {dst.type_name}",
            hint="You will need to rewrite or cast the expression.",
        )
    if src.scalar == T.FLOAT4 and dst in TEXT_TYPES:
        return Call("float4_text", (e,), dst)
    return Call("cast", (e,), dst)


def arith_type(op: str, a: ScalarType, b: ScalarType) -> tuple[ScalarType, ScalarType,
                                                                  ScalarType]:
    """(left arg type, right arg type, result type) for an arithmetic operator."""
    if a == T.UNKNOWN and b == T.UNKNOWN:
        a = b = T.NUMERIC
    if a == T.UNKNOWN:
        a = T.INTERVAL if b in (*TEMPORAL_LADDER, T.INTERVAL) else b
    if b == T.UNKNOWN:
        b = T.INTERVAL if a in (*TEMPORAL_LADDER, T.INTERVAL) and op in ("add", "sub") else a
    if a in NUMERIC_TYPES and b in NUMERIC_TYPES:
        t = common_type([a, b])
        if op == "mod" and t in FLOAT_TYPES:
            raise errors.UndefinedFunction(
                f"operator does not exist: {t.type_name} % {t.type_name}",
                hint="No operator matches the given name and argument types.")
        return t, t, t
    mz = T.MZ_TIMESTAMP
    if op in ("add", "sub") and mz in (a, b) and {a, b} <= {mz, *INT_TYPES}:
        return mz, mz, mz
    temporal = {
        ("add", T.DATE, T.INT4): T.DATE, ("add", T.INT4, T.DATE): T.DATE,
        ("sub", T.DATE, T.INT4): T.DATE, ("sub", T.DATE, T.DATE): T.INT4,
        ("add", T.DATE, T.INTERVAL): T.TIMESTAMP, ("sub", T.DATE, T.INTERVAL): T.TIMESTAMP,
        ("add", T.INTERVAL, T.DATE): T.TIMESTAMP, ("add", T.DATE, T.TIME): T.TIMESTAMP,
        ("add", T.TIMESTAMP, T.INTERVAL): T.TIMESTAMP,
        ("sub", T.TIMESTAMP, T.INTERVAL): T.TIMESTAMP,
        ("add", T.INTERVAL, T.TIMESTAMP): T.TIMESTAMP,
        ("add", T.TIMESTAMPTZ, T.INTERVAL): T.TIMESTAMPTZ,
        ("sub", T.TIMESTAMPTZ, T.INTERVAL): T.TIMESTAMPTZ,
        ("sub", T.TIMESTAMP, T.TIMESTAMP): T.INTERVAL,
        ("sub", T.TIMESTAMPTZ, T.TIMESTAMPTZ): T.INTERVAL,
        ("add", T.INTERVAL, T.INTERVAL): T.INTERVAL, ("sub", T.INTERVAL, T.INTERVAL): T.INTERVAL,
    }
    small = {T.INT2: T.INT4, T.INT8: T.INT4}
    key = (op, a, small.get(b, b) if a == T.DATE else b)
    if key in temporal:
        return a, key[2], temporal[key]
    symbol = {"add": "+", "sub": "-", "mul": "*", "div": "/", "mod": "%"}[op]
    raise errors.UndefinedFunction(
        f"operator does not exist: {a.type_name} {symbol} {b.type_name}",
        hint="No operator matches the given name and argument types.",
    )


def comparable(a: ScalarType, b: ScalarType, op: str) -> ScalarType:
    """The type both sides of a comparison are cast to."""
    try:
        return common_type([a, b])
    except errors.DatatypeMismatch:
        raise errors.UndefinedFunction(
            f"operator does not exist: {a.type_name} {op} {b.type_name}",
            hint="No operator matches the given name and argument types.",
        ) from None


def number_literal(text: str) -> Literal:
    if text.isdigit():
        v = int(text)
        if v < 2**31:
            return Literal(v, T.INT4)
        if v < 2**63:
            return Literal(v, T.INT8)
    return Literal(Decimal(text), T.NUMERIC)


__all__ = ["FLOAT_TYPES", "INT_TYPES"]
