"""Decorrelation of subqueries in expressions (scalar, EXISTS, IN/ANY/ALL).

A subquery is planned once in probing mode to learn which outer columns it uses; then ``D``
(the distinct values of those columns in the outer relation) becomes the base of the
subquery, whose result therefore carries D's columns as a prefix. That result (reduced to
at most one row per D value) is left-joined back onto the outer relation on those columns;
the expression reads the joined column.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

from sqlglot import exp

from pymz import errors
from pymz.expr import relation as r
from pymz.expr.plan_scalar import ScalarPlanner, find_aggs
from pymz.expr.plan_scope import Block, Item
from pymz.expr.plan_types import coerce, comparable
from pymz.expr.scalar import FALSE, TRUE, Call, ColType, ColumnRef, If, Literal, ScalarExpr
from pymz.repr import ScalarType

T = ScalarType
Wrap = Callable[[r.RelationExpr], r.RelationExpr]


@dataclass
class Outer:
    base: r.RelationExpr
    items: list[Item]
    parent: Block | None = None
    collected: set[int] | None = None


@dataclass
class QueryPlan:
    """A planned query: ``rel`` has the outer prefix (``k`` columns), then whatever it needs;
    ``out`` are the output columns. ORDER BY/LIMIT are kept aside for the caller."""

    rel: r.RelationExpr
    k: int
    out: list[int]
    names: list[str]
    order: list[r.ColumnOrder] = field(default_factory=list)
    limit: int | None = None
    offset: int = 0

    def lowered(self) -> r.RelationExpr:
        """Prefix + output columns; LIMIT/OFFSET become a TopK per outer binding."""
        rel = self.rel
        if self.limit is not None or self.offset:
            rel = r.TopK(rel, tuple(range(self.k)), tuple(self.order), self.limit, self.offset)
        cols = (*range(self.k), *self.out)
        return rel if cols == tuple(range(len(rel.schema))) else r.Project(rel, cols)


def int_clause(node: exp.Expr | None, what: str) -> int | None:
    if node is None:
        return None
    e = node.args.get("expression") if isinstance(node, exp.Limit | exp.Offset) else node
    if e is None or (isinstance(e, exp.Var) and e.name.upper() == "ALL") or isinstance(
            e, exp.Null):
        return None
    if isinstance(e, exp.Literal) and not e.is_string and str(e.this).isdigit():
        return int(e.this)
    raise errors.FeatureNotSupported(f"{what} must be a non-negative integer constant")


def nulls(schema: r.Schema) -> tuple[ScalarExpr, ...]:
    return tuple(Literal(None, c.type, c.is_array) for c in schema)



class SubqueryPlanner(ScalarPlanner):
    """Mixin over :class:`ScalarPlanner`; the query planner provides ``query``/``bind``."""

    def query(self, q: exp.Expr, outer: Outer) -> QueryPlan:
        raise NotImplementedError

    def bind(self, rel: r.RelationExpr) -> tuple[r.RelationExpr, Wrap]:
        raise NotImplementedError

    # --- subqueries in expressions --------------------------------------------------------

    def plan_subquery(self, q: exp.Expr, b: Block, extra: Sequence[int] = ()
                      ) -> tuple[r.RelationExpr, list[int]]:
        rel, cols, _ = self.plan_subquery_named(q, b, extra)
        return rel, cols

    def plan_subquery_named(self, q: exp.Expr, b: Block, extra: Sequence[int] = ()
                            ) -> tuple[r.RelationExpr, list[int], list[str]]:
        """Plan ``q`` as a subquery of ``b``: its result has the outer columns it uses
        (``cols`` of b, plus ``extra``) as a prefix."""
        probe = Outer(r.unit(), [], parent=b, collected=set())
        first = self.query(q, probe)
        cols = sorted((probe.collected or set()) | set(extra))
        if not cols:
            return first.lowered(), [], list(first.names)
        d = r.distinct(r.Project(b.rel, tuple(cols)))
        items = [replace(b.items[c], hidden=False) if c in extra else b.items[c] for c in cols]
        qp = self.query(q, Outer(d, items, parent=b, collected=set()))
        return qp.lowered(), cols, list(qp.names)

    def _attach(self, b: Block, s: r.RelationExpr, cols: list[int]) -> int:
        """Left-join ``s`` (at most one row per key) onto ``b`` on ``cols`` = s's prefix;
        returns the position of s's first column in ``b``."""
        a = b.width
        eqs = tuple(((0, c), (1, i)) for i, c in enumerate(cols))
        outer, wrap_o = self.bind(b.rel)
        inner, wrap = self.bind(r.Join((outer, s), eqs))
        unmatched = r.Union((outer, r.Negate(r.Project(inner, tuple(range(a))))))
        b.add_hidden(wrap_o(wrap(r.Union((inner, r.Map(unmatched, nulls(s.schema)))))))
        return a

    def lateral(self, q: exp.Expr, b: Block, alias: str) -> None:
        """FROM ..., LATERAL (q): the decorrelated q joined onto the block on its prefix."""
        wrap_b = self._share_outer(b)
        s, cols, names = self.plan_subquery_named(q, b)
        a, k = b.width, len(cols)
        eqs = tuple(((0, c), (1, i)) for i, c in enumerate(cols))
        b.add_hidden(wrap_b(r.Join((b.rel, s), eqs)))
        schema = b.rel.schema
        for i, name in enumerate(names):
            b.items[a + k + i] = Item(alias, name, ColType.of(schema[a + k + i]))

    def _share_outer(self, b: Block) -> Wrap:
        """Bind the block's relation (used by the subquery's D and by the join back)."""
        rel, wrap = self.bind(b.rel)
        b.rel = rel
        return wrap

    def subquery_value(self, q: exp.Expr, b: Block) -> ScalarExpr:
        wrap_b = self._share_outer(b)
        s, cols = self.plan_subquery(q, b)
        s, wrap_s = self.bind(s)
        k = len(cols)
        if len(s.schema) != k + 1:
            raise errors.SqlSyntaxError("subquery must return only one column")
        if self._at_most_one_row(q):
            at = self._attach(b, wrap_s(s), cols)
            b.rel = wrap_b(b.rel)
            return ColumnRef(at + k)
        counts = r.Reduce(s, tuple(range(k)), (r.Aggregate("count", TRUE),))
        bad = r.Filter(counts, (Call("gt", (ColumnRef(k), Literal(1, T.INT8)), T.BOOL),))
        vt = s.schema[k]
        err = Call("raise_error", (
            Literal("more than one row returned by a subquery used as an expression", T.TEXT),
            Literal("21000", T.TEXT)), vt.type, vt.is_array)
        guard = r.Project(r.Map(bad, (err,)), (*range(k), k + 1))
        at = self._attach(b, wrap_s(r.Union((s, guard))), cols)
        b.rel = wrap_b(b.rel)
        return ColumnRef(at + k)

    @staticmethod
    def _at_most_one_row(q: exp.Expr) -> bool:
        """Syntactically at most one row per outer binding: an aggregate without GROUP BY
        (or HAVING), or LIMIT 0/1. Such subqueries need no cardinality guard."""
        if not isinstance(q, exp.Select):
            return False
        limit = q.args.get("limit")
        if limit is not None:
            try:
                n = int_clause(limit, "LIMIT")
            except errors.PymzError:
                n = None
            if n is not None and n <= 1:
                return True
        return (q.args.get("group") is None and q.args.get("having") is None
                and any(find_aggs(e) for e in q.expressions)
                and not any(isinstance(n, exp.Window) for n in q.walk()))

    def subquery_exists(self, q: exp.Expr, b: Block) -> ScalarExpr:
        wrap_b = self._share_outer(b)
        s, cols = self.plan_subquery(q, b)
        k = len(cols)
        found = r.Map(r.distinct(r.Project(s, tuple(range(k)))), (TRUE,))
        at = self._attach(b, found, cols)
        b.rel = wrap_b(b.rel)
        return Call("is_true", (ColumnRef(at + k),), T.BOOL)

    def subquery_any(self, lhs: exp.Expr, op: str, q: exp.Expr, b: Block,
                     all_: bool) -> ScalarExpr:
        x, _ = self.typed(lhs, b)
        if isinstance(x, ColumnRef):
            xi = x.index
        else:
            b.add_hidden(r.Map(b.rel, (x,)))
            xi = b.width - 1
        if op == "eq" and not all_:
            return self._in_equi(q, b, xi)
        if op == "neq" and all_:
            return Call("not", (self._in_equi(q, b, xi),), T.BOOL)
        wrap_b = self._share_outer(b)
        s, cols = self.plan_subquery(q, b, [xi])
        k = len(cols)
        if len(s.schema) != k + 1:
            raise errors.SqlSyntaxError("subquery has too many columns")
        cmp = self.compare_planned(op, op, ColumnRef(cols.index(xi)), ColumnRef(k), s.schema)

        def lit(n: int) -> Literal:
            return Literal(n, T.INT4)

        # One code per row: 2 = comparison true, 1 = NULL, 0 = false; ANY takes the max,
        # ALL the min, which gives SQL's three-valued quantified comparison.
        if all_:
            code: ScalarExpr = If(Call("is_false", (cmp,), T.BOOL), lit(0),
                                  If(Call("is_null", (cmp,), T.BOOL), lit(1), lit(2)))
        else:
            code = If(Call("is_true", (cmp,), T.BOOL), lit(2),
                      If(Call("is_null", (cmp,), T.BOOL), lit(1), lit(0)))
        red = r.Reduce(r.Map(s, (code,)), tuple(range(k)),
                       (r.Aggregate("min" if all_ else "max", ColumnRef(k + 1)),))
        at = self._attach(b, red, cols)
        b.rel = wrap_b(b.rel)
        m = ColumnRef(at + k)
        null_bool = Literal(None, T.BOOL)
        tail = If(Call("eq", (m, lit(2)), T.BOOL), TRUE,
                  If(Call("eq", (m, lit(1)), T.BOOL), null_bool, FALSE))
        return If(Call("is_null", (m,), T.BOOL), TRUE, tail) if all_ else tail

    def _in_equi(self, q: exp.Expr, b: Block, xi: int) -> ScalarExpr:
        """``x IN (q)`` with equi-joins only: the subquery is planned without ``x`` in its
        prefix, then joined with the distinct (correlation keys, x) on ``x = y``. Per key,
        a Reduce counts the subquery's rows and non-NULL values, which decides NULL vs
        false when nothing matched."""
        wrap_b = self._share_outer(b)
        s, cols = self.plan_subquery(q, b)
        k = len(cols)
        if len(s.schema) != k + 1:
            raise errors.SqlSyntaxError("subquery has too many columns")
        schema = b.rel.schema
        xt, yt = ColType.of(schema[xi]), ColType.of(s.schema[k])
        t = comparable(xt.scalar, yt.scalar, "=")
        xs: r.RelationExpr = r.distinct(r.Project(b.rel, (*cols, xi)))
        xs = _cast_last(xs, k, xt, t)
        s, wrap_s = self.bind(_cast_last(s, k, yt, t))
        not_null = Call("not", (Call("is_null", (ColumnRef(k),), T.BOOL),), T.BOOL)
        eqs = tuple(((0, i), (1, i)) for i in range(k + 1))
        hits = r.distinct(r.Project(r.Join((r.Filter(xs, (not_null,)), s), eqs),
                                    tuple(range(k + 1))))
        matched = r.Map(hits, (TRUE,))
        info = r.Reduce(s, tuple(range(k)), (r.Aggregate("count", TRUE),
                                             r.Aggregate("count", ColumnRef(k))))
        at_info = self._attach(b, info, cols)
        at_hit = self._attach(b, matched, [*cols, xi])
        b.rel = wrap_b(wrap_s(b.rel))
        n, nn = ColumnRef(at_info + k), ColumnRef(at_info + k + 1)
        hit = ColumnRef(at_hit + k + 1)
        has_null = Call("or", (Call("is_null", (ColumnRef(xi),), T.BOOL),
                               Call("gt", (n, nn), T.BOOL)), T.BOOL)
        return If(Call("is_true", (hit,), T.BOOL), TRUE,
                  If(Call("is_null", (n,), T.BOOL), FALSE,
                     If(has_null, Literal(None, T.BOOL), FALSE)))


def _cast_last(rel: r.RelationExpr, k: int, src: ColType, dst: ScalarType) -> r.RelationExpr:
    """Cast column ``k`` (the last) of ``rel`` to ``dst``."""
    if src.scalar == dst:
        return rel
    return r.Project(r.Map(rel, (coerce(ColumnRef(k), src, dst),)), (*range(k), k + 1))
