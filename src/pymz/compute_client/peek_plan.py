"""The snapshot-query peek plan (``Peek.plan_json``) and the peek result row encoding.

A :class:`SnapshotQueryPlan` asks a replica to read persist shards (or its indexes) at the
peek's timestamp
and answer a PostgreSQL-dialect query over them (plus a few inline relations) with
:class:`pymz.sqlexec.IntrospectionEngine`. It is protocol: both the controller (environmentd)
and the runtime (clusterd) import this module.

Encoding: ``plan_json`` is UTF-8 JSON with ``"kind": "snapshot_query"``. Values (parameters,
inline rows) use a tagged JSON encoding that round-trips every :mod:`pymz.repr.types` value
exactly: JSON scalars for None/bool/int/str/finite float, lists for arrays, and one-key
objects for the rest (``{"$n": "1.50"}`` numeric, ``{"$b": base64}`` bytes, ``{"$d"|"$t"|
"$ts"|"$tz": iso}`` date/time/timestamp/timestamptz, ``{"$i": [months, days, us]}``
interval, ``{"$u": text}`` uuid, ``{"$f": "NaN"|"Infinity"|"-Infinity"}`` float).

Result rows (``PeekResponse.rows``) are an Arrow IPC stream in the persist batch layout
(:mod:`pymz.persist.codec`): ``c0..cN`` typed by the result columns (names and SQL types in
the schema metadata), ``_time`` (the peek timestamp) and ``_diff`` (how many times the row
occurs, always >= 1). Row order is the query's order.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import math
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pyarrow as pa  # type: ignore[import-untyped]

from pymz.errors import InternalError
from pymz.persist.codec import decode_updates, encode_updates
from pymz.repr.types import Column, Interval, ScalarType
from pymz.sqlexec.snapshot import RelationSnapshot

PLAN_KIND = "snapshot_query"
PLAN_VERSION = 1

Row = tuple[object, ...]


@dataclass(frozen=True)
class ShardImport:
    """A relation exposed to the query as ``schema.name``: read from persist shard
    ``shard_id``, or — when ``index_id`` is set — from that index's arrangement on the
    replica (the fast path). ``lookup`` (index imports only) restricts the rows read to those
    whose index key equals one of the given key tuples; None reads every row."""

    schema: str
    name: str
    shard_id: str
    columns: tuple[Column, ...]
    index_id: str = ""
    lookup: tuple[Row, ...] | None = None
    # A materialized view's errors shard (read at the same time; a live error fails the read).
    errors_shard_id: str = ""
    # The catalog id the relation has in an ``expr`` plan (its Get), for expr peeks.
    gid: str = ""


@dataclass(frozen=True)
class SnapshotQueryPlan:
    sql: str
    params: tuple[object | None, ...] = ()
    param_oids: tuple[int, ...] = ()
    search_path: tuple[str, ...] = ("public",)
    session_vars: Mapping[str, str] = field(default_factory=dict)
    imports: tuple[ShardImport, ...] = ()
    inline_relations: tuple[RelationSnapshot, ...] = ()
    # What environmentd's describe found; empty = whatever the engine produces.
    result_columns: tuple[Column, ...] = ()
    # A planned query (pymz.expr serde JSON of a PlannedQuery): when set, the replica
    # computes it with pymz's own engine over the imports (by ``gid``) instead of running
    # ``sql`` on DuckDB, so the answer equals a materialized view of the same query.
    expr: str = ""


# -- values -------------------------------------------------------------------------------


def encode_value(v: object) -> Any:
    """One Python value (per :mod:`pymz.repr.types`) as tagged JSON."""
    if v is None or isinstance(v, bool | int | str):
        return v
    if isinstance(v, float):
        if math.isfinite(v):
            return v
        return {"$f": "NaN" if math.isnan(v) else ("Infinity" if v > 0 else "-Infinity")}
    if isinstance(v, Decimal):
        return {"$n": str(v)}
    if isinstance(v, bytes | bytearray | memoryview):
        return {"$b": base64.b64encode(bytes(v)).decode("ascii")}
    # datetime is a subclass of date: test it first.
    if isinstance(v, dt.datetime):
        return {"$tz" if v.tzinfo is not None else "$ts": v.isoformat()}
    if isinstance(v, dt.date):
        return {"$d": v.isoformat()}
    if isinstance(v, dt.time):
        return {"$t": v.isoformat()}
    if isinstance(v, Interval):
        return {"$i": [v.months, v.days, v.microseconds]}
    if isinstance(v, uuid.UUID):
        return {"$u": str(v)}
    if isinstance(v, list | tuple):
        return [encode_value(e) for e in v]
    raise InternalError(f"cannot encode a {type(v).__name__} value in a peek plan")


_DECODERS: dict[str, Any] = {
    "$f": float,
    "$n": Decimal,
    "$b": base64.b64decode,
    "$tz": dt.datetime.fromisoformat,
    "$ts": dt.datetime.fromisoformat,
    "$d": dt.date.fromisoformat,
    "$t": dt.time.fromisoformat,
    "$i": lambda v: Interval(int(v[0]), int(v[1]), int(v[2])),
    "$u": uuid.UUID,
}


def decode_value(j: Any) -> object:
    if isinstance(j, list):
        return [decode_value(e) for e in j]
    if isinstance(j, dict):
        if len(j) != 1:
            raise InternalError(f"malformed tagged value in a peek plan: {j!r}")
        ((tag, payload),) = j.items()
        dec = _DECODERS.get(tag)
        if dec is None:
            raise InternalError(f"unknown value tag {tag!r} in a peek plan")
        out: object = dec(payload)
        return out
    out_scalar: object = j
    return out_scalar


# -- columns and relations ----------------------------------------------------------------


def _col_json(c: Column) -> dict[str, Any]:
    return {"name": c.name, "type": c.type.name, "nullable": c.nullable, "is_array": c.is_array}


def _col_from_json(j: Mapping[str, Any]) -> Column:
    return Column(
        name=str(j["name"]),
        type=ScalarType[str(j["type"])],
        nullable=bool(j.get("nullable", True)),
        is_array=bool(j.get("is_array", False)),
    )


def _relation_json(r: RelationSnapshot) -> dict[str, Any]:
    return {
        "schema": r.schema,
        "name": r.name,
        "columns": [_col_json(c) for c in r.columns],
        "rows": [[encode_value(v) for v in row] for row in r.rows],
        "version": r.version,
    }


def _relation_from_json(j: Mapping[str, Any]) -> RelationSnapshot:
    version = j.get("version")
    return RelationSnapshot(
        schema=str(j["schema"]),
        name=str(j["name"]),
        columns=tuple(_col_from_json(c) for c in j["columns"]),
        rows=[tuple(decode_value(v) for v in row) for row in j["rows"]],
        version=None if version is None else int(version),
    )


# -- the plan -----------------------------------------------------------------------------


def encode_plan(plan: SnapshotQueryPlan) -> bytes:
    doc = {
        "kind": PLAN_KIND,
        "version": PLAN_VERSION,
        "sql": plan.sql,
        "params": [encode_value(p) for p in plan.params],
        "param_oids": list(plan.param_oids),
        "search_path": list(plan.search_path),
        "session_vars": dict(plan.session_vars),
        "imports": [
            {
                "schema": i.schema,
                "name": i.name,
                "shard_id": i.shard_id,
                "columns": [_col_json(c) for c in i.columns],
                **({"index_id": i.index_id} if i.index_id else {}),
                **({"errors_shard_id": i.errors_shard_id} if i.errors_shard_id else {}),
                **({"lookup": [[encode_value(v) for v in k] for k in i.lookup]}
                   if i.lookup is not None else {}),
                **({"gid": i.gid} if i.gid else {}),
            }
            for i in plan.imports
        ],
        "inline_relations": [_relation_json(r) for r in plan.inline_relations],
        "result_columns": [_col_json(c) for c in plan.result_columns],
        **({"expr": plan.expr} if plan.expr else {}),
    }
    return json.dumps(doc, separators=(",", ":"), allow_nan=False).encode()


def plan_kind(plan_json: bytes) -> str | None:
    """The ``kind`` of a ``Peek.plan_json`` (None when it is empty or not a JSON object)."""
    if not plan_json:
        return None
    try:
        doc = json.loads(plan_json)
    except ValueError:
        return None
    kind = doc.get("kind") if isinstance(doc, dict) else None
    return kind if isinstance(kind, str) else None


def decode_plan(plan_json: bytes) -> SnapshotQueryPlan:
    try:
        doc = json.loads(plan_json)
        if doc.get("kind") != PLAN_KIND:
            raise InternalError(f"not a snapshot query plan (kind {doc.get('kind')!r})")
        if doc.get("version") != PLAN_VERSION:
            raise InternalError(f"unsupported snapshot query plan version {doc.get('version')}")
        return SnapshotQueryPlan(
            sql=str(doc["sql"]),
            params=tuple(decode_value(p) for p in doc["params"]),
            param_oids=tuple(int(o) for o in doc["param_oids"]),
            search_path=tuple(str(s) for s in doc["search_path"]),
            session_vars={str(k): str(v) for k, v in doc["session_vars"].items()},
            imports=tuple(
                ShardImport(
                    schema=str(i["schema"]),
                    name=str(i["name"]),
                    shard_id=str(i["shard_id"]),
                    columns=tuple(_col_from_json(c) for c in i["columns"]),
                    index_id=str(i.get("index_id", "")),
                    errors_shard_id=str(i.get("errors_shard_id", "")),
                    lookup=None if i.get("lookup") is None else tuple(
                        tuple(_frozen(decode_value(v)) for v in k) for k in i["lookup"]),
                    gid=str(i.get("gid", "")),
                )
                for i in doc["imports"]
            ),
            inline_relations=tuple(_relation_from_json(r) for r in doc["inline_relations"]),
            result_columns=tuple(_col_from_json(c) for c in doc["result_columns"]),
            expr=str(doc.get("expr", "")),
        )
    except (ValueError, KeyError, TypeError, AttributeError) as e:
        raise InternalError(f"malformed snapshot query plan: {e}") from None


def _frozen(v: object) -> object:
    """Arrays as tuples: the form rows take inside the engine (hashable)."""
    return tuple(_frozen(e) for e in v) if isinstance(v, list) else v


# -- result rows --------------------------------------------------------------------------


def encode_result(columns: Sequence[Column], rows: Sequence[Row], timestamp: int = 0) -> bytes:
    """Rows (in order) as an Arrow IPC stream; each row once, ``_diff`` 1."""
    try:
        return encode_updates(columns, [(tuple(r), timestamp, 1) for r in rows])
    except (pa.ArrowException, TypeError, ValueError, OverflowError, AttributeError) as e:
        raise InternalError(f"cannot encode peek result rows: {e}") from None


def result_columns(data: bytes) -> tuple[Column, ...]:
    """The columns recorded in a result stream's schema metadata."""
    schema = pa.ipc.open_stream(pa.py_buffer(data)).schema
    meta = json.loads((schema.metadata or {}).get(b"pymz.columns", b"[]"))
    return tuple(Column(name=str(n), type=ScalarType[str(t)], is_array=bool(a)) for n, t, a in meta)


def decode_result(data: bytes) -> list[Row]:
    """Rows of a result stream, a row with ``_diff`` n repeated n times."""
    if not data:
        return []
    try:
        updates = decode_updates(result_columns(data), data)
    except (pa.ArrowException, ValueError, KeyError) as e:
        raise InternalError(f"malformed peek result: {e}") from None
    out: list[Row] = []
    for row, _time, diff in updates:
        if diff < 0:
            raise InternalError(f"peek result has a negative multiplicity ({diff})")
        out.extend([row] * diff)
    return out


def concat_results(parts: Sequence[bytes]) -> bytes:
    """Concatenate result streams (the per-process answers of one replica), in order."""
    nonempty = [p for p in parts if p]
    if not nonempty:
        return b""
    tables = [pa.ipc.open_stream(pa.py_buffer(p)).read_all() for p in nonempty]
    tables = [t for t in tables if t.num_rows] or tables[:1]
    if len(tables) == 1:
        return nonempty[0] if len(nonempty) == 1 else _table_bytes(tables[0])
    return _table_bytes(pa.concat_tables(tables))


def _table_bytes(table: Any) -> bytes:
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return bytes(sink.getvalue().to_pybytes())
