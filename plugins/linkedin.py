"""LinkedIn ``Connections.csv`` importer (also reads the export ``.zip`` directly).

LinkedIn's "Get a copy of your data" export starts with a "Notes:" preamble whose length
varies between export versions (its quoted note can even span lines), so the header row
is found by content, never by a fixed offset. Columns are mapped by name (English and
German headers, with or without the newer ``URL`` column). Blank padding rows are
skipped; a row with nothing but a connection date (a restricted profile) is a reject.
"""

from __future__ import annotations

import csv
import io
import itertools
import zipfile
import zlib
from pathlib import Path

import polars as pl

from pipeline import hookimpl, tabular
from pipeline.contracts import ImportOptions, ImportResult, Reject
from pipeline.errors import InputError
from pipeline.frames import extra_from_columns, json_object, merge_json_objects
from pipeline.normalize import linkedin_url_expr
from pipeline.textio import decode_bytes

NAME = "linkedin"

#: Header text (case-folded) → canonical field.
HEADER_FIELDS: dict[str, str] = {
    "first name": "given_name",
    "vorname": "given_name",
    "last name": "family_name",
    "nachname": "family_name",
    "url": "linkedin_url",
    "profile url": "linkedin_url",
    "email address": "emails",
    "e-mail-adresse": "emails",
    "company": "organization",
    "unternehmen": "organization",
    "position": "title",
    "connected on": "connected_on",
    "verbunden am": "connected_on",
}
_MARKERS = {"connected on", "verbunden am"}
#: "Company" values that mean "no employer"; kept in extra, not as an organization.
NO_EMPLOYER = {"freelance", "freelancer", "self-employed", "self employed", "independent", "retired", "none"}
HEADER_SEARCH_LINES = 60
IDENTIFYING = ("given_name", "family_name", "linkedin_url", "emails", "organization", "title")
MAX_ZIP_MEMBER = 256 * 1024 * 1024
_MISFIT_REASON = (
    "the row has more fields than the header (an unquoted comma in a value?); kept whole, not shifted"
)


def _header_fields(line: str) -> list[str] | None:
    """The header's cells if ``line`` is a LinkedIn connections header, else None."""
    try:
        cells = next(csv.reader([line]))
    except (csv.Error, StopIteration):
        return None
    keys = [cell.strip().lstrip("\ufeff").casefold() for cell in cells]
    fields = {HEADER_FIELDS.get(k) for k in keys}
    if {"given_name", "family_name"} <= fields and (
        _MARKERS & set(keys) or {"organization", "title"} <= fields
    ):
        return cells
    return None


def find_header(text: str) -> tuple[int, int]:
    """``(character offset, 1-based line number)`` of the header row, or InputError."""
    offset = 0
    # Lazily: a file of 50 million newlines must not become a list of 50 million strings.
    lines = itertools.islice(io.StringIO(text, newline=""), HEADER_SEARCH_LINES)
    for number, line in enumerate(lines, 1):
        if _header_fields(line.rstrip("\r\n")):
            return offset, number
        offset += len(line)
    raise InputError(
        "no LinkedIn header row (First Name, Last Name, …, Connected On) in the first "
        f"{HEADER_SEARCH_LINES} lines"
    )


def _connections_member(archive: zipfile.ZipFile) -> zipfile.ZipInfo | None:
    for info in archive.infolist():
        if Path(info.filename).name.casefold() == "connections.csv":
            return info
    return None


def _read_bytes(path: Path) -> tuple[bytes, str]:
    """The CSV bytes and a prefix for record places (the member name inside a zip)."""
    if zipfile.is_zipfile(path):
        try:
            with zipfile.ZipFile(path) as archive:
                member = _connections_member(archive)
                if member is None:
                    raise InputError(f"{path}: the zip holds no Connections.csv")
                if member.file_size > MAX_ZIP_MEMBER:
                    raise InputError(
                        f"{path}: {member.filename} would inflate to {member.file_size:,} bytes, "
                        f"over the {MAX_ZIP_MEMBER:,}-byte limit"
                    )
                with archive.open(member) as handle:
                    data = handle.read(MAX_ZIP_MEMBER + 1)
                if len(data) > MAX_ZIP_MEMBER:
                    raise InputError(f"{path}: {member.filename} inflates past the size limit")
                return data, f"{member.filename} "
        except (zipfile.BadZipFile, RuntimeError, OSError, EOFError, zlib.error) as exc:
            raise InputError(f"{path}: cannot read the zip ({exc})") from None
    try:
        return path.read_bytes(), ""
    except OSError as exc:
        raise InputError(f"{path}: cannot be read ({exc.strerror or exc})") from None


def _collapse_blank_runs(data: bytes) -> bytes:
    """Runs of blank lines after the header search window, collapsed (see :mod:`pipeline.tabular`)."""
    if data[:4096].count(b"\x00"):
        return data  # UTF-16: not ASCII-compatible, and LinkedIn never writes it
    start = 0
    for _ in range(HEADER_SEARCH_LINES):
        start = data.find(b"\n", start) + 1
        if start == 0:
            return data
    return tabular.collapse_blank_lines(data, start)


def _parse_table(body: str, path: Path) -> pl.DataFrame:
    """All-text frame of the rows under the header (polars first; csv module if polars balks)."""
    try:
        return pl.read_csv(
            io.BytesIO(body.encode("utf-8")),
            infer_schema=False,
            raise_if_empty=False,
        )
    except pl.exceptions.PolarsError:
        rows = list(csv.reader(io.StringIO(body)))
        if not rows:
            raise InputError(f"{path}: no header row") from None
        header, data = rows[0], rows[1:]
        width = len(header)
        # A row longer than the header (an unquoted comma in a name) would be shifted: it is
        # blanked here and kept whole in MISFIT, to become a reject with its raw line.
        long = [len(row) > width and any(cell.strip() for cell in row[width:]) for row in data]
        padded = [
            [""] * width if bad else (row + [""] * (width - len(row)))[:width]
            for row, bad in zip(data, long, strict=True)
        ]
        frame = pl.DataFrame(padded, schema=header, orient="row").with_columns(pl.all().replace("", None))
        raw = [_csv_line(row) if bad else None for row, bad in zip(data, long, strict=True)]
        return frame.with_columns(pl.Series(MISFIT, raw, dtype=pl.String))


#: Column of a parsed table holding the raw line of a row with more fields than the header.
MISFIT = "__misfit"


def _csv_line(row: list[str]) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="").writerow(row)
    return out.getvalue()


def _header_or_forced(text: str, path: Path, forced: bool) -> tuple[int, int, str | None]:
    """``(offset, line, note)`` of the header row; under ``--as`` a first line with some LinkedIn
    columns is taken as the header (what maps is used, the note says so)."""
    try:
        offset, header_line = find_header(text)
        return offset, header_line, None
    except InputError as exc:
        offset = len(text) - len(text.lstrip("\r\n"))
        first = text[offset:].split("\n", 1)[0].rstrip("\r")
        known = {c.strip().casefold() for c in next(csv.reader([first]), [])} & set(HEADER_FIELDS)
        if not forced or not known:
            raise InputError(f"{path}: {exc}") from None
        note = "no LinkedIn header found; the first line read as the header (--as)"
        return offset, text[:offset].count("\n") + 1, note


def _take_misfits(table: pl.DataFrame, place_prefix: str) -> tuple[pl.DataFrame, list[Reject]]:
    """Rows longer than the header (:data:`MISFIT`) out of the table: rejects keeping their raw line."""
    if MISFIT not in table.columns:
        return table, []
    rejects = [
        Reject(f"{place_prefix}row {line}", _MISFIT_REASON, raw)
        for line, raw in table.filter(pl.col(MISFIT).is_not_null()).select("__line", MISFIT).iter_rows()
    ]
    return table.filter(pl.col(MISFIT).is_null()).drop(MISFIT), rejects


class LinkedInImporter:
    """Reads LinkedIn's Connections.csv, or the export zip that holds it."""

    name = NAME
    description = "LinkedIn Connections.csv (or the Basic/Complete_LinkedInDataExport zip)"

    def sniff(self, path: Path, head: bytes) -> float:
        if head.startswith(b"PK\x03\x04"):
            try:
                with zipfile.ZipFile(path) as archive:
                    return 0.95 if _connections_member(archive) else 0.0
            except (zipfile.BadZipFile, OSError, EOFError, zlib.error):
                return 0.0
        text, _ = decode_bytes(head[:16384], path)
        lines = text.splitlines()[:HEADER_SEARCH_LINES]
        if any(_header_fields(line) for line in lines):
            return 1.0 if text.lstrip("\ufeff").startswith("Notes:") or "Connected On" in text else 0.9
        return 0.0

    def read(self, path: Path, options: ImportOptions) -> ImportResult:
        data, place_prefix = _read_bytes(path)
        data = _collapse_blank_runs(data)
        text, encoding = decode_bytes(data, path)
        text = text.lstrip("\ufeff")
        offset, header_line, forced_note = _header_or_forced(text, path, options.forced)
        body, stray = text[offset:], []
        end = body.find("\n")
        if end > 0:  # a stray quote must not fold the rows after it into one cell
            width = len(next(csv.reader([body[:end].rstrip("\r")]), []))
            fixed, stray = tabular.blank_stray_quotes(
                body.encode("utf-8"), ",", width, len(body[: end + 1].encode())
            )
            body = fixed.decode("utf-8") if stray else body
        table = _parse_table(body, path)
        mapping = {
            col: HEADER_FIELDS.get(col.strip().casefold(), "extra") for col in table.columns if col != MISFIT
        }
        mapped = [c for c, f in mapping.items() if f != "extra"]
        unmapped = [c for c, f in mapping.items() if f == "extra"]

        # Physical line of each row: rows follow the header, shifted by newlines inside quoted cells
        # and by the runs of blank lines collapsed before parsing ("_record" counts them).
        newlines = pl.sum_horizontal(pl.col(c).str.count_matches("\n").fill_null(0) for c in table.columns)
        rows_in_file = tabular.records_in(table)
        table = tabular.drop_blank_runs(table.with_columns(newlines.alias("__newlines")))
        shift = pl.col("__newlines").cum_sum().shift(1, fill_value=0)
        table = table.with_columns((header_line + 1 + pl.col("_record") + shift).alias("__line"))
        table = table.drop("_record", "__newlines")
        table, rejects = _take_misfits(table, place_prefix)
        rows_in_file -= len(rejects)
        present = pl.any_horizontal(
            pl.col(c).str.strip_chars().fill_null("") != "" for c in table.columns[:-1]
        )
        table = table.filter(present)

        frame = table.select(
            *(pl.col(c).alias(mapping[c]) for c in mapped),
            pl.col("__line"),
            extra_from_columns(unmapped),
        )
        identifying = [c for c in IDENTIFYING if c in frame.columns]
        has_identity = (
            pl.any_horizontal(pl.col(c).str.strip_chars().fill_null("") != "" for c in identifying)
            if identifying
            else pl.lit(False)
        )
        bad = frame.filter(~has_identity)
        rejects += [Reject(f"{place_prefix}row {header_line + n}", tabular.STRAY_QUOTE) for n in stray] + [
            Reject(f"{place_prefix}row {line}", "restricted profile: the row has only a connection date")
            for line in bad["__line"].to_list()
        ]
        rejects.sort(key=lambda r: int(r.ref.rsplit(" ", 1)[-1]))
        frame = frame.filter(has_identity)
        frame = _shape(frame)
        info = {
            "encoding": encoding,
            "mapping": mapping,
            "header_line": header_line,
            "blank_rows_skipped": rows_in_file - table.height,
        }
        if forced_note:
            info["warnings"] = [
                f"{forced_note}: {len(mapped)} of {len(mapping)} columns mapped, the others in extra"
            ]
        place = pl.lit(f"{place_prefix}row ") + pl.col("__line").cast(pl.String)
        frame = frame.with_columns(place.alias("source_ref")).drop("__line")
        return ImportResult(frame, rejects, info)


def _shape(frame: pl.DataFrame) -> pl.DataFrame:
    """Full name, profile key, channel, and "no employer" companies moved to extra."""
    for column in ("given_name", "family_name", "organization", "linkedin_url", "emails"):
        if column not in frame.columns:
            frame = frame.with_columns(pl.lit(None, pl.String).alias(column))
    full = pl.concat_str([pl.col("given_name"), pl.col("family_name")], separator=" ", ignore_nulls=True)
    company = pl.col("organization").str.strip_chars()
    no_employer = company.str.to_lowercase().is_in(list(NO_EMPLOYER)) | (
        company.str.to_lowercase() == full.str.to_lowercase()
    )
    # The profile's canonical URL is the record's own key: the same one the core stores.
    profile = linkedin_url_expr(pl.col("linkedin_url"))
    extra_company = pl.when(no_employer.fill_null(False)).then(json_object({"company": company}))
    return frame.with_columns(
        full.replace("", None).alias("full_name"),
        pl.when(no_employer.fill_null(False))
        .then(None)
        .otherwise(pl.col("organization"))
        .alias("organization"),
        profile.alias("source_key"),
        pl.lit("linkedin").alias("channel"),
        merge_json_objects(pl.col("extra"), extra_company).alias("extra"),
    )


@hookimpl
def register_importers() -> list[LinkedInImporter]:
    return [LinkedInImporter()]
