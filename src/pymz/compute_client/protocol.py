"""Compute protocol types: the generated messages plus small constructors."""

from __future__ import annotations

import uuid

from pymz.proto import common_pb2
from pymz.proto.common import PROTOCOL_VERSION, Frontier, frontier_to_proto, hello
from pymz.proto.compute_pb2 import (
    BuildDesc,
    CancelPeek,
    ComputeCommand,
    ComputeResponse,
    CreateDataflow,
    CreateInstance,
    Frontiers,
    IndexExport,
    IndexImport,
    Peek,
    PeekError,
    PeekResponse,
    PersistSinkConnection,
    Schedule,
    ShardsUpdated,
    SinkExport,
    SourceImport,
    SubscribeBatch,
    SubscribeResponse,
    SubscribeSinkConnection,
)
from pymz.proto.compute_pb2_grpc import (
    ComputeCtlServicer,
    ComputeCtlStub,
    add_ComputeCtlServicer_to_server,
)

__all__ = [
    "PROTOCOL_VERSION",
    "BuildDesc",
    "CancelPeek",
    "ComputeCommand",
    "ComputeCtlServicer",
    "ComputeCtlStub",
    "ComputeResponse",
    "CreateDataflow",
    "CreateInstance",
    "Frontier",
    "Frontiers",
    "IndexExport",
    "IndexImport",
    "Peek",
    "PeekError",
    "PeekResponse",
    "PersistSinkConnection",
    "Schedule",
    "ShardsUpdated",
    "SinkExport",
    "SourceImport",
    "SubscribeBatch",
    "SubscribeResponse",
    "SubscribeSinkConnection",
    "add_ComputeCtlServicer_to_server",
    "allow_compaction",
    "command_kind",
    "dataflow_export_ids",
    "hello_command",
    "new_peek_uuid",
    "peek_error",
    "response_kind",
    "update_configuration",
]


def command_kind(cmd: ComputeCommand) -> str:
    """The set oneof field name (``"create_dataflow"``…), ``""`` for an empty command."""
    return cmd.WhichOneof("kind") or ""


def response_kind(resp: ComputeResponse) -> str:
    return resp.WhichOneof("kind") or ""


def hello_command(nonce: str, version: int = PROTOCOL_VERSION) -> ComputeCommand:
    return ComputeCommand(hello=hello(nonce, version))


def allow_compaction(id: str, frontier: Frontier) -> ComputeCommand:
    return ComputeCommand(
        allow_compaction=common_pb2.AllowCompaction(id=id, frontier=frontier_to_proto(frontier))
    )


def update_configuration(params: dict[str, str]) -> ComputeCommand:
    return ComputeCommand(update_configuration=common_pb2.UpdateConfiguration(params=params))


def dataflow_export_ids(df: CreateDataflow) -> list[str]:
    """Ids of every collection the dataflow exports (indexes and sinks), in order."""
    return [e.id for e in df.index_exports] + [e.id for e in df.sink_exports]


def peek_error(
    message: str,
    *,
    sqlstate: str = "XX000",
    detail: str | None = None,
    hint: str | None = None,
) -> PeekError:
    return PeekError(sqlstate=sqlstate, message=message, detail=detail or "", hint=hint or "")


def new_peek_uuid() -> str:
    return str(uuid.uuid4())
