"""Sequencing of cluster DDL: catalog first, then the orchestrator.

Every function commits its catalog change before touching services, and the services are
brought to match the catalog afterwards; a crash in between is repaired by start-up
reconciliation (orphans dropped, missing services created).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

from pymz.adapter.plans import (
    AlterClusterPlan,
    CreateClusterPlan,
    CreateReplicaPlan,
    DropClustersPlan,
    DropReplicasPlan,
    ManagedSettings,
    RenameClusterPlan,
    RenameReplicaPlan,
    ReplicaSpec,
)
from pymz.adapter.replicas import ReplicaManager
from pymz.catalog import Catalog, CatalogTransaction, Cluster, ClusterReplica, ReplicaSize
from pymz.errors import (
    FeatureNotSupported,
    InsufficientPrivilege,
    InvalidParameterValue,
    PymzError,
    UndefinedObject,
)


class ReservedName(PymzError):
    sqlstate = "42939"


MAX_REPLICATION_FACTOR = 16


def check_size(sizes: Mapping[str, ReplicaSize], size: str) -> ReplicaSize:
    found = sizes.get(size)
    if found is None:
        raise InvalidParameterValue(
            f"unknown cluster replica size {size}",
            hint="Valid sizes: " + ", ".join(sorted(sizes, key=_size_sort_key)) + ".",
        )
    return found


def _size_sort_key(name: str) -> tuple[int, str]:
    digits = "".join(ch for ch in name if ch.isdigit())
    return (int(digits) if digits else 0, name)


def check_user_name(kind: str, name: str) -> None:
    if name.startswith("mz_"):
        raise ReservedName(f'{kind} name "{name}" is reserved',
                           detail='The prefix "mz_" is reserved for system objects.')


def check_modifiable(cluster: Cluster) -> None:
    if cluster.id.startswith("s"):
        raise InsufficientPrivilege(f"system cluster '{cluster.name}' cannot be modified")


class ClusterSequencer:
    def __init__(self, catalog: Catalog, replicas: ReplicaManager,
                 sizes: Mapping[str, ReplicaSize]) -> None:
        self._catalog = catalog
        self._replicas = replicas
        self._sizes = sizes

    # --- helpers ---------------------------------------------------------------------
    def _new_replica(self, txn: CatalogTransaction, cluster: Cluster, spec: ReplicaSpec,
                     owner_id: str, *, internal: bool) -> ClusterReplica:
        check_size(self._sizes, spec.size)
        txn.check_replica_name_free(cluster, spec.name)
        replica = ClusterReplica(txn.allocate_id("cluster_replica"), spec.name, cluster.id,
                                 spec.size, owner_id, spec.availability_zone, spec.disk,
                                 internal=internal)
        txn.put(replica)
        return replica

    def _managed_replicas(self, txn: CatalogTransaction, cluster: Cluster, count: int,
                          existing: list[str]) -> list[ClusterReplica]:
        """Create replicas r1, r2, … (skipping names in use) until ``count`` exist."""
        assert cluster.size is not None
        created: list[ClusterReplica] = []
        n = 1
        names = set(existing)
        while len(names) < count:
            name = f"r{n}"
            n += 1
            if name in names:
                continue
            az = cluster.availability_zones[(len(names)) % len(cluster.availability_zones)] \
                if cluster.availability_zones else None
            created.append(self._new_replica(txn, cluster, ReplicaSpec(name, cluster.size, az,
                                                                       cluster.disk),
                                             cluster.owner_id, internal=True))
            names.add(name)
        return created

    async def _apply(self, created: list[ClusterReplica], dropped: list[ClusterReplica]) -> None:
        for replica in dropped:
            await self._replicas.drop_replica(replica)
        for replica in created:
            await self._replicas.ensure_replica(replica, self._sizes[replica.size])

    # --- statements ------------------------------------------------------------------
    async def create_cluster(self, plan: CreateClusterPlan, owner_id: str) -> None:
        check_user_name("cluster", plan.name)
        txn = self._catalog.transaction()
        txn.check_cluster_name_free(plan.name)
        m = plan.managed
        if m is not None:
            check_size(self._sizes, m.size)
            cluster = Cluster(txn.allocate_id("cluster"), plan.name, owner_id, True, m.size,
                              m.replication_factor, m.availability_zones, m.disk,
                              m.introspection_interval, m.introspection_debugging)
            txn.put(cluster)
            created = self._managed_replicas(txn, cluster, m.replication_factor, [])
        else:
            cluster = Cluster(txn.allocate_id("cluster"), plan.name, owner_id, False, None,
                              None)
            txn.put(cluster)
            created = []
            for spec in plan.replicas:
                check_user_name("cluster replica", spec.name)
                created.append(self._new_replica(txn, cluster, spec, owner_id,
                                                 internal=False))
        txn.commit()
        self._replicas.ensure_instance(cluster.id)
        await self._apply(created, [])

    async def create_replica(self, plan: CreateReplicaPlan, owner_id: str) -> None:
        cluster = self._catalog.resolve_cluster(plan.cluster)
        check_modifiable(cluster)
        if cluster.managed:
            raise FeatureNotSupported(
                "cannot create more cluster replicas in managed clusters",
                hint="Use ALTER CLUSTER to change the replication factor.",
            )
        check_user_name("cluster replica", plan.replica.name)
        txn = self._catalog.transaction()
        replica = self._new_replica(txn, cluster, plan.replica, owner_id, internal=False)
        txn.commit()
        await self._apply([replica], [])

    async def drop_clusters(self, plan: DropClustersPlan) -> list[str]:
        """Returns notices for names skipped with IF EXISTS."""
        notices: list[str] = []
        targets: list[Cluster] = []
        for name in plan.names:
            cluster = self._catalog.cluster_by_name(name)
            if cluster is None:
                if plan.if_exists:
                    notices.append(f'cluster "{name}" does not exist, skipping')
                    continue
                raise UndefinedObject(f"unknown cluster '{name}'")
            check_modifiable(cluster)
            if cluster not in targets:
                targets.append(cluster)
        txn = self._catalog.transaction()
        dropped: list[ClusterReplica] = []
        for cluster in targets:
            for replica in self._catalog.replicas_of(cluster.id):
                txn.remove(replica)
                dropped.append(replica)
            txn.remove(cluster)
        if targets:
            txn.commit()
        await self._apply([], dropped)
        for cluster in targets:
            await self._replicas.drop_instance(cluster.id)
        return notices

    async def drop_replicas(self, plan: DropReplicasPlan) -> list[str]:
        notices: list[str] = []
        targets: list[ClusterReplica] = []
        for cluster_name, replica_name in plan.names:
            cluster = self._catalog.cluster_by_name(cluster_name)
            if cluster is None:
                if plan.if_exists:
                    notices.append(f'cluster "{cluster_name}" does not exist, skipping')
                    continue
                raise UndefinedObject(f"unknown cluster '{cluster_name}'")
            replica = next((r for r in self._catalog.replicas_of(cluster.id)
                            if r.name == replica_name), None)
            if replica is None:
                if plan.if_exists:
                    notices.append(f'cluster replica "{cluster_name}.{replica_name}" does '
                                   "not exist, skipping")
                    continue
                raise UndefinedObject(f"unknown cluster replica '{cluster_name}.{replica_name}'")
            check_modifiable(cluster)
            if cluster.managed:
                raise FeatureNotSupported(
                    "cannot drop replicas from managed clusters",
                    hint="Use ALTER CLUSTER to change the replication factor.",
                )
            targets.append(replica)
        if targets:
            txn = self._catalog.transaction()
            for replica in targets:
                txn.remove(replica)
            txn.commit()
        await self._apply([], targets)
        return notices

    async def alter_cluster(self, plan: AlterClusterPlan) -> list[str]:
        cluster = self._catalog.cluster_by_name(plan.name)
        if cluster is None:
            if plan.if_exists:
                return [f'cluster "{plan.name}" does not exist, skipping']
            raise UndefinedObject(f"unknown cluster '{plan.name}'")
        check_modifiable(cluster)
        defaults = ManagedSettings(size=cluster.size or "")
        managed = cluster.managed if plan.managed is None else plan.managed
        if not managed:
            if any(v is not None for v in (plan.size, plan.replication_factor,
                                           plan.availability_zones)):
                raise InvalidParameterValue(
                    "cannot modify managed cluster options of an unmanaged cluster",
                    hint="Use ALTER CLUSTER ... SET (MANAGED) to make the cluster managed.",
                )
            txn = self._catalog.transaction()
            txn.put(dataclasses.replace(cluster, managed=False, size=None,
                                        replication_factor=None))
            txn.commit()
            return []
        size = plan.size if plan.size is not None else cluster.size
        if "size" in plan.reset:
            raise InvalidParameterValue("SIZE cannot be reset on a managed cluster")
        if size is None:
            raise InvalidParameterValue("missing SIZE for managed cluster",
                                        hint="Specify SIZE when making a cluster managed.")
        check_size(self._sizes, size)
        rf = plan.replication_factor
        if rf is None:
            rf = 1 if "replication factor" in plan.reset or cluster.replication_factor is None \
                else cluster.replication_factor
        azs = plan.availability_zones if plan.availability_zones is not None else (
            () if "availability zones" in plan.reset else cluster.availability_zones)
        new = dataclasses.replace(
            cluster, managed=True, size=size, replication_factor=rf, availability_zones=azs,
            disk=plan.disk if plan.disk is not None else cluster.disk,
            introspection_interval=(plan.introspection_interval
                                    if plan.introspection_interval is not None else
                                    defaults.introspection_interval
                                    if "introspection interval" in plan.reset
                                    else cluster.introspection_interval),
            introspection_debugging=(plan.introspection_debugging
                                     if plan.introspection_debugging is not None else
                                     cluster.introspection_debugging),
        )
        txn = self._catalog.transaction()
        txn.put(new)
        current = self._catalog.replicas_of(cluster.id)
        # Replicas whose shape no longer matches the cluster are replaced (new ids, so the
        # old processes are dropped and new ones started); surplus replicas are dropped.
        keep = [r for r in current if r.size == size and r.disk == new.disk][:rf]
        dropped = [r for r in current if r not in keep]
        for replica in dropped:
            txn.remove(replica)
        created = self._managed_replicas(txn, new, rf, [r.name for r in keep])
        txn.commit()
        await self._apply(created, dropped)
        return []

    async def rename_cluster(self, plan: RenameClusterPlan) -> list[str]:
        cluster = self._catalog.cluster_by_name(plan.name)
        if cluster is None:
            if plan.if_exists:
                return [f'cluster "{plan.name}" does not exist, skipping']
            raise UndefinedObject(f"unknown cluster '{plan.name}'")
        check_modifiable(cluster)
        check_user_name("cluster", plan.new_name)
        if plan.new_name == cluster.name:
            return []
        txn = self._catalog.transaction()
        txn.check_cluster_name_free(plan.new_name)
        txn.put(dataclasses.replace(cluster, name=plan.new_name))
        txn.commit()
        return []

    async def rename_replica(self, plan: RenameReplicaPlan) -> list[str]:
        cluster = self._catalog.cluster_by_name(plan.cluster)
        if cluster is None:
            if plan.if_exists:
                return [f'cluster "{plan.cluster}" does not exist, skipping']
            raise UndefinedObject(f"unknown cluster '{plan.cluster}'")
        replica = self._catalog.resolve_replica(plan.cluster, plan.replica)
        check_modifiable(cluster)
        if cluster.managed:
            raise FeatureNotSupported("cannot rename replicas in managed clusters")
        check_user_name("cluster replica", plan.new_name)
        txn = self._catalog.transaction()
        txn.check_replica_name_free(cluster, plan.new_name)
        txn.put(dataclasses.replace(replica, name=plan.new_name))
        txn.commit()
        return []
