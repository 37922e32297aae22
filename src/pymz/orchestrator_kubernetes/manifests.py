"""Pure functions from a ``ServiceConfig`` to Kubernetes objects, and back from pods to statuses.

Nothing here talks to the API server, so all of it is unit-testable.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from typing import Any

from pymz.errors import InternalError
from pymz.orchestrator.types import (
    LabelSelectionLogic,
    LabelSelector,
    ServiceAssignments,
    ServiceConfig,
    ServiceStatus,
)
from pymz.orchestrator_kubernetes.config import KubernetesOrchestratorConfig

LABEL_DOMAIN = "environmentd.materialize.cloud"
NAMESPACE_LABEL = f"{LABEL_DOMAIN}/namespace"
SERVICE_ID_LABEL = f"{LABEL_DOMAIN}/service-id"
POD_TEMPLATE_HASH_ANNOTATION = f"{LABEL_DOMAIN}/pod-template-hash"
POD_INDEX_LABEL = "apps.kubernetes.io/pod-index"
PROCESS_INDEX_ENV = "PYMZ_PROCESS_INDEX"
ZONE_KEY = "topology.kubernetes.io/zone"
HOSTNAME_KEY = "kubernetes.io/hostname"

# Object names must be DNS labels (the Service name is one; pod names add "-<index>").
_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_MAX_NAME = 63 - len("-99999")


def is_dns_label(name: str) -> bool:
    return len(name) <= 63 and _DNS_LABEL.match(name) is not None


def port_label(port_name: str) -> str:
    return f"{LABEL_DOMAIN}/port-{port_name}"


def service_label_key(namespace: str, key: str) -> str:
    """The pod label carrying a service-given label ``key`` in orchestrator ``namespace``."""
    return f"{namespace}.{LABEL_DOMAIN}/{key}"


def object_name(config: KubernetesOrchestratorConfig, namespace: str, id: str) -> str:
    name = f"{config.name_prefix}{namespace}-{id}"
    if len(name) > _MAX_NAME or not _DNS_LABEL.match(name):
        raise InternalError(
            f"service {id!r} in namespace {namespace!r} gives invalid Kubernetes name {name!r}"
        )
    return name


def service_id_of(config: KubernetesOrchestratorConfig, namespace: str, name: str) -> str | None:
    """The service id an object name stands for, or None if it is not one of ours."""
    prefix = f"{config.name_prefix}{namespace}-"
    if not name.startswith(prefix) or len(name) == len(prefix):
        return None
    return name[len(prefix) :]


def match_labels(namespace: str, id: str) -> dict[str, str]:
    return {NAMESPACE_LABEL: namespace, SERVICE_ID_LABEL: id}


def namespace_selector(namespace: str) -> str:
    return f"{NAMESPACE_LABEL}={namespace}"


def service_selector(namespace: str, id: str) -> str:
    return ",".join(f"{k}={v}" for k, v in match_labels(namespace, id).items())


def peer_host(config: KubernetesOrchestratorConfig, namespace: str, id: str, index: int) -> str:
    """The stable DNS name of process ``index`` through the headless Service."""
    name = object_name(config, namespace, id)
    return f"{name}-{index}.{name}.{config.kubernetes_namespace}.svc.{config.cluster_domain}"


def assignments(
    config: KubernetesOrchestratorConfig, namespace: str, id: str, service: ServiceConfig
) -> ServiceAssignments:
    """Every pod listens on all interfaces at the port hints; peers by their DNS names."""
    return ServiceAssignments(
        listen_addrs={p.name: f"0.0.0.0:{p.port_hint}" for p in service.ports},
        peer_addrs=[
            {p.name: f"{peer_host(config, namespace, id, i)}:{p.port_hint}" for p in service.ports}
            for i in range(service.scale)
        ],
    )


def cpu_quantity(nano_cores: int) -> str:
    if nano_cores % 1_000_000 == 0:
        return f"{nano_cores // 1_000_000}m"
    return f"{nano_cores}n"


def _resources(service: ServiceConfig) -> dict[str, Any]:
    limits: dict[str, str] = {}
    requests: dict[str, str] = {}
    if service.cpu_limit_nano_cores is not None:
        limits["cpu"] = cpu_quantity(service.cpu_limit_nano_cores)
    if service.memory_limit_bytes is not None:
        limits["memory"] = str(service.memory_limit_bytes)
    if service.cpu_request_nano_cores is not None:
        requests["cpu"] = cpu_quantity(service.cpu_request_nano_cores)
    if service.memory_request_bytes is not None:
        requests["memory"] = str(service.memory_request_bytes)
    if service.disk and service.disk_limit_bytes is not None:
        limits["ephemeral-storage"] = str(service.disk_limit_bytes)
    resources: dict[str, Any] = {}
    if limits:
        resources["limits"] = limits
    if requests:
        resources["requests"] = requests
    return resources


_SELECTOR_OPERATORS = {
    LabelSelectionLogic.EQ: "In",
    LabelSelectionLogic.NOT_EQ: "NotIn",
    LabelSelectionLogic.EXISTS: "Exists",
    LabelSelectionLogic.NOT_EXISTS: "DoesNotExist",
    LabelSelectionLogic.IN: "In",
    LabelSelectionLogic.NOT_IN: "NotIn",
}


def _match_expression(namespace: str, selector: LabelSelector) -> dict[str, Any]:
    expression: dict[str, Any] = {
        "key": service_label_key(namespace, selector.label_name),
        "operator": _SELECTOR_OPERATORS[selector.logic],
    }
    if selector.logic in (LabelSelectionLogic.EQ, LabelSelectionLogic.NOT_EQ):
        if len(selector.values) != 1:
            raise InternalError(f"label selector {selector} needs exactly one value")
        expression["values"] = list(selector.values)
    elif selector.logic in (LabelSelectionLogic.IN, LabelSelectionLogic.NOT_IN):
        expression["values"] = list(selector.values)
    return expression


def _affinity(namespace: str, service: ServiceConfig) -> dict[str, Any]:
    affinity: dict[str, Any] = {}
    if service.availability_zones:
        affinity["nodeAffinity"] = {
            "requiredDuringSchedulingIgnoredDuringExecution": {
                "nodeSelectorTerms": [
                    {
                        "matchExpressions": [
                            {
                                "key": ZONE_KEY,
                                "operator": "In",
                                "values": list(service.availability_zones),
                            }
                        ]
                    }
                ]
            }
        }
    if service.anti_affinity:
        affinity["podAntiAffinity"] = {
            "requiredDuringSchedulingIgnoredDuringExecution": [
                {
                    "labelSelector": {
                        "matchExpressions": [
                            _match_expression(namespace, s) for s in service.anti_affinity
                        ]
                    },
                    "topologyKey": HOSTNAME_KEY,
                }
            ]
        }
    return affinity


def pod_labels(
    config: KubernetesOrchestratorConfig, namespace: str, id: str, service: ServiceConfig
) -> dict[str, str]:
    labels = dict(config.service_labels)
    labels.update({service_label_key(namespace, k): v for k, v in service.labels.items()})
    labels.update({port_label(p.name): "true" for p in service.ports})
    labels.update(match_labels(namespace, id))
    return labels


def pod_template(
    config: KubernetesOrchestratorConfig, namespace: str, id: str, service: ServiceConfig
) -> dict[str, Any]:
    """The pod template *without* annotations (the hash is computed over exactly this)."""
    args = service.args(assignments(config, namespace, id, service))
    env: list[dict[str, Any]] = [
        {
            "name": PROCESS_INDEX_ENV,
            "valueFrom": {"fieldRef": {"fieldPath": f"metadata.labels['{POD_INDEX_LABEL}']"}},
        }
    ]
    env.extend({"name": k, "value": v} for k, v in sorted(service.environment.items()))
    container: dict[str, Any] = {
        "name": config.container_name,
        "image": service.image,
        "imagePullPolicy": config.image_pull_policy,
        "args": list(args),
        "ports": [
            {"name": p.name, "containerPort": p.port_hint, "protocol": "TCP"} for p in service.ports
        ],
        "env": env,
    }
    resources = _resources(service)
    if resources:
        container["resources"] = resources
    spec: dict[str, Any] = {"containers": [container]}
    if service.disk:
        container["volumeMounts"] = [{"name": "scratch", "mountPath": config.scratch_directory}]
        spec["volumes"] = [_scratch_volume(config, service)]
    affinity = _affinity(namespace, service)
    if affinity:
        spec["affinity"] = affinity
    if config.topology_spread:
        spec["topologySpreadConstraints"] = [
            {
                "maxSkew": config.topology_spread_max_skew,
                "topologyKey": ZONE_KEY,
                "whenUnsatisfiable": (
                    "ScheduleAnyway" if config.topology_spread_soft else "DoNotSchedule"
                ),
                "labelSelector": {"matchLabels": match_labels(namespace, id)},
            }
        ]
    if config.service_account is not None:
        spec["serviceAccountName"] = config.service_account
    if config.scheduler_name is not None:
        spec["schedulerName"] = config.scheduler_name
    if config.node_selector:
        spec["nodeSelector"] = dict(config.node_selector)
    if config.termination_grace_period_seconds is not None:
        spec["terminationGracePeriodSeconds"] = config.termination_grace_period_seconds
    return {"metadata": {"labels": pod_labels(config, namespace, id, service)}, "spec": spec}


def _scratch_volume(config: KubernetesOrchestratorConfig, service: ServiceConfig) -> dict[str, Any]:
    if config.ephemeral_volume_storage_class is None:
        empty_dir: dict[str, Any] = {}
        if service.disk_limit_bytes is not None:
            empty_dir["sizeLimit"] = str(service.disk_limit_bytes)
        return {"name": "scratch", "emptyDir": empty_dir}
    claim_spec: dict[str, Any] = {
        "accessModes": ["ReadWriteOnce"],
        "storageClassName": config.ephemeral_volume_storage_class,
    }
    if service.disk_limit_bytes is not None:
        claim_spec["resources"] = {"requests": {"storage": str(service.disk_limit_bytes)}}
    return {"name": "scratch", "ephemeral": {"volumeClaimTemplate": {"spec": claim_spec}}}


def template_hash(template: Mapping[str, Any]) -> str:
    """A stable hash of a pod template; canonical JSON so dict order does not matter."""
    canonical = json.dumps(template, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()[:32]


def stateful_set(
    config: KubernetesOrchestratorConfig, namespace: str, id: str, service: ServiceConfig
) -> dict[str, Any]:
    """The StatefulSet to server-side apply, with the pod-template hash annotation."""
    name = object_name(config, namespace, id)
    template = pod_template(config, namespace, id, service)
    # Annotations are excluded from the hash so that changing them never restarts a pod.
    annotations = dict(service.annotations)
    annotations[POD_TEMPLATE_HASH_ANNOTATION] = template_hash(template)
    template["metadata"]["annotations"] = annotations
    return {
        "apiVersion": "apps/v1",
        "kind": "StatefulSet",
        "metadata": {
            "name": name,
            "namespace": config.kubernetes_namespace,
            "labels": {**config.service_labels, **match_labels(namespace, id)},
        },
        "spec": {
            "serviceName": name,
            "replicas": service.scale,
            "podManagementPolicy": "Parallel",
            # We delete pods with an outdated template ourselves, which lets an
            # annotation-only change (a new controller revision) leave running pods alone.
            "updateStrategy": {"type": "OnDelete"},
            "selector": {"matchLabels": match_labels(namespace, id)},
            "template": template,
        },
    }


def headless_service(
    config: KubernetesOrchestratorConfig, namespace: str, id: str, service: ServiceConfig
) -> dict[str, Any]:
    name = object_name(config, namespace, id)
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {
            "name": name,
            "namespace": config.kubernetes_namespace,
            "labels": {**config.service_labels, **match_labels(namespace, id)},
        },
        "spec": {
            "clusterIP": "None",
            "selector": match_labels(namespace, id),
            # Processes of a service find each other before they are ready.
            "publishNotReadyAddresses": True,
            "ports": [
                {"name": p.name, "port": p.port_hint, "targetPort": p.port_hint, "protocol": "TCP"}
                for p in service.ports
            ],
        },
    }


def process_index(pod_name: str, sts_name: str) -> int | None:
    """The process index from a StatefulSet pod's name ``{sts}-{index}``."""
    prefix = f"{sts_name}-"
    if not pod_name.startswith(prefix):
        return None
    rest = pod_name[len(prefix) :]
    return int(rest) if rest.isdigit() else None


def pod_status(pod: Mapping[str, Any]) -> ServiceStatus:
    """Online iff the pod's Ready condition is True (and it is not being deleted); offline
    with the container's termination reason, ``oom-killed`` for an OOM kill."""
    metadata = pod.get("metadata") or {}
    status = pod.get("status") or {}
    ready = any(
        c.get("type") == "Ready" and c.get("status") == "True"
        for c in status.get("conditions") or []
    )
    if ready and not metadata.get("deletionTimestamp"):
        return ServiceStatus.make_online()
    for container in status.get("containerStatuses") or []:
        for which in ("state", "lastState"):
            terminated = (container.get(which) or {}).get("terminated")
            if terminated:
                reason = terminated.get("reason")
                if terminated.get("exitCode") == 137 and reason == "OOMKilled":
                    return ServiceStatus.make_offline("oom-killed")
                if reason:
                    return ServiceStatus.make_offline(str(reason))
                return ServiceStatus.make_offline(f"exited with code {terminated.get('exitCode')}")
    return ServiceStatus.make_offline()
