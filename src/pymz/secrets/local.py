"""Local-file backend: one file per secret id, mode 0600, in a 0700 directory.

Writes are atomic and durable: contents go to a temporary file in the same directory
(``.<id>.<random>.tmp``), which is fsynced, renamed over ``<id>``, and then the directory is
fsynced so the rename itself survives a crash. Stale temporary files from a crash are
removed by :meth:`LocalFileSecretsController.list`.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets as _random
import stat
from pathlib import Path

from pymz.secrets.controller import SecretNotFound, check_secret_id, is_secret_id

DIR_MODE = 0o700
FILE_MODE = 0o600


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _ensure_dir(path: Path) -> None:
    path.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
    # mkdir's mode is filtered by the umask, and the directory may predate us: set it.
    if stat.S_IMODE(path.stat().st_mode) != DIR_MODE:
        os.chmod(path, DIR_MODE)


class LocalFileSecretsReader:
    def __init__(self, directory: Path) -> None:
        self._dir = directory

    def read_sync(self, secret_id: str) -> bytes:
        try:
            return (self._dir / check_secret_id(secret_id)).read_bytes()
        except FileNotFoundError:
            raise SecretNotFound(f"secret {secret_id} not found") from None

    async def read(self, secret_id: str) -> bytes:
        return await asyncio.to_thread(self.read_sync, secret_id)


class LocalFileSecretsController:
    def __init__(self, directory: Path) -> None:
        self.directory = directory
        _ensure_dir(directory)

    def __repr__(self) -> str:
        return f"LocalFileSecretsController({str(self.directory)!r})"

    # Synchronous forms (used by tests and by start-up code that is not async).
    def ensure_sync(self, secret_id: str, contents: bytes) -> None:
        path = self.directory / check_secret_id(secret_id)
        tmp = self.directory / f".{secret_id}.{_random.token_hex(8)}.tmp"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
        try:
            os.fchmod(fd, FILE_MODE)  # O_CREAT's mode is filtered by the umask
            view = memoryview(contents)
            while view:
                view = view[os.write(fd, view):]
            os.fsync(fd)
        except BaseException:
            os.close(fd)
            tmp.unlink(missing_ok=True)
            raise
        os.close(fd)
        try:
            os.replace(tmp, path)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        _fsync_dir(self.directory)

    def delete_sync(self, secret_id: str) -> None:
        path = self.directory / check_secret_id(secret_id)
        try:
            path.unlink()
        except FileNotFoundError:
            return
        _fsync_dir(self.directory)

    def list_sync(self) -> list[str]:
        ids = []
        for entry in os.scandir(self.directory):
            if entry.name.startswith(".") and entry.name.endswith(".tmp"):
                # Left by a crash between write and rename: never visible, safe to drop.
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(entry.path)
            elif is_secret_id(entry.name) and entry.is_file(follow_symlinks=False):
                ids.append(entry.name)
        return sorted(ids)

    async def ensure(self, secret_id: str, contents: bytes) -> None:
        await asyncio.to_thread(self.ensure_sync, secret_id, contents)

    async def delete(self, secret_id: str) -> None:
        await asyncio.to_thread(self.delete_sync, secret_id)

    async def list(self) -> list[str]:
        return await asyncio.to_thread(self.list_sync)

    def reader(self) -> LocalFileSecretsReader:
        return LocalFileSecretsReader(self.directory)
