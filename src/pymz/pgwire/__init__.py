"""PostgreSQL wire protocol (v3) server in front of the adapter.

Guarantees: psql, psycopg 3 and asyncpg can connect (trust auth, optional TLS), run simple and
extended-protocol queries (named statements and portals, text and binary formats, row limits
with PortalSuspended), cancel running statements with a CancelRequest, and receive every
error as an ErrorResponse with its SQLSTATE. Malformed input ends only the offending
connection (FATAL 08P01). The server talks to the adapter only through
:mod:`pymz.adapter.client`.

Does not guarantee: COPY, replication, SCRAM/password authentication, GSSAPI, protocol 3.2
features (minor versions are negotiated down to 3.0), multi-dimensional arrays, or output
settings other than DateStyle=ISO, IntervalStyle=postgres and TimeZone=UTC.
"""

from pymz.pgwire.server import PgwireServer, PgwireStats, start_server

__all__ = ["PgwireServer", "PgwireStats", "start_server"]
