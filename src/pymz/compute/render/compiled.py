"""A rendered query with its inputs and output: the unit the compute runtime drives."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import numpy as np

from pymz.compute.dataflow import Batch, Dataflow, Input, Output, Subscription
from pymz.compute.dataflow.batch import Col, column
from pymz.compute.render.relation import render
from pymz.errors import InternalError
from pymz.expr.relation import RelationExpr, Schema
from pymz.repr.types import Column, ScalarType

Row = tuple[Any, ...]

# Types whose values never fit a native numpy dtype: their columns are built as ``object``
# directly (``fromiter`` is ~10x cheaper than assigning dates or strings into an array).
_ALWAYS_OBJECT = frozenset({
    ScalarType.TEXT, ScalarType.VARCHAR, ScalarType.CHAR, ScalarType.DATE, ScalarType.TIME,
    ScalarType.TIMESTAMP, ScalarType.TIMESTAMPTZ, ScalarType.INTERVAL, ScalarType.UUID,
    ScalarType.BYTEA, ScalarType.NUMERIC})


def freeze(row: Sequence[Any]) -> Row:
    """Arrays are lists at the boundary and tuples inside (rows must be hashable)."""
    return tuple(tuple(v) if isinstance(v, list) else v for v in row)


def _float_column(vals: Sequence[Any]) -> Col:
    """A float8 column: native unless a value is NULL (fromiter would make it NaN), NaN
    (indistinguishable from such a NULL here) or not a number at all."""
    try:
        col = np.fromiter(vals, dtype=np.float64, count=len(vals))
    except (TypeError, ValueError):
        return column(list(vals))
    return column(list(vals)) if np.isnan(col).any() else col


def values_column(c: Column, vals: Sequence[Any]) -> Col:
    """The column of one input column's Python values (arrays: lists become tuples)."""
    if c.is_array:
        return column([tuple(v) if isinstance(v, list) else v for v in vals])
    if c.type in _ALWAYS_OBJECT:
        return np.fromiter(vals, dtype=object, count=len(vals))
    if c.type is ScalarType.FLOAT8:
        return _float_column(vals)
    return column(list(vals))


def updates_batch(updates: Sequence[tuple[Sequence[Any], int, int]], schema: Schema,
                  as_of: int) -> Batch:
    """A columnar batch of ``(row, time, diff)`` updates, times advanced to ``as_of``.

    Rows are transposed once; only array columns are converted value by value (lists at
    the boundary, tuples inside)."""
    n = len(updates)
    if n == 0 or not schema:
        return Batch.from_rows([freeze(r) for r, _, _ in updates],
                               [max(t, as_of) for _, t, _ in updates],
                               [d for _, _, d in updates], arity=len(schema))
    rows, times, diffs = zip(*updates, strict=True)
    values = list(zip(*rows, strict=True))
    cols = [values_column(c, vals) for c, vals in zip(schema, values, strict=True)]
    t = np.array(times, dtype=np.uint64)
    if as_of:
        t = np.maximum(t, np.uint64(as_of))
    return Batch(tuple(cols), t, np.array(diffs, dtype=np.int64))


class CompiledDataflow:
    """``expr`` rendered over one :class:`Input` per import, into one :class:`Output`.

    Updates pushed at times before ``as_of`` are advanced to ``as_of`` (the dataflow
    computes results from ``as_of`` on); inputs start with frontier ``as_of``.
    """

    def __init__(self, expr: RelationExpr, inputs: Mapping[str, Schema], *, as_of: int = 0,
                 name: str = "dataflow", now: int | None = None) -> None:
        self.expr = expr
        self.as_of = as_of
        self.schemas = dict(inputs)
        self.df = Dataflow(name)
        self.inputs: dict[str, Input] = {}
        for gid, schema in inputs.items():
            inp = Input(self.df, len(schema))
            inp.advance_to(as_of)
            self.inputs[gid] = inp
        self.output = Output(render(self.df, expr, self.inputs, as_of=as_of, now=now))
        self.array_cols = [i for i, c in enumerate(expr.schema) if c.is_array]

    def push(self, gid: str, updates: Iterable[tuple[Sequence[Any], int, int]]) -> None:
        """Queue ``(row, time, diff)`` updates for input ``gid`` (times >= its frontier)."""
        ups = list(updates)
        if not ups:
            return
        inp = self._input(gid)
        inp.send(updates_batch(ups, self.schemas[gid], self.as_of))

    def push_batch(self, gid: str, batch: Batch) -> None:
        """Queue an already columnar batch for input ``gid`` (times >= its frontier and
        ``as_of``, columns as :func:`updates_batch` builds them)."""
        if len(batch):
            self._input(gid).send(batch)

    def advance(self, gid: str, frontier: int) -> None:
        """Promise that input ``gid`` gets no more updates at times before ``frontier``."""
        self._input(gid).advance_to(max(frontier, self.as_of))

    def advance_all(self, frontier: int) -> None:
        for gid in self.inputs:
            self.advance(gid, frontier)

    def close(self, gid: str) -> None:
        self._input(gid).close()

    def step(self, stop: Callable[[], None] | None = None) -> None:
        """Run the dataflow until nothing moves (``stop`` is asked between operators, and
        raises to abandon the computation, e.g. a canceled query)."""
        self.df.run(stop=stop)

    @property
    def frontier(self) -> int:
        """Times below this are complete in the output."""
        return self.output.frontier

    def snapshot(self, as_of: int) -> list[tuple[Row, int]]:
        """Consolidated ``(row, multiplicity)`` at ``as_of``; raises the query's error while
        the dataflow's ``errs`` holds one at ``as_of``."""
        return [(self._thaw(r), d) for r, d in self.output.rows(as_of)]

    def rows(self, as_of: int) -> list[Row]:
        """The result at ``as_of`` as rows repeated per multiplicity (negative: an error)."""
        out: list[Row] = []
        for r, d in self.snapshot(as_of):
            if d < 0:
                raise InternalError("negative multiplicity in a dataflow output")
            out.extend([r] * d)
        return out

    def subscribe(self) -> Subscription:
        return self.output.subscribe()

    def allow_compaction(self, since: int) -> None:
        self.output.allow_compaction(since)

    def _thaw(self, row: Row) -> Row:
        if not self.array_cols:
            return row
        out = list(row)
        for i in self.array_cols:
            if isinstance(out[i], tuple):
                out[i] = list(out[i])
        return tuple(out)

    def _input(self, gid: str) -> Input:
        inp = self.inputs.get(gid)
        if inp is None:
            raise InternalError(f"dataflow has no input {gid}")
        return inp
