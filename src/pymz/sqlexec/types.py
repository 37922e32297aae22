"""Mapping between :class:`ScalarType` and DuckDB types, and result-value conversion.

The mapping is lossy in one direction only where DuckDB has no matching type: TEXT, VARCHAR
and CHAR all load as VARCHAR and come back as TEXT. Two DuckDB types that plain SQL rarely
produces are reserved so that catalog columns keep their identity through a query: OID is
stored as UINTEGER and MZ_TIMESTAMP as UBIGINT, so a UINTEGER result is reported as OID and a
UBIGINT result as MZ_TIMESTAMP.
"""

from __future__ import annotations

import decimal
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pyarrow as pa  # type: ignore[import-untyped]
from duckdb.sqltypes import DuckDBPyType

from pymz.repr import Column, Interval, ScalarType

# NUMERIC loads as DECIMAL(38, 10): DuckDB has no arbitrary-precision decimal, and 28 integer
# digits plus 10 fractional ones covers every numeric the catalog produces.
NUMERIC_DUCKDB = "DECIMAL(38,10)"

DUCKDB_TYPE: dict[ScalarType, str] = {
    ScalarType.BOOL: "BOOLEAN",
    ScalarType.BYTEA: "BLOB",
    ScalarType.INT2: "SMALLINT",
    ScalarType.INT4: "INTEGER",
    ScalarType.INT8: "BIGINT",
    ScalarType.OID: "UINTEGER",
    ScalarType.FLOAT4: "REAL",
    ScalarType.FLOAT8: "DOUBLE",
    ScalarType.NUMERIC: NUMERIC_DUCKDB,
    ScalarType.TEXT: "VARCHAR",
    ScalarType.VARCHAR: "VARCHAR",
    ScalarType.CHAR: "VARCHAR",
    ScalarType.DATE: "DATE",
    ScalarType.TIME: "TIME",
    ScalarType.TIMESTAMP: "TIMESTAMP",
    ScalarType.TIMESTAMPTZ: "TIMESTAMPTZ",
    ScalarType.INTERVAL: "INTERVAL",
    ScalarType.JSONB: "JSON",
    ScalarType.UUID: "UUID",
    ScalarType.MZ_TIMESTAMP: "UBIGINT",
    ScalarType.UNKNOWN: "VARCHAR",
}

# Arrow types used to ship snapshot rows into DuckDB. NUMERIC, JSONB and UUID travel as
# strings and are cast by DuckDB (arrow's decimal128 refuses values it would have to round).
_ARROW_TYPE: dict[ScalarType, pa.DataType] = {
    ScalarType.BOOL: pa.bool_(),
    ScalarType.BYTEA: pa.binary(),
    ScalarType.INT2: pa.int16(),
    ScalarType.INT4: pa.int32(),
    ScalarType.INT8: pa.int64(),
    ScalarType.OID: pa.uint32(),
    ScalarType.FLOAT4: pa.float32(),
    ScalarType.FLOAT8: pa.float64(),
    ScalarType.NUMERIC: pa.string(),
    ScalarType.TEXT: pa.string(),
    ScalarType.VARCHAR: pa.string(),
    ScalarType.CHAR: pa.string(),
    ScalarType.DATE: pa.date32(),
    ScalarType.TIME: pa.time64("us"),
    ScalarType.TIMESTAMP: pa.timestamp("us"),
    ScalarType.TIMESTAMPTZ: pa.timestamp("us", tz="UTC"),
    ScalarType.INTERVAL: pa.month_day_nano_interval(),
    ScalarType.JSONB: pa.string(),
    ScalarType.UUID: pa.string(),
    ScalarType.MZ_TIMESTAMP: pa.uint64(),
    ScalarType.UNKNOWN: pa.string(),
}


def duckdb_type(col: Column) -> str:
    base = DUCKDB_TYPE[col.type]
    return base + "[]" if col.is_array else base


def _to_arrow_scalar(t: ScalarType, v: object) -> object:
    if v is None:
        return None
    if t in (ScalarType.NUMERIC, ScalarType.UUID):
        return str(v)
    if t is ScalarType.INTERVAL:
        if not isinstance(v, Interval):
            raise TypeError(f"interval value must be pymz.repr.Interval, got {type(v).__name__}")
        return pa.scalar(
            (v.months, v.days, v.microseconds * 1000), type=pa.month_day_nano_interval()
        )
    return v


def arrow_column(col: Column, values: list[object]) -> pa.Array:
    """Build one arrow column from Python values following repr conventions."""
    t = col.type
    if col.is_array:
        conv: list[object] = [
            None if v is None else [_to_arrow_scalar(t, e) for e in v]  # type: ignore[attr-defined]
            for v in values
        ]
        return pa.array(conv, type=pa.list_(_ARROW_TYPE[t]))
    return pa.array([_to_arrow_scalar(t, v) for v in values], type=_ARROW_TYPE[t])


# --- results -------------------------------------------------------------------------------

_SIMPLE_RESULT: dict[str, ScalarType] = {
    "BOOLEAN": ScalarType.BOOL,
    "BLOB": ScalarType.BYTEA,
    "TINYINT": ScalarType.INT2,
    "SMALLINT": ScalarType.INT2,
    "UTINYINT": ScalarType.INT2,
    "INTEGER": ScalarType.INT4,
    "USMALLINT": ScalarType.INT4,
    "BIGINT": ScalarType.INT8,
    "UINTEGER": ScalarType.OID,
    "UBIGINT": ScalarType.MZ_TIMESTAMP,
    "HUGEINT": ScalarType.NUMERIC,
    "UHUGEINT": ScalarType.NUMERIC,
    "BIGNUM": ScalarType.NUMERIC,
    "VARINT": ScalarType.NUMERIC,
    "REAL": ScalarType.FLOAT4,
    "FLOAT": ScalarType.FLOAT4,
    "DOUBLE": ScalarType.FLOAT8,
    "VARCHAR": ScalarType.TEXT,
    "DATE": ScalarType.DATE,
    "TIME": ScalarType.TIME,
    "TIMESTAMP": ScalarType.TIMESTAMP,
    "TIMESTAMP WITH TIME ZONE": ScalarType.TIMESTAMPTZ,
    "INTERVAL": ScalarType.INTERVAL,
    "JSON": ScalarType.JSONB,
    "UUID": ScalarType.UUID,
}

_DECIMAL_RE = re.compile(r"^DECIMAL\(\d+,\s*\d+\)$")


@dataclass(frozen=True)
class ResultType:
    """How one DuckDB result column is reported and how its values are converted.

    ``exact`` is False when the DuckDB type had no counterpart and values are stringified.
    """

    type: ScalarType
    is_array: bool
    exact: bool


def result_type(duck: DuckDBPyType | str) -> ResultType:
    s = str(duck).strip()
    is_array = False
    if s.endswith("[]"):
        is_array = True
        s = s[:-2]
        if s.endswith("[]"):
            # Nested arrays have no representation here; report them as text.
            return ResultType(ScalarType.TEXT, False, False)
    if _DECIMAL_RE.match(s):
        return ResultType(ScalarType.NUMERIC, is_array, True)
    if s in ("TIMESTAMP_S", "TIMESTAMP_MS", "TIMESTAMP_NS"):
        return ResultType(ScalarType.TIMESTAMP, is_array, True)
    if s == '"NULL"':
        # PostgreSQL types a bare NULL literal as text.
        return ResultType(ScalarType.TEXT, is_array, True)
    st = _SIMPLE_RESULT.get(s)
    if st is None:
        return ResultType(ScalarType.TEXT, False, False)
    return ResultType(st, is_array, True)


# The default context rounds to 28 digits; DuckDB decimals carry up to 38.
_WIDE = decimal.Context(prec=80)


def _normalize_decimal(d: decimal.Decimal) -> decimal.Decimal:
    # Materialize prints numerics without trailing fractional zeros; DuckDB pads to the scale.
    if not d.is_finite():
        return d
    n = d.normalize(_WIDE)
    exp = n.as_tuple().exponent
    if isinstance(exp, int) and exp > 0:
        n = n.quantize(decimal.Decimal(1), context=_WIDE)
    return n


def _scalar_converter(t: ScalarType) -> Callable[[Any], object]:
    if t is ScalarType.NUMERIC:
        return lambda v: _normalize_decimal(
            v if isinstance(v, decimal.Decimal) else decimal.Decimal(v)
        )
    if t is ScalarType.UUID:
        return lambda v: v if isinstance(v, uuid.UUID) else uuid.UUID(str(v))
    if t is ScalarType.INTERVAL:
        return lambda v: Interval(v.months, v.days, v.nanoseconds // 1000)
    if t is ScalarType.INT2:
        return int
    if t is ScalarType.TEXT:
        return lambda v: v if isinstance(v, str) else str(v)
    return lambda v: v


def value_converter(rt: ResultType) -> Callable[[Any], object]:
    """A function turning one arrow ``to_pylist`` value into the repr convention."""
    if not rt.exact:
        return lambda v: None if v is None else str(v)
    conv = _scalar_converter(rt.type)
    if rt.is_array:
        return lambda v: None if v is None else [None if e is None else conv(e) for e in v]
    return lambda v: None if v is None else conv(v)
