"""Planning SQL scalar expressions (sqlglot trees) into IR scalars against a :class:`Block`.

Subqueries inside expressions are handed to the query planner, which decorrelates them and
joins their result onto the block's relation as hidden trailing columns; the expression
then refers to those columns.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from decimal import Decimal

from sqlglot import exp
from sqlglot.expressions import apply_index_offset

from pymz import errors
from pymz.expr import relation as r
from pymz.expr.funcs import INT_RANGES, TEXT_TYPES, parse_interval
from pymz.expr.library.arrays_plan import (
    CALL_PLANNERS,
    OPERATOR_NODES,
    arrow_from_lambda,
    operand_node,
    plan_any_all,
    plan_cast,
    plan_compare,
    plan_concat,
    plan_jsonb_operator,
    plan_operator,
    plan_subscript,
    unify,
)
from pymz.expr.library.jsonb_build import as_jsonb
from pymz.expr.library.times import temporal_operator
from pymz.expr.plan_scope import Block, GroupCtx
from pymz.expr.plan_types import (
    NUMERIC_TYPES,
    arith_type,
    coerce,
    common_type,
    comparable,
    number_literal,
    sql_type,
)
from pymz.expr.scalar import (
    FALSE,
    TRUE,
    Call,
    ColType,
    ColumnRef,
    If,
    Literal,
    ScalarExpr,
    columns_used,
    scalar_type,
)
from pymz.expr.sigs import NODES, resolve
from pymz.repr import ScalarType

T = ScalarType

ARITH = {exp.Add: "add", exp.Sub: "sub", exp.Mul: "mul", exp.Div: "div", exp.Mod: "mod"}
COMPARE = {exp.EQ: ("eq", "="), exp.NEQ: ("neq", "<>"), exp.LT: ("lt", "<"),
           exp.LTE: ("lte", "<="), exp.GT: ("gt", ">"), exp.GTE: ("gte", ">=")}
AGG_CLASSES: dict[type[exp.Expr], str] = {
    exp.Count: "count", exp.Sum: "sum", exp.Avg: "avg", exp.Min: "min", exp.Max: "max",
    exp.LogicalAnd: "bool_and", exp.LogicalOr: "bool_or", exp.GroupConcat: "string_agg",
    exp.ArrayAgg: "array_agg", exp.JSONBObjectAgg: "jsonb_object_agg",
    exp.Stddev: "stddev_samp", exp.StddevSamp: "stddev_samp", exp.StddevPop: "stddev_pop",
    exp.Variance: "var_samp", exp.VariancePop: "var_pop",
}
AGG_NAMES = {"count", "sum", "avg", "min", "max", "bool_and", "bool_or", "every",
             "string_agg", "jsonb_agg", "array_agg", "jsonb_object_agg", "stddev",
             "stddev_samp", "stddev_pop", "variance", "var_samp", "var_pop"}
# Aggregates planned as an expression over accumulable sums (kept O(1) per update).
_MOMENTS = {"stddev": "stddev_samp", "variance": "var_samp", "stddev_samp": "stddev_samp",
            "stddev_pop": "stddev_pop", "var_samp": "var_samp", "var_pop": "var_pop"}
def agg_name(node: exp.Expr) -> str | None:
    if isinstance(node, exp.Filter):
        return agg_name(node.this)
    for cls, name in AGG_CLASSES.items():
        if type(node) is cls:
            return name
    if isinstance(node, exp.Anonymous) and str(node.name).lower() in AGG_NAMES:
        name = str(node.name).lower()
        return _MOMENTS.get(name, name)
    return None


def _walk_outside_subqueries(node: exp.Expr, take: Callable[[exp.Expr], bool]) -> None:
    """Visit ``node`` and its descendants outside subqueries; ``take`` returns True for a
    node it has dealt with (its children are not visited)."""
    if take(node) or isinstance(node, exp.Query | exp.Subquery):
        return
    for c in node.iter_expressions():
        _walk_outside_subqueries(c, take)


def find_aggs(node: exp.Expr) -> list[exp.Expr]:
    """Aggregate calls in ``node``, not looking inside subqueries or other aggregates."""
    out: list[exp.Expr] = []

    def take(n: exp.Expr) -> bool:
        if isinstance(n, exp.Window):
            # The window's own aggregate is not a GROUP BY aggregate; its arguments,
            # PARTITION BY and ORDER BY are evaluated after grouping and may hold some.
            for c in [*n.this.iter_expressions(), *(n.args.get("partition_by") or [])]:
                _walk_outside_subqueries(c, take)
            if n.args.get("order") is not None:
                _walk_outside_subqueries(n.args["order"], take)
            return True
        if agg_name(n) is not None:
            out.append(n)
            return True
        return False

    _walk_outside_subqueries(node, take)
    return out


def avg_of(total: ColumnRef, count: ColumnRef, schema: r.Schema) -> ScalarExpr:
    """avg = sum / count (NULL for no rows): float8 for float sums, numeric otherwise (the
    sum of integers or numerics), as in PostgreSQL."""
    s = scalar_type(total, schema)
    rt = T.FLOAT8 if s.scalar in (T.FLOAT4, T.FLOAT8) else T.NUMERIC
    return If(Call("eq", (count, Literal(0, T.INT8)), T.BOOL), Literal(None, rt),
              Call("div", (coerce(total, s, rt, explicit=True), Call("cast", (count,), rt)),
                   rt))


def moment_of(kind: str, total: ColumnRef, squares: ColumnRef, count: ColumnRef,
              schema: r.Schema) -> ScalarExpr:
    """var_samp/var_pop/stddev_samp/stddev_pop from sum(x), sum(x*x) and count(x):
    ``(sum(x*x) - sum(x)^2 / n) / (n - 1)`` (``/ n`` for the population forms), never below
    zero, NULL for fewer than two rows (one for the population forms)."""
    rt = scalar_type(total, schema).scalar
    n = Call("cast", (count,), rt)
    sample = kind.endswith("samp")
    spread = Call("sub", (squares, Call("div", (Call("mul", (total, total), rt), n), rt)), rt)
    den = Call("sub", (n, Literal(1 if rt == T.FLOAT8 else Decimal(1), rt)), rt) if sample \
        else n
    zero = Literal(0.0 if rt == T.FLOAT8 else Decimal(0), rt)
    var = Call("greatest", (Call("div", (spread, den), rt), zero), rt)
    value = Call("stddev_sqrt", (var,), rt) if kind.startswith("stddev") else var
    return If(Call("lte", (count, Literal(1 if sample else 0, T.INT8)), T.BOOL),
              Literal(None, rt), value)


def find_windows(node: exp.Expr) -> list[exp.Window]:
    """Window function calls in ``node``, not looking inside subqueries."""
    out: list[exp.Window] = []

    def take(n: exp.Expr) -> bool:
        if isinstance(n, exp.Window):
            out.append(n)
            return True
        return False

    _walk_outside_subqueries(node, take)
    return out


def _quantified(rhs: exp.Expr) -> tuple[exp.Expr, bool] | None:
    """(operand, is ALL) of ``ANY (...)``/``SOME (...)``/``ALL (...)`` (sqlglot parses
    ``ALL (array)`` and ``SOME (...)`` as plain function calls)."""
    if isinstance(rhs, exp.Any | exp.All):
        return rhs.this, isinstance(rhs, exp.All)
    if (isinstance(rhs, exp.Anonymous) and str(rhs.name).lower() in ("all", "some", "any")
            and len(rhs.expressions) == 1):
        return rhs.expressions[0], str(rhs.name).lower() == "all"
    return None


def has_subquery(node: exp.Expr) -> bool:
    return any(isinstance(n, exp.Query) for n in node.walk())


def ident(i: exp.Expr | None) -> str:
    if isinstance(i, exp.Identifier):
        return str(i.this) if i.quoted else str(i.this).lower()
    return "" if i is None else str(i.name).lower()


def typeof(e: ScalarExpr, b: Block) -> ColType:
    return scalar_type(e, b.rel.schema)


class ScalarPlanner:
    """Mixin: expression planning. The query planner provides the subquery hooks and the
    statement's ``params`` and ``now`` (see :func:`pymz.expr.planner.plan`)."""

    params: tuple[Literal, ...] = ()
    now: dt.datetime | None = None

    def subquery_value(self, q: exp.Expr, b: Block) -> ScalarExpr:
        raise NotImplementedError

    def subquery_exists(self, q: exp.Expr, b: Block) -> ScalarExpr:
        raise NotImplementedError

    def subquery_any(self, lhs: exp.Expr, op: str, q: exp.Expr, b: Block,
                     all_: bool) -> ScalarExpr:
        raise NotImplementedError

    # --- entry points ---------------------------------------------------------------------

    def scalar(self, node: exp.Expr, b: Block) -> ScalarExpr:
        """Plan ``node``; unknown-typed literals stay unknown (see :meth:`typed`)."""
        if b.group is not None:
            hit = self._group_match(node, b, b.group)
            if hit is not None:
                return hit
        return self._plan(node, b)

    def typed(self, node: exp.Expr, b: Block, want: ScalarType | None = None,
              what: str = "argument") -> tuple[ScalarExpr, ColType]:
        e = self.scalar(node, b)
        t = typeof(e, b)
        if want is not None and (t.scalar != want or t.is_array):
            e = coerce(e, t, want, what=what)
            t = ColType(want, t.nullable)
        elif t.scalar == T.UNKNOWN:
            e = coerce(e, t, T.TEXT)
            t = ColType(T.TEXT, t.nullable)
        return e, t

    def predicate(self, node: exp.Expr, b: Block, clause: str) -> ScalarExpr:
        e = self.scalar(node, b)
        t = typeof(e, b)
        if t.scalar not in (T.BOOL, T.UNKNOWN):
            raise errors.DatatypeMismatch(
                f"argument of {clause} must be type boolean, not type {t.scalar.type_name}")
        return coerce(e, t, T.BOOL)

    # --- grouping -------------------------------------------------------------------------

    def _group_match(self, node: exp.Expr, b: Block, g: GroupCtx) -> ScalarExpr | None:
        if agg_name(node) is not None:
            return self.aggregate_ref(node, b, g)
        if isinstance(node, exp.Column) and not isinstance(node.this, exp.Star):
            table = ident(node.args.get("table")) or None
            found = b.lookup(table, ident(node.this))
            if found is not None:
                return found
            pre = Block(r.Constant((), g.pre_schema), list(g.pre_items), b.parent, b.collected)
            if pre.lookup(table, ident(node.this)) is not None:
                shown = f"{table}.{ident(node.this)}" if table else ident(node.this)
                raise errors.PymzError(
                    f'column "{shown}" must appear in the GROUP BY clause or be used in an '
                    "aggregate function", sqlstate="42803")
            return None
        if (isinstance(node, exp.Literal | exp.Boolean | exp.Null | exp.Paren)
                or find_aggs(node) or has_subquery(node)):
            return None
        pre = Block(r.Constant((), g.pre_schema), list(g.pre_items), b.parent, b.collected)
        try:
            e = self._plan(node, pre)
        except errors.PymzError:
            return None
        return ColumnRef(g.keys.index(e)) if e in g.keys else None

    def aggregate_parts(self, node: exp.Expr, pre: Block) -> tuple[str, list[r.Aggregate]]:
        name = agg_name(node)
        assert name is not None
        cond: ScalarExpr | None = None
        if isinstance(node, exp.Filter):
            # agg(x) FILTER (WHERE c) = agg(CASE WHEN c THEN x END) for NULL-ignoring aggs.
            if name in ("array_agg", "jsonb_agg"):
                raise errors.FeatureNotSupported(f"FILTER on {name} is not supported")
            where = node.expression
            cond = self.predicate(where.this if isinstance(where, exp.Where) else where, pre,
                                  "FILTER")
            node = node.this
        kind, parts = self._aggregate_parts(node, pre, name)
        if cond is None:
            return kind, parts
        return kind, [r.Aggregate(a.func, If(cond, a.expr, Literal(
            None, scalar_type(a.expr, pre.rel.schema).scalar)), a.distinct, a.extra)
            for a in parts]

    def _aggregate_parts(self, node: exp.Expr, pre: Block,
                         name: str) -> tuple[str, list[r.Aggregate]]:
        args: list[exp.Expr] = (list(node.expressions) if isinstance(node, exp.Anonymous)
                                else [x for x in (node.this, node.args.get("expression"))
                                      if x is not None])
        arg = args[0] if args else None
        order: list[exp.Ordered] = []
        if isinstance(arg, exp.Order):
            order = list(arg.expressions)
            arg = arg.this
        distinct = False
        if isinstance(arg, exp.Distinct):
            distinct = True
            arg = arg.expressions[0]
        if arg is not None and (find_aggs(arg) or has_subquery(arg)):
            raise errors.FeatureNotSupported(
                "aggregate arguments with aggregates or subqueries are not supported")
        if name == "count" and (arg is None or isinstance(arg, exp.Star)):
            return "plain", [r.Aggregate("count", TRUE)]
        if arg is None:
            raise errors.UndefinedFunction(f"function {name}() does not exist")
        refs = pre.outer_refs
        e, t = self.typed(arg, pre)
        if pre.outer_refs > refs and not any(not pre.items[c].outer for c in columns_used(e)):
            # PostgreSQL evaluates such an aggregate in the outer query.
            raise errors.FeatureNotSupported(
                "aggregates whose arguments use only outer-query columns are not supported")
        extra: list[ScalarExpr] = []
        if name == "string_agg":
            sep_node = node.args.get("separator") if not isinstance(node, exp.Anonymous) \
                else (args[1] if len(args) > 1 else None)
            if sep_node is None:
                raise errors.UndefinedFunction("function string_agg(text) does not exist")
            e = coerce(e, t, T.TEXT, what="string_agg argument")
            extra.append(self.typed(sep_node, pre, T.TEXT)[0])
        if name == "jsonb_object_agg":
            if len(args) != 2:
                raise errors.UndefinedFunction("function jsonb_object_agg requires a key and "
                                               "a value")
            e = coerce(e, t, T.TEXT, explicit=True, what="jsonb_object_agg key")
            extra.append(as_jsonb(*self.typed(args[1], pre)))
        if name == "jsonb_agg":
            e = as_jsonb(e, t)  # elements arrive as canonical jsonb text
        if name in _MOMENTS.values():
            if distinct:
                raise errors.FeatureNotSupported(f"{name}(DISTINCT ...) is not supported")
            if t.scalar not in NUMERIC_TYPES:
                raise errors.UndefinedFunction(
                    f"function {name}({t.scalar.type_name}) does not exist")
            rt = T.FLOAT8 if t.scalar in (T.FLOAT4, T.FLOAT8) else T.NUMERIC
            x = coerce(e, t, rt, explicit=True)
            return name, [r.Aggregate("sum", x), r.Aggregate("sum", Call("mul", (x, x), rt)),
                          r.Aggregate("count", e)]
        if name in ("sum", "avg") and t.scalar not in NUMERIC_TYPES and t.scalar != T.INTERVAL:
            raise errors.UndefinedFunction(
                f"function {name}({t.scalar.type_name}) does not exist")
        if name in ("bool_and", "bool_or", "every"):
            e = coerce(e, t, T.BOOL, what=f"{name} argument")
            name = "bool_and" if name == "every" else name
        if name == "avg":
            return "avg", [r.Aggregate("sum", e, distinct), r.Aggregate("count", e, distinct)]
        order_by: list[r.ColumnOrder] = []
        if order and name in r.ORDERED_AGGS:
            for o in order:
                key = self.typed(o.this, pre)[0]
                if distinct and key != e:
                    raise errors.PymzError("in an aggregate with DISTINCT, ORDER BY "
                                           "expressions must appear in argument list",
                                           sqlstate="42P10")
                order_by.append(r.ColumnOrder(len(extra), bool(o.args.get("desc")),
                                              not o.args.get("nulls_first")))
                extra.append(key)
        return "plain", [r.Aggregate(name, e, distinct, tuple(extra), tuple(order_by))]

    def aggregate_ref(self, node: exp.Expr, b: Block, g: GroupCtx) -> ScalarExpr:
        pre = Block(r.Constant((), g.pre_schema), list(g.pre_items), b.parent, b.collected)
        kind, parts = self.aggregate_parts(node, pre)
        cols = [ColumnRef(g.agg_index(a)) for a in parts]
        if kind == "plain":
            return cols[0]
        if kind == "avg":
            return avg_of(cols[0], cols[1], b.rel.schema)
        return moment_of(kind, cols[0], cols[1], cols[2], b.rel.schema)

    # --- the cases ------------------------------------------------------------------------

    def _plan(self, node: exp.Expr, b: Block) -> ScalarExpr:
        if isinstance(node, exp.Paren):
            return self.scalar(node.this, b)
        if isinstance(node, exp.Column):
            return self._column(node, b)
        if isinstance(node, exp.Literal):
            if node.is_string:
                return Literal(str(node.this), T.UNKNOWN)
            return number_literal(str(node.this))
        if isinstance(node, exp.ByteString):
            # E'...': sqlglot has already applied the backslash escapes.
            return Literal(str(node.this), T.UNKNOWN)
        if isinstance(node, exp.Boolean):
            return TRUE if node.this else FALSE
        if isinstance(node, exp.Null):
            return Literal(None, T.UNKNOWN)
        if isinstance(node, exp.Neg):
            return self._neg(node, b)
        if isinstance(node, exp.Not):
            return Call("not", (self.predicate(node.this, b, "NOT"),), T.BOOL)
        if isinstance(node, exp.And | exp.Or):
            fn = "and" if isinstance(node, exp.And) else "or"
            args = (self.predicate(node.this, b, fn.upper()),
                    self.predicate(node.expression, b, fn.upper()))
            return Call(fn, args, T.BOOL)
        for cls, fn in ARITH.items():
            if type(node) is cls:
                return self._arith(fn, node.this, node.expression, b)
        for cls, (fn, sym) in COMPARE.items():
            if type(node) is cls:
                rhs = node.expression
                quantified = _quantified(rhs)
                if quantified is not None:
                    inner, all_ = quantified
                    q = inner.unnest() if isinstance(inner, exp.Subquery) else inner
                    if isinstance(q, exp.Query):
                        return self.subquery_any(node.this, fn, q, b, all_)
                    lhs, arr = self.scalar(node.this, b), self.scalar(inner, b)
                    return plan_any_all(fn, sym, (lhs, typeof(lhs, b)), (arr, typeof(arr, b)),
                                        all_)
                return self.compare(fn, sym, node.this, rhs, b)
        if isinstance(node, exp.NullSafeEQ | exp.NullSafeNEQ):
            e = self.compare("is_not_distinct", "IS NOT DISTINCT FROM", node.this,
                             node.expression, b)
            return e if isinstance(node, exp.NullSafeEQ) else Call("not", (e,), T.BOOL)
        if isinstance(node, exp.Is):
            return self._is(node, b)
        if isinstance(node, exp.In):
            return self._in(node, b)
        if isinstance(node, exp.Between):
            lo = self.compare("gte", ">=", node.this, node.args["low"], b)
            hi = self.compare("lte", "<=", node.this, node.args["high"], b)
            return Call("and", (lo, hi), T.BOOL)
        if isinstance(node, exp.Case):
            return self._case(node, b)
        if isinstance(node, exp.Cast | exp.TryCast):
            want = sql_type(node.to)
            if want.is_array and isinstance(node.this, exp.Array) and not node.this.expressions:
                return Literal((), want.scalar, True)  # ARRAY[]::t[]
            e = self.scalar(node.this, b)
            src = typeof(e, b)
            # Casts to, from and between arrays, and jsonb's casts.
            special = plan_cast(e, src, want)
            if special is not None:
                return special
            return coerce(e, src, want.scalar, explicit=True)
        if isinstance(node, exp.Interval):
            text = str(node.this.this if isinstance(node.this, exp.Literal) else node.this)
            unit = node.args.get("unit")
            if unit is not None:
                text = f"{text} {unit.name.lower()}"
            try:
                return Literal(parse_interval(text), T.INTERVAL)
            except (ValueError, KeyError):
                raise errors.InvalidTextRepresentation(
                    f'invalid input syntax for type interval: "{text}"') from None
        if isinstance(node, exp.DPipe):
            return self._concat(node, b)
        if isinstance(node, exp.Lambda):
            return self.scalar(arrow_from_lambda(node), b)  # f(j -> 'a'): see there
        if type(node) in OPERATOR_NODES:
            le = self.scalar(node.this, b)
            re_ = self.scalar(operand_node(node.expression), b)
            return plan_operator(OPERATOR_NODES[type(node)], (le, typeof(le, b)),
                                 (re_, typeof(re_, b)))
        if isinstance(node, exp.Bracket):
            return self._subscript(node, b)
        if isinstance(node, exp.Like | exp.ILike):
            fn = "like" if isinstance(node, exp.Like) else "ilike"
            return Call(fn, (self.typed(node.this, b, T.TEXT)[0],
                             self.typed(node.expression, b, T.TEXT)[0]), T.BOOL)
        if isinstance(node, exp.Coalesce | exp.Greatest | exp.Least):
            fn = {exp.Coalesce: "coalesce", exp.Greatest: "greatest", exp.Least: "least"}[
                type(node)]
            return self._variadic(fn, [node.this, *node.expressions], b)
        if isinstance(node, exp.Nullif):
            return self._variadic("nullif", [node.this, node.expression], b)
        if isinstance(node, exp.Subquery):
            return self.subquery_value(node.this, b)
        if isinstance(node, exp.Select | exp.SetOperation):
            return self.subquery_value(node, b)
        if isinstance(node, exp.Exists):
            return self.subquery_exists(node.this, b)
        if isinstance(node, exp.Parameter):
            return self._parameter(node)
        if (isinstance(node, exp.CurrentTimestamp | exp.CurrentDate | exp.Localtimestamp)
                and self.now is not None):
            now = self.now.astimezone(dt.UTC)
            if isinstance(node, exp.CurrentDate):
                return Literal(now.date(), T.DATE)
            if isinstance(node, exp.Localtimestamp):
                return Literal(now.replace(tzinfo=None), T.TIMESTAMP)
            return Literal(now, T.TIMESTAMPTZ)
        if isinstance(node, exp.CurrentTimestamp | exp.CurrentDate | exp.CurrentTime
                      | exp.Localtimestamp):
            raise errors.FeatureNotSupported(
                f"{node.sql('postgres').lower()} cannot be used in a maintained plan; "
                "use mz_now() for temporal filters")
        if isinstance(node, exp.ExplodingGenerateSeries | exp.Explode | exp.Unnest):
            raise errors.FeatureNotSupported(
                "set-returning functions are only supported in FROM")
        if isinstance(node, exp.Array):
            items = [self.scalar(x, b) for x in node.expressions]
            if not items:
                raise errors.FeatureNotSupported("empty ARRAY[] needs a cast")
            schema = b.rel.schema
            if any(scalar_type(x, schema).is_array for x in items):
                raise errors.FeatureNotSupported("multi-dimensional arrays are not supported")
            elem = common_type([scalar_type(x, schema).scalar for x in items], "ARRAY")
            elems = tuple(coerce(x, scalar_type(x, schema), elem) for x in items)
            return Call("array", elems, elem, is_array=True)
        if isinstance(node, exp.Window):
            found = b.windows.get(node.sql("postgres")) if b.windows else None
            if found is None:
                raise errors.PymzError(
                    "window functions are only allowed in the SELECT list and ORDER BY",
                    sqlstate="42P20")
            return found
        if agg_name(node) is not None:
            raise errors.PymzError("aggregate functions are not allowed here",
                                   sqlstate="42803")
        return self._function(node, b)

    def _parameter(self, node: exp.Parameter) -> ScalarExpr:
        ref = node.this
        text = str(ref.this) if isinstance(ref, exp.Literal) else ""
        if not text.isdigit() or int(text) < 1:
            raise errors.SqlSyntaxError(f"invalid parameter {node.sql('postgres')}")
        n = int(text)
        if n > len(self.params):
            raise errors.PymzError(f"there is no parameter ${n}", sqlstate="42P02")
        return self.params[n - 1]

    def _column(self, node: exp.Column, b: Block) -> ScalarExpr:
        if isinstance(node.this, exp.Star):
            raise errors.FeatureNotSupported("* is not allowed in this position")
        table = ident(node.args.get("table")) or None
        name = ident(node.this)
        found = b.lookup(table, name)
        if found is None:
            shown = f"{table}.{name}" if table else name
            raise errors.UndefinedColumn(f'column "{shown}" does not exist')
        return found

    def _neg(self, node: exp.Neg, b: Block) -> ScalarExpr:
        inner = node.this
        if isinstance(inner, exp.Literal) and not inner.is_string:
            lit = number_literal(str(inner.this))
            v = -lit.value  # type: ignore[operator]
            if lit.type == T.INT8 and v >= INT_RANGES[T.INT4][0]:
                return Literal(v, T.INT4)
            if lit.type == T.NUMERIC and v == -(2**63) and Decimal(v) == v:
                return Literal(int(v), T.INT8)
            return Literal(v, lit.type)
        e, t = self.typed(inner, b)
        if t.scalar not in NUMERIC_TYPES and t.scalar != T.INTERVAL:
            raise errors.UndefinedFunction(
                f"operator does not exist: - {t.scalar.type_name}")
        return Call("neg", (e,), t.scalar)

    def _arith(self, fn: str, left: exp.Expr, right: exp.Expr, b: Block) -> ScalarExpr:
        le, re_ = self.scalar(left, b), self.scalar(right, b)
        lt, rt = typeof(le, b), typeof(re_, b)
        if fn == "sub" and lt.scalar == T.JSONB and not lt.is_array:
            return plan_jsonb_operator("-", (le, lt), (re_, rt))  # jsonb - key/index/keys
        op = temporal_operator(fn, lt.scalar, rt.scalar)
        if op is not None:
            key, at, bt, res = op
            return Call(key, (coerce(le, lt, at), coerce(re_, rt, bt)), res)
        at, bt, res = arith_type(fn, lt.scalar, rt.scalar)
        return Call(fn, (coerce(le, lt, at), coerce(re_, rt, bt)), res)

    def compare(self, fn: str, sym: str, left: exp.Expr, right: exp.Expr,
                b: Block) -> ScalarExpr:
        le, re_ = self.scalar(left, b), self.scalar(right, b)
        return self.compare_planned(fn, sym, le, re_, b.rel.schema)

    @staticmethod
    def compare_planned(fn: str, sym: str, le: ScalarExpr, re_: ScalarExpr,
                        schema: r.Schema) -> ScalarExpr:
        lt, rt = scalar_type(le, schema), scalar_type(re_, schema)
        special = plan_compare(fn, sym, (le, lt), (re_, rt))  # arrays and jsonb
        if special is not None:
            return special
        t = comparable(lt.scalar, rt.scalar, sym)
        return Call(fn, (coerce(le, lt, t), coerce(re_, rt, t)), T.BOOL)

    def _is(self, node: exp.Is, b: Block) -> ScalarExpr:
        target = node.expression
        e = self.scalar(node.this, b)
        if isinstance(target, exp.Null):
            out: ScalarExpr = Call("is_null", (e,), T.BOOL)
        elif isinstance(target, exp.Boolean):
            e = coerce(e, typeof(e, b), T.BOOL)
            out = Call("is_true" if target.this else "is_false", (e,), T.BOOL)
        else:
            raise errors.FeatureNotSupported(f"IS {target.sql('postgres')} is not supported")
        return Call("not", (out,), T.BOOL) if node.args.get("negate") else out

    def _in(self, node: exp.In, b: Block) -> ScalarExpr:
        q = node.args.get("query")
        if q is not None:
            inner = q.unnest() if isinstance(q, exp.Subquery) else q
            return self.subquery_any(node.this, "eq", inner, b, False)
        if node.args.get("unnest") is not None or node.args.get("field") is not None:
            raise errors.FeatureNotSupported("this form of IN is not supported")
        lhs = self.scalar(node.this, b)
        items = [self.scalar(x, b) for x in node.expressions]
        schema = b.rel.schema
        t = common_type([scalar_type(x, schema).scalar for x in [lhs, *items]], "IN")
        lhs_c = coerce(lhs, scalar_type(lhs, schema), t)
        eqs = tuple(Call("eq", (lhs_c, coerce(x, scalar_type(x, schema), t)), T.BOOL)
                    for x in items)
        return eqs[0] if len(eqs) == 1 else Call("or", eqs, T.BOOL)

    def _case(self, node: exp.Case, b: Block) -> ScalarExpr:
        operand = node.this
        conds: list[ScalarExpr] = []
        results: list[ScalarExpr] = []
        for w in node.args.get("ifs") or []:
            if operand is not None:
                conds.append(self.compare("eq", "=", operand, w.this, b))
            else:
                conds.append(self.predicate(w.this, b, "CASE"))
            results.append(self.scalar(w.args["true"], b))
        default = node.args.get("default")
        results.append(self.scalar(default, b) if default is not None
                       else Literal(None, T.UNKNOWN))
        schema = b.rel.schema
        unified = unify([(x, scalar_type(x, schema)) for x in results], "CASE")
        if unified is not None:
            res = unified[0]
        else:
            t = common_type([scalar_type(x, schema).scalar for x in results], "CASE")
            res = [coerce(x, scalar_type(x, schema), t) for x in results]
        out = res[-1]
        for c, x in zip(reversed(conds), reversed(res[:-1]), strict=True):
            out = If(c, x, out)
        return out

    def _variadic(self, fn: str, nodes: Sequence[exp.Expr], b: Block) -> ScalarExpr:
        args = [self.scalar(x, b) for x in nodes]
        schema = b.rel.schema
        unified = unify([(x, scalar_type(x, schema)) for x in args], fn.upper())
        if unified is not None:
            exprs, ut = unified
            return Call(fn, tuple(exprs), ut.scalar, ut.is_array)
        t = common_type([scalar_type(x, schema).scalar for x in args], fn.upper())
        return Call(fn, tuple(coerce(x, scalar_type(x, schema), t) for x in args), t)

    def _concat(self, node: exp.DPipe, b: Block) -> ScalarExpr:
        """``||``: arrays and jsonb by type, else text concatenation."""
        le, re_ = self.scalar(node.this, b), self.scalar(node.expression, b)
        lt, rt = typeof(le, b), typeof(re_, b)
        special = plan_concat((le, lt), (re_, rt))
        if special is not None:
            return special
        return Call("textcat", (coerce(le, lt, T.TEXT, explicit=lt.scalar not in TEXT_TYPES),
                                coerce(re_, rt, T.TEXT, explicit=rt.scalar not in TEXT_TYPES)),
                    T.TEXT)

    def _subscript(self, node: exp.Bracket, b: Block) -> ScalarExpr:
        """``a[i]``, ``a[i:j]`` (arrays, 1-based) and ``j['key']``/``j[0]`` (jsonb)."""
        base = self.scalar(node.this, b)
        if (isinstance(node.this, exp.Bracket) and isinstance(base, Call)
                and base.func in ("array_subscript", "array_slice")):
            # a[i][j] is one two-dimensional subscript in PostgreSQL.
            raise errors.FeatureNotSupported("multi-dimensional arrays are not supported")
        # sqlglot stores integer subscripts 0-based; shift them back as its generator does.
        subs = apply_index_offset(node.this.copy(), [x.copy() for x in node.expressions],
                                  1 - int(node.args.get("offset") or 0), dialect="postgres")
        if len(subs) != 1:
            raise errors.FeatureNotSupported("multi-dimensional subscripts are not supported")
        sub = subs[0]

        def part(x: exp.Expr | None) -> tuple[ScalarExpr, ColType] | None:
            if x is None:
                return None
            e = self.scalar(x, b)
            return e, typeof(e, b)

        if isinstance(sub, exp.Slice):
            return plan_subscript((base, typeof(base, b)), part(sub.this),
                                  part(sub.expression), is_slice=True)
        return plan_subscript((base, typeof(base, b)), part(sub))

    def _text(self, node: exp.Expr, b: Block) -> ScalarExpr:
        e = self.scalar(node, b)
        t = typeof(e, b)
        return coerce(e, t, T.TEXT, explicit=t.scalar not in TEXT_TYPES)

    def _function(self, node: exp.Expr, b: Block) -> ScalarExpr:
        if isinstance(node, exp.Anonymous):
            name = str(node.name).lower()
            args = list(node.expressions)
        else:
            mapper = NODES.get(type(node))
            if mapper is None:
                if isinstance(node, exp.Func):
                    raise errors.UnknownFunction(
                        f"function {node.sql_name().lower()} does not exist")
                raise errors.FeatureNotSupported(
                    f"expression not supported: {node.sql('postgres')}")
            name, args = mapper(node)
        if name == "mz_now" and not args:
            return Call("mz_now", (), T.MZ_TIMESTAMP)
        planned = [self.scalar(a, b) for a in args]
        typed_args = [(e, typeof(e, b)) for e in planned]
        special = CALL_PLANNERS.get(name)  # functions that need more than overloads
        if special is not None:
            return special(name, typed_args)
        return resolve(name, typed_args)
