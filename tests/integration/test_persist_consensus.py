"""Consensus backends (real SQLite files, real PostgreSQL) through the same tests."""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path

import pytest
from tests.integration.postgres_fixture import (
    consensus_url,
    postgres_server_url,
    postgres_url,
)

from pymz.persist import CaSResult, InvalidUsageError, VersionedData, consensus_from_url

__all__ = ["consensus_url", "postgres_server_url", "postgres_url"]

pytestmark = pytest.mark.integration


def test_cas_semantics(consensus_url: str) -> None:
    c = consensus_from_url(consensus_url)
    try:
        assert c.head("k") is None
        assert c.compare_and_set("k", None, VersionedData(1, b"one")) is CaSResult.COMMITTED
        assert not c.compare_and_set("k", None, VersionedData(2, b"x"))
        assert not c.compare_and_set("k", 0, VersionedData(2, b"x"))
        assert c.compare_and_set("k", 1, VersionedData(2, b"two"))
        with pytest.raises(InvalidUsageError):
            c.compare_and_set("k", 2, VersionedData(2, b"same seqno"))
        assert c.compare_and_set("k", 2, VersionedData(5, b"five"))  # gaps are allowed
        assert c.head("k") == VersionedData(5, b"five")
        assert [v.seqno for v in c.scan("k", 0, 10)] == [1, 2, 5]
        assert [v.seqno for v in c.scan("k", 2, 1)] == [2]
        assert c.head("other") is None
        assert c.list_keys() == ["k"]
        assert c.truncate("k", 5) == 2
        assert c.scan("k", 0, 10) == [VersionedData(5, b"five")]
        with pytest.raises(InvalidUsageError):
            c.truncate("k", 6)
    finally:
        c.close()


def test_only_one_racing_cas_wins(consensus_url: str) -> None:
    clients = [consensus_from_url(consensus_url) for _ in range(6)]
    try:
        assert clients[0].compare_and_set("k", None, VersionedData(1, b"base"))
        barrier = threading.Barrier(len(clients))
        results: list[CaSResult] = []
        lock = threading.Lock()

        def race(i: int) -> None:
            barrier.wait()
            r = clients[i].compare_and_set("k", 1, VersionedData(2, f"{i}".encode()))
            with lock:
                results.append(r)

        threads = [threading.Thread(target=race, args=(i,)) for i in range(len(clients))]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert sorted(r.value for r in results).count("committed") == 1
        head = clients[0].head("k")
        assert head is not None
        assert head.seqno == 2
    finally:
        for c in clients:
            c.close()


def _increment(url: str, key: str, times: int) -> None:
    c = consensus_from_url(url)
    try:
        done = 0
        while done < times:
            head = c.head(key)
            n = 0 if head is None else int(head.data)
            seq = None if head is None else head.seqno
            new = VersionedData(0 if seq is None else seq + 1, str(n + 1).encode())
            if c.compare_and_set(key, seq, new):
                done += 1
    finally:
        c.close()


def test_no_lost_updates_between_threads(consensus_url: str) -> None:
    threads = [
        threading.Thread(target=_increment, args=(consensus_url, "ctr", 40)) for _ in range(4)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    c = consensus_from_url(consensus_url)
    head = c.head("ctr")
    c.close()
    assert head is not None
    assert int(head.data) == 160
    assert head.seqno == 159


_CHILD = """
import sys
from test_persist_consensus import _increment
_increment(sys.argv[1], sys.argv[2], int(sys.argv[3]))
"""


def test_no_lost_updates_between_processes(consensus_url: str) -> None:
    here = __file__.rsplit("/", 1)[0]
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", _CHILD, consensus_url, "ctr", "25"],
            env={"PYTHONPATH": here, "PATH": "/usr/bin:/bin"},
        )
        for _ in range(3)
    ]
    for p in procs:
        assert p.wait(timeout=110) == 0
    c = consensus_from_url(consensus_url)
    head = c.head("ctr")
    c.close()
    assert head is not None
    assert int(head.data) == 75


def _open_and_write(url: str, key: str, barrier: threading.Barrier,
                    failures: list[BaseException]) -> None:
    barrier.wait()
    try:
        c = consensus_from_url(url)
        try:
            c.compare_and_set(key, None, VersionedData(0, b"x"))
        finally:
            c.close()
    except BaseException as e:  # collected and asserted by the test
        failures.append(e)


def test_many_processes_opening_a_fresh_sqlite_file_at_once(tmp_path: Path) -> None:
    """environmentd and its clusterds open the same new consensus file at first start; the
    switch to WAL mode must not fail any of them with "database is locked"."""
    for round_ in range(5):
        url = f"sqlite://{tmp_path / f'fresh{round_}.db'}"
        barrier = threading.Barrier(8)
        failures: list[BaseException] = []
        threads = [threading.Thread(target=_open_and_write,
                                    args=(url, f"k{i}", barrier, failures))
                   for i in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert failures == []
