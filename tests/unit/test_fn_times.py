"""Date and time functions (pymz.expr.library.times*): what the PostgreSQL corpus cannot show.

Departures tested here: years outside 1..9999 (22008), infinite values and 24:00:00 (0A000),
the current time in maintained plans (0A000); also the evaluator = dataflow renderer on a
larger table, the operator table the planner uses (:func:`temporal_operator`), the sqlglot
parsing adjustments, and that no Python exception escapes an implementation.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import random
from collections.abc import Callable, Sequence
from decimal import Decimal

import pytest
import sqlglot
from sqlglot import exp
from tests.sqlcheck import one, pymz_outcomes, sqlstate

from pymz import errors
from pymz.compute.render import CompiledDataflow
from pymz.expr import finish, optimize, plan, run_query
from pymz.expr.dialect import Pymz
from pymz.expr.funcs import FUNCS, cast_value, parse_interval
from pymz.expr.library.times import temporal_operator
from pymz.expr.library.times_zone import zone_iso, zone_named
from pymz.repr import Column, Interval, ScalarType

T = ScalarType
UTC = dt.UTC








def call(func: str, args: Sequence[object], t: ScalarType) -> object:
    return FUNCS[func].impl(args, t)


# --- departures -----------------------------------------------------------------------------


@pytest.mark.parametrize("sql", [
    "select date '9999-12-31' + 1",
    "select timestamp '9999-12-31 23:00' + interval '2 hours'",
    "select timestamptz '0001-01-01 00:30+00' - interval '1 hour'",
    "select date '0001-01-01' - interval '1 day'",
    "select make_date(10000, 1, 1)",
    "select make_date(-44, 3, 15)",
    "select make_timestamp(9999, 12, 31, 23, 59, 60)",
    "select to_timestamp(1e12)",
    "select '0044-03-15 BC'::date",
    "select '10000-01-01'::date",
    "select date_trunc('week', timestamp '0001-01-02') - interval '1 day'",
    "select timezone('Asia/Tokyo', timestamptz '9999-12-31 23:00+00')",
    "select timezone('Asia/Tokyo', timestamp '0001-01-01 01:00')",
    "select date_bin('1000 days', timestamp '9999-12-31', timestamp '0001-01-01') "
    "+ interval '1000 days'",
])
def test_years_outside_1_to_9999_are_out_of_range(sql: str) -> None:
    # Departure: PostgreSQL has years 4713 BC .. 294276 AD; Python's datetime 1 .. 9999.
    assert sqlstate(sql) == "22008", sql


@pytest.mark.parametrize("sql", [
    "select 'infinity'::timestamp", "select '-infinity'::date",
    "select 'infinity'::timestamptz", "select '24:00'::time", "select make_time(24, 0, 0)",
    "select 'now'::timestamptz", "select 'today'::date", "select to_timestamp('inf'::float8)",
    "select to_timestamp('2020', 'YYYY')", "select to_date('2020', 'YYYY')",
])
def test_unrepresentable_values_are_refused(sql: str) -> None:
    # Departure: no infinite dates, no 24:00:00, no time-dependent input, no to_date parsing.
    assert sqlstate(sql) == "0A000", sql


def test_current_time_stays_out_of_maintained_plans() -> None:
    for sql in ("select now()", "select current_timestamp", "select current_date",
                "select age(ts) from fx", "select localtime",
                "select date_trunc('day', now())"):
        assert sqlstate(sql) == "0A000", sql


def test_age_of_one_argument_uses_the_statement_time() -> None:
    def catalog(parts: tuple[str, ...]) -> tuple[str, list[Column]] | None:
        return ("u1", [Column("ts", T.TIMESTAMP)]) if parts[-1] == "t" else None

    now = dt.datetime(2024, 3, 15, 12, 30, tzinfo=UTC)
    q = plan("select age(ts) from t", catalog, now=now)
    got = run_query(q, {"u1": [(dt.datetime(2000, 2, 29, 6),)]})
    # age(x) = age(current_date, x): from 2000-02-29 06:00 to 2024-03-15 00:00
    assert got == [(Interval(24 * 12, 14, 18 * 3600 * 10**6),)]


# --- evaluator = dataflow on many values -----------------------------------------------------


def test_dataflow_matches_the_evaluator_on_random_values() -> None:
    rnd = random.Random(4)
    cols = (Column("id", T.INT4, False), Column("ts", T.TIMESTAMP), Column("iv", T.INTERVAL))
    data: list[tuple[object, ...]] = []
    for i in range(200):
        ts = dt.datetime(1900, 1, 1) + dt.timedelta(seconds=rnd.randrange(200 * 365 * 86400),
                                                    microseconds=rnd.randrange(10**6))
        iv = Interval(rnd.randint(-30, 30), rnd.randint(-40, 40), rnd.randint(-10**11, 10**11))
        data.append((i, None if i % 17 == 0 else ts, None if i % 13 == 0 else iv))

    def catalog(parts: tuple[str, ...]) -> tuple[str, Sequence[Column]] | None:
        return ("u_r", cols) if parts[-1] == "r" else None

    q = plan("select id, extract(epoch from ts), date_part('julian', ts), "
             "date_trunc('week', ts), to_char(ts, 'FMDay IYYY-IW HH12 AM'), "
             "ts at time zone 'Europe/Paris', justify_interval(iv), interval_mul(iv, 0.7), "
             "date_part('epoch', iv), age(ts, timestamp '2000-02-29'), "
             "date_bin('7 minutes', ts, timestamp '2001-01-01') from r", catalog)
    expected = sorted(run_query(q, {"u_r": data}), key=lambda r: r[0])  # type: ignore[arg-type,return-value]
    cd = CompiledDataflow(optimize(q.expr), {"u_r": cols}, as_of=1)
    cd.push("u_r", [(row, 1, 1) for row in data])
    cd.advance_all(2)
    cd.step()
    got = sorted(finish(cd.rows(1), q.finishing), key=lambda r: r[0])  # type: ignore[arg-type,return-value]
    assert got == expected


# --- the planner's operator table ------------------------------------------------------------


def test_temporal_operator_table() -> None:
    iv, tm = T.INTERVAL, T.TIME
    assert temporal_operator("mul", iv, T.INT4) == ("interval_mul", iv, T.FLOAT8, iv)
    assert temporal_operator("mul", T.NUMERIC, iv) == ("mul_d_interval", T.FLOAT8, iv, iv)
    assert temporal_operator("div", iv, T.FLOAT8) == ("interval_div", iv, T.FLOAT8, iv)
    assert temporal_operator("add", tm, iv) == ("time_pl_interval", tm, iv, tm)
    assert temporal_operator("add", tm, T.UNKNOWN) == ("time_pl_interval", tm, iv, tm)
    assert temporal_operator("sub", tm, T.UNKNOWN) == ("time_mi_time", tm, tm, iv)
    assert temporal_operator("sub", T.TIMESTAMP, T.TIMESTAMPTZ) == (
        "timestamp_mi", T.TIMESTAMPTZ, T.TIMESTAMPTZ, iv)
    assert temporal_operator("sub", T.DATE, T.UNKNOWN) == ("sub", T.DATE, T.DATE, T.INT4)
    assert temporal_operator("add", T.DATE, tm) == ("datetime_pl", T.DATE, tm, T.TIMESTAMP)
    assert temporal_operator("add", T.INT4, T.INT4) is None
    assert temporal_operator("add", T.TIMESTAMP, iv) is None  # the planner's own table
    for key, *_ in filter(None, (temporal_operator(o, a, b) for o in ("add", "sub", "mul")
                                 for a in (iv, tm, T.DATE, T.TIMESTAMP, T.UNKNOWN)
                                 for b in (iv, tm, T.DATE, T.TIMESTAMPTZ, T.INT4))):
        assert key in FUNCS


def test_operator_implementations() -> None:
    day = Interval(0, 1, 0)
    assert call("interval_mul", [Interval(1, 0, 0), 0.5], T.INTERVAL) == Interval(0, 15, 0)
    assert call("interval_div", [day, 3.0], T.INTERVAL) == Interval(0, 0, 28_800_000_000)
    with pytest.raises(errors.DivisionByZero):
        call("interval_div", [day, 0.0], T.INTERVAL)
    with pytest.raises(errors.PymzError) as e:
        call("interval_mul", [Interval(10**9, 0, 0), 100.0], T.INTERVAL)
    assert e.value.sqlstate == "22008"
    assert call("time_pl_interval", [dt.time(23, 30), Interval(0, 0, 3600 * 10**6)],
                T.TIME) == dt.time(0, 30)
    assert call("time_mi_time", [dt.time(1), dt.time(23)], T.INTERVAL) == Interval(
        0, 0, -22 * 3600 * 10**6)
    # timestamp - timestamp keeps the sign on both parts (not timedelta's floored days)
    assert call("sub", [dt.datetime(2020, 1, 1), dt.datetime(2020, 1, 2, 1)],
                T.INTERVAL) == Interval(0, -1, -3600 * 10**6)


# --- parsing ---------------------------------------------------------------------------------


def _select(sql: str) -> exp.Expr:
    e: exp.Expr = sqlglot.parse_one(f"select {sql}", read=Pymz).expressions[0]
    return e


def test_planner_dialect_keeps_postgres_calls() -> None:
    assert isinstance(_select("date_part('year', x)"), exp.Anonymous)
    fmt = _select("to_char(x, 'FMDay YYYY')")
    assert isinstance(fmt, exp.Anonymous) and fmt.expressions[1].name == "FMDay YYYY"
    assert [a.name for a in _select("date_bin('1 h', x, y)").expressions] == ["1 h", "x", "y"]
    assert _select("date_trunc(t, x)").expressions[0].name == "t"
    assert _select("interval '1 day ago'").this.name == "1 day ago"
    assert _select("interval '-1 day -02:00'").this.name == "-1 day -02:00"
    # sqlglot's own PostgreSQL dialect (used by the snapshot executor) is left as it is.
    plain = sqlglot.parse_one("select date_part('year', x)", read="postgres").expressions[0]
    assert isinstance(plain, exp.Extract)


def test_output_names_and_types() -> None:
    ref, _ = pymz_outcomes("select extract(year from d), date_part('year', d), "
                           "date_trunc('day', d), d at time zone 'UTC', to_char(d, 'YYYY') "
                           "from fx")
    assert ref.names == ("extract", "date_part", "date_trunc", "timezone", "to_char")
    assert ref.oids == (T.NUMERIC.oid, T.FLOAT8.oid, T.TIMESTAMPTZ.oid, T.TIMESTAMP.oid,
                        T.TEXT.oid)


def test_interval_input() -> None:
    assert parse_interval("1 year 2 mons 3 days 04:05:06.5") == Interval(
        14, 3, 14_706_500_000)
    assert parse_interval("P1Y2M3DT4H5M6S") == Interval(14, 3, 14_706_000_000)
    assert parse_interval("1.04 years") == Interval(12, 0, 0)  # year fractions: whole months
    assert parse_interval("-1-2") == Interval(-14, 0, 0)
    assert parse_interval("3 4:05") == Interval(0, 3, 14_700_000_000)
    for bad in ("1 day 2 days", "3 4", "", "P", "1 fortnight", "p1d"):
        with pytest.raises(errors.PymzError) as e:
            parse_interval(bad)
        assert e.value.sqlstate == "22007", bad
    with pytest.raises(errors.PymzError) as e:
        parse_interval("2147483648 days")
    assert e.value.sqlstate == "22015"


def test_casts_between_temporal_types() -> None:
    stamp = dt.datetime(2020, 7, 1, 22, 30, tzinfo=UTC)
    assert cast_value(stamp, T.DATE) == dt.date(2020, 7, 1)
    assert cast_value(stamp, T.TIME) == dt.time(22, 30)
    assert cast_value(Interval(0, 2, 25 * 3600 * 10**6), T.TIME) == dt.time(1)
    assert cast_value(dt.time(1, 2), T.INTERVAL) == Interval(0, 0, 3720 * 10**6)
    assert cast_value("2020-07-01 10:00 America/New_York", T.TIMESTAMPTZ) == dt.datetime(
        2020, 7, 1, 14, tzinfo=UTC)
    with pytest.raises(errors.PymzError) as e:
        cast_value(5, T.DATE)
    assert e.value.sqlstate == "42846"


def test_zones() -> None:
    assert zone_named("+02").offset == -7200  # POSIX: hours west of Greenwich
    assert zone_iso("+02").offset == 7200  # ISO 8601: hours east
    assert zone_named("est").offset == -5 * 3600
    with pytest.raises(errors.InvalidParameterValue):
        zone_named("Not/AZone")
    with pytest.raises(errors.InvalidParameterValue):
        zone_named("../../etc/passwd")  # only names the tz database lists are opened
    with pytest.raises(errors.InvalidParameterValue):
        zone_iso("2")


# --- errors ----------------------------------------------------------------------------------


def test_to_char_errors() -> None:
    assert sqlstate("select to_char(interval '1 day', 'Mon')") == "22007"
    assert sqlstate("select to_char(interval '1 day', 'IW')") == "0A000"
    assert sqlstate("select to_char(5, '9.9.9')") == "42601"
    assert sqlstate("select to_char(5, 'S9MI')") == "42601"
    assert sqlstate("select to_char(5, '9EEEE9')") == "42601"
    assert one("select to_char(5, '')") == ""


def _attempt(f: Callable[..., object], *args: object) -> None:
    """Run ``f``: a PymzError is a fine outcome, any other exception fails the test."""
    with contextlib.suppress(errors.PymzError):
        f(*args)


def test_no_python_exception_escapes() -> None:
    rnd = random.Random(1)
    values: list[object] = [dt.datetime(1, 1, 1), dt.datetime(9999, 12, 31, 23, 59, 59),
                            dt.datetime(2020, 2, 29, tzinfo=UTC), dt.date(9999, 12, 31),
                            dt.time(23, 59, 59, 999999), Interval(2**31 - 1, 2**31 - 1, 2**63 - 1),
                            Interval(-(2**31), -(2**31), -(2**63)), Interval(0, 0, 0)]
    words = ["year", "epoch", "julian", "week", "x", "", "microseconds", "timezone_m",
             "millennium", "YYYY", "9.99EEEE", "RN", "FMDay", "%", '"', "Dy TH", "S9999V9"]
    stamps = [v for v in values if isinstance(v, dt.datetime | Interval)]
    for _ in range(3000):
        w, v, st = rnd.choice(words), rnd.choice(values), rnd.choice(stamps)
        _attempt(call, "extract", [w, v], T.NUMERIC)
        _attempt(call, "extract", [w, v], T.FLOAT8)
        _attempt(call, "date_trunc", [w, st], T.TIMESTAMP)
        _attempt(call, "to_char", [st, w], T.TEXT)
    numbers: dict[str, list[object]] = {
        "to_char_int8": [0, -1, 2**63 - 1, -(2**63)],
        "to_char_float8": [1e308, float("nan"), float("-inf"), -0.0, 5e-324],
        "to_char_numeric": [Decimal("1e30"), Decimal("-0.5"), Decimal("NaN"),
                            Decimal("Infinity"), Decimal("-Infinity")]}
    for key, vals in numbers.items():
        for n in vals:
            for w in words:
                _attempt(call, key, [n, w], T.TEXT)
    for text in ["", " ", "P", "1e999 days", "9" * 5000 + " days", "99999-01-01",
                 "2020-01-01 99:00", "2020-13-45", "10:00 PM PM", "T", "2020-01-01 EST PST"]:
        for to in (T.DATE, T.TIME, T.TIMESTAMP, T.TIMESTAMPTZ, T.INTERVAL):
            _attempt(cast_value, text, to)
    for secs in (1e300, -1e300, 0.5, -62135596800.0, 253402300800.0):
        _attempt(call, "to_timestamp", [secs], T.TIMESTAMPTZ)
    for f in (1e300, -1e-300, 3.0):
        for iv in values[5:]:
            _attempt(call, "interval_mul", [iv, f], T.INTERVAL)
            _attempt(call, "interval_div", [iv, f], T.INTERVAL)
