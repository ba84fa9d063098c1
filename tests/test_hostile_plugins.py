"""Plugins that would take kith down: a broken or conflicting third-party plugin is disabled and listed by
``kith plugins`` with its error while the built-ins keep working; a plugin's sniff has a time budget; what
a plugin hands back in the wrong shape is one line naming it."""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

import pytest

from pipeline import registry
from pipeline.cli import build_app

SAMPLES = Path(__file__).resolve().parent.parent / "sample_inputs"

PLUGINS = {
    "alumni": "from pipeline import hookimpl\n\n@hookimpl\ndef register_importers():\n    return []\n",
    "shadow": """
from pipeline import hookimpl

class Shadow:
    name = "linkedin"
    description = "a second linkedin"
    def sniff(self, path, head):
        return 1.0
    def read(self, path, options):
        raise RuntimeError("the shadow was used")

@hookimpl
def register_importers():
    return [Shadow()]
""",
    "raiser": """
from pipeline import hookimpl

@hookimpl
def register_importers():
    raise RuntimeError("cannot register today")
""",
    "quitter": "import sys\nsys.exit(0)\n",
}

SLEEPY = """
import time
from pipeline import hookimpl

class Sleepy:
    name = "sleepy"
    description = "a sniff that never answers in time"
    def sniff(self, path, head):
        time.sleep(3)
        return 1.0
    def read(self, path, options):
        raise RuntimeError("never chosen")

@hookimpl
def register_importers():
    return [Sleepy()]
"""

SHAPES = """
import polars as pl
from pipeline import hookimpl
from pipeline.contracts import ImportResult

class Careless:
    name = "careless"
    description = "hands back the wrong shapes"
    def sniff(self, path, head):
        return 1.0 if path.suffix == ".careless" else 0.0
    def read(self, path, options):
        if path.stem == "strings":
            frame = pl.DataFrame({"source_ref": ["row 2"], "full_name": ["Lena Fischer"]})
            return ImportResult(frame, rejects=["row 3 was bad"])
        return ImportResult(pl.DataFrame({"full_name": ["Lena Fischer"]}))

@hookimpl
def register_importers():
    return [Careless()]
"""


def _workspace(tmp_path: Path, plugins: dict[str, str]) -> Path:
    root = tmp_path / "ws"
    (root / "plugins").mkdir(parents=True)
    for name, code in plugins.items():
        (root / "plugins" / f"{name}.py").write_text(code, encoding="utf-8")
    (root / "kith.toml").write_text('plugins_dir = "plugins"\n', encoding="utf-8")
    shutil.copy(SAMPLES / "linkedin" / "Connections.csv", root / "Connections.csv")
    return root


def test_broken_and_conflicting_plugins_are_listed_while_the_built_ins_work(runner, tmp_path):
    root = _workspace(tmp_path, PLUGINS)
    listed = runner.invoke(build_app(), ["-w", str(root), "plugins", "--json"])
    assert listed.exit_code == 0, listed.output
    failed = {p["name"]: p["error"] for p in json.loads(listed.stdout) if p["error"]}
    assert "name of a kith built-in plugin" in failed["alumni"]
    assert "two importers are named 'linkedin'" in failed["shadow"]
    assert "cannot register today" in failed["raiser"]
    assert "sys.exit(0)" in failed["quitter"]

    imported = runner.invoke(
        build_app(), ["-w", str(root), "import", str(root / "Connections.csv"), "--json"]
    )
    assert imported.exit_code == 0, imported.output
    (result,) = json.loads(imported.stdout)["files"]
    assert result["importer"] == "linkedin" and result["status"] == "imported" and result["records"] > 40
    ran = runner.invoke(build_app(), ["-w", str(root), "run", "--as-of", "2026-11-26", "--json"])
    assert ran.exit_code == 0, ran.output


def test_a_sniff_that_hangs_costs_its_budget_once_not_every_import(runner, tmp_path, monkeypatch):
    monkeypatch.setattr(registry, "SNIFF_SECONDS", 0.5)
    root = _workspace(tmp_path, {"sleepy": SLEEPY})
    second = root / "More.csv"
    shutil.copy(SAMPLES / "google" / "contacts.csv", second)
    started = time.monotonic()
    result = runner.invoke(
        build_app(), ["-w", str(root), "import", str(root / "Connections.csv"), str(second), "--json"]
    )
    took = time.monotonic() - started
    assert result.exit_code == 0, result.output
    assert [f["importer"] for f in json.loads(result.stdout)["files"]] == ["linkedin", "google_csv"]
    assert "importer 'sleepy' (plugin 'sleepy') took over 0.5 s to sniff Connections.csv" in result.stderr
    assert result.stderr.count("took over") == 1  # not asked again for the second file
    assert took < 2.5


@pytest.mark.parametrize(
    ("stem", "said"),
    [
        ("strings", "importer 'careless' returned a reject without a place and a reason: 'row 3 was bad'"),
        ("noref", "careless"),
    ],
)
def test_wrong_shapes_from_a_plugin_are_one_line_naming_it(runner, tmp_path, stem, said):
    root = _workspace(tmp_path, {"careless": SHAPES})
    (root / f"{stem}.careless").write_text("x\n", encoding="utf-8")
    result = runner.invoke(build_app(), ["-w", str(root), "import", str(root / f"{stem}.careless")])
    assert result.exit_code in (1, 2), result.output
    assert "Traceback" not in result.output
    errors = [line for line in result.output.splitlines() if said in line]
    assert errors, result.output
