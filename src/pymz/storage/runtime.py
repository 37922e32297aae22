"""Storage runtime state and reconciliation (no sources or sinks run yet)."""

from __future__ import annotations

import logging
import time
from typing import Any

from pymz.proto.common import Frontier, frontier_from_proto
from pymz.proto.replay import Reconciliation, ReplayingRuntime
from pymz.storage_client.protocol import (
    DroppedId,
    RunIngestion,
    StatusUpdate,
    StorageCommand,
    StorageResponse,
    command_kind,
)

log = logging.getLogger(__name__)


def _object_id(cmd: StorageCommand) -> str:
    return cmd.run_ingestion.id if command_kind(cmd) == "run_ingestion" else cmd.run_sink.id


def compatible(installed: StorageCommand, replayed: StorageCommand) -> bool:
    """Identical descriptions, ignoring where an ingestion resumes (that moves with time)."""
    if command_kind(installed) != command_kind(replayed):
        return False
    if command_kind(installed) == "run_ingestion":
        a, b = RunIngestion(), RunIngestion()
        a.CopyFrom(installed.run_ingestion)
        b.CopyFrom(replayed.run_ingestion)
        a.ClearField("resume_upper")
        b.ClearField("resume_upper")
        return a == b
    return installed == replayed


def _status(id: str, status: str) -> StorageResponse:
    return StorageResponse(
        status_update=StatusUpdate(id=id, status=status, timestamp_ms=int(time.time() * 1000))
    )


class StorageRuntime(ReplayingRuntime[StorageCommand, StorageResponse]):
    def __init__(self, process: int = 0, workers: int = 1) -> None:
        self.process = process
        self.workers = workers
        self.config: dict[str, str] = {}
        self.writes_allowed = False
        self.objects: dict[str, StorageCommand] = {}
        self.compaction: dict[str, Frontier] = {}
        super().__init__()

    def _kind(self, cmd: StorageCommand) -> str:
        return command_kind(cmd)

    def _reconcile(self, buffer: list[StorageCommand]) -> list[StorageResponse]:
        old, self.objects = self.objects, {}
        rec = Reconciliation()
        out: list[StorageResponse] = []
        for cmd in buffer:
            if command_kind(cmd) in ("run_ingestion", "run_sink"):
                id = _object_id(cmd)
                prev = old.pop(id, None)
                if prev is not None and compatible(prev, cmd):
                    self.objects[id] = prev
                    rec.kept.append(id)
                else:
                    rec.created.append(id)
                    out.extend(self._apply(cmd))
            else:
                out.extend(self._apply(cmd))
        for id in old:
            rec.dropped.append(id)
            self.compaction.pop(id, None)
            out.append(StorageResponse(dropped_id=DroppedId(id=id)))
        self.last_reconciliation = rec
        log.info(
            "storage reconciled: kept %s, created %s, dropped %s",
            rec.kept,
            rec.created,
            rec.dropped,
        )
        return out

    def _apply(self, cmd: StorageCommand) -> list[StorageResponse]:
        kind = command_kind(cmd)
        if kind == "update_configuration":
            self.config.update(cmd.update_configuration.params)
        elif kind == "allow_writes":
            self.writes_allowed = True
        elif kind in ("run_ingestion", "run_sink"):
            id = _object_id(cmd)
            self.objects[id] = cmd
            return [_status(id, "starting")]
        elif kind == "allow_compaction":
            ac = cmd.allow_compaction
            frontier = frontier_from_proto(ac.frontier)
            self.compaction[ac.id] = frontier
            if not frontier:
                self.objects.pop(ac.id, None)
                self.compaction.pop(ac.id, None)
                return [StorageResponse(dropped_id=DroppedId(id=ac.id))]
        else:
            log.warning("ignoring unexpected storage command %r", kind)
        return []

    def introspect(self) -> dict[str, Any]:
        return {
            "process": self.process,
            "connections": self.connections,
            "nonce": self.nonce,
            "initialized": self.initialized,
            "received": list(self.received),
            "config": dict(self.config),
            "writes_allowed": self.writes_allowed,
            "objects": sorted(self.objects),
            "last_reconciliation": None
            if self.last_reconciliation is None
            else vars(self.last_reconciliation),
        }
