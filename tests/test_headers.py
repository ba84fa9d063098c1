"""Tests for pipeline.headers (finding and matching headers) and pipeline.tabular (reading grids)."""

from __future__ import annotations

import codecs
import json

import polars as pl
import pytest

from pipeline import tabular
from pipeline.frames import json_object
from pipeline.headers import AliasIndex, find_header_row, header_key, match_headers, normalize_header
from plugins.alumni.aliases import ALIASES, MULTI, allowed_targets


@pytest.fixture(scope="module")
def index() -> AliasIndex:
    return AliasIndex(ALIASES, multi=MULTI)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("  E-mail_Address ", "e mail address"),
        ("CnBio_First_Name", "cn bio first name"),
        ("PrimaryEmail", "primary email"),
        ("Straße geschäftlich", "strasse geschaftlich"),
        ("Phone #", "phone number"),
        (None, ""),
    ],
)
def test_normalize_header(raw, expected):
    assert normalize_header(raw) == expected


def test_header_key_ignores_spacing_and_punctuation():
    assert header_key("E-mail Address") == header_key("EmailAddress") == header_key("e_mail  address")


@pytest.mark.parametrize(
    ("header", "target", "how"),
    [
        ("CnBio_First_Name", "given_name", "exact"),
        ("CnBio_Last_Name", "family_name", "exact"),
        ("CnBio_Maiden_name", "extra:maiden_name", "exact"),
        ("CnBio_ID", "source_key", "exact"),
        ("CnAdrPrf_ZIP", "postal_code", "exact"),
        ("Class Yr", "class_year", "exact"),
        ("class-of", "class_year", "exact"),
        ("Grad Year", "class_year", "exact"),
        ("E-mail Address", "emails", "exact"),
        ("EMAIL ADDRESS", "emails", "exact"),
        ("Is Deceased?", "tag:deceased", "exact"),
        ("Accept Email", "opt_in", "exact"),
        ("City/State", "city_region", "exact"),
        ("Email 2", "emails", "numbered"),
        ("Phone 3", "phones", "numbered"),
        ("Emial Address", "emails", "fuzzy"),
        ("Postion", "title", "fuzzy"),
        ("Graduaton Year", "class_year", "fuzzy"),
        ("Employeer", "organization", "fuzzy"),
    ],
)
def test_alias_lookup(index, header, target, how):
    hit = index.lookup(header)
    assert hit is not None, header
    assert (hit[0], hit[3]) == (target, how)


@pytest.mark.parametrize("header", ["Favourite Color", "Spouse Name", "Nam", "Total Giving", "Email 2 Type"])
def test_unrelated_headers_do_not_match(index, header):
    assert index.lookup(header) is None


def test_numbered_single_valued_target_is_not_matched(index):
    # "City 2" is not a second city: only multi-valued targets take numbered columns.
    assert index.lookup("City 2") is None


def test_find_header_row_skips_title_rows_and_blank_rows(index):
    rows = [
        ["Springfield University: Alumni Directory", None, None],
        ["exported 2026-03-02", None, None],
        [],
        ["Record ID", "First", "Last", "Class Yr"],
        ["1", "Maria", "Gonzalez", "2009"],
        ["Record ID", "First", "Last", "Class Yr"],
    ]
    assert find_header_row(rows, index) == 3


def test_find_header_row_none_for_a_notes_sheet(index):
    rows = [["About this export"], ["Deceased and lost alumni are included."], ["Questions: x@example.edu"]]
    assert find_header_row(rows, index) is None


def test_match_headers_explains_and_keeps_best_column_for_single_fields(index):
    mapping = match_headers(
        ["First Name", "Given Name", "E-mail", "Email 2", "Preferred Email", "Hobby"], index
    )
    assert mapping.as_dict() == {
        "First Name": "given_name",
        "Given Name": "extra",
        "E-mail": "emails",
        "Email 2": "emails",
        "Preferred Email": "emails",
        "Hobby": "extra",
    }
    assert [m.header for m in mapping.columns_for("emails")] == ["Preferred Email", "E-mail", "Email 2"]
    lines = mapping.explain()
    assert lines[0] == "'First Name' → given_name (exact match of 'First Name')"
    assert "a better column already fills that field" in lines[1]
    assert lines[-1] == "'Hobby' → extra (no matching field)"


def test_match_headers_overrides_win_and_are_checked(index):
    mapping = match_headers(
        ["Name", "Location", "Team"],
        index,
        overrides={"location": "extra", "TEAM": "department", "Name": "extra:alias"},
        allowed=allowed_targets(),
    )
    assert mapping.as_dict() == {"Name": "extra:alias", "Location": "extra", "Team": "department"}
    assert all(m.how == "override" for m in mapping.columns)
    with pytest.raises(ValueError, match="unknown field 'shoe_size'"):
        match_headers(["Name"], index, overrides={"Name": "shoe_size"}, allowed=allowed_targets())


@pytest.mark.parametrize("sep", [",", ";", "\t", "|"])
def test_detect_delimiter(sep):
    lines = [
        "Alumni export",
        "",
        sep.join(["ID", "First", "Last", "City, State"]).replace("City, State", '"City, State"'),
    ]
    lines += [sep.join(["1", "Ana", "Lima", '"Austin, TX"'])] * 5
    assert tabular.detect_delimiter("\n".join(lines)) == sep


def test_a_semicolon_inside_a_quoted_cell_spanning_lines_does_not_make_a_semicolon_file():
    """Cells like '"Alumni;\nMentors"' split into more semicolon records than comma ones, but
    only by cutting through the quotes."""
    header = "First Name,Email,Constituent ID,Last Name,Preferred Name,Name,Email 2,Mobile"
    text = header + "\r\n" + ',,,,,,";\na",;\r\n' * 2
    assert tabular.detect_delimiter(text) == ","


def test_read_delimited_latin1_semicolons_from_the_header_row(tmp_path):
    path = tmp_path / "export.csv"
    text = "Export vom 02.03.2026\r\n\r\nID;Vorname;Nachname\r\n1;José;Muñoz\r\n\r\n2;Zoë;Weiß\r\n"
    path.write_bytes(text.encode("latin-1"))
    head = tabular.sniff_delimited(path)
    assert head.delimiter == ";"
    assert head.rows[2] == ["ID", "Vorname", "Nachname"]
    grid = tabular.read_delimited(path, head, skip_rows=2)
    assert grid.dtypes == [pl.String] * 3
    assert grid.rows() == [
        ("ID", "Vorname", "Nachname"),
        ("1", "José", "Muñoz"),
        (None, None, None),
        ("2", "Zoë", "Weiß"),
    ]


def test_read_delimited_utf16_with_bom(tmp_path):
    path = tmp_path / "google.csv"
    path.write_bytes(
        codecs.BOM_UTF16_LE + "Name,E-mail 1 - Value\r\nИван,ivan@example.com\r\n".encode("utf-16-le")
    )
    head = tabular.sniff_delimited(path)
    assert head.encoding == "utf-16-le"
    assert tabular.read_delimited(path, head).rows() == [
        ("Name", "E-mail 1 - Value"),
        ("Иван", "ivan@example.com"),
    ]


def test_read_delimited_falls_back_when_non_utf8_appears_late(tmp_path):
    path = tmp_path / "late.csv"
    path.write_bytes(b"ID,Name\n" + b"1,Ann\n" * 60000 + b"2,Ren\xe9e\n")
    head = tabular.sniff_delimited(path)
    grid = tabular.read_delimited(path, head)
    assert grid.row(-1) == ("2", "Renée")
    # Which single-byte code page textio names is its business; the summary must not say UTF-8.
    assert head.encoding not in ("utf-8", "utf-8-sig")


def test_read_workbook_keeps_row_numbers(tmp_path):
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Alumni"
    ws.append([])
    ws.append(["Title"])
    ws.append(["First", "Last"])
    ws.append(["Ann", 2009])
    wb.create_sheet("Notes").append(["note"])
    wb.save(tmp_path / "book.xlsx")
    sheets = tabular.read_workbook(tmp_path / "book.xlsx")
    assert [s.name for s in sheets] == ["Alumni", "Notes"]
    assert sheets[0].frame.rows() == [(None, None), ("Title", None), ("First", "Last"), ("Ann", "2009")]


def test_read_workbook_of_a_non_workbook_is_an_input_error(tmp_path):
    from pipeline.errors import InputError

    (tmp_path / "fake.xlsx").write_text("not a workbook")
    with pytest.raises(InputError, match="fake.xlsx: cannot be read as a spreadsheet"):
        tabular.read_workbook(tmp_path / "fake.xlsx")


def test_json_object_round_trips_any_text_and_skips_nulls():
    frame = pl.DataFrame({"a": ['say "hi"\\ ü\n', None], "b": [None, None]})
    out = frame.select(json_object([("Spouse Name", pl.col("a")), ("Straße", pl.col("b"))]).alias("x"))
    assert json.loads(out["x"][0]) == {"Spouse Name": 'say "hi"\\ ü\n'}
    assert out["x"][1] is None


def test_list_of_splits_and_drops_empties():
    frame = tabular.blank_to_null(pl.DataFrame({"a": ["x ::: y", None, ""], "b": ["z", "w", None]}))
    out = frame.select(tabular.list_of([pl.col("a"), pl.col("b")], split=" ::: ").alias("l"))
    assert out["l"].to_list() == [["x", "y", "z"], ["w"], None]


def test_via_uniques_maps_back_onto_every_row():
    frame = pl.DataFrame({"y": ["'98", "2009", None, "'98", "x"]})
    expr = tabular.via_uniques(frame, "y", lambda c: c.str.extract(r"(\d+)", 1))
    assert frame.select(expr)["y"].to_list() == ["98", "2009", None, "98", None]
