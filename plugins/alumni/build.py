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
from pipeline.frames import json_object
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
) -> Built:
    """Records from ``body`` (the rows under the header, columns in header order).

    :param first_row: the spreadsheet row number of ``body``'s first row.
    :param ref_prefix: ``"Alumni!"`` for a sheet, ``"row "`` for a delimited file.
    """
    headers = [m.header for m in mapping.columns]
    names = [f"c{i}" for i in range(body.width)]
    body = blank_to_null(body.rename(dict(zip(body.columns, names, strict=True))))
    body = body.with_row_index("_row", offset=first_row)

    body, dropped = _drop_noise(body, names, mapping)

    def cols(target: str) -> list[pl.Expr]:
        return [pl.col(f"c{m.index}") for m in mapping.columns_for(target)]

    extra_pairs: list[tuple[str, pl.Expr]] = []
    keys = unique_keys([h.strip() or f"column {i + 1}" for i, h in enumerate(headers)])

    def to_extra(target: str, expr_for=lambda e: e) -> None:
        for m in mapping.columns_for(target):
            extra_pairs.append((keys[m.index], expr_for(pl.col(f"c{m.index}"))))

    out: dict[str, pl.Expr] = {}
    for target in _SINGLE:
        found = cols(target)
        if found:
            out[target] = found[0]

    if "birthday" in out and from_workbook:
        # calamine renders a date cell as "1987-05-01 00:00:00": the time is not the source's.
        out["birthday"] = out["birthday"].str.replace(r" 00:00:00$", "")

    city_region = cols("city_region")
    if city_region:
        name = f"c{mapping.columns_for('city_region')[0].index}"

        def part(group: int):
            return lambda c: c.str.extract(r"^\s*(.*?)\s*,\s*([^,]+?)\s*$", group)

        city = pl.coalesce(
            via_uniques(body, name, part(1), dtype=pl.String).replace("", None), city_region[0]
        )
        out["city"] = pl.coalesce(out["city"], city) if "city" in out else city
        region = via_uniques(body, name, part(2), dtype=pl.String)
        out["region"] = pl.coalesce(out["region"], region) if "region" in out else region

    street = cols("street")
    if street:
        out["street"] = joined(street)

    # Email and phone columns: an address in a phone slot (Raiser's Edge does that) is an
    # email; text that is neither (a type such as "Home") stays visible in extra.
    email_cols, phone_cols = cols("emails"), cols("phones")
    has_at = [c.str.contains("@", literal=True) for c in email_cols + phone_cols]
    emails = [pl.when(h).then(c) for c, h in zip(email_cols + phone_cols, has_at, strict=True)]
    phones = [pl.when(c.str.contains(r"\d") & ~c.str.contains("@", literal=True)).then(c) for c in phone_cols]
    if emails:
        out["emails"] = list_of(emails)
    if phones:
        out["phones"] = list_of(phones)
    to_extra("emails", lambda c: pl.when(~c.str.contains("@", literal=True)).then(c))
    to_extra("phones", lambda c: pl.when(~c.str.contains(r"\d") & ~c.str.contains("@", literal=True)).then(c))

    # Flags are low-cardinality: decide once per distinct value, then map back.
    def flag(target: str, test) -> list[pl.Expr]:
        return [
            via_uniques(body, f"c{m.index}", test, dtype=pl.Boolean).fill_null(False)
            for m in mapping.columns_for(target)
        ]

    tag_parts = [c.str.replace_all(";", "\x1f", literal=True) for c in cols("tags")]
    for tag in ("deceased", "lost", "do-not-contact"):
        yes = flag(f"tag:{tag}", lambda c: ~_norm(c).is_in(FALSY))
        if tag == "do-not-contact":
            yes += flag("opt_in", lambda c: _norm(c).is_in(FALSY))
        yes += flag("status", lambda c, tag=tag: c.str.contains(_STATUS_TAGS[tag]))
        if yes:
            tag_parts.append(pl.when(pl.any_horizontal(yes)).then(pl.lit(tag)))
    if tag_parts:
        out["tags"] = list_of(tag_parts)
    to_extra("status")

    years = cols("class_year")
    unparsed = pl.lit(0)
    if years:
        parsed = via_uniques(
            body, f"c{mapping.columns_for('class_year')[0].index}", class_year, dtype=pl.String
        )
        out["class_year"] = parsed
        to_extra("class_year", lambda c: pl.when(parsed.is_null()).then(c))
        unparsed = (parsed.is_null() & years[0].is_not_null()).sum()

    if options.school:
        out["school"] = (
            pl.coalesce(out["school"], pl.lit(options.school)) if "school" in out else pl.lit(options.school)
        )

    for m in mapping.columns:
        if m.target == EXTRA:
            extra_pairs.append((keys[m.index], pl.col(f"c{m.index}")))
        elif m.target.startswith("extra:"):
            extra_pairs.append((m.target.removeprefix("extra:"), pl.col(f"c{m.index}")))

    ref = pl.lit(ref_prefix) + pl.col("_row").cast(pl.String)
    frame = body.select(
        ref.alias("source_ref"),
        *(expr.alias(name) for name, expr in out.items()),
        pl.lit(options.channel or "alumni").alias("channel"),
        json_object(extra_pairs, body).alias("extra"),
        unparsed.alias("_unparsed_years") if years else pl.lit(0).alias("_unparsed_years"),
    )
    unparsed_years = int(frame["_unparsed_years"][0]) if frame.height else 0
    frame = frame.drop("_unparsed_years")

    identified = [pl.col(n).is_not_null() for n in _NAME_FIELDS if n in frame.columns]
    identified += [
        (pl.col(n).list.len() > 0).fill_null(False) for n in ("emails", "phones") if n in frame.columns
    ]
    ok = pl.any_horizontal(identified) if identified else pl.lit(False)
    bad = frame.filter(~ok)["source_ref"].to_list()
    rejects = [Reject(ref, "no name, email or phone in this row") for ref in bad]
    if bad:
        frame = frame.filter(ok)
    return Built(frame, rejects, dropped, unparsed_years)


def _drop_noise(body: pl.DataFrame, names: list[str], mapping: HeaderMapping) -> tuple[pl.DataFrame, dict]:
    """Drop blank rows, repeated header rows and "Total" rows; return the rest and the counts.

    The cheap tests (how many cells are filled, do the first header cells repeat) pick a
    few candidate rows; only those get the full checks.
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
    flags = candidates.select(
        pl.col("_row"),
        (filled == 0).alias("blank"),
        repeated.alias("repeated"),
        (total & ~repeated).alias("total"),
    ).filter(pl.col("blank") | pl.col("repeated") | pl.col("total"))
    dropped = {
        "blank": int(flags["blank"].sum()),
        "repeated header": int(flags["repeated"].sum()),
        "total": int(flags["total"].sum()),
    }
    if flags.height:
        body = body.filter(~pl.col("_row").is_in(flags["_row"].implode()))
    return body, dropped
