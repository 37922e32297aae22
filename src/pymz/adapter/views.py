"""Views: named queries, inlined into the queries that read them.

A view's SQL is stored with every user relation it names qualified by schema, so later
changes to a session's search path do not change what it reads. Reading a view replaces the
reference with the view's query as a subquery (recursively), which is exactly a view's
meaning; the expanded query then runs like any other (locally or as a peek).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING

import sqlglot
from sqlglot import exp

from pymz.adapter.tables import DescribeQuery, TableSequencer, quote_ident
from pymz.catalog import Catalog, MaterializedView, Secret, Table, TableColumn, View
from pymz.errors import (
    DependentObjectsStillExist,
    DuplicateColumn,
    DuplicateObject,
    FeatureNotSupported,
    InternalError,
    InvalidObjectDefinition,
    SqlSyntaxError,
    UndefinedTable,
    WrongObjectType,
)
from pymz.sql import ast

if TYPE_CHECKING:
    from pymz.adapter.session import Session

MAX_VIEW_DEPTH = 64
Relation = Table | View | MaterializedView


class ItemResolver:
    """Resolves (possibly qualified) names of user relations the way queries do."""

    def __init__(self, catalog: Catalog) -> None:
        self._catalog = catalog

    def resolve(self, session: Session, parts: Sequence[str]) -> tuple[Relation, str] | None:
        """The item and the name of its schema, or None if no user relation has the name."""
        db_name = parts[0] if len(parts) == 3 else session.vars.get("database")
        path = [s.strip() for s in session.vars.get("search_path").split(",") if s.strip()]
        db = self._catalog.database_by_name(db_name)
        return self.resolve_in(db.id if db is not None else None, path, parts)

    def resolve_in(self, database_id: str | None, path: Sequence[str],
                   parts: Sequence[str]) -> tuple[Relation, str] | None:
        cat = self._catalog
        if database_id is None or not parts:
            return None
        schemas = [parts[-2]] if len(parts) >= 2 else list(path)
        for schema_name in schemas:
            schema = cat.schema_by_name(database_id, schema_name)
            if schema is None:
                continue
            items: list[Relation] = [*cat.tables.values(), *cat.views.values(),
                                     *cat.materialized_views.values()]
            for item in items:
                if item.schema_id == schema.id and item.name == parts[-1]:
                    return item, schema_name
        return None


def _parts(table: exp.Table) -> list[str]:
    return [p for p in (table.catalog, table.db, table.name) if p]


def _cte_names(tree: exp.Expr) -> set[str]:
    return {cte.alias for cte in tree.find_all(exp.CTE)}


def _name_span(sql: str, table: exp.Table) -> tuple[int, int] | None:
    """The [start, end) offsets of a table reference's (qualified) name in ``sql``."""
    idents = [table.args.get(k) for k in ("catalog", "db", "this")]
    metas = [i.meta for i in idents if isinstance(i, exp.Identifier)]
    if not metas or any("start" not in m or "end" not in m for m in metas):
        return None
    start, end = min(m["start"] for m in metas), metas[-1]["end"] + 1
    return (start, end) if 0 <= start < end <= len(sql) else None


def _subquery_edit(sql: str, table: exp.Table, inner: str, view: View
                   ) -> tuple[int, int, str] | None:
    """The edit replacing a view reference by its query: ``(query) AS alias(columns)``,
    keeping an alias (and its column list) the user gave."""
    span = _name_span(sql, table)
    if span is None:
        return None
    columns = "(" + ", ".join(quote_ident(c.name) for c in view.columns) + ")"
    alias = table.args.get("alias")
    if alias is None or not isinstance(alias.this, exp.Identifier):
        return (*span, f"({inner}) AS {quote_ident(view.name)}{columns}")
    if alias.columns:
        return (*span, f"({inner})")
    meta = alias.this.meta
    if "end" not in meta:
        return None
    # `v AS a` becomes `(query) AS a(columns)`: the columns go after the alias.
    end = meta["end"] + 1
    return (span[0], end, f"({inner}){sql[span[1]:end]}{columns}")


def _splice(sql: str, edits: list[tuple[int, int, str]]) -> str:
    """``sql`` with each [start, end) range replaced (ranges do not overlap)."""
    for start, end, text in sorted(edits, reverse=True):
        sql = sql[:start] + text + sql[end:]
    return sql


def _qualify_by_printing(tree: exp.Expr, session: Session, resolver: ItemResolver,
                         ctes: set[str]) -> tuple[str, tuple[str, ...]]:
    """:meth:`Views.qualify` for a tree whose name positions are unknown: re-printed."""
    deps: list[str] = []
    for table in list(tree.find_all(exp.Table)):
        parts = _parts(table)
        if len(parts) == 1 and parts[0] in ctes:
            continue
        found = resolver.resolve(session, parts)
        if found is None:
            continue
        item, schema = found
        table.set("db", exp.to_identifier(schema))
        table.set("catalog", None)
        if item.id not in deps:
            deps.append(item.id)
    return tree.sql(dialect="postgres"), tuple(deps)


def _parse(sql: str) -> exp.Expr | None:
    try:
        return sqlglot.parse_one(sql, read="postgres")
    except sqlglot.errors.ParseError:
        return None  # the executor reports syntax errors with positions


class Views:
    def __init__(self, catalog: Catalog) -> None:
        self._catalog = catalog
        self.resolver = ItemResolver(catalog)

    def qualify(self, session: Session, sql: str) -> tuple[str, tuple[str, ...]]:
        """``sql`` with user relations qualified by schema, and the ids it reads.

        Only the relation names are rewritten, in place: the rest of the text stays as the
        user wrote it (re-printing the whole query through sqlglot would lose what it cannot
        print, e.g. regexp flags)."""
        tree = _parse(sql)
        if tree is None:
            return sql, ()
        ctes = _cte_names(tree)
        deps: list[str] = []
        edits: list[tuple[int, int, str]] = []
        for table in list(tree.find_all(exp.Table)):
            parts = _parts(table)
            if len(parts) == 1 and parts[0] in ctes:
                continue
            found = self.resolver.resolve(session, parts)
            if found is None:
                continue
            item, schema = found
            span = _name_span(sql, table)
            if span is None:
                return _qualify_by_printing(tree, session, self.resolver, ctes)
            edits.append((*span, f"{quote_ident(schema)}.{quote_ident(item.name)}"))
            if item.id not in deps:
                deps.append(item.id)
        return _splice(sql, edits), tuple(deps)

    def expand_in_database(self, database_id: str | None, sql: str) -> str:
        """:meth:`expand` for stored (schema-qualified) definitions."""
        return self._expand(lambda parts: self.resolver.resolve_in(database_id, (), parts), sql)

    def expand(self, session: Session, sql: str, depth: int = 0,
               keep: frozenset[str] = frozenset()) -> str:
        """``sql`` with every view reference replaced by the view's query, except views
        whose id is in ``keep`` (read from an index instead)."""
        return self._expand(lambda parts: self.resolver.resolve(session, parts), sql, depth,
                            keep)

    def _expand(self, resolve: Callable[[Sequence[str]], tuple[Relation, str] | None],
                sql: str, depth: int = 0, keep: frozenset[str] = frozenset()) -> str:
        if not self._catalog.views:
            return sql
        if depth > MAX_VIEW_DEPTH:
            raise InternalError("views nested too deeply (a cycle?)")
        tree = _parse(sql)
        if tree is None:
            return sql
        ctes = _cte_names(tree)
        edits: list[tuple[int, int, str]] = []
        for table in list(tree.find_all(exp.Table)):
            parts = _parts(table)
            if len(parts) == 1 and parts[0] in ctes:
                continue
            found = resolve(parts)
            if found is None or not isinstance(found[0], View) or found[0].id in keep:
                continue
            view = found[0]
            inner = self._expand(resolve, view.sql, depth + 1, keep)
            edit = _subquery_edit(sql, table, inner, view)
            if edit is None:
                raise InternalError(f"cannot locate the reference to view {view.name}")
            edits.append(edit)
        return _splice(sql, edits)

    def dependents(self, ids: Iterable[str]) -> list[View]:
        """Views that read any of ``ids``, directly or through other views."""
        wanted = set(ids)
        found: list[View] = []
        grew = True
        while grew:
            grew = False
            for view in self._catalog.views.values():
                if view not in found and wanted & set(view.depends_on):
                    found.append(view)
                    wanted.add(view.id)
                    grew = True
        return found

    def check_no_dependents(self, ids: Iterable[str], what: str, cascade: bool) -> list[View]:
        """Views to drop along with ``ids`` (with CASCADE), or an error without it."""
        dependents = [v for v in self.dependents(ids) if v.id not in set(ids)]
        if dependents and not cascade:
            raise DependentObjectsStillExist(
                f"cannot drop {what}: still depended upon by view \"{dependents[0].name}\"",
                hint="Use DROP ... CASCADE to drop the dependent objects too.")
        return dependents


class ViewSequencer:
    """CREATE VIEW / DROP VIEW, and the dependency checks DROP TABLE needs."""

    def __init__(self, catalog: Catalog, views: Views, tables: TableSequencer,
                 describe: DescribeQuery) -> None:
        self._catalog = catalog
        self._views = views
        self._tables = tables
        self._describe = describe

    async def create_view(self, stmt: ast.CreateView, sql_text: str,
                          session: Session) -> list[str]:
        if stmt.temporary:
            raise FeatureNotSupported("CREATE TEMPORARY VIEW not yet supported")
        schema_id, name = self._tables.schema_for_create(stmt.name, session)
        existing = self._item_named(schema_id, name)
        replaced: View | None = None
        if existing is not None:
            if stmt.if_not_exists:
                return [f'view "{name}" already exists, skipping']
            if not (stmt.or_replace and isinstance(existing, View)):
                raise DuplicateObject(f"{_kind(existing)} '{name}' already exists")
            replaced = existing
        qualified, deps = self._views.qualify(session, stmt.query)
        if replaced is not None and replaced.id in deps:
            raise InvalidObjectDefinition(f'view "{name}" cannot depend on itself')
        shape = await self._describe(session, qualified, [])
        names = [c.value for c in stmt.columns] or [c.name for c in shape.columns]
        if len(names) > len(shape.columns):
            raise SqlSyntaxError("CREATE VIEW specifies more column names than the view has "
                                 "columns")
        names += [c.name for c in shape.columns[len(names):]]
        duplicate = next((n for i, n in enumerate(names) if n in names[:i]), None)
        if duplicate is not None:
            raise DuplicateColumn(f'column "{duplicate}" specified more than once')
        columns = tuple(TableColumn(n, c.type.name, c.is_array, c.nullable)
                        for n, c in zip(names, shape.columns, strict=True))
        txn = self._catalog.transaction()
        if replaced is not None:
            dependents = self._views.dependents([replaced.id])
            if dependents:
                raise DependentObjectsStillExist(
                    f'cannot replace view "{name}": still depended upon by view '
                    f'"{dependents[0].name}"')
            txn.remove(replaced)
        view_id = replaced.id if replaced is not None else txn.allocate_id("item")
        oid = replaced.oid if replaced is not None else txn.allocate_oid()
        txn.put(View(view_id, oid, name, schema_id, session.role_id, qualified, columns, deps,
                     sql_text))
        txn.commit()
        return []

    def _item_named(self, schema_id: str, name: str) -> Table | View | Secret | None:
        items: list[Table | View | Secret] = [*self._catalog.tables.values(),
                                              *self._catalog.views.values(),
                                              *self._catalog.secrets.values()]
        return next((i for i in items if i.schema_id == schema_id and i.name == name), None)

    async def drop_views(self, stmt: ast.DropObjects, session: Session) -> list[str]:
        notices: list[str] = []
        targets: list[View] = []
        for name in stmt.names:
            found = self._views.resolver.resolve(session, name.names)
            if found is None or not isinstance(found[0], View):
                if stmt.if_exists:
                    notices.append(f'view "{name}" does not exist, skipping')
                    continue
                if found is not None:
                    raise WrongObjectType(f'"{name}" is not a view')
                raise UndefinedTable(f"unknown catalog item '{name}'")
            targets.append(found[0])
        ids = [v.id for v in targets]
        targets += self._views.check_no_dependents(ids, f'view "{targets[0].name}"'
                                                   if targets else "view", stmt.cascade)
        if targets:
            txn = self._catalog.transaction()
            for view in {v.id: v for v in targets}.values():
                txn.remove(view)
            txn.commit()
        return notices


def _kind(item: object) -> str:
    return {Table: "table", View: "view"}.get(type(item), "secret")


