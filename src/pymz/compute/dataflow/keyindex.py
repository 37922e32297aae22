"""A hash index over a large run's key hashes, for lookups with few cache misses.

Binary search over a run of millions of rows touches ~20 random places of its key-hash
array per probe, and each is a cache miss: at TPC-H scale factor 1 that was most of a
delta join's time. :class:`KeyIndex` is an open-addressing table (linear probing, load at
most one half) from each distinct key hash to the rows holding it (runs are sorted by key
hash, so they are contiguous): a probe costs about one and a half random reads. Building
and probing are vectorised: each round handles every probe still looking, and rounds get
fewer quickly.

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
# Probing rounds before the rest are binary-searched (most probes end in one or two).
_ROUNDS = 3


class KeyIndex:
    def __init__(self, khash: Ints) -> None:
        n = len(khash)
        first = np.ones(n, dtype=np.bool_)
        if n > 1:
            first[1:] = khash[1:] != khash[:-1]
        self.starts: Ints = np.flatnonzero(first).astype(np.int64)
        self.ends: Ints = np.append(self.starts[1:], np.int64(n))
        self.keys: Ints = khash[self.starts]
        size = 1 << max(4, (2 * len(self.keys)).bit_length())
        self.mask = np.int64(size - 1)
        self.table: Ints = np.full(size, _EMPTY, dtype=np.int64)
        pending = np.arange(len(self.keys), dtype=np.int64)
        slot = self.keys & self.mask
        while len(pending):
            free = self.table[slot] == _EMPTY
            # Among the keys aiming at one free slot the last write wins; the others (and
            # those aiming at taken slots) try the next slot.
            self.table[slot[free]] = pending[free]
            placed = np.zeros(len(pending), dtype=np.bool_)
            placed[free] = self.table[slot[free]] == pending[free]
            pending = pending[~placed]
            slot = (slot[~placed] + 1) & self.mask

    def find(self, probes: Ints) -> tuple[Ints, Ints]:
        """``(lo, hi)`` per probe: the rows whose key hash equals it."""
        n = len(probes)
        lo = np.zeros(n, dtype=np.int64)
        hi = np.zeros(n, dtype=np.int64)
        todo = np.arange(n, dtype=np.int64)
        slot = probes & self.mask
        want = probes
        for _ in range(_ROUNDS):
            if not len(todo):
                break
            entry = self.table[slot]
            found = entry != _EMPTY
            hit = np.zeros(len(todo), dtype=np.bool_)
            hit[found] = self.keys[entry[found]] == want[found]
            if hit.any():
                e = entry[hit]
                lo[todo[hit]] = self.starts[e]
                hi[todo[hit]] = self.ends[e]
            more = found & ~hit  # occupied by another key: keep probing
            todo, slot, want = todo[more], (slot[more] + 1) & self.mask, want[more]
        if len(todo):
            # The few probes in long clusters: binary search over the distinct keys (each
            # numpy round has a fixed cost that a long tail of rounds would pay again).
            at = np.searchsorted(self.keys, want)
            inside = at < len(self.keys)
            ok = np.zeros(len(todo), dtype=np.bool_)
            ok[inside] = self.keys[at[inside]] == want[inside]
            lo[todo[ok]] = self.starts[at[ok]]
            hi[todo[ok]] = self.ends[at[ok]]
        return lo, hi
