"""Start the servers a benchmark compares: pymz's environmentd and a real PostgreSQL."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def _wait(predicate: object, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(Exception):
            if predicate():  # type: ignore[operator]
                return
        time.sleep(0.05)
    raise TimeoutError(what)


@contextlib.contextmanager
def environmentd(extra_args: list[str] | None = None) -> Iterator[str]:
    """Yield a connection URL of a fresh environmentd (with its own clusterd)."""
    with tempfile.TemporaryDirectory(prefix="pymz-bench-") as tmp:
        data = Path(tmp) / "mzdata"
        log = open(Path(tmp) / "environmentd.log", "wb")  # noqa: SIM115
        proc = subprocess.Popen(
            [str(BIN / "environmentd"), f"--data-directory={data}",
             "--sql-listen-addr=127.0.0.1:0", "--http-listen-addr=127.0.0.1:0",
             "--internal-sql-listen-addr=", "--internal-http-listen-addr=",
             "--log-level=warning", *(extra_args or [])],
            stdout=log, stderr=log)
        try:
            listen = data / "environmentd.listen.json"
            _wait(lambda: json.loads(listen.read_text())["pid"] == proc.pid, 60, "listen")
            ports = json.loads(listen.read_text())
            _wait(lambda: urllib.request.urlopen(
                f"http://127.0.0.1:{ports['http']}/api/readyz").status == 200, 60, "ready")
            yield f"postgresql://materialize@127.0.0.1:{ports['sql']}/materialize"
        finally:
            proc.terminate()
            proc.wait(30)
            for pid_file in (data / "run").glob("*/*/pid"):
                with contextlib.suppress(Exception):
                    os.kill(int(pid_file.read_text().split()[0]), 9)


@contextlib.contextmanager
def postgres() -> Iterator[str]:
    """Yield a URL of a throwaway PostgreSQL (Debian's package) with fsync on."""
    proc = subprocess.Popen([str(ROOT / "scripts" / "test-postgres")], stdout=subprocess.PIPE,
                            text=True, env={**os.environ, "PYMZ_PG_FSYNC": "on"})
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().strip()
        if not url:
            raise RuntimeError("scripts/test-postgres printed no URL")
        yield url
    finally:
        proc.terminate()
        proc.wait(60)
