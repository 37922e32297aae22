"""Re-adoption of live processes by a new ProcessOrchestrator over the same run directory."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import psutil
import pytest

from pymz.orchestrator.testing import (
    EventRecorder,
    echo_args,
    reachable,
    wait_until,
    whoami_all,
)
from pymz.orchestrator.types import ServiceConfig, ServiceEvent, ServicePort
from pymz.orchestrator_process import ProcessOrchestrator, ProcessOrchestratorConfig
from pymz.orchestrator_process.procs import is_same_process
from pymz.orchestrator_process.state import read_pid_file, write_pid_file

pytestmark = pytest.mark.integration

ECHO_SERVICE = Path(__file__).resolve().parent / "fixtures" / "echo_service.py"
PORTS = (ServicePort("ctl", 2100), ServicePort("http", 6878))


def make_config(run_directory: Path) -> ProcessOrchestratorConfig:
    return ProcessOrchestratorConfig(
        run_directory=run_directory,
        image_commands={"echo": [sys.executable, str(ECHO_SERVICE)]},
        restart_backoff_initial=0.1,
        restart_backoff_max=1.0,
    )


def echo_config(scale: int = 2, **overrides: Any) -> ServiceConfig:
    return ServiceConfig(image="echo", args=echo_args, ports=PORTS, scale=scale, **overrides)


@pytest.fixture
async def run_dir(tmp_path: Path) -> AsyncIterator[Path]:
    """A run directory whose services are all dropped (processes killed) at the end."""
    run = tmp_path / "run"
    yield run
    cleaner = ProcessOrchestrator(make_config(run))
    ns = cleaner.namespace("cluster")
    for id in await ns.list_services():
        await ns.drop_service(id)


def _online(id: str, index: int) -> Any:
    def check(e: ServiceEvent) -> bool:
        return e.service_id == id and e.process_id == index and e.status.online

    return check


async def _start(run: Path, scale: int = 2) -> tuple[ProcessOrchestrator, list[dict[str, Any]]]:
    orchestrator = ProcessOrchestrator(make_config(run))
    service = await orchestrator.namespace("cluster").ensure_service("u1", echo_config(scale))
    addresses = service.addresses("ctl")
    await wait_until(lambda: reachable(addresses), what="service reachable")
    return orchestrator, await whoami_all(addresses)


async def test_new_instance_readopts_live_processes(run_dir: Path) -> None:
    first, before = await _start(run_dir)
    await first.detach()
    for answer in before:
        assert psutil.pid_exists(answer["pid"]), "detach must not kill processes"

    second = ProcessOrchestrator(make_config(run_dir))
    ns = second.namespace("cluster")
    assert await ns.list_services() == ["u1"]
    recorder = EventRecorder(ns)
    try:
        service = await ns.ensure_service("u1", echo_config())
        await recorder.wait_for(_online("u1", 0))
        await recorder.wait_for(_online("u1", 1))
        after = await whoami_all(service.addresses("ctl"))
        assert after == before  # same pids, same incarnations, same ports

        # An adopted process that is killed is restarted like any other.
        mark = len(recorder.events)
        os.kill(before[0]["pid"], signal.SIGKILL)
        down = await recorder.wait_for(
            lambda e: e.process_id == 0 and not e.status.online, after=mark
        )
        await recorder.wait_for(_online("u1", 0), after=down + 1)
        restarted = await whoami_all(service.addresses("ctl"))
        assert restarted[0]["incarnation"] != before[0]["incarnation"]
        assert restarted[1] == before[1]
    finally:
        await recorder.close()


async def test_readoption_after_environmentd_dies(run_dir: Path) -> None:
    """The orchestrating process exits abruptly; its children live on and are re-adopted."""
    script = f"""
import asyncio, json, os, sys
sys.path.insert(0, {str(Path(__file__).parent)!r})
from test_orchestrator_process_readoption import make_config, echo_config
from pymz.orchestrator.testing import reachable, wait_until, whoami_all
from pathlib import Path

async def main():
    from pymz.orchestrator_process import ProcessOrchestrator
    orch = ProcessOrchestrator(make_config(Path({str(run_dir)!r})))
    service = await orch.namespace("cluster").ensure_service("u1", echo_config())
    addresses = service.addresses("ctl")
    await wait_until(lambda: reachable(addresses))
    print(json.dumps(await whoami_all(addresses)), flush=True)
    os._exit(0)

asyncio.run(main())
"""
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-c", script, stdout=subprocess.PIPE
    )
    out, _ = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode == 0
    before = json.loads(out)
    for answer in before:
        assert psutil.Process(answer["pid"]).ppid() != os.getpid()

    orchestrator = ProcessOrchestrator(make_config(run_dir))
    ns = orchestrator.namespace("cluster")
    recorder = EventRecorder(ns)
    try:
        service = await ns.ensure_service("u1", echo_config())
        await recorder.wait_for(_online("u1", 1))
        assert await whoami_all(service.addresses("ctl")) == before

        # Killing an adopted non-child is noticed through its pidfd and it is restarted.
        mark = len(recorder.events)
        os.kill(before[1]["pid"], signal.SIGKILL)
        down = await recorder.wait_for(
            lambda e: e.process_id == 1 and not e.status.online, after=mark
        )
        await recorder.wait_for(_online("u1", 1), after=down + 1)
        after = await whoami_all(service.addresses("ctl"))
        assert after[1]["incarnation"] != before[1]["incarnation"]
        assert after[0] == before[0]
    finally:
        await recorder.close()


async def test_stale_pid_file_is_not_adopted(run_dir: Path) -> None:
    first, before = await _start(run_dir, scale=1)
    await first.detach()
    process_dir = run_dir / "cluster-u1" / "0"
    pid, create_time = read_pid_file(process_dir) or (0, 0.0)
    assert pid == before[0]["pid"]
    # Simulate the process dying while environmentd was down and its pid being recycled by
    # an unrelated process: the pid file names a live pid whose start time does not match.
    os.kill(pid, signal.SIGKILL)
    await wait_until(
        lambda: asyncio.sleep(0, not is_same_process(pid, create_time)), what="process dead"
    )
    bystander = await asyncio.create_subprocess_exec(
        sys.executable, "-c", "import time; time.sleep(120)"
    )
    try:
        bystander_start = psutil.Process(bystander.pid).create_time()
        write_pid_file(process_dir, bystander.pid, bystander_start - 1000.0)

        second = ProcessOrchestrator(make_config(run_dir))
        ns = second.namespace("cluster")
        service = await ns.ensure_service("u1", echo_config(scale=1))
        addresses = service.addresses("ctl")
        await wait_until(lambda: reachable(addresses), what="replacement reachable")
        (after,) = await whoami_all(addresses)
        assert after["incarnation"] != before[0]["incarnation"]
        assert after["pid"] != bystander.pid
        await ns.drop_service("u1")
        assert bystander.returncode is None and _running(bystander.pid), (
            "an unrelated process with a recycled pid was killed"
        )
    finally:
        bystander.kill()
        await bystander.wait()


async def test_changed_config_after_restart_replaces_processes(run_dir: Path) -> None:
    first, before = await _start(run_dir)
    await first.detach()
    second = ProcessOrchestrator(make_config(run_dir))
    ns = second.namespace("cluster")
    service = await ns.ensure_service("u1", echo_config(environment={"GENERATION": "2"}))
    addresses = service.addresses("ctl")
    await wait_until(lambda: reachable(addresses), what="replacements reachable")
    after = await whoami_all(addresses)
    assert {a["incarnation"] for a in after}.isdisjoint({b["incarnation"] for b in before})
    for old in before:
        assert not psutil.pid_exists(old["pid"]) or psutil.Process(old["pid"]).status() in (
            psutil.STATUS_ZOMBIE,
        )


async def test_annotation_change_after_restart_keeps_processes(run_dir: Path) -> None:
    first, before = await _start(run_dir)
    await first.detach()
    second = ProcessOrchestrator(make_config(run_dir))
    ns = second.namespace("cluster")
    service = await ns.ensure_service("u1", echo_config(annotations={"a": "b"}))
    assert await whoami_all(service.addresses("ctl")) == before
    state = json.loads((run_dir / "cluster-u1" / "service.json").read_text())
    assert state["annotations"] == {"a": "b"}


async def test_drop_of_orphan_from_previous_instance(run_dir: Path) -> None:
    first, before = await _start(run_dir)
    await first.detach()
    second = ProcessOrchestrator(make_config(run_dir))
    ns = second.namespace("cluster")
    assert await ns.list_services() == ["u1"]
    await ns.drop_service("u1")
    assert not (run_dir / "cluster-u1").exists()
    pids = [answer["pid"] for answer in before]

    async def all_gone() -> bool:
        return not any(_running(pid) for pid in pids)

    await wait_until(all_gone, what="orphans killed")


def _running(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False
