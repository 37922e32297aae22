"""The Kubernetes backend's pure parts: names, manifests, decoding (no API server here)."""

from __future__ import annotations

import base64

import pytest

from pymz.secrets import InvalidSecretId
from pymz.secrets.kubernetes import (
    DATA_KEY,
    MANAGED_LABEL,
    KubernetesSecretsConfig,
    apply_manifest,
    contents_of,
    label_selector,
    secret_id_of,
    secret_name,
)

CONFIG = KubernetesSecretsConfig("env-ns", labels=(("environment", "e1"),))


def test_names_round_trip() -> None:
    assert secret_name(CONFIG, "u12") == "user-managed-u12"
    assert secret_id_of(CONFIG, "user-managed-u12") == "u12"
    assert secret_id_of(CONFIG, "other-u12") is None
    assert secret_id_of(CONFIG, "user-managed-") is None
    assert secret_id_of(CONFIG, "user-managed-U1") is None
    with pytest.raises(InvalidSecretId):
        secret_name(CONFIG, "../u1")


def test_apply_manifest() -> None:
    contents = b"\x00\xffp@ss"
    manifest = apply_manifest(CONFIG, "u3", contents)
    assert manifest["apiVersion"] == "v1" and manifest["kind"] == "Secret"
    assert manifest["metadata"]["name"] == "user-managed-u3"
    assert manifest["metadata"]["namespace"] == "env-ns"
    labels = manifest["metadata"]["labels"]
    assert labels["environment"] == "e1"
    assert label_selector(CONFIG) == f"{MANAGED_LABEL}={labels[MANAGED_LABEL]},environment=e1"
    assert set(manifest["data"]) == {DATA_KEY}
    assert base64.b64decode(manifest["data"][DATA_KEY]) == contents
    assert contents_of(manifest["data"]) == contents


def test_contents_of_missing() -> None:
    assert contents_of(None) is None
    assert contents_of({}) is None
    assert contents_of({"other": "eA=="}) is None
