"""explain(): why two records are (or are not) the same person — for ``kith why A B``.

Runs the very comparisons and weights :func:`pipeline.dedupe.resolve` used, on just the
two records, with a stored model: each comparison's level and log2 Bayes factor, the
prior, the hard-evidence overrides that fired, and the final probability.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field

import polars as pl

from pipeline.dedupe.compare import (
    COMPARISONS,
    GENERATION_YEARS,
    OVERRIDES,
    PARENT_YEARS_MAX,
    given_typo,
    has_generation,
    house_number_typo,
    names_swapped,
)
from pipeline.dedupe.features import build_features
from pipeline.dedupe.identity import identity_rule
from pipeline.dedupe.model import prior_weight
from pipeline.schema import CANONICAL


@dataclass
class Comparison:
    """One field's verdict: its level, and how much that level moves the odds (log2)."""

    name: str
    level: str
    weight: float


@dataclass
class Explanation:
    """Everything behind a pair's match probability."""

    record_a: str
    record_b: str
    comparisons: list[Comparison]
    overrides: list[str]
    prior_weight: float
    total_weight: float
    probability: float
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        """A JSON-serializable view (``kith why --json``)."""
        return asdict(self)

    def to_text(self) -> str:
        """The human-readable form ``kith why`` prints."""
        lines = [
            f"{self.record_a}  vs  {self.record_b}",
            f"  {'prior (1 in N pairs)':<26}{self.prior_weight:+8.2f}",
        ]
        for c in self.comparisons:
            shown = "no data" if c.level == "null" else c.level
            lines.append(f"  {c.name:<16}{shown:<10}{c.weight:+8.2f}")
        lines.append(f"  {'total (log2 odds)':<26}{self.total_weight:+8.2f}")
        for o in self.overrides:
            lines.append(f"  override: {o}")
        lines.extend(f"  note: {n}" for n in self.notes)
        lines.append(f"  match probability {self.probability:.4f}")
        return "\n".join(lines)


def _frame(records: list[dict]) -> pl.DataFrame:
    rows = []
    for r in records:
        row = {}
        for name, dtype in CANONICAL.items():
            value = r.get(name)
            if dtype == pl.List(pl.String) and isinstance(value, str):
                value = [value]
            elif dtype == pl.Date and isinstance(value, str):
                value = dt.date.fromisoformat(value[:10])
            row[name] = value
        rows.append(row)
    return pl.DataFrame(rows, schema=CANONICAL, strict=False)


def explain(record_a: dict, record_b: dict, model: dict) -> Explanation:
    """Compare two canonical records (dicts of canonical fields) under ``model``."""
    from pipeline.dedupe.resolve import score_pairs

    frame = _frame([record_a, record_b])
    feats = build_features(frame)
    pair = pl.DataFrame({"i": [0], "j": [1]}, schema={"i": pl.UInt32, "j": pl.UInt32})
    row = score_pairs(feats, pair, model).row(0, named=True)
    comps = [
        Comparison(c, "null" if row[c] == 0 else levels[row[c] - 1], round(row[f"w_{c}"], 3))
        for c, levels in COMPARISONS.items()
    ]
    overrides = [reason for flag, reason in OVERRIDES.items() if row[flag]]
    prior = prior_weight(model)
    rule = identity_rule(frame)
    notes = [f"rule: {rule}"] if rule else []
    if row["organization"] == COMPARISONS["organization"].index("email_domain") + 1:
        domains = model.get("domains") or {}
        shared = {d for d in feats["dom0"].to_list() if d in domains}
        notes += [
            f"rule: the e-mail domain {d!r} is used by {domains[d]} people, so sharing it weighs little"
            for d in sorted(shared)
        ]
    notes += _given_typo_rule(feats, row, model) + _other_family_rule(feats, row)
    notes += _name_rules(feats, row) + _birth_year_rule(feats, row) + _typo_at_home_rule(feats, row)
    notes += _same_name_at_home_rule(feats, row) + _beyond_parent_rule(feats, row)
    notes += _one_sided_suffix_rule(feats)
    return Explanation(
        record_a=str(record_a.get("record_id")),
        record_b=str(record_b.get("record_id")),
        comparisons=comps,
        overrides=overrides,
        prior_weight=round(prior, 3),
        total_weight=round(prior + row["weight"], 3),
        probability=row["probability"],
        notes=notes,
    )


#: The note :func:`_one_sided_suffix_rule` writes; :func:`decided_by` looks for it.
ONE_SIDED_SUFFIX = "rule: a Jr./Sr. on one side only: a match on the name alone does not merge them"


def _one_sided_suffix_rule(feats: pl.DataFrame) -> list[str]:
    """A generation suffix on one record only (see ``_name_only_edges`` in :mod:`.resolve`)."""
    generation = feats.select(has_generation("sfx")).to_series().to_list()
    return [ONE_SIDED_SUFFIX] if generation[0] != generation[1] else []


def _birth_year_rule(feats: pl.DataFrame, row: dict) -> list[str]:
    """A generation's worth of years between two birth dates that agree on day and month: a year typo."""
    years = [int(b[:4]) if b else None for b in feats["bday"].to_list()]
    close = COMPARISONS["birthday"].index("close") + 1
    if None in years or row["birthday"] != close or abs(years[0] - years[1]) < GENERATION_YEARS:
        return []
    return [
        f"rule: birth years {years[0]} and {years[1]} are a generation apart, but day and month agree: "
        "a year typo, not a parent and child"
    ]


def _same_name_at_home_rule(feats: pl.DataFrame, row: dict) -> list[str]:
    """Birth dates less than a generation apart that no rule rules on: the identical name at one address."""
    different = COMPARISONS["birthday"].index("different") + 1
    years = [int(b[:4]) if b else None for b in feats["bday"].to_list()]
    if row["birthday"] != different or None in years or abs(years[0] - years[1]) >= GENERATION_YEARS:
        return []
    # As compare._same_name_at_home: exact given and family name at one address, no generation suffix.
    if (row["given"], row["family"]) != (1, 1) or not (row["street"] == 1 or _nearly_one_address(feats, row)):
        return []
    if feats.select(has_generation("sfx").any()).item():
        return []
    return [
        "rule: the same full name at one street address with birth dates less than a generation apart is "
        "more often one date keyed in wrong than two namesakes: the score decides"
    ]


def _beyond_parent_rule(feats: pl.DataFrame, row: dict) -> list[str]:
    """Birth years further apart than a parent and child: no generation rule, the score decides."""
    years = [int(b[:4]) if b else None for b in feats["bday"].to_list()]
    different = COMPARISONS["birthday"].index("different") + 1
    if None in years or row["birthday"] != different or abs(years[0] - years[1]) <= PARENT_YEARS_MAX:
        return []
    if row["ov_birthdate"]:  # not at one address: the birth dates still rule
        return []
    return [
        f"rule: birth years {years[0]} and {years[1]} are more than {PARENT_YEARS_MAX} years apart, further "
        "than a parent and child: no generation rule, the score decides"
    ]


def _given_typo_rule(feats: pl.DataFrame, row: dict, model: dict) -> list[str]:
    """A one-off spelling of a given name a keystroke from a common one (``compare._given_typo``)."""
    if row["given"] not in (len(COMPARISONS["given"]) - 1, len(COMPARISONS["given"])):
        return []
    g = feats["g"].to_list()
    spellings = model.get("spellings") or {}
    if not given_typo(g[0], g[1], spellings):
        return []
    one, common = sorted(g, key=lambda x: spellings.get(x, 1))
    return [
        f"rule: given name {one!r} is spelled so on one record only, a keystroke from {common!r} "
        f"({spellings[common]} records): a typo, so neither the household rule nor the birth-date rules "
        "keep them apart"
    ]


def _other_family_rule(feats: pl.DataFrame, row: dict) -> list[str]:
    """Birth dates apart that no rule rules on because the family names differ (``compare._namesakes``)."""
    if (
        row["family"] != len(COMPARISONS["family"])
        or row["birthday"] != COMPARISONS["birthday"].index("different") + 1
    ):
        return []
    return [
        "rule: birth dates tell namesakes apart, but the family names differ, so no birth-date rule "
        "keeps them apart: the score decides"
    ]


def _nearly_one_address(feats: pl.DataFrame, row: dict) -> bool:
    """As ``compare._nearly_one_address``: one street, the house number missing on one side or a keystroke
    off, beside the same postcode or town."""
    streets = feats["street"]
    return (
        row["street"] == 2
        and row["location"] in (1, 2)
        and bool(house_number_typo(streets[:1], streets[1:])[0])
    )


def _typo_at_home_rule(feats: pl.DataFrame, row: dict) -> list[str]:
    """Birth dates apart that no rule rules on, because a name is mistyped at one address."""
    different = COMPARISONS["birthday"].index("different") + 1
    if row["birthday"] != different or row["ov_generation"] or row["ov_birthdate"]:
        return []
    # As compare._typo_at_home: a mistyped name part, the other agreeing or mistyped too.
    home = row["street"] == 1 or row["location"] == 1 or _nearly_one_address(feats, row)
    given_typo = row["given"] in (3, 5) and row["family"] in (1, 2, 3, 5)
    family_typo = row["family"] in (2, 3, 5) and row["given"] in (1, 2, 3, 4, 5)
    if not home or not (given_typo or family_typo):
        return []
    return [
        "rule: different birth dates would keep namesakes at one address apart, but a name mistyped there "
        "says one entry keyed in twice: the score decides"
    ]


def _name_rules(feats: pl.DataFrame, row: dict) -> list[str]:
    """The name rules that shaped the levels: a swapped given/family name, a household rule lifted."""
    notes = []
    g, f = feats["g"].to_list(), feats["f"].to_list()
    fuzzy = COMPARISONS["given"].index("fuzzy") + 1
    if row["given"] == fuzzy and row["family"] == fuzzy and names_swapped(g[0], f[0], g[1], f[1]):
        notes.append("rule: given and family name are swapped on one side, so both count as agreeing (fuzzy)")
    contact = row["email"] == 1 or row["phone"] == 1 or row["linkedin"] == 1
    shared = contact or row["street"] == 1 or row["location"] == 1
    similar, different = len(COMPARISONS["given"]) - 1, len(COMPARISONS["given"])
    household = row["given"] == different or (row["given"] == similar and row["street"] == 1 and not contact)
    if household and shared and row["birthday"] == 1:
        notes.append(
            "rule: different given names behind a shared address or contact point would keep a household "
            "apart, but the same full birth date says the given name was mistyped or replaced: the score "
            "decides"
        )
    return notes


_NAME_PARTS = ("given", "family", "middle_initial")
#: The levels that count as "something besides the name agrees" (as :func:`.resolve._agrees_besides_name`).
_SUPPORT = {
    "organization": ("exact", "fuzzy", "email_domain"),
    "location": ("postal_code", "city"),
    "class_year": ("exact", "birth_year"),
}


def _supported(expl: Explanation) -> bool:
    for c in expl.comparisons:
        if c.name in _NAME_PARTS or c.level == "null":
            continue
        if c.name == "organization" and c.level == "email_domain":
            from pipeline.dedupe.resolve import DOMAIN_SUPPORT_BITS

            if c.weight >= DOMAIN_SUPPORT_BITS:
                return True
        elif c.level in _SUPPORT.get(c.name, ()) or c.level == COMPARISONS[c.name][0]:
            return True
        elif c.name == "birthday" and c.level == "close":
            return True
    return False


def decided_by(
    expl: Explanation, *, same: bool, decision: str | None, settings, reasons: list[str] | None = None
) -> list[str]:
    """The rules that put the pair where it is now (``kith why``): decisions, one-file identity, hard
    evidence, the thresholds, name-only crowding, the chain guard, or a merge through other records.

    ``settings``: the :class:`~pipeline.dedupe.resolve.DedupeSettings` of the run; ``reasons``: the
    pair's reasons in the review queue, when it is there.
    """
    if decision:
        return [f"your decision: {decision}"]
    rules = [n.removeprefix("rule: ") for n in expl.notes if n.startswith("rule: ") and "one file" in n]
    if rules and same:
        return rules
    if expl.overrides and same and expl.overrides == [OVERRIDES["ov_given"]]:
        return [
            "joined through other records of the same person: one of them carries the other given name, "
            "so different given names do not keep these two apart"
        ]
    if expl.overrides:
        return [f"hard evidence keeps them apart: {o}" for o in expl.overrides]
    p = expl.probability
    name_only = all(c.level == "null" for c in expl.comparisons if c.name not in _NAME_PARTS)
    crowded = [r for r in reasons or [] if r.startswith("name only")]
    if same:
        if p >= settings.auto_merge and _supported(expl):
            return [
                f"merged: probability ≥ auto_merge ({settings.auto_merge}) with evidence besides the name"
            ]
        if name_only and p >= settings.name_only_merge:
            return [
                f"merged on the name alone: probability ≥ name_only_merge ({settings.name_only_merge}) "
                "and no file lists two people under the name"
            ]
        return ["joined through other records of the same person (this pair alone would not merge)"]
    if p < settings.auto_reject:
        return [f"probability below auto_reject ({settings.auto_reject}): different people"]
    if name_only:
        if crowded:
            return [f"{crowded[0]}: a name-only match never merges a crowded name (to review)"]
        if ONE_SIDED_SUFFIX in expl.notes:
            return [
                "name only, with a Jr./Sr. on one side only: the other generation as often as not (to review)"
            ]
        if p < settings.name_only_merge:
            return [f"name only, below name_only_merge ({settings.name_only_merge}): to review"]
    elif not _supported(expl) and not settings.merge_on_name_against_evidence:
        against = [c.name for c in expl.comparisons if c.weight < 0 and c.name not in _NAME_PARTS]
        return [
            f"only the name agrees while {', '.join(against) or 'other fields'} disagree: a name is not "
            "an identifier (to review)"
        ]
    if p < settings.auto_merge:
        return [f"probability below auto_merge ({settings.auto_merge}): to review"]
    return [
        "kept apart by the chain guard: a record of one person has strong evidence against a record "
        "of the other, or a decision holds them apart"
    ]
