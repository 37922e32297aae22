"""Hold-free snapshots and the decoded-batch cache (in-memory blob and consensus)."""

from __future__ import annotations

import pytest

from pymz.persist import (
    MemBlob,
    MemConsensus,
    NotYetAvailableError,
    PersistClient,
    PersistConfig,
    SchemaMismatchError,
    SinceViolationError,
)
from pymz.persist.batch_cache import BatchCache
from pymz.repr.types import Column, ScalarType

SCHEMA = (Column("k", ScalarType.INT8), Column("v", ScalarType.TEXT))


def _client(**kw: int) -> PersistClient:
    return PersistClient(MemBlob(), MemConsensus(), config=PersistConfig(**kw))


def test_hold_free_snapshot_matches_held_snapshot_and_registers_nothing() -> None:
    client = _client(compaction_min_batches=0)
    writer, reader = client.open_shard("s", SCHEMA)
    for t in range(5):
        assert writer.compare_and_append([((t, f"r{t}"), t, 1)], t, t + 1) is None
    writer.compare_and_append([((0, "r0"), 5, -1)], 5, 6)
    before = client.shard_state("s")
    for as_of in range(6):
        got = client.snapshot("s", SCHEMA, as_of)
        assert sorted(map(str, got)) == sorted(map(str, reader.snapshot(as_of)))
    assert client.shard_state("s").seqno == before.seqno  # no consensus write
    with pytest.raises(NotYetAvailableError):
        client.snapshot("s", SCHEMA, 6)
    with pytest.raises(SchemaMismatchError):
        client.snapshot("s", (Column("k", ScalarType.TEXT), Column("v", ScalarType.TEXT)), 3)


def test_hold_free_snapshot_refuses_below_since_and_survives_compaction() -> None:
    client = _client(compaction_min_batches=0)
    writer, reader = client.open_shard("s", SCHEMA)
    for t in range(10):
        writer.compare_and_append([((t, "x"), t, 1)], t, t + 1)
    reader.downgrade_since(7)
    old_state = client.shard_state("s")
    assert client.compact("s", SCHEMA)
    # A state fetched before compaction names blobs that are gone: the read retries.
    got = client.snapshot("s", SCHEMA, 8, state=old_state)
    assert sorted(int(r[0]) for r, _t, _d in got) == list(range(9))  # type: ignore[call-overload]
    with pytest.raises(SinceViolationError):
        client.snapshot("s", SCHEMA, 6)


def test_batches_are_decoded_once() -> None:
    client = _client(compaction_min_batches=0)
    writer = client.open_writer("s", SCHEMA)
    for t in range(4):
        writer.compare_and_append([((t, "x"), t, 1)], t, t + 1)
    client.snapshot("s", SCHEMA, 3)
    misses = client.batch_cache.misses
    assert misses == 4
    client.snapshot("s", SCHEMA, 3)
    assert client.batch_cache.misses == misses
    assert client.batch_cache.hits >= 4


def test_batch_cache_is_bounded_by_bytes() -> None:
    cache = BatchCache(100)
    cache.put("a", [((1,), 0, 1)], 60)
    cache.put("b", [((2,), 0, 1)], 30)
    assert cache.get("a") is not None  # a is now most recent
    cache.put("c", [((3,), 0, 1)], 30)  # evicts b, the least recently used
    assert cache.get("b") is None
    assert cache.get("a") is not None and cache.get("c") is not None
    assert cache.size_bytes == 90
    cache.put("huge", [((4,), 0, 1)], 1000)  # larger than the cache: not kept
    assert cache.get("huge") is None and cache.size_bytes == 90
