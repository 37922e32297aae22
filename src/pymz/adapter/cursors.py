"""Cursors: ``DECLARE c CURSOR FOR SUBSCRIBE …|query``, ``FETCH [n|ALL] c [WITH (TIMEOUT)]``,
``CLOSE c``. Cursors live inside a transaction block and close with it.

A cursor over SUBSCRIBE pulls batches from the running subscribe as FETCH asks for rows:
FETCH returns what is available, waiting up to its timeout (default: forever, as in
Materialize) for at least one row. A cursor over a query holds the query's rows.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field

from pymz.adapter.client import QueryResult
from pymz.errors import DuplicatePreparedStatement, InvalidCursorName, InvalidParameterValue
from pymz.repr import Column
from pymz.sql import ast

Row = tuple[object | None, ...]


@dataclass
class Cursor:
    columns: tuple[Column, ...]
    buffer: list[Row] = field(default_factory=list)
    batches: AsyncIterator[Sequence[Row]] | None = None  # None: everything is buffered
    pending: asyncio.Task[Sequence[Row]] | None = None

    async def close(self) -> None:
        if self.pending is not None:
            self.pending.cancel()
        aclose = getattr(self.batches, "aclose", None)
        if aclose is not None:
            with contextlib.suppress(Exception):
                await aclose()


def _timeout_s(value: ast.OptionValue | None) -> float | None:
    if value is None:
        return None
    text = value.to_text().strip().lower()
    m = re.fullmatch(r"(\d+(?:\.\d+)?)\s*(ms|s|m|min|h)?", text)
    if m is None:
        raise InvalidParameterValue(f"invalid FETCH TIMEOUT: {value.to_text()!r}")
    scale = {"ms": 0.001, "s": 1.0, None: 1.0, "m": 60.0, "min": 60.0, "h": 3600.0}[m.group(2)]
    return float(m.group(1)) * scale


class Cursors:
    def __init__(self) -> None:
        self._open: dict[str, Cursor] = {}

    def declare(self, name: str, cursor: Cursor) -> None:
        if name in self._open:
            raise DuplicatePreparedStatement(f'cursor "{name}" already exists',
                                             sqlstate="42P03")
        self._open[name] = cursor

    async def fetch(self, stmt: ast.Fetch) -> QueryResult:
        cursor = self._open.get(stmt.name.value)
        if cursor is None:
            raise InvalidCursorName(f'cursor "{stmt.name.value}" does not exist')
        wanted = stmt.count
        timeout = _timeout_s(stmt.timeout)
        if cursor.batches is not None and not cursor.buffer:
            # Wait (up to the timeout) for at least one row, then take what is ready.
            if cursor.pending is None:
                cursor.pending = asyncio.ensure_future(anext(cursor.batches))
            done, _ = await asyncio.wait({cursor.pending}, timeout=timeout)
            if done:
                task, cursor.pending = cursor.pending, None
                with contextlib.suppress(StopAsyncIteration):
                    cursor.buffer.extend(task.result())
        take = len(cursor.buffer) if wanted is None else min(wanted, len(cursor.buffer))
        rows, cursor.buffer = cursor.buffer[:take], cursor.buffer[take:]
        return QueryResult(cursor.columns, rows, f"FETCH {len(rows)}")

    def columns(self, name: str) -> tuple[Column, ...]:
        cursor = self._open.get(name)
        if cursor is None:
            raise InvalidCursorName(f'cursor "{name}" does not exist')
        return cursor.columns

    async def close(self, name: str) -> None:
        cursor = self._open.pop(name, None)
        if cursor is None:
            raise InvalidCursorName(f'cursor "{name}" does not exist')
        await cursor.close()

    async def close_all(self) -> None:
        cursors, self._open = list(self._open.values()), {}
        for cursor in cursors:
            await cursor.close()
