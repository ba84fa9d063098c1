"""The distribution: a wheel built from this checkout installs into a fresh venv and runs the sample batch.

Offline: the wheel is built with this environment's setuptools (no build isolation, no index),
and the fresh venv sees this environment's site-packages through a ``.pth`` file of plain paths
(so kith's own editable install is *not* seen: the ``pipeline`` that runs is the wheel's).
"""

from __future__ import annotations

import json
import os
import shutil
import site
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DIST = "kith-contacts"


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KITH_", "PYTHON", "PIP_"))}
    return env | {"PIP_DISABLE_PIP_VERSION_CHECK": "1", "PIP_NO_INPUT": "1", "PYTHONIOENCODING": "utf-8"}


def _run(args: list, cwd: Path, timeout: float = 600) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(a) for a in args], cwd=cwd, env=_env(), capture_output=True, text=True, timeout=timeout
    )


def test_pyproject_names_the_distribution_license_and_command():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert project["name"] == DIST
    assert project["scripts"] == {"kith": "pipeline.cli:main"}
    assert project["license"] == "MIT" and project["license-files"] == ["LICENSE"]
    assert "the kith authors" in (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert any(c.startswith("Operating System :: Microsoft :: Windows") for c in project["classifiers"])
    assert f"{DIST}[test]" in project["optional-dependencies"]["dev"]
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "pipx install" in readme and "uv tool install" in readme


@pytest.mark.slow
def test_a_wheel_installs_into_a_fresh_venv_and_runs_the_sample_batch(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy(ROOT / name, src / name)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for package in ("pipeline", "plugins"):
        shutil.copytree(ROOT / package, src / package, ignore=ignore)

    wheels = tmp_path / "wheels"
    offline = ["--no-deps", "--no-build-isolation", "--no-index"]
    built = _run([sys.executable, "-m", "pip", "wheel", "-q", *offline, "-w", wheels, src], cwd=tmp_path)
    assert built.returncode == 0, built.stdout + built.stderr
    (wheel,) = wheels.glob("kith_contacts-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    # package data: the draft templates and the plugin scaffolds
    assert {
        "plugins/followup_rules/templates/thank_you.txt",
        "plugins/outcome_report/templates/outcome_message.txt",
    } <= set(names)
    assert any(n.startswith("pipeline/scaffold_templates/importer/") for n in names)
    assert any(n.endswith(".dist-info/licenses/LICENSE") for n in names)
    assert not any(n.startswith(("tests/", "bench/", "sample_inputs/")) for n in names)

    venv = tmp_path / "fresh venv"
    made = _run([sys.executable, "-m", "venv", "--without-pip", venv], cwd=tmp_path)
    if made.returncode != 0:
        pytest.skip(f"cannot create a virtual environment here: {made.stderr.strip()}")
    bindir = venv / ("Scripts" if os.name == "nt" else "bin")
    python = bindir / ("python.exe" if os.name == "nt" else "python")
    purelib = _run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], cwd=tmp_path)
    # Plain paths, not site.addsitedir: the parent's .pth files (kith's editable install) stay unread.
    parents = [d for d in site.getsitepackages() if Path(d).is_dir()]
    (Path(purelib.stdout.strip()) / "_parent_site.pth").write_text(
        "\n".join(parents) + "\n", encoding="utf-8"
    )

    installed = _run([python, "-m", "pip", "install", "-q", *offline, wheel], cwd=tmp_path)
    assert installed.returncode == 0, installed.stdout + installed.stderr
    where = _run([python, "-c", "import pipeline, importlib.metadata as m; print(pipeline.__file__); "
                  f"print(m.version('{DIST}'))"], cwd=tmp_path)  # fmt: skip
    module, version = where.stdout.splitlines()
    assert Path(module).is_relative_to(venv) and version == _version()

    workspace = tmp_path / "sample workspace"
    workspace.mkdir()
    shutil.copytree(ROOT / "sample_inputs", workspace / "sample_inputs")
    shutil.copy(ROOT / "kith.toml", workspace / "kith.toml")
    kith = bindir / ("kith.exe" if os.name == "nt" else "kith")
    run = _run([kith, "run", "--as-of", "2026-11-26", "--json"], cwd=workspace)
    assert run.returncode == 3, run.stdout + run.stderr  # 3: finished, with the samples' deliberate rejects
    report = json.loads(run.stdout)
    assert report["week"] == "2026-W48" and report["people"] > 20
    week = workspace / "reports" / "2026-W48"
    assert {"followups.xlsx", "outcome-report.xlsx", "contacts.vcf", "run.json"} <= {
        p.name for p in week.iterdir()
    }
    assert "Maria Gonzalez" in (week / "followups.md").read_text(encoding="utf-8")

    shown = _run([kith, "--version"], cwd=workspace)
    assert shown.stdout.strip() == f"kith {_version()}"


def _version() -> str:
    text = (ROOT / "pipeline" / "__init__.py").read_text(encoding="utf-8")
    return text.split('__version__ = "', 1)[1].split('"', 1)[0]
