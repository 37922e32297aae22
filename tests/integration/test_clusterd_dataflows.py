"""Incremental dataflows in clusterd: a real ComputeController, real clusterd processes, real
persist (file blob + sqlite consensus in a temp dir). Results are compared with a plain Python
recomputation of the query over the table's contents at every time."""

from __future__ import annotations

import asyncio
import itertools
import random
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from tests.integration.test_clusterd_harness import Clusterd, eventually

from pymz.compute_client.controller import ComputeController
from pymz.compute_client.dataflow import (
    BuildDesc,
    DataflowDescription,
    IndexExport,
    PersistSinkExport,
    SourceImport,
    SubscribeBatch,
    SubscribeSinkExport,
)
from pymz.compute_client.errors_shard import ERROR_COLUMNS, errors_shard_id
from pymz.errors import PymzError
from pymz.expr import optimize, plan
from pymz.expr.relation import RelationExpr
from pymz.persist import PersistClient, Update
from pymz.proto.client import BackoffConfig
from pymz.repr.types import Column, ScalarType

pytestmark = pytest.mark.integration

FAST = BackoffConfig(initial_s=0.05, maximum_s=0.5, connect_timeout_s=10, handshake_timeout_s=10)
WAIT = 60.0
T_COLS = (Column("k", ScalarType.INT8), Column("v", ScalarType.INT8))
TABLE = "s-t"
MV = "s-mv"
SUM_SQL = "SELECT k, sum(v) AS total FROM t GROUP BY k"

Row = tuple[Any, ...]


def _plan(sql: str) -> RelationExpr:
    expr: RelationExpr = optimize(plan(sql, lambda _parts: ("u1", T_COLS)).expr)
    return expr


@dataclass
class Env:
    tmp: Path
    client: PersistClient
    blob_url: str
    consensus_url: str
    procs: list[Clusterd] = field(default_factory=list)
    # Every update written to the table, for recomputation.
    table: list[Update] = field(default_factory=list)
    rng: random.Random = field(default_factory=lambda: random.Random(7))

    def clusterd(self) -> Clusterd:
        c = Clusterd(
            self.tmp / f"clusterd-{len(self.procs)}.log",
            extra_args=[
                f"--persist-blob-url={self.blob_url}",
                f"--persist-consensus-url={self.consensus_url}",
            ],
        )
        self.procs.append(c)
        c.start()
        return c

    def append(self, updates: list[Update], t: int) -> None:
        """Append ``updates`` at time ``t`` and move the table's upper to ``t + 1``."""
        w = self.client.open_writer(TABLE, T_COLS)
        try:
            cur = w.fetch_upper()
            assert cur is not None and cur <= t
            assert w.compare_and_append([(r, t, d) for r, _, d in updates], cur, t + 1) is None
        finally:
            w.expire()
        self.table.extend((r, t, d) for r, _, d in updates)

    def random_round(self, t: int) -> None:
        """Inserts, and deletes of rows present at ``t - 1``."""
        present = self.contents(t - 1)
        ups: list[Update] = []
        for _ in range(self.rng.randint(1, 4)):
            ups.append(((self.rng.randint(0, 4), self.rng.randint(-20, 20)), t, 1))
        for row in self.rng.sample(sorted(present), min(len(present), self.rng.randint(0, 2))):
            ups.append((row, t, -1))
        self.append(ups, t)

    def contents(self, t: int) -> Counter[Row]:
        c: Counter[Row] = Counter()
        for r, time, d in self.table:
            if time <= t:
                c[r] += d
        return +c

    def sums(self, t: int) -> Counter[Row]:
        totals: dict[int, int] = {}
        for (k, v), n in self.contents(t).items():
            totals[k] = totals.get(k, 0) + v * n
        return Counter({(k, Decimal(s)): 1 for k, s in totals.items()})

    def mv_at(self, t: int, cols: tuple[Column, ...]) -> Counter[Row]:
        snap = self.client.snapshot(MV, cols, t)
        return Counter({r: d for r, _, d in snap})


@pytest.fixture
def env(tmp_path: Path) -> Iterator[Env]:
    blob_url = f"file://{tmp_path}/blob"
    consensus_url = f"sqlite:///{tmp_path}/consensus.db"
    e = Env(tmp_path, PersistClient.from_urls(blob_url, consensus_url), blob_url, consensus_url)
    e.append([((1, 10), 1, 1), ((2, 5), 1, 1), ((1, 3), 1, 1)], 1)
    yield e
    for c in e.procs:
        c.stop()


@pytest.fixture
async def compute() -> AsyncIterator[ComputeController]:
    c = ComputeController(backoff=FAST)
    yield c
    await c.close()


async def _replica(compute: ComputeController, replica: str, procs: list[Clusterd]) -> None:
    compute.create_instance("c1")
    await compute.add_replica("c1", replica, [p.compute_addr for p in procs])
    await eventually(lambda: all(compute.connection_status(replica)), what=f"{replica} up")


def _mv_dataflow(as_of: int = 1, *, index: bool = True, subscribe: bool = True) -> tuple[
    DataflowDescription, tuple[Column, ...]
]:
    expr = _plan(SUM_SQL)
    cols = tuple(expr.schema)
    desc = DataflowDescription(
        debug_name="mv_sums",
        source_imports=(SourceImport("u1", TABLE, T_COLS),),
        objects_to_build=(BuildDesc("u2", expr),),
        index_exports=(IndexExport("u3", "u2", (0,)),) if index else (),
        sink_exports=(PersistSinkExport("u4", "u2", MV, cols),)
        + ((SubscribeSinkExport("u5", "u2", None),) if subscribe else ()),
        as_of=as_of,
    )
    return desc, cols


async def _check_mv(env: Env, compute: ComputeController, cols: tuple[Column, ...],
                    times: range) -> None:
    await compute.wait_for_frontier("c1", "u4", times[-1], WAIT)
    for t in times:
        assert env.mv_at(t, cols) == env.sums(t), f"materialized view at {t}"


async def test_materialized_view_index_and_subscribe(env: Env, compute: ComputeController) -> None:
    await _replica(compute, "r1", [env.clusterd()])
    desc, cols = _mv_dataflow()
    compute.create_dataflow("c1", desc)
    batches: list[SubscribeBatch] = []

    async def collect() -> None:
        async for b in compute.subscribe("c1", "u5"):
            batches.append(b)

    collector = asyncio.create_task(collect())
    await _check_mv(env, compute, cols, range(1, 2))
    for t in range(2, 12):
        env.random_round(t)
        await _check_mv(env, compute, cols, range(1, t + 1))
        rows = await compute.peek_index("c1", "u3", t, timeout_s=WAIT)
        assert Counter(rows) == env.sums(t), f"index at {t}"
    # Earlier times stay readable from the index (no compaction allowed yet).
    assert Counter(await compute.peek_index("c1", "u3", 3, timeout_s=WAIT)) == env.sums(3)

    await eventually(lambda: batches and batches[-1].upper is not None and batches[-1].upper > 11,
                     what="subscribe caught up")
    # Contiguous, in time order, and accumulating to the recomputed result at every time.
    assert batches[0].lower == 1
    for a, b in itertools.pairwise(batches):
        assert a.upper == b.lower
    acc: Counter[Row] = Counter()
    by_time: dict[int, list[Update]] = {}
    for b in batches:
        assert all(b.lower <= t and (b.upper is None or t < b.upper) for _, t, _ in b.updates)
        for u in b.updates:
            by_time.setdefault(u[1], []).append(u)
    for t in range(1, 12):
        for r, _, d in by_time.get(t, []):
            acc[r] += d
        assert +acc == env.sums(t), f"subscribe at {t}"

    # Dropping every export ends the subscribe and tears the dataflow down.
    for e in ("u3", "u4", "u5"):
        compute.allow_compaction("c1", e, None)
    await asyncio.wait_for(collector, WAIT)
    proc = env.procs[0]
    await eventually(lambda: not proc.introspect()["compute"]["running"], what="dataflow gone")
    assert compute.write_frontier("c1", "u4") == ()
    # The sink released its writer and its source its read hold: nothing writes the view.
    await eventually(lambda: not env.client.shard_state(MV).writers, what="sink writer gone")
    await eventually(lambda: not env.client.shard_state(TABLE).readers, what="read hold gone")
    upper = env.client.upper(MV)
    env.random_round(12)
    assert env.client.upper(MV) == upper


async def test_two_replicas_share_the_sink_without_duplicates(
    env: Env, compute: ComputeController
) -> None:
    await _replica(compute, "r1", [env.clusterd()])
    await _replica(compute, "r2", [env.clusterd()])
    desc, cols = _mv_dataflow(subscribe=False)
    compute.create_dataflow("c1", desc)
    for t in range(2, 10):
        env.random_round(t)
        await _check_mv(env, compute, cols, range(1, t + 1))
    def caught_up(rid: str) -> bool:
        return (compute.write_frontiers(rid).get("u4") or (0,))[0] >= 10

    await eventually(lambda: caught_up("r1") and caught_up("r2"), what="both caught up")
    stats = [p.introspect()["compute"]["running"]["u3,u4"]["sinks"]["u4"] for p in env.procs]
    # Each range was appended by exactly one replica; both saw progress.
    assert all(s["error"] is None for s in stats)
    assert sum(s["appended"] for s in stats) >= 1
    # The shard's batches tile [0, upper) exactly once.
    state = env.client.shard_state(MV)
    spans = sorted((b.lower, b.upper) for b in state.batches)
    for (_, hi), (lo, _) in itertools.pairwise(spans):
        assert hi == lo
    assert all(env.mv_at(t, cols) == env.sums(t) for t in range(1, 10))


async def test_kill9_restart_replays_and_continues(env: Env, compute: ComputeController) -> None:
    proc = env.clusterd()
    await _replica(compute, "r1", [proc])
    desc, cols = _mv_dataflow(subscribe=False)
    compute.create_dataflow("c1", desc)
    for t in range(2, 6):
        env.random_round(t)
    await _check_mv(env, compute, cols, range(1, 6))
    # Allow compaction up to the sink's upper: the replayed dataflow starts there (its as_of
    # is advanced), so it must continue the shard rather than rewrite it.
    upper = env.client.upper(MV)
    assert upper is not None
    compute.allow_compaction("c1", "u3", upper)
    compute.allow_compaction("c1", "u4", upper)
    replayed = [c.create_dataflow for c in compute.history("c1") if c.HasField("create_dataflow")]
    assert list(replayed[0].as_of.times) == [upper]

    proc.kill9()
    for t in range(6, 9):
        env.random_round(t)
    proc.restart()
    await eventually(lambda: all(compute.connection_status("r1")), what="reconnected")
    for t in range(9, 12):
        env.random_round(t)
    await _check_mv(env, compute, cols, range(1, 12))
    assert Counter(await compute.peek_index("c1", "u3", 11, timeout_s=WAIT)) == env.sums(11)


async def test_errors_reach_index_peeks_and_subscribes(
    env: Env, compute: ComputeController
) -> None:
    await _replica(compute, "r1", [env.clusterd()])
    expr = _plan("SELECT k, 100 / v AS q FROM t")
    desc = DataflowDescription(
        debug_name="div",
        source_imports=(SourceImport("u1", TABLE, T_COLS),),
        objects_to_build=(BuildDesc("u2", expr),),
        index_exports=(IndexExport("u3", "u2", (0,)),),
        sink_exports=(SubscribeSinkExport("u5", "u2", None),),
        as_of=1,
    )
    compute.create_dataflow("c1", desc)
    assert sorted(await compute.peek_index("c1", "u3", 1, timeout_s=WAIT)) == [(1, 10), (1, 33),
                                                                                 (2, 20)]
    env.append([((3, 0), 2, 1)], 2)
    with pytest.raises(PymzError) as err:
        await compute.peek_index("c1", "u3", 2, timeout_s=WAIT)
    assert err.value.sqlstate == "22012"
    with pytest.raises(PymzError) as err:
        async for _ in compute.subscribe("c1", "u5"):
            pass
    assert err.value.sqlstate == "22012"
    # Deleting the row retracts the error.
    env.append([((3, 0), 3, -1)], 3)
    assert len(await compute.peek_index("c1", "u3", 3, timeout_s=WAIT)) == 3


async def test_materialized_view_errors_go_to_its_errors_shard(
    env: Env, compute: ComputeController
) -> None:
    proc = env.clusterd()
    await _replica(compute, "r1", [proc])
    expr = _plan("SELECT k, 100 / v AS q FROM t")
    cols = tuple(expr.schema)
    desc = DataflowDescription(
        debug_name="div_mv",
        source_imports=(SourceImport("u1", TABLE, T_COLS),),
        objects_to_build=(BuildDesc("u2", expr),),
        index_exports=(),
        sink_exports=(PersistSinkExport("u4", "u2", MV, cols),),
        as_of=1,
    )
    compute.create_dataflow("c1", desc)
    await compute.wait_for_frontier("c1", "u4", 1, WAIT)
    env.append([((3, 0), 2, 1)], 2)

    def sink() -> dict[str, Any]:
        s: dict[str, Any] = proc.introspect()["compute"]["running"]["u4"]["sinks"]["u4"]
        return s

    def errors_at(t: int) -> Counter[tuple[Any, ...]]:
        return Counter({row: d for row, _t, d in env.client.snapshot(
            errors_shard_id(MV), ERROR_COLUMNS, t)})

    # The sink does not stall: the rows that did not fail go to the data shard, the error
    # to the errors shard, at the time it appeared.
    await compute.wait_for_frontier("c1", "u4", 2, WAIT)
    assert sink()["error"].startswith("22012")
    assert errors_at(1) == Counter()
    assert errors_at(2) == Counter({("22012", "division by zero"): 1})
    env.append([((3, 0), 3, -1), ((4, 50), 3, 1)], 3)
    await compute.wait_for_frontier("c1", "u4", 3, WAIT)
    assert errors_at(3) == Counter()
    assert sink()["error"] is None
    assert env.mv_at(3, cols) == Counter({(1, 10): 1, (1, 33): 1, (2, 20): 1, (4, 2): 1})
    assert env.mv_at(2, cols) == Counter({(1, 10): 1, (1, 33): 1, (2, 20): 1})
