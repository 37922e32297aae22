"""The adapter's client interface: what a protocol front end (pgwire, HTTP) talks to.

This module holds only types, so front ends depend on it and not on the coordinator.
Values in rows follow the conventions in :mod:`pymz.repr.types`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal, Protocol

from pymz.repr import Column

TransactionStatus = Literal["I", "T", "E"]
"""ReadyForQuery status: idle, in a transaction block, in a failed transaction block."""


@dataclass(frozen=True)
class ParsedStatement:
    """One statement of a query string. ``ast`` is opaque to front ends."""

    sql: str
    ast: object
    # The first keyword(s), upper-cased; front ends use it for nothing but logging.
    kind: str


@dataclass(frozen=True)
class StatementDescription:
    """Parameter type OIDs (resolved; never 0) and result columns (None: no rows)."""

    param_oids: tuple[int, ...]
    columns: tuple[Column, ...] | None


@dataclass(frozen=True)
class QueryResult:
    """Rows produced by a statement; ``tag`` is the CommandComplete tag (``SELECT 3``)."""

    columns: tuple[Column, ...]
    rows: Sequence[tuple[object, ...]]
    tag: str


@dataclass(frozen=True)
class CommandResult:
    """A statement that returns no rows; ``tag`` is the CommandComplete tag."""

    tag: str


@dataclass(frozen=True)
class CopyOptions:
    """COPY format options, as PostgreSQL defines them (defaults per format are applied by
    the front end: text uses tab and ``\\N``, csv uses comma and the empty string)."""

    format: Literal["text", "csv", "binary"] = "text"
    delimiter: str | None = None
    null: str | None = None
    header: bool = False
    quote: str | None = None
    escape: str | None = None


class CopyInSink(Protocol):
    """Receives decoded COPY FROM STDIN rows; ``finish`` makes them durable atomically."""

    async def write_rows(self, rows: Sequence[tuple[object | None, ...]]) -> None: ...

    async def finish(self) -> CommandResult:
        """Commit every row written so far (tag ``COPY n``)."""
        ...

    async def abort(self, reason: str) -> None:
        """Discard every row (client sent CopyFail, bad data, or disconnected)."""
        ...


@dataclass(frozen=True)
class CopyInResult:
    """``execute`` asks the front end to stream COPY data from the client into ``sink``,
    decoding each row into values of ``columns``' types."""

    columns: tuple[Column, ...]
    options: CopyOptions
    sink: CopyInSink


@dataclass(frozen=True)
class CopyOutResult:
    """``execute`` asks the front end to stream ``rows`` to the client in COPY format
    (``COPY ... TO STDOUT``; later also SUBSCRIBE). ``tag`` is sent after the last batch."""

    columns: tuple[Column, ...]
    options: CopyOptions
    batches: AsyncIterator[Sequence[tuple[object | None, ...]]]
    tag: str


ExecuteResult = QueryResult | CommandResult | CopyInResult | CopyOutResult


@dataclass(frozen=True)
class Notice:
    severity: str
    sqlstate: str
    message: str
    detail: str | None = None
    hint: str | None = None


@dataclass(frozen=True)
class StartupRequest:
    user: str
    database: str
    options: Mapping[str, str] = field(default_factory=dict)
    application_name: str = ""


class AdapterSession(Protocol):
    """One client session. Methods raise :class:`pymz.errors.PymzError` on failure."""

    @property
    def connection_id(self) -> int: ...

    @property
    def transaction_status(self) -> TransactionStatus: ...

    def startup_parameters(self) -> Mapping[str, str]:
        """ParameterStatus values to report after authentication."""
        ...

    def parse(self, sql: str) -> list[ParsedStatement]:
        """Split and parse a query string (empty list for an empty query)."""
        ...

    async def describe(
        self, statement: ParsedStatement, param_oids: Sequence[int]
    ) -> StatementDescription:
        """Resolve parameter types (0 = infer) and result columns without executing."""
        ...

    async def execute(
        self, statement: ParsedStatement, params: Sequence[object | None]
    ) -> ExecuteResult:
        """Run the statement with decoded parameter values."""
        ...

    def end_implicit_transaction(self, *, failed: bool) -> None:
        """Called at Sync / end of a simple query: commits or rolls back an implicit
        transaction; explicit transaction blocks are left open (or failed)."""
        ...

    def cancel(self) -> None:
        """Cancel the statement in progress, if any (it then raises QueryCanceled)."""
        ...

    def drain_notices(self) -> list[Notice]: ...

    def drain_parameter_changes(self) -> dict[str, str]:
        """Session variables whose reported value changed since the last call."""
        ...

    async def terminate(self) -> None: ...


class AdapterClient(Protocol):
    async def new_session(self, request: StartupRequest) -> AdapterSession:
        """Authenticate and open a session (raises on unknown role or database)."""
        ...
