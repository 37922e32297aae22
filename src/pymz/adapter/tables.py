"""Tables: CREATE/DROP TABLE and the write path of INSERT, UPDATE, DELETE and COPY FROM.

Every write computes its rows with a query (constants locally, anything reading tables as a
peek on the session's cluster), casts them to the column types in that same query, checks
NOT NULL and typmods here, and hands ``(row, diff)`` updates to the storage controller's
:class:`~pymz.storage_client.tables.TableWriter`, which acknowledges only once they are
durable. UPDATE and DELETE read and write under a per-table lock so two of them never
interleave (read-then-write is serialised, as in Materialize).
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING

from pymz.adapter.client import CommandResult, CopyInResult, CopyOptions
from pymz.adapter.insert_literals import literal_rows
from pymz.adapter.names import schema_for_create
from pymz.adapter.table_types import (
    cast_sql,
    check_assignable,
    coerce_value,
    resolve_type,
    to_column,
)
from pymz.catalog import Catalog, MaterializedView, Table, TableColumn, View
from pymz.errors import (
    DuplicateColumn,
    DuplicateObject,
    FeatureNotSupported,
    SqlSyntaxError,
    UndefinedColumn,
    UndefinedTable,
)
from pymz.repr import Column
from pymz.sql import ast
from pymz.sqlexec import QueryRows, QueryShape
from pymz.storage_client.tables import TableWriter

if TYPE_CHECKING:
    from pymz.adapter.session import Session

RunQuery = Callable[["Session", str, Sequence[object | None], Sequence[int]],
                    Awaitable[QueryRows]]
DescribeQuery = Callable[["Session", str, Sequence[int]], Awaitable[QueryShape]]



def quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


class TableSequencer:
    def __init__(self, catalog: Catalog, writer: TableWriter, run_query: RunQuery,
                 describe_query: DescribeQuery) -> None:
        self._catalog = catalog
        self._writer = writer
        self._run = run_query
        self._describe = describe_query
        self._locks: dict[str, asyncio.Lock] = {}

    @property
    def writer(self) -> TableWriter:
        """The table writer, which also keeps materialized views' shards compacting."""
        return self._writer

    async def register_all(self) -> None:
        for table in self._catalog.tables.values():
            await self._writer.register(table.id, table.shard_id, table_columns(table))

    # --- names -----------------------------------------------------------------------
    def schema_for_create(self, name: ast.ObjectName, session: Session) -> tuple[str, str]:
        """(schema id, item name) for a new item."""
        return schema_for_create(self._catalog, name, session).id, name.names[-1]

    def resolve(self, name: ast.ObjectName, session: Session) -> Table:
        parts = name.names
        db_name = parts[0] if len(parts) == 3 else session.vars.get("database")
        db = self._catalog.database_by_name(db_name)
        schemas = []
        if db is not None:
            if len(parts) >= 2:
                schemas = [parts[-2]]
            else:
                schemas = [s.strip() for s in session.vars.get("search_path").split(",")
                           if s.strip()]
            for schema_name in schemas:
                schema = self._catalog.schema_by_name(db.id, schema_name)
                if schema is None:
                    continue
                for table in self._catalog.tables.values():
                    if table.schema_id == schema.id and table.name == parts[-1]:
                        return table
        raise UndefinedTable(f"unknown catalog item '{name}'", position=name.position or None)

    # --- DDL -------------------------------------------------------------------------
    async def create_table(self, stmt: ast.CreateTable, sql_text: str,
                           session: Session) -> list[str]:
        schema_id, name = self.schema_for_create(stmt.name, session)
        if any(t.schema_id == schema_id and t.name == name
               for t in self._catalog.tables.values()):
            if stmt.if_not_exists:
                return [f'relation "{name}" already exists, skipping']
            raise DuplicateObject(f"table '{name}' already exists")
        if any(o.schema_id == schema_id and o.name == name
               for o in self._catalog.objects.get("secret", {}).values()):
            raise DuplicateObject(f"secret '{name}' already exists")
        if stmt.constraints:
            raise FeatureNotSupported(f"CREATE TABLE with a {stmt.constraints[0].kind} "
                                      "constraint not yet supported")
        columns: list[TableColumn] = []
        for col in stmt.columns:
            if any(c.name == col.name.value for c in columns):
                raise DuplicateColumn(f'column "{col.name.value}" specified more than once',
                                      position=col.name.position or None)
            if col.constraints:
                raise FeatureNotSupported(f"column constraint {col.constraints[0]} not yet "
                                          "supported")
            scalar, is_array, typmod = resolve_type(col.data_type)
            columns.append(TableColumn(col.name.value, scalar.name, is_array,
                                       not col.not_null, col.default, typmod))
        if not columns:
            raise FeatureNotSupported("tables without columns are not supported")
        for column in columns:
            if column.default is not None:
                # Validate the default now: it must parse and be assignable to the column.
                shape = await self._describe(session, f"SELECT {column.default}", [])
                check_assignable(column, shape.columns[0])
        txn = self._catalog.transaction()
        table = Table(txn.allocate_id("item"), txn.allocate_oid(), name, schema_id,
                      session.role_id, tuple(columns), f"s{uuid.uuid4()}", sql_text)
        # Create the shard before the catalog entry: an orphan shard is harmless, a table
        # without its shard is not.
        await self._writer.register(table.id, table.shard_id, table_columns(table))
        txn.put(table)
        txn.commit()
        return []

    async def drop_tables(self, stmt: ast.DropObjects, session: Session,
                          dependent_views: Callable[[list[str]], Sequence[View]],
                          ) -> list[str]:
        """``dependent_views(ids)`` names the views to drop along (CASCADE) or raises."""
        notices: list[str] = []
        targets: list[Table] = []
        for name in stmt.names:
            try:
                targets.append(self.resolve(name, session))
            except UndefinedTable:
                if not stmt.if_exists:
                    raise
                notices.append(f'table "{name}" does not exist, skipping')
        if targets:
            txn = self._catalog.transaction()
            for view in dependent_views([t.id for t in targets]):
                txn.remove(view)
            for table in targets:
                txn.remove(table)
            txn.commit()
            for table in targets:
                self._writer.forget(table.id)
        return notices

    # --- DML -------------------------------------------------------------------------
    def _lock(self, table: Table) -> asyncio.Lock:
        return self._locks.setdefault(table.id, asyncio.Lock())

    def _target_columns(self, table: Table, names: Sequence[ast.Ident]) -> list[TableColumn]:
        if not names:
            return list(table.columns)
        by_name = {c.name: c for c in table.columns}
        out: list[TableColumn] = []
        for ident in names:
            column = by_name.get(ident.value)
            if column is None:
                raise UndefinedColumn(f'column "{ident.value}" of relation "{table.name}" '
                                      "does not exist", position=ident.position or None)
            if column in out:
                raise DuplicateColumn(f'column "{ident.value}" specified more than once',
                                      position=ident.position or None)
            out.append(column)
        return out

    def _default_sql(self, column: TableColumn) -> str:
        return f"CAST(({column.default or 'NULL'}) AS {cast_sql(column)})"

    def _rows_query(self, table: Table, stmt: ast.Insert,
                    source_shape: QueryShape | None) -> str:
        """A query producing complete rows of ``table`` (every column, cast) for INSERT."""
        targets = self._target_columns(table, stmt.columns)
        src = stmt.source
        if isinstance(src, ast.DefaultValues):
            return "SELECT " + ", ".join(self._default_sql(c) for c in table.columns)
        if isinstance(src, ast.InsertValues):
            width = len(src.rows[0])
            if width > len(targets):
                raise SqlSyntaxError("INSERT has more expressions than target columns")
            tuples = []
            for row in src.rows:
                items = []
                for item, column in zip(row, targets, strict=False):
                    # Cast inside VALUES so parameters get the column's type.
                    items.append(self._default_sql(column) if isinstance(item, ast.DefaultMarker)
                                 else f"CAST(({item}) AS {cast_sql(column)})")
                tuples.append("(" + ", ".join(items) + ")")
            names = [f"column{i + 1}" for i in range(width)]
            source = f"(VALUES {', '.join(tuples)}) AS pymz_src({', '.join(names)})"
        else:
            assert source_shape is not None
            width = len(source_shape.columns)
            if width > len(targets):
                raise SqlSyntaxError("INSERT has more expressions than target columns")
            names = [f"column{i + 1}" for i in range(width)]
            source = f"({src.text}) AS pymz_src({', '.join(names)})"
        provided = {c.name: f"CAST(pymz_src.{n} AS {cast_sql(c)})"
                    for c, n in zip(targets, names, strict=False)}
        select = ", ".join(provided.get(c.name) or self._default_sql(c) for c in table.columns)
        return f"SELECT {select} FROM {source}"

    async def _check_source_types(self, session: Session, table: Table, stmt: ast.Insert,
                                  params: Sequence[int]) -> QueryShape | None:
        """PostgreSQL's assignment rules between source expressions and target columns."""
        src = stmt.source
        targets = self._target_columns(table, stmt.columns)
        if isinstance(src, ast.InsertQuery):
            shape = await self._describe(session, src.text, params)
        elif isinstance(src, ast.InsertValues):
            first = [f"({item})" if isinstance(item, str) else "NULL" for item in src.rows[0]]
            shape = await self._describe(session, "SELECT " + ", ".join(first), params)
        else:
            return None
        for column, source in zip(targets, shape.columns, strict=False):
            check_assignable(column, source)
        return shape

    async def describe_params(self, session: Session, stmt: ast.Insert | ast.Update | ast.Delete,
                              param_oids: Sequence[int]) -> tuple[int, ...]:
        """Parameter types of a DML statement, inferred from the query it runs."""
        table = self.resolve(stmt.table, session)
        if isinstance(stmt, ast.Insert):
            shape = None
            if isinstance(stmt.source, ast.InsertQuery):
                shape = await self._describe(session, stmt.source.text, param_oids)
            query = self._rows_query(table, stmt, shape)
        elif isinstance(stmt, ast.Update):
            query = self._update_query(table, stmt)[1]
        else:
            query = self._delete_query(table, stmt)
        return (await self._describe(session, query, param_oids)).param_oids

    async def insert(self, session: Session, stmt: ast.Insert, params: Sequence[object | None],
                     param_oids: Sequence[int]) -> tuple[Table, list[tuple[object, ...]]]:
        """Compute the rows an INSERT adds (validated), without writing them."""
        if stmt.returning is not None:
            raise FeatureNotSupported("INSERT ... RETURNING not yet supported")
        table = self.resolve(stmt.table, session)
        shape = await self._check_source_types(session, table, stmt, param_oids)
        if isinstance(stmt.source, ast.InsertValues) and not params:
            rows = literal_rows(table.columns, self._target_columns(table, stmt.columns),
                                stmt.source)
            if rows is not None:  # plain literals: no query to plan (bulk INSERTs)
                return table, [self._coerce(table, row) for row in rows]
        result = await self._run(session, self._rows_query(table, stmt, shape), params,
                                 param_oids)
        return table, [self._coerce(table, row) for row in result.rows]

    def _coerce(self, table: Table, row: Sequence[object]) -> tuple[object, ...]:
        return tuple(coerce_value(c, v) for c, v in zip(table.columns, row, strict=True))

    async def write(self, table: Table, updates: list[tuple[tuple[object, ...], int]]) -> None:
        if updates:
            await self._writer.append({table.id: updates})

    def _update_query(self, table: Table, stmt: ast.Update) -> tuple[list[tuple[int, str]], str]:
        """The assignments by column index, and the query reading old and new values."""
        by_name = {c.name: i for i, c in enumerate(table.columns)}
        assigned: list[tuple[int, str]] = []
        for a in stmt.assignments:
            if a.column.value not in by_name:
                raise UndefinedColumn(f'column "{a.column.value}" of relation "{table.name}" '
                                      "does not exist", position=a.column.position or None)
            index = by_name[a.column.value]
            if any(i == index for i, _ in assigned):
                raise SqlSyntaxError(f'multiple assignments to same column "{a.column.value}"')
            assigned.append((index, a.expr))
        alias = quote_ident(stmt.alias.value) if stmt.alias else quote_ident(table.name)
        new_values = ", ".join(f"CAST(({e}) AS {cast_sql(table.columns[i])})"
                               for i, e in assigned)
        old_values = ", ".join(f"{alias}.{quote_ident(c.name)}" for c in table.columns)
        where = f" WHERE {stmt.where}" if stmt.where else ""
        from_clause = self._from_clause(table, stmt.table, stmt.alias)
        return assigned, f"SELECT {old_values}, {new_values} FROM {from_clause}{where}"

    async def update(self, session: Session, stmt: ast.Update, params: Sequence[object | None],
                     param_oids: Sequence[int]) -> CommandResult:
        table = self.resolve(stmt.table, session)
        assigned, query = self._update_query(table, stmt)
        where = f" WHERE {stmt.where}" if stmt.where else ""
        shape = await self._describe(
            session, "SELECT " + ", ".join(f"({e})" for _, e in assigned)
            + f" FROM {self._from_clause(table, stmt.table, stmt.alias)}{where}", param_oids)
        for (index, _), source in zip(assigned, shape.columns, strict=True):
            check_assignable(table.columns[index], source)
        async with self._lock(table):
            result = await self._run(session, query, params, param_oids)
            updates: list[tuple[tuple[object, ...], int]] = []
            width = len(table.columns)
            for row in result.rows:
                old = tuple(row[:width])
                new = list(old)
                for (index, _), value in zip(assigned, row[width:], strict=True):
                    new[index] = value
                updates.append((old, -1))
                updates.append((self._coerce(table, new), 1))
            await self.write(table, updates)
        return CommandResult(f"UPDATE {len(result.rows)}")

    def _from_clause(self, table: Table, name: ast.ObjectName, alias: ast.Ident | None) -> str:
        written = ".".join(quote_ident(p) for p in name.names)
        return f"{written} AS {quote_ident(alias.value if alias else table.name)}"

    def _delete_query(self, table: Table, stmt: ast.Delete) -> str:
        alias = quote_ident(stmt.alias.value) if stmt.alias else quote_ident(table.name)
        columns = ", ".join(f"{alias}.{quote_ident(c.name)}" for c in table.columns)
        where = f" WHERE {stmt.where}" if stmt.where else ""
        return f"SELECT {columns} FROM {self._from_clause(table, stmt.table, stmt.alias)}{where}"

    async def delete(self, session: Session, stmt: ast.Delete, params: Sequence[object | None],
                     param_oids: Sequence[int]) -> CommandResult:
        table = self.resolve(stmt.table, session)
        async with self._lock(table):
            result = await self._run(session, self._delete_query(table, stmt), params,
                                     param_oids)
            await self.write(table, [(tuple(row), -1) for row in result.rows])
        return CommandResult(f"DELETE {len(result.rows)}")

    def copy_in(self, session: Session, stmt: ast.Copy) -> CopyInResult:
        assert stmt.table is not None
        table = self.resolve(stmt.table, session)
        targets = self._target_columns(table, stmt.columns)
        return CopyInResult(tuple(to_column(c) for c in targets), copy_options(stmt),
                            _CopySink(self, table, targets))


class _CopySink:
    """Buffers COPY rows; ``finish`` writes them in one atomic append."""

    def __init__(self, tables: TableSequencer, table: Table, targets: list[TableColumn]) -> None:
        self._tables = tables
        self._table = table
        self._positions = [table.columns.index(c) for c in targets]
        self._rows: list[tuple[object, ...]] = []

    async def write_rows(self, rows: Sequence[tuple[object | None, ...]]) -> None:
        width = len(self._table.columns)
        for row in rows:
            full: list[object | None] = [None] * width
            for pos, value in zip(self._positions, row, strict=True):
                full[pos] = value
            self._rows.append(self._tables._coerce(self._table, full))

    async def finish(self) -> CommandResult:
        missing = [c for i, c in enumerate(self._table.columns)
                   if i not in self._positions and c.default is not None]
        if missing:
            raise FeatureNotSupported("COPY FROM into a table with DEFAULT columns not listed "
                                      "in the column list is not yet supported")
        await self._tables.write(self._table, [(row, 1) for row in self._rows])
        return CommandResult(f"COPY {len(self._rows)}")

    async def abort(self, reason: str) -> None:
        self._rows.clear()


def copy_options(stmt: ast.Copy) -> CopyOptions:
    opts = {o.name: (o.value.to_text() if o.value is not None else None) for o in stmt.options}
    fmt = (opts.get("FORMAT") or "text").lower()
    if fmt not in ("text", "csv", "binary"):
        raise SqlSyntaxError(f'COPY format "{fmt}" not recognized')
    header = opts.get("HEADER")
    unsupported = set(opts) - {"FORMAT", "DELIMITER", "NULL", "HEADER", "QUOTE", "ESCAPE"}
    if unsupported:
        raise FeatureNotSupported(f"COPY option {sorted(unsupported)[0]} not yet supported")
    return CopyOptions(
        format=fmt,  # type: ignore[arg-type]
        delimiter=opts.get("DELIMITER"),
        null=opts.get("NULL"),
        header=("HEADER" in opts) and (header is None or header.lower() in ("true", "on", "1")),
        quote=opts.get("QUOTE"),
        escape=opts.get("ESCAPE"),
    )


def table_columns(table: Table | MaterializedView) -> tuple[Column, ...]:
    return tuple(to_column(c) for c in table.columns)
