"""The storage controller's connection layer (runs inside environmentd, on asyncio)."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable, Sequence
from typing import Any

import grpc.aio

from pymz.errors import UndefinedObject
from pymz.proto import common_pb2
from pymz.proto.client import BackoffConfig, ConnectionEvent, ReplicaConnections
from pymz.proto.common import Frontier, frontier_from_proto
from pymz.storage_client.history import StorageCommandHistory
from pymz.storage_client.protocol import (
    RunIngestion,
    RunSink,
    StatisticsUpdates,
    StatusUpdate,
    StorageCommand,
    StorageCtlStub,
    StorageResponse,
    allow_compaction,
    hello_command,
    response_kind,
    update_configuration,
)

log = logging.getLogger(__name__)

ResponseListener = Callable[[str, StorageResponse], None]


class _StorageProtocol:
    def hello(self, nonce: str) -> StorageCommand:
        return hello_command(nonce)

    def initialization_complete(self) -> StorageCommand:
        return StorageCommand(initialization_complete=common_pb2.InitializationComplete())

    def open(self, channel: grpc.aio.Channel, requests: AsyncIterator[StorageCommand]) -> Any:
        return StorageCtlStub(channel).Connect(requests)

    def hello_ack(self, resp: StorageResponse) -> common_pb2.HelloAck | None:
        return resp.hello_ack if response_kind(resp) == "hello_ack" else None


class StorageController:
    """Command histories per storage instance (cluster) and streams to every replica process.

    Not thread-safe: call it from the event loop that created it.
    """

    def __init__(self, *, backoff: BackoffConfig | None = None) -> None:
        self._histories: dict[str, StorageCommandHistory] = {}
        self._links: ReplicaConnections[StorageCommand, StorageResponse] = ReplicaConnections(
            _StorageProtocol(), self._handle_response, backoff or BackoffConfig(), "storage"
        )
        self._uppers: dict[str, dict[str, Frontier]] = {}
        self._statuses: dict[str, StatusUpdate] = {}
        self._statistics: dict[str, StatisticsUpdates] = {}
        self._dropped: set[str] = set()
        self._listeners: list[ResponseListener] = []

    def create_instance(self, instance_id: str) -> None:
        self._histories.setdefault(instance_id, StorageCommandHistory())

    async def drop_instance(self, instance_id: str) -> None:
        for rid in self._links.replica_ids(instance_id):
            await self.drop_replica(instance_id, rid)
        self._histories.pop(instance_id, None)

    async def add_replica(
        self, instance_id: str, replica_id: str, addresses: Sequence[str]
    ) -> None:
        history = self._history(instance_id)
        self._uppers.setdefault(replica_id, {})
        await self._links.add_replica(instance_id, replica_id, addresses, history.commands)

    async def drop_replica(self, instance_id: str, replica_id: str) -> None:
        await self._links.drop_replica(replica_id)
        self._uppers.pop(replica_id, None)

    def connection_status(self, replica_id: str) -> list[bool]:
        return self._links.connection_status(replica_id)

    def watch_connections(self) -> AsyncIterator[ConnectionEvent]:
        return self._links.watch()

    async def close(self) -> None:
        await self._links.close()

    # -- commands ---------------------------------------------------------------------------

    def send(self, instance_id: str, cmd: StorageCommand) -> None:
        self._history(instance_id).push(cmd)
        self._links.broadcast(instance_id, cmd)

    def update_configuration(self, instance_id: str, params: dict[str, str]) -> None:
        self.send(instance_id, update_configuration(params))

    def allow_writes(self, instance_id: str) -> None:
        self.send(instance_id, StorageCommand(allow_writes=common_pb2.AllowWrites()))

    def run_ingestion(self, instance_id: str, ingestion: RunIngestion) -> None:
        self._dropped.discard(ingestion.id)
        self.send(instance_id, StorageCommand(run_ingestion=ingestion))

    def run_sink(self, instance_id: str, sink: RunSink) -> None:
        self._dropped.discard(sink.id)
        self.send(instance_id, StorageCommand(run_sink=sink))

    def allow_compaction(self, instance_id: str, id: str, frontier: Frontier) -> None:
        self.send(instance_id, allow_compaction(id, frontier))

    def history(self, instance_id: str) -> list[StorageCommand]:
        return self._history(instance_id).commands()

    # -- what replicas reported -------------------------------------------------------------

    def uppers(self, replica_id: str) -> dict[str, Frontier]:
        return dict(self._uppers.get(replica_id, {}))

    def status(self, id: str) -> StatusUpdate | None:
        return self._statuses.get(id)

    def statistics(self, id: str) -> StatisticsUpdates | None:
        return self._statistics.get(id)

    def dropped(self, id: str) -> bool:
        return id in self._dropped

    def add_listener(self, listener: ResponseListener) -> None:
        """Called with (replica id, response) for every response after it is recorded."""
        self._listeners.append(listener)

    def _history(self, instance_id: str) -> StorageCommandHistory:
        try:
            return self._histories[instance_id]
        except KeyError:
            raise UndefinedObject(f"unknown storage instance {instance_id!r}") from None

    def _handle_response(self, replica_id: str, process_id: int, resp: StorageResponse) -> None:
        kind = response_kind(resp)
        if kind == "frontier_upper":
            fu = resp.frontier_upper
            self._uppers.setdefault(replica_id, {})[fu.id] = frontier_from_proto(fu.upper)
        elif kind == "dropped_id":
            self._dropped.add(resp.dropped_id.id)
        elif kind == "status_update":
            self._statuses[resp.status_update.id] = resp.status_update
        elif kind == "statistics_updates":
            for s in resp.statistics_updates.sources:
                self._statistics[s.id] = StatisticsUpdates(sources=[s])
            for k in resp.statistics_updates.sinks:
                self._statistics[k.id] = StatisticsUpdates(sinks=[k])
        else:
            log.warning("unexpected storage response %r from %s/%d", kind, replica_id, process_id)
        for listener in self._listeners:
            listener(replica_id, resp)
