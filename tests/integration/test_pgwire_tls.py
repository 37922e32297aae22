"""pgwire TLS: SSLRequest upgrades the connection when the server has an SSL context."""

from __future__ import annotations

import shutil
import ssl
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from tests.integration.pgwire_fixture import RunningServer, running_server, wait_until

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl CLI"),
]


@pytest.fixture
def tls_srv(tmp_path: Path) -> Iterator[RunningServer]:
    cert, key = tmp_path / "server.crt", tmp_path / "server.key"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", "/CN=localhost", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True, timeout=60,
    )
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(cert, key)
    with running_server(ctx) as rs:
        yield rs


def test_psycopg_over_tls(tls_srv: RunningServer) -> None:
    with psycopg.connect(tls_srv.dsn(sslmode="require"), autocommit=True) as conn:
        assert conn.pgconn.ssl_in_use
        assert conn.execute("SELECT %s::int8", [12]).fetchone() == (12,)
    # Clients that do not ask for TLS still get plaintext.
    with psycopg.connect(tls_srv.dsn(sslmode="disable"), autocommit=True) as conn:
        assert not conn.pgconn.ssl_in_use
        assert conn.execute("SELECT 1").fetchone() == (1,)


def test_psql_over_tls(tls_srv: RunningServer) -> None:
    r = subprocess.run(
        ["/usr/bin/psql", "-X", "-A", "-t", "-c", "SELECT * FROM series(3)",
         f"host=127.0.0.1 port={tls_srv.port} user=u dbname=d sslmode=require"],
        check=False, capture_output=True, text=True, timeout=60,
    )
    assert r.returncode == 0, r.stderr
    assert r.stdout == "1\n2\n3\n"


def test_tls_cancel(tls_srv: RunningServer) -> None:
    with psycopg.connect(tls_srv.dsn(sslmode="require"), autocommit=True) as conn:
        errors: list[BaseException] = []

        def run() -> None:
            try:
                conn.execute("select sleep")
            except BaseException as e:
                errors.append(e)

        t = threading.Thread(target=run)
        t.start()
        wait_until(tls_srv.client.sleeping.is_set)
        conn.cancel_safe(timeout=30)
        t.join(30)
        assert len(errors) == 1 and isinstance(errors[0], psycopg.errors.QueryCanceled)
