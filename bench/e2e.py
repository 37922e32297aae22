"""End to end through environmentd: index hydration over lineitem, and the latency from an
INSERT's commit to the change arriving in a SUBSCRIBE — side by side with DuckDB
recomputing the same query from scratch over the same data, in the same run.

    .venv/bin/python -m bench.e2e [--sf 0.1] [--samples 30]

What runs: a fresh environmentd (process orchestrator, one clusterd of size 1) over its
default local persist. ``lineitem`` (tpchgen-cli, as in ``bench.tpch``) is loaded with
COPY. Then:

- **index hydration**: ``CREATE INDEX ON lineitem (l_orderkey)`` until a key lookup through
  it answers (the lookup waits until the arrangement is complete at the read timestamp);
- **materialized view**: TPC-H Q1 as ``CREATE MATERIALIZED VIEW``, hydration likewise;
- **INSERT → SUBSCRIBE**: a ``COPY (SUBSCRIBE q1 WITH (SNAPSHOT = false)) TO STDOUT``
  stream runs on its own connection; each sample commits a change to lineitem (one row by
  INSERT, or 1,000 rows by COPY) and measures from the statement's return (commit
  acknowledged) until the view's change arrives on the stream;
- **DuckDB**: Q1 recomputed from scratch over the same rows (in-process, best of 3);
- **memory**: resident set of the clusterd process after hydration.

ratio = DuckDB recompute ms / our p50 (> 1: reading the maintained view's change beats
recomputing). Not a test; record results in bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import datetime
import io
import queue
import statistics
import threading
import time
from typing import Any

import psutil
import psycopg

from bench.servers import environmentd
from bench.tpch import duckdb_recompute, load
from bench.tpch_queries import QUERIES

LINEITEM_DDL = (
    "CREATE TABLE lineitem (l_orderkey bigint NOT NULL, l_linenumber bigint NOT NULL, "
    "l_quantity double precision NOT NULL, l_extendedprice double precision NOT NULL, "
    "l_discount double precision NOT NULL, l_tax double precision NOT NULL, "
    "l_returnflag text NOT NULL, l_linestatus text NOT NULL, l_shipdate date NOT NULL)")


def copy_rows(conn: psycopg.Connection[Any], rows: list[tuple[Any, ...]]) -> None:
    buf = io.StringIO()
    for r in rows:
        buf.write("\t".join(str(v) for v in r) + "\n")
    with conn.cursor().copy("COPY lineitem FROM STDIN") as cp:
        cp.write(buf.getvalue())


def clusterd_rss_mb() -> float:
    total = 0
    for p in psutil.process_iter(["cmdline", "memory_info"]):
        cmd = " ".join(p.info["cmdline"] or [])
        if "clusterd" in cmd and "pymz-bench-" in cmd:
            total += p.info["memory_info"].rss
    return total / 2**20


class Subscription(threading.Thread):
    """Reads a COPY (SUBSCRIBE ...) stream; puts the arrival time of every chunk."""

    def __init__(self, url: str, query: str) -> None:
        super().__init__(daemon=True)
        self.url, self.query = url, query
        self.arrivals: queue.Queue[float] = queue.Queue()
        self.ready = threading.Event()
        self.conn: psycopg.Connection[Any] | None = None

    def run(self) -> None:
        try:
            with psycopg.connect(self.url, autocommit=True) as conn:
                self.conn = conn
                with conn.cursor().copy(self.query) as cp:
                    self.ready.set()
                    for _chunk in cp:
                        self.arrivals.put(time.perf_counter())
        except psycopg.errors.AdminShutdown:
            pass  # the benchmark is over: environmentd stopped


def drain(q: queue.Queue[float]) -> None:
    while True:
        try:
            q.get_nowait()
        except queue.Empty:
            return


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--sf", default="0.1")
    ap.add_argument("--samples", type=int, default=30)
    a = ap.parse_args()
    data = load(a.sf)
    lineitem = data["lineitem"]
    q1 = QUERIES["Q1"][0]
    results: list[tuple[str, str, str, str]] = []
    with environmentd() as url, psycopg.connect(url, autocommit=True) as conn:
        conn.execute(LINEITEM_DDL)
        start = time.perf_counter()
        for i in range(0, len(lineitem), 50_000):
            copy_rows(conn, lineitem[i:i + 50_000])
        load_s = time.perf_counter() - start
        print(f"loaded {len(lineitem):,} lineitem rows in {load_s:.1f} s")

        start = time.perf_counter()
        conn.execute("CREATE INDEX li_orderkey ON lineitem (l_orderkey)")
        conn.execute("SELECT count(*) FROM lineitem WHERE l_orderkey = 1").fetchall()
        index_s = time.perf_counter() - start
        results.append(("index hydration over lineitem", f"{index_s:.2f} s", "", ""))
        start = time.perf_counter()
        n = conn.execute("SELECT count(*) FROM lineitem WHERE l_orderkey = 7").fetchone()
        lookup_ms = (time.perf_counter() - start) * 1e3
        results.append((f"key lookup through it ({n[0] if n else 0} rows)",
                        f"{lookup_ms:.1f} ms", "", ""))

        start = time.perf_counter()
        conn.execute(f"CREATE MATERIALIZED VIEW q1 AS {q1}")
        conn.execute("SELECT * FROM q1").fetchall()
        results.append(("Q1 materialized view hydration",
                        f"{time.perf_counter() - start:.2f} s", "", ""))
        results.append(("clusterd RSS after hydration", f"{clusterd_rss_mb():.0f} MB", "",
                        ""))

        sub = Subscription(url, "COPY (SUBSCRIBE q1 WITH (SNAPSHOT = false)) TO STDOUT")
        sub.start()
        sub.ready.wait(30)
        time.sleep(0.5)  # the stream is installed; drop anything already in flight
        drain(sub.arrivals)
        # A row Q1 counts (shipped by its cutoff), so every change moves one of its groups.
        template = next(r for r in lineitem if r[8] <= datetime.date(1998, 9, 2))
        live = list(lineitem)
        for size in (1, 1000):
            lat: list[float] = []
            for s in range(a.samples):
                rows = [(template[0], 10_000 + s * 1000 + j, *template[2:])
                        for j in range(size)]
                drain(sub.arrivals)
                if size == 1:
                    conn.execute("INSERT INTO lineitem VALUES (%s, %s, %s, %s, %s, %s, %s, "
                                 "%s, %s)", rows[0])
                else:
                    copy_rows(conn, rows)
                acked = time.perf_counter()
                live.extend(rows)
                arrived = sub.arrivals.get(timeout=60)
                lat.append(max(0.0, arrived - acked))
            p50 = statistics.median(lat) * 1e3
            p99 = sorted(lat)[min(len(lat) - 1, int(0.99 * len(lat)))] * 1e3
            results.append((f"INSERT {size} row(s) → SUBSCRIBE p50", f"{p50:.1f} ms", "", ""))
            results.append((f"INSERT {size} row(s) → SUBSCRIBE p99", f"{p99:.1f} ms", "", ""))
        data["lineitem"] = live
        best, _ = duckdb_recompute(data, q1)
        duck_ms = best * 1e3
        fixed = []
        for name, ours, _, _ in results:
            if "p50" in name:
                ms = float(ours.split()[0])
                fixed.append((name, ours, f"{duck_ms:.1f} ms", f"{duck_ms / max(ms, 1e-3):.2f}"))
            else:
                fixed.append((name, ours, "", ""))
        results = fixed
    print(f"\nSF {a.sf}, {len(lineitem):,} lineitem rows; DuckDB = Q1 recomputed from scratch")
    print(f"{'measure':<40} {'pymz':>12} {'DuckDB':>12} {'ratio':>8}")
    for name, ours, duck, ratio in results:
        print(f"{name:<40} {ours:>12} {duck:>12} {ratio:>8}")


if __name__ == "__main__":
    main()
