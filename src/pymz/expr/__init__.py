"""pymz.expr — the relational IR (a small MIR), the SQL → IR planner, a reference evaluator,
a few optimisation passes and EXPLAIN rendering.

Guarantees: every IR node is an immutable, hashable dataclass that knows its output schema;
the planner either returns a plan whose evaluation matches PostgreSQL semantics for the
supported subset (see docs/expr.md) or raises a :class:`pymz.errors.PymzError` with a
SQLSTATE; optimisation passes preserve the evaluated multiset. The evaluator is a
non-incremental oracle (nested-loop joins): it is meant for tests and small inputs.
Does not guarantee: plans that are efficient to maintain incrementally (decorrelation may
introduce cross products with distinct outer keys); support for every PostgreSQL construct.
"""

from pymz.expr import library  # noqa: F401 - registers the function library
from pymz.expr.evaluate import evaluate, evaluate_zset, finish, run_query
from pymz.expr.explain import explain
from pymz.expr.optimize import optimize
from pymz.expr.planner import Catalog, Planner, plan
from pymz.expr.relation import (
    Aggregate,
    ColumnOrder,
    Constant,
    Filter,
    FlatMap,
    Get,
    Join,
    Let,
    Map,
    Negate,
    PlannedQuery,
    Project,
    Reduce,
    RelationExpr,
    RowSetFinishing,
    Threshold,
    TopK,
    Union,
    Window,
    WindowCall,
    distinct,
)
from pymz.expr.scalar import Call, ColType, ColumnRef, If, Literal, ScalarExpr
from pymz.expr.validate import validate

__all__ = [
    "Aggregate", "Call", "Catalog", "ColType", "ColumnOrder", "ColumnRef", "Constant",
    "Filter", "FlatMap", "Get", "If", "Join", "Let", "Literal", "Map", "Negate",
    "PlannedQuery", "Planner", "Project", "Reduce", "RelationExpr", "RowSetFinishing",
    "ScalarExpr", "Threshold", "TopK", "Union", "Window", "WindowCall", "distinct",
    "evaluate", "evaluate_zset", "explain", "finish", "optimize", "plan", "run_query", "validate",
]
