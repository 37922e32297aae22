"""Backend-independent behaviour of the orchestrator contract (see conftest for backends)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from pymz.errors import PymzError
from pymz.orchestrator.testing import (
    ConformanceBackend,
    EventRecorder,
    echo_args,
    reachable,
    send_and_forget,
    wait_until,
    whoami,
    whoami_all,
)
from pymz.orchestrator.types import (
    NamespacedOrchestrator,
    Service,
    ServiceConfig,
    ServiceEvent,
    ServicePort,
)

pytestmark = [pytest.mark.conformance, pytest.mark.integration]

# Tests that reach the processes over the network (see conftest: not every backend can).
needs_traffic = pytest.mark.needs_traffic

PORTS = (ServicePort("ctl", 2100), ServicePort("http", 6878))


def echo_config(backend: ConformanceBackend, **overrides: Any) -> ServiceConfig:
    params: dict[str, Any] = {"image": backend.image, "args": echo_args, "ports": PORTS}
    params.update(overrides)
    return ServiceConfig(**params)


async def ensure_reachable(
    ns: NamespacedOrchestrator, id: str, config: ServiceConfig
) -> tuple[Service, list[str]]:
    """Ensure the service and wait until every process answers; return its incarnations."""
    service = await ns.ensure_service(id, config)
    addresses = service.addresses("ctl")
    assert len(addresses) == config.scale
    await wait_until(lambda: reachable(addresses), what=f"{id} reachable")
    return service, [a["incarnation"] for a in await whoami_all(addresses)]


@needs_traffic
async def test_ensure_creates_scale_processes_in_index_order(backend: ConformanceBackend) -> None:
    ns = backend.namespace("cluster")
    service, incarnations = await ensure_reachable(ns, "u1", echo_config(backend, scale=3))
    assert len(set(incarnations)) == 3
    # Every named port of process i reaches the same process i.
    http = service.addresses("http")
    assert len(http) == 3
    for i, address in enumerate(http):
        answer = await whoami(address)
        assert answer["index"] == i
        assert answer["port"] == "http"
        assert answer["incarnation"] == incarnations[i]


@needs_traffic
async def test_ensure_is_idempotent(backend: ConformanceBackend) -> None:
    ns = backend.namespace("cluster")
    config = echo_config(backend, scale=2)
    first, incarnations = await ensure_reachable(ns, "u1", config)
    second = await ns.ensure_service("u1", config)
    assert second.addresses("ctl") == first.addresses("ctl")
    assert second.addresses("http") == first.addresses("http")
    answers = await whoami_all(second.addresses("ctl"))
    assert [a["incarnation"] for a in answers] == incarnations


@needs_traffic
async def test_config_change_replaces_processes(backend: ConformanceBackend) -> None:
    ns = backend.namespace("cluster")
    _, old = await ensure_reachable(ns, "u1", echo_config(backend, scale=2))
    service = await ns.ensure_service(
        "u1", echo_config(backend, scale=2, environment={"GENERATION": "2"})
    )
    addresses = service.addresses("ctl")

    async def replaced() -> bool:
        answers = await whoami_all(addresses)
        return [a["index"] for a in answers] == [0, 1] and all(
            a["incarnation"] not in old for a in answers
        )

    await wait_until(replaced, what="processes replaced")


@needs_traffic
async def test_annotation_change_does_not_restart(backend: ConformanceBackend) -> None:
    ns = backend.namespace("cluster")
    _, old = await ensure_reachable(
        ns, "u1", echo_config(backend, scale=2, annotations={"note": "a"})
    )
    service = await ns.ensure_service(
        "u1", echo_config(backend, scale=2, annotations={"note": "b"})
    )
    answers = await whoami_all(service.addresses("ctl"))
    assert [a["incarnation"] for a in answers] == old


@needs_traffic
async def test_scale_up_and_down(backend: ConformanceBackend) -> None:
    ns = backend.namespace("cluster")
    _, (first,) = await ensure_reachable(ns, "u1", echo_config(backend, scale=1))
    service, grown = await ensure_reachable(ns, "u1", echo_config(backend, scale=3))
    # The args do not mention peers, so process 0's config is unchanged and it keeps running.
    assert grown[0] == first
    removed = service.addresses("ctl")[2]

    shrunk, kept = await ensure_reachable(ns, "u1", echo_config(backend, scale=1))
    assert shrunk.addresses("ctl") == service.addresses("ctl")[:1]
    assert kept == [first]

    async def gone() -> bool:
        try:
            await whoami(removed)
        except (OSError, TimeoutError, ValueError):
            return True
        return False

    await wait_until(gone, what="scaled-down process gone")


def _is(id: str, index: int, *, online: bool) -> Any:
    def check(event: ServiceEvent) -> bool:
        return (
            event.service_id == id and event.process_id == index and event.status.online == online
        )

    return check


@needs_traffic
async def test_watch_reports_current_state_then_crash_and_restart(
    backend: ConformanceBackend,
) -> None:
    ns = backend.namespace("cluster")
    early = EventRecorder(ns)
    try:
        service, incarnations = await ensure_reachable(ns, "u1", echo_config(backend, scale=2))
        for i in range(2):
            await early.wait_for(_is("u1", i, online=True))

        # A watcher started now sees the current state first: both processes online.
        late = EventRecorder(ns)
        try:
            await late.wait_for(_is("u1", 1, online=True))
            first_two = late.events[:2]
            assert {(e.process_id, e.status.online) for e in first_two} == {(0, True), (1, True)}

            mark_early, mark_late = len(early.events), len(late.events)
            await send_and_forget(service.addresses("ctl")[1], "die")
            for recorder, mark in ((early, mark_early), (late, mark_late)):
                down = await recorder.wait_for(_is("u1", 1, online=False), after=mark)
                await recorder.wait_for(_is("u1", 1, online=True), after=down + 1)
            addresses = service.addresses("ctl")
            await wait_until(lambda: reachable(addresses), what="restarted process reachable")
            after = [a["incarnation"] for a in await whoami_all(addresses)]
            assert after[0] == incarnations[0]
            assert after[1] != incarnations[1]
            # Process 0 was never reported offline after it came online.
            assert not any(_is("u1", 0, online=False)(e) for e in early.events[mark_early:])
        finally:
            await late.close()
    finally:
        await early.close()


@needs_traffic
async def test_drop_service(backend: ConformanceBackend) -> None:
    ns = backend.namespace("cluster")
    service, _ = await ensure_reachable(ns, "u1", echo_config(backend, scale=2))
    await ns.drop_service("u1")
    assert "u1" not in await ns.list_services()
    addresses = service.addresses("ctl")

    async def unreachable() -> bool:
        for address in addresses:
            try:
                await whoami(address)
                return False
            except (OSError, TimeoutError, ValueError):
                pass
        return True

    await wait_until(unreachable, what="dropped processes gone")
    await ns.drop_service("u1")
    await ns.drop_service("never-existed")


async def test_list_services(backend: ConformanceBackend) -> None:
    ns = backend.namespace("cluster")
    assert await ns.list_services() == []
    await ns.ensure_service("u1", echo_config(backend))
    await ns.ensure_service("u2", echo_config(backend))
    assert sorted(await ns.list_services()) == ["u1", "u2"]
    await ns.drop_service("u1")
    assert sorted(await ns.list_services()) == ["u2"]


@needs_traffic
async def test_metrics_shape(backend: ConformanceBackend) -> None:
    ns = backend.namespace("cluster")
    await ensure_reachable(ns, "u1", echo_config(backend, scale=2))
    metrics = await ns.fetch_service_metrics("u1")
    assert len(metrics) == 2
    for m in metrics:
        assert m.cpu_nano_cores is None or m.cpu_nano_cores >= 0
        assert m.memory_bytes is None or m.memory_bytes > 0


@needs_traffic
async def test_namespaces_are_independent(backend: ConformanceBackend) -> None:
    assert backend.orchestrator.namespace("compute") is backend.orchestrator.namespace("compute")
    compute = backend.namespace("compute")
    storage = backend.namespace("storage")
    c_service, c_inc = await ensure_reachable(compute, "s1", echo_config(backend))
    s_service, s_inc = await ensure_reachable(storage, "s1", echo_config(backend))
    assert c_service.addresses("ctl") != s_service.addresses("ctl")
    assert c_inc != s_inc
    assert await compute.list_services() == ["s1"]
    await compute.drop_service("s1")
    assert await compute.list_services() == []
    assert await storage.list_services() == ["s1"]
    answer = await whoami(s_service.addresses("ctl")[0])
    assert answer["incarnation"] == s_inc[0]


@needs_traffic
async def test_concurrent_ensures_of_different_services(backend: ConformanceBackend) -> None:
    ns = backend.namespace("cluster")
    results = await asyncio.gather(
        *(ensure_reachable(ns, f"u{i}", echo_config(backend)) for i in range(3))
    )
    addresses = {r[0].addresses("ctl")[0] for r in results}
    assert len(addresses) == 3


# -- Contract bookkeeping without talking to the processes (runs on every backend) ------------


async def test_watch_reports_every_process_online_current_state_first(
    backend: ConformanceBackend,
) -> None:
    ns = backend.namespace("cluster")
    early = EventRecorder(ns)
    try:
        await ns.ensure_service("u1", echo_config(backend, scale=3))
        for i in range(3):
            await early.wait_for(_is("u1", i, online=True), deadline_s=60)
        late = EventRecorder(ns)
        try:
            for i in range(3):
                await late.wait_for(_is("u1", i, online=True), deadline_s=60)
            assert {(e.process_id, e.status.online) for e in late.events[:3]} == {
                (0, True),
                (1, True),
                (2, True),
            }
        finally:
            await late.close()
    finally:
        await early.close()


async def test_addresses_per_process_and_port(backend: ConformanceBackend) -> None:
    ns = backend.namespace("cluster")
    service = await ns.ensure_service("u1", echo_config(backend, scale=3))
    ctl, http = service.addresses("ctl"), service.addresses("http")
    assert len(ctl) == len(http) == 3
    assert len(set(ctl) | set(http)) == 6
    with pytest.raises(PymzError):
        service.addresses("no-such-port")
    again = await ns.ensure_service("u1", echo_config(backend, scale=3))
    assert again.addresses("ctl") == ctl
    shrunk = await ns.ensure_service("u1", echo_config(backend, scale=2))
    assert shrunk.addresses("ctl") == ctl[:2]


async def test_annotation_change_and_scale_up_keep_processes_online(
    backend: ConformanceBackend,
) -> None:
    ns = backend.namespace("cluster")
    recorder = EventRecorder(ns)
    try:
        await ns.ensure_service("u1", echo_config(backend, scale=2, annotations={"n": "a"}))
        for i in range(2):
            await recorder.wait_for(_is("u1", i, online=True), deadline_s=60)
        mark = len(recorder.events)
        await ns.ensure_service("u1", echo_config(backend, scale=2, annotations={"n": "b"}))
        await ns.ensure_service("u1", echo_config(backend, scale=3, annotations={"n": "b"}))
        # Process 2 coming online orders after anything the two changes did to 0 and 1.
        await recorder.wait_for(_is("u1", 2, online=True), after=mark, deadline_s=60)
        offline = [e for e in recorder.events[mark:] if not e.status.online]
        assert [e for e in offline if e.process_id in (0, 1)] == []
    finally:
        await recorder.close()


async def test_drop_is_idempotent_and_namespaces_list_independently(
    backend: ConformanceBackend,
) -> None:
    compute, storage = backend.namespace("compute"), backend.namespace("storage")
    await compute.ensure_service("s1", echo_config(backend))
    await storage.ensure_service("s1", echo_config(backend))
    assert await compute.list_services() == ["s1"]
    await compute.drop_service("s1")
    assert await compute.list_services() == []
    assert await storage.list_services() == ["s1"]
    await compute.drop_service("s1")
    await compute.drop_service("never-existed")
    assert await storage.list_services() == ["s1"]
