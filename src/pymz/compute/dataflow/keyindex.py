"""A hash index over a large run's key hashes, for lookups with few cache misses.

Binary search over a run of millions of rows touches ~20 random places of its key-hash
array per probe, and each is a cache miss: at TPC-H scale factor 1 that was most of a
delta join's time. :class:`KeyIndex` places each distinct key hash of a run (runs are
sorted by key hash, so a key's rows are contiguous) in a table at least twice as large, at
the slot given by the hash's top bits, or the next free slot after the previous key. Key
hashes are uniform, so keys land on or just after their slot, in sorted order: a probe reads
its slot and usually stops there (one cache miss), and the table is built in one
sequential, vectorised pass (a running maximum), cheap enough to build on a run's first
lookup.

Guarantees: :meth:`KeyIndex.find` returns, for every probe, the ``[lo, hi)`` range of rows
whose key hash equals it (empty when none), exactly what two ``searchsorted`` calls give.
Does not: compare key values (callers verify them, as for binary search), or change with
the run (runs are immutable; an index belongs to one run).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

Ints = npt.NDArray[np.int64]
_EMPTY = -1
# Probing rounds before the rest are binary-searched (most probes end in the first).
_ROUNDS = 3
_SIGN = np.uint64(1 << 63)


class KeyIndex:
    def __init__(self, khash: Ints) -> None:
        n = len(khash)
        first = np.ones(n, dtype=np.bool_)
        if n > 1:
            first[1:] = khash[1:] != khash[:-1]
        starts = np.flatnonzero(first).astype(np.int64)
        self.keys: Ints = khash[starts]
        # bounds[k]:bounds[k + 1] are the rows of the k-th distinct key.
        self.bounds: Ints = np.append(starts, np.int64(n))
        m = len(self.keys)
        bits = max(4, (2 * m).bit_length())
        self.shift = np.uint64(64 - bits)
        order = np.arange(m, dtype=np.int64)
        # Key k goes to max(its slot, the previous key's place + 1): a running maximum of
        # slot - k, plus k. Slots never decrease (keys are sorted, slots are top bits).
        place = np.maximum.accumulate(self._slot(self.keys) - order) + order if m else order
        size = max(1 << bits, int(place[-1]) + 1 if m else 0)
        self.ordinal: Ints = np.full(size, _EMPTY, dtype=np.int64)
        self.ordinal[place] = order
        self.hashes: Ints = np.zeros(size, dtype=np.int64)
        self.hashes[place] = self.keys

    def _slot(self, hashes: Ints) -> Ints:
        """The top bits of each hash, in signed order (so sorted hashes give sorted slots)."""
        return ((hashes.view(np.uint64) ^ _SIGN) >> self.shift).astype(np.int64)

    def find(self, probes: Ints) -> tuple[Ints, Ints]:
        """``(lo, hi)`` per probe: the rows whose key hash equals it."""
        n = len(probes)
        lo = np.zeros(n, dtype=np.int64)
        hi = np.zeros(n, dtype=np.int64)
        todo = np.arange(n, dtype=np.int64)
        at = self._slot(probes)
        want = probes
        size = len(self.ordinal)
        for _ in range(_ROUNDS):
            if not len(todo):
                break
            inside = at < size
            todo, at, want = todo[inside], at[inside], want[inside]
            entry = self.ordinal[at]
            stored = self.hashes[at]
            filled = entry != _EMPTY
            hit = filled & (stored == want)
            if hit.any():
                e = entry[hit]
                lo[todo[hit]] = self.bounds[e]
                hi[todo[hit]] = self.bounds[e + 1]
            # Keys sit in order: a smaller key here means ours may be further on.
            more = filled & (stored < want)
            todo, at, want = todo[more], at[more] + 1, want[more]
        if len(todo):
            # The few probes in long clusters: binary search over the distinct keys (each
            # numpy round has a fixed cost that a long tail of rounds would pay again).
            k = np.searchsorted(self.keys, want)
            inside = k < len(self.keys)
            ok = np.zeros(len(todo), dtype=np.bool_)
            ok[inside] = self.keys[k[inside]] == want[inside]
            lo[todo[ok]] = self.bounds[k[ok]]
            hi[todo[ok]] = self.bounds[k[ok] + 1]
        return lo, hi
