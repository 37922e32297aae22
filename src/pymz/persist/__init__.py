"""persist: durable shards of ``(row, time, diff)`` updates over blob + consensus.

Guarantees:
- A shard's state (batch descriptors, ``since``, ``upper``, read holds, writers, writer epoch)
  is one versioned record in consensus, changed only by compare-and-set; racing writers get an
  :class:`UpperMismatch`, never lost or duplicated batches.
- ``compare_and_append`` is atomic: after it returns ``None`` the batch is durable and visible
  to every reader; after an ``UpperMismatch`` nothing was appended.
- A writer opened with a higher ``epoch`` fences all writers of lower epochs (:class:`Fenced`).
- ``snapshot(as_of)`` for ``since <= as_of < upper`` is deterministic: it does not change with
  compaction, concurrent appends or garbage collection.
- ``since`` never passes a live read hold; holds are leased, so a dead reader's hold expires.
- ``PersistClient.snapshot(shard, schema, as_of)`` reads without a hold (no consensus write):
  it gives the same answer as a held snapshot, or :class:`SinceViolationError` if compaction
  passed ``as_of`` while it read.
- Decoded batches are cached per client (LRU bounded by ``PersistConfig.batch_cache_bytes``
  of encoded size); blobs are immutable under their unique keys, so the cache is never stale.
- Batch data is Arrow IPC; values round-trip exactly per :mod:`pymz.repr.types` conventions.

Blob backends: a local directory (``file://``), S3-compatible object storage (``s3://``, in
:mod:`pymz.persist.blob_s3`, imported only when used) and memory (``mem://``, tests).

Does not guarantee / not built: push notification of new data (``listen``
polls consensus); multi-dimensional (partially ordered) timestamps; schema evolution;
incremental (bounded-step) compaction of large shards — compaction merges in one step.
"""

from pymz.persist.blob import Blob, FileBlob, MemBlob, blob_from_url
from pymz.persist.client import (
    Listen,
    ListenEvent,
    PersistClient,
    PersistConfig,
    ReadHandle,
    WriteHandle,
)
from pymz.persist.consensus import CaSResult, Consensus, MemConsensus, VersionedData
from pymz.persist.consensus_postgres import PostgresConsensus
from pymz.persist.consensus_sqlite import SqliteConsensus
from pymz.persist.consolidate import Row, Update, consolidate, consolidate_at
from pymz.persist.errors import (
    ConsensusError,
    Fenced,
    FencedError,
    InvalidUsageError,
    LeaseExpiredError,
    NotYetAvailableError,
    PersistError,
    SchemaMismatchError,
    SinceViolationError,
    UpperMismatch,
)
from pymz.persist.frontier import MAX_TIMESTAMP, MIN_TIMESTAMP, Frontier, Timestamp
from pymz.persist.state import HollowBatch, ShardState
from pymz.persist.urls import consensus_from_url

__all__ = [
    "MAX_TIMESTAMP",
    "MIN_TIMESTAMP",
    "Blob",
    "CaSResult",
    "Consensus",
    "ConsensusError",
    "Fenced",
    "FencedError",
    "FileBlob",
    "Frontier",
    "HollowBatch",
    "InvalidUsageError",
    "LeaseExpiredError",
    "Listen",
    "ListenEvent",
    "MemBlob",
    "MemConsensus",
    "NotYetAvailableError",
    "PersistClient",
    "PersistConfig",
    "PersistError",
    "PostgresConsensus",
    "ReadHandle",
    "Row",
    "SchemaMismatchError",
    "ShardState",
    "SinceViolationError",
    "SqliteConsensus",
    "Timestamp",
    "Update",
    "UpperMismatch",
    "VersionedData",
    "WriteHandle",
    "blob_from_url",
    "consensus_from_url",
    "consolidate",
    "consolidate_at",
]
