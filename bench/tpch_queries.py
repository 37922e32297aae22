"""TPC-H tables (the columns the benchmark loads) and the queries, adapted to the planner.

Only the columns the queries read are loaded (the others would only add per-row cost to
hydration); decimals are loaded as float8 (the engine's vectorised path; numeric would run
per row as ``Decimal``), dates as ``date``.
"""

from __future__ import annotations

from pymz.repr.types import Column, ScalarType

_I, _F, _T, _D = ScalarType.INT8, ScalarType.FLOAT8, ScalarType.TEXT, ScalarType.DATE

TABLES: dict[str, tuple[Column, ...]] = {
    "lineitem": tuple(Column(n, t, nullable=False) for n, t in [
        ("l_orderkey", _I), ("l_linenumber", _I), ("l_quantity", _F),
        ("l_extendedprice", _F), ("l_discount", _F), ("l_tax", _F), ("l_returnflag", _T),
        ("l_linestatus", _T), ("l_shipdate", _D)]),
    "orders": tuple(Column(n, t, nullable=False) for n, t in [
        ("o_orderkey", _I), ("o_custkey", _I), ("o_totalprice", _F), ("o_orderdate", _D),
        ("o_orderpriority", _T), ("o_shippriority", _I)]),
    "customer": tuple(Column(n, t, nullable=False) for n, t in [
        ("c_custkey", _I), ("c_nationkey", _I), ("c_mktsegment", _T)]),
    "nation": tuple(Column(n, t, nullable=False) for n, t in [
        ("n_nationkey", _I), ("n_name", _T)]),
}

# Q3 before its ORDER BY ... LIMIT (also the fallback when the planner cannot plan the LIMIT).
_Q3_GROUPS = """
          select l_orderkey, sum(l_extendedprice * (1 - l_discount)) as revenue,
                 o_orderdate, o_shippriority
          from customer, orders, lineitem
          where c_mktsegment = 'BUILDING' and c_custkey = o_custkey
            and l_orderkey = o_orderkey and o_orderdate < date '1995-03-15'
            and l_shipdate > date '1995-03-15'
          group by l_orderkey, o_orderdate, o_shippriority"""

# name -> (sql, table whose rows the refresh batches change, fallback sql or None)
QUERIES: dict[str, tuple[str, str, str | None]] = {
    "Q1": ("""
        select l_returnflag, l_linestatus, sum(l_quantity) as sum_qty,
               sum(l_extendedprice) as sum_base_price,
               sum(l_extendedprice * (1 - l_discount)) as sum_disc_price,
               sum(l_extendedprice * (1 - l_discount) * (1 + l_tax)) as sum_charge,
               avg(l_quantity) as avg_qty, avg(l_extendedprice) as avg_price,
               avg(l_discount) as avg_disc, count(*) as count_order
        from lineitem
        where l_shipdate <= date '1998-09-02'
        group by l_returnflag, l_linestatus""", "lineitem", None),
    # Q3 with its ORDER BY ... LIMIT 10 inside a derived table: a TopK in the dataflow.
    "Q3": (f"""
        select * from ({_Q3_GROUPS}
          order by revenue desc, o_orderdate, l_orderkey
          limit 10) t""", "lineitem", _Q3_GROUPS),
    "revenue_by_nation": ("""
        select n_name, sum(l_extendedprice * (1 - l_discount)) as revenue,
               count(*) as lines
        from nation, customer, orders, lineitem
        where n_nationkey = c_nationkey and c_custkey = o_custkey
          and o_orderkey = l_orderkey
        group by n_name""", "lineitem", None),
    "topk_orders_per_priority": ("""
        select p.o_orderpriority, t.o_orderkey, t.o_totalprice
        from (select distinct o_orderpriority from orders) p,
             lateral (select o_orderkey, o_totalprice from orders o
                      where o.o_orderpriority = p.o_orderpriority
                      order by o_totalprice desc, o_orderkey limit 3) t""", "orders", None),
}
