"""One-shot queries planned by the engine that maintains views (:mod:`pymz.expr`).

A SELECT over user relations (tables, materialized views, views) — or over no relation at
all — is planned here first. The plan runs either in environmentd (no relation read: the
reference evaluator, which computes exactly what the dataflow engine computes) or as a peek
on the session's cluster (the dataflow engine over the relations' contents at the peek
timestamp). Either way a SELECT gives the same answer, with the same types and the same
errors, as a materialized view or an index of the same query.

Queries this planner does not take (``None``): ones reading system catalog relations
(``mz_catalog``, ``pg_catalog``, ...), and ones using syntax, or a function name, the engine
does not know at all (``version()``, ``pg_typeof``, ...); those run on the SQL snapshot
executor (:mod:`pymz.sqlexec`, DuckDB), as every query did before. Genuine errors (unknown
column, no operator or overload for the argument types, division by zero while folding
constants, ...) are raised, not handed over: another engine would give another answer.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pymz import expr
from pymz.adapter.table_types import to_column
from pymz.adapter.views import Relation, Views
from pymz.catalog import View
from pymz.errors import (
    FeatureNotSupported,
    InvalidSchemaName,
    SqlSyntaxError,
    UndefinedObject,
    UndefinedTable,
    UnknownFunction,
)
from pymz.repr import Column, ScalarType

if TYPE_CHECKING:
    from pymz.adapter.session import Session

# What makes a query go to the SQL snapshot executor instead (it may know the relation,
# the function or the syntax); any other planning error is the query's error.
_HAND_OVER = (FeatureNotSupported, UnknownFunction, UndefinedTable, UndefinedObject,
              InvalidSchemaName, SqlSyntaxError)


@dataclass(frozen=True)
class OneShot:
    planned: expr.PlannedQuery
    reads: tuple[Relation, ...]  # what the plan's Gets read, by catalog id
    columns: tuple[Column, ...]
    param_oids: tuple[int, ...]


def param_literal(value: object | None, oid: int) -> expr.Literal:
    """``$n`` as a literal of its declared type (unknown: text taking its type from the
    context, like a quoted literal)."""
    st = ScalarType.from_oid(oid)
    if st is not None and st is not ScalarType.UNKNOWN:
        return expr.Literal(value, st)
    for t in ScalarType:
        if t.array_oid == oid and oid:
            return expr.Literal(None if value is None else tuple(value),  # type: ignore[arg-type]
                                t, is_array=True)
    return expr.Literal(None if value is None else str(value), ScalarType.UNKNOWN)


class OneShotPlanner:
    def __init__(self, views: Views) -> None:
        self._views = views

    def plan(self, session: Session, sql: str, param_oids: Sequence[int],
             params: Sequence[object | None] | None, *, indexed: frozenset[str],
             now: dt.datetime | None = None) -> OneShot | None:
        """The plan of ``sql``, or None when the SQL snapshot executor should run it.

        ``param_oids`` are the resolved parameter types (0 is text); ``params`` their values
        (None at describe time: the plan is then only good for its columns). Views in
        ``indexed`` are read from their index, the others are inlined."""
        literals = [param_literal(None if params is None else params[i], oid)
                    for i, oid in enumerate(param_oids)]
        reads: dict[str, Relation] = {}

        def resolve(parts: tuple[str, ...]) -> tuple[str, Sequence[Column]] | None:
            found = self._views.resolver.resolve(session, parts)
            if found is None:
                return None
            item = found[0]
            if isinstance(item, View) and item.id not in indexed:
                return None  # inlined by expand; never reached
            reads[item.id] = item
            return item.id, tuple(to_column(c) for c in item.columns)

        try:
            expanded = self._views.expand(session, sql, keep=indexed)
            planned = expr.plan(expanded, resolve, params=literals,
                                now=now or dt.datetime.now(dt.UTC))
        except _HAND_OVER:
            return None
        optimized = expr.PlannedQuery(expr.optimize(planned.expr), planned.finishing,
                                      planned.names)
        return OneShot(optimized, tuple(reads.values()), planned.columns,
                       tuple(param_oids))
