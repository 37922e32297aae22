"""Where a materialized view keeps its query errors: a second persist shard.

A materialized view's shard holds rows; the errors its query raises (a division by zero in a
live row, an overflow…) are ``(sqlstate, message)`` updates with time and diff — exactly the
dataflow's ``errs`` collection — appended by the same persist sink to the shard
:func:`errors_shard_id` of the data shard. A read of the view at ``t`` reads both shards at
``t`` and fails with the error while one is live, as Materialize does. Protocol: the adapter
(readers, shard creation), the compute runtime (sink, sources) and the peek executor agree on
this through this module alone.
"""

from __future__ import annotations

from pymz.repr.types import Column, ScalarType

ERROR_COLUMNS = (Column("sqlstate", ScalarType.TEXT, nullable=False),
                 Column("message", ScalarType.TEXT, nullable=False))


def errors_shard_id(shard_id: str) -> str:
    """The shard holding the errors of the materialized view stored in ``shard_id``."""
    return f"{shard_id}.errs"
