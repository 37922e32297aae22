"""clusterd's control endpoints, driven by raw gRPC streams (no controller)."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import grpc
import grpc.aio
import pytest
from tests.integration.test_clusterd_harness import Clusterd, eventually

from pymz.compute_client.protocol import (
    ComputeCommand,
    ComputeCtlStub,
    ComputeResponse,
    Peek,
    hello_command,
    response_kind,
)
from pymz.proto import common_pb2
from pymz.proto.common import CLIENT_CHANNEL_OPTIONS, PROTOCOL_VERSION
from pymz.storage_client.protocol import StorageCtlStub, StorageResponse
from pymz.storage_client.protocol import hello_command as storage_hello

pytestmark = pytest.mark.integration


@pytest.fixture
def clusterd(tmp_path: Path) -> Iterator[Clusterd]:
    c = Clusterd(tmp_path / "clusterd.log")
    c.start()
    yield c
    c.stop()


async def _read(call: Any) -> Any:
    return await call.read()


class Stream:
    """A raw computectl stream: push commands, read responses."""

    def __init__(self, addr: str) -> None:
        self.channel = grpc.aio.insecure_channel(addr, options=CLIENT_CHANNEL_OPTIONS)
        self.queue: asyncio.Queue[ComputeCommand] = asyncio.Queue()
        self.call = ComputeCtlStub(self.channel).Connect(self._requests())

    async def _requests(self) -> AsyncIterator[ComputeCommand]:
        while True:
            yield await self.queue.get()

    def send(self, cmd: ComputeCommand) -> None:
        self.queue.put_nowait(cmd)

    async def recv(self) -> ComputeResponse:
        resp: ComputeResponse = await asyncio.wait_for(_read(self.call), 10)
        return resp

    async def close(self) -> None:
        await self.channel.close(None)


INIT = ComputeCommand(initialization_complete=common_pb2.InitializationComplete())


async def test_handshake_ok(clusterd: Clusterd) -> None:
    s = Stream(clusterd.compute_addr)
    s.send(hello_command("nonce-1"))
    ack = await s.recv()
    assert response_kind(ack) == "hello_ack"
    assert ack.hello_ack.version == PROTOCOL_VERSION
    assert ack.hello_ack.nonce == "nonce-1"
    assert ack.hello_ack.process == 0
    await s.close()


async def test_storage_handshake_ok(clusterd: Clusterd) -> None:
    async with grpc.aio.insecure_channel(clusterd.storage_addr) as ch:
        call = StorageCtlStub(ch).Connect(iter([storage_hello("s-1")]))
        ack: StorageResponse = await asyncio.wait_for(_read(call), 10)
        assert ack.WhichOneof("kind") == "hello_ack"
        assert ack.hello_ack.nonce == "s-1"


async def test_bad_version_rejected_and_server_keeps_serving(clusterd: Clusterd) -> None:
    bad = Stream(clusterd.compute_addr)
    bad.send(hello_command("bad", version=PROTOCOL_VERSION + 41))
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await bad.recv()
    assert err.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert "incompatible protocol version" in (err.value.details() or "")
    await bad.close()

    not_hello = Stream(clusterd.compute_addr)
    not_hello.send(INIT)
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await not_hello.recv()
    assert err.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    await not_hello.close()

    good = Stream(clusterd.compute_addr)
    good.send(hello_command("good"))
    assert response_kind(await good.recv()) == "hello_ack"
    await good.close()
    assert 'mz_clusterd_handshakes_rejected_total{protocol="compute"} 2.0' in (
        clusterd.http_get("/metrics")
    )


async def test_second_controller_replaces_first(clusterd: Clusterd) -> None:
    first = Stream(clusterd.compute_addr)
    first.send(hello_command("first"))
    assert response_kind(await first.recv()) == "hello_ack"

    second = Stream(clusterd.compute_addr)
    second.send(hello_command("second"))
    assert response_kind(await second.recv()) == "hello_ack"

    with pytest.raises(grpc.aio.AioRpcError) as err:
        await first.recv()
    assert err.value.code() == grpc.StatusCode.ABORTED
    assert "replaced" in (err.value.details() or "")

    # The new controller owns the runtime: its peek is answered (not left hanging).
    second.send(INIT)
    second.send(ComputeCommand(peek=Peek(uuid="p1", target_id="u1", timestamp=1)))
    resp = await second.recv()
    assert resp.peek_response.uuid == "p1"
    assert "not yet supported" in resp.peek_response.error.message
    state = clusterd.introspect()["compute"]
    assert state["connections"] == 2
    assert state["nonce"] == "second"
    await first.close()
    await second.close()


async def test_livez_metrics_and_sigterm(clusterd: Clusterd) -> None:
    assert clusterd.http_get("/api/livez").strip() == "ok"
    s = Stream(clusterd.compute_addr)
    s.send(hello_command("m"))
    await s.recv()
    s.send(INIT)
    await eventually(
        lambda: 'kind="initialization_complete"' in clusterd.http_get("/metrics"),
        what="command metrics",
    )
    clusterd.signal(signal.SIGTERM)
    assert clusterd.proc is not None
    rc = await asyncio.to_thread(clusterd.proc.wait, 15)
    assert rc == 0, clusterd.logs()
    # The open stream ends (EOF or an error status) rather than hanging: recv() times out
    # after 10 s with TimeoutError, which would fail the test.
    try:
        r = await s.recv()
        assert r is grpc.aio.EOF  # type: ignore[attr-defined]
    except grpc.aio.AioRpcError as e:
        assert e.code() in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.CANCELLED), e
    await s.close()
