"""KeyIndex (hash index over a run's key hashes) gives exactly binary search's ranges, and
spine lookups give the same matches through it as without it."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pymz.compute.dataflow import spine as spine_mod
from pymz.compute.dataflow.batch import Batch, hash_rows
from pymz.compute.dataflow.keyindex import KeyIndex
from pymz.compute.dataflow.spine import Spine


def _ranges_by_search(keys: np.ndarray, probes: np.ndarray) -> tuple[list[int], list[int]]:
    return (np.searchsorted(keys, probes, side="left").tolist(),
            np.searchsorted(keys, probes, side="right").tolist())


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(-(2**63), 2**63 - 1), max_size=300),
       st.lists(st.integers(-(2**63), 2**63 - 1), max_size=50), st.integers(1, 4))
def test_find_equals_binary_search(keys: list[int], extra: list[int], repeat: int) -> None:
    # Runs are sorted by key hash and may repeat a hash (several rows per key).
    arr = np.sort(np.repeat(np.array(keys, dtype=np.int64), repeat))
    probes = np.array(keys[:20] + extra, dtype=np.int64)
    lo, hi = KeyIndex(arr).find(probes)
    want_lo, want_hi = _ranges_by_search(arr, probes)
    found = [h > lo_ for lo_, h in zip(lo.tolist(), hi.tolist(), strict=True)]
    assert [h - lo_ for lo_, h in zip(lo.tolist(), hi.tolist(), strict=True)] == [
        h - lo_ for lo_, h in zip(want_lo, want_hi, strict=True)]
    assert [x for x, f in zip(lo.tolist(), found, strict=True) if f] == [
        x for x, f in zip(want_lo, found, strict=True) if f]


def test_clustered_hashes_and_a_large_table() -> None:
    # Hashes equal modulo the table size collide and must all be found (linear probing).
    rng = np.random.default_rng(7)
    keys = np.sort(np.concatenate([np.arange(0, 1 << 20, 1 << 10, dtype=np.int64),
                                   rng.integers(-(2**62), 2**62, 50_000)]))
    idx = KeyIndex(keys)
    probes = np.concatenate([keys[::7], rng.integers(-(2**62), 2**62, 1000)])
    lo, hi = idx.find(probes)
    want_lo, want_hi = _ranges_by_search(keys, probes)
    assert (hi - lo).tolist() == (np.array(want_hi) - np.array(want_lo)).tolist()
    assert lo[hi > lo].tolist() == np.array(want_lo)[hi > lo].tolist()


def test_spine_lookups_through_the_index(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(3)
    rows = [(int(k), int(v)) for k, v in zip(rng.integers(0, 500, 4000),
                                             rng.integers(0, 10, 4000), strict=True)]
    probes = [(int(k),) for k in rng.integers(-10, 510, 300)]

    def matches(min_rows: int) -> list[tuple[int, tuple[object, ...]]]:
        monkeypatch.setattr(spine_mod, "INDEX_MIN_ROWS", min_rows)
        sp = Spine((0,), 2)
        for i in range(0, len(rows), 500):
            sp.insert(Batch.from_rows(rows[i:i + 500], 1))
        keycols = [np.array([p[0] for p in probes], dtype=np.int64)]
        pi, found = sp.lookup(hash_rows(keycols, len(probes)), keycols)
        return sorted(zip(pi.tolist(), found.rows(), strict=True))

    assert matches(1) == matches(10**9)
