"""``environmentd`` entry point: parse flags, wire components, serve until signalled."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import signal
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path

from prometheus_client import CollectorRegistry
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

from pymz import __version__
from pymz.adapter.coordinator import Coordinator, CoordinatorConfig
from pymz.adapter.replicas import ReplicaManager, ReplicaServiceConfig
from pymz.catalog import Catalog, CatalogFenced, DurableCatalog
from pymz.catalog.builtin import BootstrapConfig, bootstrap
from pymz.compute_client.controller import ComputeController
from pymz.environmentd.config import EnvironmentdConfig, parse_config
from pymz.environmentd.http import HttpServer
from pymz.errors import PymzError
from pymz.orchestrator import Orchestrator
from pymz.orchestrator_process import ProcessOrchestrator, ProcessOrchestratorConfig
from pymz.persist import PersistClient
from pymz.pgwire import PgwireServer, start_server
from pymz.secrets import LocalFileSecretsController, SecretsController
from pymz.storage_client.controller import StorageController
from pymz.storage_client.tables import TableWriter
from pymz.timestamp_oracle import timestamp_oracle_from_url

log = logging.getLogger("environmentd")

LISTEN_FILE = "environmentd.listen.json"


class PgwireCollector(Collector):
    """Exports the pgwire servers' plain counters to Prometheus."""

    def __init__(self, servers: Sequence[PgwireServer]) -> None:
        self._servers = servers

    def collect(self) -> Iterator[CounterMetricFamily | GaugeMetricFamily]:
        total = CounterMetricFamily("mz_pgwire_connections", "pgwire connections accepted.")
        active = GaugeMetricFamily("mz_pgwire_connections_active", "Open pgwire connections.")
        errors = CounterMetricFamily("mz_pgwire_errors", "Errors sent to pgwire clients.")
        total.add_metric([], sum(s.stats.connections_total for s in self._servers))
        active.add_metric([], sum(s.stats.connections_active for s in self._servers))
        errors.add_metric([], sum(s.stats.errors_total for s in self._servers))
        yield from (total, active, errors)


def _write_listen_file(data_dir: Path, ports: dict[str, int]) -> None:
    path = data_dir / LISTEN_FILE
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps({**ports, "pid": os.getpid()}))
    tmp.replace(path)


async def run(config: EnvironmentdConfig) -> None:
    data_dir = config.data_directory
    data_dir.mkdir(parents=True, exist_ok=True)
    (data_dir / LISTEN_FILE).unlink(missing_ok=True)

    catalog = Catalog(DurableCatalog.open(data_dir / "catalog" / "catalog.db"))
    bootstrap(catalog, BootstrapConfig(
        default_cluster_replica_size=config.default_cluster_replica_size,
        default_cluster_replication_factor=config.default_cluster_replication_factor,
        system_cluster_replica_size=config.system_cluster_replica_size,
        system_cluster_replication_factor=config.system_cluster_replication_factor,
        environment_id=config.environment_id,
    ))
    environment_id = catalog.environment_id
    log.info("environment %s, catalog epoch %d", environment_id, catalog.epoch)

    (data_dir / "persist").mkdir(exist_ok=True)
    persist = PersistClient.from_urls(config.persist_blob_url, config.persist_consensus_url)
    oracle = await asyncio.to_thread(timestamp_oracle_from_url, config.timestamp_oracle_url)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()

    def on_fenced() -> None:
        # A newer environmentd owns the data now: stop serving (called from a worker thread).
        loop.call_soon_threadsafe(stop.set)

    writer = TableWriter(persist, oracle, epoch=catalog.epoch, on_fenced=on_fenced,
                         compaction_window_ms=config.table_compaction_window_ms)

    orchestrator = _orchestrator(config, environment_id)
    compute = ComputeController()
    # Dataflows reading a table wake up when it is written instead of at their next poll.
    writer.set_append_listener(compute.shards_updated)
    storage = StorageController()
    replicas = ReplicaManager(orchestrator, compute, storage, ReplicaServiceConfig(
        environment_id=environment_id, clusterd_image=config.clusterd_image,
        extra_labels=dict(config.service_labels), persist_blob_url=config.persist_blob_url,
        persist_consensus_url=config.persist_consensus_url))
    registry = CollectorRegistry()
    coord = Coordinator(CoordinatorConfig(config.replica_sizes, environment_id), catalog,
                        replicas, registry, writer=writer, oracle=oracle, peeks=compute,
                        secrets=_secrets_controller(config, environment_id),
                        dataflows=compute, persist=persist)

    http = HttpServer(registry, lambda: coord.ready)
    await http.start(config.http_listen.host, config.http_listen.port)
    internal_http: HttpServer | None = None
    if config.internal_http_listen is not None:
        internal_http = HttpServer(registry, lambda: coord.ready)
        await internal_http.start(config.internal_http_listen.host,
                                  config.internal_http_listen.port)

    await coord.start()
    sql = await start_server(coord, config.sql_listen.host, config.sql_listen.port)
    servers = [sql]
    internal_sql: PgwireServer | None = None
    if config.internal_sql_listen is not None:
        internal_sql = await start_server(coord, config.internal_sql_listen.host,
                                          config.internal_sql_listen.port)
        servers.append(internal_sql)
    registry.register(PgwireCollector(servers))

    ports = {"sql": sql.port, "http": http.port}
    if internal_sql is not None:
        ports["internal_sql"] = internal_sql.port
    if internal_http is not None:
        ports["internal_http"] = internal_http.port
    _write_listen_file(data_dir, ports)
    log.info("pymz %s ready: SQL on %s:%d, HTTP on %s:%d", __version__, config.sql_listen.host,
             sql.port, config.http_listen.host, http.port)
    print(f"environmentd ready: psql -h localhost -p {sql.port} -U materialize materialize",
          file=sys.stderr, flush=True)

    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    fence_watch = asyncio.create_task(_watch_fencing(catalog, stop))
    await stop.wait()
    fence_watch.cancel()
    if catalog.is_fenced():
        log.error("fenced: another environmentd opened %s; exiting", data_dir)

    log.info("shutting down; replica processes keep running for re-adoption")
    coord.ready = False
    for server in servers:
        await server.close()
    await writer.stop()
    await replicas.stop()
    await compute.close()
    await storage.close()
    if isinstance(orchestrator, ProcessOrchestrator):
        # Kubernetes needs nothing: its objects and pods outlive us by themselves.
        await orchestrator.detach()
    await http.close()
    if internal_http is not None:
        await internal_http.close()
    if catalog.is_fenced():
        raise CatalogFenced("fenced: another environmentd opened this data directory")
    (data_dir / LISTEN_FILE).unlink(missing_ok=True)


def _orchestrator(config: EnvironmentdConfig, environment_id: str) -> Orchestrator:
    if config.orchestrator == "kubernetes":
        # Imported on demand: only this backend needs the kubernetes client library.
        from pymz.kube_apply import running_in_pod  # noqa: PLC0415
        from pymz.orchestrator_kubernetes import (  # noqa: PLC0415
            KubernetesOrchestrator,
            KubernetesOrchestratorConfig,
        )
        k = config.kubernetes
        assert k is not None
        return KubernetesOrchestrator(KubernetesOrchestratorConfig(
            kubernetes_namespace=k.namespace,
            kubeconfig=k.kubeconfig,
            context=k.context,
            # No kubeconfig given and running in a pod: the pod's service account.
            in_cluster=k.kubeconfig is None and running_in_pod(),
            name_prefix=k.name_prefix,
            image_pull_policy=k.image_pull_policy,
            service_account=k.service_account,
            service_labels=dict(config.service_labels),
        ))
    return ProcessOrchestrator(ProcessOrchestratorConfig(
        run_directory=config.data_directory / "run",
        environment_id=environment_id,
        service_labels=dict(config.service_labels),
    ))


def _secrets_controller(config: EnvironmentdConfig, environment_id: str) -> SecretsController:
    if config.secrets_controller == "kubernetes":
        # Imported on demand: only this backend needs the kubernetes client library.
        from pymz.secrets.kubernetes import (  # noqa: PLC0415
            KubernetesSecretsConfig,
            KubernetesSecretsController,
            label_value,
        )
        assert config.secrets_kubernetes_namespace is not None
        k = config.kubernetes
        return KubernetesSecretsController(KubernetesSecretsConfig(
            config.secrets_kubernetes_namespace,
            labels=(("materialize.cloud/environment", label_value(environment_id)),),
            kubeconfig=k.kubeconfig if k is not None else None,
            context=k.context if k is not None else None))
    return LocalFileSecretsController(config.secrets_dir)


async def _watch_fencing(catalog: Catalog, stop: asyncio.Event) -> None:
    """Stop serving as soon as a newer environmentd opens the same catalog."""
    while not stop.is_set():
        await asyncio.sleep(1.0)
        if await asyncio.to_thread(catalog.is_fenced):
            stop.set()


def main(argv: Sequence[str] | None = None) -> None:
    try:
        config = parse_config(argv)
    except PymzError as e:
        print(f"environmentd: {e.message}" + (f" ({e.hint})" if e.hint else ""),
              file=sys.stderr)
        sys.exit(2)
    logging.basicConfig(level=config.log_level.upper(), stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    with contextlib.suppress(KeyboardInterrupt):
        try:
            asyncio.run(run(config))
        except PymzError as e:
            log.error("fatal: %s", e.message)
            sys.exit(1)
        except OSError as e:
            log.error("fatal: %s", e)
            sys.exit(1)


if __name__ == "__main__":
    main()
