"""The dedupe commands end to end through CliRunner: dedupe, people, why, merge/split, review,
review --from-sheet and export people, on an iPhone vCard export, a LinkedIn Connections.csv and
a Google Contacts CSV that hold the same people under variant names.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from pipeline.cli import build_app

app = build_app()

DEDUPE = Path(__file__).parent / "fixtures" / "dedupe"


@pytest.fixture
def ws(runner, tmp_path) -> Path:
    root = tmp_path / "ws"
    assert runner.invoke(app, ["init", str(root)]).exit_code == 0
    inbox = root / "inbox"
    inbox.mkdir()
    for name in ("contacts.vcf", "Connections.csv", "google_contacts.csv"):
        shutil.copy(DEDUPE / name, inbox / name)
    result = runner.invoke(app, ["-w", str(root), "import", str(inbox), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["records"] == 24
    return root


def kith(runner, root: Path, *args: str, input: str | None = None):
    result = runner.invoke(app, ["-w", str(root), *args], input=input)
    assert result.exit_code == 0, result.output
    return result


def people(runner, root: Path, query: str = "") -> list[dict]:
    return json.loads(kith(runner, root, "people", *([query] if query else []), "--json").stdout)


def test_dedupe_then_people_merge_across_sources(runner, ws):
    before = people(runner, ws)
    assert len(before) == 24  # before dedupe every record is its own person
    out = json.loads(kith(runner, ws, "dedupe", "--json").stdout)
    assert out["records"] == 24 and out["people"] == 19 and out["merged_people"] == 4 and out["review"] == 1
    assert (
        "24 records → 19 people (4 merged from 9 records); 1 pair to review"
        in kith(runner, ws, "dedupe").stdout
    )
    (bob,) = people(runner, ws, "robert.kowalski@example.com")
    assert bob["name"] == "Bob Kowalski" and set(bob["sources"]) >= {"vcard", "google_csv"}
    assert set(bob["emails"]) == {"bob.kowalski@example.org", "robert.kowalski@example.com"}
    kowalskis = people(runner, ws, "kowalski")
    assert sorted(p["name"] for p in kowalskis) == ["Anna Kowalski", "Bob Kowalski"]  # spouses stay apart
    table = kith(runner, ws, "people", "watanabe").stdout
    assert "Ken Watanabe" in table and "ken.watanabe@example.com" in table and "1 person" in table
    missing = runner.invoke(app, ["-w", str(ws), "people", "nobody-like-this"])
    assert missing.exit_code == 1 and "No people match" in missing.stdout


def test_why_names_levels_weights_and_probability(runner, ws):
    kith(runner, ws, "dedupe")
    text = kith(runner, ws, "why", "Bob Kowalski", "bob.kowalski@example.org").stdout
    assert "A: Bob Kowalski (vcard contacts.vcf" in text
    for needle in ("given", "family", "email", "shared", "match probability", "total (log2 odds)"):
        assert needle in text
    assert "Now: the same person" in text
    smiths = json.loads(kith(runner, ws, "why", "John Smith", "john.smith@example.net", "--json").stdout)
    assert smiths["same_person"] is False and 0.3 <= smiths["probability"] < 1
    levels = {c["name"]: c["level"] for c in smiths["comparisons"]}
    assert (
        levels["given"] == "exact" and levels["family"] == "exact" and levels["organization"] == "different"
    )
    assert all(isinstance(c["weight"], float) for c in smiths["comparisons"])
    unknown = runner.invoke(app, ["-w", str(ws), "why", "Nobody Here", "John Smith"])
    assert (
        unknown.exit_code == 2 and "no record, person, email or name matches 'Nobody Here'" in unknown.stderr
    )


def test_merge_split_round_trip_survives_rerun_and_reimport(runner, ws):
    kith(runner, ws, "dedupe")
    merged = json.loads(kith(runner, ws, "merge", "John Smith", "john.smith@example.net", "--json").stdout)
    assert merged["run"]["people"] == 18 and merged["run"]["review"] == 0
    (smith,) = people(runner, ws, "john smith")
    assert smith["person_id"] == merged["person_id"] and len(smith["record_ids"]) == 2
    why = json.loads(kith(runner, ws, "why", *smith["record_ids"], "--json").stdout)
    assert why["decision"] == "same" and why["same_person"] is True

    split = kith(runner, ws, "split", smith["person_id"]).stdout
    assert f"Split person {smith['person_id']} into 2 people" in split
    assert len(people(runner, ws, "john smith")) == 2
    kith(runner, ws, "dedupe")
    # Re-export of the address book with one more card: re-imported, the decision still holds.
    vcf = ws / "inbox" / "contacts.vcf"
    vcf.write_text(
        vcf.read_text() + "BEGIN:VCARD\nVERSION:3.0\nN:Ibarra;Sofia;;;\nFN:Sofia Ibarra\n"
        "EMAIL;type=INTERNET:sofia.ibarra@example.com\nEND:VCARD\n"
    )
    assert (
        json.loads(kith(runner, ws, "import", str(vcf), "--json").stdout)["files"][0]["status"] == "imported"
    )
    assert json.loads(kith(runner, ws, "dedupe", "--json").stdout)["people"] == 20
    assert len(people(runner, ws, "john smith")) == 2

    merged_again = json.loads(kith(runner, ws, "merge", *smith["record_ids"], "--json").stdout)
    assert merged_again["run"]["people"] == 19 and len(people(runner, ws, "john smith")) == 1


def test_split_one_record_out_keeps_the_person_id(runner, ws):
    kith(runner, ws, "dedupe")
    (bob,) = people(runner, ws, "robert.kowalski@example.com")
    assert len(bob["record_ids"]) == 3 and "linkedin" in bob["sources"]
    records = [json.loads(line) for line in kith(runner, ws, "export", "records").stdout.splitlines()]
    (robert,) = [r for r in records if r["source"] == "linkedin" and r["family_name"] == "Kowalski"]
    assert robert["record_id"] in bob["record_ids"]
    out = json.loads(
        kith(runner, ws, "split", bob["person_id"], "--record", robert["record_id"], "--json").stdout
    )
    assert out["assignments"][robert["record_id"]] != bob["person_id"]
    (after,) = people(runner, ws, "robert.kowalski@example.com")
    assert after["person_id"] == bob["person_id"] and len(after["record_ids"]) == 2
    ambiguous = runner.invoke(app, ["-w", str(ws), "split", "Robert Kowalski"])
    assert ambiguous.exit_code == 2 and "matches 2 people" in ambiguous.stderr


def test_review_in_a_script_prints_the_queue_and_on_a_terminal_asks(runner, ws):
    kith(runner, ws, "dedupe")
    queue = kith(runner, ws, "review").stdout
    assert "John Smith" in queue and "1 pair(s) to review" in queue
    (pair,) = json.loads(kith(runner, ws, "review", "--json").stdout)
    assert pair["name_a"] == pair["name_b"] == "John Smith" and "organization different" in " ".join(
        pair["reasons"]
    )
    asked = kith(runner, ws, "review", "--interactive", input="maybe\nd\n").stdout
    assert "Pair 1 of 1" in asked and "Fabrikam Inc." in asked and "Litware Inc." in asked
    assert "Please answer s, d, k or q." in asked and "Stored 1 decision(s)." in asked
    assert "Nothing to review." in kith(runner, ws, "review").stdout
    assert len(people(runner, ws, "john smith")) == 2
    kith(runner, ws, "dedupe", "--refit")
    assert "Nothing to review." in kith(runner, ws, "review").stdout


def test_review_from_sheet(runner, ws, tmp_path):
    from openpyxl import load_workbook

    kith(runner, ws, "dedupe")
    report = kith(runner, ws, "run", "--as-of", "2026-11-26", "--json").stdout
    assert "duplicates.xlsx" in json.loads(report)["outputs"]
    sheet = ws / "reports" / "2026-W48" / "duplicates.xlsx"
    filled = tmp_path / "filled.xlsx"
    wb = load_workbook(sheet)
    wb["Review"]["A2"] = "same"
    wb.save(filled)
    out = kith(runner, ws, "review", "--from-sheet", str(filled)).stdout
    assert f"Applied 1 decision from {filled}." in out and "18 people" in out
    assert len(people(runner, ws, "john smith")) == 1
    bad = runner.invoke(app, ["-w", str(ws), "review", "--from-sheet", str(ws / "kith.toml")])
    assert bad.exit_code == 2 and "not a readable .xlsx review sheet" in bad.stderr


def test_export_people_jsonl_and_csv(runner, ws, tmp_path):
    kith(runner, ws, "dedupe")
    lines = [
        json.loads(line)
        for line in kith(runner, ws, "export", "people", "--format", "jsonl").stdout.splitlines()
    ]
    assert len(lines) == 19
    (ken,) = [p for p in lines if "ken.watanabe@example.com" in p["emails"]]
    assert {"person_id", "given_name", "family_name", "emails", "phones", "record_ids", "sources"} <= set(ken)
    assert (
        ken["given_name"] == "Ken"
        and len(ken["record_ids"]) == 2
        and sorted(ken["sources"]) == ["linkedin", "vcard"]
    )
    target = tmp_path / "people.csv"
    kith(runner, ws, "export", "people", "--format", "csv", "--out", str(target))
    text = target.read_text(encoding="utf-8-sig")
    assert text.startswith("person_id,full_name,") and "ken.watanabe@example.com" in text
    assert len(text.strip().splitlines()) == 20


def test_dedupe_full_resolves_every_record_again_and_keeps_ids(runner, ws):
    first = json.loads(kith(runner, ws, "dedupe", "--json").stdout)
    ids = {p["person_id"] for p in people(runner, ws)}
    full = json.loads(kith(runner, ws, "dedupe", "--full", "--json").stdout)
    # Nothing settled, a new model; the same people under the same ids.
    assert full["model_refit"] is True and full["stats"]["settled_records"] == 0
    assert (full["people"], full["review"]) == (first["people"], first["review"])
    assert {p["person_id"] for p in people(runner, ws)} == ids
    assert "--full" in kith(runner, ws, "dedupe", "--help").stdout
    assert "--full" in kith(runner, ws, "run", "--help").stdout
