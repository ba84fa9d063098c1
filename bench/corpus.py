"""Time and peak memory of ``kith import`` on every bad-input corpus file, one process per file.

Run from the repository root: ``python bench/corpus.py [NAME ...]``. Each file is imported
into a fresh workspace by ``python -m pipeline import --json`` in its own process; the
wall time and the child's peak resident memory (``ru_maxrss`` from ``wait4``) are printed
with the outcome, next to the same figures for importing a small valid alumni CSV (the
floor: interpreter, polars and plugin start-up). The table in docs/reliability.md is this
script's output.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.corpus.make_corpus import FILES, small_files, write_big  # noqa: E402
from tests.corpus.measure import kith_command, run_measured  # noqa: E402


def run_one(path: Path, workspace: Path) -> tuple[float, float, dict | str]:
    """``(seconds, peak MB, outcome)`` for importing ``path`` in a child process."""
    result = run_measured(
        kith_command("--workspace", str(workspace), "import", str(path), "--json"), timeout=300
    )
    try:
        data = json.loads(result.stdout)["files"][0]
        outcome: dict | str = {k: data[k] for k in ("status", "importer", "records", "error")}
        outcome["rejects"] = len(data["rejects"])
    except (ValueError, KeyError, IndexError):
        outcome = (result.stderr.strip().splitlines() or [f"exit {result.returncode}, no output"])[-1]
    return result.seconds, result.peak_mb, outcome


def main(names: list[str]) -> None:
    from pipeline.workspace import init_workspace

    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        big = write_big(tmp_path / "big")
        paths = {name: FILES / name for name in small_files()} | big
        floor = tmp_path / "floor.csv"
        floor.write_bytes(
            (FILES / "header_only.csv").read_bytes() + b"A-1,Ada,Lovelace,1990,ada@example.com,,\r\n"
        )
        chosen = ["(valid alumni csv)"] + sorted(n for n in paths if not names or n in names)
        paths["(valid alumni csv)"] = floor
        print("| file | seconds | peak MB | outcome |\n|---|---:|---:|---|")
        for name in sorted(chosen, key=lambda n: paths[n].stat().st_size):
            workspace = tmp_path / f"ws-{len(os.listdir(tmp_path))}"
            init_workspace(workspace)
            seconds, peak, outcome = run_one(paths[name], workspace)
            if isinstance(outcome, dict):
                text = outcome["status"]
                if outcome["status"] == "failed":
                    text += f": {outcome['error']}"
                else:
                    text += f" ({outcome['records']} records, {outcome['rejects']} rejects)"
            else:
                text = f"CRASH: {outcome}"
            text = text.replace(str(paths[name]), name).replace("|", "\\|")
            print(f"| {name} | {seconds:.2f} | {peak:.0f} | {text} |", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
