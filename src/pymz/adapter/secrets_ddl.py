"""Sequencing of secret DDL: the catalog holds names, the secrets controller holds contents.

Ordering (so a crash never leaves a catalog secret without contents):

* CREATE: ``ensure`` the contents under the new id, then commit the catalog. A crash in
  between leaves an orphan in the controller, removed by :meth:`collect_orphans` at start-up.
* DROP: commit the catalog, then ``delete``. A failed delete is an orphan too.
* ALTER ... AS: ``ensure`` the new contents under the same id; the catalog is unchanged.

Secret values are only ever handled as bytes handed to the controller: no message, notice,
log line or catalog field built here contains them.
"""

from __future__ import annotations

import base64
import binascii
import logging
from typing import TYPE_CHECKING

from pymz.adapter.client import QueryResult
from pymz.adapter.cluster_ddl import check_user_name
from pymz.adapter.names import schema_for_create
from pymz.catalog import Catalog, Schema, Secret
from pymz.errors import (
    FeatureNotSupported,
    InvalidParameterValue,
    InvalidTextRepresentation,
    PymzError,
    UndefinedObject,
    WrongObjectType,
)
from pymz.repr import Column, ScalarType
from pymz.secrets import SecretsController
from pymz.sql import ast

if TYPE_CHECKING:
    from pymz.adapter.session import Session

log = logging.getLogger(__name__)

REDACTED = "'********'"
SHOW_CREATE_COLUMNS = (Column("name", ScalarType.TEXT), Column("create_sql", ScalarType.TEXT))



class DuplicateSecret(PymzError):
    sqlstate = "42710"


# ------------------------------------------------------------------------------ values


def _bytea_input(text: str) -> bytes:
    """PostgreSQL's ``bytea`` input syntax: ``\\x`` hex, else escape format."""
    if text.startswith("\\x"):
        return _hex(text[2:])
    return _escape(text)


def _hex(text: str) -> bytes:
    try:
        return bytes.fromhex("".join(text.split()))
    except ValueError:
        raise InvalidTextRepresentation("invalid hexadecimal data in secret value") from None


def _escape(text: str) -> bytes:
    if "\\" not in text:
        return text.encode()
    out = bytearray()
    i = 0
    while i < len(text):
        ch = text[i]
        if ch != "\\":
            out += ch.encode()
            i += 1
        elif text[i + 1: i + 2] == "\\":
            out.append(0x5C)
            i += 2
        elif len(text) >= i + 4 and all(c in "01234567" for c in text[i + 1: i + 4]) \
                and text[i + 1] in "0123":
            out.append(int(text[i + 1: i + 4], 8))
            i += 4
        else:
            raise InvalidTextRepresentation("invalid input syntax for type bytea")
    return bytes(out)


def evaluate(value: ast.SecretValue) -> bytes:
    """The bytes a secret value expression stands for. Errors never quote the value."""
    match value.decode_format:
        case None:
            return _bytea_input(value.literal)
        case "base64":
            try:
                return base64.b64decode("".join(value.literal.split()), validate=True)
            except (binascii.Error, ValueError):
                raise InvalidParameterValue("invalid base64 data in secret value") from None
        case "hex":
            return _hex(value.literal)
        case "escape":
            return _escape(value.literal)
    raise InvalidParameterValue(f'unrecognized encoding: "{value.decode_format}"',
                                hint="Supported encodings: base64, escape, hex.")


def _quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


# ---------------------------------------------------------------------------- sequencer


class SecretSequencer:
    def __init__(self, catalog: Catalog, controller: SecretsController | None) -> None:
        self._catalog = catalog
        self._controller = controller

    @property
    def controller(self) -> SecretsController:
        if self._controller is None:
            raise FeatureNotSupported("secrets are not available: no secrets controller "
                                      "is configured")
        return self._controller

    # --- names -----------------------------------------------------------------------
    def _qualified_schema(self, schema: Schema) -> list[str]:
        db = self._catalog.databases.get(schema.database_id) if schema.database_id else None
        return [db.name, schema.name] if db is not None else [schema.name]

    def qualified(self, secret: Secret) -> str:
        """``database.schema.name``, as SHOW CREATE names it."""
        schema = self._catalog.schemas[secret.schema_id]
        return ".".join([*self._qualified_schema(schema), secret.name])

    def create_sql(self, schema: Schema, name: str) -> str:
        parts = [*self._qualified_schema(schema), name]
        return f"CREATE SECRET {'.'.join(_quote_ident(p) for p in parts)} AS {REDACTED}"

    def _candidate_schemas(self, name: ast.ObjectName, session: Session) -> list[Schema]:
        parts = name.names
        db_name = parts[0] if len(parts) == 3 else session.vars.get("database")
        db = self._catalog.database_by_name(db_name)
        if db is None or len(parts) > 3:
            return []
        names = [parts[-2]] if len(parts) >= 2 else [
            s.strip() for s in session.vars.get("search_path").split(",") if s.strip()]
        return [s for n in names if (s := self._catalog.schema_by_name(db.id, n)) is not None]

    def _item_in(self, schema_id: str, name: str) -> Secret | str | None:
        """The secret named ``name`` in the schema, the kind of another item so named, or
        None. Tables and secrets share one namespace per schema, as in Materialize."""
        for secret in self._catalog.secrets.values():
            if secret.schema_id == schema_id and secret.name == name:
                return secret
        if any(t.schema_id == schema_id and t.name == name
               for t in self._catalog.tables.values()):
            return "table"
        return None

    def resolve(self, name: ast.ObjectName, session: Session) -> Secret | None:
        for schema in self._candidate_schemas(name, session):
            item = self._item_in(schema.id, name.parts[-1].value)
            if isinstance(item, Secret):
                return item
            if item is not None:
                raise WrongObjectType(f"\"{name}\" is a {item} not a secret")
        return None

    def _unknown(self, name: ast.ObjectName) -> UndefinedObject:
        return UndefinedObject(f"unknown catalog item '{name}'",
                               position=name.position or None)

    # --- DDL -------------------------------------------------------------------------
    async def create(self, stmt: ast.CreateSecret, session: Session) -> list[str]:
        controller = self.controller
        schema = schema_for_create(self._catalog, stmt.name, session)
        name = stmt.name.parts[-1].value
        existing = self._item_in(schema.id, name)
        if existing is not None:
            qualified = ".".join([*self._qualified_schema(schema), name])
            if stmt.if_not_exists:
                return [f'secret "{qualified}" already exists, skipping']
            kind = "secret" if isinstance(existing, Secret) else existing
            raise DuplicateSecret(f'{kind} "{qualified}" already exists')
        check_user_name("secret", name)
        contents = evaluate(stmt.value)
        txn = self._catalog.transaction()
        secret = Secret(txn.allocate_id("item"), txn.allocate_oid(), name, schema.id,
                        session.role_id, self.create_sql(schema, name))
        await controller.ensure(secret.id, contents)
        txn.put(secret)
        try:
            txn.commit()
        except BaseException:
            # Best effort; if this fails too, start-up orphan collection removes it.
            try:
                await controller.delete(secret.id)
            except Exception:
                log.warning("could not remove contents of uncommitted secret %s", secret.id)
            raise
        log.info("created secret %s", secret.id)
        return []

    async def alter_value(self, stmt: ast.AlterSecret, session: Session) -> list[str]:
        controller = self.controller
        secret = self.resolve(stmt.name, session)
        if secret is None:
            if stmt.if_exists:
                return [f'secret "{stmt.name}" does not exist, skipping']
            raise self._unknown(stmt.name)
        await controller.ensure(secret.id, evaluate(stmt.value))
        log.info("altered contents of secret %s", secret.id)
        return []

    async def rename(self, stmt: ast.AlterRename, session: Session) -> list[str]:
        secret = self.resolve(stmt.name, session)
        if secret is None:
            if stmt.if_exists:
                return [f'secret "{stmt.name}" does not exist, skipping']
            raise self._unknown(stmt.name)
        new = stmt.new_name.value
        if new == secret.name:
            return []
        schema = self._catalog.schemas[secret.schema_id]
        if self._item_in(schema.id, new) is not None:
            qualified = ".".join([*self._qualified_schema(schema), new])
            raise DuplicateSecret(f'catalog item "{qualified}" already exists')
        check_user_name("secret", new)
        txn = self._catalog.transaction()
        txn.put(Secret(secret.id, secret.oid, new, secret.schema_id, secret.owner_id,
                       self.create_sql(schema, new)))
        txn.commit()
        return []

    async def alter_owner(self, stmt: ast.AlterOwner, session: Session) -> list[str]:
        secret = self.resolve(stmt.name, session)
        if secret is None:
            if stmt.if_exists:
                return [f'secret "{stmt.name}" does not exist, skipping']
            raise self._unknown(stmt.name)
        role = self._catalog.role_by_name(stmt.new_owner.value)
        if role is None:
            raise UndefinedObject(f"unknown role '{stmt.new_owner.value}'")
        txn = self._catalog.transaction()
        txn.put(Secret(secret.id, secret.oid, secret.name, secret.schema_id, role.id,
                       secret.create_sql))
        txn.commit()
        return []

    async def drop(self, stmt: ast.DropObjects, session: Session) -> list[str]:
        controller = self.controller
        notices: list[str] = []
        doomed: dict[str, Secret] = {}
        for name in stmt.names:
            secret = self.resolve(name, session)
            if secret is None:
                if stmt.if_exists:
                    notices.append(f'unknown catalog item \'{name}\', skipping')
                    continue
                raise self._unknown(name)
            doomed[secret.id] = secret
        if not doomed:
            return notices
        txn = self._catalog.transaction()
        for secret in doomed.values():
            txn.remove(secret)
        txn.commit()
        for secret_id in doomed:
            try:
                await controller.delete(secret_id)
            except Exception:
                # The catalog no longer names it: start-up orphan collection retries.
                log.warning("could not delete contents of dropped secret %s", secret_id)
        return notices

    def show_create(self, stmt: ast.ShowCreate, session: Session) -> QueryResult:
        secret = self.resolve(stmt.name, session)
        if secret is None:
            raise self._unknown(stmt.name)
        return QueryResult(SHOW_CREATE_COLUMNS, [(self.qualified(secret), secret.create_sql)],
                           "SELECT 1")

    async def collect_orphans(self) -> list[str]:
        """Delete contents the catalog does not name (crashes between the controller and
        the catalog); returns the ids removed."""
        if self._controller is None:
            return []
        known = set(self._catalog.secrets)
        orphans = [i for i in await self._controller.list() if i not in known]
        for secret_id in orphans:
            await self._controller.delete(secret_id)
        if orphans:
            log.info("removed %d orphaned secrets: %s", len(orphans), ", ".join(orphans))
        return orphans
