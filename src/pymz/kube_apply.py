"""Raw Kubernetes API requests and server-side apply over a ``kubernetes`` ``ApiClient``.

The generated ``patch_*`` methods of the ``kubernetes`` client (34.x) cannot send
``application/apply-patch+yaml`` (they reject the ``_content_type`` override), so server-side
apply goes through ``ApiClient.call_api`` here. JSON is valid YAML, so bodies are sent as JSON.
Shared by the Kubernetes backends that are not allowed to import each other (the secrets
controller must not depend on the orchestrator).

Guarantees: one request per call (no retries), the decoded JSON body as the result, and
``ApiException`` for any non-2xx status. Does not guarantee anything about the body's contents
appearing in exceptions: callers that send secrets must wrap errors themselves.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from kubernetes import client as k8s  # type: ignore[import-untyped]
from kubernetes import config as k8s_config

APPLY_CONTENT_TYPE = "application/apply-patch+yaml"
# Set in every pod by the kubelet; its presence is how "running in a pod" is detected.
IN_CLUSTER_ENV = "KUBERNETES_SERVICE_HOST"


def running_in_pod() -> bool:
    return bool(os.environ.get(IN_CLUSTER_ENV))


def make_api_client(
    kubeconfig: Path | None = None, context: str | None = None, in_cluster: bool | None = None
) -> Any:
    """An ``ApiClient`` of its own (the client library's global default is left alone).

    ``in_cluster=None`` decides automatically: the pod's service account when running in a
    pod and no ``kubeconfig`` is given, else ``kubeconfig`` (``$KUBECONFIG`` or
    ``~/.kube/config`` when None) with ``context``.
    """
    if in_cluster is None:
        in_cluster = kubeconfig is None and running_in_pod()
    if in_cluster:
        configuration = k8s.Configuration()
        k8s_config.load_incluster_config(client_configuration=configuration)
        return k8s.ApiClient(configuration)
    return k8s_config.new_client_from_config(
        config_file=str(kubeconfig) if kubeconfig is not None else None, context=context
    )


def request(
    api_client: Any,
    method: str,
    path: str,
    body: Any = None,
    *,
    query: list[tuple[str, str]] | None = None,
    content_type: str = "application/json",
    request_timeout: float = 30.0,
) -> Any:
    """One raw request to ``path`` (e.g. ``/api/v1/namespaces/ns/secrets``); decoded JSON."""
    response = api_client.call_api(
        path,
        method,
        path_params={},
        query_params=query or [],
        header_params={"Content-Type": content_type, "Accept": "application/json"},
        body=body,
        auth_settings=["BearerToken"],
        _return_http_data_only=True,
        _preload_content=False,
        _request_timeout=request_timeout,
    )
    data = response.data
    return json.loads(data) if data else None


def server_side_apply(
    api_client: Any,
    path: str,
    body: Any,
    *,
    field_manager: str,
    force: bool = True,
    request_timeout: float = 30.0,
) -> Any:
    """Server-side apply ``body`` at ``path`` as ``field_manager``; with ``force``, take
    ownership of fields another manager owns instead of failing with 409 Conflict."""
    query = [("fieldManager", field_manager)]
    if force:
        query.append(("force", "true"))
    return request(
        api_client,
        "PATCH",
        path,
        body,
        query=query,
        content_type=APPLY_CONTENT_TYPE,
        request_timeout=request_timeout,
    )
