"""What the process orchestrator persists per service, so a restarted environmentd can re-adopt.

Layout: ``{run_directory}/{namespace}-{id}/service.json`` plus, per process,
``{namespace}-{id}/{index}/pid`` ("<pid> <start time>") and ``{index}/log``.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import socket
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

STATE_FILE = "service.json"
PID_FILE = "pid"
LOG_FILE = "log"


@dataclass
class ProcessRecord:
    """One process of a service: its ports, evaluated argv, and config fingerprint."""

    ports: dict[str, int]
    argv: list[str]
    fingerprint: str


@dataclass
class ServiceState:
    namespace: str
    id: str
    image: str
    labels: dict[str, str]
    annotations: dict[str, str]
    processes: list[ProcessRecord] = field(default_factory=list)

    @property
    def scale(self) -> int:
        return len(self.processes)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["scale"] = self.scale
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ServiceState:
        return cls(
            namespace=str(data["namespace"]),
            id=str(data["id"]),
            image=str(data["image"]),
            labels={str(k): str(v) for k, v in data.get("labels", {}).items()},
            annotations={str(k): str(v) for k, v in data.get("annotations", {}).items()},
            processes=[
                ProcessRecord(
                    ports={str(k): int(v) for k, v in p["ports"].items()},
                    argv=[str(a) for a in p["argv"]],
                    fingerprint=str(p["fingerprint"]),
                )
                for p in data.get("processes", [])
            ],
        )


def fingerprint(fields: dict[str, Any]) -> str:
    """A stable hash of everything that, when changed, requires a process restart."""
    encoded = json.dumps(fields, sort_keys=True, separators=(",", ":")).encode()
    return hashlib.sha256(encoded).hexdigest()


def _write_atomically(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def write_state(service_dir: Path, state: ServiceState) -> None:
    service_dir.mkdir(parents=True, exist_ok=True)
    _write_atomically(service_dir / STATE_FILE, json.dumps(state.to_json(), indent=2))


def read_state(service_dir: Path) -> ServiceState | None:
    """The persisted state, or None if absent or unreadable (e.g. a torn first write)."""
    try:
        data = json.loads((service_dir / STATE_FILE).read_text())
        return ServiceState.from_json(data)
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


def write_pid_file(process_dir: Path, pid: int, create_time: float) -> None:
    _write_atomically(process_dir / PID_FILE, f"{pid} {create_time!r}\n")


def read_pid_file(process_dir: Path) -> tuple[int, float] | None:
    try:
        pid_text, time_text = (process_dir / PID_FILE).read_text().split()
        return int(pid_text), float(time_text)
    except (OSError, ValueError):
        return None


def remove_pid_file(process_dir: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        (process_dir / PID_FILE).unlink()


def free_port(host: str) -> int:
    """A currently free TCP port on ``host`` (the kernel picks one when binding port 0)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port
