"""Arrow IPC encoding of row payloads (peek results, subscribe batches)."""

from __future__ import annotations

from typing import Any

import pyarrow as pa  # type: ignore[import-untyped]


def table_to_ipc(table: Any) -> bytes:
    """Serialise a ``pyarrow.Table`` as an Arrow IPC stream."""
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return bytes(sink.getvalue().to_pybytes())


def ipc_to_table(data: bytes) -> Any:
    """Parse an Arrow IPC stream back into a ``pyarrow.Table``."""
    with pa.ipc.open_stream(pa.py_buffer(data)) as reader:
        return reader.read_all()


def rows_to_ipc(names: list[str], rows: list[tuple[Any, ...]]) -> bytes:
    """Encode Python rows (types inferred by Arrow) with the given column names."""
    columns: list[list[Any]] = [[row[i] for row in rows] for i in range(len(names))]
    table = pa.table(dict(zip(names, columns, strict=True)))
    return table_to_ipc(table)


def ipc_to_rows(data: bytes) -> tuple[list[str], list[tuple[Any, ...]]]:
    table = ipc_to_table(data)
    names = list(table.column_names)
    return names, [tuple(r[n] for n in names) for r in table.to_pylist()]
