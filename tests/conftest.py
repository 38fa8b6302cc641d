"""Shared fixtures: paths to the shipped scenarios and a helper to run the CLI."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "scenarios"


@pytest.fixture
def tiny() -> Path:
    return SCENARIOS / "tiny.toml"


def run_cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run the real ``twin`` console entry point in a subprocess."""
    return subprocess.run(
        [sys.executable, "-c", "import sys; from twin.cli import main; sys.exit(main())", *args],
        capture_output=True,
        text=True,
        cwd=cwd or ROOT,
        timeout=600,
    )
