"""Fixtures shared by the integration tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.integration.environmentd_harness import Environmentd, running_environmentd
from tests.integration.postgres_fixture import (  # noqa: F401 (fixtures)
    consensus_url,
    postgres_server_url,
    postgres_url,
)


@pytest.fixture
def environmentd(tmp_path: Path) -> Iterator[Environmentd]:
    with running_environmentd(tmp_path / "mzdata") as env:
        yield env
