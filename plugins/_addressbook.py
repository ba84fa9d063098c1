"""Shared reading for the address-book CSV importers (Google, Outlook, Thunderbird).

Not a plugin itself: :mod:`plugins.google_csv`, :mod:`plugins.outlook_csv` and
:mod:`plugins.thunderbird_csv` each describe their header (a ``classify`` function from a
header to a target, and a signature that recognises it), and this module does the rest:
sniff the encoding and delimiter (:mod:`pipeline.tabular`), find the header row among the
first lines, apply kith.toml overrides, and build the raw canonical columns with whole-
column polars expressions. Values stay as the source wrote them; multi-column groups become
lists and every unmapped column goes to ``extra``.

Targets understood here, besides canonical fields: ``extra`` and ``extra:<key>`` (kept in
``extra`` under ``<key>``), ``website`` (a LinkedIn profile becomes ``linkedin_url``, any
other address stays in ``extra``), ``home:<field>`` (a second address, used only for rows
without a first one and always kept in ``extra``), and ``birth_year`` / ``birth_month`` /
``birth_day`` (assembled into ``birthday``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from pipeline import tabular
from pipeline.contracts import ImportOptions, ImportResult, Reject
from pipeline.errors import ConfigError, InputError
from pipeline.frames import json_object, raw_values
from pipeline.headers import EXTRA, ColumnMatch, HeaderMapping, header_key, unused_overrides
from pipeline.schema import RAW_COLUMNS

ADDRESS = ("street", "city", "region", "postal_code", "country")
_MULTI = {"emails", "phones", "tags", "street", "website"}
_SINGLE = tuple(sorted(RAW_COLUMNS - {"source_ref", "extra", "emails", "phones", "tags"}))
_OVERRIDABLE = (set(RAW_COLUMNS) - {"source_ref", "extra"}) | {"website", "birth_year", "birth_month"}
_OVERRIDABLE |= {"birth_day"}


@dataclass
class Layout:
    """How one address-book export is laid out.

    :param name: the importer's name (for messages).
    :param signature: does this set of header keys (:func:`pipeline.headers.header_key`)
        look like the format's header?
    :param classify: the target for one header text (or ``(target, rank)``; a lower rank
        comes first among a multi-valued target's columns), or None for ``extra``.
    :param split: separator of several values inside one cell (Google's ``" ::: "``).
    :param tag_split: separator inside the tags cell.
    :param null_values: cell texts that mean "empty" (Outlook's ``0/0/00``).
    :param defaults: ``{header: value}`` defaults every row carries (Outlook's
        ``Sensitivity = Normal``): dropped, they say nothing about the person.
    :param drop_tags: tag values that say nothing (Google's ``* myContacts``).
    """

    name: str
    signature: Callable[[set[str]], bool]
    classify: Callable[[str], str | tuple[str, int] | None]
    split: str | None = None
    tag_split: str | None = None
    null_values: tuple[str, ...] = ()
    defaults: dict[str, str] = field(default_factory=dict)
    drop_tags: tuple[str, ...] = ()


def header_position(rows: list[list[str]], layout: Layout, limit: int = 10) -> int | None:
    """The first of the first ``limit`` records that carries the layout's header."""
    for position, row in enumerate(rows[:limit]):
        if layout.signature({header_key(cell) for cell in row if cell}):
            return position
    return None


def sniff(path: Path, head: bytes, layout: Layout, score: float = 0.95) -> float:
    """``score`` when one of the first records is this layout's header, else 0."""
    if tabular.is_workbook(path, head):
        return 0.0
    if head.lstrip(b"\xef\xbb\xbf \r\n").upper().startswith(b"BEGIN:VCARD"):
        return 0.0
    rows = tabular.sniff_rows(path, head, limit=10)
    return score if rows and header_position(rows, layout) is not None else 0.0


def map_columns(headers: list[str], layout: Layout, overrides: dict[str, str], path: Path) -> HeaderMapping:
    """Classify every header, apply overrides; single-valued targets keep their first column."""
    wanted = {}
    for header, target in overrides.items():
        if target != EXTRA and not target.startswith("extra:") and target not in _OVERRIDABLE:
            raise ConfigError(f"{path}: mapping for {header!r} names unknown field {target!r}")
        wanted[header_key(header)] = target
    taken: set[str] = set()
    columns = []
    for index, header in enumerate(headers):
        key = header_key(header)
        how = "override" if key in wanted else "exact"
        found = wanted.get(key) or (layout.classify(header.strip()) if key else None)
        target, rank = found if isinstance(found, tuple) else (found, index)
        if target is None or target == EXTRA:
            why = "override" if target == EXTRA else "unmapped" if key else "blank"
            columns.append(ColumnMatch(index, header, EXTRA, why))
            continue
        single = target not in _MULTI and not target.startswith(("extra:", "home:"))
        if single and target in taken:
            columns.append(ColumnMatch(index, header, EXTRA, "duplicate", header))
            continue
        taken.add(target)
        columns.append(ColumnMatch(index, header, target, how, header, rank))
    return HeaderMapping(columns)


def _article(name: str) -> str:
    """``name`` with its indefinite article: "an Outlook CSV", "a Google Contacts CSV"."""
    return f"{'an' if name[:1].lower() in 'aeiou' else 'a'} {name}"


def read(path: Path, options: ImportOptions, layout: Layout) -> ImportResult:
    """Read a whole export into raw canonical columns (see the module docstring)."""
    head = tabular.sniff_delimited(path)
    position = header_position(head.rows, layout)
    forced_note = None
    if position is None and options.forced:
        # --as: the first non-blank line is the header; what maps is used, the rest kept in extra.
        position = next((i for i, row in enumerate(head.rows) if any(c.strip() for c in row)), None)
        forced_note = f"the header is not {_article(layout.name)} header (read as one because of --as)"
    if position is None:
        raise InputError(f"{path}: the first lines are not {_article(layout.name)} header")
    # Record numbers ride along in "_record": runs of blank lines are collapsed before parsing.
    stray: list[int] = []
    width = len(head.rows[position])
    grid = tabular.read_delimited_records(path, head, skip_rows=position, stray=stray, spare=4)
    misfits = tabular.misfits(grid.drop("_record"), width, head, path=path, skip_rows=position).slice(1)
    grid = grid.select([*grid.columns[:width], "_record"])
    headers = [cell or "" for cell in grid.drop("_record").row(0)]
    mapping = map_columns(headers, layout, options.mapping, path)
    info: dict[str, Any] = {
        "encoding": head.encoding,
        "delimiter": head.delimiter,
        "mapping": mapping.as_dict(),
        "mapping_explained": mapping.explain(),
        "skipped_sheets": {},
        "warnings": [
            f"kith.toml maps column {h!r}, but the file has no such column"
            for h in unused_overrides(headers, options.mapping)
        ],
    }
    if forced_note:
        used = sum(1 for m in mapping.columns if m.target != EXTRA)
        info["warnings"].append(
            f"{forced_note}: {used} of {len(mapping.columns)} columns mapped, the others kept in extra"
        )
    body = grid.slice(1)
    misfit_rejects: list[Reject] = []
    if misfits.null_count() < len(misfits):
        # A row with more fields than the header would be shifted: a reject, kept whole.
        at = misfits.is_not_null()
        rows = (body.get_column("_record") + position + 1).filter(at)
        misfit_rejects = [
            Reject(f"row {row}", "the row has more fields than the header; kept whole, not shifted", raw)
            for row, raw in zip(rows.to_list(), misfits.filter(at).to_list(), strict=True)
        ]
        body = body.with_columns(
            pl.when(~at).then(pl.col(c)).alias(c) for c in body.columns if c != "_record"
        )
    records, rejects = build(body, mapping, layout, options, first_row=position + 2)
    rejects = [Reject(f"line {n}", tabular.STRAY_QUOTE) for n in stray] + rejects
    if misfit_rejects:
        rejects = sorted(misfit_rejects + rejects, key=lambda r: int(r.ref.split()[-1]))
        info["warnings"].append(
            f"{len(misfit_rejects)} row(s) have more fields than the header: rejected whole"
        )
    return ImportResult(records, rejects, info)


def build(
    body: pl.DataFrame, mapping: HeaderMapping, layout: Layout, options: ImportOptions, *, first_row: int
) -> tuple[pl.DataFrame, list[Reject]]:
    """Raw canonical columns from the rows under the header; rows with nothing identifying are rejects."""
    body = _cleaned_rows(body, mapping, layout, first_row)
    out = _canonical_exprs(mapping, layout, options)
    frame = body.select(
        (pl.lit("row ") + pl.col("_row").cast(pl.String)).alias("source_ref"),
        *(expr.alias(name) for name, expr in out.items()),
        json_object(_extra_exprs(mapping), body).alias("extra"),
    )
    return _split_rejects(frame)


def _cleaned_rows(body: pl.DataFrame, mapping: HeaderMapping, layout: Layout, first_row: int) -> pl.DataFrame:
    """Columns renamed ``c0…``, placeholder values nulled, a ``_row`` number, blank rows dropped."""
    record = body.get_column("_record") if "_record" in body.columns else None
    body = body.drop("_record", strict=False)
    names = [f"c{i}" for i in range(body.width)]
    body = tabular.blank_to_null(body.rename(dict(zip(body.columns, names, strict=True))))
    cleanup = []
    for m in mapping.columns:
        col = pl.col(f"c{m.index}")
        drop = list(layout.null_values)
        if m.header in layout.defaults:
            drop.append(layout.defaults[m.header])
        if drop:
            cleanup.append(pl.when(~col.str.strip_chars().is_in(drop)).then(col).alias(f"c{m.index}"))
    if cleanup:
        body = body.with_columns(cleanup)
    if record is None:
        body = body.with_row_index("_row", offset=first_row)
    else:  # the header is record 0, so the first body record is first_row
        body = body.with_columns((record + first_row - 1).alias("_row"))
    filled = pl.sum_horizontal([pl.col(c).is_not_null() for c in names])
    return body.filter(filled > 0)


def _columns_for(mapping: HeaderMapping, target: str) -> list[pl.Expr]:
    return [pl.col(f"c{m.index}") for m in mapping.columns_for(target)]


def _canonical_exprs(mapping: HeaderMapping, layout: Layout, options: ImportOptions) -> dict[str, pl.Expr]:
    """Canonical field → expression over the cleaned rows."""

    def cols(target: str) -> list[pl.Expr]:
        return _columns_for(mapping, target)

    out: dict[str, pl.Expr] = {}
    for target in _SINGLE:
        found = cols(target)
        if found:
            out[target] = found[0]
    for target in ("emails", "phones"):
        if cols(target):
            out[target] = tabular.list_of(cols(target), split=layout.split)
    if cols("tags"):
        tags = tabular.list_of(cols("tags"), split=layout.tag_split)
        if layout.drop_tags:
            element = pl.element().str.strip_chars().str.strip_chars_start("* ")
            tags = tags.list.eval(element.filter(~element.str.to_lowercase().is_in(list(layout.drop_tags))))
        out["tags"] = tags
    if cols("street"):
        out["street"] = tabular.joined(cols("street"))
    # A second address (home) only where the first (business) is empty; kept in extra always.
    homes = {f: cols(f"home:{f}") for f in ADDRESS if cols(f"home:{f}")}
    if homes:
        first = [out[f] for f in ADDRESS if f in out]
        no_first = ~pl.any_horizontal([e.is_not_null() for e in first]) if first else pl.lit(True)
        for f, found in homes.items():
            value = tabular.joined(found)
            fallback = pl.when(no_first).then(value)
            out[f] = fallback.otherwise(out[f]) if f in out else fallback
    websites = cols("website")
    if websites:
        linkedin = [pl.when(w.str.contains(r"(?i)linkedin\.com/")).then(w) for w in websites]
        out.setdefault("linkedin_url", pl.coalesce(linkedin))
    if cols("birth_month") and cols("birth_day"):
        year = cols("birth_year")[0] if cols("birth_year") else pl.lit(None, dtype=pl.String)
        month, day = cols("birth_month")[0].str.zfill(2), cols("birth_day")[0].str.zfill(2)
        partial = pl.concat_str([pl.lit("--"), month, pl.lit("-"), day])
        full = year + "-" + month + "-" + day
        out.setdefault("birthday", pl.when(year.is_not_null()).then(full).otherwise(partial))
    if options.channel:
        out["channel"] = pl.lit(options.channel)
    return out


def _extra_exprs(mapping: HeaderMapping) -> list[tuple[str, pl.Expr]]:
    """(key, expression) of every value kept in ``extra``: unmapped columns, home addresses, other
    websites, and birthday parts that did not make a birthday."""
    keys = tabular.unique_keys([m.header.strip() or f"column {m.index + 1}" for m in mapping.columns])
    assembled = bool(_columns_for(mapping, "birth_month") and _columns_for(mapping, "birth_day"))
    extra: list[tuple[str, pl.Expr]] = []
    for m in mapping.columns:
        col = pl.col(f"c{m.index}")
        if m.target == EXTRA or m.target.startswith("home:"):
            extra.append((keys[m.index], col))
        elif m.target.startswith("extra:"):
            extra.append((m.target.removeprefix("extra:"), col))
        elif m.target == "website":
            extra.append((keys[m.index], pl.when(~col.str.contains(r"(?i)linkedin\.com/")).then(col)))
        elif m.target in ("birth_year", "birth_month", "birth_day") and not assembled:
            extra.append((keys[m.index], col))
    return extra


def _split_rejects(frame: pl.DataFrame) -> tuple[pl.DataFrame, list[Reject]]:
    checks: Iterable[pl.Expr] = [
        pl.col(n).is_not_null()
        for n in ("full_name", "given_name", "family_name", "nickname", "organization")
        if n in frame.columns
    ] + [(pl.col(n).list.len() > 0).fill_null(False) for n in ("emails", "phones") if n in frame.columns]
    ok = pl.any_horizontal(list(checks)) if checks else pl.lit(False)
    bad = frame.filter(~ok)
    rejects = [
        Reject(ref, "no name, organization, email or phone in this row", raw) for ref, raw in raw_values(bad)
    ]
    return (frame.filter(ok) if rejects else frame), rejects


class AddressBookImporter:
    """An importer for one address-book CSV layout (Google, Outlook, Thunderbird)."""

    def __init__(self, name: str, description: str, layout: Layout) -> None:
        self.name, self.description, self.layout = name, description, layout

    def sniff(self, path: Path, head: bytes) -> float:
        return sniff(path, head, self.layout)

    def read(self, path: Path, options: ImportOptions) -> ImportResult:
        return read(path, options, self.layout)
