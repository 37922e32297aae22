"""Storage protocol types: the generated messages plus small constructors."""

from __future__ import annotations

from pymz.proto import common_pb2
from pymz.proto.common import PROTOCOL_VERSION, Frontier, frontier_to_proto, hello
from pymz.proto.storage_pb2 import (
    DroppedId,
    FrontierUpper,
    IngestionExport,
    RunIngestion,
    RunSink,
    SinkStatistics,
    SourceStatistics,
    StatisticsUpdates,
    StatusUpdate,
    StorageCommand,
    StorageResponse,
)
from pymz.proto.storage_pb2_grpc import (
    StorageCtlServicer,
    StorageCtlStub,
    add_StorageCtlServicer_to_server,
)

__all__ = [
    "PROTOCOL_VERSION",
    "DroppedId",
    "Frontier",
    "FrontierUpper",
    "IngestionExport",
    "RunIngestion",
    "RunSink",
    "SinkStatistics",
    "SourceStatistics",
    "StatisticsUpdates",
    "StatusUpdate",
    "StorageCommand",
    "StorageCtlServicer",
    "StorageCtlStub",
    "StorageResponse",
    "add_StorageCtlServicer_to_server",
    "allow_compaction",
    "command_kind",
    "hello_command",
    "response_kind",
    "update_configuration",
]


def command_kind(cmd: StorageCommand) -> str:
    return cmd.WhichOneof("kind") or ""


def response_kind(resp: StorageResponse) -> str:
    return resp.WhichOneof("kind") or ""


def hello_command(nonce: str, version: int = PROTOCOL_VERSION) -> StorageCommand:
    return StorageCommand(hello=hello(nonce, version))


def allow_compaction(id: str, frontier: Frontier) -> StorageCommand:
    return StorageCommand(
        allow_compaction=common_pb2.AllowCompaction(id=id, frontier=frontier_to_proto(frontier))
    )


def update_configuration(params: dict[str, str]) -> StorageCommand:
    return StorageCommand(update_configuration=common_pb2.UpdateConfiguration(params=params))
