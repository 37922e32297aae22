"""Orchestrator protocol types (see the package docstring for the contract)."""

from __future__ import annotations

import datetime
import enum
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol


@dataclass(frozen=True)
class ServicePort:
    """A named port a service listens on. ``port_hint`` is used where ports are not shared
    (Kubernetes pods); the process backend assigns free loopback ports instead."""

    name: str
    port_hint: int


@dataclass(frozen=True)
class ServiceAssignments:
    """What a process is told about where to listen and where its peers are.

    ``listen_addrs`` maps port name to the address this process binds; ``peer_addrs`` lists,
    for every process of the service ordered by index, port name to reachable address.
    """

    listen_addrs: Mapping[str, str]
    peer_addrs: Sequence[Mapping[str, str]]


class LabelSelectionLogic(enum.Enum):
    EQ = "eq"
    NOT_EQ = "not_eq"
    EXISTS = "exists"
    NOT_EXISTS = "not_exists"
    IN = "in"
    NOT_IN = "not_in"


@dataclass(frozen=True)
class LabelSelector:
    """Selects pods by one of their (unprefixed, service-given) labels."""

    label_name: str
    logic: LabelSelectionLogic
    values: tuple[str, ...] = ()


@dataclass(frozen=True)
class ServiceConfig:
    """Everything needed to run a service. ``args`` is a function of the assignments so the
    same config works whether ports are fixed (Kubernetes) or assigned (processes)."""

    image: str
    args: Callable[[ServiceAssignments], list[str]]
    ports: tuple[ServicePort, ...] = ()
    cpu_limit_nano_cores: int | None = None
    memory_limit_bytes: int | None = None
    cpu_request_nano_cores: int | None = None
    memory_request_bytes: int | None = None
    scale: int = 1
    labels: Mapping[str, str] = field(default_factory=dict)
    annotations: Mapping[str, str] = field(default_factory=dict)
    availability_zones: tuple[str, ...] | None = None
    anti_affinity: tuple[LabelSelector, ...] | None = None
    disk: bool = False
    disk_limit_bytes: int | None = None
    environment: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ServiceStatus:
    """``online`` or ``offline`` with an optional reason (e.g. ``oom-killed``)."""

    online: bool
    reason: str | None = None

    @classmethod
    def make_online(cls) -> ServiceStatus:
        return cls(True, None)

    @classmethod
    def make_offline(cls, reason: str | None = None) -> ServiceStatus:
        return cls(False, reason)

    def __str__(self) -> str:
        if self.online:
            return "online"
        return f"offline({self.reason})" if self.reason else "offline"


@dataclass(frozen=True)
class ServiceEvent:
    service_id: str
    process_id: int
    status: ServiceStatus
    time: datetime.datetime


@dataclass(frozen=True)
class ServiceProcessMetrics:
    """Per-process usage; ``None`` where the backend cannot tell."""

    cpu_nano_cores: int | None
    memory_bytes: int | None


class Service(Protocol):
    def addresses(self, port: str) -> list[str]:
        """``host:port`` for the named port, one per process, ordered by process index."""
        ...


class NamespacedOrchestrator(Protocol):
    async def ensure_service(self, id: str, config: ServiceConfig) -> Service:
        """Create the service or update it to ``config`` (idempotent)."""
        ...

    async def drop_service(self, id: str) -> None:
        """Remove the service and its processes; absent is fine."""
        ...

    async def list_services(self) -> list[str]:
        """Ids of the services in this namespace."""
        ...

    def watch_services(self) -> AsyncIterator[ServiceEvent]:
        """Status of every process: the current state first, then every change."""
        ...

    async def fetch_service_metrics(self, id: str) -> list[ServiceProcessMetrics]:
        """Usage per process, ordered by process index."""
        ...


class Orchestrator(Protocol):
    def namespace(self, namespace: str) -> NamespacedOrchestrator:
        """The orchestrator scoped to ``namespace`` (cached per name)."""
        ...
