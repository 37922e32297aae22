"""A TTL cache in front of a :class:`SecretsReader`, for clusterd.

Replicas read secrets when they (re)connect to external systems; caching bounds how often
the backend is hit while still picking up ``ALTER SECRET`` within ``ttl_s``. Failed reads are
not cached. Concurrent misses for one id share a single backend read.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from pymz.secrets.controller import SecretsReader


class CachingSecretsReader:
    def __init__(self, reader: SecretsReader, ttl_s: float,
                 clock: Callable[[], float] = time.monotonic) -> None:
        if ttl_s < 0:
            raise ValueError("ttl_s must be >= 0")
        self._reader = reader
        self._ttl = ttl_s
        self._clock = clock
        self._cache: dict[str, tuple[bytes, float]] = {}
        self._inflight: dict[str, asyncio.Future[bytes]] = {}

    def __repr__(self) -> str:
        return f"CachingSecretsReader(ttl_s={self._ttl}, cached={len(self._cache)})"

    async def read(self, secret_id: str) -> bytes:
        hit = self._cache.get(secret_id)
        if hit is not None and self._clock() - hit[1] < self._ttl:
            return hit[0]
        pending = self._inflight.get(secret_id)
        if pending is not None:
            return await asyncio.shield(pending)
        fut: asyncio.Future[bytes] = asyncio.get_running_loop().create_future()
        self._inflight[secret_id] = fut
        try:
            fetched_at = self._clock()
            contents = await self._reader.read(secret_id)
        except BaseException as e:
            self._cache.pop(secret_id, None)
            fut.set_exception(e)
            fut.exception()  # mark retrieved: waiters (if any) re-raise it themselves
            raise
        else:
            # Age from the start of the read: the contents may be that old.
            self._cache[secret_id] = (contents, fetched_at)
            fut.set_result(contents)
            return contents
        finally:
            del self._inflight[secret_id]

    def invalidate(self, secret_id: str | None = None) -> None:
        """Forget ``secret_id`` (or everything): the next read goes to the backend."""
        if secret_id is None:
            self._cache.clear()
        else:
            self._cache.pop(secret_id, None)
