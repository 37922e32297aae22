"""Scalar expressions of the relational IR: column references, literals, function calls, If.

Every node is a frozen, hashable dataclass. Column references are positional (``ColumnRef(i)``
is column ``i`` of the input row); a node's type is computed against the input schema by
:func:`scalar_type`. Calls carry their resolved result type, so the function registry
(:mod:`pymz.expr.funcs`) can check overflow against it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from pymz.expr.funcs import FUNCS
from pymz.repr import Column, ScalarType


@dataclass(frozen=True)
class ColType:
    """The type of a scalar expression: a repr scalar type, nullability, array-ness."""

    scalar: ScalarType
    nullable: bool = True
    is_array: bool = False

    def column(self, name: str) -> Column:
        return Column(name, self.scalar, self.nullable, self.is_array)

    @staticmethod
    def of(c: Column) -> ColType:
        return ColType(c.type, c.nullable, c.is_array)


@dataclass(frozen=True)
class ColumnRef:
    """Column ``index`` of the input row."""

    index: int


@dataclass(frozen=True)
class Literal:
    """A constant. ``value`` follows the repr value conventions (arrays as tuples); None is NULL."""

    value: object
    type: ScalarType
    is_array: bool = False


@dataclass(frozen=True)
class Call:
    """Function ``func`` (a key of ``funcs.FUNCS``) applied to ``args``; result type ``type``."""

    func: str
    args: tuple[ScalarExpr, ...]
    type: ScalarType
    is_array: bool = False


@dataclass(frozen=True)
class If:
    """CASE WHEN cond THEN then ELSE els END (NULL conditions take the ELSE branch)."""

    cond: ScalarExpr
    then: ScalarExpr
    els: ScalarExpr


ScalarExpr = ColumnRef | Literal | Call | If

TRUE = Literal(True, ScalarType.BOOL)
FALSE = Literal(False, ScalarType.BOOL)


def null(t: ScalarType, is_array: bool = False) -> Literal:
    return Literal(None, t, is_array)


def call(func: str, *args: ScalarExpr, type: ScalarType = ScalarType.BOOL) -> Call:
    return Call(func, tuple(args), type)


def scalar_type(e: ScalarExpr, schema: Sequence[Column]) -> ColType:
    """The type of ``e`` evaluated over rows of ``schema``."""
    if isinstance(e, ColumnRef):
        return ColType.of(schema[e.index])
    if isinstance(e, Literal):
        return ColType(e.type, e.value is None, e.is_array)
    if isinstance(e, If):
        t = scalar_type(e.then, schema)
        f = scalar_type(e.els, schema)
        return ColType(t.scalar, t.nullable or f.nullable, t.is_array)
    fd = FUNCS[e.func]
    args = [scalar_type(a, schema).nullable for a in e.args]
    return ColType(e.type, fd.result_nullable(args), e.is_array)


def children(e: ScalarExpr) -> tuple[ScalarExpr, ...]:
    if isinstance(e, Call):
        return e.args
    if isinstance(e, If):
        return (e.cond, e.then, e.els)
    return ()


def transform(e: ScalarExpr, f: Callable[[ScalarExpr], ScalarExpr]) -> ScalarExpr:
    """Rebuild ``e`` bottom-up, applying ``f`` to every node after its children."""
    if isinstance(e, Call):
        e = Call(e.func, tuple(transform(a, f) for a in e.args), e.type, e.is_array)
    elif isinstance(e, If):
        e = If(transform(e.cond, f), transform(e.then, f), transform(e.els, f))
    return f(e)


def columns_used(e: ScalarExpr) -> set[int]:
    out: set[int] = set()

    def walk(x: ScalarExpr) -> None:
        if isinstance(x, ColumnRef):
            out.add(x.index)
        for c in children(x):
            walk(c)

    walk(e)
    return out


def remap(e: ScalarExpr, mapping: Callable[[int], int] | dict[int, int]) -> ScalarExpr:
    """Renumber column references (``mapping`` maps old index to new)."""
    get = mapping.__getitem__ if isinstance(mapping, dict) else mapping

    def f(x: ScalarExpr) -> ScalarExpr:
        return ColumnRef(get(x.index)) if isinstance(x, ColumnRef) else x

    return transform(e, f)


def shift(e: ScalarExpr, by: int) -> ScalarExpr:
    return remap(e, lambda i: i + by)


def substitute(e: ScalarExpr, exprs: Sequence[ScalarExpr]) -> ScalarExpr:
    """Replace ``ColumnRef(i)`` with ``exprs[i]`` (inlining a Map into its consumer)."""

    def f(x: ScalarExpr) -> ScalarExpr:
        return exprs[x.index] if isinstance(x, ColumnRef) else x

    return transform(e, f)


def conjuncts(e: ScalarExpr) -> list[ScalarExpr]:
    if isinstance(e, Call) and e.func == "and":
        return [c for a in e.args for c in conjuncts(a)]
    return [e]


def render(e: ScalarExpr, names: Sequence[str] | None = None) -> str:
    """A compact SQL-like rendering (``#i`` for columns unless ``names`` are given)."""
    if isinstance(e, ColumnRef):
        return f"#{e.index}" if names is None else f"#{e.index}{{{names[e.index]}}}"
    if isinstance(e, Literal):
        if e.value is None:
            return "null"
        if isinstance(e.value, str):
            return "'" + e.value.replace("'", "''") + "'"
        if isinstance(e.value, bool):
            return "true" if e.value else "false"
        return str(e.value)
    if isinstance(e, If):
        return (f"case when {render(e.cond, names)} then {render(e.then, names)} "
                f"else {render(e.els, names)} end")
    infix = FUNCS[e.func].infix
    args = [render(a, names) for a in e.args]
    if infix is not None and len(args) == 2:
        return f"({args[0]} {infix} {args[1]})"
    if infix is not None and len(args) > 2:
        return "(" + f" {infix} ".join(args) + ")"
    if e.func == "cast":
        return f"{args[0]}::{e.type.type_name}"
    return f"{e.func}({', '.join(args)})"
