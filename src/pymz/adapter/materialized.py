"""Materialized views and indexes: SQL planned into incremental dataflows on a cluster.

A materialized view is a persist shard that a dataflow keeps equal to its query; reading it
is reading the shard, like a table. An index is an arrangement of a relation kept by a
dataflow on one cluster. Both are planned with :mod:`pymz.expr` (views inlined first) over the
persist-backed relations they read (tables and other materialized views), and installed on
every replica of their cluster through the compute controller; environmentd re-installs them
at start-up, each materialized view resuming at its shard's upper so nothing is written
twice.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Sequence
from typing import TYPE_CHECKING, Protocol

from pymz import expr
from pymz.adapter.table_types import to_column
from pymz.adapter.tables import TableSequencer, quote_ident
from pymz.adapter.views import Views
from pymz.catalog import (
    Catalog,
    Cluster,
    Index,
    MaterializedView,
    Table,
    TableColumn,
    View,
)
from pymz.compute_client.dataflow import (
    BuildDesc,
    DataflowDescription,
    IndexExport,
    PersistSinkExport,
    SourceImport,
    SubscribeBatch,
    SubscribeSinkExport,
)
from pymz.compute_client.errors_shard import ERROR_COLUMNS, errors_shard_id
from pymz.errors import (
    DependentObjectsStillExist,
    DuplicateColumn,
    DuplicateObject,
    FeatureNotSupported,
    SqlSyntaxError,
    UndefinedObject,
    UndefinedTable,
)
from pymz.expr.relation import children
from pymz.persist import PersistClient
from pymz.repr import Column
from pymz.sql import ast
from pymz.timestamp_oracle import TimestampOracle

if TYPE_CHECKING:
    from pymz.adapter.session import Session

PersistBacked = Table | MaterializedView


class DataflowController(Protocol):
    def create_dataflow(self, instance_id: str, desc: DataflowDescription) -> None: ...
    def allow_compaction(self, instance_id: str, id: str, frontier: int | None) -> None: ...
    def subscribe(self, instance_id: str, sink_id: str) -> AsyncIterator[SubscribeBatch]: ...


def columns_of(item: PersistBacked | View) -> tuple[Column, ...]:
    return tuple(to_column(c) for c in item.columns)


class MaterializedSequencer:
    def __init__(self, catalog: Catalog, views: Views, tables: TableSequencer, *,
                 compute: DataflowController, persist: PersistClient,
                 oracle: TimestampOracle) -> None:
        self._catalog = catalog
        self._views = views
        self._tables = tables
        self._compute = compute
        self._persist = persist
        self._oracle = oracle

    # --- planning --------------------------------------------------------------------
    def _persist_backed(self) -> dict[str, PersistBacked]:
        return {**self._catalog.tables, **self._catalog.materialized_views}

    def _plan(self, session: Session | None, sql: str,
              database_id: str | None = None) -> tuple[expr.RelationExpr, list[str]]:
        plan, reads, _names = self._plan_named(session, sql, database_id)
        return plan, reads

    def _plan_named(self, session: Session | None, sql: str, database_id: str | None = None,
                    ) -> tuple[expr.RelationExpr, list[str], list[str]]:
        """The optimised plan of ``sql`` and the ids of the persist-backed relations it reads
        (views inlined; system relations are not maintainable here). Stored definitions are
        schema-qualified, so only the database matters for them (``session`` None)."""
        backed = self._persist_backed()
        by_name: dict[tuple[str, str], PersistBacked] = {}
        schemas = {s.id: s.name for s in self._catalog.schemas.values()}
        if session is not None:
            expanded = self._views.expand(session, sql)
            db = self._catalog.database_by_name(session.vars.get("database"))
            database_id = db.id if db is not None else None
            path = [p.strip() for p in session.vars.get("search_path").split(",")
                    if p.strip()]
        else:
            expanded = self._views.expand_in_database(database_id, sql)
            path = []
        for item in backed.values():
            schema = self._catalog.schemas.get(item.schema_id)
            if schema is not None and schema.database_id == database_id:
                by_name[(schemas[item.schema_id], item.name)] = item

        def resolve(parts: tuple[str, ...]) -> tuple[str, Sequence[Column]] | None:
            for schema in ([parts[-2]] if len(parts) >= 2 else path):
                item = by_name.get((schema, parts[-1]))
                if item is not None:
                    return item.id, columns_of(item)
            return None

        try:
            planned = expr.plan(expanded, resolve)
        except UndefinedTable as e:
            raise UndefinedTable(
                e.message, hint="Materialized views and indexes can read tables, views and "
                "other materialized views; system catalog relations are not supported.",
            ) from None
        plan = planned.expr
        finishing = planned.finishing
        if finishing is not None:
            if finishing.limit is not None or finishing.offset:
                # A maintained top-k, as Materialize does: the rows ranked offset ..
                # offset + limit by ORDER BY (ties broken by the whole row).
                plan = expr.TopK(plan, (), finishing.order_by, finishing.limit,
                                 finishing.offset)
            # ORDER BY alone does not change a maintained collection; keep its projection.
            if finishing.project != tuple(range(len(plan.schema))):
                plan = expr.Project(plan, finishing.project)
        plan = expr.optimize(plan)
        reads = sorted({node.id for node in _gets(plan) if node.id in backed})
        return plan, reads, list(planned.names)

    def _dataflow(self, name: str, plan: expr.RelationExpr, reads: Sequence[str],
                  build_id: str, as_of: int, *, index: IndexExport | None = None,
                  sink: PersistSinkExport | None = None,
                  subscribe: SubscribeSinkExport | None = None) -> DataflowDescription:
        backed = self._persist_backed()
        imports = tuple(SourceImport(i, backed[i].shard_id, columns_of(backed[i]),
                                     has_errors=isinstance(backed[i], MaterializedView))
                        for i in reads)
        return DataflowDescription(
            debug_name=name, source_imports=imports,
            objects_to_build=(BuildDesc(build_id, plan),),
            index_exports=(index,) if index is not None else (),
            sink_exports=tuple(x for x in (sink, subscribe) if x is not None),
            as_of=as_of)

    async def _as_of(self, reads: Sequence[str], floor: int | None = None) -> int:
        """A timestamp every input is readable at (at or after its since)."""
        ts = await asyncio.to_thread(self._oracle.read_ts)
        backed = self._persist_backed()

        def since(shard_id: str) -> int:
            return self._persist.shard_state(shard_id).since

        sinces = [await asyncio.to_thread(since, backed[i].shard_id) for i in reads]
        return max([ts if floor is None else floor, *sinces])

    def _cluster(self, in_cluster: ast.Ident | None, session: Session) -> Cluster:
        name = in_cluster.value if in_cluster is not None else session.vars.get("cluster")
        cluster = self._catalog.cluster_by_name(name)
        if cluster is None:
            raise UndefinedObject(f"unknown cluster '{name}'")
        return cluster

    def _item_named(self, schema_id: str, name: str) -> bool:
        return any(item.schema_id == schema_id and item.name == name
                   for kind in ("table", "view", "materialized_view", "secret", "index")
                   for item in self._catalog.objects.get(kind, {}).values())

    # --- used by SUBSCRIBE -----------------------------------------------------------
    @property
    def catalog(self) -> Catalog:
        return self._catalog

    def plan(self, session: Session, sql: str
             ) -> tuple[expr.RelationExpr, list[str], list[str]]:
        """The plan, the persist-backed ids it reads, and its output column names."""
        return self._plan_named(session, sql)

    async def as_of(self, reads: Sequence[str], at_least: int | None = None) -> int:
        return await self._as_of(reads, at_least)

    def dataflow(self, name: str, plan: expr.RelationExpr, reads: Sequence[str], build_id: str,
                 as_of: int, *, subscribe: SubscribeSinkExport) -> DataflowDescription:
        return self._dataflow(name, plan, reads, build_id, as_of, subscribe=subscribe)

    def install(self, cluster_id: str, desc: DataflowDescription) -> None:
        self._compute.create_dataflow(cluster_id, desc)

    def resolve_relation(self, session: Session, parts: Sequence[str]) -> str:
        """A query reading the named relation (for ``SUBSCRIBE obj``)."""
        found = self._views.resolver.resolve(session, parts)
        if found is None:
            raise UndefinedTable(f"unknown catalog item '{'.'.join(parts)}'")
        return self._relation_sql(found[0].id)

    # --- materialized views ----------------------------------------------------------
    async def create_materialized_view(self, stmt: ast.CreateMaterializedView, sql_text: str,
                                       session: Session) -> list[str]:
        if stmt.or_replace:
            raise FeatureNotSupported("CREATE OR REPLACE MATERIALIZED VIEW not yet supported")
        if stmt.options:
            raise FeatureNotSupported(f"materialized view option {stmt.options[0].name} not "
                                      "yet supported")
        schema_id, name = self._tables.schema_for_create(stmt.name, session)
        if self._item_named(schema_id, name):
            if stmt.if_not_exists:
                return [f'materialized view "{name}" already exists, skipping']
            raise DuplicateObject(f"materialized view '{name}' already exists")
        cluster = self._cluster(stmt.in_cluster, session)
        qualified, deps = self._views.qualify(session, stmt.query)
        plan, _reads, output_names = self._plan_named(session, qualified)
        schema = plan.schema
        names = [c.value for c in stmt.columns] or output_names
        if len(names) > len(schema):
            raise SqlSyntaxError("column list is longer than the query's columns")
        names += output_names[len(names):]
        dup = next((n for i, n in enumerate(names) if n in names[:i]), None)
        if dup is not None:
            raise DuplicateColumn(f'column "{dup}" specified more than once')
        columns = tuple(TableColumn(n, c.type.name, c.is_array, c.nullable)
                        for n, c in zip(names, schema, strict=True))
        txn = self._catalog.transaction()
        mv = MaterializedView(txn.allocate_id("item"), txn.allocate_oid(), name, schema_id,
                              session.role_id, cluster.id, qualified, columns, deps,
                              f"s{uuid.uuid4()}", sql_text)
        # The shards exist before the catalog names them (an orphan shard is harmless).
        await asyncio.to_thread(lambda: self._persist.open_writer(
            mv.shard_id, columns_of(mv)).expire())
        await asyncio.to_thread(lambda: self._persist.open_writer(
            errors_shard_id(mv.shard_id), ERROR_COLUMNS).expire())
        txn.put(mv)
        txn.commit()
        await self._install_mv(mv, fresh=True)
        return []

    def _database_of(self, schema_id: str) -> str | None:
        schema = self._catalog.schemas.get(schema_id)
        return schema.database_id if schema is not None else None

    async def _install_mv(self, mv: MaterializedView, *, fresh: bool) -> None:
        plan, reads = self._plan(None, mv.sql, self._database_of(mv.schema_id))
        floor = None
        if not fresh:
            # Resume where the shards end: the output at upper - 1 is already persisted.
            # (An errors shard that is behind, or missing for a view created before errors
            # were persisted, is caught up by the sink's restart correction.)
            upper = await asyncio.to_thread(lambda: self._persist.shard_state(mv.shard_id).upper)
            floor = max(0, (upper or 1) - 1)
        as_of = await self._as_of(reads, floor)
        build = f"{mv.id}.body"
        # environmentd's read hold on the view's shards, following their upper, so
        # persist compacts them (the sink only writes).
        await self._tables.writer.follow(mv.id, [
            (mv.shard_id, columns_of(mv)), (errors_shard_id(mv.shard_id), ERROR_COLUMNS)])
        self._compute.create_dataflow(mv.cluster_id, self._dataflow(
            f"materialized view {mv.name}", plan, reads, build, as_of,
            sink=PersistSinkExport(mv.id, build, mv.shard_id, columns_of(mv))))

    # --- indexes ---------------------------------------------------------------------
    async def create_index(self, stmt: ast.CreateIndex, sql_text: str,
                           session: Session) -> list[str]:
        found = self._views.resolver.resolve(session, stmt.on.names)
        target: Table | View | MaterializedView | None = None
        if found is not None:
            target = found[0]
        else:
            target = next((m for m in self._catalog.materialized_views.values()
                           if m.name == stmt.on.names[-1]), None)
        if target is None:
            raise UndefinedTable(f"unknown catalog item '{stmt.on}'")
        cluster = self._cluster(stmt.in_cluster, session)
        column_names = [c.name for c in target.columns]
        if stmt.key_parts is None:
            key = tuple(range(len(column_names)))
        else:
            key_list: list[int] = []
            for part in stmt.key_parts:
                name = part.strip().strip('"') if part.strip().startswith('"') \
                    else part.strip().lower()
                if name not in column_names:
                    raise FeatureNotSupported(
                        f"index keys must be columns of {target.name}; {part!r} is not")
                key_list.append(column_names.index(name))
            key = tuple(key_list)
        base = stmt.name.value if stmt.name is not None else (
            f"{target.name}_{'_'.join(column_names[k] for k in key)}_idx"
            if stmt.key_parts is not None else f"{target.name}_primary_idx")
        if self._item_named(target.schema_id, base):
            if stmt.if_not_exists:
                return [f'index "{base}" already exists, skipping']
            raise DuplicateObject(f"index '{base}' already exists")
        txn = self._catalog.transaction()
        index = Index(txn.allocate_id("item"), txn.allocate_oid(), base, target.schema_id,
                      session.role_id, target.id, cluster.id, key, sql_text)
        txn.put(index)
        txn.commit()
        await self._install_index(index)
        return []

    def _relation_sql(self, item_id: str) -> str:
        cat = self._catalog
        item: Table | View | MaterializedView | None = (
            cat.tables.get(item_id) or cat.views.get(item_id)
            or cat.materialized_views.get(item_id))
        if item is None:
            raise UndefinedTable(f"unknown catalog item '{item_id}'")
        if isinstance(item, View):
            return item.sql
        schema = cat.schemas[item.schema_id].name
        return f"SELECT * FROM {quote_ident(schema)}.{quote_ident(item.name)}"

    async def _install_index(self, index: Index) -> None:
        plan, reads = self._plan(None, self._relation_sql(index.on_id),
                                 self._database_of(index.schema_id))
        as_of = await self._as_of(reads)
        build = f"{index.id}.body"
        self._compute.create_dataflow(index.cluster_id, self._dataflow(
            f"index {index.name}", plan, reads, build, as_of,
            index=IndexExport(index.id, build, index.key)))

    def index_for(self, item_id: str, cluster_id: str) -> Index | None:
        return next((i for i in self._catalog.indexes.values()
                     if i.on_id == item_id and i.cluster_id == cluster_id), None)

    # --- drop and start-up -----------------------------------------------------------
    async def drop(self, stmt: ast.DropObjects, session: Session) -> list[str]:
        kind = "materialized_view" if stmt.object_type == "MATERIALIZED VIEW" else "index"
        notices: list[str] = []
        targets: list[MaterializedView | Index] = []
        for name in stmt.names:
            item = next((o for o in self._catalog.objects[kind].values()
                         if o.name == name.names[-1]), None)
            if item is None:
                if stmt.if_exists:
                    notices.append(f'{stmt.object_type.lower()} "{name}" does not exist, '
                                   "skipping")
                    continue
                raise UndefinedObject(f"unknown catalog item '{name}'")
            targets.append(item)
        dependents = self.dependents([t.id for t in targets])
        if dependents and not stmt.cascade:
            raise DependentObjectsStillExist(
                f"cannot drop {stmt.object_type.lower()} \"{targets[0].name}\": still "
                f"depended upon by \"{dependents[0].name}\"",
                hint="Use DROP ... CASCADE to drop the dependent objects too.")
        await self.remove([*targets, *dependents])
        return notices

    def dependents(self, ids: Sequence[str]) -> list[View | MaterializedView | Index]:
        """Everything that reads ``ids``, transitively (views, materialized views, indexes)."""
        wanted = set(ids)
        found: list[View | MaterializedView | Index] = []
        grew = True
        while grew:
            grew = False
            candidates: list[View | MaterializedView | Index] = [
                *self._catalog.views.values(), *self._catalog.materialized_views.values(),
                *self._catalog.indexes.values()]
            for item in candidates:
                reads = {item.on_id} if isinstance(item, Index) else set(item.depends_on)
                if item not in found and item.id not in wanted and wanted & reads:
                    found.append(item)
                    wanted.add(item.id)
                    grew = True
        return found

    async def remove(self, items: Sequence[View | MaterializedView | Index]) -> None:
        """Drop catalog items; the dataflows behind them are torn down afterwards."""
        if not items:
            return
        txn = self._catalog.transaction()
        unique = {i.id: i for i in items}
        for item in unique.values():
            txn.remove(item)
        txn.commit()
        for item in unique.values():
            if isinstance(item, MaterializedView | Index):
                self._compute.allow_compaction(item.cluster_id, item.id, None)
            if isinstance(item, MaterializedView):
                self._tables.writer.unfollow(item.id)

    async def install_all(self) -> None:
        """Re-create every dataflow after a restart (controllers keep no durable state)."""
        for mv in sorted(self._catalog.materialized_views.values(), key=lambda m: m.id):
            await self._install_mv(mv, fresh=False)
        for index in sorted(self._catalog.indexes.values(), key=lambda i: i.id):
            await self._install_index(index)


def _gets(plan: expr.RelationExpr) -> list[expr.Get]:
    out: list[expr.Get] = []
    stack = [plan]
    while stack:
        node = stack.pop()
        if isinstance(node, expr.Get):
            out.append(node)
        stack.extend(children(node))
    return out
