"""An S3 (or S3-compatible) :class:`~pymz.persist.blob.Blob`, via boto3.

URL form (see :func:`s3_config_from_url`)::

    s3://BUCKET[/PREFIX]?endpoint=http://127.0.0.1:9000&region=us-east-1
        [&access_key_id=…&secret_access_key=…][&max_attempts=10]

Guarantees:
- ``set`` is one ``PutObject``: S3 makes it atomic for readers (old value, new value, or nothing;
  never a torn object). botocore sends a body checksum, which S3 verifies.
- ``get`` of a missing key is ``None``; ``delete`` of a missing key succeeds.
- ``list_keys`` follows continuation tokens, so it returns every key however many pages.
- Transient failures (connection errors, throttling, 5xx, a body cut off mid-``get``) are
  retried with exponential back-off and jitter (botocore ``standard`` retry mode,
  ``max_attempts`` tries in total); what still fails raises :class:`BlobError`; a missing
  bucket or bad credentials raise :class:`~pymz.errors.ConfigurationError`.

Does not guarantee: listing is consistent with concurrent writers (same as :class:`FileBlob`);
creating the bucket (it must exist); multipart upload of huge values (one PUT is up to 5 GiB).
"""

from __future__ import annotations

import random
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, unquote, urlparse

import boto3
import urllib3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError, HTTPClientError, IncompleteReadError

from pymz.errors import ConfigurationError
from pymz.persist.blob import _check_key
from pymz.persist.errors import PersistError

if TYPE_CHECKING:
    from mypy_boto3_s3.client import S3Client

__all__ = ["BlobError", "S3Blob", "S3BlobConfig", "s3_config_from_url"]

# Error codes that mean "the object is not there" (GetObject says NoSuchKey; some servers and
# HEAD-style paths answer a bare 404).
_MISSING = frozenset({"NoSuchKey", "404", "NotFound"})
# Error codes that retrying cannot fix: the deployment is misconfigured.
_CONFIG = frozenset(
    {
        "NoSuchBucket",
        "InvalidAccessKeyId",
        "SignatureDoesNotMatch",
        "AccessDenied",
        "InvalidBucketName",
        "AuthorizationHeaderMalformed",
        "PermanentRedirect",
    }
)
_MAX_BACKOFF_S = 5.0


class BlobError(PersistError):
    """The blob store failed (connection, I/O, server error) even after retries."""


@dataclass(frozen=True)
class S3BlobConfig:
    """Where and how to reach the bucket. Credentials left ``None`` come from boto3's default
    chain (``AWS_ACCESS_KEY_ID``/``AWS_SECRET_ACCESS_KEY`` env vars, profiles, instance role)."""

    bucket: str
    prefix: str = ""  # prepended to every key; stored with a trailing '/' when non-empty
    endpoint_url: str | None = None  # None: AWS itself
    region: str | None = None
    access_key_id: str | None = None
    secret_access_key: str | None = field(default=None, repr=False)
    max_attempts: int = 10  # total tries per request, including the first
    connect_timeout_s: float = 10.0
    read_timeout_s: float = 60.0
    # Page size for ListObjectsV2 (S3 caps it at 1000; tests lower it to exercise paging).
    list_page_size: int = 1000
    # Path-style addressing (http://host/bucket/key) works with every S3-compatible server and
    # needs no wildcard DNS; AWS still accepts it.
    path_style: bool = True

    def __post_init__(self) -> None:
        if not self.bucket:
            raise ConfigurationError("s3 blob needs a bucket name")
        if self.prefix and not self.prefix.endswith("/"):
            object.__setattr__(self, "prefix", self.prefix + "/")
        if self.prefix.startswith("/"):
            raise ConfigurationError(f"s3 blob prefix must be relative: {self.prefix!r}")
        if (self.access_key_id is None) != (self.secret_access_key is None):
            raise ConfigurationError(
                "s3 blob needs both access_key_id and secret_access_key, or neither"
            )
        if self.max_attempts < 1 or not 1 <= self.list_page_size <= 1000:
            raise ConfigurationError("s3 blob: max_attempts >= 1, 1 <= list_page_size <= 1000")


_URL_PARAMS = frozenset(
    {"endpoint", "region", "access_key_id", "secret_access_key", "max_attempts", "list_page_size"}
)


def s3_config_from_url(url: str) -> S3BlobConfig:
    """Parse ``s3://bucket/prefix?endpoint=…&region=…&access_key_id=…&secret_access_key=…``
    (optionally ``max_attempts``, ``list_page_size``). Unknown parameters are an error, so a
    typo cannot silently fall back to defaults."""
    parsed = urlparse(url)
    if parsed.scheme != "s3":
        raise ConfigurationError(f"not an s3:// URL: {parsed.scheme}://…")
    if parsed.username or parsed.password or parsed.port:
        raise ConfigurationError(
            "s3:// URL: put the endpoint and credentials in query parameters",
            hint="s3://bucket/prefix?endpoint=http://host:port&access_key_id=…",
        )
    query: Mapping[str, list[str]] = parse_qs(parsed.query, keep_blank_values=True)
    unknown = sorted(set(query) - _URL_PARAMS)
    if unknown:
        raise ConfigurationError(
            f"unknown s3:// URL parameter(s) {unknown}", hint=f"known: {sorted(_URL_PARAMS)}"
        )

    def one(name: str) -> str | None:
        values = query.get(name)
        if not values:
            return None
        if len(values) > 1:
            raise ConfigurationError(f"s3:// URL parameter {name!r} given twice")
        return values[0]

    def integer(name: str, default: int) -> int:
        v = one(name)
        if v is None:
            return default
        try:
            return int(v)
        except ValueError:
            raise ConfigurationError(
                f"s3:// URL parameter {name}={v!r} is not an integer"
            ) from None

    endpoint = one("endpoint")
    if endpoint is not None and urlparse(endpoint).scheme not in ("http", "https"):
        raise ConfigurationError(f"s3:// URL endpoint must be http(s)://host[:port]: {endpoint!r}")
    return S3BlobConfig(
        bucket=parsed.hostname or "",
        prefix=unquote(parsed.path).strip("/"),
        endpoint_url=endpoint,
        region=one("region"),
        access_key_id=one("access_key_id"),
        secret_access_key=one("secret_access_key"),
        max_attempts=integer("max_attempts", 10),
        list_page_size=integer("list_page_size", 1000),
    )


class S3Blob:
    """Keys map to objects ``{prefix}{key}`` in one bucket. Thread-safe (one boto3 client,
    which is safe to share across threads)."""

    def __init__(self, config: S3BlobConfig) -> None:
        self.config = config
        botocore_config = Config(
            # total_max_attempts counts the first try; the older "max_attempts" key does not.
            retries={"total_max_attempts": config.max_attempts, "mode": "standard"},
            connect_timeout=config.connect_timeout_s,
            read_timeout=config.read_timeout_s,
            s3={"addressing_style": "path" if config.path_style else "auto"},
            # Persist runs many threads (readers, writers, compaction) over one blob.
            max_pool_connections=32,
        )
        try:
            self._s3: S3Client = boto3.session.Session().client(
                "s3",
                endpoint_url=config.endpoint_url,
                region_name=config.region,
                aws_access_key_id=config.access_key_id,
                aws_secret_access_key=config.secret_access_key,
                config=botocore_config,
            )
        except BotoCoreError as e:
            raise ConfigurationError(f"s3 blob: cannot create client: {e}") from e

    @classmethod
    def from_url(cls, url: str) -> S3Blob:
        return cls(s3_config_from_url(url))

    def _key(self, key: str) -> str:
        return self.config.prefix + _check_key(key)

    def _fail(self, op: str, key: str, e: Exception) -> Exception:
        where = f"s3://{self.config.bucket}/{self.config.prefix}{key}"
        if isinstance(e, ClientError):
            code = str(e.response.get("Error", {}).get("Code", ""))
            if code in _CONFIG:
                return ConfigurationError(f"s3 blob {op} {where}: {code}: {e}")
            return BlobError(f"s3 blob {op} {where} failed: {code}: {e}")
        return BlobError(f"s3 blob {op} {where} failed: {e}")

    def get(self, key: str) -> bytes | None:
        # botocore retries a request until the response headers arrive; a connection that
        # breaks or times out while the body streams surfaces from read() and is retried here.
        for attempt in range(1, self.config.max_attempts + 1):
            try:
                resp = self._s3.get_object(Bucket=self.config.bucket, Key=self._key(key))
            except ClientError as e:
                if str(e.response.get("Error", {}).get("Code", "")) in _MISSING:
                    return None
                raise self._fail("get", key, e) from e
            except BotoCoreError as e:
                raise self._fail("get", key, e) from e
            try:
                with resp["Body"] as body:
                    return body.read()
            # botocore's checksum-validating body lets urllib3's errors through unwrapped.
            except (IncompleteReadError, HTTPClientError, urllib3.exceptions.HTTPError) as e:
                if attempt == self.config.max_attempts:
                    raise self._fail("get", key, e) from e
                time.sleep(min(_MAX_BACKOFF_S, random.uniform(0, 0.1 * 2**attempt)))
        raise AssertionError("unreachable")

    def set(self, key: str, value: bytes) -> None:
        try:
            self._s3.put_object(Bucket=self.config.bucket, Key=self._key(key), Body=bytes(value))
        except (ClientError, BotoCoreError) as e:
            raise self._fail("set", key, e) from e

    def delete(self, key: str) -> None:
        # DeleteObject of a missing key succeeds in S3 (204), so deletes are idempotent.
        try:
            self._s3.delete_object(Bucket=self.config.bucket, Key=self._key(key))
        except ClientError as e:
            if str(e.response.get("Error", {}).get("Code", "")) in _MISSING:
                return
            raise self._fail("delete", key, e) from e
        except BotoCoreError as e:
            raise self._fail("delete", key, e) from e

    def list_keys(self, prefix: str = "") -> list[str]:
        base = self.config.prefix
        out: list[str] = []
        try:
            pages = self._s3.get_paginator("list_objects_v2").paginate(
                Bucket=self.config.bucket,
                Prefix=base + prefix,
                PaginationConfig={"PageSize": self.config.list_page_size},
            )
            for page in pages:
                for obj in page.get("Contents", []):
                    k = obj.get("Key", "")
                    if k.startswith(base):
                        out.append(k[len(base) :])
        except (ClientError, BotoCoreError) as e:
            raise self._fail("list", prefix + "*", e) from e
        out.sort()  # S3 lists in UTF-8 byte order; sort as str like the other backends
        return out

    def close(self) -> None:
        self._s3.close()
