"""Linear operators, arrangements, the binary delta join, temporal filters and outputs."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from pymz.compute.dataflow.batch import (
    FOREVER,
    Batch,
    Col,
    TimeBuffer,
    as_column,
    column,
    concat,
    consolidate,
    hash_rows,
)
from pymz.compute.dataflow.graph import Dataflow, Operator, guarded, mask_of
from pymz.compute.dataflow.spine import Spine, TraceHandle, build_run
from pymz.errors import InternalError, PymzError

Cols = tuple[Col, ...]


class Input(Operator):
    """A source: ``send`` updates at times ``>= frontier``, then ``advance_to`` / ``close``."""

    name = "input"

    def __init__(self, df: Dataflow, arity: int) -> None:
        super().__init__(df, [], arity)
        self._pending: list[Batch] = []
        self._target = 0

    def send(self, batch: Batch) -> None:
        if batch.arity != self.arity:
            raise InternalError(f"input expects {self.arity} columns, got {batch.arity}")
        if len(batch) and int(batch.time.min()) < self._target:
            raise InternalError("update time is before the input frontier")
        self._pending.append(batch)
        self.scheduled = True

    def send_rows(self, rows: Sequence[Sequence[Any]], time: int, diff: int = 1) -> None:
        self.send(Batch.from_rows(rows, time, diff, arity=self.arity))

    def advance_to(self, frontier: int) -> None:
        if frontier < self._target:
            raise InternalError("input frontier cannot go back")
        self._target = frontier
        self.scheduled = True

    def close(self) -> None:
        self._target = FOREVER
        self.scheduled = True

    def run(self) -> bool:
        pending, self._pending = self._pending, []
        for b in pending:
            self.emit(b)
        return self.advance(self._target) or bool(pending)


def demanded_columns(op: Operator) -> tuple[int, ...] | None:
    """The columns of ``op``'s output that anything reads: when every consumer is a
    :class:`Project`, the union of what they keep; else None (all of them). A source need
    not decode the others (see :func:`pymz.compute.arrow_input.arrow_batch`)."""
    cols: set[int] = set()
    for consumer, _ in op.consumers:
        if not isinstance(consumer, Project):
            return None
        cols.update(consumer.cols)
    return tuple(sorted(cols))


class _Unary(Operator):
    def __init__(self, src: Operator, arity: int) -> None:
        super().__init__(src.df, [src], arity)

    def apply(self, batch: Batch) -> Batch:
        raise NotImplementedError

    def run(self) -> bool:
        b = self.take(0)
        if len(b):
            self.emit(self.apply(b))
        return self.advance(self.input_frontier()) or bool(len(b))


class Map(_Unary):
    """``fn(cols) -> output columns`` (a whole-batch function); failures go to ``errs``."""

    name = "map"

    def __init__(self, src: Operator, fn: Callable[[Cols], Sequence[Any]], arity: int) -> None:
        super().__init__(src, arity)
        self.fn = fn

    def apply(self, batch: Batch) -> Batch:
        ok, out = guarded(self.df, batch, self.fn)
        cols = tuple(as_column(c) for c in out)
        if len(cols) != self.arity:
            raise InternalError(f"map produced {len(cols)} columns, expected {self.arity}")
        return ok.with_cols(cols)


class Filter(_Unary):
    """Keep rows where ``pred(cols)`` is true (NULL is false)."""

    name = "filter"

    def __init__(self, src: Operator, pred: Callable[[Cols], Any]) -> None:
        super().__init__(src, src.arity)
        self.pred = pred

    def apply(self, batch: Batch) -> Batch:
        ok, m = guarded(self.df, batch, self.pred)
        return ok.take(mask_of(m, len(ok)))


class Project(_Unary):
    """Reorder/select columns by index (no user code, cannot fail)."""

    name = "project"

    def __init__(self, src: Operator, cols: Sequence[int]) -> None:
        super().__init__(src, len(cols))
        self.cols = tuple(cols)

    def apply(self, batch: Batch) -> Batch:
        return batch.with_cols(tuple(batch.cols[i] for i in self.cols))


class FlatMap(_Unary):
    """``fn(cols) -> (row_index, out_cols)``: output row j comes from input row ``row_index[j]``."""

    name = "flat_map"

    def __init__(
        self, src: Operator, fn: Callable[[Cols], tuple[Any, Sequence[Any]]], arity: int
    ) -> None:
        super().__init__(src, arity)
        self.fn = fn

    def apply(self, batch: Batch) -> Batch:
        ok, (idx, out) = guarded(self.df, batch, self.fn)
        idx = np.asarray(idx, dtype=np.intp)
        return Batch(tuple(as_column(c) for c in out), ok.time[idx], ok.diff[idx])


class Negate(_Unary):
    name = "negate"

    def __init__(self, src: Operator) -> None:
        super().__init__(src, src.arity)

    def apply(self, batch: Batch) -> Batch:
        return Batch(batch.cols, batch.time, -batch.diff)


class Union(Operator):
    name = "union"

    def __init__(self, *srcs: Operator) -> None:
        if not srcs or len({s.arity for s in srcs}) != 1:
            raise InternalError("union needs inputs of one arity")
        super().__init__(srcs[0].df, srcs, srcs[0].arity)

    def run(self) -> bool:
        moved = False
        for port in range(len(self.inputs)):
            b = self.take(port)
            if len(b):
                self.emit(b)
                moved = True
        return self.advance(self.input_frontier()) or moved


class Arrange(Operator):
    """Maintain a shared :class:`Spine` of the input keyed by ``key``; forwards the updates.

    The spine is inserted into and the updates are queued to every consumer in the same
    step, so each consumer's trace = what it has processed + what is queued for it (the
    invariant the delta join relies on).
    """

    name = "arrange"

    def __init__(self, src: Operator, key: Sequence[int], *, fuel_factor: int = 4) -> None:
        super().__init__(src.df, [src], src.arity)
        self.key = tuple(key)
        self.spine = Spine(self.key, src.arity, fuel_factor=fuel_factor)

    def spines(self) -> list[Spine]:
        return [self.spine]

    def run(self) -> bool:
        b = self.take(0)
        if len(b):
            self.spine.insert(b)
            self.emit(b)
        return self.advance(self.input_frontier()) or bool(len(b))


class Join(Operator):
    """Binary delta join of two arrangements on their keys (equal arity keys).

    Output rows are ``left columns + right columns`` at ``max(t_left, t_right)`` with
    ``diff_left * diff_right``. For new updates dA, dB (already in the traces A, B):
    ``dA ⋈ B + A ⋈ dB - dA ⋈ dB``, each term a probe of the new updates into the other
    side's spine. Keys match with Python equality, NULL = NULL included: SQL equi-join
    semantics require the renderer to filter NULL keys first.
    """

    name = "join"

    def __init__(self, left: Arrange, right: Arrange) -> None:
        if len(left.key) != len(right.key):
            raise InternalError("join keys differ in arity")
        super().__init__(left.df, [left, right], left.arity + right.arity)
        self.left, self.right = left, right
        self.hl: TraceHandle = left.spine.handle()
        self.hr: TraceHandle = right.spine.handle()
        # Rows already in the left trace were never delivered here: import them as new.
        existing = [r.batch() for r in left.spine.runs()]
        self._initial = concat(existing, left.arity) if existing else None

    def run(self) -> bool:
        da, db = self.take(0), self.take(1)
        if self._initial is not None:
            da = concat([self._initial, da], self.left.arity)
            self._initial = None
        parts: list[Batch] = []
        if len(da):
            parts.append(self._probe(da, self.left.key, self.right.spine, left_is_probe=True))
        if len(db):
            parts.append(self._probe(db, self.right.key, self.left.spine, left_is_probe=False))
        if len(da) and len(db):
            tmp = Spine(self.right.key, self.right.arity)
            tmp.levels[0] = [build_run(db, self.right.key, 0)]
            cross = self._probe(da, self.left.key, tmp, left_is_probe=True)
            parts.append(Batch(cross.cols, cross.time, -cross.diff))
        out = concat(parts, self.arity)
        self.emit(out)
        f = self.input_frontier()
        self.hl.set_since(f)
        self.hr.set_since(f)
        return self.advance(f) or bool(len(da) or len(db))

    def _probe(self, delta: Batch, key: tuple[int, ...], other: Spine, *, left_is_probe: bool
               ) -> Batch:
        keycols = [delta.cols[i] for i in key]
        pi, matched = other.lookup(hash_rows(keycols, len(delta)), keycols)
        d = delta.take(pi)
        cols = d.cols + matched.cols if left_is_probe else matched.cols + d.cols
        return Batch(cols, np.maximum(d.time, matched.time), d.diff * matched.diff)


class TemporalFilter(_Unary):
    """Keep a row while ``lower <= mz_now() < upper`` (None = unbounded), as Z-set updates.

    An update ``(row, t, d)`` becomes ``+d`` at ``max(t, lower)`` and ``-d`` at ``upper``
    (if that interval is not empty). Future times are fine: downstream operators hold them
    until their frontier passes.
    """

    name = "temporal_filter"

    def __init__(self, src: Operator, lower_col: int | None, upper_col: int | None) -> None:
        super().__init__(src, src.arity)
        self.lower_col, self.upper_col = lower_col, upper_col

    def _bound(self, batch: Batch, col: int | None, default: int) -> npt.NDArray[np.uint64]:
        n = len(batch)
        if col is None:
            return np.full(n, min(default, FOREVER - 1), dtype=np.uint64)
        vals = batch.cols[col].tolist()
        return np.fromiter(
            (min(max(int(v), 0), FOREVER - 1) if v is not None else min(default, FOREVER - 1)
             for v in vals), dtype=np.uint64, count=n)

    def apply(self, batch: Batch) -> Batch:
        lower = self._bound(batch, self.lower_col, 0)
        upper = self._bound(batch, self.upper_col, FOREVER)
        start = np.maximum(batch.time, lower)
        live = start < upper
        ins = Batch(batch.cols, start, batch.diff).take(live)
        ends = live & (upper < np.uint64(FOREVER - 1))
        rets = Batch(batch.cols, upper, -batch.diff).take(ends)
        return concat([ins, rets], self.arity)


class Subscription:
    """Changes of an output as ``(lower, upper, consolidated batch)``, progress in order."""

    def __init__(self, as_of: int) -> None:
        self.as_of = as_of
        self.chunks: list[tuple[int, int, Batch]] = []

    def poll(self) -> list[tuple[int, int, Batch]]:
        out, self.chunks = self.chunks, []
        return out


class Output(Operator):
    """An exported, queryable collection: a spine keyed by ``key`` (default: all columns),
    peeks (whole or by key), subscribes."""

    name = "output"

    def __init__(self, src: Operator, key: Sequence[int] | None = None) -> None:
        super().__init__(src.df, [src], src.arity)
        self.key = tuple(range(src.arity)) if key is None else tuple(key)
        self.spine = Spine(self.key, src.arity)
        self.hold: TraceHandle = self.spine.handle()
        self._pending = TimeBuffer(src.arity)
        self._subs: list[Subscription] = []

    @property
    def since(self) -> int:
        return self.spine.since

    def spines(self) -> list[Spine]:
        return [self.spine]

    def allow_compaction(self, since: int) -> None:
        """Reads below ``since`` are no longer needed (clamped to the frontier)."""
        self.hold.set_since(min(since, self.frontier))

    def run(self) -> bool:
        b = self.take(0)
        if len(b):
            self.spine.insert(b)
            # Kept until complete so subscriptions see every change exactly once.
            self._pending.push(b)
        old = self.frontier
        moved = self.advance(self.input_frontier())
        if moved:
            done = self._pending.pop_before(self.frontier)
            if self._subs:
                chunk = consolidate(concat([d for _, d in done], self.arity))
                for s in self._subs:
                    s.chunks.append((max(old, s.as_of + 1), self.frontier, chunk))
        return moved or bool(len(b))

    def subscribe(self) -> Subscription:
        """Start at the current time: a snapshot as of ``frontier - 1``, then changes."""
        if self.frontier == 0:
            s = Subscription(-1)  # nothing is complete yet: changes only
        else:
            as_of = max(self.frontier - 1, self.since)
            s = Subscription(as_of)
            s.chunks.append((0, as_of + 1, self.snapshot(as_of)))
        self._subs.append(s)
        return s

    def snapshot(self, as_of: int) -> Batch:
        """Consolidated contents at ``as_of``; raises the query's error if ``errs`` has one."""
        self._check_readable(as_of)
        return self.spine.snapshot(as_of)

    def rows(self, as_of: int) -> list[tuple[tuple[Any, ...], int]]:
        """Snapshot as ``(row, multiplicity)`` pairs (a test and peek convenience)."""
        b = self.snapshot(as_of)
        return list(zip(b.rows(), b.diff.tolist(), strict=True))

    def lookup(self, as_of: int, keys: Sequence[tuple[Any, ...]]) -> Batch:
        """Consolidated contents at ``as_of`` of the rows whose ``key`` columns equal one of
        ``keys``: binary searches in the spine's runs, never a scan of the collection.
        Same errors as :meth:`snapshot`."""
        self._check_readable(as_of)
        if not keys:
            return Batch.empty(self.arity)
        distinct = list(dict.fromkeys(keys))
        keycols = tuple(column([k[i] for k in distinct]) for i in range(len(self.key)))
        _, found = self.spine.lookup(hash_rows(keycols, len(distinct)), keycols)
        found = found.take(found.time <= np.uint64(min(as_of, FOREVER - 1)))
        return consolidate(Batch(found.cols, np.zeros(len(found), dtype=np.uint64), found.diff))

    def _check_readable(self, as_of: int) -> None:
        if as_of < self.since:
            raise PymzError(f"timestamp {as_of} is before the since {self.since}",
                            sqlstate="XX000")
        if as_of >= self.frontier:
            raise PymzError(f"timestamp {as_of} is not complete (frontier {self.frontier})",
                            sqlstate="XX000")
        errors = self.df.errors_at(as_of)
        if errors:
            raise errors[0]


__all__ = [
    "Arrange",
    "Filter",
    "FlatMap",
    "Input",
    "Join",
    "Map",
    "Negate",
    "Output",
    "Project",
    "Subscription",
    "TemporalFilter",
    "Union",
    "demanded_columns",
]
