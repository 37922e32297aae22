"""The throwaway Kubernetes control plane runs StatefulSets the way pymz's orchestrator will.

Real etcd, kube-apiserver, kube-controller-manager and kube-scheduler, with kwok standing in
for kubelets on fake nodes (see docs/kube-test-cluster.md).
"""

from __future__ import annotations

from typing import Any

import pytest
from tests.kube_fixture import KubeApi, KubeApiError, KubeCluster, wait_for

# The first test to use the session fixture also pays for cluster start (and for a cold
# build if nobody ran `scripts/kube-test-cluster build` first).
pytestmark = [pytest.mark.integration, pytest.mark.timeout(2400)]

WAIT_S = 120.0
APP = "clusterd-u1"


def statefulset(name: str, replicas: int) -> dict[str, Any]:
    labels = {"app": name}
    return {
        "apiVersion": "apps/v1",
        "kind": "StatefulSet",
        "metadata": {"name": name, "labels": labels},
        "spec": {
            "serviceName": name,
            "replicas": replicas,
            "podManagementPolicy": "Parallel",
            "selector": {"matchLabels": labels},
            "template": {
                "metadata": {"labels": labels},
                "spec": {
                    "containers": [
                        {
                            "name": "clusterd",
                            # Never pulled: kwok fakes the kubelet.
                            "image": "pymz.invalid/clusterd:test",
                            "ports": [{"name": "ctl", "containerPort": 2100}],
                        }
                    ],
                },
            },
        },
    }


def headless_service(name: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": name},
        "spec": {
            "clusterIP": "None",
            "selector": {"app": name},
            "ports": [{"name": "ctl", "port": 2100, "targetPort": 2100}],
        },
    }


def pods(api: KubeApi, ns: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = api.get(
        f"/api/v1/namespaces/{ns}/pods?labelSelector=app%3D{APP}"
    )["items"]
    return sorted(items, key=lambda p: p["metadata"]["name"])


def is_running_ready(pod: dict[str, Any]) -> bool:
    status = pod.get("status", {})
    ready = any(
        c.get("type") == "Ready" and c.get("status") == "True" for c in status.get("conditions", [])
    )
    return (
        status.get("phase") == "Running" and ready and not pod["metadata"].get("deletionTimestamp")
    )


def test_statefulset_lifecycle_on_fake_nodes(kube_cluster: KubeCluster) -> None:
    api = kube_cluster.api()
    assert kube_cluster.kubeconfig.read_text().startswith("apiVersion: v1")
    ns = kube_cluster.create_namespace("sts")
    base = f"/apis/apps/v1/namespaces/{ns}/statefulsets"

    api.create(f"/api/v1/namespaces/{ns}/services", headless_service(APP))
    api.create(base, statefulset(APP, 2))

    def two_ready() -> list[dict[str, Any]] | None:
        current = pods(api, ns)
        ok = len(current) == 2 and all(is_running_ready(p) for p in current)
        return current if ok else None

    running = wait_for("2 StatefulSet pods Running and Ready", two_ready, WAIT_S)
    assert [p["metadata"]["name"] for p in running] == [f"{APP}-0", f"{APP}-1"]
    for pod in running:
        assert pod["spec"]["nodeName"] in kube_cluster.nodes, "scheduled on a fake node"
        assert pod["spec"]["hostname"] == pod["metadata"]["name"]
        assert pod["spec"]["subdomain"] == APP
        assert pod["status"].get("podIP"), "kwok assigns a (fake) pod IP"

    svc = api.get(f"/api/v1/namespaces/{ns}/services/{APP}")
    assert svc["spec"]["clusterIP"] == "None"

    def slice_has(n: int) -> bool:
        slices = api.get(
            f"/apis/discovery.k8s.io/v1/namespaces/{ns}/endpointslices"
            f"?labelSelector=kubernetes.io%2Fservice-name%3D{APP}"
        )["items"]
        ready = [
            e
            for s in slices
            for e in (s.get("endpoints") or [])
            if e.get("conditions", {}).get("ready")
        ]
        return len(ready) == n

    wait_for("the headless Service's EndpointSlice to list both pods", lambda: slice_has(2), WAIT_S)

    sts = wait_for(
        "StatefulSet status readyReplicas=2",
        lambda: s if (s := api.get(f"{base}/{APP}"))["status"].get("readyReplicas") == 2 else None,
        WAIT_S,
    )
    assert sts["status"]["replicas"] == 2

    api.merge_patch(f"{base}/{APP}", {"spec": {"replicas": 1}})
    wait_for(
        f"pod {APP}-1 to be deleted after scaling to 1",
        lambda: api.get_or_none(f"/api/v1/namespaces/{ns}/pods/{APP}-1") is None,
        WAIT_S,
    )
    remaining = pods(api, ns)
    assert [p["metadata"]["name"] for p in remaining] == [f"{APP}-0"]
    assert is_running_ready(remaining[0])
    wait_for("the EndpointSlice to shrink to one pod", lambda: slice_has(1), WAIT_S)

    api.delete(f"/api/v1/namespaces/{ns}")
    wait_for(
        f"namespace {ns} to be gone (namespace controller, kwok finishing pod deletion)",
        lambda: api.get_or_none(f"/api/v1/namespaces/{ns}") is None,
        WAIT_S,
    )


def test_fake_nodes_ready_and_rbac_enforced(kube_cluster: KubeCluster) -> None:
    api = kube_cluster.api()
    # Binaries are version-stamped at build time (unstamped ones report v0.0.0-master).
    assert api.get("/version")["gitVersion"].startswith("v1.")
    for name in kube_cluster.nodes:
        node = api.get(f"/api/v1/nodes/{name}")
        conditions = {c["type"]: c["status"] for c in node["status"]["conditions"]}
        assert conditions.get("Ready") == "True"
        assert node["metadata"]["annotations"]["kwok.x-k8s.io/node"] == "fake"
        assert not node["spec"].get("unschedulable")
        assert not [t for t in node["spec"].get("taints", []) if t["effect"] == "NoSchedule"]
    assert api.get_or_none("/api/v1/namespaces/no-such-namespace-here") is None
    # Authorization is RBAC, not AlwaysAllow: a user with no bindings is refused.
    nobody = kube_cluster.api(impersonate="pymz-nobody")
    with pytest.raises(KubeApiError) as refused:
        nobody.get("/api/v1/namespaces/default/secrets")
    assert refused.value.status == 403
