"""A bounded LRU of decoded batches, keyed by blob key.

Batch blobs are immutable once written (every batch gets a fresh, unique key and is never
overwritten), so a decoded batch can be reused for as long as memory allows: a later read of
the same key would decode to the same updates. The bound is on the *encoded* size, a cheap
proxy for the decoded one.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence

from pymz.persist.consolidate import Update


class BatchCache:
    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self._entries: OrderedDict[str, tuple[tuple[Update, ...], int]] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get(self, key: str) -> Sequence[Update] | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                self.misses += 1
                return None
            self._entries.move_to_end(key)
            self.hits += 1
            return entry[0]

    def put(self, key: str, updates: Sequence[Update], size: int) -> None:
        if size > self.max_bytes:
            return
        with self._lock:
            old = self._entries.pop(key, None)
            if old is not None:
                self._bytes -= old[1]
            self._entries[key] = (tuple(updates), size)
            self._bytes += size
            while self._bytes > self.max_bytes and self._entries:
                _, (_, evicted) = self._entries.popitem(last=False)
                self._bytes -= evicted

    def discard(self, key: str) -> None:
        with self._lock:
            old = self._entries.pop(key, None)
            if old is not None:
                self._bytes -= old[1]

    @property
    def size_bytes(self) -> int:
        return self._bytes
