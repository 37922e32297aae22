"""SQL type names of table columns: parsing into ScalarTypes, and assignment rules.

``resolve_type`` turns a written type (``varchar(10)``, ``numeric(10, 2)``, ``int[]``) into
a ScalarType, array flag and PostgreSQL typmod. ``check_assignable`` applies PostgreSQL's
assignment-cast rules between type categories, so ``INSERT INTO t (int_col) VALUES (true)``
fails with 42804 as it does in PostgreSQL, while ``'42'`` or ``1.5`` are accepted and cast.
"""

from __future__ import annotations

import decimal

from pymz.catalog import TableColumn
from pymz.errors import (
    DatatypeMismatch,
    FeatureNotSupported,
    InvalidParameterValue,
    NumericValueOutOfRange,
    PymzError,
    UndefinedObject,
)
from pymz.repr import Column, ScalarType
from pymz.sql import ast

T = ScalarType

_NAMES: dict[str, ScalarType] = {
    "bool": T.BOOL, "boolean": T.BOOL,
    "bytea": T.BYTEA,
    "int2": T.INT2, "smallint": T.INT2,
    "int": T.INT4, "int4": T.INT4, "integer": T.INT4,
    "int8": T.INT8, "bigint": T.INT8,
    "oid": T.OID,
    "real": T.FLOAT4, "float4": T.FLOAT4,
    "float8": T.FLOAT8, "double precision": T.FLOAT8, "double": T.FLOAT8,
    "float": T.FLOAT8,
    "numeric": T.NUMERIC, "decimal": T.NUMERIC,
    "text": T.TEXT, "string": T.TEXT,
    "varchar": T.VARCHAR, "character varying": T.VARCHAR,
    "char": T.CHAR, "character": T.CHAR, "bpchar": T.CHAR,
    "date": T.DATE,
    "time": T.TIME, "time without time zone": T.TIME,
    "timestamp": T.TIMESTAMP, "timestamp without time zone": T.TIMESTAMP,
    "timestamptz": T.TIMESTAMPTZ, "timestamp with time zone": T.TIMESTAMPTZ,
    "interval": T.INTERVAL,
    "jsonb": T.JSONB, "json": T.JSONB,
    "uuid": T.UUID,
    "mz_timestamp": T.MZ_TIMESTAMP,
}

_CATEGORY: dict[ScalarType, str] = {
    T.BOOL: "bool", T.BYTEA: "bytea", T.INT2: "num", T.INT4: "num", T.INT8: "num",
    T.OID: "num", T.FLOAT4: "num", T.FLOAT8: "num", T.NUMERIC: "num",
    T.MZ_TIMESTAMP: "num", T.TEXT: "str", T.VARCHAR: "str", T.CHAR: "str",
    T.UNKNOWN: "str", T.DATE: "datetime", T.TIMESTAMP: "datetime",
    T.TIMESTAMPTZ: "datetime", T.TIME: "time", T.INTERVAL: "interval", T.JSONB: "jsonb",
    T.UUID: "uuid",
}

# DuckDB spellings for casts in generated SQL (the executor maps them back).
SQL_NAME: dict[ScalarType, str] = {
    T.BOOL: "boolean", T.BYTEA: "bytea", T.INT2: "smallint", T.INT4: "integer",
    T.INT8: "bigint", T.OID: "oid", T.FLOAT4: "real", T.FLOAT8: "double precision",
    T.NUMERIC: "numeric", T.TEXT: "text", T.VARCHAR: "text", T.CHAR: "text",
    T.DATE: "date", T.TIME: "time", T.TIMESTAMP: "timestamp",
    T.TIMESTAMPTZ: "timestamptz", T.INTERVAL: "interval", T.JSONB: "jsonb", T.UUID: "uuid",
    T.MZ_TIMESTAMP: "mz_timestamp",
}


def scalar_of(type_name: str) -> ScalarType:
    return ScalarType.__members__[type_name]


class NotNullViolation(PymzError):
    sqlstate = "23502"


class StringDataRightTruncation(PymzError):
    sqlstate = "22001"


def resolve_type(dt: ast.DataType) -> tuple[ScalarType, bool, int]:
    """(scalar type, is array, typmod) for a written type."""
    name = dt.name.removeprefix("pg_catalog.")
    scalar = _NAMES.get(name)
    if scalar is None:
        raise UndefinedObject(f'type "{dt.name}" does not exist', position=dt.position or None)
    if dt.array_dims > 1:
        raise FeatureNotSupported("multidimensional arrays are not supported",
                                  position=dt.position or None)
    mods = dt.modifiers
    typmod = -1
    if scalar in (T.VARCHAR, T.CHAR):
        if len(mods) > 1 or (mods and mods[0] < 1):
            raise InvalidParameterValue(f"invalid length for type {name}",
                                        position=dt.position or None)
        length = mods[0] if mods else (1 if scalar is T.CHAR and name != "bpchar" else -1)
        typmod = length + 4 if length > 0 else -1
    elif scalar is T.NUMERIC and mods:
        precision, scale = mods[0], (mods[1] if len(mods) > 1 else 0)
        if not 1 <= precision <= 39 or not 0 <= scale <= precision:
            raise InvalidParameterValue(f"invalid NUMERIC type modifier ({precision}, {scale})",
                                        position=dt.position or None)
        typmod = ((precision << 16) | scale) + 4
    elif name == "float" and mods:
        scalar = T.FLOAT4 if mods[0] <= 24 else T.FLOAT8
    elif mods and scalar not in (T.TIMESTAMP, T.TIMESTAMPTZ, T.TIME, T.INTERVAL):
        raise InvalidParameterValue(f"type {name} does not take modifiers",
                                    position=dt.position or None)
    return scalar, dt.array_dims == 1, typmod


def type_text(column: TableColumn) -> str:
    """The type as PostgreSQL's format_type prints it (``character varying(10)``)."""
    scalar = scalar_of(column.type_name)
    base = scalar.type_name
    if column.type_mod >= 0:
        if scalar in (T.VARCHAR, T.CHAR):
            base += f"({column.type_mod - 4})"
        elif scalar is T.NUMERIC:
            mod = column.type_mod - 4
            base += f"({mod >> 16},{mod & 0xFFFF})"
    return base + ("[]" if column.is_array else "")


def cast_sql(column: TableColumn) -> str:
    name = SQL_NAME[scalar_of(column.type_name)]
    return name + ("[]" if column.is_array else "")


def to_column(column: TableColumn) -> Column:
    return Column(column.name, scalar_of(column.type_name), column.nullable, column.is_array)


def check_assignable(target: TableColumn, source: Column) -> None:
    if source.type is T.UNKNOWN:
        return
    target_type = scalar_of(target.type_name)
    ok = (source.is_array == target.is_array or source.type is T.TEXT) and (
        _CATEGORY[source.type] == _CATEGORY[target_type]
        or _CATEGORY[source.type] == "str"
        or _CATEGORY[target_type] == "str"
    )
    if not ok:
        src = source.type.type_name + ("[]" if source.is_array else "")
        raise DatatypeMismatch(
            f'column "{target.name}" is of type {type_text(target)} but expression is of '
            f"type {src}",
            hint="You will need to rewrite or cast the expression.")


def coerce_value(column: TableColumn, value: object) -> object:
    """Enforce NOT NULL and typmods on a value already cast to the column's type."""
    if value is None:
        if not column.nullable:
            raise NotNullViolation(
                f'null value in column "{column.name}" violates not-null constraint')
        return None
    if column.type_mod < 0 or column.is_array:
        return value
    scalar = scalar_of(column.type_name)
    if scalar in (T.VARCHAR, T.CHAR) and isinstance(value, str):
        length = column.type_mod - 4
        if scalar is T.CHAR:
            stripped = value.rstrip(" ")
            if len(stripped) > length:
                raise StringDataRightTruncation(
                    f"value too long for type character({length})")
            return stripped.ljust(length)
        if len(value) > length:
            if not value[length:].strip(" "):
                return value[:length]
            raise StringDataRightTruncation(
                f"value too long for type character varying({length})")
    if scalar is T.NUMERIC and isinstance(value, decimal.Decimal) and value.is_finite():
        mod = column.type_mod - 4
        precision, scale = mod >> 16, mod & 0xFFFF
        quantized = value.quantize(decimal.Decimal(1).scaleb(-scale),
                                   rounding=decimal.ROUND_HALF_UP)
        if quantized.adjusted() + 1 > precision - scale:
            raise NumericValueOutOfRange(
                "numeric field overflow",
                detail=f"A field with precision {precision}, scale {scale} must round to an "
                f"absolute value less than 10^{precision - scale}.")
        return quantized
    return value
