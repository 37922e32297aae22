"""Session variables: defaults, validation, and which ones clients are told about.

Names are case-insensitive. ``REPORTED`` variables are sent to the client as ParameterStatus
at start-up and whenever they change, as PostgreSQL does.
"""

from __future__ import annotations

from dataclasses import dataclass

from pymz import __version__
from pymz.errors import InvalidParameterValue, UndefinedObject

SERVER_VERSION = "9.5.0"
SERVER_VERSION_NUM = "90500"


@dataclass(frozen=True)
class VarSpec:
    name: str  # canonical spelling (PostgreSQL's, e.g. DateStyle)
    default: str
    description: str
    reported: bool = False
    read_only: bool = False
    choices: tuple[str, ...] | None = None


_SPECS = [
    VarSpec("application_name", "", "Sets the application name.", reported=True),
    VarSpec("client_encoding", "UTF8", "Sets the client's character set encoding.",
            reported=True, choices=("UTF8", "UTF-8", "UNICODE")),
    VarSpec("client_min_messages", "notice", "Sets the message levels sent to the client.",
            choices=("debug5", "debug4", "debug3", "debug2", "debug1", "log", "notice",
                     "warning", "error")),
    VarSpec("cluster", "quickstart", "Sets the current cluster."),
    VarSpec("cluster_replica", "", "Sets a target cluster replica for SELECT queries."),
    VarSpec("database", "materialize", "Sets the current database."),
    VarSpec("DateStyle", "ISO, MDY", "Sets the display format for date and time values.",
            reported=True, choices=("ISO, MDY", "ISO", "MDY")),
    VarSpec("extra_float_digits", "3", "Adjusts the number of digits displayed for floats."),
    VarSpec("integer_datetimes", "on", "Reports whether datetimes are integer based.",
            reported=True, read_only=True),
    VarSpec("IntervalStyle", "postgres", "Sets the display format for interval values.",
            reported=True, choices=("postgres",)),
    VarSpec("is_superuser", "on", "Reports whether the current user is a superuser.",
            reported=True, read_only=True),
    VarSpec("search_path", "public", "Sets the schema search order."),
    VarSpec("server_encoding", "UTF8", "The server's character set encoding.",
            reported=True, read_only=True),
    VarSpec("server_version", SERVER_VERSION, "The PostgreSQL version Materialize emulates.",
            reported=True, read_only=True),
    VarSpec("server_version_num", SERVER_VERSION_NUM, "The emulated PostgreSQL version.",
            read_only=True),
    VarSpec("standard_conforming_strings", "on", "Backslashes in ordinary strings are literal.",
            reported=True, choices=("on",)),
    VarSpec("statement_timeout", "10s", "Maximum allowed duration of a statement."),
    VarSpec("idle_in_transaction_session_timeout", "2min",
            "Maximum idle time in an open transaction."),
    VarSpec("TimeZone", "UTC", "Sets the time zone for timestamps.", reported=True,
            choices=("UTC", "+00:00", "GMT", "Etc/UTC")),
    VarSpec("transaction_isolation", "strict serializable", "Transaction isolation level.",
            choices=("strict serializable", "serializable", "read committed",
                     "repeatable read")),
    VarSpec("mz_version", __version__, "The version of pymz.", read_only=True),
    VarSpec("max_identifier_length", "255", "Maximum identifier length.", read_only=True),
    VarSpec("emit_timestamp_notice", "off", "Notice with the chosen query timestamp.",
            choices=("on", "off", "true", "false")),
]
SPECS: dict[str, VarSpec] = {spec.name.lower(): spec for spec in _SPECS}


def _normalize_value(spec: VarSpec, value: str) -> str:
    if spec.choices is None:
        return value
    for choice in spec.choices:
        if choice.lower() == value.lower():
            # Aliases map to the first spelling (UTF-8 -> UTF8, GMT -> UTC).
            if spec.name in ("client_encoding", "TimeZone"):
                return spec.choices[0]
            return choice
    raise InvalidParameterValue(
        f'invalid value for parameter "{spec.name}": "{value}"',
        hint=f"Available values: {', '.join(spec.choices)}.",
    )


class SessionVars:
    def __init__(self, overrides: dict[str, str] | None = None) -> None:
        self._values: dict[str, str] = {}
        self._changed: dict[str, str] = {}
        for name, value in (overrides or {}).items():
            self.set(name, value, report=False)

    @staticmethod
    def spec(name: str) -> VarSpec:
        spec = SPECS.get(name.lower())
        if spec is None:
            raise UndefinedObject(f'unrecognized configuration parameter "{name}"')
        return spec

    def get(self, name: str) -> str:
        spec = self.spec(name)
        return self._values.get(spec.name, spec.default)

    def set(self, name: str, value: str, *, report: bool = True) -> None:
        spec = self.spec(name)
        if spec.read_only:
            raise InvalidParameterValue(f'parameter "{spec.name}" cannot be changed')
        normalized = _normalize_value(spec, value)
        old = self.get(spec.name)
        self._values[spec.name] = normalized
        if report and spec.reported and normalized != old:
            self._changed[spec.name] = normalized

    def reset(self, name: str) -> None:
        spec = self.spec(name)
        if spec.read_only:
            raise InvalidParameterValue(f'parameter "{spec.name}" cannot be changed')
        old = self.get(spec.name)
        self._values.pop(spec.name, None)
        if spec.reported and spec.default != old:
            self._changed[spec.name] = spec.default

    def reset_all(self) -> None:
        for name in list(self._values):
            self.reset(name)

    def reported(self) -> dict[str, str]:
        return {spec.name: self.get(spec.name) for spec in _SPECS if spec.reported}

    def all(self) -> dict[str, str]:
        return {spec.name: self.get(spec.name) for spec in _SPECS}

    def drain_changes(self) -> dict[str, str]:
        changed, self._changed = self._changed, {}
        return changed
