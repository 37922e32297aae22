"""Scalar types and their PostgreSQL wire identities."""

from __future__ import annotations

import decimal
import enum
import functools
from dataclasses import dataclass


class ScalarType(enum.Enum):
    """A SQL scalar type. Value is (name, oid, typlen, array oid)."""

    BOOL = ("boolean", 16, 1, 1000)
    BYTEA = ("bytea", 17, -1, 1001)
    INT2 = ("smallint", 21, 2, 1005)
    INT4 = ("integer", 23, 4, 1007)
    INT8 = ("bigint", 20, 8, 1016)
    OID = ("oid", 26, 4, 1028)
    FLOAT4 = ("real", 700, 4, 1021)
    FLOAT8 = ("double precision", 701, 8, 1022)
    NUMERIC = ("numeric", 1700, -1, 1231)
    TEXT = ("text", 25, -1, 1009)
    VARCHAR = ("character varying", 1043, -1, 1015)
    CHAR = ("character", 1042, -1, 1014)
    DATE = ("date", 1082, 4, 1182)
    TIME = ("time", 1083, 8, 1183)
    TIMESTAMP = ("timestamp without time zone", 1114, 8, 1115)
    TIMESTAMPTZ = ("timestamp with time zone", 1184, 8, 1185)
    INTERVAL = ("interval", 1186, 16, 1187)
    JSONB = ("jsonb", 3802, -1, 3807)
    UUID = ("uuid", 2950, 16, 2951)
    # mz_timestamp is numeric-like on the wire; Materialize gives it its own OID.
    MZ_TIMESTAMP = ("mz_timestamp", 16552, 8, 16553)
    UNKNOWN = ("unknown", 705, -2, 0)

    @property
    def type_name(self) -> str:
        return self.value[0]

    @property
    def oid(self) -> int:
        return self.value[1]

    @property
    def typlen(self) -> int:
        return self.value[2]

    @property
    def array_oid(self) -> int:
        return self.value[3]

    @classmethod
    def from_oid(cls, oid: int) -> ScalarType | None:
        return _BY_OID.get(oid)


_BY_OID: dict[int, ScalarType] = {t.oid: t for t in ScalarType}


@dataclass(frozen=True)
class Column:
    """A named, typed output column. ``is_array`` marks a one-dimensional array of ``type``."""

    name: str
    type: ScalarType
    nullable: bool = True
    is_array: bool = False

    @property
    def oid(self) -> int:
        return self.type.array_oid if self.is_array else self.type.oid

    @property
    def typlen(self) -> int:
        return -1 if self.is_array else self.type.typlen


@functools.total_ordering
@dataclass(frozen=True, eq=False)
class Interval:
    """A PostgreSQL interval: months, days and microseconds are kept apart, as in PostgreSQL.

    Comparison, like PostgreSQL's, is by the span with a month of 30 days and a day of 24
    hours: ``1 mon = 30 days`` is true (the fields still print as given), and equal
    intervals hash alike (GROUP BY, DISTINCT and joins treat them as one value)."""

    months: int = 0
    days: int = 0
    microseconds: int = 0

    def span(self) -> int:
        return (self.months * 30 + self.days) * 86_400_000_000 + self.microseconds

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Interval):
            return NotImplemented
        return self.span() == other.span()

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, Interval):
            return NotImplemented
        return self.span() < other.span()

    def __hash__(self) -> int:
        return hash(self.span())


# Python value conventions per type (used by pgwire codecs and the engines):
#   BOOL bool | INT2/INT4/INT8/OID/MZ_TIMESTAMP int | FLOAT4/FLOAT8 float | NUMERIC Decimal |
#   TEXT/VARCHAR/CHAR str | BYTEA bytes | DATE date | TIME time | TIMESTAMP naive datetime |
#   TIMESTAMPTZ aware datetime | INTERVAL Interval | JSONB str (canonical JSON text) |
#   UUID uuid.UUID | arrays: list of element values (None for NULL elements). SQL NULL is None.

# NUMERIC values carry up to 39 significant digits, as in Materialize. Decimal arithmetic
# rounds to the *thread's* context, so the precision is set for this thread and, through
# DefaultContext, for every thread started after pymz is imported (the engines' workers).
NUMERIC_PRECISION = 39
decimal.DefaultContext.prec = NUMERIC_PRECISION
decimal.getcontext().prec = NUMERIC_PRECISION
