"""Build (or reuse) the binaries of the throwaway test cluster from the Go module proxy.

The versions are pinned by two wrapper Go modules beside this file:

* ``k8s/``  - kube-apiserver, kube-controller-manager, kube-scheduler (k8s.io/kubernetes,
  with every staging module replaced by its published v0.X.Y twin) and etcd (etcd's own
  ``etcdmain`` entry point from go.etcd.io/etcd/server/v3).
* ``kwok/`` - kwok (fake nodes; its Stage objects make pods Running/Ready).

Binaries are cached outside the repo in ``$PYMZ_CACHE_DIR/kube/<k8s-version>-<digest>/bin``
(default ``~/.cache/pymz``); the digest covers the wrapper modules, so editing a pin
rebuilds while an unchanged tree reuses the cache at once. GOMODCACHE and GOCACHE live under
``$PYMZ_CACHE_DIR/kube`` too, so a rerun after a pin bump only recompiles what changed.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import re
import shutil
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
K8S_MODULE = HERE / "k8s"
KWOK_MODULE = HERE / "kwok"

K8S_PACKAGES = (
    "k8s.io/kubernetes/cmd/kube-apiserver",
    "k8s.io/kubernetes/cmd/kube-controller-manager",
    "k8s.io/kubernetes/cmd/kube-scheduler",
    "./cmd/etcd",
)
KWOK_PACKAGES = ("sigs.k8s.io/kwok/cmd/kwok",)
BINARIES = ("etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler", "kwok")

# kwok ships no stages inside its binary (kwokctl passes them in); these are its "fast"
# pod stages and node init + lease heartbeat, copied from the pinned kwok module.
KWOK_STAGE_FILES = (
    "kustomize/stage/node/fast/node-initialize.yaml",
    "kustomize/stage/node/heartbeat-with-lease/node-heartbeat-with-lease.yaml",
    "kustomize/stage/pod/fast/pod-ready.yaml",
    "kustomize/stage/pod/fast/pod-complete.yaml",
    "kustomize/stage/pod/fast/pod-delete.yaml",
)
COMPLETE_STAMP = ".complete"


def log(msg: str) -> None:
    print(f"kube-test-cluster: {msg}", file=sys.stderr, flush=True)


def cache_root() -> Path:
    base = os.environ.get("PYMZ_CACHE_DIR") or str(Path.home() / ".cache" / "pymz")
    return Path(base) / "kube"


def _module_version(gomod: Path, module: str) -> str:
    match = re.search(rf"^\s*(?:require\s+)?{re.escape(module)}\s+(v\S+)", gomod.read_text(), re.M)
    if match is None:
        raise SystemExit(f"{gomod}: no pinned version of {module}")
    return match.group(1)


def k8s_version() -> str:
    return _module_version(K8S_MODULE / "go.mod", "k8s.io/kubernetes")


def kwok_version() -> str:
    return _module_version(KWOK_MODULE / "go.mod", "sigs.k8s.io/kwok")


def _digest() -> str:
    h = hashlib.sha256()
    # The build recipe is part of the key too: a flag change must not reuse old binaries.
    recipe = (
        K8S_PACKAGES,
        KWOK_PACKAGES,
        KWOK_STAGE_FILES,
        k8s_ldflags(k8s_version()),
        kwok_ldflags(kwok_version()),
        sorted(go_env_overrides().items()),
    )
    h.update(repr(recipe).encode())
    for path in sorted([*K8S_MODULE.rglob("*"), *KWOK_MODULE.rglob("*")]):
        if path.is_file():
            h.update(str(path.relative_to(HERE)).encode())
            h.update(path.read_bytes())
    return h.hexdigest()[:10]


@dataclass(frozen=True)
class Layout:
    """Where one pinned set of binaries lives in the cache."""

    root: Path

    @property
    def bin_dir(self) -> Path:
        return self.root / "bin"

    @property
    def stages_dir(self) -> Path:
        return self.root / "kwok-stages"

    def is_complete(self) -> bool:
        return (self.root / COMPLETE_STAMP).is_file() and all(
            (self.bin_dir / name).is_file() for name in BINARIES
        )


def layout() -> Layout:
    return Layout(cache_root() / f"{k8s_version()}-{_digest()}")


def find_go() -> str:
    found = shutil.which("go")
    if found:
        return found
    for candidate in ("/usr/local/go/bin/go", "/usr/lib/go/bin/go"):
        if os.access(candidate, os.X_OK):
            return candidate
    raise SystemExit("kube-test-cluster: no `go` toolchain on PATH or in /usr/local/go/bin")


def go_env_overrides() -> dict[str, str]:
    return {
        # The pinned go.sum must be complete; never rewrite it or fetch a toolchain.
        "GOFLAGS": "-mod=readonly -buildvcs=false",
        "GOTOOLCHAIN": "local",
        "CGO_ENABLED": "0",
    }


def go_env() -> dict[str, str]:
    root = cache_root()
    env = dict(os.environ)
    env.update(GOMODCACHE=str(root / "gomod"), GOCACHE=str(root / "gocache"))
    env.update(go_env_overrides())
    return env


def k8s_ldflags(version: str) -> str:
    # What kubernetes' hack/lib/version.sh stamps; without it the apiserver reports
    # v0.0.0-master to clients (the feature-gate binary version is compiled in regardless).
    major, minor = version.lstrip("v").split(".")[:2]
    stamp = {"gitVersion": version, "gitMajor": major, "gitMinor": minor, "gitTreeState": "clean"}
    xs = [
        f"-X k8s.io/{pkg}.{k}={v}"
        for pkg in ("component-base/version", "client-go/pkg/version")
        for k, v in stamp.items()
    ]
    return " ".join(["-s", "-w", *xs])


def kwok_ldflags(version: str) -> str:
    return f"-s -w -X sigs.k8s.io/kwok/pkg/consts.Version={version.lstrip('v')}"


def _run_go_build(
    go: str, module: Path, packages: tuple[str, ...], *, ldflags: str, out: Path, label: str
) -> None:
    cmd = [go, "build", "-v", "-trimpath", f"-ldflags={ldflags}", "-o", f"{out}/", *packages]
    start = time.monotonic()
    proc = subprocess.Popen(
        cmd, cwd=module, env=go_env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    assert proc.stdout is not None
    lines: list[str] = []
    done = threading.Event()

    def report() -> None:
        # `go build -v` names each package as it compiles it: a cheap progress meter.
        while not done.wait(30.0):
            log(f"{label}: {len(lines)} packages compiled, {time.monotonic() - start:.0f}s")

    threading.Thread(target=report, daemon=True).start()
    for line in proc.stdout:
        lines.append(line.rstrip("\n"))
    rc = proc.wait()
    done.set()
    if rc != 0:
        sys.stderr.write("\n".join(lines[-60:]) + "\n")
        raise SystemExit(f"kube-test-cluster: go build of {label} failed (exit {rc})")
    log(f"{label}: built in {time.monotonic() - start:.0f}s ({len(lines)} packages compiled)")


def _module_dir(go: str, module: Path, path: str) -> Path:
    out = subprocess.run(
        [go, "list", "-m", "-f", "{{.Dir}}", path],
        cwd=module,
        env=go_env(),
        check=True,
        capture_output=True,
        text=True,
    )
    return Path(out.stdout.strip())


def build() -> Layout:
    """Return the cached layout, building it first when it is missing or incomplete."""
    lay = layout()
    if lay.is_complete():
        return lay
    lay.root.parent.mkdir(parents=True, exist_ok=True)
    # Concurrent test sessions on one machine: one builds, the others wait and reuse it.
    with open(lay.root.with_name(lay.root.name + ".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not lay.is_complete():
            _build_locked(lay)
    return lay


def _build_locked(lay: Layout) -> None:
    go = find_go()
    log(f"building Kubernetes {k8s_version()}, etcd and kwok {kwok_version()} into {lay.root}")
    log("a cold build compiles ~3,200 Go packages: about 6 minutes on 2 idle cores")
    start = time.monotonic()
    staging = lay.root.with_name(lay.root.name + ".tmp")
    shutil.rmtree(staging, ignore_errors=True)
    (staging / "bin").mkdir(parents=True)
    bin_dir = staging / "bin"
    _run_go_build(
        go,
        K8S_MODULE,
        K8S_PACKAGES,
        ldflags=k8s_ldflags(k8s_version()),
        out=bin_dir,
        label="kubernetes+etcd",
    )
    _run_go_build(
        go,
        KWOK_MODULE,
        KWOK_PACKAGES,
        ldflags=kwok_ldflags(kwok_version()),
        out=bin_dir,
        label="kwok",
    )
    kwok_dir = _module_dir(go, KWOK_MODULE, "sigs.k8s.io/kwok")
    (staging / "kwok-stages").mkdir()
    for rel in KWOK_STAGE_FILES:
        shutil.copyfile(kwok_dir / rel, staging / "kwok-stages" / Path(rel).name)
    (staging / COMPLETE_STAMP).write_text(f"{k8s_version()} kwok {kwok_version()}\n")
    shutil.rmtree(lay.root, ignore_errors=True)
    staging.rename(lay.root)
    log(f"build finished in {time.monotonic() - start:.0f}s")
