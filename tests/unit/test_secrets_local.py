"""The local-file secrets controller: modes, atomic replacement, list/delete, reads."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from pymz.secrets import (
    InvalidSecretId,
    LocalFileSecretsController,
    SecretNotFound,
)


@pytest.fixture(params=[0o000, 0o022, 0o077])
def umask(request: pytest.FixtureRequest) -> Iterator[int]:
    old = os.umask(request.param)
    try:
        yield request.param
    finally:
        os.umask(old)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


async def test_modes_whatever_the_umask(tmp_path: Path, umask: int) -> None:
    directory = tmp_path / "a" / "secrets"
    ctl = LocalFileSecretsController(directory)
    assert _mode(directory) == 0o700
    await ctl.ensure("u1", b"value")
    assert _mode(directory / "u1") == 0o600
    await ctl.ensure("u1", b"other")  # replacing keeps the mode
    assert _mode(directory / "u1") == 0o600


def test_existing_directory_is_tightened(tmp_path: Path) -> None:
    directory = tmp_path / "secrets"
    directory.mkdir(mode=0o755)
    os.chmod(directory, 0o755)
    LocalFileSecretsController(directory)
    assert _mode(directory) == 0o700


async def test_ensure_read_list_delete(tmp_path: Path) -> None:
    ctl = LocalFileSecretsController(tmp_path / "s")
    reader = ctl.reader()
    assert await ctl.list() == []
    await ctl.ensure("u2", b"\x00\xffbinary")
    await ctl.ensure("u10", b"")
    assert await ctl.list() == ["u10", "u2"]
    assert await reader.read("u2") == b"\x00\xffbinary"
    assert await reader.read("u10") == b""
    await ctl.delete("u2")
    await ctl.delete("u2")  # absent: still fine
    assert await ctl.list() == ["u10"]
    with pytest.raises(SecretNotFound) as info:
        await reader.read("u2")
    assert "u2" in info.value.message


async def test_replacement_is_atomic(tmp_path: Path) -> None:
    """A new file is renamed over the old one: a reader that opened the old file keeps
    reading the complete old contents, and no temporary file is left behind."""
    ctl = LocalFileSecretsController(tmp_path / "s")
    old = b"old" * 10_000
    await ctl.ensure("u1", old)
    inode = (tmp_path / "s" / "u1").stat().st_ino
    with (tmp_path / "s" / "u1").open("rb") as held:
        await ctl.ensure("u1", b"new")
        assert held.read() == old
    assert (tmp_path / "s" / "u1").stat().st_ino != inode
    assert await ctl.reader().read("u1") == b"new"
    assert sorted(p.name for p in (tmp_path / "s").iterdir()) == ["u1"]


async def test_list_ignores_foreign_files_and_drops_stale_temporaries(tmp_path: Path) -> None:
    ctl = LocalFileSecretsController(tmp_path / "s")
    await ctl.ensure("u1", b"x")
    (tmp_path / "s" / ".u2.0123.tmp").write_bytes(b"half")
    (tmp_path / "s" / "README.txt").write_bytes(b"not a secret")
    (tmp_path / "s" / "u3").mkdir()
    assert await ctl.list() == ["u1"]
    assert not (tmp_path / "s" / ".u2.0123.tmp").exists()
    assert (tmp_path / "s" / "README.txt").exists()


@pytest.mark.parametrize("bad", ["../u1", "u1/x", "", "U1", ".u1", "u-1", "x" * 64])
async def test_ids_are_checked(tmp_path: Path, bad: str) -> None:
    ctl = LocalFileSecretsController(tmp_path / "s")
    with pytest.raises(InvalidSecretId):
        await ctl.ensure(bad, b"v")
    with pytest.raises(InvalidSecretId):
        await ctl.reader().read(bad)
    with pytest.raises(InvalidSecretId):
        await ctl.delete(bad)
    assert not (tmp_path / "u1").exists()


def test_repr_names_no_contents(tmp_path: Path) -> None:
    ctl = LocalFileSecretsController(tmp_path / "s")
    ctl.ensure_sync("u1", b"hunter2")
    assert "hunter2" not in repr(ctl) + repr(ctl.reader())
