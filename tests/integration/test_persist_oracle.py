"""The durable timestamp oracle on each consensus backend."""

from __future__ import annotations

import threading

import pytest
from tests.integration.postgres_fixture import (
    consensus_url,
    postgres_server_url,
    postgres_url,
)

from pymz.persist import FencedError, consensus_from_url
from pymz.persist.machine import wall_clock_ms
from pymz.timestamp_oracle import TimestampOracle, timestamp_oracle_from_url

__all__ = ["consensus_url", "postgres_server_url", "postgres_url"]

pytestmark = pytest.mark.integration


def test_write_ts_strictly_increasing_and_not_behind_the_clock(consensus_url: str) -> None:
    oracle = timestamp_oracle_from_url(consensus_url)
    last = 0
    for _ in range(50):
        before = wall_clock_ms()
        ts = oracle.write_ts()
        assert ts > last
        assert ts >= before
        last = ts


def test_read_ts_covers_applied_writes(consensus_url: str) -> None:
    oracle = timestamp_oracle_from_url(consensus_url)
    ts = oracle.write_ts()
    oracle.apply_write(ts)
    assert oracle.read_ts() >= ts
    future = wall_clock_ms() + 3_600_000
    oracle.apply_write(future)  # e.g. a write at a timestamp chosen by someone else
    assert oracle.read_ts() >= future
    assert oracle.write_ts() > future


def test_never_goes_backwards_across_restart(consensus_url: str) -> None:
    ahead = wall_clock_ms() + 86_400_000
    first = TimestampOracle.open(consensus_from_url(consensus_url), now_ms=lambda: ahead)
    w = first.write_ts()
    assert w >= ahead
    first.apply_write(w)
    # A restart on a machine whose clock is a day behind: still monotonic.
    second = timestamp_oracle_from_url(consensus_url)
    assert second.read_ts() >= w
    assert second.write_ts() > w


def test_new_instance_fences_old_one(consensus_url: str) -> None:
    old = timestamp_oracle_from_url(consensus_url)
    old.write_ts()
    new = timestamp_oracle_from_url(consensus_url)
    assert new.epoch > old.epoch
    # The old instance finds out at its next durable step: an explicit check...
    with pytest.raises(FencedError):
        old.check_fenced()
    # ...after which every call fails.
    with pytest.raises(FencedError):
        old.write_ts()
    with pytest.raises(FencedError):
        old.read_ts()
    with pytest.raises(FencedError):
        old.apply_write(1)
    new.write_ts()


def test_fenced_instance_fails_at_its_next_reservation(consensus_url: str) -> None:
    clock = [1_000_000]
    c = consensus_from_url(consensus_url)
    old = TimestampOracle.open(c, "fence", now_ms=lambda: clock[0], window_ms=100)
    old.write_ts()
    TimestampOracle.open(c, "fence", now_ms=lambda: clock[0], window_ms=100)
    clock[0] += 1_000  # past the old instance's reservation
    with pytest.raises(FencedError):
        old.write_ts()
    with pytest.raises(FencedError):
        old.read_ts()


def test_restart_starts_above_the_reservation(consensus_url: str) -> None:
    c = consensus_from_url(consensus_url)
    clock = [5_000_000]
    first = TimestampOracle.open(c, "restart", now_ms=lambda: clock[0], window_ms=10_000)
    issued = [first.write_ts() for _ in range(100)]
    assert issued == sorted(set(issued))
    first.apply_write(issued[50])
    # Crash without any further durable step: the successor must not reuse any timestamp,
    # even with a clock that went backwards.
    clock[0] -= 1_000
    second = TimestampOracle.open(c, "restart", now_ms=lambda: clock[0], window_ms=10_000)
    assert second.read_ts() >= issued[50]
    assert second.write_ts() > max(issued)


def test_calls_within_the_window_do_not_touch_consensus(consensus_url: str) -> None:
    c = consensus_from_url(consensus_url)
    clock = [7_000_000]
    oracle = TimestampOracle.open(c, "quiet", now_ms=lambda: clock[0], window_ms=1_000)
    oracle.apply_write(oracle.write_ts())
    head = c.head("timestamp_oracle/quiet")
    assert head is not None
    for _ in range(50):
        clock[0] += 10
        oracle.apply_write(oracle.write_ts())
        assert oracle.read_ts() == clock[0]
    after = c.head("timestamp_oracle/quiet")
    assert after is not None and after.seqno == head.seqno
    clock[0] += 1_000
    oracle.write_ts()  # beyond the window: one new reservation
    moved = c.head("timestamp_oracle/quiet")
    assert moved is not None and moved.seqno == head.seqno + 1


def test_names_are_independent(consensus_url: str) -> None:
    c = consensus_from_url(consensus_url)
    a = TimestampOracle.open(c, "a", now_ms=lambda: 5_000_000_000_000)
    b = TimestampOracle.open(c, "b", now_ms=lambda: 1)
    a.apply_write(a.write_ts())
    assert b.read_ts() == 0
    assert b.write_ts() == 1


def test_concurrent_callers_get_distinct_timestamps(consensus_url: str) -> None:
    oracle = timestamp_oracle_from_url(consensus_url)
    got: list[int] = []
    lock = threading.Lock()

    def take() -> None:
        for _ in range(20):
            ts = oracle.write_ts()
            with lock:
                got.append(ts)

    threads = [threading.Thread(target=take) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(got)) == len(got) == 80
