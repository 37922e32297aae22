"""Planning window functions: ``f(...) OVER (PARTITION BY ... ORDER BY ...)``.

Window calls in the SELECT list and ORDER BY are evaluated after WHERE, GROUP BY and HAVING:
calls with the same PARTITION BY and ORDER BY share one :class:`pymz.expr.relation.Window`
node whose extra columns the select list then reads. Supported: row_number, rank,
dense_rank, lag/lead (constant offset, optional default), first_value, last_value, and
count/sum/min/max/avg over the default frame (RANGE UNBOUNDED PRECEDING to the current
row's last peer; the whole partition without ORDER BY). Explicit frames, DISTINCT, FILTER,
named windows and nested window calls are rejected with 0A000.
"""

from __future__ import annotations

from sqlglot import exp

from pymz import errors
from pymz.expr import relation as r
from pymz.expr.plan_scalar import agg_name, avg_of
from pymz.expr.plan_scope import Block
from pymz.expr.plan_types import coerce
from pymz.expr.scalar import ColumnRef, ScalarExpr

_RANKING: dict[type[exp.Expr], str] = {
    exp.RowNumber: "row_number", exp.Rank: "rank", exp.DenseRank: "dense_rank",
}
_VALUE: dict[type[exp.Expr], str] = {
    exp.Lag: "lag", exp.Lead: "lead", exp.FirstValue: "first_value", exp.LastValue: "last_value",
}
_WINDOW_AGGS = ("count", "sum", "min", "max", "avg")


class WindowPlanner:
    """Mixed into the planner; needs ``typed``, ``aggregate_parts`` and ``order_keys``."""

    def plan_windows(self, windows: list[exp.Window], b: Block) -> None:
        """Add the columns of every call in ``windows`` to ``b`` and record where they are."""
        b.windows = dict(b.windows or {})
        specs: dict[tuple[str, ...], dict[str, exp.Window]] = {}
        for w in windows:
            self._check(w)
            order = w.args.get("order")
            key = (*(p.sql("postgres") for p in w.args.get("partition_by") or []),
                   "|order|", order.sql("postgres") if order is not None else "")
            specs.setdefault(key, {})[w.sql("postgres")] = w
        for calls in specs.values():
            self._one_spec(list(calls.values()), b)

    @staticmethod
    def _check(w: exp.Window) -> None:
        if w.args.get("spec") is not None:
            raise errors.FeatureNotSupported("window frames other than the default are not "
                                             "supported")
        if isinstance(w.this, exp.Filter | exp.IgnoreNulls | exp.RespectNulls):
            raise errors.FeatureNotSupported(
                "FILTER and IGNORE/RESPECT NULLS are not supported in window functions")
        if isinstance(w.args.get("alias"), exp.Expr) or w.args.get("over") not in (None, "OVER"):
            raise errors.FeatureNotSupported("named windows are not supported")
        inner = [n for n in w.this.walk() if isinstance(n, exp.Window) and n is not w]
        if inner:
            raise errors.PymzError("window function calls cannot be nested",
                                   sqlstate="42P20")

    def _one_spec(self, ws: list[exp.Window], b: Block) -> None:
        first = ws[0]
        partition: list[int] = []
        for p in first.args.get("partition_by") or []:
            e, _ = self.typed(p, b)  # type: ignore[attr-defined]
            if not isinstance(e, ColumnRef):
                b.add_hidden(r.Map(b.rel, (e,)))
                e = ColumnRef(b.width - 1)
            partition.append(e.index)
        order = first.args.get("order")
        keys = self.order_keys(order.expressions if order is not None else [], b, [], [])  # type: ignore[attr-defined]
        calls: list[r.WindowCall] = []
        results: list[tuple[str, str, list[int]]] = []  # (sql, kind, call indexes)
        for w in ws:
            kind, made = self._calls(w, b)
            results.append((w.sql("postgres"), kind, list(range(len(calls),
                                                                 len(calls) + len(made)))))
            calls += made
        base = b.width
        b.add_hidden(r.Window(b.rel, tuple(partition), tuple(keys), tuple(calls)))
        assert b.windows is not None
        for sql, kind, idx in results:
            cols = [ColumnRef(base + i) for i in idx]
            b.windows[sql] = cols[0] if kind == "plain" else avg_of(cols[0], cols[1],
                                                                       b.rel.schema)

    def _calls(self, w: exp.Window, b: Block) -> tuple[str, list[r.WindowCall]]:
        fn = w.this
        name = fn.sql("postgres").split("(")[0].lower()
        ranking = _RANKING.get(type(fn))
        if ranking is not None:
            return "plain", [r.WindowCall(ranking, ranking)]
        value = _VALUE.get(type(fn))
        if value is not None:
            e, t = self.typed(fn.this, b)  # type: ignore[attr-defined]
            offset = 1
            default: ScalarExpr | None = None
            if fn.args.get("offset") is not None:
                off = fn.args["offset"]
                if not (isinstance(off, exp.Literal) and not off.is_string
                        and str(off.this).isdigit()):
                    raise errors.FeatureNotSupported(f"{value} offsets must be integer "
                                                     "constants")
                offset = int(str(off.this))
            if fn.args.get("default") is not None:
                d, dt = self.typed(fn.args["default"], b)  # type: ignore[attr-defined]
                default = coerce(d, dt, t.scalar, what=f"{value} default")
            return "plain", [r.WindowCall(value, value, value=e, offset=offset,
                                          default=default)]
        agg = agg_name(fn)
        if agg is None:
            raise errors.FeatureNotSupported(f"{name} is not supported as a window function")
        if agg not in _WINDOW_AGGS:
            raise errors.FeatureNotSupported(f"{agg} is not supported as a window function")
        if isinstance(fn.this, exp.Distinct):
            raise errors.FeatureNotSupported("DISTINCT is not implemented for window "
                                             "functions")
        kind, parts = self.aggregate_parts(fn, b)  # type: ignore[attr-defined]
        return kind, [r.WindowCall("aggregate", a.func, agg=a) for a in parts]
