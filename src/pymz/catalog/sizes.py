"""The replica-size table: built-in defaults and the ``--cluster-replica-sizes`` JSON format.

The JSON format follows Materialize's: ``{"name": {"workers": 1, "scale": 1,
"cpu_limit": 1.0, "memory_limit": "4GiB", "disk_limit": "8GiB", "credits_per_hour": "1"}}``.
"""

from __future__ import annotations

import json
import re
from typing import Any

from pymz.catalog.objects import ReplicaSize
from pymz.errors import ConfigurationError

_GIB = 1 << 30
_UNITS = {"": 1, "B": 1, "KIB": 1 << 10, "MIB": 1 << 20, "GIB": _GIB, "TIB": 1 << 40,
          "KB": 1000, "MB": 1000**2, "GB": 1000**3, "TB": 1000**4, "K": 1000,
          "KI": 1 << 10, "MI": 1 << 20, "GI": _GIB, "M": 1000**2, "G": 1000**3}


def parse_bytes(text: str) -> int:
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([A-Za-z]*)\s*", text)
    if match is None or match.group(2).upper() not in _UNITS:
        raise ConfigurationError(f"invalid byte size: {text!r}")
    return int(float(match.group(1)) * _UNITS[match.group(2).upper()])


def default_replica_sizes() -> dict[str, ReplicaSize]:
    """Sizes available without configuration.

    Local sizes are named ``{scale}-{workers}`` (``"1"`` is ``1-1``), as in Materialize's
    local development setup; the ``cc`` names mirror the cloud sizes so scripts written for
    Materialize work unchanged (here each is one process whose worker count grows).
    """
    sizes: dict[str, ReplicaSize] = {}
    for workers in (1, 2, 4, 8, 16):
        sizes[str(workers)] = ReplicaSize(str(workers), workers, 1, workers * 10**9,
                                          workers * 2 * _GIB, workers * 4 * _GIB)
    for scale in (2, 4):
        for workers in (1, 2, 4):
            name = f"{scale}-{workers}"
            sizes[name] = ReplicaSize(name, workers, scale, workers * 10**9,
                                      workers * 2 * _GIB, workers * 4 * _GIB)
    cc = {"25cc": 1, "50cc": 1, "100cc": 2, "200cc": 4, "300cc": 6, "400cc": 8,
          "600cc": 12, "800cc": 16, "1200cc": 24, "1600cc": 32, "3200cc": 64}
    for name, workers in cc.items():
        credits = str(int(name.removesuffix("cc")) / 100).removesuffix(".0")
        sizes[name] = ReplicaSize(name, workers, 1, workers * 10**9, workers * 8 * _GIB,
                                  workers * 16 * _GIB, credits)
    return sizes


def _size_from_json(name: str, spec: Any) -> ReplicaSize:
    if not isinstance(spec, dict):
        raise ConfigurationError(f"replica size {name!r}: expected an object")
    known = {"workers", "scale", "cpu_limit", "memory_limit", "disk_limit", "credits_per_hour",
             "is_cc", "disabled", "selectors", "cpu_exclusive"}
    unknown = set(spec) - known
    if unknown:
        raise ConfigurationError(f"replica size {name!r}: unknown fields {sorted(unknown)}")
    try:
        workers = int(spec.get("workers", 1))
        scale = int(spec.get("scale", 1))
        cpu = spec.get("cpu_limit")
        mem = spec.get("memory_limit")
        disk = spec.get("disk_limit")
        return ReplicaSize(
            name=name,
            workers=workers,
            scale=scale,
            cpu_nano_cores=None if cpu is None else int(float(cpu) * 10**9),
            memory_bytes=None if mem is None else parse_bytes(str(mem)),
            disk_bytes=None if disk is None else parse_bytes(str(disk)),
            credits_per_hour=str(spec.get("credits_per_hour", "1")),
        )
    except (TypeError, ValueError) as e:
        raise ConfigurationError(f"replica size {name!r}: {e}") from e


def parse_replica_sizes(text: str) -> dict[str, ReplicaSize]:
    """Parse the ``--cluster-replica-sizes`` JSON object."""
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as e:
        raise ConfigurationError(f"--cluster-replica-sizes is not valid JSON: {e}") from e
    if not isinstance(raw, dict) or not raw:
        raise ConfigurationError("--cluster-replica-sizes must be a non-empty JSON object")
    sizes = {name: _size_from_json(name, spec) for name, spec in raw.items()}
    for size in sizes.values():
        if size.workers < 1 or size.scale < 1:
            raise ConfigurationError(f"replica size {size.name!r}: workers and scale must be >= 1")
    return sizes
