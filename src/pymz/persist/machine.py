"""The compare-and-set loop that applies pure state transitions to a shard's durable state."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace
from typing import TypeVar

from pymz.persist.consensus import Consensus, VersionedData
from pymz.persist.state import ShardState

T = TypeVar("T")


def wall_clock_ms() -> int:
    return time.time_ns() // 1_000_000


def state_key(shard_id: str) -> str:
    return f"shard/{shard_id}"


class Machine:
    """Reads and CaS-updates one shard's state. ``truncate_every`` bounds consensus history."""

    def __init__(
        self,
        consensus: Consensus,
        shard_id: str,
        *,
        now_ms: Callable[[], int] = wall_clock_ms,
        truncate_every: int = 32,
    ) -> None:
        self.consensus = consensus
        self.shard_id = shard_id
        self.key = state_key(shard_id)
        self.now_ms = now_ms
        self.truncate_every = truncate_every

    def fetch(self) -> ShardState:
        head = self.consensus.head(self.key)
        if head is None:
            return ShardState(shard_id=self.shard_id, seqno=-1)
        return ShardState.decode(head.seqno, head.data)

    def apply(self, f: Callable[[ShardState, int], tuple[ShardState | None, T]]) -> T:
        """Apply ``f(state, now_ms) -> (new_state | None, result)`` until the CaS wins.

        ``None`` as new state means "nothing to write"; ``f`` may raise to abort. Expired
        leases are dropped as part of every write, so dead readers cannot pin ``since``.
        """
        while True:
            state = self.fetch()
            now = self.now_ms()
            expired = state.expire_leases(now)
            new, result = f(expired, now)
            if new is None:
                if expired is state:
                    return result
                new = expired
            if new is state and state.seqno >= 0:
                return result
            seqno = state.seqno + 1
            new = replace(new, seqno=seqno)
            expected = None if state.seqno < 0 else state.seqno
            data = VersionedData(seqno, new.encode())
            if self.consensus.compare_and_set(self.key, expected, data):
                if self.truncate_every and seqno % self.truncate_every == 0:
                    self.consensus.truncate(self.key, seqno)
                return result
