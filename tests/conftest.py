"""Shared fixtures: a fresh workspace, a fresh plugin manager, and a CLI runner per test."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import settings
from typer.testing import CliRunner

from pipeline.testing import make_workspace, plugin_manager

# CI must be reproducible: the same examples every run (set CI=1); locally hypothesis explores.
settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")

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
