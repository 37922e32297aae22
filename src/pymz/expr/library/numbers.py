"""Numeric functions with PostgreSQL 15's overloads, result types and errors.

Provides: round (float8, numeric, numeric + int scale), ceil/ceiling, floor, trunc (float8,
numeric, numeric + int scale), sign, sqrt, cbrt, power/pow (and ``^``), exp, ln, log (one
argument: base 10; two: log(base, x) on numeric), log10, div, gcd, lcm (int4, int8,
numeric), factorial, pi, degrees, radians, sin cos tan cot asin acos atan atan2, the
degree variants sind cosd tand cotd asind acosd atand atan2d, sinh cosh tanh asinh acosh
atanh, width_bucket (float8 and numeric forms), min_scale, trim_scale. ``mod`` and ``%``
are the core arithmetic operator (sqlglot parses ``mod(a, b)`` as ``a % b``).

Overload resolution is PostgreSQL's: integer arguments go to the double precision
overloads (``round(5)`` is ``double precision``), numeric arguments stay numeric. The
float8 implementations are in :mod:`.numbers_float`, the numeric ones (with PostgreSQL's
result-scale rules) in :mod:`.numbers_numeric`; see their docstrings for the details and
the departures (numeric results carry at most 39 significant digits, no trailing zeros).

Not provided: ``random()``/``setseed()`` (volatile: nothing keeps them out of maintained
dataflows, where a per-row random value would differ between replicas and retractions;
calling them is 42883 as in Materialize), ``scale()`` (pymz does not keep PostgreSQL's
display scale through arithmetic), the bitwise operators, ``width_bucket(x, thresholds[])``.

``log10(x)``: sqlglot rewrites it to ``log(10, x)``; a ``10`` that sqlglot made up (it has
no source position) is taken as log10, so ``log10(float8)`` stays double precision.

Departures in naming and resolution (from the planner and sqlglot, not these functions):
a result column is named after the function sqlglot parsed, so ``ceiling(x)`` is "ceil",
``pow(x, y)`` and ``x ^ y`` are "power" (PostgreSQL: "ceiling", "pow", "?column?"); calls
PostgreSQL finds ambiguous (``gcd(int2, int2)``) resolve to the first overload (int4).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from decimal import Decimal

from sqlglot import exp

from pymz import errors
from pymz.expr.funcs import check_int
from pymz.expr.library import numbers_float as fl
from pymz.expr.library import numbers_numeric as nu
from pymz.expr.sigs import args_of, define, node
from pymz.repr import ScalarType

Impl = Callable[[Sequence[object], ScalarType], object]


def _dec(a: Sequence[object], i: int) -> Decimal:
    v = a[i]
    if isinstance(v, int):  # an integer that reached a numeric parameter uncast
        return Decimal(v)
    assert isinstance(v, Decimal)
    return v


def _int(a: Sequence[object], i: int) -> int:
    v = a[i]
    assert isinstance(v, int)
    return v


def _numeric1(fn: Callable[[Decimal], object]) -> Impl:
    return lambda a, t: fn(_dec(a, 0))


def _numeric2(fn: Callable[[Decimal, Decimal], object]) -> Impl:
    return lambda a, t: fn(_dec(a, 0), _dec(a, 1))


def _numeric_scale(fn: Callable[[Decimal, int], Decimal]) -> Impl:
    return lambda a, t: fn(_dec(a, 0), _int(a, 1))


# --- float8 and numeric pairs ---------------------------------------------------------------

_BOTH: dict[str, tuple[str, Callable[[Decimal], object] | None]] = {
    # SQL names -> (float8 implementation name, numeric implementation)
    "round": ("round", nu.n_round),
    "ceil|ceiling": ("ceil", nu.n_ceil),
    "floor": ("floor", nu.n_floor),
    "trunc": ("trunc", nu.n_trunc),
    "sign": ("sign", nu.n_sign),
    "sqrt": ("sqrt", nu.n_sqrt),
    "exp": ("exp", nu.n_exp),
    "ln": ("ln", nu.n_ln),
    "log|log10": ("log10", nu.n_log10),
    "cbrt": ("cbrt", None),
}
for _names, (_fname, _nfn) in _BOTH.items():
    _first = _names.split("|", maxsplit=1)[0]
    define(_names, "float8 -> float8", fl.unary_impl(_fname), key=f"{_first}_float8")
    if _nfn is not None:
        define(_names, "numeric -> numeric", _numeric1(_nfn), key=f"{_first}_numeric")

define("round", "numeric, int4 -> numeric", _numeric_scale(nu.n_round), key="round_scale")
define("trunc", "numeric, int4 -> numeric", _numeric_scale(nu.n_trunc), key="trunc_scale")
define("power|pow", "float8, float8 -> float8", fl.binary_impl("power"), key="power_float8")
define("power|pow", "numeric, numeric -> numeric", _numeric2(nu.n_power),
       key="power_numeric")
define("log", "numeric, numeric -> numeric", _numeric2(nu.n_log), key="log_base")
define("div", "numeric, numeric -> numeric", _numeric2(nu.n_div), key="div_numeric")
define("gcd", "numeric, numeric -> numeric", _numeric2(nu.n_gcd), key="gcd_numeric")
define("lcm", "numeric, numeric -> numeric", _numeric2(nu.n_lcm), key="lcm_numeric")
define("min_scale", "numeric -> int4", _numeric1(nu.n_min_scale), introduces_nulls=True)
define("trim_scale", "numeric -> numeric", _numeric1(nu.n_trim_scale))
define("factorial", "int8 -> numeric", lambda a, t: nu.n_factorial(_int(a, 0)))


# --- integers -------------------------------------------------------------------------------


def _gcd(a: Sequence[object], t: ScalarType) -> object:
    return check_int(math.gcd(_int(a, 0), _int(a, 1)), t)


def _lcm(a: Sequence[object], t: ScalarType) -> object:
    x, y = _int(a, 0), _int(a, 1)
    if x == 0 or y == 0:
        return 0
    return check_int(abs(x // math.gcd(x, y) * y), t)


for _t in ("int4", "int8"):
    define("gcd", f"{_t}, {_t} -> {_t}", _gcd if _t == "int4" else "gcd", key="gcd")
    define("lcm", f"{_t}, {_t} -> {_t}", _lcm if _t == "int4" else "lcm", key="lcm")


# --- float8 only ----------------------------------------------------------------------------

for _name in ("sin", "cos", "tan", "cot", "asin", "acos", "atan", "sind", "cosd", "tand",
              "cotd", "asind", "acosd", "atand", "degrees", "radians", "sinh", "cosh",
              "tanh", "asinh", "acosh", "atanh"):
    define(_name, "float8 -> float8", fl.unary_impl(_name))
for _name in ("atan2", "atan2d"):
    define(_name, "float8, float8 -> float8", fl.binary_impl(_name))
define("pi", " -> float8", lambda a, t: math.pi)
define("width_bucket", "float8, float8, float8, int4 -> int4", fl.width_bucket_impl,
       key="width_bucket_float8")
define("width_bucket", "numeric, numeric, numeric, int4 -> int4",
       lambda a, t: nu.n_width_bucket(_dec(a, 0), _dec(a, 1), _dec(a, 2), _int(a, 3)),
       key="width_bucket_numeric")


# --- sqlglot nodes --------------------------------------------------------------------------


def _plain(name: str, *keys: str) -> Callable[[exp.Expr], tuple[str, list[exp.Expr]]]:
    return lambda n: (name, args_of(n, *keys))


def _log(n: exp.Expr) -> tuple[str, list[exp.Expr]]:
    base, x = n.this, n.args.get("expression")
    if x is None:
        return "log", [base]
    if isinstance(base, exp.Literal) and base.this == "10" and not base.meta:
        return "log10", [x]  # log10(x): sqlglot's own literal, not one from the query
    return "log", [base, x]


def _random(n: exp.Expr) -> tuple[str, list[exp.Expr]]:
    raise errors.UndefinedFunction(
        "function random() does not exist",
        hint="random() is volatile and cannot be maintained incrementally.")


node(exp.Round, _plain("round", "this", "decimals"))
node(exp.Trunc, _plain("trunc", "this", "decimals"))
node(exp.Ceil, _plain("ceil", "this", "decimals"))
node(exp.Floor, _plain("floor", "this", "decimals"))
node(exp.Sign, _plain("sign", "this"))
node(exp.Sqrt, _plain("sqrt", "this"))
node(exp.Cbrt, _plain("cbrt", "this"))
node(exp.Pow, _plain("power", "this", "expression"))
node(exp.Exp, _plain("exp", "this"))
node(exp.Ln, _plain("ln", "this"))
node(exp.Log, _log)
node(exp.IntDiv, _plain("div", "this", "expression"))
node(exp.Pi, _plain("pi"))
node(exp.Factorial, _plain("factorial", "this"))
node(exp.Degrees, _plain("degrees", "this"))
node(exp.Radians, _plain("radians", "this"))
node(exp.Rand, _random)
for _cls, _fn in ((exp.Sin, "sin"), (exp.Cos, "cos"), (exp.Tan, "tan"), (exp.Cot, "cot"),
                  (exp.Asin, "asin"), (exp.Acos, "acos"), (exp.Atan, "atan"),
                  (exp.Sinh, "sinh"), (exp.Cosh, "cosh"), (exp.Tanh, "tanh"),
                  (exp.Asinh, "asinh"), (exp.Acosh, "acosh"), (exp.Atanh, "atanh")):
    node(_cls, _plain(_fn, "this"))
node(exp.Atan2, _plain("atan2", "this", "expression"))
node(exp.WidthBucket, _plain("width_bucket", "this", "min_value", "max_value",
                             "num_buckets", "threshold"))
