"""Backends the orchestrator conformance suite runs against.

Each entry of ``BACKENDS`` is an async context manager factory taking a scratch directory and
yielding a :class:`ConformanceBackend`. Another backend (e.g. Kubernetes) plugs in by
appending a ``pytest.param(factory, id=..., marks=...)`` here; the tests only use the
orchestrator contract plus the echo service's line protocol.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path

import pytest

from pymz.orchestrator.testing import ConformanceBackend
from pymz.orchestrator_process import ProcessOrchestrator, ProcessOrchestratorConfig

ECHO_SERVICE = Path(__file__).resolve().parents[1] / "integration" / "fixtures" / "echo_service.py"


@asynccontextmanager
async def process_backend(scratch: Path) -> AsyncIterator[ConformanceBackend]:
    config = ProcessOrchestratorConfig(
        run_directory=scratch / "run",
        environment_id="conformance",
        image_commands={"echo": [sys.executable, str(ECHO_SERVICE)]},
        restart_backoff_initial=0.1,
        restart_backoff_max=1.0,
        termination_grace=5.0,
    )
    orchestrator = ProcessOrchestrator(config)
    yield ConformanceBackend(orchestrator, "echo")


BackendFactory = Callable[[Path], AbstractAsyncContextManager[ConformanceBackend]]

BACKENDS: list[object] = [pytest.param(process_backend, id="process")]


@pytest.fixture(params=BACKENDS)
async def backend(
    request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[ConformanceBackend]:
    factory: BackendFactory = request.param
    async with factory(tmp_path) as b:
        try:
            yield b
        finally:
            with contextlib.suppress(Exception):
                await b.drop_everything()
