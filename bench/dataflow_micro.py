"""Micro-benchmark of the incremental dataflow engine: join + aggregate, updates/s vs state.

    SELECT s.g, count(*), sum(r.v) FROM r JOIN s ON r.k = s.k GROUP BY s.g

``r`` holds N rows (10k, 100k, 1M), ``s`` N/10 rows in 100 groups. After loading, batches of
1000 updates (500 inserts, 500 deletes of live rows, one timestamp per batch) are pushed and
the dataflow stepped until the output is complete at that time. Per-update cost should stay
roughly flat as N grows 10x (lookups are binary searches, merges are paid in bounded chunks).

Side by side, in the same run: DuckDB recomputing the same query from scratch over the same
final state (what a non-incremental engine pays per refresh), and the ratio.

Run: ``.venv/bin/python bench/dataflow_micro.py [--sizes 10000,100000,1000000] [--batches 30]``
"""

from __future__ import annotations

import argparse
import time

import duckdb
import numpy as np
import pyarrow as pa  # type: ignore[import-untyped]

from pymz.compute.dataflow import (
    Agg,
    Arrange,
    Batch,
    Dataflow,
    Input,
    Join,
    MergeStats,
    Output,
    Reduce,
)


def run(n: int, batches: int, batch_size: int, seed: int = 1) -> dict[str, float]:
    rng = np.random.default_rng(seed)
    nk = max(n // 10, 1)
    df = Dataflow()
    r, s = Input(df, 2), Input(df, 2)
    ar, as_ = Arrange(r, (0,)), Arrange(s, (0,))
    j = Join(ar, as_)  # (k, v, k, g)
    out = Output(Reduce(j, (3,), [Agg("count"), Agg("sum", 1)]))

    t_load = time.perf_counter()
    keys = np.arange(nk, dtype=np.int64)
    s.send(Batch((keys, keys % 100), np.zeros(nk, np.uint64), np.ones(nk, np.int64)))
    rk = rng.integers(0, nk, n)
    rv = rng.integers(0, 1000, n)
    chunk = 100_000
    for lo in range(0, n, chunk):
        m = min(chunk, n - lo)
        r.send(Batch((rk[lo:lo + m], rv[lo:lo + m]), np.zeros(m, np.uint64),
                     np.ones(m, np.int64)))
    r.advance_to(1)
    s.advance_to(1)
    df.run()
    load_s = time.perf_counter() - t_load

    ar.spine.stats = MergeStats()  # steady state only, not the bulk load
    live_k, live_v = rk.tolist(), rv.tolist()
    warmup = 3
    half = batch_size // 2
    elapsed = 0.0
    worst = 0.0
    for i in range(batches + warmup):
        t = i + 1
        ins_k = rng.integers(0, nk, half)
        ins_v = rng.integers(0, 1000, half)
        pick = rng.choice(len(live_k), half, replace=False)
        del_k = np.array([live_k[p] for p in pick], dtype=np.int64)
        del_v = np.array([live_v[p] for p in pick], dtype=np.int64)
        for p in sorted(pick.tolist(), reverse=True):
            live_k[p] = live_k[-1]
            live_v[p] = live_v[-1]
            live_k.pop()
            live_v.pop()
        live_k.extend(ins_k.tolist())
        live_v.extend(ins_v.tolist())
        b = Batch((np.concatenate([ins_k, del_k]), np.concatenate([ins_v, del_v])),
                  np.full(2 * half, t, np.uint64),
                  np.concatenate([np.ones(half, np.int64), -np.ones(half, np.int64)]))
        start = time.perf_counter()
        r.send(b)
        r.advance_to(t + 1)
        s.advance_to(t + 1)
        df.run()
        out.allow_compaction(t)
        dt = time.perf_counter() - start
        if i < warmup:
            continue
        elapsed += dt
        worst = max(worst, dt)
    # Sanity: the maintained aggregate equals the live state.
    total = sum(m * row[1] for row, m in out.rows(batches + warmup))
    assert total == len(live_k), (total, len(live_k))
    duckdb_s = duckdb_recompute(np.array(live_k, np.int64), np.array(live_v, np.int64), nk)
    st = ar.spine.stats
    return {
        "n": n,
        "load_s": load_s,
        "updates_per_s": batches * 2 * half / elapsed,
        "us_per_update": elapsed / (batches * 2 * half) * 1e6,
        "worst_batch_ms": worst * 1e3,
        "max_merge_work_per_insert": st.max_insert_work,
        "forced_merge_work": st.forced_work,
        "runs": ar.spine.run_count(),
        "duckdb_batch_ms": duckdb_s * 1e3,
        "ours_batch_ms": elapsed / batches * 1e3,
    }


def duckdb_recompute(rk: np.ndarray, rv: np.ndarray, nk: int, repeats: int = 3) -> float:
    """Seconds DuckDB takes to compute the same query from scratch over the same final
    state (the comparison: what a non-incremental engine pays per refresh)."""
    con = duckdb.connect()
    keys = np.arange(nk, dtype=np.int64)
    con.register("r", pa.table({"k": rk, "v": rv}))
    con.register("s", pa.table({"k": keys, "g": keys % 100}))
    query = "SELECT s.g, count(*), sum(r.v) FROM r JOIN s ON r.k = s.k GROUP BY s.g"
    con.execute(query).fetchall()  # warm
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        con.execute(query).fetchall()
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--sizes", default="10000,100000,1000000")
    ap.add_argument("--batches", type=int, default=30)
    ap.add_argument("--batch-size", type=int, default=1000)
    a = ap.parse_args()
    print(f"{'state rows':>10} {'load s':>8} {'updates/s':>10} {'us/update':>10} "
          f"{'worst ms':>9} {'max merge work':>15} {'forced':>7} {'runs':>5} "
          f"{'ours ms/batch':>13} {'duckdb ms':>10} {'ratio':>7}")
    for n in (int(x) for x in a.sizes.split(",")):
        res = run(n, a.batches, a.batch_size)
        print(f"{n:>10} {res['load_s']:>8.2f} {res['updates_per_s']:>10.0f} "
              f"{res['us_per_update']:>10.1f} {res['worst_batch_ms']:>9.1f} "
              f"{res['max_merge_work_per_insert']:>15.0f} {res['forced_merge_work']:>7.0f} "
              f"{res['runs']:>5.0f} {res['ours_batch_ms']:>13.2f} "
              f"{res['duckdb_batch_ms']:>10.2f} "
              f"{res['duckdb_batch_ms'] / res['ours_batch_ms']:>7.2f}")
    print("ratio: DuckDB's full recompute time / our time to apply one batch of updates "
          "(> 1: incremental maintenance wins)")


if __name__ == "__main__":
    main()
