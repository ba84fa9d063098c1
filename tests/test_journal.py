"""The journal core: entries anchored to records, person matching, new contacts, the journal importer."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import polars as pl
import pytest

from pipeline.errors import UsageError
from pipeline.journal import JOURNAL_COLUMNS, add_entry, load_journal, load_outcome, parse_date, set_outcome
from pipeline.journal.contacts import MANUAL_SOURCE, add_manual_contact
from pipeline.journal.match import find_person
from pipeline.journal.sync import matchable_people, sync_imported
from pipeline.people import PEOPLE_COLUMNS, load_people
from pipeline.store import Store, encode_for_sql
from pipeline.testing import import_through_core, make_workspace, plugin_manager

FIXTURES = Path(__file__).parent / "fixtures"
SAMPLES = Path(__file__).parent.parent / "sample_inputs"
D = dt.date


@pytest.fixture
def linked(tmp_path):
    ws = make_workspace(tmp_path / "ws")
    pm = plugin_manager()
    import_through_core(ws, FIXTURES / "journal" / "Connections_two_emmas.csv", pm=pm)
    store = Store(ws.store_path)
    try:
        yield ws, pm, store
    finally:
        store.close()


def _rid(store, name):
    return store.records().filter(pl.col("full_name") == name)["record_id"][0]


def test_entries_have_the_promised_columns_and_resolve_people(linked):
    _, _, store = linked
    maria, ken = _rid(store, "Maria Gonzalez"), _rid(store, "Ken Watanabe")
    first = add_entry(store, "met", maria, date=D(2026, 11, 3), channel="alumni", note="mixer")
    second = add_entry(store, "referral", ken, date=D(2026, 11, 10), via=maria)  # "Ken, referred by Maria"
    journal = load_journal(store)
    assert dict(journal.schema) == JOURNAL_COLUMNS
    assert journal["entry_id"].to_list() == [first, second]
    row = journal.row(0, named=True)
    assert row == {
        "entry_id": first,
        "date": D(2026, 11, 3),
        "kind": "met",
        "person_id": f"p_{maria}",
        "via_person_id": None,
        "to_person_id": None,
        "channel": "alumni",
        "note": "mixer",
        "source": "cli",
        "logged": row["logged"],
    }
    assert row["logged"] == dt.datetime.now(dt.UTC).date()  # the day it was written into kith
    referral = journal.row(1, named=True)  # stored as: Maria referred you to Ken
    assert (referral["person_id"], referral["to_person_id"], referral["via_person_id"]) == (
        f"p_{maria}",
        f"p_{ken}",
        None,
    )


def test_entries_follow_people_through_dedupe(linked):
    """Anchors are record ids: when dedupe merges records into one person, entries follow."""
    _, _, store = linked
    emma_a, emma_b = store.records().filter(pl.col("full_name") == "Emma Park")["record_id"].to_list()
    add_entry(store, "met", emma_b, date=D(2026, 11, 3))
    people = load_people(store)
    merged = people.filter(pl.col("record_ids").list.first() == emma_a).with_columns(
        pl.lit("person-emma").alias("person_id"), pl.lit([emma_a, emma_b]).alias("record_ids")
    )
    rest = people.filter(~pl.col("record_ids").list.first().is_in([emma_a, emma_b]))
    table = pl.concat([merged, rest])
    columns = ", ".join(f"{n} TEXT" for n in PEOPLE_COLUMNS)
    with store.transaction() as conn:  # what dedupe's people table looks like
        conn.execute(f"CREATE TABLE people ({columns})")
        encoded = encode_for_sql(table)
        conn.executemany(
            f"INSERT INTO people VALUES ({', '.join('?' * len(PEOPLE_COLUMNS))})", encoded.rows()
        )
    assert load_journal(store)["person_id"].to_list() == ["person-emma"]


def test_outcome_latest_wins_and_empty_is_refused(linked):
    _, _, store = linked
    assert load_outcome(store) is None
    set_outcome(store, "  accepted a job with Contoso as project manager ", D(2026, 11, 20))
    outcome = load_outcome(store)
    assert (outcome.text, outcome.date) == ("accepted a job with Contoso as project manager", D(2026, 11, 20))
    with pytest.raises(UsageError, match="outcome is empty"):
        set_outcome(store, " ", D(2026, 11, 20))


def test_bad_kind_channel_and_date_are_usage_errors(linked):
    _, _, store = linked
    maria = _rid(store, "Maria Gonzalez")
    with pytest.raises(UsageError, match="unknown journal kind 'lunch'"):
        add_entry(store, "lunch", maria, date=D(2026, 11, 3))
    with pytest.raises(UsageError, match="unknown channel 'twitter'"):
        add_entry(store, "met", maria, date=D(2026, 11, 3), channel="twitter")
    with pytest.raises(UsageError, match="'11/3' is not a date"):
        parse_date("11/3")
    assert parse_date("yesterday", today=D(2026, 11, 26)) == D(2026, 11, 25)


@pytest.mark.parametrize(
    ("query", "status", "how", "names"),
    [
        ("maria.gonzalez@example.com", "one", "email", ["Maria Gonzalez"]),
        ("Maria <MARIA.GONZALEZ@example.com>", "one", "email", ["Maria Gonzalez"]),
        ("maria gonzález", "one", "name", ["Maria Gonzalez"]),
        ("Bob Kowalski", "one", "nickname", ["Robert Kowalski"]),
        ("Liz Harper", "one", "nickname", ["Elizabeth Harper"]),
        ("Ken", "one", "words", ["Ken Watanabe"]),
        ("Maria Gonzales", "one", "fuzzy", ["Maria Gonzalez"]),
        ("Emma Park", "many", "name", ["Emma Park", "Emma Park"]),
        ("Xavier Quinn", "none", "", []),
    ],
)
def test_find_person(linked, query, status, how, names):
    _, _, store = linked
    match = find_person(load_people(store), query)
    assert (match.status, match.how) == (status, how)
    assert [c.name for c in match.candidates] == names


def test_unknown_person_becomes_a_real_canonical_record(linked):
    _, _, store = linked
    first = add_manual_contact(
        store, region="US", name="Xavier Quinn", email="Xavier@Example.org", channel="meeting"
    )
    second = add_manual_contact(store, region="US", name="Yara Quinn")
    records = store.records("WHERE source_file = ?", (MANUAL_SOURCE,))
    assert records["record_id"].to_list() == [first, second]
    xavier = records.row(0, named=True)
    assert xavier["source"] == "manual" and xavier["emails"] == ["xavier@example.org"]
    assert (xavier["given_name"], xavier["family_name"], xavier["channel"]) == ("Xavier", "Quinn", "meeting")
    assert find_person(load_people(store), "Xavier Quinn").person.record_id == first


def test_journal_csv_import(linked):
    ws, pm, store = linked
    result = import_through_core(ws, FIXTURES / "journal" / "journal.csv", pm=pm)
    outcome = result.outcome
    assert outcome.importer == "journal" and outcome.status == "imported"
    assert [(r.ref, r.reason.split(" ")[0]) for r in outcome.rejects] == [
        ("row 8", "'Date'"),
        ("row 9", "'What'"),
        ("row 10", "no"),
    ]
    assert "'13/45/2026' is not a date" in outcome.rejects[0].reason
    assert "'Skydiving'" in outcome.rejects[1].reason
    # One record per person mentioned; the unknown one is a new contact.
    assert sorted(result.records["full_name"].to_list()) == [
        "Bob Kowalski",
        "Ken Watanabe",
        "Maria Gonzalez",
        "Zed Unknown-Person",
    ]
    journal = load_journal(store)
    names = dict(load_people(store).select("person_id", "full_name").iter_rows())
    rows = [
        (
            r["date"],
            r["kind"],
            names.get(r["person_id"]),
            names.get(r["to_person_id"]),
            names.get(r["via_person_id"]),
        )
        for r in journal.iter_rows(named=True)
    ]
    assert rows == [
        (D(2026, 11, 3), "met", "Maria Gonzalez", None, None),
        (D(2026, 11, 4), "thank_you", "Maria Gonzalez", None, None),
        (D(2026, 11, 10), "referral", "Maria Gonzalez", "Ken Watanabe", None),
        (D(2026, 11, 17), "meeting", "Ken Watanabe", None, "Maria Gonzalez"),
        (D(2026, 11, 18), "call", "Robert Kowalski", None, None),  # Bob → the LinkedIn Robert
        (D(2026, 11, 22), "met", "Zed Unknown-Person", None, None),
    ]
    # Entries point at the LinkedIn people, not the journal's own copies of them.
    assert journal["person_id"][0] == f"p_{_rid(store, 'Maria Gonzalez')}"
    assert journal["channel"].to_list()[:2] == ["alumni", None]
    assert journal["note"][0] == "Alumni mixer; class of 2009\nLocation: Student union"
    assert journal["note"][5] == "Met at a career fair\nChannel: Conference booth"
    assert journal["source"].unique().to_list() == [str((FIXTURES / "journal" / "journal.csv").resolve())]
    assert load_outcome(store).text == "accepted a job with Contoso as project manager"
    # Typed names don't find the journal's copy as a second Maria.
    assert find_person(matchable_people(store), "Maria Gonzalez").status == "one"


def test_reimport_keeps_entry_ids_and_removal_forgets_entries(linked, tmp_path):
    ws, pm, store = linked
    path = tmp_path / "log.csv"
    shutil.copy(FIXTURES / "journal" / "journal.csv", path)
    import_through_core(ws, path, pm=pm)
    before = dict(
        zip(load_journal(store)["note"].to_list(), load_journal(store)["entry_id"].to_list(), strict=True)
    )
    text = path.read_text(encoding="utf-8-sig").splitlines()
    # A new row inserted near the top moves every row down; ids stay with their entries.
    text.insert(1, "11/01/2026,Priya Raman,Lunch,,,Lunch with an old colleague,")
    path.write_text("\n".join(text) + "\n", encoding="utf-8")
    import_through_core(ws, path, pm=pm)
    after = load_journal(store)
    by_note = dict(zip(after["note"].to_list(), after["entry_id"].to_list(), strict=True))
    assert {note: by_note[note] for note in before} == before
    assert by_note["Lunch with an old colleague"] > max(before.values())
    store.remove_source(str(path.resolve()))
    sync_imported(store)  # the journal stage of the next import or run
    assert load_journal(store).height == 0 and load_outcome(store) is None


def test_sample_journal_tells_the_story(tmp_path):
    ws = make_workspace(tmp_path / "ws")
    pm = plugin_manager()
    import_through_core(ws, SAMPLES / "linkedin" / "Connections.csv", pm=pm)
    result = import_through_core(ws, SAMPLES / "journal" / "journal.xlsx", pm=pm)
    assert result.outcome.status == "imported" and result.outcome.rejects == []
    assert json.loads(json.dumps(result.outcome.info["mapping"]))["Via / Referred by"] == "journal.via"
    with Store(ws.store_path) as store:
        journal = load_journal(store)
        assert journal["person_id"].null_count() == 0
        assert journal.height == 13 and load_outcome(store).date == D(2026, 11, 20)
        names = dict(load_people(store).select("person_id", "full_name").iter_rows())
        assert names[journal.filter(pl.col("kind") == "call")["person_id"][0]] == "Robert Kowalski"
        assert journal.filter(pl.col("kind") == "info_interview")["channel"].to_list() == ["linkedin"]


def test_journal_importer_does_not_claim_other_files(pm, tmp_path):
    from pipeline import registry
    from pipeline.importing import pick_importer
    from pipeline.textio import read_head

    outlook = tmp_path / "outlook.csv"
    outlook.write_text(
        "First Name,Last Name,E-mail Address,Referred By,Notes\nAda,Lovelace,a@example.com,Bob,\n"
    )
    journal = registry.importers(pm)["journal"]
    assert journal.sniff(outlook, read_head(outlook)) == 0.0
    linkedin = SAMPLES / "linkedin" / "Connections.csv"
    assert pick_importer(pm, linkedin, read_head(linkedin)) == "linkedin"
    ours = FIXTURES / "journal" / "journal.csv"
    assert pick_importer(pm, ours, read_head(ours)) == "journal"


def test_one_human_in_several_records_is_one_match_unless_profiles_differ(linked):
    """Before dedupe, the LinkedIn Ken and a phone-book Ken are one person; two LinkedIn profiles are two."""
    _, _, store = linked
    add_manual_contact(store, region="US", name="Ken Watanabe", email="ken.watanabe@example.com")
    match = find_person(load_people(store), "Ken Watanabe")
    assert (match.status, match.how) == ("one", "name, same person in 2 records")
    assert match.person.email == "ken.watanabe@example.com"  # the record with the most to go on
    assert find_person(load_people(store), "Emma Park").status == "many"


def test_a_first_name_alone_finds_one_human_in_several_records(linked):
    """`kith log met Ken` before dedupe: his LinkedIn row and phone card are one person, as by full name."""
    _, _, store = linked
    add_manual_contact(store, region="US", name="Ken Watanabe", email="ken.watanabe@example.com")
    match = find_person(load_people(store), "ken")
    assert (match.status, match.how) == ("one", "words, same person in 2 records")
    assert match.person.email == "ken.watanabe@example.com"
    # two different people who answer to "Emma" stay a question
    assert find_person(load_people(store), "Emma").status == "many"


def test_a_bare_mention_resolves_to_the_one_real_person_of_that_name(linked):
    _, _, store = linked
    maria = _rid(store, "Maria Gonzalez")
    # e.g. a journal row read while several "Maria Gonzalez" records still existed: the
    # journal kept a record of its own, which dedupe won't merge on a bare name
    stub = add_manual_contact(store, region="US", name="Maria Gonzalez", channel="alumni")
    add_entry(store, "met", stub, date=D(2026, 11, 5))
    real = load_people(store).filter(pl.col("record_ids").list.contains(maria))["person_id"][0]
    assert load_journal(store)["person_id"].to_list() == [real]
    # two real people of one name: no guess, the mention stays its own person
    add_manual_contact(store, region="US", name="Emma Park")
    emma_stub = store.records().filter(pl.col("full_name") == "Emma Park")["record_id"][-1]
    add_entry(store, "call", emma_stub, date=D(2026, 11, 6))
    stub_person = load_people(store).filter(pl.col("record_ids").list.contains(emma_stub))["person_id"][0]
    assert load_journal(store)["person_id"].to_list()[-1] == stub_person
