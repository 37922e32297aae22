"""End to end: environmentd with the process orchestrator running real clusterd replicas."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
from pathlib import Path

import psutil
import pytest
from tests.integration.environmentd_harness import Environmentd, wait_until

from pymz.orchestrator import ServiceConfig, ServicePort
from pymz.orchestrator_process import ProcessOrchestrator, ProcessOrchestratorConfig

pytestmark = pytest.mark.integration


def replica_dirs(env: Environmentd, cluster: str) -> dict[str, list[Path]]:
    """Run directories of each replica (by name) of ``cluster``, per process."""
    rows = env.sql(
        "SELECT r.name, r.id, c.id FROM mz_cluster_replicas r "
        "JOIN mz_clusters c ON c.id = r.cluster_id WHERE c.name = %s", [cluster])
    out = {}
    for name, rid, cid in rows:
        service = env.data_dir / "run" / f"cluster-{cid}-replica-{rid}"
        out[str(name)] = sorted(p for p in service.iterdir() if p.is_dir()) \
            if service.exists() else []
    return out


def cluster_pids(env: Environmentd, cluster: str) -> set[int]:
    pids = set()
    for dirs in replica_dirs(env, cluster).values():
        for d in dirs:
            try:
                pid = int((d / "pid").read_text().split()[0])
            except (OSError, ValueError):
                continue
            if psutil.pid_exists(pid) and psutil.Process(pid).status() != "zombie":
                pids.add(pid)
    return pids


def statuses(env: Environmentd, cluster: str) -> list[tuple[str, int, str]]:
    return [(str(r), int(p), str(s)) for r, p, s in env.sql(
        "SELECT r.name, s.process_id, s.status "
        "FROM mz_internal.mz_cluster_replica_statuses s "
        "JOIN mz_cluster_replicas r ON r.id = s.replica_id "
        "JOIN mz_clusters c ON c.id = r.cluster_id WHERE c.name = %s ORDER BY 1, 2",
        [cluster])]


def all_online(env: Environmentd, cluster: str, processes: int) -> bool:
    rows = statuses(env, cluster)
    return len(rows) == processes and all(s == "online" for _, _, s in rows)


def test_quickstart_is_online_and_listed(environmentd: Environmentd) -> None:
    wait_until(lambda: all_online(environmentd, "quickstart", 1), 60, what="quickstart online")
    assert environmentd.sql("SHOW CLUSTERS") == [
        ("mz_catalog_server", "", ""), ("mz_system", "", ""), ("quickstart", "r1 (1)", "")]
    assert environmentd.sql("SHOW CLUSTER REPLICAS") == [("quickstart", "r1", "1", True, "")]
    assert len(cluster_pids(environmentd, "quickstart")) == 1


def test_replicated_multiprocess_cluster_lifecycle(environmentd: Environmentd) -> None:
    env = environmentd
    env.sql("CREATE CLUSTER c (SIZE = '2-1', REPLICATION FACTOR = 2)")
    assert env.sql("SELECT name, managed, size, replication_factor FROM mz_clusters "
                   "WHERE name = 'c'") == [("c", True, "2-1", 2)]
    # 2 replicas x 2 processes, all connected to by both controllers.
    wait_until(lambda: all_online(env, "c", 4), 60, what="4 processes online")
    pids = cluster_pids(env, "c")
    assert len(pids) == 4
    for pid in pids:
        assert "clusterd" in " ".join(psutil.Process(pid).cmdline())

    # kill -9 one process: reported offline, then restarted and online again.
    victim_dir = replica_dirs(env, "c")["r1"][1]
    victim = int((victim_dir / "pid").read_text().split()[0])
    os.kill(victim, signal.SIGKILL)
    wait_until(lambda: ("r1", 1, "offline") in statuses(env, "c"), 30,
               interval=0.01, what="killed process reported offline")
    wait_until(lambda: all_online(env, "c", 4), 60, what="restarted process online")
    new_pids = cluster_pids(env, "c")
    assert victim not in new_pids and len(new_pids) == 4
    assert pids - {victim} <= new_pids

    # ALTER to a new size replaces every process.
    before = cluster_pids(env, "c")
    env.sql("ALTER CLUSTER c SET (SIZE = '1')")
    assert env.sql("SHOW CLUSTER REPLICAS WHERE cluster = 'c'")[0][2] == "1"
    wait_until(lambda: all_online(env, "c", 2), 60, what="resized replicas online")
    wait_until(lambda: not (before & {p.pid for p in env.clusterd_processes()}), 30,
               what="old processes gone")
    assert len(cluster_pids(env, "c")) == 2

    # Replication factor changes add and remove replicas.
    env.sql("ALTER CLUSTER c SET (REPLICATION FACTOR = 1)")
    assert [r[1] for r in env.sql("SHOW CLUSTER REPLICAS WHERE cluster = 'c'")] == ["r1"]

    # DROP removes the processes and their directories.
    service_dirs = {d.parent for dirs in replica_dirs(env, "c").values() for d in dirs}
    remaining = cluster_pids(env, "c")
    env.sql("DROP CLUSTER c")
    wait_until(lambda: not (remaining & {p.pid for p in env.clusterd_processes()}), 30,
               what="dropped processes gone")
    assert not any(d.exists() for d in service_dirs)
    assert env.sql("SELECT count(*) FROM mz_cluster_replicas r JOIN mz_clusters c "
                   "ON c.id = r.cluster_id WHERE c.name = 'c'") == [(0,)]


def test_restart_readopts_processes_and_keeps_catalog(environmentd: Environmentd) -> None:
    env = environmentd
    env.sql("CREATE CLUSTER keep (SIZE = '2-1')")
    env.sql("CREATE CLUSTER unmanaged REPLICAS (a (SIZE = '1'), b (SIZE = '1'))")
    wait_until(lambda: all_online(env, "keep", 2) and all_online(env, "unmanaged", 2), 60,
               what="clusters online")
    pids = cluster_pids(env, "keep") | cluster_pids(env, "unmanaged") \
        | cluster_pids(env, "quickstart")
    create_times = {pid: psutil.Process(pid).create_time() for pid in pids}
    clusters = env.sql("SELECT id, name FROM mz_clusters ORDER BY id")
    replicas = env.sql("SELECT id, name, cluster_id, size FROM mz_cluster_replicas ORDER BY id")

    env.restart()
    assert env.sql("SELECT id, name FROM mz_clusters ORDER BY id") == clusters
    assert env.sql("SELECT id, name, cluster_id, size FROM mz_cluster_replicas "
                   "ORDER BY id") == replicas
    wait_until(lambda: all_online(env, "keep", 2) and all_online(env, "unmanaged", 2), 60,
               what="re-adopted clusters online")
    after = cluster_pids(env, "keep") | cluster_pids(env, "unmanaged") \
        | cluster_pids(env, "quickstart")
    assert after == pids, "environmentd restart must not restart replica processes"
    for pid in after:
        assert psutil.Process(pid).create_time() == create_times[pid]

    # A SIGKILLed environmentd re-adopts just the same.
    env.kill()
    env.start()
    wait_until(lambda: all_online(env, "keep", 2), 60, what="online after kill -9")
    assert cluster_pids(env, "keep") | cluster_pids(env, "unmanaged") \
        | cluster_pids(env, "quickstart") == pids


def test_startup_reconciliation(environmentd: Environmentd) -> None:
    env = environmentd
    env.sql("CREATE CLUSTER lost (SIZE = '1')")
    wait_until(lambda: all_online(env, "lost", 1), 60, what="cluster online")
    lost_dirs = replica_dirs(env, "lost")["r1"]
    lost_pids = cluster_pids(env, "lost")
    env.stop()
    # Lose the service entirely (processes and state)...
    for pid in lost_pids:
        os.kill(pid, signal.SIGKILL)
    shutil.rmtree(lost_dirs[0].parent)
    # ...and leave behind a replica service the catalog does not know, as a crashed
    # environmentd could between creating a service and committing its replica.
    orphan_pids = asyncio.run(_start_orphan(env.data_dir / "run"))
    env.start()
    wait_until(lambda: all_online(env, "lost", 1), 60, what="missing service recreated")
    assert not (lost_pids & set(cluster_pids(env, "lost")))
    orphan_dir = env.data_dir / "run" / "cluster-u999-replica-u999"
    wait_until(lambda: not orphan_dir.exists(), 30, what="orphan service dropped")
    wait_until(lambda: not any(psutil.pid_exists(p) and psutil.Process(p).status() != "zombie"
                               for p in orphan_pids), 30, what="orphan processes killed")


async def _start_orphan(run_dir: Path) -> list[int]:
    orch = ProcessOrchestrator(ProcessOrchestratorConfig(run_directory=run_dir))
    service = await orch.namespace("cluster").ensure_service("u999-replica-u999", ServiceConfig(
        image="clusterd",
        args=lambda a: [f"--storagectl-listen-addr={a.listen_addrs['storagectl']}",
                        f"--computectl-listen-addr={a.listen_addrs['computectl']}"],
        ports=(ServicePort("storagectl", 2100), ServicePort("computectl", 2101)),
    ))
    assert len(service.addresses("computectl")) == 1
    await orch.detach()
    pids = []
    for pid_file in (run_dir / "cluster-u999-replica-u999").glob("*/pid"):
        pids.append(int(pid_file.read_text().split()[0]))
    return pids
