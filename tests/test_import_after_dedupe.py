"""Records imported after a dedupe are people before the next dedupe (kith people, kith log)."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from pipeline.cli import build_app


def test_a_contact_imported_after_dedupe_is_found_by_people_and_log(tmp_path):
    runner, app, ws = CliRunner(), build_app(), tmp_path / "ws"
    assert runner.invoke(app, ["init", str(ws)]).exit_code == 0
    first = tmp_path / "first.csv"
    first.write_text("First Name,Last Name,E-mail Address\nAna,Lima,ana.lima@example.com\n", encoding="utf-8")
    later = tmp_path / "later.csv"
    later.write_text("First Name,Last Name,E-mail Address\nPriyanka,Desai,priyanka.desai@example.com\n")
    assert runner.invoke(app, ["-w", str(ws), "import", str(first)]).exit_code == 0
    assert runner.invoke(app, ["-w", str(ws), "dedupe"]).exit_code == 0
    assert runner.invoke(app, ["-w", str(ws), "import", str(later)]).exit_code == 0
    found = runner.invoke(app, ["-w", str(ws), "people", "Desai"])
    assert "priyanka.desai@example.com" in found.output
    logged = runner.invoke(app, ["-w", str(ws), "log", "met", "Priyanka Desai", "-d", "2026-11-25", "--json"])
    assert logged.exit_code == 0, logged.output
    assert "created a new contact" not in logged.output
    assert json.loads(logged.stdout)["person_id"] is not None
