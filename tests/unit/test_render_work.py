"""Per-update work of a rendered join + aggregate does not grow with the state.

Work is counted, not timed: the rows delivered to every operator in a step (which includes
every arrangement lookup's matches, since they are emitted downstream) plus the merge work
the arrangements report in their ``MergeStats``.
"""

from __future__ import annotations

import random

from pymz.compute.dataflow import Dataflow
from pymz.compute.render import CompiledDataflow
from pymz.expr import optimize, plan
from pymz.repr import Column, ScalarType

T = ScalarType
TABLES = {
    "t": ("u1", [Column("a", T.INT4), Column("b", T.TEXT), Column("c", T.INT4)]),
    "u": ("u2", [Column("a", T.INT4), Column("d", T.INT8)]),
}
SQL = ("select t.a, count(*), sum(u.d), max(t.c) from t join u on t.a = u.a "
       "where t.c > 0 group by t.a")


def merge_work(df: Dataflow) -> int:
    return sum(sp.stats.merge_work for op in df.operators for sp in op.spines())


def counted_step(df: Dataflow) -> int:
    """Step to quiescence like ``Dataflow.run``, counting rows handed to operators."""
    rows = 0
    before = merge_work(df)
    moved = True
    while moved:
        moved = False
        for op in df.operators:
            rows += sum(len(b) for q in op.queues for b in q)
            moved |= op.run()
    return rows + merge_work(df) - before


def per_update_work(n_keys: int, seed: int = 1) -> tuple[int, int]:
    """Load ~4 rows per key per table, then time single-row updates; (max, total) work."""
    p = plan(SQL, lambda parts: TABLES.get(parts[-1]))
    cd = CompiledDataflow(optimize(p.expr), {g: tuple(c) for g, c in TABLES.values()},
                          as_of=1)
    rng = random.Random(seed)
    t_rows = [((rng.randrange(n_keys), "x", rng.randint(1, 9)), 1, 1) for _ in range(4 * n_keys)]
    u_rows = [((rng.randrange(n_keys), rng.randint(1, 9)), 1, 1) for _ in range(4 * n_keys)]
    cd.push("u1", t_rows)
    cd.push("u2", u_rows)
    cd.advance_all(2)
    cd.step()
    works = []
    for i in range(40):
        now = 2 + i
        gid = "u1" if i % 2 else "u2"
        if gid == "u1":
            row, _, _ = t_rows[rng.randrange(len(t_rows))]
            cd.push(gid, [(row, now, -1), ((row[0], "y", rng.randint(1, 9)), now, 1)])
        else:
            urow, _, _ = u_rows[rng.randrange(len(u_rows))]
            cd.push(gid, [(urow, now, -1), ((urow[0], rng.randint(1, 9)), now, 1)])
        cd.advance_all(now + 1)
        works.append(counted_step(cd.df))
        assert cd.snapshot(now)  # the result stays readable
    return max(works), sum(works)


def test_update_work_does_not_grow_with_state() -> None:
    small_max, small_total = per_update_work(250)
    big_max, big_total = per_update_work(4000)  # 16x the state
    # O(log n) merge work allows a little growth; a scan would be ~16x.
    assert big_total <= 2 * small_total + 200, (small_total, big_total)
    assert big_max <= 2 * small_max + 100, (small_max, big_max)
    assert big_max < 1000  # far below the 32000 rows of state
