"""Read an alumni directory (workbook or delimited text) into raw canonical records.

The flow for one file: read the grid(s) with :mod:`pipeline.tabular` (every sheet of a
workbook; a delimited file after sniffing its encoding and delimiter), find the header row
by content in the first rows (:func:`pipeline.headers.find_header_row`), match the headers
to fields through :mod:`plugins.alumni.aliases` and the user's kith.toml overrides, then
build the records with :mod:`plugins.alumni.build`. Sheets without a header of contact
columns (notes, summaries) are skipped and named in ``info["skipped_sheets"]``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import polars as pl

from pipeline import tabular, textio
from pipeline.contracts import ImportOptions, ImportResult, Reject
from pipeline.errors import ConfigError, InputError
from pipeline.headers import AliasIndex, HeaderMapping, find_header_row, match_headers, unused_overrides
from plugins.alumni.aliases import ALIASES, MULTI, allowed_targets
from plugins.alumni.build import build_grid

_INDEX: AliasIndex | None = None
#: Columns read beyond the header's, so a row with surplus fields is seen whole (more if needed).
SPARE_COLUMNS = 4


def alias_index() -> AliasIndex:
    """The compiled alias table (built once per process)."""
    global _INDEX
    if _INDEX is None:
        _INDEX = AliasIndex(ALIASES, multi=MULTI)
    return _INDEX


#: What a one-column file must hold to be a list of contacts (a list of e-mails, of phones …).
CONTACT_TARGETS = frozenset({"emails", "phones", "full_name", "linkedin_url"})


def find_header(rows: list[list], index: AliasIndex | None = None) -> int | None:
    """The header row among the first ``rows``: the row matching the most fields (at least two),
    else a first row whose every header names contact data (``Primary Email`` alone, or
    ``E-mail Address, E-mail 2 Address``): a file with any column of contact data imports.
    """
    index = index or alias_index()
    position = find_header_row(rows, index)
    if position is not None:
        return position
    for position, row in enumerate(rows[:5]):
        cells = [str(c) for c in row if c is not None and str(c).strip()]
        if not cells:
            continue
        hits = [index.lookup(c) for c in cells]
        if all(hits) and {h[0] for h in hits if h} <= CONTACT_TARGETS:
            return position
        return None
    return None


def map_headers(headers: list[object], options: ImportOptions, path: Path) -> HeaderMapping:
    """The header mapping with the user's overrides, or a ConfigError naming the file."""
    try:
        return match_headers(headers, alias_index(), overrides=options.mapping, allowed=allowed_targets())
    except ValueError as exc:
        raise ConfigError(f"{path}: {exc}") from None


def _with_stray_quotes(path: Path, info: dict[str, Any], rejects: list[Reject]) -> list[Reject]:
    """The rejects plus one per line whose stray quote was read as a blank row (so the rows after
    it stayed apart), with the line as written, in row order."""
    lines = tabular.raw_lines(path, info.pop("stray_quote_lines", []), info.get("encoding"))
    if not lines:
        return rejects
    stray = [Reject(f"row {line}", tabular.STRAY_QUOTE, raw) for line, raw in lines]
    return sorted(stray + rejects, key=lambda r: (len(r.ref), r.ref))


def read_alumni(path: Path, options: ImportOptions) -> ImportResult:
    """Read the whole directory; see the module docstring for the steps."""
    info: dict[str, Any] = {
        "encoding": None,
        "mapping": {},
        "mapping_explained": [],
        "skipped_sheets": {},
        "warnings": [],
        # Directory and CRM exports: the core turns "SMITH, CHARLES" and "mitchell green" around.
        "directory_names": True,
    }
    frames: list[pl.DataFrame] = []
    rejects: list[Reject] = []
    dropped = {"blank": 0, "repeated header": 0, "total": 0, "note": 0}
    skipped: list[dict[str, str]] = []
    unparsed_years = 0
    all_headers: list[object] = []

    for sheet_name, grid, header_pos, first_row_of_grid, misfits in _grids(path, info, options):
        headers = [cell if cell is not None else "" for cell in grid.row(header_pos)]
        all_headers += headers
        mapping = map_headers(headers, options, path)
        if not mapping.targets() - {"source_key"}:
            where = f"sheet {sheet_name!r}" if sheet_name else "the header"
            if not options.forced:
                raise InputError(f"{path}: {where} has no column that maps to a contact field")
            info["warnings"].append(
                f"{where} has no column that maps to a contact field (read because of --as): "
                "every column is kept in extra and rows without a name, email or phone are rejects"
            )
        for header, target in mapping.as_dict().items():
            info["mapping"].setdefault(header, target)
        where = f"{sheet_name}: " if sheet_name is not None else ""
        info["mapping_explained"] += [where + line for line in mapping.explain()]
        body = grid.slice(header_pos + 1)
        built = build_grid(
            body,
            mapping,
            first_row=first_row_of_grid + header_pos + 1,
            ref_prefix=f"{sheet_name}!" if sheet_name is not None else "row ",
            options=options,
            from_workbook=sheet_name is not None,
            misfits=misfits.slice(header_pos + 1) if misfits is not None else None,
        )
        skipped += built.skipped
        frames.append(built.records)
        rejects += built.rejects
        unparsed_years += built.unparsed_years
        for reason, count in built.dropped.items():
            dropped[reason] += count

    if not frames:
        raise InputError(
            f"{path}: no sheet has a header row with contact columns (name, email, phone …) "
            f"in its first {tabular.HEAD_ROWS} rows"
        )
    records = pl.concat(frames, how="diagonal_relaxed") if len(frames) > 1 else frames[0]
    rejects = _with_stray_quotes(path, info, rejects)

    warnings: list[str] = info["warnings"]
    for header in unused_overrides(all_headers, options.mapping):
        warnings.append(f"kith.toml maps column {header!r}, but the file has no such column")
    if dropped["repeated header"]:
        warnings.append(f"skipped {dropped['repeated header']} repeated header row(s)")
    if dropped["total"]:
        warnings.append(f"skipped {dropped['total']} total row(s)")
    if dropped["note"]:
        first = ", ".join(s["ref"] for s in skipped if s["kind"] == "note")
        warnings.append(f"skipped {dropped['note']} title, note or disclaimer row(s), not people: {first}")
    if skipped:
        info["skipped_rows"] = skipped
    misfit = sum(1 for r in rejects if r.raw is not None and "more than its header" in r.reason)
    if misfit:
        warnings.append(f"{misfit} row(s) have more fields than the header: rejected whole, nothing cut")
    if unparsed_years:
        warnings.append(f"{unparsed_years} class year(s) not understood; kept in extra")
    info["dropped_rows"] = dropped
    return ImportResult(records, rejects, info)


def _grids(path: Path, info: dict[str, Any], options: ImportOptions):
    """Yield ``(sheet name or None, grid, header position, spreadsheet row of grid row 0, misfits)``
    (``misfits``: per grid row, the raw line of a row with more fields than the header)."""
    index = alias_index()
    # By content, not name: a CSV saved as .xlsx goes to the delimited reader.
    if tabular.is_workbook(path, textio.read_head(path, 8)):
        # A workbook has no text encoding to report; say what was read instead.
        info["encoding"] = f"{path.suffix.lower()[1:]} workbook"
        for sheet in tabular.read_workbook(path):
            if sheet.frame.height == 0 or sheet.frame.width == 0:
                info["skipped_sheets"][sheet.name] = "empty"
                continue
            position = find_header(tabular.head_rows(sheet.frame), index)
            if position is None:
                info["skipped_sheets"][sheet.name] = (
                    f"no header row with contact columns in the first {tabular.HEAD_ROWS} rows"
                )
                continue
            yield sheet.name, sheet.frame, position, 1, None
        return
    head = tabular.sniff_delimited(path)
    position = find_header(head.rows, index)
    if position is None and options.forced:
        position = next((i for i, row in enumerate(head.rows) if any(c.strip() for c in row)), None)
        if position is not None:
            info["warnings"].append(
                "no header of contact columns found; the first line read as the header (--as)"
            )
    if position is None:
        raise InputError(
            f"{path}: no header row with contact columns (name, email, phone …) "
            f"in the first {len(head.rows)} rows"
        )
    header_width = len(head.rows[position])
    stray: list[int] = []
    grid = tabular.read_delimited(path, head, skip_rows=position, spare=SPARE_COLUMNS, stray=stray)
    info["stray_quote_lines"] = stray
    misfits = tabular.misfits(grid, header_width, head, path=path, skip_rows=position)
    info["encoding"] = head.encoding
    info["delimiter"] = head.delimiter
    yield None, grid.select(grid.columns[:header_width]), 0, position + 1, misfits
