"""Start and stop a throwaway Kubernetes control plane on loopback (``up DIR`` / ``down DIR``).

Everything lives under DIR: ``pki/`` (CA, serving and client certificates, service-account
keys, made with ``openssl``), ``etcd/`` data, ``logs/<component>.log``, ``pids/<component>``
and ``cluster.json`` (server URL, ports, certificate paths) plus ``kubeconfig`` for an admin
in ``system:masters``. Ports are ephemeral loopback ports picked at start. Components run
detached (own session) so ``up`` returns once the cluster is usable and ``down`` stops them.

Usable means: ``/readyz`` is OK, the controller manager has created the ``default``
ServiceAccount, and every fake node (annotated ``kwok.x-k8s.io/node=fake`` and managed by
kwok) reports Ready. kube-scheduler places pods on those nodes; kwok's stages then move
them to Running/Ready and finish deletions that a kubelet would normally finish.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import signal
import socket
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from build import BINARIES, Layout, log

SERVICE_CIDR = "10.96.0.0/16"  # address allocation only: nothing routes these addresses
SERVICE_IP = "10.96.0.1"
FAKE_NODE_ANNOTATION = "kwok.x-k8s.io/node"
START_ORDER = ("etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler", "kwok")


# ---------------------------------------------------------------- certificates


def _openssl(*args: str, cwd: Path) -> None:
    proc = subprocess.run(["openssl", *args], check=False, cwd=cwd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"openssl {args[0]} failed: {proc.stderr.strip()}")


def _leaf(pki: Path, name: str, subject: str, ext: str) -> None:
    (pki / f"{name}.ext").write_text(ext)
    _openssl(
        "req",
        "-new",
        "-nodes",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-keyout",
        f"{name}.key",
        "-out",
        f"{name}.csr",
        "-subj",
        subject,
        cwd=pki,
    )
    _openssl(
        "x509",
        "-req",
        "-in",
        f"{name}.csr",
        "-CA",
        "ca.crt",
        "-CAkey",
        "ca.key",
        "-set_serial",
        str(int.from_bytes(os.urandom(8), "big")),
        "-days",
        "3650",
        "-out",
        f"{name}.crt",
        "-extfile",
        f"{name}.ext",
        cwd=pki,
    )


def _client(pki: Path, name: str, subject: str) -> None:
    _leaf(
        pki,
        name,
        subject,
        "basicConstraints=CA:FALSE\n"
        "keyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=clientAuth\n",
    )


def make_pki(pki: Path) -> None:
    pki.mkdir(parents=True)
    _openssl(
        "req",
        "-x509",
        "-new",
        "-nodes",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-keyout",
        "ca.key",
        "-out",
        "ca.crt",
        "-days",
        "3650",
        "-subj",
        "/CN=pymz-kube-test-ca",
        "-addext",
        "basicConstraints=critical,CA:TRUE",
        "-addext",
        "keyUsage=critical,keyCertSign,cRLSign,digitalSignature",
        cwd=pki,
    )
    sans = ",".join(
        [
            "IP:127.0.0.1",
            f"IP:{SERVICE_IP}",
            "DNS:localhost",
            "DNS:kubernetes",
            "DNS:kubernetes.default",
            "DNS:kubernetes.default.svc",
            "DNS:kubernetes.default.svc.cluster.local",
        ]
    )
    _leaf(
        pki,
        "apiserver",
        "/CN=kube-apiserver",
        "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\n"
        f"extendedKeyUsage=serverAuth\nsubjectAltName={sans}\n",
    )
    _client(pki, "admin", "/O=system:masters/CN=pymz-admin")
    # The built-in RBAC roles already bind these two user names.
    _client(pki, "kube-controller-manager", "/CN=system:kube-controller-manager")
    _client(pki, "kube-scheduler", "/CN=system:kube-scheduler")
    _openssl(
        "genpkey",
        "-algorithm",
        "RSA",
        "-pkeyopt",
        "rsa_keygen_bits:2048",
        "-out",
        "sa.key",
        cwd=pki,
    )
    _openssl("pkey", "-in", "sa.key", "-pubout", "-out", "sa.pub", cwd=pki)


def _b64(path: Path) -> str:
    return base64.b64encode(path.read_bytes()).decode()


def write_kubeconfig(path: Path, server: str, pki: Path, user: str) -> None:
    # Self-contained (certificates inline) so the file can be copied or mounted alone.
    path.write_text(
        "apiVersion: v1\nkind: Config\n"
        "clusters:\n- name: pymz-test\n  cluster:\n"
        f"    server: {server}\n"
        f"    certificate-authority-data: {_b64(pki / 'ca.crt')}\n"
        "users:\n- name: " + user + "\n  user:\n"
        f"    client-certificate-data: {_b64(pki / f'{user}.crt')}\n"
        f"    client-key-data: {_b64(pki / f'{user}.key')}\n"
        "contexts:\n- name: pymz-test\n  context:\n    cluster: pymz-test\n"
        f"    user: {user}\n"
        "current-context: pymz-test\n"
    )
    path.chmod(0o600)


# ---------------------------------------------------------------- processes


def free_ports(n: int) -> list[int]:
    socks = []
    try:
        for _ in range(n):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.bind(("127.0.0.1", 0))
            socks.append(s)
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def _spawn(
    d: Path, lay: Layout, name: str, args: list[str], env: dict[str, str] | None = None
) -> None:
    exe = lay.bin_dir / name
    logf = open(d / "logs" / f"{name}.log", "ab")  # noqa: SIM115 - handed to the child
    proc = subprocess.Popen(
        [str(exe), *args],
        cwd=d,
        stdin=subprocess.DEVNULL,
        stdout=logf,
        stderr=subprocess.STDOUT,
        start_new_session=True,
        env=env,
    )
    logf.close()
    stat = _stat(proc.pid)
    started = stat[1] if stat else "?"
    (d / "pids" / name).write_text(f"{proc.pid}\n{started}\n{exe}\n")


def _stat(pid: int) -> tuple[str, str] | None:
    """(state, start time) of a process; the start time survives exec, unlike cmdline."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return fields[0], fields[19]


def _pid_of(d: Path, name: str) -> int | None:
    """The recorded pid, if that very process still runs (pids get reused)."""
    try:
        pid_s, started = (d / "pids" / name).read_text().split("\n")[:2]
        pid = int(pid_s)
    except (OSError, ValueError):
        return None
    stat = _stat(pid)
    if stat is None or stat[1] != started or stat[0] in {"Z", "X"}:
        return None
    return pid


def _tail(d: Path, name: str, n: int = 40) -> str:
    try:
        lines = (d / "logs" / f"{name}.log").read_text(errors="replace").splitlines()
    except OSError:
        return ""
    return "\n".join(lines[-n:])


def _wait(
    d: Path, what: str, cond: Callable[[], bool], timeout_s: float, watch: tuple[str, ...]
) -> None:
    deadline = time.monotonic() + timeout_s
    while True:
        for name in watch:
            if _pid_of(d, name) is None:
                raise SystemExit(
                    f"{name} exited while waiting for {what}; last log lines:\n{_tail(d, name)}"
                )
        try:
            if cond():
                return
        except (OSError, ValueError, urllib.error.URLError):
            pass
        if time.monotonic() > deadline:
            logs = "\n".join(f"--- {n}\n{_tail(d, n, 15)}" for n in watch)
            raise SystemExit(f"timed out after {timeout_s:.0f}s waiting for {what}\n{logs}")
        time.sleep(0.5)


# ---------------------------------------------------------------- API access


class Api:
    """Minimal HTTPS client for the admin identity (the script needs no Python packages)."""

    def __init__(self, server: str, pki: Path) -> None:
        self.server = server
        self.ctx = ssl.create_default_context(cafile=str(pki / "ca.crt"))
        self.ctx.load_cert_chain(str(pki / "admin.crt"), str(pki / "admin.key"))

    def call(self, method: str, path: str, body: dict[str, Any] | None = None) -> tuple[int, Any]:
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(
            self.server + path,
            data=data,
            method=method,
            headers={"Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(req, context=self.ctx, timeout=10) as resp:
                status, raw = resp.status, resp.read()
        except urllib.error.HTTPError as e:
            status, raw = e.code, e.read()
        try:
            return status, json.loads(raw)
        except ValueError:
            return status, raw.decode(errors="replace")


def fake_node(name: str) -> dict[str, Any]:
    capacity = {"cpu": "32", "memory": "256Gi", "pods": "110", "ephemeral-storage": "1Ti"}
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {
            "name": name,
            "annotations": {FAKE_NODE_ANNOTATION: "fake", "node.alpha.kubernetes.io/ttl": "0"},
            "labels": {
                "kubernetes.io/hostname": name,
                "kubernetes.io/os": "linux",
                "kubernetes.io/arch": "amd64",
                "kubernetes.io/role": "agent",
                "type": "kwok",
            },
        },
        # No kwok taint: ordinary workloads (pymz's StatefulSets) should land here unchanged.
        "spec": {},
        "status": {
            "allocatable": capacity,
            "capacity": capacity,
            "nodeInfo": {
                "architecture": "amd64",
                "operatingSystem": "linux",
                "kubeletVersion": "fake",
                "kubeProxyVersion": "fake",
            },
        },
    }


def _node_ready(api: Api, name: str) -> bool:
    status, node = api.call("GET", f"/api/v1/nodes/{name}")
    if status != 200:
        return False
    return any(
        c.get("type") == "Ready" and c.get("status") == "True"
        for c in node.get("status", {}).get("conditions", [])
    )


# ---------------------------------------------------------------- up / down


def up(d: Path, lay: Layout, nodes: int, timeout_s: float) -> Path:
    d = d.resolve()
    if any(_pid_of(d, n) is not None for n in START_ORDER):
        raise SystemExit(f"a cluster is already running in {d}; run `down {d}` first")
    if (d / "pki").exists():
        raise SystemExit(f"{d} holds an old cluster; use an empty directory")
    for sub in ("logs", "pids"):
        (d / sub).mkdir(parents=True, exist_ok=True)
    start = time.monotonic()
    pki = d / "pki"
    make_pki(pki)
    etcd_client, etcd_peer, api_port = free_ports(3)
    server = f"https://127.0.0.1:{api_port}"
    etcd_url = f"http://127.0.0.1:{etcd_client}"
    peer_url = f"http://127.0.0.1:{etcd_peer}"
    kubeconfig = d / "kubeconfig"
    write_kubeconfig(kubeconfig, server, pki, "admin")
    for comp in ("kube-controller-manager", "kube-scheduler"):
        write_kubeconfig(d / f"{comp}.kubeconfig", server, pki, comp)
    (d / "cluster.json").write_text(
        json.dumps(
            {
                "server": server,
                "kubeconfig": str(kubeconfig),
                "ca_cert": str(pki / "ca.crt"),
                "client_cert": str(pki / "admin.crt"),
                "client_key": str(pki / "admin.key"),
                "etcd": etcd_url,
                "nodes": [f"kwok-node-{i}" for i in range(nodes)],
                "bin_dir": str(lay.bin_dir),
            },
            indent=2,
        )
        + "\n"
    )
    try:
        plan = Plan(d, lay, pki, server, etcd_url, peer_url, api_port, nodes, start + timeout_s)
        _start_all(plan)
    except BaseException:
        down(d)
        raise
    return kubeconfig


@dataclass(frozen=True)
class Plan:
    """Everything the components are started with."""

    d: Path
    lay: Layout
    pki: Path
    server: str
    etcd_url: str
    peer_url: str
    api_port: int
    nodes: int
    deadline: float  # time.monotonic() by which the cluster must be usable


def _start_all(plan: Plan) -> None:
    d, lay, pki, server = plan.d, plan.lay, plan.pki, plan.server
    etcd_url, peer_url, api_port = plan.etcd_url, plan.peer_url, plan.api_port
    start = time.monotonic()

    def remaining() -> float:
        return max(5.0, plan.deadline - time.monotonic())

    _spawn(
        d,
        lay,
        "etcd",
        [
            "--name=default",
            f"--data-dir={d / 'etcd'}",
            f"--listen-client-urls={etcd_url}",
            f"--advertise-client-urls={etcd_url}",
            f"--listen-peer-urls={peer_url}",
            f"--initial-advertise-peer-urls={peer_url}",
            f"--initial-cluster=default={peer_url}",
            # Throwaway data: skip fsync so a busy shared disk does not stall the apiserver.
            "--unsafe-no-fsync=true",
            "--quota-backend-bytes=2147483648",
            "--log-level=warn",
        ],
    )

    def etcd_healthy() -> bool:
        with urllib.request.urlopen(f"{etcd_url}/health", timeout=5) as r:
            return bool(json.loads(r.read()).get("health") == "true")

    _wait(d, "etcd /health", etcd_healthy, remaining(), ("etcd",))
    log(f"etcd is up at {etcd_url}")

    _spawn(
        d,
        lay,
        "kube-apiserver",
        [
            f"--etcd-servers={etcd_url}",
            "--bind-address=127.0.0.1",
            "--advertise-address=127.0.0.1",
            f"--secure-port={api_port}",
            f"--cert-dir={d / 'apiserver-certs'}",
            f"--tls-cert-file={pki / 'apiserver.crt'}",
            f"--tls-private-key-file={pki / 'apiserver.key'}",
            f"--client-ca-file={pki / 'ca.crt'}",
            "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
            f"--service-account-key-file={pki / 'sa.pub'}",
            f"--service-account-signing-key-file={pki / 'sa.key'}",
            f"--service-cluster-ip-range={SERVICE_CIDR}",
            "--authorization-mode=Node,RBAC",
            "--allow-privileged=true",
            # A loopback address may not appear in Endpoints: do not publish the apiserver's own.
            "--endpoint-reconciler-type=none",
            "--profiling=false",
            "--v=1",
        ],
    )
    api = Api(server, pki)

    def readyz() -> bool:
        status, body = api.call("GET", "/readyz")
        return status == 200 and str(body).strip() == "ok"

    _wait(d, "kube-apiserver /readyz", readyz, remaining(), ("etcd", "kube-apiserver"))
    log(f"kube-apiserver is ready at {server}")

    kcm_cfg = str(d / "kube-controller-manager.kubeconfig")
    _spawn(
        d,
        lay,
        "kube-controller-manager",
        [
            f"--kubeconfig={kcm_cfg}",
            f"--authentication-kubeconfig={kcm_cfg}",
            f"--authorization-kubeconfig={kcm_cfg}",
            "--secure-port=0",
            "--leader-elect=false",
            "--controllers=*",
            "--use-service-account-credentials=true",
            f"--service-account-private-key-file={pki / 'sa.key'}",
            f"--root-ca-file={pki / 'ca.crt'}",
            f"--cluster-signing-cert-file={pki / 'ca.crt'}",
            f"--cluster-signing-key-file={pki / 'ca.key'}",
            "--v=1",
        ],
    )
    sched_cfg = str(d / "kube-scheduler.kubeconfig")
    _spawn(
        d,
        lay,
        "kube-scheduler",
        [
            f"--kubeconfig={sched_cfg}",
            f"--authentication-kubeconfig={sched_cfg}",
            f"--authorization-kubeconfig={sched_cfg}",
            "--secure-port=0",
            "--leader-elect=false",
            "--v=1",
        ],
    )
    stages = sorted(lay.stages_dir.glob("*.yaml"))
    kwok_home = d / "kwok-home"  # kwok also reads ~/.kwok/kwok.yaml: keep the user's out
    kwok_home.mkdir(exist_ok=True)
    _spawn(
        d,
        lay,
        "kwok",
        [
            f"--kubeconfig={d / 'kubeconfig'}",
            "--manage-all-nodes=false",
            f"--manage-nodes-with-annotation-selector={FAKE_NODE_ANNOTATION}=fake",
            "--node-lease-duration-seconds=40",
            *[f"--config={s}" for s in stages],
        ],
        env={**os.environ, "HOME": str(kwok_home)},
    )

    names = [f"kwok-node-{i}" for i in range(plan.nodes)]
    for name in names:
        status, body = api.call("POST", "/api/v1/nodes", fake_node(name))
        if status not in (200, 201):
            raise SystemExit(f"creating node {name} failed: HTTP {status}: {body}")
    everyone = START_ORDER
    _wait(
        d,
        f"fake nodes {names} Ready (kwok)",
        lambda: all(_node_ready(api, n) for n in names),
        remaining(),
        everyone,
    )
    _wait(
        d,
        "the default ServiceAccount (kube-controller-manager)",
        lambda: api.call("GET", "/api/v1/namespaces/default/serviceaccounts/default")[0] == 200,
        remaining(),
        everyone,
    )
    log(f"cluster is up in {time.monotonic() - start:.1f}s ({len(names)} fake node(s))")


def down(d: Path, grace_s: float = 15.0) -> None:
    d = d.resolve()
    for name in reversed(START_ORDER):
        pid = _pid_of(d, name)
        if pid is None:
            continue
        try:
            os.killpg(pid, signal.SIGTERM)  # its own session: also reaches any children
        except ProcessLookupError:
            continue
        deadline = time.monotonic() + grace_s
        while _pid_of(d, name) is not None and time.monotonic() < deadline:
            time.sleep(0.1)
        if _pid_of(d, name) is not None:
            log(f"{name} (pid {pid}) ignored SIGTERM; killing it")
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pid, signal.SIGKILL)
    for f in (d / "pids").glob("*") if (d / "pids").is_dir() else ():
        f.unlink()


def main_up(d: Path, lay: Layout, nodes: int, timeout_s: float) -> None:
    kubeconfig = up(d, lay, nodes, timeout_s)
    print(kubeconfig, flush=True)


assert set(START_ORDER) == set(BINARIES)
if __name__ == "__main__":
    sys.exit("use scripts/kube-test-cluster")
