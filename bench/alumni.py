"""Benchmark: the alumni importer on a 1,000,000-row csv and a 200,000-row xlsx directory.

Run from the repository root: ``python bench/alumni.py [--rows 1000000] [--xlsx-rows 200000]``.
Never part of the test run. The data is generated (seeded) once into a cache folder
(``$KITH_BENCH_DIR`` or the system temp dir) with a messy header: title rows above it, a
repeated header row and blank rows in the middle, a "Total" row at the end, typo'd and
CRM-style column names. Each phase runs in its own process so its peak memory
(``ru_maxrss``) is its own:

- ``floor``: polars' plain ``read_csv`` / ``read_excel`` of the same file (header position
  given, every column as text): the fastest this file can be read at all;
- ``read``: the importer's read + header finding + mapping (``AlumniImporter.read``);
- ``normalize``: read + ``schema.validate_raw`` + ``normalize.normalize_records``;
- ``import``: the whole ``kith import`` into a store, when the core has ``pipeline.importing``;
- ``store floor``: the floor's read, then its rows as they are (every column text, nothing
  normalized, no index) into a new SQLite table through the ADBC driver and committed: the
  least any import that keeps each row in the SQLite store can cost;
- ``steps``: the same import in one process with each step timed (wall and CPU seconds): the
  importer's read, validate + normalize, record ids, encoding for SQL, the ADBC ingest, building
  the record indexes, the commit (``--steps-only`` runs just this one on the csv).

Ratios are against the floor measured in the same run.
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
TITLE_LINES = 3  # title, export note, blank line above the header

HEADER = [
    "Constituent ID", "First", "Last Name", "Preferred Name", "Class Yr", "Degree", "E-mail Address",
    "Secondary Email", "Cell", "Home Phone", "Employer", "Postion", "City/State", "Country", "Deceased",
    "Accept Email", "Favourite Color", "Notes",
]  # fmt: skip


def _cache_dir() -> Path:
    folder = Path(os.environ.get("KITH_BENCH_DIR", Path(tempfile.gettempdir()) / "kith-bench"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _frame(rows: int, seed: int):
    """The directory's rows as an all-text polars frame (vectorized, seeded through polars' hash)."""
    import polars as pl

    first = ["Maria", "Robert", "Priya", "Chen", "Fatima", "Lucas", "Sofia", "José", "Zoë", "Noah"]
    last = ["Gonzalez", "Kowalski", "Patel", "Wei", "Haddad", "Silva", "Müller", "O'Neil", "Nair", "Kim"]
    cities = ["Seattle, WA", "Austin, TX", "Chicago, IL", "Toronto, ON", "Boston, MA", None]
    employers = ["Contoso Ltd", "Northwind Traders", "Fabrikam Inc", "Woodgrove Bank", None]

    def pick(values: list, salt: int) -> pl.Expr:
        position = (pl.col("i").hash(seed + salt) % len(values)).cast(pl.Int64)
        return pl.lit(pl.Series(values, dtype=pl.String)).gather(position)

    frame = pl.DataFrame({"i": pl.int_range(0, rows, eager=True)}).with_columns(
        pick(first, 1).alias("f"),
        pick(last, 2).alias("l"),
        (pl.col("i").hash(seed + 3) % 75 + 1950).cast(pl.Int64).alias("y"),
        pick(cities, 4).alias("city"),
        pick(employers, 5).alias("emp"),
        (pl.col("i").hash(seed + 6) % 100).cast(pl.Int64).alias("r"),
    )
    i, r = pl.col("i").cast(pl.String), pl.col("r")
    four = (pl.col("i") % 10000).cast(pl.String).str.zfill(4)
    low = (pl.col("f") + "." + pl.col("l")).str.to_lowercase().str.replace_all("[^a-z.]", "")
    return frame.select(
        (pl.lit("C") + i).alias("Constituent ID"),
        pl.col("f").alias("First"),
        pl.col("l").alias("Last Name"),
        pl.when(r < 10).then(pl.lit("Bob")).alias("Preferred Name"),
        pl.when(r < 20).then(pl.lit("'") + (pl.col("y") % 100).cast(pl.String).str.zfill(2))
        .otherwise(pl.col("y").cast(pl.String)).alias("Class Yr"),
        pl.when(r < 50).then(pl.lit("BA")).otherwise(pl.lit("BS")).alias("Degree"),
        pl.when(r < 85).then(low + i + "@example.com").alias("E-mail Address"),
        pl.when(r < 15).then(low + i + "@example.org").alias("Secondary Email"),
        pl.when(r < 70).then(pl.lit("(206) 555-") + four).alias("Cell"),
        pl.when(r > 90).then(pl.lit("+1 312 555 ") + four).alias("Home Phone"),
        pl.col("emp").alias("Employer"),
        pl.when(r < 40).then(pl.lit("Engineer")).alias("Postion"),
        pl.col("city").alias("City/State"),
        pl.when(r < 90).then(pl.lit("USA")).otherwise(pl.lit("Canada")).alias("Country"),
        pl.when(r == 0).then(pl.lit("Yes")).alias("Deceased"),
        pl.when(r == 1).then(pl.lit("No")).otherwise(pl.lit("Yes")).alias("Accept Email"),
        pl.when(r < 5).then(pl.lit("teal")).alias("Favourite Color"),
        pl.when(r < 3).then(pl.lit('met at reunion, said "call me"')).alias("Notes"),
    )  # fmt: skip


def make_csv(rows: int, seed: int = 42) -> Path:
    """The 1M-row csv (cached): title lines, header, data with a repeated header and blanks, Total."""
    import io

    import polars as pl

    path = _cache_dir() / f"alumni_{rows}_{seed}.csv"
    if path.exists():
        return path
    frame = _frame(rows, seed)
    half = rows // 2
    header_row = pl.DataFrame([HEADER], schema=HEADER, orient="row")
    blank = pl.DataFrame([[None] * len(HEADER)], schema=HEADER, orient="row")
    total = pl.DataFrame(
        [["Total", None, None, None, None, None, f"{rows} records"] + [None] * 11],
        schema=HEADER,
        orient="row",
    )
    body = pl.concat([frame.slice(0, half), blank, header_row, frame.slice(half), blank, total])
    buffer = io.BytesIO()
    body.write_csv(buffer)
    with open(path, "wb") as out:
        out.write(b"Springfield University Alumni Directory\nexported 2026-03-02 (confidential)\n\n")
        out.write(buffer.getvalue())
    return path


def make_xlsx(rows: int, seed: int = 7) -> Path:
    """The 200k-row workbook (cached): title rows, header, data, a notes sheet."""
    path = _cache_dir() / f"alumni_{rows}_{seed}.xlsx"
    if path.exists():
        return path
    frame = _frame(rows, seed)
    try:
        import xlsxwriter  # noqa: F401  (polars' write_excel needs it)

        frame.write_excel(path, worksheet="Alumni", position=(TITLE_LINES, 0))
    except ImportError:
        import openpyxl

        wb = openpyxl.Workbook(write_only=True)
        ws = wb.create_sheet("Alumni")
        ws.append(["Springfield University Alumni Directory"])
        ws.append(["exported 2026-03-02 (confidential)"])
        ws.append([])
        ws.append(HEADER)
        for row in frame.iter_rows():
            ws.append(list(row))
        notes = wb.create_sheet("Notes")
        notes.append(["About this export"])
        wb.save(path)
    return path


def _peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_phase(phase: str, path: Path) -> dict:
    """Run one phase in this process; return seconds, peak MiB and the row count."""
    import polars as pl

    if phase == "import":
        # Runs the CLI as a child of this (otherwise idle) process, so RUSAGE_CHILDREN is the CLI's peak.
        return _whole_import(path)
    if phase == "steps":
        return _import_steps(path)
    start = time.perf_counter()
    if phase == "floor":
        if path.suffix == ".xlsx":
            frame = pl.read_excel(
                path, sheet_name="Alumni", engine="calamine", read_options={"header_row": TITLE_LINES}
            )
        else:
            frame = pl.read_csv(path, skip_rows=TITLE_LINES, infer_schema=False)
        rows = frame.height
    elif phase == "store":
        rows = _store_floor(path)
    elif phase == "sniff":
        from plugins.alumni import AlumniImporter

        score = AlumniImporter().sniff(path, path.read_bytes()[: 64 * 1024])
        rows = int(score * 100)
    else:
        from pipeline.contracts import ImportOptions
        from plugins.alumni import AlumniImporter

        options = ImportOptions(school="Springfield University")
        result = AlumniImporter().read(path, options)
        rows = result.records.height
        if phase == "normalize":
            from pipeline.normalize import normalize_records
            from pipeline.schema import validate_raw

            rows = normalize_records(validate_raw(result.records, "alumni"), region="US").frame.height
    return {"phase": phase, "seconds": time.perf_counter() - start, "peak_mib": _peak_mib(), "rows": rows}


def _store_floor(path: Path) -> int:
    """The csv read as the floor reads it and written row for row into a new SQLite table."""
    import adbc_driver_sqlite.dbapi as adbc
    import polars as pl

    frame = pl.read_csv(path, skip_rows=TITLE_LINES, infer_schema=False)
    with tempfile.TemporaryDirectory() as folder:
        conn = adbc.connect(str(Path(folder) / "floor.db"))
        try:
            with conn.cursor() as cur:
                cur.adbc_ingest("rows", frame.to_arrow(), mode="create")
            conn.commit()
        finally:
            conn.close()
    return frame.height


def _whole_import(path: Path) -> dict:
    """``kith init`` + ``kith import --as alumni`` in a fresh workspace (the CLI of DESIGN.md), timed."""
    from pipeline.manager import BUILTIN_PLUGINS

    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    with tempfile.TemporaryDirectory() as workspace:
        subprocess.run(
            [sys.executable, "-m", "pipeline", "init", workspace], check=True, env=env, capture_output=True
        )
        extra: list[str] = []
        if "plugins.alumni" not in BUILTIN_PLUGINS:
            # Until the lead lists it as a built-in, load it as a loose plugin file.
            folder = Path(workspace) / "bench_plugins"
            folder.mkdir()
            (folder / "alumni_bench.py").write_text(
                "from plugins.alumni import register_importers  # noqa: F401\n"
            )
            extra = ["--plugins-dir", str(folder)]
        command = [sys.executable, "-m", "pipeline", "--workspace", workspace, *extra, "import", str(path)]
        start = time.perf_counter()
        out = subprocess.run(
            [*command, "--as", "alumni", "--json"],
            check=True,
            env=env,
            capture_output=True,
            text=True,
            cwd=workspace,
        )
        seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return {
        "phase": "import",
        "seconds": seconds,
        "peak_mib": peak,
        "rows": json.loads(out.stdout)["records"],
    }


class _Steps:
    """Wall and CPU seconds per step of one import, by wrapping the functions that do each step."""

    def __init__(self) -> None:
        self.seconds: dict[str, list[float]] = {}

    def add(self, step: str, wall: float, cpu: float) -> None:
        got = self.seconds.setdefault(step, [0.0, 0.0])
        got[0] += wall
        got[1] += cpu

    def wrap(self, owner: object, name: str, step: str) -> None:
        import functools

        real = getattr(owner, name)

        @functools.wraps(real)
        def timed(*args, **kwargs):
            wall, cpu = time.perf_counter(), time.process_time()
            try:
                return real(*args, **kwargs)
            finally:
                self.add(step, time.perf_counter() - wall, time.process_time() - cpu)

        setattr(owner, name, timed)


def _import_steps(path: Path) -> dict:
    """``kith import --as alumni`` in this process, each step timed (see the module docstring)."""
    import contextlib

    from pipeline import importing, registry
    from pipeline import store as store_module
    from pipeline.cli import build_app
    from pipeline.run import stages

    steps = _Steps()
    for name, step in (
        ("validate_raw", "validate + normalize"),
        ("normalize_records", "validate + normalize"),
        ("_record_keys", "record ids"),
        ("_occurrences", "record ids"),
        ("_hashed_ids", "record ids"),
        ("_keep_source_id", "record ids"),
    ):
        steps.wrap(importing, name, step)
    steps.wrap(store_module, "encode_for_sql", "encode for SQL")
    steps.wrap(stages.Run, "plan_inputs", "plan (hash the file)")
    steps.wrap(stages.Run, "sync_journal", "journal sync")
    real_importers = registry.importers

    def importers(pm):
        found = real_importers(pm)
        for importer in found.values():
            if not hasattr(importer, "_bench_timed"):
                steps.wrap(importer, "read", "importer's read")
                importer._bench_timed = True
        return found

    importing.registry.importers = importers  # type: ignore[attr-defined]
    real_cursor = store_module.Store.bulk_cursor

    @contextlib.contextmanager
    def bulk_cursor(self):
        with real_cursor(self) as cur:
            yield _TimedCursor(cur, steps)

    store_module.Store.bulk_cursor = bulk_cursor
    with tempfile.TemporaryDirectory() as workspace:
        app = build_app()
        with contextlib.suppress(SystemExit):
            app(["init", workspace], standalone_mode=False)
        wall, cpu = time.perf_counter(), time.process_time()
        with contextlib.suppress(SystemExit):
            app(["--workspace", workspace, "import", str(path), "--as", "alumni"], standalone_mode=False)
        seconds = time.perf_counter() - wall
        steps.add("whole import command", seconds, time.process_time() - cpu)
    return {"phase": "steps", "seconds": seconds, "peak_mib": _peak_mib(), "rows": 0, "steps": steps.seconds}


class _TimedCursor:
    """An ADBC cursor whose ingests, index builds and commit are timed as steps."""

    def __init__(self, cur, steps: _Steps) -> None:
        self._cur, self._steps = cur, steps

    def __getattr__(self, name: str):
        return getattr(self._cur, name)

    def _timed(self, step: str, call, *args, **kwargs):
        wall, cpu = time.perf_counter(), time.process_time()
        try:
            return call(*args, **kwargs)
        finally:
            self._steps.add(step, time.perf_counter() - wall, time.process_time() - cpu)

    def adbc_ingest(self, *args, **kwargs):
        return self._timed("ADBC ingest", self._cur.adbc_ingest, *args, **kwargs)

    def execute(self, sql: str, *args, **kwargs):
        step = {"CREATE": "build record indexes", "COMMIT": "commit"}.get(sql.split()[0], "other SQL")
        return self._timed(step, self._cur.execute, sql, *args, **kwargs)


def _in_subprocess(phase: str, path: Path) -> dict:
    out = subprocess.run(
        [sys.executable, __file__, "--phase", phase, str(path)],
        check=True,
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def _line(label: str, got: dict, tail: str) -> str:
    return f"  {label:28s} {got['seconds']:7.2f} s  {got['peak_mib']:7.0f} MiB  {tail}"


def _show_steps(got: dict) -> None:
    print(f"  steps of one import in one process (peak {got['peak_mib']:.0f} MiB):")
    whole = got["steps"].pop("whole import command")
    for step, (wall, cpu) in got["steps"].items():
        print(f"    {step:26s} {wall:7.2f} s wall  {cpu:7.2f} s CPU")
    rest = [whole[i] - sum(v[i] for v in got["steps"].values()) for i in (0, 1)]
    print(f"    {'the rest (open, plan, …)':26s} {rest[0]:7.2f} s wall  {rest[1]:7.2f} s CPU")
    print(f"    {'whole import command':26s} {whole[0]:7.2f} s wall  {whole[1]:7.2f} s CPU")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--xlsx-rows", type=int, default=200_000)
    parser.add_argument("--phase")
    parser.add_argument("--steps-only", action="store_true", help="only the timed steps of the csv import")
    parser.add_argument("path", nargs="?")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))  # this checkout's code, not an installed kith
    if args.phase:
        print(json.dumps(run_phase(args.phase, Path(args.path))))
        return
    try:
        import pipeline.importing  # noqa: F401

        has_import = True
    except ImportError:
        has_import = False
    if args.steps_only:
        _show_steps(_in_subprocess("steps", make_csv(args.rows)))
        return
    for label, path in (("csv", make_csv(args.rows)), ("xlsx", make_xlsx(args.xlsx_rows))):
        size = path.stat().st_size / 2**20
        print(f"\n{label}: {path.name} ({size:.0f} MiB)")
        floor = _in_subprocess("floor", path)
        print(_line("floor (polars read)", floor, f"{floor['rows']:,} rows"))
        phases = ["sniff", "read", "normalize"]
        if has_import:  # the store floor is the csv's (the xlsx's floor is a different reader)
            phases += (["store"] if label == "csv" else []) + ["import", "steps"]
        for phase in phases:
            try:
                got = _in_subprocess(phase, path)
            except subprocess.CalledProcessError as exc:
                print(f"  {phase:28s} failed: {exc.stderr.strip().splitlines()[-1] if exc.stderr else exc}")
                continue
            if phase == "steps":
                _show_steps(got)
                continue
            ratio = got["seconds"] / floor["seconds"]
            what = {
                "sniff": "sniff",
                "read": "read + map",
                "normalize": "read + map + normalize",
                "store": "store floor (rows as text)",
                "import": "whole import",
            }
            rows = f"score {got['rows'] / 100:.2f}" if phase == "sniff" else f"{got['rows']:,} rows"
            print(_line(what[phase], got, f"{ratio:6.1f}x floor  {rows}"))
        if not has_import:
            print("  whole import: pipeline.importing is not on this branch yet")


if __name__ == "__main__":
    main()
