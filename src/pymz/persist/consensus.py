"""Consensus: a linearizable, versioned compare-and-set register per key.

Each key holds a sequence of versions ``(seqno, data)`` with strictly increasing seqnos; the
head is the newest. ``compare_and_set(key, expected, new)`` appends ``new`` only if the head's
seqno is ``expected`` (``None``: the key has no versions) and ``new.seqno > expected``.
Guarantees (all backends): at most one of several racing CaS calls with the same ``expected``
succeeds; a successful CaS is durable (SQLite/Postgres) before it returns.
"""

from __future__ import annotations

import enum
import threading
from dataclasses import dataclass
from typing import Protocol

from pymz.persist.errors import InvalidUsageError


@dataclass(frozen=True)
class VersionedData:
    seqno: int
    data: bytes


class CaSResult(enum.Enum):
    COMMITTED = "committed"
    EXPECTATION_MISMATCH = "expectation_mismatch"

    def __bool__(self) -> bool:
        return self is CaSResult.COMMITTED


class Consensus(Protocol):
    def head(self, key: str) -> VersionedData | None: ...

    def compare_and_set(
        self, key: str, expected: int | None, new: VersionedData
    ) -> CaSResult: ...

    def scan(self, key: str, from_seqno: int, limit: int) -> list[VersionedData]:
        """Versions with ``seqno >= from_seqno``, oldest first, at most ``limit``."""
        ...

    def truncate(self, key: str, seqno: int) -> int:
        """Delete versions with ``seqno < seqno`` (never the head); returns how many."""
        ...

    def list_keys(self) -> list[str]: ...

    def close(self) -> None: ...


def check_cas_args(expected: int | None, new: VersionedData) -> None:
    if expected is not None and new.seqno <= expected:
        raise InvalidUsageError(f"new seqno {new.seqno} must exceed expected seqno {expected}")
    if new.seqno < 0:
        raise InvalidUsageError("seqno must be non-negative")


class MemConsensus:
    """In-process consensus (unit tests). Linearizable within one process; not durable."""

    def __init__(self) -> None:
        self._data: dict[str, list[VersionedData]] = {}
        self._lock = threading.Lock()

    def head(self, key: str) -> VersionedData | None:
        with self._lock:
            versions = self._data.get(key)
            return versions[-1] if versions else None

    def compare_and_set(self, key: str, expected: int | None, new: VersionedData) -> CaSResult:
        check_cas_args(expected, new)
        with self._lock:
            versions = self._data.setdefault(key, [])
            current = versions[-1].seqno if versions else None
            if current != expected:
                return CaSResult.EXPECTATION_MISMATCH
            versions.append(VersionedData(new.seqno, bytes(new.data)))
            return CaSResult.COMMITTED

    def scan(self, key: str, from_seqno: int, limit: int) -> list[VersionedData]:
        with self._lock:
            return [v for v in self._data.get(key, []) if v.seqno >= from_seqno][:limit]

    def truncate(self, key: str, seqno: int) -> int:
        with self._lock:
            versions = self._data.get(key, [])
            if not versions or seqno > versions[-1].seqno:
                raise InvalidUsageError(f"cannot truncate {key!r} past its head")
            keep = [v for v in versions if v.seqno >= seqno]
            self._data[key] = keep
            return len(versions) - len(keep)

    def list_keys(self) -> list[str]:
        with self._lock:
            return sorted(k for k, v in self._data.items() if v)

    def close(self) -> None:
        pass
