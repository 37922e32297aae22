"""Supervision of one process of a service: start (or adopt), probe, report, restart.

A supervisor owns at most one live process at a time. It reports ``offline`` until the process
is alive and every named port accepts a TCP connection, then ``online``; when the process
exits it reports ``offline(<reason>)`` and starts a new one after an exponential back-off.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import psutil

from pymz.orchestrator.types import ServiceProcessMetrics, ServiceStatus
from pymz.orchestrator_process import procs, state
from pymz.orchestrator_process.config import ProcessOrchestratorConfig

logger = logging.getLogger(__name__)

StatusCallback = Callable[[int, ServiceStatus], None]


class ProcessSupervisor:
    def __init__(
        self,
        *,
        config: ProcessOrchestratorConfig,
        index: int,
        argv: Sequence[str],
        env: Mapping[str, str],
        process_dir: Path,
        ports: Mapping[str, int],
        fingerprint: str,
        on_status: StatusCallback,
        adopted: procs.ProcessHandle | None = None,
    ) -> None:
        self.config = config
        self.index = index
        self.argv = list(argv)
        self.env = dict(env)
        self.process_dir = process_dir
        self.ports = dict(ports)
        self.fingerprint = fingerprint
        self._on_status = on_status
        self._adopted = adopted
        self.handle: procs.ProcessHandle | None = None
        self._task: asyncio.Task[None] | None = None
        self._cpu_sample: tuple[int, float, float] | None = None  # (pid, cpu seconds, wall)

    def start(self) -> None:
        """Start (or adopt) the process now, so its pid file exists when ``start`` returns."""
        if self._adopted is None:
            try:
                self._adopted = self._spawn()
            except OSError as e:
                # Reported and retried by the supervision loop.
                logger.warning("cannot start %s: %s", self.argv, e)
        self.handle = self._adopted
        self._task = asyncio.get_running_loop().create_task(
            self._run(), name=f"supervise {self.process_dir}"
        )

    async def _cancel(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def detach(self) -> None:
        """Stop supervising; the process keeps running (to be re-adopted later)."""
        await self._cancel()
        for handle in (self.handle, self._adopted):
            if handle is not None and handle.popen is not None and handle.popen.returncode is None:
                # Stop the stdlib from reaping this pid later behind the back of whoever
                # re-adopts it (and possibly after the pid was recycled): mark it as done.
                handle.popen.returncode = 0
        self.handle = self._adopted = None

    async def stop(self) -> None:
        """Stop supervising and terminate the process (SIGTERM, then SIGKILL)."""
        await self._cancel()
        # The loop may have been cancelled before it took over the initial process.
        handle = self.handle or self._adopted
        self.handle = self._adopted = None
        if handle is not None:
            await procs.terminate(handle, self.config.termination_grace)
        state.remove_pid_file(self.process_dir)

    def _report(self, status: ServiceStatus) -> None:
        self._on_status(self.index, status)

    async def _run(self) -> None:
        backoff = self.config.restart_backoff_initial
        adopted, self._adopted = self._adopted, None
        while True:
            started = time.monotonic()
            if adopted is not None:
                handle, adopted = adopted, None
            else:
                try:
                    handle = self._spawn()
                except OSError as e:
                    logger.warning("cannot start %s: %s", self.argv, e)
                    self._report(ServiceStatus.make_offline(f"failed to start: {e}"))
                    await asyncio.sleep(backoff)
                    backoff = min(backoff * 2, self.config.restart_backoff_max)
                    continue
            self.handle = handle
            probe = asyncio.get_running_loop().create_task(self._probe_until_online(handle))
            try:
                reason = await procs.wait_exit(handle)
            finally:
                probe.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await probe
            self.handle = None
            state.remove_pid_file(self.process_dir)
            logger.info("process %s %s", self.process_dir, reason)
            self._report(ServiceStatus.make_offline(reason))
            if time.monotonic() - started >= self.config.restart_backoff_reset:
                backoff = self.config.restart_backoff_initial
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, self.config.restart_backoff_max)

    def _spawn(self) -> procs.ProcessHandle:
        self.process_dir.mkdir(parents=True, exist_ok=True)
        handle = procs.spawn(
            self.argv, self.process_dir, self.env, self.process_dir / state.LOG_FILE
        )
        state.write_pid_file(self.process_dir, handle.pid, handle.create_time)
        return handle

    async def _probe_until_online(self, handle: procs.ProcessHandle) -> None:
        """Report online once every named port accepts a connection (polling while starting)."""
        pending = set(self.ports.values())
        while pending:
            for port in sorted(pending):
                if await self._accepts(port):
                    pending.discard(port)
            if pending:
                await asyncio.sleep(self.config.probe_interval)
        if self.handle is handle:
            self._report(ServiceStatus.make_online())

    async def _accepts(self, port: int) -> bool:
        try:
            _, writer = await asyncio.wait_for(
                asyncio.open_connection(self.config.listen_host, port), timeout=1.0
            )
        except (OSError, TimeoutError):
            return False
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()
        return True

    def sample_cpu(self) -> None:
        """Record a cpu-time sample so the next ``metrics()`` can compute a rate."""
        handle = self.handle
        if handle is None:
            self._cpu_sample = None
            return
        try:
            times = psutil.Process(handle.pid).cpu_times()
        except psutil.Error:
            self._cpu_sample = None
            return
        self._cpu_sample = (handle.pid, times.user + times.system, time.monotonic())

    def has_cpu_sample(self) -> bool:
        handle = self.handle
        return (
            handle is not None
            and self._cpu_sample is not None
            and self._cpu_sample[0] == handle.pid
        )

    def metrics(self) -> ServiceProcessMetrics:
        """cpu (nano cores, since the previous sample) and RSS; None while the process is down."""
        handle = self.handle
        if handle is None or not handle.alive():
            return ServiceProcessMetrics(None, None)
        try:
            proc = psutil.Process(handle.pid)
            times = proc.cpu_times()
            rss = proc.memory_info().rss
        except psutil.Error:
            return ServiceProcessMetrics(None, None)
        now = time.monotonic()
        cpu_seconds = times.user + times.system
        cpu: int | None = None
        previous = self._cpu_sample
        if previous is not None and previous[0] == handle.pid and now > previous[2]:
            cpu = max(0, int((cpu_seconds - previous[1]) / (now - previous[2]) * 1e9))
        self._cpu_sample = (handle.pid, cpu_seconds, now)
        return ServiceProcessMetrics(cpu, int(rss))


def now_utc() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)
