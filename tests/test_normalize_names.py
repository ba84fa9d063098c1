"""Names: parts ↔ full name, shouting, credentials, particles, emoji, nickname keys."""

from __future__ import annotations

import polars as pl
import pytest

from pipeline.normalize import canonical_given, fold, normalize_records
from pipeline.normalize.nicknames import NICKNAME_CHOICES, nickname_table

PARTS = ("prefix", "given_name", "middle_name", "family_name", "suffix", "nickname")


def _one(directory: bool = False, **columns: str | None) -> dict:
    frame = pl.DataFrame({"source_ref": ["row 2"], **{k: [v] for k, v in columns.items()}})
    frame = frame.with_columns(pl.col(c).cast(pl.String) for c in columns)
    return normalize_records(frame, region="US", directory=directory).frame.row(0, named=True)


FULL_NAME_CASES = [
    # full_name as written → (prefix, given, middle, family, suffix, nickname), full_name after
    ("Dr. Robert J. Smith Jr.", ("Dr.", "Robert", "J.", "Smith", "Jr.", None), "Dr. Robert J. Smith Jr."),
    ("Smith, Robert", (None, "Robert", None, "Smith", None, None), "Smith, Robert"),
    ("Smith, Robert J., Jr.", (None, "Robert", "J.", "Smith", "Jr.", None), "Smith, Robert J., Jr."),
    ("GÓMEZ, Björn", (None, "Björn", None, "Gómez", None, None), "Gómez, Björn"),
    ("Björn GÓMEZ", (None, "Björn", None, "Gómez", None, None), "Björn Gómez"),
    ("ian geiser", (None, "ian", None, "geiser", None, None), "ian geiser"),  # as the owner typed it
    ("ROBERT SMITH", (None, "Robert", None, "Smith", None, None), "Robert Smith"),
    ("RONALD MCDONALD", (None, "Ronald", None, "McDonald", None, None), "Ronald McDonald"),
    ("SHANE O'NEIL", (None, "Shane", None, "O'Neil", None, None), "Shane O'Neil"),
    ("ANNA VAN DER BERG", (None, "Anna", None, "van der Berg", None, None), "Anna van der Berg"),
    ("JUAN DE LA CRUZ", (None, "Juan", None, "de la Cruz", None, None), "Juan de la Cruz"),
    ("Ronald McDonald", (None, "Ronald", None, "McDonald", None, None), "Ronald McDonald"),
    ("Juan de la Cruz", (None, "Juan", None, "de la Cruz", None, None), "Juan de la Cruz"),
    ("Pat Lee, MBA", (None, "Pat", None, "Lee", "MBA", None), "Pat Lee, MBA"),
    ("Pat Lee, CPA", (None, "Pat", None, "Lee", "CPA", None), "Pat Lee, CPA"),
    ("Pat Lee PMP", (None, "Pat", None, "Lee", "PMP", None), "Pat Lee PMP"),
    ("Pat Lee, PhD", (None, "Pat", None, "Lee", "PhD", None), "Pat Lee, PhD"),
    ("PAT LEE, PHD", (None, "Pat", None, "Lee", "PhD", None), "Pat Lee, PhD"),
    ("Pat Lee MBA, PMP", (None, "Pat", None, "Lee", "MBA, PMP", None), "Pat Lee MBA, PMP"),
    ("Robert Smith III", (None, "Robert", None, "Smith", "III", None), "Robert Smith III"),
    ("Yo-Yo Ma", (None, "Yo-Yo", None, "Ma", None, None), "Yo-Yo Ma"),
    ("Pat 🚀 Lee", (None, "Pat", None, "Lee", None, None), "Pat 🚀 Lee"),
    ('Robert "Bob" Smith', (None, "Robert", None, "Smith", None, "Bob"), 'Robert "Bob" Smith'),
    ("Prof. Dr. Hans Müller", ("Prof. Dr.", "Hans", None, "Müller", None, None), "Prof. Dr. Hans Müller"),
    ("Madonna", (None, "Madonna", None, None, None, None), "Madonna"),
    ("Mary Ann Watson", (None, "Mary", "Ann", "Watson", None, None), "Mary Ann Watson"),
]


@pytest.mark.parametrize(("full", "parts", "full_after"), FULL_NAME_CASES)
def test_full_name_fills_the_parts(full, parts, full_after):
    row = _one(full_name=full)
    assert tuple(row[c] for c in PARTS) == parts
    assert row["full_name"] == full_after


def test_full_name_is_built_from_parts():
    row = _one(given_name="Robert", middle_name="J.", family_name="Smith", prefix="Dr.", suffix="Jr.")
    assert row["full_name"] == "Dr. Robert J. Smith Jr."


def test_credentials_in_the_family_field_move_to_suffix():
    row = _one(given_name="Pat", family_name="Lee, MBA")
    assert (row["family_name"], row["suffix"]) == ("Lee", "MBA")
    row = _one(given_name="Pat", family_name="Lee PMP", suffix="Jr.")
    assert (row["family_name"], row["suffix"]) == ("Lee", "Jr., PMP")


def test_title_and_quoted_nickname_in_the_given_field():
    row = _one(given_name='Dr. Robert "Bob"', family_name="Smith")
    assert (row["prefix"], row["given_name"], row["nickname"]) == ("Dr.", "Robert", "Bob")


def test_shouted_parts_are_fixed_but_ordinary_capitals_kept():
    row = _one(given_name="BILL", family_name="O'NEIL")
    assert (row["given_name"], row["family_name"], row["full_name"]) == ("Bill", "O'Neil", "Bill O'Neil")
    # "JJ" in an otherwise ordinary record is not shouting.
    assert _one(given_name="JJ", family_name="Abrams")["given_name"] == "JJ"


def test_source_full_name_and_parts_are_both_kept():
    row = _one(full_name="Bob Smith", given_name="Robert", family_name="Smith")
    assert (row["full_name"], row["given_name"]) == ("Bob Smith", "Robert")


KEY_CASES = [
    # given, family → name_key, given_key, family_key
    ("Bob", "Smith", "bob smith", "robert", "smith"),
    ("Liz", "Lee", "liz lee", "elizabeth", "lee"),
    ("Bill", "O'Neil", "bill oneil", "william", "oneil"),
    ("Robert", "Smith", "robert smith", "robert", "smith"),
    ("José", "Núñez", "jose nunez", "jose", "nunez"),
    ("Zoë 🚀", "Müller-Lüdenscheidt", "zoe muller ludenscheidt", "zoe", "muller ludenscheidt"),
    ("Søren", "Straße", "soren strasse", "soren", "strasse"),
    ("Anna", "van der Berg", "anna van der berg", "anna", "van der berg"),
]


@pytest.mark.parametrize(("given", "family", "name_key", "given_key", "family_key"), KEY_CASES)
def test_matching_keys(given, family, name_key, given_key, family_key):
    row = _one(given_name=given, family_name=family)
    assert (row["name_key"], row["given_key"], row["family_key"]) == (name_key, given_key, family_key)
    assert row["given_name"] == given  # never replaced by the formal name
    assert row["nickname"] is None  # never invented


def test_emoji_stays_in_full_name_but_not_in_keys():
    row = _one(full_name="Pat Lee 🚀✨")
    assert row["full_name"] == "Pat Lee 🚀✨"
    assert row["name_key"] == "pat lee"


def test_per_value_helpers_match_the_column():
    assert canonical_given("Bob") == "robert"
    assert canonical_given("BILL") == "william"
    assert canonical_given("Zoë") == "zoe"
    assert canonical_given(None) is None
    assert fold("José O'Neil-Smith 🚀") == "jose oneil smith"
    assert fold("🚀") is None


def test_nickname_choices_come_from_the_nicknames_data_set():
    from nicknames import NickNamer

    formal_of = NickNamer().canonical_lookup
    for nick, formal in NICKNAME_CHOICES.items():
        assert formal in formal_of[nick], nick
    table = nickname_table()
    assert table["bob"] == "robert" and table["bill"] == "william" and table["liz"] == "elizabeth"
    # Formal names are never mapped to something else.
    assert "robert" not in table and "william" not in table and "elizabeth" not in table


def test_one_short_capitalised_word_is_kept_as_written_but_a_shouted_name_is_recased():
    assert _one(full_name="IBM", family_name="IBM")["full_name"] == "IBM"
    row = _one(given_name="ROBERT", family_name="LEE")
    assert (row["full_name"], row["given_name"], row["family_name"]) == ("Robert Lee", "Robert", "Lee")


def test_a_family_field_written_with_a_comma_keeps_it_before_the_suffix_in_the_full_name():
    row = _one(given_name="Chloé", family_name="Van Damme, Jr.")
    assert (row["family_name"], row["suffix"], row["full_name"]) == (
        "Van Damme",
        "Jr.",
        "Chloé Van Damme, Jr.",
    )


def test_directory_order_in_the_family_column_with_the_given_column_blank():
    row = _one(given_name=None, family_name="SMITH, CHARLES")
    assert (row["given_name"], row["family_name"], row["full_name"]) == ("Charles", "Smith", "Charles Smith")
    row = _one(given_name=None, family_name="Lee, MBA")  # a credential, not a given name
    assert (row["given_name"], row["family_name"], row["suffix"]) == (None, "Lee", "MBA")


#: A directory or CRM export (``info["directory_names"]``): names as people are called.
DIRECTORY_CASES = [
    ("Smith, Robert", (None, "Robert", None, "Smith", None, None), "Robert Smith"),
    ("Smith, Robert J., Jr.", (None, "Robert", "J.", "Smith", "Jr.", None), "Robert J. Smith Jr."),
    ("PEÑA, Anaïs", (None, "Anaïs", None, "Peña", None, None), "Anaïs Peña"),
    ("GÓMEZ, Björn", (None, "Björn", None, "Gómez", None, None), "Björn Gómez"),
    ("mitchell green", (None, "Mitchell", None, "Green", None, None), "Mitchell Green"),
    ("anna van der berg", (None, "Anna", None, "van der Berg", None, None), "Anna van der Berg"),
]


@pytest.mark.parametrize(("full", "parts", "full_after"), DIRECTORY_CASES)
def test_directory_names_read_as_people_are_called(full, parts, full_after):
    row = _one(directory=True, full_name=full)
    assert tuple(row[c] for c in PARTS) == parts
    assert row["full_name"] == full_after
