"""The Fellegi–Sunter model: m/u per comparison level, estimated from the data without labels.

Fourth step of :func:`pipeline.dedupe.resolve`. For every comparison level ``l``:

* ``u_l`` = P(level l | two *different* people): from a seeded random sample of record
  pairs (nearly all non-matches), with the "exact" and "shared" levels counted
  analytically from value frequencies, which a sample would miss. Exact name and
  organization agreement is further adjusted per value (term frequency): sharing "Smith"
  says less than sharing "Kowalczyk".
* ``m_l`` = P(level l | the same person): by expectation–maximisation over the candidate
  pairs, in passes so that no comparison is trained on pairs selected by itself — name
  levels on pairs that share an email, phone or profile; contact and context levels on
  pairs that share a name; names and addresses on pairs that share a birth date and postal
  code, where records have no contact points (the way Splink trains per blocking rule).
  Training on same-name pairs for name weights would teach "same name", not "same person".
* ``lambda`` = P(two random records are the same person): the fixed point of "expected
  matches among the candidates / all pairs".

Each estimate is the posterior mean under a Dirichlet prior (:data:`PRIOR_M`,
:data:`PRIOR_U`): on a ten-record address book the priors speak, on a million records the
data does. The fitted model is a plain JSON-serializable dict (stored, and read back by
:mod:`.explain`).
"""

from __future__ import annotations

import math

import polars as pl

from pipeline.dedupe.compare import COMPARISONS, OVERRIDES, TF_CODES, given_spellings
from pipeline.dedupe.features import value_table
from pipeline.threads import helper_threads

#: Prior beliefs, level by level (same order as COMPARISONS), from what contact data looks like.
PRIOR_M: dict[str, tuple[float, ...]] = {
    "given": (0.76, 0.1, 0.05, 0.04, 0.02, 0.03),
    "family": (0.85, 0.04, 0.03, 0.03, 0.02, 0.03),
    "email": (0.6, 0.4),
    "phone": (0.6, 0.4),
    "linkedin": (0.98, 0.02),
    "organization": (0.55, 0.15, 0.1, 0.2),
    "location": (0.6, 0.2, 0.2),
    "street": (0.8, 0.08, 0.12),
    "birthday": (0.85, 0.1, 0.05),
    "class_year": (0.65, 0.08, 0.04, 0.23),
    "middle_initial": (0.9, 0.1),
}
PRIOR_U: dict[str, tuple[float, ...]] = {
    "given": (0.01, 0.003, 0.003, 0.003, 0.03, 0.951),
    "family": (0.001, 0.0005, 0.001, 0.0002, 0.01, 0.9873),
    "email": (1e-5, 1 - 1e-5),
    "phone": (1e-5, 1 - 1e-5),
    "linkedin": (1e-6, 1 - 1e-6),
    "organization": (0.005, 0.005, 0.002, 0.988),
    "location": (0.001, 0.02, 0.979),
    "street": (1e-4, 5e-4, 1 - 6e-4),
    "birthday": (1e-4, 0.003, 0.9969),
    "class_year": (0.03, 0.06, 0.81, 0.1),
    "middle_initial": (0.07, 0.93),
}
M_STRENGTH = 50.0
U_STRENGTH = 1000.0
U_SAMPLE = 100_000
EM_ITERATIONS = 30
#: Fewer training pairs than this in a pass (a small workspace): its comparisons keep the prior m.
MIN_EM_PAIRS = 200
TF_STRENGTH = 100.0

#: comparison → (feature column, level that gets a per-value u).
TF_COLUMNS = {"given": ("g", 1), "family": ("f", 1), "organization": ("org", 1)}
#: Feature columns with term frequencies (their dense codes are ``<col>_id``).
TF_VALUES = tuple(col for col, _level in TF_COLUMNS.values())
#: comparison → (feature column, is a list, "agree" level) counted analytically for u.
EXACT_U = {
    "given": ("g", False, 1),
    "family": ("f", False, 1),
    "email": ("emails", True, 1),
    "phone": ("phones", True, 1),
    "linkedin": ("slug", False, 1),
    "organization": ("org", False, 1),
    "street": ("street", False, 1),
    "birthday": ("bday", False, 1),
    "class_year": ("cyear", False, 1),
    "middle_initial": ("m_init", False, 1),
}
#: The training passes: (pair filter, comparisons that selected the pairs and stay fixed).
PASSES = (
    (
        "contact",
        (pl.col("email") == 1) | (pl.col("phone") == 1) | (pl.col("linkedin") == 1),
        ("email", "phone", "linkedin"),
    ),
    ("name", pl.col("given").is_in([1, 2]) & (pl.col("family") == 1), ("given", "family")),
    # Records without contact points (member lists): the same birth date and postcode select pairs
    # the names did not, so the name levels learn how often one person's name is mistyped or missing.
    ("birth_date_postcode", (pl.col("birthday") == 1) & (pl.col("location") == 1), ("birthday", "location")),
)


def _normalise(values: list[float]) -> list[float]:
    total = sum(values)
    return [v / total for v in values]


def estimate_u(feats: pl.DataFrame, *, seed: int = 20240611) -> dict[str, list[float]]:
    """u per comparison level: a random-pair sample, with exact agreement counted from frequencies."""
    # The exact-agreement counts need nothing from the sample: counted in a second thread meanwhile.
    with helper_threads() as pool:
        exact = pool.submit(_exact_agreements, feats)
        counts = _sampled_level_counts(feats, seed)
        agreement = exact.result()
    u: dict[str, list[float]] = {}
    for c, prior in PRIOR_U.items():
        total = sum(counts[c])
        u[c] = [
            (cnt + U_STRENGTH * p) / (total + U_STRENGTH) for cnt, p in zip(counts[c], prior, strict=True)
        ]
    for c, (_col, _is_list, level) in EXACT_U.items():
        if agreement[c] is not None:
            u[c] = _with_exact(u[c], agreement[c], PRIOR_U[c][level - 1], level)
    return u


def _exact_agreements(feats: pl.DataFrame) -> dict[str, tuple[float, float] | None]:
    return {c: _exact_agreement(feats, col, is_list) for c, (col, is_list, _level) in EXACT_U.items()}


def _sampled_level_counts(feats: pl.DataFrame, seed: int) -> dict[str, list[float]]:
    """Pairs per comparison level over every pair (small inputs) or a seeded random sample of pairs."""
    from pipeline.dedupe.compare import compare

    n = feats.height
    counts: dict[str, list[float]] = {c: [0.0] * len(levels) for c, levels in COMPARISONS.items()}
    if n < 2:
        return counts
    idx = pl.int_range(0, n, dtype=pl.UInt32, eager=True)
    if n * (n - 1) // 2 <= U_SAMPLE:
        pairs = (
            pl.DataFrame({"i": idx})
            .join(pl.DataFrame({"j": idx}), how="cross")
            .filter(pl.col("i") < pl.col("j"))
        )
    else:
        a = idx.sample(U_SAMPLE, with_replacement=True, seed=seed)
        b = idx.sample(U_SAMPLE, with_replacement=True, seed=seed + 1)
        pairs = (
            pl.DataFrame({"a": a, "b": b})
            .filter(pl.col("a") != pl.col("b"))
            .select(pl.min_horizontal("a", "b").alias("i"), pl.max_horizontal("a", "b").alias("j"))
        )
    levels = compare(feats, pairs)
    for c in COMPARISONS:
        for code, cnt in levels.group_by(c).len().iter_rows():
            if code:
                counts[c][code - 1] += cnt
    return counts


def _exact_agreement(feats: pl.DataFrame, col: str, is_list: bool) -> tuple[float, float] | None:
    """(pairs with both values present, share of them that agree exactly), from value counts."""
    code = f"{col}_id"
    values = feats.select(pl.col("i"), pl.col(col), *([code] if code in feats.columns else []))
    if is_list:
        present = values.filter(pl.col(col).list.len() > 0).height
        values = values.explode(col)
    else:
        present = values.filter(pl.col(col).is_not_null()).height
    if present < 2:
        return None
    values = values.drop_nulls(col)
    # Records per value; a record holding one value twice (a list) counts once. A scalar column
    # has one value per record, so its counts need no de-duplication.
    n = pl.col("i").n_unique() if is_list else pl.len()
    counts = _value_groups(values, col).agg(n.alias("len"))
    same = counts.select((pl.col("len").cast(pl.Float64) * (pl.col("len") - 1) / 2).sum()).item()
    total = present * (present - 1) / 2
    return total, min(same / total, 0.999)


def _value_groups(values: pl.DataFrame, col: str):
    """``values`` grouped by ``col`` — by its dense code where the features carry one (same groups)."""
    code = f"{col}_id"
    return values.group_by(code if code in values.columns else col)


def refine(model: dict, feats: pl.DataFrame, labels: pl.Series) -> dict:
    """Re-count value frequencies over provisional *people* instead of records.

    A rare surname held by one person with three records is still rare: counted per record
    it would look three times as common, and every true pair sharing it would lose weight.
    """
    people = feats.select(
        "i", *{col for col, _is_list, _level in EXACT_U.values()}, *TF_CODES, labels.alias("_person")
    )
    model = dict(model)
    u = {c: list(v) for c, v in model["u"].items()}
    for c, (col, is_list, level) in EXACT_U.items():
        code = f"{col}_id"
        values = people.select("_person", code if code in people.columns else col)
        values = (values.explode(col) if is_list else values).drop_nulls(values.columns[1])
        exact = _exact_agreement_counts(values, values.columns[1])
        if exact is not None:
            u[c] = _with_exact(u[c], exact, PRIOR_U[c][level - 1], level)
    model["u"] = u
    # One row per person and (given, family, employer) combination; the codes stand for the values.
    combos = people.unique(["_person", *TF_CODES]).select("i", *TF_CODES)
    tf, floors = term_frequencies(combos, u, tables={col: value_table(feats, col) for col in TF_VALUES})
    model["tf"], model["tf_floor"] = tf, floors
    return model


def _exact_agreement_counts(values: pl.DataFrame, col: str) -> tuple[float, float] | None:
    """Like :func:`_exact_agreement` over (person, value) rows: people per value, not records."""
    present = values["_person"].n_unique()
    if present < 2:
        return None
    counts = values.group_by(col).agg(pl.col("_person").n_unique().alias("len"))
    same = counts.select((pl.col("len").cast(pl.Float64) * (pl.col("len") - 1) / 2).sum()).item()
    total = present * (present - 1) / 2
    return total, min(same / total, 0.999)


def _with_exact(u: list[float], exact: tuple[float, float], prior: float, level: int) -> list[float]:
    n_pairs, p_agree = exact
    agree = (p_agree * n_pairs + U_STRENGTH * prior) / (n_pairs + U_STRENGTH)
    rest = [v for k, v in enumerate(u) if k != level - 1]
    scale = (1 - agree) / sum(rest)
    return [agree if k == level - 1 else v * scale for k, v in enumerate(u)]


def term_frequencies(
    feats: pl.DataFrame, u: dict[str, list[float]], tables: dict[str, pl.Series] | None = None
) -> tuple[dict, dict]:
    """Per TF comparison: value → P(another record has it), for values seen twice or more; and the floor.

    Smoothed towards the comparison's average u (``TF_STRENGTH`` pseudo-records), so a
    ten-record address book does not conclude that "Acme" is shared by everyone. Values are
    counted by their dense code (``g_id`` …) and named through ``tables`` (:func:`value_table`)
    where given; otherwise ``feats`` must hold the value columns themselves.
    """
    out: dict[str, dict[str, float]] = {}
    floors: dict[str, float] = {}
    for c, (col, level) in TF_COLUMNS.items():
        key = f"{col}_id" if tables is not None else col
        present = feats[key].drop_nulls()
        total = max(present.len() - 1, 0) + TF_STRENGTH
        base = TF_STRENGTH * u[c][level - 1]
        counts = present.value_counts().filter(pl.col("count") >= 2)
        freqs = ((counts["count"] - 1 + base) / total).to_list()
        values = counts[key] if tables is None else tables[col].gather(counts[key])
        out[c] = dict(zip(values.to_list(), freqs, strict=True))
        floors[c] = base / total
    return out, floors


def _weights(m: dict[str, list[float]], u: dict[str, list[float]], comps: tuple[str, ...]) -> pl.Expr:
    return pl.sum_horizontal([_level_weights(m, u, c) for c in comps])


def _em_pass(patterns: pl.DataFrame, m: dict, u: dict, comps: tuple[str, ...]) -> tuple[dict, float]:
    """EM over unique level patterns (with their counts) for the comparisons in ``comps``."""
    m = {c: list(v) for c, v in m.items()}
    lam = 0.5
    expected = 0.0
    for _ in range(EM_ITERATIONS):
        logit = math.log2(lam / (1 - lam))
        post = patterns.select(
            pl.col("count"),
            *comps,
            (1.0 / (1.0 + (2.0 ** (-(_weights(m, u, comps) + logit))))).alias("p"),
        ).with_columns((pl.col("p") * pl.col("count")).alias("pc"))
        expected = post["pc"].sum()
        new_lam = min(max(expected / post["count"].sum(), 1e-6), 1 - 1e-6)
        for c in comps:
            sums = dict(post.group_by(c).agg(pl.col("pc").sum()).iter_rows())
            present = sum(v for k, v in sums.items() if k)
            m[c] = [
                (sums.get(k + 1, 0.0) + M_STRENGTH * PRIOR_M[c][k]) / (present + M_STRENGTH)
                for k in range(len(PRIOR_M[c]))
            ]
        if abs(new_lam - lam) < 1e-6:
            lam = new_lam
            break
        lam = new_lam
    return m, expected


def estimate_m(
    levels: pl.DataFrame, u: dict[str, list[float]]
) -> tuple[dict[str, list[float]], dict[str, int]]:
    """m per comparison level by EM, each comparison trained where it did not select the pairs."""
    prior = {c: list(v) for c, v in PRIOR_M.items()}
    estimates: dict[str, list[tuple[list[float], float]]] = {c: [] for c in COMPARISONS}
    trained: dict[str, int] = {}
    # Pairs that hard evidence already rules out (households, namesakes with different profiles)
    # would otherwise teach EM that a shared landline makes "different given names" look like a match.
    known_apart = pl.any_horizontal([pl.col(f) for f in OVERRIDES if f in levels.columns])
    levels = levels.filter(~known_apart)
    for name, selector, fixed in PASSES:
        chosen = levels.filter(selector)
        trained[name] = chosen.height
        if chosen.height < MIN_EM_PAIRS:  # a handful of pairs teaches EM noise: the priors speak
            continue
        comps = tuple(c for c in COMPARISONS if c not in fixed)
        patterns = chosen.group_by(*comps).len("count")
        m, expected = _em_pass(patterns, prior, u, comps)
        for c in comps:
            estimates[c].append((m[c], expected))
    out: dict[str, list[float]] = {}
    for c in COMPARISONS:
        if not estimates[c]:
            out[c] = prior[c]
            continue
        weight = sum(e for _, e in estimates[c]) or 1.0
        mixed = [sum(mv[k] * e for mv, e in estimates[c]) / weight for k in range(len(prior[c]))]
        out[c] = _normalise(mixed) if sum(mixed) else prior[c]
    return out, trained


def _level_weights(m: dict, u: dict, c: str) -> pl.Expr:
    codes = list(range(len(m[c]) + 1))
    return pl.col(c).replace_strict(codes, _weight_table(m, u, c), return_dtype=pl.Float64)


def _weight_table(m: dict, u: dict, c: str) -> list[float]:
    """log2(m/u) per level code of comparison ``c`` (code 0, no evidence, weighs 0)."""
    return [0.0] + [math.log2(mi / ui) for mi, ui in zip(m[c], u[c], strict=True)]


def domain_people(feats: pl.DataFrame) -> dict[str, int]:
    """Work-mail domain label → how many distinct people (first personal addresses) use it, for the
    labels two or more use: the term frequency of an employer's or a chapter's e-mail domain."""
    counts = (
        feats.select("dom0", "e0")
        .drop_nulls()
        .group_by("dom0")
        .agg(pl.col("e0").n_unique().alias("n"))
        .filter(pl.col("n") >= 2)
    )
    return dict(zip(counts["dom0"].to_list(), counts["n"].to_list(), strict=True))


def _domain_u(model: dict, feats: pl.DataFrame) -> pl.Series:
    """Per record, P(another record uses its work-mail domain): its people over all records."""
    table = model.get("domains") or {}
    n = max(int(model.get("records") or feats.height), 1)
    return feats["dom0"].replace_strict(
        list(table), [v / n for v in table.values()], default=0.0, return_dtype=pl.Float64
    )


def tf_arrays(model: dict, feats: pl.DataFrame) -> dict[str, pl.Series]:
    """Per TF comparison, P(another record shares the value) indexed by the value's code in ``feats``;
    under ``"domain"``, per record, the same for its work-mail domain (:func:`domain_people`)."""
    out = {"domain": _domain_u(model, feats)}
    for c, (col, _level) in TF_COLUMNS.items():
        table = model["tf"][c]
        values = value_table(feats, col)
        out[c] = values.replace_strict(
            list(table), list(table.values()), default=model["tf_floor"][c], return_dtype=pl.Float64
        )
    return out


def comparison_weights(levels: pl.DataFrame, model: dict, tf: dict[str, pl.Series]) -> pl.DataFrame:
    """Per comparison, the log2 Bayes factor of each pair's level (``w_<comparison>``).

    Exact agreement on a name or organization is weighted by how rare the shared value is
    (term frequency), so "Smith" counts for less than "Kowalczyk". ``tf`` comes from
    :func:`tf_arrays` over the same features the levels were computed from.
    """
    import numpy as np

    m, u = model["m"], model["u"]
    out = {}
    for c in COMPARISONS:
        # A lookup by level code (numpy take): a third of the cost of replace_strict on millions of pairs.
        # Float32 straight away (the weights are Float32): rounding the table once is rounding each value.
        codes = levels[c].to_numpy()
        table = np.array(_weight_table(m, u, c), dtype=np.float64).astype(np.float32)
        weights = table[codes]
        if c in TF_COLUMNS:
            # Only the pairs at the exact level get a per-value weight: computed for those rows alone
            # (the same float64 arithmetic, then Float32), not as full-length temporary columns.
            col, level = TF_COLUMNS[c]
            rows = np.flatnonzero(codes == level)
            code = levels[f"{col}_id_a"].gather(rows).fill_null(0)
            freq = tf[c].gather(code) if tf[c].len() else pl.Series([1.0] * len(rows), dtype=pl.Float64)
            exact = pl.select((m[c][level - 1] / pl.lit(freq)).log(2).cast(pl.Float32)).to_series()
            weights[rows] = exact.to_numpy()
        if c == "organization" and "domain" in tf:
            # A shared work-mail domain is worth what the domain's head count leaves of it: a chapter's or
            # a big employer's domain, used by many people, says little about any two of them.
            level = COMPARISONS[c].index("email_domain") + 1
            rows = np.flatnonzero(codes == level)
            if len(rows):
                dom = tf["domain"].to_numpy()
                common = np.maximum(dom[levels["i"].to_numpy()[rows]], dom[levels["j"].to_numpy()[rows]])
                u_level = max(u[c][level - 1], 1e-12)
                # Floored at 0: a domain everyone shares is no evidence, never evidence against.
                capped = np.maximum(np.log2(m[c][level - 1] / np.maximum(common, u_level)), 0.0)
                weights[rows] = np.maximum(np.minimum(weights[rows], capped.astype(np.float32)), 0.0)
        out[f"w_{c}"] = pl.Series(weights, dtype=pl.Float32)
    return pl.DataFrame(out)


def match_weight(levels: pl.DataFrame, model: dict, tf: dict[str, pl.Series]) -> pl.Series:
    """Sum of the per-comparison log2 Bayes factors, without the prior."""
    weights = comparison_weights(levels, model, tf)
    return weights.select(pl.sum_horizontal(pl.all()).alias("weight"))["weight"]


def prior_weight(model: dict) -> float:
    """log2 of the prior odds that two records are the same person."""
    lam = model["lambda"]
    return math.log2(lam / (1 - lam))


def estimate_lambda(weights: pl.Series, n_records: int, start: float) -> float:
    """Fixed point of λ = E[matches among candidates] / all pairs (non-candidates count as non-matches).

    Iterates over a histogram of the weights (rounded to 1/100 bit), not over every pair.
    """
    total = max(n_records * (n_records - 1) / 2, 1.0)
    lam = min(max(start, 1.0 / total), 0.5)
    hist = weights.round(2).value_counts()
    w, cnt = hist[weights.name], hist["count"].cast(pl.Float64)
    for _ in range(50):
        logit = math.log2(lam / (1 - lam))
        expected = (
            pl.select((pl.lit(cnt) / (1.0 + 2.0 ** (-(pl.lit(w) + logit)))).sum()).item() if len(w) else 0
        )
        new = min(max(expected / total, 1.0 / total), 0.5)
        if abs(math.log(new) - math.log(lam)) < 1e-4:
            return new
        lam = new
    return lam


def fit(feats: pl.DataFrame, levels: pl.DataFrame, *, seed: int = 20240611) -> dict:
    """Estimate the whole model from records (their features) and scored candidate pairs."""
    u = estimate_u(feats, seed=seed)
    m, trained = estimate_m(levels, u)
    tf, floors = term_frequencies(feats, u, tables={col: value_table(feats, col) for col in TF_VALUES})
    model = {
        "version": 1,
        "levels": {c: list(v) for c, v in COMPARISONS.items()},
        "m": m,
        "u": u,
        "tf": tf,
        "tf_floor": floors,
        "domains": domain_people(feats),
        "spellings": given_spellings(feats),
        "lambda": 0.5,
        "records": feats.height,
        "trained_pairs": trained,
    }
    # λ starts from the pairs that share a strong identifier; resolve() refines it (estimate_lambda).
    strong = levels.filter((pl.col("email") == 1) | (pl.col("phone") == 1) | (pl.col("linkedin") == 1)).height
    total = max(feats.height * (feats.height - 1) / 2, 1.0)
    model["lambda"] = min(max(strong / total, 1.0 / total), 0.5)
    return model
