"""SQLite consensus backend (``sqlite:///path/consensus.db``).

WAL mode with ``synchronous=FULL``; every CaS runs in a ``BEGIN IMMEDIATE`` transaction, which
takes SQLite's single write lock, so CaS calls are serialized across threads *and* processes
that share the file (a busy timeout makes contenders wait instead of failing).
Does not work on network file systems (SQLite's locking needs a local file system).
"""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

from pymz.persist.consensus import CaSResult, VersionedData, check_cas_args
from pymz.persist.errors import ConsensusError, InvalidUsageError

_SCHEMA = """
CREATE TABLE IF NOT EXISTS consensus (
    shard TEXT NOT NULL,
    sequence_number INTEGER NOT NULL,
    data BLOB NOT NULL,
    PRIMARY KEY (shard, sequence_number)
)
"""


class SqliteConsensus:
    def __init__(self, path: str, *, busy_timeout_s: float = 60.0) -> None:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        # One connection per handle, guarded by a lock: sqlite3 connections are not safe for
        # concurrent use, and autocommit mode (isolation_level=None) lets us issue BEGIN ourselves.
        self._conn = sqlite3.connect(
            path, timeout=busy_timeout_s, isolation_level=None, check_same_thread=False
        )
        self._lock = threading.Lock()
        with self._lock:
            self._setup(busy_timeout_s)

    def _setup(self, busy_timeout_s: float) -> None:
        # Switching a new database to WAL takes an exclusive lock without waiting on the busy
        # handler, so processes opening the same fresh file at once (environmentd and its
        # clusterds at first start) can see "database is locked": retry within the timeout.
        deadline = time.monotonic() + busy_timeout_s
        delay = 0.005
        while True:
            try:
                mode = self._conn.execute("PRAGMA journal_mode").fetchone()
                if not mode or str(mode[0]).lower() != "wal":
                    self._conn.execute("PRAGMA journal_mode=WAL")
                self._conn.execute("PRAGMA synchronous=FULL")
                self._conn.execute(_SCHEMA)
                return
            except sqlite3.OperationalError as e:
                if "locked" not in str(e) or time.monotonic() > deadline:
                    raise ConsensusError(f"sqlite consensus: {e}") from e
                time.sleep(delay)
                delay = min(delay * 2, 0.2)

    def _query(self, sql: str, args: tuple[object, ...]) -> list[tuple[int, bytes]]:
        try:
            with self._lock:
                return list(self._conn.execute(sql, args).fetchall())
        except sqlite3.Error as e:
            raise ConsensusError(f"sqlite consensus: {e}") from e

    def head(self, key: str) -> VersionedData | None:
        rows = self._query(
            "SELECT sequence_number, data FROM consensus WHERE shard = ? "
            "ORDER BY sequence_number DESC LIMIT 1",
            (key,),
        )
        return VersionedData(rows[0][0], bytes(rows[0][1])) if rows else None

    def compare_and_set(self, key: str, expected: int | None, new: VersionedData) -> CaSResult:
        check_cas_args(expected, new)
        try:
            with self._lock:
                cur = self._conn.cursor()
                cur.execute("BEGIN IMMEDIATE")
                try:
                    row = cur.execute(
                        "SELECT max(sequence_number) FROM consensus WHERE shard = ?", (key,)
                    ).fetchone()
                    current = row[0] if row else None
                    if current != expected:
                        cur.execute("ROLLBACK")
                        return CaSResult.EXPECTATION_MISMATCH
                    cur.execute(
                        "INSERT INTO consensus (shard, sequence_number, data) VALUES (?, ?, ?)",
                        (key, new.seqno, new.data),
                    )
                    cur.execute("COMMIT")
                    return CaSResult.COMMITTED
                except BaseException:
                    if self._conn.in_transaction:
                        cur.execute("ROLLBACK")
                    raise
        except sqlite3.Error as e:
            raise ConsensusError(f"sqlite consensus: {e}") from e

    def scan(self, key: str, from_seqno: int, limit: int) -> list[VersionedData]:
        rows = self._query(
            "SELECT sequence_number, data FROM consensus WHERE shard = ? "
            "AND sequence_number >= ? ORDER BY sequence_number LIMIT ?",
            (key, from_seqno, limit),
        )
        return [VersionedData(s, bytes(d)) for s, d in rows]

    def truncate(self, key: str, seqno: int) -> int:
        try:
            with self._lock:
                cur = self._conn.cursor()
                cur.execute("BEGIN IMMEDIATE")
                try:
                    row = cur.execute(
                        "SELECT max(sequence_number) FROM consensus WHERE shard = ?", (key,)
                    ).fetchone()
                    if row is None or row[0] is None or seqno > row[0]:
                        raise InvalidUsageError(f"cannot truncate {key!r} past its head")
                    cur.execute(
                        "DELETE FROM consensus WHERE shard = ? AND sequence_number < ?",
                        (key, seqno),
                    )
                    deleted = cur.rowcount
                    cur.execute("COMMIT")
                    return deleted
                except BaseException:
                    if self._conn.in_transaction:
                        cur.execute("ROLLBACK")
                    raise
        except sqlite3.Error as e:
            raise ConsensusError(f"sqlite consensus: {e}") from e

    def list_keys(self) -> list[str]:
        try:
            with self._lock:
                rows = self._conn.execute(
                    "SELECT DISTINCT shard FROM consensus ORDER BY shard"
                ).fetchall()
        except sqlite3.Error as e:
            raise ConsensusError(f"sqlite consensus: {e}") from e
        return [r[0] for r in rows]

    def close(self) -> None:
        with self._lock:
            self._conn.close()
