"""The coordinator: owns the catalog and sequences every statement of every session.

DDL is serialised by one lock (catalog transactions are short and ordered); queries over
the catalog relations run concurrently in worker threads against a snapshot.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass

from prometheus_client import CollectorRegistry, Counter, Gauge

from pymz import sql
from pymz.adapter import planner
from pymz.adapter.client import (
    CommandResult,
    CopyOutResult,
    ExecuteResult,
    ParsedStatement,
    QueryResult,
    StartupRequest,
    StatementDescription,
)
from pymz.adapter.cluster_ddl import ClusterSequencer
from pymz.adapter.cursors import Cursor
from pymz.adapter.explain import explain_statement
from pymz.adapter.materialized import DataflowController, MaterializedSequencer
from pymz.adapter.objects_ddl import ObjectSequencer
from pymz.adapter.plans import (
    DropClustersPlan,
    DropReplicasPlan,
    RenameClusterPlan,
    RenameReplicaPlan,
)
from pymz.adapter.query import PeekClient, QueryRunner
from pymz.adapter.replicas import ReplicaManager
from pymz.adapter.secrets_ddl import SHOW_CREATE_COLUMNS, SecretSequencer
from pymz.adapter.session import Session, TxnState
from pymz.adapter.show import show_columns_sql, show_objects_sql
from pymz.adapter.subscribe import subscribe
from pymz.adapter.tables import TableSequencer, copy_options
from pymz.adapter.vars import SessionVars
from pymz.adapter.views import ViewSequencer
from pymz.catalog import Catalog, ReplicaSize, View
from pymz.errors import (
    ActiveSqlTransaction,
    DependentObjectsStillExist,
    FeatureNotSupported,
    InFailedSqlTransaction,
    InvalidSchemaName,
    InvalidTransactionState,
    PymzError,
    SqlSyntaxError,
    UndefinedDatabase,
)
from pymz.persist import PersistClient
from pymz.repr import Column, ScalarType
from pymz.secrets import SecretsController
from pymz.sql import ast
from pymz.storage_client.tables import TableWriter
from pymz.timestamp_oracle import TimestampOracle

log = logging.getLogger(__name__)

_DDL = (ast.CreateTable, ast.CreateCluster, ast.CreateClusterReplica, ast.AlterClusterSet,
        ast.AlterClusterReset, ast.AlterRename, ast.AlterOwner, ast.CreateDatabase,
        ast.CreateSchema, ast.CreateRole, ast.DropObjects, ast.CreateSecret, ast.AlterSecret,
        ast.CreateView, ast.CreateMaterializedView, ast.CreateIndex)


@dataclass(frozen=True)
class CoordinatorConfig:
    replica_sizes: Mapping[str, ReplicaSize]
    environment_id: str


class Metrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.queries = Counter("mz_query", "Statements executed, by kind and outcome.",
                               ["statement_type", "status"], registry=registry)
        self.sessions = Gauge("mz_active_sessions", "Open SQL sessions.", registry=registry)
        self.query_paths = Counter(
            "mz_query_execution", "Queries by where they ran: local (catalog only), snapshot "
            "(peek reading persist), index (peek answered from an arrangement).", ["path"],
            registry=registry)


def _kind(stmt: sql.ast.Statement, text: str) -> str:
    if isinstance(stmt, ast.Unsupported):
        return stmt.kind
    words = text.split(None, 3)
    return " ".join(words[:2]).upper() if words else ""


class Coordinator:
    def __init__(self, config: CoordinatorConfig, catalog: Catalog, replicas: ReplicaManager,
                 registry: CollectorRegistry, *, writer: TableWriter,
                 oracle: TimestampOracle, peeks: PeekClient,
                 secrets: SecretsController | None = None,
                 dataflows: DataflowController | None = None,
                 persist: PersistClient | None = None) -> None:
        self._config = config
        self.catalog = catalog
        self.replicas = replicas
        self._writer = writer
        writer.set_read_floor(self._oldest_read_ts)
        self.metrics = Metrics(registry)
        self._queries = QueryRunner(catalog, config.replica_sizes, replicas,
                                    config.environment_id, writer=writer, oracle=oracle,
                                    peeks=peeks, path_counter=self.metrics.query_paths)
        self._tables = TableSequencer(catalog, writer, self._queries.run,
                                      self._queries.describe)
        self._views = ViewSequencer(catalog, self._queries.views, self._tables,
                                    self._queries.describe)
        self._dataflows = dataflows
        self._materialized = (
            MaterializedSequencer(catalog, self._queries.views, self._tables,
                                  compute=dataflows, persist=persist, oracle=oracle)
            if dataflows is not None and persist is not None else None)
        self._clusters = ClusterSequencer(catalog, replicas, config.replica_sizes)
        self._objects = ObjectSequencer(catalog)
        self._secrets = SecretSequencer(catalog, secrets)
        self._ddl_lock = asyncio.Lock()
        self._conn_ids = itertools.count(1)
        self.sessions: dict[int, Session] = {}
        self.ready = False

    async def start(self) -> None:
        """Reconcile replica services with the catalog, then start serving."""
        await self._tables.register_all()
        # Contents written for secrets whose catalog commit never happened (or whose
        # delete after a drop failed): the catalog is the source of truth.
        await self._secrets.collect_orphans()
        self._writer.start()
        self.replicas.start()
        for cluster in self.catalog.clusters.values():
            self.replicas.ensure_instance(cluster.id)
        orphans = await self.replicas.reconcile(list(self.catalog.replicas.values()),
                                                self._config.replica_sizes)
        if orphans:
            log.info("dropped %d orphaned replica services", len(orphans))
        if self._materialized is not None:
            await self._materialized.install_all()
        self.ready = True

    # --- sessions --------------------------------------------------------------------
    async def new_session(self, request: StartupRequest) -> Session:
        role = self.catalog.role_by_name(request.user)
        if role is None:
            # Like Materialize, roles are created on first login.
            async with self._ddl_lock:
                role = await self._objects.ensure_login_role(request.user)
        variables = SessionVars()
        session = Session(self, next(self._conn_ids), request.user, role.id, variables)
        if request.application_name:
            variables.set("application_name", request.application_name, report=False)
        if request.database:
            variables.set("database", request.database, report=False)
        for name, value in request.options.items():
            # Some drivers quote startup values (asyncpg sends client_encoding='utf-8').
            quoted = len(value) >= 2 and value[0] == value[-1] == "'"
            variables.set(name, value[1:-1] if quoted else value, report=False)
        if self.catalog.database_by_name(variables.get("database")) is None:
            session.notice(f'session database "{variables.get("database")}" does not exist',
                           sqlstate="00000")
        self.sessions[session.connection_id] = session
        self.metrics.sessions.inc()
        return session

    def _oldest_read_ts(self) -> int | None:
        held = [s.read_ts for s in list(self.sessions.values()) if s.read_ts is not None]
        return min(held) if held else None

    def cancel_query(self, session: Session) -> None:
        """Interrupt ``session``'s query running in a worker thread, if any."""
        self._queries.engine.cancel(owner=session)

    def end_session(self, session: Session) -> None:
        if self.sessions.pop(session.connection_id, None) is not None:
            self.metrics.sessions.dec()

    # --- statements ------------------------------------------------------------------
    def parse(self, text: str) -> list[ParsedStatement]:
        return [ParsedStatement(p.sql, p.ast, _kind(p.ast, p.sql)) for p in sql.parse(text)]

    def _query_text(self, session: Session, stmt: object) -> str | None:
        if isinstance(stmt, ast.Query):
            return stmt.text
        if isinstance(stmt, ast.ShowObjects):
            return self._show_objects_sql(session, stmt)
        if isinstance(stmt, ast.ShowColumns):
            table = self._tables.resolve(stmt.table, session)
            return show_columns_sql(table.id, stmt.filter)
        return None

    def _show_objects_sql(self, session: Session, stmt: ast.ShowObjects) -> str:
        db = self.catalog.database_by_name(session.vars.get("database"))
        if stmt.object_type == "SCHEMAS" and stmt.from_ is not None:
            db = self.catalog.database_by_name(stmt.from_.names[-1])
            if db is None:
                raise UndefinedDatabase(f"unknown database '{stmt.from_.names[-1]}'")
        schema_id = ""
        if db is not None and stmt.object_type != "SCHEMAS":
            if stmt.from_ is not None:
                schema = self.catalog.schema_by_name(db.id, stmt.from_.names[-1])
                if schema is None:
                    raise InvalidSchemaName(f"unknown schema '{stmt.from_.names[-1]}'")
                schema_id = schema.id
            else:
                path = [p.strip() for p in session.vars.get("search_path").split(",")]
                schema = next((sc for p in path
                               if (sc := self.catalog.schema_by_name(db.id, p)) is not None),
                              None)
                schema_id = schema.id if schema is not None else ""
        return show_objects_sql(stmt, db.id if db is not None else "", schema_id)

    async def describe(self, session: Session, statement: ParsedStatement,
                       param_oids: Sequence[int]) -> StatementDescription:
        stmt = statement.ast
        text = self._query_text(session, stmt)
        if text is not None:
            shape = await self._queries.describe(session, text, param_oids)
            return StatementDescription(shape.param_oids, shape.columns)
        if isinstance(stmt, ast.Insert | ast.Update | ast.Delete):
            oids = await self._tables.describe_params(session, stmt, param_oids)
            return StatementDescription(oids, None)
        if isinstance(stmt, ast.ShowVariable):
            return StatementDescription((), self._show_columns(stmt))
        if isinstance(stmt, ast.Fetch):
            return StatementDescription((), session.cursors.columns(stmt.name.value))
        if isinstance(stmt, ast.Explain):
            title = {"RAW": "Raw Plan", "DECORRELATED": "Decorrelated Plan"}.get(
                (stmt.stage or "").upper(), "Optimized Plan")
            return StatementDescription((), (Column(title, ScalarType.TEXT),))
        if isinstance(stmt, ast.ShowCreate) and stmt.object_type == "SECRET":
            return StatementDescription((), SHOW_CREATE_COLUMNS)
        resolved = tuple(oid or ScalarType.TEXT.oid for oid in param_oids)
        return StatementDescription(resolved, None)

    @staticmethod
    def _show_columns(stmt: ast.ShowVariable) -> tuple[Column, ...]:
        if stmt.name == "all":
            return (Column("name", ScalarType.TEXT), Column("setting", ScalarType.TEXT),
                    Column("description", ScalarType.TEXT))
        return (Column(SessionVars.spec(stmt.name).name, ScalarType.TEXT),)

    async def execute(self, session: Session, statement: ParsedStatement,
                      params: Sequence[object | None]) -> ExecuteResult:
        stmt = statement.ast
        status = "error"
        try:
            result = await self._execute(session, stmt, statement.sql, params)
            status = "success"
            return result
        finally:
            self.metrics.queries.labels(statement.kind or "other", status).inc()

    async def _execute(self, session: Session, stmt: object, sql_text: str,
                       params: Sequence[object | None]) -> ExecuteResult:
        if session.txn is TxnState.FAILED and not isinstance(stmt, ast.Commit | ast.Rollback):
            raise InFailedSqlTransaction(
                "current transaction is aborted, commands ignored until end of transaction block")
        match stmt:
            case ast.StartTransaction():
                if session.txn is not TxnState.IDLE:
                    session.notice("there is already a transaction in progress",
                                   severity="WARNING", sqlstate="25001")
                session.txn = TxnState.EXPLICIT
                return CommandResult("BEGIN")
            case ast.Commit():
                if session.txn is TxnState.IDLE:
                    session.notice("there is no transaction in progress", severity="WARNING",
                                   sqlstate="25P01")
                await session.cursors.close_all()
                if session.txn is TxnState.FAILED:
                    session.end_transaction()
                    return CommandResult("ROLLBACK")
                writes = session.pending_writes
                session.end_transaction()
                if writes:
                    await self._writer.append(writes)
                return CommandResult("COMMIT")
            case ast.Rollback():
                await session.cursors.close_all()
                if session.txn is TxnState.IDLE:
                    session.notice("there is no transaction in progress", severity="WARNING",
                                   sqlstate="25P01")
                session.end_transaction()
                return CommandResult("ROLLBACK")
            case ast.Query() | ast.ShowObjects() | ast.ShowColumns():
                text = self._query_text(session, stmt)
                assert text is not None
                if session.pending_writes:
                    raise InvalidTransactionState(
                        "transaction in write-only mode",
                        hint="Reads cannot follow writes in a transaction; COMMIT first.")
                out = await self._queries.run(session, text, params, [0] * len(params))
                return QueryResult(out.columns, out.rows, f"SELECT {len(out.rows)}")
            case ast.Subscribe():
                return await self._subscribe(session, stmt)
            case ast.DeclareCursor():
                return await self._declare(session, stmt, params)
            case ast.Fetch():
                return await session.cursors.fetch(stmt)
            case ast.CloseCursor():
                await session.cursors.close(stmt.name.value)
                return CommandResult("CLOSE CURSOR")
            case ast.Insert() | ast.Update() | ast.Delete() | ast.Copy():
                return await self._execute_dml(session, stmt, params)
            case ast.ShowVariable():
                return self._show_variable(session, stmt)
            case ast.ShowCreate(object_type="SECRET"):
                return self._secrets.show_create(stmt, session)
            case ast.SetVariable():
                return self._set_variable(session, stmt)
            case ast.ResetVariable():
                if stmt.name is None:
                    session.vars.reset_all()
                else:
                    session.vars.reset(stmt.name)
                return CommandResult("RESET")
            case ast.SetTransaction():
                for mode in stmt.modes:
                    if isinstance(mode, ast.IsolationLevel):
                        session.vars.set("transaction_isolation", mode.level.lower())
                return CommandResult("SET")
            case ast.Discard():
                if stmt.target == "ALL":
                    if session.txn is not TxnState.IDLE:
                        raise ActiveSqlTransaction(
                            "DISCARD ALL cannot run inside a transaction block")
                    session.vars.reset_all()
                return CommandResult(f"DISCARD {stmt.target}")
            case ast.Deallocate():
                return CommandResult("DEALLOCATE ALL" if stmt.name is None else "DEALLOCATE")
            case ast.Explain():
                return await explain_statement(stmt, session, self._queries,
                                               self._queries.views)
            case ast.Unsupported():
                raise FeatureNotSupported(f"{stmt.kind} not yet supported")
            case _ if isinstance(stmt, _DDL):
                if session.txn is not TxnState.IDLE:
                    raise ActiveSqlTransaction(
                        f"{_ddl_tag(stmt)} cannot be run inside a transaction block")
                async with self._ddl_lock:
                    return await self._execute_ddl(session, stmt, sql_text)
        # Parsed, but not sequenced yet (materialized views, indexes, SUBSCRIBE, cursors…).
        raise FeatureNotSupported(f"{_statement_name(stmt)} not yet supported")

    async def _execute_dml(self, session: Session, stmt: object,
                           params: Sequence[object | None]) -> ExecuteResult:
        oids = [0] * len(params)
        explicit = session.in_explicit_transaction
        if explicit and session.read_ts is not None:
            raise InvalidTransactionState(
                "transaction in read-only mode",
                hint="Writes cannot follow reads in a transaction; COMMIT first.")
        match stmt:
            case ast.Insert():
                table, rows = await self._tables.insert(session, stmt, params, oids)
                updates = [(row, 1) for row in rows]
                if explicit:
                    session.pending_writes.setdefault(table.id, []).extend(updates)
                else:
                    await self._tables.write(table, updates)
                return CommandResult(f"INSERT 0 {len(rows)}")
            case ast.Update() | ast.Delete() if explicit:
                raise ActiveSqlTransaction(
                    f"{'UPDATE' if isinstance(stmt, ast.Update) else 'DELETE'} cannot be run "
                    "inside a transaction block")
            case ast.Update():
                return await self._tables.update(session, stmt, params, oids)
            case ast.Delete():
                return await self._tables.delete(session, stmt, params, oids)
            case ast.Copy(direction="FROM"):
                if explicit:
                    raise ActiveSqlTransaction("COPY FROM cannot be run inside a transaction "
                                               "block")
                return self._tables.copy_in(session, stmt)
            case ast.Copy() if stmt.query is not None and \
                    stmt.query.lstrip().upper().startswith("SUBSCRIBE"):
                inner = sql.parse(stmt.query)
                if len(inner) != 1 or not isinstance(inner[0].ast, ast.Subscribe):
                    raise FeatureNotSupported("COPY of this statement is not supported")
                result = await self._subscribe(session, inner[0].ast)
                return CopyOutResult(result.columns, copy_options(stmt), result.batches,
                                     result.tag)
            case ast.Copy():
                text = stmt.query if stmt.query is not None else (
                    "SELECT " + (", ".join(c.value for c in stmt.columns) or "*")
                    + f" FROM {stmt.table}")
                out = await self._queries.run(session, text, params, oids)
                return CopyOutResult(out.columns, copy_options(stmt), _one_batch(out.rows),
                                     f"COPY {len(out.rows)}")
        raise FeatureNotSupported(f"{type(stmt).__name__} not yet supported")

    def _show_variable(self, session: Session, stmt: ast.ShowVariable) -> QueryResult:
        columns = self._show_columns(stmt)
        if stmt.name == "all":
            rows: list[tuple[object, ...]] = [
                (name, value, SessionVars.spec(name).description)
                for name, value in sorted(session.vars.all().items(), key=lambda kv:
                                          kv[0].lower())]
            return QueryResult(columns, rows, f"SELECT {len(rows)}")
        return QueryResult(columns, [(session.vars.get(stmt.name),)], "SHOW")

    def _set_variable(self, session: Session, stmt: ast.SetVariable) -> CommandResult:
        if stmt.values is None:
            session.vars.reset(stmt.name)
            return CommandResult("SET")
        value = ", ".join(v.to_text() for v in stmt.values)
        name = stmt.name.lower()
        session.vars.set(name, value)
        if name == "cluster" and self.catalog.cluster_by_name(value) is None:
            session.notice(f'cluster "{value}" does not exist',
                           hint="Create the cluster with CREATE CLUSTER or pick an extant "
                           "cluster with SHOW CLUSTERS.")
        if name == "database" and self.catalog.database_by_name(value) is None:
            session.notice(f'database "{value}" does not exist',
                           hint="Create the database with CREATE DATABASE or pick an extant "
                           "database with SHOW DATABASES.")
        return CommandResult("SET")

    async def _declare(self, session: Session, stmt: ast.DeclareCursor,
                       params: Sequence[object | None]) -> CommandResult:
        if not session.in_explicit_transaction:
            raise PymzError("DECLARE CURSOR can only be used in transaction blocks",
                            sqlstate="25P01")
        inner = stmt.statement
        if isinstance(inner, ast.Subscribe):
            result = await self._subscribe(session, inner)
            cursor = Cursor(result.columns, batches=result.batches)
        elif isinstance(inner, ast.Query):
            out = await self._queries.run(session, inner.text, params, [0] * len(params))
            cursor = Cursor(out.columns, buffer=[tuple(r) for r in out.rows])
        else:
            raise FeatureNotSupported("cursors over this statement are not supported")
        session.cursors.declare(stmt.name.value, cursor)
        return CommandResult("DECLARE CURSOR")

    async def _subscribe(self, session: Session, stmt: ast.Subscribe) -> CopyOutResult:
        if self._dataflows is None:
            raise FeatureNotSupported("this environmentd runs without compute dataflows")
        return await subscribe(stmt, session, self._need_materialized(), self._dataflows)

    def _need_materialized(self) -> MaterializedSequencer:
        if self._materialized is None:
            raise FeatureNotSupported("this environmentd runs without compute dataflows")
        return self._materialized

    async def _drop_maintained_dependents(self, stmt: ast.DropObjects,
                                          session: Session) -> None:
        """Materialized views and indexes over what DROP TABLE/VIEW removes: an error
        without CASCADE, dropped first with it (views are handled by the drop itself)."""
        if self._materialized is None:
            return
        ids = []
        for name in stmt.names:
            found = self._queries.views.resolver.resolve(session, name.names)
            if found is not None:
                ids.append(found[0].id)
        dependents = [d for d in self._materialized.dependents(ids)
                      if not isinstance(d, View)]
        if dependents and not stmt.cascade:
            raise DependentObjectsStillExist(
                f"cannot drop {stmt.names[0]}: still depended upon by "
                f"\"{dependents[0].name}\"",
                hint="Use DROP ... CASCADE to drop the dependent objects too.")
        await self._materialized.remove(dependents)

    async def _execute_ddl(self, session: Session, stmt: object,
                           sql_text: str) -> CommandResult:
        notices: list[str] = []
        match stmt:
            case ast.CreateCluster():
                await self._clusters.create_cluster(planner.plan_create_cluster(stmt),
                                                    session.role_id)
            case ast.CreateClusterReplica():
                await self._clusters.create_replica(planner.plan_create_replica(stmt),
                                                    session.role_id)
            case ast.AlterClusterSet() | ast.AlterClusterReset():
                notices = await self._clusters.alter_cluster(planner.plan_alter_cluster(stmt))
            case ast.AlterRename(object_type="CLUSTER"):
                notices = await self._clusters.rename_cluster(RenameClusterPlan(
                    _single(stmt.name), stmt.new_name.value, stmt.if_exists))
            case ast.AlterRename(object_type="CLUSTER REPLICA"):
                cluster, replica = _pair(stmt.name)
                notices = await self._clusters.rename_replica(RenameReplicaPlan(
                    cluster, replica, stmt.new_name.value, stmt.if_exists))
            case ast.DropObjects(object_type="CLUSTER"):
                notices = await self._clusters.drop_clusters(DropClustersPlan(
                    tuple(_single(n) for n in stmt.names), stmt.if_exists, stmt.cascade))
            case ast.DropObjects(object_type="CLUSTER REPLICA"):
                notices = await self._clusters.drop_replicas(DropReplicasPlan(
                    tuple(_pair(n) for n in stmt.names), stmt.if_exists))
            case ast.CreateTable():
                notices = await self._tables.create_table(stmt, sql_text, session)
            case ast.CreateSecret():
                notices = await self._secrets.create(stmt, session)
            case ast.AlterSecret():
                notices = await self._secrets.alter_value(stmt, session)
            case ast.AlterRename(object_type="SECRET"):
                notices = await self._secrets.rename(stmt, session)
            case ast.AlterOwner(object_type="SECRET"):
                notices = await self._secrets.alter_owner(stmt, session)
            case ast.DropObjects(object_type="SECRET"):
                notices = await self._secrets.drop(stmt, session)
            case ast.DropObjects(object_type="TABLE"):
                await self._drop_maintained_dependents(stmt, session)
                cascade = stmt.cascade
                notices = await self._tables.drop_tables(
                    stmt, session, lambda ids: self._queries.views.check_no_dependents(
                        ids, "table", cascade))
            case ast.CreateView():
                notices = await self._views.create_view(stmt, sql_text, session)
            case ast.DropObjects(object_type="VIEW"):
                await self._drop_maintained_dependents(stmt, session)
                notices = await self._views.drop_views(stmt, session)
            case ast.CreateMaterializedView():
                notices = await self._need_materialized().create_materialized_view(
                    stmt, sql_text, session)
            case ast.CreateIndex():
                notices = await self._need_materialized().create_index(stmt, sql_text,
                                                                         session)
            case ast.DropObjects(object_type="MATERIALIZED VIEW" | "INDEX"):
                notices = await self._need_materialized().drop(stmt, session)
            case ast.CreateDatabase() | ast.CreateSchema() | ast.CreateRole() | \
                    ast.DropObjects():
                notices = await self._objects.execute(stmt, session)
            case _:
                raise FeatureNotSupported(f"{_ddl_tag(stmt)} not yet supported")
        for message in notices:
            session.notice(message)
        return CommandResult(_ddl_tag(stmt))


def _single(name: ast.ObjectName) -> str:
    if len(name.parts) != 1:
        raise SqlSyntaxError(f"qualified cluster name not allowed: {name}",
                             position=name.position or None)
    return name.parts[0].value


def _pair(name: ast.ObjectName) -> tuple[str, str]:
    if len(name.parts) != 2:
        raise SqlSyntaxError(f"cluster replica name must be CLUSTER.REPLICA, got {name}",
                             position=name.position or None)
    return name.parts[0].value, name.parts[1].value


def _ddl_tag(stmt: object) -> str:
    match stmt:
        case ast.CreateCluster():
            return "CREATE CLUSTER"
        case ast.CreateClusterReplica():
            return "CREATE CLUSTER REPLICA"
        case ast.AlterClusterSet() | ast.AlterClusterReset():
            return "ALTER CLUSTER"
        case ast.AlterRename() | ast.AlterOwner():
            return f"ALTER {stmt.object_type}"
        case ast.CreateDatabase():
            return "CREATE DATABASE"
        case ast.CreateTable():
            return "CREATE TABLE"
        case ast.CreateView():
            return "CREATE VIEW"
        case ast.CreateMaterializedView():
            return "CREATE MATERIALIZED VIEW"
        case ast.CreateIndex():
            return "CREATE INDEX"
        case ast.CreateSchema():
            return "CREATE SCHEMA"
        case ast.CreateRole():
            return "CREATE ROLE"
        case ast.CreateSecret():
            return "CREATE SECRET"
        case ast.AlterSecret():
            return "ALTER SECRET"
        case ast.DropObjects():
            return f"DROP {stmt.object_type}"
    return type(stmt).__name__.upper()


async def _one_batch(rows: Sequence[tuple[object, ...]]) -> AsyncIterator[
        Sequence[tuple[object | None, ...]]]:
    yield rows


def _statement_name(stmt: object) -> str:
    """``CreateMaterializedView`` -> ``CREATE MATERIALIZED VIEW``."""
    name = type(stmt).__name__
    words = "".join(f" {c}" if c.isupper() else c for c in name).split()
    return " ".join(words).upper()
