"""Configuration of the Kubernetes orchestrator."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class KubernetesOrchestratorConfig:
    """Where and how the Kubernetes orchestrator creates StatefulSets and Services.

    ``kubernetes_namespace`` is the environment's Kubernetes namespace (not an orchestrator
    namespace). Credentials come from ``kubeconfig`` (optionally ``context``) when given, from
    the pod's service account when ``in_cluster`` is set, else from the default kubeconfig
    (``$KUBECONFIG`` or ``~/.kube/config``). ``service_labels`` are environmentd's
    ``--orchestrator-service-label KEY=VALUE`` labels, put on every pod and Service.
    """

    kubernetes_namespace: str = "default"
    kubeconfig: Path | None = None
    context: str | None = None
    in_cluster: bool = False
    # Object names are f"{name_prefix}{namespace}-{id}".
    name_prefix: str = ""
    field_manager: str = "environmentd"
    image_pull_policy: str = "IfNotPresent"
    service_account: str | None = None
    scheduler_name: str | None = None
    service_labels: Mapping[str, str] = field(default_factory=dict)
    node_selector: Mapping[str, str] = field(default_factory=dict)
    cluster_domain: str = "cluster.local"
    container_name: str = "default"
    # Spread processes of a service over availability zones (topology.kubernetes.io/zone);
    # soft = ScheduleAnyway, so a single-zone cluster still schedules everything.
    topology_spread: bool = True
    topology_spread_max_skew: int = 1
    topology_spread_soft: bool = True
    # With disk=True: a generic ephemeral volume of this StorageClass, else an emptyDir.
    ephemeral_volume_storage_class: str | None = None
    scratch_directory: str = "/scratch"
    termination_grace_period_seconds: int | None = None
    # "Background" returns at once (the garbage collector removes the pods); "Foreground"
    # keeps the StatefulSet visible until its pods are gone.
    deletion_propagation: str = "Background"
    # API calls retry 429/5xx/connection errors with back-off for up to this long.
    api_retry_deadline: float = 60.0
    api_backoff_initial: float = 0.1
    api_backoff_max: float = 5.0
    request_timeout: float = 30.0
    # Server-side timeout of one watch request; the watch then resumes from its last version.
    watch_timeout_seconds: int = 60
    # How long ensure_service waits for the StatefulSet controller to observe a new spec
    # before deleting pods with an outdated template (so they are not recreated from it).
    observe_timeout: float = 10.0
