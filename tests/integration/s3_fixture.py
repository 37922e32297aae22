"""pytest fixtures for a throwaway real S3-compatible server (``scripts/test-s3``, S3Proxy).

``s3_server`` (session scope) starts one server per test session and tears it down;
``s3_bucket`` gives each test its own fresh, empty bucket on it. Tests using them are skipped
only when ``PYMZ_SKIP_S3=1``.

Import the fixtures into a test module with ``from s3_fixture import s3_server, s3_bucket``.
"""

from __future__ import annotations

import os
import subprocess
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlencode

import boto3
import pytest
from botocore.config import Config
from tests.integration.script_servers import read_first_line

if TYPE_CHECKING:
    from mypy_boto3_s3.client import S3Client

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "test-s3"
# A cold start downloads S3Proxy (~55 MB) from Maven Central first.
START_TIMEOUT_S = 300.0


def skip_s3() -> bool:
    return os.environ.get("PYMZ_SKIP_S3") == "1"


@dataclass(frozen=True)
class S3Server:
    endpoint: str
    access_key_id: str
    secret_access_key: str = field(repr=False)
    region: str

    def client(self) -> S3Client:
        """A plain boto3 client, for creating buckets and checking what is really stored."""
        return boto3.session.Session().client(
            "s3",
            endpoint_url=self.endpoint,
            region_name=self.region,
            aws_access_key_id=self.access_key_id,
            aws_secret_access_key=self.secret_access_key,
            config=Config(s3={"addressing_style": "path"}),
        )

    def url(
        self,
        bucket: str,
        prefix: str = "",
        *,
        creds: bool = True,
        params: Mapping[str, str] | None = None,
    ) -> str:
        """An ``s3://`` blob URL for this server (credentials in the query unless ``creds``
        is false; ``params`` adds more query parameters)."""
        query = {"endpoint": self.endpoint, "region": self.region}
        if creds:
            query |= {
                "access_key_id": self.access_key_id,
                "secret_access_key": self.secret_access_key,
            }
        query |= params or {}
        return f"s3://{bucket}/{prefix}?{urlencode(query)}"



@pytest.fixture(scope="session")
def s3_server() -> Iterator[S3Server]:
    if skip_s3():
        pytest.skip("PYMZ_SKIP_S3=1")
    proc = subprocess.Popen(
        [str(SCRIPT)], stdout=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True
    )
    try:
        line = read_first_line(proc, START_TIMEOUT_S)
        fields = dict(kv.split("=", 1) for kv in line.split() if "=" in kv)
        if "S3_ENDPOINT" not in fields:
            raise RuntimeError(f"scripts/test-s3 did not start (exit {proc.poll()})")
        yield S3Server(
            endpoint=fields["S3_ENDPOINT"],
            access_key_id=fields["AWS_ACCESS_KEY_ID"],
            secret_access_key=fields["AWS_SECRET_ACCESS_KEY"],
            region=fields["AWS_REGION"],
        )
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture
def s3_bucket(s3_server: S3Server) -> str:
    """The name of a fresh, empty bucket on the session's server."""
    name = f"t-{uuid.uuid4().hex[:24]}"
    s3_server.client().create_bucket(Bucket=name)
    return name
