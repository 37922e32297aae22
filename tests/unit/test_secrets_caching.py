"""CachingSecretsReader over a real local-file backend, with a controllable clock."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from pymz.secrets import CachingSecretsReader, LocalFileSecretsController, SecretNotFound


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


class CountingReader:
    """Counts the reads that reach the real backend reader; can hold them at a gate."""

    def __init__(self, ctl: LocalFileSecretsController) -> None:
        self._inner = ctl.reader()
        self.reads = 0
        self.gate: asyncio.Event | None = None
        self.entered = asyncio.Event()

    async def read(self, secret_id: str) -> bytes:
        self.reads += 1
        self.entered.set()
        if self.gate is not None:
            await self.gate.wait()
        return await self._inner.read(secret_id)


@pytest.fixture
def ctl(tmp_path: Path) -> LocalFileSecretsController:
    return LocalFileSecretsController(tmp_path / "secrets")


async def test_serves_from_cache_within_ttl(ctl: LocalFileSecretsController) -> None:
    clock = Clock()
    backend = CountingReader(ctl)
    reader = CachingSecretsReader(backend, ttl_s=10, clock=clock)
    await ctl.ensure("u1", b"v1")
    assert await reader.read("u1") == b"v1"
    await ctl.ensure("u1", b"v2")
    clock.now += 9.9
    assert await reader.read("u1") == b"v1"  # stale but within the TTL
    assert backend.reads == 1
    clock.now += 0.1
    assert await reader.read("u1") == b"v2"
    assert backend.reads == 2


async def test_invalidate(ctl: LocalFileSecretsController) -> None:
    reader = CachingSecretsReader(ctl.reader(), ttl_s=3600, clock=Clock())
    await ctl.ensure("u1", b"v1")
    await ctl.ensure("u2", b"w1")
    assert await reader.read("u1") == b"v1"
    assert await reader.read("u2") == b"w1"
    await ctl.ensure("u1", b"v2")
    await ctl.ensure("u2", b"w2")
    reader.invalidate("u1")
    assert (await reader.read("u1"), await reader.read("u2")) == (b"v2", b"w1")
    reader.invalidate()
    assert await reader.read("u2") == b"w2"


async def test_zero_ttl_always_reads(ctl: LocalFileSecretsController) -> None:
    backend = CountingReader(ctl)
    reader = CachingSecretsReader(backend, ttl_s=0, clock=Clock())
    await ctl.ensure("u1", b"v")
    for _ in range(3):
        assert await reader.read("u1") == b"v"
    assert backend.reads == 3


async def test_failures_are_not_cached(ctl: LocalFileSecretsController) -> None:
    backend = CountingReader(ctl)
    reader = CachingSecretsReader(backend, ttl_s=3600, clock=Clock())
    with pytest.raises(SecretNotFound):
        await reader.read("u1")
    await ctl.ensure("u1", b"now there")
    assert await reader.read("u1") == b"now there"
    assert backend.reads == 2


async def test_concurrent_misses_share_one_read(ctl: LocalFileSecretsController) -> None:
    backend = CountingReader(ctl)
    backend.gate = asyncio.Event()
    reader = CachingSecretsReader(backend, ttl_s=3600, clock=Clock())
    await ctl.ensure("u1", b"v")
    tasks = [asyncio.create_task(reader.read("u1")) for _ in range(5)]
    await backend.entered.wait()  # the first read has reached the gate
    backend.gate.set()
    assert await asyncio.gather(*tasks) == [b"v"] * 5
    assert backend.reads == 1


async def test_concurrent_misses_share_a_failure(ctl: LocalFileSecretsController) -> None:
    backend = CountingReader(ctl)
    backend.gate = asyncio.Event()
    reader = CachingSecretsReader(backend, ttl_s=3600, clock=Clock())
    tasks = [asyncio.create_task(reader.read("u9")) for _ in range(3)]
    await backend.entered.wait()
    backend.gate.set()
    results = await asyncio.gather(*tasks, return_exceptions=True)
    assert all(isinstance(r, SecretNotFound) for r in results)
    assert backend.reads == 1


def test_negative_ttl_rejected(ctl: LocalFileSecretsController) -> None:
    with pytest.raises(ValueError):
        CachingSecretsReader(ctl.reader(), ttl_s=-1)
