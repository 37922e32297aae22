"""Structural checks of a plan: every column reference in range, Union inputs with equal
column types, Gets of local ids inside their Let (with the bound schema's types). A plan
that passes can be rendered without index errors; used by the tests on every planned query.
"""

from __future__ import annotations

from collections.abc import Mapping

from pymz import errors
from pymz.expr import relation as r
from pymz.expr.scalar import ScalarExpr, columns_used
from pymz.repr import ScalarType


def _types(s: r.Schema) -> list[tuple[ScalarType, bool]]:
    return [(c.type, c.is_array) for c in s]


def _refs(exprs: tuple[ScalarExpr, ...] | list[ScalarExpr], width: int, what: str) -> None:
    for e in exprs:
        bad = [c for c in columns_used(e) if not 0 <= c < width]
        if bad:
            raise errors.InternalError(f"{what} refers to column {bad[0]} of {width}")


def validate(e: r.RelationExpr, lets: Mapping[str, r.Schema] | None = None) -> None:
    """Raise InternalError if ``e`` is malformed. Gets of ids not bound by a Let are taken
    to be global inputs."""
    scope = dict(lets or {})
    if isinstance(e, r.Let):
        validate(e.value, scope)
        scope[e.id] = e.value.schema
        validate(e.body, scope)
        return
    if isinstance(e, r.Get):
        if e.id in scope and _types(scope[e.id]) != _types(e.columns):
            raise errors.InternalError(f"Get {e.id} does not match its Let's schema")
        return
    for child in r.children(e):
        validate(child, scope)
    if isinstance(e, r.Constant):
        if any(len(row) != len(e.columns) for row, _ in e.rows):
            raise errors.InternalError("Constant row width does not match its schema")
        return
    kids = r.children(e)
    width = len(kids[0].schema) if kids else 0
    if isinstance(e, r.Map):
        for j, s in enumerate(e.scalars):
            _refs([s], width + j, "Map")
    elif isinstance(e, r.Filter):
        _refs(e.predicates, width, "Filter")
    elif isinstance(e, r.Project):
        if any(not 0 <= i < width for i in e.outputs):
            raise errors.InternalError("Project output out of range")
    elif isinstance(e, r.FlatMap):
        _refs(e.args, width, "FlatMap")
    elif isinstance(e, r.Reduce):
        if any(not 0 <= i < width for i in e.group_key):
            raise errors.InternalError("Reduce key out of range")
        _refs([a.expr for a in e.aggregates] + [x for a in e.aggregates for x in a.extra],
              width, "Reduce")
    elif isinstance(e, r.TopK):
        if any(not 0 <= i < width for i in e.group_key) or any(
                not 0 <= o.column < width for o in e.order_by):
            raise errors.InternalError("TopK column out of range")
    elif isinstance(e, r.Window):
        if any(not 0 <= i < width for i in e.partition) or any(
                not 0 <= o.column < width for o in e.order_by):
            raise errors.InternalError("Window column out of range")
        _refs([x for c in e.calls for x in (c.value, c.default,
                                            c.agg.expr if c.agg else None) if x is not None],
              width, "Window")
    elif isinstance(e, r.Join):
        for cls in e.equivalences:
            for i, col in cls:
                if not (0 <= i < len(e.inputs) and 0 <= col < len(e.inputs[i].schema)):
                    raise errors.InternalError("Join equivalence out of range")
    elif isinstance(e, r.Union):
        first = _types(e.inputs[0].schema)
        if any(_types(i.schema) != first for i in e.inputs[1:]):
            raise errors.InternalError("Union inputs have different column types")
