"""The persist sink: a materialized view's changes appended to its shard.

Every replica runs the sink and races to append ``[upper, frontier)`` with
``compare_and_append(updates, expected_upper=upper, new_upper=frontier)``. Exactly one
append wins each range; a loser gets an ``UpperMismatch`` carrying the shard's current
upper, drops its buffered updates below it and continues from there, so no range is ever
written twice and the shard is the same whichever replica wrote which part.

The sink buffers the Output's changes from the start of the dataflow (times are exact
from ``as_of`` on; earlier history is collapsed into ``as_of``). When the shard's upper is
at or before ``as_of`` and the shard already holds data (a dataflow re-created with an
advanced ``as_of``), the first append also retracts the shard's contents, since the
collapsed snapshot at ``as_of`` stands for the whole collection.

Errors: a shard holds rows, not errors. While the dataflow's error collection is non-empty
at the last time the sink would write, the sink does not append: the shard's upper stays put
(reads at later times wait) until the error is retracted. Then the whole range is written;
at the times in it where the error was live, the view holds the rows that did not fail
(Materialize would hold the error there instead).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from typing import Any

from pymz.compute.dataflow import FOREVER, Dataflow, Subscription
from pymz.compute_client.dataflow import PersistSinkExport
from pymz.errors import PymzError
from pymz.persist import PersistClient, UpperMismatch, WriteHandle
from pymz.persist.frontier import Frontier as PersistFrontier
from pymz.proto.common import Frontier

log = logging.getLogger(__name__)

Row = tuple[Any, ...]
Update = tuple[Row, int, int]


def thaw(row: Sequence[Any], array_cols: Sequence[int]) -> Row:
    """Arrays are tuples inside the dataflow and lists everywhere else."""
    if not array_cols:
        return tuple(row)
    out = list(row)
    for i in array_cols:
        if isinstance(out[i], tuple):
            out[i] = list(out[i])
    return tuple(out)


def _persist_frontier(t: int) -> PersistFrontier:
    return None if t >= FOREVER else t


def _proto_frontier(f: PersistFrontier) -> Frontier:
    return () if f is None else (f,)


class PersistSink:
    def __init__(
        self,
        export: PersistSinkExport,
        sub: Subscription,
        df: Dataflow,
        *,
        as_of: int,
        array_cols: Sequence[int],
        progress: Callable[[str, Frontier], None],
    ) -> None:
        self.export = export
        self.sub = sub
        self.df = df
        self.as_of = as_of
        self.array_cols = list(array_cols)
        self.progress = progress
        self.pending: list[Update] = []
        self.frontier = 0  # the Output's frontier as far as the sink has seen it
        self.upper: PersistFrontier = 0  # the shard's upper as far as the sink knows
        self.stopped = False
        self.appended = 0  # ranges this replica won
        self.lost = 0  # ranges another replica wrote first
        self.error: str | None = None
        self._wake = asyncio.Event()

    def wake(self) -> None:
        """Take the Output's new changes (call after every dataflow step)."""
        for _lower, upper, batch in self.sub.poll():
            rows = batch.rows()
            self.pending.extend(
                (thaw(r, self.array_cols), t, d)
                for r, t, d in zip(rows, batch.time.tolist(), batch.diff.tolist(), strict=True)
            )
            self.frontier = max(self.frontier, upper)
        self._wake.set()

    def stop(self) -> None:
        self.stopped = True
        self._wake.set()

    async def run(self, persist: PersistClient) -> None:
        e = self.export
        writer = await asyncio.to_thread(persist.open_writer, e.shard_id, e.columns)
        try:
            self.upper = await asyncio.to_thread(writer.fetch_upper)
            self.progress(e.id, _proto_frontier(self.upper))
            while not self.stopped and self.upper is not None:
                if self.upper < self.frontier and await self._append(persist, writer):
                    continue
                await self._wake.wait()
                self._wake.clear()
        finally:
            try:
                await asyncio.to_thread(writer.expire)
            except Exception:
                log.warning("could not expire the writer of shard %s", e.shard_id)

    async def _append(self, persist: PersistClient, writer: WriteHandle) -> bool:
        """One append attempt of ``[upper, frontier)``; False when blocked by an error."""
        lower = self.upper
        assert lower is not None
        new_upper = _persist_frontier(self.frontier)
        last = self.frontier - 1
        errors = self.df.errors_at(last)
        if errors:
            if self.error is None:
                log.warning("sink %s holds at %d: %s", self.export.id, lower, errors[0].message)
            self.error = f"{errors[0].sqlstate}: {errors[0].message}"
            return False
        self.error = None
        updates = [u for u in self.pending if lower <= u[1] < self.frontier]
        if 0 < lower <= self.as_of:
            updates.extend(await self._correction(persist, lower))
        result = await asyncio.to_thread(writer.compare_and_append, updates, lower, new_upper)
        if isinstance(result, UpperMismatch):
            self.lost += 1
            self.upper = result.current_upper
        else:
            self.appended += 1
            self.upper = new_upper
        keep = self.upper
        self.pending = [] if keep is None else [u for u in self.pending if u[1] >= keep]
        self.progress(self.export.id, _proto_frontier(self.upper))
        return True

    async def _correction(self, persist: PersistClient, upper: int) -> list[Update]:
        """Retract what the shard already holds (it precedes the collapsed ``as_of``)."""
        e = self.export
        try:
            held = await asyncio.to_thread(persist.snapshot, e.shard_id, e.columns, upper - 1)
        except Exception as exc:
            raise PymzError(f"sink {e.id}: cannot read shard {e.shard_id} to continue it: {exc}",
                            sqlstate="XX000") from None
        return [(row, self.as_of, -d) for row, _t, d in held]

    def introspect(self) -> dict[str, Any]:
        return {
            "shard_id": self.export.shard_id,
            "upper": self.upper,
            "frontier": self.frontier,
            "pending": len(self.pending),
            "appended": self.appended,
            "lost": self.lost,
            "error": self.error,
        }
