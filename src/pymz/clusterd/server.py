"""The gRPC side of clusterd: handshake, one-controller-at-a-time, command dispatch."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, Protocol, TypeVar

import grpc
import grpc.aio
from prometheus_client import CollectorRegistry, Counter, Gauge

from pymz.compute_client.protocol import ComputeCommand, ComputeCtlServicer, ComputeResponse
from pymz.proto import common_pb2
from pymz.proto.common import PROTOCOL_VERSION, check_hello
from pymz.storage_client.protocol import StorageCommand, StorageCtlServicer, StorageResponse

log = logging.getLogger(__name__)

CmdT = TypeVar("CmdT", ComputeCommand, StorageCommand)
RespT = TypeVar("RespT", ComputeResponse, StorageResponse)

_C_contra = TypeVar("_C_contra", contravariant=True)
_R_co = TypeVar("_R_co", covariant=True)

REPLACED_DETAILS = "replaced by a newer controller connection"


class Runtime(Protocol[_C_contra, _R_co]):
    def connect(self, nonce: str) -> None: ...

    def handle(self, cmd: _C_contra) -> Sequence[_R_co]: ...


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.commands = Counter(
            "mz_clusterd_commands",
            "Control commands received",
            ["protocol", "kind"],
            registry=self.registry,
        )
        self.connections = Counter(
            "mz_clusterd_controller_connections",
            "Controller streams accepted after a good handshake",
            ["protocol"],
            registry=self.registry,
        )
        self.rejected = Counter(
            "mz_clusterd_handshakes_rejected",
            "Controller streams rejected at the handshake",
            ["protocol"],
            registry=self.registry,
        )
        self.connected = Gauge(
            "mz_clusterd_controller_connected",
            "1 while a controller stream is open",
            ["protocol"],
            registry=self.registry,
        )


class _Stop:
    """Queue sentinel: end the stream (``replaced`` says whether to abort it)."""

    def __init__(self, replaced: bool) -> None:
        self.replaced = replaced


@dataclass
class _Connection(Generic[RespT]):
    nonce: str
    queue: asyncio.Queue[RespT | _Stop] = field(default_factory=asyncio.Queue)


class Endpoint(Generic[CmdT, RespT]):
    """One control endpoint (storagectl or computectl) in front of its runtime."""

    def __init__(
        self,
        name: str,
        runtime: Runtime[CmdT, RespT],
        *,
        make_ack: Callable[[common_pb2.HelloAck], RespT],
        metrics: Metrics,
        process: int,
        workers: int,
    ) -> None:
        self.name = name
        self.runtime: Runtime[CmdT, RespT] = runtime
        self._make_ack: Callable[[common_pb2.HelloAck], RespT] = make_ack
        self._metrics = metrics
        self._process = process
        self._workers = workers
        self.current: _Connection[RespT] | None = None

    def send(self, resp: RespT) -> None:
        """Send a response computed after its command on the current stream (dropped when
        no controller is connected: the next one replays what it still needs)."""
        if self.current is not None:
            self.current.queue.put_nowait(resp)

    async def serve(
        self, requests: AsyncIterator[CmdT], context: grpc.aio.ServicerContext[Any, Any]
    ) -> AsyncIterator[RespT]:
        it = requests.__aiter__()
        try:
            first = await it.__anext__()
        except StopAsyncIteration:
            return
        if first.WhichOneof("kind") != "hello":
            self._metrics.rejected.labels(self.name).inc()
            await context.abort(
                grpc.StatusCode.FAILED_PRECONDITION, "the first command must be Hello"
            )
        why = check_hello(first.hello)
        if why is not None:
            log.warning("%s: rejecting controller %s: %s", self.name, context.peer(), why)
            self._metrics.rejected.labels(self.name).inc()
            await context.abort(grpc.StatusCode.FAILED_PRECONDITION, why)

        conn: _Connection[RespT] = _Connection(first.hello.nonce)
        if self.current is not None:
            log.info("%s: controller %s replaces %s", self.name, conn.nonce, self.current.nonce)
            self.current.queue.put_nowait(_Stop(replaced=True))
        self.current = conn
        self.runtime.connect(conn.nonce)
        self._metrics.connections.labels(self.name).inc()
        self._metrics.connected.labels(self.name).set(1)
        log.info("%s: controller %s connected from %s", self.name, conn.nonce, context.peer())
        reader = asyncio.create_task(self._read(it, conn))
        try:
            yield self._make_ack(
                common_pb2.HelloAck(
                    version=PROTOCOL_VERSION,
                    nonce=conn.nonce,
                    process=self._process,
                    workers=self._workers,
                )
            )
            while True:
                item = await conn.queue.get()
                if isinstance(item, _Stop):
                    if item.replaced:
                        await context.abort(grpc.StatusCode.ABORTED, REPLACED_DETAILS)
                    return
                yield item
        finally:
            reader.cancel()
            if self.current is conn:
                self.current = None
                self._metrics.connected.labels(self.name).set(0)
                log.info("%s: controller %s disconnected", self.name, conn.nonce)

    async def _read(self, it: AsyncIterator[CmdT], conn: _Connection[RespT]) -> None:
        try:
            async for cmd in it:
                if self.current is not conn:
                    return  # replaced: the newer controller owns the runtime now
                self._metrics.commands.labels(self.name, cmd.WhichOneof("kind") or "").inc()
                for resp in self.runtime.handle(cmd):
                    conn.queue.put_nowait(resp)
        except (grpc.aio.AioRpcError, asyncio.CancelledError):
            pass
        except Exception:
            log.exception("%s: failed handling a command; closing the stream", self.name)
        conn.queue.put_nowait(_Stop(replaced=False))


class ComputeServicer(ComputeCtlServicer):
    def __init__(self, endpoint: Endpoint[ComputeCommand, ComputeResponse]) -> None:
        self._endpoint = endpoint

    async def Connect(  # noqa: N802 (the gRPC method name)
        self, request_iterator: AsyncIterator[ComputeCommand], context: Any
    ) -> AsyncIterator[ComputeResponse]:
        # Must itself be an async generator: grpc.aio inspects the method to pick streaming.
        async for resp in self._endpoint.serve(request_iterator, context):
            yield resp


class StorageServicer(StorageCtlServicer):
    def __init__(self, endpoint: Endpoint[StorageCommand, StorageResponse]) -> None:
        self._endpoint = endpoint

    async def Connect(  # noqa: N802 (the gRPC method name)
        self, request_iterator: AsyncIterator[StorageCommand], context: Any
    ) -> AsyncIterator[StorageResponse]:
        # Must itself be an async generator: grpc.aio inspects the method to pick streaming.
        async for resp in self._endpoint.serve(request_iterator, context):
            yield resp
