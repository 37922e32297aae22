"""Stateful per-key operators: reduce, threshold, distinct, top-k.

Timestamps are totally ordered and each operator handles time ``t`` only after its input
frontier passed ``t``, in increasing order, so its state is the input accumulated up to
the last handled time: a hash map per key (the collapsed trace). Handling an update costs
O(1) dict work for accumulable aggregates (count/sum over native int64/float64 columns are
first summed per key across the batch with numpy, so the dict work is per changed group)
and O(log group) for min/max (a heap per group with lazy deletion). Top-k lives in
:mod:`pymz.compute.dataflow.topk`.
"""

from __future__ import annotations

import heapq
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from pymz.compute.dataflow.batch import Batch, TimeBuffer, concat
from pymz.compute.dataflow.graph import Operator, StateDict
from pymz.errors import PymzError
from pymz.expr.library.arrays import array_cmp

Row = tuple[Any, ...]


def show_group(shown: dict[Any, Counter[Row]], k: Any, new: Counter[Row],
               out: list[tuple[Row, int]]) -> None:
    """Append the change from group ``k``'s shown output rows to ``new``; remember ``new``."""
    old = shown.get(k, Counter())
    for r in new.keys() | old.keys():
        d = new.get(r, 0) - old.get(r, 0)
        if d:
            out.append((r, d))
    if new:
        shown[k] = new
    else:
        shown.pop(k, None)


class _TimeOrdered(Operator):
    """Buffers input; yields complete times in order as ``(time, rows, diffs)``."""

    def __init__(self, src: Operator, arity: int) -> None:
        super().__init__(src.df, [src], arity)
        self._pending = TimeBuffer(src.arity)

    def _complete(self) -> Iterator[tuple[int, Batch]]:
        self._pending.push(self.take(0))
        yield from self._pending.pop_before(self.input_frontier())

    def handle(self, t: int, rows: list[Row], diffs: list[int]) -> list[tuple[Row, int]]:
        raise NotImplementedError

    def handle_batch(self, t: int, b: Batch) -> list[tuple[Row, int]]:
        """One complete time's updates; operators with a vectorised path override this."""
        return self.handle(t, b.rows(), b.diff.tolist())

    def run(self) -> bool:
        out: list[Batch] = []
        for t, b in self._complete():
            changes = self.handle_batch(t, b)
            if changes:
                out.append(Batch.from_rows(
                    [r for r, _ in changes], t, [d for _, d in changes], arity=self.arity))
        b = concat(out, self.arity)
        self.emit(b)
        return self.advance(self.input_frontier()) or bool(len(b))

    def negative(self, t: int, what: str, *, was: bool, now: bool) -> None:
        """Keep ``errs`` holding one error per key whose multiplicity is negative."""
        if was != now:
            self.df.report([(PymzError(f"non-positive multiplicity in {what}",
                                       sqlstate="XX000"), t, 1 if now else -1)])


@dataclass(frozen=True, slots=True)
class Agg:
    """An aggregate over column ``col``: count(*) has ``col=None``; NULL inputs are skipped."""

    kind: Literal["count", "sum", "min", "max"]
    col: int | None = None


class _Rev:
    """A value that sorts in reverse: maxima first from a min-heap, descending top-k order
    of non-numeric values."""

    __slots__ = ("v",)

    def __init__(self, v: Any) -> None:
        self.v = v

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Rev) and bool(self.v == other.v)

    def __hash__(self) -> int:
        return hash(self.v)

    def __lt__(self, other: _Rev) -> bool:
        return bool(other.v < self.v)

    def __le__(self, other: _Rev) -> bool:
        return bool(other.v <= self.v)

    def __gt__(self, other: _Rev) -> bool:
        return bool(other.v > self.v)

    def __ge__(self, other: _Rev) -> bool:
        return bool(other.v >= self.v)


class _ArrayOrder:
    """An array in a min/max heap: PostgreSQL's element-wise order with NULL elements last
    (Python cannot compare tuples holding None with values)."""

    __slots__ = ("v",)

    def __init__(self, v: tuple[Any, ...]) -> None:
        self.v = v

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _ArrayOrder) and array_cmp(self.v, other.v) == 0

    def __hash__(self) -> int:
        return hash(self.v)

    def __lt__(self, other: _ArrayOrder) -> bool:
        return array_cmp(self.v, other.v) < 0

    def __le__(self, other: _ArrayOrder) -> bool:
        return array_cmp(self.v, other.v) <= 0

    def __gt__(self, other: _ArrayOrder) -> bool:
        return array_cmp(self.v, other.v) > 0

    def __ge__(self, other: _ArrayOrder) -> bool:
        return array_cmp(self.v, other.v) >= 0


def _ordered(v: Any) -> Any:
    return _ArrayOrder(v) if isinstance(v, tuple) else v


class _Extremum:
    """A value multiset with its min (or max) in O(log n) amortised per change.

    A heap with lazy deletion: entries whose count fell to zero are dropped when they reach
    the top; the heap is rebuilt when stale entries outnumber live values.
    """

    __slots__ = ("counts", "desc", "heap")

    def __init__(self, desc: bool) -> None:
        self.counts: dict[Any, int] = StateDict()
        self.heap: list[Any] = []
        self.desc = desc

    def add(self, v: Any, d: int) -> None:
        old = self.counts.get(v, 0)
        new = old + d
        if new:
            self.counts[v] = new
        else:
            del self.counts[v]
        if old <= 0 < new:
            heapq.heappush(self.heap, _Rev(_ordered(v)) if self.desc else _ordered(v))
            if len(self.heap) > 2 * len(self.counts) + 16:
                self.heap = [_Rev(_ordered(x)) if self.desc else _ordered(x)
                             for x, m in self.counts.items() if m > 0]
                heapq.heapify(self.heap)

    def best(self) -> Any:
        heap, counts = self.heap, self.counts
        while heap:
            top = heap[0].v if self.desc else heap[0]
            if isinstance(top, _ArrayOrder):
                top = top.v
            if counts.get(top, 0) > 0:
                return top
            heapq.heappop(heap)
        return None


class _Group:
    __slots__ = ("count", "nn", "sums", "vals")

    def __init__(self, naggs: int) -> None:
        self.count = 0
        self.nn = [0] * naggs
        self.sums: list[Any] = [0] * naggs
        self.vals: list[_Extremum | None] = [None] * naggs


class Reduce(_TimeOrdered):
    """GROUP BY ``key`` with ``aggs``; output ``key columns + one column per aggregate``.

    A group exists while its row count is positive. count and sum are accumulated exactly
    (Python ints / Decimal); sum of no non-NULL value is NULL. min/max keep the group's value
    multiset in a heap (O(log group) per change). A negative group count is an error.
    count(DISTINCT x) is ``Reduce(Distinct(Project(key + x)), key, [count(x)])``.
    """

    name = "reduce"

    def __init__(self, src: Operator, key: Sequence[int], aggs: Sequence[Agg]) -> None:
        super().__init__(src, len(key) + len(aggs))
        self.key = tuple(key)
        self.aggs = tuple(aggs)
        self.groups: dict[Row, _Group] = {}

    def _output(self, k: Row, g: _Group) -> Row | None:
        if g.count <= 0:
            return None
        vals: list[Any] = []
        for i, a in enumerate(self.aggs):
            if a.kind == "count":
                vals.append(g.count if a.col is None else g.nn[i])
            elif a.kind == "sum":
                vals.append(g.sums[i] if g.nn[i] > 0 else None)
            else:
                e = g.vals[i]
                vals.append(e.best() if e is not None else None)
        return (*k, *vals)

    def handle_batch(self, t: int, b: Batch) -> list[tuple[Row, int]]:
        sums = _presum(b, self.key, self.aggs)
        if sums is None:
            return self.handle(t, b.rows(), b.diff.tolist())
        keys, counts, agg_sums = sums
        groups, aggs = self.groups, self.aggs
        out: list[tuple[Row, int]] = []
        for j, k in enumerate(keys):
            g = groups.get(k)
            if g is None:
                g = groups[k] = _Group(len(aggs))
            before = (self._output(k, g), g.count)
            c = counts[j]
            g.count += c
            for i, a in enumerate(aggs):
                if a.col is not None:
                    g.nn[i] += c  # native columns hold no NULLs
                    if a.kind == "sum":
                        g.sums[i] += agg_sums[i][j]
            self._changed(t, k, before, out)
        return out

    def _changed(self, t: int, k: Row, before: tuple[Row | None, int],
                 out: list[tuple[Row, int]]) -> None:
        """Emit group ``k``'s output change since ``before`` (its output row and count),
        track its error state, forget it when empty."""
        before_row, before_count = before
        g = self.groups[k]
        self.negative(t, "reduce", was=before_count < 0, now=g.count < 0)
        after = self._output(k, g)
        if before_row != after:
            if before_row is not None:
                out.append((before_row, -1))
            if after is not None:
                out.append((after, 1))
        if g.count == 0 and not any(g.nn):
            del self.groups[k]

    def handle(self, t: int, rows: list[Row], diffs: list[int]) -> list[tuple[Row, int]]:
        key, aggs, groups = self.key, self.aggs, self.groups
        old: dict[Row, tuple[Row | None, int]] = {}
        for row, d in zip(rows, diffs, strict=True):
            k = tuple(row[i] for i in key)
            g = groups.get(k)
            if g is None:
                g = groups[k] = _Group(len(aggs))
            if k not in old:
                old[k] = (self._output(k, g), g.count)
            g.count += d
            for i, a in enumerate(aggs):
                if a.col is None:
                    continue
                v = row[a.col]
                if v is None:
                    continue
                g.nn[i] += d
                if a.kind == "sum":
                    g.sums[i] += v * d
                elif a.kind in ("min", "max"):
                    e = g.vals[i]
                    if e is None:
                        e = g.vals[i] = _Extremum(a.kind == "max")
                    e.add(v, d)
        out: list[tuple[Row, int]] = []
        for k, before in old.items():
            self._changed(t, k, before, out)
        return out


# Per-batch int64 sums are exact while |value| * |diff| * rows stays below this.
_INT_SUM_BOUND = 2**62


def _presum(b: Batch, key: tuple[int, ...], aggs: tuple[Agg, ...]
            ) -> tuple[list[Row], list[int], list[list[Any]]] | None:
    """Per distinct key of ``b``: (keys, summed diffs, per aggregate the summed ``value *
    diff``) — or None when an aggregate needs the per-row path (min/max, NULL-able, Decimal
    or possibly overflowing columns). Float sums add the batch's values before the group's
    running sum, so their rounding may differ in the last place from row-by-row addition."""
    if any(a.kind not in ("count", "sum") for a in aggs):
        return None
    n = len(b)
    diff = b.diff
    weighted: list[Any] = []
    for a in aggs:
        if a.col is None:
            weighted.append(None)
            continue
        c = b.cols[a.col]
        if c.dtype == np.float64:
            weighted.append(c * diff if a.kind == "sum" else None)
        elif c.dtype in (np.int64, np.bool_):
            if a.kind == "sum":
                if c.dtype == np.bool_:
                    return None
                bound = int(np.abs(c).max()) * int(np.abs(diff).max()) * n if n else 0
                if bound >= _INT_SUM_BOUND:
                    return None
                weighted.append(c * diff)
            else:
                weighted.append(None)
        else:
            return None
    rows = list(zip(*(b.cols[i].tolist() for i in key), strict=True)) if key else [()] * n
    # Distinct keys in first-seen order, then each row's key id: both loops run in C.
    index = {k: i for i, k in enumerate(dict.fromkeys(rows))}
    ids = np.fromiter(map(index.__getitem__, rows), np.intp, n)
    order = np.argsort(ids, kind="stable")
    sorted_ids = ids[order]
    starts = np.flatnonzero(np.r_[True, sorted_ids[1:] != sorted_ids[:-1]]) if n else order
    counts = np.add.reduceat(diff[order], starts).tolist() if n else []
    agg_sums = [[] if w is None else np.add.reduceat(w[order], starts).tolist()
                for w in weighted]
    return list(index), counts, agg_sums


class Threshold(_TimeOrdered):
    """Keep rows with positive multiplicity (``max(m, 0)``); with ``distinct``, ``min(.., 1)``."""

    name = "threshold"

    def __init__(self, src: Operator, *, distinct: bool = False) -> None:
        super().__init__(src, src.arity)
        self.distinct = distinct
        self.counts: dict[Row, int] = StateDict()

    def _f(self, m: int) -> int:
        return (1 if m > 0 else 0) if self.distinct else max(m, 0)

    def handle(self, t: int, rows: list[Row], diffs: list[int]) -> list[tuple[Row, int]]:
        acc: dict[Row, int] = {}
        for r, d in zip(rows, diffs, strict=True):
            acc[r] = acc.get(r, 0) + d
        out: list[tuple[Row, int]] = []
        counts, f = self.counts, self._f
        for r, d in acc.items():
            if d == 0:
                continue
            old = counts.get(r, 0)
            new = old + d
            if new:
                counts[r] = new
            else:
                counts.pop(r, None)
            if self.distinct:
                self.negative(t, "distinct", was=old < 0, now=new < 0)
            delta = f(new) - f(old)
            if delta:
                out.append((r, delta))
        return out


def Distinct(src: Operator) -> Threshold:  # noqa: N802 - reads as an operator constructor
    return Threshold(src, distinct=True)
