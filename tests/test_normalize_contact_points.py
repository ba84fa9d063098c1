"""E-mail addresses, phone numbers and LinkedIn URLs."""

from __future__ import annotations

import json

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.normalize import is_valid_email, linkedin_url_expr, normalize_email, normalize_linkedin_url
from pipeline.normalize.emails import normalize_emails
from pipeline.normalize.phones import _fast_rules, fast_phones, normalize_phones, parse_phone, surely_invalid

EMAIL_CASES = [
    # cell → (emails, invalid kept aside)
    ("Robert.Smith@Example.COM", ["robert.smith@example.com"], []),
    ("  mailto:rs@example.com ", ["rs@example.com"], []),
    ("MAILTO:rs@example.com", ["rs@example.com"], []),
    ("Robert Smith <rs@example.com>", ["rs@example.com"], []),
    ('"Smith, Robert" <rs@example.com>', ["rs@example.com"], []),
    ("a@example.com ::: b@example.org", ["a@example.com", "b@example.org"], []),
    ("a@example.com; b@example.org, c@example.net", ["a@example.com", "b@example.org", "c@example.net"], []),
    ("a@example.com\nb@example.org", ["a@example.com", "b@example.org"], []),
    ("b@example.org; a@example.com; B@Example.org", ["b@example.org", "a@example.com"], []),
    ("a@example.com; not an email", ["a@example.com"], ["not an email"]),
    ("john@", [], ["john@"]),
    ("a@b.c", [], ["a@b.c"]),
    ("x@example..com", [], ["x@example..com"]),
    ("josé@exämple.de", ["josé@exämple.de"], []),
    ("rs@example.com.", ["rs@example.com"], []),
    ("", [], []),
    (None, [], []),
]


@pytest.mark.parametrize(("cell", "emails", "invalid"), EMAIL_CASES)
def test_emails(cell, emails, invalid):
    got, bad = normalize_emails(pl.Series("emails", [cell], dtype=pl.String))
    assert got.to_list() == [emails]
    assert bad.to_list() == [invalid]


def test_emails_from_list_cells():
    got, bad = normalize_emails(pl.Series("emails", [["A@Example.com ", None, "x"], None, []]))
    assert got.to_list() == [["a@example.com"], [], []]
    assert bad.to_list() == [["x"], [], []]


def test_email_helpers():
    assert normalize_email("Mailto:A@Example.com") == "a@example.com"
    assert normalize_email("nope") is None
    assert is_valid_email("a@example.com") and not is_valid_email("a@example")


PHONE_CASES = [
    # cell, region → (phones, unparsed)
    ("(206) 555-0142", "US", ["+12065550142"], []),
    ("206-555-0142", "US", ["+12065550142"], []),
    ("206.555.0142", "US", ["+12065550142"], []),
    ("1-206-555-0142", "US", ["+12065550142"], []),
    ("+1 206 555 0142", "US", ["+12065550142"], []),
    ("tel:+1-206-555-0142", "US", ["+12065550142"], []),
    ("206-555-0142 x12", "US", ["+12065550142;ext=12"], []),
    ("+1 206 555 0142 ext. 12", "US", ["+12065550142;ext=12"], []),
    ("+12065550142;ext=12", "US", ["+12065550142;ext=12"], []),
    ("(206) 555-0142 ::: 425-555-0199", "US", ["+12065550142", "+14255550199"], []),
    ("206-555-0142; 206 555 0142", "US", ["+12065550142"], []),
    ("+44 20 7946 0958", "US", ["+442079460958"], []),
    ("020 7946 0958", "GB", ["+442079460958"], []),
    ("030 901820", "DE", ["+4930901820"], []),
    ("1-800-FLOWERS", "US", ["+18003569377"], []),
    ("555-0142", "US", ["555-0142"], ["555-0142"]),
    ("call the office", "US", ["call the office"], ["call the office"]),
    ("+1 000 000 0000", "US", ["+1 000 000 0000"], ["+1 000 000 0000"]),
    ("", "US", [], []),
]


@pytest.mark.parametrize(("cell", "region", "phones", "unparsed"), PHONE_CASES)
def test_phones(cell, region, phones, unparsed):
    got, bad = normalize_phones(pl.Series("phones", [cell], dtype=pl.String), region)
    assert got.to_list() == [phones]
    assert bad.to_list() == [unparsed]


_DIGITS = st.text("0123456789", min_size=4, max_size=14)
_PUNCT = st.sampled_from(["", " ", "-", ".", "(", ")", "/"])


@st.composite
def _phone_text(draw):
    digits = draw(_DIGITS)
    out = draw(st.sampled_from(["", "+", "+1 ", "+44 ", "+49 ", "0", "1-", "00", "011 "]))
    for d in digits:
        out += d + draw(_PUNCT)
    if draw(st.booleans()):
        out += draw(st.sampled_from([" x12", " ext. 7", ";ext=345", " #9"]))
    return out


@settings(max_examples=25, deadline=None)
@given(
    values=st.lists(_phone_text(), min_size=1, max_size=60),
    region=st.sampled_from(["US", "GB", "DE", "FR", "AU"]),
)
def test_fast_path_never_disagrees_with_phonenumbers(values, region):
    fast = fast_phones(pl.Series(values, dtype=pl.String), region).to_list()
    for value, quick in zip(values, fast, strict=True):
        if quick is not None:
            assert quick == parse_phone(value, region), value


@pytest.mark.parametrize("region", ["US", "GB", "DE", "IN", "AU"])
def test_fast_path_agrees_on_a_seeded_batch(region):
    """Mutated example numbers of several regions, in national and international form."""
    import random

    import phonenumbers

    rng = random.Random(region)
    values = []
    for _ in range(1500):
        home = rng.choice([region, "US", "GB", "DE", "FR", "JP"])
        example = phonenumbers.example_number(home)
        digits = "".join(
            c if rng.random() < 0.8 else rng.choice("0123456789") for c in str(example.national_number)
        )
        values.append(rng.choice([f"+{example.country_code} {digits}", digits, "0" + digits, "1" + digits]))
    fast = fast_phones(pl.Series(values), region).to_list()
    decided = [(v, f) for v, f in zip(values, fast, strict=True) if f is not None]
    assert len(decided) > 300
    assert [f for _, f in decided] == [parse_phone(v, region) for v, _ in decided]
    short = [v[: rng.randint(3, 8)] for v in values[:300]] + [v + "99" for v in values[:300]]
    rejected = pl.Series(short).filter(surely_invalid(pl.Series(short), region)).to_list()
    assert all(parse_phone(v, region) is None for v in rejected)
    if region in ("US", "DE", "IN"):  # regions whose prefix rule the shortcut can mirror
        assert rejected


def test_fast_path_covers_the_common_forms():
    assert _fast_rules("US") is not None and _fast_rules("GB") is not None
    values = ["(206) 555-0142", "+1 206 555 0142", "206.555.0142 x12", "+44 20 7946 0958", "+49 30 901820"]
    assert None not in fast_phones(pl.Series(values), "US").to_list()


LINKEDIN_CASES = [
    ("https://www.linkedin.com/in/jane-doe", "https://www.linkedin.com/in/jane-doe"),
    ("http://www.linkedin.com/in/jane-doe/", "https://www.linkedin.com/in/jane-doe"),
    ("linkedin.com/in/Jane-Doe", "https://www.linkedin.com/in/jane-doe"),
    ("HTTPS://UK.LINKEDIN.COM/IN/JANE-DOE", "https://www.linkedin.com/in/jane-doe"),
    ("https://uk.linkedin.com/in/jane-doe?trk=public_profile", "https://www.linkedin.com/in/jane-doe"),
    ("www.linkedin.com/in/jane-doe/details/experience/", "https://www.linkedin.com/in/jane-doe"),
    ("https://www.linkedin.com/in/jos%C3%A9-garc%C3%ADa", "https://www.linkedin.com/in/josé-garcía"),
    ("https://www.linkedin.com/in/JOS%C3%89", "https://www.linkedin.com/in/josé"),
    ("https://www.linkedin.com/in/100%25-real", "https://www.linkedin.com/in/100%25-real"),
    ("https://www.linkedin.com/pub/jane-doe/1/2/3", None),
    ("https://www.linkedin.com/company/example", None),
    ("not a url", None),
]


@pytest.mark.parametrize(("text", "canonical"), LINKEDIN_CASES)
def test_linkedin_urls(text, canonical):
    assert normalize_linkedin_url(text) == canonical
    if canonical:
        assert normalize_linkedin_url(canonical) == canonical  # stable


def test_linkedin_expression_is_reusable_in_a_frame():
    frame = pl.DataFrame({"u": [c for c, _ in LINKEDIN_CASES]})
    got = frame.select(linkedin_url_expr(pl.col("u")))[:, 0].to_list()
    assert got == [canonical for _, canonical in LINKEDIN_CASES]


def test_phones_as_people_type_them_labels_kept_and_excel_damage_flagged():
    from pipeline.normalize import normalize_records

    frame = pl.DataFrame(
        {
            "source_ref": ["row 2", "row 3", "row 4", "row 5", "row 6"],
            "full_name": ["Ana Ruiz", "Bo Lind", "Cy Ng", "Di Holt", "Ed Voss"],
            "phones": [
                "971-555-0118 (cell)",
                "Mobile: 206 555 0100; Work: (206) 555-0101 x12",
                "+44 (0)20 7946 0958",
                "4,42079E+11",
                "0351 223344",
            ],
            "country": [None, None, "United Kingdom", None, "Germany"],
        }
    )
    result = normalize_records(frame, region="US")
    rows = result.frame.to_dicts()
    assert rows[0]["phones"] == ["+19715550118"]
    assert json.loads(rows[0]["extra"])["phone_labels"] == {"+19715550118": "cell"}
    assert rows[1]["phones"] == ["+12065550100", "+12065550101;ext=12"]
    labels = json.loads(rows[1]["extra"])["phone_labels"]
    assert labels == {"+12065550100": "Mobile", "+12065550101;ext=12": "Work"}
    assert rows[2]["phones"] == ["+442079460958"]
    assert rows[3]["phones"] == ["4,42079E+11"]  # one value, not "4" and "42079E+11"
    assert json.loads(rows[3]["extra"])["damaged_phones"] == ["4,42079E+11"]
    assert ("row 5", "phone number damaged by a spreadsheet (scientific notation), kept as written") in (
        result.warnings
    )
    assert rows[4]["phones"] == ["+49351223344"]  # a national number of the record's own country
