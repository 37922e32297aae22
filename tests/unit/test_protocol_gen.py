"""The committed generated protobuf modules match what scripts/gen-proto produces."""

from __future__ import annotations

import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PROTO_DIR = ROOT / "src" / "pymz" / "proto"


def test_generated_code_is_up_to_date(tmp_path: Path) -> None:
    subprocess.run(
        [str(ROOT / "scripts" / "gen-proto"), str(tmp_path)],
        check=True,
        capture_output=True,
    )
    generated = sorted((tmp_path / "pymz" / "proto").iterdir())
    names = [p.name for p in generated]
    assert "compute_pb2.py" in names
    assert "storage_pb2_grpc.pyi" in names
    for fresh in generated:
        committed = PROTO_DIR / fresh.name
        assert committed.exists(), f"{fresh.name} is generated but not committed"
        assert committed.read_bytes() == fresh.read_bytes(), (
            f"{committed} is stale: run scripts/gen-proto"
        )
    committed_generated = {p.name for p in PROTO_DIR.glob("*_pb2*")}
    assert committed_generated == set(names), "stale generated files without a .proto"
