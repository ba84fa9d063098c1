"""The Eventbrite importer, run through kith's real core with pipeline.testing."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from pipeline.contracts import ImportOptions
from pipeline.testing import check_importer, import_through_core, make_workspace

import kith_eventbrite

FIXTURES = Path(__file__).parent / "fixtures"
PLUGINS = [("eventbrite", kith_eventbrite)]
MEETUP = "event: Seattle Data Engineering Meetup: Streaming in Practice"
BREAKFAST = "event: Women in Data Breakfast - Spring 2026"
HEADER = "Order #,Order Date,First Name,Last Name,Email,Quantity,Ticket Type,Attendee #,Attendee Status\n"


def _workspace(tmp_path, files=None):
    files = files or {"attendees.csv": (FIXTURES / "attendees.csv").read_bytes()}
    return make_workspace(tmp_path / "ws", files)


def test_attendee_report_passes_every_contract_check(tmp_path):
    ws = _workspace(tmp_path)
    result = check_importer(ws, "attendees.csv", "eventbrite", plugins=PLUGINS)
    records = result.records
    assert records.height == 9
    assert set(records["channel"]) == {"meeting"}
    by_place = {row["source_ref"]: row for row in records.iter_rows(named=True)}

    amara = by_place["row 2"]
    assert amara["full_name"] == "Amara Okafor"
    assert amara["emails"] == ["amara.okafor@example.com"]
    assert amara["tags"] == [MEETUP, "ticket: General Admission"]
    assert amara["connected_on"] == dt.date(2026, 2, 11)
    assert amara["street"] == "500 Pine St, Apt 4B"
    assert amara["linkedin_url"] == "https://www.linkedin.com/in/amara-okafor-data"
    # The same person at the second event is a second record; dedupe joins them later.
    assert by_place["row 8"]["full_name"] == "Amara Okafor"
    assert by_place["row 8"]["tags"] == [BREAKFAST, "ticket: Breakfast + Panel"]

    lena = by_place["row 3"]
    assert (lena["prefix"], lena["given_name"], lena["family_name"], lena["suffix"]) == (
        "Dr.",
        "Lena",
        "Fischer",
        "PhD",
    )
    assert lena["emails"] == ["lena.fischer@example.org"]  # lower-cased by the core
    assert lena["phones"] == ["+14255550111", "+14255550100"]  # E.164 by the core
    assert lena["organization"] == "Müller, Schmidt & Co. KG"
    extra = json.loads(lena["extra"])
    assert extra["Order Date"] == "2026-02-12 18:02:07-08:00"  # the time of day is kept
    assert extra["Buyer Email"] == "LENA.FISCHER@example.org"
    assert extra["What do you hope to learn?"] == (
        "Two things:\n1. schema evolution\n2. hiring in a small market"
    )
    assert "Attendee #" not in extra and "Email" not in extra  # mapped columns are not duplicated

    # Row 4 is the third ticket of Lena's order, never filled in.
    [reject] = result.outcome.rejects
    assert reject.ref == "row 4" and "Info Requested" in reject.reason
    # A person without an e-mail is still a person.
    assert by_place["row 10"]["full_name"] == "Chidi Nwosu" and not by_place["row 10"]["emails"]


def test_order_date_spellings(tmp_path):
    rows = (
        "1001,2026-03-04 18:22:10-08:00,Ana,Reyes,ana.reyes@example.com,1,GA,5001,Attending\n"
        '1002,"Mar 5, 2026 7:05 PM",Bo,Lindqvist,bo.lindqvist@example.com,1,GA,5002,Attending\n'
        "1003,3/6/2026 09:14,Cy,Okoro,cy.okoro@example.com,1,GA,5003,Attending\n"
        "1004,sometime in March,Di,Tran,di.tran@example.com,1,GA,5004,Attending\n"
    )
    ws = _workspace(tmp_path, {"report.csv": HEADER + rows})
    result = import_through_core(ws, "report.csv", plugins=PLUGINS)
    days = dict(result.records.select("full_name", "connected_on").iter_rows())
    assert days == {
        "Ana Reyes": dt.date(2026, 3, 4),
        "Bo Lindqvist": dt.date(2026, 3, 5),
        "Cy Okoro": dt.date(2026, 3, 6),
        "Di Tran": None,
    }
    di = result.records.filter(result.records["full_name"] == "Di Tran")
    assert json.loads(di["extra"][0])["Order Date"] == "sometime in March"  # nothing lost


def test_one_event_report_takes_its_event_from_the_input_settings(tmp_path):
    title = "Attendee Summary: Portland Product Night\n"
    body = HEADER + "2001,2026-04-01 19:00:00-07:00,Eve,Marsh,eve.marsh@example.com,1,RSVP,6001,Attending\n"
    ws = _workspace(tmp_path, {"report.csv": title + body})
    options = ImportOptions(settings={"event": "Portland Product Night"}, channel="social")
    result = import_through_core(ws, "report.csv", plugins=PLUGINS, options=options)
    [row] = result.records.iter_rows(named=True)
    assert row["tags"] == ["event: Portland Product Night", "ticket: RSVP"]
    assert row["channel"] == "social"  # the input's channel wins over "meeting"
    assert row["source_ref"] == "row 3"  # the title line is row 1, the header row 2


def test_input_mapping_overrides_the_defaults(tmp_path):
    text = HEADER.replace("\n", ",Employer\n") + (
        "3001,2026-04-02 10:00:00-07:00,Fay,Ng,fay.ng@example.com,1,GA,7001,Attending,Tailspin Toys\n"
    )
    ws = _workspace(tmp_path, {"report.csv": text})
    options = ImportOptions(mapping={"Employer": "organization", "Attendee Status": "notes"})
    result = import_through_core(ws, "report.csv", plugins=PLUGINS, options=options)
    [row] = result.records.iter_rows(named=True)
    assert (row["organization"], row["notes"]) == ("Tailspin Toys", "Attending")


def test_record_ids_survive_a_reordered_export(tmp_path):
    lines = (FIXTURES / "attendees.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    header, first, rest = lines[0], lines[1], lines[2:]
    ws = _workspace(tmp_path, {"a.csv": "".join([header, first, *rest])})
    before = import_through_core(ws, "a.csv", plugins=PLUGINS).records
    (ws.root / "a.csv").write_text("".join([header, *rest, first]), encoding="utf-8")
    after = import_through_core(ws, "a.csv", plugins=PLUGINS).records
    ids = {row["source_ref"]: row["record_id"] for row in before.iter_rows(named=True)}
    moved = {row["source_ref"]: row["record_id"] for row in after.iter_rows(named=True)}
    assert ids["row 2"] == moved["row 11"]  # Amara's first ticket, now the last row
    assert set(ids.values()) == set(moved.values())


def test_a_file_that_is_not_an_attendee_report_fails_with_one_sentence(tmp_path):
    ws = _workspace(tmp_path, {"contacts.csv": "Name,Email\nAna Reyes,ana.reyes@example.com\n"})
    result = import_through_core(ws, "contacts.csv", importer="eventbrite", plugins=PLUGINS)
    assert result.outcome.status == "failed"
    assert "contacts.csv: no Eventbrite attendee header" in result.outcome.error
