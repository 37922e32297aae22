"""Cluster replicas as orchestrator services, and their live status.

A replica is one service in the orchestrator namespace ``cluster`` named
``{cluster_id}-replica-{replica_id}``, with one process per unit of its size's ``scale``.
Its status per process combines the orchestrator's view (is the process up?) with the
controllers' (are we connected to its storagectl and computectl endpoints?): a process is
``online`` only when both agree.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime
import logging
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from pymz.catalog import ClusterReplica, ReplicaSize
from pymz.orchestrator import (
    NamespacedOrchestrator,
    Orchestrator,
    ServiceAssignments,
    ServiceConfig,
    ServicePort,
)

log = logging.getLogger(__name__)

CLUSTER_NAMESPACE = "cluster"
PORTS = (
    ServicePort("storagectl", 2100),
    ServicePort("computectl", 2101),
    ServicePort("timely", 2102),
    ServicePort("internal-http", 6878),
)


class ConnectionEventLike(Protocol):
    @property
    def replica_id(self) -> str: ...
    @property
    def process_id(self) -> int: ...
    @property
    def connected(self) -> bool: ...
    @property
    def error(self) -> str | None: ...


class ReplicaController(Protocol):
    """What the adapter needs of the compute and storage controllers."""

    def create_instance(self, instance_id: str) -> None: ...
    async def drop_instance(self, instance_id: str) -> None: ...
    async def add_replica(self, instance_id: str, replica_id: str,
                          addresses: Sequence[str]) -> None: ...
    async def drop_replica(self, instance_id: str, replica_id: str) -> None: ...
    def watch_connections(self) -> AsyncIterator[ConnectionEventLike]: ...


@dataclass(frozen=True)
class ReplicaServiceConfig:
    environment_id: str
    clusterd_image: str = "clusterd"
    extra_labels: Mapping[str, str] = field(default_factory=dict)
    persist_blob_url: str | None = None
    persist_consensus_url: str | None = None


def service_id(replica: ClusterReplica) -> str:
    return f"{replica.cluster_id}-replica-{replica.id}"


def parse_service_id(sid: str) -> tuple[str, str] | None:
    cluster_id, sep, replica_id = sid.partition("-replica-")
    return (cluster_id, replica_id) if sep else None


def clusterd_args(size: ReplicaSize, config: ReplicaServiceConfig,
                  a: ServiceAssignments) -> list[str]:
    args = [
        f"--storagectl-listen-addr={a.listen_addrs['storagectl']}",
        f"--computectl-listen-addr={a.listen_addrs['computectl']}",
        f"--timely-listen-addr={a.listen_addrs['timely']}",
        f"--internal-http-listen-addr={a.listen_addrs['internal-http']}",
        f"--workers={size.workers}",
        f"--environment-id={config.environment_id}",
    ]
    if config.persist_blob_url and config.persist_consensus_url:
        args += [f"--persist-blob-url={config.persist_blob_url}",
                 f"--persist-consensus-url={config.persist_consensus_url}"]
    args += [f"--timely-peer={peer['timely']}" for peer in a.peer_addrs]
    return args


@dataclass
class ProcessStatus:
    orchestrator_online: bool = False
    orchestrator_reason: str | None = None
    compute_connected: bool = False
    storage_connected: bool = False
    updated_at: datetime.datetime = field(
        default_factory=lambda: datetime.datetime.now(datetime.UTC))

    @property
    def online(self) -> bool:
        return self.orchestrator_online and self.compute_connected and self.storage_connected

    @property
    def reason(self) -> str | None:
        if self.online:
            return None
        if self.orchestrator_reason:
            return self.orchestrator_reason
        return None


class ReplicaManager:
    """Creates, drops and watches replica services; owns the replica status table."""

    def __init__(
        self,
        orchestrator: Orchestrator,
        compute: ReplicaController,
        storage: ReplicaController,
        config: ReplicaServiceConfig,
    ) -> None:
        self._orch: NamespacedOrchestrator = orchestrator.namespace(CLUSTER_NAMESPACE)
        self._compute = compute
        self._storage = storage
        self._config = config
        self._instances: set[str] = set()
        self._scales: dict[str, int] = {}
        self._status: dict[tuple[str, int], ProcessStatus] = {}
        self._tasks: list[asyncio.Task[None]] = []
        self.status_changed = asyncio.Condition()

    def start(self) -> None:
        self._tasks = [
            asyncio.create_task(self._watch_orchestrator(), name="watch-orchestrator"),
            asyncio.create_task(self._watch_controller(self._compute, "compute")),
            asyncio.create_task(self._watch_controller(self._storage, "storage")),
        ]

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task

    # --- lifecycle -----------------------------------------------------------------
    def _service_config(self, replica: ClusterReplica, size: ReplicaSize) -> ServiceConfig:
        config = self._config

        def args(a: ServiceAssignments) -> list[str]:
            return clusterd_args(size, config, a)

        labels = {
            **self._config.extra_labels,
            "cluster-id": replica.cluster_id,
            "replica-id": replica.id,
            "size": size.name,
            "type": "cluster",
        }
        return ServiceConfig(
            image=self._config.clusterd_image,
            args=args,
            ports=PORTS,
            cpu_limit_nano_cores=size.cpu_nano_cores,
            memory_limit_bytes=size.memory_bytes,
            scale=size.scale,
            labels=labels,
            availability_zones=(replica.availability_zone,) if replica.availability_zone
            else None,
            disk=replica.disk,
            disk_limit_bytes=size.disk_bytes,
        )

    def ensure_instance(self, cluster_id: str) -> None:
        if cluster_id not in self._instances:
            self._compute.create_instance(cluster_id)
            self._storage.create_instance(cluster_id)
            self._instances.add(cluster_id)

    async def drop_instance(self, cluster_id: str) -> None:
        if cluster_id in self._instances:
            await self._compute.drop_instance(cluster_id)
            await self._storage.drop_instance(cluster_id)
            self._instances.discard(cluster_id)

    async def ensure_replica(self, replica: ClusterReplica, size: ReplicaSize) -> None:
        self.ensure_instance(replica.cluster_id)
        service = await self._orch.ensure_service(service_id(replica),
                                                  self._service_config(replica, size))
        self._scales[replica.id] = size.scale
        for pid in range(size.scale):
            self._status.setdefault((replica.id, pid), ProcessStatus())
        await self._compute.add_replica(replica.cluster_id, replica.id,
                                        service.addresses("computectl"))
        await self._storage.add_replica(replica.cluster_id, replica.id,
                                        service.addresses("storagectl"))

    async def drop_replica(self, replica: ClusterReplica) -> None:
        await self._compute.drop_replica(replica.cluster_id, replica.id)
        await self._storage.drop_replica(replica.cluster_id, replica.id)
        await self._orch.drop_service(service_id(replica))
        self._scales.pop(replica.id, None)
        for key in [k for k in self._status if k[0] == replica.id]:
            del self._status[key]

    async def reconcile(
        self, replicas: Sequence[ClusterReplica], sizes: Mapping[str, ReplicaSize]
    ) -> list[str]:
        """Make the orchestrator match the catalog: drop orphaned services, ensure every
        replica (re-adopting live processes). Returns the ids of dropped orphans."""
        wanted = {service_id(r) for r in replicas}
        orphans = [sid for sid in await self._orch.list_services() if sid not in wanted]
        for sid in orphans:
            log.info("dropping orphaned replica service %s", sid)
            await self._orch.drop_service(sid)
        await asyncio.gather(*(self.ensure_replica(r, sizes[r.size]) for r in replicas))
        return orphans

    # --- status ----------------------------------------------------------------------
    def statuses(self) -> list[tuple[str, int, ProcessStatus]]:
        return sorted(((rid, pid, st) for (rid, pid), st in self._status.items()
                       if rid in self._scales and pid < self._scales[rid]),
                      key=lambda t: (t[0], t[1]))

    async def _touch(self, key: tuple[str, int], update: dict[str, object]) -> None:
        status = self._status.get(key)
        if status is None:
            if key[0] not in self._scales:
                return  # an event for a replica we no longer (or do not yet) run
            status = self._status[key] = ProcessStatus()
        was_online = status.online
        for name, value in update.items():
            setattr(status, name, value)
        if status.online != was_online or "orchestrator_reason" in update:
            status.updated_at = datetime.datetime.now(datetime.UTC)
        async with self.status_changed:
            self.status_changed.notify_all()

    async def _watch_orchestrator(self) -> None:
        while True:
            try:
                async for event in self._orch.watch_services():
                    ids = parse_service_id(event.service_id)
                    if ids is None:
                        continue
                    await self._touch((ids[1], event.process_id), {
                        "orchestrator_online": event.status.online,
                        "orchestrator_reason": event.status.reason,
                    })
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("orchestrator watch failed; re-watching")
            await asyncio.sleep(1)

    async def _watch_controller(self, controller: ReplicaController, which: str) -> None:
        attr = f"{which}_connected"
        while True:
            try:
                async for event in controller.watch_connections():
                    await self._touch((event.replica_id, event.process_id),
                                      {attr: event.connected})
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("%s controller watch failed; re-watching", which)
            await asyncio.sleep(1)
