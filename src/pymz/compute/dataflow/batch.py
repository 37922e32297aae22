"""Columnar update batches: ``(columns…, time, diff)`` as numpy arrays.

A column is a 1-d numpy array of dtype int64, float64, bool or ``object``. Anything that
may hold NULL (``None``), text, Decimal, or Python ints beyond 64 bits is ``object``; numpy
unicode dtypes are never used because their comparisons with other dtypes do not work
elementwise. Row identity (for consolidation and keys) is Python value equality, and row
hashes mix each value's Python ``hash``, so ``5``, ``np.int64(5)`` and ``5.0`` hash and
compare alike whichever dtype a column happens to have in a batch. Hashes are not stable
across processes (``str`` hashing is salted).
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

Col = npt.NDArray[Any]
Times = npt.NDArray[np.uint64]
Diffs = npt.NDArray[np.int64]
Hashes = npt.NDArray[np.int64]

# A frontier is the least time still possible; FOREVER means "closed, nothing more".
FOREVER = 2**64


def column(values: Iterable[Any]) -> Col:
    """Make a column from Python values, choosing a native dtype only when it is exact."""
    vals = values if isinstance(values, list) else list(values)
    kinds = set(map(type, vals))
    if len(kinds) == 1:
        kind = next(iter(kinds))
        if kind is int:
            try:
                return np.array(vals, dtype=np.int64)
            except OverflowError:
                pass  # beyond 64 bits: Python ints in an object column
        elif kind is float:
            return np.array(vals, dtype=np.float64)
        elif kind is bool:
            return np.array(vals, dtype=np.bool_)
    out = np.empty(len(vals), dtype=object)
    out[:] = vals
    return out


def as_column(values: Any) -> Col:
    """Coerce user function output to a column (numpy arrays pass through, unicode → object)."""
    if isinstance(values, np.ndarray):
        if values.dtype.kind in "USV":
            return values.astype(object)
        return values
    return column(values)


def before(times: Times, frontier: int) -> npt.NDArray[np.bool_]:
    """Mask of ``times < frontier`` (a frontier may be FOREVER, beyond uint64)."""
    if frontier >= FOREVER:
        return np.ones(len(times), dtype=np.bool_)
    return times < np.uint64(frontier)


@dataclass(frozen=True, slots=True)
class Batch:
    """A Z-set fragment: row ``i`` is ``tuple(c[i] for c in cols)``, ``time[i]``, ``diff[i]``."""

    cols: tuple[Col, ...]
    time: Times
    diff: Diffs

    def __len__(self) -> int:
        return len(self.diff)

    @property
    def arity(self) -> int:
        return len(self.cols)

    @staticmethod
    def empty(arity: int) -> Batch:
        return Batch(
            tuple(np.empty(0, dtype=object) for _ in range(arity)),
            np.empty(0, dtype=np.uint64),
            np.empty(0, dtype=np.int64),
        )

    @staticmethod
    def from_rows(
        rows: Sequence[Sequence[Any]], time: int | Sequence[int], diff: int | Sequence[int] = 1,
        arity: int | None = None,
    ) -> Batch:
        """Build a batch from Python row tuples (a test/adapter convenience, per-row Python)."""
        n = len(rows)
        width = arity if arity is not None else (len(rows[0]) if rows else 0)
        cols = tuple(column(r[i] for r in rows) for i in range(width))
        t = np.full(n, time, dtype=np.uint64) if isinstance(time, int) else np.array(
            time, dtype=np.uint64)
        d = np.full(n, diff, dtype=np.int64) if isinstance(diff, int) else np.array(
            diff, dtype=np.int64)
        return Batch(cols, t, d)

    def take(self, idx: npt.NDArray[Any]) -> Batch:
        """Rows selected by an index array or boolean mask."""
        return Batch(tuple(c[idx] for c in self.cols), self.time[idx], self.diff[idx])

    def with_cols(self, cols: tuple[Col, ...]) -> Batch:
        return Batch(cols, self.time, self.diff)

    def rows(self) -> list[tuple[Any, ...]]:
        """Row tuples as plain Python values (``tolist`` turns numpy scalars into Python ones)."""
        return list(zip(*(c.tolist() for c in self.cols), strict=True)) if self.cols else [
            () for _ in range(len(self))]

    def updates(self) -> list[tuple[tuple[Any, ...], int, int]]:
        return list(zip(self.rows(), self.time.tolist(), self.diff.tolist(), strict=True))


def concat(batches: Sequence[Batch], arity: int) -> Batch:
    parts = [b for b in batches if len(b)]
    if not parts:
        return Batch.empty(arity)
    if len(parts) == 1:
        return parts[0]
    cols = tuple(concat_cols([b.cols[i] for b in parts]) for i in range(arity))
    return Batch(
        cols, np.concatenate([b.time for b in parts]), np.concatenate([b.diff for b in parts]))


def concat_cols(cols: list[Col]) -> Col:
    if len(cols) == 1:
        return cols[0]  # columns are never written in place: no copy needed
    kinds = {c.dtype for c in cols}
    if len(kinds) == 1:
        return np.concatenate(cols)
    # Mixed dtypes: go through object so values keep their Python identity (no int→float).
    return np.concatenate([c.astype(object) for c in cols])


_HASH_BITS = np.uint64(61)
_HASH_MODULUS = np.uint64(2**61 - 1)  # CPython's numeric hash modulus
_MIX_MUL = np.uint64(0x9E3779B97F4A7C15)
_MIX_SEED = np.uint64(0x2545F4914F6CDD1D)
_FEW_ROWS = 16  # hashed in plain Python up to this many rows
_U64 = 2**64 - 1


def hash_rows(cols: Sequence[Col], n: int) -> Hashes:
    """A hash of each row of ``cols`` that agrees for equal values whatever the dtypes.

    Each value hashes as Python's ``hash`` (so ``5``, ``np.int64(5)``, ``5.0`` and
    ``Decimal(5)`` agree), computed with numpy for int64, bool and float64 columns; the
    column hashes are then mixed with a multiply-xorshift. Why not ``hash(tuple)``: building
    a tuple per row costs more than everything else an arrangement insert does. A few rows
    are mixed in plain Python instead (same result), as numpy's per-call costs dominate.
    """
    if n <= _FEW_ROWS:
        rows = zip(*(c.tolist() for c in cols), strict=True) if cols else [()] * n
        return np.array([_mix_row(r) for r in rows], dtype=np.int64)
    acc = np.full(n, _MIX_SEED, dtype=np.uint64)
    for c in cols:
        acc ^= value_hashes(c).view(np.uint64)
        acc *= _MIX_MUL
        acc ^= acc >> np.uint64(29)
    return acc.view(np.int64)


def _mix_row(row: tuple[Any, ...]) -> int:
    """:func:`hash_rows` for one row, in Python integers (NaN may hash differently, which
    is harmless: it equals nothing)."""
    acc = int(_MIX_SEED)
    mul = int(_MIX_MUL)
    for v in row:
        acc = ((acc ^ (hash(v) & _U64)) * mul) & _U64
        acc ^= acc >> 29
    return acc - 2**64 if acc >= 2**63 else acc


def value_hashes(col: Col) -> Hashes:
    """Python's ``hash`` of every value of a column, as int64."""
    if col.dtype == np.bool_:
        col = col.astype(np.int64)
    if col.dtype == np.int64:
        mag = np.abs(col).view(np.uint64) % _HASH_MODULUS  # abs(int64 min) reads as 2**63
        h = np.where(col < 0, -(mag.view(np.int64)), mag.view(np.int64))
        h[h == -1] = -2
        return h
    if col.dtype == np.float64 and len(col) > _FEW_ROWS:
        return _float_hashes(col)
    return np.fromiter(map(hash, col.tolist()), dtype=np.int64, count=len(col))


def _float_hashes(col: Col) -> Hashes:
    """CPython's float hash, vectorised: ``|v| = mant * 2**exp`` with a 53-bit integer
    mantissa, hashed as ``mant * 2**exp mod (2**61 - 1)`` (a rotation of 61-bit words),
    signed. NaN hashes as 0: it equals nothing, so any constant is consistent."""
    frac, exp = np.frexp(np.where(np.isfinite(col), col, 0.0))
    mant = (np.abs(frac) * 2.0**53).astype(np.uint64)  # exact: 53 significant bits
    rot = ((exp.astype(np.int64) - 53) % 61).astype(np.uint64)
    h = (((mant << rot) & _HASH_MODULUS) | (mant >> (_HASH_BITS - rot))).view(np.int64)
    h = np.where(frac < 0, -h, h)
    h[h == -1] = -2
    inf = np.isinf(col)
    if inf.any():
        h[inf] = np.where(col[inf] > 0, 314159, -314159)
    h[np.isnan(col)] = 0
    return h


def equal_adjacent(col: Col) -> npt.NDArray[np.bool_]:
    """``col[i] == col[i+1]`` elementwise, with Python equality (None == None)."""
    if col.dtype == object:
        return np.fromiter(
            map(_py_eq, col[:-1], col[1:]), dtype=np.bool_, count=max(len(col) - 1, 0))
    return np.asarray(col[:-1] == col[1:], dtype=np.bool_)


def equal_pairs(a: Col, b: Col) -> npt.NDArray[np.bool_]:
    """``a[i] == b[i]`` with Python equality, whatever the two dtypes."""
    if object in (a.dtype, b.dtype):
        return np.fromiter(map(_py_eq, a, b), dtype=np.bool_, count=len(a))
    return np.asarray(a == b, dtype=np.bool_)


def _py_eq(x: Any, y: Any) -> bool:
    return bool(x == y)


def consolidation_plan(
    cols: Sequence[Col], time: Times, diff: Diffs, khash: Hashes, rhash: Hashes
) -> tuple[npt.NDArray[np.intp], Diffs]:
    """One representative per distinct ``(row, time)``, sorted by (khash, rhash, time).

    Returns indexes into the inputs and the summed diffs, zeros dropped. Vectorised: equal
    rows are neighbours after sorting by hashes and time, and are confirmed by comparing
    values. Distinct rows with equal hashes (``hash(-1) == hash(-2)``) get a secondary sort
    id from a dict over just those rows, so consolidation is always complete.
    """
    n = len(diff)
    order = hash_order(khash, rhash, time)
    if n <= 1:
        return order.astype(np.intp), diff[order]
    same, valeq, cand = _neighbours(cols, time, rhash, order)
    if not valeq.all():
        grp = np.cumsum(np.concatenate(([True], ~same)))
        pos = np.flatnonzero(np.isin(grp, np.unique(grp[1:][cand[~valeq]])))
        picked = order[pos]
        ids: dict[tuple[Any, ...], int] = {}
        rows = zip(*(c[picked].tolist() for c in cols), strict=True)
        sec = np.zeros(n, dtype=np.int64)
        sec[picked] = [ids.setdefault(r, len(ids)) for r in rows]
        order = np.lexsort((sec, time, rhash, khash))
        same, valeq, cand = _neighbours(cols, time, rhash, order)
        same &= sec[order][:-1] == sec[order][1:]
    same[cand] &= valeq
    starts = np.flatnonzero(np.concatenate(([True], ~same)))
    sums = np.add.reduceat(diff[order], starts)
    keep = sums != 0
    return order[starts][keep].astype(np.intp), sums[keep]


def hash_order(khash: Hashes, rhash: Hashes, time: Times) -> npt.NDArray[np.intp]:
    """The permutation sorting rows by (khash, rhash, time).

    A stable sort on ``khash`` alone, then a re-sort of just the runs of equal ``khash``
    that are out of order on (rhash, time). Why not ``np.lexsort``: it does three full
    sorts, while a stable sort of concatenated sorted runs (a merge's input) is a linear
    timsort pass (10 to 70 times cheaper for merge chunks), and key ties are usually few.
    """
    order = np.argsort(khash, kind="stable")
    if len(order) <= 1:
        return order
    k = khash[order]
    tie = k[1:] == k[:-1]
    if not tie.any():
        return order
    r, t = rhash[order], time[order]
    bad = tie & ((r[1:] < r[:-1]) | ((r[1:] == r[:-1]) & (t[1:] < t[:-1])))
    if not bad.any():
        return order
    seg = np.cumsum(np.concatenate(([True], ~tie)))  # id of each run of equal khash
    marked = np.zeros(int(seg[-1]) + 1, dtype=np.bool_)
    marked[seg[1:][bad]] = True
    pos = np.flatnonzero(marked[seg])
    # Segments are contiguous and in khash order, so sorting their members among the same
    # positions keeps the whole order sorted.
    order[pos] = order[pos[np.lexsort((t[pos], r[pos], seg[pos]))]]
    return order


def _neighbours(
    cols: Sequence[Col], time: Times, rhash: Hashes, order: npt.NDArray[Any]
) -> tuple[npt.NDArray[np.bool_], npt.NDArray[np.bool_], npt.NDArray[np.intp]]:
    rh, t = rhash[order], time[order]
    same = (rh[:-1] == rh[1:]) & (t[:-1] == t[1:])
    cand = np.flatnonzero(same)
    valeq = np.ones(len(cand), dtype=np.bool_)
    if len(cand):
        for c in cols:
            sc = c[order]
            valeq &= equal_pairs(sc[cand], sc[cand + 1])
    return same, valeq, cand


def consolidate(batch: Batch, since: int = 0) -> Batch:
    """Sum diffs of equal ``(row, time)`` and drop zeros; times below ``since`` become ``since``."""
    n = len(batch)
    if n == 0:
        return batch
    time = batch.time
    if since > 0:
        time = np.maximum(time, np.uint64(min(since, FOREVER - 1)))
    rh = hash_rows(batch.cols, n)
    sel, diff = consolidation_plan(batch.cols, time, batch.diff, rh, rh)
    return Batch(tuple(c[sel] for c in batch.cols), time[sel], diff)


class TimeBuffer:
    """Updates waiting for their time to become complete, bucketed by time.

    Each update is touched once when buffered and once when released, so updates held for
    the future (temporal filters' retractions) cost nothing while they wait.
    """

    def __init__(self, arity: int) -> None:
        self.arity = arity
        self.by_time: dict[int, list[Batch]] = {}
        self.heap: list[int] = []
        self.rows = 0

    def push(self, batch: Batch) -> None:
        n = len(batch)
        if n == 0:
            return
        self.rows += n
        t0 = batch.time[0]
        if bool((batch.time == t0).all()):
            self._add(int(t0), batch)
            return
        order = np.argsort(batch.time, kind="stable")
        b = batch.take(order)
        cuts = (np.flatnonzero(b.time[1:] != b.time[:-1]) + 1).tolist()
        for lo, hi in itertools.pairwise([0, *cuts, n]):
            self._add(int(b.time[lo]), b.take(np.arange(lo, hi)))

    def _add(self, t: int, b: Batch) -> None:
        bucket = self.by_time.get(t)
        if bucket is None:
            self.by_time[t] = [b]
            heapq.heappush(self.heap, t)
        else:
            bucket.append(b)

    def pop_before(self, frontier: int) -> list[tuple[int, Batch]]:
        """Release every time ``< frontier``, in increasing time order."""
        out: list[tuple[int, Batch]] = []
        while self.heap and self.heap[0] < frontier:
            t = heapq.heappop(self.heap)
            b = concat(self.by_time.pop(t), self.arity)
            self.rows -= len(b)
            out.append((t, b))
        return out
