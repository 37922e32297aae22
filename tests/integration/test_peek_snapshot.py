"""Snapshot-query peeks: a real ComputeController, real clusterd processes, real persist."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import pytest
from tests.integration.test_clusterd_harness import Clusterd, eventually, free_port

from pymz.compute_client.controller import ComputeController
from pymz.compute_client.peek_plan import ShardImport, SnapshotQueryPlan
from pymz.errors import PymzError, QueryCanceled
from pymz.persist import PersistClient, Update
from pymz.proto.client import BackoffConfig
from pymz.repr.types import Column, ScalarType
from pymz.sqlexec import RelationSnapshot

pytestmark = pytest.mark.integration

FAST = BackoffConfig(initial_s=0.05, maximum_s=0.5, connect_timeout_s=10, handshake_timeout_s=10)
PEEK_TIMEOUT = 60.0

ORDERS = (
    Column("id", ScalarType.INT8),
    Column("customer", ScalarType.INT8),
    Column("amount", ScalarType.NUMERIC),
)
CUSTOMERS = (Column("id", ScalarType.INT8), Column("name", ScalarType.TEXT))
NUMBERS = (Column("x", ScalarType.INT8),)

ORDERS_IMPORT = ShardImport("public", "orders", "s-orders", ORDERS)
CUSTOMERS_IMPORT = ShardImport("public", "customers", "s-customers", CUSTOMERS)
NUMBERS_IMPORT = ShardImport("public", "numbers", "s-numbers", NUMBERS)

# The join/aggregate every topology must answer the same way.
JOIN_SQL = (
    "SELECT c.name, count(*) AS n, sum(o.amount) AS total "
    "FROM orders o JOIN customers c ON o.customer = c.id "
    "GROUP BY c.name ORDER BY c.name"
)
JOIN_COLUMNS = (
    Column("name", ScalarType.TEXT),
    Column("n", ScalarType.INT8),
    Column("total", ScalarType.NUMERIC),
)


@dataclass
class Env:
    tmp: Path
    client: PersistClient
    blob_url: str
    consensus_url: str
    procs: list[Clusterd] = field(default_factory=list)

    def clusterd(
        self,
        *,
        persist: bool = True,
        process: int = 0,
        peers: tuple[str, ...] = (),
        timely_port: int | None = None,
    ) -> Clusterd:
        args = (
            [f"--persist-blob-url={self.blob_url}", f"--persist-consensus-url={self.consensus_url}"]
            if persist
            else []
        )
        c = Clusterd(
            self.tmp / f"clusterd-{len(self.procs)}.log",
            process=process,
            timely_peers=peers,
            extra_args=args,
        )
        if timely_port is not None:
            c.timely_port = timely_port
        self.procs.append(c)
        c.start()
        return c

    def write(self, imp: ShardImport, updates: list[Update], upper: int) -> None:
        """Append ``updates`` (times below ``upper``) one time at a time, then move the
        upper to ``upper``."""
        w = self.client.open_writer(imp.shard_id, imp.columns)
        try:
            for t in sorted({u[1] for u in updates}):
                cur = w.fetch_upper()
                assert cur is not None and cur <= t
                assert w.compare_and_append([u for u in updates if u[1] == t], cur, t + 1) is None
            cur = w.fetch_upper()
            assert cur is not None
            if cur < upper:
                assert w.compare_and_append([], cur, upper) is None
        finally:
            w.expire()


@pytest.fixture
def env(tmp_path: Path) -> Iterator[Env]:
    blob_url = f"file://{tmp_path}/blob"
    consensus_url = f"sqlite:///{tmp_path}/consensus.db"
    e = Env(tmp_path, PersistClient.from_urls(blob_url, consensus_url), blob_url, consensus_url)
    e.write(CUSTOMERS_IMPORT, [((1, "alice"), 1, 1), ((2, "bob"), 1, 1), ((3, "carol"), 2, 1)], 10)
    e.write(
        ORDERS_IMPORT,
        [
            ((1, 1, Decimal("10.50")), 1, 1),
            ((2, 2, Decimal("3.25")), 2, 1),
            # Two identical rows written as one update of multiplicity 2.
            ((3, 1, Decimal("1.00")), 3, 2),
            ((4, 3, Decimal("7")), 4, 1),
            ((5, 2, Decimal("100")), 5, 1),
            ((5, 2, Decimal("100")), 6, -1),  # deleted again
        ],
        10,
    )
    yield e
    for c in e.procs:
        c.stop()


@pytest.fixture
async def compute() -> AsyncIterator[ComputeController]:
    c = ComputeController(backoff=FAST)
    yield c
    await c.close()


def plan(sql: str, *, columns: tuple[Column, ...] = (), **kw: object) -> SnapshotQueryPlan:
    imports = kw.pop("imports", (ORDERS_IMPORT, CUSTOMERS_IMPORT))
    return SnapshotQueryPlan(
        sql=sql,
        search_path=("public",),
        imports=imports,  # type: ignore[arg-type]
        result_columns=columns,
        **kw,  # type: ignore[arg-type]
    )


async def _replica(
    compute: ComputeController, replica: str, procs: list[Clusterd], instance: str = "u1"
) -> None:
    compute.create_instance(instance)
    await compute.add_replica(instance, replica, [p.compute_addr for p in procs])
    await eventually(
        lambda: compute.connection_status(replica) == [True] * len(procs),
        what=f"{replica} connected",
    )


async def test_join_aggregate_order_by_and_as_of(env: Env, compute: ComputeController) -> None:
    await _replica(compute, "r1", [env.clusterd()])
    rows = await compute.peek_snapshot(
        "u1", plan(JOIN_SQL, columns=JOIN_COLUMNS), 9, timeout_s=PEEK_TIMEOUT
    )
    assert rows == [
        ("alice", 3, Decimal("12.50")),
        ("bob", 1, Decimal("3.25")),
        ("carol", 1, Decimal("7")),
    ]
    # As of 2, later orders (and carol's, written at 2... her order at 4) are not visible.
    rows = await compute.peek_snapshot(
        "u1", plan(JOIN_SQL, columns=JOIN_COLUMNS), 2, timeout_s=PEEK_TIMEOUT
    )
    assert rows == [("alice", 1, Decimal("10.50")), ("bob", 1, Decimal("3.25"))]
    # As of 5 the order deleted at 6 is still there.
    rows = await compute.peek_snapshot(
        "u1",
        plan(
            "SELECT id, amount FROM orders WHERE amount > $1 ORDER BY id DESC",
            params=(Decimal("5"),),
            param_oids=(1700,),
        ),
        5,
        timeout_s=PEEK_TIMEOUT,
    )
    assert rows == [(5, Decimal("100")), (4, Decimal("7")), (1, Decimal("10.50"))]
    # Duplicate rows come back as duplicates, in the query's order.
    rows = await compute.peek_snapshot(
        "u1", plan("SELECT id FROM orders ORDER BY id"), 9, timeout_s=PEEK_TIMEOUT
    )
    assert rows == [(1,), (2,), (3,), (3,), (4,)]


async def test_mixed_query_with_inline_relation(env: Env, compute: ComputeController) -> None:
    await _replica(compute, "r1", [env.clusterd()])
    clusters = RelationSnapshot(
        "mz_catalog",
        "mz_clusters",
        (Column("id", ScalarType.TEXT), Column("name", ScalarType.TEXT)),
        [("u1", "quickstart"), ("u2", "other")],
    )
    sql = (
        "SELECT k.name AS cluster, c.name FROM customers c "
        "JOIN mz_catalog.mz_clusters k ON k.id = 'u' || c.id::text ORDER BY 1"
    )
    rows = await compute.peek_snapshot(
        "u1",
        plan(sql, imports=(CUSTOMERS_IMPORT,), inline_relations=(clusters,)),
        9,
        timeout_s=PEEK_TIMEOUT,
    )
    assert rows == [("other", "bob"), ("quickstart", "alice")]


async def test_errors_carry_sqlstate(env: Env, compute: ComputeController) -> None:
    await _replica(compute, "r1", [env.clusterd()])
    with pytest.raises(PymzError) as info:
        await compute.peek_snapshot(
            "u1", plan("SELECT id / (customer - customer) FROM orders"), 9, timeout_s=PEEK_TIMEOUT
        )
    assert info.value.sqlstate == "22012"
    assert "division by zero" in info.value.message

    missing = ShardImport("public", "ghost", "s-ghost", NUMBERS)
    with pytest.raises(PymzError) as info:
        await compute.peek_snapshot(
            "u1", plan("SELECT * FROM ghost", imports=(missing,)), 9, timeout_s=PEEK_TIMEOUT
        )
    assert info.value.sqlstate == "XX000"
    assert "s-ghost" in info.value.message and "does not exist" in info.value.message

    with pytest.raises(PymzError) as info:
        await compute.peek_snapshot(
            "u1", plan("SELECT nope FROM orders"), 9, timeout_s=PEEK_TIMEOUT
        )
    assert info.value.sqlstate == "42703"

    # Compact orders up to 5: a read at 3 is no longer valid; a read at 5 still is.
    hold = env.client.open_reader(ORDERS_IMPORT.shard_id, ORDERS)
    hold.downgrade_since(5)
    assert env.client.since(ORDERS_IMPORT.shard_id) == 5
    with pytest.raises(PymzError) as info:
        await compute.peek_snapshot("u1", plan("SELECT * FROM orders"), 3, timeout_s=PEEK_TIMEOUT)
    assert info.value.sqlstate == "XX000"
    assert info.value.message == "Timestamp (3) is not valid for all inputs"
    assert info.value.detail is not None and "readable from 5" in info.value.detail
    rows = await compute.peek_snapshot(
        "u1", plan("SELECT count(*) FROM orders"), 5, timeout_s=PEEK_TIMEOUT
    )
    assert rows == [(6,)]
    hold.expire()
    # Nothing was left pending on the replica.
    assert env.procs[0].introspect()["compute"]["pending_peeks"] == []


async def test_clusterd_without_persist_answers_clearly(
    env: Env, compute: ComputeController
) -> None:
    await _replica(compute, "r1", [env.clusterd(persist=False)])
    with pytest.raises(PymzError) as info:
        await compute.peek_snapshot("u1", plan("SELECT * FROM orders"), 9, timeout_s=PEEK_TIMEOUT)
    assert "--persist-blob-url" in info.value.message
    # Inline-only queries need no persist.
    rel = RelationSnapshot("mz_catalog", "one", (Column("x", ScalarType.INT4),), [(1,)])
    rows = await compute.peek_snapshot(
        "u1",
        plan("SELECT x + 1 FROM mz_catalog.one", imports=(), inline_relations=(rel,)),
        9,
        timeout_s=PEEK_TIMEOUT,
    )
    assert rows == [(2,)]


async def _slow_query_setup(
    env: Env, compute: ComputeController
) -> tuple[Clusterd, SnapshotQueryPlan]:
    env.write(NUMBERS_IMPORT, [((i,), 1, 1) for i in range(2000)], 10)
    c = env.clusterd()
    await _replica(compute, "r1", [c])
    # 2000^4 combinations DuckDB cannot prune with statistics: runs for hours unless
    # interrupted.
    slow = plan(
        "SELECT count(*) FROM numbers a, numbers b, numbers c, numbers d "
        "WHERE (a.x * 7 + b.x * 13 + c.x * 17 + d.x) % 1000003 = 5",
        imports=(NUMBERS_IMPORT,),
    )
    return c, slow


async def test_cancel_slow_query(env: Env, compute: ComputeController) -> None:
    c, slow = await _slow_query_setup(env, compute)

    # 1. Cancelling the awaiting task cancels the peek on the replica.
    task = asyncio.create_task(compute.peek_snapshot("u1", slow, 9))
    await eventually(
        lambda: c.introspect()["compute"]["pending_peeks"], what="the replica runs the peek"
    )
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert compute.pending_peeks() == []
    await eventually(
        lambda: c.introspect()["compute"]["pending_peeks"] == [], what="replica canceled it"
    )
    assert "cancel_peek" in c.introspect()["compute"]["received"]

    # 2. An explicit cancel raises QueryCanceled (57014) in the waiter.
    task = asyncio.create_task(compute.peek_snapshot("u1", slow, 9, uuid="p-explicit"))
    await eventually(
        lambda: c.introspect()["compute"]["pending_peeks"] == ["p-explicit"] or task.done(),
        what="running",
    )
    assert not task.done(), task
    assert await compute.peek_snapshot_cancel("p-explicit")
    with pytest.raises(QueryCanceled) as info:
        await task
    assert info.value.sqlstate == "57014"
    assert not await compute.peek_snapshot_cancel("p-explicit")

    # 3. The replica is still responsive: the interrupted queries gave their threads back.
    rows = await compute.peek_snapshot(
        "u1",
        plan("SELECT count(*) FROM numbers", imports=(NUMBERS_IMPORT,)),
        9,
        timeout_s=PEEK_TIMEOUT,
    )
    assert rows == [(2000,)]


async def test_timeout(env: Env, compute: ComputeController) -> None:
    c, slow = await _slow_query_setup(env, compute)
    with pytest.raises(TimeoutError):
        await compute.peek_snapshot("u1", slow, 9, timeout_s=1.0)
    assert compute.pending_peeks() == []
    await eventually(
        lambda: c.introspect()["compute"]["pending_peeks"] == [], what="replica canceled it"
    )


async def test_two_process_replica_combines_answers(env: Env, compute: ComputeController) -> None:
    t0, t1 = free_port(), free_port()
    peers = (f"127.0.0.1:{t0}", f"127.0.0.1:{t1}")
    p0 = env.clusterd(process=0, peers=peers, timely_port=t0)
    p1 = env.clusterd(process=1, peers=peers, timely_port=t1)
    await _replica(compute, "r1", [p0, p1])
    rows = await compute.peek_snapshot(
        "u1", plan(JOIN_SQL, columns=JOIN_COLUMNS), 9, timeout_s=PEEK_TIMEOUT
    )
    assert rows == [
        ("alice", 3, Decimal("12.50")),
        ("bob", 1, Decimal("3.25")),
        ("carol", 1, Decimal("7")),
    ]
    assert "peek" in p1.introspect()["compute"]["received"]
    # Errors from the computing process still come through.
    with pytest.raises(PymzError) as info:
        await compute.peek_snapshot(
            "u1", plan("SELECT 1 / (id - id) FROM orders"), 9, timeout_s=PEEK_TIMEOUT
        )
    assert info.value.sqlstate == "22012"


async def test_process_answers_wait_for_the_whole_replica(
    env: Env, compute: ComputeController
) -> None:
    """Process 1 answers at once (empty); the peek is only answered once process 0 — which
    waits for the shard's upper — answers too."""
    t0, t1 = free_port(), free_port()
    peers = (f"127.0.0.1:{t0}", f"127.0.0.1:{t1}")
    p0 = env.clusterd(process=0, peers=peers, timely_port=t0)
    p1 = env.clusterd(process=1, peers=peers, timely_port=t1)
    await _replica(compute, "r1", [p0, p1])
    task = asyncio.create_task(
        compute.peek_snapshot(
            "u1",
            plan("SELECT id FROM orders ORDER BY id", imports=(ORDERS_IMPORT,)),
            20,
            timeout_s=PEEK_TIMEOUT,
        )
    )
    await eventually(lambda: p0.introspect()["compute"]["pending_peeks"], what="p0 waits")
    await eventually(lambda: "peek" in p1.introspect()["compute"]["received"], what="p1 got it")
    assert not task.done()
    env.write(ORDERS_IMPORT, [((6, 1, Decimal("1")), 15, 1)], 30)
    assert await task == [(1,), (2,), (3,), (3,), (4,), (6,)]


async def test_two_replicas_first_wins(env: Env, compute: ComputeController) -> None:
    a, b = env.clusterd(), env.clusterd()
    await _replica(compute, "r1", [a])
    await _replica(compute, "r2", [b])
    rows = await compute.peek_snapshot(
        "u1", plan(JOIN_SQL, columns=JOIN_COLUMNS), 9, timeout_s=PEEK_TIMEOUT
    )
    assert [r[0] for r in rows] == ["alice", "bob", "carol"]
    # Both replicas got the peek and, once it was answered, a CancelPeek.
    for c in (a, b):
        await eventually(
            lambda c=c: "cancel_peek" in c.introspect()["compute"]["received"],  # type: ignore[misc]
            what="cancel_peek",
        )
        assert c.introspect()["compute"]["received"].count("peek") == 1
        assert c.introspect()["compute"]["pending_peeks"] == []
    assert all(cmd.WhichOneof("kind") != "peek" for cmd in compute.history("u1"))


async def test_replica_killed_mid_peek_other_answers(env: Env, compute: ComputeController) -> None:
    a, b = env.clusterd(), env.clusterd()
    await _replica(compute, "r1", [a])
    await _replica(compute, "r2", [b])
    # At 20 the shards are not complete yet (upper 10): both replicas wait.
    task = asyncio.create_task(
        compute.peek_snapshot("u1", plan("SELECT count(*) FROM orders"), 20, timeout_s=PEEK_TIMEOUT)
    )
    for c in (a, b):
        await eventually(
            lambda c=c: c.introspect()["compute"]["pending_peeks"],  # type: ignore[misc]
            what="replica waits for the upper",
        )
    a.kill9()
    await eventually(lambda: compute.connection_status("r1") == [False], what="r1 down")
    assert not task.done()
    env.write(ORDERS_IMPORT, [((6, 1, Decimal("1")), 15, 1)], 30)
    env.write(CUSTOMERS_IMPORT, [], 30)
    assert await task == [(6,)]
    with contextlib.suppress(Exception):
        a.stop()


async def test_repeated_peeks_see_new_writes_and_take_no_read_holds(
    env: Env, compute: ComputeController
) -> None:
    # Cached rows and loaded engine tables must never hide a write, and hold-free reads must
    # leave no reader registered on the shards.
    await _replica(compute, "r1", [env.clusterd()])
    count = plan("SELECT count(*) FROM customers", imports=(CUSTOMERS_IMPORT,))
    for _ in range(3):
        rows = await compute.peek_snapshot("u1", count, 9, timeout_s=PEEK_TIMEOUT)
        assert rows == [(3,)]
    w = env.client.open_writer(CUSTOMERS_IMPORT.shard_id, CUSTOMERS)
    assert w.compare_and_append([((4, "dave"), 10, 1)], 10, 12) is None
    assert w.compare_and_append([((1, "alice"), 12, -1)], 12, 20) is None
    assert await compute.peek_snapshot("u1", count, 11, timeout_s=PEEK_TIMEOUT) == [(4,)]
    assert await compute.peek_snapshot("u1", count, 9, timeout_s=PEEK_TIMEOUT) == [(3,)]
    assert await compute.peek_snapshot("u1", count, 15, timeout_s=PEEK_TIMEOUT) == [(3,)]
    names = plan("SELECT name FROM customers ORDER BY name", imports=(CUSTOMERS_IMPORT,))
    assert await compute.peek_snapshot("u1", names, 19, timeout_s=PEEK_TIMEOUT) == [
        ("bob",), ("carol",), ("dave",)
    ]
    state = env.client.shard_state(CUSTOMERS_IMPORT.shard_id)
    assert state.readers == {}
