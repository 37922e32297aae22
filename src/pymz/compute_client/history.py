"""The compute command history of one instance, compacted so replaying it to a new or
restarted replica brings that replica to the same state as the long-running ones."""

from __future__ import annotations

from pymz.compute_client.protocol import (
    ComputeCommand,
    CreateDataflow,
    Schedule,
    command_kind,
    dataflow_export_ids,
)
from pymz.proto import common_pb2
from pymz.proto.common import (
    Frontier,
    frontier_from_proto,
    frontier_join,
    frontier_meet,
    frontier_to_proto,
)

# Commands that describe a connection, not instance state: never replayed from history.
_CONNECTION_KINDS = frozenset({"hello", "initialization_complete"})


class ComputeCommandHistory:
    """Append-only from the outside; :meth:`reduce` rewrites it to an equivalent shorter list.

    Reduction rules (docs/protocols.md): one CreateInstance; UpdateConfiguration merged into
    one (later values win); one AllowWrites; a CreateDataflow is kept while any export is
    alive, with its ``as_of`` advanced to the meet of its exports' compaction frontiers; the
    last AllowCompaction per live export; Schedule for live dataflows; Peeks until answered or
    canceled (a CancelPeek removes itself and its Peek).
    """

    def __init__(self) -> None:
        self._commands: list[ComputeCommand] = []
        self._reduced_len = 0

    def __len__(self) -> int:
        return len(self._commands)

    def push(self, cmd: ComputeCommand) -> None:
        if command_kind(cmd) in _CONNECTION_KINDS:
            return
        copy = ComputeCommand()
        copy.CopyFrom(cmd)
        self._commands.append(copy)
        # Amortised: reduce only when the history doubled since the last reduction.
        if len(self._commands) > max(32, 2 * self._reduced_len):
            self.reduce()

    def commands(self) -> list[ComputeCommand]:
        """The reduced history, in replay order."""
        self.reduce()
        return list(self._commands)

    def retire_peek(self, uuid: str) -> None:
        """Forget a peek that has been answered (it must not be replayed)."""
        self._commands = [
            c
            for c in self._commands
            if not (command_kind(c) == "peek" and c.peek.uuid == uuid)
            and not (command_kind(c) == "cancel_peek" and c.cancel_peek.uuid == uuid)
        ]

    def reduce(self) -> None:
        create_instance: ComputeCommand | None = None
        params: dict[str, str] = {}
        saw_config = False
        allow_writes = False
        compaction: dict[str, Frontier] = {}
        dataflows: list[CreateDataflow] = []
        scheduled: set[str] = set()
        peeks: list[ComputeCommand] = []
        canceled: set[str] = set()
        for cmd in self._commands:
            kind = command_kind(cmd)
            if kind == "create_instance":
                if create_instance is None:
                    create_instance = cmd
            elif kind == "update_configuration":
                saw_config = True
                params.update(cmd.update_configuration.params)
            elif kind == "allow_writes":
                allow_writes = True
            elif kind == "create_dataflow":
                dataflows.append(cmd.create_dataflow)
            elif kind == "schedule":
                scheduled.add(cmd.schedule.id)
            elif kind == "allow_compaction":
                ac = cmd.allow_compaction
                compaction[ac.id] = frontier_from_proto(ac.frontier)
            elif kind == "peek":
                peeks.append(cmd)
            elif kind == "cancel_peek":
                canceled.add(cmd.cancel_peek.uuid)

        out: list[ComputeCommand] = []
        if create_instance is not None:
            out.append(create_instance)
        if saw_config:
            out.append(
                ComputeCommand(update_configuration=common_pb2.UpdateConfiguration(params=params))
            )
        if allow_writes:
            out.append(ComputeCommand(allow_writes=common_pb2.AllowWrites()))
        compactions: list[ComputeCommand] = []
        for df in dataflows:
            exports = dataflow_export_ids(df)
            if exports and all(compaction.get(e) == () for e in exports):
                continue  # every export dropped: the dataflow is gone
            reduced = CreateDataflow()
            reduced.CopyFrom(df)
            if exports and all(e in compaction for e in exports):
                since: Frontier = ()
                for e in exports:
                    since = frontier_meet(since, compaction[e])
                if since:
                    as_of = frontier_join(frontier_from_proto(df.as_of), since)
                    reduced.as_of.CopyFrom(frontier_to_proto(as_of))
            out.append(ComputeCommand(create_dataflow=reduced))
            for e in exports:
                if e in scheduled:
                    out.append(ComputeCommand(schedule=Schedule(id=e)))
                if e in compaction:
                    compactions.append(
                        ComputeCommand(
                            allow_compaction=common_pb2.AllowCompaction(
                                id=e, frontier=frontier_to_proto(compaction[e])
                            )
                        )
                    )
        out.extend(compactions)
        out.extend(p for p in peeks if p.peek.uuid not in canceled)
        self._commands = out
        self._reduced_len = len(out)
