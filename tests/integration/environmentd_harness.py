"""Runs a real environmentd (and, through it, real clusterd processes) for tests.

Ports are ephemeral (``:0``); readiness is environmentd's listen file plus ``/api/readyz``.
Teardown stops environmentd and kills every replica process recorded in its run directory,
since replicas deliberately outlive environmentd (for re-adoption).
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, TypeVar

import psutil
import psycopg

BIN = Path(sys.executable).parent
T = TypeVar("T")


def wait_until(predicate: Callable[[], T | None], timeout: float = 30.0, interval: float = 0.05,
               what: str = "condition") -> T:
    """Poll ``predicate`` until it returns something truthy; fail after ``timeout``."""
    deadline = time.monotonic() + timeout
    last_error: BaseException | None = None
    while True:
        try:
            value = predicate()
            if value:
                return value
        except Exception as e:  # the condition may raise while the system converges
            last_error = e
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out waiting for {what}"
                               + (f" (last error: {last_error!r})" if last_error else ""))
        time.sleep(interval)


class Environmentd:
    def __init__(self, data_dir: Path, extra_args: Sequence[str] = ()) -> None:
        self.data_dir = data_dir
        self.extra_args = list(extra_args)
        self.proc: subprocess.Popen[bytes] | None = None
        self.sql_port = 0
        self.http_port = 0
        self.log_path = data_dir.parent / f"{data_dir.name}-environmentd.log"

    # --- lifecycle -----------------------------------------------------------------
    def start(self, timeout: float = 60.0) -> Environmentd:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        listen = self.data_dir / "environmentd.listen.json"
        listen.unlink(missing_ok=True)
        log = self.log_path.open("ab")
        self.proc = subprocess.Popen(
            [str(BIN / "environmentd"), f"--data-directory={self.data_dir}",
             "--sql-listen-addr=127.0.0.1:0", "--http-listen-addr=127.0.0.1:0",
             "--internal-sql-listen-addr=", "--internal-http-listen-addr=",
             *self.extra_args],
            stdout=log, stderr=log, stdin=subprocess.DEVNULL,
        )
        proc = self.proc

        def listening() -> dict[str, int] | None:
            if proc.poll() is not None:
                raise RuntimeError(f"environmentd exited with {proc.returncode}:\n"
                                   + self.log_path.read_text()[-3000:])
            data: dict[str, int] = json.loads(listen.read_text())
            return data if data.get("pid") == proc.pid else None

        ports: dict[str, int] = wait_until(listening, timeout, what="environmentd to listen")
        self.sql_port, self.http_port = ports["sql"], ports["http"]
        wait_until(lambda: self.http_get("/api/readyz")[0] == 200, timeout,
                   what="environmentd readiness")
        return self

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 30.0) -> None:
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            self.proc.wait(timeout)
        self.proc = None

    def kill(self) -> None:
        self.stop(signal.SIGKILL)

    def restart(self) -> Environmentd:
        self.stop()
        return self.start()

    def cleanup(self) -> None:
        self.kill() if self.proc is not None else None
        for pid in self.replica_pids():
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)

    # --- replica processes -----------------------------------------------------------
    def replica_pid_files(self) -> list[Path]:
        return sorted((self.data_dir / "run").glob("cluster-*/*/pid"))

    def replica_pids(self) -> list[int]:
        pids = []
        for path in self.replica_pid_files():
            with contextlib.suppress(OSError, ValueError, IndexError):
                pid = int(path.read_text().split()[0])
                if psutil.pid_exists(pid) and psutil.Process(pid).status() != "zombie":
                    pids.append(pid)
        return pids

    def clusterd_processes(self) -> list[psutil.Process]:
        """Live clusterd processes started from this environment's run directory."""
        procs = []
        run_dir = str(self.data_dir / "run")
        for proc in psutil.process_iter(["cmdline", "cwd", "status"]):
            with contextlib.suppress(psutil.Error):
                cmd = proc.info["cmdline"] or []
                if (any(part.endswith("clusterd") for part in cmd[:2])
                        and (proc.info["cwd"] or "").startswith(run_dir)
                        and proc.info["status"] != psutil.STATUS_ZOMBIE):
                    procs.append(proc)
        return procs

    # --- clients ---------------------------------------------------------------------
    def url(self, user: str = "materialize", database: str = "materialize") -> str:
        return f"postgresql://{user}@127.0.0.1:{self.sql_port}/{database}"

    def connect(self, **kwargs: Any) -> psycopg.Connection[tuple[Any, ...]]:
        return psycopg.connect(self.url(), autocommit=True, **kwargs)

    def sql(self, query: str, params: Sequence[object] | None = None) -> list[tuple[Any, ...]]:
        with self.connect() as conn, conn.cursor() as cur:
            cur.execute(query.encode(), params)
            return cur.fetchall() if cur.description is not None else []

    def psql(self, *args: str, input: str | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["psql", "-X", "-h", "127.0.0.1", "-p", str(self.sql_port), "-U", "materialize",
             "materialize", *args],
            input=input, capture_output=True, text=True, timeout=60, check=False,
            env={**os.environ, "PGCONNECT_TIMEOUT": "10"},
        )

    def http_get(self, path: str) -> tuple[int, str]:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.http_port}{path}",
                                        timeout=10) as resp:
                return resp.status, resp.read().decode()
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode()


@contextlib.contextmanager
def running_environmentd(data_dir: Path, extra_args: Sequence[str] = ()) -> Iterator[Environmentd]:
    env = Environmentd(data_dir, extra_args)
    try:
        yield env.start()
    finally:
        env.cleanup()
