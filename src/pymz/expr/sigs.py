"""SQL-callable scalar functions: overloads by argument types, resolved as PostgreSQL does.

A function name maps to a list of :class:`Overload`\\s, each naming its implementation in
:data:`pymz.expr.funcs.FUNCS`. :func:`resolve` picks one for the planned arguments the way
PostgreSQL's ``func_select_candidate`` does, simplified: candidates every argument can reach
(exactly, as an unknown literal, or by an implicit cast), then the most exact matches, then
the most *preferred* parameter types where a conversion is needed (``double precision``
for numbers, ``text`` for strings, ``timestamptz`` for times), then ``text`` for unknown
literals, then registration order. The chosen overload's arguments are cast to its
parameter types, so implementations see the values they were declared for.

Polymorphic parameters: ``any`` takes a value as it is (an unknown literal as text);
``anyelement``/``anyarray``/``anycompatible`` bind one element type shared by every such
parameter (the common type of their arguments), which a polymorphic result then takes.

Syntax that sqlglot parses into its own node classes (``ROUND(x)`` is ``exp.Round``) is
mapped back to ``(name, arguments)`` by functions registered with :func:`node`.

Does not guarantee: PostgreSQL's full candidate rules (ambiguity is resolved by
registration order instead of an error), named arguments, or user-defined functions.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sqlglot import exp

from pymz import errors
from pymz.expr.funcs import FUNCS, FuncDef, Impl
from pymz.expr.plan_types import coerce, common_type, is_implicit
from pymz.expr.scalar import Call, ColType, ScalarExpr
from pymz.repr import ScalarType

T = ScalarType

# PostgreSQL's preferred type per category: chosen over others when a conversion is needed.
PREFERRED = frozenset({T.FLOAT8, T.TEXT, T.TIMESTAMPTZ, T.INTERVAL, T.BOOL, T.JSONB})
_POLY = ("any", "anyelement", "anyarray", "anycompatible", "anycompatiblearray")
_NAMES: dict[str, ScalarType] = {
    "bool": T.BOOL, "bytea": T.BYTEA, "int2": T.INT2, "int4": T.INT4, "int8": T.INT8,
    "float4": T.FLOAT4, "float8": T.FLOAT8, "numeric": T.NUMERIC, "text": T.TEXT,
    "date": T.DATE, "time": T.TIME, "timestamp": T.TIMESTAMP, "timestamptz": T.TIMESTAMPTZ,
    "interval": T.INTERVAL, "jsonb": T.JSONB, "uuid": T.UUID, "mz_timestamp": T.MZ_TIMESTAMP,
    "oid": T.OID,
}


@dataclass(frozen=True)
class Param:
    """One parameter (or result) type: a scalar type, or a polymorphic kind."""

    scalar: ScalarType | None
    array: bool = False
    poly: str = ""

    @staticmethod
    def parse(text: str) -> Param:
        t = text.strip()
        if t in _POLY:
            return Param(None, t.endswith("array"), t)
        array = t.endswith("[]")
        base = t.removesuffix("[]")
        if base not in _NAMES:
            raise ValueError(f"unknown type {t!r} in a function signature")
        return Param(_NAMES[base], array)


@dataclass(frozen=True)
class Overload:
    params: tuple[Param, ...]
    result: Param
    func: str
    variadic: bool = False

    def expand(self, n: int) -> tuple[Param, ...] | None:
        """The parameter list for ``n`` arguments, or None when the arity does not fit."""
        if self.variadic:
            fixed = self.params[:-1]
            if n < len(fixed):
                return None
            return fixed + (self.params[-1],) * (n - len(fixed))
        return self.params if n == len(self.params) else None


FUNCTIONS: dict[str, list[Overload]] = {}
NodeCall = Callable[[exp.Expr], tuple[str, list[exp.Expr]]]
NODES: dict[type[exp.Expr], NodeCall] = {}


def define(names: str, signature: str, impl: Impl | str, *, key: str | None = None,
           **funcdef: object) -> None:
    """Register an overload of each name in ``names`` (``"ceil|ceiling"``).

    ``signature`` is ``"numeric, int4 -> numeric"`` (``...`` after the last parameter makes
    it variadic). ``impl`` is a new implementation, registered in FUNCS under ``key``
    (default: the first name), or the FUNCS key of an existing one. ``funcdef`` are
    :class:`FuncDef` options for a new implementation.
    """
    args, _, ret = signature.partition("->")
    if not ret:
        raise ValueError(f"signature {signature!r} has no result type")
    parts = [p.strip() for p in args.split(",") if p.strip()]
    variadic = bool(parts) and parts[-1].endswith("...")
    if variadic:
        parts[-1] = parts[-1].removesuffix("...")
    first = names.split("|", maxsplit=1)[0]
    if isinstance(impl, str):
        func = impl
        if func not in FUNCS:
            raise ValueError(f"no implementation {func!r}")
    else:
        func = key or first
        existing = FUNCS.get(func)
        if existing is not None and existing.impl is not impl:
            raise ValueError(f"implementation {func!r} is already registered")
        FUNCS[func] = FuncDef(func, impl, **funcdef)  # type: ignore[arg-type]
    ov = Overload(tuple(Param.parse(p) for p in parts), Param.parse(ret), func, variadic)
    for name in names.split("|"):
        FUNCTIONS.setdefault(name, []).append(ov)


def node(cls: type[exp.Expr], call: NodeCall) -> None:
    """Map a sqlglot node class to ``(function name, argument nodes)``."""
    NODES[cls] = call


def args_of(node_: exp.Expr, *names: str) -> list[exp.Expr]:
    """The present arguments of a sqlglot node, in the order given."""
    out: list[exp.Expr] = []
    for n in names:
        v = node_.args.get(n)
        if isinstance(v, list):
            out.extend(v)
        elif v is not None:
            out.append(v)
    return out


# --- resolution -------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Match:
    overload: Overload
    params: tuple[Param, ...]
    elem: ScalarType | None
    exact: int
    preferred: int
    unknown_text: int


def _accepts(p: Param, t: ColType) -> tuple[bool, bool]:
    """(acceptable, exact) for an argument of type ``t`` at a non-polymorphic parameter."""
    assert p.scalar is not None
    if t.scalar == T.UNKNOWN and not t.is_array:
        return not p.array, False
    if p.array != t.is_array:
        return False, False
    if t.scalar == p.scalar:
        return True, True
    if p.array:
        return False, False  # element casts of arrays are not implicit here
    return is_implicit(t.scalar, p.scalar), False


def _bind_poly(params: tuple[Param, ...], types: Sequence[ColType]
               ) -> tuple[ScalarType | None, bool]:
    """The element type the anyelement/anyarray parameters bind to (None: none used)."""
    elems: list[ScalarType] = []
    for p, t in zip(params, types, strict=True):
        if p.poly in ("", "any"):
            continue
        if p.array:
            if t.scalar == T.UNKNOWN and not t.is_array:
                continue
            if not t.is_array:
                return None, False
        elif t.is_array:
            return None, False
        if t.scalar != T.UNKNOWN:
            elems.append(t.scalar)
    if not any(p.poly not in ("", "any") for p in params):
        return None, True
    try:
        return common_type(elems, "function argument"), True
    except errors.DatatypeMismatch:
        return None, False


def _match(ov: Overload, types: Sequence[ColType]) -> _Match | None:
    params = ov.expand(len(types))
    if params is None:
        return None
    elem, ok = _bind_poly(params, types)
    if not ok:
        return None
    bound = tuple(
        Param(elem, p.array) if p.poly not in ("", "any") else p for p in params)
    exact = preferred = unknown_text = 0
    for p, t in zip(bound, types, strict=True):
        if p.poly == "any":
            exact += 1
            continue
        good, is_exact = _accepts(p, t)
        if not good:
            return None
        if is_exact:
            exact += 1
        elif p.scalar in PREFERRED:
            preferred += 1
        if t.scalar == T.UNKNOWN and p.scalar == T.TEXT:
            unknown_text += 1
    return _Match(ov, bound, elem, exact, preferred, unknown_text)


def _type_list(types: Sequence[ColType]) -> str:
    return ", ".join(t.scalar.type_name + ("[]" if t.is_array else "") for t in types)


def _result(m: _Match) -> ColType:
    r = m.overload.result
    if r.poly:
        return ColType(m.elem or T.TEXT, True, r.array)
    assert r.scalar is not None
    return ColType(r.scalar, True, r.array)


def resolve(name: str, args: Sequence[tuple[ScalarExpr, ColType]]) -> Call:
    """The call of function ``name`` for planned arguments (raises 42883 if none fits)."""
    overloads = FUNCTIONS.get(name)
    types = [t for _, t in args]
    if not overloads:
        raise errors.UnknownFunction(f"function {name}({_type_list(types)}) does not exist",
                                     hint="No function matches the given name and argument "
                                     "types. You might need to add explicit type casts.")
    matches = [m for m in (_match(ov, types) for ov in overloads) if m is not None]
    if not matches:
        raise errors.UndefinedFunction(
            f"function {name}({_type_list(types)}) does not exist",
            hint="No function matches the given name and argument types. You might need to "
                 "add explicit type casts.")
    best = max(matches, key=lambda m: (m.exact, m.preferred, m.unknown_text))
    planned: list[ScalarExpr] = []
    for (e, t), p in zip(args, best.params, strict=True):
        if p.poly == "any":
            planned.append(coerce(e, t, T.TEXT) if t.scalar == T.UNKNOWN else e)
        elif p.array:
            planned.append(e)
        else:
            assert p.scalar is not None
            planned.append(coerce(e, t, p.scalar, what=f"argument of {name}"))
    rt = _result(best)
    return Call(best.overload.func, tuple(planned), rt.scalar, rt.is_array)
