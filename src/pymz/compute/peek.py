"""Executes snapshot-query peeks: read persist shards at a timestamp, run the SQL on DuckDB.

Persist is a synchronous library and DuckDB blocks, so both run in worker threads; the
asyncio task that drives a peek can be cancelled at any await. A cancelled query keeps being
interrupted (``IntrospectionEngine.cancel``) until its thread returns, so a canceled peek
never leaves a query running.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from pymz.compute_client.peek_plan import (
    Row,
    ShardImport,
    SnapshotQueryPlan,
    encode_result,
)
from pymz.errors import InternalError, PymzError
from pymz.persist import PersistClient, SinceViolationError
from pymz.persist.frontier import less_than_frontier
from pymz.repr.types import Column, ScalarType
from pymz.sqlexec import IntrospectionEngine, QueryRows, RelationSnapshot

log = logging.getLogger(__name__)

_INTERRUPT_EVERY_S = 0.05


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


class SnapshotPeekExecutor:
    """One per clusterd process; caches the persist client."""

    def __init__(
        self,
        location: PersistLocation | None,
        *,
        upper_wait_s: float = 60.0,
        poll_s: float = 0.05,
    ) -> None:
        self.location = location
        self.upper_wait_s = upper_wait_s
        self.poll_s = poll_s
        self._client: PersistClient | None = None
        self._client_lock = threading.Lock()
        self._watchers: set[asyncio.Task[None]] = set()
        # Queries in flight: owner -> (engine, thread future), so close() can stop them.
        self._running: dict[object, tuple[IntrospectionEngine, asyncio.Future[QueryRows]]] = {}

    async def close(self, timeout_s: float = 5.0) -> None:
        """Interrupt every query still running (their peeks were canceled) and wait for the
        threads, so process shutdown is not held up by a long query."""
        pending = [
            asyncio.create_task(_interrupt_until_done(engine, owner, fut))
            for owner, (engine, fut) in self._running.items()
        ]
        pending += list(self._watchers)
        if pending:
            await asyncio.wait(pending, timeout=timeout_s)

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

    async def run(self, plan: SnapshotQueryPlan, timestamp: int) -> bytes:
        """The Arrow IPC result of ``plan`` at ``timestamp``; raises PymzError on failure."""
        relations: list[RelationSnapshot] = []
        for imp in plan.imports:
            relations.append(await self._read_import(imp, timestamp))
        relations.extend(plan.inline_relations)
        result = await self._execute(plan, relations)
        columns, rows = conform(result, plan.result_columns)
        return await asyncio.to_thread(encode_result, columns, rows, timestamp)

    # -- persist ------------------------------------------------------------------------------

    async def _read_import(self, imp: ShardImport, ts: int) -> RelationSnapshot:
        client = await asyncio.to_thread(self._persist)
        state = await asyncio.to_thread(client.shard_state, imp.shard_id)
        if state.seqno < 0:
            raise InternalError(
                f"persist shard {imp.shard_id} of {imp.schema}.{imp.name} does not exist"
            )
        if state.since > ts:
            raise invalid_timestamp(ts, imp, state.since)
        # The read hold (at the current since) keeps the shard readable at ts while we read.
        handle = await asyncio.to_thread(client.open_reader, imp.shard_id, imp.columns)
        try:
            if handle.hold > ts:
                raise invalid_timestamp(ts, imp, handle.hold)
            loop = asyncio.get_running_loop()
            deadline = loop.time() + self.upper_wait_s
            while True:
                upper = await asyncio.to_thread(handle.upper)
                if less_than_frontier(ts, upper):
                    break
                if loop.time() > deadline:
                    raise InternalError(
                        f"timed out waiting for {imp.schema}.{imp.name} (shard {imp.shard_id}) "
                        f"to become readable at {ts}",
                        detail=f"its upper is {upper}",
                    )
                await asyncio.sleep(self.poll_s)
            try:
                updates = await asyncio.to_thread(handle.snapshot, ts)
            except SinceViolationError:
                since = await asyncio.to_thread(handle.since)
                raise invalid_timestamp(ts, imp, since) from None
        finally:
            # Release the hold without waiting (also on cancellation).
            loop = asyncio.get_running_loop()
            fut = loop.run_in_executor(None, handle.expire)
            fut.add_done_callback(_log_failure)
        rows: list[Row] = []
        for row, _time, diff in updates:
            if diff < 0:
                raise InternalError(
                    f"{imp.schema}.{imp.name} (shard {imp.shard_id}) has a negative "
                    f"multiplicity ({diff}) for a row at {ts}"
                )
            rows.extend([row] * diff)
        return RelationSnapshot(imp.schema, imp.name, imp.columns, rows)

    # -- SQL ----------------------------------------------------------------------------------

    async def _execute(
        self, plan: SnapshotQueryPlan, relations: Sequence[RelationSnapshot]
    ) -> QueryRows:
        # A fresh engine per peek: peeks do not queue behind each other, cancel targets
        # exactly this query, and loaded snapshots are freed with it.
        engine = IntrospectionEngine()
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
            task = asyncio.create_task(_interrupt_until_done(engine, owner, fut))
            self._watchers.add(task)
            task.add_done_callback(self._watchers.discard)
            raise
        except BaseException:
            engine.close()
            raise
        engine.close()
        return result


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
    engine.close()  # the query thread is done, so this does not wait


def _log_failure(fut: asyncio.Future[None]) -> None:
    if not fut.cancelled() and fut.exception() is not None:
        log.warning("releasing a persist read hold failed: %s", fut.exception())


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
