"""Malformed input of any shape yields a parse or a positioned SqlSyntaxError, nothing else."""

from __future__ import annotations

import random

from pymz.errors import SqlSyntaxError
from pymz.sql import parse

_CORPUS = [
    "CREATE CLUSTER c (SIZE = '1', REPLICATION FACTOR = 2, AVAILABILITY ZONES = ('a', 'b'))",
    "CREATE CLUSTER c REPLICAS (r1 (SIZE = '1', AVAILABILITY ZONE = 'z'), r2 (SIZE '2'))",
    "CREATE CLUSTER c (SCHEDULE = ON REFRESH (HYDRATION TIME ESTIMATE = '1h'))",
    "CREATE CLUSTER REPLICA c.r (SIZE = 'x', INTROSPECTION INTERVAL = INTERVAL '1s')",
    "ALTER CLUSTER IF EXISTS c SET (SIZE = '2', DISK = true)",
    "ALTER CLUSTER c RESET (SIZE, REPLICATION FACTOR)",
    "ALTER CLUSTER REPLICA c.r RENAME TO s",
    "DROP CLUSTER REPLICA IF EXISTS c.r1, c.r2 CASCADE",
    "SHOW CLUSTER REPLICAS WHERE cluster = 'c'",
    "SHOW MATERIALIZED VIEWS FROM s IN CLUSTER c LIKE 'x%'",
    'SET LOCAL search_path TO public, "X"',
    "SET TRANSACTION ISOLATION LEVEL STRICT SERIALIZABLE, READ ONLY",
    "BEGIN ISOLATION LEVEL SERIALIZABLE READ WRITE",
    "COMMIT AND NO CHAIN",
    "CREATE ROLE r WITH LOGIN PASSWORD 'x'",
    "CREATE SCHEMA IF NOT EXISTS d.s",
    "DEALLOCATE PREPARE s",
    "SELECT $1, 'a;b', $$x$$ FROM t",
]


def _check(text: str) -> None:
    try:
        parse(text)
    except SqlSyntaxError as e:
        assert e.position is not None
        assert 1 <= e.position <= len(text) + 1, (text, e.position)
        assert e.message


def test_every_prefix_of_valid_statements() -> None:
    for stmt in _CORPUS:
        for i in range(len(stmt) + 1):
            _check(stmt[:i])


def test_token_deletions_and_swaps() -> None:
    rng = random.Random(7)
    for stmt in _CORPUS:
        words = stmt.split(" ")
        for _ in range(40):
            w = list(words)
            j = rng.randrange(len(w))
            if rng.random() < 0.5:
                del w[j]
            else:
                k = rng.randrange(len(w))
                w[j], w[k] = w[k], w[j]
            _check(" ".join(w))


def test_random_character_soup() -> None:
    rng = random.Random(11)
    alphabet = [
        *"abcXYZ019_$'\"-/*;()[],.:=<>!+eE \n\\\u00e9",
        "CREATE ",
        "CLUSTER ",
        "SHOW ",
        "SET ",
        "SIZE ",
        "E'",
        "$$",
        "/*",
        "--",
    ]
    for _ in range(2000):
        _check("".join(rng.choice(alphabet) for _ in range(rng.randint(0, 30))))
