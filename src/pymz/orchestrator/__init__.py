"""The orchestrator contract from DESIGN.md: services made of processes, in naming scopes.

Guarantees: the types here are all a backend (process, Kubernetes) and its callers
(environmentd's controllers) share. ``ensure_service`` is idempotent; ``drop_service`` of an
absent service succeeds; ``watch_services`` yields the current state first, then changes;
``Service.addresses(port)`` lists ``host:port`` per process ordered by process index.
Does not guarantee: that two processes with the same identity never overlap briefly (callers
must tolerate it), nor exactly-once delivery of status events (statuses are level-triggered).
"""

from pymz.orchestrator.types import (
    LabelSelectionLogic,
    LabelSelector,
    NamespacedOrchestrator,
    Orchestrator,
    Service,
    ServiceAssignments,
    ServiceConfig,
    ServiceEvent,
    ServicePort,
    ServiceProcessMetrics,
    ServiceStatus,
)

__all__ = [
    "LabelSelectionLogic",
    "LabelSelector",
    "NamespacedOrchestrator",
    "Orchestrator",
    "Service",
    "ServiceAssignments",
    "ServiceConfig",
    "ServiceEvent",
    "ServicePort",
    "ServiceProcessMetrics",
    "ServiceStatus",
]
