"""People are addressed by the name they go by: a directory's preferred name (or a card's nickname)
before the formal given name, in the follow-up drafts and the outcome messages alike."""

from __future__ import annotations

import json
from pathlib import Path

from pipeline.cli import build_app
from pipeline.people import first_name

DIRECTORY = (
    "First Name,Preferred Name,Last Name,Email,Class Year\n"
    "Marcus,Marc,Hale,marcus.hale@example.org,2009\n"
    "Priya,,Raman,priya.raman@example.com,2011\n"
)


def test_first_name_prefers_the_name_someone_goes_by():
    assert first_name("Marcus", "Marc", "Marcus Hale") == "Marc"
    assert first_name("Mary Ann", None, "Mary Ann Lee") == "Mary"
    assert first_name(None, None, "Quinn Example") == "Quinn"
    assert first_name(None, None, "(no name)") == "there"


def test_drafts_call_a_member_by_the_preferred_name(runner, tmp_path):
    root = tmp_path / "ws"
    root.mkdir()
    (root / "members.csv").write_text(DIRECTORY, encoding="utf-8")
    (root / "kith.toml").write_text('[[inputs]]\npath = "members.csv"\nimporter = "alumni"\n')
    app = build_app()
    assert runner.invoke(app, ["-w", str(root), "run", "--as-of", "2026-11-20"]).exit_code == 0
    for who in ("Marcus Hale", "Priya Raman"):
        logged = runner.invoke(app, ["-w", str(root), "log", "met", who, "--date", "2026-11-19", "--json"])
        assert logged.exit_code == 0, logged.output
    report = runner.invoke(app, ["-w", str(root), "report", "followups", "--as-of", "2026-11-20", "--json"])
    drafts = {Path(p).name: Path(p) for p in json.loads(report.stdout)["paths"] if p.endswith(".eml")}
    (marc,) = [p for name, p in drafts.items() if "hale" in name]
    (priya,) = [p for name, p in drafts.items() if "raman" in name]
    assert "Hi Marc," in marc.read_text(encoding="utf-8")
    assert "Hi Priya," in priya.read_text(encoding="utf-8")
