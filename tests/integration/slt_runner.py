"""A sqllogictest (``.slt``) runner against a real environmentd.

Supported records (the common subset of the sqllogictest format):

    statement ok | statement error [regex]
    <sql>

    query <types> [rowsort|valuesort|nosort]
    <sql>
    ----
    <expected values, one row per line, columns separated by a single space or tab>

``types`` is one letter per column (I integer, T text, R real/numeric, B bool); NULL prints as
``NULL``, the empty string as ``(empty)``, booleans as ``t``/``f``. ``halt`` stops the file;
``#`` starts a comment. Records are separated by blank lines.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import psycopg


@dataclass(frozen=True)
class Record:
    kind: str  # "statement" | "query"
    sql: str
    line: int
    expect_error: str | None = None  # regex, "" for any error
    ok: bool = True
    sort: str = "nosort"
    expected: tuple[str, ...] = ()


def parse(text: str) -> list[Record]:
    records: list[Record] = []
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i].strip()
        if not line or line.startswith("#"):
            i += 1
            continue
        if line == "halt":
            break
        start = i + 1
        head = line.split(maxsplit=2)
        i += 1
        body: list[str] = []
        while i < len(lines) and lines[i].strip() and lines[i].strip() != "----":
            body.append(lines[i])
            i += 1
        sql = "\n".join(body)
        if head[0] == "statement":
            if head[1] == "ok":
                records.append(Record("statement", sql, start))
            elif head[1] == "error":
                records.append(Record("statement", sql, start, ok=False,
                                      expect_error=head[2] if len(head) > 2 else ""))
            else:
                raise ValueError(f"line {start}: unknown statement mode {head[1]!r}")
        elif head[0] == "query":
            sort = head[2] if len(head) > 2 else "nosort"
            expected: list[str] = []
            if i < len(lines) and lines[i].strip() == "----":
                i += 1
                while i < len(lines) and lines[i].strip():
                    expected.append(lines[i].strip())
                    i += 1
            records.append(Record("query", sql, start, sort=sort, expected=tuple(expected)))
        else:
            raise ValueError(f"line {start}: unknown record {head[0]!r}")
    return records


def _format(value: object) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, Decimal):
        return format(value.normalize(), "f") if value == value.to_integral() else str(value)
    text = str(value)
    return text if text else "(empty)"


def run_file(path: Path, url: str) -> list[str]:
    """Run every record of ``path``; returns the failures (empty: the file passed)."""
    failures: list[str] = []
    with psycopg.connect(url, autocommit=True) as conn:
        for record in parse(path.read_text()):
            where = f"{path.name}:{record.line}"
            try:
                cur = conn.execute(record.sql.encode())
                rows = cur.fetchall() if cur.description is not None else []
            except psycopg.Error as e:
                if record.kind == "statement" and not record.ok:
                    pattern = record.expect_error or ""
                    if pattern and not re.search(pattern, str(e.diag.message_primary)):
                        failures.append(f"{where}: error {e.diag.message_primary!r} does not "
                                        f"match {pattern!r}")
                    continue
                failures.append(f"{where}: unexpected error {e.sqlstate}: {e}")
                continue
            if record.kind == "statement":
                if not record.ok:
                    failures.append(f"{where}: expected an error, statement succeeded")
                continue
            got = [" ".join(_format(v) for v in row) for row in rows]
            expected = list(record.expected)
            if record.sort == "rowsort":
                got, expected = sorted(got), sorted(expected)
            elif record.sort == "valuesort":
                got = sorted(" ".join(got).split())
                expected = sorted(" ".join(expected).split())
            if got != expected:
                failures.append(f"{where}: expected {expected}, got {got}")
    return failures
