"""Running queries: locally over catalog snapshots, or as a peek on a cluster.

A query that reads only system relations runs in environmentd over a snapshot of the catalog.
A query that reads a table runs as a peek on the session's cluster: environmentd picks the
timestamp (strict serializable: at or after every acknowledged write, and fixed for a whole
explicit transaction), makes sure every table read is complete at it, and every replica
reads the tables' persist shards at that timestamp; the first replica to answer wins.
Both paths run the same executor, so results do not depend on where a query ran.
"""

from __future__ import annotations

import asyncio
import functools
import re
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Protocol

import sqlglot
from prometheus_client import Counter
from sqlglot import exp

from pymz import __version__, expr
from pymz.adapter.catalog_relations import catalog_relations, table_relations
from pymz.adapter.index_reads import lookup_keys
from pymz.adapter.oneshot import OneShot, OneShotPlanner
from pymz.adapter.replicas import ReplicaManager
from pymz.adapter.table_types import to_column
from pymz.adapter.vars import SPECS, SessionVars
from pymz.adapter.views import Views
from pymz.catalog import Catalog, Cluster, Index, MaterializedView, ReplicaSize, Table, View
from pymz.compute_client.errors_shard import errors_shard_id
from pymz.compute_client.peek_plan import ShardImport, SnapshotQueryPlan
from pymz.errors import FeatureNotSupported, PymzError, QueryCanceled, UndefinedObject
from pymz.expr import serde
from pymz.expr.relation import children
from pymz.repr import Column, ScalarType
from pymz.sqlexec import (
    DatabaseEntry,
    IntrospectionEngine,
    QueryRows,
    QueryShape,
    RelationSnapshot,
    SchemaEntry,
    pg_catalog_relations,
)
from pymz.sqlexec.rewrite import rewrite
from pymz.storage_client.tables import TableWriter
from pymz.timestamp_oracle import TimestampOracle

if TYPE_CHECKING:
    from pymz.adapter.session import Session


class PeekClient(Protocol):
    async def peek_snapshot(self, instance_id: str, plan: SnapshotQueryPlan, timestamp: int,
                            *, timeout_s: float | None = None) -> list[tuple[object, ...]]: ...

    async def peek_index(self, instance_id: str, index_id: str, timestamp: int, *,
                         timeout_s: float | None = None) -> list[tuple[object, ...]]: ...


_SELECT_STAR = re.compile(r"\s*select\s+\*\s+from\s+[^\s;]+\s*;?\s*", re.IGNORECASE)


@functools.lru_cache(maxsize=512)
def _whole_relation(sql: str) -> tuple[str, ...] | None:
    """The name parts of ``obj`` when ``sql`` is exactly ``SELECT * FROM obj``."""
    if not _SELECT_STAR.fullmatch(sql):
        return None  # parsing (below) costs far more than this test on big statements
    try:
        tree = sqlglot.parse_one(sql, read="postgres")
    except sqlglot.errors.ParseError:
        return None
    if not isinstance(tree, exp.Select) or len(tree.expressions) != 1 \
            or not isinstance(tree.expressions[0], exp.Star):
        return None
    if any(tree.args.get(k) for k in ("where", "group", "having", "order", "limit", "offset",
                                       "joins", "distinct", "with", "with_", "laterals")):
        return None
    source = tree.args.get("from_") or tree.args.get("from")
    table = source.this if source is not None else None
    if not isinstance(table, exp.Table) or table.args.get("joins"):
        return None
    return tuple(p for p in (table.catalog, table.db, table.name) if p)


@functools.lru_cache(maxsize=512)
def _parameter_count(sql: str) -> int:
    """The highest ``$n`` the query uses (0 when it has none or does not parse)."""
    if "$" not in sql:
        return 0
    try:
        tree = sqlglot.parse_one(sql, read="postgres")
    except sqlglot.errors.SqlglotError:
        return 0
    numbers = [int(str(p.this.this)) for p in tree.find_all(exp.Parameter)
               if isinstance(p.this, exp.Literal) and str(p.this.this).isdigit()]
    return max(numbers, default=0)


def _generates_rows(e: expr.RelationExpr) -> bool:
    """Whether a plan holds a table function (``generate_series(1, 10^9)`` is a few
    characters): such plans run where a cancel can stop them."""
    return isinstance(e, expr.FlatMap) or any(_generates_rows(c) for c in children(e))


def _parse_duration_s(text: str) -> float | None:
    value = text.strip().lower()
    for suffix, scale in (("ms", 0.001), ("min", 60.0), ("s", 1.0), ("h", 3600.0)):
        if value.endswith(suffix) and value[: -len(suffix)].strip().replace(".", "").isdigit():
            seconds = float(value[: -len(suffix)]) * scale
            return seconds or None
    return float(value) / 1000 if value.isdigit() and value != "0" else None


def relation_columns(item: Table | MaterializedView | View) -> tuple[Column, ...]:
    return tuple(to_column(c) for c in item.columns)


class QueryRunner:
    def __init__(self, catalog: Catalog, sizes: Mapping[str, ReplicaSize],
                 replicas: ReplicaManager, environment_id: str, *, writer: TableWriter,
                 oracle: TimestampOracle, peeks: PeekClient,
                 path_counter: Counter | None = None) -> None:
        self._catalog = catalog
        self._sizes = sizes
        self._replicas = replicas
        self._environment_id = environment_id
        self._writer = writer
        self._oracle = oracle
        self._peeks = peeks
        self._path_counter = path_counter
        self.engine = IntrospectionEngine()
        self.views = Views(catalog)
        self._one_shots = OneShotPlanner(self.views)
        self._param_cache: dict[tuple[object, ...], tuple[int, ...]] = {}
        self._relations_cache: dict[object, list[RelationSnapshot]] = {}

    # --- relations -------------------------------------------------------------------
    def session_values(self, session: Session) -> dict[str, str]:
        values = session.vars.all()
        values.update(user=session.user, environment_id=self._environment_id,
                      connection_id=str(session.connection_id), mz_version=__version__)
        return values

    def search_path(self, session: Session) -> list[str]:
        path = [s.strip() for s in session.vars.get("search_path").split(",") if s.strip()]
        return ["mz_catalog", "pg_catalog", *path]

    def _user_tables(self, session: Session) -> dict[tuple[str, str],
                                                     Table | MaterializedView | View]:
        """The relations a peek reads (tables and materialized views from persist, views
        that are not inlined from their index) of the session's database, by (schema,
        name)."""
        db = self._catalog.database_by_name(session.vars.get("database"))
        if db is None:
            return {}
        schemas = {s.id: s.name for s in self._catalog.schemas.values()
                   if s.database_id == db.id}
        items: list[Table | MaterializedView | View] = [
            *self._catalog.tables.values(), *self._catalog.materialized_views.values(),
            *self._catalog.views.values()]
        return {(schemas[t.schema_id], t.name): t for t in items if t.schema_id in schemas}

    def relations(self, session: Session, values: Mapping[str, str]) -> list[RelationSnapshot]:
        """Every relation a query of ``session`` can name. Rebuilt only when something it is
        derived from changed (catalog version, replica statuses, table frontiers, session
        variables): most queries reuse the previous list."""
        statuses = self._replicas.statuses()
        frontiers = self._writer.frontiers()
        key = (self._catalog.version, tuple(sorted(values.items())),
               tuple((r, p, s.online, s.reason, s.updated_at) for r, p, s in statuses),
               tuple(sorted(frontiers.items())))
        cached = self._relations_cache.get(key)
        if cached is None:
            cached = self._build_relations(session, values)
            if len(self._relations_cache) >= 32:
                self._relations_cache.pop(next(iter(self._relations_cache)))
            self._relations_cache[key] = cached
        return list(cached)

    def _build_relations(self, session: Session,
                         values: Mapping[str, str]) -> list[RelationSnapshot]:
        cat = self._catalog
        rels = catalog_relations(cat, self._sizes, self._replicas.statuses())
        rels += table_relations(cat, self._writer.frontiers())
        owner = {r.id: r.oid for r in cat.roles.values()}
        db_oid = {d.id: d.oid for d in cat.databases.values()}
        rels += pg_catalog_relations(
            [DatabaseEntry(d.oid, d.name, owner.get(d.owner_id, 0))
             for d in cat.databases.values()],
            [SchemaEntry(s.oid, s.name, db_oid.get(s.database_id) if s.database_id else None,
                         owner.get(s.owner_id, 0)) for s in cat.schemas.values()],
            values,
            setting_descriptions={name: SessionVars.spec(name).description
                                  for name in values if name.lower() in SPECS},
        )
        # User tables take part in name resolution with no rows: their contents live in
        # persist and are read by the cluster.
        for (schema, name), table in self._user_tables(session).items():
            rels.append(RelationSnapshot(schema, name, relation_columns(table), (),
                                         version=table.oid))
        return rels

    # --- describe and run ------------------------------------------------------------
    async def _param_oids(self, session: Session, sql: str,
                          param_oids: Sequence[int]) -> tuple[int, ...]:
        """Parameter types: as declared, else as the SQL snapshot executor infers them from
        the context (text when it cannot)."""
        used = _parameter_count(sql)
        if len(param_oids) >= used and all(param_oids):
            return tuple(param_oids)
        # Inference depends on the text, the declared types and the relations' columns (the
        # catalog version) as the session resolves them; executions of a prepared statement
        # repeat it, so it is remembered.
        key = (sql, tuple(param_oids), self._catalog.version, session.vars.get("search_path"),
               session.vars.get("database"))
        cached = self._param_cache.get(key)
        if cached is not None:
            return cached
        try:
            oids = (await self._describe_snapshot(session, sql, param_oids)).param_oids
        except PymzError:
            given = [oid or ScalarType.TEXT.oid for oid in param_oids]
            oids = tuple(given + [ScalarType.TEXT.oid] * (used - len(given)))
        if len(self._param_cache) >= 256:
            self._param_cache.pop(next(iter(self._param_cache)))
        self._param_cache[key] = oids
        return oids

    async def _one_shot(self, session: Session, sql: str, param_oids: Sequence[int],
                        params: Sequence[object | None] | None) -> OneShot | None:
        cluster = self._catalog.cluster_by_name(session.vars.get("cluster"))
        indexed = frozenset(self._indexes_on(cluster.id)) if cluster is not None \
            else frozenset()
        oids = await self._param_oids(session, sql, param_oids)
        if params is not None and len(params) != len(oids):
            oids = tuple(oids[:len(params)]) + (ScalarType.TEXT.oid,) * max(
                0, len(params) - len(oids))
        return await asyncio.to_thread(
            self._one_shots.plan, session, sql, oids, params,
            indexed=frozenset(i for i in indexed if i in self._catalog.views))

    async def describe(self, session: Session, sql: str,
                       param_oids: Sequence[int]) -> QueryShape:
        one = await self._one_shot(session, sql, param_oids, None)
        if one is not None:
            return QueryShape(one.param_oids, one.columns)
        return await self._describe_snapshot(session, sql, param_oids)

    async def _describe_snapshot(self, session: Session, sql: str,
                                 param_oids: Sequence[int]) -> QueryShape:
        sql = self.views.expand(session, sql)
        values = self.session_values(session)
        return await asyncio.to_thread(
            self.engine.describe, sql, list(param_oids),
            relations=self.relations(session, values), search_path=self.search_path(session),
            session_vars=values)

    async def run(self, session: Session, sql: str, params: Sequence[object | None],
                  param_oids: Sequence[int]) -> QueryRows:
        indexed = await self._run_from_index(session, sql)
        if indexed is not None:
            return indexed
        one = await self._one_shot(session, sql, param_oids, params)
        if one is not None:
            return await self._run_one_shot(session, sql, params, one)
        cluster = self._catalog.cluster_by_name(session.vars.get("cluster"))
        index_on = self._indexes_on(cluster.id) if cluster is not None else {}
        sql = self.views.expand(session, sql, keep=frozenset(
            v for v in self._catalog.views if v in index_on))
        values = self.session_values(session)
        relations = self.relations(session, values)
        path = self.search_path(session)
        shape = await asyncio.to_thread(self.engine.describe, sql, list(param_oids),
                                        relations=relations, search_path=path,
                                        session_vars=values)
        oids = list(shape.param_oids)
        referenced = rewrite(sql, oids, relations, path, values).relations
        tables = self._user_tables(session)
        reads = [tables[(r.schema, r.name)] for r in referenced if (r.schema, r.name) in tables]
        if not reads:
            self._count("local")
            return await asyncio.to_thread(
                self.engine.execute, sql, list(params), oids, relations=relations,
                search_path=path, session_vars=values, owner=session)
        cluster = self._serving(session)
        from_index = [t for t in reads if t.id in index_on]
        imports = tuple(self._import(schema, name, t, index_on.get(t.id), sql=sql,
                                     params=params, single=len(reads) == 1)
                        for (schema, name), t in tables.items() if t in reads)
        inline = tuple(r for r in referenced if (r.schema, r.name) not in tables)
        plan = SnapshotQueryPlan(sql, tuple(params), tuple(oids), tuple(path), values,
                                 imports, inline, shape.columns)
        rows = await self._peek(session, cluster.id, plan, from_index=bool(from_index),
                                tables=[t.id for t in reads])
        self._count_peek(imports, every_from_index=len(from_index) == len(reads))
        return QueryRows(shape.columns, rows)

    def _has_replicas(self, session: Session) -> bool:
        cluster = self._catalog.cluster_by_name(session.vars.get("cluster"))
        return cluster is not None and bool(self._catalog.replicas_of(cluster.id))

    def _serving(self, session: Session) -> Cluster:
        """The session's cluster, which must have a replica to answer peeks."""
        cluster = self._catalog.cluster_by_name(session.vars.get("cluster"))
        if cluster is None:
            raise UndefinedObject(f"unknown cluster '{session.vars.get('cluster')}'")
        if not self._catalog.replicas_of(cluster.id):
            raise FeatureNotSupported(
                f"cluster '{cluster.name}' has no replicas available to service the request",
                hint="Use CREATE CLUSTER REPLICA or ALTER CLUSTER ... SET (REPLICATION FACTOR)"
                " to attach replicas to the cluster.", sqlstate="XX000")
        return cluster

    async def _peek(self, session: Session, cluster_id: str, plan: SnapshotQueryPlan, *,
                    from_index: bool, tables: Sequence[str]) -> list[tuple[object, ...]]:
        """Run ``plan`` on the cluster at the session's read timestamp (reads of tables
        ``tables``; an index read waits for every table, as indexes are complete at a time
        once every table they depend on is, and table ids are cheap to list)."""
        try:
            ts = await self.read_timestamp(
                session, [t.id for t in self._catalog.tables.values()] if from_index
                else tables)
            timeout = _parse_duration_s(session.vars.get("statement_timeout"))
            return await self._peeks.peek_snapshot(cluster_id, plan, ts, timeout_s=timeout)
        except TimeoutError:
            raise QueryCanceled("canceling statement due to statement timeout") from None
        finally:
            if not session.in_explicit_transaction:
                session.read_ts = None

    def _count_peek(self, imports: Sequence[ShardImport], *, every_from_index: bool) -> None:
        if any(i.lookup is not None for i in imports):
            self._count("index_lookup")
        elif every_from_index:
            self._count("index")
        else:
            self._count("snapshot")

    async def _run_one_shot(self, session: Session, sql: str,
                            params: Sequence[object | None], one: OneShot) -> QueryRows:
        """Run a plan of the dataflow engine: here when it reads nothing (and produces a
        bounded result: no table function), else as a peek, which a cancel or a statement
        timeout stops."""
        if not one.reads and (not _generates_rows(one.planned.expr)
                              or not self._has_replicas(session)):
            self._count("local")
            mz_now = await asyncio.to_thread(self._oracle.read_ts) if "mz_now" in sql.lower() \
                else None
            rows = await asyncio.to_thread(expr.run_query, one.planned, {}, mz_now=mz_now)
            return QueryRows(one.columns, rows)
        cluster = self._serving(session)
        index_on = self._indexes_on(cluster.id)
        from_index = [r for r in one.reads if r.id in index_on]
        names = {s.id: s.name for s in self._catalog.schemas.values()}
        imports = tuple(
            replace(self._import(names.get(r.schema_id, ""), r.name, r, index_on.get(r.id),
                                 sql=sql, params=params, single=len(one.reads) == 1),
                    gid=r.id)
            for r in one.reads)
        plan = SnapshotQueryPlan("", imports=imports, result_columns=one.columns,
                                 expr=serde.dumps(one.planned))
        rows = await self._peek(session, cluster.id, plan, from_index=bool(from_index),
                                tables=[r.id for r in one.reads if isinstance(r, Table)])
        self._count_peek(imports, every_from_index=len(from_index) == len(one.reads))
        return QueryRows(one.columns, rows)

    def _indexes_on(self, cluster_id: str) -> dict[str, Index]:
        """Per indexed object, its (oldest) index on cluster ``cluster_id``."""
        out: dict[str, Index] = {}
        for ix in sorted(self._catalog.indexes.values(), key=lambda i: i.id):
            if ix.cluster_id == cluster_id:
                out.setdefault(ix.on_id, ix)
        return out

    @staticmethod
    def _import(schema: str, name: str, item: Table | MaterializedView | View,
                index: Index | None, *, sql: str, params: Sequence[object | None],
                single: bool) -> ShardImport:
        columns = relation_columns(item)
        if index is None:
            assert not isinstance(item, View)  # views without an index are inlined
            errs = errors_shard_id(item.shard_id) if isinstance(item, MaterializedView) else ""
            return ShardImport(schema, name, item.shard_id, columns, errors_shard_id=errs)
        lookup = lookup_keys(sql, name, [columns[i] for i in index.key], params) \
            if single else None
        return ShardImport(schema, name, "", columns, index_id=index.id, lookup=lookup)

    async def _run_from_index(self, session: Session, sql: str) -> QueryRows | None:
        """The fast path: ``SELECT * FROM obj`` with an index on ``obj`` in the session's
        cluster is answered from the index's arrangement (same rows as the snapshot path)."""
        parts = _whole_relation(sql)
        cluster = self._catalog.cluster_by_name(session.vars.get("cluster"))
        if parts is None or cluster is None or not self._catalog.indexes:
            return None
        found = self.views.resolver.resolve(session, parts)
        if found is None:
            return None
        item = found[0]
        index = self._indexes_on(cluster.id).get(item.id)
        if index is None:
            return None
        shape = await self.describe(session, sql, [])
        tables = [t.id for t in self._catalog.tables.values()]
        try:
            ts = await self.read_timestamp(session, tables)
            timeout = _parse_duration_s(session.vars.get("statement_timeout"))
            rows = await self._peeks.peek_index(cluster.id, index.id, ts, timeout_s=timeout)
        except TimeoutError:
            raise QueryCanceled("canceling statement due to statement timeout") from None
        finally:
            if not session.in_explicit_transaction:
                session.read_ts = None
        self._count("index")
        arrays = [i for i, c in enumerate(shape.columns) if c.is_array]
        out = [tuple(list(v) if i in arrays and isinstance(v, tuple) else v
                     for i, v in enumerate(r)) for r in rows]
        return QueryRows(shape.columns, out)

    def _count(self, path: str) -> None:
        if self._path_counter is not None:
            self._path_counter.labels(path).inc()

    async def read_timestamp(self, session: Session, table_ids: Sequence[str]) -> int:
        """The timestamp for a read: fixed per explicit transaction, else fresh.

        ``session.read_ts`` holds it while the read runs (for the whole transaction in an
        explicit one): the table writer keeps every table's ``since`` at or below it, so
        compaction never invalidates a read in flight."""
        ts = session.read_ts
        if ts is None:
            ts = await asyncio.to_thread(self._oracle.read_ts)
            session.read_ts = ts
        await self._writer.ensure_readable(table_ids, ts)
        return ts
