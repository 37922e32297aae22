"""Table functions (set-returning functions in FROM): the one registry the planner, the
reference evaluator and the dataflow renderer share.

Each :class:`TableFunc` knows how to plan a call (cast the arguments, name and type the
output columns, as PostgreSQL 15 does) and how to produce the rows for argument values.
The IR node is ``FlatMap(input, func, args, columns)``: ``func`` is the registry name and
``columns`` the planned output columns, plus a trailing ``ordinality`` column (bigint,
1-based) for ``WITH ORDINALITY``; :func:`expand` adds it when ``columns`` asks for it. A
``func`` prefixed with :data:`OUTER` is ``LEFT JOIN LATERAL f(...) ON true``: one row of
NULLs when ``f`` gives no rows.

Provided: generate_series (integer, bigint and numeric with an optional step; timestamp and
timestamptz with an interval step, dates counting as timestamptz), unnest (one or more
arrays, zipped and padded with NULLs), generate_subscripts, jsonb_array_elements(_text),
jsonb_each(_text), jsonb_object_keys, regexp_split_to_table. A NULL argument gives no rows
(for unnest: that array is empty). Errors are PostgreSQL's ("step size cannot equal zero",
"cannot extract elements from a scalar", ...: 22023).

regexp_split_to_table uses the regular expressions of
:mod:`pymz.expr.library.strings_regex` (PostgreSQL's AREs and flags).

Departs from PostgreSQL: a timestamp series ends at the last value before year 10000
(Python's dates end there, and so does every stop value).
"""

from __future__ import annotations

import calendar
import datetime as dt
import itertools
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal

from sqlglot import exp

from pymz import errors
from pymz.expr.funcs import TEXT_TYPES
from pymz.expr.library import jsonb_value as jv
from pymz.expr.library.arrays_plan import jsonb_literal, type_name
from pymz.expr.library.strings_regex import compile_are, matches, parse_flags
from pymz.expr.plan_types import coerce
from pymz.expr.scalar import ColType, ScalarExpr
from pymz.repr import Column, Interval, ScalarType

T = ScalarType
Row = tuple[object, ...]
ArgT = tuple[ScalarExpr, ColType]
Planned = tuple[tuple[ScalarExpr, ...], tuple[Column, ...]]


@dataclass(frozen=True)
class TableFunc:
    name: str
    plan: Callable[[str, Sequence[ArgT]], Planned]
    rows: Callable[[Sequence[object]], Iterable[Row]]
    # Output columns named by the function itself (PostgreSQL's OUT parameters): a table
    # alias does not rename a single such column.
    named_columns: bool = False
    # NULL in any argument: no rows (without calling ``rows``).
    strict: bool = True


TABLE_FUNCS: dict[str, TableFunc] = {}


def _register(f: TableFunc) -> None:
    TABLE_FUNCS[f.name] = f


def _undefined(name: str, args: Sequence[ArgT]) -> errors.PymzError:
    return errors.UndefinedFunction(
        f"function {name}({', '.join(type_name(t) for _, t in args)}) does not exist",
        hint="No function matches the given name and argument types. You might need to add "
             "explicit type casts.")


def plan(name: str, args: Sequence[ArgT]) -> Planned:
    """The cast arguments and the output columns of ``name(args)`` (42883 if unknown)."""
    f = TABLE_FUNCS.get(name)
    if f is None:
        raise errors.UndefinedFunction(f"function {name} does not exist")
    return f.plan(name, args)


# ``FlatMap(func=OUTER + name)``: ``LEFT JOIN LATERAL name(...) ON true``, which gives one
# row of NULLs when the function gives none.
OUTER = "outer:"


def known(func: str) -> bool:
    """Whether ``func`` (a FlatMap's function) is a registered table function."""
    return func.removeprefix(OUTER) in TABLE_FUNCS


# The most rows one call may return (PostgreSQL has no limit; pymz holds them in memory).
MAX_ROWS_PER_CALL = 10_000_000


def expand(func: str, args: Sequence[object], width: int) -> Iterator[Row]:
    """The rows of ``func`` for argument values ``args``; ``width`` is the number of output
    columns (one more than the function's own: append the ordinality)."""
    f = TABLE_FUNCS.get(func.removeprefix(OUTER))
    if f is None:
        raise errors.UndefinedFunction(f"function {func} does not exist")
    empty = True
    if not (f.strict and any(a is None for a in args)):
        for i, row in enumerate(f.rows(args), 1):
            if i > MAX_ROWS_PER_CALL:
                # The engines materialise a call's rows: refuse, rather than exhaust memory.
                raise errors.PymzError(
                    f"{func.removeprefix(OUTER)} would return more than {MAX_ROWS_PER_CALL:,} "
                    "rows", sqlstate="54000")
            empty = False
            yield (*row, i) if len(row) < width else row
    if empty and func.startswith(OUTER):
        yield (None,) * width


# --- the SQL side: which FROM items are calls, and their column names -------------------------


@dataclass(frozen=True)
class TableCall:
    name: str
    args: list[exp.Expr]
    alias: exp.TableAlias | None
    ordinality: bool
    # WITH ORDINALITY's column name when sqlglot split it off the alias (unnest).
    ordinality_name: str | None = None


def table_call(item: exp.Expr) -> TableCall | None:
    """The table-function call a FROM item (or LATERAL item) is, else None."""
    alias = item.args.get("alias")
    ordinality = bool(item.args.get("ordinality"))
    fn = item.this if isinstance(item, exp.Table | exp.Lateral) else item
    if isinstance(fn, exp.ExplodingGenerateSeries | exp.GenerateSeries):
        args = [fn.args[k] for k in ("start", "end", "step") if fn.args.get(k) is not None]
        return TableCall("generate_series", args, alias, ordinality)
    if isinstance(fn, exp.Unnest):
        offset = fn.args.get("offset")
        alias = alias or fn.args.get("alias")
        name = offset.name if isinstance(offset, exp.Identifier) else None
        return TableCall("unnest", list(fn.expressions), alias, ordinality or bool(offset),
                         name)
    if isinstance(fn, exp.Anonymous) and str(fn.name).lower() in TABLE_FUNCS:
        return TableCall(str(fn.name).lower(), list(fn.expressions), alias, ordinality)
    return None


def output_names(call: TableCall, columns: Sequence[Column],
                 ident: Callable[[exp.Expr], str]) -> tuple[str, list[str]]:
    """(table name, column names) of a call's output, the ordinality column included."""
    f = TABLE_FUNCS[call.name]
    names = [c.name for c in columns]
    if call.ordinality:
        names.append("ordinality")
    table = call.name
    if call.alias is not None and call.alias.this:
        table = ident(call.alias.this)
        if len(columns) == 1 and not f.named_columns:
            names[0] = table
    given = [ident(c) for c in call.alias.columns] if call.alias is not None else []
    if call.ordinality_name is not None:
        given.append(call.ordinality_name)
    if len(given) > len(names):
        raise errors.PymzError(f'table "{table}" has {len(names)} columns available but '
                               f"{len(given)} columns specified", sqlstate="42P10")
    names[:len(given)] = given
    return table, names


# --- generate_series --------------------------------------------------------------------------

_TEMPORAL = (T.DATE, T.TIMESTAMP, T.TIMESTAMPTZ)
_INTEGRAL = (T.INT2, T.INT4, T.INT8, T.NUMERIC, T.UNKNOWN)


def _plan_series(name: str, args: Sequence[ArgT]) -> Planned:
    types = [t for _, t in args]
    if len(args) not in (2, 3) or any(t.is_array for t in types):
        raise _undefined(name, args)
    scal = [t.scalar for t in types]
    if any(s in _TEMPORAL for s in scal[:2]) or (len(scal) == 3 and scal[2] == T.INTERVAL):
        if len(scal) != 3 or scal[2] not in (T.INTERVAL, T.UNKNOWN) or any(
                s not in (*_TEMPORAL, T.UNKNOWN) for s in scal[:2]):
            raise _undefined(name, args)
        bounds = set(scal[:2])
        t = T.TIMESTAMP if T.TIMESTAMP in bounds and T.TIMESTAMPTZ not in bounds and \
            T.DATE not in bounds else T.TIMESTAMPTZ
        planned: tuple[ScalarExpr, ...] = (
            coerce(args[0][0], types[0], t), coerce(args[1][0], types[1], t),
            coerce(args[2][0], types[2], T.INTERVAL))
    else:
        if any(s not in _INTEGRAL for s in scal):
            raise _undefined(name, args)
        t = T.NUMERIC if T.NUMERIC in scal else T.INT8 if T.INT8 in scal else T.INT4
        planned = tuple(coerce(e, et, t) for e, et in args)
    return planned, (Column(name, t, nullable=False),)


def _zero_step() -> errors.PymzError:
    return errors.InvalidParameterValue("step size cannot equal zero")


def _numeric_series(start: Decimal, stop: Decimal, step: Decimal) -> Iterator[Row]:
    for v, what in ((start, "start value"), (stop, "stop value"), (step, "step size")):
        if v.is_nan():
            raise errors.InvalidParameterValue(f"{what} cannot be NaN")
        if v.is_infinite():
            raise errors.InvalidParameterValue(f"{what} cannot be infinity")
    if step == 0:
        raise _zero_step()
    cur = start
    while (cur <= stop) if step > 0 else (cur >= stop):
        yield (cur,)
        cur += step


def _span(iv: Interval) -> int:
    """An interval's length for ordering (PostgreSQL: a month is 30 days)."""
    return (iv.months * 30 + iv.days) * 86_400_000_000 + iv.microseconds


_MONTH_DAYS = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def _plus(t: dt.datetime, iv: Interval) -> dt.datetime:
    """``t + iv`` as PostgreSQL adds: months (clamping the day), then days, then time."""
    months = t.month - 1 + iv.months
    year, month = t.year + months // 12, months % 12 + 1
    last = _MONTH_DAYS[month - 1] + (month == 2 and calendar.isleap(year))
    t = t.replace(year=year, month=month, day=min(t.day, last))
    return t + dt.timedelta(days=iv.days, microseconds=iv.microseconds)


def _time_series(start: dt.datetime, stop: dt.datetime, step: Interval) -> Iterator[Row]:
    span = _span(step)
    if span == 0:
        raise _zero_step()
    cur = start
    while (cur <= stop) if span > 0 else (cur >= stop):
        yield (cur,)
        try:
            cur = _plus(cur, step)
        except (OverflowError, ValueError):
            return  # past year 9999 (or before year 1): beyond any stop value there is


def _series(args: Sequence[object]) -> Iterable[Row]:
    start, stop = args[0], args[1]
    if isinstance(start, dt.datetime):
        assert isinstance(stop, dt.datetime) and isinstance(args[2], Interval)
        return _time_series(start, stop, args[2])
    if isinstance(start, Decimal) or isinstance(stop, Decimal):
        step = args[2] if len(args) > 2 else Decimal(1)
        return _numeric_series(Decimal(start), Decimal(stop), Decimal(step))  # type: ignore[arg-type]
    step_i = args[2] if len(args) > 2 else 1
    assert isinstance(start, int) and isinstance(stop, int) and isinstance(step_i, int)
    if step_i == 0:
        raise _zero_step()
    return ((v,) for v in range(start, stop + (1 if step_i > 0 else -1), step_i))


_register(TableFunc("generate_series", _plan_series, _series))


# --- arrays -----------------------------------------------------------------------------------


def _plan_unnest(name: str, args: Sequence[ArgT]) -> Planned:
    if not args:
        raise _undefined(name, args)
    for _, t in args:
        if t.scalar == T.UNKNOWN and not t.is_array:
            raise errors.PymzError(f"function {name}(unknown) is not unique",
                                   sqlstate="42725")
        if not t.is_array:
            raise _undefined(name, args)
    return tuple(e for e, _ in args), tuple(Column(name, t.scalar) for _, t in args)


def _unnest(args: Sequence[object]) -> Iterable[Row]:
    arrays = [() if a is None else a for a in args]
    return itertools.zip_longest(*arrays)  # type: ignore[call-overload, no-any-return]


def _plan_subscripts(name: str, args: Sequence[ArgT]) -> Planned:
    if len(args) not in (2, 3) or not args[0][1].is_array:
        raise _undefined(name, args)
    dim = coerce(args[1][0], args[1][1], T.INT4, what=f"argument of {name}")
    rest = [coerce(args[2][0], args[2][1], T.BOOL)] if len(args) == 3 else []
    return (args[0][0], dim, *rest), (Column(name, T.INT4, nullable=False),)


def _subscripts(args: Sequence[object]) -> Iterable[Row]:
    arr, dim = args[0], args[1]
    assert isinstance(arr, tuple | list)
    if dim != 1 or not arr:
        return ()
    idx = range(len(arr), 0, -1) if len(args) > 2 and args[2] else range(1, len(arr) + 1)
    return ((i,) for i in idx)


_register(TableFunc("unnest", _plan_unnest, _unnest, strict=False))
_register(TableFunc("generate_subscripts", _plan_subscripts, _subscripts))


# --- jsonb ------------------------------------------------------------------------------------


def _one_jsonb(name: str, args: Sequence[ArgT]) -> ScalarExpr:
    if len(args) != 1:
        raise _undefined(name, args)
    e, t = args[0]
    if t.scalar == T.UNKNOWN and not t.is_array:
        return jsonb_literal(e)[0]
    if t.scalar != T.JSONB or t.is_array:
        raise _undefined(name, args)
    return e


def _jsonb_planner(*columns: tuple[str, ScalarType, bool]) -> Callable[[str, Sequence[ArgT]],
                                                                       Planned]:
    def run(name: str, args: Sequence[ArgT]) -> Planned:
        cols = tuple(Column(n, t, nullable) for n, t, nullable in columns)
        if len(cols) == 1 and cols[0].name == "":
            cols = (Column(name, cols[0].type, cols[0].nullable),)
        return (_one_jsonb(name, args),), cols
    return run


def _elements(as_text: bool) -> Callable[[Sequence[object]], Iterable[Row]]:
    def run(args: Sequence[object]) -> Iterable[Row]:
        v = jv.load(args[0])
        if not isinstance(v, list):
            raise jv.bad("cannot extract elements from "
                         + ("an object" if isinstance(v, dict) else "a scalar"))
        return ((jv.as_text(x) if as_text else jv.dump(x),) for x in v)
    return run


def _each(name: str, as_text: bool) -> Callable[[Sequence[object]], Iterable[Row]]:
    def run(args: Sequence[object]) -> Iterable[Row]:
        v = jv.load(args[0])
        if not isinstance(v, dict):
            raise jv.bad(f"cannot call {name} on a non-object")
        return ((k, jv.as_text(x) if as_text else jv.dump(x)) for k, x in jv.storage_items(v))
    return run


def _keys(args: Sequence[object]) -> Iterable[Row]:
    v = jv.load(args[0])
    if not isinstance(v, dict):
        raise jv.bad(f"cannot call jsonb_object_keys on {jv.scalar_kind_name(v)}")
    return ((k,) for k, _ in jv.storage_items(v))


_register(TableFunc("jsonb_array_elements", _jsonb_planner(("value", T.JSONB, True)),
                    _elements(False), named_columns=True))
_register(TableFunc("jsonb_array_elements_text", _jsonb_planner(("value", T.TEXT, True)),
                    _elements(True), named_columns=True))
_register(TableFunc("jsonb_each", _jsonb_planner(("key", T.TEXT, False),
                                                 ("value", T.JSONB, True)),
                    _each("jsonb_each", False), named_columns=True))
_register(TableFunc("jsonb_each_text", _jsonb_planner(("key", T.TEXT, False),
                                                      ("value", T.TEXT, True)),
                    _each("jsonb_each_text", True), named_columns=True))
_register(TableFunc("jsonb_object_keys", _jsonb_planner(("", T.TEXT, False)), _keys))


# --- regexp_split_to_table --------------------------------------------------------------------

def regexp_split(text: str, pattern: str, flags: str) -> list[str]:
    """Split on the matches of a PostgreSQL regular expression, ignoring zero-length matches
    at either end of the string or right after the previous match ("degenerate" ones)."""
    opts, _ = parse_flags(flags, "regexp_split_to_table")
    rx = compile_are(pattern, opts)
    pieces: list[str] = []
    prev = 0
    for m in matches(rx, text):
        if m.start() < len(text) and m.end() > prev:
            pieces.append(text[prev:m.start()])
            prev = m.end()
    pieces.append(text[prev:])
    return pieces


def _plan_split(name: str, args: Sequence[ArgT]) -> Planned:
    if len(args) not in (2, 3) or any(t.is_array or (
            t.scalar not in TEXT_TYPES and t.scalar != T.UNKNOWN) for _, t in args):
        raise _undefined(name, args)
    return tuple(coerce(e, t, T.TEXT) for e, t in args), (Column(name, T.TEXT, nullable=False),)


def _split(args: Sequence[object]) -> Iterable[Row]:
    flags = str(args[2]) if len(args) > 2 else ""
    return ((p,) for p in regexp_split(str(args[0]), str(args[1]), flags))


_register(TableFunc("regexp_split_to_table", _plan_split, _split))


__all__ = ["OUTER", "TABLE_FUNCS", "TableCall", "TableFunc", "expand", "known", "output_names",
           "plan", "table_call"]
