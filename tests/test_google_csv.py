"""Tests for the Google Contacts CSV importer (current and legacy UTF-16 exports)."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl

from pipeline.contracts import ImportOptions
from pipeline.schema import validate_raw
from plugins.google_csv import IMPORTER as GOOGLE

FIX = Path(__file__).parent / "fixtures" / "google"


def read(path: Path, **options):
    result = GOOGLE.read(path, ImportOptions(**options))
    validate_raw(result.records, "google_csv")
    return result


def test_current_export_groups_and_multi_values():
    result = read(FIX / "contacts.csv")
    rows = {r["family_name"]: r for r in result.records.to_dicts()}
    bob = rows["Kowalski"]
    assert bob["source_ref"] == "row 2"
    assert (bob["given_name"], bob["nickname"], bob["organization"]) == ("Robert", "Bob", "Contoso Ltd")
    # " ::: " values of group 1, then group 2, in order
    assert bob["emails"] == ["bob.kowalski@example.org", "robert.kowalski@example.com", "bobk@example.net"]
    assert bob["phones"] == ["+1 312-555-0177"]
    assert bob["tags"] == ["Alumni", "starred"]  # "* myContacts" says nothing
    assert bob["birthday"] == "--07-04"
    assert bob["linkedin_url"] == "https://www.linkedin.com/in/bob-kowalski-example/"
    extra = json.loads(bob["extra"])
    assert extra["Relation 1 - Value"] == "Anna Kowalski" and extra["E-mail 1 - Label"] == "* Work"
    assert "Website 1 - Value" not in extra  # it became linkedin_url
    maria = rows["Gonzalez"]
    assert maria["phones"] == ["(206) 555-0142", "(206) 555-0199"]
    assert (maria["street"], maria["city"], maria["region"], maria["postal_code"], maria["country"]) == (
        "500 Pine St", "Seattle", "WA", "98101", "US",
    )  # fmt: skip
    assert maria["notes"] == 'Met at the 2025 reunion: "call me after March", she said.'
    assert json.loads(maria["extra"])["Address 1 - Formatted"] == "500 Pine St\nSeattle, WA 98101\nUS"
    assert [(r.ref, r.reason) for r in result.rejects] == [
        ("row 5", "no name, organization, email or phone in this row")
    ]
    assert result.info["mapping"]["E-mail 2 - Value"] == "emails"
    assert result.info["mapping"]["Phonetic First Name"] == "extra"


def test_legacy_utf16_export():
    result = read(FIX / "legacy_utf16.csv", channel="social")
    assert result.info["encoding"] == "utf-16-le"
    rows = {r["given_name"]: r for r in result.records.to_dicts()}
    ivan = rows["Иван"]
    assert (ivan["full_name"], ivan["family_name"], ivan["title"]) == ("Иван Петров", "Петров", "Аналитик")
    assert ivan["organization"] == "Northwind" and ivan["tags"] == ["Moscow"]
    assert ivan["channel"] == "social"
    assert json.loads(ivan["extra"])["Website 1 - Value"] == "https://ivan.example.org"
    assert rows["Ελένη"]["emails"] == ["eleni.pappa@example.org", "lena@example.net"]


def test_many_numbered_groups(tmp_path):
    header = ["First Name", "Last Name"] + [f"E-mail {n} - Value" for n in range(1, 6)]
    header += [f"Phone {n} - Value" for n in range(1, 4)]
    row = [
        "Ann",
        "Lee",
        "a1@example.com",
        "",
        "a3@example.com",
        "",
        "a5@example.com ::: a6@example.com",
        "1",
        "",
        "3",
    ]
    path = tmp_path / "g.csv"
    path.write_text(",".join(header) + "\n" + ",".join(row) + "\n")
    got = read(path).records.select("emails", "phones").row(0)
    assert got == (["a1@example.com", "a3@example.com", "a5@example.com", "a6@example.com"], ["1", "3"])


def test_override_moves_a_column(tmp_path):
    path = tmp_path / "g.csv"
    path.write_text("First Name,Last Name,E-mail 1 - Value,Notes\nAnn,Lee,ann@example.com,met at fair\n")
    result = read(path, mapping={"Notes": "extra"})
    assert "notes" not in result.records.columns
    assert json.loads(result.records["extra"][0]) == {"Notes": "met at fair"}
    assert result.records.schema["emails"] == pl.List(pl.String)
