"""The oracle's state machine: one JSON record in consensus, changed by compare-and-set.

The record is ``[epoch, read_ts, write_ts]`` where ``write_ts`` is an upper bound (inclusive)
on every timestamp any instance may have handed out — a *reservation*: an instance writes
``write_ts = t + window_ms`` once and then hands out timestamps up to it from memory. A
restarted (or newly opened) instance starts above the stored reservation, so timestamps
never go backwards even though most calls never touch consensus. Older records (where
``write_ts`` was the last issued timestamp) have the same meaning, so the format is unchanged.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from pymz.persist.consensus import Consensus, VersionedData
from pymz.persist.errors import FencedError
from pymz.persist.urls import consensus_from_url

# How far ahead of the issued timestamps one durable reservation reaches. Larger means fewer
# CaS calls; the cost is that a restarted oracle's first timestamps (and read_ts) may lie up
# to this far ahead of the wall clock.
DEFAULT_WINDOW_MS = 1_000


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
    """Open with :meth:`open`; every instance bumps the epoch and so fences older ones.

    ``write_ts``/``apply_write``/``read_ts`` are answered from memory; only a ``write_ts`` or
    ``apply_write`` beyond the current reservation does a durable CaS (which is also where a
    fenced instance finds out). Meant to be owned by one process at a time.
    """

    def __init__(
        self,
        consensus: Consensus,
        name: str,
        state: _OracleState,
        seqno: int,
        *,
        now_ms: Callable[[], int],
        window_ms: int,
    ) -> None:
        self._consensus = consensus
        self._key = f"timestamp_oracle/{name}"
        self.epoch = state.epoch
        self._now_ms = now_ms
        self._window_ms = window_ms
        self._lock = threading.Lock()
        self._seqno = seqno
        self._reserved = state.write_ts  # durable: nothing above this was ever handed out
        # Everything up to the stored reservation may have been written by an earlier
        # instance, so reads start there: read_ts >= every applied write, across restarts.
        self._read = max(state.read_ts, state.write_ts)
        self._last_write = state.write_ts
        self._fenced: FencedError | None = None

    @classmethod
    def open(
        cls,
        consensus: Consensus,
        name: str = "epoch_milliseconds",
        *,
        now_ms: Callable[[], int] = _wall_clock_ms,
        window_ms: int = DEFAULT_WINDOW_MS,
    ) -> TimestampOracle:
        key = f"timestamp_oracle/{name}"
        while True:
            head = consensus.head(key)
            if head is None:
                new = _OracleState(1, 0, 0)
                if consensus.compare_and_set(key, None, VersionedData(1, new.encode())):
                    return cls(consensus, name, new, 1, now_ms=now_ms, window_ms=window_ms)
                continue
            old = _OracleState.decode(head.data)
            new = _OracleState(old.epoch + 1, max(old.read_ts, old.write_ts), old.write_ts)
            seqno = head.seqno + 1
            if consensus.compare_and_set(key, head.seqno, VersionedData(seqno, new.encode())):
                consensus.truncate(key, seqno)
                return cls(consensus, name, new, seqno, now_ms=now_ms, window_ms=window_ms)

    def _check(self) -> None:
        if self._fenced is not None:
            raise self._fenced

    def _reserve(self, at_least: int) -> None:
        """Durably move the reservation to ``>= at_least`` (lock held)."""
        target = at_least + self._window_ms
        while True:
            new = _OracleState(self.epoch, self._read, target)
            seqno = self._seqno + 1
            if self._consensus.compare_and_set(
                self._key, self._seqno, VersionedData(seqno, new.encode())
            ):
                self._seqno = seqno
                self._reserved = target
                if seqno % 64 == 0:
                    self._consensus.truncate(self._key, seqno)
                return
            # Someone else wrote the record: a newer instance (fencing us), or a stale seqno.
            head = self._consensus.head(self._key)
            assert head is not None, "created by open()"
            state = _OracleState.decode(head.data)
            if state.epoch != self.epoch:
                self._fenced = FencedError(
                    f"timestamp oracle epoch {self.epoch} was fenced by epoch {state.epoch}"
                )
                raise self._fenced
            self._seqno = head.seqno
            target = max(target, state.write_ts)

    def write_ts(self) -> int:
        """A fresh timestamp: ``>= now`` and ``>`` every timestamp handed out before (by this
        or any earlier instance) and ``>`` the current ``read_ts``."""
        now = self._now_ms()
        with self._lock:
            self._check()
            ts = max(now, self._last_write + 1, self._read + 1)
            if ts > self._reserved:
                self._reserve(ts)
            self._last_write = ts
            return ts

    def apply_write(self, ts: int) -> None:
        """Mark ``ts`` as written: later ``read_ts()`` are ``>= ts``."""
        with self._lock:
            self._check()
            if ts > self._reserved:
                # Not handed out by us: make it durable so a restart cannot read below it.
                self._reserve(ts)
            self._read = max(self._read, ts)
            self._last_write = max(self._last_write, ts)

    def read_ts(self) -> int:
        """A timestamp at which every applied write is visible."""
        with self._lock:
            self._check()
            return self._read

    def peek_write_ts(self) -> int:
        """The last issued write timestamp (introspection)."""
        with self._lock:
            return self._last_write

    def check_fenced(self) -> None:
        """Read consensus and raise :class:`FencedError` if a newer instance took over (the
        other calls only notice at their next durable reservation)."""
        with self._lock:
            self._check()
            head = self._consensus.head(self._key)
            assert head is not None, "created by open()"
            state = _OracleState.decode(head.data)
            if state.epoch != self.epoch:
                self._fenced = FencedError(
                    f"timestamp oracle epoch {self.epoch} was fenced by epoch {state.epoch}"
                )
                raise self._fenced


def timestamp_oracle_from_url(
    url: str, name: str = "epoch_milliseconds", *, window_ms: int = DEFAULT_WINDOW_MS
) -> TimestampOracle:
    """An oracle on a consensus URL (``sqlite:///…`` or ``postgres://…``)."""
    return TimestampOracle.open(consensus_from_url(url), name, window_ms=window_ms)
