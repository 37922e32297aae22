"""pgwire driven by the real psql binary."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.integration.pgwire_fixture import TYPED_ROW, RunningServer, running_server, wait_until

pytestmark = pytest.mark.integration

PSQL = "/usr/bin/psql"


@pytest.fixture
def srv() -> Iterator[RunningServer]:
    with running_server() as rs:
        yield rs


def psql(srv: RunningServer, *args: str, user: str = "alice") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [PSQL, "-X", "-A", "-t", "-h", "127.0.0.1", "-p", str(srv.port), "-U", user,
         "-d", "materialize", *args],
        check=False, capture_output=True, text=True, timeout=60,
        env={"PGCONNECT_TIMEOUT": "10", "PGAPPNAME": "psql-test"},
    )


def test_select_literals(srv: RunningServer) -> None:
    r = psql(srv, "-c", "SELECT 1, 'a b' AS x, NULL, true")
    assert r.returncode == 0, r.stderr
    assert r.stdout == "1|a b||t\n"


def test_all_types_print_like_postgres(srv: RunningServer) -> None:
    r = psql(srv, "-c", "SELECT * FROM typed")
    assert r.returncode == 0, r.stderr
    assert r.stdout == "|".join(text for _, _, text in TYPED_ROW) + "\n"


def test_error_fields_and_exit_code(srv: RunningServer) -> None:
    r = psql(srv, "-v", "VERBOSITY=verbose", "-c", "select error")
    assert r.returncode == 1
    assert 'ERROR:  42703: column "nope" does not exist' in r.stderr
    assert "DETAIL:  some detail" in r.stderr
    assert "HINT:  some hint" in r.stderr


def test_syntax_error_reports_position(srv: RunningServer) -> None:
    r = psql(srv, "-c", "frobnicate")
    assert r.returncode == 1
    assert 'syntax error at or near "frobnicate"' in r.stderr
    assert "LINE 1: frobnicate" in r.stderr  # psql shows the caret only given a position


def test_empty_query(srv: RunningServer) -> None:
    r = psql(srv, "-c", "")
    assert r.returncode == 0, r.stderr
    assert r.stdout == ""


def test_multi_statement_file_on_error_stop(srv: RunningServer, tmp_path: Path) -> None:
    script = tmp_path / "s.sql"
    script.write_text(
        "\\set ON_ERROR_STOP 1\n"
        "SELECT 1;\n"
        "SELECT 'two';\n"
        "BEGIN;\n"
        "select error;\n"
        "SELECT 3;\n"
    )
    r = psql(srv, "-f", str(script))
    assert r.returncode == 3
    assert r.stdout == "1\ntwo\nBEGIN\n"
    assert "SELECT 3" not in srv.client.executed[-1:]


def test_multi_statement_file_continue(srv: RunningServer, tmp_path: Path) -> None:
    script = tmp_path / "s.sql"
    script.write_text("SELECT 1;\nselect error;\nSELECT 2;\nSET cluster = 'c1';\nSHOW cluster;\n")
    r = psql(srv, "-f", str(script))
    assert r.returncode == 0
    assert r.stdout == "1\n2\nSET\nc1\n"


def test_unknown_role_is_fatal(srv: RunningServer) -> None:
    r = psql(srv, "-c", "SELECT 1", user="nobody")
    assert r.returncode == 2
    assert 'FATAL:  role "nobody" does not exist' in r.stderr


def test_options_and_application_name_reach_adapter(srv: RunningServer) -> None:
    r = subprocess.run(
        [PSQL, "-X", "-A", "-t", "-c", "SELECT 1",
         f"host=127.0.0.1 port={srv.port} user=bob dbname=db1 "
         "options='-c cluster=quickstart --search_path=a\\\\ b' application_name=app1"],
        check=False, capture_output=True, text=True, timeout=60,
    )
    assert r.returncode == 0, r.stderr
    req = srv.client.sessions[-1].request
    assert (req.user, req.database, req.application_name) == ("bob", "db1", "app1")
    assert req.options["cluster"] == "quickstart"
    assert req.options["search_path"] == "a b"


def test_sessions_terminated_after_exit(srv: RunningServer) -> None:
    for _ in range(3):
        assert psql(srv, "-c", "SELECT 1").returncode == 0
    wait_until(lambda: srv.client.terminated == 3)
    assert srv.server.stats.connections_total == 3
