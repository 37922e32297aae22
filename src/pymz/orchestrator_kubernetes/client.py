"""A thin asynchronous layer over the synchronous ``kubernetes`` client.

Calls run in worker threads and return decoded JSON (plain dicts, the API's own field names),
retrying transient failures — 429, 5xx, 409 conflicts and connection errors — with exponential
back-off up to a deadline.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import time
from collections.abc import Callable
from typing import Any

import urllib3
from kubernetes import client as k8s  # type: ignore[import-untyped]
from kubernetes.client.exceptions import ApiException  # type: ignore[import-untyped]

from pymz import kube_apply
from pymz.errors import InternalError
from pymz.orchestrator_kubernetes.config import KubernetesOrchestratorConfig

logger = logging.getLogger(__name__)

METRICS_GROUP = "metrics.k8s.io"
METRICS_VERSION = "v1beta1"


class KubernetesApiError(InternalError):
    """An API call failed for good (not retryable, or retries exhausted)."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


def make_api_client(config: KubernetesOrchestratorConfig) -> Any:
    """An ``ApiClient`` of its own (the client library's global default is left alone)."""
    return kube_apply.make_api_client(config.kubeconfig, config.context,
                                      in_cluster=config.in_cluster)


def is_retryable(error: BaseException) -> bool:
    if isinstance(error, ApiException):
        status = int(error.status or 0)
        # 0: the client never got a response; 409: a concurrent writer (apply with force
        # should not conflict, but an optimistic-concurrency retry is always safe).
        return status in (0, 409, 429) or status >= 500
    return isinstance(error, (urllib3.exceptions.HTTPError, OSError))


def status_of(error: BaseException) -> int | None:
    return int(error.status) if isinstance(error, ApiException) and error.status else None


def decode(response: Any) -> Any:
    """JSON body of a raw (``_preload_content=False``) response."""
    data = response.data
    return json.loads(data) if data else None


class KubeClient:
    """The API groups the orchestrator uses, with retrying async calls returning JSON."""

    def __init__(self, config: KubernetesOrchestratorConfig, api_client: Any | None = None) -> None:
        self.config = config
        self.api_client = api_client if api_client is not None else make_api_client(config)
        self.core = k8s.CoreV1Api(self.api_client)
        self.apps = k8s.AppsV1Api(self.api_client)
        self.custom = k8s.CustomObjectsApi(self.api_client)

    def call_sync(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """One call of a generated API method (no retries); returns decoded JSON."""
        kwargs.setdefault("_request_timeout", self.config.request_timeout)
        return decode(fn(*args, _preload_content=False, **kwargs))

    async def call(
        self, what: str, fn: Callable[..., Any], *args: Any, ok_404: bool = False, **kwargs: Any
    ) -> Any:
        """Run ``fn(*args, **kwargs)`` in a thread with retries; with ``ok_404`` a 404
        returns None."""
        deadline = time.monotonic() + self.config.api_retry_deadline
        delay = self.config.api_backoff_initial
        while True:
            try:
                return await asyncio.to_thread(fn, *args, **kwargs)
            except Exception as e:  # classified below
                if ok_404 and status_of(e) == 404:
                    return None
                if not is_retryable(e):
                    raise KubernetesApiError(f"{what}: {_describe(e)}", status_of(e)) from e
                if time.monotonic() + delay > deadline:
                    raise KubernetesApiError(
                        f"{what}: giving up after retries: {_describe(e)}", status_of(e)
                    ) from e
                logger.info("%s failed (%s); retrying in %.2fs", what, _describe(e), delay)
                # Jitter keeps many callers from retrying in lock-step after an outage.
                await asyncio.sleep(delay * (0.5 + random.random() / 2))
                delay = min(delay * 2, self.config.api_backoff_max)

    async def api(
        self, what: str, method: Callable[..., Any], *args: Any, ok_404: bool = False, **kwargs: Any
    ) -> Any:
        """A generated API method, called with retries (see :meth:`call`); returns JSON."""
        return await self.call(what, self.call_sync, method, *args, ok_404=ok_404, **kwargs)

    def request_sync(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        query: list[tuple[str, str]] | None = None,
        content_type: str = "application/json",
    ) -> Any:
        """One raw request (no retries); returns decoded JSON."""
        return kube_apply.request(self.api_client, method, path, body, query=query,
                                  content_type=content_type,
                                  request_timeout=self.config.request_timeout)

    async def apply(self, what: str, path: str, body: Any) -> Any:
        """Server-side apply ``body`` at ``path`` as our field manager, forcing ownership of
        conflicting fields (JSON is valid YAML, so the body is sent as JSON)."""
        return await self.call(
            what,
            self.request_sync,
            "PATCH",
            path,
            body,
            query=[("fieldManager", self.config.field_manager), ("force", "true")],
            content_type=kube_apply.APPLY_CONTENT_TYPE,
        )


def _describe(error: BaseException) -> str:
    if isinstance(error, ApiException):
        reason = error.reason
        try:
            body = json.loads(error.body) if error.body else None
            if isinstance(body, dict) and body.get("message"):
                reason = body["message"]
        except (ValueError, TypeError):
            pass
        return f"HTTP {error.status}: {reason}"
    return f"{type(error).__name__}: {error}"
