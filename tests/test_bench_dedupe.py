"""The dedupe benchmark's measure: metrics, data sets, the Splink anchor's input (no network, no Splink)."""

from __future__ import annotations

import json

import polars as pl

from bench import dedupe, febrl, small
from bench.contacts_gen import CHAPTER_DOMAIN, generate_members
from bench.splink_anchor import splink_input


def _labels(mapping: dict[str, str]) -> pl.DataFrame:
    return pl.DataFrame({"record_id": list(mapping), "label": list(mapping.values())})


def test_pair_metrics_count_pairs_not_records():
    truth = pl.DataFrame({"record_id": ["a", "b", "c", "d"], "true_person": ["1", "1", "1", "2"]})
    # a+b together, c alone, d wrongly with them: 1 true pair of 3 found, 2 false pairs made.
    got = dedupe.pair_metrics(truth, _labels({"a": "x", "b": "x", "c": "y", "d": "x"}))
    assert (got["true_pairs"], got["predicted_pairs"]) == (3, 3)
    assert got["precision"] == 1 / 3 and got["recall"] == 1 / 3


def test_blocking_recall_counts_every_candidate_pair_whatever_its_score():
    truth = pl.DataFrame({"record_id": ["a", "b", "c", "d"], "true_person": ["1", "1", "1", "2"]})
    pairs = pl.DataFrame({"record_a": ["a", "b", "a"], "record_b": ["b", "c", "d"]})
    got = dedupe.blocking_recall(truth, pairs)
    assert got["blocking_recall"] == 2 / 3  # a-b and b-c of a-b, a-c, b-c; a-d is no true pair
    assert got["blocking_recall_transitive"] == 1.0  # a-b-c closes to all three


def test_febrl_truth_and_the_bench_key_taken_out_of_extra():
    ids = pl.Series(["rec-12-org", "rec-12-dup-0", "rec-7-dup-3"])
    assert febrl.truth_of(ids).to_list() == ["12", "12", "7"]
    records = pl.DataFrame(
        {
            "extra": [
                '{"febrl_row": "3"}',
                '{"febrl_row": "0", "unparsed_birthday": "19371233"}',
                '{"unparsed_birthday": "19729518","febrl_row":"1"}',
            ]
        }
    )
    stripped, row = febrl._strip_row(records)
    assert row.to_list() == [3, 0, 1]
    assert stripped["extra"].to_list()[0] is None
    assert [json.loads(e) for e in stripped["extra"].to_list()[1:]] == [
        {"unparsed_birthday": "19371233"},
        {"unparsed_birthday": "19729518"},
    ]


def test_member_profile_has_few_emails_mostly_on_the_chapter_domain_and_address_evidence():
    records, truth = generate_members(3000, seed=3)
    assert records.height == truth.height == 3000
    with_email = records.filter(pl.col("emails").list.len() > 0)
    assert with_email.height < 0.4 * records.height  # no e-mail for most members
    domains = with_email["emails"].list.first().str.extract(r"@(.+)$", 1)
    assert (domains == CHAPTER_DOMAIN).mean() > 0.5  # the shared domain dominates
    assert records["street"].is_not_null().mean() > 0.8 and records["postal_code"].is_not_null().mean() > 0.8
    assert (
        records.select(pl.col("birthday").is_not_null() | pl.col("class_year").is_not_null())
        .to_series()
        .all()
    )
    # Many different people write from the one chapter domain: the domain alone says nothing.
    chapter = with_email.with_columns(domains.alias("domain")).filter(pl.col("domain") == CHAPTER_DOMAIN)
    owners = chapter.join(truth, on="record_id")["true_person"].n_unique()
    assert owners > 200
    assert generate_members(3000, seed=3)[0].equals(records)  # deterministic


def test_small_scenarios_hold_namesakes_with_their_own_emails_and_employers():
    records, truth = small.scenario(30, seed=2)
    assert records.height == 30 and records["record_id"].is_unique().all()
    ns = records.with_columns(truth["true_person"]).filter(pl.col("true_person").str.contains(":ns"))
    people = ns.group_by("true_person").agg(
        pl.col("emails").list.explode(keep_nulls=False, empty_as_null=False).unique(),
        pl.col("given_name").first(),
    )
    assert people.height >= 2 and ns["given_name"].n_unique() == 1 and ns["family_name"].n_unique() == 1
    emails = people["emails"].explode()
    assert emails.is_unique().all()  # namesakes never share an e-mail
    # Putting every namesake in one person counts each record pair of two different people.
    merged = dedupe.namesake_merges(truth, truth.select("record_id", pl.lit("one").alias("label")))
    sizes = ns.group_by("true_person").len()["len"]
    assert merged == (sizes.sum() ** 2 - (sizes**2).sum()) // 2


def test_splink_input_gives_every_email_and_one_spelling_of_a_profile():
    records = pl.DataFrame(
        {
            "record_id": ["a", "b", "c"],
            "given_name": ["Bob", "Robert", "José"],
            "given_key": ["robert", "robert", "jose"],
            "family_name": ["O'Neil", "ONeil", "García"],
            "middle_name": ["Quincy", None, None],
            "suffix": ["Jr.", None, None],
            "emails": [["bob@example.com", "b.oneil@example.org"], [], None],
            "phones": [["+12065550100"], None, []],
            "linkedin_url": [
                "https://www.linkedin.com/in/Bob-ONeil-1a2b/",
                "http://linkedin.com/in/bob-oneil-1a2b?trk=x",
                None,
            ],
            "organization": ["Contoso, Inc.", "Contoso", None],
            "class_year": [1999, None, None],
            "street": ["12 Harbour Street", "12 harbour st", None],
            "city": ["Seattle", None, None],
            "postal_code": ["98101", None, None],
            "birthday": ["1977-05-03", "--05-03", None],
        }
    )
    got = splink_input(records)
    assert got["emails"].to_list() == [["bob@example.com", "b.oneil@example.org"], None, None]
    assert got["phones"].to_list() == [["+12065550100"], None, None]
    assert got["linkedin"].to_list() == ["bob-oneil-1a2b", "bob-oneil-1a2b", None]
    assert got["nick_key"].to_list() == ["robert", "robert", "jose"]
    assert got["first_name"].to_list() == ["bob", "robert", "jose"]
    assert got["org"].to_list() == ["contoso", "contoso", None]
    assert got["street"].to_list() == ["12 harbour st", "12 harbour st", None]
    assert got["dob"].to_list() == ["1977-05-03", None, None]  # a year-less birthday is no birth date
    assert got["middle_initial"].to_list() == ["q", None, None]
    assert got["suffix"].to_list() == ["jr", None, None]
