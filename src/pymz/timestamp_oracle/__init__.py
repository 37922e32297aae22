"""A durable timestamp oracle issuing epoch-millisecond timestamps.

Guarantees: ``write_ts()`` is strictly greater than every timestamp it (or any earlier
instance on the same store) handed out and ``>=`` the wall clock; ``read_ts()`` is ``>=`` every
timestamp passed to ``apply_write``; both survive restarts (state lives in a consensus store,
SQLite or PostgreSQL, updated by compare-and-set before a timestamp is returned). Opening a new
oracle on the same store and name fences the older instance: its next call raises
:class:`pymz.persist.Fenced`.
Does not guarantee: cheap calls — each ``write_ts``/``apply_write`` is one durable CaS and each
``read_ts`` one consensus read.
"""

from pymz.timestamp_oracle.oracle import TimestampOracle, timestamp_oracle_from_url

__all__ = ["TimestampOracle", "timestamp_oracle_from_url"]
