"""Kubernetes backend: one ``Secret`` per secret id, data key ``contents``.

Objects are named ``user-managed-<id>`` (like Materialize's orchestrator), labelled so
:meth:`KubernetesSecretsController.list` finds exactly ours, and written with server-side
apply under a fixed field manager, so ``ensure`` is an idempotent create-or-replace. The
``kubernetes`` client is synchronous; calls run in worker threads.
"""

from __future__ import annotations

import asyncio
import base64
from dataclasses import dataclass
from typing import Any

from kubernetes import client as k8s  # type: ignore[import-untyped]
from kubernetes import config as k8s_config
from kubernetes.client.exceptions import ApiException  # type: ignore[import-untyped]

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


def load_api() -> Any:
    """A CoreV1Api from the in-cluster service account, else the local kubeconfig."""
    try:
        k8s_config.load_incluster_config()
    except k8s_config.ConfigException:
        k8s_config.load_kube_config()
    return k8s.CoreV1Api()


class KubernetesSecretsReader:
    def __init__(self, config: KubernetesSecretsConfig, api: Any) -> None:
        self._config = config
        self._api = api

    def read_sync(self, secret_id: str) -> bytes:
        try:
            obj = self._api.read_namespaced_secret(secret_name(self._config, secret_id),
                                                   self._config.namespace)
        except ApiException as e:
            if e.status == 404:
                raise SecretNotFound(f"secret {secret_id} not found") from None
            raise
        contents = contents_of(obj.data)
        if contents is None:
            raise SecretNotFound(f"secret {secret_id} has no {DATA_KEY!r} key")
        return contents

    async def read(self, secret_id: str) -> bytes:
        return await asyncio.to_thread(self.read_sync, secret_id)


class KubernetesSecretsController:
    def __init__(self, config: KubernetesSecretsConfig, api: Any | None = None) -> None:
        self.config = config
        self._api = api if api is not None else load_api()

    def __repr__(self) -> str:
        return f"KubernetesSecretsController(namespace={self.config.namespace!r})"

    def ensure_sync(self, secret_id: str, contents: bytes) -> None:
        name = secret_name(self.config, secret_id)
        self._api.patch_namespaced_secret(
            name, self.config.namespace, apply_manifest(self.config, secret_id, contents),
            field_manager=self.config.field_manager, force=True,
            _content_type="application/apply-patch+yaml")

    def delete_sync(self, secret_id: str) -> None:
        try:
            self._api.delete_namespaced_secret(secret_name(self.config, secret_id),
                                               self.config.namespace)
        except ApiException as e:
            if e.status != 404:
                raise

    def list_sync(self) -> list[str]:
        ids: list[str] = []
        token: str | None = None
        while True:
            kwargs: dict[str, Any] = {"label_selector": label_selector(self.config),
                                      "limit": 500}
            if token:
                kwargs["_continue"] = token
            page = self._api.list_namespaced_secret(self.config.namespace, **kwargs)
            for item in page.items:
                secret_id = secret_id_of(self.config, item.metadata.name)
                if secret_id is not None:
                    ids.append(secret_id)
            token = page.metadata._continue if page.metadata is not None else None
            if not token:
                return sorted(ids)

    async def ensure(self, secret_id: str, contents: bytes) -> None:
        await asyncio.to_thread(self.ensure_sync, secret_id, contents)

    async def delete(self, secret_id: str) -> None:
        await asyncio.to_thread(self.delete_sync, secret_id)

    async def list(self) -> list[str]:
        return await asyncio.to_thread(self.list_sync)

    def reader(self) -> KubernetesSecretsReader:
        return KubernetesSecretsReader(self.config, self._api)
