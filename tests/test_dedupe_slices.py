"""Dedupe steps that work a slice at a time to bound memory give what the whole frame gives.

Survivorship merges people a slice of people at a time, the identity rule hashes whole rows a
slice of rows at a time, and the store's records are read with their text copied out of each
Arrow batch: with tiny slices the results must equal those of one slice.
"""

from __future__ import annotations

import json

import polars as pl
import pytest

from bench.contacts_gen import generate
from pipeline.dedupe import identity, resolve, survivorship
from pipeline.dedupe.storage import _owned_text
from pipeline.dedupe.survivorship import merge_people


@pytest.fixture(scope="module")
def resolved():
    records, _ = generate(1_500, seed=5)
    result = resolve(records)
    person = result.assignments["person_id"]
    return records, person


def test_people_merged_in_slices_equal_people_merged_at_once(resolved, monkeypatch):
    records, person = resolved
    priority = ["manual", "alumni", "vcard", "google_csv", "outlook_csv", "linkedin"]
    at_once = merge_people(records, person, priority)
    assert at_once.height < records.height  # some people have several records
    assert (at_once["record_ids"].list.len() > 1).sum() > 50
    for size in (1, 7, 100):
        monkeypatch.setattr(survivorship, "PEOPLE_SLICE", size)
        sliced = merge_people(records, person, priority)
        assert sliced.equals(at_once), size
    several = at_once.filter(pl.col("record_ids").list.len() > 1).row(0, named=True)
    assert set(json.loads(several["provenance"]).values()) <= set(several["record_ids"])


def test_identity_rows_hashed_in_slices_give_the_same_pairs(monkeypatch):
    row = {"source": "alumni", "source_file": "a.csv", "given_name": "Ines", "family_name": "Duarte"}
    frame = pl.DataFrame(
        [
            {**row, "record_id": "r1", "city": "Porto"},
            {**row, "record_id": "r2", "city": "Porto"},  # exact duplicate of r1
            {**row, "record_id": "r3", "city": "Braga"},  # same name, other city: another entry
            {**row, "record_id": "r4", "city": "Porto"},
            {**row, "record_id": "r5", "given_name": "Ola", "city": "Porto"},
        ]
    )
    at_once = identity.identity_pairs(frame)
    monkeypatch.setattr(identity, "HASH_SLICE", 1)
    sliced = identity.identity_pairs(frame)
    assert sliced.equals(at_once)
    assert sorted(zip(sliced["i"].to_list(), sliced["j"].to_list(), strict=True)) == [(0, 1), (0, 3)]


def test_owned_text_keeps_values_and_nulls():
    frame = pl.DataFrame(
        {
            "name": ["Ann Lee", None, "a much longer name than twelve bytes"],
            "empty": pl.Series([None, None, None], dtype=pl.String),
            "year": [1990, None, 2001],
        }
    )
    owned = _owned_text(frame)
    assert owned.equals(frame) and owned.schema == frame.schema


def test_owned_text_keeps_a_value_repeated_through_a_slice():
    path = "/exports/2026/members-of-the-example-alumni-association.csv"
    frame = pl.DataFrame({"source_file": [path, None, path, path], "city": ["Porto", "Braga", None, "Porto"]})
    owned = _owned_text(frame)
    assert owned.equals(frame)
    assert owned["source_file"].to_list() == [path, None, path, path]


def test_owned_text_keeps_repeated_file_paths_and_schools_with_their_nulls():
    path = "/exports/2026/members-of-the-example-alumni-association.csv"
    frame = pl.DataFrame(
        {
            "source_file": [path, path, "/exports/phone.vcf", path],
            "school": [None, "Example State University", "Example State University", None],
            "imported_at": ["2026-12-02T10:00:00+00:00"] * 4,
        }
    )
    owned = _owned_text(frame)
    assert owned.equals(frame) and owned.schema == frame.schema
    assert owned["school"].to_list() == [None, "Example State University", "Example State University", None]


def test_ordinal_rank_is_the_stable_arg_sort_rank_with_and_without_ties():
    for values in (["p3", "p1", "p20", "p2"], ["b", "a", "b", "a", "c"], ["x", None, "a"]):
        series = pl.Series(values, dtype=pl.String)
        expected = [0] * len(values)
        for place, row in enumerate(series.arg_sort().to_list()):
            expected[row] = place
        assert survivorship.ordinal_rank(series).to_list() == expected, values
