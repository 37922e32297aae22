"""Sequencing of database, schema and role DDL (catalog-only objects)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pymz.adapter.cluster_ddl import check_user_name
from pymz.catalog import Catalog, Database, Role, Schema
from pymz.catalog.builtin import DEFAULT_SCHEMA, SYSTEM_SCHEMAS
from pymz.errors import (
    DependentObjectsStillExist,
    DuplicateObject,
    FeatureNotSupported,
    InsufficientPrivilege,
    SqlSyntaxError,
    UndefinedDatabase,
    UndefinedObject,
)
from pymz.sql import ast

if TYPE_CHECKING:
    from pymz.adapter.session import Session


class ObjectSequencer:
    def __init__(self, catalog: Catalog) -> None:
        self._catalog = catalog

    async def ensure_login_role(self, name: str) -> Role:
        existing = self._catalog.role_by_name(name)
        if existing is not None:
            return existing
        txn = self._catalog.transaction()
        role = Role(txn.allocate_id("role"), txn.allocate_oid(), name)
        txn.put(role)
        txn.commit()
        return role

    async def execute(self, stmt: object, session: Session) -> list[str]:
        match stmt:
            case ast.CreateDatabase():
                return self._create_database(stmt, session)
            case ast.CreateSchema():
                return self._create_schema(stmt, session)
            case ast.CreateRole():
                return self._create_role(stmt)
            case ast.DropObjects(object_type="DATABASE"):
                return self._drop_databases(stmt)
            case ast.DropObjects(object_type="SCHEMA"):
                return self._drop_schemas(stmt, session)
            case ast.DropObjects(object_type="ROLE"):
                return self._drop_roles(stmt, session)
            case ast.DropObjects():
                raise FeatureNotSupported(f"DROP {stmt.object_type} not yet supported")
        raise FeatureNotSupported(f"{type(stmt).__name__} not yet supported")

    def _create_database(self, stmt: ast.CreateDatabase, session: Session) -> list[str]:
        name = stmt.name.value
        if self._catalog.database_by_name(name) is not None:
            if stmt.if_not_exists:
                return [f'database "{name}" already exists, skipping']
            raise DuplicateObject(f"database '{name}' already exists")
        check_user_name("database", name)
        txn = self._catalog.transaction()
        db = Database(txn.allocate_id("database"), txn.allocate_oid(), name, session.role_id)
        txn.put(db)
        txn.put(Schema(txn.allocate_id("schema"), txn.allocate_oid(), DEFAULT_SCHEMA, db.id,
                       session.role_id))
        txn.commit()
        return []

    def _database_for(self, name: ast.ObjectName, session: Session) -> tuple[Database, str]:
        if len(name.parts) > 2:
            raise SqlSyntaxError(f"schema name has too many parts: {name}")
        db_name = name.parts[0].value if len(name.parts) == 2 else session.vars.get("database")
        db = self._catalog.database_by_name(db_name)
        if db is None:
            raise UndefinedDatabase(f"unknown database '{db_name}'")
        return db, name.parts[-1].value

    def _schema(self, db: Database, name: str) -> Schema | None:
        return next((s for s in self._catalog.schemas.values()
                     if s.database_id == db.id and s.name == name), None)

    def _create_schema(self, stmt: ast.CreateSchema, session: Session) -> list[str]:
        db, name = self._database_for(stmt.name, session)
        if self._schema(db, name) is not None or name in SYSTEM_SCHEMAS:
            if stmt.if_not_exists:
                return [f'schema "{name}" already exists, skipping']
            raise DuplicateObject(f"schema '{name}' already exists")
        check_user_name("schema", name)
        txn = self._catalog.transaction()
        txn.put(Schema(txn.allocate_id("schema"), txn.allocate_oid(), name, db.id,
                       session.role_id))
        txn.commit()
        return []

    def _create_role(self, stmt: ast.CreateRole) -> list[str]:
        name = stmt.name.value
        if self._catalog.role_by_name(name) is not None:
            raise DuplicateObject(f"role '{name}' already exists")
        if name.startswith(("mz_", "pg_")) or name == "public":
            raise InsufficientPrivilege(f'role name "{name}" is reserved')
        supported = {"LOGIN", "NOLOGIN", "INHERIT", "SUPERUSER", "NOSUPERUSER"}
        for opt in stmt.options:
            if opt.name not in supported:
                raise FeatureNotSupported(f"CREATE ROLE option {opt.name} not yet supported")
        names = {o.name for o in stmt.options}
        txn = self._catalog.transaction()
        txn.put(Role(txn.allocate_id("role"), txn.allocate_oid(), name,
                     login="NOLOGIN" not in names, superuser="SUPERUSER" in names))
        txn.commit()
        return []

    def _drop_databases(self, stmt: ast.DropObjects) -> list[str]:
        notices: list[str] = []
        txn = self._catalog.transaction()
        for obj in stmt.names:
            name = str(obj)
            db = self._catalog.database_by_name(name)
            if db is None:
                if stmt.if_exists:
                    notices.append(f'database "{name}" does not exist, skipping')
                    continue
                raise UndefinedDatabase(f"unknown database '{name}'")
            schemas = [s for s in self._catalog.schemas.values() if s.database_id == db.id]
            for schema in schemas:
                self._check_empty(schema, f'database "{name}"')
                txn.remove(schema)
            txn.remove(db)
        txn.commit()
        return notices

    def _drop_schemas(self, stmt: ast.DropObjects, session: Session) -> list[str]:
        notices: list[str] = []
        txn = self._catalog.transaction()
        for obj in stmt.names:
            db, name = self._database_for(obj, session)
            if name in SYSTEM_SCHEMAS:
                raise InsufficientPrivilege(f"system schema '{name}' cannot be modified")
            schema = self._schema(db, name)
            if schema is None:
                if stmt.if_exists:
                    notices.append(f'schema "{name}" does not exist, skipping')
                    continue
                raise UndefinedObject(f"unknown schema '{name}'", sqlstate="3F000")
            self._check_empty(schema, f'schema "{name}"')
            txn.remove(schema)
        txn.commit()
        return notices

    def _check_empty(self, schema: Schema, what: str) -> None:
        """Items (tables, secrets) are never dropped implicitly with their schema yet: their
        data lives outside the catalog, so refusing is the way to lose nothing."""
        items = [o.name for kind in ("table", "secret")
                 for o in self._catalog.objects.get(kind, {}).values()
                 if o.schema_id == schema.id]
        if items:
            raise DependentObjectsStillExist(
                f"{what} cannot be dropped because it contains objects",
                detail=f"contains: {', '.join(sorted(items))}",
                hint="Drop the objects in it first.")

    def _drop_roles(self, stmt: ast.DropObjects, session: Session) -> list[str]:
        notices: list[str] = []
        txn = self._catalog.transaction()
        for obj in stmt.names:
            name = str(obj)
            role = self._catalog.role_by_name(name)
            if role is None:
                if stmt.if_exists:
                    notices.append(f'role "{name}" does not exist, skipping')
                    continue
                raise UndefinedObject(f"unknown role '{name}'")
            if role.id.startswith("s"):
                raise InsufficientPrivilege(f"system role '{name}' cannot be dropped")
            if role.id == session.role_id:
                raise InsufficientPrivilege("current role cannot be dropped")
            owned = [o for kind in self._catalog.objects.values() for o in kind.values()
                     if getattr(o, "owner_id", None) == role.id]
            if owned:
                raise DependentObjectsStillExist(
                    f"role \"{name}\" cannot be dropped because some objects depend on it",
                    detail=f"{len(owned)} objects are owned by it")
            txn.remove(role)
        txn.commit()
        return notices
