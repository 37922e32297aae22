"""Row-count-aware linear operators for compiled scalar code.

The dataflow library's Map/Filter/FlatMap pass user functions only the batch columns, so a
function over a zero-column batch (``SELECT 1`` over ``Project ()``) cannot know how many
rows it has. These variants hand compiled code ``(cols, n)``: a boolean carrier column is
prepended while the function runs under :func:`~pymz.compute.dataflow.graph.guarded`, so
the per-row error isolation of the library still applies.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from pymz.compute.dataflow.batch import Batch, Col, as_column
from pymz.compute.dataflow.graph import Operator, guarded, mask_of
from pymz.errors import InternalError

Cols = tuple[Col, ...]
R = Any


def guarded_n(op: Operator, batch: Batch, fn: Callable[[Cols, int], R]) -> tuple[Batch, R]:
    """``guarded`` for functions of ``(cols, n)``; returns the good rows and their result."""
    carrier = Batch((np.zeros(len(batch), dtype=np.bool_), *batch.cols), batch.time, batch.diff)
    ok, out = guarded(op.df, carrier, lambda cols: fn(cols[1:], len(cols[0])))
    return Batch(ok.cols[1:], ok.time, ok.diff), out


class _Unary(Operator):
    def __init__(self, src: Operator, arity: int) -> None:
        super().__init__(src.df, [src], arity)

    def apply(self, batch: Batch) -> Batch:
        raise NotImplementedError

    def run(self) -> bool:
        b = self.take(0)
        if len(b):
            self.emit(self.apply(b))
        return self.advance(self.input_frontier()) or bool(len(b))


class MapN(_Unary):
    """Replace the columns by ``fn(cols, n)`` (which may keep, drop or append columns)."""

    name = "map"

    def __init__(self, src: Operator, fn: Callable[[Cols, int], Sequence[Col]], arity: int
                 ) -> None:
        super().__init__(src, arity)
        self.fn = fn

    def apply(self, batch: Batch) -> Batch:
        ok, out = guarded_n(self, batch, self.fn)
        cols = tuple(as_column(c) for c in out)
        if len(cols) != self.arity:
            raise InternalError(f"map produced {len(cols)} columns, expected {self.arity}")
        return ok.with_cols(cols)


class FilterN(_Unary):
    """Keep rows where ``pred(cols, n)`` is true (a boolean mask)."""

    name = "filter"

    def __init__(self, src: Operator, pred: Callable[[Cols, int], Any]) -> None:
        super().__init__(src, src.arity)
        self.pred = pred

    def apply(self, batch: Batch) -> Batch:
        ok, m = guarded_n(self, batch, self.pred)
        return ok.take(mask_of(m, len(ok)))


class FlatMapN(_Unary):
    """``fn(cols, n) -> (row_index, out_cols)``: output row j inherits input row_index[j]'s
    time and diff."""

    name = "flat_map"

    def __init__(self, src: Operator,
                 fn: Callable[[Cols, int], tuple[npt.NDArray[Any], Sequence[Col]]],
                 arity: int) -> None:
        super().__init__(src, arity)
        self.fn = fn

    def apply(self, batch: Batch) -> Batch:
        ok, (idx, out) = guarded_n(self, batch, self.fn)
        idx = np.asarray(idx, dtype=np.intp)
        return Batch(tuple(as_column(c) for c in out), ok.time[idx], ok.diff[idx])
