"""The Kubernetes orchestrator: the orchestrator contract on a Kubernetes API server.

One service = one StatefulSet plus one headless Service named ``{prefix}{namespace}-{id}`` in
the environment's Kubernetes namespace, written with server-side apply under a fixed field
manager. See ``docs/orchestrator.md`` ("Kubernetes backend").

Guarantees: ``ensure_service`` is idempotent; objects carry the match labels
``environmentd.materialize.cloud/namespace`` and ``…/service-id``, pods also
``…/port-<PORT>=true`` per named port, ``<namespace>.environmentd.materialize.cloud/<KEY>`` per
service label and the configured ``service_labels`` (which Services carry too); a pod whose
template (everything but annotations, hashed into ``…/pod-template-hash``) is outdated is
deleted so the StatefulSet recreates it, and an annotation-only change restarts nothing;
``watch_services`` reports the current state first, then changes (online = pod Ready), re-lists
after ``410 Gone`` and reconnects with back-off after API-server failures; API calls retry
429/5xx/409/connection errors with back-off up to a deadline.
Does not guarantee: that two pods of the same identity never overlap briefly; metrics when the
cluster has no ``metrics.k8s.io`` API (then every value is ``None``); that the StatefulSet
controller observed a new spec before outdated pods are deleted if it is down for longer than
``observe_timeout``.
"""

from pymz.orchestrator_kubernetes.config import KubernetesOrchestratorConfig
from pymz.orchestrator_kubernetes.orchestrator import (
    KubernetesOrchestrator,
    KubernetesService,
    NamespacedKubernetesOrchestrator,
)

__all__ = [
    "KubernetesOrchestrator",
    "KubernetesOrchestratorConfig",
    "KubernetesService",
    "NamespacedKubernetesOrchestrator",
]
