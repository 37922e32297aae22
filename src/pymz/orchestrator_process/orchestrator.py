"""The process orchestrator: services as child processes on this machine."""

from __future__ import annotations

import asyncio
import functools
import logging
import os
import shutil
from collections.abc import AsyncIterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from pymz.errors import InternalError
from pymz.orchestrator.types import (
    NamespacedOrchestrator,
    Orchestrator,
    Service,
    ServiceAssignments,
    ServiceConfig,
    ServiceEvent,
    ServiceProcessMetrics,
    ServiceStatus,
)
from pymz.orchestrator_process import procs, state
from pymz.orchestrator_process.config import ProcessOrchestratorConfig
from pymz.orchestrator_process.supervisor import ProcessSupervisor, now_utc

logger = logging.getLogger(__name__)

# Wall-clock interval over which cpu usage is measured when there is no earlier sample.
_CPU_SAMPLE_INTERVAL = 0.1


class ProcessService:
    """``Service`` for the process backend: loopback addresses per process index."""

    def __init__(self, host: str, ports: Sequence[Mapping[str, int]]) -> None:
        self._host = host
        self._ports = [dict(p) for p in ports]

    def addresses(self, port: str) -> list[str]:
        try:
            return [f"{self._host}:{p[port]}" for p in self._ports]
        except KeyError:
            raise InternalError(f"service has no port named {port!r}") from None


class ProcessOrchestrator:
    """``Orchestrator`` running services as local processes under ``config.run_directory``."""

    def __init__(self, config: ProcessOrchestratorConfig) -> None:
        self.config = config
        self._namespaces: dict[str, NamespacedProcessOrchestrator] = {}
        config.run_directory.mkdir(parents=True, exist_ok=True)

    def namespace(self, namespace: str) -> NamespacedProcessOrchestrator:
        if not namespace or "/" in namespace:
            raise InternalError(f"invalid orchestrator namespace {namespace!r}")
        if namespace not in self._namespaces:
            self._namespaces[namespace] = NamespacedProcessOrchestrator(self, namespace)
        return self._namespaces[namespace]

    def ports_in_use(self) -> set[int]:
        """Ports already assigned to a supervised service (avoid handing one out twice)."""
        used: set[int] = set()
        for ns in self._namespaces.values():
            used |= ns.ports_in_use()
        return used

    async def detach(self) -> None:
        """Stop supervising without killing anything, so a later instance can re-adopt."""
        for ns in list(self._namespaces.values()):
            await ns.detach()


class _RunningService:
    def __init__(self, state_: state.ServiceState) -> None:
        self.state = state_
        self.supervisors: list[ProcessSupervisor] = []


class NamespacedProcessOrchestrator:
    """``NamespacedOrchestrator`` for one naming scope of a ProcessOrchestrator."""

    def __init__(self, parent: ProcessOrchestrator, namespace: str) -> None:
        self._parent = parent
        self._config = parent.config
        self.namespace = namespace
        self._services: dict[str, _RunningService] = {}
        self._statuses: dict[tuple[str, int], ServiceEvent] = {}
        self._watchers: set[asyncio.Queue[ServiceEvent]] = set()
        # One service operation at a time keeps state files and supervisors consistent.
        self._lock = asyncio.Lock()

    def service_dir(self, id: str) -> Path:
        return self._config.run_directory / f"{self.namespace}-{id}"

    def ports_in_use(self) -> set[int]:
        return {
            port
            for svc in self._services.values()
            for record in svc.state.processes
            for port in record.ports.values()
        }

    # -- status broadcasting -------------------------------------------------------------

    def _set_status(self, id: str, index: int, status: ServiceStatus) -> None:
        key = (id, index)
        current = self._statuses.get(key)
        if current is not None and current.status == status:
            return
        event = ServiceEvent(id, index, status, now_utc())
        self._statuses[key] = event
        for queue in self._watchers:
            queue.put_nowait(event)

    def _forget_status(self, id: str, index: int) -> None:
        self._statuses.pop((id, index), None)

    async def watch_services(self) -> AsyncIterator[ServiceEvent]:
        queue: asyncio.Queue[ServiceEvent] = asyncio.Queue()
        # Snapshot and subscribe without yielding in between so no change is missed.
        snapshot = sorted(self._statuses.values(), key=lambda e: (e.service_id, e.process_id))
        self._watchers.add(queue)
        try:
            for event in snapshot:
                yield event
            while True:
                yield await queue.get()
        finally:
            self._watchers.discard(queue)

    # -- service lifecycle ---------------------------------------------------------------

    async def ensure_service(self, id: str, config: ServiceConfig) -> ProcessService:
        if not id or "/" in id:
            raise InternalError(f"invalid service id {id!r}")
        if config.scale < 0:
            raise InternalError(f"invalid scale {config.scale}")
        async with self._lock:
            return await self._ensure(id, config)

    async def _ensure(self, id: str, config: ServiceConfig) -> ProcessService:
        command = self._config.command_for(config.image)
        service_dir = self.service_dir(id)
        running = self._services.get(id)
        old = running.state if running is not None else state.read_state(service_dir)
        old_records = old.processes if old is not None else []

        # Keep each process's ports where the port names are unchanged, so peers' addresses
        # stay valid and adopted processes keep listening where we expect.
        used = self._parent.ports_in_use()
        ports: list[dict[str, int]] = []
        for index in range(config.scale):
            previous = old_records[index].ports if index < len(old_records) else {}
            assigned: dict[str, int] = {}
            for port in config.ports:
                number = previous.get(port.name)
                if number is None:
                    number = state.free_port(self._config.listen_host)
                    while number in used:
                        number = state.free_port(self._config.listen_host)
                used.add(number)
                assigned[port.name] = number
            ports.append(assigned)

        host = self._config.listen_host
        peers = [{name: f"{host}:{n}" for name, n in p.items()} for p in ports]
        labels = {**self._config.service_labels, **config.labels}
        records: list[state.ProcessRecord] = []
        for index in range(config.scale):
            assignments = ServiceAssignments(listen_addrs=peers[index], peer_addrs=peers)
            argv = [*command, *config.args(assignments)]
            fp = state.fingerprint(
                {
                    "image": config.image,
                    "argv": argv,
                    "ports": ports[index],
                    "cpu_limit": config.cpu_limit_nano_cores,
                    "memory_limit": config.memory_limit_bytes,
                    "cpu_request": config.cpu_request_nano_cores,
                    "memory_request": config.memory_request_bytes,
                    "labels": labels,
                    "environment": dict(config.environment),
                    "disk": config.disk,
                    "disk_limit": config.disk_limit_bytes,
                }
            )
            records.append(state.ProcessRecord(ports[index], argv, fp))

        new_state = state.ServiceState(
            namespace=self.namespace,
            id=id,
            image=config.image,
            labels=labels,
            annotations=dict(config.annotations),
            processes=records,
        )
        state.write_state(service_dir, new_state)
        if running is None:
            running = _RunningService(new_state)
            self._services[id] = running
        running.state = new_state

        supervisors = running.supervisors
        # Scale down: stop surplus processes (highest index first) and remove their dirs.
        while len(supervisors) > config.scale:
            sup = supervisors.pop()
            await sup.stop()
            self._forget_status(id, sup.index)
            shutil.rmtree(sup.process_dir, ignore_errors=True)
        # Processes recorded on disk but not supervised (previous environmentd) beyond scale.
        for index in range(max(len(supervisors), config.scale), len(old_records)):
            await self._kill_recorded(service_dir / str(index))
            shutil.rmtree(service_dir / str(index), ignore_errors=True)

        for index, record in enumerate(records):
            process_dir = service_dir / str(index)
            env = {
                **os.environ,
                **config.environment,
                "PYMZ_PROCESS_INDEX": str(index),
            }
            if index < len(supervisors):
                current = supervisors[index]
                if current.fingerprint == record.fingerprint:
                    continue
                await current.stop()
                adopted = None
            else:
                adopted = None
                prior = old_records[index] if index < len(old_records) else None
                unchanged = prior is not None and prior.fingerprint == record.fingerprint
                if unchanged:
                    adopted = self._adoptable(process_dir)
                if adopted is None:
                    await self._kill_recorded(process_dir)
            sup = ProcessSupervisor(
                config=self._config,
                index=index,
                argv=record.argv,
                env=env,
                process_dir=process_dir,
                ports=record.ports,
                fingerprint=record.fingerprint,
                on_status=functools.partial(self._set_status, id),
                adopted=adopted,
            )
            process_dir.mkdir(parents=True, exist_ok=True)
            if index < len(supervisors):
                supervisors[index] = sup
            else:
                supervisors.append(sup)
            self._set_status(id, index, ServiceStatus.make_offline())
            sup.start()
        return ProcessService(host, ports)

    @staticmethod
    def _adoptable(process_dir: Path) -> procs.ProcessHandle | None:
        recorded = state.read_pid_file(process_dir)
        if recorded is None:
            return None
        pid, create_time = recorded
        if not procs.is_same_process(pid, create_time):
            return None
        logger.info("re-adopting process %d in %s", pid, process_dir)
        return procs.ProcessHandle(pid, create_time)

    async def _kill_recorded(self, process_dir: Path) -> None:
        """Terminate a process known only from its pid file (if it is still the same one)."""
        handle = self._adoptable(process_dir)
        if handle is not None:
            await procs.terminate(handle, self._config.termination_grace)
        state.remove_pid_file(process_dir)

    async def drop_service(self, id: str) -> None:
        async with self._lock:
            service_dir = self.service_dir(id)
            running = self._services.pop(id, None)
            if running is not None:
                await asyncio.gather(*(sup.stop() for sup in running.supervisors))
                for sup in running.supervisors:
                    self._forget_status(id, sup.index)
            if service_dir.is_dir():
                # Processes of a previous environmentd instance that were never re-adopted.
                for child in service_dir.iterdir():
                    if child.is_dir():
                        await self._kill_recorded(child)
                shutil.rmtree(service_dir, ignore_errors=True)

    async def list_services(self) -> list[str]:
        ids: list[str] = []
        run_dir = self._config.run_directory
        if not run_dir.is_dir():
            return ids
        for child in run_dir.iterdir():
            if not child.name.startswith(f"{self.namespace}-") or not child.is_dir():
                continue
            recorded = state.read_state(child)
            if recorded is not None and recorded.namespace == self.namespace:
                ids.append(recorded.id)
        # Services being created right now may not have a readable state file yet.
        ids.extend(id for id in self._services if id not in ids)
        return sorted(ids)

    async def fetch_service_metrics(self, id: str) -> list[ServiceProcessMetrics]:
        running = self._services.get(id)
        if running is None:
            raise InternalError(f"unknown service {id!r} in namespace {self.namespace!r}")
        supervisors = list(running.supervisors)
        unsampled = [sup for sup in supervisors if not sup.has_cpu_sample()]
        if unsampled:
            for sup in unsampled:
                sup.sample_cpu()
            await asyncio.sleep(_CPU_SAMPLE_INTERVAL)
        return [sup.metrics() for sup in supervisors]

    async def detach(self) -> None:
        async with self._lock:
            for running in self._services.values():
                for sup in running.supervisors:
                    await sup.detach()
            self._services.clear()
            self._statuses.clear()

    def status(self, id: str, index: int) -> ServiceStatus | None:
        """The last reported status of one process (None if unknown)."""
        event = self._statuses.get((id, index))
        return event.status if event is not None else None


if TYPE_CHECKING:
    # Static check that the classes satisfy the contract's Protocols.
    def _conforms(
        o: ProcessOrchestrator, n: NamespacedProcessOrchestrator, s: ProcessService
    ) -> tuple[Orchestrator, NamespacedOrchestrator, Service]:
        return o, n, s
