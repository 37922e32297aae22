"""Shards over a real blob directory and each real consensus backend (SQLite, PostgreSQL)."""

from __future__ import annotations

import asyncio
import itertools
import random
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from tests.integration.postgres_fixture import (
    consensus_url,
    postgres_server_url,
    postgres_url,
)

from pymz.persist import (
    FencedError,
    FileBlob,
    LeaseExpiredError,
    ListenEvent,
    NotYetAvailableError,
    PersistClient,
    PersistConfig,
    SchemaMismatchError,
    SinceViolationError,
    Update,
    UpperMismatch,
    consensus_from_url,
    consolidate,
    consolidate_at,
)
from pymz.persist.machine import wall_clock_ms
from pymz.repr.types import Column, ScalarType

__all__ = ["consensus_url", "postgres_server_url", "postgres_url"]

pytestmark = pytest.mark.integration

SCHEMA = (Column("k", ScalarType.TEXT), Column("v", ScalarType.INT8))
NO_AUTO_COMPACT = PersistConfig(compaction_min_batches=0, listen_poll_interval_s=0.01)

Factory = Callable[..., PersistClient]


@pytest.fixture
def make_client(consensus_url: str, tmp_path: Path) -> Iterator[Factory]:
    made: list[PersistClient] = []

    def make(
        config: PersistConfig = NO_AUTO_COMPACT, now_ms: Callable[[], int] = wall_clock_ms
    ) -> PersistClient:
        c = PersistClient(
            FileBlob(tmp_path / "blob"),
            consensus_from_url(consensus_url),
            config=config,
            now_ms=now_ms,
        )
        made.append(c)
        return c

    yield make
    for c in made:
        c.consensus.close()


def test_racing_appends_get_upper_mismatch(make_client: Factory) -> None:
    a = make_client().open_writer("s", SCHEMA)
    b = make_client().open_writer("s", SCHEMA)
    assert a.fetch_upper() == 0
    assert b.fetch_upper() == 0
    assert a.compare_and_append([(("a", 1), 0, 1)], 0, 5) is None
    r = b.compare_and_append([(("b", 1), 0, 1)], 0, 5)
    assert r == UpperMismatch(current_upper=5, expected_upper=0)
    reader = make_client().open_reader("s", SCHEMA)
    assert reader.snapshot(4) == [(("a", 1), 4, 1)]
    # The loser's blob was cleaned up: only the winner's batch is stored.
    client = make_client()
    keys = client.blob.list_keys("s/")
    assert keys == [b_.key for b_ in client.shard_state("s").batches]


def _append_rows(client: PersistClient, shard: str, tag: str, n: int) -> int:
    """Append ``n`` rows one batch at a time, retrying on mismatch; returns mismatches seen."""
    w = client.open_writer(shard, SCHEMA)
    mismatches = 0
    upper = w.fetch_upper()
    i = 0
    while i < n:
        assert upper is not None
        r = w.compare_and_append([((tag, i), upper, 1)], upper, upper + 1)
        if r is None:
            upper += 1
            i += 1
        else:
            mismatches += 1
            upper = r.current_upper
    return mismatches


def _check_all_rows_once(client: PersistClient, tags: list[str], n: int) -> None:
    state = client.shard_state("s")
    assert state.upper is not None
    snap = client.open_reader("s", SCHEMA).snapshot(state.upper - 1)
    rows = sorted(r for r, _t, _d in snap)
    assert rows == sorted((tag, i) for tag in tags for i in range(n))
    assert all(d == 1 for _r, _t, d in snap)
    assert len(state.batches) == len(tags) * n
    assert state.upper == len(tags) * n


def test_threads_racing_lose_nothing_and_duplicate_nothing(make_client: Factory) -> None:
    tags = ["t0", "t1", "t2"]
    threads = [
        threading.Thread(target=_append_rows, args=(make_client(), "s", tag, 15)) for tag in tags
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    _check_all_rows_once(make_client(), tags, 15)


_CHILD = """
import sys
from pymz.persist import FileBlob, PersistClient, PersistConfig, consensus_from_url
from test_persist_shards import _append_rows
client = PersistClient(FileBlob(sys.argv[1]), consensus_from_url(sys.argv[2]),
                       config=PersistConfig(compaction_min_batches=0))
_append_rows(client, "s", sys.argv[3], int(sys.argv[4]))
"""


def test_processes_racing_lose_nothing_and_duplicate_nothing(
    make_client: Factory, consensus_url: str, tmp_path: Path
) -> None:
    tags = ["p0", "p1", "p2"]
    here = str(Path(__file__).parent)
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", _CHILD, str(tmp_path / "blob"), consensus_url, tag, "10"],
            env={"PYTHONPATH": here, "PATH": "/usr/bin:/bin"},
        )
        for tag in tags
    ]
    for p in procs:
        assert p.wait(timeout=110) == 0
    _check_all_rows_once(make_client(), tags, 10)


def test_newer_epoch_fences_older_writer(make_client: Factory) -> None:
    client = make_client()
    old = client.open_writer("s", SCHEMA, epoch=1)
    assert old.compare_and_append([(("x", 1), 0, 1)], 0, 1) is None
    new = make_client().open_writer("s", SCHEMA, epoch=2)
    with pytest.raises(FencedError):
        old.compare_and_append([(("x", 2), 1, 1)], 1, 2)
    with pytest.raises(FencedError):
        make_client().open_writer("s", SCHEMA, epoch=1)
    peer = make_client().open_writer("s", SCHEMA)  # joins the current epoch
    assert peer.epoch == 2
    assert new.compare_and_append([(("y", 1), 1, 1)], 1, 2) is None
    # The fenced writer's blob was not left behind.
    assert len(client.blob.list_keys("s/")) == 2
    snap = client.open_reader("s", SCHEMA).snapshot(1)
    assert sorted(snap) == [(("x", 1), 1, 1), (("y", 1), 1, 1)]


def test_snapshot_bounds_and_contents(make_client: Factory) -> None:
    client = make_client()
    w, r = client.open_shard("s", SCHEMA)
    assert w.compare_and_append([(("a", 1), 0, 1), (("b", 1), 3, 1)], 0, 5) is None
    assert w.compare_and_append([(("a", 1), 5, -1), (("c", 1), 6, 2)], 5, 10) is None
    assert sorted(r.snapshot(4)) == [(("a", 1), 4, 1), (("b", 1), 4, 1)]
    assert sorted(r.snapshot(5)) == [(("b", 1), 5, 1)]
    assert sorted(r.snapshot(9)) == [(("b", 1), 9, 1), (("c", 1), 9, 2)]
    with pytest.raises(NotYetAvailableError):
        r.snapshot(10)
    r.downgrade_since(5)
    with pytest.raises(SinceViolationError):
        r.snapshot(4)
    with pytest.raises(SchemaMismatchError):
        client.open_reader("s", (Column("k", ScalarType.TEXT),))


async def _collect(listen_iter: object, until_upper: int, timeout_s: float) -> list[ListenEvent]:
    events: list[ListenEvent] = []

    async def run() -> None:
        async for ev in listen_iter:  # type: ignore[attr-defined]
            events.append(ev)
            if ev.upper is None or ev.upper >= until_upper:
                return

    await asyncio.wait_for(run(), timeout_s)
    return events


async def test_listen_sees_progress_after_as_of(make_client: Factory) -> None:
    client = make_client()
    w, r = client.open_shard("s", SCHEMA)
    assert w.compare_and_append([(("a", 1), 0, 1), (("b", 1), 2, 1)], 0, 3) is None
    as_of = 1
    snap = r.snapshot(as_of)
    listen = r.listen(as_of)

    writer = make_client().open_writer("s", SCHEMA)

    def write_more() -> None:
        assert writer.compare_and_append([(("c", 1), 3, 1)], 3, 4) is None
        assert writer.compare_and_append([], 4, 6) is None
        assert writer.compare_and_append([(("a", 1), 7, -1)], 6, None) is None

    t = threading.Thread(target=write_more)
    t.start()
    events = await _collect(listen, 2**64, timeout_s=60)
    t.join()
    assert events[-1].upper is None
    assert listen.done
    uppers = [e.upper for e in events]
    assert uppers[0] is not None
    assert all(
        e1 is not None and (e2 is None or e1 < e2) for e1, e2 in itertools.pairwise(uppers)
    )
    changes = [u for e in events for u in e.updates]
    assert all(t_ > as_of for _r, t_, _d in changes)
    # snapshot + listen reproduces the full history, consolidated.
    assert consolidate(snap + changes) == consolidate(
        [(("a", 1), 1, 1), (("b", 1), 2, 1), (("c", 1), 3, 1), (("a", 1), 7, -1)]
    )


def test_read_holds_hold_back_since(make_client: Factory) -> None:
    client = make_client()
    w = client.open_writer("s", SCHEMA)
    assert w.compare_and_append([], 0, 100) is None
    r1 = client.open_reader("s", SCHEMA)
    r2 = make_client().open_reader("s", SCHEMA)
    r2.downgrade_since(50)
    assert client.since("s") == 0
    r1.downgrade_since(20)
    assert client.since("s") == 20
    r1.expire()
    assert client.since("s") == 50
    r3 = client.open_reader("s", SCHEMA)
    assert r3.hold == 50
    r2.downgrade_since(None)
    r3.downgrade_since(60)
    assert client.since("s") == 60


def test_dead_reader_lease_expires(make_client: Factory) -> None:
    clock = [1_000_000]
    config = PersistConfig(compaction_min_batches=0, reader_lease_ms=5_000)
    client = make_client(config, lambda: clock[0])
    w = client.open_writer("s", SCHEMA)
    assert w.compare_and_append([], 0, 100) is None
    dead = client.open_reader("s", SCHEMA)
    live = client.open_reader("s", SCHEMA, lease_ms=60_000)
    live.downgrade_since(40)
    assert client.since("s") == 0
    clock[0] += 4_000
    live.heartbeat()
    assert client.since("s") == 0  # the dead reader's lease has not run out yet
    clock[0] += 2_000
    assert w.compare_and_append([], 100, 101) is None  # any write expires stale holds
    assert client.since("s") == 40
    with pytest.raises(LeaseExpiredError):
        dead.snapshot(50)
    with pytest.raises(LeaseExpiredError):
        dead.heartbeat()


def _random_history(rng: random.Random, batches: int) -> list[tuple[list[Update], int, int]]:
    out = []
    lower = 0
    for _ in range(batches):
        upper = lower + rng.randint(1, 4)
        ups: list[Update] = [
            (
                (rng.choice("abcde"), rng.randint(0, 3)),
                rng.randrange(lower, upper),
                rng.choice([1, 1, -1, 2]),
            )
            for _ in range(rng.randint(0, 6))
        ]
        out.append((ups, lower, upper))
        lower = upper
    return out


def test_compaction_keeps_snapshots_identical_and_gcs_blobs(make_client: Factory) -> None:
    client = make_client()
    w, r = client.open_shard("s", SCHEMA)
    history = _random_history(random.Random(7), 30)
    for ups, lo, hi in history:
        assert w.compare_and_append(ups, lo, hi) is None
    upper = history[-1][2]
    since = upper // 2
    r.downgrade_since(since)
    before = {t: sorted(r.snapshot(t)) for t in range(since, upper)}
    all_ups = [u for ups, _, _ in history for u in ups]
    for t, snap in before.items():  # the snapshot is what consolidation says it is
        assert snap == sorted(consolidate_at([u for u in all_ups if u[1] <= t], t))
    old_keys = set(client.blob.list_keys("s/"))
    n_before = len(client.shard_state("s").batches)

    assert client.compact("s", SCHEMA)
    state = client.shard_state("s")
    assert len(state.batches) < n_before
    assert state.batches[0].since == since
    after = {t: sorted(r.snapshot(t)) for t in range(since, upper)}
    assert after == before
    keys = set(client.blob.list_keys("s/"))
    assert keys == {b.key for b in state.batches}  # replaced blobs are gone
    assert old_keys - keys
    assert not client.compact("s", SCHEMA)  # nothing left to do


def test_writes_trigger_compaction_when_configured(make_client: Factory) -> None:
    client = make_client(PersistConfig(compaction_min_batches=4))
    w, r = client.open_shard("s", SCHEMA)
    r.downgrade_since(1_000)
    for i in range(10):
        assert w.compare_and_append([(("k", i % 3), i, 1)], i, i + 1) is None
    state = client.shard_state("s")
    assert len(state.batches) < 10
    r.downgrade_since(1_000)
    assert w.compare_and_append([], 10, 1_001) is None
    assert sorted(r.snapshot(1_000)) == [
        (("k", 0), 1_000, 4),
        (("k", 1), 1_000, 3),
        (("k", 2), 1_000, 3),
    ]


def test_gc_deletes_old_unreferenced_blobs_and_truncates_consensus(
    make_client: Factory,
) -> None:
    config = PersistConfig(compaction_min_batches=0, gc_orphan_grace_ms=60_000, truncate_every=0)
    client = make_client(config)
    w = client.open_writer("s", SCHEMA)
    for i in range(3):
        assert w.compare_and_append([(("k", i), i, 1)], i, i + 1) is None
    now = wall_clock_ms()
    old_orphan = f"s/b/{now - 120_000:013d}-deadbeef.arrow"
    young_orphan = f"s/b/{now:013d}-cafebabe.arrow"
    client.blob.set(old_orphan, b"left by a crashed writer")
    client.blob.set(young_orphan, b"maybe about to be committed")
    client.blob.set("other/b/0000000000001-x.arrow", b"another shard")
    referenced = {b.key for b in client.shard_state("s").batches}
    state_key = "shard/s"
    assert len(client.consensus.scan(state_key, 0, 100)) > 1

    assert client.gc("s") == [old_orphan]
    assert set(client.blob.list_keys("s/")) == referenced | {young_orphan}
    assert client.blob.get("other/b/0000000000001-x.arrow") is not None
    versions = client.consensus.scan(state_key, 0, 100)
    assert [v.seqno for v in versions] == [client.shard_state("s").seqno]
    assert sorted(make_client().open_reader("s", SCHEMA).snapshot(2)) == [
        (("k", 0), 2, 1),
        (("k", 1), 2, 1),
        (("k", 2), 2, 1),
    ]


_WRITER_CHILD = """
import sys
from pymz.persist import FileBlob, PersistClient, consensus_from_url
from test_persist_shards import SCHEMA
client = PersistClient(FileBlob(sys.argv[1]), consensus_from_url(sys.argv[2]))
w = client.open_writer("s", SCHEMA)
for i in range(5):
    assert w.compare_and_append([(("child", i), i, 1)], i, i + 1) is None
"""


def test_blocking_listen_follows_another_process(
    make_client: Factory, consensus_url: str, tmp_path: Path
) -> None:
    client = make_client()
    r = client.open_reader("s", SCHEMA)
    listen = r.listen(0)
    proc = subprocess.Popen(
        [sys.executable, "-c", _WRITER_CHILD, str(tmp_path / "blob"), consensus_url],
        env={"PYTHONPATH": str(Path(__file__).parent), "PATH": "/usr/bin:/bin"},
    )
    seen: list[Update] = []
    try:
        while listen.frontier is not None and listen.frontier < 5:
            ev = listen.next(timeout_s=100)
            assert ev is not None, "no progress from the writer process"
            seen.extend(ev.updates)
    finally:
        assert proc.wait(timeout=100) == 0
    # Time 0 is at the as_of, so it belongs to the snapshot, not the listen.
    assert sorted(seen) == [(("child", i), i, 1) for i in range(1, 5)]
    assert r.snapshot(0) == [(("child", 0), 0, 1)]
