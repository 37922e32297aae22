"""Round-trips of the control protocol messages and Arrow payloads."""

from __future__ import annotations

from pymz.compute_client.protocol import (
    ComputeCommand,
    ComputeResponse,
    CreateDataflow,
    IndexExport,
    PeekError,
    PeekResponse,
    SinkExport,
    SourceImport,
    SubscribeBatch,
    SubscribeResponse,
    SubscribeSinkConnection,
    allow_compaction,
    command_kind,
    dataflow_export_ids,
    hello_command,
    response_kind,
)
from pymz.proto.arrow import ipc_to_rows, rows_to_ipc
from pymz.proto.common import (
    PROTOCOL_VERSION,
    check_hello,
    frontier_from_proto,
    frontier_join,
    frontier_less_equal,
    frontier_meet,
    frontier_to_proto,
    hello,
)
from pymz.storage_client.protocol import (
    RunIngestion,
    StatusUpdate,
    StorageCommand,
    StorageResponse,
)


def test_compute_command_round_trip() -> None:
    df = CreateDataflow(
        debug_name="mv",
        source_imports=[SourceImport(id="u1", shard_id="s-1", desc_json=b"{}")],
        index_exports=[IndexExport(id="u3", on_id="u2", key_json=b"[0]")],
        sink_exports=[SinkExport(id="u4", from_id="u2", subscribe=SubscribeSinkConnection())],
        as_of=frontier_to_proto([1700000000000]),
    )
    cmd = ComputeCommand(create_dataflow=df)
    back = ComputeCommand.FromString(cmd.SerializeToString())
    assert back == cmd
    assert command_kind(back) == "create_dataflow"
    assert dataflow_export_ids(back.create_dataflow) == ["u3", "u4"]
    assert frontier_from_proto(back.create_dataflow.as_of) == (1700000000000,)
    assert back.create_dataflow.sink_exports[0].WhichOneof("connection") == "subscribe"


def test_empty_frontier_means_closed() -> None:
    cmd = allow_compaction("u3", ())
    back = ComputeCommand.FromString(cmd.SerializeToString())
    assert back.allow_compaction.id == "u3"
    assert frontier_from_proto(back.allow_compaction.frontier) == ()


def test_hello_versions() -> None:
    assert check_hello(hello("n")) is None
    why = check_hello(hello("n", PROTOCOL_VERSION + 1))
    assert why is not None and "incompatible protocol version" in why
    assert command_kind(hello_command("abc")) == "hello"


def test_peek_response_oneof_and_arrow_rows() -> None:
    rows = [(1, "a", 1), (2, None, 3)]
    payload = rows_to_ipc(["k", "v", "mz_diff"], rows)
    resp = ComputeResponse(peek_response=PeekResponse(uuid="p", rows=payload))
    back = ComputeResponse.FromString(resp.SerializeToString())
    assert response_kind(back) == "peek_response"
    assert back.peek_response.WhichOneof("result") == "rows"
    names, decoded = ipc_to_rows(back.peek_response.rows)
    assert names == ["k", "v", "mz_diff"]
    assert decoded == rows
    err = ComputeResponse(
        peek_response=PeekResponse(
            uuid="p", error=PeekError(sqlstate="22012", message="division by zero", hint="h")
        )
    )
    back_err = ComputeResponse.FromString(err.SerializeToString()).peek_response
    assert back_err.WhichOneof("result") == "error"
    assert (back_err.error.sqlstate, back_err.error.message) == ("22012", "division by zero")
    assert (back_err.error.detail, back_err.error.hint) == ("", "h")


def test_subscribe_batch_round_trip() -> None:
    batch = SubscribeBatch(
        lower=frontier_to_proto([5]),
        upper=frontier_to_proto([9]),
        updates=rows_to_ipc(["x", "mz_timestamp", "mz_diff"], [(1, 5, 1), (1, 8, -1)]),
    )
    resp = ComputeResponse(subscribe_response=SubscribeResponse(id="u4", batch=batch))
    back = ComputeResponse.FromString(resp.SerializeToString()).subscribe_response
    assert frontier_from_proto(back.batch.lower) == (5,)
    assert ipc_to_rows(back.batch.updates)[1] == [(1, 5, 1), (1, 8, -1)]
    dropped = SubscribeResponse(id="u4", dropped=True)
    assert SubscribeResponse.FromString(dropped.SerializeToString()).WhichOneof("kind") == "dropped"


def test_storage_round_trip() -> None:
    cmd = StorageCommand(
        run_ingestion=RunIngestion(
            id="u7",
            description_json=b'{"load_generator":"counter"}',
            resume_upper=frontier_to_proto([3]),
        )
    )
    assert StorageCommand.FromString(cmd.SerializeToString()) == cmd
    resp = StorageResponse(status_update=StatusUpdate(id="u7", status="running", hints={"a": "b"}))
    back = StorageResponse.FromString(resp.SerializeToString())
    assert back.status_update.hints["a"] == "b"


def test_frontier_lattice() -> None:
    assert frontier_join((3,), (5,)) == (5,)
    assert frontier_join((3,), ()) == ()
    assert frontier_meet((3,), (5,)) == (3,)
    assert frontier_meet((), (5,)) == (5,)
    assert frontier_less_equal((3,), (5,))
    assert not frontier_less_equal((5,), (3,))
    assert frontier_less_equal((5,), ())
    assert not frontier_less_equal((), (5,))
