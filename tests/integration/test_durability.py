"""Nothing acknowledged is lost, nothing unacknowledged is half-applied: kill -9 at any
moment, on either consensus backend; a second environmentd fences the first."""

from __future__ import annotations

import os
import signal
import threading
from collections import Counter
from pathlib import Path

import psycopg
import pytest
from tests.integration.environmentd_harness import Environmentd, running_environmentd, wait_until

from pymz.persist import PersistClient

pytestmark = pytest.mark.integration


class Writer(threading.Thread):
    """Inserts 0, 1, 2, ... one statement each, recording which were acknowledged."""

    def __init__(self, env: Environmentd, table: str, start: int = 0) -> None:
        super().__init__(daemon=True)
        self.env = env
        self.table = table
        self.next = start
        self.acked: list[int] = []
        self.attempted: list[int] = []
        self.stop = threading.Event()
        self.failed = threading.Event()

    def run(self) -> None:
        try:
            with self.env.connect() as conn:
                while not self.stop.is_set():
                    value = self.next
                    self.attempted.append(value)
                    conn.execute(f"INSERT INTO {self.table} VALUES (%s)", [value])
                    self.acked.append(value)
                    self.next += 1
        except psycopg.Error:
            self.failed.set()


def check_exactly_once(env: Environmentd, table: str, acked: list[int],
                       attempted: list[int]) -> None:
    counts = Counter(i for (i,) in env.sql(f"SELECT i FROM {table}"))
    assert all(n == 1 for n in counts.values()), "a write was applied twice"
    assert set(acked) <= set(counts), "an acknowledged write was lost"
    assert set(counts) <= set(attempted), "a write nobody made appeared"


@pytest.mark.parametrize("kill_after", [5, 40])
def test_kill_environmentd_during_inserts(tmp_path: Path, consensus_url: str,
                                          kill_after: int) -> None:
    args = [f"--persist-consensus-url={consensus_url}"]
    with running_environmentd(tmp_path / "mzdata", args) as env:
        env.sql("CREATE TABLE d (i int)")
        acked: list[int] = []
        attempted: list[int] = []
        for round_ in range(3):
            writer = Writer(env, "d", start=round_ * 10_000)
            writer.start()

            def progressed(w: Writer = writer) -> bool:
                return len(w.acked) >= kill_after or w.failed.is_set()

            wait_until(progressed, 60, what="writes acknowledged")
            env.kill()
            writer.join(30)
            assert writer.failed.is_set()
            acked += writer.acked
            attempted += writer.attempted
            env.start()
            check_exactly_once(env, "d", acked, attempted)
        assert len(acked) >= 3 * kill_after


def test_kill_clusterd_during_inserts_and_reads(environmentd: Environmentd) -> None:
    env = environmentd
    env.sql("CREATE TABLE k (i int)")
    writer = Writer(env, "k")
    writer.start()
    wait_until(lambda: len(writer.acked) >= 10, 60, what="writes before kill")
    for pid in env.replica_pids():
        os.kill(pid, signal.SIGKILL)
    wait_until(lambda: len(writer.acked) >= 30, 60, what="writes continue without clusterd")
    # Reads recover once the orchestrator has restarted the replica.
    wait_until(lambda: env.sql("SELECT count(*) FROM k")[0][0] >= 30, 60, what="reads recover")
    writer.stop.set()
    writer.join(30)
    assert not writer.failed.is_set()
    check_exactly_once(env, "k", writer.acked, writer.attempted)
    assert env.sql("SELECT count(*) FROM k") == [(len(writer.acked),)]


def test_second_environmentd_fences_the_first(tmp_path: Path) -> None:
    data = tmp_path / "mzdata"
    with running_environmentd(data) as first:
        first.sql("CREATE TABLE f (i int)")
        first.sql("INSERT INTO f VALUES (1)")
        second = Environmentd(data)
        try:
            second.start()
            # The first notices it was fenced and exits, without touching the data.
            assert first.proc is not None
            assert first.proc.wait(30) != 0
            first.proc = None
            second.sql("INSERT INTO f VALUES (2)")
            assert second.sql("SELECT i FROM f ORDER BY i") == [(1,), (2,)]
            assert second.sql("SELECT name FROM mz_tables") == [("f",)]
        finally:
            second.cleanup()


def test_data_survives_restart_and_compaction(environmentd: Environmentd) -> None:
    env = environmentd
    env.sql("CREATE TABLE s (i int, t text)")
    for i in range(30):
        env.sql("INSERT INTO s VALUES (%s, %s)", [i, str(i)])
    env.sql("DELETE FROM s WHERE i % 3 = 0")
    env.sql("UPDATE s SET t = t || '!' WHERE i % 3 = 1")
    before = env.sql("SELECT i, t FROM s ORDER BY i")
    env.restart()
    assert env.sql("SELECT i, t FROM s ORDER BY i") == before


def test_compaction_keeps_results_identical(tmp_path: Path) -> None:
    data = tmp_path / "mzdata"
    with running_environmentd(data, ["--table-compaction-window-ms=0"]) as env:
        env.sql("CREATE TABLE c (i int, t text)")
        for i in range(24):
            env.sql("INSERT INTO c VALUES (%s, %s)", [i, f"v{i}"])
        env.sql("UPDATE c SET t = t || '!' WHERE i % 2 = 0")
        env.sql("DELETE FROM c WHERE i % 5 = 0")
        expected = env.sql("SELECT i, t FROM c ORDER BY i")
        shard = env.sql("SELECT shard_id FROM mz_internal.mz_storage_shards s "
                        "JOIN mz_tables t ON t.id = s.object_id WHERE t.name = 'c'")[0][0]
        client = PersistClient.from_urls(f"file://{data / 'persist' / 'blob'}",
                                         f"sqlite://{data / 'persist' / 'consensus.db'}")
        batches_before = len(client.shard_state(shard).batches)
        upper_after_writes = client.shard_state(shard).upper
        assert batches_before >= 24 and upper_after_writes is not None
        # since follows the upper; persist then merges everything below it.
        wait_until(lambda: int(env.sql(
            "SELECT read_frontier FROM mz_internal.mz_frontiers f JOIN mz_tables t "
            "ON t.id = f.object_id WHERE t.name = 'c'")[0][0]) >= upper_after_writes, 60,
            what="since to pass the writes")
        wait_until(lambda: len(client.shard_state(shard).batches) < batches_before // 4, 60,
                   what="compaction")
        assert env.sql("SELECT i, t FROM c ORDER BY i") == expected
        env.restart()
        assert env.sql("SELECT i, t FROM c ORDER BY i") == expected


def test_materialized_view_shards_compact(tmp_path: Path) -> None:
    """environmentd holds each materialized view's shards and lets their since follow the
    upper, so persist compacts what the sink appended; results and restarts are unaffected."""
    data = tmp_path / "mzdata"
    with running_environmentd(data, ["--table-compaction-window-ms=0"]) as env:
        env.sql("CREATE TABLE c (g int, v int)")
        env.sql("CREATE MATERIALIZED VIEW m AS SELECT g, sum(v) AS s, count(*) AS n "
                "FROM c GROUP BY g")
        for i in range(24):
            env.sql("INSERT INTO c VALUES (%s, %s)", [i % 3, i])
            env.sql("SELECT count(*) FROM m")  # waits for the sink: one append per insert
        expected = env.sql("SELECT g, s, n FROM m ORDER BY g")
        assert expected == env.sql("SELECT g, sum(v), count(*) FROM c GROUP BY g ORDER BY g")
        shard = env.sql("SELECT shard_id FROM mz_internal.mz_storage_shards s "
                        "JOIN mz_materialized_views m ON m.id = s.object_id")[0][0]
        client = PersistClient.from_urls(f"file://{data / 'persist' / 'blob'}",
                                         f"sqlite://{data / 'persist' / 'consensus.db'}")
        upper_after_writes = client.shard_state(shard).upper

        def stored() -> int:  # updates kept in the view's shard
            return sum(b.len for b in client.shard_state(shard).batches)

        # Every insert retracted its group's old row and added the new one.
        assert upper_after_writes is not None and stored() >= 24
        for s in (shard, f"{shard}.errs"):
            wait_until(lambda s=s: client.shard_state(s).since >= upper_after_writes, 60,  # type: ignore[misc]
                       what=f"since of {s} to pass the writes")
        wait_until(lambda: stored() <= 6, 60, what="compaction of the view's shard")
        assert env.sql("SELECT g, s, n FROM m ORDER BY g") == expected
        env.restart()
        assert env.sql("SELECT g, s, n FROM m ORDER BY g") == expected
        env.sql("INSERT INTO c VALUES (0, 1000)")
        assert env.sql("SELECT g, s, n FROM m ORDER BY g") == env.sql(
            "SELECT g, sum(v), count(*) FROM c GROUP BY g ORDER BY g")
