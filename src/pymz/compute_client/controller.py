"""The compute controller's connection layer (runs inside environmentd, on asyncio)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import grpc.aio

from pymz.compute_client.dataflow import (
    DataflowDescription,
    SubscribeBatch,
    SubscribeSinkExport,
    decode_subscribe_updates,
    index_peek_plan,
    parse_subscribe_error,
)
from pymz.compute_client.dataflow import encode as encode_dataflow
from pymz.compute_client.history import ComputeCommandHistory
from pymz.compute_client.peek_plan import (
    Row,
    SnapshotQueryPlan,
    concat_results,
    decode_result,
    encode_plan,
)
from pymz.compute_client.protocol import (
    CancelPeek,
    ComputeCommand,
    ComputeCtlStub,
    ComputeResponse,
    CreateDataflow,
    CreateInstance,
    Peek,
    PeekResponse,
    Schedule,
    ShardsUpdated,
    SubscribeResponse,
    allow_compaction,
    hello_command,
    new_peek_uuid,
    response_kind,
    update_configuration,
)
from pymz.errors import InternalError, PymzError, QueryCanceled, UndefinedObject
from pymz.proto import common_pb2
from pymz.proto.client import BackoffConfig, ConnectionEvent, ReplicaConnections
from pymz.proto.common import Frontier, frontier_from_proto, frontier_join

log = logging.getLogger(__name__)

SubscribeHandler = Callable[[str, SubscribeResponse], None]


@dataclass
class _PendingPeek:
    instance_id: str
    future: asyncio.Future[PeekResponse]
    # replica id -> process id -> rows answered by that process (a replica's answer counts
    # once every one of its processes has answered).
    parts: dict[str, dict[int, bytes]] = field(default_factory=dict)


@dataclass
class _Subscribe:
    """Batches of one subscribe sink, merged from every replica: each range of times is
    delivered once, from the first replica that reports it."""

    instance_id: str
    up_to: int | None
    queue: asyncio.Queue[SubscribeBatch | PymzError | None] = field(default_factory=asyncio.Queue)
    # Times below this have been delivered (None: nothing yet).
    progress: int | None = None
    done: bool = False

    def finish(self, item: PymzError | None = None) -> None:
        if not self.done:
            self.done = True
            self.queue.put_nowait(item)


class _ComputeProtocol:
    def hello(self, nonce: str) -> ComputeCommand:
        return hello_command(nonce)

    def initialization_complete(self) -> ComputeCommand:
        return ComputeCommand(initialization_complete=common_pb2.InitializationComplete())

    def open(self, channel: grpc.aio.Channel, requests: AsyncIterator[ComputeCommand]) -> Any:
        return ComputeCtlStub(channel).Connect(requests)

    def hello_ack(self, resp: ComputeResponse) -> common_pb2.HelloAck | None:
        return resp.hello_ack if response_kind(resp) == "hello_ack" else None


class ComputeController:
    """Command histories per instance (cluster) and streams to every replica process.

    Not thread-safe: call it from the event loop that created it.
    """

    def __init__(self, *, backoff: BackoffConfig | None = None) -> None:
        self._histories: dict[str, ComputeCommandHistory] = {}
        self._links: ReplicaConnections[ComputeCommand, ComputeResponse] = ReplicaConnections(
            _ComputeProtocol(), self._handle_response, backoff or BackoffConfig(), "compute"
        )
        self._replica_instance: dict[str, str] = {}
        # replica id -> collection id -> write frontier reported by that replica
        self._frontiers: dict[str, dict[str, Frontier]] = {}
        self._peeks: dict[str, _PendingPeek] = {}
        self._subscribe_handler: SubscribeHandler | None = None
        self._subscribes: dict[str, _Subscribe] = {}
        self._frontier_waiters: list[asyncio.Event] = []

    # -- instances and replicas -------------------------------------------------------------

    def create_instance(self, instance_id: str) -> None:
        """Idempotent: a known instance keeps its history."""
        if instance_id in self._histories:
            return
        history = ComputeCommandHistory()
        history.push(ComputeCommand(create_instance=CreateInstance(instance_id=instance_id)))
        self._histories[instance_id] = history

    async def drop_instance(self, instance_id: str) -> None:
        for rid in self._links.replica_ids(instance_id):
            await self.drop_replica(instance_id, rid)
        self._histories.pop(instance_id, None)

    async def add_replica(
        self, instance_id: str, replica_id: str, addresses: Sequence[str]
    ) -> None:
        history = self._history(instance_id)
        self._replica_instance[replica_id] = instance_id
        self._frontiers.setdefault(replica_id, {})
        await self._links.add_replica(instance_id, replica_id, addresses, history.commands)

    async def drop_replica(self, instance_id: str, replica_id: str) -> None:
        await self._links.drop_replica(replica_id)
        self._replica_instance.pop(replica_id, None)
        self._frontiers.pop(replica_id, None)

    def connection_status(self, replica_id: str) -> list[bool]:
        return self._links.connection_status(replica_id)

    def watch_connections(self) -> AsyncIterator[ConnectionEvent]:
        return self._links.watch()

    async def close(self) -> None:
        await self._links.close()
        for p in self._peeks.values():
            if not p.future.done():
                p.future.set_exception(InternalError("compute controller closed"))
        self._peeks.clear()

    # -- commands ---------------------------------------------------------------------------

    def send(self, instance_id: str, cmd: ComputeCommand) -> None:
        """Record ``cmd`` in the instance's history and send it to every connected replica."""
        self._history(instance_id).push(cmd)
        self._links.broadcast(instance_id, cmd)

    def shards_updated(self, shard_ids: Sequence[str]) -> None:
        """Tell every replica these shards just got new data or a new upper (a hint, not
        recorded: a replica that misses it finds the data at its next poll)."""
        if not shard_ids:
            return
        cmd = ComputeCommand(shards_updated=ShardsUpdated(shard_ids=list(shard_ids)))
        for instance_id in list(self._histories):
            self._links.broadcast(instance_id, cmd)

    def update_configuration(self, instance_id: str, params: dict[str, str]) -> None:
        self.send(instance_id, update_configuration(params))

    def allow_writes(self, instance_id: str) -> None:
        self.send(instance_id, ComputeCommand(allow_writes=common_pb2.AllowWrites()))

    def create_dataflow(
        self, instance_id: str, dataflow: DataflowDescription | CreateDataflow
    ) -> None:
        """Install a dataflow on every replica (now and, through the history, later ones).

        Subscribe sinks of a :class:`DataflowDescription` start buffering their batches at
        once; read them with :meth:`subscribe`."""
        if isinstance(dataflow, DataflowDescription):
            self._history(instance_id)
            for sink in dataflow.sink_exports:
                if isinstance(sink, SubscribeSinkExport):
                    self._subscribes[sink.id] = _Subscribe(instance_id, sink.up_to)
            dataflow = encode_dataflow(dataflow)
        self.send(instance_id, ComputeCommand(create_dataflow=dataflow))

    def schedule(self, instance_id: str, id: str) -> None:
        self.send(instance_id, ComputeCommand(schedule=Schedule(id=id)))

    def allow_compaction(self, instance_id: str, id: str, frontier: Frontier | int | None) -> None:
        """Reads of export ``id`` before ``frontier`` are no longer needed; ``None`` or an
        empty frontier drops the export (a dataflow goes once all its exports are dropped,
        and a subscribe of ``id`` ends)."""
        f: Frontier = (
            () if frontier is None else (frontier,) if isinstance(frontier, int) else frontier
        )
        self.send(instance_id, allow_compaction(id, f))
        if not f:
            sub = self._subscribes.get(id)
            if sub is not None:
                sub.finish()

    async def wait_for_frontier(
        self, instance_id: str, id: str, ts: int, timeout_s: float | None = None
    ) -> Frontier:
        """Wait until some replica reports export ``id``'s write frontier beyond ``ts`` (all
        times ``<= ts`` complete); returns that frontier. TimeoutError after ``timeout_s``."""

        async def wait() -> Frontier:
            while True:
                f = self.write_frontier(instance_id, id)
                if f is not None and (not f or f[0] > ts):
                    return f
                ev = asyncio.Event()
                self._frontier_waiters.append(ev)
                await ev.wait()

        return await asyncio.wait_for(wait(), timeout_s)

    async def peek_index(
        self, instance_id: str, index_id: str, timestamp: int, *, timeout_s: float | None = None
    ) -> list[Row]:
        """The rows of index ``index_id`` at ``timestamp`` (the first replica to answer wins;
        a replica answers once its arrangement is complete at ``timestamp``). Raises
        :class:`PymzError` with the replica's SQLSTATE (e.g. 22012 while the indexed
        collection holds a division by zero), TimeoutError after ``timeout_s``."""
        peek = Peek(
            uuid=new_peek_uuid(),
            target_id=index_id,
            timestamp=timestamp,
            plan_json=index_peek_plan(),
        )
        resp = await self.peek(instance_id, peek, timeout_s=timeout_s)
        return peek_rows(resp)

    async def subscribe(self, instance_id: str, sink_id: str) -> AsyncIterator[SubscribeBatch]:
        """The batches of subscribe sink ``sink_id`` in time order, contiguous, each range
        from the first replica to report it. Ends when the sink is dropped or reaches its
        ``up_to``; raises the query's error (PymzError) if the subscribe failed."""
        sub = self._subscribes.get(sink_id)
        if sub is None or sub.instance_id != instance_id:
            raise UndefinedObject(f"unknown subscribe {sink_id!r}")
        try:
            while True:
                item = await sub.queue.get()
                if item is None:
                    return
                if isinstance(item, PymzError):
                    raise item
                yield item
        finally:
            # Read to the end (or abandoned): the state goes once the sink is done.
            if sub.done and sub.queue.empty() and self._subscribes.get(sink_id) is sub:
                del self._subscribes[sink_id]

    def history(self, instance_id: str) -> list[ComputeCommand]:
        """The compacted history a new replica of the instance would be sent."""
        return self._history(instance_id).commands()

    async def peek(
        self, instance_id: str, peek: Peek, *, timeout_s: float | None = None
    ) -> PeekResponse:
        """Send ``peek`` to every replica of the instance; the first replica to answer wins
        (an error or cancel from any of its processes, or rows from all of them, which are
        concatenated in process order) and the others are told to cancel. Waits for a
        replica if none is connected yet. Raises TimeoutError after ``timeout_s``;
        cancelling the awaiting task cancels the peek on every replica."""
        fut: asyncio.Future[PeekResponse] = asyncio.get_running_loop().create_future()
        self._peeks[peek.uuid] = _PendingPeek(instance_id, fut)
        self.send(instance_id, ComputeCommand(peek=peek))
        try:
            return await asyncio.wait_for(asyncio.shield(fut), timeout_s)
        finally:
            if not fut.done():
                fut.cancel()
            self._retire_peek(instance_id, peek.uuid)

    async def peek_snapshot(
        self,
        instance_id: str,
        plan: SnapshotQueryPlan,
        timestamp: int,
        *,
        timeout_s: float | None = None,
        uuid: str | None = None,
    ) -> list[Row]:
        """Run ``plan`` on the instance's replicas over persist snapshots at ``timestamp``.

        Returns the rows (Python values per :mod:`pymz.repr.types`) in the query's order.
        Raises :class:`PymzError` with the replica's SQLSTATE when the query failed,
        :class:`QueryCanceled` (57014) when canceled with :meth:`peek_snapshot_cancel`,
        ``TimeoutError`` after ``timeout_s``. Cancelling the awaiting task sends CancelPeek
        to every replica. ``uuid`` (default: a fresh one) names the peek for cancellation.
        """
        peek = Peek(
            uuid=uuid or new_peek_uuid(),
            timestamp=timestamp,
            plan_json=encode_plan(plan),
        )
        resp = await self.peek(instance_id, peek, timeout_s=timeout_s)
        return peek_rows(resp)

    async def peek_snapshot_cancel(self, uuid: str) -> bool:
        """Cancel a pending peek: its awaiter raises QueryCanceled and every replica gets a
        CancelPeek. False when no such peek is pending."""
        pending = self._peeks.get(uuid)
        if pending is None or pending.future.done():
            return False
        pending.future.set_exception(QueryCanceled("canceling statement due to user request"))
        self._retire_peek(pending.instance_id, uuid)
        return True

    def pending_peeks(self) -> list[str]:
        return sorted(self._peeks)

    def write_frontiers(self, replica_id: str) -> dict[str, Frontier]:
        return dict(self._frontiers.get(replica_id, {}))

    def write_frontier(self, instance_id: str, id: str) -> Frontier | None:
        """The furthest write frontier any replica of the instance reported for ``id``."""
        best: Frontier | None = None
        for rid, inst in self._replica_instance.items():
            f = self._frontiers.get(rid, {}).get(id)
            if inst == instance_id and f is not None:
                best = f if best is None else frontier_join(best, f)
        return best

    def set_subscribe_handler(self, handler: SubscribeHandler | None) -> None:
        self._subscribe_handler = handler

    # -- internals --------------------------------------------------------------------------

    def _history(self, instance_id: str) -> ComputeCommandHistory:
        try:
            return self._histories[instance_id]
        except KeyError:
            raise UndefinedObject(f"unknown compute instance {instance_id!r}") from None

    def _retire_peek(self, instance_id: str, uuid: str) -> None:
        if self._peeks.pop(uuid, None) is None:
            return
        history = self._histories.get(instance_id)
        if history is not None:
            history.retire_peek(uuid)
        # Not recorded: the peek is gone from history, so a replayed replica never sees it.
        self._links.broadcast(instance_id, ComputeCommand(cancel_peek=CancelPeek(uuid=uuid)))

    def _peek_response(self, replica_id: str, process_id: int, pr: PeekResponse) -> None:
        pending = self._peeks.get(pr.uuid)
        if pending is None or pending.future.done():
            return  # answered already (or canceled): later answers lose
        if pr.WhichOneof("result") != "rows":
            pending.future.set_result(pr)
            return
        parts = pending.parts.setdefault(replica_id, {})
        parts[process_id] = pr.rows
        processes = len(self._links.addresses(replica_id) or ())
        if processes == 0 or len(parts) < processes:  # 0: the replica was dropped
            return
        try:
            rows = concat_results([parts[i] for i in sorted(parts)])
        except Exception as e:  # malformed answer: fail the peek rather than hang it
            pending.future.set_exception(InternalError(f"malformed peek answer: {e}"))
            return
        pending.future.set_result(PeekResponse(uuid=pr.uuid, rows=rows))

    def _subscribe_response(self, sr: SubscribeResponse) -> None:
        sub = self._subscribes.get(sr.id)
        if sub is None or sub.done:
            return
        if sr.WhichOneof("kind") == "dropped":
            sub.finish()
            return
        b = sr.batch
        if b.error:
            sqlstate, message = parse_subscribe_error(b.error)
            sub.finish(PymzError(message, sqlstate=sqlstate))
            return
        lower_f, upper_f = frontier_from_proto(b.lower), frontier_from_proto(b.upper)
        lower = lower_f[0] if lower_f else 0
        upper = upper_f[0] if upper_f else None
        if sub.progress is not None:
            if upper is not None and upper <= sub.progress:
                return  # another replica delivered this range already
            if lower > sub.progress:
                return  # a gap (a replica that started later): wait for one that covers it
        start = lower if sub.progress is None else sub.progress
        try:
            updates = [u for u in decode_subscribe_updates(b.updates) if u[1] >= start]
        except Exception as e:
            sub.finish(InternalError(f"malformed subscribe batch: {e}"))
            return
        updates.sort(key=lambda u: u[1])
        if sub.up_to is not None:
            updates = [u for u in updates if u[1] < sub.up_to]
            if upper is None or upper >= sub.up_to:
                upper = sub.up_to
        sub.queue.put_nowait(SubscribeBatch(start, upper, updates))
        sub.progress = upper
        if upper is None or (sub.up_to is not None and upper >= sub.up_to):
            sub.finish()

    def _handle_response(self, replica_id: str, process_id: int, resp: ComputeResponse) -> None:
        kind = response_kind(resp)
        if kind == "frontiers":
            f = resp.frontiers
            self._frontiers.setdefault(replica_id, {})[f.id] = frontier_from_proto(f.write_frontier)
            waiters, self._frontier_waiters = self._frontier_waiters, []
            for ev in waiters:
                ev.set()
        elif kind == "peek_response":
            self._peek_response(replica_id, process_id, resp.peek_response)
        elif kind == "subscribe_response":
            if self._subscribe_handler is not None:
                self._subscribe_handler(replica_id, resp.subscribe_response)
            self._subscribe_response(resp.subscribe_response)
        else:
            log.warning("unexpected compute response %r from %s/%d", kind, replica_id, process_id)


def peek_rows(resp: PeekResponse) -> list[Row]:
    """The rows of a snapshot-query answer, or the error it carries raised."""
    result = resp.WhichOneof("result")
    if result == "rows":
        return decode_result(resp.rows)
    if result == "error":
        e = resp.error
        raise PymzError(
            e.message or "peek failed",
            sqlstate=e.sqlstate or "XX000",
            detail=e.detail or None,
            hint=e.hint or None,
        )
    if result == "canceled":
        raise QueryCanceled("canceling statement due to user request")
    raise InternalError(f"peek {resp.uuid} answered without a result")
