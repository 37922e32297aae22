"""pytest fixtures for a throwaway real PostgreSQL server (``scripts/test-postgres``).

``postgres_server_url`` (session scope) starts one server per test session and tears it down;
``postgres_url`` gives each test its own fresh database on it. Tests using them are skipped
only when ``PYMZ_SKIP_POSTGRES=1``.

Import the fixtures into a test module with
``from postgres_fixture import postgres_server_url, postgres_url``.
"""

from __future__ import annotations

import os
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest
from tests.integration.script_servers import read_first_line

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "test-postgres"
START_TIMEOUT_S = 300.0  # may include an apt-get install of postgresql on a fresh machine


def skip_postgres() -> bool:
    return os.environ.get("PYMZ_SKIP_POSTGRES") == "1"



@pytest.fixture(scope="session")
def postgres_server_url() -> Iterator[str]:
    if skip_postgres():
        pytest.skip("PYMZ_SKIP_POSTGRES=1")
    proc = subprocess.Popen(
        [str(SCRIPT)], stdout=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True
    )
    try:
        url = read_first_line(proc, START_TIMEOUT_S)
        if not url.startswith("postgresql://"):
            raise RuntimeError(f"scripts/test-postgres did not start (exit {proc.poll()})")
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def with_database(url: str, dbname: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{dbname}"))


@pytest.fixture
def postgres_url(postgres_server_url: str) -> str:
    """A URL to a fresh, empty database on the session's server."""
    name = f"t_{uuid.uuid4().hex}"
    with psycopg.connect(postgres_server_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return with_database(postgres_server_url, name)


@pytest.fixture(params=["sqlite", "postgres"])
def consensus_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Each consensus backend in turn: a fresh SQLite file, then a fresh Postgres database."""
    if request.param == "sqlite":
        return f"sqlite://{tmp_path / 'consensus.db'}"
    url: str = request.getfixturevalue("postgres_url")
    return url
