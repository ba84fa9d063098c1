"""The vCard importer on one fixture per exporter dialect and quirk (tests/fixtures/vcard)."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest

from pipeline import normalize, schema
from pipeline.contracts import ImportOptions
from pipeline.errors import InputError
from plugins.vcard import VCardImporter

FIXTURES = Path(__file__).parent / "fixtures" / "vcard"


def read(name: str | Path, **options):
    path = name if isinstance(name, Path) else FIXTURES / name
    return VCardImporter().read(path, ImportOptions(**options))


def rows(name: str | Path, **options) -> dict[str, dict]:
    """Records by full name (or organization), with ``extra`` decoded."""
    result = read(name, **options)
    out = {}
    for row in result.records.iter_rows(named=True):
        row["extra"] = json.loads(row["extra"])
        out[row["full_name"] or row["organization"]] = row
    return out


def test_apple_icloud_labels_pref_and_year_less_birthday():
    people = rows("apple_icloud_3.0.vcf")
    maria = people["Maria Gonzalez"]
    assert (maria["given_name"], maria["middle_name"], maria["family_name"]) == ("Maria", "Elena", "Gonzalez")
    assert maria["emails"] == ["maria.gonzalez@example.com", "mgonzalez@northwind.example.com"]
    assert maria["phones"] == ["(206) 555-0142", "+1 206 555 0199"]
    # itemN.X-ABLabel joined to its value; Apple built-ins unwrapped; TYPE tokens otherwise.
    assert maria["extra"]["phone_labels"] == {"(206) 555-0142": "cell", "+1 206 555 0199": "Alumni line"}
    assert maria["extra"]["email_labels"]["maria.gonzalez@example.com"] == "other"
    assert maria["birthday"] == "--04-15"  # X-APPLE-OMIT-YEAR=1604
    assert (maria["organization"], maria["department"]) == ("Northwind Analytics", "Data Platform")
    assert maria["street"] == "412 Pine St\nApt 3"
    assert (maria["city"], maria["region"], maria["postal_code"]) == ("Seattle", "WA", "98101")
    assert maria["country"] == "United States"
    assert maria["extra"]["address_label"] == "home"
    assert maria["linkedin_url"] == "https://www.linkedin.com/in/maria-gonzalez-nw/"
    assert maria["tags"] == ["Alumni", "Referrals"]
    # folded NOTE, escaped comma, Google-style "\:" and \n all undone
    assert maria["notes"] == (
        "Met at the UW alumni mixer, 6:30pm. Offered to introduce me to Ken at Cascade Robotics.\n"
        "Follow up next week – she prefers email."
    )
    assert maria["source_key"] == "8F2C4D6A-1B3E-4C5D-9E7F-0A1B2C3D4E5F"  # UID wins over X-ABUID
    assert maria["extra"]["X-ABUID"] == "8F2C4D6A-1B3E-4C5D-9E7F-0A1B2C3D4E5F:ABPerson"
    assert maria["extra"]["X-ABRELATEDNAMES"] == {"value": "Ken Watanabe", "pref": 1, "label": "friend"}
    assert maria["extra"]["X-SOCIALPROFILE"] == {"value": "x-apple:mariagonz", "types": ["twitter"]}
    ken = people["Ken Watanabe"]
    assert ken["source_key"] == "3A9E1F20-5C6B-4D7E-8F90-A1B2C3D4E5F6:ABPerson"  # X-ABUID alone
    assert ken["phones"][0] == "+1 (425) 555-0178"  # type=pref on the itemN line
    assert ken["extra"]["phone_labels"]["+1 (425) 555-0178"] == "mobile"
    assert ken["birthday"] == "1981-11-03"


def test_source_ref_names_card_and_line():
    result = read("apple_icloud_3.0.vcf")
    assert result.records["source_ref"].to_list() == ["card 1 (line 1)", "card 2 (line 29)"]


def test_apple_company_card_is_an_organization_not_a_person():
    people = rows("apple_company.vcf")
    company = people["Cascade Robotics"]
    assert company["full_name"] is None and company["given_name"] is None
    assert company["extra"]["kind"] == "org"
    assert company["phones"] == ["+1 425 555 0100"]
    assert company["extra"]["phone_labels"] == {"+1 425 555 0100": "main"}
    assert company["city"] == "Bellevue"
    assert company["extra"]["URL"]["value"] == "https://cascade.example.com"
    assert people["Tom Becker"]["department"] == "Hardware"
    assert "kind" not in people["Tom Becker"]["extra"]


def test_group_cards_become_tags_on_members_never_records():
    result = read("apple_groups.vcf")
    assert result.records.height == 2
    people = rows("apple_groups.vcf")
    assert set(people) == {"Bob Kowalski", "Liz Chen"}
    assert people["Bob Kowalski"]["tags"] == ["Job search 2024"]
    # member UIDs match case-insensitively (urn:uuid:B7E1…)
    assert people["Liz Chen"]["tags"] == ["Job search 2024", "Referrals"]
    assert people["Liz Chen"]["extra"]["groups"] == ["Job search 2024", "Referrals"]
    assert result.info["groups"]["Job search 2024"] == {"members": 3, "in_file": 2}
    assert any("1 member(s) are not in this file" in w for w in result.info["warnings"])


def test_photo_is_flagged_never_kept_and_does_not_leak_into_the_next_card():
    result = read("apple_photo.vcf")
    people = rows("apple_photo.vcf")
    sam = people["Sam Rivera"]
    assert sam["extra"]["photo"] is True
    assert "/9j/" not in result.records["extra"].str.join("").item()
    assert people["Raj Patel"]["phones"] == ["+1 408 555 0161"]
    assert people["Raj Patel"]["source_ref"] == "card 2 (line 53)"  # line numbers survive the cut
    assert result.info["payloads_skipped"] == 1


def test_android_21_quoted_printable_soft_breaks_and_bare_types():
    people = rows("android_2.1.vcf")
    olga = people["Ольга Петрова"]
    assert (olga["given_name"], olga["family_name"]) == ("Ольга", "Петрова")
    assert olga["extra"]["X-ANDROID-CUSTOM"] == "vnd.android.cursor.item/nickname;Оля;1;;;;;;;;;;;;;"
    bob = people["Bob Kowalski"]
    assert bob["phones"] == ["+1-206-555-0123", "206-555-0188"]  # TEL;CELL;PREF first
    assert bob["extra"]["phone_labels"] == {"+1-206-555-0123": "cell", "206-555-0188": "home"}
    assert bob["notes"] == "Coffee at Café Ladro\nAsked about logistics roles – call back in May"
    mike = people["Mike Brennan"]
    # Samsung's X-CUSTOM(CHARSET=UTF-8,ENCODING=QUOTED-PRINTABLE,label)
    assert mike["extra"]["phone_labels"] == {"+1 206 555 0166": "Alumni line", "+1 206 555 0167": "work,fax"}
    assert mike["extra"]["photo"] is True
    assert mike["emails"] == ["mike.brennan@example.com"]


def test_outlook_21_windows_1252_and_iso_8859_1_in_either_parameter_order():
    result = read("outlook_2.1_windows1252.vcf")
    people = rows("outlook_2.1_windows1252.vcf")
    juergen = people["Jürgen Müller"]
    assert (juergen["given_name"], juergen["family_name"]) == ("Jürgen", "Müller")
    assert juergen["organization"] == "Bäckerei Müller GmbH"
    assert juergen["title"] == "Geschäftsführer"  # no CHARSET: the file's code page
    assert juergen["street"] == "Hauptstraße 5\nHinterhaus"  # QP =0D=0A= soft break
    assert (juergen["city"], juergen["postal_code"], juergen["country"]) == ("Berlin", "10115", "Deutschland")
    assert juergen["extra"]["LABEL"]["value"] == "Hauptstraße 5\nHinterhaus\n10115 Berlin"
    assert juergen["extra"]["X-MS-OL-DEFAULT-POSTAL-ADDRESS"] == "2"
    renee = people["Renée Lefèvre"]
    assert renee["family_name"] == "Lefèvre"
    assert renee["notes"] == "Rendez-vous à la cafétéria, jeudi"
    assert result.info["encoding"].startswith("cp1252")


def test_google_escaped_colons_empty_address_and_labels():
    people = rows("google_3.0.vcf")
    aisha = people["Aisha Okafor"]
    assert aisha["linkedin_url"] == "https://www.linkedin.com/in/aishaokafor"  # from https\://
    assert aisha["notes"] == "Contatti: ha suggerito di scrivere a Ken dopo le 18:00"
    assert aisha["street"] == "2250 N Clark St"  # the empty item1.ADR:;;;;;; is skipped
    assert aisha["country"] == "US"
    assert aisha["extra"]["photo"] is True  # a folded PHOTO URL is a payload too
    assert aisha["tags"] == ["myContacts", "Alumni"]
    assert aisha["emails"] == ["aisha.okafor@example.com", "aokafor@brightpath.example.org"]
    liam = people["Liam Murphy"]
    assert liam["extra"]["email_labels"] == {"liam.murphy@example.com": "Conference"}
    assert liam["extra"]["X-PHONETIC-LAST-NAME"] == "MUR-fee"


def test_vcard_40_pref_comma_types_tel_uris_data_uris_kind():
    result = read("vcard_4.0.vcf")
    people = rows("vcard_4.0.vcf")
    assert result.records.height == 2  # the KIND:group card is no record
    priya = people["Priya Nair"]
    assert priya["phones"] == ["+1-617-555-0100;ext=204", "+1-617-555-0134"]  # PREF=1 first, tel: gone
    assert priya["extra"]["phone_labels"]["+1-617-555-0134"] == "cell"  # TYPE="cell,voice"
    assert priya["emails"] == ["priya.nair@example.com", "pnair@lab.example.org"]
    assert priya["birthday"] == "--04-15"  # --0415
    assert priya["linkedin_url"] == "https://linkedin.com/in/priya-nair-mit"
    assert priya["extra"]["photo"] is True
    assert priya["extra"]["address_params"] == {"LABEL": "77 Massachusetts Ave, Cambridge, MA 02139"}
    assert priya["extra"]["GENDER"] == "F" and priya["extra"]["ANNIVERSARY"] == "20150612"
    assert priya["tags"] == ["Robotics mentors"]
    lab = people["Lakeside Robotics Lab"]
    assert lab["extra"]["kind"] == "org" and lab["extra"]["logo"] is True
    assert lab["full_name"] is None


def test_n_without_fn_fn_without_n_org_units_and_note_escapes():
    people = rows("names_3.0.vcf")
    stevenson = people["Lakeside University"]  # no FN: keyed by organization here
    assert stevenson["full_name"] is None  # the core composes it; the importer reports the source
    assert (stevenson["given_name"], stevenson["middle_name"], stevenson["family_name"]) == (
        "John",
        "Philip Paul",
        "Stevenson",
    )
    assert (stevenson["prefix"], stevenson["suffix"]) == ("Dr.", "Jr., M.D.")
    assert stevenson["department"] == "School of Engineering / Career Center"
    assert stevenson["title"] == "Associate Director, Employer Relations"
    assert stevenson["notes"] == "Line one\nLine two; with a semicolon, a comma and a backslash \\ here."
    chris = people["Chris Lee"]
    assert chris["given_name"] is None and chris["family_name"] is None
    smith = people["Smith, Jr., Ph.D."]
    assert smith["birthday"] == "1985-04-15"  # basic format 19850415


def test_bad_card_among_good_ones_becomes_a_reject_with_card_and_line():
    result = read("bad_among_good.vcf")
    people = rows("bad_among_good.vcf")
    assert set(people) == {"Good One", "Good Two", "Good Three"}
    rejects = {(r.ref, r.reason) for r in result.rejects}
    assert ("line 6", "a line of text outside any BEGIN:VCARD…END:VCARD card") in rejects
    assert ("card 2 (line 7)", "card has no END:VCARD (the file may be cut short)") in rejects
    assert ("line 19", "END:VCARD without a BEGIN:VCARD before it") in rejects
    assert ("card 4 (line 20)", "card has no name, email, phone or any other detail") in rejects
    assert ("card 6 (line 28)", "card has no END:VCARD (the file may be cut short)") in rejects
    two = people["Good Two"]
    assert two["extra"]["X-MESSAGING/XMPP-ALL"] == "good.two@example.org"  # vobject would drop it
    assert two["phones"] == ["555-0102"]  # TEL;:
    assert two["extra"]["unparsed_lines"] == ["line 16: : no name at all"]
    assert [r.ref for r in result.rejects] == sorted(
        (r.ref for r in result.rejects), key=lambda ref: int(ref.split("line ")[1].rstrip(")"))
    )


def test_utf8_bom_is_dropped():
    result = read("bom_utf8.vcf")
    assert result.records["full_name"].to_list() == ["Kate Sullivan"]
    assert result.info["encoding"] == "utf-8-sig"


def test_empty_file_is_zero_records_with_a_warning():
    result = read("empty.vcf")
    assert result.records.height == 0
    assert result.rejects == []
    assert result.info["warnings"] == ["file is empty"]
    schema.validate_raw(result.records, "vcard")


def test_a_file_that_is_not_a_vcard_is_an_input_error_naming_it():
    with pytest.raises(InputError, match=r"not_a_vcard\.vcf: is not a vCard file"):
        read("not_a_vcard.vcf")


def test_missing_file_and_binary_file_are_input_errors(tmp_path):
    with pytest.raises(InputError, match="file not found"):
        read(tmp_path / "nope.vcf")
    binary = tmp_path / "photo.vcf"
    binary.write_bytes(b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01" * 20)
    with pytest.raises(InputError, match="binary"):
        read(binary)


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be"])
def test_utf16_files_with_or_without_bom(tmp_path, encoding):
    text = (FIXTURES / "apple_icloud_3.0.vcf").read_text(encoding="utf-8")
    path = tmp_path / "contacts.vcf"
    path.write_bytes(text.encode(encoding))
    people = rows(path)
    assert people["Maria Gonzalez"]["phones"] == ["(206) 555-0142", "+1 206 555 0199"]


def test_lf_cr_and_crlf_line_ends_read_the_same(tmp_path):
    crlf = (FIXTURES / "google_3.0.vcf").read_bytes()
    expected = read("google_3.0.vcf").records.drop("source_ref")
    for name, data in {"lf": crlf.replace(b"\r\n", b"\n"), "cr": crlf.replace(b"\r\n", b"\r")}.items():
        path = tmp_path / f"{name}.vcf"
        path.write_bytes(data)
        assert read(path).records.drop("source_ref").equals(expected), name


def test_fold_inside_a_multibyte_character(tmp_path):
    line = "NOTE:Caf\u00e9 at noon".encode()
    cut = line.index(b"\xa9")  # between the two bytes of é
    data = b"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Zo\xc3\xab Rossi\r\n" + line[:cut] + b"\r\n " + line[cut:]
    path = tmp_path / "fold.vcf"
    path.write_bytes(data + b"\r\nEND:VCARD\r\n")
    person = rows(path)["Zoë Rossi"]
    assert person["notes"] == "Café at noon"


def test_duplicate_uids_get_distinct_source_keys(tmp_path):
    card = "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:{}\r\nUID:same-uid\r\nEND:VCARD\r\n"
    path = tmp_path / "dup.vcf"
    path.write_text(card.format("A One") + card.format("B Two"), encoding="utf-8")
    result = read(path)
    assert result.records["source_key"].to_list() == ["same-uid", "same-uid#2"]
    assert any("repeats" in w for w in result.info["warnings"])


def test_options_mapping_overrides():
    people = rows(
        "google_3.0.vcf",
        mapping={"X-PHONETIC-LAST-NAME": "nickname", "NOTE": "extra", "ORG": "tags"},
    )
    liam = people["Liam Murphy"]
    assert liam["tags"] == ["Fjord Data", "myContacts", "Starred"]
    assert liam["organization"] is None
    assert liam["nickname"] == "MUR-fee"
    aisha = people["Aisha Okafor"]
    assert aisha["notes"] is None and aisha["extra"]["NOTE"].startswith("Contatti: ")


def test_nested_agent_card_stays_inside_its_card(tmp_path):
    text = (
        "BEGIN:VCARD\r\nVERSION:2.1\r\nN:Rossi;Sofia\r\nAGENT:\r\nBEGIN:VCARD\r\nVERSION:2.1\r\n"
        "N:Assistant;Anna\r\nTEL:555-0111\r\nEND:VCARD\r\nEMAIL:sofia.rossi@example.com\r\nEND:VCARD\r\n"
    )
    path = tmp_path / "agent.vcf"
    path.write_text(text, encoding="ascii")
    result = read(path)
    assert result.records.height == 1 and not result.rejects
    row = result.records.row(0, named=True)
    assert row["given_name"] == "Sofia" and row["emails"] == ["sofia.rossi@example.com"]
    assert row["phones"] == []
    assert "N:Assistant;Anna" in json.loads(row["extra"])["agent"][0]


VCARD_FIXTURES = sorted(p.name for p in FIXTURES.glob("*.vcf") if p.name != "not_a_vcard.vcf")


@pytest.mark.parametrize("name", VCARD_FIXTURES)
def test_every_fixture_passes_the_core_boundary_and_normalizes(name):
    """What users get: the core's validate_raw then normalize_records accept the frame."""
    result = read(name)
    frame = schema.validate_raw(result.records, "vcard")
    normalized = normalize.normalize_records(frame, region="US").frame
    assert normalized.height == frame.height
    for column in ("emails", "phones", "tags"):
        assert normalized.schema[column] == pl.List(pl.String)
    for extra in normalized["extra"]:
        assert isinstance(json.loads(extra), dict)
    for reject in result.rejects:
        assert reject.ref and reject.reason


def test_sample_inputs_import_cleanly():
    samples = Path(__file__).parent.parent / "sample_inputs" / "vcard"
    iphone = rows(samples / "iphone_contacts.vcf")
    android = rows(samples / "android_contacts.vcf")
    assert not read(samples / "iphone_contacts.vcf").rejects
    assert not read(samples / "android_contacts.vcf").rejects
    assert iphone["Maria Gonzalez"]["tags"] == ["Job search 2024", "UW Alumni"]
    assert iphone["Ken Watanabe"]["linkedin_url"] == "https://www.linkedin.com/in/kenwatanabe"
    assert iphone["Cascade Robotics"]["extra"]["kind"] == "org"
    assert android["Bob Kowalski"]["phones"] == ["+1-312-555-0177", "206-555-0188"]
    assert "Jürgen Müller" in android and "Ольга Петрова" in android
    assert len(iphone) + len(android) == 25


def test_input_tags_and_channel_are_applied_once_by_the_core(tmp_path):
    from pipeline.contracts import ImportOptions
    from pipeline.testing import import_through_core, make_workspace

    ws = make_workspace(tmp_path / "ws")
    options = ImportOptions(tags=["phone-import", "Starred"], channel="social")
    result = import_through_core(ws, FIXTURES / "google_3.0.vcf", options=options)
    liam = next(r for r in result.records.iter_rows(named=True) if r["full_name"] == "Liam Murphy")
    assert liam["tags"].count("Starred") == 1 and "phone-import" in liam["tags"]
    assert liam["channel"] == "social"


# --- cards from devices nobody here wrote ------------------------------------------------


def test_cards_nested_in_a_21_card_are_cards_of_their_own_and_the_parent_keeps_its_lines():
    result = read("nested_2.1.vcf")
    assert result.rejects == []
    people = rows("nested_2.1.vcf")
    assert list(people) == ["Lena Brandt", "Kwame Osei", "Chidi Okafor", "Ilona Varga"]
    parent = people["Chidi Okafor"]
    assert parent["organization"] == "Brightline Logistics"
    assert parent["phones"] == ["+1 206 555 0130"]  # written after the nested cards
    assert parent["emails"] == ["chidi.okafor@example.com"]
    assert people["Lena Brandt"]["phones"] == ["+1 206 555 0131"]
    assert people["Kwame Osei"]["emails"] == ["kwame.osei@example.com"]
    assert people["Ilona Varga"]["source_ref"] == "card 4 (line 21)"


def test_comment_lines_inside_a_card_are_ignored_but_a_qp_continuation_starting_with_hash_is_kept():
    result = read("comment_lines_2.1.vcf")
    (row,) = result.records.iter_rows(named=True)
    assert row["full_name"] == "Weekly Standup Bridge"
    assert row["notes"] == "Dial in, then press # twice (the #2 key). Ask Dana for the PIN."
    assert row["phones"] == ["+1 206 555 0140"]
    extra = json.loads(row["extra"])
    assert "unparsed_lines" not in extra and "PhoneSync" not in row["extra"]


def test_one_bad_byte_in_a_utf8_qp_value_is_replaced_and_the_rest_stays_utf8():
    (row,) = read("qp_bad_byte_utf8.vcf").records.iter_rows(named=True)
    assert row["full_name"] == "Renée Lefèvre"
    assert row["organization"] == "Café Français\ufffd"  # not "CafÃ© FranÃ§ais" (mojibake)


def test_summary_reports_the_charset_the_cards_declared():
    result = read("shift_jis_2.1.vcf")
    (row,) = result.records.iter_rows(named=True)
    assert (row["family_name"], row["given_name"]) == ("山田", "花子")
    assert row["organization"] == "株式会社サンプル"
    assert result.info["encoding"] == "shift_jis"
    assert read("outlook_2.1_windows1252.vcf").info["encoding"] == "cp1252, iso8859-1"
    assert read("google_3.0.vcf").info["encoding"] == "utf-8"


def test_a_national_number_on_a_card_addressed_abroad_is_read_for_that_country():
    from pipeline.normalize import normalize_records

    raw = read("addressed_in_germany_3.0.vcf").records
    (row,) = normalize_records(raw, region="US").frame.to_dicts()
    assert row["country"] == "DE"
    assert row["phones"] == ["+49351223344", "+12065550150"]
