"""Turning a StartupMessage's parameters into a :class:`StartupRequest`."""

from __future__ import annotations

from collections.abc import Mapping

from pymz.adapter.client import StartupRequest
from pymz.errors import InvalidAuthorizationSpecification, ProtocolViolation

# Parameters with a protocol meaning; everything else is a session variable setting.
_RESERVED = {"user", "database", "options", "application_name", "replication"}


def split_options(options: str) -> list[str]:
    """Split the ``options`` parameter like PostgreSQL's pg_split_opts (``\\`` escapes)."""
    out: list[str] = []
    cur: list[str] = []
    in_token = False
    i = 0
    while i < len(options):
        c = options[i]
        if c.isspace():
            if in_token:
                out.append("".join(cur))
                cur, in_token = [], False
        else:
            if c == "\\" and i + 1 < len(options):
                i += 1
                c = options[i]
            cur.append(c)
            in_token = True
        i += 1
    if in_token:
        out.append("".join(cur))
    return out


def parse_options(options: str) -> dict[str, str]:
    """``-c a=b``, ``-ca=b`` and ``--a=b`` settings; other switches are rejected."""
    out: dict[str, str] = {}
    tokens = split_options(options)
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        if tok == "-c":
            i += 1
            if i >= len(tokens):
                raise ProtocolViolation(f'invalid command-line argument: "{options}"')
            setting = tokens[i]
        elif tok.startswith(("-c", "--")):
            setting = tok[2:]
        else:
            raise ProtocolViolation(f'invalid command-line argument for server process: {tok}')
        key, eq, value = setting.partition("=")
        if not eq or not key:
            raise ProtocolViolation(f'invalid command-line argument: "{setting}"')
        out[key.replace("-", "_")] = value
        i += 1
    return out


def startup_request(params: Mapping[str, str]) -> StartupRequest:
    user = params.get("user", "")
    if not user:
        raise InvalidAuthorizationSpecification(
            "no PostgreSQL user name specified in startup packet"
        )
    options = {k: v for k, v in params.items()
               if k not in _RESERVED and not k.startswith("_pq_.")}
    options.update(parse_options(params.get("options", "")))
    return StartupRequest(
        user=user,
        database=params.get("database") or user,
        options=options,
        application_name=params.get("application_name", ""),
    )
