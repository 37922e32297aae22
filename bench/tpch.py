"""TPC-H incremental view maintenance vs DuckDB's full recompute.

Data: ``tpchgen-cli`` (PyPI; a Rust generator) writes Parquet once per scale factor under
``~/.cache/pymz/tpch/sf<N>/``; pyarrow loads the columns the queries read
(``bench/tpch_queries.py``). Per query (Q1, Q3 with its top 10 as a TopK, revenue by nation
as a 4-way join + aggregate, top 3 orders per priority): plan with ``pymz.expr.plan`` +
``optimize``, render a ``CompiledDataflow``, measure hydration (all data at time 1, stepped
until complete) and peak RSS, then refresh batches of 1, 1k and 10k rows (half inserts of
perturbed copies of live rows, half deletes of live rows; one timestamp per batch), each
timed until the output is complete at its time. Data reaches the dataflow as it does in
clusterd: encoded as persist's Arrow IPC batches (the writer's work, untimed), then decoded
into columns (``pymz.compute.arrow_input``, timed, as part of hydration and of each batch).
At the end the maintained result must equal DuckDB's recompute over the same final data
(multiset, float tolerance), and DuckDB's recompute time (best of 3) is the comparison. A
second, smaller scale factor repeats the 1k-batch run to measure latency flatness as the
state grows.

Everything runs in this one process, on one core: updates/s are updates/s/core. The
process uses clusterd's GC thresholds (``pymz.compute.gc_policy``).

Run: ``.venv/bin/python -m bench.tpch [--sf 0.1] [--flat-sf 0.01] [--markdown out.md]``
"""

from __future__ import annotations

import argparse
import gc
import math
import random
import resource
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa  # type: ignore[import-untyped]
import pyarrow.parquet as pq  # type: ignore[import-untyped]

from bench.tpch_queries import QUERIES, TABLES
from pymz.compute import gc_policy
from pymz.compute.arrow_input import arrow_batch
from pymz.compute.dataflow import Batch
from pymz.compute.dataflow.ops import demanded_columns
from pymz.compute.render import CompiledDataflow
from pymz.errors import PymzError
from pymz.expr import optimize, plan
from pymz.expr.relation import RelationExpr
from pymz.persist.codec import decode_table, encode_updates
from pymz.repr.types import Column

Row = tuple[Any, ...]
Data = dict[str, list[Row]]


def data_dir(sf: str) -> Path:
    """Parquet files for scale factor ``sf``, generated on first use."""
    d = Path.home() / ".cache" / "pymz" / "tpch" / f"sf{sf}"
    if all((d / f"{t}.parquet").exists() for t in TABLES):
        return d
    d.mkdir(parents=True, exist_ok=True)
    exe = shutil.which("tpchgen-cli") or str(Path(sys.executable).parent / "tpchgen-cli")
    subprocess.run([exe, "parquet", "-s", sf, "--output-dir", str(d)], check=True)
    return d


def load(sf: str) -> Data:
    d = data_dir(sf)
    out: Data = {}
    for t, cols in TABLES.items():
        tbl = pq.read_table(d / f"{t}.parquet", columns=[c.name for c in cols])
        arrays = []
        for c in cols:
            a = tbl.column(c.name)
            if pa.types.is_decimal(a.type):
                a = a.cast(pa.float64())
            elif pa.types.is_integer(a.type):
                a = a.cast(pa.int64())
            elif not pa.types.is_date(a.type):
                a = a.cast(pa.string())
            arrays.append(a.to_pylist())
        out[t] = list(zip(*arrays, strict=True))
    return out


def catalog(parts: tuple[str, ...]) -> tuple[str, tuple[Column, ...]] | None:
    name = parts[-1].lower()
    return (name, TABLES[name]) if name in TABLES else None


def plan_query(sql: str, fallback: str | None) -> tuple[RelationExpr, str, str]:
    """(optimised plan, the SQL that planned, a note on what had to change)."""
    try:
        return optimize(plan(sql, catalog).expr), sql, ""
    except PymzError as e:
        if fallback is None:
            raise
        return (optimize(plan(fallback, catalog).expr), fallback,
                f"planned without its LIMIT: {e}")


class Changes:
    """Live rows of the changed table and refresh batches over them."""

    def __init__(self, table: str, rows: list[Row], seed: int) -> None:
        self.table = table
        self.live = list(rows)
        self.rng = random.Random(seed)
        self.counter = 0
        self.max_key = max(r[0] for r in rows)

    def _perturb(self, row: Row) -> Row:
        self.counter += 1
        c = self.counter
        if self.table == "lineitem":
            # Same order (so joins still match), a line number no generated row has.
            ok, _, qty, price, disc, tax, rf, ls, ship = row
            return (ok, 1000 + c, qty + 1.0, round(price * 1.01, 2), disc, tax, rf, ls, ship)
        ok, cust, total, odate, prio, shipprio = row
        return (self.max_key + c, cust, round(total * 1.01 + c % 7, 2), odate, prio, shipprio)

    def batch(self, size: int, t: int) -> list[tuple[Row, int, int]]:
        n_del = size // 2 if size > 1 else self.rng.randint(0, 1)
        n_ins = size - n_del
        ins = [self._perturb(self.rng.choice(self.live)) for _ in range(n_ins)]
        picks = sorted(self.rng.sample(range(len(self.live)), n_del), reverse=True)
        dels = []
        for p in picks:
            dels.append(self.live[p])
            self.live[p] = self.live[-1]
            self.live.pop()
        self.live.extend(ins)
        return [(r, t, 1) for r in ins] + [(r, t, -1) for r in dels]


@dataclass
class BatchStats:
    size: int
    batches: int
    updates_per_s: float
    p50_ms: float
    p99_ms: float


@dataclass
class QueryResult:
    name: str
    note: str = ""
    error: str = ""
    hydration_s: float = 0.0
    peak_rss_mb: float = 0.0
    state_rows: int = 0
    stats: list[BatchStats] = field(default_factory=list)
    duckdb_ms: float = 0.0
    verified: str = ""


def pct(xs: list[float], q: float) -> float:
    s = sorted(xs)
    return s[min(len(s) - 1, max(0, math.ceil(q * len(s)) - 1))]


def duckdb_recompute(data: Data, sql: str, repeats: int = 3) -> tuple[float, list[Row]]:
    con = duckdb.connect()
    for t, cols in TABLES.items():
        rows = data[t]
        con.register(t, pa.table({c.name: [r[i] for r in rows] for i, c in enumerate(cols)}))
    result = [tuple(r) for r in con.execute(sql).fetchall()]
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        con.execute(sql).fetchall()
        best = min(best, time.perf_counter() - start)
    return best, result


def same_multiset(ours: list[Row], theirs: list[Row]) -> str:
    """'' when equal up to float tolerance, else a short description of the difference."""
    if len(ours) != len(theirs):
        return f"row counts differ: ours {len(ours)}, DuckDB {len(theirs)}"

    def key(r: Row) -> tuple[Any, ...]:
        return tuple((1, round(v, 2)) if isinstance(v, float) else (0, v) for v in r)

    for a, b in zip(sorted(ours, key=key), sorted(theirs, key=key), strict=True):
        for x, y in zip(a, b, strict=True):
            if isinstance(x, float) or isinstance(y, float):
                if not math.isclose(float(x), float(y), rel_tol=1e-6, abs_tol=1e-6):
                    return f"differs: {a} vs {b}"
            elif x != y:
                return f"differs: {a} vs {b}"
    return ""


def arrow_input(schema: tuple[Column, ...], blobs: list[bytes], as_of: int,
                demanded: tuple[int, ...] | None = None) -> Batch:
    """What a clusterd source does with persist batches: decode, then build the columns
    its dataflow reads."""
    return arrow_batch([decode_table(schema, b) for b in blobs], schema, as_of, demanded)


def run_query(name: str, base: Data, sizes: list[int], counts: dict[int, int],
              seed: int = 7) -> QueryResult:
    sql, table, fallback = QUERIES[name]
    res = QueryResult(name)
    try:
        expr, used_sql, res.note = plan_query(sql, fallback)
    except PymzError as e:
        res.error = f"cannot plan: {e}"
        return res
    used = [t for t in TABLES if t in used_sql]
    cd = CompiledDataflow(expr, {t: TABLES[t] for t in used}, as_of=1, name=name)
    # Inputs arrive as clusterd's sources get them: persist's Arrow IPC batches, decoded
    # into columns (the encoding is the writer's work and is not timed).
    encoded = {t: [encode_updates(TABLES[t], [(r, 1, 1) for r in base[t][i:i + 500_000]])
                   for i in range(0, len(base[t]), 500_000)] for t in used}
    start = time.perf_counter()
    for t in used:
        cd.push_batch(t, arrow_input(TABLES[t], encoded[t], 1,
                                     demanded_columns(cd.inputs[t])))
    del encoded
    cd.advance_all(2)
    cd.step()
    res.hydration_s = time.perf_counter() - start
    res.peak_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    res.state_rows = sum(len(base[t]) for t in used)
    changes = Changes(table, base[table], seed)
    # The harness's own row lists (millions of tuples, not the engine's state) would be
    # traversed by the cyclic GC's young collections right after they are built, showing up
    # as 50-180 ms spikes in p99; freezing moves them out of its reach.
    gc.collect()
    gc.freeze()
    now = 2
    for size in sizes:
        lat: list[float] = []
        for _ in range(counts[size]):
            data = encode_updates(TABLES[table], changes.batch(size, now))
            start = time.perf_counter()
            cd.push_batch(table, arrow_input(TABLES[table], [data], 1,
                                             demanded_columns(cd.inputs[table])))
            cd.advance_all(now + 1)
            cd.step()
            cd.allow_compaction(now)
            lat.append(time.perf_counter() - start)
            assert cd.frontier > now
            now += 1
        res.stats.append(BatchStats(size, len(lat), size * len(lat) / sum(lat),
                                    pct(lat, 0.5) * 1e3, pct(lat, 0.99) * 1e3))
    final = dict(base)
    final[table] = changes.live
    best, theirs = duckdb_recompute(final, used_sql)
    res.duckdb_ms = best * 1e3
    ours = [r for r, m in cd.snapshot(now - 1) for _ in range(m)]
    diff = same_multiset(ours, theirs)
    res.verified = "equal to DuckDB" if not diff else f"MISMATCH {diff}"
    gc.unfreeze()
    return res


def print_result(res: QueryResult, sf: str) -> None:
    print(f"\n{res.name} (SF {sf})")
    if res.error:
        print(f"  {res.error}")
        return
    if res.note:
        print(f"  note: {res.note}")
    print(f"  hydration {res.hydration_s:.2f} s over {res.state_rows} rows; peak RSS "
          f"{res.peak_rss_mb:.0f} MB; final result {res.verified}")
    print(f"  {'batch':>6} {'n':>4} {'updates/s/core':>15} {'p50 ms':>8} {'p99 ms':>8} "
          f"{'duckdb ms':>10} {'ratio':>7}")
    for s in res.stats:
        ratio = res.duckdb_ms / s.p50_ms
        print(f"  {s.size:>6} {s.batches:>4} {s.updates_per_s:>15.0f} {s.p50_ms:>8.2f} "
              f"{s.p99_ms:>8.2f} {res.duckdb_ms:>10.2f} {ratio:>7.2f}")


def markdown(results: list[QueryResult], sf: str, flat: dict[str, tuple[float, float]],
             flat_sf: str) -> str:
    lines = [f"SF {sf}. ratio = DuckDB recompute ms / our p50 ms for that batch size.", ""]
    for res in results:
        lines.append(f"**{res.name}**" + (f" — {res.error}" if res.error else ""))
        if res.error:
            lines.append("")
            continue
        if res.note:
            lines.append(f"({res.note})")
        lines += ["", f"hydration {res.hydration_s:.2f} s ({res.state_rows:,} input rows), "
                  f"peak RSS after hydration {res.peak_rss_mb:.0f} MB, final result "
                  f"{res.verified}; DuckDB recompute {res.duckdb_ms:.2f} ms.", "",
                  "| batch | updates/s/core | p50 ms | p99 ms | DuckDB ms | ratio |",
                  "| ---: | ---: | ---: | ---: | ---: | ---: |"]
        for s in res.stats:
            lines.append(f"| {s.size:,} | {s.updates_per_s:,.0f} | {s.p50_ms:.2f} | "
                         f"{s.p99_ms:.2f} | {res.duckdb_ms:.2f} | "
                         f"{res.duckdb_ms / s.p50_ms:.2f} |")
        if res.name in flat:
            small, big = flat[res.name]
            lines.append(f"\n1k-batch p50: {small:.2f} ms at SF {flat_sf}, {big:.2f} ms at "
                         f"SF {sf} → ratio {big / small:.2f}")
        lines.append("")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--sf", default="0.1")
    ap.add_argument("--flat-sf", default="0.01", help="'' to skip the flatness run")
    ap.add_argument("--queries", default=",".join(QUERIES))
    ap.add_argument("--sizes", default="1,1000,10000")
    ap.add_argument("--counts", default="200,20,5", help="batches per size")
    ap.add_argument("--markdown", default="", help="also write a markdown summary here")
    a = ap.parse_args()
    gc_policy.apply()  # as clusterd runs
    sizes = [int(x) for x in a.sizes.split(",")]
    counts = dict(zip(sizes, (int(x) for x in a.counts.split(",")), strict=True))
    names = a.queries.split(",")
    flat_small: dict[str, float] = {}
    if a.flat_sf:
        small = load(a.flat_sf)
        for name in names:
            r = run_query(name, small, [1000], {1000: counts.get(1000, 20)})
            print_result(r, a.flat_sf)
            if r.stats:
                flat_small[name] = r.stats[0].p50_ms
        del small
    data = load(a.sf)
    results = []
    flat: dict[str, tuple[float, float]] = {}
    for name in names:
        r = run_query(name, data, sizes, counts)
        print_result(r, a.sf)
        results.append(r)
        big = [s.p50_ms for s in r.stats if s.size == 1000]
        if name in flat_small and big:
            flat[name] = (flat_small[name], big[0])
            print(f"  flatness: 1k-batch p50 {flat_small[name]:.2f} ms at SF {a.flat_sf} "
                  f"-> {big[0]:.2f} ms at SF {a.sf} (x{big[0] / flat_small[name]:.2f})")
    print("\nratio: DuckDB's full recompute / our p50 time to apply one batch (> 1: "
          "incremental wins). Peak RSS is the process maximum so far (monotone).")
    if a.markdown:
        Path(a.markdown).write_text(markdown(results, a.sf, flat, a.flat_sf))


if __name__ == "__main__":
    main()
