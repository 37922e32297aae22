"""SQL (PostgreSQL dialect) → relational IR.

Queries are planned block by block over a :class:`Block` (relation under construction plus
names). Every block starts from a base relation: the one-row unit at top level, or — for a
correlated subquery — ``D``, the distinct values of the outer columns it uses. FROM items
are cross-joined onto the base, so the block's result carries D's columns as a prefix and
grouping, DISTINCT, TOP-K and set operations all happen per outer binding. The subquery's
result is then left-joined back onto the outer relation on D's columns (Materialize's
decorrelation). Which outer columns a subquery uses is found by planning it once in probing
mode (outer names resolve to typed NULL placeholders and are collected), then for real.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import replace

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError, TokenError

from pymz import errors
from pymz.expr import relation as r
from pymz.expr import tablefuncs
from pymz.expr.dialect import Pymz
from pymz.expr.library.arrays_plan import unify
from pymz.expr.plan_scalar import find_aggs, find_windows, ident, typeof
from pymz.expr.plan_scope import AggSlot, Block, GroupCtx, Item
from pymz.expr.plan_subquery import (
    Outer,
    QueryPlan,
    SubqueryPlanner,
    Wrap,
    int_clause,
    nulls,
)
from pymz.expr.plan_types import coerce, common_type
from pymz.expr.plan_window import WindowPlanner
from pymz.expr.scalar import (
    Call,
    ColType,
    ColumnRef,
    Literal,
    ScalarExpr,
    scalar_type,
)
from pymz.expr.sigs import NODES
from pymz.repr import Column, ScalarType

T = ScalarType
# Resolves a (possibly schema-qualified) relation name to (global id, columns), or None.
Catalog = Callable[[tuple[str, ...]], tuple[str, Sequence[Column]] | None]


def parse(sql: str) -> exp.Expr:
    try:
        stmts = [s for s in sqlglot.parse(sql, read=Pymz) if s is not None]
    except (ParseError, TokenError) as e:
        raise errors.SqlSyntaxError(f"syntax error: {str(e).splitlines()[0]}") from None
    if len(stmts) != 1:
        raise errors.SqlSyntaxError("expected exactly one statement")
    return stmts[0]


def plan(sql: str, catalog: Catalog, *, params: Sequence[Literal] = (),
         now: dt.datetime | None = None) -> r.PlannedQuery:
    """Plan one SELECT/VALUES/set-operation statement.

    ``params`` are the values of ``$1``, ``$2``, ... (typed, or ``unknown`` text that takes
    its type from the context, like a quoted literal). ``now`` (an aware datetime) plans
    ``now()``/``current_timestamp``/``current_date``/``localtimestamp`` as constants: for
    one-shot queries only; without it they are rejected, as a maintained plan cannot use
    them."""
    return Planner(catalog, params=params, now=now).plan_statement(parse(sql))


def output_name(node: exp.Expr) -> str:
    """PostgreSQL's name for a select-list entry (approximately FigureColname)."""
    if isinstance(node, exp.Alias):
        return node.alias
    if isinstance(node, exp.Column):
        return ident(node.this)
    if isinstance(node, exp.Paren | exp.Bracket):
        return output_name(node.this)  # a[1] is named after a, as in PostgreSQL
    if isinstance(node, exp.Cast):
        inner = output_name(node.this)
        if inner != "?column?" and not isinstance(node.this, exp.Literal):
            return inner
        return _cast_name(node.to)
    if isinstance(node, exp.Case):
        return "case"
    if isinstance(node, exp.Exists):
        return "exists"
    if isinstance(node, exp.Subquery) and isinstance(node.this, exp.Select):
        exprs = node.this.expressions
        return output_name(exprs[0]) if len(exprs) == 1 else "?column?"
    if isinstance(node, exp.Anonymous):
        return str(node.name).lower()
    names: dict[type[exp.Expr], str] = {exp.GroupConcat: "string_agg", exp.LogicalAnd: "bool_and",
             exp.LogicalOr: "bool_or", exp.ArrayAgg: "array_agg", exp.Substring: "substr",
             exp.TimestampTrunc: "date_trunc", exp.DateTrunc: "date_trunc",
             exp.JSONBObjectAgg: "jsonb_object_agg", exp.Stddev: "stddev",
             exp.StddevSamp: "stddev_samp", exp.StddevPop: "stddev_pop",
             exp.Variance: "variance", exp.VariancePop: "var_pop"}
    if type(node) in names:
        return names[type(node)]
    mapper = NODES.get(type(node))
    if mapper is not None:
        return mapper(node)[0]
    if isinstance(node, exp.Func) and not isinstance(node, exp.Binary | exp.Unary):
        return node.sql_name().lower()
    return "?column?"


# PostgreSQL names a cast of a nameless expression after the type's internal name.
_CAST_NAMES: dict[exp.DType, str] = {
    exp.DataType.Type.INT: "int4", exp.DataType.Type.BIGINT: "int8",
    exp.DataType.Type.SMALLINT: "int2", exp.DataType.Type.DOUBLE: "float8",
    exp.DataType.Type.FLOAT: "float4", exp.DataType.Type.DECIMAL: "numeric",
    exp.DataType.Type.BOOLEAN: "bool", exp.DataType.Type.CHAR: "bpchar",
    exp.DataType.Type.VARCHAR: "varchar", exp.DataType.Type.TIMESTAMPTZ: "timestamptz",
}


def _cast_name(to: exp.Expr) -> str:
    if isinstance(to, exp.DataType):
        if to.this == exp.DataType.Type.ARRAY and to.expressions:
            return _cast_name(to.expressions[0])
        if to.this in _CAST_NAMES:
            return _CAST_NAMES[to.this]
    return to.sql("postgres").lower().split("(")[0]


def _is_unit(rel: r.RelationExpr) -> bool:
    return rel == r.unit()


class Planner(SubqueryPlanner, WindowPlanner):
    def __init__(self, catalog: Catalog, *, params: Sequence[Literal] = (),
                 now: dt.datetime | None = None) -> None:
        self.catalog = catalog
        self.params = tuple(params)
        self.now = now
        self.ctes: list[dict[str, tuple[r.RelationExpr, list[str]]]] = []
        self._lets = 0
        self._global_ids: set[str] = set()

    def bind(self, rel: r.RelationExpr) -> tuple[r.RelationExpr, Wrap]:
        """Share ``rel`` between several consumers: returns a Get of a fresh local id and
        the function that wraps the consuming expression in the Let binding it."""
        if isinstance(rel, r.Get) or (isinstance(rel, r.Constant) and len(rel.rows) <= 1):
            return rel, lambda body: body
        while True:
            self._lets += 1
            lid = f"l{self._lets}"
            if lid not in self._global_ids:
                break
        return r.Get(lid, rel.schema), lambda body: r.Let(lid, rel, body)

    def plan_statement(self, tree: exp.Expr) -> r.PlannedQuery:
        if not isinstance(tree, exp.Query | exp.Values):
            raise errors.FeatureNotSupported(f"cannot plan {tree.key.upper()} statements")
        qp = self.query(tree, Outer(r.unit(), []))
        # Keep only what the finishing reads, so helper columns never reach a dataflow.
        needed = list(dict.fromkeys([*qp.out, *(o.column for o in qp.order)]))
        rel = qp.rel
        if needed != list(range(len(rel.schema))):
            rel = r.Project(rel, tuple(needed))
        pos = {c: i for i, c in enumerate(needed)}
        order = tuple(replace(o, column=pos[o.column]) for o in qp.order)
        fin = r.RowSetFinishing(order, qp.limit, qp.offset, tuple(pos[c] for c in qp.out))
        return r.PlannedQuery(rel, fin, tuple(qp.names))

    # --- queries --------------------------------------------------------------------------

    def query(self, q: exp.Expr, outer: Outer) -> QueryPlan:
        with_ = q.args.get("with_")
        scope: dict[str, tuple[r.RelationExpr, list[str]]] = {}
        if with_ is not None:
            if with_.args.get("recursive"):
                raise errors.FeatureNotSupported("WITH RECURSIVE is not supported")
            self.ctes.append(scope)
            for cte in with_.expressions:
                sub = self.query(cte.this, Outer(r.unit(), []))
                names = list(sub.names)
                alias = cte.args.get("alias")
                for i, c in enumerate(alias.columns if alias is not None else []):
                    names[i] = ident(c)
                scope[ident(alias.this)] = (sub.lowered(), names)
        try:
            if isinstance(q, exp.Select):
                return self.select(q, outer)
            if isinstance(q, exp.SetOperation):
                return self.set_operation(q, outer)
            if isinstance(q, exp.Values):
                return self.values(q, outer)
            if isinstance(q, exp.Subquery):
                inner = self.query(q.this, outer)
                return self._modifiers(q, inner)
            raise errors.FeatureNotSupported(f"cannot plan {q.key.upper()}")
        finally:
            if with_ is not None:
                self.ctes.pop()

    def _modifiers(self, q: exp.Expr, qp: QueryPlan) -> QueryPlan:
        """ORDER BY/LIMIT/OFFSET on a set operation or parenthesized query (by output name
        or position only)."""
        order = q.args.get("order")
        limit = int_clause(q.args.get("limit"), "LIMIT")
        offset = int_clause(q.args.get("offset"), "OFFSET")
        if order is None and limit is None and offset is None:
            return qp
        if qp.limit is not None or qp.offset:
            qp = QueryPlan(qp.lowered(), qp.k, list(range(qp.k, qp.k + len(qp.out))),
                           qp.names)
        keys = [self._output_order(o, qp.out, qp.names) for o in
                (order.expressions if order is not None else [])]
        if any(k is None for k in keys):
            raise errors.FeatureNotSupported(
                "ORDER BY on a set operation must name an output column")
        return QueryPlan(qp.rel, qp.k, qp.out, qp.names, [k for k in keys if k is not None],
                         limit, offset or 0)

    @staticmethod
    def _ordering(o: exp.Expr, col: int) -> r.ColumnOrder:
        desc = bool(o.args.get("desc"))
        nf = o.args.get("nulls_first")
        return r.ColumnOrder(col, desc, None if nf is None else not nf)

    def _output_order(self, o: exp.Expr, out: list[int],
                      names: list[str]) -> r.ColumnOrder | None:
        node = o.this if isinstance(o, exp.Ordered) else o
        if isinstance(node, exp.Literal) and not node.is_string:
            n = int(str(node.this))
            if not 1 <= n <= len(out):
                raise errors.PymzError(f"ORDER BY position {n} is not in select list",
                                       sqlstate="42P10")
            return self._ordering(o, out[n - 1])
        if isinstance(node, exp.Column) and not node.args.get("table"):
            hits = [i for i, nm in enumerate(names) if nm == ident(node.this)]
            if len(hits) > 1:
                raise errors.PymzError(f'ORDER BY "{ident(node.this)}" is ambiguous',
                                       sqlstate="42702")
            if hits:
                return self._ordering(o, out[hits[0]])
        return None

    def select(self, s: exp.Select, outer: Outer) -> QueryPlan:
        k = len(outer.items)
        b = self.from_clause(s, outer)
        where = s.args.get("where")
        if where is not None:
            w0 = b.width
            pred = self.predicate(where.this, b, "WHERE")
            b.rel = r.Filter(b.rel, (pred,))
            b.truncate(w0)
        projections = list(s.expressions)
        order = s.args.get("order")
        having = s.args.get("having")
        group = s.args.get("group")
        agg_nodes = [a for n in projections for a in find_aggs(n)]
        if having is not None:
            agg_nodes += find_aggs(having.this)
        if order is not None:
            agg_nodes += [a for o in order.expressions for a in find_aggs(o)]
        if group is not None or agg_nodes:
            b = self._group(s, b, outer, k, agg_nodes)
        if having is not None:
            w0 = b.width
            pred = self.predicate(having.this, b, "HAVING")
            b.rel = r.Filter(b.rel, (pred,))
            b.truncate(w0)
        windows = [w for n in projections for w in find_windows(n)]
        if order is not None:
            windows += [w for o in order.expressions for w in find_windows(o)]
        if windows:
            self.plan_windows(windows, b)

        exprs: list[ScalarExpr] = []
        names: list[str] = []
        for node in projections:
            if isinstance(node, exp.Star) or (
                    isinstance(node, exp.Column) and isinstance(node.this, exp.Star)):
                table = ident(node.args.get("table")) or None if isinstance(
                    node, exp.Column) else None
                found = [i for i, it in enumerate(b.items)
                         if not it.hidden and not it.outer
                         and ((table is None and not it.unqualified_hidden) or it.table == table)]
                if table is not None and not found:
                    raise errors.UndefinedTable(f'missing FROM-clause entry for table "{table}"')
                exprs += [ColumnRef(i) for i in found]
                names += [b.items[i].name for i in found]
                continue
            inner = node.this if isinstance(node, exp.Alias) else node
            e, _ = self.typed(inner, b)
            exprs.append(e)
            names.append(output_name(node))
        base_w = b.width
        mapped = [e for e in exprs if not isinstance(e, ColumnRef)]
        out: list[int] = []
        j = base_w
        for e in exprs:
            if isinstance(e, ColumnRef):
                out.append(e.index)
            else:
                out.append(j)
                j += 1
        if mapped:
            b.add_hidden(r.Map(b.rel, tuple(mapped), tuple(
                n for e, n in zip(exprs, names, strict=True) if not isinstance(e, ColumnRef))))

        distinct = s.args.get("distinct")
        if distinct is not None:
            if distinct.args.get("on") is not None:
                return self._distinct_on(s, b, k, out, names)
            rel = r.distinct(r.Project(b.rel, (*range(k), *out)))
            sel = [n.this if isinstance(n, exp.Alias) else n for n in projections]
            keys: list[r.ColumnOrder] = []
            for o in (order.expressions if order is not None else []):
                ko = self._output_order(o, out, names)
                if ko is None and o.this in sel:
                    ko = self._ordering(o, out[sel.index(o.this)])
                if ko is None:
                    raise errors.PymzError("for SELECT DISTINCT, ORDER BY expressions must "
                                           "appear in select list", sqlstate="42P10")
                keys.append(replace(ko, column=k + out.index(ko.column)))
            outs = list(range(k, k + len(out)))
            return QueryPlan(rel, k, outs, names, keys, int_clause(s.args.get("limit"),
                             "LIMIT"), int_clause(s.args.get("offset"), "OFFSET") or 0)

        keys = self.order_keys(order.expressions if order is not None else [], b, out, names)
        return QueryPlan(b.rel, k, out, names, keys, int_clause(s.args.get("limit"), "LIMIT"),
                         int_clause(s.args.get("offset"), "OFFSET") or 0)

    def _distinct_on(self, s: exp.Select, b: Block, k: int, out: list[int],
                     names: list[str]) -> QueryPlan:
        """DISTINCT ON (e...): the first row per (outer binding, e...) in ORDER BY order,
        i.e. a TopK with limit 1; ORDER BY/LIMIT then apply to the result as usual."""
        order = s.args.get("order")
        keys = self.order_keys(order.expressions if order is not None else [], b, out, names)
        on_cols: list[int] = []
        for n in s.args["distinct"].args["on"].expressions:
            ko = self._output_order(n, out, names)
            if ko is None:
                e, _ = self.typed(n, b)
                if not isinstance(e, ColumnRef):
                    b.add_hidden(r.Map(b.rel, (e,)))
                    e = ColumnRef(b.width - 1)
                on_cols.append(e.index)
            else:
                on_cols.append(ko.column)
        rel = r.TopK(b.rel, (*range(k), *on_cols), tuple(keys), 1, 0)
        return QueryPlan(rel, k, out, names, keys, int_clause(s.args.get("limit"), "LIMIT"),
                         int_clause(s.args.get("offset"), "OFFSET") or 0)

    def order_keys(self, orders: list[exp.Expr], b: Block, out: list[int],
                    names: list[str]) -> list[r.ColumnOrder]:
        keys = []
        for o in orders:
            ko = self._output_order(o, out, names)
            if ko is None:
                e, _ = self.typed(o.this, b)
                if isinstance(e, ColumnRef):
                    ko = self._ordering(o, e.index)
                else:
                    b.add_hidden(r.Map(b.rel, (e,)))
                    ko = self._ordering(o, b.width - 1)
            keys.append(ko)
        return keys

    def _group(self, s: exp.Select, pre: Block, outer: Outer, k: int,
               agg_nodes: list[exp.Expr]) -> Block:
        group = s.args.get("group")
        group_nodes = list(group.expressions) if group is not None else []
        sel = [n.this if isinstance(n, exp.Alias) else n for n in s.expressions]
        aliases = {n.alias: n.this for n in s.expressions if isinstance(n, exp.Alias)}
        keys: list[ScalarExpr] = [ColumnRef(i) for i in range(k)]
        for g0 in group_nodes:
            g = g0
            if isinstance(g, exp.Literal) and not g.is_string:
                n = int(str(g.this))
                if not 1 <= n <= len(sel):
                    raise errors.PymzError(f"GROUP BY position {n} is not in select list",
                                           sqlstate="42P10")
                g = sel[n - 1]
            elif (isinstance(g, exp.Column) and not g.args.get("table")
                  and pre.lookup(None, ident(g.this)) is None and ident(g.this) in aliases):
                g = aliases[ident(g.this)]
            if find_aggs(g):
                raise errors.PymzError("aggregate functions are not allowed in GROUP BY",
                                       sqlstate="42803")
            w0 = pre.width
            e, _ = self.typed(g, pre)
            if pre.width != w0:
                raise errors.FeatureNotSupported("subqueries in GROUP BY are not supported")
            if e not in keys:
                keys.append(e)
        aggs: list[r.Aggregate] = []
        for node in agg_nodes:
            for a in self.aggregate_parts(node, pre)[1]:
                if a not in aggs:
                    aggs.append(a)
        extra = tuple(e for e in keys if not isinstance(e, ColumnRef))
        rel = r.Map(pre.rel, extra) if extra else pre.rel
        key_cols: list[int] = []
        j = pre.width
        for e in keys:
            if isinstance(e, ColumnRef):
                key_cols.append(e.index)
            else:
                key_cols.append(j)
                j += 1
        red: r.RelationExpr = r.Reduce(rel, tuple(key_cols), tuple(aggs))
        if group is None:
            red, wrap = self.bind(red)
            # SQL's aggregate without GROUP BY yields a row even for no input (per outer
            # binding): add defaults for the bindings the Reduce has no group for.
            missing = r.Union((outer.base, r.Negate(r.Project(red, tuple(range(k))))))
            agg_cols = red.schema[len(keys):]
            defaults = tuple(
                Literal(0, T.INT8) if a.func == "count" else Literal(None, c.type, c.is_array)
                for a, c in zip(aggs, agg_cols, strict=True))
            red = wrap(r.Union((red, r.Map(missing, defaults))))
        schema = red.schema
        items: list[Item] = []
        for i, e in enumerate(keys):
            if isinstance(e, ColumnRef):
                items.append(replace(pre.items[e.index], type=ColType.of(schema[i])))
            else:
                items.append(Item(None, "?column?", ColType.of(schema[i]), hidden=True))
        for i in range(len(aggs)):
            items.append(Item(None, aggs[i].func, ColType.of(schema[len(keys) + i]),
                              hidden=True))
        g = GroupCtx(pre.items, pre.rel.schema, keys,
                     [AggSlot(a, len(keys) + i) for i, a in enumerate(aggs)])
        return Block(red, items, pre.parent, pre.collected, g)

    # --- FROM -----------------------------------------------------------------------------

    def from_clause(self, s: exp.Select, outer: Outer) -> Block:
        b = Block(outer.base, [replace(it, outer=True) for it in outer.items], outer.parent,
                  outer.collected)
        from_ = s.args.get("from_")
        sources: list[exp.Expr] = [from_.this] if from_ is not None else []
        sources += list(s.args.get("joins") or [])
        for src in sources:
            left_width = b.width
            join = src if isinstance(src, exp.Join) else None
            item = join.this if join is not None else src
            side = (join.side or "").upper() if join is not None else ""
            if join is not None and (join.args.get("method") or "").upper() == "NATURAL":
                raise errors.FeatureNotSupported("NATURAL joins are not supported")
            if self._table_func(item, b, join):
                if side:
                    continue  # a LEFT JOIN: _table_func applied its condition
            elif isinstance(item, exp.Lateral):
                if side:
                    raise errors.FeatureNotSupported("outer joins with LATERAL")
                alias = item.args.get("alias")
                name = ident(alias.this) if alias is not None and alias.this else "subquery"
                q = item.this.this if isinstance(item.this, exp.Subquery) else item.this
                self.lateral(q, b, name)
                if alias is not None and alias.columns:
                    lw = b.width - len(alias.columns)
                    for i, c in enumerate(alias.columns):
                        b.items[lw + i] = replace(b.items[lw + i], name=ident(c))
            else:
                rel, items = self.from_item(item)
                if side in ("LEFT", "RIGHT", "FULL"):
                    assert join is not None
                    self._outer_join(b, rel, items, join, side)
                    continue
                if _is_unit(b.rel) and b.width == 0:
                    b.rel, b.items = rel, list(items)
                else:
                    b.rel = r.Join((b.rel, rel))
                    b.items += items
            if join is not None:
                self._join_condition(b, join, left_width)
        return b

    def _join_condition(self, b: Block, join: exp.Join, lw: int) -> None:
        on = join.args.get("on")
        using = [ident(u) for u in join.args.get("using") or []]
        if on is not None:
            w0 = b.width
            b.rel = r.Filter(b.rel, (self.predicate(on, b, "JOIN/ON"),))
            b.truncate(w0)
        preds: list[ScalarExpr] = []
        for u in using:
            li = self._using_col(b.items[:lw], u, "left")
            ri = lw + self._using_col(b.items[lw:], u, "right")
            preds.append(self.compare_planned("eq", "=", ColumnRef(li), ColumnRef(ri),
                                              b.rel.schema))
            b.items[ri] = replace(b.items[ri], unqualified_hidden=True)
        if preds:
            b.rel = r.Filter(b.rel, tuple(preds))

    def _outer_join(self, b: Block, rrel: r.RelationExpr, ritems: list[Item], join: exp.Join,
                    side: str) -> None:
        lrel, litems = b.rel, list(b.items)
        lrel, wrap_l = self.bind(lrel)
        rrel, wrap_r = self.bind(rrel)
        a, w = len(litems), len(ritems)
        jb = Block(r.Join((lrel, rrel)), litems + ritems, b.parent, b.collected)
        preds: list[ScalarExpr] = []
        on = join.args.get("on")
        if on is not None:
            preds.append(self.predicate(on, jb, "JOIN/ON"))
            if jb.width != a + w:
                raise errors.FeatureNotSupported("subqueries in outer join conditions")
        using = [ident(u) for u in join.args.get("using") or []]
        for u in using:
            li = self._using_col(litems, u, "left")
            ri = self._using_col(ritems, u, "right")
            preds.append(self.compare_planned("eq", "=", ColumnRef(li), ColumnRef(a + ri),
                                              jb.rel.schema))
        inner: r.RelationExpr = r.Join((lrel, rrel))
        if preds:
            inner = r.Filter(inner, tuple(preds))
        inner, wrap_i = self.bind(inner)
        parts: list[r.RelationExpr] = [inner]
        if side in ("LEFT", "FULL"):
            parts.append(r.Map(self._unmatched(lrel, inner, 0, a), nulls(rrel.schema)))
        if side in ("RIGHT", "FULL"):
            padded = r.Map(self._unmatched(rrel, inner, a, w), nulls(lrel.schema))
            parts.append(r.Project(padded, (*range(w, w + a), *range(w))))
        b.rel = wrap_l(wrap_r(wrap_i(r.Union(tuple(parts)))))
        schema = b.rel.schema
        items = [replace(it, type=ColType.of(schema[i])) for i, it in enumerate(litems + ritems)]
        for u in using:
            li, ri = self._using_col(litems, u, "left"), self._using_col(ritems, u, "right")
            if side == "FULL":
                items[li] = replace(items[li], unqualified_hidden=True)
                items[a + ri] = replace(items[a + ri], unqualified_hidden=True)
            else:
                hide = a + ri if side == "LEFT" else li
                items[hide] = replace(items[hide], unqualified_hidden=True)
        b.items = items
        if side == "FULL" and using:
            m = tuple(Call("coalesce", (ColumnRef(self._using_col(litems, u, "left")),
                                        ColumnRef(a + self._using_col(ritems, u, "right"))),
                           schema[self._using_col(litems, u, "left")].type) for u in using)
            b.rel = r.Map(b.rel, m, tuple(using))
            b.items += [Item(None, u, ColType.of(c)) for u, c in
                        zip(using, b.rel.schema[a + w:], strict=True)]

    @staticmethod
    def _using_col(items: list[Item], name: str, side: str) -> int:
        found = [i for i, it in enumerate(items) if it.name == name and not it.hidden
                 and not it.outer]
        if len(found) != 1:
            raise errors.UndefinedColumn(
                f'column "{name}" specified in USING clause does not exist in {side} table')
        return found[0]

    @staticmethod
    def _unmatched(side: r.RelationExpr, inner: r.RelationExpr, start: int,
                   width: int) -> r.RelationExpr:
        """Rows of ``side`` without a partner in ``inner`` (whose columns start..start+width
        are ``side``'s), with their multiplicities: side - semijoin(side, matched keys)."""
        keys = r.distinct(r.Project(inner, tuple(range(start, start + width))))
        eqs = tuple(((0, i), (1, i)) for i in range(width))
        matched = r.Project(r.Join((side, keys), eqs), tuple(range(width)))
        return r.Union((side, r.Negate(matched)))

    def from_item(self, item: exp.Expr) -> tuple[r.RelationExpr, list[Item]]:
        alias = item.args.get("alias")
        alias_name = ident(alias.this) if alias is not None and alias.this else None
        if isinstance(item, exp.Table) and isinstance(item.this, exp.Identifier):
            name = ident(item.this)
            db = ident(item.args.get("db")) if item.args.get("db") else None
            rel: r.RelationExpr | None = None
            names: list[str] = []
            if db is None:
                for scope in reversed(self.ctes):
                    if name in scope:
                        rel, names = scope[name][0], list(scope[name][1])
                        break
            if rel is None:
                found = self.catalog((db, name) if db else (name,))
                if found is None:
                    shown = f"{db}.{name}" if db else name
                    raise errors.UndefinedTable(f"unknown catalog item '{shown}'")
                rel = r.Get(found[0], tuple(found[1]))
                self._global_ids.add(found[0])
                names = [c.name for c in found[1]]
            table = alias_name or name
        elif isinstance(item, exp.Subquery):
            if item.args.get("lateral"):
                raise errors.FeatureNotSupported("LATERAL subqueries are not supported")
            qp = self.query(item, Outer(r.unit(), []))
            rel, names = qp.lowered(), list(qp.names)
            table = alias_name or "subquery"
        elif isinstance(item, exp.Values):
            qp = self.values(item, Outer(r.unit(), []))
            rel, names = qp.lowered(), list(qp.names)
            table = alias_name or "values"
        else:
            raise errors.FeatureNotSupported(f"FROM item not supported: {item.sql('postgres')}")
        if alias is not None:
            for i, c in enumerate(alias.columns):
                if i >= len(names):
                    raise errors.PymzError(f'table "{table}" has {len(names)} columns '
                                           f"available but more were specified",
                                           sqlstate="42P10")
                names[i] = ident(c)
        schema = rel.schema
        return rel, [Item(table, n, ColType.of(c)) for n, c in zip(names, schema, strict=True)]

    def _table_func(self, item: exp.Expr, b: Block, join: exp.Join | None = None) -> bool:
        """Plan a table function in FROM (the registry is :mod:`pymz.expr.tablefuncs`) as a
        FlatMap on the block: its arguments may refer to earlier FROM items. For a LEFT JOIN
        the join condition is applied here, and the block's rows without a match are kept,
        NULL-padded. False if ``item`` is not a table function."""
        call = tablefuncs.table_call(item)
        if call is None:
            return False
        side = (join.side or "").upper() if join is not None else ""
        if side in ("RIGHT", "FULL"):
            raise errors.FeatureNotSupported(f"{side} joins with table functions")
        planned = [self.scalar(n, b) for n in call.args]
        args, cols = tablefuncs.plan(call.name, [(e, typeof(e, b)) for e in planned])
        table, names = tablefuncs.output_names(call, cols, ident)
        if call.ordinality:
            cols = (*cols, Column("ordinality", T.INT8, nullable=False))
        on = join.args.get("on") if join is not None else None
        # LEFT JOIN ... ON true: the FlatMap itself adds the NULL row (no join needed).
        on_true = side == "LEFT" and isinstance(on, exp.Boolean) and bool(on.this)
        cols = tuple(Column(n, c.type, c.nullable or on_true, c.is_array)
                     for n, c in zip(names, cols, strict=True))
        left, lw = b.rel, b.width
        wrap: Wrap = lambda x: x  # noqa: E731
        if side == "LEFT" and not on_true:
            left, wrap = self.bind(left)
        func = tablefuncs.OUTER + call.name if on_true else call.name
        b.rel = r.FlatMap(left, func, args, cols)
        b.items += [Item(table, c.name, ColType.of(c)) for c in cols]
        if side == "LEFT" and not on_true:
            assert join is not None
            self._join_condition(b, join, lw)
            inner, wrap_inner = self.bind(b.rel)
            n = len(left.schema)
            missing = r.Map(self._unmatched(left, inner, 0, n), nulls(cols))
            b.rel = wrap(wrap_inner(r.Union((inner, missing))))
            schema = b.rel.schema
            b.items = [replace(it, type=ColType.of(schema[i])) for i, it in enumerate(b.items)]
        return True

    # --- set operations and VALUES --------------------------------------------------------

    def set_operation(self, q: exp.SetOperation, outer: Outer) -> QueryPlan:
        left = self.query(q.this, outer)
        right = self.query(q.expression, outer)
        k = left.k
        kind = {exp.Union: "UNION", exp.Except: "EXCEPT", exp.Intersect: "INTERSECT"}[type(q)]
        if len(left.out) != len(right.out):
            raise errors.SqlSyntaxError(f"each {kind} query must have the same number of "
                                        "columns")
        lrel, rrel = left.lowered(), right.lowered()
        ls, rs = lrel.schema, rrel.schema
        types = [common_type([ls[k + i].type, rs[k + i].type], kind)
                 for i in range(len(left.out))]
        lrel, rrel = self._cast_cols(lrel, k, types), self._cast_cols(rrel, k, types)
        distinct = q.args.get("distinct") is not False
        if isinstance(q, exp.Union):
            rel: r.RelationExpr = r.Union((lrel, rrel))
            if distinct:
                rel = r.distinct(rel)
        elif isinstance(q, exp.Except):
            if distinct:
                lrel, rrel = r.distinct(lrel), r.distinct(rrel)
            rel = r.Threshold(r.Union((lrel, r.Negate(rrel))))
        else:
            if distinct:
                lrel, rrel = r.distinct(lrel), r.distinct(rrel)
            lrel, wrap = self.bind(lrel)
            # min(l, r) = l - max(l - r, 0)
            rel = wrap(r.Union((lrel, r.Negate(r.Threshold(r.Union((lrel, r.Negate(rrel))))))))
        qp = QueryPlan(rel, k, list(range(k, k + len(types))), left.names)
        return self._modifiers(q, qp)

    @staticmethod
    def _cast_cols(rel: r.RelationExpr, k: int, types: list[ScalarType]) -> r.RelationExpr:
        schema = rel.schema
        if all(schema[k + i].type == t for i, t in enumerate(types)):
            return rel
        exprs = tuple(ColumnRef(k + i) if schema[k + i].type == t else
                      coerce(ColumnRef(k + i), ColType.of(schema[k + i]), t)
                      for i, t in enumerate(types))
        n = len(schema)
        return r.Project(r.Map(rel, exprs), (*range(k), *range(n, n + len(types))))

    def values(self, v: exp.Values, outer: Outer) -> QueryPlan:
        k = len(outer.items)
        rows: list[tuple[Block, list[ScalarExpr]]] = []
        for t in v.expressions:
            cells = t.expressions if isinstance(t, exp.Tuple) else [t]
            b = Block(outer.base, [replace(it, outer=True) for it in outer.items],
                      outer.parent, outer.collected)
            rows.append((b, [self.scalar(c, b) for c in cells]))
        width = len(rows[0][1])
        if any(len(cells) != width for _, cells in rows):
            raise errors.SqlSyntaxError("VALUES lists must all be the same length")
        names = [f"column{i + 1}" for i in range(width)]
        types: list[ScalarType] = []
        arrays: list[bool] = []
        columns: list[list[ScalarExpr]] = []
        for i in range(width):
            items = [(cells[i], scalar_type(cells[i], b.rel.schema)) for b, cells in rows]
            unified = unify(items, "VALUES")  # arrays and jsonb have their own rules
            if unified is not None:
                columns.append(unified[0])
                types.append(unified[1].scalar)
                arrays.append(unified[1].is_array)
                continue
            t = common_type([ct.scalar for _, ct in items], "VALUES")
            columns.append([coerce(c, ct, t) for c, ct in items])
            types.append(t)
            arrays.append(False)
        coerced = [(b, [columns[i][j] for i in range(width)])
                   for j, (b, _) in enumerate(rows)]
        if k == 0 and all(isinstance(c, Literal) and _is_unit(b.rel)
                          for b, cells in coerced for c in cells):
            nullable = [any(cells[i].value is None for _, cells in coerced  # type: ignore[union-attr]
                            ) for i in range(width)]
            schema = tuple(Column(n, t, nl, a) for n, t, nl, a in zip(names, types, nullable,
                                                                       arrays, strict=True))
            data = tuple((tuple(c.value for c in cells), 1)  # type: ignore[union-attr]
                         for _, cells in coerced)
            return QueryPlan(r.Constant(data, schema), 0, list(range(width)), names)
        parts = []
        for b, cells in coerced:
            w = b.width
            parts.append(r.Project(r.Map(b.rel, tuple(cells), tuple(names)),
                                   (*range(k), *range(w, w + width))))
        rel = parts[0] if len(parts) == 1 else r.Union(tuple(parts))
        return QueryPlan(rel, k, list(range(k, k + width)), names)
