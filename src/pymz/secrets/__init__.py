"""Secret storage: the controller environmentd writes through, the readers clusterd uses.

Guarantees: :class:`SecretsController` ``ensure`` is durable and atomic per secret (a reader
sees the old or the new contents, never a mix) and idempotent; ``delete`` of an absent
secret succeeds; ``list`` returns exactly the ids whose contents exist. Secret contents
never appear in this package's exceptions, reprs or log lines — only ids do.

Does not guarantee: agreement with the catalog. The adapter orders its writes (ensure
before the catalog commit on create, catalog commit before delete on drop) and removes
orphans at start-up. :class:`CachingSecretsReader` may serve contents up to ``ttl_s`` old.
The Kubernetes backend imports the ``kubernetes`` client, so it is imported on demand
(``pymz.secrets.kubernetes``), not from here.
"""

from pymz.secrets.caching import CachingSecretsReader
from pymz.secrets.controller import (
    InvalidSecretId,
    SecretNotFound,
    SecretsController,
    SecretsReader,
    check_secret_id,
)
from pymz.secrets.local import LocalFileSecretsController, LocalFileSecretsReader

__all__ = [
    "CachingSecretsReader",
    "InvalidSecretId",
    "LocalFileSecretsController",
    "LocalFileSecretsReader",
    "SecretNotFound",
    "SecretsController",
    "SecretsReader",
    "check_secret_id",
]
