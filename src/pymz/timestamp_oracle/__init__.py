"""A durable timestamp oracle issuing epoch-millisecond timestamps.

Guarantees: ``write_ts()`` is strictly greater than every timestamp it (or any earlier
instance on the same store) handed out and ``>=`` the wall clock; ``read_ts()`` is ``>=`` every
timestamp passed to ``apply_write`` and ``<`` every later ``write_ts()``; both survive restarts
(state lives in a consensus store, SQLite or PostgreSQL). Durability comes from a
*reservation*: before handing out a timestamp above the stored bound, the oracle durably
(compare-and-set) moves the bound ``window_ms`` (default 1 s) ahead, and a newly opened
instance starts its reads and writes above the stored bound. So most calls are in-memory;
about one CaS per ``window_ms`` of advancing time.
Opening a new oracle on the same store and name fences the older instance: it raises
:class:`pymz.persist.Fenced` at its next reservation (or at once from ``check_fenced()``).
Does not guarantee: that a fenced instance notices before its next reservation — until then
it keeps answering ``read_ts``/``write_ts`` from memory. The oracle is meant to be owned by a
single process (environmentd); writes made through persist are fenced independently by
persist's writer epochs. After a restart, timestamps (and ``read_ts``) may run up to
``window_ms`` ahead of the wall clock until it catches up.
"""

from pymz.timestamp_oracle.oracle import TimestampOracle, timestamp_oracle_from_url

__all__ = ["TimestampOracle", "timestamp_oracle_from_url"]
