"""A placeholder timely mesh: processes of one replica connect to each other and log it.

Process ``i`` listens on its timely address and dials every peer with a lower index, so each
pair has exactly one TCP connection. No data flows over it yet; it only proves the addresses
the orchestrator assigned are mutually reachable.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

log = logging.getLogger(__name__)

_GREETING = b"pymz-timely"


def split_addr(addr: str) -> tuple[str, int]:
    host, _, port = addr.rpartition(":")
    return host.strip("[]") or "0.0.0.0", int(port)


def unix_path(addr: str) -> str | None:
    """The socket path of a ``unix:PATH`` address (gRPC's spelling), else None."""
    return addr.removeprefix("unix://").removeprefix("unix:") if addr.startswith("unix:") else None


class TimelyMesh:
    def __init__(self, process: int, listen_addr: str | None, peers: list[str]) -> None:
        self.process = process
        self.listen_addr = listen_addr
        self.peers = peers
        self.connected: set[int] = set()
        self._server: asyncio.Server | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._writers: list[asyncio.StreamWriter] = []

    async def start(self) -> None:
        if self.listen_addr is not None:
            path = unix_path(self.listen_addr)
            if path is not None:
                self._server = await asyncio.start_unix_server(self._accept, path)
            else:
                host, port = split_addr(self.listen_addr)
                self._server = await asyncio.start_server(self._accept, host, port)
        for i, addr in enumerate(self.peers[: self.process]):
            self._tasks.append(asyncio.create_task(self._dial(i, addr)))

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            line = await reader.readline()
            word, _, idx = line.strip().partition(b" ")
            if word != _GREETING or not idx.isdigit():
                writer.close()
                return
            self.connected.add(int(idx))
            self._writers.append(writer)
            log.info("timely: process %d connected to us", int(idx))
        except (ConnectionError, asyncio.IncompleteReadError):
            writer.close()

    async def _dial(self, index: int, addr: str) -> None:
        delay = 0.1
        path = unix_path(addr)
        while True:
            try:
                if path is not None:
                    _, writer = await asyncio.open_unix_connection(path)
                else:
                    host, port = split_addr(addr)
                    _, writer = await asyncio.open_connection(host, port)
                writer.write(_GREETING + b" %d\n" % self.process)
                await writer.drain()
                self._writers.append(writer)
                self.connected.add(index)
                log.info("timely: connected to process %d at %s", index, addr)
                return
            except OSError:
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)

    async def close(self) -> None:
        for t in self._tasks:
            t.cancel()
        for w in self._writers:
            w.close()
        if self._server is not None:
            self._server.close()
            with contextlib.suppress(Exception):
                await self._server.wait_closed()
