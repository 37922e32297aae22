"""Validated plans for the statements the coordinator sequences.

Planning turns parsed statements into these plans, checking option names, types and sizes;
sequencing applies a plan to the catalog and the orchestrator. Keeping them apart means a
plan that reaches the sequencer is already known to be well-formed.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ReplicaSpec:
    name: str
    size: str
    availability_zone: str | None = None
    disk: bool = False


@dataclass(frozen=True)
class ManagedSettings:
    size: str
    replication_factor: int = 1
    availability_zones: tuple[str, ...] = ()
    disk: bool = False
    introspection_interval: str | None = "1s"
    introspection_debugging: bool = False


@dataclass(frozen=True)
class CreateClusterPlan:
    name: str
    managed: ManagedSettings | None
    replicas: tuple[ReplicaSpec, ...] = ()  # for unmanaged clusters


@dataclass(frozen=True)
class CreateReplicaPlan:
    cluster: str
    replica: ReplicaSpec


@dataclass(frozen=True)
class DropClustersPlan:
    names: tuple[str, ...]
    if_exists: bool
    cascade: bool


@dataclass(frozen=True)
class DropReplicasPlan:
    names: tuple[tuple[str, str], ...]
    if_exists: bool


@dataclass(frozen=True)
class AlterClusterPlan:
    """``ALTER CLUSTER … SET/RESET``: only the options that were mentioned are set."""

    name: str
    if_exists: bool
    size: str | None = None
    replication_factor: int | None = None
    availability_zones: tuple[str, ...] | None = None
    disk: bool | None = None
    introspection_interval: str | None = None
    introspection_debugging: bool | None = None
    managed: bool | None = None
    reset: tuple[str, ...] = ()


@dataclass(frozen=True)
class RenameClusterPlan:
    name: str
    new_name: str
    if_exists: bool


@dataclass(frozen=True)
class RenameReplicaPlan:
    cluster: str
    replica: str
    new_name: str
    if_exists: bool
