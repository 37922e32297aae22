"""SQLite-backed durable store for catalog objects, with epoch fencing.

Each environmentd that opens the store bumps the epoch; every later commit checks the
epoch inside the same write transaction, so an older environmentd that still runs cannot
commit once a newer one has opened the catalog.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterable, Mapping
from pathlib import Path

from pymz.catalog.objects import ObjectRecord
from pymz.errors import PymzError

_SCHEMA = """
CREATE TABLE IF NOT EXISTS objects (
    kind TEXT NOT NULL,
    id TEXT NOT NULL,
    data TEXT NOT NULL,
    PRIMARY KEY (kind, id)
);
CREATE TABLE IF NOT EXISTS settings (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
"""


class CatalogFenced(PymzError):
    """Another environmentd has opened this catalog since we did."""

    sqlstate = "57P01"


class DurableCatalog:
    def __init__(self, conn: sqlite3.Connection, epoch: int) -> None:
        self._conn = conn
        self._epoch = epoch
        self._lock = threading.Lock()

    @classmethod
    def open(cls, path: Path) -> DurableCatalog:
        path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=FULL")
        conn.execute("PRAGMA busy_timeout=10000")
        conn.executescript(_SCHEMA)
        conn.execute("BEGIN IMMEDIATE")
        row = conn.execute("SELECT value FROM settings WHERE key = 'epoch'").fetchone()
        epoch = (int(row[0]) if row else 0) + 1
        conn.execute(
            "INSERT INTO settings(key, value) VALUES ('epoch', ?) "
            "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            (str(epoch),),
        )
        conn.execute("COMMIT")
        return cls(conn, epoch)

    @property
    def epoch(self) -> int:
        return self._epoch

    def is_fenced(self) -> bool:
        """Whether another environmentd has opened this catalog since we did."""
        with self._lock:
            row = self._conn.execute("SELECT value FROM settings WHERE key = 'epoch'").fetchone()
        return row is None or int(row[0]) != self._epoch

    def load(self) -> tuple[list[ObjectRecord], dict[str, str]]:
        with self._lock:
            objects = [
                ObjectRecord(kind, id_, json.loads(data))
                for kind, id_, data in self._conn.execute(
                    "SELECT kind, id, data FROM objects ORDER BY kind, id"
                )
            ]
            settings = dict(self._conn.execute("SELECT key, value FROM settings").fetchall())
        return objects, settings

    def commit(
        self,
        upserts: Iterable[ObjectRecord],
        deletes: Iterable[tuple[str, str]],
        settings: Mapping[str, str],
    ) -> None:
        """Apply all changes atomically, or raise :class:`CatalogFenced`."""
        with self._lock:
            conn = self._conn
            conn.execute("BEGIN IMMEDIATE")
            try:
                row = conn.execute("SELECT value FROM settings WHERE key = 'epoch'").fetchone()
                if row is None or int(row[0]) != self._epoch:
                    raise CatalogFenced(
                        "catalog fenced: another environmentd opened this data directory",
                        detail=f"our epoch {self._epoch}, current epoch {row[0] if row else '?'}",
                    )
                for kind, id_ in deletes:
                    conn.execute("DELETE FROM objects WHERE kind = ? AND id = ?", (kind, id_))
                for rec in upserts:
                    conn.execute(
                        "INSERT INTO objects(kind, id, data) VALUES (?, ?, ?) "
                        "ON CONFLICT(kind, id) DO UPDATE SET data = excluded.data",
                        (rec.kind, rec.id, json.dumps(rec.data, sort_keys=True)),
                    )
                for key, value in settings.items():
                    conn.execute(
                        "INSERT INTO settings(key, value) VALUES (?, ?) "
                        "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                        (key, value),
                    )
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise

    def close(self) -> None:
        with self._lock:
            self._conn.close()
