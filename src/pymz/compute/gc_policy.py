"""Cyclic-GC settings for a process that holds large, long-lived dataflow state.

Dataflow state (row maps, sort entries, group objects) is allocated in bulk and lives long.
With CPython's default thresholds (700, 10, 10) a hydration over millions of rows runs tens
of thousands of collections that re-walk surviving state: 17-20% of the hydration time of
the TPC-H benchmark views at SF 1. Larger thresholds keep every generation collected, just
less often, so cyclic garbage is still reclaimed.

Guarantees: only thresholds change; automatic collection stays on. Does not freeze objects
(a frozen cycle would never be reclaimed, and operators and their dataflow form cycles).
"""

from __future__ import annotations

import gc

# Young collections every 50k net allocations; middle every 20 young; old every 100 middle
# (and CPython still requires 25% growth of long-lived objects before a full collection).
THRESHOLDS = (50_000, 20, 100)


def apply() -> tuple[int, int, int]:
    """Set the thresholds; returns the previous ones."""
    before = gc.get_threshold()
    gc.set_threshold(*THRESHOLDS)
    return before
