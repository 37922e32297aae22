"""The controllers' connection layer against real clusterd processes."""

from __future__ import annotations

import asyncio
import os
import signal
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from tests.integration.test_clusterd_harness import Clusterd, eventually

from pymz.compute_client.controller import ComputeController
from pymz.compute_client.protocol import CreateDataflow, IndexExport, Peek
from pymz.proto.client import BackoffConfig, ConnectionEvent
from pymz.proto.common import frontier_to_proto
from pymz.storage_client.controller import StorageController
from pymz.storage_client.protocol import RunIngestion

pytestmark = pytest.mark.integration

# Short back-off so reconnects are quick; attempt timeouts stay generous for a loaded host.
FAST = BackoffConfig(initial_s=0.05, maximum_s=0.5, connect_timeout_s=10, handshake_timeout_s=10)


@pytest.fixture
def clusterd(tmp_path: Path) -> Iterator[Clusterd]:
    c = Clusterd(tmp_path / "clusterd.log")
    c.start()
    yield c
    c.stop()


@pytest.fixture
async def compute() -> AsyncIterator[ComputeController]:
    c = ComputeController(backoff=FAST)
    yield c
    await c.close()


def _df(export: str, as_of: int = 100) -> CreateDataflow:
    return CreateDataflow(
        debug_name=export,
        index_exports=[IndexExport(id=export, on_id="u1")],
        as_of=frontier_to_proto([as_of]),
    )


class Watcher:
    """Collects ConnectionEvents in the background."""

    def __init__(self, events: AsyncIterator[ConnectionEvent]) -> None:
        self.events: list[ConnectionEvent] = []
        self._it = events
        self._task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        async for ev in self._it:
            self.events.append(ev)

    def last(self, replica: str, process: int = 0) -> ConnectionEvent | None:
        evs = [e for e in self.events if e.replica_id == replica and e.process_id == process]
        return evs[-1] if evs else None

    async def close(self) -> None:
        self._task.cancel()
        await asyncio.gather(self._task, return_exceptions=True)


async def test_connect_replays_history(clusterd: Clusterd, compute: ComputeController) -> None:
    compute.create_instance("u1")
    compute.update_configuration("u1", {"max_result_size": "1GB"})
    compute.create_dataflow("u1", _df("u5"))
    await compute.add_replica("u1", "r1", [clusterd.compute_addr])
    await eventually(lambda: compute.connection_status("r1") == [True], what="connected")
    await eventually(lambda: compute.write_frontiers("r1").get("u5") == (100,), what="frontier")
    state = clusterd.introspect()["compute"]
    assert state["received"] == [
        "create_instance",
        "update_configuration",
        "create_dataflow",
        "initialization_complete",
    ]
    assert state["instance_id"] == "u1"
    assert state["config"] == {"max_result_size": "1GB"}

    # Commands after the replay go straight to the live stream.
    compute.create_dataflow("u1", _df("u6", as_of=7))
    await eventually(lambda: compute.write_frontier("u1", "u6") == (7,), what="u6 frontier")
    compute.allow_compaction("u1", "u6", ())
    await eventually(lambda: compute.write_frontier("u1", "u6") == (), what="u6 dropped")
    assert clusterd.introspect()["compute"]["dataflows"] == [["u5"]]


async def test_peek_is_answered_not_hung(clusterd: Clusterd, compute: ComputeController) -> None:
    compute.create_instance("u1")
    compute.create_dataflow("u1", _df("u5"))
    await compute.add_replica("u1", "r1", [clusterd.compute_addr])
    resp = await compute.peek("u1", Peek(uuid="p1", target_id="u5", timestamp=100), timeout_s=30)
    assert resp.uuid == "p1"
    assert "not yet supported" in resp.error.message
    assert resp.error.sqlstate == "0A000"
    # An answered peek is not replayed to later replicas.
    assert all(c.WhichOneof("kind") != "peek" for c in compute.history("u1"))


async def test_reconnect_after_kill9_replays_history(
    clusterd: Clusterd, compute: ComputeController
) -> None:
    compute.create_instance("u1")
    compute.create_dataflow("u1", _df("u5"))
    watcher = Watcher(compute.watch_connections())
    await compute.add_replica("u1", "r1", [clusterd.compute_addr])
    await eventually(lambda: compute.connection_status("r1") == [True], what="connected")
    first_nonce = clusterd.introspect()["compute"]["nonce"]

    clusterd.kill9()
    await eventually(lambda: compute.connection_status("r1") == [False], what="disconnect")
    ev = watcher.last("r1")
    assert ev is not None and not ev.connected and ev.error
    # History keeps moving while the replica is down; the restarted one must get it all.
    compute.create_dataflow("u1", _df("u6"))
    compute.create_dataflow("u1", _df("u7"))
    compute.allow_compaction("u1", "u7", ())
    compute.allow_compaction("u1", "u5", (150,))

    await asyncio.to_thread(clusterd.restart)
    await eventually(lambda: compute.connection_status("r1") == [True], 30, "reconnected")
    state = clusterd.introspect()["compute"]
    assert state["nonce"] != first_nonce
    assert state["received"] == [
        "create_instance",
        "create_dataflow",
        "create_dataflow",
        "allow_compaction",
        "initialization_complete",
    ]
    assert sorted(d[0] for d in state["dataflows"]) == ["u5", "u6"]
    # The replayed u5 starts at its compaction frontier, not its original as_of.
    assert state["write_frontiers"]["u5"] == [150]
    connected = [e.connected for e in watcher.events if e.replica_id == "r1"]
    assert connected[-1] is True and False in connected
    await watcher.close()


async def test_keepalive_detects_stopped_process(
    clusterd: Clusterd, compute: ComputeController
) -> None:
    compute.create_instance("u1")
    await compute.add_replica("u1", "r1", [clusterd.compute_addr])
    await eventually(lambda: compute.connection_status("r1") == [True], what="connected")
    assert clusterd.proc is not None
    os.kill(clusterd.proc.pid, signal.SIGSTOP)
    try:
        started = time.monotonic()
        # Keepalive: 1 s ping interval + 2 s timeout; allow generous slack for a busy host.
        await eventually(lambda: compute.connection_status("r1") == [False], 20, "dead peer")
        assert time.monotonic() - started < 20
    finally:
        os.kill(clusterd.proc.pid, signal.SIGCONT)
    await eventually(lambda: compute.connection_status("r1") == [True], 30, "reconnected")


async def test_second_controller_takes_over_and_reconciles(clusterd: Clusterd) -> None:
    a = ComputeController(backoff=BackoffConfig(initial_s=0.05, maximum_s=30))
    b = ComputeController(backoff=FAST)
    try:
        a.create_instance("u1")
        a.create_dataflow("u1", _df("u5"))
        a.create_dataflow("u1", _df("u6"))
        watch_a = Watcher(a.watch_connections())
        await a.add_replica("u1", "r1", [clusterd.compute_addr])
        await eventually(lambda: a.connection_status("r1") == [True], what="a connected")

        b.create_instance("u1")
        b.create_dataflow("u1", _df("u5"))
        b.create_dataflow("u1", _df("u7"))
        await b.add_replica("u1", "r1", [clusterd.compute_addr])
        await eventually(lambda: b.connection_status("r1") == [True], what="b connected")
        await eventually(lambda: a.connection_status("r1") == [False], what="a replaced")
        ev = watch_a.last("r1")
        assert ev is not None and ev.error is not None and "replaced" in ev.error
        rec = clusterd.introspect()["compute"]["last_reconciliation"]
        assert rec == {"kept": ["u5"], "created": ["u7"], "dropped": ["u6"]}
        await watch_a.close()
    finally:
        await a.close()
        await b.close()


async def test_scale_two_replica_and_address_change(tmp_path: Path) -> None:
    p0 = Clusterd(tmp_path / "p0.log", process=0)
    p1 = Clusterd(tmp_path / "p1.log", process=1)
    peers = [p0.timely_addr, p1.timely_addr]
    p0.timely_peers = p1.timely_peers = peers
    other = Clusterd(tmp_path / "other.log")
    compute = ComputeController(backoff=FAST)
    storage = StorageController(backoff=FAST)
    try:
        await asyncio.to_thread(p0.start)
        await asyncio.to_thread(p1.start)
        compute.create_instance("u1")
        storage.create_instance("u1")
        compute.create_dataflow("u1", _df("u5"))
        await compute.add_replica("u1", "r1", [p0.compute_addr, p1.compute_addr])
        await storage.add_replica("u1", "r1", [p0.storage_addr, p1.storage_addr])
        await eventually(lambda: compute.connection_status("r1") == [True, True], what="compute")
        await eventually(lambda: storage.connection_status("r1") == [True, True], what="storage")
        for p, idx in ((p0, 0), (p1, 1)):
            state = p.introspect()
            assert state["process"] == idx
            assert state["compute"]["dataflows"] == [["u5"]]
        await eventually(
            lambda: (
                p0.introspect()["timely"]["connected"] == [1]
                and p1.introspect()["timely"]["connected"] == [0]
            ),
            what="timely mesh",
        )

        # Re-adding with other addresses replaces the connections.
        await asyncio.to_thread(other.start)
        await compute.add_replica("u1", "r1", [other.compute_addr])
        await eventually(lambda: compute.connection_status("r1") == [True], what="moved")
        assert other.introspect()["compute"]["dataflows"] == [["u5"]]

        await compute.drop_replica("u1", "r1")
        assert compute.connection_status("r1") == []
    finally:
        await compute.close()
        await storage.close()
        for p in (p0, p1, other):
            p.stop()


async def test_storage_controller(clusterd: Clusterd) -> None:
    storage = StorageController(backoff=FAST)
    try:
        storage.create_instance("u1")
        storage.update_configuration("u1", {"k": "v"})
        storage.run_ingestion("u1", RunIngestion(id="u7", description_json=b"{}"))
        storage.run_ingestion("u1", RunIngestion(id="u8", description_json=b"{}"))
        watcher = Watcher(storage.watch_connections())
        await storage.add_replica("u1", "r1", [clusterd.storage_addr])
        await eventually(lambda: storage.status("u7") is not None, what="u7 status")
        status = storage.status("u7")
        assert status is not None and status.status == "starting"
        storage.allow_compaction("u1", "u8", ())
        await eventually(lambda: storage.dropped("u8"), what="u8 dropped")
        state = clusterd.introspect()["storage"]
        assert state["objects"] == ["u7"]
        assert state["config"] == {"k": "v"}
        # Current state first (not yet connected), then the change.
        assert watcher.events[0].connected is False
        assert watcher.events[-1].connected is True
        await watcher.close()
    finally:
        await storage.close()
