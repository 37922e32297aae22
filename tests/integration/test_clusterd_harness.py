"""Starts real ``clusterd`` processes on ephemeral ports for the clusterd/controller tests.

(Named ``test_*`` only so it sits among the files this suite owns; it holds no tests.)
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import grpc

CLUSTERD = str(Path(sys.executable).parent / "clusterd")
T = TypeVar("T")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def eventually(
    predicate: Callable[[], T], within: float = 30.0, what: str = "condition"
) -> T:
    """Poll ``predicate`` (without blocking the loop for long) until truthy or time out."""
    deadline = time.monotonic() + within
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {within}s waiting for {what}")
        await asyncio.sleep(0.05)


@dataclass
class Clusterd:
    """One clusterd process; ``restart`` reuses its ports (like a rescheduled pod)."""

    log_path: Path
    process: int = 0
    timely_peers: Sequence[str] = ()
    extra_args: Sequence[str] = ()
    storage_port: int = field(default_factory=free_port)
    compute_port: int = field(default_factory=free_port)
    http_port: int = field(default_factory=free_port)
    timely_port: int = field(default_factory=free_port)
    proc: subprocess.Popen[bytes] | None = None

    @property
    def compute_addr(self) -> str:
        return f"127.0.0.1:{self.compute_port}"

    @property
    def storage_addr(self) -> str:
        return f"127.0.0.1:{self.storage_port}"

    @property
    def timely_addr(self) -> str:
        return f"127.0.0.1:{self.timely_port}"

    def start(self) -> None:
        args = [
            CLUSTERD,
            f"--storagectl-listen-addr={self.storage_addr}",
            f"--computectl-listen-addr={self.compute_addr}",
            f"--internal-http-listen-addr=127.0.0.1:{self.http_port}",
            f"--timely-listen-addr={self.timely_addr}",
            "--workers=1",
            "--environment-id=test",
        ]
        for peer in self.timely_peers:
            args.append(f"--timely-peer={peer}")
        args.extend(self.extra_args)
        env = {**os.environ, "PYMZ_PROCESS_INDEX": str(self.process)}
        log = self.log_path.open("ab")
        self.proc = subprocess.Popen(args, stdout=log, stderr=log, env=env)
        log.close()
        self.wait_ready()

    def wait_ready(self, timeout: float = 30.0) -> None:
        """Ready = both gRPC ports complete an HTTP/2 handshake (and the process lives)."""
        deadline = time.monotonic() + timeout
        for addr in (self.compute_addr, self.storage_addr):
            with grpc.insecure_channel(addr) as ch:
                while True:
                    assert self.proc is not None and self.proc.poll() is None, self.logs()
                    try:
                        grpc.channel_ready_future(ch).result(timeout=0.5)
                        break
                    except grpc.FutureTimeoutError:
                        if time.monotonic() > deadline:
                            raise AssertionError(f"clusterd not ready: {self.logs()}") from None

    def introspect(self) -> dict[str, Any]:
        url = f"http://127.0.0.1:{self.http_port}/api/introspection"
        with urllib.request.urlopen(url, timeout=5) as r:
            data: dict[str, Any] = json.loads(r.read())
            return data

    def http_get(self, path: str) -> str:
        with urllib.request.urlopen(f"http://127.0.0.1:{self.http_port}{path}", timeout=5) as r:
            return str(r.read().decode())

    def signal(self, sig: int) -> None:
        assert self.proc is not None
        self.proc.send_signal(sig)

    def kill9(self) -> None:
        assert self.proc is not None
        self.proc.kill()
        self.proc.wait(timeout=10)

    def restart(self) -> None:
        self.start()

    def stop(self) -> int | None:
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            # A stopped process ignores SIGTERM until continued.
            self.proc.send_signal(signal.SIGCONT)
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode

    def logs(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-4000:]
        except OSError:
            return ""
