"""explain(): why two records are (or are not) the same person — for ``kith why A B``.

Runs the very comparisons and weights :func:`pipeline.dedupe.resolve` used, on just the
two records, with a stored model: each comparison's level and log2 Bayes factor, the
prior, the hard-evidence overrides that fired, and the final probability.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field

import polars as pl

from pipeline.dedupe.compare import COMPARISONS, OVERRIDES
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
