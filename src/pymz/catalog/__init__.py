"""The durable catalog: clusters, replicas, databases, schemas, roles and settings.

Guarantees: every committed transaction is durable (SQLite, synchronous=FULL) before
``commit`` returns; ids are never reused (``u*`` for user objects, ``s*`` for system ones);
a second environmentd opening the same catalog fences the first (its next commit fails with
an error rather than interleaving writes). Does not guarantee: anything about the
orchestrator's state — the adapter reconciles services to the catalog.
"""

from pymz.catalog.durable import CatalogFenced, DurableCatalog
from pymz.catalog.objects import (
    Cluster,
    ClusterReplica,
    Database,
    Index,
    MaterializedView,
    ReplicaSize,
    Role,
    Schema,
    Secret,
    Table,
    TableColumn,
    View,
)
from pymz.catalog.sizes import default_replica_sizes, parse_replica_sizes
from pymz.catalog.state import Catalog, CatalogTransaction

__all__ = [
    "Catalog",
    "CatalogFenced",
    "CatalogTransaction",
    "Cluster",
    "ClusterReplica",
    "Database",
    "DurableCatalog",
    "Index",
    "MaterializedView",
    "ReplicaSize",
    "Role",
    "Schema",
    "Secret",
    "Table",
    "TableColumn",
    "View",
    "default_replica_sizes",
    "parse_replica_sizes",
]
