"""Bootstrap of the system objects every environment starts with.

Runs once, on the first start of a fresh data directory, in the same transaction that marks
the catalog initialized — so a crash mid-bootstrap leaves nothing half-made.
"""

from __future__ import annotations

from dataclasses import dataclass

from pymz.catalog.objects import Cluster, ClusterReplica, Database, Role, Schema
from pymz.catalog.state import Catalog

SYSTEM_SCHEMAS = (
    "mz_catalog", "pg_catalog", "mz_internal", "information_schema", "mz_introspection",
    "mz_unsafe",
)
DEFAULT_DATABASE = "materialize"
DEFAULT_SCHEMA = "public"
DEFAULT_CLUSTER = "quickstart"
DEFAULT_ROLE = "materialize"
SYSTEM_ROLES = ("mz_system", "mz_support")
SYSTEM_CLUSTERS = ("mz_system", "mz_catalog_server")


@dataclass(frozen=True)
class BootstrapConfig:
    default_cluster_replica_size: str
    default_cluster_replication_factor: int = 1
    system_cluster_replica_size: str = "1"
    # System clusters have no replicas by default: introspection queries are answered by
    # environmentd itself, and every replica is a real process on this machine.
    system_cluster_replication_factor: int = 0
    environment_id: str | None = None


def bootstrap(catalog: Catalog, config: BootstrapConfig) -> None:
    """Create the built-in objects if this catalog has never been initialized."""
    if catalog.is_initialized:
        return
    txn = catalog.transaction()
    txn.ensure_environment_id(config.environment_id)
    oid = 16_384  # system OIDs below the user range
    for name in SYSTEM_ROLES:
        txn.put(Role(txn.allocate_id("role", system=True), oid, name, superuser=True))
        oid += 1
    default_role = Role(txn.allocate_id("role"), txn.allocate_oid(), DEFAULT_ROLE,
                        superuser=True)
    txn.put(default_role)
    for name in SYSTEM_SCHEMAS:
        txn.put(Schema(txn.allocate_id("schema", system=True), oid, name, None, "s1"))
        oid += 1
    db = Database(txn.allocate_id("database"), txn.allocate_oid(), DEFAULT_DATABASE,
                  default_role.id)
    txn.put(db)
    txn.put(Schema(txn.allocate_id("schema"), txn.allocate_oid(), DEFAULT_SCHEMA, db.id,
                   default_role.id))
    for name in SYSTEM_CLUSTERS:
        cluster = Cluster(txn.allocate_id("cluster", system=True), name, "s1", True,
                          config.system_cluster_replica_size,
                          config.system_cluster_replication_factor)
        txn.put(cluster)
        for i in range(config.system_cluster_replication_factor):
            txn.put(ClusterReplica(txn.allocate_id("cluster_replica", system=True),
                                   f"r{i + 1}", cluster.id, config.system_cluster_replica_size,
                                   "s1", internal=True))
    quickstart = Cluster(txn.allocate_id("cluster"), DEFAULT_CLUSTER, default_role.id, True,
                         config.default_cluster_replica_size,
                         config.default_cluster_replication_factor)
    txn.put(quickstart)
    for i in range(config.default_cluster_replication_factor):
        txn.put(ClusterReplica(txn.allocate_id("cluster_replica"), f"r{i + 1}", quickstart.id,
                               config.default_cluster_replica_size, default_role.id,
                               internal=True))
    txn.set_setting("initialized", "true")
    txn.commit()
