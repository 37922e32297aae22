"""SUBSCRIBE: a temporary dataflow whose changes stream to the client as COPY data.

Output columns follow Materialize: ``mz_timestamp`` (numeric), ``mz_progressed`` (with
``PROGRESS``), ``mz_diff`` (bigint), then the relation's columns. Each batch of changes is
consolidated and sorted by time; with ``SNAPSHOT = false`` the initial contents (at the as-of)
are left out; with ``PROGRESS`` a row with ``mz_progressed = true`` and NULL data tells the
client every time before ``mz_timestamp`` is complete. The dataflow is dropped when the
client goes away or cancels.
"""

from __future__ import annotations

import decimal
import uuid
from collections.abc import AsyncIterator, Sequence
from typing import TYPE_CHECKING, Protocol

from pymz.adapter.client import CopyOptions, CopyOutResult
from pymz.adapter.materialized import MaterializedSequencer
from pymz.compute_client.dataflow import SubscribeBatch, SubscribeSinkExport
from pymz.errors import FeatureNotSupported, InvalidParameterValue, UndefinedObject
from pymz.repr import Column, ScalarType
from pymz.sql import ast

if TYPE_CHECKING:
    from pymz.adapter.session import Session

_OPTIONS = ("SNAPSHOT", "PROGRESS")


class SubscribeClient(Protocol):
    def subscribe(self, instance_id: str, sink_id: str) -> AsyncIterator[SubscribeBatch]: ...
    def allow_compaction(self, instance_id: str, id: str, frontier: int | None) -> None: ...


def _flag(option: ast.Option) -> bool:
    if option.value is None:
        return True
    text = option.value.to_text().lower()
    if text in ("true", "on", "1"):
        return True
    if text in ("false", "off", "0"):
        return False
    raise InvalidParameterValue(f"invalid {option.name} value: expected a boolean",
                                position=option.position or None)


def _timestamp(text: str | None) -> int | None:
    if text is None:
        return None
    try:
        return int(decimal.Decimal(text.strip()))
    except decimal.InvalidOperation:
        raise FeatureNotSupported("AS OF / UP TO take a timestamp literal (epoch ms)") from None


async def subscribe(stmt: ast.Subscribe, session: Session, materialized: MaterializedSequencer,
                    client: SubscribeClient) -> CopyOutResult:
    if stmt.output is not None:
        raise FeatureNotSupported(f"SUBSCRIBE {stmt.output.split()[0]} not yet supported")
    options = {o.name: o for o in stmt.options}
    for name in options:
        if name not in _OPTIONS:
            raise InvalidParameterValue(f"unknown SUBSCRIBE option {name}")
    snapshot = _flag(options["SNAPSHOT"]) if "SNAPSHOT" in options else True
    progress = _flag(options["PROGRESS"]) if "PROGRESS" in options else False
    if stmt.query is not None:
        sql = stmt.query
    else:
        assert stmt.target is not None
        found = materialized.resolve_relation(session, stmt.target.names)
        sql = found
    cluster_name = session.vars.get("cluster")
    cluster = materialized.catalog.cluster_by_name(cluster_name)
    if cluster is None:
        raise UndefinedObject(f"unknown cluster '{cluster_name}'")
    plan, reads, names = materialized.plan(session, sql)
    as_of = await materialized.as_of(reads, _timestamp(stmt.as_of))
    sink_id = f"t{uuid.uuid4().hex[:12]}"
    build = f"{sink_id}.body"
    desc = materialized.dataflow(f"subscribe {sink_id}", plan, reads, build, as_of,
                                 subscribe=SubscribeSinkExport(sink_id, build,
                                                               _timestamp(stmt.up_to)))
    columns: list[Column] = [Column("mz_timestamp", ScalarType.NUMERIC, nullable=False)]
    if progress:
        columns.append(Column("mz_progressed", ScalarType.BOOL, nullable=False))
    columns.append(Column("mz_diff", ScalarType.INT8))
    columns += [Column(n, c.type, True, c.is_array)
                for n, c in zip(names, plan.schema, strict=True)]
    width = len(plan.schema)
    materialized.install(cluster.id, desc)

    async def batches() -> AsyncIterator[Sequence[tuple[object | None, ...]]]:
        try:
            async for batch in client.subscribe(cluster.id, sink_id):
                rows: list[tuple[object | None, ...]] = []
                for row, time, diff in batch.updates:
                    if not snapshot and time <= as_of:
                        continue
                    ts = decimal.Decimal(time)
                    rows.append((ts, False, diff, *row) if progress else (ts, diff, *row))
                if progress and batch.upper is not None:
                    rows.append((decimal.Decimal(batch.upper), True, None,
                                 *([None] * width)))
                if rows:
                    yield rows
        finally:
            client.allow_compaction(cluster.id, sink_id, None)

    return CopyOutResult(tuple(columns), CopyOptions(), batches(), "SUBSCRIBE")
