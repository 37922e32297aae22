"""The storage command history of one instance, compacted for replay."""

from __future__ import annotations

from pymz.proto import common_pb2
from pymz.proto.common import Frontier, frontier_from_proto, frontier_to_proto
from pymz.storage_client.protocol import StorageCommand, command_kind

_CONNECTION_KINDS = frozenset({"hello", "initialization_complete"})


class StorageCommandHistory:
    """Reduction rules: UpdateConfiguration merged (later values win); one AllowWrites; the
    latest RunIngestion / RunSink per id (an ALTER replaces the description), kept in order of
    first appearance; the last AllowCompaction per live id; an empty AllowCompaction removes
    every command about that id (the object is dropped)."""

    def __init__(self) -> None:
        self._commands: list[StorageCommand] = []
        self._reduced_len = 0

    def __len__(self) -> int:
        return len(self._commands)

    def push(self, cmd: StorageCommand) -> None:
        if command_kind(cmd) in _CONNECTION_KINDS:
            return
        copy = StorageCommand()
        copy.CopyFrom(cmd)
        self._commands.append(copy)
        if len(self._commands) > max(32, 2 * self._reduced_len):
            self.reduce()

    def commands(self) -> list[StorageCommand]:
        self.reduce()
        return list(self._commands)

    def reduce(self) -> None:
        params: dict[str, str] = {}
        saw_config = False
        allow_writes = False
        objects: dict[str, StorageCommand] = {}  # insertion order = first appearance
        compaction: dict[str, Frontier] = {}
        for cmd in self._commands:
            kind = command_kind(cmd)
            if kind == "update_configuration":
                saw_config = True
                params.update(cmd.update_configuration.params)
            elif kind == "allow_writes":
                allow_writes = True
            elif kind == "run_ingestion":
                objects[cmd.run_ingestion.id] = cmd
            elif kind == "run_sink":
                objects[cmd.run_sink.id] = cmd
            elif kind == "allow_compaction":
                ac = cmd.allow_compaction
                compaction[ac.id] = frontier_from_proto(ac.frontier)
                if not ac.frontier.times:
                    objects.pop(ac.id, None)

        out: list[StorageCommand] = []
        if saw_config:
            out.append(
                StorageCommand(update_configuration=common_pb2.UpdateConfiguration(params=params))
            )
        if allow_writes:
            out.append(StorageCommand(allow_writes=common_pb2.AllowWrites()))
        out.extend(objects.values())
        for id, frontier in compaction.items():
            if id in objects and frontier:
                out.append(
                    StorageCommand(
                        allow_compaction=common_pb2.AllowCompaction(
                            id=id, frontier=frontier_to_proto(frontier)
                        )
                    )
                )
        self._commands = out
        self._reduced_len = len(out)
