"""Timestamps and single-timestamp frontiers.

Timestamps are u64 epoch milliseconds. A frontier is an antichain of at most one timestamp:
``int`` means "every time >= t is still open"; ``None`` is the empty antichain (closed: no
further time will ever be written/read). Helpers here keep the ``None`` cases in one place.
"""

from __future__ import annotations

Timestamp = int
Frontier = int | None

MIN_TIMESTAMP: Timestamp = 0
MAX_TIMESTAMP: Timestamp = 2**64 - 1


def check_timestamp(ts: int) -> int:
    if not isinstance(ts, int) or isinstance(ts, bool) or not 0 <= ts <= MAX_TIMESTAMP:
        raise ValueError(f"timestamp {ts!r} is not a u64")
    return ts


def frontier_le(a: Frontier, b: Frontier) -> bool:
    """``a <= b`` in the frontier order, where the empty frontier is the greatest."""
    if b is None:
        return True
    if a is None:
        return False
    return a <= b


def frontier_lt(a: Frontier, b: Frontier) -> bool:
    return frontier_le(a, b) and a != b


def frontier_min(a: Frontier, b: Frontier) -> Frontier:
    return a if frontier_le(a, b) else b


def frontier_max(a: Frontier, b: Frontier) -> Frontier:
    return b if frontier_le(a, b) else a


def less_than_frontier(ts: Timestamp, frontier: Frontier) -> bool:
    """Is ``ts`` strictly before ``frontier`` (i.e. complete/not beyond it)?"""
    return frontier is None or ts < frontier


def frontier_str(f: Frontier) -> str:
    return "[]" if f is None else f"[{f}]"
