"""EXPLAIN: a readable, indented rendering of a plan (one operator per line, inputs below)."""

from __future__ import annotations

from pymz.expr import relation as r
from pymz.expr.scalar import render


def _order(o: r.ColumnOrder) -> str:
    s = f"#{o.column}"
    if o.desc:
        s += " desc"
    if o.nulls_last is not None:
        s += " nulls_last" if o.nulls_last else " nulls_first"
    return s


def _agg(a: r.Aggregate) -> str:
    arg = ("distinct " if a.distinct else "") + render(a.expr)
    keys = {o.column for o in a.order_by}
    extra = "".join(", " + render(x) for i, x in enumerate(a.extra) if i not in keys)
    order = ""
    if a.order_by:
        order = " order by " + ", ".join(
            render(a.extra[o.column]) + (" desc" if o.desc else "") for o in a.order_by)
    return f"{a.func}({arg}{extra}{order})"


def _window_call(c: r.WindowCall) -> str:
    if c.agg is not None:
        return _agg(c.agg)
    if c.value is None:
        return f"{c.func}()"
    args = [render(c.value)]
    if c.func in ("lag", "lead"):
        args.append(str(c.offset))
        if c.default is not None:
            args.append(render(c.default))
    return f"{c.func}({', '.join(args)})"


def _line(e: r.RelationExpr) -> str:
    if isinstance(e, r.Constant):
        rows = [f"{row}" + (f" x{d}" if d != 1 else "") for row, d in e.rows[:5]]
        more = f" ... ({len(e.rows)} rows)" if len(e.rows) > 5 else ""
        return "Constant" + (" " + " ".join(rows) + more if rows else " <empty>")
    if isinstance(e, r.Get):
        return f"Get {e.id}"
    if isinstance(e, r.Let):
        return f"Let {e.id}"
    if isinstance(e, r.Map):
        return "Map (" + ", ".join(render(s) for s in e.scalars) + ")"
    if isinstance(e, r.Filter):
        return "Filter " + " AND ".join(render(p) for p in e.predicates)
    if isinstance(e, r.Project):
        return "Project (" + ", ".join(f"#{i}" for i in e.outputs) + ")"
    if isinstance(e, r.FlatMap):
        return f"FlatMap {e.func}(" + ", ".join(render(a) for a in e.args) + ")"
    if isinstance(e, r.Join):
        offs = e.offsets()
        classes = [" = ".join(f"#{offs[i] + c}" for i, c in cls) for cls in e.equivalences]
        return "Join" + (" on=(" + " AND ".join(classes) + ")" if classes else " (cross)")
    if isinstance(e, r.Reduce):
        keys = ", ".join(f"#{i}" for i in e.group_key)
        s = f"Reduce group_by=[{keys}]"
        if e.aggregates:
            s += " aggregates=[" + ", ".join(_agg(a) for a in e.aggregates) + "]"
        elif e.group_key == tuple(range(len(e.input.schema))):
            s = "Distinct" + ("" if keys else " (all columns)")
            s += f" project=[{keys}]" if keys else ""
        return s
    if isinstance(e, r.TopK):
        keys = ", ".join(f"#{i}" for i in e.group_key)
        s = f"TopK group_by=[{keys}] order_by=[" + ", ".join(_order(o) for o in e.order_by) + "]"
        if e.limit is not None:
            s += f" limit={e.limit}"
        if e.offset:
            s += f" offset={e.offset}"
        return s
    if isinstance(e, r.Window):
        keys = ", ".join(f"#{i}" for i in e.partition)
        calls = ", ".join(_window_call(c) for c in e.calls)
        return (f"Window partition_by=[{keys}] order_by=["
                + ", ".join(_order(o) for o in e.order_by) + f"] calls=[{calls}]")
    if isinstance(e, r.Negate):
        return "Negate"
    if isinstance(e, r.Threshold):
        return "Threshold"
    return "Union"


def explain(expr: r.RelationExpr, finishing: r.RowSetFinishing | None = None) -> str:
    """Render ``expr`` top-down, two spaces of indentation per level."""
    lines: list[str] = []
    if finishing is not None and (finishing.order_by or finishing.limit is not None
                                  or finishing.offset):
        s = "Finish order_by=[" + ", ".join(_order(o) for o in finishing.order_by) + "]"
        if finishing.limit is not None:
            s += f" limit={finishing.limit}"
        if finishing.offset:
            s += f" offset={finishing.offset}"
        s += " output=[" + ", ".join(f"#{i}" for i in finishing.project) + "]"
        lines.append(s)

    def walk(e: r.RelationExpr, depth: int) -> None:
        pad = "  " * depth
        if isinstance(e, r.Let):
            lines.append(f"{pad}With {e.id} =")
            walk(e.value, depth + 1)
            lines.append(f"{pad}In")
            walk(e.body, depth + 1)
            return
        lines.append(pad + _line(e))
        for c in r.children(e):
            walk(c, depth + 1)

    walk(expr, 1 if lines else 0)
    return "\n".join(lines) + "\n"
