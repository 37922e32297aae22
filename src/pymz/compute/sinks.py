"""The persist sink: a materialized view's changes appended to its shard.

Every replica runs the sink and races to append ``[upper, frontier)`` with
``compare_and_append(updates, expected_upper=upper, new_upper=frontier)``. Exactly one
append wins each range; a loser gets an ``UpperMismatch`` carrying the shard's current
upper, drops its buffered updates below it and continues from there, so no range is ever
written twice and the shard is the same whichever replica wrote which part.

The sink buffers the Output's changes from the start of the dataflow (times are exact
from ``as_of`` on; earlier history is collapsed into ``as_of``). When the shard's upper at
the sink's start is at or before ``as_of`` and the shard already holds data (a dataflow
re-created with an advanced ``as_of``), the first append also retracts the shard's
contents, since the collapsed snapshot at ``as_of`` stands for the whole collection. Ranges
this incarnation wrote itself are never corrected (readers may have moved the shard's since
past them).

Errors: the data shard holds the rows that did not fail; the query's errors (the dataflow's
``errs`` updates) go to the view's errors shard
(:func:`pymz.compute_client.errors_shard.errors_shard_id`), appended by the same race over
the same ranges, with the same restart correction. Readers read both shards at a time and
fail with the error while one is live, so neither shard waits for the other.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from typing import Any

from pymz.compute.dataflow import FOREVER, Dataflow, Subscription
from pymz.compute_client.dataflow import PersistSinkExport
from pymz.compute_client.errors_shard import ERROR_COLUMNS, errors_shard_id
from pymz.errors import PymzError
from pymz.persist import PersistClient, UpperMismatch, WriteHandle
from pymz.persist.frontier import Frontier as PersistFrontier
from pymz.proto.common import Frontier
from pymz.repr.types import Column

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


class _ShardAppender:
    """Appends one shard's ranges ``[upper, frontier)``: the race, the restart correction."""

    def __init__(self, shard_id: str, columns: Sequence[Column], as_of: int) -> None:
        self.shard_id = shard_id
        self.columns = tuple(columns)
        self.as_of = as_of
        self.upper: PersistFrontier = 0  # the shard's upper as far as we know
        self.appended = 0  # ranges this replica won
        self.lost = 0  # ranges another replica wrote first
        self.writer: WriteHandle | None = None
        self.inherited_upper: PersistFrontier = 0

    async def open(self, persist: PersistClient) -> None:
        self.writer = await asyncio.to_thread(persist.open_writer, self.shard_id, self.columns)
        self.upper = await asyncio.to_thread(self.writer.fetch_upper)
        # Data below this was written by an earlier incarnation of the dataflow.
        self.inherited_upper = self.upper

    async def append(self, persist: PersistClient, updates: list[Update], frontier: int) -> None:
        """Try to write ``[upper, frontier)``; ``updates`` are the changes in that range."""
        lower = self.upper
        assert lower is not None and self.writer is not None
        if 0 < lower <= self.as_of and lower == self.inherited_upper:
            updates = updates + await self._correction(persist, lower)
        result = await asyncio.to_thread(
            self.writer.compare_and_append, updates, lower, _persist_frontier(frontier))
        if isinstance(result, UpperMismatch):
            self.lost += 1
            self.upper = result.current_upper
        else:
            self.appended += 1
            self.upper = _persist_frontier(frontier)

    async def _correction(self, persist: PersistClient, upper: int) -> list[Update]:
        """Retract what the shard already holds (it precedes the collapsed ``as_of``)."""
        try:
            held = await asyncio.to_thread(persist.snapshot, self.shard_id, self.columns,
                                           upper - 1)
        except Exception as exc:
            raise PymzError(f"cannot read shard {self.shard_id} to continue it: {exc}",
                            sqlstate="XX000") from None
        return [(row, self.as_of, -d) for row, _t, d in held]

    async def close(self) -> None:
        if self.writer is not None:
            try:
                await asyncio.to_thread(self.writer.expire)
            except Exception:
                log.warning("could not expire the writer of shard %s", self.shard_id)


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
        appended: Callable[[str], None] | None = None,
    ) -> None:
        self.export = export
        self.appended = appended  # told the shard id after every append that wrote data
        self.sub = sub
        self.df = df
        self.as_of = as_of
        self.array_cols = list(array_cols)
        self.progress = progress
        self.pending: list[Update] = []
        self.frontier = 0  # the Output's frontier as far as the sink has seen it
        self.data = _ShardAppender(export.shard_id, export.columns, as_of)
        self.errs = _ShardAppender(errors_shard_id(export.shard_id), ERROR_COLUMNS, as_of)
        self.stopped = False
        self.error: str | None = None  # the latest error written (introspection)
        self._wake = asyncio.Event()

    @property
    def upper(self) -> PersistFrontier:
        """Both shards are complete below this."""
        a, b = self.data.upper, self.errs.upper
        if a is None or b is None:
            return b if a is None else a
        return min(a, b)

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
        try:
            await self.data.open(persist)
            await self.errs.open(persist)
            self.progress(self.export.id, _proto_frontier(self.upper))
            while not self.stopped and self.upper is not None:
                if self.upper < self.frontier:
                    await self._append(persist)
                    continue
                await self._wake.wait()
                self._wake.clear()
        finally:
            await self.data.close()
            await self.errs.close()

    async def _append(self, persist: PersistClient) -> None:
        """Write ``[upper, frontier)`` of whichever shard is behind."""
        frontier = self.frontier
        data_lower, errs_lower = self.data.upper, self.errs.upper
        if data_lower is not None and data_lower < frontier:
            updates = [u for u in self.pending if data_lower <= u[1] < frontier]
            await self.data.append(persist, updates, frontier)
            if self.appended is not None:
                self.appended(self.data.shard_id)
            keep = self.data.upper
            self.pending = [] if keep is None else [u for u in self.pending if u[1] >= keep]
        if errs_lower is not None and errs_lower < frontier:
            errs = self.df.errs.updates_between(errs_lower, frontier)
            updates = list(zip(errs.rows(), errs.time.tolist(), errs.diff.tolist(),
                               strict=True))
            await self.errs.append(persist, updates, frontier)
            if self.appended is not None:
                self.appended(self.errs.shard_id)
            live = self.df.errors_at(frontier - 1)
            if live and self.error is None:
                log.warning("materialized view %s has an error: %s", self.export.id,
                            live[0].message)
            self.error = f"{live[0].sqlstate}: {live[0].message}" if live else None
        self.progress(self.export.id, _proto_frontier(self.upper))

    def introspect(self) -> dict[str, Any]:
        return {
            "shard_id": self.export.shard_id,
            "upper": self.upper,
            "frontier": self.frontier,
            "pending": len(self.pending),
            "appended": self.data.appended,
            "lost": self.data.lost,
            "error": self.error,
        }
