"""The oracle's state machine: one JSON record in consensus, changed by compare-and-set."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from pymz.persist.consensus import Consensus, VersionedData
from pymz.persist.errors import FencedError
from pymz.persist.urls import consensus_from_url


def _wall_clock_ms() -> int:
    return time.time_ns() // 1_000_000


@dataclass(frozen=True)
class _OracleState:
    epoch: int
    read_ts: int
    write_ts: int

    def encode(self) -> bytes:
        return json.dumps([self.epoch, self.read_ts, self.write_ts]).encode()

    @staticmethod
    def decode(data: bytes) -> _OracleState:
        e, r, w = json.loads(data)
        return _OracleState(int(e), int(r), int(w))


class TimestampOracle:
    """Open with :meth:`open`; every instance bumps the epoch and so fences older ones."""

    def __init__(
        self,
        consensus: Consensus,
        name: str,
        epoch: int,
        now_ms: Callable[[], int],
    ) -> None:
        self._consensus = consensus
        self._key = f"timestamp_oracle/{name}"
        self.epoch = epoch
        self._now_ms = now_ms
        self._lock = threading.Lock()

    @classmethod
    def open(
        cls,
        consensus: Consensus,
        name: str = "epoch_milliseconds",
        *,
        now_ms: Callable[[], int] = _wall_clock_ms,
    ) -> TimestampOracle:
        key = f"timestamp_oracle/{name}"
        while True:
            head = consensus.head(key)
            if head is None:
                new = _OracleState(1, 0, 0)
                if consensus.compare_and_set(key, None, VersionedData(1, new.encode())):
                    return cls(consensus, name, new.epoch, now_ms)
                continue
            old = _OracleState.decode(head.data)
            new = _OracleState(old.epoch + 1, old.read_ts, old.write_ts)
            if consensus.compare_and_set(
                key, head.seqno, VersionedData(head.seqno + 1, new.encode())
            ):
                consensus.truncate(key, head.seqno + 1)
                return cls(consensus, name, new.epoch, now_ms)

    def _update(self, f: Callable[[_OracleState], _OracleState | None]) -> _OracleState:
        with self._lock:
            while True:
                head = self._consensus.head(self._key)
                assert head is not None, "created by open()"
                state = _OracleState.decode(head.data)
                if state.epoch != self.epoch:
                    raise FencedError(
                        f"timestamp oracle epoch {self.epoch} was fenced by epoch {state.epoch}"
                    )
                new = f(state)
                if new is None:
                    return state
                seqno = head.seqno + 1
                if self._consensus.compare_and_set(
                    self._key, head.seqno, VersionedData(seqno, new.encode())
                ):
                    if seqno % 64 == 0:
                        self._consensus.truncate(self._key, seqno)
                    return new

    def write_ts(self) -> int:
        """A fresh timestamp: ``>= now`` and ``>`` every timestamp handed out before."""
        now = self._now_ms()
        s = self._update(
            lambda s: _OracleState(s.epoch, s.read_ts, max(now, s.write_ts + 1, s.read_ts + 1))
        )
        return s.write_ts

    def apply_write(self, ts: int) -> None:
        """Mark ``ts`` as written: later ``read_ts()`` are ``>= ts``."""

        def f(s: _OracleState) -> _OracleState | None:
            if s.read_ts >= ts and s.write_ts >= ts:
                return None
            return _OracleState(s.epoch, max(s.read_ts, ts), max(s.write_ts, ts))

        self._update(f)

    def read_ts(self) -> int:
        """A timestamp at which every applied write is visible."""
        return self._update(lambda _s: None).read_ts

    def peek_write_ts(self) -> int:
        """The last issued write timestamp (introspection)."""
        return self._update(lambda _s: None).write_ts


def timestamp_oracle_from_url(url: str, name: str = "epoch_milliseconds") -> TimestampOracle:
    """An oracle on a consensus URL (``sqlite:///…`` or ``postgres://…``)."""
    return TimestampOracle.open(consensus_from_url(url), name)
