"""The Kubernetes orchestrator: one StatefulSet plus one headless Service per service."""

from __future__ import annotations

import asyncio
import datetime
import logging
import time
from collections.abc import AsyncIterator, Mapping
from typing import Any

from kubernetes import client as k8s  # type: ignore[import-untyped]
from kubernetes.utils import parse_quantity  # type: ignore[import-untyped]

from pymz.errors import InternalError
from pymz.orchestrator.types import (
    ServiceConfig,
    ServiceEvent,
    ServiceProcessMetrics,
    ServiceStatus,
)
from pymz.orchestrator_kubernetes import manifests
from pymz.orchestrator_kubernetes.client import (
    METRICS_GROUP,
    METRICS_VERSION,
    KubeClient,
    KubernetesApiError,
    status_of,
)
from pymz.orchestrator_kubernetes.config import KubernetesOrchestratorConfig
from pymz.orchestrator_kubernetes.watch import PodWatcher, WatchItem

logger = logging.getLogger(__name__)

_OBSERVE_POLL = 0.05


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


class KubernetesService:
    """``Service``: per process, the stable DNS name of its pod through the headless Service."""

    def __init__(self, hosts: list[str], ports: Mapping[str, int]) -> None:
        self._hosts = hosts
        self._ports = dict(ports)

    def addresses(self, port: str) -> list[str]:
        if port not in self._ports:
            raise InternalError(f"service has no port named {port!r}")
        return [f"{host}:{self._ports[port]}" for host in self._hosts]


class KubernetesOrchestrator:
    """``Orchestrator`` creating StatefulSets and Services in one Kubernetes namespace."""

    def __init__(self, config: KubernetesOrchestratorConfig, api_client: Any | None = None) -> None:
        self.config = config
        self.client = KubeClient(config, api_client)
        self._namespaces: dict[str, NamespacedKubernetesOrchestrator] = {}

    def namespace(self, namespace: str) -> NamespacedKubernetesOrchestrator:
        if namespace not in self._namespaces:
            self._namespaces[namespace] = NamespacedKubernetesOrchestrator(self, namespace)
        return self._namespaces[namespace]


class NamespacedKubernetesOrchestrator:
    """``NamespacedOrchestrator`` for one naming scope of a KubernetesOrchestrator."""

    def __init__(self, parent: KubernetesOrchestrator, namespace: str) -> None:
        # The namespace becomes part of label keys and values and of object names.
        if not manifests.is_dns_label(namespace):
            raise InternalError(f"invalid orchestrator namespace {namespace!r}")
        self._config = parent.config
        self._client = parent.client
        self.namespace = namespace

    @property
    def _k8s_namespace(self) -> str:
        return self._config.kubernetes_namespace

    def _service(self, id: str, config: ServiceConfig) -> KubernetesService:
        hosts = [
            manifests.peer_host(self._config, self.namespace, id, i) for i in range(config.scale)
        ]
        return KubernetesService(hosts, {p.name: p.port_hint for p in config.ports})

    # -- ensure ---------------------------------------------------------------------------

    async def ensure_service(self, id: str, config: ServiceConfig) -> KubernetesService:
        if config.scale < 1:
            raise InternalError(f"invalid scale {config.scale}")
        name = manifests.object_name(self._config, self.namespace, id)
        service = manifests.headless_service(self._config, self.namespace, id, config)
        sts = manifests.stateful_set(self._config, self.namespace, id, config)
        new_hash = sts["spec"]["template"]["metadata"]["annotations"][
            manifests.POD_TEMPLATE_HASH_ANNOTATION
        ]
        k8s_ns = self._k8s_namespace
        await self._client.apply(
            f"apply Service {name}", f"/api/v1/namespaces/{k8s_ns}/services/{name}", service
        )
        applied = await self._client.apply(
            f"apply StatefulSet {name}",
            f"/apis/apps/v1/namespaces/{k8s_ns}/statefulsets/{name}",
            sts,
        )
        await self._replace_outdated_pods(id, name, new_hash, applied)
        return self._service(id, config)

    async def _replace_outdated_pods(
        self, id: str, name: str, new_hash: str, applied: dict[str, Any]
    ) -> None:
        """Delete pods whose template hash differs; the StatefulSet recreates them.

        The update strategy is OnDelete, so nothing else restarts pods. We first wait (bounded)
        for the StatefulSet controller to observe the new spec, so a deleted pod is recreated
        from the new template rather than the old one.
        """
        pods = await self._list_pods(id)
        outdated = [
            p
            for p in pods
            if (p["metadata"].get("annotations") or {}).get(manifests.POD_TEMPLATE_HASH_ANNOTATION)
            != new_hash
            and not p["metadata"].get("deletionTimestamp")
        ]
        if not outdated:
            return
        await self._await_observed(name, int(applied["metadata"].get("generation") or 0))
        for pod in outdated:
            pod_name = pod["metadata"]["name"]
            logger.info("deleting pod %s: its template is outdated", pod_name)
            # The uid precondition keeps us from deleting a pod already recreated from the
            # new template (409 then, like 404 when it is gone: both are fine).
            uid = pod["metadata"]["uid"]
            body = k8s.V1DeleteOptions(preconditions=k8s.V1Preconditions(uid=uid))
            try:
                await self._client.api(
                    f"delete pod {pod_name}",
                    self._client.core.delete_namespaced_pod,
                    pod_name,
                    self._k8s_namespace,
                    body=body,
                    ok_404=True,
                )
            except KubernetesApiError as e:
                if e.status != 409:
                    raise

    async def _await_observed(self, name: str, generation: int) -> None:
        deadline = time.monotonic() + self._config.observe_timeout
        while True:
            current = await self._client.api(
                f"read StatefulSet {name}",
                self._client.apps.read_namespaced_stateful_set,
                name,
                self._k8s_namespace,
                ok_404=True,
            )
            if current is None:
                return
            observed = int((current.get("status") or {}).get("observedGeneration") or 0)
            if observed >= generation:
                return
            if time.monotonic() > deadline:
                logger.warning(
                    "StatefulSet %s: controller has not observed generation %d after %.0fs",
                    name,
                    generation,
                    self._config.observe_timeout,
                )
                return
            await asyncio.sleep(_OBSERVE_POLL)

    async def _list_pods(self, id: str) -> list[dict[str, Any]]:
        listed = await self._client.api(
            f"list pods of {id}",
            self._client.core.list_namespaced_pod,
            self._k8s_namespace,
            label_selector=manifests.service_selector(self.namespace, id),
        )
        name = manifests.object_name(self._config, self.namespace, id)
        return [
            p
            for p in listed.get("items") or []
            if manifests.process_index(p["metadata"]["name"], name) is not None
        ]

    # -- drop / list ------------------------------------------------------------------------

    async def drop_service(self, id: str) -> None:
        name = manifests.object_name(self._config, self.namespace, id)
        options = k8s.V1DeleteOptions(propagation_policy=self._config.deletion_propagation)
        await self._client.api(
            f"delete StatefulSet {name}",
            self._client.apps.delete_namespaced_stateful_set,
            name,
            self._k8s_namespace,
            body=options,
            ok_404=True,
        )
        await self._client.api(
            f"delete Service {name}",
            self._client.core.delete_namespaced_service,
            name,
            self._k8s_namespace,
            body=options,
            ok_404=True,
        )

    async def list_services(self) -> list[str]:
        listed = await self._client.api(
            "list StatefulSets",
            self._client.apps.list_namespaced_stateful_set,
            self._k8s_namespace,
            label_selector=manifests.namespace_selector(self.namespace),
        )
        ids = []
        for sts in listed.get("items") or []:
            metadata = sts["metadata"]
            if metadata.get("deletionTimestamp"):
                continue  # being dropped (foreground deletion)
            id = manifests.service_id_of(self._config, self.namespace, metadata["name"])
            if id is not None:
                ids.append(id)
        return sorted(ids)

    # -- metrics --------------------------------------------------------------------------

    async def fetch_service_metrics(self, id: str) -> list[ServiceProcessMetrics]:
        name = manifests.object_name(self._config, self.namespace, id)
        sts = await self._client.api(
            f"read StatefulSet {name}",
            self._client.apps.read_namespaced_stateful_set,
            name,
            self._k8s_namespace,
            ok_404=True,
        )
        if sts is None:
            raise InternalError(f"unknown service {id!r} in namespace {self.namespace!r}")
        scale = int(sts["spec"].get("replicas") or 0)
        usage = await asyncio.to_thread(self._pod_metrics_sync, id, name)
        return [usage.get(i, ServiceProcessMetrics(None, None)) for i in range(scale)]

    def _pod_metrics_sync(self, id: str, name: str) -> dict[int, ServiceProcessMetrics]:
        """Usage per index from metrics.k8s.io; empty when the API is absent or failing
        (metrics are best-effort, so no retries)."""
        try:
            listed = self._client.call_sync(
                self._client.custom.list_namespaced_custom_object,
                METRICS_GROUP,
                METRICS_VERSION,
                self._k8s_namespace,
                "pods",
                label_selector=manifests.service_selector(self.namespace, id),
            )
        except Exception as e:  # best-effort
            if status_of(e) != 404:
                logger.info("metrics for %s unavailable: %s", name, e)
            return {}
        result: dict[int, ServiceProcessMetrics] = {}
        for item in listed.get("items") or []:
            index = manifests.process_index(item["metadata"]["name"], name)
            if index is None:
                continue
            cpu = memory = 0
            for container in item.get("containers") or []:
                cpu += int(parse_quantity(container["usage"].get("cpu", "0")) * 1_000_000_000)
                memory += int(parse_quantity(container["usage"].get("memory", "0")))
            result[index] = ServiceProcessMetrics(cpu, memory or None)
        return result

    # -- watch ----------------------------------------------------------------------------

    async def watch_services(self) -> AsyncIterator[ServiceEvent]:
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[WatchItem] = asyncio.Queue()
        watcher = PodWatcher(
            self._client, manifests.namespace_selector(self.namespace), loop, queue
        )
        watcher.start()
        known: dict[tuple[str, int], ServiceStatus] = {}
        try:
            while True:
                kind, payload = await queue.get()
                if kind == "SYNC":
                    current: dict[tuple[str, int], ServiceStatus] = {}
                    for pod in payload:
                        key = self._key(pod)
                        if key is not None:
                            current[key] = manifests.pod_status(pod)
                    for key in sorted(current):
                        if known.get(key) != current[key]:
                            yield ServiceEvent(key[0], key[1], current[key], _now())
                    # Pods that vanished while we were not watching.
                    for key in sorted(set(known) - set(current)):
                        if known[key].online:
                            yield ServiceEvent(key[0], key[1], ServiceStatus.make_offline(), _now())
                    known = current
                    continue
                key = self._key(payload)
                if key is None:
                    continue
                if kind == "DELETED":
                    # Gone: offline, keeping the reason if it was already offline (e.g. OOM).
                    previous = known.get(key)
                    gone = previous is not None and not previous.online
                    status = previous if gone and previous else ServiceStatus.make_offline()
                else:
                    status = manifests.pod_status(payload)
                if known.get(key) != status:
                    known[key] = status
                    yield ServiceEvent(key[0], key[1], status, _now())
        finally:
            watcher.stop()

    def _key(self, pod: Mapping[str, Any]) -> tuple[str, int] | None:
        metadata = pod.get("metadata") or {}
        id = (metadata.get("labels") or {}).get(manifests.SERVICE_ID_LABEL)
        if not id:
            return None
        try:
            name = manifests.object_name(self._config, self.namespace, id)
        except InternalError:
            return None
        index = manifests.process_index(str(metadata.get("name", "")), name)
        return None if index is None else (id, index)
