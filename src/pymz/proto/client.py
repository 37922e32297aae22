"""The controller end of the control streams: one long-lived gRPC stream per replica process.

Generic over the two protocols (storagectl, computectl), so both controllers share the
connect / handshake / replay / reconnect logic. Each process link, on every (re)connect:
sends Hello, then the instance's compacted command history, then InitializationComplete,
then every command broadcast afterwards. Failures (refused, handshake timeout, keepalive
timeout, stream aborted) are retried forever with capped exponential back-off until the
replica is dropped.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime
import logging
import uuid
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, Protocol, TypeVar

import grpc
import grpc.aio

from pymz.proto import common_pb2
from pymz.proto.common import CLIENT_CHANNEL_OPTIONS

log = logging.getLogger(__name__)

CmdT = TypeVar("CmdT")
RespT = TypeVar("RespT")
RespT_contra = TypeVar("RespT_contra", contravariant=True)


@dataclass(frozen=True)
class ConnectionEvent:
    """A replica process's control stream became connected (handshake done) or not."""

    replica_id: str
    process_id: int
    connected: bool
    error: str | None
    time: datetime.datetime


@dataclass(frozen=True)
class BackoffConfig:
    initial_s: float = 0.1
    maximum_s: float = 5.0
    # Bounds on one attempt, so a stopped (SIGSTOP) process cannot hang a reconnect.
    connect_timeout_s: float = 5.0
    handshake_timeout_s: float = 5.0


class StreamProtocol(Protocol[CmdT, RespT_contra]):
    """How a link speaks one concrete protocol."""

    def hello(self, nonce: str) -> CmdT: ...

    def initialization_complete(self) -> CmdT: ...

    def open(self, channel: grpc.aio.Channel, requests: AsyncIterator[CmdT]) -> Any:
        """Start the bidi call; the result is async-iterable over responses."""
        ...

    def hello_ack(self, resp: RespT_contra) -> common_pb2.HelloAck | None: ...


ResponseHandler = Callable[[str, int, RespT], None]
HistoryFn = Callable[[], Sequence[CmdT]]


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


async def _drain(queue: asyncio.Queue[CmdT]) -> AsyncIterator[CmdT]:
    while True:
        yield await queue.get()


@dataclass
class _ProcessLink(Generic[CmdT, RespT]):
    replica_id: str
    process_id: int
    address: str
    queue: asyncio.Queue[CmdT] | None = None
    connected: bool = False
    error: str | None = None
    task: asyncio.Task[None] | None = None


@dataclass
class _Replica(Generic[CmdT, RespT]):
    instance_id: str
    replica_id: str
    addresses: tuple[str, ...]
    links: list[_ProcessLink[CmdT, RespT]] = field(default_factory=list)


class ReplicaConnections(Generic[CmdT, RespT]):
    """All control streams of one controller, keyed by replica id."""

    def __init__(
        self,
        protocol: StreamProtocol[CmdT, RespT],
        on_response: ResponseHandler[RespT],
        backoff: BackoffConfig,
        name: str,
    ) -> None:
        self._protocol = protocol
        self._on_response = on_response
        self._backoff = backoff
        self._name = name
        self._replicas: dict[str, _Replica[CmdT, RespT]] = {}
        self._watchers: list[asyncio.Queue[ConnectionEvent]] = []
        self._closed = False

    # -- replicas ---------------------------------------------------------------------------

    def replica_ids(self, instance_id: str | None = None) -> list[str]:
        return [
            r.replica_id
            for r in self._replicas.values()
            if instance_id is None or r.instance_id == instance_id
        ]

    def addresses(self, replica_id: str) -> tuple[str, ...] | None:
        r = self._replicas.get(replica_id)
        return None if r is None else r.addresses

    async def add_replica(
        self,
        instance_id: str,
        replica_id: str,
        addresses: Sequence[str],
        history: HistoryFn[CmdT],
    ) -> None:
        if self._closed:
            raise RuntimeError(f"{self._name} controller is closed")
        existing = self._replicas.get(replica_id)
        if existing is not None:
            if existing.addresses == tuple(addresses) and existing.instance_id == instance_id:
                return
            await self.drop_replica(replica_id)
        replica: _Replica[CmdT, RespT] = _Replica(instance_id, replica_id, tuple(addresses))
        self._replicas[replica_id] = replica
        for i, addr in enumerate(addresses):
            link: _ProcessLink[CmdT, RespT] = _ProcessLink(replica_id, i, addr)
            replica.links.append(link)
            self._emit(link)  # disconnected until the handshake completes
            link.task = asyncio.create_task(
                self._run_link(link, history), name=f"{self._name}-{replica_id}-{i}"
            )

    async def drop_replica(self, replica_id: str) -> None:
        replica = self._replicas.pop(replica_id, None)
        if replica is None:
            return
        tasks = [link.task for link in replica.links if link.task is not None]
        for t in tasks:
            t.cancel()
        for t in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await t
        for link in replica.links:
            link.queue = None
            link.connected = False
            link.error = "replica dropped"
            self._emit(link)

    async def close(self) -> None:
        self._closed = True
        for rid in list(self._replicas):
            await self.drop_replica(rid)

    # -- commands ---------------------------------------------------------------------------

    def broadcast(self, instance_id: str, cmd: CmdT) -> None:
        """Send to every live stream of the instance's replicas. Streams that are not up
        will get the command through history replay when they connect."""
        for replica in self._replicas.values():
            if replica.instance_id == instance_id:
                self._send_replica(replica, cmd)

    def send_to_replica(self, replica_id: str, cmd: CmdT) -> None:
        replica = self._replicas.get(replica_id)
        if replica is not None:
            self._send_replica(replica, cmd)

    @staticmethod
    def _send_replica(replica: _Replica[CmdT, RespT], cmd: CmdT) -> None:
        for link in replica.links:
            if link.queue is not None:
                link.queue.put_nowait(cmd)

    # -- status -----------------------------------------------------------------------------

    def connection_status(self, replica_id: str) -> list[bool]:
        replica = self._replicas.get(replica_id)
        return [] if replica is None else [link.connected for link in replica.links]

    async def watch(self) -> AsyncIterator[ConnectionEvent]:
        queue: asyncio.Queue[ConnectionEvent] = asyncio.Queue()
        now = _now()
        for replica in self._replicas.values():
            for link in replica.links:
                queue.put_nowait(
                    ConnectionEvent(
                        link.replica_id, link.process_id, link.connected, link.error, now
                    )
                )
        self._watchers.append(queue)
        try:
            while True:
                yield await queue.get()
        finally:
            self._watchers.remove(queue)

    def _emit(self, link: _ProcessLink[CmdT, RespT]) -> None:
        event = ConnectionEvent(
            link.replica_id, link.process_id, link.connected, link.error, _now()
        )
        for w in self._watchers:
            w.put_nowait(event)

    # -- the per-process loop ---------------------------------------------------------------

    async def _run_link(self, link: _ProcessLink[CmdT, RespT], history: HistoryFn[CmdT]) -> None:
        delay = self._backoff.initial_s
        while True:
            error, replaced = await self._attempt(link, history)
            if link.connected:
                delay = self._backoff.initial_s
            link.connected = False
            link.error = error
            self._emit(link)
            log.info(
                "%s replica %s process %d (%s) disconnected: %s; retrying in %.1fs",
                self._name,
                link.replica_id,
                link.process_id,
                link.address,
                error,
                delay,
            )
            # Another controller took the stream over: do not fight it at full speed.
            await asyncio.sleep(self._backoff.maximum_s if replaced else delay)
            delay = min(delay * 2, self._backoff.maximum_s)

    async def _attempt(
        self, link: _ProcessLink[CmdT, RespT], history: HistoryFn[CmdT]
    ) -> tuple[str, bool]:
        """One connection attempt; returns (why it ended, whether we were replaced)."""
        nonce = str(uuid.uuid4())
        channel = grpc.aio.insecure_channel(link.address, options=CLIENT_CHANNEL_OPTIONS)
        try:
            await asyncio.wait_for(channel.channel_ready(), self._backoff.connect_timeout_s)
            queue: asyncio.Queue[CmdT] = asyncio.Queue()
            queue.put_nowait(self._protocol.hello(nonce))
            # Snapshot and go live without an await in between, so every command is either
            # in the replayed history or broadcast to this queue, never both or neither.
            for cmd in history():
                queue.put_nowait(cmd)
            queue.put_nowait(self._protocol.initialization_complete())
            link.queue = queue
            call = self._protocol.open(channel, _drain(queue))
            responses = call.__aiter__()
            first = await asyncio.wait_for(responses.__anext__(), self._backoff.handshake_timeout_s)
            if self._protocol.hello_ack(first) is None:
                return "replica did not acknowledge the handshake", False
            link.connected = True
            link.error = None
            self._emit(link)
            log.info(
                "%s replica %s process %d connected to %s (nonce %s)",
                self._name,
                link.replica_id,
                link.process_id,
                link.address,
                nonce,
            )
            async for resp in responses:
                self._on_response(link.replica_id, link.process_id, resp)
            return "stream closed by the replica", False
        except grpc.aio.AioRpcError as e:
            replaced = e.code() == grpc.StatusCode.ABORTED
            return f"{e.code().name}: {e.details()}", replaced
        except TimeoutError:
            return "timed out connecting or waiting for the handshake", False
        except StopAsyncIteration:
            return "stream closed before the handshake", False
        except Exception as e:  # a bug in a response handler must not end the retry loop
            log.exception("%s replica %s: control stream failed", self._name, link.replica_id)
            return f"internal error: {e}", False
        finally:
            link.queue = None
            await channel.close(None)
