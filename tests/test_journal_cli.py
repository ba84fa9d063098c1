"""The journal through the CLI: a scripted week of networking, then `kith report` and `kith done`."""

from __future__ import annotations

import json
from pathlib import Path

from openpyxl import load_workbook

from pipeline.cli import build_app

app = build_app()

FIXTURES = Path(__file__).parent / "fixtures"


def _kith(runner, ws, *args, code=0):
    result = runner.invoke(app, ["-w", str(ws), *args])
    assert result.exit_code == code, result.output
    return result


def _workspace(runner, tmp_path, connections):
    ws = tmp_path / "ws"
    assert runner.invoke(app, ["init", str(ws)]).exit_code == 0
    (ws / "kith.toml").write_text(
        '[workspace]\nowner_name = "Jordan Rivera"\nowner_email = "jordan.rivera@example.com"\n',
        encoding="utf-8",
    )
    _kith(runner, ws, "import", str(connections))
    return ws


def test_a_week_of_networking_becomes_the_right_checklist(runner, tmp_path):
    ws = _workspace(runner, tmp_path, FIXTURES / "linkedin" / "Connections_preamble.csv")
    log = [
        ("met", "Maria Gonzalez", "--channel", "alumni", "--date", "2026-11-16", "--note", "alumni mixer"),
        ("thank_you", "maria.gonzalez@example.com", "--date", "2026-11-17"),
        ("referral", "Ken Watanabe", "--via", "Maria", "--date", "2026-11-17"),
        ("meeting", "Ken", "--date", "2026-12-01", "--note", "coffee at Contoso"),
        ("call", "Pat Lee", "--date", "2026-11-18"),
        ("met", "Xavier Quinn <xavier.quinn@example.org>", "--channel", "meeting", "--date", "2026-11-19"),
        ("info_interview", "aisha bello", "--date", "2026-11-20"),
        ("thank_you", "Aisha Bello", "--date", "2026-11-20"),
    ]
    outputs = [_kith(runner, ws, "log", *entry).stdout for entry in log]
    assert outputs[0].strip() == "Logged #1: met Maria Gonzalez on 2026-11-16, channel alumni"
    assert "Logged #3: referral Maria Gonzalez on 2026-11-17, to Ken Watanabe" in outputs[2]
    assert "--via: 'Maria' is Maria Gonzalez" in outputs[2]
    assert "person: 'Pat Lee' is Pat Lee, MBA (Owner, Principal Consultant, Lee Consulting)" in outputs[4]
    assert "created a new contact 'Xavier Quinn'" in outputs[5]

    result = _kith(runner, ws, "report", "--as-of", "2026-11-20")
    folder = ws / "reports" / "2026-W47"
    assert str(folder / "followups.xlsx") in result.stdout.splitlines()
    md = (folder / "followups.md").read_text(encoding="utf-8")
    # Maria was thanked for the mixer, but not yet for referring Ken (the meeting is set up).
    assert "Thank Maria Gonzalez for referring you to Ken Watanabe — Maria Gonzalez" in md
    assert "Send Maria Gonzalez a thank-you" not in md
    assert "Prepare for the meeting with Ken Watanabe on 2026-12-01: ask for information, not advice" in md
    assert "Reach out to Ken" not in md
    # Pat sells time (owner, consultant), but a thank-you asks for none: no reminder on it.
    assert "Send Pat Lee, MBA a thank-you and follow-up note — Pat Lee" in md
    assert "Send Xavier Quinn a thank-you and follow-up note — Xavier Quinn <xavier.quinn@example.org>" in md
    assert "Aisha" not in md
    rows = list(load_workbook(folder / "followups.xlsx")["Follow-ups"].iter_rows(min_row=2, values_only=True))
    by_person = {row[1]: row for row in rows}
    assert set(by_person) == {"Maria Gonzalez", "Ken Watanabe", "Pat Lee, MBA", "Xavier Quinn"}
    assert by_person["Xavier Quinn"][2] == "xavier.quinn@example.org"
    assert "We have a meeting set up for Tuesday, December 1." in by_person["Maria Gonzalez"][5]

    key = by_person["Xavier Quinn"][8]
    done = _kith(runner, ws, "done", key, "--as-of", "2026-11-20")
    assert done.stdout.strip() == f"done: {key} — Send Xavier Quinn a thank-you and follow-up note"
    _kith(runner, ws, "report", "followups", "--as-of", "2026-11-20")
    assert "Xavier" not in (folder / "followups.md").read_text(encoding="utf-8")
    wrong = _kith(runner, ws, "done", key.replace(":", "-"), "--as-of", "2026-11-20", code=2)
    assert f"did you mean {key}" in wrong.stderr
    unknown = _kith(runner, ws, "done", "nothing:like:it", "--as-of", "2026-11-20", code=2)
    assert f"the week's tasks are in {folder / 'followups.md'}" in unknown.stderr

    _kith(runner, ws, "outcome", "accepted a job with Contoso as project manager", "--date", "2026-11-20")
    history = json.loads(_kith(runner, ws, "journal", "Ken Watanabe", "--json").stdout)
    assert [(e["kind"], e["person"], e["to"]) for e in history["entries"]] == [
        ("referral", "Maria Gonzalez", "Ken Watanabe"),
        ("meeting", "Ken Watanabe", None),
    ]
    assert history["outcome"] == {
        "text": "accepted a job with Contoso as project manager",
        "date": "2026-11-20",
    }
    table = _kith(runner, ws, "journal").stdout
    assert "Xavier Quinn" in table and "accepted a job with Contoso" in table


def test_ambiguous_person_fails_in_a_script_and_asks_on_a_terminal(runner, tmp_path, monkeypatch):
    ws = _workspace(runner, tmp_path, FIXTURES / "journal" / "Connections_two_emmas.csv")
    failed = _kith(runner, ws, "log", "met", "Emma Park", "--date", "2026-11-20", code=2)
    lines = failed.stderr.splitlines()
    assert lines[0] == "kith: error: person 'Emma Park' matches 2 people:"
    assert lines[1].startswith("  Emma Park — no e-mail, Fabrikam Inc., last contact never, id p_")
    assert lines[2].startswith("  Emma Park — no e-mail, Graphic Design Institute, last contact never, id p_")
    assert "--email" in lines[3] and "person id" in lines[3]
    # The id the listing shows is a way to say which one.
    chosen = lines[2].rsplit("id ", 1)[1]
    by_id = _kith(runner, ws, "log", "call", chosen, "--date", "2026-11-21")
    assert "Logged #1: call Emma Park" in by_id.stdout
    monkeypatch.setattr("pipeline.cli.journal.is_interactive", lambda: True)
    asked = runner.invoke(
        app, ["-w", str(ws), "log", "met", "Emma Park", "--date", "2026-11-20"], input="2\n"
    )
    assert asked.exit_code == 0, asked.output
    assert "Which one" in asked.stdout and "Logged #2: met Emma Park" in asked.stdout
    assert "last contact 2026-11-21" in asked.stdout
    history = json.loads(_kith(runner, ws, "journal", "--json").stdout)["entries"]
    assert history[0]["person_id"] == history[1]["person_id"]
    people = json.loads(_kith(runner, ws, "export", "records", "--format", "jsonl").stdout.splitlines()[1])
    assert history[0]["person_id"] == f"p_{people['record_id']}"
    assert people["organization"] == "Graphic Design Institute"


def test_bad_kind_channel_and_date_are_one_line_errors(runner, tmp_path):
    ws = _workspace(runner, tmp_path, FIXTURES / "journal" / "Connections_two_emmas.csv")
    assert "unknown kind 'lunch'" in _kith(runner, ws, "log", "lunch", "Ken", code=2).stderr
    assert (
        "unknown channel 'twitter'" in _kith(runner, ws, "log", "met", "Ken", "-c", "twitter", code=2).stderr
    )
    bad_date = _kith(runner, ws, "log", "met", "Ken", "--date", "next week", code=2)
    assert (
        bad_date.stderr.strip()
        == "kith: error: date 'next week' is not a date; use YYYY-MM-DD, today or yesterday"
    )
    assert "no exporter named 'nope'" in _kith(runner, ws, "report", "nope", code=2).stderr
