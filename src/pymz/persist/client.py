"""PersistClient and its write/read handles over one blob store and one consensus store.

The API is synchronous (blocking I/O against blob and consensus); async callers should use
``asyncio.to_thread``. :class:`Listen` is also an async iterator, which polls consensus every
``PersistConfig.listen_poll_interval_s`` seconds (there is no push notification).
A handle is meant for one thread at a time; the client may be shared by threads.
"""

from __future__ import annotations

import asyncio
import re
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import Any, TypeVar

import pyarrow.compute as pc  # type: ignore[import-untyped]

from pymz.persist.batch_cache import BatchCache
from pymz.persist.blob import Blob
from pymz.persist.codec import decode_table, decode_updates, encode_updates, schema_fingerprint
from pymz.persist.compaction import compact, gc
from pymz.persist.consensus import Consensus
from pymz.persist.consolidate import Update, consolidate, consolidate_at
from pymz.persist.errors import (
    InvalidUsageError,
    LeaseExpiredError,
    NotYetAvailableError,
    PersistError,
    SchemaMismatchError,
    SinceViolationError,
    UpperMismatch,
)
from pymz.persist.frontier import (
    Frontier,
    check_timestamp,
    frontier_le,
    frontier_lt,
    frontier_str,
    less_than_frontier,
)
from pymz.persist.machine import Machine, wall_clock_ms
from pymz.persist.state import HollowBatch, ShardState
from pymz.persist.urls import blob_from_url, consensus_from_url
from pymz.repr.types import Column

_T = TypeVar("_T")
_SHARD_ID = re.compile(r"^[A-Za-z0-9_.-]{1,200}$")
_MISSING_BLOB_RETRIES = 20


@dataclass(frozen=True)
class PersistConfig:
    reader_lease_ms: int = 60_000
    writer_lease_ms: int = 60_000
    listen_poll_interval_s: float = 0.05
    # Compact after an append once this many batches lie at or below since (0 disables).
    compaction_min_batches: int = 8
    # Orphaned (never-referenced) blobs younger than this are left alone by gc(): a writer
    # may have written one and not yet committed it to state.
    gc_orphan_grace_ms: int = 10 * 60_000
    truncate_every: int = 32
    # Decoded batches kept in memory (bounded by their encoded size); 0 disables the cache.
    batch_cache_bytes: int = 64 * 1024 * 1024


@dataclass(frozen=True)
class ListenEvent:
    """Updates with times in ``[previous upper, upper)`` (and ``> as_of``); then progress."""

    updates: list[Update]
    upper: Frontier


@dataclass(frozen=True)
class ListenParts:
    """A listen event as Arrow tables (one per batch read, see ``ReadHandle.snapshot_parts``):
    the updates with times in ``[previous upper, upper)`` and ``> as_of``, not consolidated."""

    parts: list[Any]
    upper: Frontier


class PersistClient:
    def __init__(
        self,
        blob: Blob,
        consensus: Consensus,
        *,
        config: PersistConfig | None = None,
        now_ms: Callable[[], int] = wall_clock_ms,
    ) -> None:
        self.blob = blob
        self.consensus = consensus
        self.config = config or PersistConfig()
        self.now_ms = now_ms
        self.batch_cache = BatchCache(self.config.batch_cache_bytes)

    @classmethod
    def from_urls(
        cls, blob_url: str, consensus_url: str, *, config: PersistConfig | None = None
    ) -> PersistClient:
        return cls(blob_from_url(blob_url), consensus_from_url(consensus_url), config=config)

    def machine(self, shard_id: str) -> Machine:
        if not _SHARD_ID.match(shard_id):
            raise InvalidUsageError(f"invalid shard id {shard_id!r}")
        return Machine(
            self.consensus, shard_id, now_ms=self.now_ms, truncate_every=self.config.truncate_every
        )

    def open_writer(
        self,
        shard_id: str,
        schema: Sequence[Column],
        *,
        epoch: int | None = None,
        writer_id: str | None = None,
    ) -> WriteHandle:
        """Register a writer. ``epoch=None`` joins the current epoch; a higher explicit epoch
        fences every writer of a lower one (they get :class:`FencedError` from then on)."""
        machine = self.machine(shard_id)
        wid = writer_id or f"w-{uuid.uuid4().hex}"
        fp = _fingerprint(schema)
        lease = self.config.writer_lease_ms

        def f(s: ShardState, now: int) -> tuple[ShardState, int]:
            s = s.with_schema(fp).register_writer(wid, epoch, lease, now)
            return s, s.writer_epoch

        got_epoch = machine.apply(f)
        return WriteHandle(self, machine, tuple(schema), wid, got_epoch)

    def open_reader(
        self,
        shard_id: str,
        schema: Sequence[Column],
        *,
        reader_id: str | None = None,
        lease_ms: int | None = None,
    ) -> ReadHandle:
        """Take a read hold at the shard's current ``since``; it expires without heartbeats."""
        machine = self.machine(shard_id)
        rid = reader_id or f"r-{uuid.uuid4().hex}"
        fp = _fingerprint(schema)
        lease = lease_ms if lease_ms is not None else self.config.reader_lease_ms

        def f(s: ShardState, now: int) -> tuple[ShardState, int]:
            s = s.with_schema(fp).register_reader(rid, lease, now)
            return s, s.since

        since = machine.apply(f)
        return ReadHandle(
            self, machine, tuple(schema), reader_id=rid, hold=since, lease_ms=lease
        )

    def open_shard(
        self, shard_id: str, schema: Sequence[Column], *, epoch: int | None = None
    ) -> tuple[WriteHandle, ReadHandle]:
        return self.open_writer(shard_id, schema, epoch=epoch), self.open_reader(shard_id, schema)

    def shard_state(self, shard_id: str) -> ShardState:
        return self.machine(shard_id).fetch()

    def upper(self, shard_id: str) -> Frontier:
        return self.shard_state(shard_id).upper

    def since(self, shard_id: str) -> int:
        return self.shard_state(shard_id).since

    # Compaction/GC live in their own module; exposed here for convenience.
    def compact(self, shard_id: str, schema: Sequence[Column]) -> bool:
        return compact(self, shard_id, tuple(schema))

    def gc(self, shard_id: str) -> list[str]:
        return gc(self, shard_id)

    # --- blob helpers ---------------------------------------------------------------------
    def new_batch_key(self, shard_id: str) -> str:
        return f"{shard_id}/b/{self.now_ms():013d}-{uuid.uuid4().hex}.arrow"

    def write_batch(
        self,
        *,
        shard_id: str,
        schema: tuple[Column, ...],
        updates: list[Update],
        lower: int,
        upper: Frontier,
        since: int,
    ) -> HollowBatch | None:
        if not updates:
            return None
        key = self.new_batch_key(shard_id)
        # Not cached here: only a decode gives exactly the values a reader would see.
        self.blob.set(key, encode_updates(schema, updates))
        return HollowBatch(key, lower, upper, since, len(updates))

    def batch_table(self, schema: tuple[Column, ...], batch: HollowBatch) -> Any | None:
        """A batch as its Arrow table (see ``codec.decode_table``); ``None`` if its blob is
        gone. Not cached: reading the IPC stream is zero-copy over the blob's bytes."""
        data = self.blob.get(batch.key)
        return None if data is None else decode_table(schema, data)

    def read_batch(self, schema: tuple[Column, ...], batch: HollowBatch) -> list[Update] | None:
        data = self.batch_updates(schema, batch)
        return None if data is None else list(data)

    def batch_updates(
        self, schema: tuple[Column, ...], batch: HollowBatch
    ) -> Sequence[Update] | None:
        """A batch's updates (shared with the cache: do not mutate); ``None`` if its blob is
        gone. Blobs are immutable, so a cached decode is always the blob's content."""
        ckey = _cache_key(batch.key, schema)
        cached = self.batch_cache.get(ckey)
        if cached is not None:
            return cached
        data = self.blob.get(batch.key)
        if data is None:
            return None
        updates = decode_updates(schema, data)
        self.batch_cache.put(ckey, updates, len(data))
        return updates

    def snapshot(
        self,
        shard_id: str,
        schema: Sequence[Column],
        as_of: int,
        *,
        state: ShardState | None = None,
    ) -> list[Update]:
        """Every update at times ``<= as_of``, advanced to ``as_of`` and consolidated, without
        taking a read hold (no consensus write, never holds back compaction).

        Correct because batches are immutable and compaction only rewrites times ``<= since``:
        the batches of any state with ``since <= as_of < upper`` give the same answer. If a
        blob vanishes mid-read (compacted away), state is re-read; if ``since`` has passed
        ``as_of`` by then, :class:`SinceViolationError`. ``state`` (a state the caller just
        fetched) saves the first consensus read.
        """
        check_timestamp(as_of)
        cols = tuple(schema)
        fp = _fingerprint(cols)
        machine = self.machine(shard_id)
        for _ in range(_MISSING_BLOB_RETRIES):
            s = state if state is not None else machine.fetch()
            state = None
            if s.seqno < 0:
                raise InvalidUsageError(f"shard {shard_id} does not exist")
            if s.schema is not None and s.schema != fp:
                raise SchemaMismatchError(
                    f"shard {shard_id} has schema {list(s.schema)}, not {list(fp)}"
                )
            if as_of < s.since:
                raise SinceViolationError(
                    f"as_of {as_of} is before the since of shard {shard_id} ({s.since})"
                )
            if not less_than_frontier(as_of, s.upper):
                raise NotYetAvailableError(
                    f"shard {shard_id} is not complete at {as_of} (upper {frontier_str(s.upper)})"
                )
            out: list[Update] = []
            for b in snapshot_batches(s, as_of):
                data = self.batch_updates(cols, b)
                if data is None:
                    break
                if b.upper is not None and b.upper <= as_of + 1:
                    out.extend(data)  # every time in the batch is <= as_of
                else:
                    out.extend(u for u in data if u[1] <= as_of)
            else:
                return consolidate_at(out, as_of)
        raise PersistError(f"shard {shard_id}: batches kept disappearing during snapshot")


def _overlaps(b: HollowBatch, lo: int, hi: Frontier) -> bool:
    """Whether batch ``b`` may hold times in ``[lo, hi)``."""
    return frontier_lt(lo, b.upper) and less_than_frontier(b.lower, hi)


def snapshot_batches(s: ShardState, as_of: int) -> tuple[HollowBatch, ...]:
    """The batches a snapshot at ``as_of`` reads from state ``s``."""
    return tuple(b for b in s.batches if b.lower <= as_of)


def _cache_key(key: str, schema: Sequence[Column]) -> str:
    # Decoding depends on the column types only (names are not stored per value).
    return key + "|" + ",".join(f"{c.type.name}{'[]' if c.is_array else ''}" for c in schema)


def _fingerprint(schema: Sequence[Column]) -> tuple[tuple[str, bool], ...]:
    return tuple((str(t), bool(a)) for t, a in schema_fingerprint(schema))


class WriteHandle:
    def __init__(
        self,
        client: PersistClient,
        machine: Machine,
        schema: tuple[Column, ...],
        writer_id: str,
        epoch: int,
    ) -> None:
        self.client = client
        self.machine = machine
        self.schema = schema
        self.writer_id = writer_id
        self.epoch = epoch
        self.shard_id = machine.shard_id

    def fetch_upper(self) -> Frontier:
        s = self.machine.fetch()
        s.check_epoch(self.epoch)
        return s.upper

    def compare_and_append(
        self, updates: Sequence[Update], expected_upper: Frontier, new_upper: Frontier
    ) -> UpperMismatch | None:
        """Append ``updates`` as ``[expected_upper, new_upper)`` iff the upper is
        ``expected_upper``. Returns ``None`` on success, else the mismatch. Raises
        :class:`FencedError` if a writer with a higher epoch took over."""
        if expected_upper is None:
            raise InvalidUsageError("cannot append to a closed shard (expected upper is empty)")
        check_timestamp(expected_upper)
        if new_upper is not None:
            check_timestamp(new_upper)
        if not frontier_lt(expected_upper, new_upper):
            raise InvalidUsageError(
                f"new upper {frontier_str(new_upper)} must be beyond expected upper "
                f"[{expected_upper}]"
            )
        for row, t, _d in updates:
            if not (expected_upper <= t and less_than_frontier(t, new_upper)):
                raise InvalidUsageError(
                    f"update at time {t} outside [{expected_upper}, {frontier_str(new_upper)})"
                )
            if len(row) != len(self.schema):
                raise InvalidUsageError(f"row has {len(row)} columns, shard has {len(self.schema)}")
        data = consolidate(updates)
        batch = self.client.write_batch(
            shard_id=self.shard_id,
            schema=self.schema,
            updates=data,
            lower=expected_upper,
            upper=new_upper,
            since=0,
        )
        lease = self.client.config.writer_lease_ms

        def f(s: ShardState, now: int) -> tuple[ShardState | None, UpperMismatch | ShardState]:
            r = s.compare_and_append(
                writer_id=self.writer_id,
                epoch=self.epoch,
                batch=batch,
                expected_upper=expected_upper,
                new_upper=new_upper,
                lease_ms=lease,
                now_ms=now,
            )
            return (None, r) if isinstance(r, UpperMismatch) else (r, r)

        try:
            result = self.machine.apply(f)
        except BaseException:
            # Not committed (fenced, consensus failure): the blob is unreferenced. If the CaS
            # did commit before the error surfaced, the blob is referenced; leave it then.
            if batch is not None:
                self._delete_if_unreferenced(batch.key)
            raise
        if isinstance(result, UpperMismatch):
            if batch is not None:
                self.client.blob.delete(batch.key)
            return result
        self._maybe_compact(result)
        return None

    def _delete_if_unreferenced(self, key: str) -> None:
        try:
            if not _references(self.machine.fetch(), key):
                self.client.blob.delete(key)
        except PersistError:
            pass  # consensus unreachable: gc() removes the orphan after its grace period

    def _maybe_compact(self, s: ShardState) -> None:
        threshold = self.client.config.compaction_min_batches
        if threshold <= 0:
            return
        eligible = sum(1 for b in s.batches if b.upper is not None and b.upper <= s.since + 1)
        if eligible >= threshold:
            self.client.compact(self.shard_id, self.schema)

    def expire(self) -> None:
        self.machine.apply(lambda s, _now: (s.expire_writer(self.writer_id), None))


def _references(s: ShardState, key: str) -> bool:
    return any(b.key == key for b in s.batches)


class ReadHandle:
    """A read hold on a shard: ``since`` cannot pass this handle's ``hold`` while it lives."""

    def __init__(
        self,
        client: PersistClient,
        machine: Machine,
        schema: tuple[Column, ...],
        *,
        reader_id: str,
        hold: int,
        lease_ms: int,
    ) -> None:
        self.client = client
        self.machine = machine
        self.schema = schema
        self.reader_id = reader_id
        self.hold = hold
        self.lease_ms = lease_ms
        self.shard_id = machine.shard_id
        self._last_heartbeat = time.monotonic()

    def __enter__(self) -> ReadHandle:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.expire()

    def fetch_state(self) -> ShardState:
        return self.machine.fetch()

    def since(self) -> int:
        return self.fetch_state().since

    def upper(self) -> Frontier:
        return self.fetch_state().upper

    def heartbeat(self) -> None:
        """Renew the lease. Raises :class:`LeaseExpiredError` if the hold is already gone."""
        lease = self.lease_ms
        self.machine.apply(lambda s, now: (s.heartbeat_reader(self.reader_id, lease, now), None))
        self._last_heartbeat = time.monotonic()

    def maybe_heartbeat(self) -> None:
        if time.monotonic() - self._last_heartbeat > self.lease_ms / 4000:
            self.heartbeat()

    def downgrade_since(self, frontier: Frontier) -> None:
        """Allow compaction up to ``frontier`` (``None``: release the hold entirely)."""
        if frontier is None:
            self.expire()
            return
        check_timestamp(frontier)
        lease = self.lease_ms

        def f(s: ShardState, now: int) -> tuple[ShardState, int]:
            s = s.downgrade_reader(self.reader_id, frontier, lease, now)
            return s, s.readers[self.reader_id].since

        self.hold = self.machine.apply(f)
        self._last_heartbeat = time.monotonic()

    def expire(self) -> None:
        self.machine.apply(lambda s, _now: (s.expire_reader(self.reader_id), None))

    def _check_readable(self, s: ShardState, as_of: int) -> None:
        if self.reader_id not in s.readers:
            raise LeaseExpiredError(f"read hold {self.reader_id} on shard {self.shard_id} expired")
        if as_of < s.since or as_of < self.hold:
            raise SinceViolationError(
                f"as_of {as_of} is before the since of shard {self.shard_id} "
                f"(shard since {s.since}, this hold {self.hold})"
            )

    def snapshot(self, as_of: int) -> list[Update]:
        """Every update at times ``<= as_of``, advanced to ``as_of`` and consolidated."""
        out = self._snapshot_read(
            as_of, lambda s: self._read(s, lambda b: b.lower <= as_of, lambda t: t <= as_of))
        return consolidate_at(out, as_of)

    def snapshot_parts(self, as_of: int) -> list[Any]:
        """:meth:`snapshot`'s updates as Arrow tables, one per batch, for a columnar reader:
        rows at times ``<= as_of``, but neither advanced to ``as_of`` nor consolidated (the
        reader must do both; together they equal :meth:`snapshot`)."""
        return self._snapshot_read(
            as_of, lambda s: self._read_parts(s, lambda b: b.lower <= as_of, None, as_of, None))

    def _snapshot_read(self, as_of: int, read: Callable[[ShardState], _T | None]) -> _T:
        """``read`` of a state complete at ``as_of``, retried while blobs vanish under it."""
        check_timestamp(as_of)
        self.maybe_heartbeat()
        for _ in range(_MISSING_BLOB_RETRIES):
            s = self.fetch_state()
            self._check_readable(s, as_of)
            if not less_than_frontier(as_of, s.upper):
                raise NotYetAvailableError(
                    f"shard {self.shard_id} is not complete at {as_of} "
                    f"(upper {frontier_str(s.upper)})"
                )
            out = read(s)
            if out is not None:
                return out
        raise PersistError(f"shard {self.shard_id}: batches kept disappearing during snapshot")

    def _read_parts(
        self,
        s: ShardState,
        want_batch: Callable[[HollowBatch], bool],
        min_time: int | None,
        max_time: int | None,
        before: Frontier,
    ) -> list[Any] | None:
        """Arrow tables of the matching batches, rows kept where ``min_time <= time <=
        max_time`` and ``time < before`` (each bound optional); ``None`` if a blob vanished."""
        out: list[Any] = []
        for b in s.batches:
            if not want_batch(b):
                continue
            table = self.client.batch_table(self.schema, b)
            if table is None:
                return None
            # A batch's times lie in [lower, upper) (compaction keeps them there): filter
            # only a batch that a bound cuts into.
            t = table.column("_time")
            keep = None
            for bound, op, cuts in (
                (min_time, pc.greater_equal, min_time is not None and min_time > b.lower),
                (max_time, pc.less_equal,
                 max_time is not None and (b.upper is None or max_time < b.upper - 1)),
                (before, pc.less, before is not None and (b.upper is None or before < b.upper)),
            ):
                if cuts:
                    m = op(t, bound)
                    keep = m if keep is None else pc.and_(keep, m)
            if keep is not None:
                table = table.filter(keep)
            if table.num_rows:
                out.append(table)
        return out

    def _read(
        self,
        s: ShardState,
        want_batch: Callable[[HollowBatch], bool],
        want_time: Callable[[int], bool],
    ) -> list[Update] | None:
        """Read matching updates; ``None`` if a blob vanished (compacted away): retry."""
        out: list[Update] = []
        for b in s.batches:
            if not want_batch(b):
                continue
            data = self.client.batch_updates(self.schema, b)
            if data is None:
                return None
            out.extend(u for u in data if want_time(u[1]))
        return out

    def wait_for_upper_past(self, ts: int, timeout_s: float) -> Frontier:
        """Poll until ``upper > ts``; raises :class:`NotYetAvailableError` at the deadline."""
        deadline = time.monotonic() + timeout_s
        while True:
            upper = self.upper()
            if less_than_frontier(ts, upper):
                return upper
            if time.monotonic() > deadline:
                raise NotYetAvailableError(f"upper of {self.shard_id} did not pass {ts} in time")
            time.sleep(self.client.config.listen_poll_interval_s)

    def listen(self, as_of: int) -> Listen:
        """Updates at times ``> as_of`` as the upper advances (pairs with ``snapshot(as_of)``).
        Keep this handle's hold at or below the listen's progress, or times may arrive
        already advanced by compaction."""
        check_timestamp(as_of)
        s = self.fetch_state()
        self._check_readable(s, as_of)
        return Listen(self, as_of)


class Listen:
    """Progress of a shard after ``as_of``: each event carries the updates in
    ``[previous frontier, upper)`` and the new ``upper``. Ends when the shard is closed."""

    def __init__(self, handle: ReadHandle, as_of: int) -> None:
        self.handle = handle
        self.as_of = as_of
        self.frontier: Frontier = as_of + 1

    def poll(self) -> ListenEvent | None:
        """One non-blocking step: an event if the upper advanced, else ``None``."""
        h = self.handle
        got = self._poll_with(lambda s, lo, hi: h._read(
            s, lambda b: _overlaps(b, lo, hi),
            lambda t: lo <= t and t > self.as_of and less_than_frontier(t, hi)))
        return None if got is None else ListenEvent(consolidate(got[0]), got[1])

    def poll_parts(self) -> ListenParts | None:
        """:meth:`poll` with the updates as Arrow tables (see ``ReadHandle.snapshot_parts``);
        not consolidated. Use one of ``poll`` and ``poll_parts`` per listen."""
        h = self.handle
        got = self._poll_with(lambda s, lo, hi: h._read_parts(
            s, lambda b: _overlaps(b, lo, hi), max(lo, self.as_of + 1), None, hi))
        return None if got is None else ListenParts(got[0], got[1])

    def _poll_with(self, read: Callable[[ShardState, int, Frontier], _T | None]
                   ) -> tuple[_T, Frontier] | None:
        """``read(state, frontier, upper)`` once the upper passed the frontier, which then
        moves to the upper; ``None`` while it has not (or the listen is done)."""
        lo = self.frontier
        if lo is None:
            return None
        h = self.handle
        h.maybe_heartbeat()
        for _ in range(_MISSING_BLOB_RETRIES):
            s = h.fetch_state()
            if not frontier_lt(lo, s.upper):
                return None
            out = read(s, lo, s.upper)
            if out is not None:
                self.frontier = s.upper
                return out, s.upper
        raise PersistError(f"shard {h.shard_id}: batches kept disappearing during listen")

    @property
    def done(self) -> bool:
        return self.frontier is None

    def next(self, timeout_s: float) -> ListenEvent | None:
        """Block until an event or the deadline (``None``)."""
        deadline = time.monotonic() + timeout_s
        while not self.done:
            ev = self.poll()
            if ev is not None:
                return ev
            if time.monotonic() >= deadline:
                return None
            time.sleep(self.handle.client.config.listen_poll_interval_s)
        return None

    def __aiter__(self) -> Listen:
        return self

    async def __anext__(self) -> ListenEvent:
        while not self.done:
            ev = await asyncio.to_thread(self.poll)
            if ev is not None:
                return ev
            await asyncio.sleep(self.handle.client.config.listen_poll_interval_s)
        raise StopAsyncIteration


__all__ = [
    "ListenEvent",
    "ListenParts",
    "PersistClient",
    "PersistConfig",
    "ReadHandle",
    "WriteHandle",
    "frontier_le",
    "snapshot_batches",
]
