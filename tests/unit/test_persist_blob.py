"""Blob stores and URL selection of backends."""

from __future__ import annotations

from pathlib import Path

import pytest

from pymz.errors import ConfigurationError
from pymz.persist import (
    FileBlob,
    MemBlob,
    MemConsensus,
    SqliteConsensus,
    blob_from_url,
    consensus_from_url,
)
from pymz.persist.blob import Blob


@pytest.fixture(params=["file", "mem"])
def blob(request: pytest.FixtureRequest, tmp_path: Path) -> Blob:
    return FileBlob(tmp_path / "b") if request.param == "file" else MemBlob()


def test_set_get_delete_list(blob: Blob) -> None:
    assert blob.get("s/b/1") is None
    blob.set("s/b/1", b"one")
    blob.set("s/b/2", b"two")
    blob.set("t/x", b"")
    assert blob.get("s/b/1") == b"one"
    assert blob.get("t/x") == b""
    blob.set("s/b/1", b"uno")  # overwrite replaces whole value
    assert blob.get("s/b/1") == b"uno"
    assert blob.list_keys("s/") == ["s/b/1", "s/b/2"]
    assert blob.list_keys() == ["s/b/1", "s/b/2", "t/x"]
    blob.delete("s/b/1")
    blob.delete("s/b/1")  # deleting a missing key is fine
    assert blob.get("s/b/1") is None
    assert blob.list_keys("s/") == ["s/b/2"]


@pytest.mark.parametrize("key", ["", "../x", "a//b", "a/./b", "/abs", "a/.tmp-x"])
def test_invalid_keys_rejected(blob: Blob, key: str) -> None:
    with pytest.raises(ValueError):
        blob.set(key, b"x")


def test_file_blob_leaves_no_temp_files(tmp_path: Path) -> None:
    b = FileBlob(tmp_path)
    for i in range(5):
        b.set("k", str(i).encode())
    assert sorted(p.name for p in tmp_path.iterdir()) == ["k"]
    # A stray temp file from a crashed writer is never listed as a key.
    (tmp_path / ".tmp-k-dead").write_bytes(b"partial")
    assert b.list_keys() == ["k"]


def test_urls_select_backends(tmp_path: Path) -> None:
    fb = blob_from_url(f"file://{tmp_path}/blob")
    assert isinstance(fb, FileBlob)
    assert fb.root == tmp_path / "blob"
    assert isinstance(blob_from_url("mem://"), MemBlob)
    c = consensus_from_url(f"sqlite://{tmp_path}/c/consensus.db")
    assert isinstance(c, SqliteConsensus)
    c.close()
    assert isinstance(consensus_from_url("mem://"), MemConsensus)
    for bad in ("s3://bucket/x?bogus=1", "gs://bucket/x", "file://otherhost/x"):
        with pytest.raises(ConfigurationError):
            blob_from_url(bad)
    with pytest.raises(ConfigurationError):
        consensus_from_url("mysql://x")
