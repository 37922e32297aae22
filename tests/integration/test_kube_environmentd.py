"""environmentd with ``--orchestrator=kubernetes`` against a real API server.

A real environmentd process creates, replaces and drops replica StatefulSets in a fresh
namespace of the test cluster; everything is read back from the API server. kwok's fake nodes
make the pods Running/Ready, but nothing runs in them and their DNS names do not resolve, so
the controllers never connect: every replica process is (truthfully) ``offline``.
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.integration.environmentd_harness import BIN, Environmentd
from tests.kube_fixture import KubeApi, KubeCluster, wait_for

# The first test of a session to use the cluster pays for starting it (see kube_fixture).
pytestmark = [pytest.mark.integration, pytest.mark.timeout(2400)]

WAIT_S = 60.0
DOMAIN = "environmentd.materialize.cloud"
IMAGE = "pymz.invalid/clusterd:test"


@pytest.fixture
def k8s_namespace(kube_cluster: KubeCluster) -> Iterator[str]:
    name = kube_cluster.create_namespace("envd")
    yield name
    kube_cluster.api().delete(f"/api/v1/namespaces/{name}")


def _args(cluster: KubeCluster, namespace: str) -> tuple[str, ...]:
    return (
        "--orchestrator=kubernetes",
        f"--orchestrator-kubernetes-namespace={namespace}",
        f"--orchestrator-kubernetes-kubeconfig={cluster.kubeconfig}",
        "--orchestrator-kubernetes-image-pull-policy=Never",
        "--orchestrator-kubernetes-service-account=default",
        # Nothing runs in the pods, so persist is never opened from them.
        "--orchestrator-kubernetes-allow-local-persist",
        "--orchestrator-service-label=team=pymz",
        f"--clusterd-image={IMAGE}",
        # Secrets default to the orchestrator's namespace and credentials.
        "--secrets-controller=kubernetes",
    )


class Sts:
    def __init__(self, api: KubeApi, namespace: str) -> None:
        self.api = api
        self.ns = namespace

    def names(self) -> list[str]:
        items = self.api.get(f"/apis/apps/v1/namespaces/{self.ns}/statefulsets")["items"]
        return sorted(i["metadata"]["name"] for i in items
                      if not i["metadata"].get("deletionTimestamp"))

    def get(self, name: str) -> Any:
        return self.api.get_or_none(f"/apis/apps/v1/namespaces/{self.ns}/statefulsets/{name}")

    def ready_pods(self, name: str, n: int) -> list[dict[str, Any]] | None:
        """The pods of ``name`` if there are exactly ``n``, all Running and Ready."""
        pods = [p for p in self.api.get(f"/api/v1/namespaces/{self.ns}/pods")["items"]
                if p["metadata"]["name"].rsplit("-", 1)[0] == name
                and not p["metadata"].get("deletionTimestamp")]
        ok = len(pods) == n and all(
            p.get("status", {}).get("phase") == "Running"
            and any(c["type"] == "Ready" and c["status"] == "True"
                    for c in p.get("status", {}).get("conditions", []))
            for p in pods)
        return pods if ok else None


def _ready(sts: Sts, name: str, n: int) -> Callable[[], list[dict[str, Any]] | None]:
    return lambda: sts.ready_pods(name, n)


def _replicas(env: Environmentd, cluster: str) -> list[tuple[str, str, str]]:
    rows = env.sql("SELECT r.id, r.name, r.size FROM mz_catalog.mz_cluster_replicas r "
                   "JOIN mz_catalog.mz_clusters c ON r.cluster_id = c.id WHERE c.name = %s "
                   "ORDER BY r.name", (cluster,))
    return [(str(a), str(b), str(c)) for a, b, c in rows]


def _cluster_id(env: Environmentd, name: str) -> str:
    return str(env.sql("SELECT id FROM mz_catalog.mz_clusters WHERE name = %s", (name,))[0][0])


def test_replicas_as_statefulsets(kube_cluster: KubeCluster, k8s_namespace: str,
                                  tmp_path: Path) -> None:
    sts = Sts(kube_cluster.api(), k8s_namespace)
    env = Environmentd(tmp_path / "mzdata", _args(kube_cluster, k8s_namespace))
    try:
        env.start()
        qs = _cluster_id(env, "quickstart")
        ((qs_replica, _, qs_size),) = _replicas(env, "quickstart")
        qs_name = f"cluster-{qs}-replica-{qs_replica}"
        assert sts.names() == [qs_name]

        obj = sts.get(qs_name)
        match = {f"{DOMAIN}/namespace": "cluster",
                 f"{DOMAIN}/service-id": f"{qs}-replica-{qs_replica}"}
        assert obj["metadata"]["labels"] == {**match, "team": "pymz"}
        assert obj["spec"]["selector"]["matchLabels"] == match
        assert obj["spec"]["replicas"] == 1
        template = obj["spec"]["template"]
        labels = template["metadata"]["labels"]
        for port in ("storagectl", "computectl", "timely", "internal-http"):
            assert labels[f"{DOMAIN}/port-{port}"] == "true"
        assert labels[f"cluster.{DOMAIN}/cluster-id"] == qs
        assert labels[f"cluster.{DOMAIN}/replica-id"] == qs_replica
        assert labels[f"cluster.{DOMAIN}/size"] == qs_size
        assert labels[f"cluster.{DOMAIN}/type"] == "cluster"
        assert labels["team"] == "pymz"
        assert template["spec"]["serviceAccountName"] == "default"
        (container,) = template["spec"]["containers"]
        assert container["image"] == IMAGE
        assert container["imagePullPolicy"] == "Never"
        args = container["args"]
        assert "--computectl-listen-addr=0.0.0.0:2101" in args
        assert any(a.startswith("--environment-id=") for a in args)
        peer = f"{qs_name}-0.{qs_name}.{k8s_namespace}.svc.cluster.local:2102"
        assert f"--timely-peer={peer}" in args
        svc = kube_cluster.api().get(f"/api/v1/namespaces/{k8s_namespace}/services/{qs_name}")
        assert svc["spec"]["clusterIP"] == "None"
        wait_for("quickstart pod ready", lambda: sts.ready_pods(qs_name, 1), WAIT_S)

        env.sql("CREATE SECRET pw AS 'x'")
        (sid,) = env.sql("SELECT id FROM mz_catalog.mz_secrets WHERE name = 'pw'")[0]
        assert kube_cluster.api().get_or_none(
            f"/api/v1/namespaces/{k8s_namespace}/secrets/user-managed-{sid}") is not None

        # A managed cluster of 2 replicas x 2 processes.
        env.sql("CREATE CLUSTER c (SIZE = '2-1', REPLICATION FACTOR = 2)")
        c = _cluster_id(env, "c")
        replicas = _replicas(env, "c")
        assert [(n, s) for _, n, s in replicas] == [("r1", "2-1"), ("r2", "2-1")]
        names = [f"cluster-{c}-replica-{rid}" for rid, _, _ in replicas]
        assert sts.names() == sorted([qs_name, *names])
        for name in names:
            assert sts.get(name)["spec"]["replicas"] == 2
            wait_for(f"2 ready pods of {name}", _ready(sts, name, 2), WAIT_S)

        # One status row per process; offline, since no controller can reach a kwok pod.
        rids = [rid for rid, _, _ in replicas]
        rows = env.sql("SELECT replica_id, process_id, status "
                       "FROM mz_internal.mz_cluster_replica_statuses "
                       "WHERE replica_id = ANY(%s) ORDER BY 1, 2", (rids,))
        assert rows == [(rid, pid, "offline") for rid in rids for pid in (0, 1)]

        # Changing the size replaces the replicas: new StatefulSets, the old ones gone.
        env.sql("ALTER CLUSTER c SET (SIZE = '1')")
        new = _replicas(env, "c")
        assert [(n, s) for _, n, s in new] == [("r1", "1"), ("r2", "1")]
        assert not {rid for rid, _, _ in new} & set(rids)
        new_names = [f"cluster-{c}-replica-{rid}" for rid, _, _ in new]
        wait_for("replaced StatefulSets",
                 lambda: sts.names() == sorted([qs_name, *new_names]), WAIT_S)
        for name in new_names:
            assert sts.get(name)["spec"]["replicas"] == 1
            assert sts.get(name)["spec"]["template"]["metadata"]["labels"][
                f"cluster.{DOMAIN}/size"] == "1"

        env.sql("DROP CLUSTER c")
        wait_for("dropped StatefulSets", lambda: sts.names() == [qs_name], WAIT_S)
        env.stop()

        # Behind our back: an orphan with our labels appears, and quickstart's replica
        # StatefulSet disappears. Start-up reconciliation repairs both.
        orphan = "cluster-u99-replica-u99"
        kube_cluster.api().create(f"/apis/apps/v1/namespaces/{k8s_namespace}/statefulsets", {
            "apiVersion": "apps/v1", "kind": "StatefulSet",
            "metadata": {"name": orphan, "labels": {f"{DOMAIN}/namespace": "cluster",
                                                    f"{DOMAIN}/service-id": "u99-replica-u99"}},
            "spec": {"replicas": 0, "serviceName": orphan,
                     "selector": {"matchLabels": {"app": orphan}},
                     "template": {"metadata": {"labels": {"app": orphan}},
                                  "spec": {"containers": [{"name": "c", "image": IMAGE}]}}},
        })
        kube_cluster.api().delete(f"/apis/apps/v1/namespaces/{k8s_namespace}/statefulsets/"
                                  f"{qs_name}")
        wait_for("tampered StatefulSets", lambda: sts.names() == sorted([orphan]), WAIT_S)

        env.start()
        assert sts.names() == [qs_name]
        wait_for("recreated quickstart pod", lambda: sts.ready_pods(qs_name, 1), WAIT_S)
    finally:
        env.cleanup()


def test_local_persist_rejected_without_override(tmp_path: Path) -> None:
    proc = subprocess.run(
        [str(BIN / "environmentd"), f"--data-directory={tmp_path / 'mzdata'}",
         "--orchestrator=kubernetes"],
        capture_output=True, text=True, timeout=60, check=False, stdin=subprocess.DEVNULL)
    assert proc.returncode == 2
    assert "--persist-blob-url file://… is local to environmentd" in proc.stderr
    assert "--orchestrator-kubernetes-allow-local-persist" in proc.stderr
