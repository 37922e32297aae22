"""The durable timestamp oracle on each consensus backend."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

import pytest

from pymz.persist import FencedError, consensus_from_url
from pymz.persist.machine import wall_clock_ms
from pymz.timestamp_oracle import TimestampOracle, timestamp_oracle_from_url

if TYPE_CHECKING:
    from tests.integration.postgres_fixture import (
        consensus_url,
        postgres_server_url,
        postgres_url,
    )
else:
    from postgres_fixture import consensus_url, postgres_server_url, postgres_url

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
    with pytest.raises(FencedError):
        old.write_ts()
    with pytest.raises(FencedError):
        old.read_ts()
    with pytest.raises(FencedError):
        old.apply_write(1)
    new.write_ts()


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
