"""Google Takeout importer: the Takeout ``.zip`` read directly, like LinkedIn's export zip.

Not a module of its own in the built-in list: :mod:`plugins.google_csv` registers it next to
the Google CSV importer, whose format it shares. A Takeout of Google Contacts holds one
folder per contact label under ``Takeout/Contacts/`` (``All Contacts/All Contacts.vcf``,
``Family/Family.vcf`` …, or ``.csv`` files when the user chose Google CSV). Every such member
is read by the vCard or Google CSV reader; a contact that appears in several label files is
one record whose tags are its labels (``Family``), not one record per file. Record places
name the member: ``Contacts/Family/Family.vcf card 3 (line 12)``.
"""

from __future__ import annotations

import dataclasses
import re
import tempfile
import zipfile
import zlib
from pathlib import Path, PurePosixPath
from typing import Any

import polars as pl

from pipeline.contracts import ImportOptions, ImportResult, Reject
from pipeline.errors import InputError

NAME = "google_takeout"
#: A contacts member of a Takeout zip: ``[Takeout/]Contacts/<label>/<file>.vcf|csv``.
_MEMBER = re.compile(r"(?:^|/)Contacts/(?:(?P<label>[^/]+)/)?[^/]+\.(?:vcf|csv)$", re.IGNORECASE)
#: Labels every contact has: not worth a tag.
_EVERYONE = {
    "all contacts",
    "my contacts",
    "contacts",
    "alle kontakte",
    "meine kontakte",
    "tous les contacts",
}
#: Largest member read (inflated), and the largest inflation ratio of a member over 16 MB.
MAX_MEMBER_BYTES = 256 * 1024 * 1024
MAX_RATIO = 100


def contact_members(archive: zipfile.ZipFile) -> list[zipfile.ZipInfo]:
    """The Takeout zip's contact files, in archive order."""
    return [i for i in archive.infolist() if not i.is_dir() and _MEMBER.search(i.filename)]


class TakeoutImporter:
    """Google Takeout zip of Google Contacts (vCard or Google CSV files inside).

    :param csv_importer: the Google CSV importer that reads the ``.csv`` members (handed in by
        :mod:`plugins.google_csv`, which registers this importer).
    """

    name = NAME
    description = "Google Takeout .zip of Google Contacts (the vCard or CSV files inside)"

    def __init__(self, csv_importer) -> None:
        self.csv_importer = csv_importer

    def sniff(self, path: Path, head: bytes) -> float:
        if not head.startswith(b"PK\x03\x04"):
            return 0.0
        try:
            with zipfile.ZipFile(path) as archive:
                return 0.95 if contact_members(archive) else 0.0
        except (zipfile.BadZipFile, OSError, EOFError, zlib.error):
            return 0.0

    def read(self, path: Path, options: ImportOptions) -> ImportResult:
        frames: list[pl.DataFrame] = []
        rejects: list[Reject] = []
        info: dict[str, Any] = {"members": {}, "warnings": []}
        with tempfile.TemporaryDirectory(prefix="kith-takeout-") as tmp:
            for member, local in _extract(path, Path(tmp)):
                result = _read_member(local, options, self.csv_importer)
                shown = _shown(member.filename)
                label = _label(member.filename)
                info["members"][shown] = {
                    "records": result.records.height,
                    "encoding": result.info.get("encoding"),
                }
                info["warnings"] += [f"{shown}: {w}" for w in result.info.get("warnings", [])]
                rejects += [Reject(f"{shown} {r.ref}", r.reason, r.raw) for r in result.rejects]
                frame = result.records.with_columns(
                    (pl.lit(shown + " ") + pl.col("source_ref")).alias("source_ref")
                )
                frames.append(frame.with_columns(pl.lit(label, pl.String).alias("_label")))
        if not frames:
            raise InputError(f"{path}: the zip holds no Contacts/*.vcf or *.csv file")
        records = _one_record_per_contact(pl.concat(frames, how="diagonal_relaxed"))
        encodings = sorted({m["encoding"] for m in info["members"].values() if m["encoding"]})
        info["encoding"] = ", ".join(encodings) or None
        return ImportResult(records, rejects, info)


def _extract(path: Path, into: Path):
    """Yield ``(member, local copy)`` for each contacts member, refusing bombs and huge members."""
    try:
        with zipfile.ZipFile(path) as archive:
            for number, member in enumerate(contact_members(archive)):
                if member.file_size > MAX_MEMBER_BYTES or (
                    member.file_size > 16 * 1024 * 1024
                    and member.file_size > MAX_RATIO * max(member.compress_size, 1)
                ):
                    raise InputError(
                        f"{path}: {member.filename} would inflate to {member.file_size:,} bytes; "
                        "over the limit for a contacts file"
                    )
                local = into / f"{number}{PurePosixPath(member.filename).suffix.lower()}"
                with archive.open(member) as source, open(local, "wb") as target:
                    data = source.read(MAX_MEMBER_BYTES + 1)
                    if len(data) > MAX_MEMBER_BYTES:
                        raise InputError(f"{path}: {member.filename} inflates past the size limit")
                    target.write(data)
                yield member, local
    except (zipfile.BadZipFile, RuntimeError, OSError, EOFError, zlib.error) as exc:
        raise InputError(f"{path}: cannot read the zip ({exc})") from None


def _read_member(local: Path, options: ImportOptions, csv_importer) -> ImportResult:
    if local.suffix == ".vcf":
        from plugins.vcard.read import read_vcards

        return read_vcards(local, options)
    # A Takeout CSV is Google's own export; forced, a variant header is still read.
    return csv_importer.read(local, dataclasses.replace(options, forced=True))


def _shown(name: str) -> str:
    """The member's name from ``Contacts/`` on (``Takeout/`` says nothing)."""
    at = name.find("Contacts/")
    return name[at:] if at >= 0 else name


def _label(name: str) -> str | None:
    match = _MEMBER.search(name)
    label = match.group("label") if match else None
    return None if label is None or label.casefold() in _EVERYONE else label


def _one_record_per_contact(frame: pl.DataFrame) -> pl.DataFrame:
    """A contact found in several label files once, tagged with its labels, in first-seen order."""
    if "tags" not in frame.columns:
        frame = frame.with_columns(pl.lit([], pl.List(pl.String)).alias("tags"))
    frame = frame.with_columns(pl.col("tags").fill_null(pl.lit([], pl.List(pl.String))))
    same = [c for c in frame.columns if c not in ("source_ref", "tags", "_label")]
    key = pl.struct(same).hash()
    labels = pl.concat_list([pl.col("tags"), pl.col("_label").cast(pl.String)]).list.drop_nulls()
    grouped = (
        frame.with_columns(_key=key, tags=labels)
        .group_by("_key", maintain_order=True)
        .agg(
            pl.all().exclude("tags", "_label").first(),
            pl.col("tags").list.explode(keep_nulls=False, empty_as_null=False).unique(maintain_order=True),
        )
    )
    return grouped.drop("_key").select([c for c in frame.columns if c != "_label"])
