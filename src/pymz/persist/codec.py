"""Batch encoding: updates as Arrow IPC (stream format), schema derived from Columns.

Each batch is one record batch with columns ``c0..c{n-1}`` (the row, named positionally so
user column names never collide), ``_time`` (uint64) and ``_diff`` (int64). Column names and
SQL types ride along in the Arrow schema metadata for debugging. The mapping is lossless for
the value conventions of :mod:`pymz.repr.types`: NUMERIC is stored as its decimal text (so
NaN/Infinity and any scale survive), FLOAT4 as float64 (the Python value is a double), UUID as
16 raw bytes, INTERVAL as a (months, days, microseconds) struct.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any

import pyarrow as pa  # type: ignore[import-untyped]

from pymz.persist.consolidate import Update
from pymz.repr.types import Column, Interval, ScalarType

_INTERVAL = pa.struct(
    [("months", pa.int32()), ("days", pa.int32()), ("microseconds", pa.int64())]
)

_ARROW: dict[ScalarType, Any] = {
    ScalarType.BOOL: pa.bool_(),
    ScalarType.BYTEA: pa.binary(),
    ScalarType.INT2: pa.int16(),
    ScalarType.INT4: pa.int32(),
    ScalarType.INT8: pa.int64(),
    ScalarType.OID: pa.uint32(),
    ScalarType.FLOAT4: pa.float64(),
    ScalarType.FLOAT8: pa.float64(),
    ScalarType.NUMERIC: pa.string(),
    ScalarType.TEXT: pa.string(),
    ScalarType.VARCHAR: pa.string(),
    ScalarType.CHAR: pa.string(),
    ScalarType.DATE: pa.date32(),
    ScalarType.TIME: pa.time64("us"),
    ScalarType.TIMESTAMP: pa.timestamp("us"),
    ScalarType.TIMESTAMPTZ: pa.timestamp("us", tz="UTC"),
    ScalarType.INTERVAL: _INTERVAL,
    ScalarType.JSONB: pa.string(),
    ScalarType.UUID: pa.binary(16),
    ScalarType.MZ_TIMESTAMP: pa.uint64(),
    ScalarType.UNKNOWN: pa.string(),
}


def _identity(v: Any) -> Any:
    return v


def _enc_interval(v: Interval) -> dict[str, int]:
    return {"months": v.months, "days": v.days, "microseconds": v.microseconds}


def _dec_interval(v: dict[str, int]) -> Interval:
    return Interval(v["months"], v["days"], v["microseconds"])


def _enc_tstz(v: dt.datetime) -> dt.datetime:
    return v.astimezone(dt.UTC)


_ENCODE: dict[ScalarType, Callable[[Any], Any]] = {
    ScalarType.NUMERIC: str,
    ScalarType.UUID: lambda v: v.bytes,
    ScalarType.INTERVAL: _enc_interval,
    ScalarType.TIMESTAMPTZ: _enc_tstz,
}

_DECODE: dict[ScalarType, Callable[[Any], Any]] = {
    ScalarType.NUMERIC: Decimal,
    ScalarType.UUID: lambda v: uuid.UUID(bytes=v),
    ScalarType.INTERVAL: _dec_interval,
}


def arrow_type(column: Column) -> Any:
    base = _ARROW[column.type]
    return pa.list_(base) if column.is_array else base


def arrow_schema(columns: Sequence[Column]) -> Any:
    fields = [pa.field(f"c{i}", arrow_type(c), nullable=True) for i, c in enumerate(columns)]
    fields += [pa.field("_time", pa.uint64(), False), pa.field("_diff", pa.int64(), False)]
    meta = json.dumps([[c.name, c.type.name, c.is_array] for c in columns])
    return pa.schema(fields, metadata={"pymz.columns": meta})


def _encoder(column: Column) -> Callable[[Any], Any]:
    f = _ENCODE.get(column.type, _identity)
    if column.is_array:
        return lambda v: None if v is None else [None if e is None else f(e) for e in v]
    return lambda v: None if v is None else f(v)


def _decoder(column: Column) -> Callable[[Any], Any]:
    f = _DECODE.get(column.type, _identity)
    if column.is_array:
        return lambda v: None if v is None else [None if e is None else f(e) for e in v]
    return lambda v: None if v is None else f(v)


def encode_updates(columns: Sequence[Column], updates: Sequence[Update]) -> bytes:
    """Encode updates into Arrow IPC stream bytes."""
    schema = arrow_schema(columns)
    arrays = []
    for i, col in enumerate(columns):
        enc = _encoder(col)
        arrays.append(pa.array([enc(u[0][i]) for u in updates], type=schema.field(i).type))
    arrays.append(pa.array([u[1] for u in updates], type=pa.uint64()))
    arrays.append(pa.array([u[2] for u in updates], type=pa.int64()))
    batch = pa.RecordBatch.from_arrays(arrays, schema=schema)
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, schema) as writer:
        writer.write_batch(batch)
    return bytes(sink.getvalue().to_pybytes())


def decode_table(columns: Sequence[Column], data: bytes) -> Any:
    """The Arrow table of a batch written by :func:`encode_updates`, values still in their
    stored encoding (see :func:`decode_values`); columns ``c0..``, ``_time``, ``_diff``."""
    table = pa.ipc.open_stream(pa.py_buffer(data)).read_all()
    if table.num_columns != len(columns) + 2:
        raise ValueError(
            f"batch has {table.num_columns - 2} columns, schema has {len(columns)}"
        )
    return table


def needs_value_decoding(column: Column) -> bool:
    """Whether a column's stored values differ from its Python values (see ``_DECODE``)."""
    return column.is_array or column.type in _DECODE


def decode_values(column: Column, values: Any) -> list[Any]:
    """The Python values of one stored column (an Arrow array or chunked array)."""
    out: list[Any] = values.to_pylist()
    if needs_value_decoding(column):
        dec = _decoder(column)
        out = [dec(v) for v in out]
    return out  # other types decode as themselves: no per-value call


def decode_updates(columns: Sequence[Column], data: bytes) -> list[Update]:
    """Decode Arrow IPC stream bytes written by :func:`encode_updates`."""
    table = decode_table(columns, data)
    cols = [decode_values(col, table.column(i)) for i, col in enumerate(columns)]
    times = table.column(len(columns)).to_pylist()
    diffs = table.column(len(columns) + 1).to_pylist()
    rows = zip(*cols, strict=True) if cols else (() for _ in times)
    return list(zip(rows, times, diffs, strict=True))


def schema_fingerprint(columns: Sequence[Column]) -> list[list[object]]:
    """The schema facts that must match between writers/readers of a shard (not names)."""
    return [[c.type.name, c.is_array] for c in columns]
