"""Tests for the Thunderbird address-book CSV importer."""

from __future__ import annotations

import json
from pathlib import Path

from pipeline.contracts import ImportOptions
from pipeline.schema import validate_raw
from plugins.thunderbird_csv import IMPORTER as THUNDERBIRD

FIX = Path(__file__).parent / "fixtures" / "thunderbird"


def test_thunderbird_export():
    result = THUNDERBIRD.read(FIX / "contacts.csv", ImportOptions())
    validate_raw(result.records, "thunderbird_csv")
    rows = {r["full_name"]: r for r in result.records.to_dicts()}
    bob = rows["Bob Kowalski"]
    assert (bob["given_name"], bob["family_name"], bob["nickname"]) == ("Robert", "Kowalski", "Bob")
    assert bob["emails"] == ["bob.kowalski@example.org", "robert.kowalski@example.com"]
    assert bob["phones"] == ["312-555-0177"]
    assert (bob["street"], bob["city"], bob["region"], bob["postal_code"]) == (
        "1 Contoso Way",
        "Chicago",
        "IL",
        "60601",
    )
    assert bob["birthday"] == "--07-04"
    assert bob["linkedin_url"] == "http://linkedin.com/in/bob-kowalski-example"
    assert json.loads(bob["extra"]) == {"Fax Number": "312-555-0178", "Custom 1": "Class of 2006"}
    sam = rows["Sam Lee"]
    assert sam["birthday"] == "1990-12-01" and (sam["city"], sam["region"]) == ("Oakland", "CA")
    assert sam["notes"] == "Friend of Bob"
    assert result.info["mapping"]["Primary Email"] == "emails"
    assert result.rejects == []


def test_a_row_with_one_field_too_many_is_a_reject_with_its_raw_line():
    from plugins.thunderbird_csv import IMPORTER

    result = IMPORTER.read(FIX / "unquoted_comma.csv", ImportOptions())
    assert result.records["full_name"].to_list() == ["Lena Brandt", "Ilona Varga"]
    (reject,) = result.rejects
    assert reject.ref == "row 3" and "more fields than the header" in reject.reason
    assert reject.raw.startswith("Chidi,Okafor,Okafor, Chidi,,chidi.okafor@example.com,,,206-555-0130")
