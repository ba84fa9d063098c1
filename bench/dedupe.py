"""Dedupe benchmark: kith vs Splink 5 (DuckDB) vs the naive "same email or phone" rule.

Not part of the test run. For each size the seeded generator (bench/contacts_gen.py) writes
a contact set with ground truth once (cached under the temp dir); every method then runs
in its own child process on the same file, so wall time and peak RSS (ru_maxrss) are each
method's own. Reported: pairwise precision / recall / F1 against the truth, blocking
recall (share of true pairs that were candidates), recall split into true pairs that share
a name *and* another field (``rec_corr``) and name-only true pairs (``rec_name``; their
share is printed under the naive row), people found, seconds for the dedupe step (data
loading excluded) and peak RSS. The naive rule is the floor the others are measured
against. Under the naive row: the oracle *ceiling* (see :func:`ceiling`), the best recall and
F1 any engine can reach on the set without knowing which same-name records are one person.
Generated sets are cached per size, seed and ``GENERATOR_VERSION``.

    python bench/dedupe.py                      # 10^4 and 10^5, all methods
    python bench/dedupe.py --sizes 1000000 --methods kith naive
    python bench/dedupe.py --sizes 10000 --methods splink
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
CACHE = Path(tempfile.gettempdir()) / "kith-bench-dedupe"
SEED = 7


def _paths(n: int) -> tuple[Path, Path]:
    from bench.contacts_gen import GENERATOR_VERSION

    tag = f"{n}-{SEED}-v{GENERATOR_VERSION}"
    return CACHE / f"contacts-{tag}.parquet", CACHE / f"truth-{tag}.parquet"


def _rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# --- evaluation ----------------------------------------------------------------------------


def pair_metrics(truth, predicted) -> dict:
    """Pairwise precision/recall/F1 from two record_id → label frames (columns true_person, label)."""
    import polars as pl

    df = truth.join(predicted, on="record_id")

    def pairs(cols: list[str]) -> int:
        return int(df.group_by(cols).len().select((pl.col("len") * (pl.col("len") - 1) // 2).sum()).item())

    tp, t, p = pairs(["true_person", "label"]), pairs(["true_person"]), pairs(["label"])
    precision = tp / p if p else 1.0
    recall = tp / t if t else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1, "true_pairs": t, "predicted_pairs": p}


#: Comparison levels that corroborate a name: anything agreeing besides the names (and the city).
CORROBORATING = {
    "email": (1,),
    "phone": (1,),
    "linkedin": (1,),
    "organization": (1, 2, 3),
    "location": (1,),
    "street": (1,),
    "birthday": (1, 2),
    "class_year": (1,),
}


def true_pairs(records, truth):
    """Every true pair (i, j) with ``corroborated``: the two records share something besides the name.

    "Shares" is judged by kith's own comparison levels (same email, phone, LinkedIn profile,
    employer or employer email domain, postal code, street, birthday or class year).
    """
    import polars as pl

    from pipeline.dedupe.compare import compare
    from pipeline.dedupe.features import build_features

    ids = truth.with_row_index("i")
    pairs = (
        ids.join(ids, on="true_person", suffix="_b")
        .filter(pl.col("i") < pl.col("i_b"))
        .select(pl.col("i").cast(pl.UInt32), pl.col("i_b").cast(pl.UInt32).alias("j"))
    )
    levels = compare(build_features(records), pairs)
    agree = pl.any_horizontal([pl.col(c).is_in(list(v)) for c, v in CORROBORATING.items()])
    return levels.select("i", "j", agree.alias("corroborated"))


def recall_split(records, truth, labels) -> dict:
    """Recall over corroborated true pairs and over name-only ones, and the share of name-only pairs."""
    import polars as pl

    tp = true_pairs(records, truth)
    label = truth.join(labels, on="record_id", how="left", maintain_order="left")["label"]
    tp = tp.with_columns((label.gather(tp["i"]) == label.gather(tp["j"])).alias("found"))
    split = tp.group_by("corroborated").agg(pl.len(), pl.col("found").mean())
    out = {"name_only_share": 0.0, "recall_corroborated": None, "recall_name_only": None}
    for corroborated, count, found in split.iter_rows():
        key = "recall_corroborated" if corroborated else "recall_name_only"
        out[key] = found
        if not corroborated:
            out["name_only_share"] = count / tp.height
    return out


def ceiling(records, truth) -> dict:
    """Recall and F1 that no engine short of knowing the truth can beat on name-only pairs.

    Two generous oracles: (1) every true pair that shares something besides the name is
    found, and everything they join transitively; (2) on top of that, every name-only true
    pair whose name (nickname-canonical given name + family name) belongs to exactly one
    person in the whole set — which an engine cannot know. Both at precision 1.
    """
    import polars as pl

    from pipeline.dedupe.cluster import components
    from pipeline.dedupe.features import build_features

    tp = true_pairs(records, truth)

    def recall(edges) -> float:
        labels = components(records.height, edges)
        found = truth.with_columns(labels.alias("l")).group_by("l", "true_person").len()
        return found.select((pl.col("len") * (pl.col("len") - 1) // 2).sum()).item() / tp.height

    corroborated = tp.filter("corroborated").select("i", "j")
    name = build_features(records).select(
        pl.col("g_keys").list.last().fill_null(pl.col("g")).alias("g"), "f", truth["true_person"]
    )
    owners = name.join(
        name.group_by("g", "f").agg(pl.col("true_person").n_unique().alias("owners")),
        on=["g", "f"],
        how="left",
        maintain_order="left",
    )["owners"]
    name_only = tp.filter(~pl.col("corroborated"))
    unique = name_only.filter((owners.gather(name_only["i"]) == 1) & (owners.gather(name_only["j"]) == 1))
    r1 = recall(corroborated)
    r2 = recall(pl.concat([corroborated, unique.select("i", "j")]))
    return {
        "ceiling_recall_corroborated": r1,
        "ceiling_f1_corroborated": 2 * r1 / (1 + r1),
        "ceiling_recall_unique_names": r2,
        "ceiling_f1_unique_names": 2 * r2 / (1 + r2),
    }


def blocking_recall(truth, pairs) -> dict:
    """Share of true pairs among the candidates; and after closing true candidate pairs transitively."""
    import polars as pl

    from pipeline.dedupe.cluster import components

    t = truth.group_by("true_person").len().select((pl.col("len") * (pl.col("len") - 1) // 2).sum()).item()
    ids = truth.with_row_index("n")
    cand = (
        pairs.join(ids.rename({"record_id": "record_a", "true_person": "ta", "n": "i"}), on="record_a")
        .join(ids.rename({"record_id": "record_b", "true_person": "tb", "n": "j"}), on="record_b")
        .filter(pl.col("ta") == pl.col("tb"))
    )
    labels = components(truth.height, cand.select("i", "j"))
    closed = ids.with_columns(labels.alias("label"))
    reach = (
        closed.group_by("true_person", "label").len().select((pl.col("len") * (pl.col("len") - 1) // 2).sum())
    )
    return {
        "blocking_recall": cand.height / t if t else 1.0,
        "blocking_recall_transitive": reach.item() / t if t else 1.0,
    }


# --- methods (each runs in a child process) ---------------------------------------------------


def run_kith(records):
    from pipeline.dedupe import resolve

    result = resolve(records)
    labels = result.assignments.rename({"person_id": "label"})
    return labels, result.pairs.select("record_a", "record_b"), {"stats": result.stats}


def run_naive(records):
    """Floor: two records are one person when they share a normalized email or phone."""
    import polars as pl

    from pipeline.dedupe.cluster import components

    ids = records.select("record_id", "emails", "phones").with_row_index("i")
    keys = pl.concat(
        [
            ids.select("i", pl.col("emails").alias("k")).explode("k"),
            ids.select("i", pl.col("phones").alias("k")).explode("k"),
        ]
    ).drop_nulls()
    first = keys.group_by("k").agg(pl.col("i").min().alias("j"))
    edges = keys.join(first, on="k").filter(pl.col("i") != pl.col("j")).select("i", "j")
    labels = components(records.height, edges)
    return ids.select("record_id", labels.alias("label")), None, {}


def run_splink(records):
    """Splink 5 on DuckDB with a sensible contact-data setup (no labels, no tuning on the truth)."""
    import polars as pl
    import splink.comparison_library as cl
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on

    df = records.select(
        pl.col("record_id").alias("unique_id"),
        pl.col("given_name").str.to_lowercase().alias("first_name"),
        pl.col("family_name").str.to_lowercase().alias("surname"),
        pl.col("emails").list.first().alias("email"),
        pl.col("phones").list.first().alias("phone"),
        pl.col("organization").str.to_lowercase().alias("org"),
        pl.col("postal_code").alias("postcode"),
        pl.col("birthday").str.extract(r"^(\d{4}-\d{2}-\d{2})", 1).alias("dob"),
        pl.col("linkedin_url").alias("linkedin"),
    ).to_arrow()
    settings = SettingsCreator(
        link_type="dedupe_only",
        comparisons=[
            cl.NameComparison("first_name").configure(term_frequency_adjustments=True),
            cl.NameComparison("surname").configure(term_frequency_adjustments=True),
            cl.EmailComparison("email"),
            cl.ExactMatch("phone"),
            cl.ExactMatch("linkedin"),
            cl.JaroWinklerAtThresholds("org", [0.9]),
            cl.ExactMatch("postcode"),
            cl.ExactMatch("dob"),
        ],
        blocking_rules_to_generate_predictions=[
            block_on("first_name", "surname"),
            block_on("email"),
            block_on("phone"),
            block_on("linkedin"),
            block_on("surname", "org"),
            block_on("surname", "postcode"),
        ],
        retain_intermediate_calculation_columns=False,
    )
    db_api = DuckDBAPI()
    linker = Linker(db_api.register(df), settings, log_level=None)
    linker.training.estimate_probability_two_random_records_match(
        [block_on("email"), block_on("phone"), block_on("linkedin")], recall=0.7
    )
    linker.training.estimate_u_using_random_sampling(max_pairs=1e6, seed=1)
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("first_name", "surname"))
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("email"))
    predictions = linker.inference.predict(threshold_match_probability=0.2)
    clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(predictions, 0.9)
    out = pl.from_arrow(clusters.as_pyarrow_table()).select(
        pl.col("unique_id").alias("record_id"), pl.col("cluster_id").cast(pl.String).alias("label")
    )
    pairs = pl.from_arrow(predictions.as_pyarrow_table()).select(
        pl.col("unique_id_l").alias("record_a"), pl.col("unique_id_r").alias("record_b")
    )
    return out, pairs, {}


METHODS = {"kith": run_kith, "naive": run_naive, "splink": run_splink}


def with_store_keys(records):
    """The records as the store holds them: with normalization's derived name keys.

    ``kith dedupe`` reads records that went through normalization, which adds ``name_key``,
    ``given_key`` and ``family_key`` (pipeline.schema.DERIVED); the generator's frames lack
    them, and dedupe reads ``given_key``. Added when a set is generated, so loading stays a
    plain parquet read.
    """
    from pipeline.normalize.names import normalize_names

    _, keys = normalize_names(records)
    return records.with_columns(**keys)


def worker(method: str, n: int) -> None:
    import polars as pl

    records_path, truth_path = _paths(n)
    records = pl.read_parquet(records_path)
    truth = pl.read_parquet(truth_path)
    base = _rss_mib()
    start = time.perf_counter()
    labels, pairs, extra = METHODS[method](records)
    seconds = time.perf_counter() - start
    peak = _rss_mib()
    out = {
        "method": method,
        "records": n,
        "seconds": round(seconds, 2),
        "peak_rss_mib": round(peak),
        "rss_before_mib": round(base),
        "people": labels["label"].n_unique(),
    }
    labels = labels.with_columns(pl.col("label").cast(pl.String))
    out.update(pair_metrics(truth, labels))
    out.update(recall_split(records, truth, labels))
    if pairs is not None:
        out.update(blocking_recall(truth, pairs))
    if method == "naive":
        out.update(ceiling(records, truth))
    out.update(extra)
    print(json.dumps(out))


def generate(n: int) -> None:
    from bench.contacts_gen import generate as gen

    records_path, truth_path = _paths(n)
    CACHE.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    records, truth = gen(n, SEED)
    with_store_keys(records).write_parquet(records_path)
    truth.write_parquet(truth_path)
    print(f"generated {n:,} records in {time.perf_counter() - start:.1f}s → {records_path}", file=sys.stderr)


def _child(args: list[str]) -> str:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    done = subprocess.run(
        [sys.executable, __file__, *args], capture_output=True, text=True, env=env, check=False
    )
    if done.returncode:
        sys.stderr.write(done.stderr)
        raise SystemExit(f"child {args} failed")
    return done.stdout


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--methods", nargs="+", default=["naive", "kith", "splink"], choices=list(METHODS))
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--n", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker == "generate":
        generate(args.n)
        return
    if args.worker:
        worker(args.worker, args.n)
        return
    header = (
        f"{'records':>9} {'method':<7} {'prec':>7} {'recall':>7} {'F1':>7} {'rec_corr':>8} {'rec_name':>8} "
        f"{'block_r':>8} {'block_rT':>8} "
    )
    header += f"{'people':>8} {'sec':>7} {'×floor':>7} {'peak MiB':>9}"
    print(header)
    for n in args.sizes:
        if not _paths(n)[0].exists():
            _child(["--worker", "generate", "--n", str(n)])
        floor = None
        for method in args.methods:
            res = json.loads(_child(["--worker", method, "--n", str(n)]).strip().splitlines()[-1])
            if method == "naive":
                floor = res["seconds"]
            ratio = f"{res['seconds'] / floor:7.1f}" if floor else "      -"
            br = res.get("blocking_recall")
            brt = res.get("blocking_recall_transitive")
            print(
                f"{n:>9,} {method:<7} {res['precision']:7.4f} {res['recall']:7.4f} {res['f1']:7.4f} "
                f"{res['recall_corroborated']:8.4f} {res['recall_name_only']:8.4f} "
                f"{br if br is None else round(br, 4)!s:>8} {brt if brt is None else round(brt, 4)!s:>8} "
                f"{res['people']:>8,} {res['seconds']:7.2f} {ratio} {res['peak_rss_mib']:>9,}",
                flush=True,
            )
            if method == "naive":
                print(
                    f"          name-only share of true pairs: {res['name_only_share']:.4f}; ceiling "
                    f"(oracle, precision 1): recall {res['ceiling_recall_corroborated']:.4f} / F1 "
                    f"{res['ceiling_f1_corroborated']:.4f} finding every pair that shares more than a "
                    f"name, recall {res['ceiling_recall_unique_names']:.4f} / F1 "
                    f"{res['ceiling_f1_unique_names']:.4f} adding every name-only pair whose name "
                    "has one owner",
                    file=sys.stderr,
                )
            if "stats" in res:
                print(
                    "          timings:",
                    res["stats"]["timings"],
                    "candidates:",
                    res["stats"]["candidate_pairs"],
                    "review:",
                    res["stats"]["review_pairs"],
                    file=sys.stderr,
                )


if __name__ == "__main__":
    main()
