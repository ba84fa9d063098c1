"""An alumni office's weekly export arrives under a new dated name; members stay one person each.

The rule (README "Which files are new"): the files one ``[[inputs]]`` glob matches that share the
importer, the header row and the name once digits are set aside are one series; the newest file
never seen before replaces the series' source, its members keeping their record ids.
"""

from __future__ import annotations

import json
import os

from typer.testing import CliRunner

from pipeline.cli import build_app
from pipeline.people import load_people
from pipeline.store import Store

HEADER = "Member ID,First Name,Last Name,Email\n"
WEEK = 7 * 24 * 3600


def _office(tmp_path, pattern: str = "in/members_*.csv"):
    runner, app, ws = CliRunner(), build_app(), tmp_path / "office"
    assert runner.invoke(app, ["init", str(ws)]).exit_code == 0
    (ws / "in").mkdir()
    with (ws / "kith.toml").open("a") as fh:
        fh.write(f'\n[[inputs]]\npath = "{pattern}"\nimporter = "alumni"\n')
    return runner, app, ws


def _export(ws, name: str, rows: str, week: int) -> None:
    path = ws / "in" / name
    path.write_text(HEADER + rows, encoding="utf-8")
    stamp = 1_790_000_000 + week * WEEK  # the day the office sent it, whatever order tests write in
    os.utime(path, (stamp, stamp))


def _run(runner, app, ws, day: str, *extra: str):
    result = runner.invoke(app, ["-w", str(ws), "run", "--as-of", day, "--json", *extra])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def _members(ws) -> dict[str, tuple[str, list[str]]]:
    with Store(ws / "kith.db") as store:
        records = store.records()
    return {
        json.loads(extra)["source_id"]: (rid, emails)
        for rid, emails, extra in records.select("record_id", "emails", "extra").iter_rows()
    }


def test_a_member_whose_email_changed_between_dated_exports_stays_one_person(tmp_path):
    runner, app, ws = _office(tmp_path)
    _export(
        ws,
        "members_2026-11-02.csv",
        "M1,Ana,Lima,ana.lima@example.com\nM2,Ben,Okoro,ben.okoro@example.com\n",
        0,
    )
    _run(runner, app, ws, "2026-11-02")
    _export(
        ws,
        "members_2026-11-09.csv",
        "M1,Ana,Lima,ana.lima@newjob.example.com\nM2,Ben,Okoro,ben.okoro@example.com\n",
        1,
    )
    _run(runner, app, ws, "2026-11-09")
    with Store(ws / "kith.db") as store:
        people = load_people(store)
    # Member ID M1 in two exports of one directory is one member, not two "Ana Lima"
    assert people.height == 2, people.select("person_id", "full_name", "emails")


def test_three_weeks_of_dated_exports_through_the_cli(tmp_path):
    runner, app, ws = _office(tmp_path, "in/*.csv")
    _export(
        ws,
        "members_2026-11-02.csv",
        "M1,Ana,Lima,ana.lima@example.com\nM2,Ben,Okoro,ben.okoro@example.com\n",
        0,
    )
    # same header, another list: its own source, never replaced by a members export
    _export(ws, "volunteers_2026-11-02.csv", "V7,Chidi,Obi,chidi.obi@example.com\n", 0)
    _run(runner, app, ws, "2026-11-02")
    first = _members(ws)
    assert set(first) == {"M1", "M2", "V7"}

    # week 2: the new export lands beside last week's, which is kept
    _export(
        ws,
        "members_2026-11-09.csv",
        "M1,Ana,Lima,ana.lima@newjob.example.com\nM2,Ben,Okoro,ben.okoro@example.com\nM3,Dara,Quinn,dara.quinn@example.com\n",
        1,
    )
    plan = _run(runner, app, ws, "2026-11-09", "--dry-run")
    shown = {row["path"].rsplit("/", 1)[-1]: row["status"] for row in plan["inputs"]}
    assert shown == {
        "members_2026-11-02.csv": "unchanged",
        "members_2026-11-09.csv": "would import (newer export of in/members_2026-11-02.csv)",
        "volunteers_2026-11-02.csv": "unchanged",
    }
    _run(runner, app, ws, "2026-11-09")
    second = _members(ws)
    assert set(second) == {"M1", "M2", "M3", "V7"}
    assert second["M1"] == (first["M1"][0], ["ana.lima@newjob.example.com"])  # same record, new e-mail
    assert second["V7"] == first["V7"]

    # week 3: the old exports are deleted; a stale one from October turns up late
    for name in ("members_2026-11-02.csv", "members_2026-11-09.csv"):
        (ws / "in" / name).unlink()
    _export(
        ws,
        "members_2026-11-16.csv",
        "M1,Ana,Lima,ana.lima@newjob.example.com\nM3,Dara,Quinn,dara.q@example.com\n",
        2,
    )
    _export(
        ws, "members_2026-10-26.csv", "M1,Ana,Lima,ana@old.example.com\nM9,Old,Member,old@example.com\n", -1
    )
    report = _run(runner, app, ws, "2026-11-16")
    statuses = {row["path"].rsplit("/", 1)[-1]: row for row in report["inputs"]}
    assert statuses["members_2026-10-26.csv"]["status"] == "unchanged"
    assert "older export than" in statuses["members_2026-10-26.csv"]["error"]
    third = _members(ws)
    assert set(third) == {"M1", "M3", "V7"}  # the directory as of its newest export
    assert third["M1"][0] == first["M1"][0] and third["M3"] == (second["M3"][0], ["dara.q@example.com"])
    with Store(ws / "kith.db") as store:
        assert store.sources().height == 2
        assert load_people(store).height == 3


def test_one_export_per_contact_is_not_a_series(tmp_path):
    """Files without a shared dated name stay sources of their own: nobody is replaced."""
    runner, app, ws = _office(tmp_path, "in/*.csv")
    _export(ws, "ana.csv", "M1,Ana,Lima,ana.lima@example.com\n", 0)
    _export(ws, "ben.csv", "M2,Ben,Okoro,ben.okoro@example.com\n", 1)
    _run(runner, app, ws, "2026-11-02")
    assert set(_members(ws)) == {"M1", "M2"}
