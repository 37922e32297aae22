"""Kubernetes backend: one ``Secret`` per secret id, data key ``contents``.

Objects are named ``user-managed-<id>`` (like Materialize's orchestrator), labelled so
:meth:`KubernetesSecretsController.list` finds exactly ours, and written with server-side
apply (``pymz.kube_apply``) under a fixed field manager with ``force``, so ``ensure`` is an
idempotent create-or-replace that also wins against another writer of the same fields. The
``kubernetes`` client is synchronous; calls run in worker threads. API failures surface as
:class:`KubernetesSecretsError` carrying the status and the API's message, never a request
body (which would hold the contents).
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

from kubernetes.client.exceptions import ApiException  # type: ignore[import-untyped]

from pymz import kube_apply
from pymz.errors import InternalError
from pymz.secrets.controller import SecretNotFound, check_secret_id, is_secret_id

DATA_KEY = "contents"
MANAGED_LABEL = "materialize.cloud/secret-kind"
MANAGED_VALUE = "user-managed"


@dataclass(frozen=True)
class KubernetesSecretsConfig:
    namespace: str
    name_prefix: str = "user-managed-"
    field_manager: str = "pymz-environmentd"
    # Extra labels on every Secret (e.g. the environment's id).
    labels: tuple[tuple[str, str], ...] = ()
    # Credentials: this kubeconfig (and context); None = in-cluster when running in a pod,
    # else $KUBECONFIG or ~/.kube/config.
    kubeconfig: Path | None = None
    context: str | None = None
    request_timeout: float = 30.0
    page_size: int = 500


class KubernetesSecretsError(InternalError):
    """A Kubernetes API call of the secrets controller failed."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


_LABEL_VALUE = re.compile(r"(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?")


def label_value(text: str) -> str:
    """``text`` if it is a valid label value, else a stable digest-based stand-in (label
    values are at most 63 characters of a restricted alphabet)."""
    if len(text) <= 63 and _LABEL_VALUE.fullmatch(text):
        return text
    return "h-" + hashlib.sha256(text.encode()).hexdigest()[:32]


def secret_name(config: KubernetesSecretsConfig, secret_id: str) -> str:
    return config.name_prefix + check_secret_id(secret_id)


def secret_id_of(config: KubernetesSecretsConfig, name: str) -> str | None:
    """The secret id a Kubernetes Secret name stands for, or None if it is not ours."""
    if not name.startswith(config.name_prefix):
        return None
    rest = name[len(config.name_prefix):]
    return rest if is_secret_id(rest) else None


def label_selector(config: KubernetesSecretsConfig) -> str:
    """Selects exactly this controller's Secrets: the extra labels (e.g. the environment)
    keep environments that share a namespace from listing, and collecting, each other's."""
    return ",".join(f"{k}={v}" for k, v in ((MANAGED_LABEL, MANAGED_VALUE), *config.labels))


def apply_manifest(config: KubernetesSecretsConfig, secret_id: str,
                   contents: bytes) -> dict[str, Any]:
    """The full desired state of the Secret, as server-side apply wants it."""
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {
            "name": secret_name(config, secret_id),
            "namespace": config.namespace,
            "labels": {MANAGED_LABEL: MANAGED_VALUE, **dict(config.labels)},
        },
        "type": "Opaque",
        "data": {DATA_KEY: base64.b64encode(contents).decode("ascii")},
    }


def contents_of(data: dict[str, str] | None) -> bytes | None:
    """Decode a Secret's ``data`` map (values base64) to the stored contents."""
    if not data or DATA_KEY not in data:
        return None
    return base64.b64decode(data[DATA_KEY])


def _secrets_path(config: KubernetesSecretsConfig, name: str | None = None) -> str:
    path = f"/api/v1/namespaces/{quote(config.namespace, safe='')}/secrets"
    return path if name is None else f"{path}/{name}"


def _api_error(what: str, error: ApiException) -> KubernetesSecretsError:
    """The status and the API's own message; never the request (it may hold contents)."""
    message = error.reason
    try:
        body = json.loads(error.body) if error.body else None
        if isinstance(body, dict) and body.get("message"):
            message = body["message"]
    except (ValueError, TypeError):
        pass
    return KubernetesSecretsError(f"{what}: HTTP {error.status}: {message}", error.status)


class KubernetesSecretsReader:
    def __init__(self, config: KubernetesSecretsConfig, api_client: Any) -> None:
        self._config = config
        self._api_client = api_client

    def read_sync(self, secret_id: str) -> bytes:
        try:
            obj = kube_apply.request(self._api_client, "GET",
                                     _secrets_path(self._config, secret_name(self._config,
                                                                             secret_id)),
                                     request_timeout=self._config.request_timeout)
        except ApiException as e:
            if e.status == 404:
                raise SecretNotFound(f"secret {secret_id} not found") from None
            raise _api_error(f"read secret {secret_id}", e) from None
        contents = contents_of(obj.get("data") if isinstance(obj, dict) else None)
        if contents is None:
            raise SecretNotFound(f"secret {secret_id} has no {DATA_KEY!r} key")
        return contents

    async def read(self, secret_id: str) -> bytes:
        return await asyncio.to_thread(self.read_sync, secret_id)


class KubernetesSecretsController:
    def __init__(self, config: KubernetesSecretsConfig, api_client: Any | None = None) -> None:
        self.config = config
        self._api_client = (api_client if api_client is not None
                            else kube_apply.make_api_client(config.kubeconfig, config.context))

    def __repr__(self) -> str:
        return f"KubernetesSecretsController(namespace={self.config.namespace!r})"

    def ensure_sync(self, secret_id: str, contents: bytes) -> None:
        name = secret_name(self.config, secret_id)
        try:
            kube_apply.server_side_apply(
                self._api_client, _secrets_path(self.config, name),
                apply_manifest(self.config, secret_id, contents),
                field_manager=self.config.field_manager, force=True,
                request_timeout=self.config.request_timeout)
        except ApiException as e:
            # `from None`: the chained exception would carry the request, i.e. the contents.
            raise _api_error(f"apply secret {secret_id}", e) from None

    def delete_sync(self, secret_id: str) -> None:
        try:
            kube_apply.request(self._api_client, "DELETE",
                               _secrets_path(self.config, secret_name(self.config, secret_id)),
                               request_timeout=self.config.request_timeout)
        except ApiException as e:
            if e.status != 404:
                raise _api_error(f"delete secret {secret_id}", e) from None

    def list_sync(self) -> list[str]:
        ids: list[str] = []
        token = ""
        while True:
            query = [("labelSelector", label_selector(self.config)),
                     ("limit", str(self.config.page_size))]
            if token:
                query.append(("continue", token))
            try:
                page = kube_apply.request(self._api_client, "GET", _secrets_path(self.config),
                                          query=query,
                                          request_timeout=self.config.request_timeout)
            except ApiException as e:
                raise _api_error("list secrets", e) from None
            for item in page.get("items") or []:
                secret_id = secret_id_of(self.config, item["metadata"]["name"])
                if secret_id is not None:
                    ids.append(secret_id)
            token = (page.get("metadata") or {}).get("continue") or ""
            if not token:
                return sorted(ids)

    async def ensure(self, secret_id: str, contents: bytes) -> None:
        await asyncio.to_thread(self.ensure_sync, secret_id, contents)

    async def delete(self, secret_id: str) -> None:
        await asyncio.to_thread(self.delete_sync, secret_id)

    async def list(self) -> list[str]:
        return await asyncio.to_thread(self.list_sync)

    def reader(self) -> KubernetesSecretsReader:
        return KubernetesSecretsReader(self.config, self._api_client)
