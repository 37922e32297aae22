"""Table writes: group commit at timestamp-oracle timestamps, and uppers that keep moving.

Every table is a persist shard. Writes queued by any session are committed together: one
write timestamp ``ts`` from the oracle, one ``compare_and_append`` per written table covering
``[upper, ts + 1)``, then ``apply_write(ts)`` — only after that is any writer acknowledged.
A table's upper also advances without writes (a periodic tick, and on demand for reads) so
a read at ``read_ts`` never waits for a table nobody writes to.

Guarantees: a statement's rows for one table land in one atomic append; acknowledged writes
are durable; a newer environmentd (higher epoch) fences this one (appends then fail with
57P01 and no data is written). Does not guarantee: atomicity across tables of one group
commit (each statement writes one table, so statements stay atomic).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from pymz.errors import InternalError, PymzError
from pymz.persist import FencedError, PersistClient, ReadHandle, UpperMismatch, WriteHandle
from pymz.repr import Column
from pymz.timestamp_oracle import TimestampOracle

log = logging.getLogger(__name__)

Row = tuple[object, ...]


class WriterFenced(PymzError):
    sqlstate = "57P01"
    severity = "FATAL"


@dataclass
class _Pending:
    writes: dict[str, list[tuple[Row, int]]]
    advance: set[str]
    done: asyncio.Future[int] = field(default_factory=lambda: asyncio.get_running_loop()
                                      .create_future())


@dataclass
class _FollowedShard:
    """A read hold on a shard someone else writes (a materialized view's): since follows
    its upper like a table's, so persist compacts it."""

    hold: ReadHandle
    since: int = 0


@dataclass
class _TableHandle:
    writer: WriteHandle
    upper: int
    # environmentd's read hold: since follows the upper at ``compaction_window_ms`` behind
    # (or the oldest timestamp a transaction still reads at), so persist can compact.
    hold: ReadHandle
    since: int = 0


class TableWriter:
    def __init__(self, persist: PersistClient, oracle: TimestampOracle, *, epoch: int,
                 tick_interval_s: float = 1.0, compaction_window_ms: int = 10_000,
                 on_fenced: Callable[[], None] | None = None) -> None:
        self._persist = persist
        self._oracle = oracle
        self._epoch = epoch
        self._tick = tick_interval_s
        self._on_fenced = on_fenced
        self._window = compaction_window_ms
        self._read_floor: Callable[[], int | None] = lambda: None
        self._ticks = 0
        self._tables: dict[str, _TableHandle] = {}
        self._followed: dict[str, list[_FollowedShard]] = {}
        self._on_append: Callable[[list[str]], None] | None = None
        self._queue: list[_Pending] = []
        self._wakeup = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._fenced: PymzError | None = None
        self.commits = 0

    # --- lifecycle -------------------------------------------------------------------
    def start(self) -> None:
        self._tasks = [asyncio.create_task(self._commit_loop(), name="table-commit"),
                       asyncio.create_task(self._tick_loop(), name="table-tick")]

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        for pending in self._queue:
            if not pending.done.done():
                pending.done.set_exception(InternalError("table writer stopped"))
        self._queue.clear()

    async def register(self, table_id: str, shard_id: str, columns: Sequence[Column]) -> None:
        """Open the writer for a table's shard (creating the shard if new)."""
        def open_writer() -> _TableHandle:
            writer = self._persist.open_writer(shard_id, columns, epoch=self._epoch)
            upper = writer.fetch_upper()
            hold = self._persist.open_reader(shard_id, columns,
                                             reader_id=f"environmentd-{table_id}")
            return _TableHandle(writer, 0 if upper is None else upper, hold)

        self._tables[table_id] = await asyncio.to_thread(open_writer)

    def forget(self, table_id: str) -> None:
        handle = self._tables.pop(table_id, None)
        if handle is not None:
            with contextlib.suppress(Exception):
                handle.hold.expire()

    async def follow(self, object_id: str, shards: Sequence[tuple[str, Sequence[Column]]],
                     ) -> None:
        """Hold ``shards`` (written elsewhere, e.g. by a materialized view's sink) and let
        their since follow their upper, ``compaction_window_ms`` behind and never past the
        oldest timestamp a read still uses — as for tables."""
        if object_id in self._followed:
            return

        def open_holds() -> list[_FollowedShard]:
            out = []
            for i, (shard_id, columns) in enumerate(shards):
                hold = self._persist.open_reader(shard_id, columns,
                                                 reader_id=f"environmentd-{object_id}-{i}")
                out.append(_FollowedShard(hold, hold.hold))
            return out

        self._followed[object_id] = await asyncio.to_thread(open_holds)

    def unfollow(self, object_id: str) -> None:
        for f in self._followed.pop(object_id, []):
            with contextlib.suppress(Exception):
                f.hold.expire()

    def followed_sinces(self) -> dict[str, list[int]]:
        """object id -> since per followed shard, as this writer last set them."""
        return {k: [f.since for f in v] for k, v in list(self._followed.items())}

    def upper(self, table_id: str) -> int:
        return self._tables[table_id].upper

    # --- writes and reads ------------------------------------------------------------
    async def append(self, writes: Mapping[str, Sequence[tuple[Row, int]]]) -> int:
        """Durably write ``(row, diff)`` updates per table; returns the write timestamp."""
        return await self._submit({t: list(u) for t, u in writes.items()}, set())

    async def ensure_readable(self, table_ids: Iterable[str], ts: int) -> None:
        """Return once every table's upper is beyond ``ts`` (so a read at ``ts`` is
        complete)."""
        lagging = {t for t in table_ids if t in self._tables and self._tables[t].upper <= ts}
        if lagging:
            await self._submit({}, lagging)

    async def _submit(self, writes: dict[str, list[tuple[Row, int]]], advance: set[str]) -> int:
        if self._fenced is not None:
            raise self._fenced
        for table_id in [*writes, *advance]:
            if table_id not in self._tables:
                raise InternalError(f"table {table_id} is not registered for writes")
        pending = _Pending(writes, advance)
        self._queue.append(pending)
        self._wakeup.set()
        return await asyncio.shield(pending.done)

    async def _tick_loop(self) -> None:
        while True:
            await asyncio.sleep(self._tick)
            if self._tables and self._fenced is None:
                with contextlib.suppress(PymzError):
                    await self._submit({}, set(self._tables))
                try:
                    await asyncio.to_thread(self._maintain)
                except FencedError as e:
                    self._fence(str(e))
                except Exception:
                    log.exception("advancing table read holds failed")

    def _maintain(self) -> None:
        # The oracle answers from memory; ask consensus once a tick whether a newer
        # environmentd took over, so a fenced one stops within about a tick.
        self._oracle.check_fenced()
        self._downgrade_holds()

    def set_append_listener(self, listener: Callable[[list[str]], None] | None) -> None:
        """``listener(shard ids)`` after every group commit (with the shards it appended to,
        data or only a new upper) — e.g. to wake the dataflows reading them."""
        self._on_append = listener

    def set_read_floor(self, floor: Callable[[], int | None]) -> None:
        """``floor()`` is the oldest timestamp something still reads at (None: nothing)."""
        self._read_floor = floor

    def _downgrade_holds(self) -> None:
        """Let since follow the upper (persist compacts batches at or below since)."""
        self._ticks += 1
        followed = [f for fs in list(self._followed.values()) for f in fs]
        if self._ticks % 5:
            for handle in list(self._tables.values()):
                handle.hold.maybe_heartbeat()
            for f in followed:
                f.hold.maybe_heartbeat()
            return
        floor = self._read_floor()
        for f in followed:
            upper = f.hold.upper()
            if upper is not None:
                f.since = self._hold_behind(f.hold, f.since, upper, floor)
        for handle in list(self._tables.values()):
            handle.since = self._hold_behind(handle.hold, handle.since, handle.upper, floor)

    def _hold_behind(self, hold: ReadHandle, since: int, upper: int, floor: int | None) -> int:
        """Move ``hold`` to ``compaction_window_ms`` behind ``upper`` (never past ``floor``,
        never back); returns its since."""
        target = upper - 1 - self._window
        if floor is not None:
            target = min(target, floor)
        if target > since:
            hold.downgrade_since(target)
            return target
        hold.maybe_heartbeat()
        return since

    def frontiers(self) -> dict[str, tuple[int, int]]:
        """table id -> (since, upper) as this writer last set them."""
        return {tid: (h.since, h.upper) for tid, h in list(self._tables.items())}

    async def _commit_loop(self) -> None:
        while True:
            await self._wakeup.wait()
            self._wakeup.clear()
            batch, self._queue = self._queue, []
            if not batch:
                continue
            merged: dict[str, list[tuple[Row, int]]] = {}
            for pending in batch:
                for table_id, updates in pending.writes.items():
                    merged.setdefault(table_id, []).extend(updates)
                for table_id in pending.advance:
                    merged.setdefault(table_id, [])
            try:
                ts = await asyncio.to_thread(self._commit, merged)
            except BaseException as e:
                error = e if isinstance(e, PymzError) else InternalError(f"table write: {e}")
                for pending in batch:
                    if not pending.done.done():
                        pending.done.set_exception(error)
                if isinstance(e, asyncio.CancelledError):
                    raise
                continue
            self.commits += 1
            for pending in batch:
                if not pending.done.done():
                    pending.done.set_result(ts)
            if self._on_append is not None:
                self._on_append([h.writer.shard_id for t in merged
                                 if (h := self._tables.get(t)) is not None])

    def _commit(self, merged: Mapping[str, Sequence[tuple[Row, int]]]) -> int:
        """One group commit (runs in a worker thread)."""
        try:
            return self._commit_fenceable(merged)
        except FencedError as e:
            self._fence(str(e))
            raise self._fenced from e  # type: ignore[misc]

    def _commit_fenceable(self, merged: Mapping[str, Sequence[tuple[Row, int]]]) -> int:
        ts = self._oracle.write_ts()
        for table_id, updates in merged.items():
            handle = self._tables.get(table_id)
            if handle is None:
                continue  # dropped while queued
            result = handle.writer.compare_and_append(
                [(row, ts, diff) for row, diff in updates], handle.upper, ts + 1)
            if isinstance(result, UpperMismatch):
                # Only a writer we do not know of moves our uppers: treat it as fencing.
                self._fence(f"table {table_id} upper moved to {result.current_upper} "
                            f"(expected {handle.upper})")
                raise self._fenced  # type: ignore[misc]
            handle.upper = ts + 1
        self._oracle.apply_write(ts)
        return ts

    def _fence(self, why: str) -> None:
        log.error("table writes fenced: %s", why)
        self._fenced = WriterFenced("environmentd was fenced by a newer instance",
                                    detail=why)
        if self._on_fenced is not None:
            self._on_fenced()
