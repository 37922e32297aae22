"""COPY TO STDOUT / FROM STDIN through pgwire with psql and psycopg."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from decimal import Decimal

import psycopg
import pytest
from tests.integration.pgwire_fixture import COPY_ROWS, RunningServer, running_server

pytestmark = pytest.mark.integration


@pytest.fixture
def srv() -> Iterator[RunningServer]:
    with running_server() as rs:
        yield rs


def psql(srv: RunningServer, sql: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["/usr/bin/psql", "-X", "-A", "-t", "-h", "127.0.0.1", "-p", str(srv.port), "-U", "u",
         "-d", "d", "-c", sql],
        input=stdin, check=False, capture_output=True, text=True, timeout=60,
    )


@pytest.mark.parametrize(
    ("sql", "expected"),
    [
        ("COPY t TO STDOUT", "1\tx\\ty\t1.5\n\\N\tq\"uote,\t\\N\n3\t\t0\n"),
        ("COPY t TO STDOUT (FORMAT csv, HEADER)",
         'a,b,c\n1,x\ty,1.5\n,"q""uote,",\n3,"",0\n'),
        ("COPY t TO STDOUT (DELIMITER '|', NULL 'nil')", "1|x\\ty|1.5\nnil|q\"uote,|nil\n3||0\n"),
    ],
)
def test_psql_copy_out(srv: RunningServer, sql: str, expected: str) -> None:
    r = psql(srv, sql)
    assert r.returncode == 0, r.stderr
    assert r.stdout == expected


def test_psql_copy_in(srv: RunningServer) -> None:
    r = psql(srv, "COPY t FROM STDIN", "5\thel\\tlo\t2.50\n\\N\t\\N\t\\N\n\\.\n")
    assert r.returncode == 0, r.stderr
    assert r.stdout == "COPY 2\n"
    assert srv.client.copied == [(5, "hel\tlo", Decimal("2.50")), (None, None, None)]


def test_psql_copy_in_csv_with_header(srv: RunningServer) -> None:
    data = 'a,b,c\n1,"multi\nline ""q""",3\n2,,\n3,"",1e2\n'
    r = psql(srv, "COPY t FROM STDIN (FORMAT csv, HEADER)", data)
    assert r.returncode == 0, r.stderr
    assert srv.client.copied == [(1, 'multi\nline "q"', Decimal("3")), (2, None, None),
                                 (3, "", Decimal("1E+2"))]


@pytest.mark.parametrize(
    ("data", "sqlstate_text"),
    [("x\ty\t1\n", "invalid input syntax for type integer"),
     ("1\tonly two\n", 'missing data for column "c"'),
     ("1\t2\t3\t4\n", "extra data after last expected column")],
)
def test_psql_copy_in_bad_data(srv: RunningServer, data: str, sqlstate_text: str) -> None:
    r = psql(srv, "COPY t FROM STDIN", data)
    assert r.returncode == 1
    assert sqlstate_text in r.stderr
    assert srv.client.copied == []
    assert len(srv.client.copy_aborts) == 1
    # The server is still serving.
    assert psql(srv, "SELECT 1").stdout == "1\n"


@pytest.mark.parametrize("fmt", ["text", "binary"])  # psycopg parses rows in these two
def test_psycopg_copy_round_trip(srv: RunningServer, fmt: str) -> None:
    with psycopg.connect(srv.dsn(), autocommit=True) as conn:
        cur = conn.cursor()
        with cur.copy(f"COPY t TO STDOUT (FORMAT {fmt})") as copy:
            copy.set_types(["int4", "text", "numeric"])
            rows = list(copy.rows())
        assert rows == COPY_ROWS
        with cur.copy(f"COPY t FROM STDIN (FORMAT {fmt})") as copy:
            copy.set_types(["int4", "text", "numeric"])
            for row in rows:
                copy.write_row(row)
        assert cur.rowcount == 3
    assert srv.client.copied == COPY_ROWS


def test_psycopg_copy_fail(srv: RunningServer) -> None:
    with psycopg.connect(srv.dsn(), autocommit=True) as conn:
        cur = conn.cursor()
        with pytest.raises(ZeroDivisionError), cur.copy("COPY t FROM STDIN") as copy:
            copy.write_row((1, "a", 2))
            raise ZeroDivisionError
        assert conn.execute("SELECT 7").fetchone() == (7,)
    assert srv.client.copied == []
    assert len(srv.client.copy_aborts) == 1


def test_psycopg_copy_csv_raw(srv: RunningServer) -> None:
    with psycopg.connect(srv.dsn(), autocommit=True) as conn:
        cur = conn.cursor()
        with cur.copy("COPY t TO STDOUT (FORMAT csv)") as copy:
            data = b"".join(bytes(chunk) for chunk in copy)
        assert data == b'1,x\ty,1.5\n,"q""uote,",\n3,"",0\n'
        with cur.copy("COPY t FROM STDIN (FORMAT csv)") as copy:
            # Split mid-record to check reassembly across CopyData messages.
            copy.write(data[:7])
            copy.write(data[7:])
    assert srv.client.copied == COPY_ROWS
