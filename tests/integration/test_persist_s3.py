"""The S3 blob backend against a real S3-compatible server (S3Proxy from ``scripts/test-s3``)."""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from tests.integration.s3_fixture import S3Server, s3_bucket, s3_server

from pymz.errors import ConfigurationError
from pymz.persist import PersistClient, PersistConfig, blob_from_url, consensus_from_url
from pymz.persist.blob_s3 import BlobError, S3Blob, S3BlobConfig, s3_config_from_url
from pymz.persist.machine import wall_clock_ms
from pymz.repr.types import Column, ScalarType

__all__ = ["s3_bucket", "s3_server"]

pytestmark = pytest.mark.integration

SCHEMA = (Column("k", ScalarType.TEXT), Column("v", ScalarType.INT8))


def _blob(server: S3Server, bucket: str, prefix: str = "", **params: str) -> S3Blob:
    blob = blob_from_url(server.url(bucket, prefix, params=params))
    assert isinstance(blob, S3Blob)
    return blob


def _stored_keys(server: S3Server, bucket: str) -> set[str]:
    """What the server really holds, listed without S3Blob."""
    pages = server.client().get_paginator("list_objects_v2").paginate(Bucket=bucket)
    return {o.get("Key", "") for page in pages for o in page.get("Contents", [])}


# --- URL parsing (no server needed) ----------------------------------------------------------


def test_url_parsing() -> None:
    c = s3_config_from_url(
        "s3://bkt/some/prefix/?endpoint=http://127.0.0.1:9000&region=eu-west-1"
        "&access_key_id=AK&secret_access_key=SK&max_attempts=3&list_page_size=5"
    )
    assert c == S3BlobConfig(
        bucket="bkt",
        prefix="some/prefix/",
        endpoint_url="http://127.0.0.1:9000",
        region="eu-west-1",
        access_key_id="AK",
        secret_access_key="SK",
        max_attempts=3,
        list_page_size=5,
    )
    assert "SK" not in repr(c)
    assert s3_config_from_url("s3://bkt").prefix == ""
    for bad in (
        "s3://bkt/?endpont=http://x",  # typo: unknown parameter
        "s3://bkt/?access_key_id=AK",  # half the credentials
        "s3:///prefix",  # no bucket
        "s3://bkt/?endpoint=127.0.0.1:9000",  # endpoint without scheme
        "s3://bkt/?max_attempts=lots",
        "s3://bkt/?list_page_size=5000",
    ):
        with pytest.raises(ConfigurationError):
            s3_config_from_url(bad)


# --- the Blob contract -------------------------------------------------------------------------


def test_get_set_overwrite_delete(s3_server: S3Server, s3_bucket: str) -> None:
    blob = _blob(s3_server, s3_bucket, "root")
    assert blob.get("a/b") is None
    blob.set("a/b", b"one")
    assert blob.get("a/b") == b"one"
    blob.set("a/b", b"two")
    assert blob.get("a/b") == b"two"
    blob.set("empty", b"")
    assert blob.get("empty") == b""
    big = bytes(range(256)) * 4096  # 1 MiB, every byte value
    blob.set("big", big)
    assert blob.get("big") == big
    assert _stored_keys(s3_server, s3_bucket) == {"root/a/b", "root/empty", "root/big"}
    blob.delete("a/b")
    assert blob.get("a/b") is None
    blob.delete("a/b")  # deleting a missing key is fine
    blob.delete("never-existed")
    assert blob.list_keys() == ["big", "empty"]
    with pytest.raises(ValueError):
        blob.set("../escape", b"x")


def test_list_keys_paginates_and_respects_prefixes(s3_server: S3Server, s3_bucket: str) -> None:
    blob = _blob(s3_server, s3_bucket, "p1", list_page_size="10")
    other = _blob(s3_server, s3_bucket, "p2")  # same bucket, another prefix: invisible
    other.set("s/b/x", b"other")
    keys = [f"s/b/{i:04d}" for i in range(35)]
    for k in keys:
        blob.set(k, k.encode())
    blob.set("t/b/0000", b"another shard")

    calls: list[int] = []
    blob._s3.meta.events.register("after-call.s3.ListObjectsV2", lambda **_kw: calls.append(1))
    assert blob.list_keys("s/") == keys
    assert len(calls) == 4  # 35 keys in pages of 10: the listing really followed the pages
    assert blob.list_keys() == [*keys, "t/b/0000"]
    assert blob.list_keys("s/b/001") == keys[10:20]
    assert blob.list_keys("nope/") == []
    assert other.list_keys() == ["s/b/x"]


def test_readers_see_old_or_new_value_never_torn(s3_server: S3Server, s3_bucket: str) -> None:
    blob = _blob(s3_server, s3_bucket)
    old, new = b"a" * 300_000, b"b" * 400_000
    blob.set("k", old)
    seen: list[bytes | None] = []
    done = threading.Event()

    def read() -> None:
        while not done.is_set():
            seen.append(blob.get("k"))

    readers = [threading.Thread(target=read) for _ in range(2)]
    for t in readers:
        t.start()
    try:
        for i in range(6):
            blob.set("k", new if i % 2 == 0 else old)
    finally:
        done.set()
        for t in readers:
            t.join()
    assert seen
    assert {v for v in seen} <= {old, new}


def test_credentials_from_environment(
    s3_server: S3Server, s3_bucket: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", s3_server.access_key_id)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", s3_server.secret_access_key)
    blob = blob_from_url(s3_server.url(s3_bucket, "env", creds=False))
    blob.set("k", b"v")
    assert blob.get("k") == b"v"
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "wrong")
    with pytest.raises(ConfigurationError, match="SignatureDoesNotMatch"):
        blob_from_url(s3_server.url(s3_bucket, "env", creds=False)).get("k")


def test_missing_bucket_is_a_configuration_error(s3_server: S3Server) -> None:
    blob = _blob(s3_server, "no-such-bucket-pymz")
    with pytest.raises(ConfigurationError, match="NoSuchBucket"):
        blob.set("k", b"v")
    with pytest.raises(ConfigurationError, match="NoSuchBucket"):
        blob.list_keys()


# --- retries -----------------------------------------------------------------------------------


class FlakyProxy:
    """A loopback TCP proxy to the real server that answers the first ``failures`` connections
    with an HTTP 503 (what S3 sends when overloaded), cuts the next ``cuts`` responses off
    after ``cut_after`` bytes (a connection dying mid-body), and then forwards bytes both
    ways."""

    def __init__(self, upstream: str, failures: int, cuts: int = 0, cut_after: int = 0) -> None:
        host, port = upstream.removeprefix("http://").rsplit(":", 1)
        self.upstream = (host, int(port))
        self.failures = failures
        self.cuts = cuts
        self.cut_after = cut_after
        self.connections = 0
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.endpoint = f"http://127.0.0.1:{self.listener.getsockname()[1]}"
        self._threads: list[threading.Thread] = []
        self._sockets: list[socket.socket] = []
        self._spawn(self._accept)

    def _spawn(self, target: Callable[..., None], *args: object) -> None:
        t = threading.Thread(target=target, args=args, daemon=True)
        self._threads.append(t)
        t.start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return  # shut down by close()
            self.connections += 1
            self._sockets.append(conn)
            if self.connections <= self.failures:
                self._spawn(self._fail, conn)
            else:
                up = socket.create_connection(self.upstream)
                self._sockets.append(up)
                cut = self.connections <= self.failures + self.cuts
                self._spawn(self._pump, conn, up, None)
                self._spawn(self._pump, up, conn, self.cut_after if cut else None)

    @staticmethod
    def _fail(conn: socket.socket) -> None:
        with conn:
            conn.recv(65536)  # the request head
            body = b"<Error><Code>SlowDown</Code><Message>try later</Message></Error>"
            conn.sendall(
                b"HTTP/1.1 503 Slow Down\r\nContent-Type: application/xml\r\n"
                b"Connection: close\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body)
            )

    @staticmethod
    def _pump(src: socket.socket, dst: socket.socket, limit: int | None) -> None:
        try:
            while data := src.recv(65536):
                if limit is not None:
                    data = data[:limit]
                    limit -= len(data)
                dst.sendall(data)
                if limit == 0:
                    break  # hang up mid-response
        except OSError:
            pass
        finally:
            for s in (src, dst):
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)

    def close(self) -> None:
        # shutdown (not just close) wakes the thread blocked in accept() on Linux.
        with contextlib.suppress(OSError):
            self.listener.shutdown(socket.SHUT_RDWR)
        self.listener.close()
        for s in self._sockets:
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)
        for t in self._threads:
            t.join(timeout=10)
        for s in self._sockets:
            s.close()


@pytest.fixture
def flaky(s3_server: S3Server) -> Iterator[Callable[..., FlakyProxy]]:
    made: list[FlakyProxy] = []

    def make(failures: int, cuts: int = 0, cut_after: int = 0) -> FlakyProxy:
        p = FlakyProxy(s3_server.endpoint, failures, cuts, cut_after)
        made.append(p)
        return p

    yield make
    for p in made:
        p.close()


def test_transient_errors_are_retried(
    s3_server: S3Server, s3_bucket: str, flaky: Callable[..., FlakyProxy]
) -> None:
    proxy = flaky(2)
    blob = S3Blob(
        S3BlobConfig(
            bucket=s3_bucket,
            endpoint_url=proxy.endpoint,
            region=s3_server.region,
            access_key_id=s3_server.access_key_id,
            secret_access_key=s3_server.secret_access_key,
            max_attempts=4,
        )
    )
    blob.set("k", b"made it")  # two 503s, then the third attempt reaches the server
    assert proxy.connections == 3
    assert blob.get("k") == b"made it"


def test_get_retries_a_body_cut_off_mid_stream(
    s3_server: S3Server, s3_bucket: str, flaky: Callable[..., FlakyProxy]
) -> None:
    value = bytes(range(256)) * 1024
    _blob(s3_server, s3_bucket).set("k", value)
    proxy = flaky(0, cuts=1, cut_after=10_000)  # the first response dies 10 kB in
    blob = S3Blob(
        S3BlobConfig(
            bucket=s3_bucket,
            endpoint_url=proxy.endpoint,
            region=s3_server.region,
            access_key_id=s3_server.access_key_id,
            secret_access_key=s3_server.secret_access_key,
            max_attempts=3,
        )
    )
    assert blob.get("k") == value
    assert proxy.connections == 2


def test_persistent_errors_raise_after_max_attempts(
    s3_server: S3Server, s3_bucket: str, flaky: Callable[..., FlakyProxy]
) -> None:
    proxy = flaky(1_000)
    blob = S3Blob(
        S3BlobConfig(
            bucket=s3_bucket,
            endpoint_url=proxy.endpoint,
            region=s3_server.region,
            access_key_id=s3_server.access_key_id,
            secret_access_key=s3_server.secret_access_key,
            max_attempts=3,
        )
    )
    with pytest.raises(BlobError, match="SlowDown"):
        blob.get("k")
    assert proxy.connections == 3


# --- persist end to end ------------------------------------------------------------------------


def test_persist_end_to_end_over_s3(s3_server: S3Server, s3_bucket: str, tmp_path: Path) -> None:
    config = PersistConfig(compaction_min_batches=0, gc_orphan_grace_ms=60_000)
    client = PersistClient(
        blob_from_url(s3_server.url(s3_bucket, "persist")),
        consensus_from_url(f"sqlite://{tmp_path / 'consensus.db'}"),
        config=config,
    )
    try:
        w, r = client.open_shard("s", SCHEMA)
        for i in range(10):
            assert w.compare_and_append([(("k", i % 3), i, 1), (("x", i), i, 1)], i, i + 1) is None
        assert w.compare_and_append([(("x", 0), 10, -1)], 10, 11) is None
        assert len(_stored_keys(s3_server, s3_bucket)) == 11
        expected = sorted(
            [(("k", 0), 10, 4), (("k", 1), 10, 3), (("k", 2), 10, 3)]
            + [(("x", i), 10, 1) for i in range(1, 10)]
        )
        assert sorted(r.snapshot(10)) == expected
        assert sorted(r.snapshot(2)) == sorted(
            [(("k", 0), 2, 1), (("k", 1), 2, 1), (("k", 2), 2, 1)]
            + [(("x", i), 2, 1) for i in range(3)]
        )

        # Compaction merges the batches and deletes the replaced objects from the bucket.
        r.downgrade_since(10)
        before = {f"persist/{b.key}" for b in client.shard_state("s").batches}
        assert client.compact("s", SCHEMA)
        state = client.shard_state("s")
        stored = _stored_keys(s3_server, s3_bucket)
        assert stored == {f"persist/{b.key}" for b in state.batches}
        assert len(stored) < len(before)
        assert sorted(r.snapshot(10)) == expected

        # gc deletes an old orphan (a crashed writer's blob) but keeps a young one.
        now = wall_clock_ms()
        old_orphan = f"s/b/{now - 120_000:013d}-deadbeef.arrow"
        young_orphan = f"s/b/{now:013d}-cafebabe.arrow"
        client.blob.set(old_orphan, b"left by a crashed writer")
        client.blob.set(young_orphan, b"maybe about to be committed")
        assert client.gc("s") == [old_orphan]
        assert _stored_keys(s3_server, s3_bucket) == stored | {f"persist/{young_orphan}"}

        # A fresh client over the same bucket + consensus reads the same data.
        again = PersistClient.from_urls(
            s3_server.url(s3_bucket, "persist"), f"sqlite://{tmp_path / 'consensus.db'}"
        )
        try:
            assert sorted(again.open_reader("s", SCHEMA).snapshot(10)) == expected
        finally:
            again.consensus.close()
    finally:
        client.consensus.close()
