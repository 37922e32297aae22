"""The reference evaluator: a simple, non-incremental interpreter of the IR over Python rows.

It is the correctness oracle for the incremental engine, so it favours obviousness over
speed: collections are ``dict[row, multiplicity]``, joins are nested loops. Arrays are tuples
inside (rows must be hashable) and lists at the boundary, per the repr conventions.
"""

from __future__ import annotations

import functools
import json
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from pymz import errors
from pymz.expr import relation as r
from pymz.expr.funcs import FUNCS, INT_TYPES, check_int
from pymz.expr.library.arrays import array_cmp, elem_cmp
from pymz.expr.scalar import ColumnRef, If, Literal, ScalarExpr
from pymz.expr.tablefuncs import expand
from pymz.repr import Column, ScalarType

Row = tuple[object, ...]
ZSet = dict[Row, int]


@dataclass(frozen=True)
class Env:
    mz_now: int | None = None


def eval_scalar(e: ScalarExpr, row: Row, env: Env = Env()) -> object:
    if isinstance(e, ColumnRef):
        return row[e.index]
    if isinstance(e, Literal):
        return e.value
    if isinstance(e, If):
        return eval_scalar(e.then if eval_scalar(e.cond, row, env) is True else e.els, row, env)
    f = e.func
    # Short-circuit forms, so that e.g. `x <> 0 AND 1 / x > 1` and CASE-like uses of
    # coalesce do not raise on branches PostgreSQL would not evaluate.
    if f in {"and", "or"}:
        stop = f == "or"
        saw_null = False
        for a in e.args:
            v = eval_scalar(a, row, env)
            if v is stop:
                return stop
            saw_null |= v is None
        return None if saw_null else not stop
    if f == "coalesce":
        for a in e.args:
            v = eval_scalar(a, row, env)
            if v is not None:
                return v
        return None
    if f == "mz_now":
        if env.mz_now is None:
            raise errors.InternalError("mz_now() evaluated without a time")
        return env.mz_now
    fd = FUNCS[f]
    args = [eval_scalar(a, row, env) for a in e.args]
    if fd.propagates and any(a is None for a in args):
        return None
    return fd.impl(args, e.type)


def _cmp_values(a: object, b: object) -> int:
    """PostgreSQL's order of two non-NULL values: arrays element by element with NULL
    elements last, NaN above every number."""
    if isinstance(a, tuple) and isinstance(b, tuple):
        return array_cmp(a, b)
    return elem_cmp(a, b)


def order_key(order: Sequence[r.ColumnOrder]) -> Callable[[Row], Any]:
    """A sort key for rows: the given orders, then the whole row (NULLs last) as tiebreak."""

    def cmp(x: Row, y: Row) -> int:
        for o in order:
            a, b = x[o.column], y[o.column]
            if a is None or b is None:
                if a is None and b is None:
                    continue
                first_null = not o.nulls_last_effective
                return (-1 if first_null else 1) * (1 if a is None else -1)
            c = _cmp_values(a, b)
            if c:
                return -c if o.desc else c
        for a, b in zip(x, y, strict=True):
            if a is None or b is None:
                if a is None and b is None:
                    continue
                return 1 if a is None else -1
            c = _cmp_values(a, b)
            if c:
                return c
        return 0

    return functools.cmp_to_key(cmp)


def _add(out: ZSet, row: Row, d: int) -> None:
    n = out.get(row, 0) + d
    if n:
        out[row] = n
    else:
        out.pop(row, None)


def _positive(z: ZSet, what: str) -> None:
    if any(d < 0 for d in z.values()):
        raise errors.InternalError(f"{what} saw a negative multiplicity")


class _Evaluator:
    def __init__(self, inputs: Mapping[str, ZSet], env: Env) -> None:
        self.bindings = dict(inputs)
        self.env = env

    def run(self, e: r.RelationExpr) -> ZSet:
        env = self.env
        if isinstance(e, r.Constant):
            out: ZSet = {}
            for row, d in e.rows:
                _add(out, row, d)
            return out
        if isinstance(e, r.Get):
            if e.id not in self.bindings:
                raise errors.InternalError(f"no input for {e.id}")
            return dict(self.bindings[e.id])
        if isinstance(e, r.Let):
            # Scoped: a Get of the id outside the body is an error, as it is for dataflows.
            value = self.run(e.value)
            saved = self.bindings.get(e.id)
            self.bindings[e.id] = value
            try:
                return self.run(e.body)
            finally:
                if saved is None:
                    del self.bindings[e.id]
                else:
                    self.bindings[e.id] = saved
        if isinstance(e, r.Map):
            out = {}
            for row, d in self.run(e.input).items():
                new = row
                for s in e.scalars:
                    new = (*new, eval_scalar(s, new, env))
                _add(out, new, d)
            return out
        if isinstance(e, r.Filter):
            return {
                row: d for row, d in self.run(e.input).items()
                if all(eval_scalar(p, row, env) is True for p in e.predicates)
            }
        if isinstance(e, r.Project):
            out = {}
            for row, d in self.run(e.input).items():
                _add(out, tuple(row[i] for i in e.outputs), d)
            return out
        if isinstance(e, r.FlatMap):
            out = {}
            for row, d in self.run(e.input).items():
                args = [eval_scalar(a, row, env) for a in e.args]
                for extra in expand(e.func, args, len(e.columns)):
                    _add(out, (*row, *extra), d)
            return out
        if isinstance(e, r.Join):
            return self._join(e)
        if isinstance(e, r.Reduce):
            return self._reduce(e)
        if isinstance(e, r.TopK):
            data = self.run(e.input)
            _positive(data, "TopK")
            groups: dict[Row, list[Row]] = {}
            for row, d in data.items():
                groups.setdefault(tuple(row[i] for i in e.group_key), []).extend([row] * d)
            out = {}
            for rows in groups.values():
                rows.sort(key=order_key(e.order_by))
                end = None if e.limit is None else e.offset + e.limit
                for row in rows[e.offset:end]:
                    _add(out, row, 1)
            return out
        if isinstance(e, r.Window):
            data = self.run(e.input)
            _positive(data, "Window")
            parts: dict[Row, list[Row]] = {}
            for row, d in data.items():
                parts.setdefault(tuple(row[i] for i in e.partition), []).extend([row] * d)
            out = {}
            for rows in parts.values():
                for row in window_partition(e, rows, self.env):
                    _add(out, row, 1)
            return out
        if isinstance(e, r.Negate):
            return {row: -d for row, d in self.run(e.input).items()}
        if isinstance(e, r.Threshold):
            return {row: d for row, d in self.run(e.input).items() if d > 0}
        if isinstance(e, r.Union):
            out = {}
            for i in e.inputs:
                for row, d in self.run(i).items():
                    _add(out, row, d)
            return out
        raise errors.InternalError(f"unknown relation node {type(e).__name__}")

    def _join(self, e: r.Join) -> ZSet:
        offsets = e.offsets()
        widths = [len(i.schema) for i in e.inputs]
        # Each class is checked as soon as all its members are bound.
        classes = [[offsets[i] + c for i, c in cls] for cls in e.equivalences]
        ready_after = [
            [cls for cls in classes if max(cls) < offsets[k] + widths[k]
             and (k == 0 or max(cls) >= offsets[k])]
            for k in range(len(e.inputs))
        ]
        partial: ZSet = {(): 1}
        for k, inp in enumerate(e.inputs):
            data = self.run(inp)
            nxt: ZSet = {}
            for left, d1 in partial.items():
                for right, d2 in data.items():
                    row = left + right
                    if all(all(row[c] == row[cls[0]] for c in cls) for cls in ready_after[k]):
                        _add(nxt, row, d1 * d2)
            partial = nxt
        return partial

    def _reduce(self, e: r.Reduce) -> ZSet:
        data = self.run(e.input)
        _positive(data, "Reduce")
        schema = e.input.schema
        groups: dict[Row, list[tuple[Row, int]]] = {}
        for row, d in data.items():
            groups.setdefault(tuple(row[i] for i in e.group_key), []).append((row, d))
        out: ZSet = {}
        for key, rows in groups.items():
            vals = tuple(_aggregate(a, rows, schema, self.env) for a in e.aggregates)
            _add(out, key + vals, 1)
        return out


_NULL_LAST = order_key(())


def window_partition(e: r.Window, rows: list[Row], env: Env) -> list[Row]:
    """The output rows of one partition of ``e`` (its rows, repeated per multiplicity):
    each row extended by the value of every window call. Shared by the evaluator and the
    dataflow operator, which recomputes a partition when it changes."""
    rows = sorted(rows, key=order_key(e.order_by))
    n = len(rows)
    # Peer groups: runs of rows equal on every ORDER BY column (all rows without ORDER BY).
    ends = [0] * n  # index of the last peer of each row
    starts = [0] * n
    i = 0
    while i < n:
        j = i
        while j + 1 < n and all(_peer_eq(rows[j + 1][o.column], rows[i][o.column])
                                for o in e.order_by):
            j += 1
        for k in range(i, j + 1):
            starts[k], ends[k] = i, j
        i = j + 1
    schema = e.input.schema
    columns = [_window_column(c, rows, starts=starts, ends=ends, schema=schema, env=env)
               for c in e.calls]
    return [row + tuple(col[k] for col in columns) for k, row in enumerate(rows)]


def _peer_eq(a: object, b: object) -> bool:
    return (a is None and b is None) or (a is not None and b is not None and a == b)


def _window_column(c: r.WindowCall, rows: list[Row], *, starts: list[int], ends: list[int],
                   schema: r.Schema, env: Env) -> list[object]:
    n = len(rows)
    if c.func == "row_number":
        return list(range(1, n + 1))
    if c.func == "rank":
        return [starts[k] + 1 for k in range(n)]
    if c.func == "dense_rank":
        out: list[object] = []
        group = 0
        for k in range(n):
            if k == starts[k]:
                group += 1
            out.append(group)
        return out
    if c.agg is not None:
        return _running_aggregate(c.agg, rows, ends, schema, env)
    assert c.value is not None
    values = [eval_scalar(c.value, row, env) for row in rows]
    if c.func == "first_value":
        return [values[0]] * n
    if c.func == "last_value":
        return [values[ends[k]] for k in range(n)]
    step = -c.offset if c.func == "lag" else c.offset
    out = []
    for k in range(n):
        j = k + step
        if 0 <= j < n:
            out.append(values[j])
        else:
            out.append(None if c.default is None else eval_scalar(c.default, rows[k], env))
    return out


def _running_aggregate(a: r.Aggregate, rows: list[Row], ends: list[int], schema: r.Schema,
                       env: Env) -> list[object]:
    """``a`` (count/sum/min/max) over the default frame — each row sees the partition up to
    its last peer — accumulated in one pass, in the same order :func:`_aggregate` adds."""
    if a.func not in ("count", "sum", "min", "max") or a.distinct:
        raise errors.FeatureNotSupported(f"{a.func} is not supported as a window function")
    sum_type = a.column(schema, "sum").type if a.func == "sum" else None
    values = [eval_scalar(a.expr, row, env) for row in rows]
    out: list[object] = []
    count, total, best = 0, 0, None
    result: object = None
    done = -1
    for k in range(len(rows)):
        if ends[k] > done:
            for v in values[done + 1:ends[k] + 1]:
                if v is None:
                    continue
                count += 1
                total = total + v if a.func == "sum" else total  # type: ignore[operator]
                if a.func == "min" and (best is None or v < best):  # type: ignore[operator]
                    best = v
                if a.func == "max" and (best is None or v > best):  # type: ignore[operator]
                    best = v
            done = ends[k]
            if a.func == "count":
                result = count
            elif a.func == "sum":
                result = None if count == 0 else (
                    check_int(int(total), sum_type) if sum_type in INT_TYPES
                    else Decimal(total) if sum_type == ScalarType.NUMERIC else total)
            else:
                result = best
        out.append(result)
    return out


def _aggregate(a: r.Aggregate, rows: list[tuple[Row, int]], schema: r.Schema, env: Env) -> object:
    values: list[object] = []
    extras: list[tuple[object, ...]] = []
    for row, d in rows:
        v = eval_scalar(a.expr, row, env)
        x = tuple(eval_scalar(e, row, env) for e in a.extra)
        values.extend([v] * d)
        extras.extend([x] * d)
    f = a.func
    if f not in ("count", "sum", "min", "max"):
        return basic_aggregate(a, list(zip(values, extras, strict=True)))
    vals = [v for v in values if v is not None]
    if a.distinct:
        vals = list(dict.fromkeys(vals))
    if f == "count":
        return len(vals)
    if not vals:
        return None
    if f == "sum":
        col = a.column(schema, "sum")
        total = sum(vals)  # type: ignore[arg-type]
        if col.type in INT_TYPES:
            return check_int(int(total), col.type)
        if col.type == ScalarType.NUMERIC:
            return Decimal(total)
        return total
    order = functools.cmp_to_key(_cmp_values)  # arrays with NULL elements, NaN
    return min(vals, key=order) if f == "min" else max(vals, key=order)


def basic_aggregate(a: r.Aggregate, rows: list[tuple[object, tuple[object, ...]]]) -> object:
    """bool_and/bool_or/string_agg/jsonb_agg/array_agg/jsonb_object_agg over one group's
    ``(value, extras)`` (one per input row; extras are ``a.extra`` evaluated on the row);
    shared with the dataflow's per-group recomputation."""
    func = a.func
    if func not in ("jsonb_agg", "array_agg", "jsonb_object_agg"):
        rows = [p for p in rows if p[0] is not None]
    if a.distinct:
        rows = list(dict.fromkeys(rows))
    if not rows:
        return None
    if func == "bool_and":
        return all(v for v, _ in rows)
    if func == "bool_or":
        return any(v for v, _ in rows)
    # Without ORDER BY, PostgreSQL leaves the order unspecified; sorting by value makes the
    # result deterministic (and is the tiebreak after the ORDER BY keys).
    if a.order_by:
        keys = order_key(a.order_by)
        rows.sort(key=lambda p: (keys(p[1]), _NULL_LAST((p[0],))))
    else:
        rows.sort(key=lambda p: _NULL_LAST((p[0],)))
    if func == "string_agg":
        out = str(rows[0][0])
        for v, x in rows[1:]:
            sep = x[0] if x else None
            out += ("" if sep is None else str(sep)) + str(v)
        return out
    # jsonb_agg's values (jsonb_object_agg's: extras[0]) are planned as to_jsonb(...).
    if func == "jsonb_agg":
        return "[" + ", ".join("null" if v is None else str(v) for v, _ in rows) + "]"
    if func == "jsonb_object_agg":
        return _json_object(rows)
    if func == "array_agg":
        return tuple(v for v, _ in rows)
    raise errors.UndefinedFunction(f"function {func} does not exist")


def _json_object(rows: list[tuple[object, tuple[object, ...]]]) -> str:
    fields: dict[str, str] = {}
    for k, x in rows:
        if k is None:
            raise errors.InvalidParameterValue("field name must not be null")
        v = x[0] if x else None
        fields[str(k)] = "null" if v is None else str(v)  # the last value of a key wins
    keys = sorted(fields, key=lambda k: (len(k.encode()), k.encode()))  # jsonb key order
    return "{" + ", ".join(f"{json.dumps(k, ensure_ascii=False)}: {fields[k]}"
                           for k in keys) + "}"


def _freeze(row: Sequence[object]) -> Row:
    return tuple(tuple(v) if isinstance(v, list) else v for v in row)


def _thaw(row: Row, schema: Sequence[Column]) -> Row:
    return tuple(
        list(v) if c.is_array and isinstance(v, tuple) else v
        for v, c in zip(row, schema, strict=True)
    )


def evaluate_zset(
    expr: r.RelationExpr,
    inputs: Mapping[str, Sequence[Sequence[object]]],
    *,
    mz_now: int | None = None,
) -> ZSet:
    """Evaluate ``expr`` to a multiset ``{row: multiplicity}`` (arrays as tuples)."""
    frozen = {k: dict(Counter(_freeze(row) for row in rows)) for k, rows in inputs.items()}
    return _Evaluator(frozen, Env(mz_now)).run(expr)


def evaluate(
    expr: r.RelationExpr,
    inputs: Mapping[str, Sequence[Sequence[object]]],
    *,
    mz_now: int | None = None,
) -> list[Row]:
    """Evaluate ``expr`` over ``inputs`` (rows per Get id); rows repeat per multiplicity.
    A negative final multiplicity is an internal error (a wrong plan)."""
    z = evaluate_zset(expr, inputs, mz_now=mz_now)
    _positive(z, "the result")
    out: list[Row] = []
    for row, d in z.items():
        out.extend([_thaw(row, expr.schema)] * d)
    return out


def finish(rows: list[Row], finishing: r.RowSetFinishing) -> list[Row]:
    """Apply a RowSetFinishing (sort, offset, limit, project) to evaluated rows."""
    if finishing.order_by:
        rows = sorted(rows, key=order_key(finishing.order_by))
    end = None if finishing.limit is None else finishing.offset + finishing.limit
    rows = rows[finishing.offset:end]
    return [tuple(row[i] for i in finishing.project) for row in rows]


def run_query(
    q: r.PlannedQuery,
    inputs: Mapping[str, Sequence[Sequence[object]]],
    *,
    mz_now: int | None = None,
) -> list[Row]:
    return finish(evaluate(q.expr, inputs, mz_now=mz_now), q.finishing)
