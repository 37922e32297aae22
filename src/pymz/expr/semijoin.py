"""Removing joins with a relation's own distinct key values (semijoin idempotence).

``Y ⋈ (SELECT DISTINCT k FROM X) ON Y.m = k`` is ``Y`` with ``m`` repeated when every value
of ``Y.m`` is a value of ``X.k`` — ``Y`` is ``X`` itself, or keeps, filters, ranks or groups
rows of ``X`` without changing that column: every row of ``Y`` finds exactly one partner,
its own key value (join equivalences match NULL with NULL, and the distinct values include
NULL when ``X`` has it). Decorrelating ``LATERAL`` and correlated subqueries produces this
shape whenever the outer relation is itself a distinct projection of the inner one;
dropping the join saves maintaining an arrangement of ``Y``.

Guarantee: the rewrite preserves the result of every collection whose multiplicities are
non-negative (as all collections are outside an error state). Not handled: keys of more
than one column, and a distinct projection reached through anything but Project, Distinct
(a Reduce without aggregates) and Let bindings.
"""

from __future__ import annotations

from pymz.expr import relation as r

Env = dict[str, r.RelationExpr]


def _resolve(e: r.RelationExpr, env: Env) -> r.RelationExpr:
    while isinstance(e, r.Get) and e.id in env:
        e = env[e.id]
    return e


def _distinct_column(e: r.RelationExpr, env: Env) -> tuple[r.RelationExpr, int] | None:
    """``(X, k)`` when ``e`` is exactly the distinct values of column ``k`` of ``X``."""
    e = _resolve(e, env)
    if not isinstance(e, r.Reduce) or e.aggregates or len(e.group_key) != 1:
        return None
    inner = _resolve(e.input, env)
    col = e.group_key[0]
    if isinstance(inner, r.Project):
        return _resolve(inner.input, env), inner.outputs[col]
    nested = _distinct_column(inner, env)
    if nested is not None and col == 0:
        return nested  # DISTINCT of a DISTINCT
    return inner, col


def _draws_from(e: r.RelationExpr, col: int, base: r.RelationExpr, k: int, env: Env) -> bool:
    """Whether every value of column ``col`` of ``e`` is a value of column ``k`` of ``base``
    (``e`` keeps, filters, ranks or groups rows of ``base`` without changing that column)."""
    while True:
        e = _resolve(e, env)
        if col == k and e == base:
            return True
        if isinstance(e, r.Project):
            col = e.outputs[col]
        elif isinstance(e, r.Reduce):
            if col >= len(e.group_key):
                return False
            col = e.group_key[col]
        elif isinstance(e, r.Map | r.FlatMap):
            if col >= len(e.input.schema):
                return False
        elif not isinstance(e, r.Filter | r.TopK | r.Threshold):
            return False
        e = e.input


def _find(e: r.Join, env: Env) -> tuple[int, int, int] | None:
    """``(i, j, m)``: input ``i`` is the distinct values of a column of some relation whose
    values column ``m`` of input ``j`` draws from, and an equivalence class ties the two."""
    for i, inp in enumerate(e.inputs):
        if len(inp.schema) != 1:
            continue
        found = _distinct_column(inp, env)
        if found is None:
            continue
        base, k = found
        for cls in e.equivalences:
            if (i, 0) not in cls:
                continue
            for j, m in cls:
                if j != i and _draws_from(e.inputs[j], m, base, k, env):
                    return i, j, m
    return None


def _drop_input(e: r.Join, i: int, j: int, k: int) -> r.RelationExpr:
    """``e`` without input ``i``, whose column is read from ``(j, k)`` instead."""

    def moved(member: tuple[int, int]) -> tuple[int, int]:
        src, col = (j, k) if member == (i, 0) else member
        return (src - 1 if src > i else src, col)

    classes = []
    for cls in e.equivalences:
        members = tuple(dict.fromkeys(moved(m) for m in cls))
        if len(members) > 1:
            classes.append(members)
    inputs = tuple(x for n, x in enumerate(e.inputs) if n != i)
    if len(inputs) == 1 and classes:
        return e  # a one-input join with conditions left: not worth a special case
    new: r.RelationExpr = inputs[0] if len(inputs) == 1 else r.Join(inputs, tuple(classes))
    new_offsets = r.Join(inputs).offsets()
    outputs: list[int] = []
    for n, x in enumerate(e.inputs):
        if n == i:
            src, col = moved((i, 0))
            outputs.append(new_offsets[src] + col)
            continue
        src = n - 1 if n > i else n
        outputs.extend(new_offsets[src] + c for c in range(len(x.schema)))
    return r.Project(new, tuple(outputs))


def _reads(e: r.RelationExpr, let_id: str) -> bool:
    stack = [e]
    while stack:
        x = stack.pop()
        if isinstance(x, r.Get) and x.id == let_id:
            return True
        stack.extend(r.children(x))
    return False


def _go(e: r.RelationExpr, env: Env) -> r.RelationExpr:
    if isinstance(e, r.Let):
        value = _go(e.value, env)
        body = _go(e.body, {**env, e.id: value})
        # A dropped join may have been the binding's last reader.
        return r.Let(e.id, value, body) if _reads(body, e.id) else body
    e = r.rebuild(e, lambda x: _go(x, env))
    if isinstance(e, r.Join):
        hit = _find(e, env)
        if hit is not None:
            rewritten = _drop_input(e, *hit)
            if rewritten is not e:
                return _go(rewritten, env)  # each rewrite drops an input: this ends
    return e


def remove_self_semijoins(e: r.RelationExpr) -> r.RelationExpr:
    """Drop every join input that is the distinct values of another input's join column."""
    return _go(e, {})
