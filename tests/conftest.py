"""Shared fixtures: a fresh workspace, a fresh plugin manager, and a CLI runner per test."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from pipeline.testing import make_workspace, plugin_manager

FIXTURES = Path(__file__).parent / "fixtures"
SAMPLES = Path(__file__).parent.parent / "sample_inputs"


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch):
    """No test sees the developer's KITH_* settings."""
    for name in ("KITH_WORKSPACE", "KITH_DISABLE_PLUGINS", "KITH_TRACE_PLUGINS"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def workspace(tmp_path):
    return make_workspace(tmp_path / "ws")


@pytest.fixture
def pm():
    return plugin_manager()


@pytest.fixture
def runner():
    return CliRunner()


@pytest.fixture
def fixtures() -> Path:
    return FIXTURES


@pytest.fixture
def samples() -> Path:
    return SAMPLES
