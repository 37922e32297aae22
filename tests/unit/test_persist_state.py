"""Pure shard-state transitions and their JSON encoding."""

from __future__ import annotations

import pytest

from pymz.persist.errors import FencedError, LeaseExpiredError, SchemaMismatchError, UpperMismatch
from pymz.persist.state import HollowBatch, ShardState

LEASE = 1_000


def _append(
    s: ShardState, lower: int, upper: int | None, *, epoch: int = 0, key: str | None = None
) -> ShardState | UpperMismatch:
    batch = None if key is None else HollowBatch(key, lower, upper, 0, 1)
    return s.compare_and_append(
        writer_id="w",
        epoch=epoch,
        batch=batch,
        expected_upper=lower,
        new_upper=upper,
        lease_ms=LEASE,
        now_ms=0,
    )


def test_encode_decode_round_trip() -> None:
    s = ShardState("s", schema=(("INT8", False),))
    s = s.register_reader("r", LEASE, 0).register_writer("w", 3, LEASE, 0)
    a = _append(s, 0, 10, epoch=3, key="s/b/1")
    assert isinstance(a, ShardState)
    b = _append(a, 10, None, epoch=3, key="s/b/2")
    assert isinstance(b, ShardState)
    assert ShardState.decode(b.seqno, b.encode()) == b


def test_append_advances_upper_and_mismatch_reports_current() -> None:
    s = ShardState("s")
    a = _append(s, 0, 5, key="k1")
    assert isinstance(a, ShardState)
    assert a.upper == 5
    assert [b.key for b in a.batches] == ["k1"]
    m = _append(a, 0, 7, key="k2")
    assert m == UpperMismatch(current_upper=5, expected_upper=0)
    empty = _append(a, 5, 9)
    assert isinstance(empty, ShardState)
    assert empty.upper == 9
    assert len(empty.batches) == 1  # empty appends only move the upper


def test_since_is_min_over_holds_and_never_regresses() -> None:
    s = ShardState("s").register_reader("a", LEASE, 0).register_reader("b", LEASE, 0)
    s = s.downgrade_reader("a", 10, LEASE, 0)
    assert s.since == 0  # b still holds 0
    s = s.downgrade_reader("b", 4, LEASE, 0)
    assert s.since == 4
    s = s.downgrade_reader("a", 3, LEASE, 0)  # downgrades are monotonic per hold
    assert s.readers["a"].since == 10
    s = s.expire_reader("b")
    assert s.since == 10
    s = s.expire_reader("a")
    assert s.since == 10  # no holds: since stays
    s = s.register_reader("c", LEASE, 0)
    assert s.readers["c"].since == 10


def test_expired_leases_release_since() -> None:
    s = ShardState("s").register_reader("dead", LEASE, 0).register_reader("live", 10 * LEASE, 0)
    s = s.downgrade_reader("live", 50, 10 * LEASE, 0)
    assert s.since == 0
    s2 = s.expire_leases(LEASE - 1)
    assert s2 is s
    s3 = s.expire_leases(LEASE + 1)
    assert "dead" not in s3.readers
    assert s3.since == 50
    with pytest.raises(LeaseExpiredError):
        s3.heartbeat_reader("dead", LEASE, LEASE + 1)


def test_writer_epochs_fence_older_writers() -> None:
    s = ShardState("s").register_writer("old", None, LEASE, 0)
    assert s.writer_epoch == 0
    s = s.register_writer("new", 1, LEASE, 0)
    assert s.writer_epoch == 1
    with pytest.raises(FencedError):
        _append(s, 0, 1, epoch=0)
    with pytest.raises(FencedError):
        s.register_writer("older", 0, LEASE, 0)
    joined = s.register_writer("peer", None, LEASE, 0)
    assert joined.writers["peer"].epoch == 1
    assert isinstance(_append(joined, 0, 1, epoch=1), ShardState)


def test_schema_is_fixed_at_creation() -> None:
    s = ShardState("s").with_schema((("INT8", False),))
    assert s.with_schema((("INT8", False),)) is s
    with pytest.raises(SchemaMismatchError):
        s.with_schema((("TEXT", False),))


def test_replace_batches_requires_all_inputs() -> None:
    s = ShardState("s")
    for i, (lo, hi) in enumerate([(0, 2), (2, 4), (4, 6)]):
        nxt = _append(s, lo, hi, key=f"k{i}")
        assert isinstance(nxt, ShardState)
        s = nxt
    merged = HollowBatch("m", 0, 4, 3, 2)
    r = s.replace_batches(("k0", "k1"), merged)
    assert r is not None
    assert [b.key for b in r.batches] == ["m", "k2"]
    assert r.replace_batches(("k0", "k1"), merged) is None  # already compacted
    assert s.replace_batches(("k0", "k2"), merged) is None  # not contiguous
    gone = s.replace_batches(("k0",), None)
    assert gone is not None
    assert [b.key for b in gone.batches] == ["k1", "k2"]
