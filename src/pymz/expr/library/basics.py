"""Overloads of the functions the core registry implements (:mod:`pymz.expr.funcs`):
lower, upper, length/char_length, substr/substring, replace, btrim/ltrim/rtrim, abs.

Guarantees: PostgreSQL's argument and result types for these (``length`` is ``integer``,
``abs`` keeps its argument's numeric type). Does not guarantee: the ``bytea`` overloads.
"""

from __future__ import annotations

from sqlglot import exp

from pymz.expr.sigs import args_of, define, node

define("lower", "text -> text", "lower")
define("upper", "text -> text", "upper")
define("length|char_length|character_length", "text -> int4", "length")
define("substr|substring", "text, int4 -> text", "substr")
define("substr|substring", "text, int4, int4 -> text", "substr")
define("replace", "text, text, text -> text", "replace")
for trim in ("btrim", "ltrim", "rtrim"):
    define(trim, "text -> text", trim)
    define(trim, "text, text -> text", trim)
for t in ("int2", "int4", "int8", "numeric", "float4", "float8"):
    define("abs", f"{t} -> {t}", "abs")

node(exp.Lower, lambda n: ("lower", [n.this]))
node(exp.Upper, lambda n: ("upper", [n.this]))
node(exp.Length, lambda n: ("length", [n.this]))
node(exp.Abs, lambda n: ("abs", [n.this]))
node(exp.Replace, lambda n: ("replace", args_of(n, "this", "expression", "replacement")))
node(exp.Substring, lambda n: ("substr", args_of(n, "this", "start", "length")))


def _trim(n: exp.Expr) -> tuple[str, list[exp.Expr]]:
    position = str(n.args.get("position") or "BOTH").upper()
    name = {"LEADING": "ltrim", "TRAILING": "rtrim"}.get(position, "btrim")
    return name, args_of(n, "this", "expression")


node(exp.Trim, _trim)
