"""Resolving where a new catalog item goes: ``[[database.]schema.]name``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pymz.catalog import Catalog, Schema
from pymz.errors import InvalidSchemaName, SqlSyntaxError, UndefinedDatabase
from pymz.sql import ast

if TYPE_CHECKING:
    from pymz.adapter.session import Session


def schema_for_create(catalog: Catalog, name: ast.ObjectName, session: Session) -> Schema:
    """The schema an item named ``name`` is created in: the one written, else the first
    existing schema of the session's search path, in the named or session database."""
    parts = name.names
    if len(parts) > 3:
        raise SqlSyntaxError(f"qualified name has too many parts: {name}",
                             position=name.position or None)
    db_name = parts[0] if len(parts) == 3 else session.vars.get("database")
    db = catalog.database_by_name(db_name)
    if db is None:
        raise UndefinedDatabase(f"unknown database '{db_name}'")
    if len(parts) >= 2:
        schema_name = parts[-2]
    else:
        path = [s.strip() for s in session.vars.get("search_path").split(",") if s.strip()]
        schema_name = next((s for s in path if catalog.schema_by_name(db.id, s) is not None),
                           "")
        if not schema_name:
            raise InvalidSchemaName("no schema has been selected to create in")
    schema = catalog.schema_by_name(db.id, schema_name)
    if schema is None:
        raise InvalidSchemaName(f"unknown schema '{schema_name}'")
    return schema
