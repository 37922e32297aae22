"""Runtime-side reconciliation: what a clusterd keeps, creates and drops when a new
controller replays its history."""

from __future__ import annotations

from pymz.compute.runtime import PEEK_UNSUPPORTED, ComputeRuntime
from pymz.compute_client.protocol import (
    ComputeCommand,
    CreateDataflow,
    CreateInstance,
    IndexExport,
    Peek,
    allow_compaction,
    response_kind,
)
from pymz.proto import common_pb2
from pymz.proto.common import frontier_to_proto
from pymz.storage.runtime import StorageRuntime
from pymz.storage_client.protocol import RunIngestion, StorageCommand

INIT = ComputeCommand(initialization_complete=common_pb2.InitializationComplete())


def _df(export: str, plan: bytes = b"p", as_of: int = 0) -> ComputeCommand:
    return ComputeCommand(
        create_dataflow=CreateDataflow(
            debug_name=export,
            index_exports=[IndexExport(id=export, on_id="u0", key_json=plan)],
            as_of=frontier_to_proto([as_of]),
        )
    )


def _replay(rt: ComputeRuntime, nonce: str, cmds: list[ComputeCommand]) -> list[str]:
    rt.connect(nonce)
    out: list[str] = []
    for c in [*cmds, INIT]:
        out.extend(response_kind(r) for r in rt.handle(c))
    return out


def test_compute_reconcile_keeps_compatible_drops_rest() -> None:
    rt = ComputeRuntime()
    create = ComputeCommand(create_instance=CreateInstance(instance_id="u1"))
    _replay(rt, "a", [create, _df("u5"), _df("u6"), _df("u7", plan=b"old")])
    assert rt.last_reconciliation is not None
    assert rt.last_reconciliation.created == ["u5", "u6", "u7"]

    # New controller: u5 unchanged but compacted further (later as_of), u6 gone, u7 changed.
    responses = _replay(rt, "b", [create, _df("u5", as_of=10), _df("u7", plan=b"new")])
    rec = rt.last_reconciliation
    assert rec is not None
    assert rec.kept == ["u5"]
    assert sorted(rec.created) == ["u7"]
    assert sorted(rec.dropped) == ["u6", "u7"]
    assert sorted(k[0] for k in rt.dataflows) == ["u5", "u7"]
    assert responses.count("frontiers") == 2
    # The kept dataflow is the running one (its as_of is the old, earlier one).
    assert tuple(rt.dataflows[("u5",)].as_of.times) == (0,)


def test_compute_reconcile_rejects_dataflow_that_started_later() -> None:
    rt = ComputeRuntime()
    _replay(rt, "a", [_df("u5", as_of=10)])
    _replay(rt, "b", [_df("u5", as_of=3)])
    assert rt.last_reconciliation is not None
    assert rt.last_reconciliation.kept == []
    assert rt.last_reconciliation.created == ["u5"]


def test_commands_buffer_until_initialization_complete() -> None:
    rt = ComputeRuntime()
    rt.connect("a")
    assert rt.handle(_df("u5")) == []
    assert rt.dataflows == {}
    rt.handle(INIT)
    assert ("u5",) in rt.dataflows


def test_peek_answered_and_drop_reports_closed_frontier() -> None:
    rt = ComputeRuntime()
    _replay(rt, "a", [_df("u5")])
    [resp] = rt.handle(ComputeCommand(peek=Peek(uuid="p", target_id="u5")))
    assert resp.peek_response.uuid == "p"
    assert resp.peek_response.error.message == PEEK_UNSUPPORTED
    [resp] = rt.handle(allow_compaction("u5", ()))
    assert resp.frontiers.id == "u5" and list(resp.frontiers.write_frontier.times) == []
    assert rt.dataflows == {}


def test_storage_reconcile_reports_dropped_ids() -> None:
    rt = StorageRuntime()
    init = StorageCommand(initialization_complete=common_pb2.InitializationComplete())
    rt.connect("a")
    for c in [
        StorageCommand(run_ingestion=RunIngestion(id="u7", resume_upper=frontier_to_proto([1]))),
        StorageCommand(run_ingestion=RunIngestion(id="u8")),
        init,
    ]:
        rt.handle(c)
    rt.connect("b")
    rt.handle(
        StorageCommand(run_ingestion=RunIngestion(id="u7", resume_upper=frontier_to_proto([9])))
    )
    out = rt.handle(init)
    assert rt.last_reconciliation is not None
    assert rt.last_reconciliation.kept == ["u7"]
    assert rt.last_reconciliation.dropped == ["u8"]
    assert [r.dropped_id.id for r in out if r.WhichOneof("kind") == "dropped_id"] == ["u8"]
