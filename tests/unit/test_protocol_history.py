"""Command history compaction for both controllers."""

from __future__ import annotations

from pymz.compute_client.history import ComputeCommandHistory
from pymz.compute_client.protocol import (
    CancelPeek,
    ComputeCommand,
    CreateDataflow,
    CreateInstance,
    IndexExport,
    Peek,
    Schedule,
    allow_compaction,
    command_kind,
    hello_command,
    update_configuration,
)
from pymz.proto import common_pb2
from pymz.proto.common import frontier_from_proto, frontier_to_proto
from pymz.storage_client.history import StorageCommandHistory
from pymz.storage_client.protocol import RunIngestion, RunSink, StorageCommand
from pymz.storage_client.protocol import allow_compaction as storage_allow_compaction
from pymz.storage_client.protocol import update_configuration as storage_update_configuration


def _df(*exports: str, as_of: int = 0) -> ComputeCommand:
    return ComputeCommand(
        create_dataflow=CreateDataflow(
            debug_name="/".join(exports),
            index_exports=[IndexExport(id=e, on_id="u0") for e in exports],
            as_of=frontier_to_proto([as_of]),
        )
    )


def _kinds(cmds: list[ComputeCommand]) -> list[str]:
    return [command_kind(c) for c in cmds]


def test_compute_history_drops_dead_dataflows_and_merges_config() -> None:
    h = ComputeCommandHistory()
    h.push(hello_command("n"))  # connection-scoped: never recorded
    h.push(ComputeCommand(create_instance=CreateInstance(instance_id="u1")))
    h.push(update_configuration({"a": "1", "b": "1"}))
    h.push(_df("u5"))
    h.push(ComputeCommand(schedule=Schedule(id="u5")))
    h.push(_df("u6"))
    h.push(update_configuration({"b": "2"}))
    h.push(allow_compaction("u5", (10,)))
    h.push(allow_compaction("u5", ()))  # dropped
    h.push(ComputeCommand(allow_writes=common_pb2.AllowWrites()))
    h.push(ComputeCommand(allow_writes=common_pb2.AllowWrites()))
    cmds = h.commands()
    assert _kinds(cmds) == [
        "create_instance",
        "update_configuration",
        "allow_writes",
        "create_dataflow",
    ]
    assert dict(cmds[1].update_configuration.params) == {"a": "1", "b": "2"}
    assert cmds[3].create_dataflow.index_exports[0].id == "u6"


def test_compute_history_advances_as_of_to_compaction_frontier() -> None:
    h = ComputeCommandHistory()
    h.push(_df("u5", "u6", as_of=5))
    h.push(allow_compaction("u5", (20,)))
    h.push(allow_compaction("u6", (12,)))
    h.push(allow_compaction("u6", (15,)))
    cmds = h.commands()
    assert _kinds(cmds) == ["create_dataflow", "allow_compaction", "allow_compaction"]
    # as_of = join(5, meet(20, 15))
    assert frontier_from_proto(cmds[0].create_dataflow.as_of) == (15,)
    assert {c.allow_compaction.id: tuple(c.allow_compaction.frontier.times) for c in cmds[1:]} == {
        "u5": (20,),
        "u6": (15,),
    }


def test_compute_history_keeps_dataflow_while_any_export_lives() -> None:
    h = ComputeCommandHistory()
    h.push(_df("u5", "u6", as_of=5))
    h.push(allow_compaction("u5", ()))
    cmds = h.commands()
    assert _kinds(cmds) == ["create_dataflow", "allow_compaction"]
    assert frontier_from_proto(cmds[1].allow_compaction.frontier) == ()
    # The live export alone does not advance the as_of past what the dropped one allowed.
    assert frontier_from_proto(cmds[0].create_dataflow.as_of) == (5,)


def test_compute_history_peeks_until_answered_or_canceled() -> None:
    h = ComputeCommandHistory()
    h.push(_df("u5"))
    h.push(ComputeCommand(peek=Peek(uuid="p1", target_id="u5", timestamp=3)))
    h.push(ComputeCommand(peek=Peek(uuid="p2", target_id="u5", timestamp=3)))
    h.push(ComputeCommand(peek=Peek(uuid="p3", target_id="u5", timestamp=3)))
    h.push(ComputeCommand(cancel_peek=CancelPeek(uuid="p2")))
    h.retire_peek("p3")
    cmds = h.commands()
    assert [c.peek.uuid for c in cmds if command_kind(c) == "peek"] == ["p1"]
    assert "cancel_peek" not in _kinds(cmds)


def test_compute_history_stays_bounded_under_churn() -> None:
    h = ComputeCommandHistory()
    for i in range(1000):
        h.push(_df(f"t{i}", as_of=i))
        h.push(allow_compaction(f"t{i}", ()))
        h.push(update_configuration({"n": str(i)}))
    assert len(h) <= 64
    cmds = h.commands()
    assert _kinds(cmds) == ["update_configuration"]
    assert cmds[0].update_configuration.params["n"] == "999"


def test_storage_history() -> None:
    h = StorageCommandHistory()
    h.push(storage_update_configuration({"x": "1"}))
    h.push(StorageCommand(run_ingestion=RunIngestion(id="u7", description_json=b"v1")))
    h.push(StorageCommand(run_sink=RunSink(id="u8", from_id="u7")))
    h.push(StorageCommand(run_ingestion=RunIngestion(id="u9")))
    h.push(StorageCommand(run_ingestion=RunIngestion(id="u7", description_json=b"v2")))
    h.push(storage_allow_compaction("u7", (4,)))
    h.push(storage_allow_compaction("u9", ()))
    h.push(storage_update_configuration({"x": "2"}))
    cmds = h.commands()
    kinds = [c.WhichOneof("kind") for c in cmds]
    assert kinds == ["update_configuration", "run_ingestion", "run_sink", "allow_compaction"]
    assert cmds[0].update_configuration.params["x"] == "2"
    assert cmds[1].run_ingestion.description_json == b"v2"
    assert cmds[3].allow_compaction.id == "u7"
