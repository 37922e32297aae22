"""Pure parts of the Kubernetes orchestrator: names, labels, the pod-template hash, statuses."""

from __future__ import annotations

from typing import Any

import pytest

from pymz.errors import InternalError
from pymz.orchestrator.types import ServiceAssignments, ServiceConfig, ServicePort
from pymz.orchestrator_kubernetes import KubernetesOrchestratorConfig
from pymz.orchestrator_kubernetes import manifests as m

CONFIG = KubernetesOrchestratorConfig(kubernetes_namespace="env-1", name_prefix="mz-")
PORTS = (ServicePort("ctl", 2100),)


def peers(a: ServiceAssignments) -> list[str]:
    return [a.listen_addrs["ctl"], *(p["ctl"] for p in a.peer_addrs)]


def service(**overrides: Any) -> ServiceConfig:
    params: dict[str, Any] = {"image": "clusterd", "args": peers, "ports": PORTS}
    params.update(overrides)
    return ServiceConfig(**params)


def template_hash_of(config: ServiceConfig) -> str:
    sts = m.stateful_set(CONFIG, "cluster", "u1", config)
    return str(sts["spec"]["template"]["metadata"]["annotations"][m.POD_TEMPLATE_HASH_ANNOTATION])


def test_names_and_prefix_stripping() -> None:
    assert m.object_name(CONFIG, "cluster", "u1") == "mz-cluster-u1"
    assert m.service_id_of(CONFIG, "cluster", "mz-cluster-u1") == "u1"
    assert m.service_id_of(CONFIG, "cluster", "mz-compute-u1") is None
    assert m.service_id_of(CONFIG, "cluster", "cluster-u1") is None
    with pytest.raises(InternalError):
        m.object_name(CONFIG, "cluster", "U_1")
    assert m.process_index("mz-cluster-u1-12", "mz-cluster-u1") == 12
    assert m.process_index("mz-cluster-u1-x", "mz-cluster-u1") is None
    assert m.process_index("mz-cluster-u10-1", "mz-cluster-u1") is None


def test_args_get_listen_and_peer_addresses() -> None:
    sts = m.stateful_set(CONFIG, "cluster", "u1", service(scale=2))
    (container,) = sts["spec"]["template"]["spec"]["containers"]
    host = "mz-cluster-u1-{}.mz-cluster-u1.env-1.svc.cluster.local:2100"
    assert container["args"] == ["0.0.0.0:2100", host.format(0), host.format(1)]


def test_hash_ignores_annotations_but_not_the_template() -> None:
    base = template_hash_of(service(annotations={"a": "1"}))
    assert template_hash_of(service(annotations={"a": "2"})) == base
    assert template_hash_of(service(annotations={"a": "1"}, environment={"X": "1"})) != base
    assert template_hash_of(service(annotations={"a": "1"}, labels={"k": "v"})) != base
    # Args mention peers here, so the scale is part of the template.
    assert template_hash_of(service(annotations={"a": "1"}, scale=2)) != base


def test_cpu_quantities() -> None:
    assert m.cpu_quantity(1_500_000_000) == "1500m"
    assert m.cpu_quantity(1_500) == "1500n"


def pod(**status: Any) -> dict[str, Any]:
    return {"metadata": {"name": "mz-cluster-u1-0"}, "status": status}


def terminated(code: int, reason: str | None) -> list[dict[str, Any]]:
    state: dict[str, Any] = {"exitCode": code}
    if reason is not None:
        state["reason"] = reason
    return [{"name": "default", "lastState": {"terminated": state}}]


def test_pod_status() -> None:
    ready = [{"type": "Ready", "status": "True"}]
    not_ready = [{"type": "Ready", "status": "False"}]
    assert m.pod_status(pod(conditions=ready)).online
    deleting = pod(conditions=ready)
    deleting["metadata"]["deletionTimestamp"] = "2026-01-01T00:00:00Z"
    assert not m.pod_status(deleting).online
    assert str(m.pod_status(pod(conditions=not_ready))) == "offline"
    oom = pod(conditions=not_ready, containerStatuses=terminated(137, "OOMKilled"))
    assert str(m.pod_status(oom)) == "offline(oom-killed)"
    error = pod(conditions=not_ready, containerStatuses=terminated(1, "Error"))
    assert str(m.pod_status(error)) == "offline(Error)"
    bare = pod(conditions=not_ready, containerStatuses=terminated(3, None))
    assert str(m.pod_status(bare)) == "offline(exited with code 3)"
    assert str(m.pod_status({})) == "offline"
