"""EXPLAIN: the plan pymz's planner (``pymz.expr``) makes for a query or view.

Names resolve the way queries do: views are inlined first, then user tables and system
relations are looked up through the session's search path. The plan is the one the
incremental engine will render; SELECTs still execute through the snapshot executor.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from pymz import expr
from pymz.adapter.client import QueryResult
from pymz.adapter.query import QueryRunner
from pymz.adapter.views import Views
from pymz.catalog import MaterializedView, View
from pymz.errors import FeatureNotSupported, UndefinedTable, WrongObjectType
from pymz.repr import Column, ScalarType
from pymz.sql import ast
from pymz.sqlexec import RelationSnapshot

if TYPE_CHECKING:
    from pymz.adapter.session import Session


def _catalog_for(relations: Sequence[RelationSnapshot], search_path: Sequence[str]
                 ) -> expr.Catalog:
    by_name = {(r.schema, r.name): r for r in relations}

    def resolve(parts: tuple[str, ...]) -> tuple[str, Sequence[Column]] | None:
        schemas = [parts[-2]] if len(parts) >= 2 else list(search_path)
        for schema in schemas:
            rel = by_name.get((schema, parts[-1]))
            if rel is not None:
                return f"{rel.schema}.{rel.name}", rel.columns
        return None

    return resolve


async def explain_statement(stmt: ast.Explain, session: Session, runner: QueryRunner,
                            views: Views) -> QueryResult:
    if stmt.explainee == "QUERY":
        assert stmt.query is not None
        sql = stmt.query
    elif stmt.explainee in ("VIEW", "MATERIALIZED VIEW") and stmt.name is not None:
        found = views.resolver.resolve(session, stmt.name.names)
        if found is None:
            raise UndefinedTable(f"unknown catalog item '{stmt.name}'")
        item = found[0]
        wanted = View if stmt.explainee == "VIEW" else MaterializedView
        if not isinstance(item, wanted):
            raise WrongObjectType(f'"{stmt.name}" is not a {stmt.explainee.lower()}')
        sql = item.sql
    else:
        raise FeatureNotSupported(f"EXPLAIN {stmt.explainee} not yet supported")
    if stmt.format != "TEXT":
        raise FeatureNotSupported("EXPLAIN AS JSON not yet supported")
    expanded = views.expand(session, sql)
    values = runner.session_values(session)
    catalog = _catalog_for(runner.relations(session, values), runner.search_path(session))
    planned = expr.plan(expanded, catalog)
    stage = (stmt.stage or "OPTIMIZED").upper()
    plan = planned.expr if stage in ("RAW", "DECORRELATED") else expr.optimize(planned.expr)
    title = {"RAW": "Raw Plan", "DECORRELATED": "Decorrelated Plan"}.get(stage,
                                                                         "Optimized Plan")
    text = expr.explain(plan, planned.finishing)
    return QueryResult((Column(title, ScalarType.TEXT),), [(text,)], "SELECT 1")
