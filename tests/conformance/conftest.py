"""Backends the orchestrator conformance suite runs against.

Each entry of ``BACKENDS`` is an async context manager factory taking a scratch directory and
the pytest request (for session fixtures such as ``kube_cluster``) and yielding a
:class:`ConformanceBackend`. Another backend plugs in by appending a
``pytest.param(factory, id=..., marks=...)`` here; the tests only use the orchestrator
contract plus the echo service's line protocol.

Tests marked ``needs_traffic`` talk to the service processes over the network (the echo
service's ``whoami``). Backends in ``WITHOUT_TRAFFIC`` skip them: the Kubernetes test cluster
schedules pods on kwok fake nodes where nothing runs and no address routes, so only the
contract's bookkeeping (objects, statuses, listing) can be checked there; its object shapes
are tested in ``tests/integration/test_orchestrator_kubernetes.py``.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path

import pytest
from tests.kube_fixture import KubeCluster

from pymz.orchestrator.testing import ConformanceBackend
from pymz.orchestrator_kubernetes import KubernetesOrchestrator, KubernetesOrchestratorConfig
from pymz.orchestrator_process import ProcessOrchestrator, ProcessOrchestratorConfig

ECHO_SERVICE = Path(__file__).resolve().parents[1] / "integration" / "fixtures" / "echo_service.py"


@asynccontextmanager
async def process_backend(
    scratch: Path, request: pytest.FixtureRequest
) -> AsyncIterator[ConformanceBackend]:
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


@asynccontextmanager
async def kubernetes_backend(
    scratch: Path, request: pytest.FixtureRequest
) -> AsyncIterator[ConformanceBackend]:
    cluster: KubeCluster = request.getfixturevalue("kube_cluster")
    namespace = cluster.create_namespace("conformance")
    config = KubernetesOrchestratorConfig(
        kubernetes_namespace=namespace,
        kubeconfig=cluster.kubeconfig,
        name_prefix="mz-",
        api_retry_deadline=20.0,
    )
    try:
        yield ConformanceBackend(KubernetesOrchestrator(config), "echo")
    finally:
        cluster.api().delete(f"/api/v1/namespaces/{namespace}")


BackendFactory = Callable[
    [Path, pytest.FixtureRequest], AbstractAsyncContextManager[ConformanceBackend]
]

BACKENDS: list[object] = [
    pytest.param(process_backend, id="process"),
    pytest.param(kubernetes_backend, id="kubernetes"),
]

# Backends whose service processes cannot be reached over the network in tests.
WITHOUT_TRAFFIC: set[object] = {kubernetes_backend}


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "needs_traffic: talks to service processes over the network (process backend only; "
        "the Kubernetes test cluster runs nothing in its pods)",
    )


@pytest.fixture(params=BACKENDS)
async def backend(
    request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[ConformanceBackend]:
    factory: BackendFactory = request.param
    if factory in WITHOUT_TRAFFIC and request.node.get_closest_marker("needs_traffic"):
        pytest.skip("needs traffic to service processes; this backend's test pods run nothing")
    async with factory(tmp_path, request) as b:
        try:
            yield b
        finally:
            with contextlib.suppress(Exception):
                await b.drop_everything()
