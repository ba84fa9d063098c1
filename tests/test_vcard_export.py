"""The vCard exporter: round trips, escaping, folding, labels, and the exporter plugin itself."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import polars as pl
import pytest

from pipeline import normalize, schema
from pipeline.contracts import ExportContext, ImportOptions
from pipeline.testing import export_context
from plugins.vcard import VCardExporter, VCardImporter
from plugins.vcard import write as write_module
from plugins.vcard.write import write_vcards

FIXTURES = Path(__file__).parent / "fixtures" / "vcard"
ROUND_TRIP = sorted(p.name for p in FIXTURES.glob("*.vcf") if p.name not in ("not_a_vcard.vcf", "empty.vcf"))
#: What the importer maps (everything but where it came from and the unmapped rest).
MAPPED = [c for c in schema.RAW_COLUMNS if c not in ("source_ref", "source_key", "extra")]
#: Labels that mean the same thing written two ways (Apple's built-in vs the vCard type).
SAME_LABEL = {"mobile": "cell"}


def read(path: Path) -> pl.DataFrame:
    return VCardImporter().read(path, ImportOptions()).records


def labels(frame: pl.DataFrame, key: str) -> list[dict]:
    out = []
    for extra in frame["extra"]:
        found = json.loads(extra).get(key, {})
        out.append({value: SAME_LABEL.get(label, label) for value, label in found.items()})
    return out


def assert_mapped_fields_kept(before: pl.DataFrame, after: pl.DataFrame) -> None:
    assert after.height == before.height
    for old, new in zip(before.iter_rows(named=True), after.iter_rows(named=True), strict=True):
        for column in MAPPED:
            if column not in before.columns:
                continue
            if column == "full_name" and old[column] is None:
                continue  # FN is required on output: composed from N (or ORG) when missing
            assert new[column] == old[column], (old["source_ref"], column)


@pytest.mark.parametrize("version", ["3.0", "4.0"])
@pytest.mark.parametrize("name", ROUND_TRIP)
def test_round_trip_keeps_every_mapped_field_and_label(tmp_path, name, version):
    before = read(FIXTURES / name)
    out = write_vcards(before, tmp_path / "out.vcf", version=version)
    after = read(out)
    assert_mapped_fields_kept(before, after)
    for key in ("phone_labels", "email_labels", "address_label"):
        if key == "address_label":
            old = [json.loads(e).get(key) for e in before["extra"]]
            assert [json.loads(e).get(key) for e in after["extra"]] == old
        else:
            assert labels(after, key) == labels(before, key), key
    kinds = [json.loads(e).get("kind") for e in before["extra"]]
    assert [json.loads(e).get("kind") for e in after["extra"]] == kinds


def test_round_trip_through_the_core_normalizer(tmp_path):
    """import → validate → normalize → export → import → normalize gives the same records."""
    paths = [FIXTURES / name for name in ROUND_TRIP]
    for path in paths:
        first = normalize.normalize_records(schema.validate_raw(read(path), "vcard"), region="US").frame
        canonical = schema.conform(first.with_columns(pl.lit("r1").alias("record_id")))
        out = write_vcards(canonical, tmp_path / f"{path.stem}.vcf")
        second = normalize.normalize_records(schema.validate_raw(read(out), "vcard"), region="US").frame
        second = schema.conform(second)
        for column in MAPPED:
            if column == "full_name":
                continue
            assert second[column].to_list() == canonical[column].to_list(), (path.name, column)


def person_frame(**overrides) -> pl.DataFrame:
    row = {
        "person_id": "p-0001",
        "record_ids": ["r-1", "r-2"],
        "full_name": "Maria Gonzalez",
        "given_name": "Maria",
        "family_name": "Gonzalez",
        "emails": ["maria.gonzalez@example.com", "maria@northwind.example.com"],
        "phones": ["+12065550142"],
        "organization": "Northwind Analytics",
        "title": "Director, Data",
        "linkedin_url": "https://www.linkedin.com/in/maria-gonzalez-nw",
        "school": "University of Washington",
        "degree": "BS",
        "class_year": 2008,
        "birthday": "--04-15",
        "connected_on": dt.date(2023, 3, 15),
        "channel": "alumni",
        "tags": ["Alumni", "Job search, 2024"],
        "notes": "Introduced me to Ken; coffee next week.",
        "extra": json.dumps({"phone_labels": {"+12065550142": "mobile"}}),
    }
    row.update(overrides)
    return pl.DataFrame([row])


def test_people_frame_writes_kith_fields_uid_and_types(tmp_path):
    out = write_vcards(person_frame(), tmp_path / "people.vcf")
    text = out.read_bytes().decode("utf-8")
    assert "\r\nUID:urn:kith:p-0001\r\n" in text
    assert "\r\nEMAIL;TYPE=internet;TYPE=pref:maria.gonzalez@example.com\r\n" in text
    assert "\r\nEMAIL;TYPE=internet:maria@northwind.example.com\r\n" in text
    assert "\r\nTEL;TYPE=cell;TYPE=pref:+12065550142\r\n" in text
    assert "\r\nCATEGORIES:Alumni,Job search\\, 2024\r\n" in text
    assert "\r\nBDAY:--04-15\r\n" in text
    back = normalize.normalize_records(schema.validate_raw(read(out), "vcard"), region="US").frame
    row = back.row(0, named=True)
    assert (row["school"], row["degree"], row["class_year"]) == ("University of Washington", "BS", 2008)
    assert row["connected_on"] == dt.date(2023, 3, 15)
    assert row["channel"] == "alumni"
    assert row["tags"] == ["Alumni", "Job search, 2024"]
    assert row["title"] == "Director, Data"
    assert row["notes"] == "Introduced me to Ken; coffee next week."


def test_vcard_40_output(tmp_path):
    frame = pl.concat(
        [
            person_frame(),
            person_frame(
                person_id="p-0002",
                full_name=None,
                given_name=None,
                family_name=None,
                organization="Cascade Robotics",
                emails=[],
                phones=["+14255550100"],
                birthday="1981-11-03",
                extra=json.dumps({"kind": "org"}),
            ),
        ]
    )
    text = write_vcards(frame, tmp_path / "v4.vcf", version="4.0").read_bytes().decode("utf-8")
    assert "\r\nVERSION:4.0\r\n" in text
    assert "\r\nTEL;VALUE=uri;TYPE=cell;PREF=1:tel:+12065550142\r\n" in text
    assert "\r\nEMAIL;PREF=1:maria.gonzalez@example.com\r\n" in text
    assert "\r\nBDAY:--0415\r\n" in text and "\r\nBDAY:1981-11-03\r\n" in text
    assert "\r\nKIND:org\r\nFN:Cascade Robotics\r\n" in text
    again = read(tmp_path / "v4.vcf")
    assert again["phones"].to_list() == [["+12065550142"], ["+14255550100"]]
    assert json.loads(again["extra"][1])["kind"] == "org"


def test_no_value_can_break_the_card_structure(tmp_path):
    evil = "Eve\r\nEND:VCARD\r\nBEGIN:VCARD\r\nFN:Mallory"
    notes = "a;b,c\\d\ne\rf\u2028g\x00h\x1bi"
    frame = person_frame(full_name=evil, notes=notes, title="CEO\nEND:VCARD", tags=["x\r\nEND:VCARD"])
    out = write_vcards(frame, tmp_path / "evil.vcf")
    text = out.read_bytes().decode("utf-8")
    lines = text.split("\r\n")
    assert lines.count("BEGIN:VCARD") == 1 and lines.count("END:VCARD") == 1
    assert all(line.isprintable() for line in lines)
    assert "\x00" not in text and "\x1b" not in text
    back = read(out).row(0, named=True)
    assert back["full_name"] == "Eve\nEND:VCARD\nBEGIN:VCARD\nFN:Mallory"
    assert back["notes"] == "a;b,c\\d\ne\nf\ngh" + "i"
    assert back["tags"] == ["x\nEND:VCARD"]


def test_long_lines_fold_at_75_octets_without_splitting_characters(tmp_path):
    note = "Überraschung! " * 10 + "日本語のメモ" * 12 + " 🚀 done"
    out = write_vcards(person_frame(notes=note), tmp_path / "long.vcf")
    data = out.read_bytes()
    for line in data.split(b"\r\n"):
        assert len(line) <= 75
        line.decode("utf-8")  # no character cut in half
    assert read(out)["notes"].item() == note


def test_output_is_readable_by_vobject(tmp_path):
    import vobject

    frame = pl.concat([read(FIXTURES / name) for name in ("apple_icloud_3.0.vcf", "android_2.1.vcf")])
    out = write_vcards(frame, tmp_path / "vobject.vcf")
    cards = list(vobject.readComponents(out.read_bytes().decode("utf-8")))  # strict: no skipped lines
    assert [c.fn.value for c in cards] == frame["full_name"].to_list()
    assert [[e.value for e in c.contents.get("email", [])] for c in cards] == frame["emails"].to_list()
    assert [t.value for t in cards[2].contents["tel"]] == ["+1-206-555-0123", "206-555-0188"]
    assert cards[0].n.value.family == "Gonzalez"


def test_labels_still_match_after_the_core_normalized_the_values(tmp_path):
    """Labels are keyed by the value as written; E.164 phones and lower-cased emails still find them."""
    labels = {
        "phone_labels": {"(206) 555-0142": "Alumni line", "206.555.0199": "work,fax"},
        "email_labels": {"Maria.Gonzalez@Example.com": "Conference"},
    }
    frame = person_frame(
        phones=["+12065550142", "+12065550199"],
        emails=["maria.gonzalez@example.com"],
        extra=json.dumps(labels),
    )
    text = write_vcards(frame, tmp_path / "n.vcf").read_bytes().decode("utf-8")
    assert (
        "item1.EMAIL;TYPE=internet;TYPE=pref:maria.gonzalez@example.com\r\nitem1.X-ABLabel:Conference\r\n"
        in text
    )
    assert "item2.TEL;TYPE=pref:+12065550142\r\nitem2.X-ABLabel:Alumni line\r\n" in text
    assert "\r\nTEL;TYPE=work,fax:+12065550199\r\n" in text


def test_custom_labels_become_itemN_groups(tmp_path):
    frame = read(FIXTURES / "apple_icloud_3.0.vcf")
    text = write_vcards(frame, tmp_path / "labels.vcf").read_bytes().decode("utf-8")
    assert "item2.TEL:+1 206 555 0199\r\nitem2.X-ABLabel:Alumni line\r\n" in text
    assert "item1.EMAIL;TYPE=internet;TYPE=pref:maria.gonzalez@example.com\r\n" in text
    assert "item1.X-ABLabel:_$!<Other>!$_\r\n" in text


def test_write_is_atomic(tmp_path, monkeypatch):
    target = tmp_path / "contacts.vcf"
    target.write_text("previous good export", encoding="utf-8")
    calls = []

    def failing(row, version):
        calls.append(row)
        if len(calls) == 2:
            raise RuntimeError("disk full")
        return "BEGIN:VCARD\r\nEND:VCARD\r\n"

    monkeypatch.setattr(write_module, "card_text", failing)
    with pytest.raises(RuntimeError):
        write_vcards(pl.concat([person_frame(), person_frame()]), target)
    assert target.read_text(encoding="utf-8") == "previous good export"
    assert [p.name for p in tmp_path.iterdir()] == ["contacts.vcf"]


def test_unknown_version_is_refused(tmp_path):
    with pytest.raises(ValueError, match="3.0, 4.0"):
        write_vcards(person_frame(), tmp_path / "x.vcf", version="2.1")


def context(store, tmp_path, **options) -> ExportContext:
    return export_context(store, tmp_path / "week", dt.date(2024, 3, 18), options=options)


def test_exporter_writes_the_stores_people(tmp_path):
    from pipeline.store import Store
    from pipeline.testing import import_through_core, make_workspace

    ws = make_workspace(tmp_path / "ws")
    import_through_core(ws, FIXTURES / "google_3.0.vcf")
    with Store(ws.store_path) as store:
        (path,) = VCardExporter().write(context(store, tmp_path, version="4.0"))
    assert path == tmp_path / "week" / "contacts.vcf"
    assert path.read_bytes().decode("utf-8").count("VERSION:4.0") == 2
    assert sorted(read(path)["full_name"].to_list()) == ["Aisha Okafor", "Liam Murphy"]


def test_exporter_refuses_an_unknown_version_with_a_config_error(tmp_path):
    from pipeline.errors import ConfigError

    with pytest.raises(ConfigError, match="version must be one of 3.0, 4.0"):
        bare = ExportContext(
            tmp_path, dt.date(2024, 3, 18), "2024-W12", data=None, options={"version": "2.1"}
        )
        VCardExporter().write(bare)


def test_exporter_skips_big_directories_unless_told(tmp_path, monkeypatch, caplog):
    import logging

    import plugins.vcard as vcard_plugin
    from pipeline.store import Store
    from pipeline.testing import import_through_core, make_workspace

    ws = make_workspace(tmp_path / "ws")
    import_through_core(ws, FIXTURES / "google_3.0.vcf")
    monkeypatch.setattr(vcard_plugin, "DEFAULT_MAX_PEOPLE", 1)
    with Store(ws.store_path) as store, caplog.at_level(logging.WARNING, logger="kith.vcard"):
        assert VCardExporter().write(context(store, tmp_path / "a")) == []
        assert "over max_people" in caplog.text
        (path,) = VCardExporter().write(context(store, tmp_path / "b", max_people=0))
    assert path.read_text(encoding="utf-8").count("BEGIN:VCARD") == 2


@pytest.mark.parametrize("version", ["3.0", "4.0"])
def test_urls_are_written_as_percent_encoded_uris_and_read_back_the_same(tmp_path, version):
    """A raw ``é`` or space is not valid in a URI; vobject, Apple and Google read the encoded form."""
    import vobject

    url = "https://www.linkedin.com/in/josé-müller-李"
    out = write_vcards(person_frame(linkedin_url=url), tmp_path / "url.vcf", version=version)
    text = out.read_bytes().decode("utf-8")
    line = next(x for x in text.replace("\r\n ", "").split("\r\n") if ".URL:" in x)
    assert line.split(".URL:", 1)[1] == "https://www.linkedin.com/in/jos%C3%A9-m%C3%BCller-%E6%9D%8E"
    (card,) = vobject.readComponents(text)
    assert card.contents["url"][0].value.isascii()
    # Through the importer and the core's normalizer the person's URL is the one written.
    again = normalize.normalize_records(schema.validate_raw(read(out), "vcard"), region="US").frame
    assert again["linkedin_url"].to_list() == [url]


def test_uri_keeps_escapes_and_encodes_what_would_break_a_card():
    assert write_module.uri("https://example.com/a%C3%A9") == "https://example.com/a%C3%A9"
    assert write_module.uri("https://example.com/100% sure") == "https://example.com/100%25%20sure"
    assert write_module.uri("https://example.com/a,b;c\r\nd") == "https://example.com/a%2Cb%3Bcd"
    assert write_module.uri("https://example.com/q?x=1&y=ü#top") == "https://example.com/q?x=1&y=%C3%BC#top"
