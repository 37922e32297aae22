"""clusterd entry point: flags, gRPC servers, internal HTTP, timely placeholder, signals."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import sys
from collections.abc import Sequence

import grpc.aio
from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from pymz.clusterd.server import ComputeServicer, Endpoint, Metrics, StorageServicer
from pymz.clusterd.timely import TimelyMesh, split_addr, unix_path
from pymz.compute import gc_policy
from pymz.compute.peek import PersistLocation, SnapshotPeekExecutor
from pymz.compute.runtime import ComputeRuntime
from pymz.compute_client.protocol import (
    ComputeCommand,
    ComputeResponse,
    add_ComputeCtlServicer_to_server,
)
from pymz.proto.common import SERVER_OPTIONS
from pymz.storage.runtime import StorageRuntime
from pymz.storage_client.protocol import (
    StorageCommand,
    StorageResponse,
    add_StorageCtlServicer_to_server,
)

log = logging.getLogger("pymz.clusterd")


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="clusterd", description="pymz storage+compute replica process")
    p.add_argument("--storagectl-listen-addr", required=True, metavar="HOST:PORT")
    p.add_argument("--computectl-listen-addr", required=True, metavar="HOST:PORT")
    p.add_argument("--timely-listen-addr", metavar="HOST:PORT")
    p.add_argument(
        "--timely-peer",
        action="append",
        default=[],
        metavar="HOST:PORT",
        help="timely address of every process of the replica, in process-index order",
    )
    p.add_argument(
        "--process",
        type=int,
        default=int(os.environ.get("PYMZ_PROCESS_INDEX", "0")),
        help="this process's index (default: $PYMZ_PROCESS_INDEX, else 0)",
    )
    p.add_argument("--workers", type=int, default=1)
    p.add_argument("--environment-id", default="local")
    p.add_argument("--internal-http-listen-addr", metavar="HOST:PORT")
    p.add_argument(
        "--persist-blob-url",
        metavar="URL",
        help="persist blob store (file:///dir, mem://); needed for peeks that read shards",
    )
    p.add_argument(
        "--persist-consensus-url",
        metavar="URL",
        help="persist consensus (sqlite:///path, postgres://...); with --persist-blob-url",
    )
    p.add_argument(
        "--peek-upper-wait-s",
        type=float,
        default=60.0,
        help="how long a peek waits for a shard to become readable at its timestamp",
    )
    p.add_argument("--log-level", default=os.environ.get("PYMZ_LOG_LEVEL", "INFO"))
    args = p.parse_args(argv)
    if (args.persist_blob_url is None) != (args.persist_consensus_url is None):
        p.error("--persist-blob-url and --persist-consensus-url go together")
    return args


class Clusterd:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.metrics = Metrics()
        location = (
            None
            if args.persist_blob_url is None
            else PersistLocation(args.persist_blob_url, args.persist_consensus_url)
        )
        self.compute = ComputeRuntime(
            args.process,
            args.workers,
            SnapshotPeekExecutor(location, upper_wait_s=args.peek_upper_wait_s),
        )
        self.storage = StorageRuntime(args.process, args.workers)
        self.compute_endpoint: Endpoint[ComputeCommand, ComputeResponse] = Endpoint(
            "compute",
            self.compute,
            make_ack=lambda ack: ComputeResponse(hello_ack=ack),
            metrics=self.metrics,
            process=args.process,
            workers=args.workers,
        )
        self.compute.emit = self.compute_endpoint.send
        self.storage_endpoint: Endpoint[StorageCommand, StorageResponse] = Endpoint(
            "storage",
            self.storage,
            make_ack=lambda ack: StorageResponse(hello_ack=ack),
            metrics=self.metrics,
            process=args.process,
            workers=args.workers,
        )
        self.timely = TimelyMesh(args.process, args.timely_listen_addr, list(args.timely_peer))
        self.server = grpc.aio.server(options=SERVER_OPTIONS)
        add_ComputeCtlServicer_to_server(ComputeServicer(self.compute_endpoint), self.server)
        add_StorageCtlServicer_to_server(StorageServicer(self.storage_endpoint), self.server)
        self.http: web.AppRunner | None = None

    async def start(self) -> None:
        for addr in (self.args.storagectl_listen_addr, self.args.computectl_listen_addr):
            # add_insecure_port raises if the address cannot be bound.
            self.server.add_insecure_port(addr)
        await self.server.start()
        await self.timely.start()
        if self.args.internal_http_listen_addr:
            app = web.Application()
            app.router.add_get("/api/livez", self._livez)
            app.router.add_get("/metrics", self._metrics)
            app.router.add_get("/api/introspection", self._introspection)
            self.http = web.AppRunner(app, access_log=None)
            await self.http.setup()
            addr = self.args.internal_http_listen_addr
            path = unix_path(addr)
            if path is not None:
                await web.UnixSite(self.http, path).start()
            else:
                host, port = split_addr(addr)
                await web.TCPSite(self.http, host, port).start()
        log.info(
            "clusterd process %d (environment %s, %d workers) serving storagectl %s, "
            "computectl %s, timely peers %s",
            self.args.process,
            self.args.environment_id,
            self.args.workers,
            self.args.storagectl_listen_addr,
            self.args.computectl_listen_addr,
            self.args.timely_peer,
        )

    async def stop(self) -> None:
        await self.server.stop(grace=1.0)
        await self.compute.close()
        await self.timely.close()
        if self.http is not None:
            await self.http.cleanup()

    async def _livez(self, _: web.Request) -> web.Response:
        return web.Response(text="ok\n")

    async def _metrics(self, _: web.Request) -> web.Response:
        body = generate_latest(self.metrics.registry)
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})

    async def _introspection(self, _: web.Request) -> web.Response:
        return web.json_response(
            {
                "process": self.args.process,
                "compute": self.compute.introspect(),
                "storage": self.storage.introspect(),
                "timely": {
                    "peers": self.args.timely_peer,
                    "connected": sorted(self.timely.connected),
                },
            }
        )


async def run(args: argparse.Namespace) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    clusterd = Clusterd(args)
    await clusterd.start()
    await stop.wait()
    log.info("shutting down")
    await clusterd.stop()


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv)
    logging.basicConfig(
        stream=sys.stderr,
        level=args.log_level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    gc_policy.apply()
    try:
        asyncio.run(run(args))
    except RuntimeError as e:
        log.error("clusterd failed: %s", e)
        sys.exit(1)


if __name__ == "__main__":
    main()
