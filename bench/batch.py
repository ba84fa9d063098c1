"""Benchmark: `kith run`, the weekly batch, on an alumni-office-sized workspace.

Run from the repository root: ``python bench/batch.py [--rows 1000000] [--linkedin 30000]
[--cards 5000]``. Never part of the test run. It builds (seeded, cached) a workspace with a
1,000,000-row alumni csv (``bench/alumni.py``'s generator), a 30,000-row LinkedIn export
with its preamble and a 5,000-card mixed-dialect vcf (``bench/vcard.py``'s generator), then
times, each in its own process so peak memory (``ru_maxrss`` of the child) is its own:

- **floor**: polars' plain ``read_csv`` of the alumni file (the biggest input);
- **first run**: ``kith run`` on the fresh workspace: import all three, dedupe, every report;
- **second run**: ``kith run`` again with nothing changed: hashing and reading the store, no
  re-import (should take seconds, not minutes).

Ratios are against the floor measured in the same run.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench import alumni, vcard  # noqa: E402  (after the path is set)

FIRST = [
    "Maria",
    "Robert",
    "Ken",
    "Priya",
    "Dana",
    "Elizabeth",
    "James",
    "Aisha",
    "Noah",
    "Sofia",
    "Liam",
    "Mei",
]
LAST = [
    "Gonzalez",
    "Kowalski",
    "Watanabe",
    "Raman",
    "Whitfield",
    "Harper",
    "Okafor",
    "Novak",
    "Silva",
    "Rossi",
]
ORGS = [
    "Contoso Ltd",
    "Fabrikam Inc.",
    "Northwind Traders",
    "Litware",
    "Tailspin Toys",
    "Proseware, Inc.",
    "",
]
MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


def make_linkedin(path: Path, rows: int, seed: int = 11) -> None:
    rng = random.Random(seed)
    with open(path, "w", encoding="utf-8", newline="") as out:
        out.write(
            'Notes:\n"When exporting your connection data, you may notice that some of the email '
            'addresses are missing."\n\n'
            "First Name,Last Name,URL,Email Address,Company,Position,Connected On\n"
        )
        for i in range(rows):
            first, last = rng.choice(FIRST), rng.choice(LAST)
            email = f"{first.lower()}.{last.lower()}{i}@example.com" if rng.random() < 0.1 else ""
            org = rng.choice(ORGS)
            org = f'"{org}"' if "," in org else org
            day = f"{rng.randint(1, 28):02d} {rng.choice(MONTHS)} {rng.randint(2015, 2026)}"
            out.write(
                f"{first},{last},https://www.linkedin.com/in/{first.lower()}-{last.lower()}-{i},"
                f"{email},{org},Engineer,{day}\n"
            )


def build(rows: int, linkedin: int, cards: int) -> Path:
    base = Path(os.environ.get("KITH_BENCH_DIR", tempfile.gettempdir())) / "kith-bench"
    inputs = base / f"batch-inputs-{rows}-{linkedin}-{cards}"
    inputs.mkdir(parents=True, exist_ok=True)
    if not (inputs / "alumni.csv").exists():
        shutil.copy(alumni.make_csv(rows), inputs / "alumni.csv")
    if not (inputs / "Connections.csv").exists():
        make_linkedin(inputs / "Connections.csv", linkedin)
    if not (inputs / "phone.vcf").exists():
        vcard.generate(inputs / "phone.vcf", cards)
    return inputs


def workspace(inputs: Path) -> Path:
    root = Path(tempfile.mkdtemp(prefix="kith-batch-"))
    (root / "kith.toml").write_text(
        f"""[workspace]
region = "US"
school = "Example State University"

[[inputs]]
path = "{inputs / "alumni.csv"}"
importer = "alumni"

[[inputs]]
path = "{inputs / "Connections.csv"}"
importer = "linkedin"

[[inputs]]
path = "{inputs / "phone.vcf"}"
importer = "vcard"
""",
        encoding="utf-8",
    )
    return root


def timed(args: list[str]) -> dict:
    started = time.perf_counter()
    proc = subprocess.run(args, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return {
        "seconds": seconds,
        "peak_mib": peak,
        "rc": proc.returncode,
        "out": proc.stdout,
        "err": proc.stderr,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--linkedin", type=int, default=30_000)
    parser.add_argument("--cards", type=int, default=5_000)
    args = parser.parse_args()
    inputs = build(args.rows, args.linkedin, args.cards)
    root = workspace(inputs)
    python = sys.executable
    floor = timed(
        [
            python,
            "-c",
            f"import polars as pl; pl.read_csv({str(inputs / 'alumni.csv')!r}, "
            "skip_rows=3, infer_schema=False)",
        ]
    )
    kith = [python, "-m", "pipeline", "-w", str(root), "run", "--as-of", "2026-11-26", "--json"]
    first = timed(kith)
    second = timed(kith)
    print(f"load average {os.getloadavg()[0]:.1f}; workspace {root}")
    print(f"{'floor (polars read_csv, alumni)':36} {floor['seconds']:8.2f} s")
    for label, got in (("first kith run", first), ("second kith run (nothing new)", second)):
        report = json.loads(got["out"]) if got["out"].strip().startswith("{") else {}
        ratio = got["seconds"] / floor["seconds"]
        print(
            f"{label:36} {got['seconds']:8.2f} s  {ratio:6.1f}x floor  exit {got['rc']}  "
            f"records {report.get('records_imported')}  people {report.get('people')}  "
            f"tasks {report.get('tasks')}  durations {report.get('durations')}"
        )
        if got["rc"] not in (0, 3):
            print(got["err"][-2000:])
    # RUSAGE_CHILDREN keeps the largest child's peak: the first run dominates.
    print(f"peak memory of the largest run: {max(first['peak_mib'], second['peak_mib']):.0f} MiB")


if __name__ == "__main__":
    main()
