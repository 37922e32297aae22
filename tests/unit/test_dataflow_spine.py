"""Spine (arrangement) tests: lookups, consolidation, compaction, bounded merge work."""

from __future__ import annotations

from collections import Counter
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pymz.compute.dataflow import Batch, Spine, consolidate
from pymz.compute.dataflow.batch import hash_rows
from pymz.compute.dataflow.spine import SMALL_SPINE

# -1 and -2 have equal Python hashes: keys and rows collide on purpose.
VALUES = st.sampled_from([None, -1, -2, 0, 1, "a", "b", 2**70])
UPDATE = st.tuples(st.tuples(VALUES, VALUES), st.integers(0, 5), st.sampled_from([-1, 1, 2]))


def model(updates: list[tuple[tuple[Any, ...], int, int]], as_of: int) -> Counter[Any]:
    c: Counter[Any] = Counter()
    for row, t, d in updates:
        if t <= as_of:
            c[row] += d
    return Counter({r: m for r, m in c.items() if m})


@pytest.mark.parametrize("fan_in", [2, 4])
@pytest.mark.parametrize("small", [0, 40, SMALL_SPINE])  # merges; both; one re-sorted run
@settings(max_examples=150, deadline=None)
@given(st.lists(st.lists(UPDATE, max_size=12), max_size=12), st.integers(0, 5))
def test_lookup_and_snapshot_match_model(small: int, fan_in: int, batches: list[list[Any]],
                                         probe_time: int) -> None:
    sp = Spine((0,), 2, fuel_factor=1, small=small, fan_in=fan_in)
    h = sp.handle()
    seen: list[Any] = []
    for ups in batches:
        if ups:
            sp.insert(Batch.from_rows([r for r, _, _ in ups], [t for _, t, _ in ups],
                                      [d for _, _, d in ups], arity=2))
        seen.extend(ups)
    h.set_since(2)
    sp.exert(10)
    as_of = max(probe_time, 2)
    snap = sp.snapshot(as_of)
    rows = snap.rows()
    assert len(set(rows)) == len(rows)
    assert Counter(dict(zip(rows, snap.diff.tolist(), strict=True))) == model(seen, as_of)
    for key in [None, -1, -2, "a", 2**70]:
        kc = Batch.from_rows([(key,)], 0, arity=1).cols
        _, got = sp.lookup(hash_rows(kc, 1), kc)
        got_c: Counter[Any] = Counter()
        for row, t, d in got.updates():
            if t <= as_of:
                got_c[row] += d
        want = Counter({r: m for r, m in model(seen, as_of).items() if r[0] == key})
        assert Counter({r: m for r, m in got_c.items() if m}) == want


@settings(max_examples=100, deadline=None)
@given(st.lists(UPDATE, max_size=40))
def test_consolidate_is_complete(ups: list[Any]) -> None:
    b = Batch.from_rows([r for r, _, _ in ups], [t for _, t, _ in ups], [d for _, _, d in ups],
                        arity=2)
    c = consolidate(b)
    keys = list(zip(c.rows(), c.time.tolist(), strict=True))
    assert len(set(keys)) == len(keys)
    want: Counter[Any] = Counter()
    for r, t, d in ups:
        want[(r, t)] += d
    assert dict(zip(keys, c.diff.tolist(), strict=True)) == {k: v for k, v in want.items() if v}


def test_compaction_shrinks_history_and_keeps_contents() -> None:
    sp = Spine((0,), 2)
    h = sp.handle()
    for t in range(200):
        rows = [(k, t % 3) for k in range(50)]
        sp.insert(Batch.from_rows(rows, t, 1))
        if t:
            sp.insert(Batch.from_rows([(k, (t - 1) % 3) for k in range(50)], t, -1))
    before = sp.snapshot(199)
    assert len(sp) > 1000  # history of 200 times is kept while since = 0
    h.set_since(199)
    while sp.exert(10_000):
        pass
    assert sp.since == 199
    assert len(sp) == 50  # one live row per key, all at the since
    after = sp.snapshot(199)
    assert Counter(dict(zip(after.rows(), after.diff.tolist(), strict=True))) == Counter(
        dict(zip(before.rows(), before.diff.tolist(), strict=True)))
    assert {int(t) for r in sp.runs() for t in r.time} == {199}


def test_since_is_least_handle_and_drop_releases() -> None:
    sp = Spine((0,), 1)
    a, b = sp.handle(), sp.handle()
    a.set_since(10)
    assert sp.since == 0
    b.set_since(5)
    assert sp.since == 5
    b.drop()
    assert sp.since == 10


def test_merge_work_per_insert_is_bounded() -> None:
    """Work per insert is a constant times the batch, however large the state grows."""
    rng = np.random.default_rng(7)
    sp = Spine((0,), 2, fuel_factor=4)
    n = 250
    for i in range(500):
        keys = rng.integers(0, 10**9, n)
        sp.insert(Batch((keys, rng.integers(0, 5, n)), np.full(n, i, dtype=np.uint64),
                        np.ones(n, dtype=np.int64)))
    st_ = sp.stats
    assert len(sp) == 125_000
    assert st_.forced_work == 0
    # Each running merge gets fuel_factor * n per insert (a chunk may overshoot by a key's
    # rows) and at most one merge runs per size class: ~10 classes here.
    assert st_.max_insert_work <= 2 * 4 * n * 10
    assert st_.max_insert_work < len(sp) // 10  # never a merge of the whole state at once
    assert st_.max_runs <= 40
    # Late inserts (large state) do not cost more than early ones by more than the log.
    late = max(w for _, w in st_.per_insert[-100:])
    assert late <= 2 * 4 * n * 10
