"""Compile IR scalar expressions into vectorised functions over batch columns.

A compiled expression is ``fn(cols, n) -> column``: ``cols`` are the batch's columns, ``n``
its length, the result a column in the dataflow convention (int64/float64/bool arrays when
there are no NULLs, else ``object`` arrays holding Python values and None).

Semantics follow :func:`pymz.expr.evaluate.eval_scalar` exactly, including which rows are
evaluated at all: ``and``/``or``/``coalesce``/``If`` evaluate later arguments only on the
rows that still need them (so ``x <> 0 AND 1 / x > 1`` does not fail on ``x = 0``), and
propagating functions never run on rows with a NULL argument. Integer and float8 arithmetic,
comparisons (object columns such as dates and text through numpy's object loop) and
three-valued logic are numpy operations with explicit overflow (22003) and division by zero
(22012) checks; any other function runs per row through the registry's implementation.
An error raises; the dataflow's ``guarded`` then isolates the failing rows into ``errs``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from pymz import errors
from pymz.compute.dataflow.batch import Col, column
from pymz.expr.funcs import FLOAT_TYPES, FUNCS, INT_RANGES, INT_TYPES
from pymz.expr.scalar import Call, ColumnRef, If, Literal, ScalarExpr
from pymz.repr import ScalarType

Cols = tuple[Col, ...]
Fn = Callable[[Cols, int], Col]
Mask = npt.NDArray[np.bool_]

_CMP = {
    "eq": np.equal, "neq": np.not_equal, "lt": np.less, "lte": np.less_equal,
    "gt": np.greater, "gte": np.greater_equal,
}
# Types whose non-NULL values fit an int64 array.
_INTLIKE = INT_TYPES | {ScalarType.OID}


def null_mask(c: Col) -> Mask | None:
    """Where ``c`` is NULL, or None when it cannot hold NULLs (a native array)."""
    if c.dtype != object:
        return None
    m = np.asarray(c == None, dtype=np.bool_)  # noqa: E711 - elementwise on object arrays
    return m if m.any() else None


def _objects(values: Sequence[Any]) -> Col:
    out = np.empty(len(values), dtype=object)
    for i, v in enumerate(values):
        out[i] = v
    return out


def with_nulls(vals: Col, nulls: Mask | None) -> Col:
    """A column of ``vals`` with NULL where ``nulls`` is set."""
    if nulls is None or not nulls.any():
        return vals
    out = vals.astype(object)
    out[nulls] = None
    return out


def take_cols(cols: Cols, idx: npt.NDArray[Any]) -> Cols:
    return tuple(c[idx] for c in cols)


def scatter(n: int, parts: Sequence[tuple[npt.NDArray[np.intp], Col]]) -> Col:
    """Assemble a column from pieces computed on disjoint row subsets (others NULL)."""
    filled = [(i, c) for i, c in parts if len(i)]
    total = sum(len(i) for i, _ in filled)
    if total == n and len(filled) == 1:
        return filled[0][1]
    kinds = {c.dtype for _, c in filled}
    if total == n and len(kinds) == 1 and object not in kinds:
        out: Col = np.empty(n, dtype=next(iter(kinds)))
    else:
        out = np.empty(n, dtype=object)
        out[:] = None
    for i, c in filled:
        out[i] = c if out.dtype != object else c.astype(object)
    return out


def _native_ints(c: Col, nulls: Mask | None, fill: int = 0) -> npt.NDArray[np.int64] | None:
    """Non-NULL values as int64 (NULLs replaced by ``fill``), or None if they do not fit."""
    if c.dtype == np.int64:
        return c
    if c.dtype != object:
        return None
    # Only plain Python ints (not Decimal, float or bool) convert exactly.
    present = c if nulls is None else c[~nulls]
    if len(present) and type(present[0]) is not int:
        return None  # a typed column holds one kind of value: dates, text, … never convert
    if not set(map(type, present.tolist())) <= {int}:
        return None
    vals = c.copy() if nulls is not None else c
    if nulls is not None:
        vals[nulls] = fill
    try:
        out = np.asarray(vals.astype(np.int64))
    except (OverflowError, TypeError, ValueError):
        return None
    return out


def _check_range(r: npt.NDArray[np.int64], t: ScalarType, live: Mask | None) -> None:
    lo, hi, name = INT_RANGES[t]
    bad = (r < lo) | (r > hi)
    if live is not None:
        bad &= live
    if bad.any():
        raise errors.NumericValueOutOfRange(f"{name} out of range")


def compile_scalar(e: ScalarExpr, mz_now: Fn | None = None) -> Fn:
    """Compile ``e``; ``mz_now`` supplies mz_now() (rendering rejects it elsewhere)."""
    if isinstance(e, ColumnRef):
        idx = e.index
        return lambda cols, n: cols[idx]
    if isinstance(e, Literal):
        return _literal(e.value)
    if isinstance(e, If):
        return _if(compile_scalar(e.cond, mz_now), compile_scalar(e.then, mz_now),
                   compile_scalar(e.els, mz_now))
    f = e.func
    args = [compile_scalar(a, mz_now) for a in e.args]
    if f == "mz_now":
        if mz_now is None:
            raise errors.FeatureNotSupported(
                "mz_now() is only supported in temporal filters (WHERE mz_now() <op> expr)")
        return mz_now
    if f in ("and", "or"):
        return _logic(args, stop=(f == "or"))
    if f == "coalesce":
        return _coalesce(args)
    if f == "not":
        return _not(args[0])
    if f in ("is_null", "is_true", "is_false"):
        return _is(f, args[0])
    if f in _CMP:
        return _compare(f, args[0], args[1], e)
    if f in ("add", "sub", "mul", "div", "mod") and e.type in _INTLIKE:
        return _int_arith(f, args[0], args[1], e.type)
    if f in ("add", "sub", "mul", "div") and e.type in FLOAT_TYPES:
        return _float_arith(f, args[0], args[1], e.type)
    if f == "cast" and len(args) == 1 and (e.type in FLOAT_TYPES or e.type in INT_RANGES):
        return _numeric_cast(args[0], e.type)
    return _rowwise(f, args, e.type)


def _literal(v: object) -> Fn:
    if v is None or not isinstance(v, bool | int | float) or (
            type(v) is int and not -(2**63) <= v < 2**63):
        def lit(cols: Cols, n: int) -> Col:
            out = np.empty(n, dtype=object)
            out.fill(v)
            return out
        return lit
    dtype = np.bool_ if isinstance(v, bool) else np.int64 if isinstance(v, int) else np.float64
    return lambda cols, n: np.full(n, v, dtype=dtype)


def _truth(c: Col) -> tuple[Mask, Mask]:
    """(is true, is NULL) masks of a boolean column."""
    if c.dtype == np.bool_:
        return c, np.zeros(len(c), dtype=np.bool_)
    vals = c.tolist()
    return (np.fromiter((v is True for v in vals), np.bool_, len(vals)),
            np.fromiter((v is None for v in vals), np.bool_, len(vals)))


def _bools(true: Mask, null: Mask) -> Col:
    if not null.any():
        return true
    out = true.astype(object)
    out[null] = None
    return out


def _if(cond: Fn, then: Fn, els: Fn) -> Fn:
    def run(cols: Cols, n: int) -> Col:
        t, _ = _truth(cond(cols, n))
        ti, ei = np.flatnonzero(t), np.flatnonzero(~t)
        parts = []
        if len(ti):
            parts.append((ti, then(take_cols(cols, ti), len(ti))))
        if len(ei):
            parts.append((ei, els(take_cols(cols, ei), len(ei))))
        return scatter(n, parts) if parts else np.empty(0, dtype=object)
    return run


def _logic(args: list[Fn], *, stop: bool) -> Fn:
    """Three-valued AND (stop at false) / OR (stop at true), later args on open rows only."""
    def run(cols: Cols, n: int) -> Col:
        decided = np.zeros(n, dtype=np.bool_)  # reached the stop value
        saw_null = np.zeros(n, dtype=np.bool_)
        open_idx = np.arange(n)
        for a in args:
            if not len(open_idx):
                break
            sub = cols if len(open_idx) == n else take_cols(cols, open_idx)
            v = a(sub, len(open_idx))
            t, nl = _truth(v)
            hit = t if stop else (~t & ~nl)
            decided[open_idx[hit]] = True
            saw_null[open_idx[nl]] = True
            open_idx = open_idx[~hit]
        result = decided if stop else ~decided
        null = ~decided & saw_null
        return _bools(result & ~null, null)
    return run


def _coalesce(args: list[Fn]) -> Fn:
    def run(cols: Cols, n: int) -> Col:
        parts: list[tuple[npt.NDArray[np.intp], Col]] = []
        open_idx = np.arange(n)
        for a in args:
            if not len(open_idx):
                break
            sub = cols if len(open_idx) == n else take_cols(cols, open_idx)
            v = a(sub, len(open_idx))
            nl = null_mask(v)
            if nl is None:
                parts.append((open_idx, v))
                open_idx = open_idx[:0]
                break
            parts.append((open_idx[~nl], v[~nl]))
            open_idx = open_idx[nl]
        return scatter(n, parts) if n else np.empty(0, dtype=object)
    return run


def _not(a: Fn) -> Fn:
    def run(cols: Cols, n: int) -> Col:
        t, nl = _truth(a(cols, n))
        return _bools(~t & ~nl, nl)
    return run


def _is(f: str, a: Fn) -> Fn:
    def run(cols: Cols, n: int) -> Col:
        v = a(cols, n)
        if f == "is_null":
            nl = null_mask(v)
            return np.zeros(n, dtype=np.bool_) if nl is None else nl
        t, nl = _truth(v)
        return t if f == "is_true" else ~t & ~nl
    return run


def _compare(f: str, a: Fn, b: Fn, e: Call) -> Fn:
    op = _CMP[f]

    def run(cols: Cols, n: int) -> Col:
        x, y = a(cols, n), b(cols, n)
        if object not in (x.dtype, y.dtype) and (x.dtype == np.bool_) == (
                y.dtype == np.bool_):
            return np.asarray(op(x, y), dtype=np.bool_)
        nx, ny = null_mask(x), null_mask(y)
        nulls = nx if ny is None else ny if nx is None else nx | ny
        xi, yi = _native_ints(x, nx), _native_ints(y, ny)
        if xi is not None and yi is not None:
            return _bools(np.asarray(op(xi, yi), dtype=np.bool_),
                          nulls if nulls is not None else np.zeros(n, dtype=np.bool_))
        if np.bool_ in (x.dtype, y.dtype):
            return _rowwise_values(f, [x, y], e.type, n)
        return _compare_objects(op, x, y, nulls, n)

    rhs = e.args[1]
    if (isinstance(rhs, Literal) and rhs.value is not None and not rhs.is_array
            and not isinstance(rhs.value, bool | int | float)):
        # ``col <op> constant`` on dates, text, numerics: compare against the value itself
        # (no constant column to build and scan for NULLs, no int conversion to try).
        value: Any = rhs.value

        def with_constant(cols: Cols, n: int) -> Col:
            x = a(cols, n)
            if x.dtype != object:
                return run(cols, n)
            return _compare_objects(op, x, value, null_mask(x), n)
        return with_constant
    return run


def _compare_objects(op: Any, x: Col, y: Any, nulls: Mask | None, n: int) -> Col:
    """Dates, text, numerics…: numpy's object loop calls the same Python comparison the
    registry does, once per row, without building row tuples. ``y`` is a column or a
    non-NULL constant; ``nulls`` marks the rows where either side is NULL."""
    if nulls is None:
        return np.asarray(op(x, y), dtype=np.bool_)
    live = np.flatnonzero(~nulls)
    true = np.zeros(n, dtype=np.bool_)
    true[live] = np.asarray(op(x[live], y[live] if isinstance(y, np.ndarray) else y),
                            dtype=np.bool_)
    return _bools(true, nulls)


def _int_arith(f: str, a: Fn, b: Fn, t: ScalarType) -> Fn:
    def run(cols: Cols, n: int) -> Col:
        x, y = a(cols, n), b(cols, n)
        nx, ny = null_mask(x), null_mask(y)
        nulls = nx if ny is None else ny if nx is None else nx | ny
        live = None if nulls is None else ~nulls
        xi = _native_ints(x, nx)
        yi = _native_ints(y, ny, fill=1)
        if xi is None or yi is None or (t not in INT_RANGES):
            return _rowwise_values(f, [x, y], t, n)
        if f in ("div", "mod"):
            if nulls is not None:
                yi = np.where(nulls, 1, yi)  # never divide by a NULL row's filler
            zero = yi == 0
            if live is not None:
                zero &= live
            if zero.any():
                raise errors.DivisionByZero("division by zero")
        big = t == ScalarType.INT8
        if big:
            # int64 arithmetic wraps: find rows that may overflow and do them exactly.
            fx, fy = xi.astype(np.float64), yi.astype(np.float64)
            approx = {"add": fx + fy, "sub": fx - fy, "mul": fx * fy}.get(f)
            imin = np.iinfo(np.int64).min
            # abs() of the least int64 overflows: such rows take the exact path.
            risky = (np.abs(approx) >= 2.0**62) if approx is not None else (
                (xi == imin) | (yi == imin))
            if live is not None:
                risky &= live
            if risky.any():
                return _rowwise_values(f, [x, y], t, n)
        if f == "add":
            r = xi + yi
        elif f == "sub":
            r = xi - yi
        elif f == "mul":
            r = xi * yi
        else:
            q = np.abs(xi) // np.abs(yi)
            if f == "div":
                r = np.where((xi >= 0) == (yi >= 0), q, -q)
            else:
                m = np.abs(xi) % np.abs(yi)
                r = np.where(xi >= 0, m, -m)
        if not big:
            _check_range(r, t, live)
        return with_nulls(r, nulls)
    return run


# Integers up to this magnitude convert to float64 exactly (as Python's int → float does).
_EXACT_INT = 2**53


def _native_floats(c: Col, nulls: Mask | None) -> npt.NDArray[np.float64] | None:
    """Non-NULL values as float64 (NULLs as 0.0), or None unless every value is a float or an
    exactly representable int (Decimal and friends take the per-row path)."""
    if c.dtype == np.float64:
        return c
    if c.dtype == np.int64:
        return c.astype(np.float64) if not len(c) or np.abs(c).max() <= _EXACT_INT else None
    if c.dtype != object:
        return None
    present = (c if nulls is None else c[~nulls]).tolist()
    kinds = set(map(type, present))
    if not kinds <= {float, int}:
        return None
    if int in kinds and any(type(v) is int and abs(v) > _EXACT_INT for v in present):
        return None
    out = np.zeros(len(c), dtype=np.float64)
    if nulls is None:
        out[:] = present
    else:
        out[~nulls] = present
    return out


def _float_arith(f: str, a: Fn, b: Fn, t: ScalarType) -> Fn:
    """float8 + - * / as numpy operations; any infinite result is 22003, a zero divisor
    22012 — exactly what the registry's per-row implementation raises."""
    def run(cols: Cols, n: int) -> Col:
        x, y = a(cols, n), b(cols, n)
        nx, ny = null_mask(x), null_mask(y)
        nulls = nx if ny is None else ny if nx is None else nx | ny
        if f == "div" and x.dtype == np.int64 and y.dtype == np.int64:
            return _rowwise_values(f, [x, y], t, n)  # int / int rounds once in Python
        xf, yf = _native_floats(x, nx), _native_floats(y, ny)
        if xf is None or yf is None:
            return _rowwise_values(f, [x, y], t, n)
        live = None if nulls is None else ~nulls
        with np.errstate(all="ignore"):
            if f == "div":
                zero = yf == 0.0
                if live is not None:
                    zero &= live
                if zero.any():
                    raise errors.DivisionByZero("division by zero")
                r = xf / np.where(yf == 0.0, 1.0, yf)
            elif f == "add":
                r = xf + yf
            elif f == "sub":
                r = xf - yf
            else:
                r = xf * yf
        bad = np.isinf(r)
        if live is not None:
            bad &= live
        if bad.any():
            raise errors.NumericValueOutOfRange("value out of range: overflow")
        return with_nulls(r, nulls)
    return run


def _numeric_cast(a: Fn, t: ScalarType) -> Fn:
    """Casts between native ints and floats as numpy operations (int → float is exact up to
    rounding, like Python's ``float(int)``; ints are range-checked for int2/int4/int8;
    infinities are 22003 as in the registry); anything else per row."""
    def run(cols: Cols, n: int) -> Col:
        x = a(cols, n)
        if x.dtype == np.int64:
            if t in FLOAT_TYPES:
                return x.astype(np.float64)
            _check_range(x, t, None)
            return x
        if x.dtype == np.float64 and t in FLOAT_TYPES:
            if np.isinf(x).any():
                raise errors.NumericValueOutOfRange("value out of range: overflow")
            return x
        return _rowwise_values("cast", [x], t, n)
    return run


def _rowwise(f: str, args: list[Fn], t: ScalarType) -> Fn:
    def run(cols: Cols, n: int) -> Col:
        return _rowwise_values(f, [a(cols, n) for a in args], t, n)
    return run


def _rowwise_values(f: str, vals: list[Col], t: ScalarType, n: int) -> Col:
    """Per-row fallback through the function registry (NULL propagation as the evaluator)."""
    fd = FUNCS[f]
    impl, prop = fd.impl, fd.propagates
    out: list[object] = []
    for row in zip(*(v.tolist() for v in vals), strict=True) if vals else ([()] * n):
        if prop and any(x is None for x in row):
            out.append(None)
        else:
            out.append(impl(list(row), t))
    return column(out)
