"""pytest fixture for a real, throwaway Kubernetes control plane (``scripts/kube-test-cluster``).

``kube_cluster`` (session scope) builds the binaries if the cache lacks them (a cold build
takes many minutes: run ``scripts/kube-test-cluster build`` beforehand), starts etcd,
kube-apiserver, kube-controller-manager, kube-scheduler and kwok (fake nodes whose pods
become Running/Ready) on loopback ports in a temp dir, yields a :class:`KubeCluster`, and
stops everything afterwards. Tests using it are skipped only when ``PYMZ_SKIP_KUBE=1``.

:class:`KubeApi` is a deliberately small stdlib HTTPS/JSON client so tests need no
Kubernetes client package; it is not a general client (no watch, no retries).

``tests/conftest.py`` registers the fixture for every test module; do not import it into a
module (that would register a second definition and start a second cluster).
"""

from __future__ import annotations

import json
import os
import ssl
import subprocess
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "kube-test-cluster"
UP_TIMEOUT_S = 300.0

T = TypeVar("T")


class KubeApiError(Exception):
    def __init__(self, method: str, path: str, status: int, body: object) -> None:
        super().__init__(f"{method} {path}: HTTP {status}: {body}")
        self.status = status
        self.body = body


class KubeApi:
    """JSON requests to the API server as the admin user (``system:masters``)."""

    def __init__(
        self,
        server: str,
        ca_cert: Path,
        client_cert: Path,
        client_key: Path,
        impersonate: str | None = None,
    ) -> None:
        self.server = server
        self._impersonate = impersonate
        self._ctx = ssl.create_default_context(cafile=str(ca_cert))
        self._ctx.load_cert_chain(str(client_cert), str(client_key))

    def request(
        self,
        method: str,
        path: str,
        body: object = None,
        *,
        content_type: str = "application/json",
        ok: tuple[int, ...] = (200, 201, 202),
    ) -> Any:
        """Send one request; return the decoded JSON body or raise :class:`KubeApiError`."""
        data = json.dumps(body).encode() if body is not None else None
        headers = {"Content-Type": content_type}
        if self._impersonate is not None:
            headers["Impersonate-User"] = self._impersonate
        req = urllib.request.Request(self.server + path, data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(req, context=self._ctx, timeout=30) as resp:
                status, raw = resp.status, resp.read()
        except urllib.error.HTTPError as e:
            status, raw = e.code, e.read()
        try:
            decoded: Any = json.loads(raw) if raw else None
        except ValueError:
            decoded = raw.decode(errors="replace")
        if status not in ok:
            raise KubeApiError(method, path, status, decoded)
        return decoded

    def get(self, path: str) -> Any:
        return self.request("GET", path)

    def get_or_none(self, path: str) -> Any:
        """GET, or None when the object does not exist (404)."""
        try:
            return self.request("GET", path)
        except KubeApiError as e:
            if e.status == 404:
                return None
            raise

    def create(self, path: str, obj: dict[str, Any]) -> Any:
        return self.request("POST", path, obj)

    def merge_patch(self, path: str, patch: dict[str, Any]) -> Any:
        return self.request("PATCH", path, patch, content_type="application/merge-patch+json")

    def delete(self, path: str) -> Any:
        return self.request("DELETE", path, ok=(200, 202, 404))


@dataclass(frozen=True)
class KubeCluster:
    """One running test cluster; ``kubeconfig`` is self-contained (certificates inline)."""

    dir: Path
    kubeconfig: Path
    server: str
    ca_cert: Path
    client_cert: Path
    client_key: Path
    nodes: tuple[str, ...]

    def api(self, impersonate: str | None = None) -> KubeApi:
        """A client as the admin user, or as ``impersonate`` (admins may impersonate)."""
        return KubeApi(self.server, self.ca_cert, self.client_cert, self.client_key, impersonate)

    def create_namespace(self, prefix: str = "test") -> str:
        """Create a fresh namespace (unique name) and return its name."""
        name = f"{prefix}-{uuid.uuid4().hex[:8]}"
        self.api().create(
            "/api/v1/namespaces",
            {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}},
        )
        return name


def wait_for(
    what: str, probe: Callable[[], T | None], timeout_s: float, interval_s: float = 0.25
) -> T:
    """Poll ``probe`` until it returns a truthy value; fail the test after ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    last: T | None = None
    while True:
        last = probe()
        if last:
            return last
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout_s:.0f}s waiting for {what}")
        time.sleep(interval_s)


def skip_kube() -> bool:
    return os.environ.get("PYMZ_SKIP_KUBE") == "1"


def _run(*args: str, timeout_s: float | None) -> str:
    proc = subprocess.run(
        [str(SCRIPT), *args],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=timeout_s,
        check=False,
    )
    if proc.returncode != 0:
        raise RuntimeError(
            f"scripts/kube-test-cluster {' '.join(args)} failed (exit {proc.returncode}):\n"
            f"{proc.stderr[-4000:]}"
        )
    return proc.stdout.strip()


@pytest.fixture(scope="session")
def kube_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KubeCluster]:
    if skip_kube():
        pytest.skip("PYMZ_SKIP_KUBE=1")
    _run("build", timeout_s=None)  # instant with a warm cache
    d = tmp_path_factory.mktemp("kube")
    try:
        kubeconfig = Path(
            _run("up", str(d), "--timeout", str(UP_TIMEOUT_S), timeout_s=UP_TIMEOUT_S + 60)
        )
        info = json.loads((d / "cluster.json").read_text())
        yield KubeCluster(
            dir=d,
            kubeconfig=kubeconfig,
            server=info["server"],
            ca_cert=Path(info["ca_cert"]),
            client_cert=Path(info["client_cert"]),
            client_key=Path(info["client_key"]),
            nodes=tuple(info["nodes"]),
        )
    finally:
        _run("down", str(d), timeout_s=120)
