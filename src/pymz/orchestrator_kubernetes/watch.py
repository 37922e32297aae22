"""List-then-watch of pods in a daemon thread, feeding an asyncio queue.

The thread lists pods (delivering the whole set as one ``SYNC`` item), then watches from the
list's resourceVersion, delivering ``ADDED``/``MODIFIED``/``DELETED`` items. A watch that ends
(server timeout) resumes from the last version seen; ``410 Gone`` (version expired) re-lists;
connection and server errors (an API-server restart) reconnect with exponential back-off.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import threading
from typing import Any

from kubernetes.watch.watch import iter_resp_lines  # type: ignore[import-untyped]

from pymz.orchestrator_kubernetes.client import KubeClient, status_of

logger = logging.getLogger(__name__)

# (kind, payload): ("SYNC", [pod, ...]) or (event type, pod).
WatchItem = tuple[str, Any]


class _Gone(Exception):
    """The watched resourceVersion is too old: list again."""


class PodWatcher:
    """Follows pods matching ``label_selector`` until :meth:`stop`."""

    def __init__(
        self,
        client: KubeClient,
        label_selector: str,
        loop: asyncio.AbstractEventLoop,
        queue: asyncio.Queue[WatchItem],
    ) -> None:
        self._client = client
        self._config = client.config
        self._selector = label_selector
        self._loop = loop
        self._queue = queue
        self._stopped = threading.Event()
        self._response: Any = None
        # The resourceVersion to resume from; None means list first.
        self._version: str | None = None
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, name="pymz-pod-watch", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        """Ask the thread to end and interrupt a blocked read; does not wait for it."""
        self._stopped.set()
        with self._lock:
            response = self._response
        if response is not None:
            with contextlib.suppress(Exception):
                response.shutdown()

    def _put(self, item: WatchItem) -> None:
        if self._stopped.is_set():
            return
        with contextlib.suppress(RuntimeError):  # the loop is already closed
            self._loop.call_soon_threadsafe(self._queue.put_nowait, item)

    def _run(self) -> None:
        delay = self._config.api_backoff_initial
        core = self._client.core
        namespace = self._config.kubernetes_namespace
        while not self._stopped.is_set():
            try:
                if self._version is None:
                    listed = self._client.call_sync(
                        core.list_namespaced_pod, namespace, label_selector=self._selector
                    )
                    self._version = listed["metadata"]["resourceVersion"]
                    self._put(("SYNC", listed.get("items") or []))
                self._watch_once(self._version)
                delay = self._config.api_backoff_initial
            except _Gone:
                self._version = None
            except Exception as e:  # any failure: back off, reconnect
                if self._stopped.is_set():
                    return
                if status_of(e) == 410:
                    self._version = None
                    continue
                logger.info(
                    "pod watch failed (%s: %s); retrying in %.2fs", type(e).__name__, e, delay
                )
                self._stopped.wait(delay)
                delay = min(delay * 2, self._config.api_backoff_max)

    def _watch_once(self, version: str) -> None:
        """One watch request from ``version``, recording each version seen as it goes (so a
        broken connection resumes after the last delivered event, not before it)."""
        timeout = self._config.watch_timeout_seconds
        response = self._client.core.list_namespaced_pod(
            self._config.kubernetes_namespace,
            label_selector=self._selector,
            watch=True,
            resource_version=version,
            allow_watch_bookmarks=True,
            timeout_seconds=timeout,
            _preload_content=False,
            # Connect quickly; a read may legitimately block until the server-side timeout.
            _request_timeout=(self._config.request_timeout, timeout + 30),
        )
        with self._lock:
            self._response = response
        try:
            if self._stopped.is_set():
                return
            for line in iter_resp_lines(response):
                if self._stopped.is_set():
                    break
                if not line:
                    continue
                event = json.loads(line)
                kind, obj = event.get("type"), event.get("object") or {}
                if kind == "ERROR":
                    if obj.get("code") == 410:
                        raise _Gone
                    raise RuntimeError(f"watch error: {obj.get('message', obj)}")
                if kind in ("ADDED", "MODIFIED", "DELETED"):
                    self._put((kind, obj))
                self._version = obj.get("metadata", {}).get("resourceVersion") or self._version
        finally:
            with self._lock:
                self._response = None
            with contextlib.suppress(Exception):
                response.release_conn()
