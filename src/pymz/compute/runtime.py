"""Compute runtime state, reconciliation, dataflows (:mod:`.dataflows`) and peeks."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Any

from pymz.compute.dataflow import Batch
from pymz.compute.dataflows import RunningDataflow
from pymz.compute.notify import ShardNotifier
from pymz.compute.oneshot import input_batch
from pymz.compute.peek import SnapshotPeekExecutor
from pymz.compute_client.dataflow import INDEX_PEEK_KIND
from pymz.compute_client.dataflow import decode as decode_dataflow
from pymz.compute_client.peek_plan import (
    PLAN_KIND,
    ShardImport,
    SnapshotQueryPlan,
    decode_plan,
    encode_result,
    plan_kind,
)
from pymz.compute_client.protocol import (
    ComputeCommand,
    ComputeResponse,
    CreateDataflow,
    Frontiers,
    Peek,
    PeekError,
    PeekResponse,
    SubscribeResponse,
    command_kind,
    dataflow_export_ids,
    peek_error,
)
from pymz.errors import InternalError, PymzError
from pymz.persist import PersistClient
from pymz.proto.common import (
    Frontier,
    frontier_from_proto,
    frontier_less_equal,
    frontier_to_proto,
)
from pymz.proto.replay import Reconciliation, ReplayingRuntime
from pymz.sqlexec import RelationSnapshot

log = logging.getLogger(__name__)

PEEK_UNSUPPORTED = (
    "peeks of indexes are not yet supported by this clusterd: the compute engine is not built"
)

Emit = Callable[[ComputeResponse], None]


def _key(df: CreateDataflow) -> tuple[str, ...]:
    return tuple(dataflow_export_ids(df))


def compatible(installed: CreateDataflow, replayed: CreateDataflow) -> bool:
    """An installed dataflow can stand in for a replayed one when they are identical except
    for ``as_of``, and the installed one started no later (it can produce every time the
    replayed one asks for)."""
    a, b = CreateDataflow(), CreateDataflow()
    a.CopyFrom(installed)
    b.CopyFrom(replayed)
    a.ClearField("as_of")
    b.ClearField("as_of")
    return a == b and frontier_less_equal(
        frontier_from_proto(installed.as_of), frontier_from_proto(replayed.as_of)
    )


class ComputeRuntime(ReplayingRuntime[ComputeCommand, ComputeResponse]):
    """Single-threaded: driven by the clusterd event loop.

    Responses computed later (snapshot peeks) go out through ``emit`` (set by clusterd to
    "send on the current controller stream"); a peek started on an older connection never
    answers on a newer one — the new controller replays the peeks it still wants.
    """

    def __init__(
        self,
        process: int = 0,
        workers: int = 1,
        peeks: SnapshotPeekExecutor | None = None,
    ) -> None:
        self.process = process
        self.workers = workers
        self.peek_executor = peeks or SnapshotPeekExecutor(None)
        self.emit: Emit | None = None
        self._peeks: dict[str, asyncio.Task[None]] = {}
        self.instance_id: str | None = None
        self.config: dict[str, str] = {}
        self.writes_allowed = False
        self.dataflows: dict[tuple[str, ...], CreateDataflow] = {}
        # The dataflows this process computes (process 0 of a replica; the others record).
        self.running: dict[tuple[str, ...], RunningDataflow] = {}
        self._persist: PersistClient | None = None
        self._closing: set[asyncio.Task[None]] = set()
        self.write_frontiers: dict[str, Frontier] = {}
        self.compaction: dict[str, Frontier] = {}
        self.scheduled: set[str] = set()
        self.notifier = ShardNotifier()
        self.peek_executor.notifier = self.notifier
        super().__init__()

    def handle(self, cmd: ComputeCommand) -> list[ComputeResponse]:
        # A hint, not state: never buffered for reconciliation nor recorded.
        if cmd.WhichOneof("kind") == "shards_updated":
            for shard in cmd.shards_updated.shard_ids:
                self.notifier.notify(shard)
            return []
        return super().handle(cmd)

    def connect(self, nonce: str) -> None:
        # Peeks of the previous controller are answered to nobody: stop them.
        for task in self._peeks.values():
            task.cancel()
        self._peeks.clear()
        super().connect(nonce)

    def _kind(self, cmd: ComputeCommand) -> str:
        return command_kind(cmd)

    # -- reconciliation ---------------------------------------------------------------------

    def _reconcile(self, buffer: list[ComputeCommand]) -> list[ComputeResponse]:
        old, self.dataflows = self.dataflows, {}
        rec = Reconciliation()
        out: list[ComputeResponse] = []
        for cmd in buffer:
            kind = command_kind(cmd)
            if kind == "create_instance":
                new_id = cmd.create_instance.instance_id
                if self.instance_id is not None and self.instance_id != new_id:
                    log.warning("instance changed %s -> %s", self.instance_id, new_id)
                    rec.dropped.extend(i for k in old for i in k)
                    self._forget(old.keys())
                    old = {}
                self.instance_id = new_id
            elif kind == "create_dataflow":
                df = cmd.create_dataflow
                key = _key(df)
                prev = old.pop(key, None)
                if prev is not None and compatible(prev, df):
                    self.dataflows[key] = prev
                    rec.kept.extend(key)
                    out.extend(self._frontier_responses(key))
                else:
                    if prev is not None:
                        rec.dropped.extend(key)
                        self._forget([key])
                    rec.created.extend(key)
                    out.extend(self._install(df))
            else:
                out.extend(self._apply(cmd))
        rec.dropped.extend(i for k in old for i in k)
        self._forget(old.keys())
        self.last_reconciliation = rec
        log.info(
            "compute reconciled: kept %s, created %s, dropped %s",
            rec.kept,
            rec.created,
            rec.dropped,
        )
        return out

    def _forget(self, keys: Any) -> None:
        for key in list(keys):
            running = self.running.pop(key, None)
            if running is not None:
                self._close_later(running)
            for id in key:
                self.write_frontiers.pop(id, None)
                self.compaction.pop(id, None)
                self.scheduled.discard(id)

    # -- steady state -----------------------------------------------------------------------

    def _install(self, df: CreateDataflow) -> list[ComputeResponse]:
        key = _key(df)
        self.dataflows[key] = df
        if self.process != 0:
            return []  # process 0 computes and reports; frontiers are per replica
        running = self._start(df)
        if running is not None:
            self.running[key] = running
            return []  # it reports its own frontiers as they advance
        for id in key:
            self.write_frontiers[id] = frontier_from_proto(df.as_of)
        return self._frontier_responses(key)

    def _start(self, df: CreateDataflow) -> RunningDataflow | None:
        """Render and start ``df``; None for descriptions this engine cannot run (they are
        recorded and report their ``as_of``)."""
        try:
            desc = decode_dataflow(df)
        except PymzError as e:
            log.warning("dataflow %s is recorded, not run: %s", df.debug_name, e.message)
            return None
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return None  # driven synchronously (unit tests): nothing can run
        try:
            running = RunningDataflow(desc, self._persist_client(), self._emit,
                                      notifier=self.notifier)
        except PymzError as e:
            log.error("dataflow %s cannot be rendered: %s", df.debug_name, e.message)
            return None
        running.start()
        return running

    def _persist_client(self) -> PersistClient | None:
        loc = self.peek_executor.location
        if self._persist is None and loc is not None:
            self._persist = PersistClient.from_urls(loc.blob_url, loc.consensus_url)
        return self._persist

    def _emit(self, resp: ComputeResponse) -> None:
        if self.emit is not None:
            self.emit(resp)

    def _close_later(self, running: RunningDataflow) -> None:
        task = asyncio.get_running_loop().create_task(running.close())
        self._closing.add(task)
        task.add_done_callback(self._closing.discard)

    def _running_with(self, id: str) -> RunningDataflow | None:
        for key, running in self.running.items():
            if id in key:
                return running
        return None

    def _frontier_responses(self, key: tuple[str, ...]) -> list[ComputeResponse]:
        running = self.running.get(key)
        if running is not None:
            return running.frontier_responses()
        if self.process != 0:
            return []
        return [
            ComputeResponse(
                frontiers=Frontiers(
                    id=id, write_frontier=frontier_to_proto(self.write_frontiers.get(id, ()))
                )
            )
            for id in key
        ]

    def _apply(self, cmd: ComputeCommand) -> list[ComputeResponse]:
        kind = command_kind(cmd)
        if kind == "create_instance":
            self.instance_id = cmd.create_instance.instance_id
        elif kind == "update_configuration":
            self.config.update(cmd.update_configuration.params)
        elif kind == "allow_writes":
            self.writes_allowed = True
        elif kind == "create_dataflow":
            return self._install(cmd.create_dataflow)
        elif kind == "schedule":
            self.scheduled.add(cmd.schedule.id)
        elif kind == "allow_compaction":
            return self._allow_compaction(
                cmd.allow_compaction.id, frontier_from_proto(cmd.allow_compaction.frontier)
            )
        elif kind == "peek":
            return self._peek(cmd.peek)
        elif kind == "cancel_peek":
            return self._cancel_peek(cmd.cancel_peek.uuid)
        else:
            log.warning("ignoring unexpected compute command %r", kind)
        return []

    # -- peeks ------------------------------------------------------------------------------

    def _peek(self, peek: Peek) -> list[ComputeResponse]:
        if plan_kind(peek.plan_json) == INDEX_PEEK_KIND:
            return self._spawn_peek(peek, self._run_index_peek(peek, self.connections))
        if plan_kind(peek.plan_json) != PLAN_KIND:
            err = peek_error(PEEK_UNSUPPORTED, sqlstate="0A000")
            return [ComputeResponse(peek_response=PeekResponse(uuid=peek.uuid, error=err))]
        return self._spawn_peek(peek, self._run_peek(peek, self.connections))

    def _spawn_peek(self, peek: Peek, work: Any) -> list[ComputeResponse]:
        old = self._peeks.pop(peek.uuid, None)
        if old is not None:
            old.cancel()
        task = asyncio.get_running_loop().create_task(work, name=f"peek-{peek.uuid}")
        self._peeks[peek.uuid] = task
        return []

    async def _run_index_peek(self, peek: Peek, connection: int) -> None:
        async def rows() -> bytes:
            if self.process != 0:
                return encode_result((), [], peek.timestamp)
            running = self._running_with(peek.target_id)
            if running is None:
                if any(peek.target_id in key for key in self.dataflows):
                    raise PymzError(PEEK_UNSUPPORTED, sqlstate="0A000")
                raise InternalError(f"index {peek.target_id} is not installed")
            wait_s = self.peek_executor.upper_wait_s
            return await running.peek(peek.target_id, peek.timestamp, wait_s)

        await self._answer_peek(peek, connection, rows(), "index peek")

    async def _answer_peek(self, peek: Peek, connection: int, rows: Awaitable[bytes],
                           what: str) -> None:
        """Await ``rows`` and send the peek's response (rows, or the error as a PeekError)
        to the controller that asked, unless it was replaced meanwhile."""
        resp = PeekResponse(uuid=peek.uuid)
        try:
            resp.rows = await rows
        except asyncio.CancelledError:
            raise
        except PymzError as e:
            resp.error.CopyFrom(_peek_error(e))
        except Exception as e:
            log.exception("%s %s failed", what, peek.uuid)
            resp.error.CopyFrom(peek_error(f"peek failed: {e}"))
        finally:
            if self._peeks.get(peek.uuid) is asyncio.current_task():
                del self._peeks[peek.uuid]
        if connection == self.connections and self.emit is not None:
            self.emit(ComputeResponse(peek_response=resp))

    def _cancel_peek(self, uuid: str) -> list[ComputeResponse]:
        task = self._peeks.pop(uuid, None)
        if task is None:
            return []  # already answered (or never seen): nothing to cancel
        task.cancel()
        return [ComputeResponse(peek_response=PeekResponse(uuid=uuid, canceled=True))]

    async def _run_peek(self, peek: Peek, connection: int) -> None:
        async def rows() -> bytes:
            plan = decode_plan(peek.plan_json)
            if self.process != 0:
                # Only process 0 reads and computes; the controller concatenates the answers
                # of every process of a replica, so the others contribute nothing.
                return encode_result(plan.result_columns, [], peek.timestamp)
            if plan.expr:
                inputs = {}
                for imp in plan.imports:
                    inputs[imp.gid] = (imp.columns,
                                       await self._import_batch(imp, peek.timestamp))
                return await self.peek_executor.run_expr(plan, inputs, peek.timestamp)
            plan = await self._read_index_imports(plan, peek.timestamp)
            return await self.peek_executor.run(plan, peek.timestamp)

        await self._answer_peek(peek, connection, rows(), "peek")

    async def _import_batch(self, imp: ShardImport, timestamp: int) -> Batch:
        """The contents of one import at ``timestamp``: from its index's arrangement (by key
        when the import has a lookup) or its persist shard."""
        if not imp.index_id:
            return await self.peek_executor.read_batch(imp, timestamp)
        running = self._running_with(imp.index_id)
        if running is None:
            raise InternalError(f"index {imp.index_id} is not installed")
        _, rows = await running.index_rows(imp.index_id, timestamp,
                                           self.peek_executor.upper_wait_s, imp.lookup)
        return input_batch(imp.columns, rows)

    async def _read_index_imports(self, plan: SnapshotQueryPlan,
                                  timestamp: int) -> SnapshotQueryPlan:
        """``plan`` with its index imports replaced by inline relations read from the
        installed arrangements (by key when the import has a lookup)."""
        if not any(i.index_id for i in plan.imports):
            return plan
        inline: list[RelationSnapshot] = []
        for imp in plan.imports:
            if not imp.index_id:
                continue
            running = self._running_with(imp.index_id)
            if running is None:
                raise InternalError(f"index {imp.index_id} is not installed")
            _, rows = await running.index_rows(imp.index_id, timestamp,
                                               self.peek_executor.upper_wait_s, imp.lookup)
            inline.append(RelationSnapshot(imp.schema, imp.name, imp.columns, rows))
        return replace(plan, imports=tuple(i for i in plan.imports if not i.index_id),
                       inline_relations=(*plan.inline_relations, *inline))

    async def close(self) -> None:
        """Cancel pending peeks and stop their queries (process shutdown)."""
        tasks = list(self._peeks.values())
        self._peeks.clear()
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.wait(tasks)
        running, self.running = list(self.running.values()), {}
        for r in running:
            await r.close()
        if self._closing:
            await asyncio.wait(list(self._closing))
        await self.peek_executor.close()

    def pending_peeks(self) -> list[str]:
        return sorted(self._peeks)

    def _allow_compaction(self, id: str, frontier: Frontier) -> list[ComputeResponse]:
        self.compaction[id] = frontier
        running = self._running_with(id)
        if running is not None:
            running.allow_compaction(id, frontier)
        if frontier:
            return []
        out: list[ComputeResponse] = []
        if running is not None and id in running.subscribes:
            out.append(
                ComputeResponse(subscribe_response=SubscribeResponse(id=id, dropped=True))
            )
        # Dropped: once every export of its dataflow is dropped, the dataflow goes.
        for key in list(self.dataflows):
            if id in key and all(self.compaction.get(e) == () for e in key):
                del self.dataflows[key]
                self._forget([key])
        self.write_frontiers.pop(id, None)
        out.append(
            ComputeResponse(frontiers=Frontiers(id=id, write_frontier=frontier_to_proto(())))
        )
        return out

    def introspect(self) -> dict[str, Any]:
        return {
            "process": self.process,
            "instance_id": self.instance_id,
            "connections": self.connections,
            "nonce": self.nonce,
            "initialized": self.initialized,
            "received": list(self.received),
            "config": dict(self.config),
            "writes_allowed": self.writes_allowed,
            "dataflows": [list(k) for k in self.dataflows],
            "running": {",".join(k): r.introspect() for k, r in self.running.items()},
            "write_frontiers": {k: list(v) for k, v in self.write_frontiers.items()},
            "scheduled": sorted(self.scheduled),
            "pending_peeks": self.pending_peeks(),
            "last_reconciliation": None
            if self.last_reconciliation is None
            else vars(self.last_reconciliation),
        }


def _peek_error(e: PymzError) -> PeekError:
    return peek_error(e.message, sqlstate=e.sqlstate, detail=e.detail, hint=e.hint)
