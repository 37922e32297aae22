"""n-way delta join: each input's changes probe the other inputs' arrangements, no
intermediate state.

Output rows are the concatenation of all inputs' columns in input order ("global
columns"), at the max of the input times with the product of the diffs. For new updates
``dX_i`` (already in every arrangement of input ``i``, see :class:`~.ops.Arrange`) the
change is ``sum_i X'_0 ⋈ … ⋈ X'_{i-1} ⋈ dX_i ⋈ X_{i+1} ⋈ … ⋈ X_{n-1}``, where ``X'`` is the
arrangement as is and ``X`` the arrangement without its pending delta (a probe of the
trace minus a probe of ``dX_j``), so every combination of new updates is counted once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from pymz.compute.dataflow.batch import Batch, Col, Hashes, concat, concat_cols, hash_rows
from pymz.compute.dataflow.graph import Operator
from pymz.compute.dataflow.ops import Arrange
from pymz.compute.dataflow.spine import Spine, TraceHandle, build_run
from pymz.errors import InternalError


@dataclass(frozen=True, slots=True)
class Lookup:
    """One step of a path: look up ``arrangement`` (of input ``input``) with the key made of
    the global columns ``probe`` (which must belong to inputs already joined)."""

    input: int
    arrangement: Arrange
    probe: tuple[int, ...]


class _Partial:
    """Rows of a path in progress: the columns of the inputs joined so far."""

    def __init__(self, cols: dict[int, tuple[Col, ...]], time: Batch) -> None:
        self.cols = cols
        self.td = time  # a Batch with no columns, carrying time and diff

    def __len__(self) -> int:
        return len(self.td)


class DeltaJoin(Operator):
    """Join ``inputs`` (their update streams) following ``paths[i]`` for changes of input i."""

    name = "delta_join"

    def __init__(self, inputs: Sequence[Operator], paths: Sequence[Sequence[Lookup]]) -> None:
        if len(paths) != len(inputs):
            raise InternalError("a delta join needs one path per input")
        super().__init__(inputs[0].df, inputs, sum(i.arity for i in inputs))
        self.offsets: list[int] = [int(x) for x in np.cumsum([0, *(i.arity for i in inputs)])]
        self.paths = [tuple(p) for p in paths]
        self.handles: list[TraceHandle] = []
        for i, path in enumerate(self.paths):
            done = {i}
            for step in path:
                if step.input in done:
                    raise InternalError(f"path {i} visits input {step.input} twice")
                if step.arrangement.arity != inputs[step.input].arity:
                    raise InternalError("arrangement arity differs from its input's")
                if any(self._owner(c) not in done for c in step.probe):
                    raise InternalError(f"path {i} probes columns of inputs not joined yet")
                if len(step.probe) != len(step.arrangement.key):
                    raise InternalError("probe and arrangement key differ in arity")
                if len(step.arrangement.spine):
                    raise InternalError("build delta joins before data reaches their inputs")
                self.handles.append(step.arrangement.spine.handle())
                done.add(step.input)
            if done != set(range(len(inputs))):
                raise InternalError(f"path {i} does not reach every input")
        # Rows taken from each input so far. The arrangements start empty, so while an
        # input has delivered nothing, its version without the pending delta is empty, and
        # so is every path reading that version: at hydration (every input's first delta at
        # once) only one path does work instead of all of them cancelling each other.
        self.consumed = [0] * len(inputs)

    def _owner(self, col: int) -> int:
        for j in range(len(self.inputs)):
            if self.offsets[j] <= col < self.offsets[j + 1]:
                return j
        raise InternalError(f"column {col} is out of range")

    def _col(self, p: _Partial, col: int) -> Col:
        j = self._owner(col)
        return p.cols[j][col - self.offsets[j]]

    def run(self) -> bool:
        deltas = [self.take(port) for port in range(len(self.inputs))]
        parts: list[Batch] = []
        for i, d in enumerate(deltas):
            if len(d) and not self._reads_nothing(i, deltas):
                parts.append(self._path(i, d, deltas))
        for j, d in enumerate(deltas):
            self.consumed[j] += len(d)
        out = concat(parts, self.arity)
        self.emit(out)
        f = self.input_frontier()
        for h in self.handles:
            h.set_since(f)
        return self.advance(f) or any(len(d) for d in deltas)

    def _reads_nothing(self, i: int, deltas: list[Batch]) -> bool:
        """Whether path ``i`` reads an input that is empty without its pending delta."""
        return any(step.input > i and not self.consumed[step.input]
                   for step in self.paths[i])

    def _path(self, i: int, d: Batch, deltas: list[Batch]) -> Batch:
        p = _Partial({i: d.cols}, Batch((), d.time, d.diff))
        for step in self.paths[i]:
            keycols = [self._col(p, c) for c in step.probe]
            khash = hash_rows(keycols, len(p))
            pieces = [self._extend(p, step.input, step.arrangement.spine, khash, keycols, sign=1)]
            dj = deltas[step.input]
            if step.input > i and len(dj):
                # Inputs after i are read without their pending delta ("old" versions).
                tmp = Spine(step.arrangement.key, dj.arity)
                tmp.levels[0] = [build_run(dj, step.arrangement.key, 0)]
                pieces.append(self._extend(p, step.input, tmp, khash, keycols, sign=-1))
            p = _Partial(
                {j: tuple(concat_cols([pc.cols[j][k] for pc in pieces])
                          for k in range(len(pieces[0].cols[j])))
                 for j in pieces[0].cols},
                concat([pc.td for pc in pieces], 0))
        cols = tuple(c for j in range(len(self.inputs)) for c in p.cols[j])
        return Batch(cols, p.td.time, p.td.diff)

    @staticmethod
    def _extend(p: _Partial, j: int, spine: Spine, khash: Hashes, keycols: list[Col], *,
                sign: int) -> _Partial:
        pi, matched = spine.lookup(khash, keycols)
        cols = {k: tuple(c[pi] for c in v) for k, v in p.cols.items()}
        cols[j] = matched.cols
        td = Batch((), np.maximum(p.td.time[pi], matched.time),
                   sign * p.td.diff[pi] * matched.diff)
        return _Partial(cols, td)
