"""How a runtime takes a controller's replayed command history (shared by the compute and
storage runtimes): a new connection resets the per-connection state; commands are buffered
until ``InitializationComplete`` and then reconciled against what is installed as one batch;
later commands apply directly."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Generic, TypeVar

Cmd = TypeVar("Cmd")
Resp = TypeVar("Resp")


@dataclass
class Reconciliation:
    kept: list[str] = field(default_factory=list)
    created: list[str] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)


class ReplayingRuntime(Generic[Cmd, Resp]):
    """Subclasses provide ``_kind`` (the command's oneof name), ``_reconcile`` (a replayed
    history against installed state) and ``_apply`` (one live command)."""

    def __init__(self) -> None:
        self.connections = 0
        self.nonce: str | None = None
        self.initialized = False
        self.received: list[str] = []
        self.last_reconciliation: Reconciliation | None = None
        self._buffer: list[Cmd] = []

    def connect(self, nonce: str) -> None:
        """A new controller took over; its commands are buffered until it is initialized."""
        self.connections += 1
        self.nonce = nonce
        self.initialized = False
        self.received = []
        self._buffer = []

    def handle(self, cmd: Cmd) -> list[Resp]:
        kind = self._kind(cmd)
        self.received.append(kind)
        if len(self.received) > 2000:  # introspection only: keep the recent commands
            del self.received[:1000]
        if kind == "initialization_complete":
            if self.initialized:
                return []
            self.initialized = True
            buffer, self._buffer = self._buffer, []
            return self._reconcile(buffer)
        if not self.initialized:
            self._buffer.append(cmd)
            return []
        return self._apply(cmd)

    def _kind(self, cmd: Cmd) -> str:
        raise NotImplementedError

    def _reconcile(self, buffer: list[Cmd]) -> list[Resp]:
        raise NotImplementedError

    def _apply(self, cmd: Cmd) -> list[Resp]:
        raise NotImplementedError
