"""Incremental dataflow engine: Z-set updates through operators with frontier progress.

Guarantees: a collection is a multiset of rows given as updates ``(row, time, diff)`` in
columnar :class:`Batch`\\es (numpy arrays). Every :class:`Output`, read with
``snapshot(as_of)`` at a time its frontier has passed (and at or after its ``since``),
equals the query recomputed from scratch on the inputs as of that time, for the operators
here: map/filter/project/flat-map, union, negate, arrange, binary and n-way delta joins,
reduce (count, sum, min, max; any per-group function via ``BasicReduce``), threshold,
distinct, top-k and temporal filters. Handling an update costs O(1) amortised work plus
``O(runs · log n)`` binary searches for arrangement lookups, ``O(log group)`` for min/max,
and the changed group's own size for top-k and basic reductions, never a scan of the whole
state. Arrangements (:class:`Spine`) are shared through trace handles, compacted to the
least reader ``since``, and merged in bounded chunks per insert (see :class:`MergeStats`).
Errors in user functions become rows of the dataflow's ``errs`` collection and are raised by
reads of an output while present.

Does not guarantee: multi-dimensional (partially ordered) times or iteration; join
planning (the renderer picks paths and arrangements); incremental top-k inside a group (a
changed group is re-sorted); distribution over workers; persistence (state lives in memory).
Operators must be built before updates flow through the operators they read, except
:class:`Join`, which imports what its left arrangement already holds (a :class:`DeltaJoin`
refuses populated inputs). Key equality is Python equality with NULL = NULL, so the SQL
renderer must drop NULL join keys itself; user functions implement SQL NULL semantics
themselves. Single-threaded: one caller steps a dataflow.
"""

from pymz.compute.dataflow.basic import BasicReduce, GroupMap
from pymz.compute.dataflow.batch import FOREVER, Batch, column, concat, consolidate
from pymz.compute.dataflow.delta_join import DeltaJoin, Lookup
from pymz.compute.dataflow.graph import Dataflow, Operator
from pymz.compute.dataflow.ops import (
    Arrange,
    Filter,
    FlatMap,
    Input,
    Join,
    Map,
    Negate,
    Output,
    Project,
    Subscription,
    TemporalFilter,
    Union,
)
from pymz.compute.dataflow.reduce import Agg, Distinct, Reduce, Threshold
from pymz.compute.dataflow.spine import MergeStats, Spine, TraceHandle
from pymz.compute.dataflow.topk import Order, TopK

__all__ = [
    "FOREVER",
    "Agg",
    "Arrange",
    "BasicReduce",
    "Batch",
    "Dataflow",
    "DeltaJoin",
    "Distinct",
    "Filter",
    "FlatMap",
    "GroupMap",
    "Input",
    "Join",
    "Lookup",
    "Map",
    "MergeStats",
    "Negate",
    "Operator",
    "Order",
    "Output",
    "Project",
    "Reduce",
    "Spine",
    "Subscription",
    "TemporalFilter",
    "Threshold",
    "TopK",
    "TraceHandle",
    "Union",
    "column",
    "concat",
    "consolidate",
]
