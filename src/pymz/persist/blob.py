"""Blob storage: an immutable-ish key -> bytes map holding batch data.

Guarantees of :class:`FileBlob`: ``set`` is atomic (write a temp file, fsync it, rename over the
key, fsync the directory), so readers see the old value, the new value, or nothing — never a
torn file — even across processes and crashes. ``get`` of a missing key is ``None``.
Does not guarantee: listing is consistent with concurrent writers (a key being written may or
may not be listed).
"""

from __future__ import annotations

import os
import threading
import uuid
from pathlib import Path
from typing import Protocol
from urllib.parse import unquote, urlparse

from pymz.errors import ConfigurationError


class Blob(Protocol):
    def get(self, key: str) -> bytes | None: ...

    def set(self, key: str, value: bytes) -> None: ...

    def delete(self, key: str) -> None: ...

    def list_keys(self, prefix: str = "") -> list[str]: ...


def _check_key(key: str) -> str:
    # Keys are '/'-separated relative paths; forbid escaping the root and temp-file collisions.
    parts = key.split("/")
    if not key or any(p in ("", ".", "..") or p.startswith(".tmp-") for p in parts):
        raise ValueError(f"invalid blob key {key!r}")
    return key


class FileBlob:
    """A blob store in a local directory; one file per key (``/`` in keys makes subdirs)."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)

    def _path(self, key: str) -> Path:
        return self.root / _check_key(key)

    def get(self, key: str) -> bytes | None:
        try:
            return self._path(key).read_bytes()
        except FileNotFoundError:
            return None

    def set(self, key: str, value: bytes) -> None:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.parent / f".tmp-{path.name}-{uuid.uuid4().hex}"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(value)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, path)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        _fsync_dir(path.parent)

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    def list_keys(self, prefix: str = "") -> list[str]:
        out: list[str] = []
        for dirpath, _dirs, files in os.walk(self.root):
            rel = os.path.relpath(dirpath, self.root)
            for name in files:
                if name.startswith(".tmp-"):
                    continue
                key = name if rel == "." else f"{rel.replace(os.sep, '/')}/{name}"
                if key.startswith(prefix):
                    out.append(key)
        out.sort()
        return out


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class MemBlob:
    """An in-process blob store (tests, single-process tools). Not durable."""

    def __init__(self) -> None:
        self._data: dict[str, bytes] = {}
        self._lock = threading.Lock()

    def get(self, key: str) -> bytes | None:
        with self._lock:
            return self._data.get(_check_key(key))

    def set(self, key: str, value: bytes) -> None:
        with self._lock:
            self._data[_check_key(key)] = bytes(value)

    def delete(self, key: str) -> None:
        with self._lock:
            self._data.pop(key, None)

    def list_keys(self, prefix: str = "") -> list[str]:
        with self._lock:
            return sorted(k for k in self._data if k.startswith(prefix))


def blob_from_url(url: str) -> Blob:
    """``file:///abs/path`` -> :class:`FileBlob`; ``mem://`` -> :class:`MemBlob`;
    ``s3://bucket/prefix?endpoint=…`` -> :class:`pymz.persist.blob_s3.S3Blob`."""
    parsed = urlparse(url)
    if parsed.scheme == "s3":
        # Imported lazily: boto3 is only needed by deployments that use S3.
        from pymz.persist.blob_s3 import S3Blob  # noqa: PLC0415

        return S3Blob.from_url(url)
    if parsed.scheme == "file":
        if parsed.netloc not in ("", "localhost"):
            raise ConfigurationError(f"file blob URL must be local: {url}")
        return FileBlob(unquote(parsed.path))
    if parsed.scheme == "mem":
        return MemBlob()
    raise ConfigurationError(
        f"unsupported blob URL scheme {parsed.scheme!r}",
        hint="use file:///path, s3://bucket/prefix or mem://",
    )
