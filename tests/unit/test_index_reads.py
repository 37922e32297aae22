"""Index key lookups: which WHERE clauses pin an index key, and the arrangement lookup."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

import pytest

from pymz.adapter.index_reads import MAX_LOOKUP_KEYS, lookup_keys
from pymz.compute.dataflow import Dataflow, Input, Output
from pymz.errors import PymzError
from pymz.repr.types import Column, ScalarType

K = [Column("k", ScalarType.INT4)]
KS = [Column("k", ScalarType.INT8), Column("s", ScalarType.TEXT)]


@pytest.mark.parametrize(("sql", "key", "params", "want"), [
    ("select * from v where k = 5", K, (), ((5,),)),
    ("select * from V where K = -5", K, (), ((-5,),)),
    ("select a from s.v as x where x.k in (1, 2, 1) and b > 3", K, (), ((1,), (2,))),
    ("select a from v where k = $1", K, (7,), ((7,),)),
    ("select a from v where (k = 1) and k in (1, 2)", K, (), ((1,),)),
    ("select a from v where k = 1 and k = 2", K, (), ()),
    ("select count(*) from v where s = 'x' and k in (1, 2)", KS, (), ((1, "x"), (2, "x"))),
])
def test_pinned_keys(sql: str, key: list[Column], params: tuple[object, ...],
                     want: tuple[tuple[object, ...], ...]) -> None:
    assert lookup_keys(sql, "v", key, params) == want


@pytest.mark.parametrize(("sql", "params"), [
    ("select * from v", ()),
    ("select * from v where k = 1 or k = 2", ()),            # OR
    ("select * from v where k > 1", ()),                     # range
    ("select * from v where k = '1'", ()),                   # a string for an int column
    ("select * from v where k = 1.5", ()),                   # not an integer
    ("select * from v where k = $1", ("1",)),                # a text parameter
    ("select * from v where k = $1", (True,)),               # bool is not int here
    ("select * from v where k = $2", (1,)),                  # no such parameter
    ("select * from v where k + 0 = 1", ()),                 # an expression
    ("select * from v where y.k = 1", ()),                   # another relation's column
    ("select * from v where k = 1 and a in (select a from v)", ()),  # read twice
    ("select * from v join u on true where k = 1", ()),      # a join
    ('select * from "V" where k = 1', ()),                   # a different (quoted) name
    ("with c as (select 1) select * from v where k = 1", ()),
    ("select * from v where s = 'x'", ()),                   # only part of the key
    ("not sql at all", ()),
])
def test_unpinned_or_unsafe(sql: str, params: tuple[object, ...]) -> None:
    key = KS if "s =" in sql else K
    assert lookup_keys(sql, "v", key, params) is None


def test_too_many_combinations_read_the_whole_index() -> None:
    n = int(MAX_LOOKUP_KEYS ** 0.5) + 1
    ks = ", ".join(str(i) for i in range(n))
    ss = ", ".join(f"'{i}'" for i in range(n))
    assert lookup_keys(f"select * from v where k in ({ks}) and s in ({ss})", "v", KS) is None


def test_output_lookup_finds_exactly_the_keyed_rows_at_a_time() -> None:
    df = Dataflow()
    inp = Input(df, 3)
    out = Output(inp, key=(0, 1))
    inp.send_rows([(i % 10, f"s{i % 3}", i) for i in range(300)], 0)
    inp.send_rows([(1, "s1", 1)], 1, -1)          # retracted at 1
    inp.send_rows([(1, "s1", 1000)], 2)           # added at 2
    inp.advance_to(3)
    df.run()

    def want(t: int, keys: Sequence[tuple[object, ...]]) -> Counter[tuple[object, ...]]:
        return Counter({r: m for r, m in out.rows(t) if (r[0], r[1]) in keys})

    for t in (0, 1, 2):
        for keys in ([(1, "s1")], [(1, "s1"), (4, "s0"), (4, "s0")], [(99, "s1")], []):
            b = out.lookup(t, keys)
            got = Counter(dict(zip(b.rows(), b.diff.tolist(), strict=True)))
            assert got == want(t, keys)
    assert (1, "s1", 1) in out.lookup(0, [(1, "s1")]).rows()
    assert (1, "s1", 1) not in out.lookup(1, [(1, "s1")]).rows()
    assert (1, "s1", 1000) in out.lookup(2, [(1, "s1")]).rows()
    with pytest.raises(PymzError, match="not complete"):
        out.lookup(3, [(1, "s1")])
