"""Tests for the alumni-directory importer (plugins.alumni) on CRM-like exports."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest

from pipeline.contracts import ImportOptions
from pipeline.errors import ConfigError, InputError
from pipeline.normalize import normalize_records
from pipeline.schema import validate_raw
from plugins.alumni import AlumniImporter

FIX = Path(__file__).parent / "fixtures" / "alumni"


def read(path: Path, **options):
    result = AlumniImporter().read(path, ImportOptions(**options))
    validate_raw(result.records, "alumni")
    return result


def by_key(frame: pl.DataFrame, key: str) -> dict:
    rows = frame.filter(pl.col("source_key") == key).to_dicts()
    assert len(rows) == 1, key
    return rows[0]


@pytest.fixture(scope="module")
def directory():
    return read(FIX / "directory.xlsx", school="Springfield University")


def test_workbook_header_found_under_merged_title_rows(directory):
    maria = by_key(directory.records, "A-10001")
    assert maria["source_ref"] == "Alumni!5"  # title, subtitle, blank, header on row 4
    assert (maria["given_name"], maria["family_name"]) == ("Maria", "Gonzalez")
    assert maria["class_year"] == "2009"
    assert maria["emails"] == ["maria.gonzalez@example.com"]
    assert maria["phones"] == ["(206) 555-0142"]
    assert (maria["city"], maria["region"], maria["country"]) == ("Seattle", "WA", "USA")
    assert (maria["organization"], maria["title"], maria["degree"]) == (
        "Northwind Traders",
        "Product Manager",
        "BA",
    )
    assert maria["school"] == "Springfield University"  # from the workspace: the file doesn't say
    assert maria["channel"] == "alumni"
    assert json.loads(maria["extra"]) == {"maiden_name": "Reyes", "major": "Economics"}


def test_two_digit_class_year_nickname_and_ordered_emails(directory):
    bob = by_key(directory.records, "A-10002")
    assert bob["class_year"] == "2006"  # written '06
    assert (bob["given_name"], bob["nickname"]) == ("Robert", "Bob")
    assert bob["emails"] == ["bob.kowalski@example.org", "robert.kowalski@example.com"]
    assert json.loads(bob["extra"])["Spouse Name"] == "Anna Kowalski"


def test_flags_become_tags(directory):
    assert by_key(directory.records, "A-10003")["tags"] == ["deceased"]
    assert by_key(directory.records, "A-10004")["tags"] == ["lost"]
    assert by_key(directory.records, "A-10005")["tags"] == ["do-not-contact"]  # Accept Email = No
    assert by_key(directory.records, "A-10006")["tags"] is None


def test_noise_rows_dropped_and_nameless_row_rejected(directory):
    records, info = directory.records, directory.info
    assert records.height == 40
    assert records["source_key"].n_unique() == 40
    assert not records["given_name"].is_in(["First Name", "Total"]).any()
    assert info["dropped_rows"] == {"blank": 2, "repeated header": 1, "total": 1, "note": 0}
    assert [(r.ref, r.reason) for r in directory.rejects] == [
        ("Alumni!49", "no name, email or phone in this row")
    ]
    # rows after the repeated header keep their true spreadsheet row numbers
    assert by_key(records, "A-10040")["source_ref"] == "Alumni!46"


def test_info_reports_mapping_and_skipped_sheet(directory):
    info = directory.info
    assert info["skipped_sheets"] == {"Notes": "no header row with contact columns in the first 60 rows"}
    assert info["mapping"]["Class Yr"] == "class_year"
    assert info["mapping"]["E-mail Address"] == "emails"
    assert info["mapping"]["Accept Email"] == "opt_in"
    assert info["mapping"]["Spouse Name"] == "extra"
    assert info["encoding"] == "xlsx workbook"
    assert "Alumni: 'Class Yr' → class_year (exact match of 'Class Yr')" in info["mapping_explained"]
    assert "skipped 1 repeated header row(s)" in info["warnings"]


def test_raisers_edge_latin1_semicolon_export():
    result = read(FIX / "raisers_edge_latin1.csv", school="Springfield University")
    records = result.records
    assert result.info["delimiter"] == ";"
    assert result.info["encoding"] not in ("utf-8", "utf-8-sig")
    jose = by_key(records, "1187")
    assert (jose["given_name"], jose["family_name"], jose["nickname"]) == ("José", "Muñoz", "Pepe")
    assert jose["source_ref"] == "row 4"
    # Raiser's Edge phone slots also hold emails
    assert jose["emails"] == ["jose.munoz@example.org"] and jose["phones"] is None
    assert (jose["street"], jose["city"], jose["postal_code"]) == ("12 Rue Saint-Honoré", "Québec", "G1R 4P5")
    zoe = by_key(records, "1188")
    assert zoe["family_name"] == "Brontë-Fähnrich"
    assert json.loads(zoe["extra"]) == {
        "maiden_name": "Weiß",
        "CnPh_1_01_Phone_type": "Home",
        "Gf_Total_Amount": "0.00",
    }
    assert by_key(records, "1189")["tags"] == ["deceased"]
    ana = by_key(records, "1191")
    assert ana["class_year"] is None and json.loads(ana["extra"])["CnBio_Class_of"] == "junk"
    assert "1 class year(s) not understood; kept in extra" in result.info["warnings"]
    assert [r.ref for r in result.rejects] == ["row 7"]


def test_messy_headers_full_name_status_and_typos():
    result = read(FIX / "messy_headers.csv")
    records = result.records
    assert result.info["mapping"]["Emial Address"] == "emails"
    assert result.info["mapping"]["Postion"] == "title"
    assert result.info["encoding"] == "utf-8-sig"
    rows = {r["full_name"]: r for r in records.to_dicts()}
    assert set(rows) == {"Gonzalez, Maria", "Kowalski, Robert (Bob)", "Priya Patel", "Tom O'Neil"}
    maria = rows["Gonzalez, Maria"]
    assert maria["school"] == "Springfield University" and maria["class_year"] == "2009"
    assert maria["linkedin_url"] == "linkedin.com/in/maria-gonzalez-ex"
    assert json.loads(maria["extra"]) == {"Status": "Active", "Favourite Color": "teal"}
    assert rows["Kowalski, Robert (Bob)"]["tags"] == ["deceased"]
    assert rows["Priya Patel"]["tags"] == ["lost"] and rows["Priya Patel"]["class_year"] == "2011"
    assert rows["Tom O'Neil"]["tags"] == ["do-not-contact"] and rows["Tom O'Neil"]["class_year"] == "1989"
    assert result.info["dropped_rows"]["total"] == 1


def test_overrides_from_kith_toml(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text("Name,Email,Location,Team\nAnn Lee,ann@example.com,Boston,Rowing\n")
    result = read(path, mapping={"Location": "extra", "Team": "department", "Nowhere": "city"})
    row = result.records.row(0, named=True)
    assert row["department"] == "Rowing" and "city" not in result.records.columns
    assert json.loads(row["extra"]) == {"Location": "Boston"}
    assert result.info["mapping"]["Location"] == "extra"
    assert "kith.toml maps column 'Nowhere', but the file has no such column" in result.info["warnings"]
    with pytest.raises(ConfigError, match="d.csv: mapping for 'Team' names unknown field 'squad'"):
        read(path, mapping={"Team": "squad"})


def test_channel_option_and_pipe_delimited_tsv(tmp_path):
    path = tmp_path / "d.txt"
    path.write_text("ID|First|Last|Grad Year\n7|Ann|Lee|2001\n")
    row = read(path, channel="other").records.row(0, named=True)
    assert (row["source_key"], row["given_name"], row["class_year"], row["channel"]) == (
        "7",
        "Ann",
        "2001",
        "other",
    )


def test_file_without_a_header_is_an_input_error(tmp_path):
    path = tmp_path / "numbers.csv"
    path.write_text("1,2,3\n4,5,6\n")
    with pytest.raises(InputError, match="numbers.csv: no header row with contact columns"):
        read(path)


def test_output_survives_core_normalization(directory):
    normalized = normalize_records(directory.records, region="US").frame
    assert normalized.schema["class_year"] == pl.Int32
    assert normalized.filter(pl.col("source_key") == "A-10001")["class_year"].to_list() == [2009]


@pytest.mark.parametrize(
    ("name", "emails"),
    [
        (
            "primary_email_only.csv",
            [["ilona.varga@example.com"], ["chidi.okafor@example.com"], ["marcus.hale@example.com"]],
        ),
        (
            "../outlook/email_columns_only.csv",
            [
                ["lena.brandt@example.com", "lena@example.org"],
                ["kwame.osei@example.com", "kwame.osei@example.net"],
            ],
        ),
    ],
)
def test_a_file_of_nothing_but_email_columns_imports(name, emails):
    from pipeline.importing import pick_importer
    from pipeline.testing import plugin_manager
    from pipeline.textio import read_head

    path = FIX / name
    assert pick_importer(plugin_manager(), path, read_head(path)) == "alumni"
    result = read(path)
    assert result.records["emails"].to_list() == emails
    assert result.rejects == []


# --- directories written elsewhere ---------------------------------------------------------


def _through_core(tmp_path, name: str, **options):
    from pipeline.testing import import_through_core, make_workspace

    workspace = make_workspace(tmp_path / "ws", {})
    opts = ImportOptions(**options) if options else None
    imported = import_through_core(workspace, (FIX / name).resolve(), options=opts)
    assert imported.outcome.status == "imported", imported.outcome.error
    rows = imported.records.to_dicts()
    for row in rows:
        row["extra"] = json.loads(row["extra"] or "{}")
    imported.outcome.info["store_path"] = imported.store_path
    return imported.outcome, rows


def test_a_preferred_name_without_a_first_name_column_is_the_given_name(tmp_path):
    _, rows = _through_core(tmp_path, "preferred_name_only.csv")
    marcus = rows[0]
    assert (marcus["given_name"], marcus["family_name"], marcus["full_name"]) == (
        "Marcus",
        "Hale",
        "Marcus Hale",
    )
    assert marcus["nickname"] is None and marcus["name_key"] == "marcus hale"
    assert [r["full_name"] for r in rows] == ["Marcus Hale", "Priya Raman", "Tomás Ibarra"]


def test_with_both_a_first_and_a_preferred_name_both_are_kept(tmp_path):
    _, rows = _through_core(tmp_path, "first_and_pref_name.csv")
    kate = rows[0]
    assert (kate["given_name"], kate["nickname"], kate["family_name"]) == ("Katherine", "Kate", "Osei")
    assert rows[1]["nickname"] is None


def test_crm_export_names_phones_addresses_and_a_row_that_does_not_fit(tmp_path):
    outcome, rows = _through_core(tmp_path, "crm_export.csv")
    people = {r["source_ref"]: r for r in rows}
    smith = people["row 2"]  # "SMITH, CHARLES" in Last Name, First Name blank
    assert (smith["given_name"], smith["family_name"], smith["full_name"]) == (
        "Charles",
        "Smith",
        "Charles Smith",
    )
    assert smith["phones"] == ["+19715550118"] and smith["extra"]["phone_labels"] == {"+19715550118": "cell"}
    green = people["row 3"]  # "green", "mitchell"
    assert green["full_name"] == "Mitchell Green"
    assert green["phones"] == ["+12065550100"] and green["extra"]["phone_labels"] == {
        "+12065550100": "Mobile"
    }
    linh = people["row 4"]  # Street Number + Street, Suburb, State, Postcode
    assert (linh["street"], linh["city"], linh["region"], linh["postal_code"], linh["country"]) == (
        "12 Harbour Rd",
        "Manly",
        "NSW",
        "2095",
        "AU",
    )
    assert linh["phones"] == ["+61491570156"]  # national number of the record's own country
    # "Ortega,Ana, Sofia": one field too many. Rejected whole, never shifted, nothing cut.
    assert "row 5" not in people
    (misfit,) = [r for r in outcome.rejects if r.ref == "row 5"]
    assert (
        misfit.raw
        == "R-4,Ortega,Ana, Sofia,ana.ortega@example.com,415-555-0138,,,San Francisco,CA,94103,USA,2010"
    )
    assert "more fields than its header" in misfit.reason
    grace = people["row 6"]
    assert grace["phones"] == ["4,42079E+11"] and grace["extra"]["damaged_phones"] == ["4,42079E+11"]
    assert people["row 7"]["phones"] == ["+12065550100;ext=12"]
    from pipeline.store import Store

    with Store(outcome.info["store_path"]) as store:
        stored = store.rejects().to_dicts()
    assert [r["raw"] for r in stored if r["source_ref"] == "row 5"] == [misfit.raw]


def test_german_directory_headers_and_house_numbers(tmp_path):
    _, rows = _through_core(tmp_path, "verzeichnis_de.csv", region="DE")
    juergen, anna = rows
    assert (juergen["given_name"], juergen["family_name"], juergen["organization"]) == (
        "Jürgen",
        "Weiß",
        "Müller & Söhne GmbH",
    )
    assert (juergen["street"], juergen["postal_code"], juergen["city"]) == (
        "Prager Straße 8",
        "01069",
        "Dresden",
    )
    assert juergen["phones"] == ["+49351223344"] and juergen["emails"] == ["j.weiss@example.de"]
    assert juergen["class_year"] == 2004
    assert anna["phones"] == ["4,42079E+11"]  # semicolon file: the comma is inside the value


def test_french_directory_headers(tmp_path):
    _, rows = _through_core(tmp_path, "annuaire_fr.csv", region="FR")
    elodie = rows[0]
    assert (elodie["given_name"], elodie["family_name"]) == ("Élodie", "Marchand")
    assert (elodie["organization"], elodie["title"], elodie["city"]) == (
        "Atelier Lumière SARL",
        "Responsable achats",
        "Lyon",
    )
    assert elodie["phones"] == ["+33472550123"] and elodie["emails"] == ["elodie.marchand@example.fr"]


def test_section_titles_and_a_merged_disclaimer_are_skipped_not_people(tmp_path):
    outcome, rows = _through_core(tmp_path, "sections_and_disclaimer.xlsx")
    assert [r["full_name"] for r in rows] == ["Anaïs Peña", "Björn Gómez", "Marcus Hale"]
    assert [(r["given_name"], r["family_name"]) for r in rows][:2] == [("Anaïs", "Peña"), ("Björn", "Gómez")]
    assert outcome.rejects == []
    skipped = outcome.info["skipped_rows"]
    assert [(s["ref"], s["kind"]) for s in skipped] == [
        ("Alumni!4", "note"),
        ("Alumni!7", "note"),
        ("Alumni!10", "note"),
    ]
    assert skipped[2]["text"] == "For alumni networking only. Do not use for commercial solicitation."
    assert any("not people: Alumni!4, Alumni!7, Alumni!10" in message for _, message in outcome.warnings)


@pytest.mark.parametrize(
    ("name", "region", "expected"),
    [
        (
            "directorio_es.csv",
            "ES",
            ("Lucía", "Fernández Ruiz", "Grupo Ejemplo SA", "Madrid", "+34612345678"),
        ),
        ("adresboek_nl.csv", "NL", ("Sanne", "de Vries", "Voorbeeld BV", "Utrecht", "+31612345678")),
        ("rubrica_it.csv", "IT", ("Giulia", "Romano", "Esempio Srl", "Milano", "+393471234567")),
        ("contatos_pt.csv", "BR", ("Beatriz", "Almeida", "Exemplo Ltda", "São Paulo", "+5511912345678")),
    ],
)
def test_spanish_dutch_italian_and_portuguese_directory_headers(tmp_path, name, region, expected):
    _, (row,) = _through_core(tmp_path, name, region=region)
    assert (
        row["given_name"],
        row["family_name"],
        row["organization"],
        row["city"],
        row["phones"][0],
    ) == expected
    assert (
        row["title"] is not None and row["postal_code"] is not None
    )  # Cargo/Functie/Ruolo, CP/Postcode/CAP/CEP
    given = expected[0].lower().replace("í", "i")
    assert len(row["emails"]) == 1 and row["emails"][0].startswith(given + ".")  # Correo, E-mailadres …
