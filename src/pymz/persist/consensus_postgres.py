"""PostgreSQL consensus backend (``postgres://…``), using psycopg 3.

Each CaS runs in one transaction that first takes a transaction-scoped advisory lock on the
key, so racing CaS calls on one key are serialized across connections and processes; the
primary key (shard, sequence_number) is a second line of defence. Commits are durable before
``compare_and_set`` returns (PostgreSQL's default ``synchronous_commit``).
"""

from __future__ import annotations

import threading

import psycopg

from pymz.persist.consensus import CaSResult, VersionedData, check_cas_args
from pymz.persist.errors import ConsensusError, InvalidUsageError

_SCHEMA = """
CREATE TABLE IF NOT EXISTS consensus (
    shard TEXT NOT NULL,
    sequence_number BIGINT NOT NULL,
    data BYTEA NOT NULL,
    PRIMARY KEY (shard, sequence_number)
)
"""

_LOCK = "SELECT pg_advisory_xact_lock(hashtextextended(%s, 7415))"
_HEAD_SEQNO = "SELECT max(sequence_number) FROM consensus WHERE shard = %s"


class PostgresConsensus:
    def __init__(self, url: str) -> None:
        self.url = url
        self._lock = threading.Lock()
        try:
            self._conn = psycopg.connect(url, autocommit=True)
            with self._conn.transaction():
                # Serialize concurrent first-time schema creation between processes.
                self._conn.execute("SELECT pg_advisory_xact_lock(7415)")
                self._conn.execute(_SCHEMA)
        except psycopg.Error as e:
            raise ConsensusError(f"postgres consensus: {e}") from e

    def head(self, key: str) -> VersionedData | None:
        try:
            with self._lock:
                row = self._conn.execute(
                    "SELECT sequence_number, data FROM consensus WHERE shard = %s "
                    "ORDER BY sequence_number DESC LIMIT 1",
                    (key,),
                ).fetchone()
        except psycopg.Error as e:
            raise ConsensusError(f"postgres consensus: {e}") from e
        return VersionedData(int(row[0]), bytes(row[1])) if row else None

    def compare_and_set(self, key: str, expected: int | None, new: VersionedData) -> CaSResult:
        check_cas_args(expected, new)
        try:
            with self._lock, self._conn.transaction():
                self._conn.execute(_LOCK, (key,))
                row = self._conn.execute(_HEAD_SEQNO, (key,)).fetchone()
                current = None if row is None or row[0] is None else int(row[0])
                if current != expected:
                    return CaSResult.EXPECTATION_MISMATCH
                self._conn.execute(
                    "INSERT INTO consensus (shard, sequence_number, data) VALUES (%s, %s, %s)",
                    (key, new.seqno, new.data),
                )
                return CaSResult.COMMITTED
        except psycopg.errors.UniqueViolation:
            return CaSResult.EXPECTATION_MISMATCH
        except psycopg.Error as e:
            raise ConsensusError(f"postgres consensus: {e}") from e

    def scan(self, key: str, from_seqno: int, limit: int) -> list[VersionedData]:
        try:
            with self._lock:
                rows = self._conn.execute(
                    "SELECT sequence_number, data FROM consensus WHERE shard = %s "
                    "AND sequence_number >= %s ORDER BY sequence_number LIMIT %s",
                    (key, from_seqno, limit),
                ).fetchall()
        except psycopg.Error as e:
            raise ConsensusError(f"postgres consensus: {e}") from e
        return [VersionedData(int(s), bytes(d)) for s, d in rows]

    def truncate(self, key: str, seqno: int) -> int:
        try:
            with self._lock, self._conn.transaction():
                self._conn.execute(_LOCK, (key,))
                row = self._conn.execute(_HEAD_SEQNO, (key,)).fetchone()
                if row is None or row[0] is None or seqno > int(row[0]):
                    raise InvalidUsageError(f"cannot truncate {key!r} past its head")
                cur = self._conn.execute(
                    "DELETE FROM consensus WHERE shard = %s AND sequence_number < %s",
                    (key, seqno),
                )
                return cur.rowcount
        except psycopg.Error as e:
            raise ConsensusError(f"postgres consensus: {e}") from e

    def list_keys(self) -> list[str]:
        try:
            with self._lock:
                rows = self._conn.execute(
                    "SELECT DISTINCT shard FROM consensus ORDER BY shard"
                ).fetchall()
        except psycopg.Error as e:
            raise ConsensusError(f"postgres consensus: {e}") from e
        return [str(r[0]) for r in rows]

    def close(self) -> None:
        with self._lock:
            self._conn.close()
