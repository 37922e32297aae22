"""Rendering of ``Reduce``: accumulable aggregates, DISTINCT aggregates, basic aggregates.

The input is first mapped to ``key columns + one value column per aggregate + separator
columns``. Then:

- count/sum/min/max (not DISTINCT) share one library ``Reduce``;
- each DISTINCT count/sum/min/max is ``Reduce(Distinct(Project(key + value)))``;
- bool_and/bool_or/string_agg/jsonb_agg/array_agg (DISTINCT or not) share one
  :class:`~pymz.compute.dataflow.basic.BasicReduce` that recomputes changed groups;
- several parts are joined on the key (NULL-safe, as GROUP BY) and projected into the IR's
  column order; sums get their SQL type (numeric as Decimal, int8 range-checked).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import numpy as np

from pymz.compute.dataflow import Agg, Distinct, Operator, Project
from pymz.compute.dataflow import Reduce as DReduce
from pymz.compute.dataflow.basic import BasicReduce
from pymz.compute.render.ops import MapN
from pymz.compute.render.scalar import Cols, compile_scalar
from pymz.expr import relation as r
from pymz.expr.evaluate import basic_aggregate
from pymz.expr.funcs import INT_TYPES, check_int
from pymz.repr import ScalarType

if TYPE_CHECKING:
    from pymz.compute.render.relation import Renderer

ACCUMULABLE = ("count", "sum", "min", "max")
Row = tuple[Any, ...]


def render_reduce(rd: Renderer, e: r.Reduce) -> Operator:
    inp = rd.render(e.input)
    k = len(e.group_key)
    if not e.aggregates:
        return Distinct(Project(inp, e.group_key))
    aggs = e.aggregates
    exprs = [compile_scalar(a.expr) for a in aggs]
    extra_pos: dict[int, list[int]] = {}
    extras: list[Callable[[Cols, int], Any]] = []
    for i, a in enumerate(aggs):
        for x in a.extra:
            extra_pos.setdefault(i, []).append(k + len(aggs) + len(extras))
            extras.append(compile_scalar(x))
    key = e.group_key

    def pre_fn(cols: Cols, n: int) -> list[Any]:
        return ([cols[j] for j in key] + [f(cols, n) for f in exprs]
                + [f(cols, n) for f in extras])

    pre = MapN(inp, pre_fn, k + len(aggs) + len(extras))
    keycols = list(range(k))
    parts: list[tuple[Operator, list[int]]] = []  # (operator, aggregate indexes it outputs)
    plain = [i for i, a in enumerate(aggs) if a.func in ACCUMULABLE and not a.distinct]
    if plain:
        dr = DReduce(pre, keycols, [_agg(aggs[i], k + i) for i in plain])
        parts.append((dr, plain))
    for i, a in enumerate(aggs):
        if a.func in ACCUMULABLE and a.distinct:
            d = Distinct(Project(pre, [*keycols, k + i]))
            parts.append((DReduce(d, keycols, [_agg(a, k)]), [i]))
    basic = [i for i, a in enumerate(aggs) if a.func not in ACCUMULABLE]
    if basic:
        cols = [*keycols]
        layout: list[tuple[r.Aggregate, int, list[int]]] = []
        for i in basic:
            vpos = len(cols)
            cols.append(k + i)
            xpos = list(range(len(cols), len(cols) + len(extra_pos.get(i, []))))
            cols.extend(extra_pos.get(i, []))
            layout.append((aggs[i], vpos, xpos))
        parts.append((BasicReduce(Project(pre, cols), keycols, _basic_fn(layout), len(basic)),
                      basic))
    if len(parts) == 1:
        op, order = parts[0]
        out = op
        if order != list(range(len(aggs))):
            pos = {a: k + j for j, a in enumerate(order)}
            out = Project(op, [*keycols, *(pos[i] for i in range(len(aggs)))])
    else:
        offsets, n = [], 0
        for op, _ in parts:
            offsets.append(n)
            n += op.arity
        classes = [[(p, j) for p in range(len(parts))] for j in range(k)]
        joined = rd.join_ops([op for op, _ in parts], classes)
        pos = {}
        for p, (_, order) in enumerate(parts):
            for j, ai in enumerate(order):
                pos[ai] = offsets[p] + k + j
        out = Project(joined, [*keycols, *(pos[i] for i in range(len(aggs)))])
    return _fix_sums(out, e, k)


def _agg(a: r.Aggregate, col: int) -> Agg:
    kind = a.func
    assert kind in ACCUMULABLE
    return Agg(kind, col)  # type: ignore[arg-type]


def _fix_sums(op: Operator, e: r.Reduce, k: int) -> Operator:
    """Give sums their SQL result type: numeric as Decimal, integer sums range-checked."""
    schema = e.schema
    fixes: list[tuple[int, ScalarType]] = []
    for i, a in enumerate(e.aggregates):
        t = schema[k + i].type
        if a.func == "sum" and (t in INT_TYPES or t == ScalarType.NUMERIC):
            fixes.append((k + i, t))
    if not fixes:
        return op

    def fix(cols: Cols, n: int) -> list[Any]:
        out = list(cols)
        for c, t in fixes:
            vals = cols[c].tolist()
            if t == ScalarType.NUMERIC:
                conv: list[Any] = [None if v is None else Decimal(v) for v in vals]
            else:
                conv = [None if v is None else check_int(int(v), t) for v in vals]
            col = np.empty(n, dtype=object)
            col[:] = conv
            out[c] = col
        return out

    return MapN(op, fix, op.arity)


def _basic_fn(layout: Sequence[tuple[r.Aggregate, int, list[int]]]
              ) -> Callable[[list[tuple[Row, int]]], list[Any]]:
    def fn(rows: list[tuple[Row, int]]) -> list[Any]:
        out = []
        for a, vpos, xpos in layout:
            pairs = [(row[vpos], tuple(row[j] for j in xpos))
                     for row, m in rows for _ in range(m)]
            out.append(basic_aggregate(a, pairs))
        return out
    return fn
