"""environmentd's command-line flags, parsed into one frozen configuration object."""

from __future__ import annotations

import argparse
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from pymz.catalog import ReplicaSize, default_replica_sizes, parse_replica_sizes
from pymz.errors import ConfigurationError


@dataclass(frozen=True)
class ListenAddr:
    host: str
    port: int

    @classmethod
    def parse(cls, text: str) -> ListenAddr:
        host, sep, port = text.rpartition(":")
        if not sep or not port.isdigit() or int(port) > 65535:
            raise ConfigurationError(f"invalid listen address {text!r} (expected HOST:PORT)")
        return cls(host.strip("[]") or "0.0.0.0", int(port))


@dataclass(frozen=True)
class EnvironmentdConfig:
    data_directory: Path
    sql_listen: ListenAddr
    http_listen: ListenAddr
    internal_sql_listen: ListenAddr | None
    internal_http_listen: ListenAddr | None
    orchestrator: str
    service_labels: Mapping[str, str]
    replica_sizes: Mapping[str, ReplicaSize]
    default_cluster_replica_size: str
    default_cluster_replication_factor: int
    system_cluster_replica_size: str
    system_cluster_replication_factor: int
    environment_id: str | None
    clusterd_image: str
    log_level: str
    persist_blob_url: str
    persist_consensus_url: str
    timestamp_oracle_url: str
    table_compaction_window_ms: int
    secrets_controller: str = "local-file"  # or "kubernetes"
    secrets_dir: Path = Path("mzdata/secrets")
    secrets_kubernetes_namespace: str | None = None
    kubernetes: KubernetesFlags | None = None  # set iff something uses the Kubernetes API


@dataclass(frozen=True)
class KubernetesFlags:
    """The ``--orchestrator-kubernetes-*`` flags; the Kubernetes secrets controller uses the
    same credentials (``kubeconfig``/``context``) as the orchestrator."""

    namespace: str = "default"
    kubeconfig: Path | None = None  # None: in-cluster in a pod, else $KUBECONFIG/~/.kube/config
    context: str | None = None
    service_account: str | None = None
    image_pull_policy: str = "IfNotPresent"
    name_prefix: str = ""
    allow_local_persist: bool = False


def _env(name: str, default: str) -> str:
    return os.environ.get(name, default)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="environmentd",
        description="pymz control process: SQL over pgwire, catalog, controllers, orchestrator.",
    )
    p.add_argument("--data-directory", default=_env("MZ_DATA_DIRECTORY", "mzdata"),
                   help="where the catalog, persist data and replica run directories live")
    p.add_argument("--sql-listen-addr", default=_env("MZ_SQL_LISTEN_ADDR", "0.0.0.0:6875"))
    p.add_argument("--http-listen-addr", default=_env("MZ_HTTP_LISTEN_ADDR", "0.0.0.0:6876"))
    p.add_argument("--internal-sql-listen-addr",
                   default=_env("MZ_INTERNAL_SQL_LISTEN_ADDR", "127.0.0.1:6877"),
                   help="internal SQL port (empty to disable)")
    p.add_argument("--internal-http-listen-addr",
                   default=_env("MZ_INTERNAL_HTTP_LISTEN_ADDR", "127.0.0.1:6878"),
                   help="internal HTTP port (empty to disable)")
    p.add_argument("--orchestrator", choices=["process", "kubernetes"],
                   default=_env("MZ_ORCHESTRATOR", "process"),
                   help="how replicas run (process: child processes on this machine; "
                   "kubernetes: a StatefulSet and headless Service per replica)")
    p.add_argument("--orchestrator-kubernetes-namespace",
                   default=_env("MZ_ORCHESTRATOR_KUBERNETES_NAMESPACE", "default"),
                   help="Kubernetes namespace of the replicas' StatefulSets and Services")
    p.add_argument("--orchestrator-kubernetes-kubeconfig",
                   default=os.environ.get("MZ_ORCHESTRATOR_KUBERNETES_KUBECONFIG"),
                   help="kubeconfig file (default: in-cluster credentials when running in a "
                   "pod, else $KUBECONFIG or ~/.kube/config); also used by the Kubernetes "
                   "secrets controller")
    p.add_argument("--orchestrator-kubernetes-context",
                   default=os.environ.get("MZ_ORCHESTRATOR_KUBERNETES_CONTEXT"),
                   help="kubeconfig context (default: the kubeconfig's current context)")
    p.add_argument("--orchestrator-kubernetes-service-account",
                   default=os.environ.get("MZ_ORCHESTRATOR_KUBERNETES_SERVICE_ACCOUNT"),
                   help="service account of replica pods (default: the namespace's default)")
    p.add_argument("--orchestrator-kubernetes-image-pull-policy",
                   choices=["Always", "IfNotPresent", "Never"],
                   default=_env("MZ_ORCHESTRATOR_KUBERNETES_IMAGE_PULL_POLICY", "IfNotPresent"))
    p.add_argument("--orchestrator-kubernetes-name-prefix",
                   default=_env("MZ_ORCHESTRATOR_KUBERNETES_NAME_PREFIX", ""),
                   help="prefix of StatefulSet and Service names ({prefix}cluster-{id})")
    p.add_argument("--orchestrator-kubernetes-allow-local-persist", action="store_true",
                   help="allow file:// and sqlite:// persist URLs with --orchestrator="
                   "kubernetes (replica pods cannot reach them: for tests without clusterd)")
    p.add_argument("--orchestrator-service-label", action="append", default=[],
                   metavar="KEY=VALUE", help="label added to every service (repeatable)")
    p.add_argument("--cluster-replica-sizes", default=os.environ.get("MZ_CLUSTER_REPLICA_SIZES"),
                   help="JSON map of replica sizes (default: built-in local and cc sizes)")
    p.add_argument("--bootstrap-default-cluster-replica-size", default="1",
                   help="size of the quickstart cluster created on first start")
    p.add_argument("--bootstrap-default-cluster-replication-factor", type=int, default=1)
    p.add_argument("--bootstrap-builtin-system-cluster-replica-size", default="1")
    p.add_argument("--bootstrap-builtin-system-cluster-replication-factor", type=int, default=0)
    p.add_argument("--environment-id", default=os.environ.get("MZ_ENVIRONMENT_ID"),
                   help="environment id (default: generated on first start, then kept)")
    p.add_argument("--clusterd-image", default="clusterd",
                   help="image (process orchestrator: executable) that runs replicas")
    p.add_argument("--persist-blob-url", default=os.environ.get("MZ_PERSIST_BLOB_URL"),
                   help="where batch data lives: file:///dir (default: <data>/persist/blob)")
    p.add_argument("--persist-consensus-url",
                   default=os.environ.get("MZ_PERSIST_CONSENSUS_URL"),
                   help="shard state: sqlite:///path (default: <data>/persist/consensus.db) "
                   "or postgres://…")
    p.add_argument("--timestamp-oracle-url", default=os.environ.get("MZ_TIMESTAMP_ORACLE_URL"),
                   help="durable timestamp oracle (default: the persist consensus URL)")
    p.add_argument("--table-compaction-window-ms", type=int, default=10_000,
                   help="how far behind the write frontier tables stay readable (and "
                   "uncompacted); transactions hold it back further while they read")
    p.add_argument("--secrets-controller", choices=["local-file", "kubernetes"],
                   default=_env("MZ_SECRETS_CONTROLLER", "local-file"),
                   help="where secret contents live (kubernetes needs "
                   "--secrets-kubernetes-namespace)")
    p.add_argument("--secrets-dir", default=os.environ.get("MZ_SECRETS_DIR"),
                   help="local-file secrets directory (default: <data>/secrets)")
    p.add_argument("--secrets-kubernetes-namespace",
                   default=os.environ.get("MZ_SECRETS_KUBERNETES_NAMESPACE"),
                   help="namespace of the Kubernetes Secrets holding secret contents")
    p.add_argument("--log-level", default=_env("MZ_LOG_LEVEL", "info"),
                   choices=["debug", "info", "warning", "error"])
    return p


def _labels(items: Sequence[str]) -> dict[str, str]:
    labels: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise ConfigurationError(f"invalid --orchestrator-service-label {item!r}",
                                     hint="expected KEY=VALUE")
        labels[key] = value
    return labels


def parse_config(argv: Sequence[str] | None = None) -> EnvironmentdConfig:
    args = build_parser().parse_args(argv)
    sizes = (parse_replica_sizes(args.cluster_replica_sizes) if args.cluster_replica_sizes
             else default_replica_sizes())
    for flag, size in (("--bootstrap-default-cluster-replica-size",
                        args.bootstrap_default_cluster_replica_size),
                       ("--bootstrap-builtin-system-cluster-replica-size",
                        args.bootstrap_builtin_system_cluster_replica_size)):
        if size not in sizes:
            raise ConfigurationError(f"{flag}: unknown replica size {size!r}")
    data_directory = Path(args.data_directory).resolve()
    secrets_namespace = args.secrets_kubernetes_namespace
    if args.secrets_controller == "kubernetes" and not secrets_namespace:
        if args.orchestrator != "kubernetes":
            raise ConfigurationError("--secrets-controller=kubernetes needs "
                                     "--secrets-kubernetes-namespace")
        secrets_namespace = args.orchestrator_kubernetes_namespace
    consensus = args.persist_consensus_url or \
        f"sqlite://{data_directory / 'persist' / 'consensus.db'}"
    blob = args.persist_blob_url or f"file://{data_directory / 'persist' / 'blob'}"
    kubernetes: KubernetesFlags | None = None
    if args.orchestrator == "kubernetes" or args.secrets_controller == "kubernetes":
        kubernetes = _kubernetes_flags(args)
    if args.orchestrator == "kubernetes":
        _check_persist_reachable_from_pods(blob, consensus, args)
    return EnvironmentdConfig(
        data_directory=data_directory,
        persist_blob_url=blob,
        persist_consensus_url=consensus,
        timestamp_oracle_url=args.timestamp_oracle_url or consensus,
        table_compaction_window_ms=max(0, args.table_compaction_window_ms),
        sql_listen=ListenAddr.parse(args.sql_listen_addr),
        http_listen=ListenAddr.parse(args.http_listen_addr),
        internal_sql_listen=(ListenAddr.parse(args.internal_sql_listen_addr)
                             if args.internal_sql_listen_addr else None),
        internal_http_listen=(ListenAddr.parse(args.internal_http_listen_addr)
                              if args.internal_http_listen_addr else None),
        orchestrator=args.orchestrator,
        service_labels=_labels(args.orchestrator_service_label),
        replica_sizes=sizes,
        default_cluster_replica_size=args.bootstrap_default_cluster_replica_size,
        default_cluster_replication_factor=args.bootstrap_default_cluster_replication_factor,
        system_cluster_replica_size=args.bootstrap_builtin_system_cluster_replica_size,
        system_cluster_replication_factor=(
            args.bootstrap_builtin_system_cluster_replication_factor),
        environment_id=args.environment_id,
        clusterd_image=args.clusterd_image,
        log_level=args.log_level,
        secrets_controller=args.secrets_controller,
        secrets_dir=(Path(args.secrets_dir).resolve() if args.secrets_dir
                     else data_directory / "secrets"),
        secrets_kubernetes_namespace=secrets_namespace,
        kubernetes=kubernetes,
    )


def _kubernetes_flags(args: argparse.Namespace) -> KubernetesFlags:
    kubeconfig = args.orchestrator_kubernetes_kubeconfig
    return KubernetesFlags(
        namespace=args.orchestrator_kubernetes_namespace,
        kubeconfig=Path(kubeconfig).resolve() if kubeconfig else None,
        context=args.orchestrator_kubernetes_context or None,
        service_account=args.orchestrator_kubernetes_service_account or None,
        image_pull_policy=args.orchestrator_kubernetes_image_pull_policy,
        name_prefix=args.orchestrator_kubernetes_name_prefix,
        allow_local_persist=args.orchestrator_kubernetes_allow_local_persist,
    )


_LOCAL_SCHEMES = ("file://", "sqlite://")


def _check_persist_reachable_from_pods(blob: str, consensus: str,
                                       args: argparse.Namespace) -> None:
    """Replica pods open persist themselves: a path on environmentd's machine is useless
    to them, so local URLs are refused unless explicitly allowed (tests without clusterd)."""
    if args.orchestrator_kubernetes_allow_local_persist:
        return
    for flag, url in (("--persist-blob-url", blob), ("--persist-consensus-url", consensus)):
        if url.startswith(_LOCAL_SCHEMES):
            raise ConfigurationError(
                f"{flag} {url.split('://', 1)[0]}://… is local to environmentd; replica pods "
                "of --orchestrator=kubernetes cannot reach it",
                hint="use s3:// blob and postgres:// consensus URLs, or pass "
                "--orchestrator-kubernetes-allow-local-persist")
