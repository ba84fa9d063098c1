"""Dedupe engine: the rare-case branches behind the fast paths give the same answers as the slow ones.

Blocking sorts (key top bits | record) and falls back to an exact argsort when two keys share
their top bits; survivorship writes provenance from templates with private-use stand-ins and
falls back to plain concatenation when a record id holds one; person ids are hashed in polars
and salted one by one only on a collision.
"""

from __future__ import annotations

import hashlib
import itertools
import json

import numpy as np
import polars as pl
from dedupe_helpers import records

from pipeline.dedupe import resolve
from pipeline.dedupe.blocking import _block_pairs
from pipeline.dedupe.ids import assign_person_ids
from pipeline.dedupe.survivorship import merge_people


def _brute_pairs(rows: np.ndarray, keys: np.ndarray, cap: int) -> set[tuple[int, int]]:
    blocks: dict[int, set[int]] = {}
    for r, k in zip(rows.tolist(), keys.tolist(), strict=True):
        blocks.setdefault(k, set()).add(r)
    return {
        (a, b)
        for members in blocks.values()
        if 2 <= len(members) <= cap
        for a, b in itertools.combinations(sorted(members), 2)
    }


def test_block_pairs_agree_with_brute_force_when_keys_share_their_top_bits():
    rng = np.random.default_rng(3)
    n = 200
    rows = rng.integers(0, n, 600).astype(np.uint64)
    # Keys that differ only in their low bits collide once the record index takes those bits,
    # so this exercises the exact fallback; the second set has distinct top bits (the fast path).
    colliding = (np.uint64(7) << np.uint64(40)) + rng.integers(0, 40, 600).astype(np.uint64)
    distinct = rng.integers(0, 40, 600).astype(np.uint64) << np.uint64(50)
    for keys in (colliding, distinct):
        i, j = _block_pairs(rows, keys, 6, n)
        got = list(zip(i.tolist(), j.tolist(), strict=True))
        assert len(got) == len(set(got))  # every pair once
        assert set(got) == _brute_pairs(rows, keys, 6)


def test_provenance_is_right_when_a_record_id_holds_a_stand_in_character():
    odd = "vc-\U000f0001-2"
    frame = records(
        {
            "record_id": odd,
            "source": "vcard",
            "given_name": "Bob",
            "family_name": "Kowalski",
            "organization": "Acme",
            "emails": ["bob.kowalski@example.com"],
        },
        {
            "record_id": 'li-"1"',
            "source": "linkedin",
            "given_name": "Robert",
            "family_name": "Kowalski",
            "linkedin_url": "https://www.linkedin.com/in/rk",
        },
        {"record_id": "al-1", "source": "alumni", "given_name": "Ines", "family_name": "Duarte"},
    )
    person = pl.Series(["p1", "p1", "p2"])
    people = merge_people(frame, person, ["vcard", "alumni", "linkedin"])
    assert people["person_id"].to_list() == ["p1", "p2"]
    merged = json.loads(people["provenance"][0])
    assert merged["given_name"] == odd and merged["organization"] == odd
    assert merged["linkedin_url"] == 'li-"1"' and "street" not in merged
    assert json.loads(people["provenance"][1]) == {"given_name": "al-1", "family_name": "al-1"}


def test_provenance_keys_follow_the_field_order_for_one_and_many_record_people():
    frame = records(
        {"record_id": "a", "source": "vcard", "given_name": "Ann", "family_name": "Lee", "city": "Oslo"},
        {"record_id": "b", "source": "vcard", "given_name": "Ann", "family_name": "Lee", "nickname": "Annie"},
        {"record_id": "c", "source": "alumni", "given_name": "Ola", "family_name": "Berg", "nickname": "O"},
    )
    people = merge_people(frame, pl.Series(["p1", "p1", "p2"]), ["vcard", "alumni"])
    # Several records: group fields first (name, work, address, education), then single fields.
    assert list(json.loads(people["provenance"][0])) == ["given_name", "family_name", "city", "nickname"]
    # One record: the person-field order.
    assert list(json.loads(people["provenance"][1])) == ["given_name", "family_name", "nickname"]


def test_a_new_person_id_that_collides_with_an_earlier_one_is_salted():
    ids = pl.Series(["r1", "r2", "r3"])
    labels = pl.Series([0, 1, 1], dtype=pl.UInt32)
    taken = "p" + hashlib.sha1(b"r1").hexdigest()[:12]
    # A record no longer present once carried the id that r1's new person would get.
    previous = pl.DataFrame({"record_id": ["gone"], "person_id": [taken]})
    out = assign_person_ids(ids, labels, previous).to_list()
    assert out[0] == "p" + hashlib.sha1(b"r1#1").hexdigest()[:12]
    assert out[1] == out[2] == "p" + hashlib.sha1(b"r2").hexdigest()[:12]


def test_person_ids_are_sha1_of_the_smallest_record_id():
    frame = records(
        {
            "record_id": "b-2",
            "source": "vcard",
            "given_name": "Ann",
            "family_name": "Lee",
            "emails": ["a@example.com"],
        },
        {
            "record_id": "a-1",
            "source": "vcard",
            "given_name": "Ann",
            "family_name": "Lee",
            "emails": ["a@example.com"],
        },
    )
    result = resolve(frame)
    expected = "p" + hashlib.sha1(b"a-1").hexdigest()[:12]
    assert result.assignments["person_id"].to_list() == [expected, expected]
