"""The secrets controller and reader protocols, shared by every backend."""

from __future__ import annotations

import re
from typing import Protocol

from pymz.errors import InternalError, PymzError

# Catalog ids (`u1`, `s2`): also safe as file names and inside Kubernetes object names.
_ID = re.compile(r"[a-z][a-z0-9]{0,62}")


class SecretNotFound(PymzError):
    """The backend holds no contents for this secret id."""

    sqlstate = "XX000"


class InvalidSecretId(InternalError):
    """A secret id that is not a catalog id (a bug: ids come from the catalog)."""


def check_secret_id(secret_id: str) -> str:
    """Return ``secret_id`` if it is a well-formed catalog id, else raise."""
    if not _ID.fullmatch(secret_id):
        raise InvalidSecretId(f"invalid secret id {secret_id!r}")
    return secret_id


def is_secret_id(name: str) -> bool:
    return _ID.fullmatch(name) is not None


class SecretsReader(Protocol):
    async def read(self, secret_id: str) -> bytes:
        """The contents of ``secret_id``; raises :class:`SecretNotFound` if absent."""
        ...


class SecretsController(Protocol):
    async def ensure(self, secret_id: str, contents: bytes) -> None:
        """Create or replace the contents of ``secret_id``, durably and atomically."""
        ...

    async def delete(self, secret_id: str) -> None:
        """Remove ``secret_id``; succeeds if it does not exist."""
        ...

    async def list(self) -> list[str]:
        """Every secret id the backend holds, sorted."""
        ...

    def reader(self) -> SecretsReader:
        """A reader over the same backend."""
        ...
