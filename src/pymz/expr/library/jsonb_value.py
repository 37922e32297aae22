"""The jsonb value model shared by the jsonb functions, operators and table functions.

Inside the engine a jsonb value is its canonical text (:func:`pymz.repr.textfmt.canonical_json`:
keys ordered by length then bytes, numbers keeping their exact decimal text). Functions parse
it with :func:`load` into Python data (dict / list / str / int / Decimal / bool / None) and
serialise results with :func:`dump`. Booleans are kept apart from numbers everywhere
(``true`` never equals ``1``).

Guarantees (PostgreSQL 15): jsonb's total order (:func:`compare`: object > array > boolean >
number > string > null, containers first by size, a top-level empty array below every
scalar), containment ``@>`` (:func:`contains`, including the top-level "an array contains a
bare scalar" rule), key existence ``?`` and the path lookups of ``#>`` and jsonb subscripts
(:func:`get_path`, where array steps must be integers and a top-level scalar has no
elements). Departs from PostgreSQL: numbers with more than 4300 integer digits are rejected
(Python's integer parsing limit).

Also holds :func:`register`, which the jsonb and array modules use for implementations that
only operators or planner code reach (no SQL-callable name).
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from pymz import errors
from pymz.expr.funcs import FUNCS, FuncDef, Impl
from pymz.repr import textfmt

Json = Any  # None | bool | int | Decimal | str | list[Json] | dict[str, Json]

# PostgreSQL's jsonb type order: null < string < number < boolean < array < object.
_NULL, _STRING, _NUMBER, _BOOL, _ARRAY, _OBJECT = range(6)
TYPEOF = ("null", "string", "number", "boolean", "array", "object")
# The names jsonb's cast errors use ("cannot cast jsonb numeric to type integer").
CAST_NAMES = ("null", "string", "numeric", "boolean", "array", "object")
_INDEX = re.compile(r"\s*[+-]?[0-9]+")


def load(s: object) -> Json:
    """The data of an engine jsonb value (canonical text, so no validation is needed)."""
    assert isinstance(s, str)
    return json.loads(s, parse_float=Decimal)


def dump(v: Json) -> str:
    return textfmt.canonical_json(v)


def parse(text: str) -> str:
    """``text::jsonb``: validate and canonicalise (22P02 on bad input)."""
    return textfmt.jsonb_in(text)


def kind(v: Json) -> int:
    if v is None:
        return _NULL
    if isinstance(v, bool):
        return _BOOL
    if isinstance(v, str):
        return _STRING
    if isinstance(v, int | Decimal):
        return _NUMBER
    if isinstance(v, list):
        return _ARRAY
    return _OBJECT


def is_container(v: Json) -> bool:
    return isinstance(v, list | dict)


def typeof(v: Json) -> str:
    return TYPEOF[kind(v)]


def as_text(v: Json) -> str | None:
    """``->>``'s result: strings unquoted, JSON null as SQL NULL, the rest as jsonb text."""
    if v is None:
        return None
    if isinstance(v, str):
        return v
    return dump(v)


def storage_items(obj: dict[str, Json]) -> list[tuple[str, Json]]:
    """An object's pairs in jsonb's storage order (shorter keys first, then bytes)."""
    return sorted(obj.items(), key=lambda kv: (len(kv[0].encode()), kv[0].encode()))


def array_index(text: str) -> int | None:
    """A path step used on an array: an integer as C's strtol reads it, else None."""
    if not _INDEX.fullmatch(text):
        return None
    v = int(text)
    return v if -(2**31) <= v < 2**31 else None


def element(arr: Sequence[Json], i: int) -> tuple[bool, Json]:
    """(found, value) of element ``i`` (negative counts from the end)."""
    if i < 0:
        i += len(arr)
    if 0 <= i < len(arr):
        return True, arr[i]
    return False, None


def get_path(v: Json, path: Sequence[str | None]) -> tuple[bool, Json]:
    """(found, value) at ``path`` as ``#>`` looks it up: object keys, array indexes (must be
    integers), nothing below a scalar; a NULL step finds nothing."""
    cur = v
    for step in path:
        if step is None:
            return False, None
        if isinstance(cur, dict):
            if step not in cur:
                return False, None
            cur = cur[step]
        elif isinstance(cur, list):
            i = array_index(step)
            if i is None:
                return False, None
            found, cur = element(cur, i)
            if not found:
                return False, None
        else:
            return False, None
    return True, cur


# --- comparison -----------------------------------------------------------------------------


def _sign(x: int) -> int:
    return (x > 0) - (x < 0)


def _cmp_scalar(a: Json, b: Json) -> int:
    # Strings by code point (the C collation), numbers by value, false < true.
    if a is None:
        return 0
    return int(a > b) - int(a < b)


def _cmp(a: Json, b: Json) -> int:
    ka, kb = kind(a), kind(b)
    if ka != kb:
        return _sign(ka - kb)
    if ka == _ARRAY:
        if len(a) != len(b):
            return _sign(len(a) - len(b))
        for x, y in zip(a, b, strict=True):
            c = _cmp(x, y)
            if c:
                return c
        return 0
    if ka == _OBJECT:
        if len(a) != len(b):
            return _sign(len(a) - len(b))
        for (k1, v1), (k2, v2) in zip(storage_items(a), storage_items(b), strict=True):
            c = (k1 > k2) - (k1 < k2)
            if c:
                return c
            c = _cmp(v1, v2)
            if c:
                return c
        return 0
    return _cmp_scalar(a, b)


def compare(a: Json, b: Json) -> int:
    """jsonb's btree order (-1, 0, 1). A top-level scalar is stored as a one-element "raw
    scalar" array: it sorts below arrays of one or more elements and above the empty one."""
    sa, sb = not is_container(a), not is_container(b)
    if sa != sb and not isinstance(a, dict) and not isinstance(b, dict):
        # A raw scalar against an array: decided by the element count, then rawness.
        la = 1 if sa else len(a)
        lb = 1 if sb else len(b)
        if la != lb:
            return 1 if la > lb else -1
        return -1 if sa else 1
    return _cmp(a, b)


@functools.total_ordering
class SortKey:
    """A Python sort key giving jsonb values (canonical text) jsonb's order, for ORDER BY,
    min/max and TopK over jsonb columns."""

    __slots__ = ("value",)

    def __init__(self, text: str) -> None:
        self.value = load(text)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, SortKey) and compare(self.value, other.value) == 0

    def __lt__(self, other: SortKey) -> bool:
        return compare(self.value, other.value) < 0

    __hash__ = None  # type: ignore[assignment]  # equal keys may differ in text (1.0, 1)


def equal(a: Json, b: Json) -> bool:
    return compare(a, b) == 0


# --- containment and existence --------------------------------------------------------------


def _scalar_eq(a: Json, b: Json) -> bool:
    return kind(a) == kind(b) and a == b


def _array_contains(a: Sequence[Json], b: Sequence[Json]) -> bool:
    scalars = [x for x in a if not is_container(x)]
    containers = [x for x in a if is_container(x)]
    for want in b:
        if is_container(want):
            if not any(_contains(have, want) for have in containers):
                return False
        elif not any(_scalar_eq(have, want) for have in scalars):
            return False
    return True


def _contains(a: Json, b: Json) -> bool:
    if isinstance(a, dict) and isinstance(b, dict):
        for k, want in b.items():
            if k not in a:
                return False
            have = a[k]
            if kind(have) != kind(want):
                return False
            if is_container(want):
                if not _contains(have, want):
                    return False
            elif have != want:
                return False
        return True
    if isinstance(a, list) and isinstance(b, list):
        return _array_contains(a, b)
    return False


def contains(a: Json, b: Json) -> bool:
    """``a @> b``. At the top level a scalar is a one-element array, so ``'["a"]' @> '"a"'``
    holds but not the converse."""
    sa, sb = not is_container(a), not is_container(b)
    if sa or sb:
        if isinstance(a, dict) or isinstance(b, dict) or (sa and not sb):
            return False
        return _array_contains([a] if sa else a, [b] if sb else b)
    return _contains(a, b)


def exists(v: Json, key: str) -> bool:
    """``v ? key``: an object key, or a string element of a top-level array (or scalar)."""
    if isinstance(v, dict):
        return key in v
    if isinstance(v, list):
        return any(isinstance(x, str) and x == key for x in v)
    return isinstance(v, str) and v == key


# --- errors -----------------------------------------------------------------------------------


def bad(msg: str) -> errors.PymzError:
    return errors.InvalidParameterValue(msg)


def scalar_kind_name(v: Json) -> str:
    """How PostgreSQL's messages call a non-object, non-array root."""
    return "a scalar" if not is_container(v) else ("an array" if isinstance(v, list)
                                                   else "an object")


def register(key: str, impl: Impl, **funcdef: object) -> None:
    """Add an implementation to FUNCS under ``key`` without a SQL-callable name."""
    existing = FUNCS.get(key)
    if existing is not None and existing.impl is not impl:
        raise ValueError(f"implementation {key!r} is already registered")
    FUNCS[key] = FuncDef(key, impl, **funcdef)  # type: ignore[arg-type]
