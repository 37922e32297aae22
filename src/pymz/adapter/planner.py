"""Planning of cluster statements: AST options -> validated plans.

Errors point at the offending option (``position``) and use PostgreSQL's codes: 42601 for
options that are unknown, repeated or misplaced, 22023 for values of the wrong shape.
"""

from __future__ import annotations

from collections.abc import Sequence

from pymz.adapter.cluster_ddl import MAX_REPLICATION_FACTOR
from pymz.adapter.plans import (
    AlterClusterPlan,
    CreateClusterPlan,
    CreateReplicaPlan,
    ManagedSettings,
    ReplicaSpec,
)
from pymz.errors import FeatureNotSupported, InvalidParameterValue, SqlSyntaxError
from pymz.sql import ast

MANAGED_OPTIONS = ("SIZE", "REPLICATION FACTOR", "AVAILABILITY ZONES", "DISK",
                   "INTROSPECTION INTERVAL", "INTROSPECTION DEBUGGING", "MANAGED", "SCHEDULE")
CLUSTER_OPTIONS = (*MANAGED_OPTIONS, "REPLICAS")
REPLICA_OPTIONS = ("SIZE", "AVAILABILITY ZONE", "DISK", "INTROSPECTION INTERVAL",
                   "INTROSPECTION DEBUGGING", "INTERNAL", "BILLED AS")


def _index(options: Sequence[ast.Option], allowed: Sequence[str],
           what: str) -> dict[str, ast.Option]:
    seen: dict[str, ast.Option] = {}
    for opt in options:
        if opt.name not in allowed:
            raise SqlSyntaxError(
                f"unexpected {what} option {opt.name}",
                hint="Valid options: " + ", ".join(allowed) + ".",
                position=opt.position or None,
            )
        if opt.name in seen:
            raise SqlSyntaxError(f"{opt.name} specified more than once",
                                 position=opt.position or None)
        seen[opt.name] = opt
    return seen


def _bad(opt: ast.Option, expected: str) -> InvalidParameterValue:
    return InvalidParameterValue(f"invalid {opt.name}: expected {expected}",
                                 position=opt.position or None)


def _text(opt: ast.Option) -> str:
    v = opt.value
    if isinstance(v, ast.StringValue | ast.IdentValue | ast.NumberValue | ast.IntervalValue):
        return v.to_text()
    raise _bad(opt, "a string")


def _bool(opt: ast.Option) -> bool:
    v = opt.value
    if v is None:
        return True
    if isinstance(v, ast.BooleanValue):
        return v.value
    if isinstance(v, ast.StringValue | ast.IdentValue) and v.to_text().lower() in (
            "true", "false", "on", "off"):
        return v.to_text().lower() in ("true", "on")
    raise _bad(opt, "a boolean")


def _uint(opt: ast.Option, maximum: int) -> int:
    v = opt.value
    text = v.to_text() if isinstance(v, ast.NumberValue | ast.StringValue) else ""
    if not text.isdigit():
        raise _bad(opt, "a non-negative integer")
    n = int(text)
    if n > maximum:
        raise InvalidParameterValue(f"{opt.name} must be at most {maximum}, got {n}",
                                    position=opt.position or None)
    return n


def _strings(opt: ast.Option) -> tuple[str, ...]:
    v = opt.value
    if isinstance(v, ast.ListValue):
        out: list[str] = []
        for item in v.items:
            if not isinstance(item, ast.StringValue | ast.IdentValue):
                raise _bad(opt, "a list of strings")
            out.append(item.to_text())
        return tuple(out)
    if isinstance(v, ast.StringValue):
        return (v.value,)
    raise _bad(opt, "a list of strings")


def _check_schedule(opt: ast.Option | None) -> None:
    if opt is not None and not (isinstance(opt.value, ast.IdentValue)
                                and opt.value.value.lower() == "manual"):
        raise FeatureNotSupported("only SCHEDULE = MANUAL is supported",
                                  position=opt.position or None)


def replica_spec(name: str, options: Sequence[ast.Option]) -> ReplicaSpec:
    opts = _index(options, REPLICA_OPTIONS, "cluster replica")
    if "SIZE" not in opts:
        raise InvalidParameterValue(f"SIZE option must be specified for replica {name}")
    return ReplicaSpec(
        name=name,
        size=_text(opts["SIZE"]),
        availability_zone=_text(opts["AVAILABILITY ZONE"]) if "AVAILABILITY ZONE" in opts
        else None,
        disk=_bool(opts["DISK"]) if "DISK" in opts else False,
    )


def plan_create_cluster(stmt: ast.CreateCluster) -> CreateClusterPlan:
    opts = _index(stmt.options, CLUSTER_OPTIONS, "cluster")
    _check_schedule(opts.get("SCHEDULE"))
    managed = _bool(opts["MANAGED"]) if "MANAGED" in opts else "REPLICAS" not in opts
    if not managed:
        for name in ("SIZE", "REPLICATION FACTOR", "AVAILABILITY ZONES"):
            if name in opts:
                raise SqlSyntaxError(f"{name} not supported for unmanaged clusters",
                                     position=opts[name].position or None)
        replicas: list[ReplicaSpec] = []
        if "REPLICAS" in opts:
            value = opts["REPLICAS"].value
            if not isinstance(value, ast.ReplicasValue):
                raise _bad(opts["REPLICAS"], "a list of replica definitions")
            names: set[str] = set()
            for rdef in value.replicas:
                if rdef.name.value in names:
                    raise SqlSyntaxError(f"replica name {rdef.name.value} specified twice",
                                         position=rdef.position or None)
                names.add(rdef.name.value)
                replicas.append(replica_spec(rdef.name.value, rdef.options))
        return CreateClusterPlan(stmt.name.value, None, tuple(replicas))
    if "REPLICAS" in opts:
        raise SqlSyntaxError("REPLICAS not supported for managed clusters",
                             position=opts["REPLICAS"].position or None)
    if "SIZE" not in opts:
        raise InvalidParameterValue("missing SIZE for managed cluster",
                                    hint="Specify a size, e.g. CREATE CLUSTER c (SIZE = '1').")
    settings = ManagedSettings(
        size=_text(opts["SIZE"]),
        replication_factor=_uint(opts["REPLICATION FACTOR"], MAX_REPLICATION_FACTOR)
        if "REPLICATION FACTOR" in opts else 1,
        availability_zones=_strings(opts["AVAILABILITY ZONES"])
        if "AVAILABILITY ZONES" in opts else (),
        disk=_bool(opts["DISK"]) if "DISK" in opts else False,
        introspection_interval=_text(opts["INTROSPECTION INTERVAL"])
        if "INTROSPECTION INTERVAL" in opts else "1s",
        introspection_debugging=_bool(opts["INTROSPECTION DEBUGGING"])
        if "INTROSPECTION DEBUGGING" in opts else False,
    )
    return CreateClusterPlan(stmt.name.value, settings)


def plan_create_replica(stmt: ast.CreateClusterReplica) -> CreateReplicaPlan:
    return CreateReplicaPlan(stmt.cluster.value, replica_spec(stmt.name.value, stmt.options))


def plan_alter_cluster(stmt: ast.AlterClusterSet | ast.AlterClusterReset) -> AlterClusterPlan:
    opts = _index(stmt.options, MANAGED_OPTIONS, "cluster")
    if isinstance(stmt, ast.AlterClusterReset):
        return AlterClusterPlan(stmt.name.value, stmt.if_exists,
                                reset=tuple(name.lower() for name in opts))
    _check_schedule(opts.get("SCHEDULE"))
    return AlterClusterPlan(
        name=stmt.name.value,
        if_exists=stmt.if_exists,
        size=_text(opts["SIZE"]) if "SIZE" in opts else None,
        replication_factor=_uint(opts["REPLICATION FACTOR"], MAX_REPLICATION_FACTOR)
        if "REPLICATION FACTOR" in opts else None,
        availability_zones=_strings(opts["AVAILABILITY ZONES"])
        if "AVAILABILITY ZONES" in opts else None,
        disk=_bool(opts["DISK"]) if "DISK" in opts else None,
        introspection_interval=_text(opts["INTROSPECTION INTERVAL"])
        if "INTROSPECTION INTERVAL" in opts else None,
        introspection_debugging=_bool(opts["INTROSPECTION DEBUGGING"])
        if "INTROSPECTION DEBUGGING" in opts else None,
        managed=_bool(opts["MANAGED"]) if "MANAGED" in opts else None,
    )
