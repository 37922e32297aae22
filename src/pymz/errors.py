"""One error hierarchy for pymz, each error carrying a PostgreSQL SQLSTATE code.

Guarantees: every error meant for a client is a :class:`PymzError` with a five-character
SQLSTATE, a message, and optional detail/hint, so pgwire can render it as an
ErrorResponse without guessing. Does not guarantee: that messages are stable across versions.
"""

from __future__ import annotations


class PymzError(Exception):
    """Base error; subclasses fix the SQLSTATE. Messages follow PostgreSQL style (lowercase)."""

    sqlstate: str = "XX000"
    severity: str = "ERROR"

    def __init__(
        self,
        message: str,
        *,
        detail: str | None = None,
        hint: str | None = None,
        sqlstate: str | None = None,
        position: int | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.detail = detail
        self.hint = hint
        # 1-based character offset into the query text (PostgreSQL's "P" error field).
        self.position = position
        if sqlstate is not None:
            self.sqlstate = sqlstate


class InternalError(PymzError):
    sqlstate = "XX000"


class SqlSyntaxError(PymzError):
    sqlstate = "42601"


class FeatureNotSupported(PymzError):
    sqlstate = "0A000"


class UndefinedObject(PymzError):
    sqlstate = "42704"


class UndefinedTable(PymzError):
    sqlstate = "42P01"


class UndefinedColumn(PymzError):
    sqlstate = "42703"


class UndefinedFunction(PymzError):
    sqlstate = "42883"


class UnknownFunction(UndefinedFunction):
    """No function of that name exists at all (not merely none for those argument types)."""


class UndefinedParameter(PymzError):
    sqlstate = "42P02"


class UndefinedDatabase(PymzError):
    sqlstate = "3D000"


class InvalidSchemaName(PymzError):
    sqlstate = "3F000"


class DuplicateObject(PymzError):
    sqlstate = "42710"


class WrongObjectType(PymzError):
    sqlstate = "42809"


class InvalidObjectDefinition(PymzError):
    sqlstate = "42P17"


class DuplicateColumn(PymzError):
    sqlstate = "42701"


class DependentObjectsStillExist(PymzError):
    sqlstate = "2BP01"


class InvalidParameterValue(PymzError):
    sqlstate = "22023"


class InvalidTextRepresentation(PymzError):
    sqlstate = "22P02"


class DatatypeMismatch(PymzError):
    sqlstate = "42804"


class InvalidName(PymzError):
    sqlstate = "42602"


class InsufficientPrivilege(PymzError):
    sqlstate = "42501"


class ProtocolViolation(PymzError):
    sqlstate = "08P01"


class InvalidAuthorizationSpecification(PymzError):
    sqlstate = "28000"


class QueryCanceled(PymzError):
    sqlstate = "57014"


class ActiveSqlTransaction(PymzError):
    sqlstate = "25001"


class InFailedSqlTransaction(PymzError):
    sqlstate = "25P02"


class ReadOnlySqlTransaction(PymzError):
    sqlstate = "25006"


class InvalidTransactionState(PymzError):
    sqlstate = "25000"


class InvalidCursorName(PymzError):
    sqlstate = "34000"


class InvalidPreparedStatementDefinition(PymzError):
    sqlstate = "42P14"


class DuplicatePreparedStatement(PymzError):
    sqlstate = "42P05"


class UndefinedPreparedStatement(PymzError):
    sqlstate = "26000"


class DivisionByZero(PymzError):
    sqlstate = "22012"


class NumericValueOutOfRange(PymzError):
    sqlstate = "22003"


class AdminShutdown(PymzError):
    sqlstate = "57P01"
    severity = "FATAL"


class ConfigurationError(PymzError):
    """Bad flags or configuration files (not a client error, but rendered the same way)."""

    sqlstate = "F0000"
