"""Helpers for fixtures that run a project script which starts a real server and prints how
to reach it on its first stdout line (scripts/test-postgres, scripts/test-s3)."""

from __future__ import annotations

import queue
import subprocess
import threading


def read_first_line(proc: subprocess.Popen[str], timeout_s: float) -> str:
    """The script's first stdout line, or "" if none came within ``timeout_s``."""
    assert proc.stdout is not None
    stdout = proc.stdout
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: lines.put(stdout.readline()), daemon=True).start()
    try:
        return lines.get(timeout=timeout_s).strip()
    except queue.Empty:
        return ""
