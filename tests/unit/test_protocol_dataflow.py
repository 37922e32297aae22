"""DataflowDescription <-> CreateDataflow round trips and subscribe batch payloads."""

from __future__ import annotations

from decimal import Decimal

import pytest

from pymz.compute_client import dataflow as d
from pymz.compute_client.protocol import CreateDataflow, dataflow_export_ids
from pymz.errors import InternalError
from pymz.expr import optimize, plan
from pymz.proto.common import frontier_from_proto
from pymz.repr.types import Column, ScalarType

T_COLS = (Column("k", ScalarType.INT8), Column("v", ScalarType.NUMERIC, nullable=True))
MV_COLS = (Column("k", ScalarType.INT8), Column("total", ScalarType.NUMERIC))


def _desc(as_of: int = 7) -> d.DataflowDescription:
    q = plan("SELECT k, sum(v) AS total FROM t GROUP BY k", lambda p: ("u1", T_COLS))
    return d.DataflowDescription(
        debug_name="mv",
        source_imports=(d.SourceImport("u1", "s-t", T_COLS),),
        objects_to_build=(d.BuildDesc("u2", optimize(q.expr)),),
        index_exports=(d.IndexExport("u3", "u2", (0,)),),
        sink_exports=(
            d.PersistSinkExport("u4", "u2", "s-mv", MV_COLS),
            d.SubscribeSinkExport("u5", "u2", None),
            d.SubscribeSinkExport("u6", "u2", 42),
        ),
        as_of=as_of,
    )


def test_round_trip_is_lossless() -> None:
    desc = _desc()
    msg = d.encode(desc)
    wire = CreateDataflow.FromString(msg.SerializeToString())
    assert d.decode(wire) == desc
    assert dataflow_export_ids(wire) == desc.export_ids() == ["u3", "u4", "u5", "u6"]
    assert frontier_from_proto(wire.as_of) == (7,)
    assert wire.sink_exports[1].WhichOneof("connection") == "subscribe"
    assert frontier_from_proto(wire.sink_exports[2].up_to) == (42,)
    assert desc.build("u2").plan == desc.objects_to_build[0].plan
    with pytest.raises(InternalError):
        desc.build("nope")


def test_malformed_descriptions_are_internal_errors() -> None:
    msg = d.encode(_desc())
    msg.objects_to_build[0].plan_json = b"{not json"
    with pytest.raises(InternalError):
        d.decode(msg)
    msg = d.encode(_desc())
    msg.source_imports[0].desc_json = b'[{"$": "Get"}]'
    with pytest.raises(InternalError):
        d.decode(msg)
    msg = d.encode(_desc())
    msg.sink_exports[0].ClearField("persist")
    with pytest.raises(InternalError, match="no connection"):
        d.decode(msg)


def test_subscribe_payloads() -> None:
    ups = [((1, Decimal("1.50")), 3, 1), ((2, None), 4, -1)]
    assert d.decode_subscribe_updates(d.encode_subscribe_updates(MV_COLS, ups)) == ups
    assert d.decode_subscribe_updates(b"") == []
    assert d.parse_subscribe_error(d.subscribe_error("22012", "division by zero")) == (
        "22012",
        "division by zero",
    )
    assert d.parse_subscribe_error("plain") == ("XX000", "plain")
