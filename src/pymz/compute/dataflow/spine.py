"""Arrangements: indexed, consolidated multisets of ``(key, row, time, diff)`` as an LSM spine.

A :class:`Run` is an immutable, consolidated set of updates sorted by (key hash, row hash,
time). A :class:`Spine` keeps few runs: per size class (class ``i`` holds runs of
``fan_in**(i-1)..fan_in**i - 1`` rows, ``fan_in`` 4 by default) fewer than ``fan_in``
complete runs, plus at most one merge in progress, of the class's ``fan_in`` oldest runs.
Merges advance in bounded chunks, one per insert: each inserted batch of ``n`` rows gives
every merge in progress ``fuel_factor * n`` rows of work, so no insert pays for a whole
large merge; a merge that falls so far behind that its class queues ``max_backlog`` runs
is finished early ("forced"), and that work is counted separately in :class:`MergeStats`.

Lookups binary-search every readable run (complete runs and the sources of running merges)
with ``np.searchsorted`` on the key hashes, or use a run's hash index once it has
``INDEX_MIN_ROWS`` rows (:mod:`.keyindex`, built on the run's first lookup), so their cost
is ``O(batch · runs · log n + matches)`` at most and does not depend on the state size
beyond that logarithm. Rows whose key
hashes collide are told apart by comparing the key values themselves.

A spine of at most ``SMALL_SPINE`` rows (no merge running) is kept as one run that each
insert re-sorts whole: for small collections (query outputs, dimension tables) one bounded
sort is cheaper than a run build plus merge steps, each paying numpy's fixed costs.

Compaction: readers hold :class:`TraceHandle`\\s with their own ``since``; the spine's
since is the least of them. Times below it are advanced to it whenever rows pass through a
merge, which also cancels updates that then become equal.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from pymz.compute.dataflow.batch import (
    FOREVER,
    Batch,
    Col,
    Diffs,
    Hashes,
    Times,
    concat,
    consolidate,
    consolidation_plan,
    equal_pairs,
    hash_rows,
)
from pymz.compute.dataflow.keyindex import KeyIndex

Idx = npt.NDArray[np.intp]

# Merge work granted per insert at least: tiny inserts (a few changed output rows) would
# otherwise advance merges in many tiny chunks, each paying numpy's fixed costs.
MIN_FUEL = 1024
# A spine this small (complete runs plus the insert) is kept as one run, re-sorted whole on
# each insert: one sort of at most this many rows instead of a run build plus merge steps.
SMALL_SPINE = 2048
# Runs merged at once: each row is rewritten about log_FAN_IN(state / batch) times (log2
# with pairwise merges), at the price of up to FAN_IN - 1 more runs per size class for
# lookups to search.
FAN_IN = 4
# Probe batches larger than this are sorted by key hash before searching runs.
_SORT_PROBES = 64
# Runs this large are probed through a hash index (a binary search there is mostly cache
# misses); smaller ones stay in cache and are searched.
INDEX_MIN_ROWS = 1 << 16


@dataclass(frozen=True, slots=True, eq=False)
class Run:
    """An immutable consolidated run sorted by (khash, rhash, time). Compared by identity
    (spines find their runs in level queues)."""

    cols: tuple[Col, ...]
    time: Times
    diff: Diffs
    khash: Hashes
    rhash: Hashes
    compacted_to: int
    # The run's KeyIndex, built on its first lookup if the run is large (a cell: the
    # dataclass is frozen, the index is a cache).
    index: list[KeyIndex | None] = field(default_factory=lambda: [None])

    def __len__(self) -> int:
        return len(self.diff)

    def key_ranges(self, khash: Hashes) -> tuple[Idx, Idx]:
        """``[lo, hi)`` of the rows whose key hash equals each probe's: by binary search,
        or through a hash index for large runs (far fewer cache misses)."""
        if len(self.khash) < INDEX_MIN_ROWS:
            return (np.searchsorted(self.khash, khash, side="left"),
                    np.searchsorted(self.khash, khash, side="right"))
        idx = self.index[0]
        if idx is None:
            idx = self.index[0] = KeyIndex(self.khash)
        return idx.find(khash)

    def batch(self) -> Batch:
        return Batch(self.cols, self.time, self.diff)

    def slice(self, lo: int, hi: int) -> Run:
        return Run(tuple(c[lo:hi] for c in self.cols), self.time[lo:hi], self.diff[lo:hi],
                   self.khash[lo:hi], self.rhash[lo:hi], self.compacted_to)


def build_run(batch: Batch, key: Sequence[int], since: int) -> Run:
    """Hash, sort and consolidate a batch into a run."""
    khash, rhash = _hashes(batch, tuple(key))
    return _sort_consolidate(Run(batch.cols, batch.time, batch.diff, khash, rhash, 0), since)


def _hashes(batch: Batch, key: tuple[int, ...]) -> tuple[Hashes, Hashes]:
    """Key and row hashes; one computation when the key is the whole row (outputs)."""
    n = len(batch)
    rhash = hash_rows(batch.cols, n)
    if key == tuple(range(batch.arity)):
        return rhash, rhash
    return hash_rows([batch.cols[i] for i in key], n), rhash


def _sort_consolidate(run: Run, since: int) -> Run:
    time = run.time
    if since > 0 and len(time):
        time = np.maximum(time, np.uint64(min(since, FOREVER - 1)))
    sel, diff = consolidation_plan(run.cols, time, run.diff, run.khash, run.rhash)
    return Run(tuple(c[sel] for c in run.cols), time[sel], diff, run.khash[sel],
               run.rhash[sel], since)


def _concat_runs(parts: list[Run], arity: int, since: int) -> Run:
    if not parts:
        b = Batch.empty(arity)
        e = np.empty(0, dtype=np.int64)
        return Run(b.cols, b.time, b.diff, e, e.copy(), since)
    if len(parts) == 1:
        return parts[0]
    b = concat([p.batch() for p in parts], arity)
    return Run(b.cols, b.time, b.diff, np.concatenate([p.khash for p in parts]),
               np.concatenate([p.rhash for p in parts]), min(p.compacted_to for p in parts))


class Merger:
    """An in-progress merge of several runs, done in chunks cut at key-hash boundaries."""

    def __init__(self, runs: Sequence[Run], arity: int) -> None:
        self.srcs = list(runs)
        self.pos = [0] * len(self.srcs)
        self.arity = arity
        self.out: list[Run] = []
        self.compacted = FOREVER  # least since any chunk was consolidated at

    @property
    def done(self) -> bool:
        return all(p >= len(r) for r, p in zip(self.srcs, self.pos, strict=True))

    def remaining(self) -> int:
        return sum(len(r) - p for r, p in zip(self.srcs, self.pos, strict=True))

    def unmerged(self) -> list[Run]:
        """What is left of each source (readers consult these plus the finished chunks)."""
        return [r.slice(p, len(r)) for r, p in zip(self.srcs, self.pos, strict=True)]

    def step(self, fuel: int, since: int) -> int:
        """Merge about ``fuel`` rows as one chunk; returns the rows processed.

        The chunk ends at the ``fuel``-th smallest key hash of the remaining streams (found
        among the next ``fuel`` hashes of each), so it never splits a key and costs one sort
        of a few presorted pieces.
        """
        if self.done:
            return 0
        if self.remaining() <= fuel:
            ends = [len(r) for r in self.srcs]
        else:
            nxt = np.concatenate([r.khash[p:p + fuel]
                                  for r, p in zip(self.srcs, self.pos, strict=True)])
            cut = np.partition(nxt, fuel - 1)[fuel - 1]
            ends = [max(int(np.searchsorted(r.khash, cut, side="right")), p)
                    for r, p in zip(self.srcs, self.pos, strict=True)]
        pieces = [r.slice(p, e) for r, p, e in zip(self.srcs, self.pos, ends, strict=True)
                  if e > p]
        self.out.append(_sort_consolidate(_concat_runs(pieces, self.arity, since), since))
        self.compacted = min(self.compacted, since)
        work = sum(e - p for p, e in zip(self.pos, ends, strict=True))
        self.pos = ends
        return work

    def result(self, since: int) -> Run:
        r = _concat_runs(self.out, self.arity, since)
        return Run(r.cols, r.time, r.diff, r.khash, r.rhash, min(self.compacted, since))


@dataclass
class MergeStats:
    """Instrumentation: merge work per insert (rows touched), and forced completions."""

    inserts: int = 0
    inserted_rows: int = 0
    merge_work: int = 0
    max_insert_work: int = 0
    max_insert_rows: int = 0
    forced_work: int = 0
    max_runs: int = 0
    per_insert: list[tuple[int, int]] = field(default_factory=list)  # (rows, work), last 1000


class TraceHandle:
    """A reader's hold on a spine: the spine never compacts past the least held ``since``."""

    def __init__(self, spine: Spine, since: int) -> None:
        self.spine = spine
        self.since = since
        self.dropped = False

    def set_since(self, since: int) -> None:
        if since > self.since:
            self.since = since
            self.spine.refresh_since()

    def drop(self) -> None:
        self.dropped = True
        self.spine.handles.remove(self)
        self.spine.refresh_since()


class Spine:
    """A shared arrangement of full rows indexed by ``key`` (a tuple of column indexes)."""

    def __init__(self, key: Sequence[int], arity: int, *, fuel_factor: int = 4,
                 fan_in: int = FAN_IN, max_backlog: int | None = None,
                 small: int | None = None) -> None:
        if fan_in < 2 or fan_in & (fan_in - 1):
            raise ValueError("fan_in must be a power of two >= 2")
        self.key = tuple(key)
        self.small = SMALL_SPINE if small is None else small
        self.arity = arity
        self.fuel_factor = fuel_factor
        self.fan_in = fan_in
        self._class_bits = fan_in.bit_length() - 1
        # Complete runs per size class, oldest first; a class's merge takes the oldest
        # ``fan_in``.
        self.levels: dict[int, list[Run]] = {}
        self.max_backlog = 2 * fan_in if max_backlog is None else max_backlog
        self.merges: dict[int, Merger] = {}
        self.handles: list[TraceHandle] = []
        self.since = 0
        self.stats = MergeStats()

    def _size_class(self, rows: int) -> int:
        """Class ``i`` holds runs of ``fan_in**(i-1) .. fan_in**i - 1`` rows."""
        return -(-rows.bit_length() // self._class_bits)

    # -- readers ---------------------------------------------------------------------------
    def handle(self) -> TraceHandle:
        h = TraceHandle(self, self.since)
        self.handles.append(h)
        return h

    def refresh_since(self) -> None:
        if self.handles:
            self.since = max(self.since, min(h.since for h in self.handles))

    def runs(self) -> list[Run]:
        """Every run a reader must consult (complete runs and sources of running merges)."""
        out = [r for q in self.levels.values() for r in q]
        for m in self.merges.values():
            out.extend(m.unmerged())
            out.extend(m.out)
        return [r for r in out if len(r)]

    def __len__(self) -> int:
        return sum(len(r) for r in self.runs())

    def lookup(self, khash: Hashes, keycols: Sequence[Col]) -> tuple[Idx, Batch]:
        """All stored rows whose key equals a probe's: (probe index per match, matched rows)."""
        idx_parts: list[Idx] = []
        rows: list[Batch] = []
        runs = self.runs()
        # Sorted probes walk each searched run front to back (numpy's searchsorted starts
        # from the previous key's position): fewer cache misses. Indexed runs need no order.
        searched = any(len(r) < INDEX_MIN_ROWS for r in runs)
        order = (np.argsort(khash, kind="stable") if searched and len(khash) > _SORT_PROBES
                 else None)
        sorted_khash = khash if order is None else khash[order]
        for run in runs:
            pi, ri = probe(run, sorted_khash, keycols, self.key, order)
            if len(pi):
                idx_parts.append(pi)
                rows.append(run.batch().take(ri))
        if not idx_parts:
            return np.empty(0, dtype=np.intp), Batch.empty(self.arity)
        return np.concatenate(idx_parts), concat(rows, self.arity)

    def snapshot(self, as_of: int) -> Batch:
        """Consolidated contents at ``as_of`` (requires ``as_of >= since``), times set to 0."""
        parts = []
        for run in self.runs():
            b = run.batch()
            parts.append(b.take(b.time <= np.uint64(min(as_of, FOREVER - 1))))
        b = concat(parts, self.arity)
        b = Batch(b.cols, np.zeros(len(b), dtype=np.uint64), b.diff)
        return build_run(b, (), 0).batch()

    def updates_between(self, lower: int, upper: int) -> Batch:
        """The consolidated updates with ``lower <= time < upper`` (times below ``since``
        read as ``since``)."""
        parts = []
        lo, hi = np.uint64(min(lower, FOREVER - 1)), np.uint64(min(upper, FOREVER - 1))
        for run in self.runs():
            b = run.batch()
            keep = b.time >= lo
            if upper < FOREVER:
                keep &= b.time < hi
            parts.append(b.take(keep))
        return consolidate(concat(parts, self.arity))

    # -- writers ---------------------------------------------------------------------------
    def insert(self, batch: Batch) -> None:
        """Add updates (need not be consolidated); pays a bounded share of pending merges."""
        n = len(batch)
        if n == 0:
            return
        stored = [r for q in self.levels.values() for r in q]
        total = n + sum(map(len, stored))
        if not self.merges and total <= self.small:
            self._rebuild_small(batch, stored)
            work = total
        else:
            work = n
            fuel = max(self.fuel_factor * n, MIN_FUEL)
            for lvl in sorted(self.merges):
                work += self.merges[lvl].step(fuel, self.since)
            work += self._finish_done()
            work += self._place(build_run(batch, self.key, self.since))
        st = self.stats
        st.inserts += 1
        st.inserted_rows += n
        st.merge_work += work
        st.max_insert_work = max(st.max_insert_work, work)
        st.max_insert_rows = max(st.max_insert_rows, n)
        st.per_insert.append((n, work))
        if len(st.per_insert) > 1000:
            del st.per_insert[:500]

    def _rebuild_small(self, batch: Batch, stored: list[Run]) -> None:
        """Sort and consolidate the whole (small) spine with ``batch`` into one run."""
        fresh = Run(batch.cols, batch.time, batch.diff, *_hashes(batch, self.key), 0)
        whole = _sort_consolidate(_concat_runs([*stored, fresh], self.arity, self.since),
                                  self.since)
        self.levels = {self._size_class(len(whole)): [whole]} if len(whole) else {}
        self.stats.max_runs = max(self.stats.max_runs, self.run_count())

    def exert(self, fuel: int) -> int:
        """Idle merging: continue merges, else merge the two smallest runs (or recompact one)."""
        work = 0
        for lvl in sorted(self.merges):
            work += self.merges[lvl].step(fuel, self.since)
        work += self._finish_done()
        if self.merges or work:
            return work
        runs = sorted(((lvl, r) for lvl, q in self.levels.items() for r in q),
                      key=lambda x: len(x[1]))
        if len(runs) >= 2:
            (la, a), (lb, b) = runs[0], runs[1]
        elif len(runs) == 1 and runs[0][1].compacted_to < self.since:
            (la, a), (lb, b) = runs[0], (runs[0][0], runs[0][1].slice(0, 0))
        else:
            return 0
        self.levels[la].remove(a)
        if b in self.levels.get(lb, []):
            self.levels[lb].remove(b)
        for lvl in (la, lb):
            if not self.levels.get(lvl, True):
                del self.levels[lvl]
        self.merges[lb] = Merger([a, b], self.arity)
        return 1

    def _finish_done(self) -> int:
        work = 0
        for lvl in sorted(self.merges):
            m = self.merges.get(lvl)
            if m is not None and m.done:
                del self.merges[lvl]
                work += self._place(m.result(self.since))
        return work

    def _place(self, run: Run) -> int:
        """File a run under its size class; start or (if far behind) finish that class's merge."""
        if not len(run):
            return 0
        lvl = self._size_class(len(run))
        self.levels.setdefault(lvl, []).append(run)
        work = 0
        queue = self.levels[lvl]
        m = self.merges.get(lvl)
        if m is not None and len(queue) > self.max_backlog:
            # Merging fell behind: finish it now (counted as forced work).
            forced = m.step(FOREVER, self.since)
            self.stats.forced_work += forced
            work += forced
            del self.merges[lvl]
            work += self._place(m.result(self.since))
            queue = self.levels.get(lvl, [])
        if lvl not in self.merges and len(queue) >= self.fan_in:
            srcs, queue[:] = queue[:self.fan_in], queue[self.fan_in:]
            self.merges[lvl] = Merger(srcs, self.arity)
        if not queue:
            self.levels.pop(lvl, None)
        self.stats.max_runs = max(self.stats.max_runs, self.run_count())
        return work

    def run_count(self) -> int:
        return sum(len(q) for q in self.levels.values()) + 2 * len(self.merges)


def probe(run: Run, khash: Hashes, keycols: Sequence[Col], key: Sequence[int],
          order: Idx | None = None) -> tuple[Idx, Idx]:
    """Matches of probe keys in one run: (probe indexes, run indexes), value-verified.
    ``order``: the probes' permutation when ``khash`` is given sorted (``khash[i]`` is
    probe ``order[i]``); returned probe indexes are always the original ones."""
    lo, hi = run.key_ranges(khash)
    counts = hi - lo
    total = int(counts.sum())
    if total == 0:
        e = np.empty(0, dtype=np.intp)
        return e, e.copy()
    pi = np.repeat(np.arange(len(khash)) if order is None else order, counts)
    starts = np.cumsum(counts) - counts
    ri = np.arange(total) - np.repeat(starts, counts) + np.repeat(lo, counts)
    mask = np.ones(total, dtype=np.bool_)
    for kc, ki in zip(keycols, key, strict=True):
        mask &= equal_pairs(kc[pi], run.cols[ki][ri])
    if not mask.all():
        pi, ri = pi[mask], ri[mask]
    return pi.astype(np.intp), ri.astype(np.intp)

