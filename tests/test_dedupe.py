"""Dedupe engine: the hard cases in both directions, decisions, stable ids, survivorship, explain."""

from __future__ import annotations

import json

import polars as pl
import pytest
from dedupe_helpers import person_of, records, same

from pipeline.dedupe import DedupeSettings, explain, resolve

KOWALSKI = (
    {
        "record_id": "vc-1",
        "source": "vcard",
        "full_name": "Bob Kowalski",
        "given_name": "Bob",
        "family_name": "Kowalski",
        "phones": ["+12065550142"],
        "emails": ["bob.kowalski@example.com"],
        "organization": "Acme Corp",
    },
    {
        "record_id": "li-1",
        "source": "linkedin",
        "given_name": "Robert",
        "family_name": "Kowalski",
        "organization": "Acme",
        "linkedin_url": "https://www.linkedin.com/in/robert-kowalski-4a1b",
        "connected_on": "2021-03-04",
    },
    {
        "record_id": "al-1",
        "source": "alumni",
        "given_name": "Rob",
        "family_name": "Kowalski",
        "class_year": 2006,
        "school": "State University",
        "phones": ["+12065550142"],
        "postal_code": "98101",
        "birthday": "1984-04-15",
    },
)

FILLER = tuple(
    {
        "record_id": f"f-{n}",
        "source": "google_csv",
        "given_name": g,
        "family_name": f,
        "emails": [f"{g.lower()}@example.org"],
    }
    for n, (g, f) in enumerate(
        [("Maria", "Garcia"), ("Wei", "Zhang"), ("Olu", "Adeyemi"), ("Anna", "Lindqvist")]
    )
)


def test_bob_robert_rob_kowalski_across_phone_linkedin_and_alumni_is_one_person():
    result = resolve(records(*KOWALSKI, *FILLER))
    assert same(result, "vc-1", "li-1", "al-1")
    person = result.people.filter(pl.col("record_ids").list.contains("li-1")).row(0, named=True)
    assert sorted(person["record_ids"]) == ["al-1", "li-1", "vc-1"]
    assert person["phones"] == ["+12065550142"]
    assert person["emails"] == ["bob.kowalski@example.com"]
    assert person["linkedin_url"] == "https://www.linkedin.com/in/robert-kowalski-4a1b"
    assert result.people.height == 1 + len(FILLER)
    # The store writes people in this order, relying on it being person-id order.
    assert result.people["person_id"].is_sorted()


def test_two_john_smiths_at_different_companies_stay_two_people():
    result = resolve(
        records(
            {
                "record_id": "a",
                "source": "google_csv",
                "given_name": "John",
                "family_name": "Smith",
                "organization": "Initech",
                "emails": ["john.smith@initech.example.com"],
                "phones": ["+14155550101"],
            },
            {
                "record_id": "b",
                "source": "linkedin",
                "given_name": "John",
                "family_name": "Smith",
                "organization": "Globex",
                "linkedin_url": "https://www.linkedin.com/in/jsmith-globex",
            },
            *FILLER,
        )
    )
    assert not same(result, "a", "b")


def test_spouses_sharing_an_email_stay_two_people_and_the_reason_is_recorded():
    result = resolve(
        records(
            {
                "record_id": "h1",
                "source": "vcard",
                "given_name": "Anna",
                "family_name": "Nowak",
                "emails": ["nowak.family@example.com"],
            },
            {
                "record_id": "h2",
                "source": "vcard",
                "given_name": "Piotr",
                "family_name": "Nowak",
                "emails": ["nowak.family@example.com"],
            },
            *FILLER,
        )
    )
    assert not same(result, "h1", "h2")
    pair = result.pairs.filter((pl.col("record_a") == "h1") & (pl.col("record_b") == "h2")).row(0, named=True)
    assert pair["probability"] == 0.0
    assert "given names" in pair["override"]
    assert pair["email"] == "shared"


def test_father_and_son_sharing_a_landline_stay_two_people():
    result = resolve(
        records(
            {
                "record_id": "sr",
                "source": "vcard",
                "full_name": "Robert Kowalski Sr.",
                "phones": ["+12065550100"],
                "street": "12 Oak Street",
                "postal_code": "98101",
            },
            {
                "record_id": "jr",
                "source": "alumni",
                "full_name": "Robert Kowalski Jr.",
                "phones": ["+12065550100"],
                "street": "12 Oak St",
                "postal_code": "98101",
                "class_year": 2010,
            },
            *FILLER,
        )
    )
    assert not same(result, "sr", "jr")
    pair = (
        result.pairs.row(0, named=True)
        if result.pairs.height == 1
        else result.pairs.filter(
            pl.col("record_a").is_in(["sr", "jr"]) & pl.col("record_b").is_in(["sr", "jr"])
        ).row(0, named=True)
    )
    assert pair["override"] == "different generations (Sr./Jr.)"


def test_father_and_son_without_suffixes_are_told_apart_by_their_birth_years():
    home = {"phones": ["+12065550100"], "street": "12 Oak Street", "postal_code": "98101"}
    result = resolve(
        records(
            {"record_id": "dad", "source": "vcard", "full_name": "Robert Kowalski", "birthday": "1961-02-03"}
            | home,
            {"record_id": "son", "source": "alumni", "full_name": "Robert Kowalski", "birthday": "1989-07-30"}
            | home,
            {
                "record_id": "son-2",
                "source": "google_csv",
                "full_name": "Rob Kowalski",
                "birthday": "1989-07-30",
            }
            | {"phones": ["+12065550177"]},
            *FILLER,
        )
    )
    assert not same(result, "dad", "son")
    assert same(result, "son", "son-2")
    pair = result.pairs.filter(
        pl.col("record_a").is_in(["dad", "son"]) & pl.col("record_b").is_in(["dad", "son"])
    ).row(0, named=True)
    assert pair["override"] == "birth years or class years a generation apart (a parent and child)"


def test_colleagues_sharing_a_switchboard_stay_two_people():
    result = resolve(
        records(
            {
                "record_id": "c1",
                "source": "outlook_csv",
                "given_name": "Karen",
                "family_name": "Lee",
                "organization": "Hooli",
                "phones": ["+16505550000"],
                "emails": ["karen.lee@hooli.example.com"],
            },
            {
                "record_id": "c2",
                "source": "outlook_csv",
                "given_name": "Marcus",
                "family_name": "Obi",
                "organization": "Hooli",
                "phones": ["+16505550000"],
                "emails": ["marcus.obi@hooli.example.com"],
            },
            *FILLER,
        )
    )
    assert not same(result, "c1", "c2")


def test_different_linkedin_profiles_are_different_people_even_with_same_name_and_employer():
    result = resolve(
        records(
            {
                "record_id": "l1",
                "source": "linkedin",
                "given_name": "Priya",
                "family_name": "Raman",
                "organization": "Acme",
                "linkedin_url": "https://www.linkedin.com/in/priya-raman-1",
            },
            {
                "record_id": "l2",
                "source": "linkedin",
                "given_name": "Priya",
                "family_name": "Raman",
                "organization": "Acme",
                "linkedin_url": "https://www.linkedin.com/in/priya-raman-2",
            },
            *FILLER,
        )
    )
    assert not same(result, "l1", "l2")


def test_shared_strong_key_with_compatible_name_merges():
    result = resolve(
        records(
            {
                "record_id": "g1",
                "source": "google_csv",
                "given_name": "Katherine",
                "family_name": "O'Neil",
                "emails": ["kate.oneil@example.com"],
            },
            {
                "record_id": "v1",
                "source": "vcard",
                "full_name": "Kate ONeil",
                "emails": ["Kate.ONeil@example.com"],
            },
            *FILLER,
        )
    )
    assert same(result, "g1", "v1")


def test_chain_guard_keeps_two_profiles_apart_through_a_weak_middle():
    frame = records(
        {
            "record_id": "A",
            "source": "linkedin",
            "given_name": "John",
            "family_name": "Smith",
            "organization": "Initech",
            "linkedin_url": "https://www.linkedin.com/in/john-smith-a",
            "emails": ["js@example.com"],
        },
        {
            "record_id": "M",
            "source": "vcard",
            "full_name": "J. Smith",
            "emails": ["js@example.com"],
            "phones": ["+13125550199"],
        },
        {
            "record_id": "B",
            "source": "linkedin",
            "given_name": "John",
            "family_name": "Smith",
            "organization": "Globex",
            "linkedin_url": "https://www.linkedin.com/in/john-smith-b",
            "phones": ["+13125550199"],
        },
        *FILLER,
    )
    result = resolve(
        frame,
        decisions=pl.DataFrame(
            {"record_a": ["A", "M"], "record_b": ["M", "B"], "decision": ["same", "same"]}
        ),
    )
    assert not same(result, "A", "B")
    assert same(result, "A", "M")  # the first decision is honoured; the second would join two profiles


def test_decisions_win_and_survive_reruns():
    frame = records(*KOWALSKI, *FILLER)
    first = resolve(frame)
    decisions = pl.DataFrame({"record_a": ["li-1"], "record_b": ["vc-1"], "decision": ["different"]})
    second = resolve(frame, previous=first.assignments, decisions=decisions)
    assert not same(second, "li-1", "vc-1")
    third = resolve(frame, previous=second.assignments, decisions=decisions, model=second.model)
    assert not same(third, "li-1", "vc-1")
    assert third.assignments.equals(second.assignments)
    together = pl.DataFrame({"record_a": ["f-0"], "record_b": ["f-1"], "decision": ["same"]})
    forced = resolve(frame, previous=third.assignments, decisions=pl.concat([decisions, together]))
    assert same(forced, "f-0", "f-1")
    assert not same(forced, "li-1", "vc-1")


def test_person_ids_are_deterministic_and_stable_when_records_are_added():
    frame = records(*KOWALSKI, *FILLER)
    first = resolve(frame)
    again = resolve(frame)
    assert first.assignments.equals(again.assignments)
    kowalski = person_of(first, "vc-1")
    bigger = records(
        *KOWALSKI,
        *FILLER,
        {
            "record_id": "gc-9",
            "source": "google_csv",
            "given_name": "Robert",
            "family_name": "Kowalski",
            "emails": ["bob.kowalski@example.com"],
        },
        {
            "record_id": "new-1",
            "source": "vcard",
            "given_name": "Ines",
            "family_name": "Duarte",
            "phones": ["+351215550123"],
        },
    )
    later = resolve(bigger, previous=first.assignments, model=first.model)
    assert person_of(later, "gc-9") == kowalski
    assert person_of(later, "vc-1") == kowalski
    for rid in ("f-0", "f-1", "f-2", "f-3"):
        assert person_of(later, rid) == person_of(first, rid)
    assert person_of(later, "new-1") not in set(first.assignments["person_id"])
    assert later.stats["settled_records"] == frame.height


def test_split_keeps_the_id_with_the_larger_part():
    frame = records(*KOWALSKI, *FILLER)
    first = resolve(frame)
    pid = person_of(first, "vc-1")
    apart = pl.DataFrame(
        {"record_a": ["li-1", "li-1"], "record_b": ["vc-1", "al-1"], "decision": ["different"] * 2}
    )
    split = resolve(frame, previous=first.assignments, decisions=apart)
    assert person_of(split, "vc-1") == pid == person_of(split, "al-1")
    assert person_of(split, "li-1") != pid


def test_survivorship_prefers_source_priority_then_recency_and_keeps_every_email():
    frame = records(
        {
            "record_id": "li",
            "source": "linkedin",
            "given_name": "Robert",
            "family_name": "Kowalski",
            "organization": "Acme",
            "title": "Staff Engineer",
            "linkedin_url": "https://www.linkedin.com/in/rk",
            "connected_on": "2022-01-01",
            "emails": ["rk@acme.example.com"],
        },
        {
            "record_id": "vc",
            "source": "vcard",
            "given_name": "Bob",
            "family_name": "Kowalski",
            "organization": "Acme Corp",
            "emails": ["bob@example.com", "rk@acme.example.com"],
            "phones": ["+12065550142"],
            "birthday": "--04-15",
            "notes": "Met at PyCon",
        },
        {
            "record_id": "al",
            "source": "alumni",
            "given_name": "Robert",
            "middle_name": "J",
            "family_name": "Kowalski",
            "emails": ["bob@example.com"],
            "phones": ["+12065550142"],
            "birthday": "1984-04-15",
            "class_year": 2006,
            "school": "State University",
            "street": "12 Oak St",
            "city": "Seattle",
            "postal_code": "98101",
        },
        *FILLER,
    )
    settings = DedupeSettings(source_priority=("manual", "vcard", "alumni", "linkedin"))
    result = resolve(frame, settings=settings)
    assert same(result, "li", "vc", "al")
    p = result.people.filter(pl.col("record_ids").list.contains("li")).row(0, named=True)
    assert p["given_name"] == "Bob" and p["middle_name"] is None  # the name comes from one record, as a group
    assert p["organization"] == "Acme Corp" and p["title"] is None  # work fields as a group, from vcard
    assert p["birthday"] == "1984-04-15"  # a full date beats a year-less one
    assert p["emails"] == ["bob@example.com", "rk@acme.example.com"]
    assert p["record_ids"] == ["vc", "al", "li"]
    assert p["notes"] == "Met at PyCon"
    prov = json.loads(p["provenance"])
    assert prov["given_name"] == "vc" and prov["birthday"] == "al" and prov["linkedin_url"] == "li"
    assert prov["street"] == "al" and "department" not in prov


def test_review_holds_the_uncertain_middle_with_reasons():
    frame = records(
        {
            "record_id": "x1",
            "source": "linkedin",
            "given_name": "Dana",
            "family_name": "Whitfield",
            "organization": "Acme",
        },
        {
            "record_id": "x2",
            "source": "alumni",
            "given_name": "Dana",
            "family_name": "Whitfield",
            "class_year": 2001,
        },
        *FILLER,
    )
    strict = DedupeSettings(auto_merge=0.999, name_only_merge=0.999, auto_reject=0.05)
    result = resolve(frame, settings=strict)
    row = result.review.row(0, named=True)
    assert {row["record_a"], row["record_b"]} == {"x1", "x2"}
    assert 0.05 <= row["probability"] < 0.999
    assert any(r.startswith("given exact") for r in row["reasons"])


def test_blocking_never_compares_all_pairs():
    rows = [
        {
            "record_id": f"r{n}",
            "source": "google_csv",
            "given_name": f"Given{chr(65 + n % 26)}{n}",
            "family_name": f"Family{n}",
            "emails": [f"p{n}@example.com"],
        }
        for n in range(400)
    ]
    result = resolve(records(*rows))
    assert result.stats["candidate_pairs"] < 400 * 399 // 2 // 20
    assert result.people.height == 400


def test_explain_lists_levels_weights_and_overrides_with_a_stored_model():
    result = resolve(records(*KOWALSKI, *FILLER))
    model = json.loads(json.dumps(result.model))
    exp = explain(KOWALSKI[0], KOWALSKI[1], model)
    levels = {c.name: c.level for c in exp.comparisons}
    assert levels["given"] == "nickname" and levels["family"] == "exact" and levels["organization"] == "exact"
    assert levels["email"] == "null"
    assert exp.overrides == []
    assert exp.probability > 0.9
    assert exp.total_weight == pytest.approx(
        exp.prior_weight + sum(c.weight for c in exp.comparisons), abs=0.01
    )
    text = exp.to_text()
    assert "nickname" in text and "match probability" in text
    other = dict(KOWALSKI[1], record_id="li-2", linkedin_url="https://www.linkedin.com/in/someone-else")
    apart = explain(KOWALSKI[1], other, model)
    assert apart.probability == 0.0 and apart.overrides == ["different LinkedIn profiles"]
    assert json.loads(json.dumps(apart.to_dict()))["overrides"] == ["different LinkedIn profiles"]


def test_names_only_in_full_name_are_parsed_family_first_and_with_suffixes():
    from pipeline.dedupe.features import build_features

    frame = records(
        {"record_id": "a", "source": "vcard", "full_name": "Smith, John Q."},
        {"record_id": "b", "source": "vcard", "full_name": "Dr. José Müller-Lüdenscheidt Jr."},
    )
    feats = build_features(frame)
    assert feats.select("g", "m_init", "f", "sfx").rows() == [
        ("john", "q", "smith", None),
        ("jose", None, "mullerludenscheidt", "jr"),
    ]


def test_duplicate_record_ids_are_refused():
    from pipeline.errors import UsageError

    with pytest.raises(UsageError, match="unique record ids"):
        resolve(
            records(
                {"record_id": "a", "source": "vcard", "full_name": "A B"},
                {"record_id": "a", "source": "vcard"},
            )
        )


def test_maiden_name_from_the_alumni_directory_links_the_married_name():
    result = resolve(
        records(
            {
                "record_id": "al",
                "source": "alumni",
                "given_name": "Emily",
                "family_name": "Novak",
                "class_year": 2008,
                "organization": "Globex Analytics",
                "extra": '{"maiden_name": "Hartley"}',
            },
            {
                "record_id": "gc",
                "source": "google_csv",
                "given_name": "Emily",
                "family_name": "Hartley",
                "organization": "Globex Analytics Inc.",
                "emails": ["emily.h@example.org"],
            },
            {
                "record_id": "other",
                "source": "google_csv",
                "given_name": "Grace",
                "family_name": "Hartley",
                "organization": "Globex Analytics",
                "emails": ["grace.hartley@example.org"],
            },
            *FILLER,
        )
    )
    assert same(result, "al", "gc")
    assert not same(result, "gc", "other")  # same maiden name and employer, another given name
    pair = result.pairs.filter((pl.col("record_a") == "al") & (pl.col("record_b") == "gc")).row(0, named=True)
    assert pair["family"] == "previous" and pair["organization"] == "exact"


def test_employer_named_on_one_side_and_work_email_domain_on_the_other_corroborate():
    linkedin = {
        "record_id": "li",
        "source": "linkedin",
        "given_name": "Tomasz",
        "family_name": "Wrzosek",
        "organization": "Hooli Labs",
        "linkedin_url": "https://www.linkedin.com/in/tomasz-wrzosek-77",
    }
    vcard = {
        "record_id": "vc",
        "source": "vcard",
        "given_name": "Tomek",
        "family_name": "Wrzosek",
        "emails": ["tomasz.wrzosek@hoolilabs.example.com"],
        "phones": ["+48225550101"],
    }
    colleague = {
        "record_id": "co",
        "source": "vcard",
        "given_name": "Agata",
        "family_name": "Wrzosek",
        "emails": ["agata.wrzosek@hoolilabs.example.com"],
    }
    result = resolve(records(linkedin, vcard, colleague, *FILLER))
    pair = result.pairs.filter((pl.col("record_a") == "li") & (pl.col("record_b") == "vc")).row(0, named=True)
    assert pair["organization"] == "email_domain"
    assert not same(result, "vc", "co") and not same(result, "li", "co")
    why = explain(linkedin, vcard, result.model)
    assert {c.name: c.level for c in why.comparisons}["organization"] == "email_domain"


def test_a_typo_in_a_nickname_behind_a_shared_email_is_not_a_household():
    result = resolve(
        records(
            {
                "record_id": "a",
                "source": "google_csv",
                "given_name": "Dniel",
                "family_name": "Okafor",
                "emails": ["daniel.okafor@example.com"],
            },
            {
                "record_id": "b",
                "source": "vcard",
                "given_name": "Dan",
                "family_name": "Okafor",
                "emails": ["daniel.okafor@example.com"],
                "phones": ["+12125550188"],
            },
            *FILLER,
        )
    )
    assert same(result, "a", "b")
    pair = result.pairs.filter(pl.col("record_a").is_in(["a", "b"]) & pl.col("record_b").is_in(["a", "b"]))
    assert pair["override"].to_list() == [None]


def test_employer_keys_strip_legal_suffixes_only_when_something_is_left():
    from pipeline.dedupe.features import build_features

    frame = records(
        *(
            {"record_id": str(n), "source": "vcard", "organization": org}
            for n, org in enumerate(["Plan A", "Acme Inc.", "Müller GmbH", "AG", "Johnson & Johnson"])
        )
    )
    assert build_features(frame)["org"].to_list() == [
        "plan a",
        "acme",
        "muller",
        "ag",
        "johnson and johnson",
    ]


def test_blocking_pairs_every_record_in_a_block_once_and_skips_oversized_blocks():
    from pipeline.dedupe.blocking import Rule, candidate_pairs
    from pipeline.dedupe.features import build_features

    shared = [{"record_id": f"s{n}", "source": "vcard", "emails": ["team@example.com"]} for n in range(3)]
    crowd = [{"record_id": f"c{n}", "source": "vcard", "phones": ["+15555550100"]} for n in range(5)]
    feats = build_features(records(*shared, *crowd))
    rules = [Rule("email", (("emails",),), 4), Rule("phone", (("phones",),), 4)]
    pairs, per_rule = candidate_pairs(feats, rules)
    assert pairs.select("i", "j").rows() == [(0, 1), (0, 2), (1, 2)]
    assert per_rule == {"email": 3, "phone": 0}


def _kowalczyk_profile(record_id: str, slug: str, employer: str) -> dict:
    return {
        "record_id": record_id,
        "source": "linkedin",
        "given_name": "Robert",
        "family_name": "Kowalczyk",
        "organization": employer,
        "linkedin_url": f"https://www.linkedin.com/in/{slug}",
        "connected_on": "2022-05-01",
    }


BOB_CARD = {
    "record_id": "vc",
    "source": "vcard",
    "given_name": "Bob",
    "family_name": "Kowalczyk",
    "phones": ["+12065550199"],
}


def test_a_name_alone_merges_when_no_file_lists_two_people_under_it():
    result = resolve(records(_kowalczyk_profile("li-1", "robert-kowalczyk-1a", "Initech"), BOB_CARD, *FILLER))
    assert same(result, "li-1", "vc")
    assert result.review.is_empty()


def test_a_name_alone_goes_to_review_when_one_file_lists_two_people_under_it():
    result = resolve(
        records(
            _kowalczyk_profile("li-1", "robert-kowalczyk-1a", "Initech"),
            _kowalczyk_profile("li-2", "rkowalczyk", "Globex"),
            BOB_CARD,
            *FILLER,
        )
    )
    assert not same(result, "li-1", "vc") and not same(result, "li-2", "vc")
    assert not same(result, "li-1", "li-2")
    assert set(result.review["record_a"]) | set(result.review["record_b"]) >= {"vc"}
    reasons = result.review.filter((pl.col("record_a") == "vc") | (pl.col("record_b") == "vc"))["reasons"]
    assert "name only: one file lists 2 people under this name" in reasons[0]


def test_a_files_own_duplicates_count_once_when_judging_a_name():
    # The phone holds the same Robert twice (one mobile on both cards): still one person in that file,
    # so the LinkedIn profile may join them on the name.
    twin = dict(BOB_CARD, record_id="vc-2", given_name="Robert")
    result = resolve(
        records(_kowalczyk_profile("li-1", "robert-kowalczyk-1a", "Initech"), BOB_CARD, twin, *FILLER)
    )
    assert same(result, "vc", "vc-2", "li-1")


def test_name_crowding_counts_distinct_provisional_people_per_file():
    from pipeline.dedupe.crowding import name_crowding
    from pipeline.dedupe.features import build_features

    frame = records(
        _kowalczyk_profile("li-1", "a", "Initech"),
        _kowalczyk_profile("li-2", "b", "Globex"),
        BOB_CARD,
        dict(BOB_CARD, record_id="vc-2"),
        {"record_id": "x", "source": "vcard", "given_name": "Wei", "family_name": "Zhang"},
        {"record_id": "y", "source": "vcard", "given_name": "Cher"},
    )
    listing = frame["source_file"]
    apart = name_crowding(build_features(frame), listing, pl.Series([0, 1, 2, 3, 4, 5], dtype=pl.UInt32))
    # Bob's nickname keys reach Robert: the LinkedIn file's two Roberts crowd the cards too.
    assert apart.to_list() == [2, 2, 2, 2, 1, 0]
    merged = name_crowding(build_features(frame), listing, pl.Series([0, 0, 2, 2, 4, 5], dtype=pl.UInt32))
    assert merged.to_list() == [1, 1, 1, 1, 1, 0]
    # Asked about the second card only: its names are counted, everyone else's are left null.
    only = pl.Series([3], dtype=pl.UInt32)
    asked = name_crowding(
        build_features(frame), listing, pl.Series([0, 1, 2, 3, 4, 5], dtype=pl.UInt32), only
    )
    assert asked.to_list() == [None, None, None, 2, None, None]
