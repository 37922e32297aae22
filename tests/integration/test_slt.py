"""Runs every ``tests/slt/*.slt`` file against a fresh environmentd."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.integration.environmentd_harness import running_environmentd
from tests.integration.slt_runner import parse, run_file

pytestmark = pytest.mark.integration

SLT_DIR = Path(__file__).resolve().parents[1] / "slt"
FILES = sorted(SLT_DIR.glob("*.slt"))


def test_there_are_slt_files() -> None:
    assert FILES, "no .slt files found"
    for path in FILES:
        assert parse(path.read_text()), path


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_slt_file(tmp_path: Path, path: Path) -> None:
    with running_environmentd(tmp_path / "mzdata") as env:
        failures = run_file(path, env.url())
    assert not failures, "\n".join(failures)
