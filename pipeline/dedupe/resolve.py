"""resolve(): canonical records → people. The orchestration of the dedupe engine.

Flow: :mod:`.features` → :mod:`.blocking` → :mod:`.compare` → :mod:`.model` (fit, or reuse a
stored model) → score and hard-evidence overrides → user decisions → :mod:`.cluster` (with
the weak-chain guard) → :mod:`.ids` → :mod:`.survivorship`. Pure functions over polars
frames: no store, no CLI, no printing.

Incremental runs: records listed in ``previous`` are *settled*. Their pairs are not
compared again; they stay with their previous person unless a new record links two people,
or a user decision says otherwise. A settled person touched by a "different" decision is
re-examined from scratch. To have a changed record re-examined, leave it out of
``previous``.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import polars as pl

from pipeline.dedupe.blocking import candidate_pairs, default_rules, rule_names, unique_pairs
from pipeline.dedupe.cluster import cluster, components
from pipeline.dedupe.compare import COMPARISONS, OVERRIDES, compare, given_names_agree, has_generation
from pipeline.dedupe.crowding import name_crowding
from pipeline.dedupe.features import build_features
from pipeline.dedupe.identity import identity_pairs
from pipeline.dedupe.ids import assign_person_ids
from pipeline.dedupe.memory import nulls_as_constants, release_freed_memory
from pipeline.dedupe.model import (
    comparison_weights,
    estimate_lambda,
    fit,
    match_weight,
    prior_weight,
    refine,
    tf_arrays,
)
from pipeline.dedupe.survivorship import merge_people
from pipeline.errors import UsageError

#: The steps of a dedupe a progress display names, in order (``read`` and ``write`` are the store's).
STAGES = ("read", "block", "compare", "score", "cluster", "write")
#: ``progress(stage, detail)``: a stage of :data:`STAGES` starts; ``detail`` says how much it has.
StageProgress = Callable[[str, str], None]


def _silent(_stage: str, _detail: str) -> None:
    return None


DEFAULT_SOURCE_PRIORITY = ("manual", "alumni", "vcard", "google_csv", "outlook_csv", "linkedin")
DECISION_PRIORITY = 1e9
IDENTITY_PRIORITY = 1e8
SETTLED_PRIORITY = 1e6


@dataclass(frozen=True)
class DedupeSettings:
    """How sure is sure. Defaults need no tuning; ``kith.toml`` may override them."""

    #: Pairs at or above this match probability merge without asking.
    auto_merge: float = 0.9
    #: Pairs below this are treated as different people and never shown for review.
    auto_reject: float = 0.3
    #: Survivorship: values from earlier sources win (see :mod:`.survivorship`).
    source_priority: tuple[str, ...] = DEFAULT_SOURCE_PRIORITY
    #: Evidence against (sum of negative log2 Bayes factors) at which two records cannot share a person
    #: (when the pair also scores under ``auto_reject``).
    conflict_bits: float = 9.0
    #: Components up to this size get every unscored pair checked by the chain guard.
    chain_check_size: int = 60
    #: Whether agreeing names may merge without asking when nothing else agrees *and* something
    #: disagrees (another employer, another phone). A name is not an identifier: by default such
    #: pairs go to review however likely the model finds them.
    merge_on_name_against_evidence: bool = False
    #: Records that agree on the name and nothing else (nothing disagrees either) merge without
    #: asking only at this probability; below it they go to review.
    name_only_merge: float = 0.8
    #: Seed of the random pairs the u probabilities are estimated from.
    seed: int = 20240611


@dataclass
class DedupeResult:
    """What :func:`resolve` returns (see DESIGN.md "People")."""

    assignments: pl.DataFrame  # record_id, person_id: one row per record, in the records' order
    people: pl.DataFrame
    review: pl.DataFrame
    pairs: pl.DataFrame
    model: dict
    stats: dict = field(default_factory=dict)


def _index(records: pl.DataFrame, frame: pl.DataFrame, a: str, b: str) -> pl.DataFrame:
    ids = records.select(pl.col("record_id").cast(pl.String)).with_row_index("idx")
    out = frame.join(ids.rename({"record_id": a, "idx": "ia"}), on=a).join(
        ids.rename({"record_id": b, "idx": "ib"}), on=b
    )
    return out.filter(pl.col("ia") != pl.col("ib")).with_columns(
        pl.min_horizontal("ia", "ib").alias("i"), pl.max_horizontal("ia", "ib").alias("j")
    )


def score_pairs(feats: pl.DataFrame, pairs: pl.DataFrame, model: dict) -> pl.DataFrame:
    """Compare and score ``pairs`` (i, j, …): levels, ``w_*``, weight, probability, override, against."""
    levels = compare(feats, pairs, model.get("spellings"))
    return _scored(levels, model, tf_arrays(model, feats))


def _scored(levels: pl.DataFrame, model: dict, tf: dict[str, pl.Series]) -> pl.DataFrame:
    return _with_probability(_weighed(levels, model, tf), model)


def _weighed(levels: pl.DataFrame, model: dict, tf: dict[str, pl.Series]) -> pl.DataFrame:
    """Levels plus ``w_*``, ``weight`` (without the prior), ``against`` and ``override``."""
    weights = comparison_weights(levels, model, tf)
    wcols = weights.columns
    out = pl.concat(
        [
            levels.select("i", "j", *(c for c in levels.columns if c in ("rule",)), *COMPARISONS, *OVERRIDES),
            weights,
        ],
        how="horizontal",
    )
    # The first flag that fired, as a code gathered from the reasons: a literal string per row would
    # materialise a string column per flag (hundreds of MiB at millions of pairs) to keep a few.
    code = pl.coalesce([pl.when(pl.col(f)).then(pl.lit(k, pl.UInt32)) for k, f in enumerate(OVERRIDES)])
    override = pl.lit(pl.Series(list(OVERRIDES.values()), dtype=pl.String)).gather(code)
    return out.with_columns(
        pl.sum_horizontal(wcols).alias("weight"),
        pl.sum_horizontal([pl.min_horizontal(pl.col(c), pl.lit(0.0)) for c in wcols]).alias("against"),
        override.alias("override"),
    )


def _with_probability(weighed: pl.DataFrame, model: dict) -> pl.DataFrame:
    total = pl.col("weight") + prior_weight(model)
    return weighed.with_columns(
        pl.when(pl.col("override").is_not_null())
        .then(0.0)
        .otherwise(1.0 / (1.0 + 2.0 ** (-total)))
        .alias("probability")
    )


class _Laps:
    """Seconds per step, taken after handing the step's freed memory back to the system."""

    def __init__(self, progress: StageProgress | None = None, first: str = "", detail: str = "") -> None:
        self.timings: dict[str, float] = {}
        self._progress = progress or _silent
        if first:
            self._progress(first, detail)
        self._clock = time.perf_counter()

    def __call__(self, name: str, starts: str = "", detail: str = "") -> None:
        """``name`` is done; with ``starts``, tell the progress display that stage begins."""
        release_freed_memory()  # each step's temporaries are gone: don't stack the next peak on them
        now = time.perf_counter()
        self.timings[name] = round(now - self._clock, 3)
        if starts:
            self._progress(starts, detail)
        self._clock = time.perf_counter()


@dataclass
class _Incremental:
    """What the previous run and the user's decisions say, by record index.

    ``prev``: i, record_id, person_id (null for a new record), or None on a first run;
    ``active``: per record, whether it is re-examined (None: all are); ``dirty_pairs``: every
    pair inside a settled person a "different" decision splits; ``decisions``: i, j, decision.
    """

    prev: pl.DataFrame | None
    active: pl.Series | None
    dirty_pairs: pl.DataFrame
    decisions: pl.DataFrame


def resolve(
    records: pl.DataFrame,
    *,
    previous: pl.DataFrame | None = None,
    decisions: pl.DataFrame | None = None,
    settings: DedupeSettings | None = None,
    model: dict | None = None,
    progress: StageProgress | None = None,
    settle: bool = True,
    pairs: pl.DataFrame | None = None,
    keep_keys: Callable | None = None,
    keep_pairs: bool = True,
) -> DedupeResult:
    """Resolve canonical records into people (see the module docstring and docs/dedupe.md).

    ``previous``: record_id, person_id from the last run. ``decisions``: record_a, record_b,
    decision ("same" / "different"); they always win. ``model``: a model from an earlier
    run to reuse instead of fitting a new one. ``progress`` hears :data:`STAGES` block to cluster start.
    ``settle=False``: a full resolve — every record is examined and ``previous`` only hands out
    the ids. ``pairs`` (i, j, rule: record indexes and a rule code): blocking's pairs, found
    elsewhere (an incremental run's key index), instead of blocking these records. ``keep_keys``:
    handed to :func:`.blocking.candidate_pairs` (the key index of a full run). ``keep_pairs=False``:
    ``result.pairs`` comes back empty (a caller that only stores people saves their memory).
    """
    settings = settings or DedupeSettings()
    n = records.height
    lap = _Laps(progress, "block", f"{n:,} records")
    release_freed_memory()  # what reading the records left behind
    if records["record_id"].n_unique() != n:
        raise UsageError("dedupe needs unique record ids, but some record_id appears more than once")
    # The features come out as one contiguous chunk per column (gathers over a frame read from parquet
    # in row groups are several times slower, and every later step gathers). The records themselves are
    # not copied into one chunk — that copy would be held all run; the few gathers from them rechunk
    # the column they need.
    feats = nulls_as_constants(build_features(records).rechunk())
    lap("features")

    incremental = _incremental(records, previous if settle else None, decisions)
    rules = default_rules()
    pairs, per_rule = _candidates(feats, rules, incremental, pairs, keep_keys)
    lap("blocking", "compare", f"{pairs.height:,} candidate pairs")

    levels = compare(feats, pairs, None if model is None else model.get("spellings"))
    lap("compare", "score", f"{pairs.height:,} pairs")
    weighed, model = _weighed_by_model(feats, levels, model, settings)
    lap("model")
    scored = _with_probability(weighed, model)
    del levels, weighed
    scored = _decided(scored, incremental.decisions)
    lap("score", "cluster", f"{n:,} records")

    labels, crowd, n_accepted, n_checked = _clusters(feats, records, scored, incremental, model, settings)
    # The features are the largest frame alive; nothing after clustering needs them.
    del feats
    lap("cluster")

    person = assign_person_ids(records["record_id"].cast(pl.String), labels, previous)
    assignments = pl.DataFrame({"record_id": records["record_id"].cast(pl.String), "person_id": person})
    lap("ids")
    scored = scored.with_columns(
        pl.when(_name_only())
        .then(pl.max_horizontal(crowd.gather(scored["i"]), crowd.gather(scored["j"])))
        .otherwise(0)
        .cast(pl.UInt32)
        .alias("name_crowding")
    )
    out_pairs = _public_pairs(scored, records, person, [*rule_names(rules), "decision_or_recheck"])
    review = _review(out_pairs, settings)
    if not keep_pairs:  # hundreds of MiB at a million records: gone before survivorship's peak
        out_pairs = out_pairs.clear()
    n_pairs = pairs.height
    del scored, pairs  # before survivorship builds the people frame
    lap("review")
    people = merge_people(records, person, list(settings.source_priority), labels)
    lap("survivorship")
    active = incremental.active
    counts = (n, people.height, n_pairs, n_accepted, review.height, n_checked)
    settled = 0 if active is None else int((~active).sum())
    stats = _stats(*counts, settled, per_rule=per_rule, timings=lap.timings)
    return DedupeResult(assignments, people, review, out_pairs, model, stats)


def _stats(*counts: int, per_rule: dict, timings: dict) -> dict:
    names = ("records", "people", "candidate_pairs", "auto_merged_pairs", "review_pairs")
    names += ("chain_checked_pairs", "settled_records")
    return {**dict(zip(names, counts, strict=True)), "pairs_by_rule": per_rule, "timings": timings}


def _incremental(
    records: pl.DataFrame, previous: pl.DataFrame | None, decisions: pl.DataFrame | None
) -> _Incremental:
    """Settled records (incremental runs) and user decisions, by record index."""
    prev = None
    active = None
    dirty_pairs = pl.DataFrame(schema={"i": pl.UInt32, "j": pl.UInt32})
    dec = pl.DataFrame(schema={"i": pl.UInt32, "j": pl.UInt32, "decision": pl.String})
    if decisions is not None and decisions.height:
        dec = (
            _index(
                records,
                decisions.select(pl.col("record_a", "record_b").cast(pl.String), "decision"),
                "record_a",
                "record_b",
            )
            .select(pl.col("i", "j").cast(pl.UInt32), "decision")
            .unique(["i", "j"], keep="last", maintain_order=True)
        )
    if previous is not None and previous.height:
        prev = (
            records.select(pl.col("record_id").cast(pl.String))
            .with_row_index("i")
            .join(
                previous.select(pl.col("record_id", "person_id").cast(pl.String)).unique(
                    "record_id", keep="first"
                ),
                on="record_id",
                how="left",
                maintain_order="left",
            )
        )
        pid = prev["person_id"]
        apart = dec.filter(pl.col("decision") == "different")
        dirty = pl.Series(
            [
                a
                for a, b in zip(pid.gather(apart["i"]), pid.gather(apart["j"]), strict=True)
                if a is not None and a == b
            ],
            dtype=pl.String,
        )
        unsettled = prev.filter(pl.col("person_id").is_null() | pl.col("person_id").is_in(dirty.implode()))
        active = prev["i"].is_in(unsettled["i"].implode())
        in_dirty = prev.filter(pl.col("person_id").is_in(dirty.implode())).select("i", "person_id")
        dirty_pairs = (
            in_dirty.join(in_dirty, on="person_id", suffix="_b")
            .filter(pl.col("i") < pl.col("i_b"))
            .select(pl.col("i").cast(pl.UInt32), pl.col("i_b").cast(pl.UInt32).alias("j"))
        )
    return _Incremental(prev, active, dirty_pairs, dec)


def _candidates(
    feats: pl.DataFrame,
    rules: list,
    incremental: _Incremental,
    found: pl.DataFrame | None = None,
    keep_keys: Callable | None = None,
) -> tuple[pl.DataFrame, dict]:
    """Blocking's candidate pairs (or ``found``'s), plus every pair a decision or a split settled
    person names."""
    if found is None:
        pairs, per_rule = candidate_pairs(feats, rules, incremental.active, keep_keys)
    else:
        i, j = found["i"].to_numpy().astype("uint64"), found["j"].to_numpy().astype("uint64")
        lo, hi = (i < j) * i + (i >= j) * j, (i < j) * j + (i >= j) * i
        code = found["rule"].to_numpy().astype("uint8")
        pairs, per_rule = unique_pairs(feats, rules, None, [lo], [hi], [code])
    extra = pl.concat([incremental.dirty_pairs, incremental.decisions.select("i", "j")]).with_columns(
        pl.lit(len(rules), dtype=pl.UInt8).alias("rule")
    )
    if extra.height:
        pairs = pl.concat([pairs, extra]).unique(["i", "j"], keep="first", maintain_order=True)
    return pairs, per_rule


def _weighed_by_model(
    feats: pl.DataFrame, levels: pl.DataFrame, model: dict | None, settings: DedupeSettings
) -> tuple[pl.DataFrame, dict]:
    """The pairs weighed by the given model, or by one fitted here (fit, then a second look)."""
    if model is not None:
        return _weighed(levels, model, tf_arrays(model, feats)), model
    n = feats.height
    all_pairs = max(n * (n - 1) / 2, 1.0)
    model = fit(feats, levels, seed=settings.seed)
    # Second look: count value frequencies over provisional people, not records.
    first = match_weight(levels, model, tf_arrays(model, feats))
    model["lambda"] = estimate_lambda(first, n, model["lambda"])
    sure = (first + prior_weight(model)) >= math.log2(settings.auto_merge / (1 - settings.auto_merge))
    sure = sure & ~levels.select(pl.any_horizontal(*OVERRIDES)).to_series()
    provisional = components(n, levels.select("i", "j").filter(sure))
    model = refine(model, feats, provisional)
    weighed = _weighed(levels, model, tf_arrays(model, feats))
    model["lambda"] = estimate_lambda(weighed["weight"], n, max(int(sure.sum()), 1) / all_pairs)
    return weighed, model


def _decided(scored: pl.DataFrame, dec: pl.DataFrame) -> pl.DataFrame:
    """User decisions win: a "same" pair has probability 1, a "different" one 0 (``decision`` column)."""
    # (No decisions: no join, which would copy every scored pair.)
    return (
        scored.join(dec, on=["i", "j"], how="left")
        if dec.height
        else scored.with_columns(pl.lit(None, dtype=pl.String).alias("decision"))
    ).with_columns(
        pl.when(pl.col("decision") == "same")
        .then(1.0)
        .when(pl.col("decision") == "different")
        .then(0.0)
        .otherwise(pl.col("probability"))
        .alias("probability")
    )


def _clusters(
    feats: pl.DataFrame,
    records: pl.DataFrame,
    scored: pl.DataFrame,
    incremental: _Incremental,
    model: dict,
    settings: DedupeSettings,
) -> tuple[pl.Series, pl.Series, int, int]:
    """Clustering with the chain guard: (label per record, name crowding per record, merged pairs,
    chain-checked pairs)."""
    n = feats.height
    strong = _strong_edges(scored, settings)
    settled_parts = _settled_edges(incremental)
    # One file's own entries (a shared source id, exact duplicate rows): firm before any score.
    same_entry = identity_pairs(records).select("i", "j", pl.lit(IDENTITY_PRIORITY).alias("priority"))
    settled_parts.append(same_entry)
    name_only, crowd = _name_only_edges(feats, records, scored, [strong, *settled_parts], settings)
    accepted = pl.concat([strong, name_only], how="vertical_relaxed")
    edge_parts = [accepted, *settled_parts]
    edges = pl.concat([e.cast({"i": pl.UInt32, "j": pl.UInt32, "priority": pl.Float64}) for e in edge_parts])
    cannot = _against(scored, settings).select("i", "j", _names_only(settings, model))
    checked = _chain_pairs(n, edges, scored, settings)
    if checked.height:
        rechecked = _against(score_pairs(feats, checked, model), settings)
        soft = _names_only(settings, model, decisions=False)
        cannot = pl.concat([cannot, rechecked.select("i", "j", soft)])
    labels = cluster(n, edges, cannot, given_names_agree(feats))
    return labels, crowd, accepted.height, checked.height


def _strong_edges(scored: pl.DataFrame, settings: DedupeSettings) -> pl.DataFrame:
    """Pairs decided "same", and undecided ones at ``auto_merge`` that rest on more than the name."""
    undecided = pl.col("decision").is_null() & pl.col("override").is_null()
    # Names plus something else: merge at auto_merge. Names alone: only at name_only_merge, and
    # only when no listing holds two people under either name (see .crowding).
    supported = pl.lit(True) if settings.merge_on_name_against_evidence else _agrees_besides_name()
    return scored.filter(
        (pl.col("decision") == "same")
        | (undecided & (pl.col("probability") >= settings.auto_merge) & supported)
    ).select(
        "i",
        "j",
        pl.when(pl.col("decision") == "same")
        .then(DECISION_PRIORITY)
        .otherwise(pl.col("weight"))
        .alias("priority"),
    )


def _settled_edges(incremental: _Incremental) -> list[pl.DataFrame]:
    """Each settled person as a star of edges from its first record (none on a first run)."""
    prev = incremental.prev
    if prev is None:
        return []
    settled = prev.filter(pl.col("person_id").is_not_null() & ~pl.lit(incremental.active))
    hub = settled.group_by("person_id").agg(pl.col("i").min().alias("hub"))
    return [
        settled.join(hub, on="person_id")
        .filter(pl.col("i") != pl.col("hub"))
        .select(pl.col("hub").alias("i"), pl.col("i").alias("j"), pl.lit(SETTLED_PRIORITY).alias("priority"))
    ]


def _name_only_edges(
    feats: pl.DataFrame,
    records: pl.DataFrame,
    scored: pl.DataFrame,
    firm_parts: list[pl.DataFrame],
    settings: DedupeSettings,
) -> tuple[pl.DataFrame, pl.Series]:
    """Name-only pairs that merge (at ``name_only_merge``, names not crowded), and the crowding per record."""
    n = feats.height
    undecided = pl.col("decision").is_null() & pl.col("override").is_null()
    # Name-only pairs worth a look (to merge or to review): their names' crowding is counted over
    # the people the firm edges make so far, so a file's own duplicates count once.
    worth = min(settings.auto_reject, settings.name_only_merge)
    looked_at = scored.filter(undecided & (pl.col("probability") >= worth) & _name_only())
    crowd = pl.zeros(n, dtype=pl.UInt32, eager=True)
    if looked_at.height:
        firm = pl.concat([e.select(pl.col("i", "j").cast(pl.UInt32)) for e in firm_parts])
        among = pl.concat([looked_at["i"], looked_at["j"]]).unique().cast(pl.UInt32)
        crowd = name_crowding(feats, _listing(records), components(n, firm), among).fill_null(0)
    # A Jr./Sr. on one side only names the other generation as often as it is dropped: to review.
    generation = feats.select(has_generation("sfx")).to_series()
    name_only = looked_at.filter(
        (pl.col("probability") >= settings.name_only_merge)
        & (crowd.gather(looked_at["i"]) <= 1)
        & (crowd.gather(looked_at["j"]) <= 1)
        & (generation.gather(looked_at["i"]) == generation.gather(looked_at["j"]))
    ).select("i", "j", pl.col("weight").alias("priority"))
    return name_only, crowd


def _against(scored: pl.DataFrame, settings: DedupeSettings) -> pl.DataFrame:
    """Pairs that may never share a person: decided "different", or an override or strong evidence against.

    (Pairs scored here for the chain guard carry no ``decision`` column: none was taken on them.)
    """
    # Strong evidence against counts only where the rest does not outweigh it (a swapped or replaced
    # name beside the same birth date and address is still one member).
    against = pl.col("against") <= -settings.conflict_bits
    strong_against = against & (pl.col("probability") < settings.auto_reject)
    conflict = pl.col("override").is_not_null() | strong_against
    if "decision" not in scored.columns:
        return scored.filter(conflict)
    return scored.filter((pl.col("decision") == "different") | (pl.col("decision").is_null() & conflict))


def _names_only(settings: DedupeSettings, model: dict, decisions: bool = True) -> pl.Expr:
    """A cannot-link pair that rests only on different given names: ``ov_given`` and no other flag, no
    user decision, and not strong evidence against on its own (see :func:`_against`; the override set its
    probability to 0, so the score is taken again). ``decisions=False``: pairs without a decision column."""
    others = [pl.col(f) for f in OVERRIDES if f != "ov_given"]
    rejected = math.log2(settings.auto_reject / (1 - settings.auto_reject))
    strong_against = (pl.col("against") <= -settings.conflict_bits) & (
        pl.col("weight") + prior_weight(model) < rejected
    )
    soft = pl.col("ov_given") & ~pl.any_horizontal(others) & ~strong_against
    if decisions:
        soft = soft & pl.col("decision").is_null()
    return soft.alias("names")


#: A shared work-mail domain supports a match only when it weighs at least this much (see .model).
DOMAIN_SUPPORT_BITS = 1.0

_OTHERS = [c for c in COMPARISONS if c not in ("given", "family", "middle_initial")]


def _agrees_besides_name() -> pl.Expr:
    """Something besides the name agrees (an employer or its email domain and a city count)."""
    agree = [pl.col(c) == 1 for c in _OTHERS]
    # A work-mail domain many people share (a chapter's, a big employer's) weighs under a bit: no support.
    domain = (pl.col("organization") == 3) & (pl.col("w_organization") >= DOMAIN_SUPPORT_BITS)
    agree += [pl.col("organization") == 2, domain, pl.col("location") == 2, pl.col("birthday") == 2]
    agree.append(pl.col("class_year") == 4)  # a class year that fits the other record's birth year
    return pl.any_horizontal(agree)


def _name_only() -> pl.Expr:
    """Nothing besides the name has a value on both sides: nothing agrees, nothing disagrees."""
    return pl.all_horizontal([pl.col(c) == 0 for c in _OTHERS])


def crowding_records(pairs: pl.DataFrame, settings: DedupeSettings) -> pl.Series:
    """The record ids whose name crowding a resolve counted: both sides of every undecided
    name-only pair worth a look (``pairs``: :attr:`DedupeResult.pairs`)."""
    worth = min(settings.auto_reject, settings.name_only_merge)
    looked_at = pairs.filter(
        pl.col("decision").is_null()
        & pl.col("override").is_null()
        & (pl.col("probability") >= worth)
        & pl.all_horizontal([pl.col(c) == "null" for c in _OTHERS])
    )
    return pl.concat([looked_at["record_a"], looked_at["record_b"]]).unique()


def _listing(records: pl.DataFrame) -> pl.Series:
    """The file each record came from (its source where the file is unknown): one listing."""
    cols = [c for c in ("source_file", "source") if c in records.columns]
    if not cols:
        return pl.Series("listing", ["?"] * records.height)
    listing = pl.coalesce(pl.col(cols).cast(pl.String)).fill_null("?")
    return records.select(listing.alias("listing")).to_series()


def _chain_pairs(n: int, edges: pl.DataFrame, scored: pl.DataFrame, settings: DedupeSettings) -> pl.DataFrame:
    """Pairs inside tentative clusters of 3+ records that were never compared: the chain guard's input."""
    labels = components(n, edges)
    nodes = pl.DataFrame({"i": pl.int_range(0, n, dtype=pl.UInt32, eager=True), "c": labels})
    sizes = nodes.group_by("c").len()
    big = sizes.filter((pl.col("len") >= 3) & (pl.col("len") <= settings.chain_check_size))
    members = nodes.join(big.select("c"), on="c")
    if members.is_empty():
        return pl.DataFrame(schema={"i": pl.UInt32, "j": pl.UInt32})
    allp = members.join(members, on="c", suffix="_b").filter(pl.col("i") < pl.col("i_b"))
    allp = allp.select("i", pl.col("i_b").alias("j"))
    return allp.join(scored.select("i", "j"), on=["i", "j"], how="anti")


def _public_pairs(
    scored: pl.DataFrame, records: pl.DataFrame, person: pl.Series, names: list[str]
) -> pl.DataFrame:
    rid = records["record_id"].cast(pl.String).rechunk()

    # Level and rule names as Enums: one byte per pair instead of a 16-byte string view, which on
    # millions of pairs is hundreds of MiB (they compare equal to plain strings all the same).
    def names_of(codes: pl.Series, labels: list[str]) -> pl.Series:
        return pl.Series(labels, dtype=pl.Enum(labels)).gather(codes)

    level_names = [
        names_of(scored[c].cast(pl.UInt32), ["null", *lv]).alias(c) for c, lv in COMPARISONS.items()
    ]
    return scored.select(
        rid.gather(scored["i"]).alias("record_a"),
        rid.gather(scored["j"]).alias("record_b"),
        person.gather(scored["i"]).alias("person_a"),
        person.gather(scored["j"]).alias("person_b"),
        names_of(scored["rule"].cast(pl.UInt32), names).alias("rule"),
        "probability",
        "weight",
        "override",
        "decision",
        "name_crowding",
        *level_names,
        *(f"w_{c}" for c in COMPARISONS),
    )


def _review(pairs: pl.DataFrame, settings: DedupeSettings) -> pl.DataFrame:
    """Uncertain pairs between two different people, the best pair per two people, most likely first.

    Uncertain: at or above ``auto_reject`` yet not merged — below ``auto_merge``, or likely but
    resting on the name alone, or held apart by the chain guard.
    """
    middle = pairs.filter(
        pl.col("decision").is_null()
        & pl.col("override").is_null()
        & (pl.col("probability") >= settings.auto_reject)
        & (pl.col("person_a") != pl.col("person_b"))
    )
    reasons = pl.concat_list(
        [
            pl.when(pl.col(c) != "null").then(
                pl.format("{} {} ({})", pl.lit(c), pl.col(c), pl.col(f"w_{c}").round(1).cast(pl.String))
            )
            for c in COMPARISONS
        ]
    )
    crowded = pl.when(pl.col("name_crowding") > 1).then(
        pl.format("name only: one file lists {} people under this name", pl.col("name_crowding"))
    )
    reasons = pl.concat_list(reasons, crowded).list.drop_nulls()
    return (
        middle.with_columns(
            pl.min_horizontal("person_a", "person_b").alias("_pa"),
            pl.max_horizontal("person_a", "person_b").alias("_pb"),
        )
        .sort(["probability", "record_a", "record_b"], descending=[True, False, False])
        .unique(["_pa", "_pb"], keep="first", maintain_order=True)
        .select("record_a", "record_b", "probability", reasons.alias("reasons"))
    )
