"""Name scopes of the planner: which column of the relation under construction a SQL name
means, including names of enclosing queries (correlation)."""

from __future__ import annotations

from dataclasses import dataclass, field

from pymz import errors
from pymz.expr import relation as r
from pymz.expr.scalar import ColType, ColumnRef, Literal, ScalarExpr


@dataclass(frozen=True)
class Item:
    """One column's name. ``outer`` columns come from an enclosing query (found only when no
    inner column matches); ``hidden`` ones are helpers not reachable by name or ``*``;
    ``unqualified_hidden`` ones (right side of USING) are reachable only as ``t.col``."""

    table: str | None
    name: str
    type: ColType
    outer: bool = False
    hidden: bool = False
    unqualified_hidden: bool = False


@dataclass(frozen=True)
class AggSlot:
    agg: r.Aggregate
    index: int  # column of the Reduce output


@dataclass
class GroupCtx:
    """After a Reduce: how pre-aggregation expressions map to its output columns."""

    pre_items: list[Item]
    pre_schema: r.Schema
    keys: list[ScalarExpr]  # pre-aggregation expressions; key i is output column i
    aggs: list[AggSlot] = field(default_factory=list)

    def agg_index(self, agg: r.Aggregate) -> int:
        for s in self.aggs:
            if s.agg == agg:
                return s.index
        raise errors.InternalError("aggregate was not collected")


@dataclass
class Block:
    """The relation under construction, its scope, and (while probing a subquery for the
    outer columns it uses) the enclosing block."""

    rel: r.RelationExpr
    items: list[Item]
    parent: Block | None = None
    collected: set[int] | None = None
    group: GroupCtx | None = None
    # How many names resolved to enclosing-query columns (to spot outer-only aggregates).
    outer_refs: int = 0
    # Window function calls already computed into columns (by their SQL text).
    windows: dict[str, ScalarExpr] | None = None

    @property
    def width(self) -> int:
        return len(self.items)

    def _matches(self, table: str | None, name: str, outer: bool) -> list[int]:
        return [
            i for i, it in enumerate(self.items)
            if it.outer == outer and not it.hidden and it.name == name
            and ((table is None and not it.unqualified_hidden) or it.table == table)
        ]

    def lookup(self, table: str | None, name: str) -> ScalarExpr | None:
        """The expression for a column name, or None if no scope has it."""
        for outer in (False, True):
            found = self._matches(table, name, outer)
            if len(found) > 1:
                shown = f"{table}.{name}" if table else name
                raise errors.PymzError(f'column reference "{shown}" is ambiguous',
                                       sqlstate="42702")
            if found:
                self.outer_refs += outer
                return ColumnRef(found[0])
        if self.parent is not None:
            res = self.parent.lookup(table, name)
            if res is not None:
                self.outer_refs += 1
            if isinstance(res, ColumnRef):
                assert self.collected is not None
                self.collected.add(res.index)
                # Probing only: a typed NULL stands in for the outer value.
                return Literal(None, self.parent.items[res.index].type.scalar,
                               self.parent.items[res.index].type.is_array)
            return res
        return None

    def add_hidden(self, rel: r.RelationExpr) -> None:
        """Replace the relation by one with extra trailing helper columns."""
        schema = rel.schema
        for c in schema[len(self.items):]:
            self.items.append(Item(None, c.name, ColType.of(c), hidden=True))
        self.rel = rel

    def truncate(self, width: int) -> None:
        if len(self.items) > width:
            self.rel = r.Project(self.rel, tuple(range(width)))
            del self.items[width:]
