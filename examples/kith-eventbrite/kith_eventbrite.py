"""Eventbrite importer for kith: the attendee report (CSV) of one or several events.

A third-party kith plugin, packaged on its own: pyproject.toml registers this module in
the ``kith`` entry-point group, so ``pip install kith-eventbrite`` is all a user does.

Eventbrite's attendee report (Manage attendees → Reports → Attendee summary → Export →
CSV) has one row per attendee (an order of three tickets is three rows) and columns for
the order, the ticket and every question the organiser asked. What becomes what:

- ``First Name``/``Last Name``/``Prefix``/``Suffix``/``Email``, ``Cell Phone``/``Work Phone``/
  ``Home Phone``, ``Job Title``, ``Company``, ``Home Address 1``/``2``, ``Home City``,
  ``Home State``, ``Home Zip``, ``Home Country`` → the canonical fields;
- ``Event Name`` and ``Ticket Type`` → tags ``event: …`` and ``ticket: …`` (a one-event
  report without ``Event Name`` takes the event from kith.toml: ``event = "…"``);
- ``Order Date`` → ``connected_on`` (the day they signed up), and the original text with
  its time of day stays in ``extra``;
- ``Attendee #`` → the record's stable key, so re-exports with rows in another order keep
  every record's id;
- a custom question whose header names LinkedIn → ``linkedin_url``;
- every attendee gets channel ``meeting`` (unless the input's kith.toml ``channel`` says
  otherwise); every other column is kept in ``extra``, and kith.toml's
  ``[inputs.mapping]`` can send any column elsewhere.

Eventbrite writes ``Info Requested`` where an attendee's details were never filled in
(the buyer bought several tickets and only named themself): such values count as empty,
and a row left with no name and no e-mail is a reject, not a nameless record.
"""

from __future__ import annotations

import io
from pathlib import Path

import polars as pl
from pipeline import hookimpl
from pipeline.contracts import ImportOptions, ImportResult, Reject
from pipeline.errors import InputError
from pipeline.frames import extra_from_columns
from pipeline.textio import decode_bytes, detect_encoding, looks_binary

NAME = "eventbrite"

#: Header (case-folded) → canonical field, for the columns that map one to one.
FIELDS: dict[str, str] = {
    "prefix": "prefix",
    "first name": "given_name",
    "last name": "family_name",
    "suffix": "suffix",
    "email": "emails",
    "job title": "title",
    "company": "organization",
    "home city": "city",
    "home state": "region",
    "home zip": "postal_code",
    "home country": "country",
    "attendee #": "source_key",
}
PHONES = ("cell phone", "work phone", "home phone")
STREET = ("home address 1", "home address 2")
#: Columns only an Eventbrite attendee report has together.
SIGNATURE = frozenset({"order #", "ticket type", "attendee #"})
PLACEHOLDER = "info requested"
HEADER_SEARCH_LINES = 5

#: Order-date spellings seen in Eventbrite exports (ISO with offset; US report styles).
DATES = (
    (r"^(\d{4}-\d{2}-\d{2})", "%Y-%m-%d"),
    (r"^([A-Z][a-z]{2} \d{1,2}, \d{4})", "%b %d, %Y"),
    (r"^(\d{1,2}/\d{1,2}/\d{4})", "%m/%d/%Y"),
)


def _cells(line: str) -> list[str]:
    return [cell.strip().strip('"').strip().casefold() for cell in line.split(",")]


def _header_line(text: str) -> int | None:
    """0-based index of the header among the first lines (reports may carry a title line)."""
    for number, line in enumerate(text.lstrip("\ufeff").splitlines()[:HEADER_SEARCH_LINES]):
        if SIGNATURE <= set(_cells(line)):
            return number
    return None


def _text(column: str) -> pl.Expr:
    """The column's text, with blanks and Eventbrite's ``Info Requested`` as null."""
    value = pl.col(column).str.strip_chars()
    return pl.when((value == "") | (value.str.to_lowercase() == PLACEHOLDER)).then(None).otherwise(value)


def _order_date(column: str) -> pl.Expr:
    value = pl.col(column).str.strip_chars()
    days = [value.str.extract(pattern, 1).str.strptime(pl.Date, fmt, strict=False) for pattern, fmt in DATES]
    return pl.coalesce(days)


class EventbriteImporter:
    """Eventbrite attendee reports."""

    name = NAME
    description = "Eventbrite attendee report (CSV): attendees, their tickets and events"

    def sniff(self, path: Path, head: bytes) -> float:
        if looks_binary(head):
            return 0.0
        # errors="replace": the head may end inside a character; the header is long before.
        text = head.decode(detect_encoding(head), errors="replace")
        return 1.0 if _header_line(text) is not None else 0.0

    def read(self, path: Path, options: ImportOptions) -> ImportResult:
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise InputError(f"{path}: cannot be read ({exc.strerror or exc})") from None
        text, encoding = decode_bytes(data, path)
        text = text.lstrip("\ufeff")
        header = _header_line(text)
        if header is None:
            raise InputError(
                f"{path}: no Eventbrite attendee header (Order #, Ticket Type, Attendee #) "
                f"in the first {HEADER_SEARCH_LINES} lines"
            )
        body = "".join(text.splitlines(keepends=True)[header:])
        try:
            table = pl.read_csv(io.BytesIO(body.encode("utf-8")), infer_schema=False)
        except pl.exceptions.PolarsError as exc:
            raise InputError(f"{path}: the attendee table can't be read as CSV ({exc})") from None
        frame, rejects, mapping = _attendees(table, header, options)
        info = {"encoding": encoding, "mapping": mapping, "header_line": header + 1}
        return ImportResult(frame, rejects, info)


def _attendees(
    table: pl.DataFrame, header: int, options: ImportOptions
) -> tuple[pl.DataFrame, list[Reject], dict[str, str]]:
    """The canonical frame, the rejects and the column mapping of one attendee table."""
    # kith.toml's [inputs.mapping] wins; a field it assigns is not filled from our defaults.
    mapping = {c: t for c, t in options.mapping.items() if c in table.columns}
    exprs = [_text(c).alias(t) for c, t in mapping.items() if t != "extra"]
    taken = set(mapping.values())
    by_key = {c.strip().casefold(): c for c in table.columns if c not in mapping}

    def claim(columns: list[str], target: str) -> list[str]:
        if target in taken or not columns:
            return []
        taken.add(target)
        mapping.update(dict.fromkeys(columns, target))
        return columns

    for key, column in by_key.items():
        target = FIELDS.get(key) or ("linkedin_url" if "linkedin" in key else None)
        if target and claim([column], target):
            exprs.append(_text(column).alias(target))
    if phones := claim([by_key[k] for k in PHONES if k in by_key], "phones"):
        exprs.append(pl.concat_list(_text(c) for c in phones).list.drop_nulls().alias("phones"))
    if street := claim([by_key[k] for k in STREET if k in by_key], "street"):
        joined = pl.concat_str([_text(c) for c in street], separator=", ", ignore_nulls=True)
        exprs.append(joined.replace("", None).alias("street"))
    tags = []
    if event := claim([by_key["event name"]] if "event name" in by_key else [], "tags"):
        tags.append(pl.lit("event: ") + _text(event[0]))
    elif options.settings.get("event") and "tags" not in mapping.values():
        tags.append(pl.lit(f"event: {options.settings['event']}"))
    if "ticket type" in by_key and "tags" not in options.mapping.values():
        mapping[by_key["ticket type"]] = "tags"
        tags.append(pl.lit("ticket: ") + _text(by_key["ticket type"]))
    if tags:
        exprs.append(pl.concat_list(tags).list.drop_nulls().alias("tags"))

    # Everything not mapped is kept; so is the order date's own text (with its time of
    # day), next to the day parsed from it.
    extra_columns = [c for c in table.columns if mapping.get(c, "extra") == "extra"]
    mapping.update(dict.fromkeys(extra_columns, "extra"))
    if "order date" in by_key and "connected_on" not in taken:
        exprs.append(_order_date(by_key["order date"]).alias("connected_on"))
        mapping[by_key["order date"]] = "connected_on (its text kept in extra)"

    # "row N" as a spreadsheet shows it: the header is row header+1.
    frame = table.with_row_index("__row", offset=header + 2).select(
        (pl.lit("row ") + pl.col("__row").cast(pl.String)).alias("source_ref"),
        *exprs,
        extra_from_columns(extra_columns),
        # Attendees are people met at an event, unless kith.toml says otherwise for this input.
        pl.lit(options.channel or "meeting").alias("channel"),
    )
    for column in ("full_name", "given_name", "family_name", "emails"):
        if column not in frame.columns:  # a report whose organiser hid these questions
            frame = frame.with_columns(pl.lit(None, pl.String).alias(column))
    full_name = pl.concat_str(["given_name", "family_name"], separator=" ", ignore_nulls=True)
    frame = frame.with_columns(pl.coalesce("full_name", full_name.replace("", None)).alias("full_name"))
    is_person = pl.col("full_name").is_not_null() | pl.col("emails").is_not_null()
    rejects = [
        Reject(ref, "no attendee name or e-mail (Eventbrite shows 'Info Requested': never filled in)")
        for ref in frame.filter(~is_person)["source_ref"].to_list()
    ]
    return frame.filter(is_person), rejects, mapping


@hookimpl
def register_importers() -> list[EventbriteImporter]:
    return [EventbriteImporter()]
