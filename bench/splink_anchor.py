"""The anchor of bench/dedupe.py: Splink 5 (DuckDB) given every field kith's dedupe uses.

Fair means: the same records, the same evidence, a setup a careful user would write from
Splink's documentation, and nothing tuned on the truth.

* every e-mail and phone, compared as arrays (intersection of at least one), and blocked on
  by exploding the arrays;
* the LinkedIn profile as its canonical slug (``/in/<slug>``, lower case), so the three URL
  spellings of one profile agree;
* first name with an extra level for the nickname key (``given_key``: Bob → robert), both
  names with a level for given and family name swapped (as Splink's FEBRL example does) and
  term-frequency adjustments on exact agreement; middle initial, suffix (Jr./Sr.), employer (legal form
  stripped), class year, the address as one comparison (street — number + name, street kinds
  abbreviated one way — and postal code; street alone; postal code alone; city alone: three comparisons would
  count one address three times) and birth date (Splink's date-of-birth comparison: exact,
  one edit — transposed digits —, within a month, a year, ten years);
* blocking on names (exact, nickname key, three-letter prefixes of both), on each contact
  point, on surname + employer, and — for member data without contact points — on postal code
  + surname or given-name prefix, birth date + given-name or surname prefix, street + postal
  code, postal code + birth date;
* λ from deterministic rules (shared e-mail, phone, profile; full name + birth date) at an
  assumed recall of 0.7, u from random pairs, m by EM on three sessions (full name, first
  e-mail, birth date — not postal code alone: a chapter's few postal codes make tens of
  millions of pairs; a session with nothing to learn from is skipped), links at match
  probability 0.9. An EM estimate of exactly 0, which Splink 5 refuses, is clamped to 1e-300.

``run_splink`` returns the labels, *all* candidate pairs blocking produced (the blocking
recall is counted over them, as kith's is over all of its candidate pairs) and notes.
"""

from __future__ import annotations

import polars as pl

THRESHOLD = 0.9
_KINDS = {
    "street": "st",
    "avenue": "ave",
    "road": "rd",
    "drive": "dr",
    "lane": "ln",
    "place": "pl",
    "court": "ct",
    "crescent": "cres",
    "circuit": "cct",
    "boulevard": "blvd",
    "terrace": "tce",
}
_LEGAL = r"[,.]?\s+(inc|llc|ltd|corp|co|gmbh|plc|limited|corporation)\.?$"


def _fold(expr: pl.Expr) -> pl.Expr:
    """Lower case, accents off, letters/digits/spaces only, one space between words."""
    return (
        expr.str.to_lowercase()
        .str.normalize("NFKD")
        .str.replace_all(r"\p{M}", "")
        .str.replace_all(r"[^\p{L}\p{N} ]", " ")
        .str.replace_all(r"\s+", " ")
        .str.strip_chars()
        .replace("", None)
    )


def _street(expr: pl.Expr) -> pl.Expr:
    folded = _fold(expr)
    for long, short in _KINDS.items():
        folded = folded.str.replace_all(rf"\b{long}\b", short)
    return folded


def splink_input(records: pl.DataFrame) -> pl.DataFrame:
    """The records as Splink's input: one column per piece of evidence kith uses."""
    given_key = pl.col("given_key") if "given_key" in records.columns else pl.lit(None, pl.String)
    empty_list = pl.lit([], pl.List(pl.String))
    return records.select(
        pl.col("record_id").alias("unique_id"),
        _fold(pl.col("given_name")).alias("first_name"),
        given_key.alias("nick_key"),
        _fold(pl.col("family_name")).alias("surname"),
        _fold(pl.col("middle_name")).str.slice(0, 1).alias("middle_initial"),
        _fold(pl.col("suffix")).alias("suffix"),
        pl.col("emails").fill_null(empty_list).list.eval(pl.element().str.to_lowercase()).alias("emails"),
        pl.col("phones").fill_null(empty_list).alias("phones"),
        pl.col("linkedin_url")
        .str.to_lowercase()
        .str.extract(r"linkedin\.com/in/([^/?#]+)", 1)
        .alias("linkedin"),
        _fold(pl.col("organization").str.to_lowercase().str.replace(_LEGAL, "")).alias("org"),
        pl.col("class_year").cast(pl.Int32).alias("class_year"),
        _street(pl.col("street")).alias("street"),
        _fold(pl.col("city")).alias("city"),
        pl.col("postal_code").str.to_lowercase().str.replace_all(r"\s", "").alias("postcode"),
        pl.col("birthday").str.extract(r"^(\d{4}-\d{2}-\d{2})", 1).alias("dob"),
    ).with_columns(
        # Splink treats an empty array as a value; null says "no e-mail" the way kith reads it.
        pl.when(pl.col(c).list.len() > 0).then(pl.col(c)).alias(c)
        for c in ("emails", "phones")
    )


def _comparisons() -> list:
    import splink.comparison_level_library as cll
    import splink.comparison_library as cl

    first = cl.CustomComparison(
        output_column_name="first_name",
        comparison_levels=[
            cll.NullLevel("first_name"),
            cll.ExactMatchLevel("first_name").configure(tf_adjustment_column="first_name"),
            cll.ExactMatchLevel("nick_key"),
            cll.ColumnsReversedLevel("first_name", "surname"),
            cll.JaroWinklerLevel("first_name", 0.92),
            cll.JaroWinklerLevel("first_name", 0.88),
            cll.JaroWinklerLevel("first_name", 0.7),
            cll.ElseLevel(),
        ],
    )
    surname = cl.CustomComparison(
        output_column_name="surname",
        comparison_levels=[
            cll.NullLevel("surname"),
            cll.ExactMatchLevel("surname").configure(tf_adjustment_column="surname"),
            cll.ColumnsReversedLevel("first_name", "surname"),
            cll.JaroWinklerLevel("surname", 0.92),
            cll.JaroWinklerLevel("surname", 0.88),
            cll.JaroWinklerLevel("surname", 0.7),
            cll.ElseLevel(),
        ],
    )
    # One comparison for the address: street, postal code and city agree together at one address,
    # and three independent comparisons would count that one fact three times (spouses merge).
    address = cl.CustomComparison(
        output_column_name="address",
        comparison_levels=[
            cll.And(cll.NullLevel("street"), cll.NullLevel("postcode"), cll.NullLevel("city")),
            cll.And(cll.JaroWinklerLevel("street", 0.95), cll.ExactMatchLevel("postcode")),
            cll.And(cll.JaroWinklerLevel("street", 0.88), cll.ExactMatchLevel("postcode")),
            cll.JaroWinklerLevel("street", 0.95),
            cll.ExactMatchLevel("postcode").configure(tf_adjustment_column="postcode"),
            cll.ExactMatchLevel("city").configure(tf_adjustment_column="city"),
            cll.ElseLevel(),
        ],
    )
    return [
        first,
        surname,
        cl.ExactMatch("middle_initial"),
        cl.ExactMatch("suffix"),
        cl.ArrayIntersectAtSizes("emails", [1]),
        cl.ArrayIntersectAtSizes("phones", [1]),
        cl.ExactMatch("linkedin"),
        cl.JaroWinklerAtThresholds("org", [0.9]),
        cl.ExactMatch("class_year"),
        address,
        cl.DateOfBirthComparison("dob", input_is_string=True),
    ]


def _blocking() -> list:
    from splink import block_on

    return [
        block_on("first_name", "surname"),
        block_on("nick_key", "surname"),
        block_on("emails", arrays_to_explode=["emails"]),
        block_on("phones", arrays_to_explode=["phones"]),
        block_on("linkedin"),
        block_on("surname", "org"),
        block_on("substr(first_name, 1, 3)", "substr(surname, 1, 3)"),
        block_on("postcode", "substr(surname, 1, 2)"),
        block_on("postcode", "substr(first_name, 1, 2)"),
        block_on("dob", "substr(first_name, 1, 2)"),
        block_on("dob", "substr(surname, 1, 2)"),
        block_on("street", "postcode"),
        block_on("postcode", "dob"),
    ]


def _clamp_em_zeros() -> None:
    """Splink 5 rejects an EM estimate of exactly 0 (a level seen only between different people in a
    session: splink#2333, #2851) instead of clamping it; clamp it to Splink's own minimum, 1e-300."""
    import splink.internals.expectation_maximisation as em

    if getattr(em, "_kith_clamped", False):
        return
    original = em.compute_proportions_for_new_parameters

    def clamped(df_params):
        rows = original(df_params)
        for row in rows:
            for key in ("m_probability", "u_probability"):
                if isinstance(row.get(key), float) and row[key] < 1e-300:
                    row[key] = 1e-300
        return rows

    em.compute_proportions_for_new_parameters = clamped
    em._kith_clamped = True


def _train(linker) -> list[str]:
    from splink import block_on

    _clamp_em_zeros()
    notes = []
    linker.training.estimate_probability_two_random_records_match(
        [
            block_on("emails", arrays_to_explode=["emails"]),
            block_on("phones", arrays_to_explode=["phones"]),
            block_on("linkedin"),
            block_on("first_name", "surname", "dob"),
        ],
        recall=0.7,
    )
    linker.training.estimate_u_using_random_sampling(max_pairs=2e6, seed=1)
    sessions = (
        block_on("first_name", "surname"),
        block_on("emails[1]"),  # EM sessions can't explode arrays: the first e-mail
        block_on("dob"),
    )
    for rule in sessions:
        try:
            linker.training.estimate_parameters_using_expectation_maximisation(rule)
        except Exception as exc:  # a session with no pairs (no postal codes in the set) teaches nothing
            notes.append(f"EM session skipped: {str(exc).split('.')[0][:100]}")
    return notes


def run_splink(records: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame, dict]:
    """Labels, every candidate pair of blocking, and notes (skipped EM sessions)."""
    import logging

    from splink import DuckDBAPI, Linker, SettingsCreator

    logging.getLogger("splink").setLevel(logging.ERROR)  # "not fully trained" for absent fields
    settings = SettingsCreator(
        link_type="dedupe_only",
        comparisons=_comparisons(),
        blocking_rules_to_generate_predictions=_blocking(),
        retain_intermediate_calculation_columns=False,
        retain_matching_columns=False,
    )
    linker = Linker(DuckDBAPI().register(splink_input(records).to_arrow()), settings, log_level=None)
    notes = _train(linker)
    predictions = linker.inference.predict()
    clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(predictions, THRESHOLD)
    labels = pl.from_arrow(clusters.as_pyarrow_table()).select(
        pl.col("unique_id").alias("record_id"), pl.col("cluster_id").cast(pl.String).alias("label")
    )
    pairs = pl.from_arrow(predictions.as_pyarrow_table()).select(
        pl.col("unique_id_l").alias("record_a"), pl.col("unique_id_r").alias("record_b")
    )
    return labels, pairs, {"notes": notes}
