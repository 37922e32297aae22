"""Input batches straight from persist's Arrow tables, without Python row tuples.

Guarantees: :func:`arrow_batch` gives exactly the batch that
``updates_batch(decode_updates(...))`` would (same values, same column dtypes), with times
advanced to ``as_of``; columns whose stored and Python values agree and that hold no NULLs
(integers, floats, booleans) are converted by Arrow/numpy in bulk, text and dates without
per-value Python calls, everything else through the per-value decoders. Does not
consolidate: dataflow operators accept unconsolidated input.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pyarrow as pa  # type: ignore[import-untyped]

from pymz.compute.dataflow import Batch
from pymz.compute.dataflow.batch import Col
from pymz.compute.render.compiled import values_column
from pymz.persist.codec import decode_values, needs_value_decoding
from pymz.repr.types import Column, ScalarType

_INTS = frozenset({ScalarType.INT2, ScalarType.INT4, ScalarType.INT8, ScalarType.OID})
_FLOATS = frozenset({ScalarType.FLOAT4, ScalarType.FLOAT8})
_TEXT = frozenset({ScalarType.TEXT, ScalarType.VARCHAR, ScalarType.CHAR})


def arrow_batch(parts: Sequence[Any], schema: Sequence[Column], as_of: int,
                demanded: Sequence[int] | None = None) -> Batch:
    """One batch of the rows of ``parts`` (tables from ``ReadHandle.snapshot_parts`` or
    ``Listen.poll_parts``), times advanced to ``as_of``. Only the ``demanded`` columns
    (default: all) are decoded; the others are placeholders (booleans) that the dataflow
    never reads (:func:`pymz.compute.dataflow.ops.demanded_columns`)."""
    tables = [p for p in parts if p.num_rows]
    if not tables:
        return Batch.empty(len(schema))
    table = tables[0] if len(tables) == 1 else pa.concat_tables(tables)
    wanted = set(range(len(schema))) if demanded is None else set(demanded)
    unread = np.zeros(table.num_rows, dtype=np.bool_)
    cols = tuple(_column(c, table.column(i)) if i in wanted else unread
                 for i, c in enumerate(schema))
    t = np.asarray(table.column("_time").to_numpy(), dtype=np.uint64)
    t = np.maximum(t, np.uint64(as_of)) if as_of else t.copy()
    d = np.array(table.column("_diff").to_numpy(), dtype=np.int64)
    return Batch(cols, t, d)


def _column(c: Column, arr: Any) -> Col:
    if not needs_value_decoding(c):
        if arr.null_count == 0:
            if c.type in _INTS:
                return np.array(arr.to_numpy(), dtype=np.int64)
            if c.type in _FLOATS:
                return np.array(arr.to_numpy(), dtype=np.float64)
            if c.type is ScalarType.BOOL:
                return np.array(arr.to_numpy(zero_copy_only=False), dtype=np.bool_)
        if c.type in _TEXT:
            out: Col = arr.to_numpy(zero_copy_only=False)  # str objects, None for NULL
            return out
        if c.type is ScalarType.DATE:
            # datetime64[D] → datetime.date objects (NaT → None) in one numpy pass
            dates: Col = arr.to_numpy(zero_copy_only=False).astype(object)
            return dates
    return values_column(c, decode_values(c, arr))
