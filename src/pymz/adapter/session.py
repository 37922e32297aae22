"""A client session: variables, transaction state, notices, and cancellation.

Statements run one at a time per session. ``cancel`` cancels the asyncio task running the
current statement; the statement then fails with 57014 and the session stays usable.
"""

from __future__ import annotations

import asyncio
import enum
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import TYPE_CHECKING, TypeVar

from pymz.adapter.client import (
    ExecuteResult,
    Notice,
    ParsedStatement,
    StatementDescription,
    TransactionStatus,
)
from pymz.adapter.cursors import Cursors
from pymz.adapter.vars import SessionVars
from pymz.errors import QueryCanceled

if TYPE_CHECKING:
    from pymz.adapter.coordinator import Coordinator

T = TypeVar("T")


class TxnState(enum.Enum):
    IDLE = "I"
    EXPLICIT = "T"
    FAILED = "E"


class Session:
    def __init__(self, coord: Coordinator, connection_id: int, user: str, role_id: str,
                 variables: SessionVars) -> None:
        self._coord = coord
        self._connection_id = connection_id
        self.user = user
        self.role_id = role_id
        self.vars = variables
        self.txn = TxnState.IDLE
        self._notices: list[Notice] = []
        # The timestamp every read of the current explicit transaction uses.
        self.read_ts: int | None = None
        # Writes of the current explicit transaction, applied at COMMIT: table id -> updates.
        self.pending_writes: dict[str, list[tuple[tuple[object, ...], int]]] = {}
        self.cursors = Cursors()
        self._current: asyncio.Task[object] | None = None

    # --- AdapterSession --------------------------------------------------------------
    @property
    def connection_id(self) -> int:
        return self._connection_id

    @property
    def transaction_status(self) -> TransactionStatus:
        return self.txn.value

    def startup_parameters(self) -> Mapping[str, str]:
        return self.vars.reported()

    def parse(self, sql: str) -> list[ParsedStatement]:
        return self._coord.parse(sql)

    async def describe(self, statement: ParsedStatement,
                       param_oids: Sequence[int]) -> StatementDescription:
        return await self._run(lambda: self._coord.describe(self, statement, param_oids))

    async def execute(self, statement: ParsedStatement,
                      params: Sequence[object | None]) -> ExecuteResult:
        try:
            return await self._run(lambda: self._coord.execute(self, statement, params))
        except Exception:
            if self.txn is TxnState.EXPLICIT:
                self.txn = TxnState.FAILED
            raise

    def end_implicit_transaction(self, *, failed: bool) -> None:
        # Outside an explicit block every statement is its own (implicit) transaction,
        # which has already been committed or rolled back by the time we get here.
        return None

    def cancel(self) -> None:
        if self._current is not None and not self._current.done():
            self._coord.cancel_query(self)
            self._current.cancel()

    def drain_notices(self) -> list[Notice]:
        notices, self._notices = self._notices, []
        return notices

    def drain_parameter_changes(self) -> dict[str, str]:
        return self.vars.drain_changes()

    async def terminate(self) -> None:
        self.cancel()
        await self.cursors.close_all()
        self._coord.end_session(self)

    # --- helpers ---------------------------------------------------------------------
    @property
    def in_explicit_transaction(self) -> bool:
        return self.txn is not TxnState.IDLE

    def end_transaction(self) -> None:
        self.txn = TxnState.IDLE
        self.read_ts = None
        self.pending_writes = {}

    def notice(self, message: str, *, severity: str = "NOTICE", sqlstate: str = "00000",
               detail: str | None = None, hint: str | None = None) -> None:
        self._notices.append(Notice(severity, sqlstate, message, detail, hint))

    async def _run(self, work: Callable[[], Awaitable[T]]) -> T:
        async def runner() -> T:
            return await work()

        task: asyncio.Task[T] = asyncio.ensure_future(runner())
        self._current = task
        try:
            return await asyncio.shield(task)
        except asyncio.CancelledError:
            if task.cancelled() and not _current_task_cancelling():
                raise QueryCanceled("canceling statement due to user request") from None
            task.cancel()
            raise
        finally:
            self._current = None


def _current_task_cancelling() -> bool:
    me = asyncio.current_task()
    return me is not None and me.cancelling() > 0
