"""Typed dataflow descriptions (``CreateDataflow``), index peeks and subscribe batches.

Protocol: both the controller (environmentd) and the runtime (clusterd) import this module.
A :class:`DataflowDescription` says which persist shards a dataflow reads
(:class:`SourceImport`), what it computes (:class:`BuildDesc`, optimised :mod:`pymz.expr`
plans, each reading ``Get`` of imports and earlier builds), and what it exports: arrangements
for peeks (:class:`IndexExport`), materialized-view shards (:class:`PersistSinkExport`) and
subscribes (:class:`SubscribeSinkExport`). It starts computing at ``as_of``.

Wire encoding (:func:`encode` / :func:`decode`, a lossless round trip): plans are
``pymz.expr.serde.dumps`` JSON in ``BuildDesc.plan_json``; columns are JSON lists of
serde-encoded :class:`Column`\\ s in ``SourceImport.desc_json`` and
``PersistSinkConnection.desc_json``; index keys are a JSON list of column indexes in
``IndexExport.key_json``; ``SinkExport.up_to`` is an empty frontier for "no bound".

Index peeks: ``Peek{target_id = index id, plan_json = index_peek_plan()}`` answers the
index's rows at the peek timestamp in the snapshot-peek result layout
(:func:`pymz.compute_client.peek_plan.decode_result`).

Subscribe batches (``SubscribeBatch.updates``) use the persist batch layout
(:func:`pymz.persist.codec.encode_updates`): ``c0..cN``, ``_time``, ``_diff``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, get_args

from pymz.compute_client.peek_plan import result_columns
from pymz.errors import InternalError
from pymz.expr import serde
from pymz.expr.relation import RelationExpr
from pymz.persist.codec import decode_updates, encode_updates
from pymz.proto import compute_pb2 as pb
from pymz.proto.common import frontier_from_proto, frontier_to_proto
from pymz.repr.types import Column

Row = tuple[Any, ...]
Update = tuple[Row, int, int]

INDEX_PEEK_KIND = "index_peek"


@dataclass(frozen=True)
class SourceImport:
    """A persist shard (table or materialized view) the dataflow reads as ``Get(id)``.
    ``has_errors``: a materialized view's shard, whose query errors are in the shard
    :func:`pymz.compute_client.errors_shard.errors_shard_id` and are read with it."""

    id: str
    shard_id: str
    columns: tuple[Column, ...]
    has_errors: bool = False



@dataclass(frozen=True)
class BuildDesc:
    """An object the dataflow computes: ``plan`` reads ``Get`` of imports and earlier builds."""

    id: str
    plan: RelationExpr


@dataclass(frozen=True)
class IndexExport:
    """An arrangement of build ``on_id`` by ``key`` columns, answering index peeks."""

    id: str
    on_id: str
    key: tuple[int, ...]


@dataclass(frozen=True)
class PersistSinkExport:
    """A materialized view: build ``from_id`` written to persist shard ``shard_id``."""

    id: str
    from_id: str
    shard_id: str
    columns: tuple[Column, ...]


@dataclass(frozen=True)
class SubscribeSinkExport:
    """Changes of build ``from_id`` streamed as SubscribeResponse batches; ends at ``up_to``
    (exclusive) when set."""

    id: str
    from_id: str
    up_to: int | None = None


SinkExport = PersistSinkExport | SubscribeSinkExport


@dataclass(frozen=True)
class DataflowDescription:
    debug_name: str
    source_imports: tuple[SourceImport, ...]
    objects_to_build: tuple[BuildDesc, ...]
    index_exports: tuple[IndexExport, ...]
    sink_exports: tuple[SinkExport, ...]
    as_of: int

    def export_ids(self) -> list[str]:
        """Indexes then sinks, as :func:`pymz.compute_client.protocol.dataflow_export_ids`."""
        return [e.id for e in self.index_exports] + [e.id for e in self.sink_exports]

    def build(self, id: str) -> BuildDesc:
        for b in self.objects_to_build:
            if b.id == id:
                return b
        raise InternalError(f"dataflow {self.debug_name} builds no object {id}")


def _columns_json(columns: Sequence[Column]) -> bytes:
    return json.dumps(serde.encode(tuple(columns)), separators=(",", ":")).encode()


def _columns_from_json(data: bytes) -> tuple[Column, ...]:
    cols = serde.decode(json.loads(data)) if data else ()
    if not isinstance(cols, tuple) or not all(isinstance(c, Column) for c in cols):
        raise InternalError("malformed column list in a dataflow description")
    return cols


def encode(desc: DataflowDescription) -> pb.CreateDataflow:
    out = pb.CreateDataflow(debug_name=desc.debug_name)
    out.as_of.CopyFrom(frontier_to_proto((desc.as_of,)))
    for s in desc.source_imports:
        out.source_imports.append(
            pb.SourceImport(id=s.id, shard_id=s.shard_id, desc_json=_columns_json(s.columns),
                            has_errors=s.has_errors)
        )
    for b in desc.objects_to_build:
        out.objects_to_build.append(pb.BuildDesc(id=b.id, plan_json=serde.dumps(b.plan).encode()))
    for i in desc.index_exports:
        out.index_exports.append(
            pb.IndexExport(id=i.id, on_id=i.on_id, key_json=json.dumps(list(i.key)).encode())
        )
    for k in desc.sink_exports:
        sink = pb.SinkExport(id=k.id, from_id=k.from_id)
        if isinstance(k, PersistSinkExport):
            sink.persist.CopyFrom(
                pb.PersistSinkConnection(shard_id=k.shard_id, desc_json=_columns_json(k.columns))
            )
            sink.up_to.CopyFrom(frontier_to_proto(()))
        else:
            sink.subscribe.CopyFrom(pb.SubscribeSinkConnection())
            sink.up_to.CopyFrom(frontier_to_proto(() if k.up_to is None else (k.up_to,)))
        out.sink_exports.append(sink)
    return out


def decode(msg: pb.CreateDataflow) -> DataflowDescription:
    """The inverse of :func:`encode`; raises :class:`InternalError` for a malformed message."""
    try:
        as_of = frontier_from_proto(msg.as_of)
        sinks: list[SinkExport] = []
        for k in msg.sink_exports:
            conn = k.WhichOneof("connection")
            if conn == "persist":
                sinks.append(
                    PersistSinkExport(
                        k.id,
                        k.from_id,
                        k.persist.shard_id,
                        _columns_from_json(k.persist.desc_json),
                    )
                )
            elif conn == "subscribe":
                up_to = frontier_from_proto(k.up_to)
                sinks.append(SubscribeSinkExport(k.id, k.from_id, up_to[0] if up_to else None))
            else:
                raise InternalError(f"sink {k.id} has no connection")
        builds = []
        for b in msg.objects_to_build:
            plan = serde.loads(b.plan_json)
            if not isinstance(plan, get_args(RelationExpr)):
                raise InternalError(f"build {b.id} is not a relation expression")
            builds.append(BuildDesc(b.id, plan))
        return DataflowDescription(
            debug_name=msg.debug_name,
            source_imports=tuple(
                SourceImport(s.id, s.shard_id, _columns_from_json(s.desc_json), s.has_errors)
                for s in msg.source_imports
            ),
            objects_to_build=tuple(builds),
            index_exports=tuple(
                IndexExport(i.id, i.on_id, tuple(int(x) for x in json.loads(i.key_json or b"[]")))
                for i in msg.index_exports
            ),
            sink_exports=tuple(sinks),
            as_of=as_of[0] if as_of else 0,
        )
    except InternalError:
        raise
    except (ValueError, KeyError, TypeError, AttributeError, IndexError) as e:
        raise InternalError(f"malformed dataflow description: {e}") from None


# -- index peeks ----------------------------------------------------------------------------


def index_peek_plan() -> bytes:
    return json.dumps({"kind": INDEX_PEEK_KIND, "version": 1}).encode()


# -- subscribe batches ----------------------------------------------------------------------


@dataclass(frozen=True)
class SubscribeBatch:
    """Changes of a subscribed collection with times in ``[lower, upper)``, consolidated and
    sorted by time. ``upper`` None: the subscribe is complete (``up_to`` reached)."""

    lower: int
    upper: int | None
    updates: list[Update]


def encode_subscribe_updates(columns: Sequence[Column], updates: Sequence[Update]) -> bytes:
    return encode_updates(columns, updates)


def decode_subscribe_updates(data: bytes) -> list[Update]:
    """The updates of a batch (its columns are in the stream's schema metadata)."""
    return decode_updates(result_columns(data), data) if data else []


def subscribe_error(sqlstate: str, message: str) -> str:
    """``SubscribeBatch.error``: JSON ``{"sqlstate", "message"}``."""
    return json.dumps({"sqlstate": sqlstate, "message": message})


def parse_subscribe_error(text: str) -> tuple[str, str]:
    try:
        j = json.loads(text)
        return str(j["sqlstate"]), str(j["message"])
    except (ValueError, KeyError, TypeError):
        return "XX000", text
