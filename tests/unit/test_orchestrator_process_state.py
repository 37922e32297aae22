"""Unit tests for the process orchestrator's persisted state, config and helpers."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import psutil
import pytest

from pymz.errors import ConfigurationError, InternalError
from pymz.orchestrator_process import ProcessOrchestratorConfig, ProcessService
from pymz.orchestrator_process.procs import describe_exit, is_same_process
from pymz.orchestrator_process.state import (
    ProcessRecord,
    ServiceState,
    fingerprint,
    read_pid_file,
    read_state,
    remove_pid_file,
    write_pid_file,
    write_state,
)


def test_state_round_trips(tmp_path: Path) -> None:
    original = ServiceState(
        namespace="cluster",
        id="u1",
        image="clusterd",
        labels={"replica": "r1"},
        annotations={"note": "x"},
        processes=[
            ProcessRecord({"ctl": 4000}, ["clusterd", "--a"], "f0"),
            ProcessRecord({"ctl": 4001}, ["clusterd", "--b"], "f1"),
        ],
    )
    write_state(tmp_path / "svc", original)
    loaded = read_state(tmp_path / "svc")
    assert loaded == original
    assert loaded is not None and loaded.scale == 2


def test_missing_or_corrupt_state_reads_as_none(tmp_path: Path) -> None:
    assert read_state(tmp_path) is None
    (tmp_path / "service.json").write_text("{not json")
    assert read_state(tmp_path) is None
    (tmp_path / "service.json").write_text('{"namespace": "x"}')
    assert read_state(tmp_path) is None


def test_fingerprint_is_stable_and_sensitive() -> None:
    a = fingerprint({"image": "x", "argv": ["a"], "labels": {"k": "v", "j": "w"}})
    b = fingerprint({"labels": {"j": "w", "k": "v"}, "argv": ["a"], "image": "x"})
    c = fingerprint({"image": "x", "argv": ["b"], "labels": {"k": "v", "j": "w"}})
    assert a == b
    assert a != c


def test_pid_file_round_trip(tmp_path: Path) -> None:
    write_pid_file(tmp_path, 1234, 1700000000.25)
    assert read_pid_file(tmp_path) == (1234, 1700000000.25)
    remove_pid_file(tmp_path)
    assert read_pid_file(tmp_path) is None
    remove_pid_file(tmp_path)  # absent is fine
    (tmp_path / "pid").write_text("garbage")
    assert read_pid_file(tmp_path) is None


def test_process_identity_requires_matching_start_time() -> None:
    me = psutil.Process(os.getpid())
    assert is_same_process(me.pid, me.create_time())
    assert not is_same_process(me.pid, me.create_time() - 100.0)


def test_describe_exit() -> None:
    assert describe_exit(os.CLD_EXITED, 3) == "exited with code 3"
    assert describe_exit(os.CLD_KILLED, 9) == "killed by signal 9"


def test_command_for_image(tmp_path: Path) -> None:
    config = ProcessOrchestratorConfig(
        run_directory=tmp_path, image_commands={"echo": ["python3", "echo.py"], "bad": []}
    )
    assert config.command_for("echo") == ["python3", "echo.py"]
    # The console script beside the interpreter (the venv's bin directory) wins over PATH.
    beside = Path(sys.executable).parent / "python"
    assert config.command_for("python") == [str(beside)]
    with pytest.raises(ConfigurationError):
        config.command_for("bad")
    with pytest.raises(ConfigurationError):
        config.command_for("no-such-image-xyz")


def test_service_addresses_in_index_order() -> None:
    service = ProcessService(
        "127.0.0.1", [{"ctl": 5000, "http": 5001}, {"ctl": 5002, "http": 5003}]
    )
    assert service.addresses("ctl") == ["127.0.0.1:5000", "127.0.0.1:5002"]
    assert service.addresses("http") == ["127.0.0.1:5001", "127.0.0.1:5003"]
    with pytest.raises(InternalError):
        service.addresses("nope")
