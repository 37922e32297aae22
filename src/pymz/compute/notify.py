"""Wake-ups for dataflow sources: "shard S has new data" instead of waiting for a poll.

Sources read persist shards by polling ``listen``; a poll that finds nothing waits for the
poll interval *or* a notification for its shard, whichever comes first. Notifications come
from this process's persist sinks (a materialized view read by another dataflow here) and
from environmentd (``ShardsUpdated`` after table writes). They are hints: a lost one only
delays a source until its next poll, so correctness never depends on them.
"""

from __future__ import annotations

import asyncio
import contextlib


class ShardNotifier:
    def __init__(self) -> None:
        self._events: dict[str, asyncio.Event] = {}

    def event(self, shard_id: str) -> asyncio.Event:
        """The event the next :meth:`notify` of ``shard_id`` sets; take it *before* polling,
        so a notification between the poll and the wait is not missed."""
        ev = self._events.get(shard_id)
        if ev is None:
            ev = self._events[shard_id] = asyncio.Event()
        return ev

    def notify(self, shard_id: str) -> None:
        ev = self._events.pop(shard_id, None)
        if ev is not None:
            ev.set()

    @staticmethod
    async def wait(ev: asyncio.Event, timeout_s: float) -> None:
        """Until ``ev`` is set or ``timeout_s`` passed."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(ev.wait(), timeout_s)
