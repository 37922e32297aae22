"""Lossless JSON encoding of IR trees: relations, scalars, aggregates, finishings, schemas.

This is the form in which plans travel to a compute replica (computectl ``CreateDataflow``).
``decode(encode(x)) == x`` for every IR value: nodes are ``{"$": class name, field: ...}``,
tuples are JSON lists, ``ScalarType`` is ``{"$": "ScalarType", "name": ...}``, and datum
values (``Literal.value``, ``Constant`` rows) use a tagged form that keeps every repr type
apart: ``null``/bool/int/str as themselves, and ``{"f": repr}`` (float, incl. NaN/inf),
``{"n": str}`` (Decimal), ``{"d"|"t"|"ts": iso}`` (date/time/datetime, with offset when
aware), ``{"iv": [months, days, us]}``, ``{"b": base64}``, ``{"u": str}`` (UUID),
``{"a": [...]}`` (arrays, decoded as tuples — the engine's in-memory form).
"""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import json
import uuid
from decimal import Decimal
from typing import Any

from pymz import errors
from pymz.expr import relation as r
from pymz.expr import scalar as s
from pymz.repr import Column, Interval, ScalarType

VERSION = 1

_CLASSES: dict[str, type[Any]] = {
    c.__name__: c for c in (
        r.Constant, r.Get, r.Let, r.Map, r.Filter, r.Project, r.FlatMap, r.Join, r.Reduce,
        r.TopK, r.Window, r.WindowCall, r.Negate, r.Threshold, r.Union, r.Aggregate,
        r.ColumnOrder,
        r.RowSetFinishing, r.PlannedQuery, s.ColumnRef, s.Literal, s.Call, s.If, Column,
    )
}


def encode_value(v: object) -> Any:
    """A datum (any repr type, arrays as tuples or lists) as JSON-able data."""
    if v is None or isinstance(v, bool | str):
        return v
    if isinstance(v, int):
        return v
    if isinstance(v, float):
        return {"f": repr(v)}
    if isinstance(v, Decimal):
        return {"n": str(v)}
    if isinstance(v, dt.datetime):
        return {"ts": v.isoformat()}
    if isinstance(v, dt.date):
        return {"d": v.isoformat()}
    if isinstance(v, dt.time):
        return {"t": v.isoformat()}
    if isinstance(v, Interval):
        return {"iv": [v.months, v.days, v.microseconds]}
    if isinstance(v, bytes | bytearray | memoryview):
        return {"b": base64.b64encode(bytes(v)).decode("ascii")}
    if isinstance(v, uuid.UUID):
        return {"u": str(v)}
    if isinstance(v, tuple | list):
        return {"a": [encode_value(x) for x in v]}
    raise errors.InternalError(f"cannot encode a value of type {type(v).__name__}")


def decode_value(d: Any) -> object:
    if d is None or isinstance(d, bool | int | str):
        return d
    if isinstance(d, dict) and len(d) == 1:
        (tag, x), = d.items()
        if tag == "f":
            return float(x)
        if tag == "n":
            return Decimal(x)
        if tag == "ts":
            return dt.datetime.fromisoformat(x)
        if tag == "d":
            return dt.date.fromisoformat(x)
        if tag == "t":
            return dt.time.fromisoformat(x)
        if tag == "iv":
            return Interval(*x)
        if tag == "b":
            return base64.b64decode(x)
        if tag == "u":
            return uuid.UUID(x)
        if tag == "a":
            return tuple(decode_value(y) for y in x)
    raise errors.InternalError(f"cannot decode value {d!r}")


def encode(obj: object) -> Any:
    """An IR object (node, scalar, aggregate, finishing, column, schema tuple) as JSON data."""
    if isinstance(obj, ScalarType):
        return {"$": "ScalarType", "name": obj.name}
    if isinstance(obj, tuple | list):
        return [encode(x) for x in obj]
    if obj is None or isinstance(obj, bool | int | str):
        return obj
    name = type(obj).__name__
    if _CLASSES.get(name) is not type(obj) or not dataclasses.is_dataclass(obj):
        raise errors.InternalError(f"cannot encode {name}")
    out: dict[str, Any] = {"$": name}
    for f in dataclasses.fields(obj):
        v = getattr(obj, f.name)
        if isinstance(obj, s.Literal) and f.name == "value":
            out[f.name] = encode_value(v)
        elif isinstance(obj, r.Constant) and f.name == "rows":
            out[f.name] = [[[encode_value(x) for x in row], m] for row, m in v]
        else:
            out[f.name] = encode(v)
    return out


def decode(data: Any) -> Any:
    """The inverse of :func:`encode`."""
    if isinstance(data, list):
        return tuple(decode(x) for x in data)
    if data is None or isinstance(data, bool | int | str):
        return data
    if not isinstance(data, dict) or "$" not in data:
        raise errors.InternalError(f"cannot decode {data!r}")
    name = data["$"]
    if name == "ScalarType":
        return ScalarType[data["name"]]
    cls = _CLASSES.get(name)
    if cls is None:
        raise errors.InternalError(f"unknown IR class {name}")
    kw: dict[str, Any] = {}
    for f in dataclasses.fields(cls):
        if f.name not in data:
            continue
        v = data[f.name]
        if cls is s.Literal and f.name == "value":
            kw[f.name] = decode_value(v)
        elif cls is r.Constant and f.name == "rows":
            kw[f.name] = tuple((tuple(decode_value(x) for x in row), m) for row, m in v)
        else:
            kw[f.name] = decode(v)
    return cls(**kw)


def dumps(obj: object) -> str:
    """JSON text with a format version."""
    return json.dumps({"v": VERSION, "ir": encode(obj)}, separators=(",", ":"))


def loads(text: str | bytes) -> Any:
    data = json.loads(text)
    if not isinstance(data, dict) or data.get("v") != VERSION:
        raise errors.InternalError("unsupported IR encoding version")
    return decode(data["ir"])
