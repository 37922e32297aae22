"""The compute runtime's peek handling, driven directly (no sockets, no persist)."""

from __future__ import annotations

import asyncio
import time

from pymz.compute.runtime import ComputeRuntime
from pymz.compute_client.peek_plan import (
    ShardImport,
    SnapshotQueryPlan,
    decode_result,
    encode_plan,
)
from pymz.compute_client.protocol import (
    CancelPeek,
    ComputeCommand,
    ComputeResponse,
    CreateInstance,
    Peek,
)
from pymz.errors import QueryCanceled
from pymz.proto import common_pb2
from pymz.repr.types import Column, ScalarType
from pymz.sqlexec import RelationSnapshot

REL = RelationSnapshot(
    "mz_catalog", "t", (Column("x", ScalarType.INT8),), [(i,) for i in range(200)]
)


def _runtime(process: int = 0) -> tuple[ComputeRuntime, list[ComputeResponse]]:
    rt = ComputeRuntime(process=process)
    out: list[ComputeResponse] = []
    rt.emit = out.append
    rt.connect("n1")
    rt.handle(ComputeCommand(create_instance=CreateInstance(instance_id="u1")))
    rt.handle(ComputeCommand(initialization_complete=common_pb2.InitializationComplete()))
    return rt, out


def _peek(uuid: str, sql: str, **kw: object) -> ComputeCommand:
    plan = SnapshotQueryPlan(sql=sql, inline_relations=(REL,), **kw)  # type: ignore[arg-type]
    return ComputeCommand(peek=Peek(uuid=uuid, timestamp=5, plan_json=encode_plan(plan)))


async def _until(pred: object, within: float = 30.0) -> None:
    deadline = time.monotonic() + within
    while not pred():  # type: ignore[operator]
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.01)


async def test_inline_only_peek_answers_rows() -> None:
    rt, out = _runtime()
    assert rt.handle(_peek("p1", "SELECT sum(x) AS s FROM mz_catalog.t")) == []
    await _until(lambda: out)
    (resp,) = out
    assert resp.peek_response.uuid == "p1"
    assert decode_result(resp.peek_response.rows) == [(19900,)]
    assert rt.pending_peeks() == []


async def test_error_carries_sqlstate_and_other_processes_answer_empty() -> None:
    rt, out = _runtime()
    rt.handle(_peek("p1", "SELECT x / 0 FROM mz_catalog.t"))
    await _until(lambda: out)
    assert out[0].peek_response.error.sqlstate == "22012"

    rt1, out1 = _runtime(process=1)
    rt1.handle(_peek("p2", "SELECT x / 0 FROM mz_catalog.t"))
    await _until(lambda: out1)
    assert out1[0].peek_response.WhichOneof("result") == "rows"
    assert decode_result(out1[0].peek_response.rows) == []


async def test_missing_persist_location_is_a_clear_error() -> None:
    rt, out = _runtime()
    imp = ShardImport("public", "t2", "s-1", (Column("x", ScalarType.INT8),))
    rt.handle(_peek("p1", "SELECT * FROM public.t2", imports=(imp,)))
    await _until(lambda: out)
    err = out[0].peek_response.error
    assert err.sqlstate == "XX000" and "--persist-blob-url" in err.message


async def test_cancel_and_reconnect_drop_pending_peeks() -> None:
    rt, out = _runtime()
    slow = "SELECT count(*) FROM mz_catalog.t a, mz_catalog.t b, mz_catalog.t c, mz_catalog.t d "
    slow += "WHERE (a.x * 7 + b.x * 13 + c.x * 17 + d.x) % 1000003 = 5"
    rt.handle(_peek("p1", slow))
    assert rt.pending_peeks() == ["p1"]
    resps = rt.handle(ComputeCommand(cancel_peek=CancelPeek(uuid="p1")))
    assert [r.peek_response.canceled for r in resps] == [True]
    assert rt.pending_peeks() == []
    # Canceling an unknown (or answered) peek answers nothing.
    assert rt.handle(ComputeCommand(cancel_peek=CancelPeek(uuid="p1"))) == []

    rt.handle(_peek("p2", slow))
    rt.connect("n2")  # a new controller: pending work is dropped, nothing is answered
    assert rt.pending_peeks() == []
    await asyncio.sleep(0)
    assert out == []


async def test_close_interrupts_a_running_query() -> None:
    rt, out = _runtime()
    slow = "SELECT count(*) FROM mz_catalog.t a, mz_catalog.t b, mz_catalog.t c, mz_catalog.t d "
    slow += "WHERE (a.x * 7 + b.x * 13 + c.x * 17 + d.x) % 1000003 = 5"
    rt.handle(_peek("p1", slow))
    await _until(lambda: rt.peek_executor._running)  # the DuckDB query is in its thread
    (fut,) = [f for _, f in rt.peek_executor._running.values()]
    await rt.close()
    assert fut.done()  # interrupted, not left computing 200^4 rows
    assert isinstance(fut.exception(), QueryCanceled)
    assert rt.pending_peeks() == []
    assert out == []
