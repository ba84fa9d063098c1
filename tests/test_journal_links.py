"""Journal links survive an edit of the source: a contact without an id of its own (a vCard
without UID, a LinkedIn row without a profile URL) comes back under a new record id when one of
its fields changes, and the journal entry — and its thank-you — must still be about that person."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pipeline.cli import build_app

CARD = """BEGIN:VCARD
VERSION:3.0
N:{family};{given};;;
FN:{given} {family}
ORG:{org}
TITLE:{title}
EMAIL;TYPE=INTERNET:{email}
TEL;TYPE=CELL:{phone}
NOTE:{note}
END:VCARD
"""
MARIA = {
    "given": "Maria",
    "family": "Gonzalez",
    "org": "Northwind Traders",
    "title": "Product Manager",
    "email": "maria.gonzalez@example.com",
    "phone": "+1 206 555 0142",
    "note": "Met at the alumni mixer",
}
KEN = {
    **MARIA,
    "given": "Ken",
    "family": "Watanabe",
    "email": "ken.watanabe@example.org",
    "phone": "+1 206 555 0177",
}
EDITS = [
    ("org", "Contoso Ltd"),
    ("title", "Director of Product"),
    ("email", "maria.g@example.net"),
    ("phone", "+1 425 555 0199"),
    ("family", "Gonzalez-Ruiz"),
    ("given", "María"),
    ("note", "Moved to Contoso in 2026"),
]


def _kith(runner, root: Path, *args: str):
    result = runner.invoke(build_app(), ["-w", str(root), *args])
    assert result.exit_code in (0, 3), result.output
    return result


def _journal(runner, root: Path) -> list[dict]:
    return json.loads(_kith(runner, root, "journal", "--json").stdout)["entries"]


def _tasks(runner, root: Path, as_of: str) -> list[str]:
    _kith(runner, root, "report", "followups", "--as-of", as_of)
    week = sorted((root / "reports").iterdir())[-1]
    return (week / "followups.md").read_text(encoding="utf-8").splitlines()


@pytest.fixture
def phone_book(tmp_path) -> Path:
    root = tmp_path / "ws"
    root.mkdir()
    (root / "kith.toml").write_text('[[inputs]]\npath = "contacts.vcf"\n', encoding="utf-8")
    (root / "contacts.vcf").write_text(CARD.format(**MARIA) + CARD.format(**KEN), encoding="utf-8")
    return root


def test_every_field_of_a_journaled_vcard_edited_one_at_a_time_keeps_the_link(runner, phone_book):
    _kith(runner, phone_book, "run", "--as-of", "2026-11-20")
    _kith(runner, phone_book, "log", "meeting", "Maria Gonzalez", "--date", "2026-11-19")
    (entry,) = _journal(runner, phone_book)
    assert entry["person"] == "Maria Gonzalez"
    card = dict(MARIA)
    for field, value in EDITS:
        card[field] = value
        (phone_book / "contacts.vcf").write_text(CARD.format(**card) + CARD.format(**KEN), encoding="utf-8")
        ran = json.loads(_kith(runner, phone_book, "run", "--as-of", "2026-11-21", "--json").stdout)
        assert ran["inputs"][0]["status"] == "imported", field
        (entry,) = _journal(runner, phone_book)
        assert entry["person"] == f"{card['given']} {card['family']}", f"after editing {field}"
        assert entry["person_id"] is not None
    # the thank-you for the meeting is still there, for the edited contact
    lines = _tasks(runner, phone_book, "2026-11-21")
    assert any("María Gonzalez-Ruiz" in line for line in lines), lines


def test_a_linkedin_row_without_url_keeps_its_journal_after_a_company_change(runner, tmp_path):
    root = tmp_path / "ws"
    root.mkdir()
    header = "First Name,Last Name,Email Address,Company,Position,Connected On\n"
    row = "Priya,Raman,,{company},Data Scientist,05 Mar 2024\n"
    other = "Ken,Watanabe,,Contoso Ltd,Engineer,01 Feb 2021\n"
    csv = root / "Connections.csv"
    csv.write_text(header + row.format(company="Fabrikam") + other, encoding="utf-8")
    (root / "kith.toml").write_text('[[inputs]]\npath = "Connections.csv"\nimporter = "linkedin"\n')
    _kith(runner, root, "run", "--as-of", "2026-11-20")
    _kith(runner, root, "log", "call", "Priya Raman", "--date", "2026-11-19")
    csv.write_text(header + row.format(company="Litware") + other, encoding="utf-8")
    report = json.loads(_kith(runner, root, "run", "--as-of", "2026-11-21", "--json").stdout)
    assert report["inputs"][0]["status"] == "imported"
    (entry,) = _journal(runner, root)
    assert entry["person"] == "Priya Raman" and entry["person_id"] is not None
    assert any("Priya Raman" in line for line in _tasks(runner, root, "2026-11-21"))


def test_a_contact_removed_from_the_file_is_not_linked_to_someone_else(runner, phone_book):
    _kith(runner, phone_book, "run", "--as-of", "2026-11-20")
    _kith(runner, phone_book, "log", "meeting", "Maria Gonzalez", "--date", "2026-11-19")
    (phone_book / "contacts.vcf").write_text(CARD.format(**KEN), encoding="utf-8")
    _kith(runner, phone_book, "run", "--as-of", "2026-11-21")
    (entry,) = _journal(runner, phone_book)
    assert entry["person"] is None  # gone with its record, never re-pointed at Ken
