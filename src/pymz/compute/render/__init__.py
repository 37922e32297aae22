"""pymz.compute.render — turn the relational IR (:mod:`pymz.expr`) into incremental dataflows
(:mod:`pymz.compute.dataflow`).

Guarantees: for every IR node the planner produces (Constant, Get, Let, Map, Filter,
Project, FlatMap, Join, Reduce with every aggregate, TopK, Negate, Threshold, Union), the
rendered output equals :func:`pymz.expr.evaluate` over the inputs as of every complete time,
including errors: a row whose scalar code fails (22012, 22003, ...) adds an error to the
dataflow's ``errs`` while it is present, and reads raise it. Scalar code is vectorised for
integer arithmetic, comparisons and three-valued logic; other functions run per row with the
registry's PostgreSQL semantics. Joins are arrangement lookups (binary or n-way delta joins;
NULL-safe equivalences as in the IR), arrangements are shared per (stream, key), and
``mz_now()`` comparisons in filters become temporal filters.

Does not guarantee: ``mz_now()`` anywhere but in ``WHERE mz_now() <op> expr`` conjuncts
(0A000); good join orders (paths are greedy); incremental top-k or basic aggregates inside
one group (a changed group is recomputed); float sums identical to a from-scratch sum.
"""

from pymz.compute.render.compiled import CompiledDataflow
from pymz.compute.render.relation import Renderer, render
from pymz.compute.render.scalar import compile_scalar

__all__ = ["CompiledDataflow", "Renderer", "compile_scalar", "render"]
