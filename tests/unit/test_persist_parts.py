"""Columnar reads (snapshot_parts, poll_parts) carry exactly the updates of the row reads."""

from __future__ import annotations

import random
from collections import Counter
from typing import Any

from pymz.persist import MemBlob, MemConsensus, PersistClient, PersistConfig
from pymz.persist.codec import decode_values
from pymz.persist.consolidate import Update, consolidate
from pymz.repr.types import Column, ScalarType

SCHEMA = (Column("k", ScalarType.INT8), Column("v", ScalarType.TEXT))


def _rows(parts: list[Any], as_of: int | None = None) -> list[Update]:
    """Consolidated updates of Arrow parts (times advanced to ``as_of`` when given)."""
    out: list[Update] = []
    for p in parts:
        cols = [decode_values(c, p.column(i)) for i, c in enumerate(SCHEMA)]
        times = p.column("_time").to_pylist()
        diffs = p.column("_diff").to_pylist()
        for row, t, d in zip(zip(*cols, strict=True), times, diffs, strict=True):
            out.append((row, t if as_of is None else max(t, as_of), d))
    return consolidate(out)


def _key(ups: list[Update]) -> Counter[str]:
    return Counter(map(repr, ups))


def test_snapshot_and_listen_parts_equal_row_reads_through_compaction() -> None:
    rng = random.Random(7)
    client = PersistClient(MemBlob(), MemConsensus(),
                           config=PersistConfig(compaction_min_batches=2))
    writer, reader = client.open_shard("s", SCHEMA)
    live: list[tuple[int, str]] = []
    for t in range(30):
        ups: list[Update] = []
        for _ in range(rng.randint(1, 6)):
            if live and rng.random() < 0.4:
                ups.append((live.pop(rng.randrange(len(live))), t, -1))
            else:
                row = (rng.randint(0, 5), rng.choice(["a", "b", None]))
                live.append(row)  # type: ignore[arg-type]
                ups.append((row, t, 1))
        assert writer.compare_and_append(ups, t, t + 1) is None
        if t % 7 == 6:
            reader.downgrade_since(t - 3)
            client.compact("s", SCHEMA)
    assert client.shard_state("s").since > 0  # compaction advanced times below since
    as_of = 28
    assert _key(_rows(reader.snapshot_parts(as_of), as_of)) == _key(reader.snapshot(as_of))
    # One batch spans [30, 32): a listen from 30 must leave out its time-30 update.
    writer.compare_and_append([((9, "z"), 30, 1), ((9, "y"), 31, 1)], 30, 32)
    listen_rows, listen_parts = reader.listen(30), reader.listen(30)
    assert _key(_rows(reader.snapshot_parts(30), 30)) == _key(reader.snapshot(30))
    writer.compare_and_append([((8, None), 32, -1)], 32, 33)
    got_rows: list[Update] = []
    got_parts: list[Update] = []
    while (ev := listen_rows.poll()) is not None:
        got_rows.extend(ev.updates)
    uppers = []
    while (pe := listen_parts.poll_parts()) is not None:
        got_parts.extend(_rows(pe.parts))
        uppers.append(pe.upper)
    assert _key(consolidate(got_parts)) == _key(consolidate(got_rows))
    assert sorted(t for _, t, _ in got_parts) == [31, 32]
    assert uppers[-1] == 33
