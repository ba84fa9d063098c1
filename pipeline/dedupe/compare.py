"""Comparison levels: for each candidate pair, how well each field agrees (exact … different, or null).

Third step of :func:`pipeline.dedupe.resolve`, and the vocabulary of :mod:`.model` and
:mod:`.explain`. Each comparison maps a pair to a small integer level: 0 means "no
evidence" (a side has no value, weight 0), 1 is the strongest agreement and the last level
is disagreement. Everything is polars expressions over the pair frame, except
Jaro-Winkler, which rapidfuzz computes once per *unique* pair of differing strings.

The hard-evidence flags (``ov_*``) are computed here too: facts that rule a match out
whatever the weights say. Spouses and parents share an email, a landline and an address
but not a given name; two different given names behind one of those are two people.
"""

from __future__ import annotations

import polars as pl

#: comparison → level names (level code = position + 1; 0 is "null").
COMPARISONS: dict[str, tuple[str, ...]] = {
    "given": ("exact", "nickname", "fuzzy", "initial", "similar", "different"),
    "family": ("exact", "phonetic", "fuzzy", "similar", "different"),
    "email": ("shared", "different"),
    "phone": ("shared", "different"),
    "linkedin": ("same", "different"),
    "organization": ("exact", "fuzzy", "different"),
    "location": ("postal_code", "city", "different"),
    "street": ("exact", "different"),
    "birthday": ("exact", "month_day", "different"),
    "class_year": ("exact", "within_one", "different"),
    "middle_initial": ("same", "different"),
}

#: Which feature values a pair needs from each side.
SIDE_COLUMNS = (
    "g",
    "g_keys",
    "g_init",
    "g_is_init",
    "g_sk",
    "m_init",
    "f",
    "f_sk",
    "sfx",
    "emails",
    "phones",
    "slug",
    "org",
    "postal",
    "city",
    "street",
    "bday",
    "bmd",
    "cyear",
)

#: Suffixes that name a generation; two different ones are two people.
GENERATIONS = ("jr", "sr", "ii", "iii", "iv")

OVERRIDES = {
    "ov_linkedin": "different LinkedIn profiles",
    "ov_suffix": "different generations (Sr./Jr.)",
    "ov_given": "clearly different given names behind a shared email, phone or address",
}


def jaro_winkler(a: pl.Series, b: pl.Series) -> pl.Series:
    """Jaro-Winkler similarity of ``a[k]`` and ``b[k]`` (null where either is null).

    rapidfuzz scores each *unique* pair once, so the cost follows the variety of names,
    not the number of candidate pairs.
    """
    from rapidfuzz.distance import JaroWinkler

    frame = pl.DataFrame({"a": a, "b": b})
    todo = frame.filter(pl.col("a").is_not_null() & pl.col("b").is_not_null() & (pl.col("a") != pl.col("b")))
    uniq = todo.unique()
    score = JaroWinkler.normalized_similarity
    sims = [score(x, y) for x, y in zip(uniq["a"].to_list(), uniq["b"].to_list(), strict=True)]
    table = uniq.with_columns(pl.Series("s", sims, dtype=pl.Float32))
    out = frame.join(table, on=["a", "b"], how="left", maintain_order="left")["s"]
    equal = (frame["a"] == frame["b"]).fill_null(False)
    return pl.select(pl.when(pl.lit(equal)).then(1.0).otherwise(pl.lit(out)).cast(pl.Float32)).to_series()


def pair_frame(feats: pl.DataFrame, pairs: pl.DataFrame) -> pl.DataFrame:
    """``pairs`` (i, j, …) with each side's features as ``<col>_a`` / ``<col>_b``."""
    cols = [c for c in SIDE_COLUMNS if c in feats.columns]
    side_a = feats.select(pl.col(cols).gather(pairs["i"]).name.suffix("_a"))
    side_b = feats.select(pl.col(cols).gather(pairs["j"]).name.suffix("_b"))
    return pl.concat([pairs, side_a, side_b], how="horizontal")


def _both(col: str) -> pl.Expr:
    return pl.col(f"{col}_a").is_not_null() & pl.col(f"{col}_b").is_not_null()


def _eq(col: str) -> pl.Expr:
    return pl.col(f"{col}_a") == pl.col(f"{col}_b")


def _lists_both(col: str) -> pl.Expr:
    return (pl.col(f"{col}_a").list.len() > 0).fill_null(False) & (
        pl.col(f"{col}_b").list.len() > 0
    ).fill_null(False)


def _lists_meet(col: str) -> pl.Expr:
    return pl.col(f"{col}_a").list.set_intersection(pl.col(f"{col}_b")).list.len() > 0


def _levels(*cases: tuple[pl.Expr, int], present: pl.Expr, last: int) -> pl.Expr:
    expr = pl.when(~present.fill_null(False)).then(0)
    for cond, code in cases:
        expr = expr.when(cond.fill_null(False)).then(code)
    return expr.otherwise(last).cast(pl.Int8)


def compare(pf: pl.DataFrame) -> pl.DataFrame:
    """Add a level column per comparison (``given`` … ``middle_initial``) and the ``ov_*`` flags."""
    # Jaro-Winkler only where the cheaper levels above it did not already decide.
    need = pf.select(
        (~_eq("g") & ~_lists_meet("g_keys").fill_null(False) & ~_eq("g_sk")).fill_null(False).alias("g"),
        (~_eq("f") & ~_eq("f_sk")).fill_null(False).alias("f"),
        (~_eq("org")).fill_null(False).alias("org"),
    )

    def masked(col: str) -> tuple[pl.Series, pl.Series]:
        keep = need[col]
        return (
            pl.select(pl.when(pl.lit(keep)).then(pl.lit(pf[f"{col}_a"]))).to_series(),
            pl.select(pl.when(pl.lit(keep)).then(pl.lit(pf[f"{col}_b"]))).to_series(),
        )

    pf = pf.with_columns(
        jaro_winkler(*masked("g")).alias("_jw_g"),
        jaro_winkler(*masked("f")).alias("_jw_f"),
        jaro_winkler(*masked("org")).alias("_jw_o"),
    )
    one_initial = pl.col("g_is_init_a") | pl.col("g_is_init_b")
    full_names = ~one_initial
    org_prefix = pl.col("org_a").str.starts_with(pl.col("org_b") + " ") | pl.col("org_b").str.starts_with(
        pl.col("org_a") + " "
    )
    pf = pf.with_columns(
        _levels(
            (full_names & _eq("g"), 1),
            (full_names & _lists_meet("g_keys"), 2),
            (full_names & ((pl.col("_jw_g") >= 0.92) | _eq("g_sk")), 3),
            (one_initial & _eq("g_init"), 4),
            (full_names & (pl.col("_jw_g") >= 0.8), 5),
            present=_both("g"),
            last=6,
        ).alias("given"),
        _levels(
            (_eq("f"), 1),
            (_eq("f_sk"), 2),
            (pl.col("_jw_f") >= 0.92, 3),
            (pl.col("_jw_f") >= 0.8, 4),
            present=_both("f"),
            last=5,
        ).alias("family"),
        _levels((_lists_meet("emails"), 1), present=_lists_both("emails"), last=2).alias("email"),
        _levels((_lists_meet("phones"), 1), present=_lists_both("phones"), last=2).alias("phone"),
        _levels((_eq("slug"), 1), present=_both("slug"), last=2).alias("linkedin"),
        _levels(
            (_eq("org"), 1), ((pl.col("_jw_o") >= 0.9) | org_prefix, 2), present=_both("org"), last=3
        ).alias("organization"),
        _levels(
            (_both("postal") & _eq("postal"), 1),
            (_both("city") & _eq("city"), 2),
            present=_both("postal") | _both("city"),
            last=3,
        ).alias("location"),
        _levels((_eq("street"), 1), present=_both("street"), last=2).alias("street"),
        _levels(
            (_both("bday") & _eq("bday"), 1),
            (_eq("bmd"), 2),
            present=_both("bmd"),
            last=3,
        ).alias("birthday"),
        _levels(
            (_eq("cyear"), 1),
            ((pl.col("cyear_a") - pl.col("cyear_b")).abs() <= 1, 2),
            present=_both("cyear"),
            last=3,
        ).alias("class_year"),
        _levels((_eq("m_init"), 1), present=_both("m_init"), last=2).alias("middle_initial"),
    )
    swapped = (pl.col("g_a") == pl.col("f_b")) & (pl.col("f_a") == pl.col("g_b"))
    generation_a = pl.col("sfx_a").is_in(GENERATIONS)
    generation_b = pl.col("sfx_b").is_in(GENERATIONS)
    keep = [c for c in ("i", "j", "rule") if c in pf.columns]
    # Only what scoring needs survives: the side columns (lists included) are most of the memory.
    return pf.select(
        *keep,
        *COMPARISONS,
        "g_a",
        "f_a",
        "org_a",
        (pl.col("linkedin") == 2).alias("ov_linkedin"),
        (generation_a & generation_b & (pl.col("sfx_a") != pl.col("sfx_b")))
        .fill_null(False)
        .alias("ov_suffix"),
        (
            (pl.col("given") == 6)
            & (
                (pl.col("email") == 1)
                | (pl.col("phone") == 1)
                | (pl.col("street") == 1)
                | (pl.col("location") == 1)
            )
            & ~swapped.fill_null(False)
        ).alias("ov_given"),
    )
