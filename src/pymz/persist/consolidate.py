"""Consolidation of ``(row, time, diff)`` updates: the Z-set normal form.

Guarantee: the result has at most one entry per ``(row, time)``, no zero diffs, and is sorted
by time (then insertion order of rows), so equal inputs give equal outputs.
"""

from __future__ import annotations

from collections.abc import Iterable

Row = tuple[object, ...]
Update = tuple[Row, int, int]


def _hashable(value: object) -> object:
    # Arrays are lists; compare them by value (tagged so a list never equals a tuple row).
    if isinstance(value, list):
        return ("__array__", *(_hashable(v) for v in value))
    return value


def _key(row: Row) -> object:
    if any(isinstance(v, list) for v in row):
        return tuple(_hashable(v) for v in row)
    return row


def consolidate(updates: Iterable[Update]) -> list[Update]:
    """Sum diffs per ``(row, time)`` and drop the zeros."""
    rows: dict[tuple[object, int], Row] = {}
    diffs: dict[tuple[object, int], int] = {}
    for row, time, diff in updates:
        key = (_key(row), time)
        rows.setdefault(key, row)
        diffs[key] = diffs.get(key, 0) + diff
    out = [(rows[key], key[1], diff) for key, diff in diffs.items() if diff != 0]
    out.sort(key=lambda u: u[1])
    return out


def advance_time(time: int, since: int) -> int:
    """Forward a time to ``since``: times before it become indistinguishable."""
    return since if time < since else time


def consolidate_at(updates: Iterable[Update], as_of: int) -> list[Update]:
    """Advance every time to ``as_of`` and consolidate: a snapshot's contents."""
    return consolidate((row, advance_time(t, as_of), d) for row, t, d in updates)
