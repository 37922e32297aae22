"""Persist errors (all :class:`pymz.errors.PymzError`) and the UpperMismatch result."""

from __future__ import annotations

from dataclasses import dataclass

from pymz.errors import InternalError, PymzError
from pymz.persist.frontier import Frontier, frontier_str


class PersistError(InternalError):
    """Base for persist failures: durable-state problems are internal errors to a SQL client."""


class FencedError(PersistError):
    """A newer writer (higher epoch) or oracle instance took over; this handle must stop."""

    sqlstate = "57P01"  # admin_shutdown: the process holding this handle is obsolete


class InvalidUsageError(PersistError):
    """The caller broke an API contract (bad bounds, times outside the batch, ...)."""


class SinceViolationError(PersistError):
    """A read at an ``as_of`` that is no longer (or never was) readable."""


class NotYetAvailableError(PersistError):
    """A snapshot at an ``as_of`` the shard's upper has not passed yet."""


class LeaseExpiredError(PersistError):
    """The read hold of this handle expired (it did not heartbeat in time)."""


class SchemaMismatchError(PersistError):
    """The shard was created with a different schema."""


class ConsensusError(PersistError):
    """The consensus store failed (connection, I/O); retrying may help."""


@dataclass(frozen=True)
class UpperMismatch:
    """``compare_and_append`` lost: the shard's upper was not the expected one."""

    current_upper: Frontier
    expected_upper: Frontier

    def __str__(self) -> str:
        return (
            f"upper mismatch: expected {frontier_str(self.expected_upper)}, "
            f"current {frontier_str(self.current_upper)}"
        )


__all__ = [
    "ConsensusError",
    "Fenced",
    "FencedError",
    "InvalidUsageError",
    "LeaseExpiredError",
    "NotYetAvailableError",
    "PersistError",
    "PymzError",
    "SchemaMismatchError",
    "SinceViolationError",
    "UpperMismatch",
]

# The short name used in the design brief.
Fenced = FencedError
