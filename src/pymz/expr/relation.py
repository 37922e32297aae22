"""Relation expressions of the IR (a small MIR): each node is a frozen dataclass that knows
its output schema (``.schema``: repr ``Column``s with nullability).

Collections are multisets (Z-sets while being maintained incrementally). Join equivalences
are classes of ``(input, column)`` pairs whose values must be equal; unlike SQL ``=``, NULL
equals NULL here (the planner adds ``IS NOT NULL`` filters when lowering SQL equality), which
is what lets outer joins and decorrelation join on possibly-NULL keys.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property

from pymz import errors
from pymz.expr.scalar import ScalarExpr, scalar_type
from pymz.repr import Column, ScalarType

Row = tuple[object, ...]
Schema = tuple[Column, ...]

AGG_FUNCS = ("count", "sum", "min", "max", "bool_and", "bool_or", "string_agg", "jsonb_agg",
             "array_agg", "jsonb_object_agg")
# Aggregates whose result depends on the order of their inputs (ORDER BY in the call).
ORDERED_AGGS = ("string_agg", "jsonb_agg", "array_agg", "jsonb_object_agg")


@dataclass(frozen=True)
class ColumnOrder:
    """Sort key: PostgreSQL's default puts NULLs last ascending and first descending."""

    column: int
    desc: bool = False
    nulls_last: bool | None = None

    @property
    def nulls_last_effective(self) -> bool:
        return (not self.desc) if self.nulls_last is None else self.nulls_last


@dataclass(frozen=True)
class Aggregate:
    """An aggregate over ``expr``; ``extra`` holds string_agg's separator (jsonb_object_agg's
    value), then the ORDER BY keys of an ordered aggregate: ``order_by[i].column`` indexes
    ``extra``. count(*) is ``count`` over the literal ``true``. NULL inputs are ignored
    except by jsonb_agg and array_agg (and jsonb_object_agg's values), as in PostgreSQL.
    jsonb_agg's ``expr`` and jsonb_object_agg's value are jsonb (the planner wraps them in
    ``to_jsonb``), so the aggregate only assembles JSON text."""

    func: str
    expr: ScalarExpr
    distinct: bool = False
    extra: tuple[ScalarExpr, ...] = ()
    order_by: tuple[ColumnOrder, ...] = ()

    def column(self, input_schema: Schema, name: str) -> Column:
        t = scalar_type(self.expr, input_schema)
        f = self.func
        if f == "count":
            return Column(name, ScalarType.INT8, False)
        if f == "sum":
            st = {ScalarType.INT2: ScalarType.INT8, ScalarType.INT4: ScalarType.INT8,
                  ScalarType.INT8: ScalarType.NUMERIC}.get(t.scalar, t.scalar)
            return Column(name, st, True)
        if f in ("min", "max"):
            return Column(name, t.scalar, True, t.is_array)
        if f in ("bool_and", "bool_or"):
            return Column(name, ScalarType.BOOL, True)
        if f == "string_agg":
            return Column(name, ScalarType.TEXT, True)
        if f in ("jsonb_agg", "jsonb_object_agg"):
            return Column(name, ScalarType.JSONB, True)
        if f == "array_agg":
            return Column(name, t.scalar, True, True)
        raise errors.UndefinedFunction(f"unknown aggregate {f}")


@dataclass(frozen=True)
class Constant:
    rows: tuple[tuple[Row, int], ...]
    columns: Schema

    @property
    def schema(self) -> Schema:
        return self.columns


@dataclass(frozen=True)
class Get:
    """A named input: a catalog object (global id) or a Let binding."""

    id: str
    columns: Schema

    @property
    def schema(self) -> Schema:
        return self.columns


@dataclass(frozen=True)
class Let:
    id: str
    value: RelationExpr
    body: RelationExpr

    @property
    def schema(self) -> Schema:
        return self.body.schema


@dataclass(frozen=True)
class Map:
    """Append one column per scalar; each scalar may refer to the columns before it."""

    input: RelationExpr
    scalars: tuple[ScalarExpr, ...]
    names: tuple[str, ...] = ()

    @cached_property
    def schema(self) -> Schema:
        cols = list(self.input.schema)
        for i, s in enumerate(self.scalars):
            name = self.names[i] if i < len(self.names) else "?column?"
            cols.append(scalar_type(s, cols).column(name))
        return tuple(cols)


@dataclass(frozen=True)
class Filter:
    """Keep rows where every predicate is true (NULL and false drop the row)."""

    input: RelationExpr
    predicates: tuple[ScalarExpr, ...]

    @property
    def schema(self) -> Schema:
        return self.input.schema


@dataclass(frozen=True)
class Project:
    input: RelationExpr
    outputs: tuple[int, ...]

    @cached_property
    def schema(self) -> Schema:
        s = self.input.schema
        return tuple(s[i] for i in self.outputs)


@dataclass(frozen=True)
class FlatMap:
    """Append the rows of table function ``func`` of each input row (the registry is
    :mod:`pymz.expr.tablefuncs`; ``columns`` may end with a WITH ORDINALITY column)."""

    input: RelationExpr
    func: str
    args: tuple[ScalarExpr, ...]
    columns: Schema

    @cached_property
    def schema(self) -> Schema:
        return (*self.input.schema, *self.columns)


@dataclass(frozen=True)
class Join:
    """Cross product of ``inputs`` restricted to rows where each equivalence class agrees."""

    inputs: tuple[RelationExpr, ...]
    equivalences: tuple[tuple[tuple[int, int], ...], ...] = ()

    @cached_property
    def schema(self) -> Schema:
        return tuple(c for i in self.inputs for c in i.schema)

    def offsets(self) -> list[int]:
        out, n = [], 0
        for i in self.inputs:
            out.append(n)
            n += len(i.schema)
        return out


@dataclass(frozen=True)
class Reduce:
    """Group by ``group_key`` columns; output is the key columns, then one per aggregate.
    With no rows there are no groups (also for an empty key): SQL's one-row global aggregate
    is built by the planner."""

    input: RelationExpr
    group_key: tuple[int, ...]
    aggregates: tuple[Aggregate, ...] = ()

    @cached_property
    def schema(self) -> Schema:
        s = self.input.schema
        keys = [s[i] for i in self.group_key]
        aggs = [a.column(s, a.func) for a in self.aggregates]
        return (*keys, *aggs)


@dataclass(frozen=True)
class TopK:
    """Per group, the rows ranked ``offset`` .. ``offset + limit`` by ``order_by`` (ties
    broken by the whole row, so the result is deterministic)."""

    input: RelationExpr
    group_key: tuple[int, ...]
    order_by: tuple[ColumnOrder, ...]
    limit: int | None = None
    offset: int = 0

    @property
    def schema(self) -> Schema:
        return self.input.schema


WINDOW_RANKING = ("row_number", "rank", "dense_rank")
WINDOW_VALUE = ("lag", "lead", "first_value", "last_value")


@dataclass(frozen=True)
class WindowCall:
    """One window function. ``func`` is a ranking function (no arguments), a value function
    over ``value`` (lag/lead also take ``offset`` and ``default``, evaluated at the current
    row), or ``"aggregate"``: ``agg`` (count/sum/min/max) over the default frame — the
    partition's rows up to the current row's last peer when ordered, else all of them."""

    func: str
    name: str = "?column?"
    value: ScalarExpr | None = None
    offset: int = 1
    default: ScalarExpr | None = None
    agg: Aggregate | None = None

    def column(self, input_schema: Schema) -> Column:
        if self.func in WINDOW_RANKING:
            return Column(self.name, ScalarType.INT8, False)
        if self.agg is not None:
            return self.agg.column(input_schema, self.name)
        assert self.value is not None
        t = scalar_type(self.value, input_schema)
        return Column(self.name, t.scalar, True, t.is_array)


@dataclass(frozen=True)
class Window:
    """Window functions: the input rows, each extended by one column per call, computed over
    its partition (``partition`` columns) in ``order_by`` order; peers are rows equal on
    every order column. Ties are broken by the whole row, so row_number and friends are
    deterministic."""

    input: RelationExpr
    partition: tuple[int, ...]
    order_by: tuple[ColumnOrder, ...]
    calls: tuple[WindowCall, ...]

    @cached_property
    def schema(self) -> Schema:
        s = self.input.schema
        return (*s, *(c.column(s) for c in self.calls))


@dataclass(frozen=True)
class Negate:
    input: RelationExpr

    @property
    def schema(self) -> Schema:
        return self.input.schema


@dataclass(frozen=True)
class Threshold:
    """Keep rows with positive multiplicity (drops the negative ones)."""

    input: RelationExpr

    @property
    def schema(self) -> Schema:
        return self.input.schema


@dataclass(frozen=True)
class Union:
    inputs: tuple[RelationExpr, ...]

    @cached_property
    def schema(self) -> Schema:
        first = self.inputs[0].schema
        return tuple(
            Column(c.name, c.type, any(i.schema[k].nullable for i in self.inputs), c.is_array)
            for k, c in enumerate(first)
        )


RelationExpr = (Constant | Get | Let | Map | Filter | Project | FlatMap | Join | Reduce | TopK
                | Window | Negate | Threshold | Union)


def distinct(r: RelationExpr) -> Reduce:
    """DISTINCT: a Reduce on all columns with no aggregates."""
    return Reduce(r, tuple(range(len(r.schema))))


def unit() -> Constant:
    """The relation with one empty row (the FROM of a SELECT without FROM)."""
    return Constant((((), 1),), ())


def empty(schema: Schema) -> Constant:
    return Constant((), schema)


def children(r: RelationExpr) -> tuple[RelationExpr, ...]:
    if isinstance(r, Constant | Get):
        return ()
    if isinstance(r, Let):
        return (r.value, r.body)
    if isinstance(r, Join | Union):
        return r.inputs
    return (r.input,)


@dataclass(frozen=True)
class RowSetFinishing:
    """What happens to a query's result outside the dataflow: sort, offset, limit, then
    keep ``project`` columns (ORDER BY may use columns that are not output)."""

    order_by: tuple[ColumnOrder, ...]
    limit: int | None
    offset: int
    project: tuple[int, ...]


@dataclass(frozen=True)
class PlannedQuery:
    expr: RelationExpr
    finishing: RowSetFinishing
    names: tuple[str, ...]

    @property
    def columns(self) -> Schema:
        s = self.expr.schema
        return tuple(
            Column(n, s[i].type, s[i].nullable, s[i].is_array)
            for n, i in zip(self.names, self.finishing.project, strict=True)
        )


def rebuild(e: RelationExpr, f: Callable[[RelationExpr], RelationExpr]) -> RelationExpr:
    """``e`` with ``f`` applied to each direct input."""
    if isinstance(e, Constant | Get):
        return e
    if isinstance(e, Let):
        return Let(e.id, f(e.value), f(e.body))
    if isinstance(e, Join):
        return Join(tuple(f(i) for i in e.inputs), e.equivalences)
    if isinstance(e, Union):
        return Union(tuple(f(i) for i in e.inputs))
    if isinstance(e, Map):
        return Map(f(e.input), e.scalars, e.names)
    if isinstance(e, Filter):
        return Filter(f(e.input), e.predicates)
    if isinstance(e, Project):
        return Project(f(e.input), e.outputs)
    if isinstance(e, FlatMap):
        return FlatMap(f(e.input), e.func, e.args, e.columns)
    if isinstance(e, Reduce):
        return Reduce(f(e.input), e.group_key, e.aggregates)
    if isinstance(e, TopK):
        return TopK(f(e.input), e.group_key, e.order_by, e.limit, e.offset)
    if isinstance(e, Window):
        return Window(f(e.input), e.partition, e.order_by, e.calls)
    if isinstance(e, Negate):
        return Negate(f(e.input))
    assert isinstance(e, Threshold)
    return Threshold(f(e.input))
