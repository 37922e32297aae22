"""Executes snapshot-query peeks: read persist shards at a timestamp, run the SQL on DuckDB.

Reads take no persist read hold (a hold-free snapshot, see :meth:`PersistClient.snapshot`):
a peek writes nothing to consensus and never holds back compaction; environmentd's own holds
keep recent timestamps readable. Decoded batches, a shard's last expanded rows and DuckDB
engines (a small pool, each keeping its loaded tables) are reused across peeks.

Persist is a synchronous library and DuckDB blocks, so both run in worker threads; the
asyncio task that drives a peek can be cancelled at any await. A cancelled query keeps being
interrupted (``IntrospectionEngine.cancel``) until its thread returns, so a canceled peek
never leaves a query running.
"""

from __future__ import annotations

import asyncio
import functools
import itertools
import threading
import time
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

import numpy as np

from pymz.compute.arrow_input import arrow_batch
from pymz.compute.dataflow import Batch, concat
from pymz.compute.dataflow.graph import error_for
from pymz.compute.notify import ShardNotifier
from pymz.compute.oneshot import input_batch, run_once
from pymz.compute_client.errors_shard import ERROR_COLUMNS
from pymz.compute_client.peek_plan import (
    Row,
    ShardImport,
    SnapshotQueryPlan,
    encode_result,
)
from pymz.errors import InternalError, PymzError, QueryCanceled
from pymz.expr import serde
from pymz.expr.relation import PlannedQuery
from pymz.persist import PersistClient, ShardState, SinceViolationError
from pymz.persist.client import snapshot_batches
from pymz.persist.frontier import less_than_frontier
from pymz.repr.types import Column, ScalarType
from pymz.sqlexec import IntrospectionEngine, QueryRows, RelationSnapshot

_INTERRUPT_EVERY_S = 0.05
# Shards whose last snapshot's rows are kept for reuse.
_CACHED_SHARDS = 64
# Rows of persist batches kept in columnar form for one-shot peeks.
_CACHED_ROWS = 4_000_000


@dataclass(frozen=True)
class PersistLocation:
    blob_url: str
    consensus_url: str


def invalid_timestamp(ts: int, imp: ShardImport, since: int) -> PymzError:
    # Materialize's wording for a read below an input's since.
    return InternalError(
        f"Timestamp ({ts}) is not valid for all inputs",
        detail=f"{imp.schema}.{imp.name} (shard {imp.shard_id}) is readable from {since}",
    )


@dataclass(frozen=True)
class _CachedRows:
    columns: tuple[Column, ...]
    batch_keys: tuple[str, ...]
    rows: list[Row]
    version: int


class SnapshotPeekExecutor:
    """One per clusterd process; caches the persist client, a small pool of DuckDB engines
    and the expanded rows of each shard's last snapshot.

    Persist is read without read holds (:meth:`PersistClient.snapshot`), so a peek never
    writes to consensus and never holds back compaction; a peek below the shard's since
    fails with "Timestamp is not valid". Rows are reused, and the engine's loaded copy too
    (same ``version``), while a shard's batches at the peek timestamp are unchanged and hold
    no update later than it.
    """

    def __init__(
        self,
        location: PersistLocation | None,
        *,
        upper_wait_s: float = 60.0,
        poll_s: float = 0.01,
        engines: int = 2,
    ) -> None:
        self.location = location
        self.upper_wait_s = upper_wait_s
        self.poll_s = poll_s
        # Set by the compute runtime: wake-ups when a shard gets new data.
        self.notifier: ShardNotifier | None = None
        self._client: PersistClient | None = None
        self._client_lock = threading.Lock()
        self._watchers: set[asyncio.Task[None]] = set()
        # Queries in flight: owner -> (engine, thread future), so close() can stop them.
        self._running: dict[object, tuple[IntrospectionEngine, asyncio.Future[QueryRows]]] = {}
        # Engines are reused (creating a DuckDB connection costs more than a point query);
        # a pool rather than one engine so one slow peek does not queue every other one.
        self._pool_size = max(1, engines)
        self._idle: list[IntrospectionEngine] = []
        self._created = 0
        self._pool_cond: asyncio.Condition | None = None
        self._closed = False
        self._rows: OrderedDict[str, _CachedRows] = OrderedDict()
        # Persist batches as columns, for one-shot peeks: (batch key, columns) -> updates.
        self._columnar: OrderedDict[tuple[str, tuple[Column, ...]], Batch] = OrderedDict()
        self._columnar_rows = 0
        # Negative, so they never equal a version environmentd put on an inline relation.
        self._versions = itertools.count(-1, -1)

    async def close(self, timeout_s: float = 5.0) -> None:
        """Interrupt every query still running (their peeks were canceled) and wait for the
        threads, so process shutdown is not held up by a long query."""
        self._closed = True
        pending = [
            asyncio.create_task(_interrupt_until_done(engine, owner, fut))
            for owner, (engine, fut) in self._running.items()
        ]
        pending += list(self._watchers)
        if pending:
            await asyncio.wait(pending, timeout=timeout_s)
        idle, self._idle = self._idle, []
        for engine in idle:
            engine.close()

    def _persist(self) -> PersistClient:
        with self._client_lock:
            if self._client is None:
                if self.location is None:
                    raise InternalError(
                        "this clusterd cannot read persist: it was started without "
                        "--persist-blob-url and --persist-consensus-url"
                    )
                self._client = PersistClient.from_urls(
                    self.location.blob_url, self.location.consensus_url
                )
            return self._client

    async def read_batch(self, imp: ShardImport, timestamp: int) -> Batch:
        """The contents of a persist-backed import at ``timestamp`` (once readable) as a
        columnar batch of updates (not consolidated: the dataflow does that); raises the
        materialized view's error when its errors shard has one then."""
        state = await self._readable_state(imp, imp.shard_id, timestamp)
        batch = await asyncio.to_thread(self._read_batch_sync, imp, timestamp, state)
        if imp.errors_shard_id:
            errs = await self._readable_state(imp, imp.errors_shard_id, timestamp)
            await asyncio.to_thread(self._check_errors_sync, imp, timestamp, errs)
        return batch

    def _read_batch_sync(self, imp: ShardImport, ts: int, state: ShardState) -> Batch:
        """Each persist batch is converted to columns once (batches are immutable) and
        cached, so a peek after a write converts only what the write added."""
        client = self._persist()
        parts: list[Batch] = []
        for b in snapshot_batches(state, ts):
            key = (b.key, tuple(imp.columns))
            with self._client_lock:
                cached = self._columnar.get(key)
                if cached is not None:
                    self._columnar.move_to_end(key)
            if cached is None:
                table = client.batch_table(tuple(imp.columns), b)
                if table is None:
                    # Compacted away under us: the row path re-reads the state and retries.
                    snap = self._read_import_sync(imp, ts, client.shard_state(imp.shard_id))
                    return input_batch(imp.columns, snap.rows)
                cached = arrow_batch([table], imp.columns, 0)
                with self._client_lock:
                    self._columnar[key] = cached
                    self._columnar_rows += len(cached)
                    while self._columnar_rows > _CACHED_ROWS and len(self._columnar) > 1:
                        _, old = self._columnar.popitem(last=False)
                        self._columnar_rows -= len(old)
            if b.upper is None or b.upper > ts + 1:  # holds times after ts
                cached = cached.take(cached.time <= np.uint64(ts))
            parts.append(cached)
        return concat(parts, len(imp.columns))

    async def run_expr(self, plan: SnapshotQueryPlan,
                       inputs: dict[str, tuple[tuple[Column, ...], Batch]],
                       timestamp: int) -> bytes:
        """The Arrow IPC result of an expr plan (``plan.expr``) over ``inputs`` (Get id ->
        (columns, contents)), computed by the dataflow engine in a worker thread. A canceled
        peek stops the computation at its next operator."""
        planned = serde.loads(plan.expr)
        if not isinstance(planned, PlannedQuery):
            raise InternalError("the peek's expr is not a planned query")
        canceled = threading.Event()

        def stop() -> None:
            if canceled.is_set() or self._closed:
                raise QueryCanceled("canceling statement due to user request")

        fut = asyncio.get_running_loop().run_in_executor(
            None, functools.partial(run_once, planned, inputs, timestamp, stop=stop))
        try:
            rows = await asyncio.shield(fut)
        except asyncio.CancelledError:
            canceled.set()
            fut.add_done_callback(lambda f: f.cancelled() or f.exception())
            raise
        return await asyncio.to_thread(encode_result, plan.result_columns, rows, timestamp)

    async def run(self, plan: SnapshotQueryPlan, timestamp: int) -> bytes:
        """The Arrow IPC result of ``plan`` at ``timestamp``; raises PymzError on failure."""
        relations: list[RelationSnapshot] = []
        for imp in plan.imports:
            state = await self._readable_state(imp, imp.shard_id, timestamp)
            relations.append(
                await asyncio.to_thread(self._read_import_sync, imp, timestamp, state))
            if imp.errors_shard_id:
                errs = await self._readable_state(imp, imp.errors_shard_id, timestamp)
                await asyncio.to_thread(self._check_errors_sync, imp, timestamp, errs)
        relations.extend(plan.inline_relations)
        result = await self._execute(plan, relations)
        columns, rows = conform(result, plan.result_columns)
        return await asyncio.to_thread(encode_result, columns, rows, timestamp)

    # -- persist ------------------------------------------------------------------------------

    async def _readable_state(self, imp: ShardImport, shard_id: str, ts: int) -> ShardState:
        """The state of ``shard_id`` (``imp``'s data or errors shard) once it is complete
        past ``ts``: woken by this process's sinks and environmentd's table hints when a
        notifier is set, else polling, for at most ``upper_wait_s``. A missing data shard
        is an error; a missing errors shard is waited for (the view's sink creates it)."""
        client = self._persist()
        errors_shard = shard_id == imp.errors_shard_id
        deadline = time.monotonic() + self.upper_wait_s
        while True:
            woken = self.notifier.event(shard_id) if self.notifier is not None else None
            state = await asyncio.to_thread(client.shard_state, shard_id)
            if state.seqno < 0 and not errors_shard:
                raise InternalError(
                    f"persist shard {shard_id} of {imp.schema}.{imp.name} does not exist"
                )
            if state.seqno >= 0 and state.since > ts:
                raise invalid_timestamp(ts, imp, state.since)
            if state.seqno >= 0 and less_than_frontier(ts, state.upper):
                return state
            if time.monotonic() > deadline:
                if errors_shard:
                    raise InternalError(
                        f"timed out waiting for the errors of {imp.schema}.{imp.name} "
                        f"(shard {shard_id}) to become readable at {ts}")
                raise InternalError(
                    f"timed out waiting for {imp.schema}.{imp.name} (shard {shard_id}) "
                    f"to become readable at {ts}",
                    detail=f"its upper is {state.upper}",
                )
            if woken is not None:
                await ShardNotifier.wait(woken, self.poll_s)
            else:
                await asyncio.sleep(self.poll_s)

    def _read_import_sync(self, imp: ShardImport, ts: int, state: ShardState
                          ) -> RelationSnapshot:
        # Runs in a worker thread; ``state`` is complete past ``ts``.
        client = self._persist()
        batches = snapshot_batches(state, ts)
        keys = tuple(b.key for b in batches)
        # Complete: no batch holds a time after ts, so the contents depend on the keys alone.
        complete = all(b.upper is not None and b.upper <= ts + 1 for b in batches)
        with self._client_lock:
            cached = self._rows.get(imp.shard_id)
        if complete and cached is not None and cached.batch_keys == keys and (
            cached.columns == imp.columns
        ):
            return RelationSnapshot(
                imp.schema, imp.name, imp.columns, cached.rows, version=cached.version
            )
        try:
            updates = client.snapshot(imp.shard_id, imp.columns, ts, state=state)
        except SinceViolationError:
            raise invalid_timestamp(ts, imp, client.since(imp.shard_id)) from None
        rows: list[Row] = []
        for row, _time, diff in updates:
            if diff < 0:
                raise InternalError(
                    f"{imp.schema}.{imp.name} (shard {imp.shard_id}) has a negative "
                    f"multiplicity ({diff}) for a row at {ts}"
                )
            rows.extend([row] * diff)
        if not complete:
            return RelationSnapshot(imp.schema, imp.name, imp.columns, rows)
        version = next(self._versions)
        with self._client_lock:
            self._rows[imp.shard_id] = _CachedRows(imp.columns, keys, rows, version)
            self._rows.move_to_end(imp.shard_id)
            while len(self._rows) > _CACHED_SHARDS:
                self._rows.popitem(last=False)
        return RelationSnapshot(imp.schema, imp.name, imp.columns, rows, version=version)

    def _check_errors_sync(self, imp: ShardImport, ts: int, state: ShardState) -> None:
        """Raise the materialized view's error if one is live at ``ts`` (its errors shard,
        ``state`` complete past ``ts``)."""
        client = self._persist()
        shard = imp.errors_shard_id
        try:
            updates = client.snapshot(shard, ERROR_COLUMNS, ts, state=state)
        except SinceViolationError:
            raise invalid_timestamp(ts, imp, client.since(shard)) from None
        live = sorted(row for row, _t, diff in updates if diff > 0)
        if live:
            raise error_for(str(live[0][0]), str(live[0][1]))

    # -- engines ------------------------------------------------------------------------------

    async def _acquire(self) -> IntrospectionEngine:
        if self._pool_cond is None:
            self._pool_cond = asyncio.Condition()
        async with self._pool_cond:
            while not self._idle and self._created >= self._pool_size:
                await self._pool_cond.wait()
            if self._idle:
                return self._idle.pop()
            self._created += 1
        try:
            return await asyncio.to_thread(IntrospectionEngine)
        except BaseException:
            await self._discard(None)
            raise

    async def _release(self, engine: IntrospectionEngine) -> None:
        assert self._pool_cond is not None
        async with self._pool_cond:
            if self._closed:
                engine.close()
                self._created -= 1
            else:
                self._idle.append(engine)
            self._pool_cond.notify()

    async def _discard(self, engine: IntrospectionEngine | None) -> None:
        if engine is not None:
            engine.close()
        assert self._pool_cond is not None
        async with self._pool_cond:
            self._created -= 1
            self._pool_cond.notify()

    # -- SQL ----------------------------------------------------------------------------------

    async def _execute(
        self, plan: SnapshotQueryPlan, relations: Sequence[RelationSnapshot]
    ) -> QueryRows:
        # A pooled engine: cancel targets exactly this query (by owner); the engine keeps
        # loaded relations so an unchanged snapshot (same version) is not loaded again.
        engine = await self._acquire()
        owner = object()
        loop = asyncio.get_running_loop()
        fut = loop.run_in_executor(
            None,
            functools.partial(
                engine.execute,
                plan.sql,
                plan.params,
                plan.param_oids,
                relations=relations,
                search_path=plan.search_path,
                session_vars=plan.session_vars,
                owner=owner,
            ),
        )
        self._running[owner] = (engine, fut)
        fut.add_done_callback(lambda _: self._running.pop(owner, None))
        try:
            result = await asyncio.shield(fut)
        except asyncio.CancelledError:
            task = asyncio.create_task(self._interrupt_then_release(engine, owner, fut))
            self._watchers.add(task)
            task.add_done_callback(self._watchers.discard)
            raise
        except BaseException:
            await self._release(engine)
            raise
        await self._release(engine)
        return result

    async def _interrupt_then_release(
        self, engine: IntrospectionEngine, owner: object, fut: asyncio.Future[QueryRows]
    ) -> None:
        await _interrupt_until_done(engine, owner, fut)
        await self._release(engine)


async def _interrupt_until_done(
    engine: IntrospectionEngine, owner: object, fut: asyncio.Future[QueryRows]
) -> None:
    # The query may not have started yet (relations still loading), and an interrupt that
    # finds nothing running is dropped: keep interrupting until the thread gives up.
    while not fut.done():
        engine.cancel(owner)
        await asyncio.wait({fut}, timeout=_INTERRUPT_EVERY_S)
    if not fut.cancelled():
        fut.exception()  # retrieved: a canceled query's QueryCanceled is expected


# -- result shape -----------------------------------------------------------------------------

_INTS = (ScalarType.INT2, ScalarType.INT4, ScalarType.INT8, ScalarType.OID, ScalarType.MZ_TIMESTAMP)
_FLOATS = (ScalarType.FLOAT4, ScalarType.FLOAT8)
_TEXTS = (ScalarType.TEXT, ScalarType.VARCHAR, ScalarType.CHAR)


def _coerce(v: object, to: ScalarType) -> object:
    if v is None:
        return None
    if to == ScalarType.NUMERIC and isinstance(v, int | float) and not isinstance(v, bool):
        return Decimal(str(v))
    if to in _FLOATS and isinstance(v, int | Decimal) and not isinstance(v, bool):
        return float(v)
    if to in _INTS and isinstance(v, Decimal | float) and v == int(v):
        return int(v)
    return v


def conform(result: QueryRows, wanted: Sequence[Column]) -> tuple[tuple[Column, ...], list[Row]]:
    """Shape the engine's rows to the columns environmentd described (names and types); an
    empty ``wanted`` keeps the engine's own columns."""
    if not wanted:
        return result.columns, result.rows
    if len(wanted) != len(result.columns):
        raise InternalError(
            f"peek produced {len(result.columns)} columns, the plan describes {len(wanted)}"
        )
    fixes = [
        (i, w.type)
        for i, (w, got) in enumerate(zip(wanted, result.columns, strict=True))
        if (w.type, w.is_array) != (got.type, got.is_array) and not w.is_array
    ]
    if not fixes:
        return tuple(wanted), result.rows
    rows: list[Row] = []
    for row in result.rows:
        r = list(row)
        for i, to in fixes:
            r[i] = _coerce(r[i], to)
        rows.append(tuple(r))
    return tuple(wanted), rows
