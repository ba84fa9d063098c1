"""Turn one mapped grid (the rows under a found header) into raw canonical columns.

Called by :mod:`plugins.alumni.read` once per sheet (or once for a delimited file), after
:func:`pipeline.headers.match_headers` decided which column feeds which target (see
:mod:`plugins.alumni.aliases` for the targets). Everything is whole-column polars work:
blank rows, repeated header rows and "Total" rows are dropped with expressions, lists are
built with ``concat_list``, flags become tags with ``when``, ``extra`` is encoded by polars.
Values are left as the source wrote them (the core normalizes); only what needs alumni
knowledge is interpreted here: class years like ``'98`` and the deceased / lost /
do-not-contact flags.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import polars as pl

from pipeline.contracts import ImportOptions, Reject
from pipeline.frames import json_object, raw_values
from pipeline.headers import EXTRA, HeaderMapping
from pipeline.tabular import blank_to_null, joined, list_of, unique_keys, via_uniques

#: Explicit "no" in a flag or opt-in column; anything else non-empty in a flag column means yes.
FALSY = ["no", "n", "false", "f", "0", "none", "-", "0.0"]

_SINGLE = (
    "source_key", "full_name", "given_name", "middle_name", "family_name", "nickname", "prefix",
    "suffix", "organization", "title", "department", "city", "region", "postal_code", "country",
    "linkedin_url", "school", "degree", "birthday", "notes",
)  # fmt: skip
_NAME_FIELDS = ("full_name", "given_name", "family_name", "nickname")
_TOTAL = r"(?i)^\s*(?:grand\s+|sub)?totals?\b|^\s*(?:record\s+)?count\s*:"
#: A lone cell that reads as a title or label rather than a person: a section title ("Class
#: of 1998", "Section B", "Page 2 of 9") or a label with a colon ("Source: …", "Notes:").
_TITLE = (
    r"(?i):\s*$|^\s*[\w ]{1,20}:\s|^\s*(?:class\s+of|section|chapter|page|region|cohort|year|as\s+of|"
    r"updated|generated|printed|confidential|for\s+\w+\s+(?:use\s+)?only|do\s+not|copyright|©)\b"
)
#: ... or a sentence: five words or more with words no name is made of.
_SENTENCE = r"^\s*(?:\S+\s+){4,}\S+"
_PROSE = r"(?i)\b(?:the|for|only|not|use|this|these|is|are|to|please|may|with|and|or|be|in|on|by|all)\b"
_PLAIN_YEAR = r"(?i)^\s*(?:class\s+of\s*)?['’‘`]?(?:\d{2}|\d{4})(?:\.0)?\s*$"
_STATUS_TAGS = {
    "deceased": r"(?i)deceas|\bdied\b",
    "lost": r"(?i)\blost\b",
    "do-not-contact": (
        r"(?i)do\s*not\s*(?:contact|e-?mail|solicit)|no\s*contact|\bdnc\b|opt(?:ed)?[\s-]*out|unsubscrib"
    ),
}


@dataclass
class Built:
    """One grid's records, rejects and counts of rows dropped on purpose."""

    records: pl.DataFrame
    rejects: list[Reject] = field(default_factory=list)
    dropped: dict[str, int] = field(default_factory=dict)
    unparsed_years: int = 0
    #: Rows that are not people (titles, notes, disclaimers, totals): ``{"ref", "kind", "text"}``.
    skipped: list[dict[str, str]] = field(default_factory=list)


def _norm(expr: pl.Expr) -> pl.Expr:
    return expr.str.strip_chars().str.to_lowercase()


def class_year(expr: pl.Expr, today: dt.date | None = None) -> pl.Expr:
    """A four-digit class year as text from ``2009``, ``2009.0``, ``Class of 2009``, ``'09``, ``09``.

    Two-digit years pivot on today's year: up to five years ahead is this century.
    Null where nothing year-like is found (the caller keeps the original in ``extra``).
    """
    today = today or dt.date.today()
    four = expr.str.extract(r"\b((?:18|19|20)\d{2})\b", 1)
    two = expr.str.extract(r"(?i)^\s*(?:class\s+of\s*)?['’‘`]?(\d{2})\s*$", 1).cast(pl.Int32, strict=False)
    pivot = today.year % 100 + 5
    century = pl.when(two <= pivot).then(two + 2000).otherwise(two + 1900)
    return pl.coalesce(four, century.cast(pl.String))


def build_grid(
    body: pl.DataFrame,
    mapping: HeaderMapping,
    *,
    first_row: int,
    ref_prefix: str,
    options: ImportOptions,
    from_workbook: bool,
    misfits: pl.Series | None = None,
) -> Built:
    """Records from ``body`` (the rows under the header, columns in header order).

    :param first_row: the spreadsheet row number of ``body``'s first row.
    :param ref_prefix: ``"Alumni!"`` for a sheet, ``"row "`` for a delimited file.
    :param misfits: per row of ``body``, the raw line of a row with more fields than the
        header (:func:`pipeline.tabular.misfits`), null for rows that fit: those are rejects.
    """
    names = [f"c{i}" for i in range(body.width)]
    body = blank_to_null(body.rename(dict(zip(body.columns, names, strict=True))))
    body = body.with_row_index("_row", offset=first_row)
    ref = pl.lit(ref_prefix) + pl.col("_row").cast(pl.String)
    body, misfit_rejects = _take_misfits(body, misfits, ref_prefix)
    body, dropped, skipped = _drop_noise(body, names, mapping, ref_prefix)

    grid = _Grid(body, mapping)
    out: dict[str, pl.Expr] = {}
    _name_fields(grid, out, from_workbook)
    _address(grid, out)
    _contact_points(grid, out)
    _tags(grid, out)
    unparsed = _class_year(grid, out)
    if options.school:
        out["school"] = (
            pl.coalesce(out["school"], pl.lit(options.school)) if "school" in out else pl.lit(options.school)
        )
    for m in mapping.columns:
        if m.target == EXTRA:
            grid.extra.append((grid.keys[m.index], pl.col(f"c{m.index}")))
        elif m.target.startswith("extra:"):
            grid.extra.append((m.target.removeprefix("extra:"), pl.col(f"c{m.index}")))

    frame = body.select(
        ref.alias("source_ref"),
        *(expr.alias(name) for name, expr in out.items()),
        pl.lit(options.channel or "alumni").alias("channel"),
        json_object(_holding_values(grid.extra, body), body).alias("extra"),
        (unparsed if unparsed is not None else pl.lit(0)).alias("_unparsed_years"),
    )
    unparsed_years = int(frame["_unparsed_years"][0]) if frame.height else 0
    frame, rejects = _split_rejects(frame.drop("_unparsed_years"))
    return Built(frame, misfit_rejects + rejects, dropped, unparsed_years, skipped)


class _Grid:
    """The body with its mapping: the columns feeding each target, and ``extra`` as it grows."""

    def __init__(self, body: pl.DataFrame, mapping: HeaderMapping) -> None:
        self.body, self.mapping = body, mapping
        self.keys = unique_keys([m.header.strip() or f"column {m.index + 1}" for m in mapping.columns])
        self.extra: list[tuple[str, pl.Expr]] = []

    def cols(self, target: str) -> list[pl.Expr]:
        return [pl.col(f"c{m.index}") for m in self.mapping.columns_for(target)]

    def name(self, target: str) -> str:
        """The frame column of the target's best source column."""
        return f"c{self.mapping.columns_for(target)[0].index}"

    def to_extra(self, target: str, expr_for=lambda e: e) -> None:
        for m in self.mapping.columns_for(target):
            self.extra.append((self.keys[m.index], expr_for(pl.col(f"c{m.index}"))))


def _holding_values(members: list[tuple[str, pl.Expr]], body: pl.DataFrame) -> list[tuple[str, pl.Expr]]:
    """The ``extra`` members with a value in some row (one pass over all of them): a member that is
    null in every row adds nothing to any row's object, and its text need not be built per row."""
    if not members:
        return members
    found = body.select(
        expr.is_not_null().any().alias(f"m{i}") for i, (_key, expr) in enumerate(members)
    ).row(0)
    return [member for member, present in zip(members, found, strict=True) if present]


def _take_misfits(
    body: pl.DataFrame, misfits: pl.Series | None, ref_prefix: str
) -> tuple[pl.DataFrame, list[Reject]]:
    """Rows with more fields than the header become rejects keeping their raw line (a shifted
    record would be wrong in every column, and cutting the surplus would lose data)."""
    if misfits is None or misfits.null_count() == len(misfits):
        return body, []
    bad = body.select("_row").with_columns(misfits.alias("raw")).filter(pl.col("raw").is_not_null())
    rejects = [
        Reject(
            f"{ref_prefix}{row}",
            "the row has more fields than its header (an unquoted delimiter inside a value?); "
            "kept whole in the reject, not shifted",
            raw,
        )
        for row, raw in bad.iter_rows()
    ]
    return body.filter(misfits.is_null()), rejects


# --- names -------------------------------------------------------------------------------


def _name_fields(grid: _Grid, out: dict[str, pl.Expr], from_workbook: bool) -> None:
    """The single-valued fields as written; a preferred name with no first-name column is the
    given name (``Preferred Name`` + ``Last``: "Marcus" + "Hale", not "Hale" alone)."""
    for target in _SINGLE:
        found = grid.cols(target)
        if found:
            out[target] = found[0]
    if "nickname" in out and "given_name" not in out:
        out["given_name"] = out.pop("nickname")
    if "birthday" in out and from_workbook:
        # calamine renders a date cell as "1987-05-01 00:00:00": the time is not the source's.
        out["birthday"] = out["birthday"].str.replace(r" 00:00:00$", "")


# --- addresses ---------------------------------------------------------------------------


def _address(grid: _Grid, out: dict[str, pl.Expr]) -> None:
    """``City, ST`` split, street lines joined, a street-number column put before the street
    (``12 Harbour Rd``) or after it (``Hauptstraße 5``) as the header's language writes it."""
    if grid.cols("city_region"):
        name = grid.name("city_region")

        def part(group: int):
            return lambda c: c.str.extract(r"^\s*(.*?)\s*,\s*([^,]+?)\s*$", group)

        city = pl.coalesce(
            via_uniques(grid.body, name, part(1), dtype=pl.String).replace("", None),
            grid.cols("city_region")[0],
        )
        out["city"] = pl.coalesce(out["city"], city) if "city" in out else city
        region = via_uniques(grid.body, name, part(2), dtype=pl.String)
        out["region"] = pl.coalesce(out["region"], region) if "region" in out else region
    street = grid.cols("street")
    before, after = grid.cols("street_number"), grid.cols("house_number")
    if street and (before or after):
        first = street[0]
        if before:
            first = pl.concat_str([before[0], first], separator=" ", ignore_nulls=True)
        if after:
            first = pl.concat_str([first, after[0]], separator=" ", ignore_nulls=True)
        street = [first, *street[1:]]
        grid.to_extra("street_number", lambda c: pl.lit(None, pl.String))
    elif before or after:
        street = before or after  # a number alone is still part of the address
    if street:
        out["street"] = joined(street)


# --- emails and phones -------------------------------------------------------------------


def _contact_points(grid: _Grid, out: dict[str, pl.Expr]) -> None:
    """An address in a phone slot (Raiser's Edge does that) is an email; text that is
    neither (a type such as "Home") stays visible in extra."""
    email_cols, phone_cols = grid.cols("emails"), grid.cols("phones")
    has_at = [c.str.contains("@", literal=True) for c in email_cols + phone_cols]
    emails = [pl.when(h).then(c) for c, h in zip(email_cols + phone_cols, has_at, strict=True)]
    phones = [pl.when(c.str.contains(r"\d") & ~c.str.contains("@", literal=True)).then(c) for c in phone_cols]
    if emails:
        out["emails"] = list_of(emails)
    if phones:
        out["phones"] = list_of(phones)
    grid.to_extra("emails", lambda c: pl.when(~c.str.contains("@", literal=True)).then(c))
    grid.to_extra(
        "phones", lambda c: pl.when(~c.str.contains(r"\d") & ~c.str.contains("@", literal=True)).then(c)
    )


# --- flags and tags ----------------------------------------------------------------------


def _tags(grid: _Grid, out: dict[str, pl.Expr]) -> None:
    """Tags cells plus deceased / lost / do-not-contact from flag, opt-in and status columns."""

    # Flags are low-cardinality: decide once per distinct value, then map back.
    def flag(target: str, test) -> list[pl.Expr]:
        return [
            via_uniques(grid.body, f"c{m.index}", test, dtype=pl.Boolean).fill_null(False)
            for m in grid.mapping.columns_for(target)
        ]

    tag_parts = [c.str.replace_all(";", "\x1f", literal=True) for c in grid.cols("tags")]
    for tag in ("deceased", "lost", "do-not-contact"):
        yes = flag(f"tag:{tag}", lambda c: ~_norm(c).is_in(FALSY))
        if tag == "do-not-contact":
            yes += flag("opt_in", lambda c: _norm(c).is_in(FALSY))
        yes += flag("status", lambda c, tag=tag: c.str.contains(_STATUS_TAGS[tag]))
        if yes:
            tag_parts.append(pl.when(pl.any_horizontal(yes)).then(pl.lit(tag)))
    if tag_parts:
        out["tags"] = list_of(tag_parts)
    grid.to_extra("status")


# --- class years -------------------------------------------------------------------------


def _class_year(grid: _Grid, out: dict[str, pl.Expr]) -> pl.Expr | None:
    """The class year as four digits; the original kept in extra where it isn't understood.
    Returns the expression counting those (None without a class-year column)."""
    years = grid.cols("class_year")
    if not years:
        return None
    parsed = via_uniques(grid.body, grid.name("class_year"), class_year, dtype=pl.String)
    out["class_year"] = parsed
    # The original stays in extra unless it was nothing but the year ("2009", "'09", "Class of 2009").
    plain = via_uniques(
        grid.body, grid.name("class_year"), lambda c: c.str.contains(_PLAIN_YEAR), dtype=pl.Boolean
    )
    grid.to_extra("class_year", lambda c: pl.when(parsed.is_null() | ~plain.fill_null(False)).then(c))
    return (parsed.is_null() & years[0].is_not_null()).sum()


def _split_rejects(frame: pl.DataFrame) -> tuple[pl.DataFrame, list[Reject]]:
    """Rows with no name, email or phone are rejects (their values stay in the reject's raw line)."""
    identified = [pl.col(n).is_not_null() for n in _NAME_FIELDS if n in frame.columns]
    identified += [
        (pl.col(n).list.len() > 0).fill_null(False) for n in ("emails", "phones") if n in frame.columns
    ]
    ok = pl.any_horizontal(identified) if identified else pl.lit(False)
    bad = frame.filter(~ok)
    if not bad.height:
        return frame, []
    raws = raw_values(bad)
    rejects = [Reject(ref, "no name, email or phone in this row", raw) for ref, raw in raws]
    return frame.filter(ok), rejects


def _drop_noise(
    body: pl.DataFrame, names: list[str], mapping: HeaderMapping, ref_prefix: str
) -> tuple[pl.DataFrame, dict, list[dict[str, str]]]:
    """Drop rows that are not people; return the rest, counts by kind, and the skipped rows.

    Blank rows, repeated header rows, "Total" rows, and rows holding one lone text that reads
    as a title, note or disclaimer ("Class of 1998", "For alumni networking only. Do not
    use…", "Source: registrar, 2024") in a table of at least three columns. The cheap tests
    (how many cells are filled, do the first header cells repeat) pick a few candidate rows;
    only those get the full checks.
    Skipped rows other than blank ones are listed with their text, so nothing is lost.
    """
    filled = pl.sum_horizontal([pl.col(c).is_not_null() for c in names]) if names else pl.lit(0)
    named = [(f"c{m.index}", m.header.strip()) for m in mapping.columns if m.header.strip()]
    few = max(3, len(names) // 3)
    looks_like_header = pl.all_horizontal([(pl.col(c) == h).fill_null(False) for c, h in named[:2]])
    candidates = body.filter((filled <= few) | looks_like_header)
    hits = pl.sum_horizontal([(pl.col(c).str.strip_chars() == h).fill_null(False) for c, h in named])
    repeated = hits >= max(2, (len(named) + 1) // 2)
    total = pl.any_horizontal([pl.col(c).str.contains(_TOTAL).fill_null(False) for c in names]) & (
        filled <= few
    )
    lone = pl.coalesce([pl.col(c) for c in names]) if names else pl.lit(None, pl.String)
    # One cell of prose or a title in a table of several columns is not a person.
    note = (
        (filled == 1)
        & (len(names) >= 3)
        & (lone.str.contains(_TITLE) | (lone.str.contains(_SENTENCE) & lone.str.contains(_PROSE))).fill_null(
            False
        )
        & ~lone.str.contains("@", literal=True).fill_null(False)
        & (lone.str.count_matches(r"\d").fill_null(0) < 7)  # a lone phone number is a contact
    )
    text = pl.concat_str([pl.col(c) for c in names], separator=" | ", ignore_nulls=True) if names else lone
    flags = candidates.select(
        pl.col("_row"),
        (filled == 0).alias("blank"),
        repeated.alias("repeated"),
        (total & ~repeated).alias("total"),
        (note & ~total & ~repeated).alias("note"),
        text.alias("text"),
    ).filter(pl.col("blank") | pl.col("repeated") | pl.col("total") | pl.col("note"))
    dropped = {
        "blank": int(flags["blank"].sum()),
        "repeated header": int(flags["repeated"].sum()),
        "total": int(flags["total"].sum()),
        "note": int(flags["note"].sum()),
    }
    kinds = flags.select(
        "_row",
        "blank",
        pl.when("total")
        .then(pl.lit("total"))
        .when("note")
        .then(pl.lit("note"))
        .otherwise(pl.lit("repeated header")),
        "text",
    )
    skipped = [
        {"ref": f"{ref_prefix}{row}", "kind": kind, "text": value}
        for row, blank, kind, value in kinds.iter_rows()
        if not blank
    ]
    if flags.height:
        body = body.filter(~pl.col("_row").is_in(flags["_row"].implode()))
    return body, dropped, skipped
