"""pymz's SQL engine against a real PostgreSQL (Debian's package): the query corpora in
``corpus/*.sql`` run on both, through pymz's reference evaluator and its dataflow renderer,
and every outcome (column names, types, rows as text, or the error's SQLSTATE) must match.
See :mod:`tests.integration.pg_compare` for the fixture table and what is normalised."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from tests.integration.pg_compare import create_fx, postgres_outcome, pymz_outcomes
from tests.integration.postgres_fixture import postgres_server_url, postgres_url

__all__ = ["postgres_server_url", "postgres_url"]

CORPUS = Path(__file__).parent / "corpus"


def _cases() -> list[Any]:
    out = []
    for f in sorted(CORPUS.glob("*.sql")):
        for n, line in enumerate(f.read_text().splitlines(), 1):
            sql = line.strip()
            if sql and not sql.startswith("--"):
                out.append(pytest.param(sql, id=f"{f.stem}:{n}"))
    return out


@pytest.fixture(scope="module")
def pg(postgres_server_url: str) -> Iterator[psycopg.Connection[Any]]:
    with psycopg.connect(postgres_server_url, autocommit=True) as conn:
        create_fx(conn)
        yield conn


@pytest.mark.parametrize("sql", _cases())
def test_query_matches_postgres(pg: psycopg.Connection[Any], sql: str) -> None:
    expected = postgres_outcome(pg, sql)
    reference, dataflow = pymz_outcomes(sql)
    problems = [f"{what} vs postgres: {d}" for what, d in
                (("evaluator", reference.diff(expected)), ("dataflow", dataflow.diff(expected)))
                if d]
    assert not problems, "\n".join(problems)
