"""Helpers for the orchestrator conformance suite (backend-independent, no backend imports).

They talk to the ``echo_service`` test program (tests/integration/fixtures/echo_service.py)
over its line protocol and follow ``watch_services`` streams. Not used in production code.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from pymz.orchestrator.types import (
    NamespacedOrchestrator,
    Orchestrator,
    ServiceAssignments,
    ServiceEvent,
)


def echo_args(assignments: ServiceAssignments) -> list[str]:
    """``ServiceConfig.args`` for the echo service: listen on every assigned address."""
    return [f"--listen={name}={addr}" for name, addr in sorted(assignments.listen_addrs.items())]


async def echo_request(address: str, line: str, deadline_s: float = 5.0) -> str:
    """Send one line to an echo service and return its one-line answer."""
    host, _, port = address.rpartition(":")

    async def go() -> str:
        reader, writer = await asyncio.open_connection(host, int(port))
        try:
            writer.write(line.encode() + b"\n")
            await writer.drain()
            return (await reader.readline()).decode().strip()
        finally:
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()

    return await asyncio.wait_for(go(), deadline_s)


async def whoami(address: str) -> dict[str, Any]:
    answer: dict[str, Any] = json.loads(await echo_request(address, "whoami"))
    return answer


async def send_and_forget(address: str, line: str) -> None:
    """Send a line that makes the process go away (``die``, ``exit N``)."""
    host, _, port = address.rpartition(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    writer.write(line.encode() + b"\n")
    await writer.drain()
    with contextlib.suppress(OSError):
        await asyncio.wait_for(reader.read(), 10)
    writer.close()


async def wait_until(
    check: Callable[[], Awaitable[bool]], deadline_s: float = 30.0, what: str = "condition"
) -> None:
    """Poll ``check`` until it returns True; fail after ``deadline_s`` seconds."""
    deadline = time.monotonic() + deadline_s
    while True:
        with contextlib.suppress(OSError, TimeoutError, ValueError):
            if await check():
                return
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)


async def whoami_all(addresses: list[str]) -> list[dict[str, Any]]:
    return [await whoami(a) for a in addresses]


async def reachable(addresses: list[str]) -> bool:
    """Whether every address answers ``whoami`` with the index matching its position."""
    try:
        answers = await whoami_all(addresses)
    except (OSError, TimeoutError, ValueError):
        return False
    return [a["index"] for a in answers] == list(range(len(addresses)))


class EventRecorder:
    """Follows ``watch_services`` in the background and records every event."""

    def __init__(self, orchestrator: NamespacedOrchestrator) -> None:
        self.events: list[ServiceEvent] = []
        self._changed = asyncio.Event()
        self._task = asyncio.get_running_loop().create_task(self._follow(orchestrator))

    async def _follow(self, orchestrator: NamespacedOrchestrator) -> None:
        async for event in orchestrator.watch_services():
            self.events.append(event)
            self._changed.set()

    async def wait_for(
        self,
        predicate: Callable[[ServiceEvent], bool],
        *,
        after: int = 0,
        deadline_s: float = 30.0,
    ) -> int:
        """Index of the first event at position >= ``after`` satisfying ``predicate``."""
        deadline = time.monotonic() + deadline_s
        while True:
            for i in range(after, len(self.events)):
                if predicate(self.events[i]):
                    return i
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"timed out waiting for an event; saw {self.events[after:]}")
            self._changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), remaining)

    def latest(self, service_id: str, process_id: int) -> ServiceEvent | None:
        for event in reversed(self.events):
            if event.service_id == service_id and event.process_id == process_id:
                return event
        return None

    async def close(self) -> None:
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task


@dataclass
class ConformanceBackend:
    """An orchestrator under test and the image name that runs the echo service."""

    orchestrator: Orchestrator
    image: str
    used_namespaces: set[str] = field(default_factory=set)

    def namespace(self, name: str) -> NamespacedOrchestrator:
        self.used_namespaces.add(name)
        return self.orchestrator.namespace(name)

    async def drop_everything(self) -> None:
        for name in self.used_namespaces:
            ns = self.orchestrator.namespace(name)
            for id in await ns.list_services():
                await ns.drop_service(id)
