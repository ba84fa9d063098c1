"""Property-based fuzzing of every importer's read path and of normalization (hypothesis).

For any bytes under a contact-file name, and for mutations of real samples (bytes cut,
flipped, inserted, lines duplicated), an importer either returns a result or raises
:class:`pipeline.errors.KithError` (``InputError`` and friends) — never any other
exception — and finishes within a per-example deadline. The same holds for the whole
core path (:func:`pipeline.importing.import_file`), which must never raise at all, and
for :func:`pipeline.normalize.normalize_records` on arbitrary text in every column.

Example counts are bounded so CI stays quick; raise ``KITH_FUZZ_EXAMPLES`` locally for a
longer hunt.
"""

from __future__ import annotations

import os
from pathlib import Path

import polars as pl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline import registry
from pipeline.contracts import ImportOptions, ImportResult
from pipeline.errors import KithError
from pipeline.importing import import_file
from pipeline.normalize import normalize_records
from pipeline.schema import RAW_COLUMNS, validate_raw
from pipeline.store import Store
from pipeline.testing import make_workspace, plugin_manager
from tests.corpus.make_corpus import FILES

EXAMPLES = int(os.environ.get("KITH_FUZZ_EXAMPLES", "20"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=3000,  # ms per example: a bounded time per input
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    derandomize=True,  # the same examples every run: CI failures replay
)
SAMPLES = Path(__file__).parent.parent / "sample_inputs"
SEEDS = {
    "linkedin": SAMPLES / "linkedin" / "Connections.csv",
    "vcard": SAMPLES / "vcard" / "iphone_contacts.vcf",
    "google_csv": SAMPLES / "google" / "contacts.csv",
    "outlook_csv": SAMPLES / "outlook" / "contacts.csv",
    "alumni": FILES / "utf16_no_bom.csv",
    "journal": SAMPLES / "journal" / "journal.xlsx",
}
SUFFIXES = {"linkedin": ".csv", "vcard": ".vcf", "google_csv": ".csv", "outlook_csv": ".csv"}
SUFFIXES |= {"alumni": ".csv", "journal": ".csv", "thunderbird_csv": ".csv"}

PM = plugin_manager()
IMPORTERS = registry.importers(PM)


def _read(name: str, path: Path) -> None:
    """The importer's sniff and read: a result or a KithError, nothing else."""
    importer = IMPORTERS[name]
    head = path.read_bytes()[: 64 * 1024]
    try:
        importer.sniff(path, head)  # the core treats a failing sniff as "not mine"; a KithError is fine
    except KithError:
        pass
    try:
        result = importer.read(path, ImportOptions(region="US"))
    except KithError:
        return
    assert isinstance(result, ImportResult)
    validate_raw(result.records, name)


@st.composite
def mutated(draw, seed: bytes) -> bytes:
    data = bytearray(seed[:20_000])
    for _ in range(draw(st.integers(1, 6))):
        op = draw(st.sampled_from(["cut", "flip", "insert", "dup", "nul"]))
        at = draw(st.integers(0, max(len(data) - 1, 0)))
        if op == "cut":
            del data[at:]
        elif op == "flip" and data:
            data[at] ^= draw(st.integers(1, 255))
        elif op == "insert":
            data[at:at] = draw(st.binary(max_size=64))
        elif op == "dup":
            data[at:at] = data[at : at + draw(st.integers(1, 2000))]
        elif data:
            data[at:at] = b"\x00"
    return bytes(data)


TEXTY = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=400).map(
    lambda s: s.encode("utf-8")
)


@FUZZ
@given(name=st.sampled_from(sorted(IMPORTERS)), data=st.one_of(st.binary(max_size=2000), TEXTY))
def test_importers_on_arbitrary_bytes(tmp_path_factory, name, data):
    path = tmp_path_factory.mktemp("fuzz") / f"input{SUFFIXES.get(name, '.csv')}"
    path.write_bytes(data)
    _read(name, path)


@FUZZ
@given(name=st.sampled_from(sorted(n for n in SEEDS if n != "journal")), data=st.data())
def test_importers_on_damaged_real_files(tmp_path_factory, name, data):
    damaged = data.draw(mutated(SEEDS[name].read_bytes()))
    path = tmp_path_factory.mktemp("fuzz") / f"input{SUFFIXES[name]}"
    path.write_bytes(damaged)
    _read(name, path)


@FUZZ
@given(data=st.data())
def test_damaged_workbooks(tmp_path_factory, data):
    """Bytes of a real xlsx cut, flipped or padded: journal and alumni refuse or read, never crash."""
    damaged = data.draw(mutated(SEEDS["journal"].read_bytes()))
    path = tmp_path_factory.mktemp("fuzz") / "journal.xlsx"
    path.write_bytes(damaged)
    for name in ("journal", "alumni"):
        _read(name, path)


@FUZZ
@given(
    data=st.one_of(st.binary(max_size=3000), TEXTY), suffix=st.sampled_from([".csv", ".vcf", ".xlsx", ".txt"])
)
def test_the_core_import_path_never_raises(tmp_path_factory, data, suffix):
    """import_file turns every problem into an outcome (status failed + one-line error) or imports."""
    root = tmp_path_factory.mktemp("core")
    workspace = make_workspace(root / "ws")
    path = root / f"input{suffix}"
    path.write_bytes(data)
    with Store(workspace.store_path) as store:
        outcome = import_file(store, PM, path, options=ImportOptions(region="US"))
    assert outcome.status in ("imported", "failed", "unchanged")
    if outcome.status == "failed":
        assert outcome.error and "\n" not in outcome.error and "Traceback" not in outcome.error


TEXT = st.one_of(st.none(), st.text(max_size=60))
LISTS = st.one_of(st.none(), st.lists(st.text(max_size=40), max_size=4))


@FUZZ
@given(
    rows=st.lists(st.fixed_dictionaries({}, optional=dict.fromkeys(sorted(RAW_COLUMNS), TEXT)), max_size=8)
)
def test_normalization_accepts_any_text(rows):
    columns = sorted({c for row in rows for c in row} | {"source_ref"})
    values = {c: [row.get(c) for row in rows] for c in columns}
    values["source_ref"] = [f"row {i + 2}" for i in range(len(rows))]
    frame = pl.DataFrame(values, schema=dict.fromkeys(columns, pl.String))
    raw = validate_raw(frame, "fuzz")
    result = normalize_records(raw, region="US")
    assert result.frame.height == len(rows)


@FUZZ
@given(emails=st.lists(LISTS, min_size=1, max_size=6), names=st.lists(TEXT, min_size=6, max_size=6))
def test_normalization_of_list_columns(emails, names):
    frame = pl.DataFrame(
        {
            "source_ref": [f"row {i}" for i in range(len(emails))],
            "full_name": names[: len(emails)],
            "emails": emails,
            "phones": emails,
        },
        schema={"source_ref": pl.String, "full_name": pl.String, "emails": pl.List(pl.String)}
        | {"phones": pl.List(pl.String)},
    )
    result = normalize_records(validate_raw(frame, "fuzz"), region="US")
    assert result.frame.height == len(emails)
