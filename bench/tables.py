"""Table write throughput and read latency: pymz vs PostgreSQL, side by side, one run.

    .venv/bin/python bench/tables.py [--rows N]

Prints a table (pymz, PostgreSQL, ratio pymz/PostgreSQL for throughput, PostgreSQL/pymz for
latency, so > 1 always means pymz is better). Both servers run on this machine; PostgreSQL has
fsync on, pymz commits every write durably (persist + timestamp oracle) before acknowledging.
Not a test: numbers depend on the machine. Record results in bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import statistics
import time
from collections.abc import Callable

import psycopg

from bench.servers import environmentd, postgres

Measure = Callable[[psycopg.Connection[tuple[object, ...]]], float]


def setup(conn: psycopg.Connection[tuple[object, ...]], table: str) -> None:
    conn.execute(f"CREATE TABLE {table} (id bigint NOT NULL, name text, amount numeric(12,2))")


def single_row_inserts(n: int) -> Measure:
    def run(conn: psycopg.Connection[tuple[object, ...]]) -> float:
        setup(conn, "single")
        start = time.perf_counter()
        for i in range(n):
            conn.execute("INSERT INTO single VALUES (%s, %s, %s)", [i, f"name{i}", i * 1.5])
        return n / (time.perf_counter() - start)
    return run


def batched_inserts(batches: int, size: int) -> Measure:
    def run(conn: psycopg.Connection[tuple[object, ...]]) -> float:
        setup(conn, "batched")
        start = time.perf_counter()
        for b in range(batches):
            values = ", ".join(f"({b * size + i}, 'name{i}', {i}.25)" for i in range(size))
            conn.execute(f"INSERT INTO batched VALUES {values}")  # type: ignore[arg-type]
        return batches * size / (time.perf_counter() - start)
    return run


def copy_in(rows: int) -> Measure:
    def run(conn: psycopg.Connection[tuple[object, ...]]) -> float:
        setup(conn, "copied")
        data = io.StringIO("".join(f"{i}\tname{i}\t{i}.50\n" for i in range(rows)))
        start = time.perf_counter()
        with conn.cursor().copy("COPY copied FROM STDIN") as copy:
            copy.write(data.getvalue())
        return rows / (time.perf_counter() - start)
    return run


def select_latency(n: int, percentile: float, *, indexed: bool = False) -> Measure:
    def run(conn: psycopg.Connection[tuple[object, ...]]) -> float:
        if indexed:
            # pymz: an arrangement on the session's cluster, read by key lookup; PostgreSQL:
            # a btree. Created by the first indexed case, reused by the next.
            with contextlib.suppress(psycopg.errors.DuplicateTable,
                                     psycopg.errors.DuplicateObject):
                conn.execute("CREATE INDEX batched_by_id ON batched (id)")
        samples = []
        for i in range(n):
            start = time.perf_counter()
            conn.execute("SELECT id, name FROM batched WHERE id = %s", [i * 7]).fetchall()
            samples.append(time.perf_counter() - start)
        if percentile == 50:
            return statistics.median(samples) * 1000
        return statistics.quantiles(samples, n=100)[int(percentile) - 1] * 1000
    return run


def _is_pymz(conn: psycopg.Connection[tuple[object, ...]]) -> bool:
    try:
        conn.execute("SHOW CLUSTERS").fetchall()
    except psycopg.Error:
        return False
    return True


def read_after_write(n: int, percentile: float, *, view: bool) -> Measure:
    """INSERT one row, then at once read: the table by key, or (``view``) an aggregate view
    over it — pymz's materialized view, kept up to date, against PostgreSQL computing the
    same view from the table on every read."""
    def run(conn: psycopg.Connection[tuple[object, ...]]) -> float:
        if view:
            kind = "MATERIALIZED VIEW" if _is_pymz(conn) else "VIEW"
            with contextlib.suppress(psycopg.errors.DuplicateTable,
                                     psycopg.errors.DuplicateObject):
                conn.execute(f"CREATE {kind} batched_totals AS SELECT id % 10 AS g, "
                             "count(*) AS n, sum(amount) AS total FROM batched GROUP BY 1")
        query = ("SELECT n, total FROM batched_totals WHERE g = 3" if view
                 else "SELECT id, name FROM batched WHERE id = %s")
        samples = []
        for i in range(n):
            conn.execute("INSERT INTO batched VALUES (%s, 'raw', 1.5)", [10_000_000 + i])
            start = time.perf_counter()
            conn.execute(query, [] if view else [10_000_000 + i]).fetchall()
            samples.append(time.perf_counter() - start)
        if percentile == 50:
            return statistics.median(samples) * 1000
        return statistics.quantiles(samples, n=100)[int(percentile) - 1] * 1000
    return run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=10_000, help="rows for COPY")
    parser.add_argument("--single", type=int, default=300, help="single-row INSERTs")
    args = parser.parse_args()
    cases: list[tuple[str, str, bool, Measure]] = [
        ("INSERT 1 row/stmt", "rows/s", True, single_row_inserts(args.single)),
        ("INSERT 1000 rows/stmt", "rows/s", True, batched_inserts(5, 1000)),
        ("COPY FROM STDIN", "rows/s", True, copy_in(args.rows)),
        ("SELECT point (p50)", "ms", False, select_latency(200, 50)),
        ("SELECT point (p99)", "ms", False, select_latency(200, 99)),
        ("SELECT point idx (p50)", "ms", False, select_latency(200, 50, indexed=True)),
        ("SELECT point idx (p99)", "ms", False, select_latency(200, 99, indexed=True)),
        ("write→read table (p50)", "ms", False, read_after_write(50, 50, view=False)),
        ("write→read view (p50)", "ms", False, read_after_write(50, 50, view=True)),
        ("write→read view (p99)", "ms", False, read_after_write(50, 99, view=True)),
    ]
    results: dict[str, dict[str, float | str]] = {}
    for system, server in (("pymz", environmentd), ("postgres", postgres)):
        with server() as url, psycopg.connect(url, autocommit=True) as conn:
            for name, _unit, _higher, measure in cases:
                try:
                    results.setdefault(name, {})[system] = measure(conn)
                except psycopg.Error as e:
                    results.setdefault(name, {})[system] = f"error: {e.sqlstate}"
    print(f"{'benchmark':<24} {'unit':<7} {'pymz':>12} {'postgres':>12} {'ratio':>8}")
    for name, unit, higher, _ in cases:
        ours, theirs = results[name].get("pymz"), results[name].get("postgres")
        if isinstance(ours, float) and isinstance(theirs, float):
            ratio = f"{(ours / theirs if higher else theirs / ours):.3f}"
            print(f"{name:<24} {unit:<7} {ours:>12.1f} {theirs:>12.1f} {ratio:>8}")
        else:
            print(f"{name:<24} {unit:<7} {ours!s:>12} {theirs!s:>12} {'-':>8}")
    print("ratio > 1: pymz better (throughput ours/theirs, latency theirs/ours)")


if __name__ == "__main__":
    main()
