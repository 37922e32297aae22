"""The Kubernetes orchestrator against a real API server (kube-apiserver, controller manager,
scheduler; kwok fake nodes make pods Running/Ready, nothing runs in them).

Object shapes and labels are asserted on what the API server returns, not on our manifests.
The outage test puts a TCP proxy on an ephemeral loopback port between the orchestrator and
the API server (TLS passes through untouched); "down" closes every connection and closes new
ones at once, which looks to the client like an API-server restart.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

import pytest
from tests.kube_fixture import KubeApi, KubeCluster

from pymz.orchestrator.testing import EventRecorder
from pymz.orchestrator.types import (
    LabelSelectionLogic,
    LabelSelector,
    ServiceAssignments,
    ServiceConfig,
    ServiceEvent,
    ServicePort,
)
from pymz.orchestrator_kubernetes import KubernetesOrchestrator, KubernetesOrchestratorConfig

# The first test to use the session fixture pays for cluster start (and a cold build if
# `scripts/kube-test-cluster build` did not run first).
pytestmark = [pytest.mark.integration, pytest.mark.timeout(2400)]

WAIT_S = 60.0
PORTS = (ServicePort("ctl", 2100), ServicePort("http", 6878))
HASH = "environmentd.materialize.cloud/pod-template-hash"
T = TypeVar("T")


def listen_args(a: ServiceAssignments) -> list[str]:
    return [f"--listen={k}={v}" for k, v in sorted(a.listen_addrs.items())]


def peer_args(a: ServiceAssignments) -> list[str]:
    return [*listen_args(a), *(f"--peer={p['ctl']}" for p in a.peer_addrs)]


def config(**overrides: Any) -> ServiceConfig:
    params: dict[str, Any] = {"image": "pymz.invalid/clusterd:test", "args": listen_args}
    params["ports"] = PORTS
    params.update(overrides)
    return ServiceConfig(**params)


async def poll(what: str, probe: Callable[[], Awaitable[T | None]], timeout_s: float = WAIT_S) -> T:
    """Await ``probe`` until it returns something truthy; fail after ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    while True:
        result = await probe()
        if result:
            return result
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout_s:.0f}s waiting for {what}")
        await asyncio.sleep(0.1)


class Kube:
    """Reads objects back from the API server (in threads: the client is synchronous)."""

    def __init__(self, api: KubeApi, namespace: str) -> None:
        self.api = api
        self.ns = namespace

    async def get(self, path: str) -> Any:
        return await asyncio.to_thread(self.api.get_or_none, path)

    async def sts(self, name: str) -> Any:
        return await self.get(f"/apis/apps/v1/namespaces/{self.ns}/statefulsets/{name}")

    async def svc(self, name: str) -> Any:
        return await self.get(f"/api/v1/namespaces/{self.ns}/services/{name}")

    async def pods(self, name: str) -> list[dict[str, Any]]:
        items = (await self.get(f"/api/v1/namespaces/{self.ns}/pods"))["items"]
        ours = [p for p in items if p["metadata"]["name"].rsplit("-", 1)[0] == name]
        return sorted(ours, key=lambda p: int(p["metadata"]["name"].rsplit("-", 1)[1]))

    async def ready_pods(self, name: str, n: int) -> list[dict[str, Any]] | None:
        """The pods of ``name`` if there are exactly ``n``, all Ready and not being deleted."""
        pods = await self.pods(name)
        ok = len(pods) == n and all(
            not p["metadata"].get("deletionTimestamp")
            and any(
                c["type"] == "Ready" and c["status"] == "True"
                for c in p.get("status", {}).get("conditions", [])
            )
            for p in pods
        )
        return pods if ok else None

    async def uids(self, name: str, n: int) -> list[str]:
        pods = await poll(f"{n} ready pods of {name}", lambda: self.ready_pods(name, n))
        return [p["metadata"]["uid"] for p in pods]


@pytest.fixture
def k8s_namespace(kube_cluster: KubeCluster) -> Iterator[str]:
    name = kube_cluster.create_namespace("orch")
    yield name
    kube_cluster.api().delete(f"/api/v1/namespaces/{name}")


@pytest.fixture
def kube(kube_cluster: KubeCluster, k8s_namespace: str) -> Kube:
    return Kube(kube_cluster.api(), k8s_namespace)


def make_config(
    cluster: KubeCluster, namespace: str, **overrides: Any
) -> KubernetesOrchestratorConfig:
    params: dict[str, Any] = {
        "kubernetes_namespace": namespace,
        "kubeconfig": cluster.kubeconfig,
        "name_prefix": "mz-",
        "field_manager": "pymz-test",
        "service_labels": {"environment": "e1", "team": "storage"},
        "api_retry_deadline": 20.0,
    }
    params.update(overrides)
    return KubernetesOrchestratorConfig(**params)


@pytest.fixture
def orchestrator(kube_cluster: KubeCluster, k8s_namespace: str) -> KubernetesOrchestrator:
    return KubernetesOrchestrator(make_config(kube_cluster, k8s_namespace))


@pytest.fixture
async def recorder_factory() -> AsyncIterator[Callable[[Any], EventRecorder]]:
    recorders: list[EventRecorder] = []

    def make(ns: Any) -> EventRecorder:
        recorders.append(EventRecorder(ns))
        return recorders[-1]

    yield make
    for r in recorders:
        await r.close()


def is_event(id: str, index: int, *, online: bool) -> Callable[[ServiceEvent], bool]:
    def check(e: ServiceEvent) -> bool:
        return e.service_id == id and e.process_id == index and e.status.online == online

    return check


async def test_objects_names_labels_and_field_manager(
    orchestrator: KubernetesOrchestrator, kube: Kube
) -> None:
    ns = orchestrator.namespace("cluster")
    service = await ns.ensure_service(
        "u1",
        config(
            args=peer_args,
            scale=2,
            labels={"replica-id": "r1"},
            annotations={"note": "a"},
            cpu_limit_nano_cores=1_500_000_000,
            memory_limit_bytes=2 * 1024**3,
            cpu_request_nano_cores=250_000_000,
            memory_request_bytes=1024**3,
            disk=True,
            disk_limit_bytes=10 * 1024**3,
            environment={"RUST_LOG": "info"},
        ),
    )
    name = "mz-cluster-u1"
    dns = [f"{name}-{i}.{name}.{kube.ns}.svc.cluster.local" for i in range(2)]
    assert service.addresses("ctl") == [f"{h}:2100" for h in dns]
    assert service.addresses("http") == [f"{h}:6878" for h in dns]

    match = {
        "environmentd.materialize.cloud/namespace": "cluster",
        "environmentd.materialize.cloud/service-id": "u1",
    }
    orchestrator_labels = {"environment": "e1", "team": "storage"}
    sts = await kube.sts(name)
    assert sts["metadata"]["labels"] == {**match, **orchestrator_labels}
    assert sts["spec"]["selector"]["matchLabels"] == match
    assert sts["spec"]["serviceName"] == name
    assert sts["spec"]["replicas"] == 2
    assert sts["spec"]["podManagementPolicy"] == "Parallel"
    template = sts["spec"]["template"]
    assert template["metadata"]["labels"] == {
        **match,
        **orchestrator_labels,
        "environmentd.materialize.cloud/port-ctl": "true",
        "environmentd.materialize.cloud/port-http": "true",
        "cluster.environmentd.materialize.cloud/replica-id": "r1",
    }
    assert template["metadata"]["annotations"]["note"] == "a"
    assert len(template["metadata"]["annotations"][HASH]) >= 16
    (container,) = template["spec"]["containers"]
    assert container["image"] == "pymz.invalid/clusterd:test"
    assert container["args"] == [
        "--listen=ctl=0.0.0.0:2100",
        "--listen=http=0.0.0.0:6878",
        *(f"--peer={h}:2100" for h in dns),
    ]
    assert {p["name"]: p["containerPort"] for p in container["ports"]} == {
        "ctl": 2100,
        "http": 6878,
    }
    env = {e["name"]: e for e in container["env"]}
    assert env["PYMZ_PROCESS_INDEX"]["valueFrom"]["fieldRef"]["fieldPath"] == (
        "metadata.labels['apps.kubernetes.io/pod-index']"
    )
    assert env["RUST_LOG"]["value"] == "info"
    assert container["resources"] == {
        "limits": {
            "cpu": "1500m",
            "memory": str(2 * 1024**3),
            "ephemeral-storage": str(10 * 1024**3),
        },
        "requests": {"cpu": "250m", "memory": str(1024**3)},
    }
    assert container["volumeMounts"] == [{"name": "scratch", "mountPath": "/scratch"}]
    assert template["spec"]["volumes"] == [
        {"name": "scratch", "emptyDir": {"sizeLimit": str(10 * 1024**3)}}
    ]
    (spread,) = template["spec"]["topologySpreadConstraints"]
    assert spread["topologyKey"] == "topology.kubernetes.io/zone"
    assert spread["labelSelector"]["matchLabels"] == match

    managers = {(m["manager"], m["operation"]) for m in sts["metadata"]["managedFields"]}
    assert ("pymz-test", "Apply") in managers

    svc = await kube.svc(name)
    assert svc["spec"]["clusterIP"] == "None"
    assert svc["spec"]["selector"] == match
    assert {p["name"]: (p["port"], p["targetPort"]) for p in svc["spec"]["ports"]} == {
        "ctl": (2100, 2100),
        "http": (6878, 6878),
    }
    assert svc["metadata"]["labels"] == {**match, **orchestrator_labels}
    assert ("pymz-test", "Apply") in {
        (m["manager"], m["operation"]) for m in svc["metadata"]["managedFields"]
    }

    pods = await poll("2 ready pods", lambda: kube.ready_pods(name, 2))
    for i, pod in enumerate(pods):
        assert pod["metadata"]["name"] == f"{name}-{i}"
        labels = pod["metadata"]["labels"]
        assert labels["apps.kubernetes.io/pod-index"] == str(i)
        assert labels["environment"] == "e1"
        assert labels["cluster.environmentd.materialize.cloud/replica-id"] == "r1"
        assert labels["environmentd.materialize.cloud/port-ctl"] == "true"
        assert pod["metadata"]["annotations"][HASH] == template["metadata"]["annotations"][HASH]
        assert pod["spec"]["subdomain"] == name
        assert pod["spec"]["hostname"] == f"{name}-{i}"


async def test_zones_and_anti_affinity_shape(
    orchestrator: KubernetesOrchestrator, kube: Kube
) -> None:
    ns = orchestrator.namespace("cluster")
    await ns.ensure_service(
        "u2",
        config(
            availability_zones=("us-east-1a", "us-east-1b"),
            anti_affinity=(
                LabelSelector("replica-id", LabelSelectionLogic.NOT_EQ, ("r2",)),
                LabelSelector("cluster-id", LabelSelectionLogic.EXISTS),
                LabelSelector("size", LabelSelectionLogic.IN, ("a", "b")),
            ),
        ),
    )
    affinity = (await kube.sts("mz-cluster-u2"))["spec"]["template"]["spec"]["affinity"]
    (term,) = affinity["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"][
        "nodeSelectorTerms"
    ]
    assert term["matchExpressions"] == [
        {
            "key": "topology.kubernetes.io/zone",
            "operator": "In",
            "values": ["us-east-1a", "us-east-1b"],
        }
    ]
    (anti,) = affinity["podAntiAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]
    assert anti["topologyKey"] == "kubernetes.io/hostname"
    assert anti["labelSelector"]["matchExpressions"] == [
        {
            "key": "cluster.environmentd.materialize.cloud/replica-id",
            "operator": "NotIn",
            "values": ["r2"],
        },
        {"key": "cluster.environmentd.materialize.cloud/cluster-id", "operator": "Exists"},
        {
            "key": "cluster.environmentd.materialize.cloud/size",
            "operator": "In",
            "values": ["a", "b"],
        },
    ]


async def test_annotation_change_keeps_pods_template_change_replaces_them(
    orchestrator: KubernetesOrchestrator, kube: Kube
) -> None:
    ns = orchestrator.namespace("cluster")
    name = "mz-cluster-u1"
    await ns.ensure_service("u1", config(scale=2, annotations={"note": "a"}))
    before = await kube.uids(name, 2)
    old_hash = (await kube.sts(name))["spec"]["template"]["metadata"]["annotations"][HASH]

    # Idempotent: the same config again changes nothing (not even the generation).
    generation = (await kube.sts(name))["metadata"]["generation"]
    await ns.ensure_service("u1", config(scale=2, annotations={"note": "a"}))
    assert (await kube.sts(name))["metadata"]["generation"] == generation

    await ns.ensure_service("u1", config(scale=2, annotations={"note": "b"}))
    sts = await kube.sts(name)
    assert sts["spec"]["template"]["metadata"]["annotations"]["note"] == "b"
    assert sts["spec"]["template"]["metadata"]["annotations"][HASH] == old_hash

    # Once the controller has observed the new revision it would have acted on it.
    async def observed() -> Any:
        s = await kube.sts(name)
        return s if s["status"].get("observedGeneration") == s["metadata"]["generation"] else None

    status = (await poll("the controller to observe the annotation change", observed))["status"]
    assert status["updateRevision"] != status["currentRevision"], "a new revision exists"
    assert await kube.uids(name, 2) == before

    await ns.ensure_service(
        "u1", config(scale=2, annotations={"note": "b"}, environment={"GENERATION": "2"})
    )
    new_hash = (await kube.sts(name))["spec"]["template"]["metadata"]["annotations"][HASH]
    assert new_hash != old_hash

    async def replaced() -> list[dict[str, Any]] | None:
        pods = await kube.ready_pods(name, 2)
        if pods and all(
            p["metadata"]["uid"] not in before and p["metadata"]["annotations"][HASH] == new_hash
            for p in pods
        ):
            return pods
        return None

    pods = await poll("both pods recreated from the new template", replaced)
    for pod in pods:
        env = {e["name"]: e.get("value") for e in pod["spec"]["containers"][0]["env"]}
        assert env["GENERATION"] == "2"
        assert pod["metadata"]["annotations"]["note"] == "b"


async def test_scale_up_and_down(orchestrator: KubernetesOrchestrator, kube: Kube) -> None:
    ns = orchestrator.namespace("cluster")
    name = "mz-cluster-u1"
    await ns.ensure_service("u1", config(scale=1))
    (first,) = await kube.uids(name, 1)
    service = await ns.ensure_service("u1", config(scale=3))
    assert len(service.addresses("ctl")) == 3
    grown = await kube.uids(name, 3)
    # Args do not mention peers: the template is unchanged and pod 0 keeps running.
    assert grown[0] == first
    service = await ns.ensure_service("u1", config(scale=1))
    assert service.addresses("ctl") == [f"{name}-0.{name}.{kube.ns}.svc.cluster.local:2100"]
    assert await kube.uids(name, 1) == [first]

    # With args that mention peers, a scale change is a template change: all pods restart.
    await ns.ensure_service("u1", config(scale=1, args=peer_args))
    (with_peers,) = await kube.uids(name, 1)
    await ns.ensure_service("u1", config(scale=2, args=peer_args))

    async def rolled() -> list[str] | None:
        pods = await kube.ready_pods(name, 2)
        uids = [p["metadata"]["uid"] for p in pods] if pods else []
        return uids if uids and with_peers not in uids else None

    await poll("pod 0 replaced after a peer-changing scale-up", rolled)


async def test_watch_reports_each_process_then_changes(
    orchestrator: KubernetesOrchestrator,
    kube: Kube,
    recorder_factory: Callable[[Any], EventRecorder],
) -> None:
    ns = orchestrator.namespace("cluster")
    early = recorder_factory(ns)
    await ns.ensure_service("u1", config(scale=3))
    for i in range(3):
        await early.wait_for(is_event("u1", i, online=True), deadline_s=WAIT_S)

    late = recorder_factory(ns)
    await late.wait_for(is_event("u1", 2, online=True), deadline_s=WAIT_S)
    assert {(e.process_id, e.status.online) for e in late.events[:3]} == {
        (0, True),
        (1, True),
        (2, True),
    }
    # Another orchestrator namespace's watch sees none of it.
    other = recorder_factory(orchestrator.namespace("storage"))

    mark = len(early.events)
    await ns.ensure_service("u1", config(scale=1))
    for i in (1, 2):
        await early.wait_for(is_event("u1", i, online=False), after=mark, deadline_s=WAIT_S)
    assert not any(is_event("u1", 0, online=False)(e) for e in early.events[mark:])

    mark = len(late.events)
    await ns.drop_service("u1")
    await late.wait_for(is_event("u1", 0, online=False), after=mark, deadline_s=WAIT_S)
    assert other.events == []


async def test_drop_is_idempotent(orchestrator: KubernetesOrchestrator, kube: Kube) -> None:
    ns = orchestrator.namespace("cluster")
    name = "mz-cluster-u1"
    await ns.ensure_service("u1", config(scale=2))
    await kube.uids(name, 2)
    await ns.drop_service("u1")
    assert await ns.list_services() == []
    assert await kube.svc(name) is None

    async def gone() -> bool:
        return await kube.sts(name) is None and await kube.pods(name) == []

    await poll("StatefulSet and pods gone", gone)
    await ns.drop_service("u1")
    await ns.drop_service("never-existed")


async def test_list_strips_prefix_and_ignores_others(
    kube_cluster: KubeCluster, k8s_namespace: str, kube: Kube
) -> None:
    ours = KubernetesOrchestrator(make_config(kube_cluster, k8s_namespace))
    theirs = KubernetesOrchestrator(make_config(kube_cluster, k8s_namespace, name_prefix="x-"))
    assert await ours.namespace("cluster").list_services() == []
    await ours.namespace("cluster").ensure_service("u1", config())
    await ours.namespace("cluster").ensure_service("u2", config())
    await ours.namespace("compute").ensure_service("u3", config())
    await theirs.namespace("cluster").ensure_service("u9", config())
    assert await kube.sts("x-cluster-u9") is not None
    assert await ours.namespace("cluster").list_services() == ["u1", "u2"]
    assert await ours.namespace("compute").list_services() == ["u3"]
    assert await theirs.namespace("cluster").list_services() == ["u9"]


async def test_namespaces_are_independent(orchestrator: KubernetesOrchestrator, kube: Kube) -> None:
    assert orchestrator.namespace("compute") is orchestrator.namespace("compute")
    compute, storage = orchestrator.namespace("compute"), orchestrator.namespace("storage")
    c = await compute.ensure_service("s1", config())
    s = await storage.ensure_service("s1", config())
    assert c.addresses("ctl") != s.addresses("ctl")
    (storage_uid,) = await kube.uids("mz-storage-s1", 1)
    await kube.uids("mz-compute-s1", 1)
    await compute.drop_service("s1")
    assert await compute.list_services() == []
    assert await storage.list_services() == ["s1"]
    assert await kube.sts("mz-compute-s1") is None
    assert await kube.uids("mz-storage-s1", 1) == [storage_uid]


async def test_metrics_are_none_without_metrics_api(
    orchestrator: KubernetesOrchestrator, kube: Kube
) -> None:
    ns = orchestrator.namespace("cluster")
    await ns.ensure_service("u1", config(scale=2))
    await kube.uids("mz-cluster-u1", 2)
    metrics = await ns.fetch_service_metrics("u1")
    assert [(m.cpu_nano_cores, m.memory_bytes) for m in metrics] == [(None, None)] * 2


# -- API-server outage -------------------------------------------------------------------


class FlakyProxy:
    """Forwards TCP to ``target`` while up; while down, accepts and closes at once."""

    def __init__(self, target_host: str, target_port: int) -> None:
        self._target = (target_host, target_port)
        self.up = True
        self.refused = 0
        self._writers: set[asyncio.StreamWriter] = set()
        self._server: asyncio.Server | None = None
        self.port = 0

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if not self.up:
            self.refused += 1
            writer.close()
            return
        try:
            up_reader, up_writer = await asyncio.open_connection(*self._target)
        except OSError:
            writer.close()
            return
        self._writers |= {writer, up_writer}

        async def pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
            with contextlib.suppress(OSError, asyncio.CancelledError):
                while data := await src.read(65536):
                    dst.write(data)
                    await dst.drain()
            dst.close()

        # Cancelled when the server closes at teardown: nothing left to do then.
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))
        self._writers -= {writer, up_writer}

    def down(self) -> None:
        self.up = False
        for w in list(self._writers):
            w.close()

    async def close(self) -> None:
        self.down()
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()


@pytest.fixture
async def proxy(kube_cluster: KubeCluster) -> AsyncIterator[FlakyProxy]:
    server = urlsplit(kube_cluster.server)
    assert server.hostname is not None and server.port is not None
    p = FlakyProxy(server.hostname, server.port)
    await p.start()
    yield p
    await p.close()


def proxied_kubeconfig(cluster: KubeCluster, port: int, path: Path) -> Path:
    """The admin kubeconfig with its server moved to the proxy (the serving certificate is
    valid for 127.0.0.1, whatever the port)."""
    text = cluster.kubeconfig.read_text()
    assert cluster.server in text
    path.write_text(text.replace(cluster.server, f"https://127.0.0.1:{port}"))
    return path


async def test_calls_retry_and_watch_reconnects_across_an_outage(
    kube_cluster: KubeCluster, k8s_namespace: str, proxy: FlakyProxy, tmp_path: Path
) -> None:
    kubeconfig = proxied_kubeconfig(kube_cluster, proxy.port, tmp_path / "kubeconfig")
    flaky = KubernetesOrchestrator(
        make_config(
            kube_cluster,
            k8s_namespace,
            kubeconfig=kubeconfig,
            api_backoff_initial=0.05,
            api_backoff_max=0.5,
            api_retry_deadline=60.0,
        )
    )
    direct = KubernetesOrchestrator(make_config(kube_cluster, k8s_namespace))
    kube = Kube(kube_cluster.api(), k8s_namespace)
    ns = flaky.namespace("cluster")
    recorder = EventRecorder(ns)
    try:
        await ns.ensure_service("u1", config(scale=1))
        await recorder.wait_for(is_event("u1", 0, online=True), deadline_s=60)

        # The API server "restarts": connections drop, new ones fail.
        proxy.down()
        mark = len(recorder.events)
        # Meanwhile the service grows (through a working connection).
        await direct.namespace("cluster").ensure_service("u1", config(scale=2))
        await kube.uids("mz-cluster-u1", 2)

        # A call made during the outage retries until the server is back.
        ensure = asyncio.create_task(ns.ensure_service("u2", config(scale=1)))

        async def retried() -> bool:
            return proxy.refused >= 3

        await poll("the orchestrator to retry against the refusing server", retried)
        assert not ensure.done()
        proxy.up = True
        await asyncio.wait_for(ensure, 60)
        assert await kube.sts("mz-cluster-u2") is not None

        # The watch reconnected and caught up with what happened while it was away.
        await recorder.wait_for(is_event("u1", 1, online=True), after=mark, deadline_s=60)
        await recorder.wait_for(is_event("u2", 0, online=True), after=mark, deadline_s=60)
        assert not any(is_event("u1", 0, online=False)(e) for e in recorder.events[mark:]), (
            recorder.events
        )
    finally:
        await recorder.close()


# -- watch details ----------------------------------------------------------------------------


async def test_watch_reports_oom_kill_from_container_status(
    orchestrator: KubernetesOrchestrator,
    kube: Kube,
    recorder_factory: Callable[[Any], EventRecorder],
) -> None:
    ns = orchestrator.namespace("cluster")
    recorder = recorder_factory(ns)
    await ns.ensure_service("u1", config())
    await recorder.wait_for(is_event("u1", 0, online=True), deadline_s=WAIT_S)
    mark = len(recorder.events)
    # Play the kubelet: the container was OOM-killed and the pod is no longer ready.
    pod = (await kube.pods("mz-cluster-u1"))[0]
    now = pod["status"]["startTime"]
    patch = {
        "status": {
            "conditions": [{"type": "Ready", "status": "False", "lastTransitionTime": now}],
            "containerStatuses": [
                {
                    "name": "default",
                    "image": "pymz.invalid/clusterd:test",
                    "imageID": "",
                    "ready": False,
                    "restartCount": 1,
                    "state": {"waiting": {"reason": "CrashLoopBackOff"}},
                    "lastState": {
                        "terminated": {
                            "exitCode": 137,
                            "reason": "OOMKilled",
                            "startedAt": now,
                            "finishedAt": now,
                        }
                    },
                }
            ],
        }
    }
    await asyncio.to_thread(
        kube.api.request,
        "PATCH",
        f"/api/v1/namespaces/{kube.ns}/pods/mz-cluster-u1-0/status",
        patch,
        content_type="application/strategic-merge-patch+json",
    )
    i = await recorder.wait_for(is_event("u1", 0, online=False), after=mark, deadline_s=WAIT_S)
    assert recorder.events[i].status.reason == "oom-killed"
    assert str(recorder.events[i].status) == "offline(oom-killed)"
