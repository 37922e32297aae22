"""Render relation expressions into dataflow operators.

:func:`render` walks an (optimised) IR tree once and builds operators in topological order.
``Let`` values are rendered once and shared by every ``Get``; arrangements are cached per
(stream, key), so a collection joined twice on the same key is arranged once.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from pymz import errors
from pymz.compute.dataflow import (
    Arrange,
    Dataflow,
    DeltaJoin,
    GroupMap,
    Input,
    Join,
    Lookup,
    Negate,
    Operator,
    Order,
    Project,
    TemporalFilter,
    Threshold,
    TopK,
    Union,
)
from pymz.compute.dataflow.batch import Batch, equal_pairs
from pymz.compute.render.aggregate import render_reduce
from pymz.compute.render.joins import flatten, lift_equalities
from pymz.compute.render.ops import FilterN, FlatMapN, MapN
from pymz.compute.render.scalar import (
    Cols,
    Fn,
    _truth,
    compile_scalar,
    null_mask,
    take_cols,
)
from pymz.expr import relation as r
from pymz.expr import tablefuncs
from pymz.expr.evaluate import Env, window_partition
from pymz.expr.scalar import Call, ScalarExpr, children

Member = tuple[int, int]  # (input, column)


def render(df: Dataflow, expr: r.RelationExpr, imports: Mapping[str, Operator], *,
           as_of: int = 0, now: int | None = None) -> Operator:
    """Build operators computing ``expr`` in ``df``; ``imports`` maps Get ids to streams
    (whose arity must match the Get's schema). Constants appear at time ``as_of``. ``now``
    renders a one-shot computation: ``mz_now()`` is that constant wherever it appears."""
    return Renderer(df, imports, as_of=as_of, now=now).render(expr)


def uses_mz_now(e: ScalarExpr) -> bool:
    if isinstance(e, Call) and e.func == "mz_now":
        return True
    return any(uses_mz_now(c) for c in children(e))


class Renderer:
    """Rendering state: Let bindings in scope and the shared arrangements."""

    def __init__(self, df: Dataflow, imports: Mapping[str, Operator], *, as_of: int = 0,
                 now: int | None = None) -> None:
        self.df = df
        self.bindings: dict[str, Operator] = dict(imports)
        self.as_of = as_of
        # One-shot rendering: mz_now() is this constant (no temporal filters needed).
        self.now_fn: Fn | None = None
        if now is not None:
            def now_fn(cols: Cols, n: int) -> npt.NDArray[np.int64]:
                return np.full(n, now, dtype=np.int64)
            self.now_fn = now_fn
        self.arrangements: dict[tuple[int, tuple[int, ...]], Arrange] = {}

    def arrange(self, op: Operator, key: Sequence[int]) -> Arrange:
        """The arrangement of ``op`` by ``key``, created once and shared."""
        k = (id(op), tuple(key))
        a = self.arrangements.get(k)
        if a is None:
            a = self.arrangements[k] = Arrange(op, key)
        return a

    def render(self, e: r.RelationExpr) -> Operator:
        if isinstance(e, r.Get):
            op = self.bindings.get(e.id)
            if op is None:
                raise errors.InternalError(f"no input or binding for {e.id}")
            if op.arity != len(e.schema):
                raise errors.InternalError(
                    f"{e.id} has {op.arity} columns, the plan expects {len(e.schema)}")
            return op
        if isinstance(e, r.Let):
            value = self.render(e.value)
            saved = self.bindings.get(e.id)
            self.bindings[e.id] = value
            try:
                return self.render(e.body)
            finally:
                if saved is None:
                    del self.bindings[e.id]
                else:
                    self.bindings[e.id] = saved
        if isinstance(e, r.Constant):
            inp = Input(self.df, len(e.schema))
            if e.rows:
                inp.send(Batch.from_rows([row for row, _ in e.rows], self.as_of,
                                         [d for _, d in e.rows], arity=len(e.schema)))
            inp.close()
            return inp
        if isinstance(e, r.Map):
            return self._map(e)
        if isinstance(e, r.Filter):
            return self._filter(e)
        if isinstance(e, r.Project):
            return Project(self.render(e.input), e.outputs)
        if isinstance(e, r.FlatMap):
            return self._flat_map(e)
        if isinstance(e, r.Join):
            e = flatten(e)
            ops = [self.render(i) for i in e.inputs]
            return self.join_ops(ops, [list(c) for c in e.equivalences])
        if isinstance(e, r.Reduce):
            return render_reduce(self, e)
        if isinstance(e, r.TopK):
            src = self.render(e.input)
            order = [Order(o.column, o.desc, o.nulls_last) for o in e.order_by]
            # The IR breaks ties by the whole row (NULLs last): make that explicit.
            order += [Order(c, False, True) for c in range(src.arity)]
            return TopK(src, e.group_key, order, e.limit, e.offset)
        if isinstance(e, r.Window):
            return self._window(e)
        if isinstance(e, r.Negate):
            return Negate(self.render(e.input))
        if isinstance(e, r.Threshold):
            return Threshold(self.render(e.input))
        if isinstance(e, r.Union):
            ops = [self.render(i) for i in e.inputs]
            return ops[0] if len(ops) == 1 else Union(*ops)
        raise errors.InternalError(f"cannot render {type(e).__name__}")

    def _window(self, e: r.Window) -> Operator:
        """Window functions: each changed partition recomputed by the evaluator's own
        per-partition function (the cost of the partition, as in Materialize)."""
        src = self.render(e.input)
        env = Env()

        def partition(rows: list[tuple[tuple[Any, ...], int]]) -> list[tuple[Any, ...]]:
            expanded = [row for row, m in rows for _ in range(m)]
            return window_partition(e, expanded, env)

        return GroupMap(src, e.partition, partition, len(e.schema))

    # -- linear operators ------------------------------------------------------------------
    def _map(self, e: r.Map) -> Operator:
        inp = self.render(e.input)
        for s in e.scalars:
            if uses_mz_now(s) and self.now_fn is None:
                raise errors.FeatureNotSupported(
                    "mz_now() is only supported in temporal filters (WHERE mz_now() <op> expr)")
        fns = [compile_scalar(s, self.now_fn) for s in e.scalars]

        def fn(cols: Cols, n: int) -> list[Any]:
            out = list(cols)
            for f in fns:
                out.append(f(tuple(out), n))
            return out

        return MapN(inp, fn, inp.arity + len(fns))

    def _filter(self, e: r.Filter) -> Operator:
        e = lift_equalities(e)
        inp = self.render(e.input)
        one_shot = self.now_fn is not None
        plain = [p for p in e.predicates if one_shot or not uses_mz_now(p)]
        temporal = [p for p in e.predicates if not one_shot and uses_mz_now(p)]
        out = inp
        if plain:
            out = FilterN(out, predicate([compile_scalar(p, self.now_fn) for p in plain]))
        if temporal:
            out = temporal_filter(out, temporal)
        return out

    def _flat_map(self, e: r.FlatMap) -> Operator:
        inp = self.render(e.input)
        args = [compile_scalar(a, self.now_fn) for a in e.args]
        func, width = e.func, len(e.columns)
        if not tablefuncs.known(func):
            raise errors.UndefinedFunction(f"function {func} does not exist")

        def fn(cols: Cols, n: int) -> tuple[npt.NDArray[Any], list[Any]]:
            vals = [a(cols, n).tolist() for a in args]
            idx: list[int] = []
            new: list[list[Any]] = [[] for _ in range(width)]
            for i, row in enumerate(zip(*vals, strict=True)):
                for extra in tablefuncs.expand(func, row, width):
                    idx.append(i)
                    for j in range(width):
                        new[j].append(extra[j])
            ix = np.array(idx, dtype=np.intp)
            out: list[Any] = [c[ix] for c in cols]
            for vs in new:
                col = np.empty(len(vs), dtype=object)
                col[:] = vs
                out.append(col)
            return ix, out

        return FlatMapN(inp, fn, inp.arity + width)

    # -- joins -----------------------------------------------------------------------------
    def join_ops(self, ops: list[Operator], classes: list[list[Member]]) -> Operator:
        """Join streams on NULL-safe equivalence classes; output is all columns in order.

        Members of one class within one input become a filter on that input; the rest
        become arrangement keys: a binary delta join for two inputs, an n-way delta join
        (one lookup path per input, no intermediate state) for more.
        """
        ops = list(ops)
        reps: list[dict[int, int]] = []  # per cross-input class: input -> representative col
        for cls in merge_classes(classes):
            by_input: dict[int, list[int]] = {}
            for i, c in cls:
                by_input.setdefault(i, []).append(c)
            for i, cs in by_input.items():
                if len(set(cs)) > 1:
                    ops[i] = FilterN(ops[i], _equal_cols(sorted(set(cs))))
            if len(by_input) > 1:
                reps.append({i: cs[0] for i, cs in by_input.items()})
        if len(ops) == 1:
            return ops[0]
        if len(ops) == 2:
            shared = [c for c in reps if 0 in c and 1 in c]
            left = self.arrange(ops[0], [c[0] for c in shared])
            right = self.arrange(ops[1], [c[1] for c in shared])
            return Join(left, right)
        offsets = [0]
        for op in ops[:-1]:
            offsets.append(offsets[-1] + op.arity)
        paths = []
        for i in range(len(ops)):
            done = [i]
            path = []
            while len(done) < len(ops):
                todo = [j for j in range(len(ops)) if j not in done]
                linked = [j for j in todo if any(j in c and any(d in c for d in done)
                                                 for c in reps)]
                j = (linked or todo)[0]
                key, probe = [], []
                for cl in reps:
                    if j in cl:
                        owner = next((d for d in done if d in cl), None)
                        if owner is not None:
                            key.append(cl[j])
                            probe.append(offsets[owner] + cl[owner])
                path.append(Lookup(j, self.arrange(ops[j], key), tuple(probe)))
                done.append(j)
            paths.append(path)
        return DeltaJoin(ops, paths)


def merge_classes(classes: list[list[Member]]) -> list[list[Member]]:
    """Union overlapping equivalence classes (equality is transitive)."""
    merged: list[set[Member]] = []
    for cls in classes:
        cur = set(cls)
        rest = []
        for m in merged:
            if m & cur:
                cur |= m
            else:
                rest.append(m)
        merged = [*rest, cur]
    return [sorted(m) for m in merged]


def _equal_cols(cs: list[int]) -> Fn:
    def pred(cols: Cols, n: int) -> npt.NDArray[np.bool_]:
        m = np.ones(n, dtype=np.bool_)
        for c in cs[1:]:
            m &= equal_pairs(cols[cs[0]], cols[c])
        return m
    return pred


def predicate(preds: list[Fn]) -> Fn:
    """Conjunction evaluated like the evaluator's ``all``: each predicate only on the rows
    every earlier one kept."""
    def run(cols: Cols, n: int) -> npt.NDArray[np.bool_]:
        idx = np.arange(n)
        for p in preds:
            if not len(idx):
                break
            sub = cols if len(idx) == n else take_cols(cols, idx)
            t, _ = _truth(p(sub, len(idx)))
            idx = idx[t]
        m = np.zeros(n, dtype=np.bool_)
        m[idx] = True
        return m
    return run


# -- temporal filters ----------------------------------------------------------------------

_FLIP = {"lt": "gt", "lte": "gte", "gt": "lt", "gte": "lte", "eq": "eq"}


def _is_now(e: ScalarExpr) -> bool:
    return isinstance(e, Call) and e.func == "mz_now"


def temporal_filter(src: Operator, preds: list[ScalarExpr]) -> Operator:
    """``mz_now() <op> expr`` conjuncts as a :class:`TemporalFilter`: each row is visible
    while ``max(lower bounds) <= mz_now() < min(upper bounds)``; a NULL bound makes the
    predicate NULL, so that row is never visible."""
    lowers: list[tuple[Fn, int]] = []
    uppers: list[tuple[Fn, int]] = []
    for p in preds:
        if not (isinstance(p, Call) and p.func in _FLIP and len(p.args) == 2):
            raise _unsupported(p)
        a, b = p.args
        op = p.func
        if _is_now(b) and not _is_now(a):
            a, b, op = b, a, _FLIP[op]
        if not _is_now(a) or uses_mz_now(b):
            raise _unsupported(p)
        f = compile_scalar(b)
        if op in ("gte", "eq"):
            lowers.append((f, 0))
        if op == "gt":
            lowers.append((f, 1))
        if op == "lt":
            uppers.append((f, 0))
        if op in ("lte", "eq"):
            uppers.append((f, 1))
    arity = src.arity

    def bounds(cols: Cols, n: int) -> list[Any]:
        lo = [0] * n
        hi: list[int | None] = [None] * n
        dead = np.zeros(n, dtype=np.bool_)
        for f, plus in lowers:
            v = f(cols, n)
            nl = null_mask(v)
            if nl is not None:
                dead |= nl
            for i, x in enumerate(v.tolist()):
                if x is not None:
                    lo[i] = max(lo[i], int(x) + plus)
        for f, plus in uppers:
            v = f(cols, n)
            nl = null_mask(v)
            if nl is not None:
                dead |= nl
            for i, x in enumerate(v.tolist()):
                if x is not None:
                    h = hi[i]
                    hi[i] = int(x) + plus if h is None else min(h, int(x) + plus)
        for i in np.flatnonzero(dead).tolist():
            lo[i], hi[i] = 1, 0  # an empty interval: never visible
        lo_col = np.empty(n, dtype=object)
        lo_col[:] = lo
        hi_col = np.empty(n, dtype=object)
        hi_col[:] = hi
        return [*cols, lo_col, hi_col]

    with_bounds = MapN(src, bounds, arity + 2)
    tf = TemporalFilter(with_bounds, arity, arity + 1)
    return Project(tf, list(range(arity)))


def _unsupported(p: ScalarExpr) -> errors.PymzError:
    return errors.FeatureNotSupported(
        "unsupported temporal predicate: mz_now() may only be compared (=, <, <=, >, >=) "
        "with an expression that does not use mz_now()")

