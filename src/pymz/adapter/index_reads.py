"""Which reads of a query an index can answer, and by which keys.

A SELECT that reads an object with an index on the session's cluster reads that index's
arrangement instead of persist (a view with such an index is not inlined). When the query
reads exactly one relation, once, and its WHERE clause fixes every index key column to a
literal or parameter (``k = 5``, ``k IN (1, 2)``, conjunctions of those), the replica looks
those keys up in the arrangement instead of reading every row; the full query still runs
over the rows found, so the lookup only has to return a superset of the matching rows.

Guarantees: a lookup is only planned when its key values have exactly the Python type the
arrangement stores for the column (integers for integer columns, strings for text and
varchar), so a lookup never misses a row the WHERE clause would keep. Not handled (the whole
index is read instead): expressions on key columns, casts, OR, ranges, other types.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Sequence

import sqlglot
from sqlglot import exp

from pymz.repr.types import Column, ScalarType

Row = tuple[object, ...]

_INT_TYPES = frozenset({ScalarType.INT2, ScalarType.INT4, ScalarType.INT8})
_TEXT_TYPES = frozenset({ScalarType.TEXT, ScalarType.VARCHAR})
# More key combinations than this read the whole index instead.
MAX_LOOKUP_KEYS = 1024


_NO = object()  # "not a usable key value"


def _value(node: exp.Expr, col: Column, params: Sequence[object | None]) -> object:
    """The key value ``node`` denotes for ``col``, or ``_NO`` when it is not a plain literal
    or parameter of the stored type."""
    if col.is_array:
        return _NO
    sign = 1
    if isinstance(node, exp.Neg):
        node, sign = node.this, -1
    if isinstance(node, exp.Parameter) and sign == 1:
        try:
            v = params[int(node.name) - 1]
        except (ValueError, IndexError):
            return _NO
        ok = (type(v) is int and col.type in _INT_TYPES) or (
            type(v) is str and col.type in _TEXT_TYPES)
        return v if ok else _NO
    if not isinstance(node, exp.Literal):
        return _NO
    if node.is_string:
        return node.this if col.type in _TEXT_TYPES and sign == 1 else _NO
    if col.type in _INT_TYPES and node.this.isascii() and node.this.isdigit():
        return sign * int(node.this)
    return _NO



def _ident(node: exp.Expr) -> str:
    """An identifier as PostgreSQL resolves it: unquoted names fold to lower case."""
    ident = node.this if isinstance(node, exp.Column | exp.Table) else node
    if isinstance(ident, exp.Identifier):
        return str(ident.this) if ident.quoted else str(ident.this).lower()
    return node.name.lower()


def _conjuncts(e: exp.Expr) -> list[exp.Expr]:
    if isinstance(e, exp.And):
        return _conjuncts(e.this) + _conjuncts(e.expression)
    if isinstance(e, exp.Paren):
        return _conjuncts(e.this)
    return [e]


@functools.lru_cache(maxsize=512)
def _parsed(sql: str) -> exp.Expr | None:
    """The statement's syntax tree (cached: the same query text runs again and again; callers
    only read the tree)."""
    try:
        return sqlglot.parse_one(sql, read="postgres")
    except sqlglot.errors.ParseError:
        return None


def lookup_keys(sql: str, relation: str, key: Sequence[Column],
                params: Sequence[object | None] = ()) -> tuple[Row, ...] | None:
    """The index keys (tuples in ``key`` order) that bound ``sql``'s only read, of the
    relation named ``relation``; None when the query does not pin every key column."""
    if not key:
        return None
    tree = _parsed(sql)
    if tree is None:
        return None
    if not isinstance(tree, exp.Select) or tree.args.get("joins"):
        return None
    tables = list(tree.find_all(exp.Table))
    if len(tables) != 1 or _ident(tables[0]) != relation or tree.args.get("with_") \
            or tree.args.get("with"):
        return None
    alias = tables[0].args.get("alias")
    names = {relation, _ident(alias.this) if alias is not None else relation}
    where = tree.args.get("where")
    if where is None:
        return None
    by_name = {c.name: i for i, c in enumerate(key)}
    choices: list[list[object] | None] = [None] * len(key)
    for conj in _conjuncts(where.this):
        if isinstance(conj, exp.EQ):
            sides = [(conj.this, [conj.expression]), (conj.expression, [conj.this])]
        elif isinstance(conj, exp.In) and not conj.args.get("query"):
            sides = [(conj.this, list(conj.expressions))]
        else:
            continue
        for colref, values in sides:
            if not isinstance(colref, exp.Column) or _ident(colref) not in by_name:
                continue
            qualifier = colref.args.get("table")
            if qualifier is not None and _ident(qualifier) not in names:
                continue
            i = by_name[_ident(colref)]
            vals = [_value(v, key[i], params) for v in values]
            if not vals or any(v is _NO for v in vals):
                continue
            # Two conditions on one column: the keys satisfying both.
            prev = choices[i]
            choices[i] = vals if prev is None else [v for v in prev if v in vals]
            break
    if any(c is None for c in choices):
        return None
    combos = 1
    for c in choices:
        assert c is not None
        combos *= len(set(c))
    if combos > MAX_LOOKUP_KEYS:
        return None
    lists = [list(dict.fromkeys(c)) for c in choices if c is not None]
    return tuple(itertools.product(*lists))
