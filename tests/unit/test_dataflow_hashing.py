"""Row hashing and hash ordering: the vectorised paths agree with Python's semantics."""

from __future__ import annotations

import math
from decimal import Decimal

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pymz.compute.dataflow import Batch, Spine
from pymz.compute.dataflow.batch import column, hash_order, hash_rows, value_hashes

INT64 = st.integers(-(2**63), 2**63 - 1)


@settings(max_examples=200, deadline=None)
@given(st.lists(INT64, min_size=1, max_size=50))
def test_int64_hashes_are_pythons(values: list[int]) -> None:
    col = np.array(values, dtype=np.int64)
    assert value_hashes(col).tolist() == [hash(v) for v in values]


def test_int64_edge_hashes_are_pythons() -> None:
    values = [0, 1, -1, -2, 2**61 - 2, 2**61 - 1, 2**61, -(2**61) + 1, -(2**61),
              2**63 - 1, -(2**63), -(2**63) + 1]
    assert value_hashes(np.array(values, dtype=np.int64)).tolist() == [hash(v) for v in values]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.floats(allow_nan=False), min_size=1, max_size=50))
def test_float64_hashes_are_pythons(values: list[float]) -> None:
    col = np.array(values, dtype=np.float64)
    assert value_hashes(col).tolist() == [hash(v) for v in values]


def test_float64_special_hashes() -> None:
    values = [0.0, -0.0, 0.5, -0.5, 1.0, -1.0, 5e-324, -5e-324, 2.2250738585072014e-308,
              1.7976931348623157e308, 2.0**61, 2.0**63, -(2.0**63), 0.1, math.inf, -math.inf]
    many = values * 4  # beyond the few-rows path
    assert value_hashes(np.array(many)).tolist() == [hash(v) for v in many]
    # NaN equals nothing, so any hash will do; numpy's path gives 0.
    assert value_hashes(np.full(64, math.nan)).tolist() == [0] * 64


def test_bool_hashes_are_pythons() -> None:
    assert value_hashes(np.array([True, False])).tolist() == [hash(True), hash(False)]


def test_equal_rows_hash_alike_whatever_the_dtypes() -> None:
    ints = np.array([5, -1, 0, 2**40], dtype=np.int64)
    objs = np.array([5, -1, 0, 2**40], dtype=object)
    floats = np.array([5.0, -1.0, 0.0, 2.0**40])
    decimals = np.array([Decimal(5), Decimal(-1), Decimal(0), Decimal(2**40)], dtype=object)
    text = np.array(["a", "b", "c", "d"], dtype=object)
    expected = hash_rows([ints, text], 4)
    for col in (objs, floats, decimals):
        assert hash_rows([col, text], 4).tolist() == expected.tolist()
    # Column order matters: (a, b) and (b, a) are different rows.
    assert hash_rows([text, ints], 4).tolist() != expected.tolist()


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 4), st.integers(0, 4), st.integers(0, 3)), max_size=60),
       st.booleans())
def test_hash_order_sorts_like_lexsort(triples: list[tuple[int, int, int]], presorted: bool
                                       ) -> None:
    if presorted:  # a merge's input: two sorted runs back to back
        half = len(triples) // 2
        triples = sorted(triples[:half]) + sorted(triples[half:])
    k = np.array([t[0] for t in triples], dtype=np.int64)
    r = np.array([t[1] for t in triples], dtype=np.int64)
    t = np.array([t[2] for t in triples], dtype=np.uint64)
    got = hash_order(k, r, t)
    assert got.tolist() == np.lexsort((t, r, k)).tolist()


def test_spine_lookup_across_column_dtypes() -> None:
    sp = Spine((0,), 2, small=0)
    sp.insert(Batch((np.array([1, 2, 3], dtype=np.int64), np.array([0.5, 1.5, 2.5])),
                    np.zeros(3, dtype=np.uint64), np.ones(3, dtype=np.int64)))
    # The same rows with object columns (as a batch holding a NULL would have) cancel them.
    sp.insert(Batch((np.array([1, None], dtype=object), np.array([0.5, None], dtype=object)),
                    np.zeros(2, dtype=np.uint64), np.array([-1, 1], dtype=np.int64)))
    while sp.exert(1000):
        pass
    assert sorted(sp.snapshot(0).updates(), key=repr) == sorted(
        [((2, 1.5), 0, 1), ((3, 2.5), 0, 1), ((None, None), 0, 1)], key=repr)
    key = [np.array([3.0])]
    _, found = sp.lookup(hash_rows(key, 1), key)
    assert found.rows() == [(3, 2.5)]


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(INT64, st.floats(allow_nan=False), st.sampled_from([None, "x", True])),
                min_size=1, max_size=40))
def test_few_rows_hash_like_many(rows: list[tuple[int, float, object]]) -> None:
    # Batches of a few rows are hashed in Python, larger ones with numpy: same hashes.
    padded = rows * (40 // len(rows) + 1)
    cols = [np.array([r[0] for r in padded], dtype=np.int64),
            np.array([r[1] for r in padded]),
            np.array([r[2] for r in padded], dtype=object)]
    many = hash_rows(cols, len(padded))
    for i in range(len(rows)):
        assert hash_rows([c[i:i + 1] for c in cols], 1)[0] == many[i]


@pytest.mark.parametrize("probes", [10, 300])  # below and above the sorted-probe threshold
def test_lookup_returns_each_probes_matches(probes: int) -> None:
    rng = np.random.default_rng(5)
    sp = Spine((0,), 2, small=0)
    model: dict[object, list[tuple[object, ...]]] = {}
    for part in range(4):  # several runs
        keys = rng.integers(0, 150, 120).tolist()
        rows = [(k, f"{part}-{i}") for i, k in enumerate(keys)]
        sp.insert(Batch.from_rows(rows, 0))
        for r in rows:
            model.setdefault(r[0], []).append(r)
    # -1 and -2 collide in Python's hash; None and absent keys match nothing.
    sp.insert(Batch.from_rows([(-1, "x"), (-2, "y")], 0))
    model[-1], model[-2] = [(-1, "x")], [(-2, "y")]
    probe_keys: list[object] = [*rng.integers(-2, 200, probes).tolist(), None]
    key = [column(probe_keys)]
    pi, found = sp.lookup(hash_rows(key, len(probe_keys)), key)
    got: dict[int, list[tuple[object, ...]]] = {}
    for i, row in zip(pi.tolist(), found.rows(), strict=True):
        got.setdefault(i, []).append(row)
    want = {i: model[k] for i, k in enumerate(probe_keys) if k in model}
    assert {i: sorted(v) for i, v in got.items()} == {i: sorted(v) for i, v in want.items()}
