"""The Kubernetes secrets controller against a real API server, directly and through a real
environmentd (``--secrets-controller=kubernetes``).

Everything is read back from the API server with the test cluster's own small client, not
from our manifests. No replicas run: secrets need none.
"""

from __future__ import annotations

import base64
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.integration.environmentd_harness import BIN, Environmentd, running_environmentd
from tests.kube_fixture import KubeApi, KubeCluster

from pymz.kube_apply import make_api_client, server_side_apply
from pymz.secrets import SecretNotFound
from pymz.secrets.kubernetes import (
    DATA_KEY,
    MANAGED_LABEL,
    MANAGED_VALUE,
    KubernetesSecretsConfig,
    KubernetesSecretsController,
)

# The first test of a session to use the cluster pays for starting it (see kube_fixture).
pytestmark = [pytest.mark.integration, pytest.mark.timeout(2400)]

ENV_LABEL = "materialize.cloud/environment"


@pytest.fixture
def k8s_namespace(kube_cluster: KubeCluster) -> Iterator[str]:
    name = kube_cluster.create_namespace("secrets")
    yield name
    kube_cluster.api().delete(f"/api/v1/namespaces/{name}")


def _controller(cluster: KubeCluster, namespace: str, env: str = "e1",
                **overrides: Any) -> KubernetesSecretsController:
    config = KubernetesSecretsConfig(namespace, labels=((ENV_LABEL, env),),
                                     kubeconfig=cluster.kubeconfig, **overrides)
    return KubernetesSecretsController(config)


def _secret(api: KubeApi, namespace: str, name: str) -> Any:
    return api.get_or_none(f"/api/v1/namespaces/{namespace}/secrets/{name}")


def _contents(obj: Any) -> bytes:
    return base64.b64decode(obj["data"][DATA_KEY])


def _managers(obj: Any) -> dict[str, str]:
    """field manager → operation, from the object's managedFields."""
    return {m["manager"]: m["operation"] for m in obj["metadata"].get("managedFields", [])}


def _owner_of_contents(obj: Any) -> list[str]:
    """Managers whose field set includes ``data.contents``."""
    return [m["manager"] for m in obj["metadata"].get("managedFields", [])
            if f"f:{DATA_KEY}" in m.get("fieldsV1", {}).get("f:data", {})]


async def test_ensure_list_delete(kube_cluster: KubeCluster, k8s_namespace: str) -> None:
    api = kube_cluster.api()
    ctl = _controller(kube_cluster, k8s_namespace, field_manager="pymz-test", page_size=2)
    assert await ctl.list() == []

    await ctl.ensure("u1", b"\x00first\xff")
    obj = _secret(api, k8s_namespace, "user-managed-u1")
    assert obj is not None
    assert obj["type"] == "Opaque"
    assert set(obj["data"]) == {DATA_KEY}
    assert _contents(obj) == b"\x00first\xff"
    assert obj["metadata"]["labels"] == {MANAGED_LABEL: MANAGED_VALUE, ENV_LABEL: "e1"}
    assert _managers(obj) == {"pymz-test": "Apply"}
    version = obj["metadata"]["resourceVersion"]

    # ensure again: same object, new contents.
    await ctl.ensure("u1", b"second")
    obj = _secret(api, k8s_namespace, "user-managed-u1")
    assert _contents(obj) == b"second"
    assert obj["metadata"]["resourceVersion"] != version
    assert await ctl.reader().read("u1") == b"second"

    # list pages through the labelled Secrets (page size 2) and ignores unlabelled ones.
    for i in range(2, 6):
        await ctl.ensure(f"u{i}", f"v{i}".encode())
    api.create(f"/api/v1/namespaces/{k8s_namespace}/secrets", {
        "apiVersion": "v1", "kind": "Secret",
        "metadata": {"name": "user-managed-u77"}, "data": {DATA_KEY: "eA=="}})
    assert await ctl.list() == ["u1", "u2", "u3", "u4", "u5"]

    await ctl.delete("u2")
    assert _secret(api, k8s_namespace, "user-managed-u2") is None
    await ctl.delete("u2")  # absent is fine
    assert await ctl.list() == ["u1", "u3", "u4", "u5"]
    with pytest.raises(SecretNotFound):
        await ctl.reader().read("u2")
    # Unlabelled, so not listed, but the reader addresses Secrets by name.
    assert await ctl.reader().read("u77") == b"x"


async def test_environments_sharing_a_namespace(kube_cluster: KubeCluster,
                                                k8s_namespace: str) -> None:
    a = _controller(kube_cluster, k8s_namespace, env="env-a", name_prefix="a-")
    b = _controller(kube_cluster, k8s_namespace, env="env-b", name_prefix="b-")
    await a.ensure("u1", b"a1")
    await b.ensure("u1", b"b1")
    await b.ensure("u2", b"b2")
    assert await a.list() == ["u1"]
    assert await b.list() == ["u1", "u2"]
    await a.delete("u1")
    assert await a.list() == []
    assert await b.reader().read("u1") == b"b1"


async def test_conflicting_writer_loses_to_forced_apply(kube_cluster: KubeCluster,
                                                        k8s_namespace: str) -> None:
    api = kube_cluster.api()
    ctl = _controller(kube_cluster, k8s_namespace, field_manager="pymz-environmentd")
    await ctl.ensure("u1", b"ours")
    path = f"/api/v1/namespaces/{k8s_namespace}/secrets/user-managed-u1"
    other = {"apiVersion": "v1", "kind": "Secret",
             "metadata": {"name": "user-managed-u1", "namespace": k8s_namespace},
             "data": {DATA_KEY: base64.b64encode(b"theirs").decode()}}
    client = make_api_client(kube_cluster.kubeconfig)

    # Without force, the other manager's apply conflicts on the field we own.
    with pytest.raises(Exception) as info:
        server_side_apply(client, path, other, field_manager="intruder", force=False)
    assert getattr(info.value, "status", None) == 409
    assert _contents(_secret(api, k8s_namespace, "user-managed-u1")) == b"ours"

    # With force it takes the field over; a plain update (kubectl edit) would too.
    server_side_apply(client, path, other, field_manager="intruder", force=True)
    assert _owner_of_contents(_secret(api, k8s_namespace, "user-managed-u1")) == ["intruder"]
    assert await ctl.reader().read("u1") == b"theirs"

    # Our next ensure forces it back: contents and ownership are ours again.
    await ctl.ensure("u1", b"ours again")
    obj = _secret(api, k8s_namespace, "user-managed-u1")
    assert _contents(obj) == b"ours again"
    assert _owner_of_contents(obj) == ["pymz-environmentd"]


async def test_api_errors_do_not_carry_contents(kube_cluster: KubeCluster) -> None:
    value = f"s3cr3t-{uuid.uuid4().hex}".encode()
    ctl = _controller(kube_cluster, f"missing-{uuid.uuid4().hex[:8]}")
    with pytest.raises(Exception) as info:
        await ctl.ensure("u1", value)
    assert getattr(info.value, "status", None) == 404
    text = repr(info.value) + str(info.value) + repr(info.value.__cause__)
    assert value.decode() not in text
    assert base64.b64encode(value).decode() not in text
    assert info.value.__cause__ is None and info.value.__suppress_context__


# --- through environmentd ---------------------------------------------------------------


def _env_args(cluster: KubeCluster, namespace: str) -> tuple[str, ...]:
    return ("--bootstrap-default-cluster-replication-factor=0", "--log-level=debug",
            "--secrets-controller=kubernetes", f"--secrets-kubernetes-namespace={namespace}",
            f"--orchestrator-kubernetes-kubeconfig={cluster.kubeconfig}")


def _secret_id(env: Environmentd, name: str) -> str:
    rows = env.sql("SELECT id FROM mz_catalog.mz_secrets WHERE name = %s", (name,))
    assert len(rows) == 1, rows
    return str(rows[0][0])


def test_environmentd_secret_lifecycle_and_orphans(kube_cluster: KubeCluster,
                                                   k8s_namespace: str, tmp_path: Path) -> None:
    api = kube_cluster.api()
    value = f"s3cr3t-{uuid.uuid4().hex}"
    new_value = f"s3cr3t-{uuid.uuid4().hex}"
    data_dir = tmp_path / "mzdata"
    with running_environmentd(data_dir, _env_args(kube_cluster, k8s_namespace)) as env:
        env.sql(f"CREATE SECRET pw AS '{value}'")
        sid = _secret_id(env, "pw")
        name = f"user-managed-{sid}"
        obj = _secret(api, k8s_namespace, name)
        assert obj is not None and _contents(obj) == value.encode()
        environment = obj["metadata"]["labels"][ENV_LABEL]
        assert environment.startswith("local-az1-")
        assert not (data_dir / "secrets").exists()

        env.sql(f"ALTER SECRET pw AS '{new_value}'")
        assert _contents(_secret(api, k8s_namespace, name)) == new_value.encode()
        env.sql("CREATE SECRET kept AS 'k'")
        kept = _secret_id(env, "kept")

        env.sql("DROP SECRET pw")
        assert _secret(api, k8s_namespace, name) is None
        env.stop()

        # Plant an orphan with our labels (a CREATE that crashed before its catalog commit)
        # and a look-alike of another environment, which must survive.
        def plant(secret: str, env_label: str) -> None:
            api.create(f"/api/v1/namespaces/{k8s_namespace}/secrets", {
                "apiVersion": "v1", "kind": "Secret",
                "metadata": {"name": secret,
                             "labels": {MANAGED_LABEL: MANAGED_VALUE, ENV_LABEL: env_label}},
                "data": {DATA_KEY: "eA=="}})

        plant("user-managed-u999", environment)
        plant("user-managed-u998", "someone-else")
        env.start()
        assert _secret(api, k8s_namespace, "user-managed-u999") is None
        assert _secret(api, k8s_namespace, "user-managed-u998") is not None
        assert _contents(_secret(api, k8s_namespace, f"user-managed-{kept}")) == b"k"
        assert env.sql("SHOW SECRETS") == [("kept", "")]

        log = env.log_path.read_bytes()
        for v in (value, new_value):
            assert v.encode() not in log
            assert base64.b64encode(v.encode()) not in log


def test_environmentd_requires_a_namespace(tmp_path: Path) -> None:
    proc = subprocess.run(
        [str(BIN / "environmentd"), f"--data-directory={tmp_path / 'mzdata'}",
         "--secrets-controller=kubernetes"],
        capture_output=True, text=True, timeout=60, check=False, stdin=subprocess.DEVNULL)
    assert proc.returncode == 2
    assert "--secrets-controller=kubernetes needs --secrets-kubernetes-namespace" in proc.stderr
