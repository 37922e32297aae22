"""Process-backend specifics: exit reasons, restart back-off, directories, metrics, files."""

from __future__ import annotations

import json
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import psutil
import pytest

from pymz.errors import ConfigurationError
from pymz.orchestrator.testing import (
    EventRecorder,
    echo_args,
    reachable,
    send_and_forget,
    wait_until,
    whoami_all,
)
from pymz.orchestrator.types import ServiceConfig, ServiceEvent, ServicePort
from pymz.orchestrator_process import ProcessOrchestrator, ProcessOrchestratorConfig
from pymz.orchestrator_process.procs import is_same_process
from pymz.orchestrator_process.state import read_pid_file

pytestmark = pytest.mark.integration

ECHO_SERVICE = Path(__file__).resolve().parent / "fixtures" / "echo_service.py"
PORTS = (ServicePort("ctl", 2100),)
BACKOFF = 0.3


@pytest.fixture
async def orchestrator(tmp_path: Path) -> AsyncIterator[ProcessOrchestrator]:
    orch = ProcessOrchestrator(
        ProcessOrchestratorConfig(
            run_directory=tmp_path / "run",
            image_commands={"echo": [sys.executable, str(ECHO_SERVICE)]},
            restart_backoff_initial=BACKOFF,
            restart_backoff_max=10.0,
            restart_backoff_reset=600.0,
            service_labels={"environment": "test"},
        )
    )
    yield orch
    ns = orch.namespace("cluster")
    for id in await ns.list_services():
        await ns.drop_service(id)


def echo_config(scale: int = 1, **overrides: Any) -> ServiceConfig:
    return ServiceConfig(image="echo", args=echo_args, ports=PORTS, scale=scale, **overrides)


def _status(index: int, online: bool) -> Any:
    def check(e: ServiceEvent) -> bool:
        return e.process_id == index and e.status.online == online

    return check


async def test_exit_reasons_and_restart_backoff(orchestrator: ProcessOrchestrator) -> None:
    ns = orchestrator.namespace("cluster")
    recorder = EventRecorder(ns)
    try:
        service = await ns.ensure_service("u1", echo_config())
        (address,) = service.addresses("ctl")
        up = await recorder.wait_for(_status(0, True))

        await send_and_forget(address, "exit 3")
        down1 = await recorder.wait_for(_status(0, False), after=up + 1)
        assert recorder.events[down1].status.reason == "exited with code 3"
        up1 = await recorder.wait_for(_status(0, True), after=down1 + 1)

        await send_and_forget(address, "die")
        down2 = await recorder.wait_for(_status(0, False), after=up1 + 1)
        assert recorder.events[down2].status.reason == "killed by signal 9"
        up2 = await recorder.wait_for(_status(0, True), after=down2 + 1)

        # The delay before a restart is at least the back-off, which doubles per crash.
        first_gap = recorder.events[up1].time - recorder.events[down1].time
        second_gap = recorder.events[up2].time - recorder.events[down2].time
        assert first_gap.total_seconds() >= BACKOFF
        assert second_gap.total_seconds() >= 2 * BACKOFF
        assert str(recorder.events[down2].status) == "offline(killed by signal 9)"
    finally:
        await recorder.close()


async def test_run_directory_layout_and_environment(orchestrator: ProcessOrchestrator) -> None:
    ns = orchestrator.namespace("cluster")
    service = await ns.ensure_service(
        "u1", echo_config(scale=2, labels={"replica": "r1"}, environment={"EXTRA": "x"})
    )
    addresses = service.addresses("ctl")
    await wait_until(lambda: reachable(addresses), what="reachable")
    answers = await whoami_all(addresses)
    service_dir = orchestrator.config.run_directory / "cluster-u1"
    state = json.loads((service_dir / "service.json").read_text())
    assert state["scale"] == 2
    assert state["labels"] == {"environment": "test", "replica": "r1"}
    for i, answer in enumerate(answers):
        process_dir = service_dir / str(i)
        recorded = read_pid_file(process_dir)
        assert recorded is not None and recorded[0] == answer["pid"]
        assert is_same_process(*recorded)
        proc = psutil.Process(answer["pid"])
        assert proc.environ()["PYMZ_PROCESS_INDEX"] == str(i)
        assert proc.environ()["EXTRA"] == "x"
        assert Path(proc.cwd()) == process_dir
        assert proc.pid == proc.pid and psutil.Process(proc.pid).pid == answer["pid"]
        assert __import__("os").getsid(proc.pid) == proc.pid  # own session: survives us
        assert state["processes"][i]["argv"][-1] == f"--listen=ctl={addresses[i]}"

    async def logged() -> bool:
        return all(b"listening" in (service_dir / str(i) / "log").read_bytes() for i in (0, 1))

    await wait_until(logged, what="output in log files")


async def test_drop_kills_and_removes_directories(orchestrator: ProcessOrchestrator) -> None:
    ns = orchestrator.namespace("cluster")
    service = await ns.ensure_service("u1", echo_config(scale=2))
    addresses = service.addresses("ctl")
    await wait_until(lambda: reachable(addresses), what="reachable")
    answers = await whoami_all(addresses)
    service_dir = orchestrator.config.run_directory / "cluster-u1"
    identities = [read_pid_file(service_dir / str(i)) for i in range(2)]
    await ns.drop_service("u1")
    assert not service_dir.exists()
    for identity, answer in zip(identities, answers, strict=True):
        assert identity is not None and identity[0] == answer["pid"]
        assert not is_same_process(*identity)


async def test_scale_down_removes_process_directories(orchestrator: ProcessOrchestrator) -> None:
    ns = orchestrator.namespace("cluster")
    await ns.ensure_service("u1", echo_config(scale=3))
    service_dir = orchestrator.config.run_directory / "cluster-u1"
    assert all((service_dir / str(i)).is_dir() for i in range(3))
    identity = read_pid_file(service_dir / "2")
    service = await ns.ensure_service("u1", echo_config(scale=1))
    assert (service_dir / "0").is_dir()
    assert not (service_dir / "1").exists() and not (service_dir / "2").exists()
    assert identity is not None and not is_same_process(*identity)
    addresses = service.addresses("ctl")
    await wait_until(lambda: reachable(addresses), what="remaining process reachable")


async def test_metrics_report_usage_and_none_when_down(
    orchestrator: ProcessOrchestrator,
) -> None:
    ns = orchestrator.namespace("cluster")
    service = await ns.ensure_service("u1", echo_config(scale=2))
    addresses = service.addresses("ctl")
    await wait_until(lambda: reachable(addresses), what="reachable")
    metrics = await ns.fetch_service_metrics("u1")
    assert len(metrics) == 2
    for m in metrics:
        assert m.memory_bytes is not None and m.memory_bytes > 1_000_000
        assert m.cpu_nano_cores is not None and m.cpu_nano_cores >= 0


async def test_metrics_are_none_while_down(tmp_path: Path) -> None:
    # A back-off far longer than the test keeps the crashed process down deterministically.
    orch = ProcessOrchestrator(
        ProcessOrchestratorConfig(
            run_directory=tmp_path / "run",
            image_commands={"echo": [sys.executable, str(ECHO_SERVICE)]},
            restart_backoff_initial=3600.0,
        )
    )
    ns = orch.namespace("cluster")
    recorder = EventRecorder(ns)
    try:
        service = await ns.ensure_service("u1", echo_config(scale=2))
        addresses = service.addresses("ctl")
        await recorder.wait_for(_status(0, True))
        await recorder.wait_for(_status(1, True))
        await send_and_forget(addresses[1], "die")
        await recorder.wait_for(_status(1, False))
        metrics = await ns.fetch_service_metrics("u1")
        assert metrics[0].memory_bytes is not None
        assert metrics[1].memory_bytes is None and metrics[1].cpu_nano_cores is None
    finally:
        await recorder.close()
        await ns.drop_service("u1")


async def test_unknown_image_is_a_configuration_error(
    orchestrator: ProcessOrchestrator,
) -> None:
    ns = orchestrator.namespace("cluster")
    with pytest.raises(ConfigurationError):
        await ns.ensure_service("u1", ServiceConfig(image="no-such-image-xyz", args=echo_args))
    assert await ns.list_services() == []
