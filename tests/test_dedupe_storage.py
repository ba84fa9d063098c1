"""Dedupe in the store: people across sources, stable ids, decisions that last, the review sheet,
the batch step, and a crash that leaves the previous people intact.

Fixtures (tests/fixtures/dedupe/) are an iPhone vCard export, a LinkedIn Connections.csv and a
Google Contacts CSV holding the same people under variant names (Bob / Robert Kowalski).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import polars as pl
import pytest

from pipeline import registry
from pipeline.contracts import SheetDecisions
from pipeline.dedupe import storage
from pipeline.errors import ConfigError, InputError
from pipeline.importing import import_file
from pipeline.people import PEOPLE_COLUMNS, load_people
from pipeline.run import Run
from pipeline.store import Store
from pipeline.testing import export_context, make_workspace, plugin_manager
from plugins.duplicates.sheet import (
    HEADERS,
    SHEET_FILE,
    file_digest,
    read_sheet_decisions,
    write_review_sheet,
)

DEDUPE = Path(__file__).parent / "fixtures" / "dedupe"


def run_dedupe(store: Store, workspace, *, refit: bool = False) -> int:
    """The resolve stage alone, with the workspace's settings; the number of people."""
    return storage.dedupe_store(store, storage.workspace_settings(workspace), refit=refit).people


@pytest.fixture
def ws(tmp_path):
    workspace = make_workspace(tmp_path / "ws", config='[workspace]\nregion = "US"\n')
    inbox = workspace.root / "inbox"
    inbox.mkdir()
    for name in ("contacts.vcf", "Connections.csv", "google_contacts.csv"):
        shutil.copy(DEDUPE / name, inbox / name)
    pm = plugin_manager()
    with Store(workspace.store_path) as store:
        for name in ("contacts.vcf", "Connections.csv", "google_contacts.csv"):
            assert import_file(store, pm, inbox / name).status == "imported"
    return workspace


def _person(people: pl.DataFrame, email: str) -> dict:
    (row,) = people.filter(pl.col("emails").list.contains(email)).to_dicts()
    return row


def _named(people: pl.DataFrame, given: str, family: str) -> list[dict]:
    return people.filter((pl.col("given_name") == given) & (pl.col("family_name") == family)).to_dicts()


def test_people_merge_across_sources_and_keep_every_value(ws):
    with Store(ws.store_path) as store:
        assert run_dedupe(store, ws) == 19
        people = load_people(store)
        columns = [row[1] for row in store.conn.execute("PRAGMA table_info(people)")]
    assert columns == list(PEOPLE_COLUMNS)
    ken = _person(people, "ken.watanabe@example.com")
    assert sorted(ken["sources"]) == ["linkedin", "vcard"] and len(ken["record_ids"]) == 2
    assert ken["organization"] == "Tailspin Toys" and ken["linkedin_url"].endswith("/in/ken-watanabe-tt")
    assert json.loads(ken["provenance"])["linkedin_url"] in ken["record_ids"]
    bob = _person(people, "robert.kowalski@example.com")  # Google's Robert "Bob" and the phone's Bob
    assert {"vcard", "google_csv"} <= set(bob["sources"])
    assert {"bob.kowalski@example.org", "robert.kowalski@example.com"} <= set(bob["emails"])
    # Must not merge: the spouse, and two John Smiths at different employers.
    assert _person(people, "anna.kowalski@example.org")["person_id"] != bob["person_id"]
    smiths = _named(people, "John", "Smith")
    assert sorted(p["organization"] for p in smiths) == ["Fabrikam Inc.", "Litware Inc."]


def test_incremental_run_keeps_ids_and_settles_unchanged_records(ws):
    pm = plugin_manager()
    with Store(ws.store_path) as store:
        run_dedupe(store, ws)
        before = load_people(store)
        again = storage.dedupe_store(store, storage.workspace_settings(ws))
        # nothing changed: no resolve at all, same answer
        assert again.stats == {"unchanged": True} and again.people == before.height
        assert load_people(store)["person_id"].to_list() == before["person_id"].to_list()
        # A new address book brings Ken once more (same email) and one new person.
        extra = ws.root / "inbox" / "outlook.vcf"
        extra.write_text(
            "BEGIN:VCARD\r\nVERSION:2.1\r\nN:Watanabe;Ken\r\nFN:Ken Watanabe\r\n"
            "EMAIL;PREF;INTERNET:ken.watanabe@example.com\r\nEND:VCARD\r\n"
            "BEGIN:VCARD\r\nVERSION:2.1\r\nN:Ibarra;Sofia\r\nFN:Sofia Ibarra\r\n"
            "EMAIL;PREF;INTERNET:sofia.ibarra@example.com\r\nEND:VCARD\r\n",
            encoding="utf-8",
        )
        assert import_file(store, pm, extra).status == "imported"
        run = storage.dedupe_store(store, storage.workspace_settings(ws))
        after = load_people(store)
        # Only changed rows were written; a full rewrite of the same result is identical.
        store.conn.execute("DELETE FROM meta WHERE key IN (?, ?)", (storage.SETTINGS_KEY, storage.STAMP_KEY))
        storage.dedupe_store(store, storage.workspace_settings(ws))
        assert load_people(store).equals(after)
        assert storage.load_assignments(store).height == 26
    assert run.stats["settled_records"] == 24 and run.people == 20
    ken_before = _person(before, "ken.watanabe@example.com")
    ken_after = _person(after, "ken.watanabe@example.com")
    assert ken_after["person_id"] == ken_before["person_id"] and len(ken_after["record_ids"]) == 3
    unchanged = before.filter(~pl.col("emails").list.contains("ken.watanabe@example.com"))
    kept = after.join(unchanged.select("person_id", "record_ids"), on="person_id")
    assert kept.height == unchanged.height
    assert kept["record_ids"].to_list() == kept["record_ids_right"].to_list()


def test_different_decision_survives_rerun_and_reimport(ws):
    pm = plugin_manager()
    with Store(ws.store_path) as store:
        run_dedupe(store, ws)
        ken = _person(load_people(store), "ken.watanabe@example.com")
        assert storage.split_records(store, ken["record_ids"], by="split") == 1
        run_dedupe(store, ws)
        run_dedupe(store, ws, refit=True)
        apart = load_people(store).filter(pl.col("emails").list.contains("ken.watanabe@example.com"))
        assert apart.height == 2
        # Re-export of LinkedIn with one more connection: the file is re-imported, ids stay.
        connections = ws.root / "inbox" / "Connections.csv"
        with connections.open("a", encoding="utf-8") as handle:
            handle.write("Nadia,Rahman,,nadia.rahman@example.com,Contoso Ltd,Recruiter,01 Feb 2026\n")
        assert import_file(store, pm, connections).status == "imported"
        run_dedupe(store, ws)
        people = load_people(store)
        decisions = storage.load_decisions(store)
    kens = people.filter(pl.col("emails").list.contains("ken.watanabe@example.com"))
    assert kens.height == 2 and sorted(r for ids in kens["record_ids"] for r in ids) == sorted(
        ken["record_ids"]
    )
    assert decisions.select("decision", "by").rows() == [("different", "split")]
    assert people.filter(pl.col("emails").list.contains("nadia.rahman@example.com")).height == 1


def test_crash_inside_the_write_leaves_previous_people(ws, monkeypatch):
    with Store(ws.store_path) as store:
        run_dedupe(store, ws)
        people = load_people(store)
        assignments = storage.load_assignments(store)
        queue = storage.load_review_queue(store)
        ken = _person(people, "ken.watanabe@example.com")
        storage.split_records(store, ken["record_ids"], by="split")
        real = storage._insert_frame

        def crash(conn, table, frame):
            real(conn, table, frame)
            if table == "assignments":  # people already replaced inside the transaction
                raise OSError("disk full")

        monkeypatch.setattr(storage, "_insert_frame", crash)
        with pytest.raises(OSError, match="disk full"):
            run_dedupe(store, ws)
        assert load_people(store).equals(people)
        assert storage.load_assignments(store).sort("record_id").equals(assignments.sort("record_id"))
        assert storage.load_review_queue(store).equals(queue)
        monkeypatch.setattr(storage, "_insert_frame", real)
        assert run_dedupe(store, ws) == 20  # the decision was kept and now applies


def test_review_sheet_round_trip(ws):
    pm = plugin_manager()
    out = ws.root / "out"
    out.mkdir()
    with Store(ws.store_path) as store:
        exporter = registry.exporters(pm)["duplicates"]
        assert exporter.write(export_context(store, out, pm=pm)) == []  # nothing run yet
        run_dedupe(store, ws)
        (path,) = exporter.write(export_context(store, out, pm=pm))
        assert path == out / SHEET_FILE

        from openpyxl import load_workbook

        wb = load_workbook(path)
        sheet = wb["Review"]
        assert [c.value for c in sheet[1]] == HEADERS
        row = {h: c.value for h, c in zip(HEADERS, sheet[2], strict=True)}
        assert row["Name (A)"] == row["Name (B)"] == "John Smith"
        assert {row["Organization (A)"], row["Organization (B)"]} == {"Fabrikam Inc.", "Litware Inc."}
        assert 0.3 <= row["Probability"] < 1 and "organization different" in row["Reasons"]
        (validation,) = sheet.data_validations.dataValidation
        assert validation.formula1 == '"same,different,skip"' and "A2" in str(validation.sqref)
        sheet["A2"] = "different"
        wb.save(path)

        found = read_sheet_decisions(path)
        assert found == ([(row["Record A"], row["Record B"], "different")], [])
        sheet_decisions = [SheetDecisions(path, file_digest(path), tuple(found[0]))]
        assert storage.store_sheet_decisions(store, sheet_decisions) == (1, [])
        assert storage.dedupe_store(store, storage.workspace_settings(ws)).review == 0
        decisions = storage.load_decisions(store)
        assert decisions.select("decision", "by").rows() == [("different", f"sheet:{SHEET_FILE}")]
        assert storage.store_sheet_decisions(store, sheet_decisions) == (0, [])  # applied once per content
        assert len(_named(load_people(store), "John", "Smith")) == 2
        assert write_review_sheet([], out / "empty.xlsx") == 0


def test_sheet_with_bad_rows_warns_and_foreign_file_is_an_input_error(tmp_path):
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "Review"
    ws.append(HEADERS)
    ws.append(["maybe", 0.5, *[""] * (len(HEADERS) - 4), "r1", "r2"])
    ws.append(["Same", 0.5, *[""] * (len(HEADERS) - 4), "r3", "r4"])
    ws.append(["skip", 0.5, *[""] * (len(HEADERS) - 4), "r5", "r6"])
    wb.save(tmp_path / "filled.xlsx")
    found, warnings = read_sheet_decisions(tmp_path / "filled.xlsx")
    assert found == [("r3", "r4", "same")]
    assert warnings == [
        "filled.xlsx Review!A2: 'maybe' is not same, different or skip; the row was left undecided"
    ]
    (tmp_path / "junk.xlsx").write_bytes(b"not a zip")
    with pytest.raises(InputError, match=r"junk\.xlsx: not a readable \.xlsx review sheet"):
        read_sheet_decisions(tmp_path / "junk.xlsx")


def test_formula_text_is_written_as_a_string(tmp_path):
    from openpyxl import Workbook, load_workbook

    from plugins.duplicates.sheet import _safe

    wb = Workbook()
    _safe(wb.active["A1"], '=HYPERLINK("http://evil.example","x")')
    _safe(wb.active["A2"], "+12065550142")
    wb.save(tmp_path / "f.xlsx")
    cells = load_workbook(tmp_path / "f.xlsx").active
    assert cells["A1"].data_type == "s" and cells["A1"].value.startswith("=HYPERLINK")
    assert cells["A2"].value == "+12065550142"


def test_settings_from_kith_toml():
    settings = storage.settings_from_config({"auto_merge": 0.95, "source_priority": ["linkedin", "vcard"]})
    assert settings.auto_merge == 0.95 and settings.source_priority == ("linkedin", "vcard")
    with pytest.raises(ConfigError, match=r"\[dedupe\] unknown key 'auto_merj'"):
        storage.settings_from_config({"auto_merj": 0.9})
    with pytest.raises(ConfigError, match=r"'auto_reject' must be between 0 and 1"):
        storage.settings_from_config({"auto_reject": 3})
    with pytest.raises(ConfigError, match=r"'source_priority' must be an array"):
        storage.settings_from_config({"source_priority": "linkedin"})


def test_weekly_run_dedupes_writes_the_sheet_and_applies_last_weeks(tmp_path):
    root = tmp_path / "ws"
    (root / "inbox").mkdir(parents=True)
    for name in ("contacts.vcf", "Connections.csv", "google_contacts.csv"):
        shutil.copy(DEDUPE / name, root / "inbox" / name)
    config = '[workspace]\nregion = "US"\n\n[[inputs]]\npath = "inbox/*"\n\n[dedupe]\nauto_merge = 0.9\n'
    workspace = make_workspace(root, config=config)
    import datetime as dt

    with Run.open(workspace, plugin_manager(), as_of=dt.date(2026, 11, 19), lock="kith run") as run:
        first = run.weekly()
    assert first.people == 19 and "duplicates.xlsx" in first.outputs
    sheet = root / "reports" / "2026-W47" / SHEET_FILE
    from openpyxl import load_workbook

    wb = load_workbook(sheet)
    wb["Review"]["A2"] = "same"
    wb.save(sheet)
    with Run.open(workspace, plugin_manager(), as_of=dt.date(2026, 11, 26), lock="kith run") as run:
        second = run.weekly()
    assert second.people == 18  # last week's filled sheet merged the two John Smiths
    with Store(workspace.store_path) as store:
        assert len(_named(load_people(store), "John", "Smith")) == 1
    saved = json.loads((root / "reports" / "2026-W48" / "run.json").read_text())
    assert saved["people"] == 18


def test_a_sheet_answer_about_two_people_of_several_records_counts_once(ws, monkeypatch):
    """One filled row about two people of two records each is stored as four record-pair
    decisions, and is one answer in what kith says it applied."""
    with Store(ws.store_path) as store:
        run_dedupe(store, ws)
        pairs = [("r1", "r3"), ("r1", "r4"), ("r2", "r3"), ("r2", "r4")]
        monkeypatch.setattr(
            storage, "whole_people", lambda rows, _assignments: [(a, b, "same") for a, b in pairs]
        )
        sheet = SheetDecisions(Path("duplicates.xlsx"), "d1", (("r1", "r3", "same"),))
        assert storage.store_sheet_decisions(store, [sheet]) == (1, [])
        assert storage.load_decisions(store).height == 4
