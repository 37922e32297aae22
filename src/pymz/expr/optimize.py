"""Optimisation passes over the IR. Each pass is a function ``RelationExpr -> RelationExpr``
that preserves the evaluated multiset (and the output schema's column types); ``optimize``
runs them in a fixed order.

- :func:`fold_constants`: evaluate calls over literals, simplify AND/OR/If, drop true
  predicates, turn always-false filters and operators over constants into constants.
- :func:`extract_join_equivalences`: ``a.x = b.y`` conjuncts of a Filter over a Join become
  join equivalences (plus ``IS NOT NULL`` where both sides can be NULL: SQL ``=`` never
  matches NULLs, equivalences do).
- :func:`push_predicates`: move filters below Map/Project/Union/Negate/Threshold, into join
  inputs, and below Reduce when they only use grouping keys.
- :func:`push_projections`: keep only the columns consumers use (narrowing Maps, Joins and
  Gets' consumers).
- :func:`~pymz.expr.semijoin.remove_self_semijoins`: drop joins of a relation with its own
  distinct key values (what decorrelation leaves behind).
"""

from __future__ import annotations

from collections.abc import Callable

from pymz import errors
from pymz.expr import relation as r
from pymz.expr.evaluate import eval_scalar, evaluate_zset
from pymz.expr.funcs import FUNCS
from pymz.expr.scalar import (
    FALSE,
    TRUE,
    Call,
    ColumnRef,
    If,
    Literal,
    ScalarExpr,
    columns_used,
    conjuncts,
    remap,
    scalar_type,
    substitute,
    transform,
)
from pymz.expr.semijoin import remove_self_semijoins
from pymz.repr import ScalarType

Pass = Callable[[r.RelationExpr], r.RelationExpr]
rebuild = r.rebuild


def bottom_up(f: Pass) -> Pass:
    def go(e: r.RelationExpr) -> r.RelationExpr:
        return f(rebuild(e, go))

    return go


# --- constant folding -----------------------------------------------------------------------


def fold_scalar(e: ScalarExpr) -> ScalarExpr:
    def f(x: ScalarExpr) -> ScalarExpr:
        if isinstance(x, If):
            if isinstance(x.cond, Literal):
                return x.then if x.cond.value is True else x.els
            return x
        if not isinstance(x, Call):
            return x
        if x.func in ("and", "or"):
            absorbing, neutral = (FALSE, TRUE) if x.func == "and" else (TRUE, FALSE)
            if absorbing in x.args:
                return absorbing
            args = tuple(a for a in x.args if a != neutral)
            if not args:
                return neutral
            if len(args) == 1:
                return args[0]
            return Call(x.func, args, x.type)
        fd = FUNCS[x.func]
        if fd.foldable and all(isinstance(a, Literal) for a in x.args) and not any(
                a.type == ScalarType.UNKNOWN for a in x.args if isinstance(a, Literal)):
            try:
                return Literal(eval_scalar(x, ()), x.type, x.is_array)
            except errors.PymzError:
                return x  # raised at run time, and only if the row is evaluated
        return x

    return transform(e, f)


def _fold_node(e: r.RelationExpr) -> r.RelationExpr:
    if isinstance(e, r.Map):
        e = r.Map(e.input, tuple(fold_scalar(s) for s in e.scalars), e.names)
    elif isinstance(e, r.Filter):
        preds = tuple(p for x in e.predicates for p in conjuncts(fold_scalar(x)) if p != TRUE)
        if any(isinstance(p, Literal) for p in preds):
            return r.empty(e.schema)  # a literal predicate that is not true: false or NULL
        if not preds:
            return e.input
        if isinstance(e.input, r.Filter):
            return r.Filter(e.input.input, e.input.predicates + preds)
        e = r.Filter(e.input, preds)
    elif isinstance(e, r.Project) and e.outputs == tuple(range(len(e.input.schema))):
        return e.input
    elif isinstance(e, r.Project) and isinstance(e.input, r.Project):
        inner = e.input
        return _fold_node(r.Project(inner.input, tuple(inner.outputs[i] for i in e.outputs)))
    elif isinstance(e, r.Union):
        inputs = tuple(i for i in e.inputs if not (isinstance(i, r.Constant) and not i.rows))
        if not inputs:
            return r.empty(e.schema)
        if len(inputs) == 1 and inputs[0].schema == e.schema:
            return inputs[0]
        e = r.Union(inputs) if len(inputs) > 1 else e
    elif isinstance(e, r.Join | r.Reduce | r.TopK | r.Window | r.Negate | r.Threshold
                    | r.FlatMap | r.Project) and any(isinstance(i, r.Constant) and not i.rows
                                         for i in r.children(e)):
        return r.empty(e.schema)
    # Operators whose inputs are all constants become constants (if evaluation succeeds).
    # Not table functions: a few characters (generate_series(1, 10^9)) can stand for more
    # rows than a plan should hold; the dataflow computes them where a query can be stopped.
    if not isinstance(e, r.Constant | r.Get | r.Let | r.FlatMap) and all(
            isinstance(i, r.Constant) for i in r.children(e)) and not _has_unfoldable(e):
        try:
            z = evaluate_zset(e, {})
        except errors.PymzError:
            return e
        return r.Constant(tuple(sorted(z.items(), key=repr)), e.schema)
    return e


def _has_unfoldable(e: r.RelationExpr) -> bool:
    exprs: list[ScalarExpr] = []
    if isinstance(e, r.Map):
        exprs = list(e.scalars)
    elif isinstance(e, r.Filter):
        exprs = list(e.predicates)
    elif isinstance(e, r.FlatMap):
        exprs = list(e.args)
    elif isinstance(e, r.Reduce):
        exprs = [a.expr for a in e.aggregates]

    def bad(x: ScalarExpr) -> bool:
        if isinstance(x, Call) and not FUNCS[x.func].foldable:
            return True
        kids = x.args if isinstance(x, Call) else (
            (x.cond, x.then, x.els) if isinstance(x, If) else ())
        return any(bad(k) for k in kids)

    return any(bad(x) for x in exprs)


fold_constants: Pass = bottom_up(_fold_node)


# --- join equivalences ----------------------------------------------------------------------


def _extract(e: r.RelationExpr) -> r.RelationExpr:
    if not (isinstance(e, r.Filter) and isinstance(e.input, r.Join)):
        return e
    join = e.input
    offs = join.offsets()
    schema = join.schema

    def locate(c: int) -> tuple[int, int]:
        i = max(k for k, o in enumerate(offs) if o <= c)
        return i, c - offs[i]

    classes = [set(cls) for cls in join.equivalences]
    rest: list[ScalarExpr] = []
    for p in (c for x in e.predicates for c in conjuncts(x)):
        if (isinstance(p, Call) and p.func == "eq" and isinstance(p.args[0], ColumnRef)
                and isinstance(p.args[1], ColumnRef)):
            a, b = p.args[0].index, p.args[1].index
            la, lb = locate(a), locate(b)
            if la[0] != lb[0]:
                merged = {la, lb}
                for cls in [c for c in classes if c & merged]:
                    merged |= cls
                    classes.remove(cls)
                classes.append(merged)
                if schema[a].nullable and schema[b].nullable:
                    rest.append(Call("not", (Call("is_null", (ColumnRef(a),),
                                                  ScalarType.BOOL),), ScalarType.BOOL))
                continue
        rest.append(p)
    if len(classes) == len(join.equivalences) and all(
            set(c) in classes for c in join.equivalences):
        return e
    new = r.Join(join.inputs, tuple(tuple(sorted(c)) for c in classes))
    return r.Filter(new, tuple(rest)) if rest else new


extract_join_equivalences: Pass = bottom_up(_extract)


# --- predicate pushdown ---------------------------------------------------------------------


def _filter(e: r.RelationExpr, preds: list[ScalarExpr]) -> r.RelationExpr:
    return r.Filter(e, tuple(preds)) if preds else e


def _push(e: r.RelationExpr) -> r.RelationExpr:
    if not isinstance(e, r.Filter):
        return rebuild(e, _push)
    preds = [c for p in e.predicates for c in conjuncts(p)]
    inp = e.input
    if isinstance(inp, r.Filter):
        return _push(r.Filter(inp.input, inp.predicates + tuple(preds)))
    if isinstance(inp, r.Map):
        w = len(inp.input.schema)
        # Predicates on mapped columns are rewritten in terms of the Map's expressions when
        # those are cheap to repeat (column references and literals only).
        below, above = [], []
        for p in preds:
            if max(columns_used(p), default=-1) < w:
                below.append(p)
            else:
                above.append(p)
        if below:
            return _filter(r.Map(_push(r.Filter(inp.input, tuple(below))), inp.scalars,
                                 inp.names), [_p for _p in above])
    elif isinstance(inp, r.FlatMap):
        # Predicates on the input alone filter before the table function runs (as in
        # PostgreSQL, which never calls jsonb_each on rows a WHERE conjunct rejects).
        w = len(inp.input.schema)
        below = [p for p in preds if max(columns_used(p), default=-1) < w]
        if below:
            rest = [p for p in preds if max(columns_used(p), default=-1) >= w]
            return _filter(r.FlatMap(_push(r.Filter(inp.input, tuple(below))), inp.func,
                                     inp.args, inp.columns), rest)
    elif isinstance(inp, r.Project):
        moved = [remap(p, dict(enumerate(inp.outputs))) for p in preds]
        return r.Project(_push(r.Filter(inp.input, tuple(moved))), inp.outputs)
    elif isinstance(inp, r.Union):
        return r.Union(tuple(_push(r.Filter(i, tuple(preds))) for i in inp.inputs))
    elif isinstance(inp, r.Negate):
        return r.Negate(_push(r.Filter(inp.input, tuple(preds))))
    elif isinstance(inp, r.Threshold):
        return r.Threshold(_push(r.Filter(inp.input, tuple(preds))))
    elif isinstance(inp, r.Reduce):
        nk = len(inp.group_key)
        below, above = [], []
        for p in preds:
            if max(columns_used(p), default=-1) < nk:
                below.append(remap(p, dict(enumerate(inp.group_key))))
            else:
                above.append(p)
        if below:
            return _filter(r.Reduce(_push(r.Filter(inp.input, tuple(below))), inp.group_key,
                                    inp.aggregates), above)
    elif isinstance(inp, r.Join):
        offs = inp.offsets()
        widths = [len(i.schema) for i in inp.inputs]
        per: list[list[ScalarExpr]] = [[] for _ in inp.inputs]
        above = []
        for p in preds:
            used = columns_used(p)
            home = [k for k in range(len(offs))
                    if all(offs[k] <= c < offs[k] + widths[k] for c in used)]
            if used and home:
                k = home[0]
                per[k].append(remap(p, {c: c - offs[k] for c in used}))
            else:
                above.append(p)
        if any(per):
            inputs = tuple(_push(_filter(i, ps)) for i, ps in zip(inp.inputs, per, strict=True))
            return _filter(r.Join(inputs, inp.equivalences), above)
    return r.Filter(_push(inp), tuple(preds))


def push_predicates(e: r.RelationExpr) -> r.RelationExpr:
    return _push(e)


# --- projection pushdown --------------------------------------------------------------------


def _prune(e: r.RelationExpr, demand: set[int]) -> tuple[r.RelationExpr, list[int]]:
    """A version of ``e`` producing (at least) the ``demand``ed columns; returns it and, for
    each of its columns, the index of that column in ``e``."""
    n = len(e.schema)
    if isinstance(e, r.Project):
        inner_demand = {e.outputs[i] for i in demand}
        inp, cols = _prune(e.input, inner_demand)
        where = {c: i for i, c in enumerate(cols)}
        keep = sorted(demand)
        return r.Project(inp, tuple(where[e.outputs[i]] for i in keep)), keep
    if isinstance(e, r.Map):
        w = len(e.input.schema)
        need = set(demand)
        # Walk scalars right to left: a needed scalar needs the columns it uses.
        for j in range(len(e.scalars) - 1, -1, -1):
            if w + j in need:
                need |= columns_used(e.scalars[j])
        inp, cols = _prune(e.input, {c for c in need if c < w})
        where = {c: i for i, c in enumerate(cols)}
        scalars, out_cols = [], list(cols)
        names = []
        for j, s in enumerate(e.scalars):
            if w + j in need:
                where[w + j] = len(out_cols)
                scalars.append(remap(s, where))
                out_cols.append(w + j)
                names.append(e.names[j] if j < len(e.names) else "?column?")
        return (r.Map(inp, tuple(scalars), tuple(names)) if scalars else inp), out_cols
    if isinstance(e, r.Filter):
        need = set(demand).union(*(columns_used(p) for p in e.predicates))
        inp, cols = _prune(e.input, need)
        where = {c: i for i, c in enumerate(cols)}
        return r.Filter(inp, tuple(remap(p, where) for p in e.predicates)), cols
    if isinstance(e, r.Join):
        offs = e.offsets()
        need = set(demand) | {offs[i] + c for cls in e.equivalences for i, c in cls}
        inputs: list[r.RelationExpr] = []
        all_cols: list[int] = []
        new_off: list[int] = []
        for k, i in enumerate(e.inputs):
            w = len(i.schema)
            inp, cols = _prune(i, {c - offs[k] for c in need if offs[k] <= c < offs[k] + w})
            new_off.append(len(all_cols))
            inputs.append(inp)
            all_cols += [offs[k] + c for c in cols]
        local = [{c: j for j, c in enumerate(all_cols[new_off[k]:new_off[k] + len(
            inputs[k].schema)])} for k in range(len(inputs))]
        eqs = tuple(tuple((i, local[i][offs[i] + c]) for i, c in cls) for cls in e.equivalences)
        return r.Join(tuple(inputs), eqs), all_cols
    if isinstance(e, r.Reduce):
        need = set(e.group_key).union(*(columns_used(a.expr) for a in e.aggregates),
                                      *(columns_used(x) for a in e.aggregates for x in a.extra))
        inp, cols = _prune(e.input, need)
        where = {c: i for i, c in enumerate(cols)}
        aggs = tuple(r.Aggregate(a.func, remap(a.expr, where), a.distinct,
                                 tuple(remap(x, where) for x in a.extra), a.order_by)
                     for a in e.aggregates)
        return r.Reduce(inp, tuple(where[c] for c in e.group_key), aggs), list(range(n))
    if isinstance(e, r.FlatMap):
        w = len(e.input.schema)
        need = {c for c in demand if c < w}.union(*(columns_used(a) for a in e.args))
        inp, cols = _prune(e.input, need)
        where = {c: i for i, c in enumerate(cols)}
        fm = r.FlatMap(inp, e.func, tuple(remap(a, where) for a in e.args), e.columns)
        return fm, cols + list(range(w, n))
    new = rebuild(e, push_projections)
    if len(demand) < n:
        keep = sorted(demand)
        return r.Project(new, tuple(keep)), keep
    return new, list(range(n))


def push_projections(e: r.RelationExpr) -> r.RelationExpr:
    n = len(e.schema)
    new, cols = _prune(e, set(range(n)))
    if cols == list(range(n)):
        return new
    where = {c: i for i, c in enumerate(cols)}
    return r.Project(new, tuple(where[c] for c in range(n)))


def inline_maps(e: ScalarExpr, exprs: list[ScalarExpr]) -> ScalarExpr:
    return substitute(e, exprs)


def optimize(e: r.RelationExpr) -> r.RelationExpr:
    """Run the passes to a fixed point (bounded)."""
    for _ in range(4):
        before = e
        e = fold_constants(e)
        e = extract_join_equivalences(e)
        e = push_predicates(e)
        e = extract_join_equivalences(e)
        e = fold_constants(e)
        e = fold_constants(push_projections(e))
        e = remove_self_semijoins(e)
        if e == before:
            break
    return e


__all__ = ["extract_join_equivalences", "fold_constants", "optimize", "push_predicates",
           "push_projections", "scalar_type"]
