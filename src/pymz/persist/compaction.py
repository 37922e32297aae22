"""Compaction and garbage collection.

Compaction merges the batches whose every time is at or below ``since`` into one batch with
times advanced to ``since`` and diffs consolidated, and swaps it into state by CaS. Because
every readable ``as_of`` is ``>= since``, snapshots give identical results before and after.
After a successful swap the replaced blobs are deleted; a reader that loaded the old state
finds its blob gone and re-reads state (see ``ReadHandle._read``).

GC additionally deletes blobs of the shard that state does not reference and that are older
than ``gc_orphan_grace_ms`` (left by writers that crashed or lost a race), and truncates old
consensus versions.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pymz.persist.consolidate import Update, consolidate_at
from pymz.persist.machine import state_key
from pymz.persist.state import HollowBatch, ShardState
from pymz.repr.types import Column

if TYPE_CHECKING:
    from pymz.persist.client import PersistClient


def _eligible(s: ShardState) -> list[HollowBatch]:
    # Batches are sorted by time, so the eligible ones form a prefix.
    out: list[HollowBatch] = []
    for b in s.batches:
        if b.upper is None or b.upper > s.since + 1:
            break
        out.append(b)
    return out


def compact(client: PersistClient, shard_id: str, schema: tuple[Column, ...]) -> bool:
    """Compact once; returns whether state changed."""
    machine = client.machine(shard_id)
    s = machine.fetch()
    inputs = _eligible(s)
    if not inputs or (len(inputs) == 1 and inputs[0].since >= s.since):
        return False
    updates: list[Update] = []
    for b in inputs:
        data = client.read_batch(schema, b)
        if data is None:
            return False  # someone else compacted these already
        updates.extend(data)
    merged = consolidate_at(updates, s.since)
    last_upper = inputs[-1].upper
    assert last_upper is not None
    output = client.write_batch(
        shard_id=shard_id,
        schema=schema,
        updates=merged,
        lower=inputs[0].lower,
        upper=last_upper,
        since=s.since,
    )
    keys = tuple(b.key for b in inputs)

    def f(state: ShardState, _now: int) -> tuple[ShardState | None, bool]:
        new = state.replace_batches(keys, output)
        return (None, False) if new is None else (new, True)

    try:
        swapped = machine.apply(f)
    except BaseException:
        if output is not None:
            client.blob.delete(output.key)
        raise
    if not swapped:
        if output is not None:
            client.blob.delete(output.key)
        return False
    for k in keys:
        client.blob.delete(k)
    return True


def gc(client: PersistClient, shard_id: str) -> list[str]:
    """Delete unreferenced old blobs of the shard and old consensus versions.
    Returns the deleted blob keys."""
    machine = client.machine(shard_id)
    s = machine.fetch()
    referenced = {b.key for b in s.batches}
    cutoff = client.now_ms() - client.config.gc_orphan_grace_ms
    deleted: list[str] = []
    for key in client.blob.list_keys(f"{shard_id}/b/"):
        if key in referenced:
            continue
        created = _created_ms(key)
        if created is None or created > cutoff:
            continue
        client.blob.delete(key)
        deleted.append(key)
    if s.seqno > 0:
        client.consensus.truncate(state_key(shard_id), s.seqno)
    return deleted


def _created_ms(key: str) -> int | None:
    name = key.rsplit("/", 1)[-1]
    stamp = name.split("-", 1)[0]
    return int(stamp) if stamp.isdigit() else None
