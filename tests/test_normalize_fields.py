"""Dates, birthdays, class years, places and text hygiene."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from pipeline.normalize import country_code, parse_birthday, parse_class_year, parse_date
from pipeline.normalize.dates import expand_year
from pipeline.normalize.places import normalize_country, split_city_column, split_city_region
from pipeline.normalize.text import clean_text

D = dt.date
DATE_CASES = [
    # text, region → date
    ("2024-03-15", "US", D(2024, 3, 15)),
    ("2024-03-15T10:22:33Z", "US", D(2024, 3, 15)),
    ("2024-03-15 10:22:33", "GB", D(2024, 3, 15)),
    ("20240315", "US", D(2024, 3, 15)),
    ("15 Mar 2024", "US", D(2024, 3, 15)),
    ("05 Sep 2026", "US", D(2026, 9, 5)),
    ("March 15, 2024", "US", D(2024, 3, 15)),
    ("15-Mar-2024", "DE", D(2024, 3, 15)),
    ("03/15/2021", "US", D(2021, 3, 15)),
    ("03/04/2021", "US", D(2021, 3, 4)),
    ("03/04/2021", "GB", D(2021, 4, 3)),
    ("03/04/2021", "DE", D(2021, 4, 3)),
    ("03/15/2021", "GB", D(2021, 3, 15)),  # day-first impossible → month-first
    ("15/03/2021", "US", D(2021, 3, 15)),
    ("15.03.2021", "US", D(2021, 3, 15)),  # dots are always day-first
    ("2021/03/15", "US", D(2021, 3, 15)),
    ("3/5/21", "US", D(2021, 3, 5)),
    ("45366", "US", D(2024, 3, 15)),  # Excel serial day number
    ("45366.5", "US", D(2024, 3, 15)),
    ("0/0/00", "US", None),  # Outlook's empty date
    ("--04-15", "US", None),  # no year: not a full date
    ("1604-04-15", "US", None),
    ("13/13/2020", "US", None),
    ("Mar 2024", "US", None),
    ("yesterday", "US", None),
]


@pytest.mark.parametrize(("text", "region", "expected"), DATE_CASES)
def test_parse_date(text, region, expected):
    assert parse_date(text, region) == expected


BIRTHDAY_CASES = [
    ("1985-04-15", "1985-04-15"),
    ("--04-15", "--04-15"),
    ("--0415", "--04-15"),
    ("1604-04-15", "--04-15"),  # Apple's placeholder year
    ("April 15", "--04-15"),
    ("15 Apr", "--04-15"),
    ("04/15", "--04-15"),
    ("--02-29", "--02-29"),
    ("--02-30", None),
    ("4/15/1985", "1985-04-15"),
    ("0/0/00", None),
]


@pytest.mark.parametrize(("text", "expected"), BIRTHDAY_CASES)
def test_parse_birthday(text, expected):
    assert parse_birthday(text, "US") == expected


CLASS_YEAR_CASES = [
    ("'98", 1998),
    ("’06", 2006),
    ("1998", 1998),
    ("Class of 2006", 2006),
    ("class of '98", 1998),
    ("2006.0", 2006),
    ("BA 2006", 2006),
    (1998, 1998),
    (98, 1998),
    ("n/a", None),
    ("1998-2002", None),  # two different years: ambiguous
    (1492, None),
]


@pytest.mark.parametrize(("value", "expected"), CLASS_YEAR_CASES)
def test_parse_class_year(value, expected):
    assert parse_class_year(value) == expected


def test_two_digit_years_pivot_on_today():
    today = dt.date(2026, 6, 1)
    assert expand_year(98, today=today) == 1998
    assert expand_year(31, today=today) == 2031
    assert expand_year(32, today=today) == 1932


COUNTRY_CASES = [
    ("USA", "US"),
    ("U.S.A.", "US"),
    ("United States", "US"),
    ("United States of America", "US"),
    ("us", "US"),
    ("Deutschland", "DE"),
    ("Germany", "DE"),
    ("DEU", "DE"),
    ("Allemagne", "DE"),
    ("UK", "GB"),
    ("England", "GB"),
    ("United Kingdom", "GB"),
    ("Côte d’Ivoire", "CI"),
    ("South Korea", "KR"),
    ("Korea, Republic of", "KR"),
    ("España", "ES"),
    ("Viet Nam", "VN"),
    ("CA", "CA"),
]


@pytest.mark.parametrize(("text", "code"), COUNTRY_CASES)
def test_country_codes(text, code):
    assert country_code(text) == code


def test_unknown_country_is_kept_as_written():
    got = normalize_country(pl.Series("country", ["Narnia ", "usa", None, ""]))
    assert got.to_list() == ["Narnia", "US", None, None]


CITY_CASES = [
    # city, country → (city, region) or None when left alone
    ("Seattle, WA", None, ("Seattle", "WA")),
    ("Seattle, wa", "US", ("Seattle", "WA")),
    ("Seattle/WA", None, ("Seattle", "WA")),
    ("Toronto, Ontario", None, ("Toronto", "Ontario")),
    ("Toronto, ON", "CA", ("Toronto", "ON")),
    ("Paris, TX", "FR", None),  # a US state in a French row: ambiguous
    ("Paris, France", None, None),
    ("Boston, MA", "CA", None),
    ("Winston-Salem, NC", None, ("Winston-Salem", "NC")),
]


@pytest.mark.parametrize(("city", "country", "expected"), CITY_CASES)
def test_city_region_split(city, country, expected):
    assert split_city_region(city, country) == expected


def test_city_column_is_split_only_where_region_is_empty():
    city = pl.Series("city", ["Seattle, WA", "Seattle, WA", "Portland"])
    region = pl.Series("region", [None, "Washington", "OR"])
    new_city, new_region = split_city_column(city, region, None)
    assert new_city.to_list() == ["Seattle", "Seattle, WA", "Portland"]
    assert new_region.to_list() == ["WA", "Washington", "OR"]


HYGIENE_CASES = [
    ("  Robert  ", "Robert"),
    ("Jose\u0301", "José"),  # NFC
    ("Ro\u200bbert", "Robert"),  # zero-width space
    ("\ufeffRobert", "Robert"),  # BOM
    ("Robert\u00a0Smith", "Robert Smith"),  # NBSP
    ("Robert\u202fSmith", "Robert Smith"),  # narrow NBSP
    ("Robert \t\n Smith", "Robert Smith"),
    ("\u200d👨\u200d👩\u200d👧\u200d", "👨\u200d👩\u200d👧"),  # ZWJ kept inside emoji, trimmed at edges
    ("", None),
    ("   ", None),
    ("\u00a0", None),
    (None, None),
]


@pytest.mark.parametrize(("text", "expected"), HYGIENE_CASES)
def test_text_hygiene(text, expected):
    assert clean_text(pl.Series([text], dtype=pl.String)).to_list() == [expected]


def test_multi_line_fields_keep_line_breaks():
    got = clean_text(pl.Series(["  line one\r\nline two  "]), single_line=False)
    assert got.to_list() == ["line one\nline two"]


def test_hygiene_of_repetitive_columns_uses_distinct_values_and_agrees():
    values = ["  Acme Corp ", "Globex\u00a0Inc", "", None, "Initech"] * 20_000
    got = clean_text(pl.Series(values, dtype=pl.String))
    assert got.head(5).to_list() == ["Acme Corp", "Globex Inc", None, None, "Initech"]
    assert got.len() == len(values) and got.null_count() == 40_000
