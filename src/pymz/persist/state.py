"""Durable per-shard state and its pure transitions.

A shard's state is one JSON document, versioned in consensus by ``seqno``. Every change is a
pure function ``ShardState -> ShardState`` applied with compare-and-set (see
:mod:`pymz.persist.machine`), so concurrent writers, readers and compactors never overwrite
each other: the loser re-reads and re-applies, or reports a mismatch.

Invariants kept by the transitions: ``since`` and ``upper`` only advance; batches are sorted,
non-overlapping ``[lower, upper)`` ranges below ``upper``; ``since`` is the minimum over live
read holds (kept as is while no hold exists); ``writer_epoch`` only grows.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from typing import Any

from pymz.persist.errors import FencedError, LeaseExpiredError, SchemaMismatchError, UpperMismatch
from pymz.persist.frontier import Frontier, frontier_le, frontier_str


@dataclass(frozen=True)
class HollowBatch:
    """A batch's descriptor: its data lives in blob under ``key``."""

    key: str
    lower: int
    upper: Frontier
    since: int
    len: int


@dataclass(frozen=True)
class ReaderState:
    since: int
    lease_expires_ms: int


@dataclass(frozen=True)
class WriterState:
    epoch: int
    lease_expires_ms: int


@dataclass(frozen=True)
class ShardState:
    shard_id: str
    seqno: int = 0
    schema: tuple[tuple[str, bool], ...] | None = None
    since: int = 0
    upper: Frontier = 0
    batches: tuple[HollowBatch, ...] = ()
    readers: dict[str, ReaderState] = field(default_factory=dict)
    writers: dict[str, WriterState] = field(default_factory=dict)
    writer_epoch: int = 0

    # --- encoding -------------------------------------------------------------------------
    def encode(self) -> bytes:
        doc: dict[str, Any] = {
            "shard_id": self.shard_id,
            "schema": None if self.schema is None else [list(s) for s in self.schema],
            "since": self.since,
            "upper": self.upper,
            "batches": [[b.key, b.lower, b.upper, b.since, b.len] for b in self.batches],
            "readers": {k: [r.since, r.lease_expires_ms] for k, r in self.readers.items()},
            "writers": {k: [w.epoch, w.lease_expires_ms] for k, w in self.writers.items()},
            "writer_epoch": self.writer_epoch,
        }
        return json.dumps(doc, sort_keys=True, separators=(",", ":")).encode()

    @staticmethod
    def decode(seqno: int, data: bytes) -> ShardState:
        doc = json.loads(data)
        return ShardState(
            shard_id=doc["shard_id"],
            seqno=seqno,
            schema=None if doc["schema"] is None else tuple((s[0], s[1]) for s in doc["schema"]),
            since=doc["since"],
            upper=doc["upper"],
            batches=tuple(HollowBatch(*b) for b in doc["batches"]),
            readers={k: ReaderState(*v) for k, v in doc["readers"].items()},
            writers={k: WriterState(*v) for k, v in doc["writers"].items()},
            writer_epoch=doc["writer_epoch"],
        )

    # --- transitions (pure) ---------------------------------------------------------------
    def with_schema(self, schema: tuple[tuple[str, bool], ...]) -> ShardState:
        if self.schema is None:
            return replace(self, schema=schema)
        if self.schema != schema:
            raise SchemaMismatchError(
                f"shard {self.shard_id} has schema {list(self.schema)}, not {list(schema)}"
            )
        return self

    def expire_leases(self, now_ms: int) -> ShardState:
        """Drop read holds and writer registrations whose lease ran out."""
        readers = {k: r for k, r in self.readers.items() if r.lease_expires_ms >= now_ms}
        writers = {k: w for k, w in self.writers.items() if w.lease_expires_ms >= now_ms}
        if len(readers) == len(self.readers) and len(writers) == len(self.writers):
            return self
        return replace(self, readers=readers, writers=writers)._recompute_since()

    def _recompute_since(self) -> ShardState:
        if not self.readers:
            return self
        new_since = max(self.since, min(r.since for r in self.readers.values()))
        return self if new_since == self.since else replace(self, since=new_since)

    def register_reader(self, reader_id: str, lease_ms: int, now_ms: int) -> ShardState:
        readers = dict(self.readers)
        readers[reader_id] = ReaderState(self.since, now_ms + lease_ms)
        return replace(self, readers=readers)

    def heartbeat_reader(self, reader_id: str, lease_ms: int, now_ms: int) -> ShardState:
        r = self.readers.get(reader_id)
        if r is None:
            raise LeaseExpiredError(f"read hold {reader_id} on shard {self.shard_id} has expired")
        readers = dict(self.readers)
        readers[reader_id] = ReaderState(r.since, now_ms + lease_ms)
        return replace(self, readers=readers)

    def downgrade_reader(
        self, reader_id: str, new_since: int, lease_ms: int, now_ms: int
    ) -> ShardState:
        r = self.readers.get(reader_id)
        if r is None:
            raise LeaseExpiredError(f"read hold {reader_id} on shard {self.shard_id} has expired")
        readers = dict(self.readers)
        readers[reader_id] = ReaderState(max(r.since, new_since), now_ms + lease_ms)
        return replace(self, readers=readers)._recompute_since()

    def expire_reader(self, reader_id: str) -> ShardState:
        if reader_id not in self.readers:
            return self
        readers = {k: r for k, r in self.readers.items() if k != reader_id}
        return replace(self, readers=readers)._recompute_since()

    def register_writer(
        self, writer_id: str, epoch: int | None, lease_ms: int, now_ms: int
    ) -> ShardState:
        """Register a writer; an explicit ``epoch`` above the current one fences older writers."""
        if epoch is None:
            epoch = self.writer_epoch
        if epoch < self.writer_epoch:
            raise FencedError(
                f"writer epoch {epoch} on shard {self.shard_id} is older than "
                f"{self.writer_epoch}"
            )
        writers = dict(self.writers)
        writers[writer_id] = WriterState(epoch, now_ms + lease_ms)
        return replace(self, writers=writers, writer_epoch=epoch)

    def expire_writer(self, writer_id: str) -> ShardState:
        if writer_id not in self.writers:
            return self
        return replace(self, writers={k: w for k, w in self.writers.items() if k != writer_id})

    def check_epoch(self, epoch: int) -> None:
        if epoch < self.writer_epoch:
            raise FencedError(
                f"writer with epoch {epoch} on shard {self.shard_id} was fenced by epoch "
                f"{self.writer_epoch}"
            )

    def compare_and_append(
        self,
        *,
        writer_id: str,
        epoch: int,
        batch: HollowBatch | None,
        expected_upper: Frontier,
        new_upper: Frontier,
        lease_ms: int,
        now_ms: int,
    ) -> ShardState | UpperMismatch:
        self.check_epoch(epoch)
        if self.upper != expected_upper:
            return UpperMismatch(current_upper=self.upper, expected_upper=expected_upper)
        assert frontier_le(expected_upper, new_upper), "checked by the write handle"
        batches = self.batches if batch is None else (*self.batches, batch)
        writers = dict(self.writers)
        # A writer whose registration lapsed is re-registered: writer leases hold nothing back.
        writers[writer_id] = WriterState(epoch, now_ms + lease_ms)
        return replace(self, upper=new_upper, batches=batches, writers=writers)

    def replace_batches(
        self, inputs: tuple[str, ...], output: HollowBatch | None
    ) -> ShardState | None:
        """Swap the (contiguous) input batches for their compacted output; ``None`` if any
        input is gone (someone else compacted first)."""
        keys = [b.key for b in self.batches]
        if not inputs or inputs[0] not in keys:
            return None
        start = keys.index(inputs[0])
        if tuple(keys[start : start + len(inputs)]) != inputs:
            return None
        middle = () if output is None else (output,)
        batches = (*self.batches[:start], *middle, *self.batches[start + len(inputs) :])
        return replace(self, batches=batches)

    def describe(self) -> str:
        return (
            f"shard {self.shard_id} seqno={self.seqno} since=[{self.since}] "
            f"upper={frontier_str(self.upper)} batches={len(self.batches)} "
            f"readers={len(self.readers)} writers={len(self.writers)} epoch={self.writer_epoch}"
        )
