"""CREATE/ALTER/DROP CLUSTER [REPLICA] statements."""

from __future__ import annotations

from pymz.sql import ast, parse_one
from pymz.sql.ast import (
    BooleanValue,
    Ident,
    IdentValue,
    IntervalValue,
    ListValue,
    NumberValue,
    ObjectName,
    Option,
    ReplicaDefinition,
    ReplicasValue,
    StringValue,
)


def name(*parts: str) -> ObjectName:
    return ObjectName(tuple(Ident(p) for p in parts))


def test_create_managed_cluster_all_options() -> None:
    stmt = parse_one(
        "CREATE CLUSTER prod (SIZE = '25cc', REPLICATION FACTOR = 2, "
        "AVAILABILITY ZONES = ('use1-az1', 'use1-az2'), DISK = true, "
        "INTROSPECTION INTERVAL = '1s', INTROSPECTION DEBUGGING = false, MANAGED = TRUE, "
        "SCHEDULE = MANUAL, WORKLOAD CLASS = 'x')"
    )
    assert stmt == ast.CreateCluster(
        Ident("prod"),
        (
            Option("SIZE", StringValue("25cc")),
            Option("REPLICATION FACTOR", NumberValue("2")),
            Option(
                "AVAILABILITY ZONES", ListValue((StringValue("use1-az1"), StringValue("use1-az2")))
            ),
            Option("DISK", BooleanValue(True)),
            Option("INTROSPECTION INTERVAL", StringValue("1s")),
            Option("INTROSPECTION DEBUGGING", BooleanValue(False)),
            Option("MANAGED", BooleanValue(True)),
            Option("SCHEDULE", IdentValue("manual")),
            Option("WORKLOAD CLASS", StringValue("x")),
        ),
    )


def test_option_positions_point_at_option_and_value() -> None:
    sql = "CREATE CLUSTER c (SIZE = '1', REPLICATION FACTOR 3)"
    stmt = parse_one(sql)
    assert isinstance(stmt, ast.CreateCluster)
    size, rf = stmt.options
    assert sql[size.position - 1 :].startswith("SIZE")
    assert sql[rf.position - 1 :].startswith("REPLICATION")
    assert rf.value == NumberValue("3")  # `=` is optional
    assert rf.value is not None
    assert sql[rf.value.position - 1] == "3"
    assert stmt.name.position == sql.index("c (") + 1


def test_option_without_value_and_interval_and_signed_numbers() -> None:
    stmt = parse_one(
        "create cluster c (disk, introspection interval = interval '2 s', replication factor = -1)"
    )
    assert isinstance(stmt, ast.CreateCluster)
    assert stmt.options == (
        Option("DISK", None),
        Option("INTROSPECTION INTERVAL", IntervalValue("2 s")),
        Option("REPLICATION FACTOR", NumberValue("-1")),
    )


def test_create_cluster_without_options() -> None:
    assert parse_one("CREATE CLUSTER c") == ast.CreateCluster(Ident("c"), ())


def test_create_cluster_quoted_name_keeps_case() -> None:
    stmt = parse_one('CREATE CLUSTER "My""Cluster" (SIZE = \'1\')')
    assert isinstance(stmt, ast.CreateCluster)
    assert stmt.name == Ident('My"Cluster')


def test_unmanaged_cluster_legacy_form() -> None:
    stmt = parse_one(
        "CREATE CLUSTER c REPLICAS (r1 (SIZE = '1'), r2 (SIZE = '2', AVAILABILITY ZONE = 'z'))"
    )
    assert stmt == ast.CreateCluster(
        Ident("c"),
        (
            Option(
                "REPLICAS",
                ReplicasValue(
                    (
                        ReplicaDefinition(Ident("r1"), (Option("SIZE", StringValue("1")),)),
                        ReplicaDefinition(
                            Ident("r2"),
                            (
                                Option("SIZE", StringValue("2")),
                                Option("AVAILABILITY ZONE", StringValue("z")),
                            ),
                        ),
                    )
                ),
            ),
        ),
    )


def test_unmanaged_cluster_parenthesised_form() -> None:
    a = parse_one("CREATE CLUSTER c (REPLICAS (r1 (SIZE '1')), MANAGED = false)")
    assert isinstance(a, ast.CreateCluster)
    assert [o.name for o in a.options] == ["REPLICAS", "MANAGED"]
    b = parse_one("CREATE CLUSTER c (REPLICAS = ())")
    assert isinstance(b, ast.CreateCluster)
    assert b.options == (Option("REPLICAS", ReplicasValue(())),)


def test_schedule_on_refresh() -> None:
    stmt = parse_one("CREATE CLUSTER c (SCHEDULE = ON REFRESH (HYDRATION TIME ESTIMATE = '1h'))")
    assert isinstance(stmt, ast.CreateCluster)
    assert stmt.options == (
        Option(
            "SCHEDULE",
            ast.RefreshScheduleValue((Option("HYDRATION TIME ESTIMATE", StringValue("1h")),)),
        ),
    )


def test_create_cluster_replica() -> None:
    stmt = parse_one("create cluster replica Quickstart.R2 (SIZE = 'x', DISK, WORKERS = 4)")
    assert stmt == ast.CreateClusterReplica(
        Ident("quickstart"),
        Ident("r2"),
        (
            Option("SIZE", StringValue("x")),
            Option("DISK", None),
            Option("WORKERS", NumberValue("4")),
        ),
    )


def test_drop_cluster() -> None:
    assert parse_one("DROP CLUSTER c") == ast.DropObjects("CLUSTER", False, (name("c"),), False)
    assert parse_one("drop cluster if exists a, b cascade") == ast.DropObjects(
        "CLUSTER", True, (name("a"), name("b")), True
    )
    assert parse_one("DROP CLUSTER a RESTRICT") == ast.DropObjects(
        "CLUSTER", False, (name("a"),), False
    )


def test_drop_cluster_replica() -> None:
    assert parse_one("DROP CLUSTER REPLICA IF EXISTS c.r1, c.r2") == ast.DropObjects(
        "CLUSTER REPLICA", True, (name("c", "r1"), name("c", "r2")), False
    )


def test_alter_cluster_set_reset() -> None:
    assert parse_one("ALTER CLUSTER c SET (SIZE = '2', REPLICATION FACTOR = 0)") == (
        ast.AlterClusterSet(
            Ident("c"),
            False,
            (Option("SIZE", StringValue("2")), Option("REPLICATION FACTOR", NumberValue("0"))),
        )
    )
    assert parse_one("ALTER CLUSTER IF EXISTS c RESET (SIZE, REPLICATION FACTOR)") == (
        ast.AlterClusterReset(
            Ident("c"), True, (Option("SIZE", None), Option("REPLICATION FACTOR", None))
        )
    )


def test_alter_cluster_rename_owner() -> None:
    assert parse_one("ALTER CLUSTER IF EXISTS a RENAME TO b") == ast.AlterRename(
        "CLUSTER", True, name("a"), Ident("b")
    )
    assert parse_one("ALTER CLUSTER REPLICA c.r RENAME TO s") == ast.AlterRename(
        "CLUSTER REPLICA", False, name("c", "r"), Ident("s")
    )
    assert parse_one("ALTER CLUSTER a OWNER TO joe") == ast.AlterOwner(
        "CLUSTER", False, name("a"), Ident("joe")
    )


def test_alter_cluster_swap_is_unsupported() -> None:
    stmt = parse_one("ALTER CLUSTER a SWAP WITH b")
    assert stmt == ast.Unsupported("ALTER CLUSTER a SWAP WITH b", "ALTER CLUSTER SWAP")


def test_list_value_forms() -> None:
    for text in ("('a', 'b')", "ARRAY['a', 'b']", "['a','b']"):
        stmt = parse_one(f"CREATE CLUSTER c (AVAILABILITY ZONES = {text})")
        assert isinstance(stmt, ast.CreateCluster)
        assert stmt.options[0].value == ListValue((StringValue("a"), StringValue("b")))
