"""One-shot queries computed by the dataflow engine: a peek that is not served by an index.

The query's plan is rendered as a dataflow over its inputs' contents at the peek timestamp
(every row at that time), stepped to completion once, read, and dropped. It is the same
engine, with the same code for every scalar function and aggregate, that maintains
materialized views and indexes, so a SELECT and a materialized view of it agree; ``mz_now()``
is the peek timestamp wherever it appears.

Guarantees: the result is the query's answer over the given inputs, after its finishing
(ORDER BY, OFFSET, LIMIT, projection); query errors (division by zero, overflow, ...) raise
the PymzError the dataflow recorded. A ``stop`` callback is polled between operators, so a
canceled query stops within one operator's work. Does not guarantee: speed comparable to
an analytical engine on large inputs (work is proportional to the inputs, done in Python
and numpy).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from pymz.compute.dataflow import Batch
from pymz.compute.render import CompiledDataflow
from pymz.compute.render.compiled import updates_batch
from pymz.expr import finish
from pymz.expr.relation import PlannedQuery
from pymz.repr import Column

Row = tuple[Any, ...]


def input_batch(columns: Sequence[Column], rows: Sequence[Row]) -> Batch:
    """Rows as a columnar batch (times 0, each row once): what :func:`run_once` takes.
    Building it is most of a one-shot peek's cost, so readers cache it per snapshot."""
    return updates_batch([(row, 0, 1) for row in rows], tuple(columns), 0)


def run_once(planned: PlannedQuery, inputs: Mapping[str, tuple[Sequence[Column], Batch]],
             timestamp: int, *, stop: Callable[[], None] | None = None) -> list[Row]:
    """Rows of ``planned`` over ``inputs`` (Get id -> (columns, contents)) at ``timestamp``,
    arrays as lists (the wire form)."""
    schemas = {gid: tuple(cols) for gid, (cols, _) in inputs.items()}
    cd = CompiledDataflow(planned.expr, schemas, as_of=timestamp, name="peek", now=timestamp)
    for gid, (_, batch) in inputs.items():
        # The contents are shared (cached by the reader); only the times are this peek's.
        n = len(batch)
        cd.push_batch(gid, Batch(batch.cols, np.full(n, timestamp, dtype=np.uint64),
                                 batch.diff))
    for gid in schemas:
        cd.close(gid)
    cd.step(stop)
    return finish(cd.rows(timestamp), planned.finishing)
