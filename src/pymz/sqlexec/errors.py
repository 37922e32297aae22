"""Translation of DuckDB exceptions into :mod:`pymz.errors` with PostgreSQL SQLSTATEs."""

from __future__ import annotations

import re

import duckdb

from pymz import errors
from pymz.sqlexec.rewrite import INTERNAL_PREFIX

_PREFIX_RE = re.compile(r"^[A-Za-z ]+ Error: ")
_INTERNAL_RE = re.compile(re.escape(INTERNAL_PREFIX))


def _clean(message: str) -> str:
    # First line only: DuckDB appends "LINE 1: ..." context pointing into the rewritten SQL,
    # which would mislead a client looking at its own query text.
    first = message.split("\n", 1)[0]
    first = _PREFIX_RE.sub("", first).rstrip("!")
    first = _INTERNAL_RE.sub("", first)
    if first and not first[:2].isupper():
        first = first[0].lower() + first[1:]
    return first


_PG_TYPE_NAMES = {
    "INT16": "smallint", "INT32": "integer", "INT64": "bigint", "INT128": "numeric",
    "DOUBLE": "double precision", "FLOAT": "real", "BOOL": "boolean", "DATE": "date",
    "TIMESTAMP": "timestamp", "UUID": "uuid", "INTERVAL": "interval",
}


def translate(e: duckdb.Error) -> errors.PymzError:
    """Map a DuckDB error to the closest PostgreSQL error class."""
    raw = str(e)
    msg = _clean(raw)
    low = raw.lower()
    if isinstance(e, duckdb.InterruptException):
        return errors.QueryCanceled("canceling statement due to user request")
    if "division by zero" in low:
        return errors.DivisionByZero("division by zero")
    if isinstance(e, duckdb.ParserException):
        return errors.SqlSyntaxError(msg)
    if "referenced column" in low and "not found" in low:
        m = re.search(r'Referenced column "([^"]*)"', raw)
        name = m.group(1) if m else "?"
        return errors.UndefinedColumn(f'column "{name}" does not exist')
    m = re.search(r'column named "([^"]*)"|column "([^"]*)" referenced that exists', raw)
    if m:
        return errors.UndefinedColumn(f'column "{m.group(1) or m.group(2)}" does not exist')
    if "referenced table" in low and "not found" in low:
        m = re.search(r'Referenced table "([^"]*)"', raw)
        name = m.group(1) if m else "?"
        return errors.UndefinedTable(f'missing FROM-clause entry for table "{name}"')
    if "function with name" in low and "does not exist" in low:
        m = re.search(r"Function with name (\S+) does not exist", raw)
        name = m.group(1) if m else "?"
        return errors.UndefinedFunction(f"function {name} does not exist")
    if "no function matches" in low or "could not choose a best candidate" in low:
        return errors.UndefinedFunction(msg)
    if isinstance(e, duckdb.CatalogException) and "table with name" in low:
        return errors.UndefinedTable(msg)
    if isinstance(e, duckdb.OutOfRangeException) or "out of range" in low or "overflow" in low:
        return errors.NumericValueOutOfRange(msg)
    if isinstance(e, duckdb.ConversionException):
        # PostgreSQL's wording, which clients and tests match on.
        m = re.search(r"""Could not convert string '(.*?)' to (\w+)""", raw)
        if m:
            pg = _PG_TYPE_NAMES.get(m.group(2).upper(), m.group(2).lower())
            return errors.InvalidTextRepresentation(
                f'invalid input syntax for type {pg}: "{m.group(1)}"')
        return errors.InvalidTextRepresentation(msg)
    if isinstance(e, duckdb.BinderException) and (
        "cannot mix" in low or "cannot compare" in low or "implicit cast" in low
        or "must be" in low or "type" in low
    ):
        return errors.DatatypeMismatch(msg)
    if "ambiguous reference to column name" in low:
        m = re.search(r'column name "([^"]*)"', raw)
        name = m.group(1) if m else "?"
        return errors.PymzError(f'column reference "{name}" is ambiguous', sqlstate="42702")
    if isinstance(e, duckdb.InvalidInputException) and "parameter" in low:
        return errors.ProtocolViolation(msg)
    return errors.InternalError(msg)
