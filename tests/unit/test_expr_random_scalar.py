"""Random scalar expressions (three-valued logic, NULL propagation, CASE, COALESCE, IN
lists, BETWEEN, arithmetic) in WHERE and SELECT, checked against DuckDB."""

from __future__ import annotations

import random
from collections import Counter

import duckdb
import pytest

from pymz.expr import optimize, plan, run_query
from pymz.expr.relation import PlannedQuery
from pymz.repr import Column, ScalarType

T = ScalarType
TABLE = ("u1", [Column("a", T.INT4), Column("b", T.TEXT), Column("c", T.INT4)])


def _int_expr(rng: random.Random, depth: int) -> str:
    if depth <= 0 or rng.random() < 0.3:
        return rng.choice(["a", "c", str(rng.randint(-3, 3)), "null::integer"])
    kind = rng.randrange(6)
    x, y = _int_expr(rng, depth - 1), _int_expr(rng, depth - 1)
    if kind == 0:
        return f"({x} {rng.choice(['+', '-', '*'])} {y})"
    if kind == 1:
        return f"({x} % {rng.choice([2, 3, -2])})"
    if kind == 2:
        return f"coalesce({x}, {y})"
    if kind == 3:
        return f"nullif({x}, {y})"
    if kind == 4:
        return f"case when {_bool_expr(rng, depth - 1)} then {x} else {y} end"
    return f"abs({x})"


def _bool_expr(rng: random.Random, depth: int) -> str:
    if depth <= 0 or rng.random() < 0.2:
        return rng.choice(["true", "false", "null::boolean", "b = 'x'", "b is null"])
    kind = rng.randrange(8)
    x, y = _int_expr(rng, depth - 1), _int_expr(rng, depth - 1)
    if kind == 0:
        return f"({x} {rng.choice(['=', '<>', '<', '<=', '>', '>='])} {y})"
    if kind == 1:
        return f"({_bool_expr(rng, depth - 1)} and {_bool_expr(rng, depth - 1)})"
    if kind == 2:
        return f"({_bool_expr(rng, depth - 1)} or {_bool_expr(rng, depth - 1)})"
    if kind == 3:
        return f"(not {_bool_expr(rng, depth - 1)})"
    if kind == 4:
        return f"({x} is {rng.choice(['', 'not '])}null)"
    if kind == 5:
        items = ", ".join(rng.choice(["1", "2", "null", "a"]) for _ in range(rng.randint(1, 3)))
        return f"({x} {rng.choice(['', 'not '])}in ({items}))"
    if kind == 6:
        return f"({x} between {y} and {_int_expr(rng, 0)})"
    return f"({x} is {rng.choice(['', 'not '])}distinct from {y})"


ROWS = [(1, "x", 2), (None, "y", 0), (2, None, None), (-1, "x", 3), (3, "z", -2),
        (None, None, 1), (0, "x", None)]


@pytest.fixture(scope="module")
def duck() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute("create table t (a integer, b varchar, c integer)")
    con.executemany("insert into t values (?, ?, ?)", ROWS)
    return con


@pytest.mark.parametrize("seed", range(40))
def test_random_expressions_match_duckdb(seed: int, duck: duckdb.DuckDBPyConnection) -> None:
    rng = random.Random(seed)
    for _ in range(5):
        sql = (f"select {_int_expr(rng, 3)}, {_bool_expr(rng, 3)} from t "
               f"where {_bool_expr(rng, 3)}")
        q = plan(sql, lambda parts: TABLE if parts[-1] == "t" else None)
        expected = Counter(duck.execute(sql).fetchall())
        for p in (q, PlannedQuery(optimize(q.expr), q.finishing, q.names)):
            assert Counter(run_query(p, {"u1": ROWS})) == expected, sql
