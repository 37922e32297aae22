"""The listening server: accepts connections, routes CancelRequests, shuts down cleanly."""

from __future__ import annotations

import asyncio
import contextlib
import ssl
from collections.abc import Callable
from dataclasses import dataclass

from pymz.adapter.client import AdapterClient
from pymz.pgwire.connection import Connection


@dataclass
class PgwireStats:
    """Counters for metrics export (plain attributes, updated in place)."""

    connections_total: int = 0
    connections_active: int = 0
    queries_total: int = 0
    errors_total: int = 0
    protocol_errors_total: int = 0
    cancel_requests_total: int = 0


class _Protocol(asyncio.StreamReaderProtocol):
    """Stream protocol that also tells the connection when the socket is gone, so a
    statement running for a vanished client can be cancelled."""

    def __init__(self, server: PgwireServer) -> None:
        self._conn = Connection(server)
        super().__init__(asyncio.StreamReader(limit=1 << 16), server._spawn(self._conn))

    def connection_lost(self, exc: Exception | None) -> None:
        super().connection_lost(exc)
        self._conn.lost.set()

    def eof_received(self) -> bool:
        # PostgreSQL clients never half-close, so EOF means the client is gone.
        keep_open = super().eof_received()
        self._conn.lost.set()
        return bool(keep_open)


class PgwireServer:
    def __init__(self, client: AdapterClient, ssl_context: ssl.SSLContext | None) -> None:
        self.client = client
        self.ssl_context = ssl_context
        self.stats = PgwireStats()
        self.closing = False
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._by_key: dict[tuple[int, int], Connection] = {}

    @property
    def port(self) -> int:
        assert self._server is not None
        port: int = self._server.sockets[0].getsockname()[1]
        return port

    async def _listen(self, host: str, port: int) -> None:
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(lambda: _Protocol(self), host, port)

    def _spawn(
        self, conn: Connection
    ) -> Callable[[asyncio.StreamReader, asyncio.StreamWriter], None]:
        def start(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            if self.closing:
                writer.close()
                return
            task = asyncio.get_running_loop().create_task(conn.run(reader, writer))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

        return start

    def register(self, conn: Connection) -> None:
        self._by_key[(conn.pid, conn.secret)] = conn

    def unregister(self, conn: Connection) -> None:
        if self._by_key.get((conn.pid, conn.secret)) is conn:
            del self._by_key[(conn.pid, conn.secret)]

    def cancel(self, pid: int, secret: int) -> None:
        """Handle a CancelRequest; unknown keys are ignored, as PostgreSQL does."""
        conn = self._by_key.get((pid, secret))
        if conn is not None and conn.session is not None:
            conn.session.cancel()
            conn.cancel_stream()

    async def serve_forever(self) -> None:
        assert self._server is not None
        with contextlib.suppress(asyncio.CancelledError):
            await self._server.serve_forever()

    async def close(self) -> None:
        """Stop listening and end every session with FATAL 57P01 (admin_shutdown)."""
        self.closing = True
        if self._server is not None:
            self._server.close()
        tasks = list(self._tasks)
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        if self._server is not None:
            await self._server.wait_closed()


async def start_server(
    client: AdapterClient,
    host: str,
    port: int,
    *,
    ssl_context: ssl.SSLContext | None = None,
) -> PgwireServer:
    """Listen on ``host:port`` (port 0 picks a free port; see ``.port``)."""
    server = PgwireServer(client, ssl_context)
    await server._listen(host, port)
    return server
