"""The dataflow graph: operators, streams, frontiers, scheduling and the error collection.

Operators are created in topological order (an operator's inputs exist before it), so one
pass of :meth:`Dataflow.step` in creation order moves every update as far as it can go.
Each operator has a ``frontier``: the least time it may still emit. Stateless operators
forward updates at once; stateful ones (reduce, threshold, top-k) buffer updates and handle
each time ``t`` only once their input frontier has passed ``t``, in time order.

Errors raised by user functions (arithmetic, overflow, any :class:`PymzError`) do not abort
the dataflow: the failing rows are found by re-evaluating the batch row by row, the good
rows continue, and each bad row becomes an update ``(sqlstate, message)`` with the row's
time and diff in the dataflow's ``errs`` collection, so deleting the row retracts its error.
Outputs raise the error when read at a time where ``errs`` is not empty (as Materialize
reports a query error while any error is present).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from decimal import InvalidOperation
from typing import Any

import numpy as np
import numpy.typing as npt

from pymz.compute.dataflow.batch import FOREVER, Batch, Col, concat
from pymz.compute.dataflow.spine import Spine
from pymz.errors import DivisionByZero, InternalError, NumericValueOutOfRange, PymzError


class StateDict(dict[Any, Any]):
    """A dict for large, long-lived operator state keyed by rows or values.

    A subclass on purpose: CPython's cyclic GC untracks an *exact* dict whose keys and
    values are all untracked (e.g. tuples of plain values mapped to ints), and the next
    insert of a freshly built row re-tracks it as a young object, so every young collection
    then walks all its entries (60-70 ms for 300k entries, in the middle of an update).
    Dict subclasses are never untracked, so a big map ages into the oldest generation once.
    """

    __slots__ = ()


class Operator:
    """Base: input queues per port, consumers, a frontier, and a ``run`` step."""

    name = "operator"

    def __init__(self, df: Dataflow, inputs: Sequence[Operator], arity: int) -> None:
        self.df = df
        self.inputs = list(inputs)
        self.arity = arity
        self.queues: list[list[Batch]] = [[] for _ in self.inputs]
        self.consumers: list[tuple[Operator, int]] = []
        self.frontier = 0
        # Scheduled to run: new input was queued, an input's frontier moved, or (sources) it
        # was given updates or a frontier. Operators start scheduled; an unscheduled one is
        # skipped, so an idle dataflow costs nothing per step.
        self.scheduled = True
        # An empty batch of this arity, what take() returns for an empty queue (shared:
        # batches are never mutated).
        self.nothing = Batch.empty(arity)
        for port, inp in enumerate(self.inputs):
            if inp.df is not df:
                raise InternalError("operators of different dataflows cannot be connected")
            inp.consumers.append((self, port))
        df.operators.append(self)

    def input_frontier(self) -> int:
        return min((i.frontier for i in self.inputs), default=FOREVER)

    def take(self, port: int) -> Batch:
        q = self.queues[port]
        if not q:
            return self.inputs[port].nothing
        self.queues[port] = []
        return concat(q, self.inputs[port].arity)

    def emit(self, batch: Batch) -> None:
        if len(batch):
            for op, port in self.consumers:
                op.queues[port].append(batch)
                op.scheduled = True

    def run(self) -> bool:
        """Process queued input; returns whether anything was emitted or the frontier moved."""
        raise NotImplementedError

    def spines(self) -> list[Spine]:
        """Arrangements this operator maintains (for idle merging)."""
        return []

    def advance(self, frontier: int) -> bool:
        moved = frontier != self.frontier
        if moved:
            self.frontier = frontier
            for op, _ in self.consumers:
                op.scheduled = True
        return moved


class Dataflow:
    """A graph of operators stepped to quiescence; holds the dataflow-wide ``errs``."""

    def __init__(self, name: str = "dataflow") -> None:
        self.name = name
        self.operators: list[Operator] = []
        # Error rows (sqlstate, message); key on both so merges can cut between errors.
        self.errs = Spine((0, 1), 2)

    def step(self, stop: Callable[[], None] | None = None) -> bool:
        """One pass over all operators in topological order; returns whether anything moved.
        ``stop`` is called before each operator; it raises to abandon the pass."""
        moved = False
        for op in self.operators:
            if not op.scheduled:
                continue
            if stop is not None:
                stop()
            op.scheduled = False
            moved |= op.run()
        return moved

    def run(self, max_steps: int = 1000, stop: Callable[[], None] | None = None) -> None:
        """Step until quiescent (a DAG needs one pass; the loop guards against surprises)."""
        for _ in range(max_steps):
            if not self.step(stop):
                return
        raise InternalError(f"dataflow {self.name} did not quiesce")

    def exert(self, fuel: int) -> int:
        """Idle merging/compaction of every arrangement, about ``fuel`` rows each; 0 when done."""
        work = self.errs.exert(fuel)
        for op in self.operators:
            for sp in op.spines():
                work += sp.exert(fuel)
        return work

    def frontier(self) -> int:
        """Least frontier of all operators: every time below it is final everywhere."""
        return min((op.frontier for op in self.operators), default=FOREVER)

    def errors_at(self, as_of: int) -> list[PymzError]:
        errs = self.errs.snapshot(as_of)
        out: list[PymzError] = []
        for (state, msg), diff in zip(errs.rows(), errs.diff.tolist(), strict=True):
            if diff > 0:
                out.append(error_for(str(state), str(msg)))
        return out

    def report(self, errors: list[tuple[PymzError, int, int]]) -> None:
        """Record ``(error, time, diff)`` into ``errs``."""
        if errors:
            self.errs.insert(Batch.from_rows(
                [(e.sqlstate, e.message) for e, _, _ in errors],
                [t for _, t, _ in errors], [d for _, _, d in errors], arity=2))


def error_for(sqlstate: str, message: str) -> PymzError:
    """Rebuild an error from its ``errs`` row, as the subclass that owns the SQLSTATE."""
    todo: list[type[PymzError]] = [PymzError]
    while todo:
        cls = todo.pop()
        if cls is not PymzError and cls.sqlstate == sqlstate:
            return cls(message)
        todo.extend(cls.__subclasses__())
    return PymzError(message, sqlstate=sqlstate)


def to_pymz(exc: BaseException) -> PymzError | None:
    """The query error a user-function exception stands for, or None if it is a bug."""
    if isinstance(exc, PymzError):
        return exc
    if isinstance(exc, ZeroDivisionError):
        return DivisionByZero("division by zero")
    if isinstance(exc, FloatingPointError) and "divide" in str(exc):
        return DivisionByZero("division by zero")
    if isinstance(exc, OverflowError | FloatingPointError):
        return NumericValueOutOfRange("value out of range: overflow")
    if isinstance(exc, InvalidOperation | ArithmeticError):
        return PymzError(f"invalid numeric operation: {exc}", sqlstate="22000")
    return None


R = Any


def guarded(
    df: Dataflow, batch: Batch, fn: Callable[[tuple[Col, ...]], R]
) -> tuple[Batch, R]:
    """Apply a vectorised user function; isolate failing rows into ``errs``.

    Returns the rows it succeeded on and its result for exactly those rows. numpy float
    errors are turned into exceptions so they are reported, not silently NaN/inf.
    """
    try:
        with np.errstate(all="raise"):
            return batch, fn(batch.cols)
    except Exception as exc:
        if to_pymz(exc) is None:
            raise
    good: list[int] = []
    errors: list[tuple[PymzError, int, int]] = []
    times, diffs = batch.time.tolist(), batch.diff.tolist()
    for i in range(len(batch)):
        one = batch.take(np.array([i]))
        try:
            with np.errstate(all="raise"):
                fn(one.cols)
            good.append(i)
        except Exception as exc:
            err = to_pymz(exc)
            if err is None:
                raise
            errors.append((err, times[i], diffs[i]))
    df.report(errors)
    ok = batch.take(np.array(good, dtype=np.intp))
    with np.errstate(all="raise"):
        return ok, fn(ok.cols)


def mask_of(x: Any, n: int) -> npt.NDArray[np.bool_]:
    """A predicate result as a boolean mask; NULL (None) counts as false, as in SQL WHERE."""
    arr = np.asarray(x)
    if arr.dtype == np.bool_:
        return arr if arr.shape == (n,) else np.broadcast_to(arr, (n,)).copy()
    return np.fromiter((v is True or v is np.True_ for v in arr.tolist()), np.bool_, count=n)
