"""Differential tests: maintained outputs equal from-scratch recomputation at every time."""

from __future__ import annotations

import functools
from collections import Counter
from typing import Any

import numpy as np
import pytest
from tests.unit.test_dataflow_harness import Bag, drive

from pymz.compute.dataflow import (
    Agg,
    Arrange,
    Dataflow,
    Distinct,
    Filter,
    Input,
    Join,
    Map,
    Negate,
    Order,
    Output,
    Project,
    Reduce,
    Threshold,
    TopK,
    Union,
    column,
    spine,
)
from pymz.compute.dataflow.batch import Col
from pymz.compute.dataflow.delta_join import DeltaJoin, Lookup

SEEDS = range(6)


@pytest.fixture(autouse=True, params=["merged", "small"])
def spine_path(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test twice: arrangements through LSM runs and merges, and as one small run."""
    if request.param == "merged":
        monkeypatch.setattr(spine, "SMALL_SPINE", 0)
KEYS = [0, 1, 2, 3, None]
SMALL = [1, 2, 3]


def join_bags(a: Bag, b: Bag, ka: int, kb: int) -> Bag:
    out: Bag = Counter()
    for ra, ma in a.items():
        for rb, mb in b.items():
            if ra[ka] is not None and ra[ka] == rb[kb]:
                out[ra + rb] += ma * mb
    return out


def not_null(col: int) -> Any:
    def pred(cols: tuple[Col, ...]) -> Any:
        return np.array([v is not None for v in cols[col].tolist()], dtype=np.bool_)
    return pred


@pytest.mark.parametrize("seed", SEEDS)
def test_filter_project(seed: int) -> None:
    def build(df: Dataflow, i: dict[str, Input]) -> dict[str, Output]:
        f = Filter(i["r"], lambda c: np.array(
            [x is not None and x > 1 for x in c[0].tolist()], dtype=np.bool_))
        m = Map(f, lambda c: (c[1], column(x * 2 for x in c[0].tolist())), 2)
        return {"o": Output(m), "p": Output(Project(i["r"], [1]))}

    def oracle_o(s: dict[str, Bag]) -> Bag:
        out: Bag = Counter()
        for (a, b), m in s["r"].items():
            if a is not None and a > 1:
                out[(b, a * 2)] += m
        return out

    def oracle_p(s: dict[str, Bag]) -> Bag:
        out: Bag = Counter()
        for (_, b), m in s["r"].items():
            out[(b,)] += m
        return out

    drive(seed, {"r": [KEYS, ["x", "y", None]]}, build, {"o": oracle_o, "p": oracle_p})


@pytest.mark.parametrize("seed", SEEDS)
def test_two_and_three_way_join(seed: int) -> None:
    def build(df: Dataflow, i: dict[str, Input]) -> dict[str, Output]:
        r = Arrange(Filter(i["r"], not_null(0)), (0,))
        s = Arrange(Filter(i["s"], not_null(0)), (0,))
        rs = Join(r, s)  # (k, x, k, y)
        t = Arrange(i["t"], (0,))
        rst = Join(Arrange(Filter(rs, not_null(3)), (3,)), t)  # (k, x, k, y, y, z)
        return {"rs": Output(rs), "rst": Output(rst)}

    def rs(s: dict[str, Bag]) -> Bag:
        return join_bags(s["r"], s["s"], 0, 0)

    def rst(s: dict[str, Bag]) -> Bag:
        return join_bags(rs(s), s["t"], 3, 0)

    drive(seed, {"r": [KEYS, SMALL], "s": [KEYS, [1, 2, None]], "t": [[1, 2, None], SMALL]},
          build, {"rs": rs, "rst": rst})


@pytest.mark.parametrize("seed", SEEDS)
def test_self_join_shared_arrangement(seed: int) -> None:
    def build(df: Dataflow, i: dict[str, Input]) -> dict[str, Output]:
        r = Arrange(Filter(i["r"], not_null(0)), (0,))
        return {"rr": Output(Join(r, r)), "rr2": Output(Join(r, r))}

    def rr(s: dict[str, Bag]) -> Bag:
        return join_bags(s["r"], s["r"], 0, 0)

    drive(seed, {"r": [KEYS, SMALL]}, build, {"rr": rr, "rr2": rr})


@pytest.mark.parametrize("seed", SEEDS)
def test_left_outer_join_via_antijoin(seed: int) -> None:
    def build(df: Dataflow, i: dict[str, Input]) -> dict[str, Output]:
        r_nn = Filter(i["r"], not_null(0))
        s_nn = Filter(i["s"], not_null(0))
        matched = Join(Arrange(r_nn, (0,)), Arrange(s_nn, (0,)))  # (k, x, k, y)
        s_keys = Distinct(Project(s_nn, [0]))
        semi = Project(Join(Arrange(r_nn, (0,)), Arrange(s_keys, (0,))), [0, 1])
        anti = Threshold(Union(i["r"], Negate(semi)))
        padded = Map(anti, lambda c: (c[0], c[1], column([None] * len(c[0])),
                                      column([None] * len(c[0]))), 4)
        return {"lj": Output(Union(matched, padded))}

    def lj(s: dict[str, Bag]) -> Bag:
        out = join_bags(s["r"], s["s"], 0, 0)
        keys = {r[0] for r, m in s["s"].items() if m > 0 and r[0] is not None}
        for r, m in s["r"].items():
            if r[0] is None or r[0] not in keys:
                out[(*r, None, None)] += m
        return out

    drive(seed, {"r": [KEYS, SMALL], "s": [KEYS, ["a", "b"]]}, build, {"lj": lj})


@pytest.mark.parametrize("seed", SEEDS)
def test_group_by_aggregates(seed: int) -> None:
    def build(df: Dataflow, i: dict[str, Input]) -> dict[str, Output]:
        aggs = [Agg("count"), Agg("count", 1), Agg("sum", 1), Agg("min", 1), Agg("max", 1)]
        red = Reduce(i["r"], (0,), aggs)
        glob = Reduce(i["r"], (), [Agg("count"), Agg("sum", 1)])
        # count(DISTINCT v) per g: distinct (g, v) then count non-null v.
        cd = Reduce(Distinct(i["r"]), (0,), [Agg("count", 1)])
        return {"g": Output(red), "all": Output(glob), "cd": Output(cd)}

    def groups(s: dict[str, Bag]) -> dict[Any, list[tuple[Any, int]]]:
        gs: dict[Any, list[tuple[Any, int]]] = {}
        for (g, v), m in s["r"].items():
            gs.setdefault(g, []).append((v, m))
        return gs

    def g(s: dict[str, Bag]) -> Bag:
        out: Bag = Counter()
        for k, vs in groups(s).items():
            nn = [(v, m) for v, m in vs if v is not None]
            out[(k, sum(m for _, m in vs), sum(m for _, m in nn),
                 sum(v * m for v, m in nn) if nn else None,
                 min(v for v, _ in nn) if nn else None,
                 max(v for v, _ in nn) if nn else None)] += 1
        return out

    def all_(s: dict[str, Bag]) -> Bag:
        n = sum(s["r"].values())
        if not n:
            return Counter()
        nn = [(v, m) for (_, v), m in s["r"].items() if v is not None]
        return Counter({(n, sum(v * m for v, m in nn) if nn else None): 1})

    def cd(s: dict[str, Bag]) -> Bag:
        return Counter({(k, len({v for v, _ in vs if v is not None})): 1
                        for k, vs in groups(s).items()})

    drive(seed, {"r": [KEYS, [-5, 1, 2, 10, None]]}, build, {"g": g, "all": all_, "cd": cd})


@pytest.mark.parametrize("seed", SEEDS)
def test_distinct_union_except_all(seed: int) -> None:
    def build(df: Dataflow, i: dict[str, Input]) -> dict[str, Output]:
        return {
            "d": Output(Distinct(i["r"])),
            "u": Output(Union(i["r"], i["s"])),
            "e": Output(Threshold(Union(i["r"], Negate(i["s"])))),
            "x": Output(Distinct(Threshold(Union(i["r"], Negate(i["s"]))))),
        }

    def e(s: dict[str, Bag]) -> Bag:
        return Counter({r: m - s["s"].get(r, 0) for r, m in s["r"].items()
                        if m > s["s"].get(r, 0)})

    drive(seed, {"r": [SMALL, [None, "a"]], "s": [SMALL, [None, "a"]]}, build, {
        "d": lambda s: Counter({r: 1 for r, m in s["r"].items() if m > 0}),
        "u": lambda s: s["r"] + s["s"],
        "e": e,
        "x": lambda s: Counter({r: 1 for r in e(s)}),
    })


def _pg_cmp(orders: list[Order]) -> Any:
    def cmp(a: tuple[Any, ...], b: tuple[Any, ...]) -> int:
        for o in orders:
            x, y = a[o.col], b[o.col]
            if x == y:
                continue
            nulls_last = o.nulls_last if o.nulls_last is not None else not o.desc
            if x is None:
                return 1 if nulls_last else -1
            if y is None:
                return -1 if nulls_last else 1
            c = -1 if x < y else 1
            return -c if o.desc else c
        return 0
    return functools.cmp_to_key(cmp)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize(("limit", "offset"), [(2, 0), (2, 1), (None, 1)])
def test_top_k_per_group(seed: int, limit: int | None, offset: int) -> None:
    orders = [Order(1, desc=True), Order(2)]

    def build(df: Dataflow, i: dict[str, Input]) -> dict[str, Output]:
        return {"k": Output(TopK(i["r"], (0,), orders, limit, offset))}

    def k(s: dict[str, Bag]) -> Bag:
        out: Bag = Counter()
        gs: dict[Any, list[tuple[Any, ...]]] = {}
        for r, m in s["r"].items():
            gs.setdefault(r[0], []).extend([r] * m)
        for rows in gs.values():
            rows.sort(key=_pg_cmp(orders))
            end = None if limit is None else offset + limit
            out.update(rows[offset:end])
        return out

    drive(seed, {"r": [SMALL, [1, 2, None], [1, 2]]}, build, {"k": k})


@pytest.mark.parametrize("seed", SEEDS)
def test_compaction_keeps_results_identical(seed: int) -> None:
    def build(df: Dataflow, i: dict[str, Input]) -> dict[str, Output]:
        j = Join(Arrange(Filter(i["r"], not_null(0)), (0,)),
                 Arrange(Filter(i["s"], not_null(0)), (0,)))
        return {"j": Output(j), "agg": Output(Reduce(j, (3,), [Agg("sum", 1)]))}

    oracles = {
        "j": lambda s: join_bags(s["r"], s["s"], 0, 0),
        "agg": lambda s: Counter({
            (y, sum(r[1] * m for r, m in join_bags(s["r"], s["s"], 0, 0).items() if r[3] == y)): 1
            for y in {r[3] for r, m in join_bags(s["r"], s["s"], 0, 0).items() if m}}),
    }
    domains: dict[str, Any] = {"r": [KEYS, SMALL], "s": [KEYS, SMALL]}

    def spines_compacted(df: Dataflow) -> None:
        for op in df.operators:
            if isinstance(op, Arrange | Output):
                assert op.spine.since >= 0

    plain = drive(seed, domains, build, oracles, rounds=30)
    compacted = drive(seed, domains, build, oracles, rounds=30, compact=True,
                      check=spines_compacted)
    assert plain == compacted


@pytest.mark.parametrize("seed", SEEDS)
def test_three_way_delta_join_without_intermediate_state(seed: int) -> None:
    """R(k, x) ⋈ S(k, y) ⋈ T(y, z): global columns R 0-1, S 2-3, T 4-5."""

    def build(df: Dataflow, i: dict[str, Input]) -> dict[str, Output]:
        r, s, t = (Filter(i[n], not_null(0)) for n in "rst")
        r_k, s_k, s_y, t_y = Arrange(r, (0,)), Arrange(s, (0,)), Arrange(s, (1,)), Arrange(t, (0,))
        dj = DeltaJoin([r_k, s_k, t_y], [
            [Lookup(1, s_k, (0,)), Lookup(2, t_y, (3,))],
            [Lookup(0, r_k, (2,)), Lookup(2, t_y, (3,))],
            [Lookup(1, s_y, (4,)), Lookup(0, r_k, (2,))],
        ])
        return {"rst": Output(dj)}

    def rst(s: dict[str, Bag]) -> Bag:
        return join_bags(join_bags(s["r"], s["s"], 0, 0), s["t"], 3, 0)

    drive(seed, {"r": [KEYS, SMALL], "s": [KEYS, [1, 2, None]], "t": [[1, 2, None], SMALL]},
          build, {"rst": rst})


@pytest.mark.parametrize("seed", SEEDS)
def test_triangle_delta_join_with_two_column_keys(seed: int) -> None:
    """R(a, b) ⋈ S(b, c) ⋈ T(a, c) on R.b = S.b, R.a = T.a, S.c = T.c."""

    def build(df: Dataflow, i: dict[str, Input]) -> dict[str, Output]:
        r_a, r_b, r_ab = Arrange(i["r"], (0,)), Arrange(i["r"], (1,)), Arrange(i["r"], (0, 1))
        s_b, s_c = Arrange(i["s"], (0,)), Arrange(i["s"], (1,))
        t_ac = Arrange(i["t"], (0, 1))
        dj = DeltaJoin([r_a, s_b, t_ac], [
            [Lookup(1, s_b, (1,)), Lookup(2, t_ac, (0, 3))],
            [Lookup(0, r_b, (2,)), Lookup(2, t_ac, (0, 3))],
            [Lookup(1, s_c, (5,)), Lookup(0, r_ab, (4, 2))],
        ])
        return {"tri": Output(dj)}

    def tri(s: dict[str, Bag]) -> Bag:
        out: Bag = Counter()
        for ra, ma in s["r"].items():
            for sb, mb in s["s"].items():
                for tc, mc in s["t"].items():
                    if ra[1] == sb[0] and ra[0] == tc[0] and sb[1] == tc[1]:
                        out[ra + sb + tc] += ma * mb * mc
        return out

    drive(seed, {"r": [SMALL, SMALL], "s": [SMALL, SMALL], "t": [SMALL, SMALL]}, build,
          {"tri": tri}, max_changes=6)


@pytest.mark.parametrize("seed", SEEDS)
def test_min_max_under_churn_in_one_large_group(seed: int) -> None:
    def build(df: Dataflow, i: dict[str, Input]) -> dict[str, Output]:
        return {"m": Output(Reduce(i["r"], (0,), [Agg("min", 1), Agg("max", 1)]))}

    def m(s: dict[str, Bag]) -> Bag:
        vals = [r[1] for r, c in s["r"].items() if c > 0]
        return Counter({(1, min(vals), max(vals)): 1}) if vals else Counter()

    drive(seed, {"r": [[1], list(range(60))]}, build, {"m": m}, rounds=40, max_changes=25)


def test_delta_join_skips_paths_reading_inputs_that_delivered_nothing(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """At hydration every input's first delta arrives at once: only the path that reads no
    still-empty "old" input runs (the others would produce rows that cancel)."""
    calls: list[int] = []
    real = DeltaJoin._path

    def counting(self: DeltaJoin, i: int, d: Any, deltas: Any) -> Any:
        calls.append(i)
        return real(self, i, d, deltas)

    monkeypatch.setattr(DeltaJoin, "_path", counting)
    df = Dataflow()
    r, s = Input(df, 2), Input(df, 2)
    r_k, s_k = Arrange(r, (0,)), Arrange(s, (0,))
    out = Output(DeltaJoin([r_k, s_k], [[Lookup(1, s_k, (0,))], [Lookup(0, r_k, (2,))]]))
    r.send_rows([(k, "r") for k in range(5)], 0, 1)
    s.send_rows([(k, "s") for k in range(3, 8)], 0, 1)
    for inp in (r, s):
        inp.advance_to(1)
    df.run()
    assert calls == [1]  # path 0 would read S without its delta: empty
    assert sorted(out.rows(0)) == [((3, "r", 3, "s"), 1), ((4, "r", 4, "s"), 1)]
    r.send_rows([(7, "r2")], 1, 1)
    s.send_rows([(4, "s"), (9, "s")], 1, 1)
    for inp in (r, s):
        inp.advance_to(2)
    df.run()
    assert calls == [1, 0, 1]  # both inputs delivered before: both paths run
    assert sorted(out.rows(1)) == [((3, "r", 3, "s"), 1), ((4, "r", 4, "s"), 2),
                                   ((7, "r2", 7, "s"), 1)]
