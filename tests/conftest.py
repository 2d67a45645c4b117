"""Shared test fixtures: paths to the repository, the real logs beside it, and sample runs."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
REAL_LOGS = Path(os.environ.get("TRUELOSS_REAL_LOGS", REPO.parent / "shared" / "real_logs"))
SAMPLE_RUNS = REPO / "sample_runs"
ARTIFACTS = REPO / "test-artifacts"


@pytest.fixture(scope="session")
def real_logs() -> Path:
    if not REAL_LOGS.is_dir():
        pytest.skip(f"real logs not found at {REAL_LOGS}")
    return REAL_LOGS


@pytest.fixture(scope="session")
def artifacts_dir() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path, monkeypatch):
    """Each test gets its own run store so nothing touches the user's data directory."""
    monkeypatch.setenv("TRUELOSS_DASH_HOME", str(tmp_path / "home"))
