"""Join planning rewrites applied while rendering (they preserve the evaluated multiset).

- :func:`flatten` turns nested joins ``Join(Join(a, b), c)`` into one n-way join, so it is
  rendered as a delta join without intermediate arrangements.
- :func:`lift_equalities` turns ``Filter(Join(...), x = y)`` predicates that compare columns
  of two different inputs (possibly under an integer-widening cast, which keeps Python
  equality) into join equivalences. The predicate itself stays as a filter above the join,
  which keeps SQL's NULL semantics (equivalences are NULL-safe); what changes is that the
  join looks up matches instead of forming a cross product.
"""

from __future__ import annotations

from pymz.expr import relation as r
from pymz.expr.funcs import INT_TYPES
from pymz.expr.scalar import Call, ColumnRef, ScalarExpr
from pymz.repr import ScalarType

Member = tuple[int, int]

# Casts after which Python equality and hashing of the value are unchanged.
_SAFE_TARGETS = INT_TYPES | {ScalarType.NUMERIC}


def flatten(j: r.Join) -> r.Join:
    """Inline inputs that are themselves joins."""
    if not any(isinstance(i, r.Join) for i in j.inputs):
        return j
    inputs: list[r.RelationExpr] = []
    where: list[list[Member]] = []  # per outer input: column -> flattened (input, column)
    eqs: list[tuple[Member, ...]] = []
    for inp in j.inputs:
        if isinstance(inp, r.Join):
            inner = flatten(inp)
            base = len(inputs)
            cols: list[Member] = []
            for k, x in enumerate(inner.inputs):
                cols.extend((base + k, c) for c in range(len(x.schema)))
            inputs.extend(inner.inputs)
            eqs.extend(tuple((base + i, c) for i, c in cls) for cls in inner.equivalences)
            where.append(cols)
        else:
            where.append([(len(inputs), c) for c in range(len(inp.schema))])
            inputs.append(inp)
    eqs.extend(tuple(where[i][c] for i, c in cls) for cls in j.equivalences)
    return r.Join(tuple(inputs), tuple(eqs))


def _plain_column(e: ScalarExpr, schema: r.Schema) -> int | None:
    if isinstance(e, ColumnRef):
        return e.index
    if (isinstance(e, Call) and e.func == "cast" and e.type in _SAFE_TARGETS
            and len(e.args) == 1 and isinstance(e.args[0], ColumnRef)
            and schema[e.args[0].index].type in INT_TYPES
            and not schema[e.args[0].index].is_array and not e.is_array):
        return e.args[0].index
    return None


def lift_equalities(f: r.Filter) -> r.Filter:
    """Add equivalences for cross-input ``=`` predicates of a filter over a join."""
    if not isinstance(f.input, r.Join):
        return f
    j = f.input
    offsets = j.offsets()
    schema = j.schema

    def member(col: int) -> Member:
        i = max(k for k, o in enumerate(offsets) if o <= col)
        return (i, col - offsets[i])

    extra: list[tuple[Member, ...]] = []
    for p in f.predicates:
        if not (isinstance(p, Call) and p.func == "eq" and len(p.args) == 2):
            continue
        a, b = (_plain_column(x, schema) for x in p.args)
        if a is None or b is None:
            continue
        ma, mb = member(a), member(b)
        if ma[0] != mb[0]:
            extra.append((ma, mb))
    if not extra:
        return f
    return r.Filter(r.Join(j.inputs, (*j.equivalences, *extra)), f.predicates)
