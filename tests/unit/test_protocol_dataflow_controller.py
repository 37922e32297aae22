"""The controller's side of dataflows without sockets: subscribe batches from several
replicas merged into one contiguous stream, errors, drops, frontier waits."""

from __future__ import annotations

import asyncio
from decimal import Decimal

import pytest

from pymz.compute_client import dataflow as d
from pymz.compute_client.controller import ComputeController
from pymz.compute_client.protocol import (
    ComputeResponse,
    Frontiers,
    SubscribeBatch,
    SubscribeResponse,
)
from pymz.errors import PymzError
from pymz.expr.relation import Get
from pymz.proto.common import frontier_to_proto
from pymz.repr.types import Column, ScalarType

COLS = (Column("k", ScalarType.INT8), Column("total", ScalarType.NUMERIC))


def _desc(up_to: int | None = None) -> d.DataflowDescription:
    return d.DataflowDescription(
        debug_name="sub",
        source_imports=(d.SourceImport("u1", "s-t", COLS),),
        objects_to_build=(d.BuildDesc("u2", Get("u1", COLS)),),
        index_exports=(),
        sink_exports=(d.SubscribeSinkExport("u5", "u2", up_to),),
        as_of=1,
    )


def _batch(lower: int, upper: int, ups: list[d.Update], error: str = "") -> ComputeResponse:
    b = SubscribeBatch(
        lower=frontier_to_proto((lower,)),
        upper=frontier_to_proto((upper,)),
        updates=b"" if error else d.encode_subscribe_updates(COLS, ups),
        error=error,
    )
    return ComputeResponse(subscribe_response=SubscribeResponse(id="u5", batch=b))


def _row(k: int) -> tuple[int, Decimal]:
    return (k, Decimal(k))


async def _drain(c: ComputeController) -> list[d.SubscribeBatch]:
    return [b async for b in c.subscribe("c1", "u5")]


async def test_batches_from_two_replicas_are_merged_once_in_order() -> None:
    c = ComputeController()
    c.create_instance("c1")
    c.create_dataflow("c1", _desc(up_to=9))
    h = c._handle_response
    h("r1", 0, _batch(1, 3, [(_row(1), 1, 1), (_row(2), 2, 1)]))
    h("r2", 0, _batch(1, 2, [(_row(1), 1, 1)]))  # already delivered: dropped
    h("r2", 0, _batch(2, 5, [(_row(2), 2, 1), (_row(3), 4, 1)]))  # overlaps: trimmed to [3, 5)
    h("r1", 0, _batch(6, 7, [(_row(9), 6, 1)]))  # a gap: ignored
    h("r1", 0, _batch(3, 12, [(_row(3), 4, 1), (_row(4), 8, -1), (_row(5), 10, 1)]))
    got = await asyncio.wait_for(_drain(c), 5)
    assert [(b.lower, b.upper) for b in got] == [(1, 3), (3, 5), (5, 9)]
    assert got[0].updates == [(_row(1), 1, 1), (_row(2), 2, 1)]
    assert got[1].updates == [(_row(3), 4, 1)]
    assert got[2].updates == [(_row(4), 8, -1)]  # up_to 9 cuts the time-10 update
    await c.close()


async def test_error_batch_raises_and_drop_ends() -> None:
    c = ComputeController()
    c.create_instance("c1")
    c.create_dataflow("c1", _desc())
    c._handle_response("r1", 0, _batch(1, 2, [(_row(1), 1, 1)]))
    c._handle_response(
        "r1", 0, _batch(2, 3, [], error=d.subscribe_error("22012", "division by zero"))
    )
    seen: list[d.SubscribeBatch] = []
    with pytest.raises(PymzError) as e:
        async for b in c.subscribe("c1", "u5"):
            seen.append(b)
    assert e.value.sqlstate == "22012" and len(seen) == 1

    c.create_dataflow("c1", _desc())
    c.allow_compaction("c1", "u5", None)
    assert await asyncio.wait_for(_drain(c), 5) == []
    await c.close()


async def test_wait_for_frontier() -> None:
    c = ComputeController()
    c.create_instance("c1")
    c._replica_instance["r1"] = "c1"  # as add_replica records it (without connecting)
    waiter = asyncio.create_task(c.wait_for_frontier("c1", "u4", 5, 5))
    for t in (3, 6):
        await asyncio.sleep(0)
        c._handle_response(
            "r1",
            0,
            ComputeResponse(frontiers=Frontiers(id="u4", write_frontier=frontier_to_proto((t,)))),
        )
    assert await waiter == (6,)
    with pytest.raises(TimeoutError):
        await c.wait_for_frontier("c1", "u4", 6, 0.05)
    await c.close()
