"""clusterd's GC thresholds: applied, reported, reversible."""

from __future__ import annotations

import gc

from pymz.compute import gc_policy


def test_apply_sets_thresholds_and_returns_previous() -> None:
    before = gc.get_threshold()
    try:
        assert gc_policy.apply() == before
        assert gc.get_threshold() == gc_policy.THRESHOLDS
        assert gc.isenabled()  # collection stays automatic
    finally:
        gc.set_threshold(*before)
