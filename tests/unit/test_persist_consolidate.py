"""Consolidation and frontier logic."""

from __future__ import annotations

import pytest

from pymz.persist.consolidate import advance_time, consolidate, consolidate_at
from pymz.persist.frontier import (
    MAX_TIMESTAMP,
    check_timestamp,
    frontier_le,
    frontier_lt,
    frontier_max,
    frontier_min,
    less_than_frontier,
)


def test_consolidate_sums_and_drops_zero() -> None:
    ups = [(("a",), 1, 1), (("b",), 1, 2), (("a",), 1, -1), (("b",), 2, 1), (("b",), 1, 1)]
    assert consolidate(ups) == [(("b",), 1, 3), (("b",), 2, 1)]


def test_consolidate_keeps_distinct_times_apart() -> None:
    ups = [((1,), 3, 1), ((1,), 2, 1)]
    assert consolidate(ups) == [((1,), 2, 1), ((1,), 3, 1)]


def test_consolidate_at_advances_then_sums() -> None:
    ups = [((1,), 1, 1), ((1,), 2, -1), ((2,), 1, 1), ((2,), 7, 1), ((3,), 5, 1)]
    assert sorted(consolidate_at(ups, 5)) == sorted([((2,), 5, 1), ((2,), 7, 1), ((3,), 5, 1)])


def test_consolidate_null_and_equal_values() -> None:
    ups = [((None, 1.0), 0, 1), ((None, 1), 0, 1)]  # 1.0 == 1 in Python: same row
    assert consolidate(ups) == [((None, 1.0), 0, 2)]


def test_advance_time() -> None:
    assert advance_time(3, 5) == 5
    assert advance_time(5, 5) == 5
    assert advance_time(9, 5) == 9


def test_frontier_order_with_empty_as_top() -> None:
    assert frontier_le(1, 2)
    assert frontier_le(2, 2)
    assert not frontier_le(3, 2)
    assert frontier_le(5, None)
    assert frontier_le(None, None)
    assert not frontier_le(None, 5)
    assert frontier_lt(1, None)
    assert not frontier_lt(None, None)
    assert not frontier_lt(2, 2)
    assert frontier_min(None, 3) == 3
    assert frontier_max(None, 3) is None
    assert frontier_max(4, 3) == 4


def test_less_than_frontier() -> None:
    assert less_than_frontier(4, 5)
    assert not less_than_frontier(5, 5)
    assert less_than_frontier(MAX_TIMESTAMP, None)


@pytest.mark.parametrize("bad", [-1, 2**64, True])
def test_check_timestamp_rejects_non_u64(bad: int) -> None:
    with pytest.raises(ValueError):
        check_timestamp(bad)
