"""Core value representation shared by every layer: scalar types, columns, timestamps.

Guarantees: each :class:`ScalarType` maps to exactly one PostgreSQL type OID, so clients
(psql, psycopg, asyncpg) decode values with their built-in codecs. Does not guarantee:
coverage of every PostgreSQL type; types are added as the SQL layer needs them.
"""

from pymz.repr.types import Column, Interval, ScalarType

__all__ = ["Column", "Interval", "ScalarType"]
