"""Backends chosen by URL: ``blob_from_url`` and ``consensus_from_url``."""

from __future__ import annotations

from urllib.parse import unquote, urlparse

from pymz.errors import ConfigurationError
from pymz.persist.blob import blob_from_url
from pymz.persist.consensus import Consensus, MemConsensus
from pymz.persist.consensus_postgres import PostgresConsensus
from pymz.persist.consensus_sqlite import SqliteConsensus

__all__ = ["blob_from_url", "consensus_from_url"]


def consensus_from_url(url: str) -> Consensus:
    """``sqlite:///abs/path.db``, ``postgres://…``/``postgresql://…``, or ``mem://``."""
    parsed = urlparse(url)
    if parsed.scheme == "sqlite":
        path = unquote(parsed.path)
        if not path:
            raise ConfigurationError(f"sqlite consensus URL needs a path: {url}")
        return SqliteConsensus(path)
    if parsed.scheme in ("postgres", "postgresql"):
        return PostgresConsensus(url)
    if parsed.scheme == "mem":
        return MemConsensus()
    raise ConfigurationError(f"unsupported consensus URL scheme {parsed.scheme!r}")
