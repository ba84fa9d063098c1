"""Small workspaces for bench/dedupe.py: 10 to 500 records, several seeds, each resolved on its own.

A job seeker's or a small society's workspace holds hundreds of records, not millions: too few
pairs for EM to learn from, and namesakes are common. Each scenario is the contact generator
(bench/contacts_gen.py) at that size and seed, plus namesake groups: two to four different
people with one common name, each with an e-mail and an employer of their own (``Zoe Ivanova``,
``zoe.ivanova1@example.org``, ``Firm 1`` / ``…2@…``, ``Firm 2`` …), one row each in the
same Google export — and in half of the groups one of them also on a phone card with the same
e-mail (a true duplicate that must merge).

``scenarios()`` returns (records, truth) for all of them; truth has ``scenario`` besides
``record_id`` and ``true_person``, and bench/dedupe.py resolves each scenario separately and
pools the pairs. Deterministic; ``VERSION`` names the recipe.
"""

from __future__ import annotations

import random

import polars as pl

from bench.contacts_gen import FAMILY_TOP, GIVEN_F, GIVEN_M, ORG_KIND, generate

VERSION = 1
SIZES = (10, 30, 100, 300, 500)
SEEDS = (1, 2, 3)


def _namesakes(n: int, rng: random.Random) -> tuple[list[dict], list[str]]:
    """Namesake groups sized for an ``n``-record workspace: rows and their people."""
    rows: list[dict] = []
    people: list[str] = []
    for group in range(max(1, n // 60)):
        given = rng.choice(GIVEN_F[:20] + GIVEN_M[:20])
        family = rng.choice(FAMILY_TOP[:30])
        local = f"{given}.{family}".lower()
        members = rng.randrange(2, 5)
        for k in range(1, members + 1):
            person = f"ns{group}-{k}"
            row = {
                "given_name": given,
                "family_name": family,
                "full_name": f"{given} {family}",
                "emails": [f"{local}{k}@example.org"],
                "phones": [],
                "organization": f"Firm {k}" if group % 2 == 0 else f"{family} {rng.choice(ORG_KIND)} {k}",
                "source_file": "google.csv",
                "source": "google_csv",
            }
            rows.append(row)
            people.append(person)
        if group % 2 == 0:  # the first of them again, on a phone card: one person, two records
            card = {**rows[-members], "source_file": "phone.vcf", "source": "vcard", "organization": None}
            card["phones"] = [f"+1206555{rng.randrange(10000):04d}"]
            rows.append(card)
            people.append(people[-members])
    return rows, people


def scenario(n: int, seed: int) -> tuple[pl.DataFrame, pl.DataFrame]:
    """One workspace of ``n`` records: generator records plus namesake groups, with truth."""
    from pipeline.schema import CANONICAL, conform

    rng = random.Random(seed * 1000 + n)
    rows, people = _namesakes(n, rng)
    base, truth = generate(max(n - len(rows), 2), seed)
    name = f"s{n}-{seed}"
    extra = conform(
        pl.DataFrame(
            {
                **{c: [r.get(c) for r in rows] for c in CANONICAL if c not in ("record_id", "source_ref")},
                "record_id": [f"{name}-n{i}" for i in range(len(rows))],
                "source_ref": [f"row {i + 2}" for i in range(len(rows))],
            },
            schema_overrides=CANONICAL,
            strict=False,
        )
    )
    base = base.with_columns((f"{name}-" + pl.col("record_id")).alias("record_id"))
    records = pl.concat([base, extra.select(base.columns)])
    truth = pl.DataFrame(
        {
            "record_id": records["record_id"],
            "true_person": [f"{name}:{p}" for p in [*truth["true_person"].cast(pl.String), *people]],
            "scenario": name,
        }
    )
    return records, truth


def scenarios() -> tuple[pl.DataFrame, pl.DataFrame]:
    """Every size × seed scenario, concatenated (resolve them one by one: see the module docstring)."""
    made = [scenario(n, seed) for n in SIZES for seed in SEEDS]
    return pl.concat([r for r, _ in made]), pl.concat([t for _, t in made])
