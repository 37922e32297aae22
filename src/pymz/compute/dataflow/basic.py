"""A generic per-key ("basic") reduction: recompute one group from its value multiset.

For aggregates that are neither accumulable nor a min/max (string_agg, array_agg,
jsonb_agg, ...), and (``GroupMap``) for window functions, whose output is a set of rows per
partition. Each group keeps a multiset of its rows; a time's changes recompute only
the groups they touch, costing the size of those groups (never the whole state), as top-k.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any

from pymz.compute.dataflow.graph import Operator
from pymz.compute.dataflow.reduce import _TimeOrdered, show_group
from pymz.errors import PymzError

Row = tuple[Any, ...]
# Given one group's rows with (positive) multiplicities, its output rows (with repeats).
GroupRowsFn = Callable[[list[tuple[Row, int]]], list[Row]]


class GroupMap(_TimeOrdered):
    """Per group of ``key``: output ``fn(group rows)`` — any number of rows of ``arity``
    columns (window functions). A changed group is recomputed from its multiset (the cost
    of the group) and the difference to its previous output emitted. An error raised by
    ``fn`` (a PymzError) is reported into ``errs`` while the group stays in that state, and
    the group then outputs nothing."""

    name = "group_map"

    def __init__(self, src: Operator, key: Sequence[int], fn: GroupRowsFn, arity: int, *,
                 what: str = "window") -> None:
        super().__init__(src, arity)
        self.key = tuple(key)
        self.fn = fn
        self.what = what
        self.groups: dict[Row, Counter[Row]] = {}
        self.shown: dict[Row, Counter[Row]] = {}
        self.failed: dict[Row, PymzError] = {}

    def handle(self, t: int, rows: list[Row], diffs: list[int]) -> list[tuple[Row, int]]:
        was_negative: dict[Row, bool] = {}
        for r, d in zip(rows, diffs, strict=True):
            k = tuple([r[i] for i in self.key])
            g = self.groups.get(k)
            if g is None:
                g = self.groups[k] = Counter()
            if k not in was_negative:
                was_negative[k] = any(m < 0 for m in g.values())
            m = g[r] + d
            if m:
                g[r] = m
            else:
                del g[r]
        out: list[tuple[Row, int]] = []
        for k, was in was_negative.items():
            g = self.groups.get(k, Counter())
            neg = any(m < 0 for m in g.values())
            self.negative(t, self.what, was=was, now=neg)
            new: Counter[Row] = Counter()
            error: PymzError | None = None
            if g and not neg:
                try:
                    new = Counter(self.fn(list(g.items())))
                except PymzError as e:
                    error = e
            old_error = self.failed.pop(k, None)
            if old_error is not None:
                self.df.report([(old_error, t, -1)])
            if error is not None:
                self.failed[k] = error
                self.df.report([(error, t, 1)])
            show_group(self.shown, k, new, out)
            if not g:
                self.groups.pop(k, None)
        return out


# Given one group's rows with (positive) multiplicities, the aggregate values.
GroupFn = Callable[[list[tuple[Row, int]]], Sequence[Any]]


class BasicReduce(GroupMap):
    """GROUP BY ``key``; output ``key columns + fn(group rows)`` (``naggs`` values): a
    :class:`GroupMap` with one output row per group.

    A group exists while its row count is positive. A group with a negative multiplicity is
    reported into ``errs`` (XX000) while negative, and produces no output.
    """

    name = "basic_reduce"

    def __init__(self, src: Operator, key: Sequence[int], fn: GroupFn, naggs: int) -> None:
        cols = tuple(key)

        def one_row(rows: list[tuple[Row, int]]) -> list[Row]:
            k = tuple(rows[0][0][i] for i in cols)
            return [(*k, *fn(rows))]

        super().__init__(src, cols, one_row, len(cols) + naggs, what="reduce")
