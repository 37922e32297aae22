"""Low-level process handling: spawn, identify (pid + start time), wait for exit, kill.

Exit is detected with a pidfd registered on the event loop, which works for processes that are
not our children (adopted after an environmentd restart) as well as for our own children,
which we then reap with ``waitid(P_PIDFD)`` to learn the exit status.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import psutil

# Start times read from /proc are rounded to clock ticks; compare with some tolerance.
_CREATE_TIME_TOLERANCE = 0.05


@dataclass
class ProcessHandle:
    """A running process, identified by pid *and* start time so a recycled pid is never
    mistaken for ours. ``popen`` is set for processes this instance spawned."""

    pid: int
    create_time: float
    popen: subprocess.Popen[bytes] | None = None

    def alive(self) -> bool:
        return is_same_process(self.pid, self.create_time)


def is_same_process(pid: int, create_time: float) -> bool:
    """Whether ``pid`` is alive (not a zombie) and started at ``create_time``."""
    try:
        proc = psutil.Process(pid)
        if abs(proc.create_time() - create_time) > _CREATE_TIME_TOLERANCE:
            return False
        return proc.status() != psutil.STATUS_ZOMBIE
    except (psutil.NoSuchProcess, psutil.AccessDenied):
        return False


def spawn(argv: Sequence[str], cwd: Path, env: Mapping[str, str], log_path: Path) -> ProcessHandle:
    """Start ``argv`` in a new session (so it outlives us) with output appended to ``log_path``."""
    with open(log_path, "ab") as log:
        popen = subprocess.Popen(
            list(argv),
            cwd=cwd,
            env=dict(env),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        create_time = psutil.Process(popen.pid).create_time()
    except psutil.NoSuchProcess:
        # Exited already; it is a zombie until reaped, so this only happens if reaped elsewhere.
        create_time = 0.0
    return ProcessHandle(popen.pid, create_time, popen)


def describe_exit(si_code: int, si_status: int) -> str:
    if si_code == os.CLD_EXITED:
        return f"exited with code {si_status}"
    return f"killed by signal {si_status}"


def _reap(handle: ProcessHandle, pidfd: int | None) -> str:
    """Collect the exit status if the process is our child; otherwise we cannot know it."""
    result = None
    try:
        if pidfd is not None:
            result = os.waitid(os.P_PIDFD, pidfd, os.WEXITED | os.WNOHANG)
        else:
            result = os.waitid(os.P_PID, handle.pid, os.WEXITED | os.WNOHANG)
    except ChildProcessError:
        result = None
    if result is None:
        if handle.popen is not None and handle.popen.returncode is not None:
            rc = handle.popen.returncode
            return f"exited with code {rc}" if rc >= 0 else f"killed by signal {-rc}"
        return "exited"
    if handle.popen is not None:
        # Tell Popen the child is reaped so it never waits on a possibly recycled pid.
        handle.popen.returncode = (
            result.si_status if result.si_code == os.CLD_EXITED else -result.si_status
        )
    return describe_exit(result.si_code, result.si_status)


async def wait_exit(handle: ProcessHandle) -> str:
    """Wait until the process exits; return a human-readable reason."""
    if handle.popen is not None and handle.popen.returncode is not None:
        return _reap(handle, None)
    try:
        pidfd = os.pidfd_open(handle.pid)
    except ProcessLookupError:
        return _reap(handle, None)
    try:
        # Close the race between checking identity and opening the pidfd.
        if handle.popen is None and not handle.alive():
            return _reap(handle, pidfd)
        loop = asyncio.get_running_loop()
        exited: asyncio.Future[None] = loop.create_future()

        def on_readable() -> None:
            if not exited.done():
                exited.set_result(None)

        loop.add_reader(pidfd, on_readable)
        try:
            await exited
        finally:
            loop.remove_reader(pidfd)
        return _reap(handle, pidfd)
    finally:
        os.close(pidfd)


def send_signal(handle: ProcessHandle, sig: signal.Signals) -> None:
    """Signal the process's group (it leads its own session) if it is still ours."""
    if handle.popen is None and not handle.alive():
        return
    if handle.popen is not None and handle.popen.returncode is not None:
        return
    with contextlib.suppress(ProcessLookupError, PermissionError):
        if os.getpgid(handle.pid) == handle.pid:
            os.killpg(handle.pid, sig)
        else:
            os.kill(handle.pid, sig)


async def terminate(handle: ProcessHandle, grace: float) -> None:
    """SIGTERM, wait up to ``grace`` seconds, then SIGKILL; returns once it has exited."""
    if handle.popen is None and not handle.alive():
        return
    send_signal(handle, signal.SIGTERM)
    try:
        await asyncio.wait_for(wait_exit(handle), grace)
    except TimeoutError:
        send_signal(handle, signal.SIGKILL)
        await wait_exit(handle)
