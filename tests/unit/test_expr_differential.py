"""Differential test: planner + reference evaluator (raw and optimised plans) against DuckDB
on random small tables with NULLs and duplicates. Results are compared as multisets, or as
lists when the query's ORDER BY fixes the order completely."""

from __future__ import annotations

import functools
import math
import random
from collections import Counter
from collections.abc import Sequence
from decimal import Decimal

import duckdb
import pytest

from pymz.expr import optimize, plan, run_query
from pymz.expr.relation import PlannedQuery
from pymz.expr.validate import validate
from pymz.repr import Column, ScalarType

T = ScalarType
TABLES = {
    "t": ("u1", [Column("a", T.INT4), Column("b", T.TEXT), Column("c", T.INT4)]),
    "u": ("u2", [Column("a", T.INT4), Column("d", T.INT8)]),
}

# (query, ordered): ordered queries sort on every output column, so the order is fixed.
# Window templates order partitions by every selected column (or use only functions whose
# value does not depend on how ties are broken), so their results are deterministic.
WINDOW_QUERIES: list[tuple[str, bool]] = [
    ("select a, b, c, row_number() over (partition by a order by b nulls first, c nulls "
     "first) from t", False),
    ("select a, c, rank() over (partition by a order by c nulls last), dense_rank() over "
     "(order by c desc nulls first) from t", False),
    ("select a, c, sum(c) over (partition by a order by c nulls last), count(*) over "
     "(partition by a), count(c) over () from t", False),
    ("select a, b, c, lag(c) over (partition by a order by b nulls first, c nulls first), "
     "lead(c, 2, -1) over (partition by a order by b nulls first, c nulls first) from t",
     False),
    ("select a, b, c, first_value(c) over (partition by a order by c nulls last, b nulls "
     "last), last_value(c) over (partition by a order by c nulls last) from t", False),
    ("select a, c, min(c) over (partition by a), max(b) over (order by a nulls first), "
     "avg(c) over (partition by a) from t", False),
    ("select a, sum(c), rank() over (order by sum(c) desc nulls last) from t group by a",
     False),
    ("select * from (select a, b, c, row_number() over (partition by a order by c desc "
     "nulls last, b nulls last) as rn from t) s where rn = 1", False),
    ("select a, c, sum(c) over (partition by a order by c nulls last) * 2 from t "
     "order by a nulls first, c nulls first, 3 nulls first", True),
]

QUERIES: list[tuple[str, bool]] = [*WINDOW_QUERIES,
    ("select a, b from t where a > 1", False),
    ("select t.a, t.b, u.d from t join u on t.a = u.a", False),
    ("select t.a, u.d from t left join u on t.a = u.a", False),
    ("select t.a, u.d from t right join u on t.a = u.a", False),
    ("select t.a, u.a, u.d from t full join u on t.a = u.a", False),
    ("select t.a, u.d from t left join u on t.a = u.a and u.d > 1", False),
    ("select t.c, u.d from t full join u on t.a = u.a and t.c < u.d", False),
    ("select a, count(*), count(c), sum(c), min(b), max(c) from t group by a", False),
    ("select count(*), sum(c), avg(c), min(c), max(b) from t", False),
    ("select count(distinct a), sum(distinct c) from t", False),
    ("select distinct a, b from t", False),
    ("select a from t union select a from u", False),
    ("select a from t union all select a from u", False),
    ("select a from t except select a from u", False),
    ("select a from t except all select a from u", False),
    ("select a from t intersect select a from u", False),
    ("select a from t intersect all select a from u", False),
    ("select a, (select max(d) from u where u.a = t.a) from t", False),
    ("select a from t where exists (select 1 from u where u.a = t.a and u.d > t.c)", False),
    ("select a from t where not exists (select * from u where u.a = t.a)", False),
    ("select a, c from t where a in (select a from u)", False),
    ("select a, c from t where a not in (select a from u)", False),
    ("select a, c from t where c > all (select d from u where u.a = t.a)", False),
    ("select a, c from t where c < any (select d from u where u.a = t.a)", False),
    ("select a, (select count(*) from u where u.a = t.a) from t", False),
    ("select a, b, c from t order by c desc nulls first, a asc nulls last, b nulls first "
     "limit 3", True),
    ("select a, b, c from t order by c nulls last, a nulls first, b nulls first offset 1",
     True),
    ("select * from (select a, c from t order by c nulls last, a nulls last limit 2) s",
     False),
    ("select a, sum(c) from t group by a having count(*) > 1", False),
    ("select b, count(*) from t where c is not null group by b order by b nulls first",
     True),
    ("with x as (select a, c from t where c > 0) select x.a, u.d from x join u on x.a = u.a",
     False),
    ("select a + c, a * 2, c - a, coalesce(a, c), nullif(a, c), "
     "case when a > c then 'x' else 'y' end from t", False),
    ("select lower(b), upper(b), length(b), b || 'z', b like 'a%' from t", False),
    ("select a, (select max(u.d) from u where u.a = t.a and "
     "u.d > (select min(t2.c) from t t2 where t2.a = u.a)) from t", False),
    ("select t.a, x.m from t, (select a, max(d) as m from u group by a) x where t.a = x.a",
     False),
    ("select a, count(*) from (select a from t union all select a from u) s group by a",
     False),
    ("select * from t cross join u where t.c = u.d", False),
    ("select a, c from t where c = (select max(d) from u)", False),
    ("select a from t where a in (1, 2, null)", False),
    ("select a from t where a not in (1, 2)", False),
    ("select bool_and(c > 1), bool_or(c > 1) from t", False),
    ("select a, c % 3 from t where c is not null", False),
    ("select a, c from t where c > (select avg(d) from u where u.a = t.a)", False),
    ("select a, b from t where b in (select b from t t2 where t2.c > t.c)", False),
    ("select a, (select count(*) from u where u.d > t.c) as n from t where b <> 'a'", False),
    ("select t.a, count(u.d) from t left join u on t.a = u.a group by t.a", False),
    ("select a, c between 1 and 3, c is distinct from a from t", False),
    ("select x.a, x.s from (select a, sum(c) as s from t group by a) x "
     "where x.s > (select count(*) from u where u.a = x.a)", False),
    ("select a, b from t t1 where c = (select max(c) from t t2 where t2.b = t1.b)", False),
    ("select a, max(c) - min(c) from t group by a order by a nulls first", True),
    ("select distinct on_a from (select a as on_a from t where c > 0) s", False),
    ("select a from t except select d from u where d > 1", False),
    ("select x, y from (values (1, 'a'), (2, null), (1, 'a')) v(x, y)", False),
    ("select a, (select d from u where u.a = t.a order by d desc nulls last limit 1) "
     "from t", False),
    ("select t.a, u.d from t left join u using (a)", False),
    ("select a, b, d from t join u using (a)", False),
    ("select a, count(*) filter (where c > 1), sum(c) filter (where b = 'a') from t "
     "group by a", False),
    ("select count(*) filter (where c is null) from t", False),
    ("select a, (select sum(u.d + t.c) from u) from t", False),
    ("select a, (select max(d) from u where u.a = t.a) + (select min(d) from u "
     "where u.a = t.c) from t", False),
    ("select a from t where c > (select count(*) from u) and exists (select 1 from u "
     "where u.d = t.c)", False),
    ("select a, c from t order by (select count(*) from u where u.a = t.a) desc, a nulls "
     "first, c nulls first", True),
    ("select distinct (select count(*) from u where u.a = t.a) from t", False),
    ("select a, exists (select 1 from u where u.a = t.a) from t", False),
    ("select (select (select max(c) from t t2 where t2.a = u.a) from u where u.d = t.c "
     "order by 1 nulls last limit 1) from t", False),
    ("select * from (select a, count(*) as n from t group by a) x "
     "where n = (select max(n) from (select a, count(*) as n from t group by a) y)", False),
    ("select distinct on (a) a, c from t order by a nulls first, c desc nulls last", True),
    ("select distinct on (b) b, a from t order by b nulls last, a nulls last, c nulls last",
     True),
    ("select t.a, s.m from t, lateral (select max(d) as m from u where u.a = t.a) s", False),
    ("select t.a, s.d from t cross join lateral (select d from u where u.d > t.c) s", False),
    ("select t.a, s.d from t, lateral (select d from u where u.a = t.a "
     "order by d nulls last limit 1) s", False),
    ("select * from t join u using (a)", False),
    ("select a, t.c, u.d from t full join u using (a)", False),
    ("select t.a, g from t, generate_series(1, t.c) g", False),
    ("with x as (select a from t where c > 1) select * from x union all select * from x",
     False),
    ("(select a from t union select a from u) except (select a from u where d > 2)", False),
    ("select a from t union all select d from u order by 1 nulls first limit 4", True),
    ("select a, count(*) from t group by a having count(*) > "
     "(select count(*) from u where u.a = t.a)", False),
    ("select a, (select count(*) from u where u.a = t.a) from t group by a", False),
    ("select a, c from t where c + 1 in (select d from u)", False),
    ("select a, (select max(d) from u) from t", False),
    ("select a from t where exists (select 1 from u where d > 2)", False),
    ("select a, (select count(*) from t t2 left join u on t2.a = u.a where t2.c = t.c) "
     "from t", False),
    ("select a from t where a in (select a from u union select c from t t2 "
     "where t2.b = t.b)", False),
    ("select a, (select count(distinct d) from u where u.a <> t.a) from t", False),
    ("select b, sum(c) from t group by b order by 2 desc nulls last, 1 nulls first", True),
    ("select a, c from t where not (c > 1 or a < 2)", False),
    ("select a, c from t where (c > 1) is not true", False),
    ("select coalesce(max(c), -1) from t where a > 5", False),
    ("select a, count(*) filter_free from t group by 1", False),
    ("select upper(b) as ub, count(*) from t group by ub", False),
    ("select a * 10 + c from t group by a * 10 + c", False),
    ("select t1.a, t2.a from t t1 join t t2 on t1.c < t2.c and t1.b = t2.b", False),
    ("select a, c from t where c >= all (select c from t t2 where t2.c is not null)", False),
    ("select * from t where a = any (select a from u where u.d >= t.c)", False),
    ("select * from u where not exists (select 1 from t where t.a = u.a) "
     "or u.d in (select c from t)", False),
]


def _rows(rng: random.Random, n: int, gens: Sequence[object]) -> list[tuple[object, ...]]:
    return [tuple(g(rng) for g in gens) for _ in range(n)]  # type: ignore[operator]


def _maybe(rng: random.Random, choices: Sequence[object]) -> object:
    return None if rng.random() < 0.2 else rng.choice(choices)


def _data(seed: int) -> dict[str, list[tuple[object, ...]]]:
    rng = random.Random(seed)
    t = _rows(rng, rng.randint(0, 6), [
        lambda g: _maybe(g, [1, 2, 3]),
        lambda g: _maybe(g, ["a", "b", "ab"]),
        lambda g: _maybe(g, [0, 1, 2, 3, 4]),
    ])
    u = _rows(rng, rng.randint(0, 5), [
        lambda g: _maybe(g, [1, 2, 4]),
        lambda g: _maybe(g, [0, 1, 2, 3]),
    ])
    return {"u1": t, "u2": u}


def _norm(v: object) -> object:
    if isinstance(v, bool) or v is None or isinstance(v, str):
        return v
    if isinstance(v, int | float | Decimal):
        f = float(v)
        return round(f, 6) if not math.isnan(f) else "nan"
    return v


def _norm_rows(rows: Sequence[Sequence[object]]) -> list[tuple[object, ...]]:
    return [tuple(_norm(v) for v in row) for row in rows]


@functools.cache
def _duck_db(seed: int) -> duckdb.DuckDBPyConnection:
    data = _data(seed)
    con = duckdb.connect()
    con.execute("create table t (a integer, b varchar, c integer)")
    con.execute("create table u (a integer, d bigint)")
    if data["u1"]:
        con.executemany("insert into t values (?, ?, ?)", data["u1"])
    if data["u2"]:
        con.executemany("insert into u values (?, ?)", data["u2"])
    return con


def _duck(sql: str, seed: int) -> list[tuple[object, ...]]:
    return _duck_db(seed).execute(sql).fetchall()


def _catalog(parts: tuple[str, ...]) -> tuple[str, list[Column]] | None:
    return TABLES.get(parts[-1])


def _ours(p: PlannedQuery, data: dict[str, list[tuple[object, ...]]]) -> list[tuple[object, ...]]:
    return run_query(p, data)


@pytest.mark.parametrize(("sql", "ordered"), QUERIES, ids=[q[:60] for q, _ in QUERIES])
def test_matches_duckdb(sql: str, ordered: bool) -> None:
    p = plan(sql, _catalog)
    opt = PlannedQuery(optimize(p.expr), p.finishing, p.names)
    validate(p.expr)
    validate(opt.expr)
    assert [c.type for c in opt.columns] == [c.type for c in p.columns]
    for seed in range(60):
        data = _data(seed)
        expected = _norm_rows(_duck(sql, seed))
        for which, q in (("raw", p), ("optimized", opt)):
            got = _norm_rows(_ours(q, data))
            if ordered:
                assert got == expected, (which, seed, data)
            else:
                assert Counter(got) == Counter(expected), (which, seed, data)
