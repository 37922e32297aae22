"""Top-k: per group, the rows ranked ``offset`` .. ``offset + limit`` in a sort order.

Each group keeps its distinct live rows in two tiers: a sorted *head* holding a prefix of
the group's order a little longer than ``offset + limit``, and a heap (with lazy deletion)
holding the rest. Output only ever reads the head. A change costs O(log group) with the
heap's C-level comparisons, never a scan of the group: an inserted row beyond the head goes
onto the heap; a deleted row outside the head only updates counts; the head is refilled
from the heap when deletions shrink it below what the output needs. The heap is rebuilt
when its stale entries outnumber its live ones (amortised O(1) per deletion).

Without a limit every row is in the head (the output is all rows past ``offset``).

Sort entries (flat tuples Python compares natively) are built column by column for a batch
without NULLs or arrays — numpy negates descending numbers — and row by row otherwise.
"""

from __future__ import annotations

import heapq
import itertools
import operator
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import numpy as np
from sortedcontainers import SortedList  # type: ignore[import-untyped]

from pymz.compute.dataflow.batch import Batch, Col
from pymz.compute.dataflow.graph import Operator, StateDict
from pymz.compute.dataflow.reduce import _Rev, _TimeOrdered, show_group

Row = tuple[Any, ...]
Entry = tuple[Any, ...]


@dataclass(frozen=True, slots=True)
class Order:
    """Sort on column ``col``; PostgreSQL defaults: NULLs last ascending, first descending."""

    col: int
    desc: bool = False
    nulls_last: bool | None = None


_NEGATABLE = (int, float, Decimal)


def _tiebreak(row: Row) -> tuple[Any, ...]:
    """Among rows with equal sort keys, a total order (equal tiebreaks mean equal rows): rows
    without NULLs or arrays compare as themselves and come first; the others compare with
    NULLs ranked and arrays by repr (their NULL elements do not compare with values)."""
    if None not in row and tuple not in map(type, row):
        return (0, row)
    return (1, tuple((True, 0) if v is None else (False, repr(v)) if isinstance(v, tuple)
                     else (False, v) for v in row), row)


def sort_entry(row: Row, order: tuple[Order, ...]) -> Entry:
    """``row``'s place in a TopK's output order as a flat tuple Python compares natively:
    per order column its null rank and value (or the value's reverse), then the tiebreak
    (whose last element is the row itself). Descending numbers are negated; other
    descending values are wrapped in :class:`_Rev`."""
    parts: list[Any] = []
    for o in order:
        v = row[o.col]
        if v is None:
            nulls_last = o.nulls_last if o.nulls_last is not None else not o.desc
            parts += (1 if nulls_last else -1, 0)
        elif isinstance(v, tuple):
            # Arrays: NULL elements do not compare with values; rank them last.
            key = tuple((1, 0) if x is None else (0, x) for x in v)
            parts += (0, _Rev(key) if o.desc else key)
        elif not o.desc:
            parts += (0, v)
        elif isinstance(v, _NEGATABLE):
            parts += (0, -v)
        else:
            parts += (0, _Rev(v))
    parts.append(_tiebreak(row))
    return tuple(parts)


_INT64_MIN = np.iinfo(np.int64).min
_UNCLEAN = frozenset({type(None), tuple})


def _clean(col: Col) -> bool:
    """Whether ``col`` holds neither NULLs nor arrays (native columns never do)."""
    return col.dtype != object or _UNCLEAN.isdisjoint(set(map(type, col.tolist())))


def _sort_values(col: Col, desc: bool) -> list[Any]:
    """One order column of a clean batch as :func:`sort_entry` places it: values ascending,
    negated numbers or reversing wrappers descending."""
    if not desc:
        return col.tolist()  # type: ignore[no-any-return]
    if col.dtype in (np.float64, np.bool_) or (
            col.dtype == np.int64 and not bool((col == _INT64_MIN).any())):
        return (-col.astype(np.int64) if col.dtype == np.bool_ else -col).tolist()  # type: ignore[no-any-return]
    return [-v if isinstance(v, _NEGATABLE) else _Rev(v) for v in col.tolist()]


def batch_entries(b: Batch, rows: list[Row], order: tuple[Order, ...]) -> list[Entry] | None:
    """:func:`sort_entry` of every row of ``b``, built column by column, when no column
    holds a NULL or an array (else None: the per-row function decides case by case)."""
    if not all(_clean(c) for c in b.cols):
        return None
    zero = itertools.repeat(0)
    parts: list[Iterable[Any]] = []
    for o in order:
        parts += (zero, _sort_values(b.cols[o.col], o.desc))
    parts.append(zip(zero, rows, strict=False))
    return list(zip(*parts, strict=False))


def _row_of(entry: Entry) -> Row:
    row: Row = entry[-1][-1]
    return row


class _RankedGroup:
    """One group: multiplicities of its rows, and its distinct live rows in order (a sorted
    head that is a prefix of the order, the rest on a lazily-deleted heap).

    ``last`` caches the head's last entry (None: recompute): most changes land beyond the
    head and compare against it without touching the sorted list."""

    __slots__ = ("counts", "head", "in_head", "last", "rest", "rest_live")

    def __init__(self) -> None:
        # Not a Counter (its __delitem__ is Python code), not an exact dict (see StateDict).
        self.counts: dict[Row, int] = StateDict()
        self.head = SortedList()
        self.in_head: dict[Row, Entry] = {}
        self.last: Entry | None = None
        self.rest: list[Entry] = []
        self.rest_live = 0  # distinct live rows on the heap (the heap may hold stale ones)

    def add(self, row: Row, entry: Entry, cap: int | None) -> None:
        """``row`` became live. It joins the head when it sorts before the head's last
        entry or nothing is outside the head; the head then sheds its last beyond ``cap``."""
        if cap is not None and self.rest_live:
            last = self.last
            if last is None and self.head:
                last = self.last = self.head[-1]
            if last is None or not entry < last:
                heapq.heappush(self.rest, entry)
                self.rest_live += 1
                return
        head = self.head
        head.add(entry)
        self.in_head[row] = entry
        self.last = None
        if cap is not None and len(head) > cap:
            shed = head.pop()
            del self.in_head[_row_of(shed)]
            heapq.heappush(self.rest, shed)
            self.rest_live += 1

    def discard(self, row: Row) -> None:
        """``row`` is no longer live; outside the head its heap entry goes stale."""
        entry = self.in_head.pop(row, None)
        if entry is not None:
            self.head.remove(entry)
            self.last = None
            return
        self.rest_live -= 1
        if len(self.rest) > 2 * self.rest_live + 32:
            # Keep each live row's newest-built entry once; stale ones go.
            counts, in_head = self.counts, self.in_head
            live: dict[Row, Entry] = {}
            for e in self.rest:
                r = _row_of(e)
                if r in counts and r not in in_head:
                    live[r] = e
            self.rest = list(live.values())
            heapq.heapify(self.rest)

    def refill(self, target: int) -> None:
        """Move the least rows from the heap into the head until it holds ``target``."""
        head, rest, counts, in_head = self.head, self.rest, self.counts, self.in_head
        while len(head) < target and self.rest_live > 0:
            entry = heapq.heappop(rest)
            row = _row_of(entry)
            if row in in_head or row not in counts:
                continue  # stale: deleted, or a duplicate of a row already moved
            head.add(entry)
            in_head[row] = entry
            self.last = None
            self.rest_live -= 1


class TopK(_TimeOrdered):
    """Per group of ``group_key``: rows ordered by ``order``, skip ``offset``, keep ``limit``."""

    name = "top_k"

    def __init__(self, src: Operator, group_key: Sequence[int], order: Sequence[Order],
                 limit: int | None, offset: int = 0) -> None:
        super().__init__(src, src.arity)
        self.key = tuple(group_key)
        # Groups are keyed internally by this (a bare value for a one-column key).
        self.group_of: Callable[[Row], Any] = (
            operator.itemgetter(*self.key) if self.key else lambda _row: ())
        self.order = tuple(order)
        self.limit, self.offset = limit, offset
        self.groups: dict[Any, _RankedGroup] = {}
        self.shown: dict[Any, Counter[Row]] = {}
        # Per group, how many of its rows have a negative multiplicity (an error while > 0).
        self.negatives: dict[Any, int] = {}
        need = None if limit is None else offset + limit
        # The head is refilled to ``fill`` rows when it falls below ``need`` and sheds rows
        # beyond ``cap``: room for several deletions of top rows between refills.
        self.need = need
        self.fill = None if need is None else need + max(need, 8)
        self.cap = None if self.fill is None else 2 * self.fill

    def _entry(self, row: Row) -> Entry:
        return sort_entry(row, self.order)

    def _top(self, group: _RankedGroup) -> Counter[Row]:
        end = None if self.limit is None else self.offset + self.limit
        counts = group.counts
        while True:
            out: Counter[Row] = Counter()
            seen = 0
            for entry in group.head:
                row = _row_of(entry)
                m = counts.get(row, 0)
                if m <= 0:
                    continue
                lo = max(self.offset - seen, 0)
                hi = m if end is None else min(m, end - seen)
                if hi > lo:
                    out[row] += hi - lo
                seen += m
                if end is not None and seen >= end:
                    return out
            if end is None or group.rest_live == 0:
                return out
            # Rows with negative multiplicities took the head's places: widen it.
            group.refill(len(group.head) + end)

    def handle_batch(self, t: int, b: Batch) -> list[tuple[Row, int]]:
        rows = b.rows()
        # Only insertions can make a row live, so only they may need a sort entry.
        ins = np.flatnonzero(b.diff > 0)
        if len(ins) == len(rows):
            return self.handle(t, rows, b.diff.tolist(), batch_entries(b, rows, self.order))
        entries: list[Entry | None] | None = None
        at = ins.tolist()
        built = batch_entries(b.take(ins), [rows[i] for i in at], self.order)
        if built is not None:
            entries = [None] * len(rows)
            for i, e in zip(at, built, strict=True):
                entries[i] = e
        return self.handle(t, rows, b.diff.tolist(), entries)

    def handle(self, t: int, rows: list[Row], diffs: list[int],
               entries: Sequence[Entry | None] | None = None) -> list[tuple[Row, int]]:
        """Apply one time's changes; ``entries`` are the rows' sort entries where known."""
        was_negative: dict[Any, bool] = {}
        negatives, groups, group_of, cap = self.negatives, self.groups, self.group_of, self.cap
        entry_of = self._entry
        known: Iterable[Entry | None] = itertools.repeat(None) if entries is None else entries
        for r, d, e in zip(rows, diffs, known, strict=False):
            k = group_of(r)
            g = groups.get(k)
            if g is None:
                g = groups[k] = _RankedGroup()
            if k not in was_negative:
                was_negative[k] = negatives.get(k, 0) > 0
            counts = g.counts
            m = counts.pop(r, 0)  # one hash of the row whether it stays or goes
            m_new = m + d
            if (m < 0) != (m_new < 0):
                negatives[k] = negatives.get(k, 0) + (1 if m_new < 0 else -1)
            if m_new == 0:
                g.discard(r)
            else:
                counts[r] = m_new
                if m == 0:
                    g.add(r, entry_of(r) if e is None else e, cap)
        out: list[tuple[Row, int]] = []
        for k, was in was_negative.items():
            g = groups[k]
            if self.need is not None and len(g.head) < self.need:
                assert self.fill is not None
                g.refill(self.fill)
            self.negative(t, "top-k", was=was, now=negatives.get(k, 0) > 0)
            show_group(self.shown, k, self._top(g), out)
            if not g.counts:
                del groups[k]
            if not negatives.get(k, 1):
                del negatives[k]
        return out
