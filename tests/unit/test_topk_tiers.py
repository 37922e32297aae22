"""TopK's two tiers (a sorted head, a heap for the rest) under workloads that reach them:
groups far larger than the head, deletions aimed at the top rows (forcing refills),
re-inserts of deleted rows (stale heap entries), mass deletions (heap rebuilds) and
multiplicities above one. Every time's output must equal a sort of the whole group."""

from __future__ import annotations

import datetime as dt
import gc
import random
from collections import Counter
from decimal import Decimal
from typing import Any

import numpy as np
import pytest

from pymz.compute.dataflow import Batch, Dataflow, Input, Order, Output, TopK, column
from pymz.compute.dataflow.graph import StateDict
from pymz.compute.dataflow.topk import _RankedGroup, batch_entries, sort_entry

Row = tuple[Any, ...]


def expected(state: Counter[Row], limit: int | None, offset: int) -> Counter[Row]:
    groups: dict[Any, list[Row]] = {}
    for r, m in state.items():
        groups.setdefault(r[0], []).extend([r] * m)
    out: Counter[Row] = Counter()
    end = None if limit is None else offset + limit
    for rows in groups.values():
        # Order: column 1 descending, column 2 ascending, then the row (TopK's tiebreak).
        rows.sort(key=lambda r: (-r[1], r[2], r))
        out.update(rows[offset:end])
    return out


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize(("limit", "offset"), [(1, 0), (3, 2), (10, 0), (None, 4)])
def test_top_k_tiers_equal_full_sort(seed: int, limit: int | None, offset: int) -> None:
    rng = random.Random(seed)
    df = Dataflow()
    inp = Input(df, 3)
    top = TopK(inp, (0,), [Order(1, desc=True), Order(2)], limit, offset)
    out = Output(top)
    state: Counter[Row] = Counter()
    for t in range(60):
        changes: list[tuple[Row, int]] = []
        live = sorted(state)
        action = rng.random()
        if action < 0.15 and live:
            # Delete the current leaders of a group: the head must refill from the heap.
            g = rng.choice("ab")
            leaders = [r for r in expected(state, None, 0) if r[0] == g]
            leaders.sort(key=lambda r: (-r[1], r[2], r))
            changes += [(r, -state[r]) for r in leaders[: rng.randint(1, 25)]]
        elif action < 0.2 and live:
            # Delete most of everything: stale heap entries outnumber live ones.
            changes += [(r, -state[r]) for r in live if rng.random() < 0.8]
        else:
            pending = Counter(state)
            for _ in range(rng.randint(1, 40)):
                r = (rng.choice("ab"), rng.randint(0, 60), rng.randint(0, 3))
                d = -1 if pending.get(r) and rng.random() < 0.4 else rng.randint(1, 2)
                pending[r] += d
                changes.append((r, d))
        merged: Counter[Row] = Counter()
        for r, d in changes:
            merged[r] += d
        for r, d in merged.items():
            if d:
                inp.send_rows([r], t, d)
                state[r] += d
                if state[r] == 0:
                    del state[r]
        inp.advance_to(t + 1)
        df.run()
        assert Counter(dict(out.rows(t))) == expected(state, limit, offset), t
    if limit is not None:
        # The workload did reach the heap tier.
        assert top.fill is not None and len(state) > 2 * top.fill


def test_ranked_group_heap_rebuild_keeps_live_rows_only() -> None:
    g = _RankedGroup()

    def entry(r: Row) -> tuple[Any, ...]:
        return (r[0], (0, r))

    for i in range(200):
        g.counts[(i,)] = 1
        g.add((i,), entry((i,)), cap=4)
    assert len(g.head) == 4 and g.rest_live == 196
    # Deleted then re-inserted: the heap holds a stale and a live entry of the same row.
    del g.counts[(195,)]
    g.discard((195,))
    g.counts[(195,)] = 1
    g.add((195,), entry((195,)), cap=4)
    for i in range(4, 190):
        del g.counts[(i,)]
        g.discard((i,))
    assert g.rest_live == 10
    assert len(g.rest) <= 2 * g.rest_live + 32  # rebuilt along the way
    for i in range(4):
        del g.counts[(i,)]
        g.discard((i,))
    g.refill(6)
    assert [e[0] for e in g.head] == [190, 191, 192, 193, 194, 195]


def test_batch_entries_equal_per_row_sort_entries() -> None:
    """Column-built sort entries are exactly the per-row ones (so both kinds meet in one
    head and heap), and are refused for batches holding NULLs or arrays."""
    rng = random.Random(3)
    n = 50
    ints = [rng.randint(-5, 5) for _ in range(n)] + [-(2**63)]  # negating it overflows int64
    cols = [
        column(ints),
        column([rng.random() for _ in range(n + 1)]),
        column([rng.choice([True, False]) for _ in range(n + 1)]),
        column([rng.choice(["a", "b", "ab"]) for _ in range(n + 1)]),
        column([dt.date(2020, 1, rng.randint(1, 9)) for _ in range(n + 1)]),
        column([Decimal(rng.randint(0, 9)) / 4 for _ in range(n + 1)]),
    ]
    batch = Batch(tuple(cols), np.zeros(n + 1, dtype=np.uint64), np.ones(n + 1, dtype=np.int64))
    rows = batch.rows()
    for desc in (False, True):
        order = tuple(Order(c, desc=desc ^ (c % 2 == 1)) for c in range(len(cols)))
        got = batch_entries(batch, rows, order)
        assert got == [sort_entry(r, order) for r in rows]
        assert got is not None and sorted(got) == sorted(sort_entry(r, order) for r in rows)
    with_null = Batch((column([1, None]),), np.zeros(2, dtype=np.uint64),
                      np.ones(2, dtype=np.int64))
    assert batch_entries(with_null, with_null.rows(), (Order(0),)) is None
    with_array = Batch((column([(1, None), (2,)]),), np.zeros(2, dtype=np.uint64),
                       np.ones(2, dtype=np.int64))
    assert batch_entries(with_array, with_array.rows(), (Order(0),)) is None


def test_large_row_maps_are_never_untracked_by_the_gc() -> None:
    """An exact dict of plain-value rows gets untracked by a collection and re-tracked as
    young by the next insert (then every young collection walks it): state maps must not."""
    plain: dict[Row, int] = {}
    state: dict[Row, int] = StateDict()
    g = _RankedGroup()
    for i in range(100):
        for d in (plain, state, g.counts):
            d[(i, i + 1)] = 1
    gc.collect()
    assert not gc.is_tracked(plain)  # the behaviour StateDict exists to avoid
    assert gc.is_tracked(state) and gc.is_tracked(g.counts)
