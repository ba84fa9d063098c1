"""Normalization: make every importer's raw text comparable, for a million rows at a time.

Entry point: :func:`normalize_records`, applied by the core to every importer's validated
frame (built-in and third-party alike) before the store. It returns the same rows in the
same order with every present column in its canonical dtype (:data:`pipeline.schema.CANONICAL`),
name parts and ``full_name`` filled from each other, and the matching keys of
:data:`pipeline.schema.DERIVED` (``name_key``, ``given_key``, ``family_key``).

Nothing is lost: a value that cannot be normalized stays visible. Invalid e-mail
addresses leave ``emails`` for the row's ``extra`` JSON object (``"invalid_emails"``);
phone numbers that can't be parsed stay in ``phones`` as written and are listed under
``"unparsed_phones"``; dates and class years that can't be read go to
``"unparsed_birthday"``, ``"unparsed_connected_on"``, ``"unparsed_class_year"``. Each
such row gets a ``(source_ref, message)`` warning naming only the kind of value.

Field modules (each vectorized; per-value Python only over distinct irregular values):
:mod:`.text` (hygiene; the one name fold, also used by dedupe and the journal),
:mod:`.nicknames` (the one nickname table), :mod:`.names` / :mod:`.nameparse`, :mod:`.emails`,
:mod:`.phones` (E.164, extensions as ``+12065550142;ext=12``), :mod:`.urls` (LinkedIn),
:mod:`.dates`, :mod:`.places`. The per-value helpers re-exported here run the same code
paths as the columns, so a key computed by another module matches the stored one.
"""

from __future__ import annotations

import json
from concurrent.futures import Executor
from dataclasses import dataclass, field

import polars as pl

from pipeline.normalize.dates import (
    birthday_column,
    class_year_column,
    connected_on_column,
    parse_birthday,
    parse_class_year,
    parse_date,
)
from pipeline.normalize.emails import is_valid_email, normalize_email, normalize_emails
from pipeline.normalize.names import NAME_COLUMNS, normalize_names
from pipeline.normalize.nicknames import canonical_given
from pipeline.normalize.phones import damaged as damaged_phones
from pipeline.normalize.phones import normalize_phone, normalize_phones_labelled
from pipeline.normalize.places import country_code, normalize_country, split_city_column
from pipeline.normalize.text import SEP, clean_text, fold, fold_expr
from pipeline.normalize.urls import linkedin_url_expr, normalize_linkedin_column, normalize_linkedin_url
from pipeline.schema import CANONICAL, DERIVED
from pipeline.threads import THREADED_ROWS, helper_threads

__all__ = [
    "NormalizeResult",
    "canonical_given",
    "country_code",
    "fold",
    "fold_expr",
    "is_valid_email",
    "linkedin_url_expr",
    "normalize_email",
    "normalize_linkedin_url",
    "normalize_phone",
    "normalize_records",
    "parse_birthday",
    "parse_class_year",
    "parse_date",
]

#: Text columns whose line breaks mean something.
MULTI_LINE = frozenset({"notes", "street"})
#: Columns passed through untouched: the core's place and id for the record, and ``extra``
#: (a JSON object string, merged into below only where something was kept aside).
_UNTOUCHED = frozenset({"source_ref", "source_key", "extra"})
_MESSAGES = {
    "invalid_emails": "invalid email address kept in extra",
    "unparsed_phones": "phone number not understood, kept as written",
    "damaged_phones": "phone number damaged by a spreadsheet (scientific notation), kept as written",
    "phone_labels": None,
    "unparsed_birthday": "birthday not understood, kept in extra",
    "unparsed_connected_on": "connection date not understood, kept in extra",
    "unparsed_class_year": "class year not understood, kept in extra",
}


#: Control characters no contact field needs (C0 but tab and line breaks, DEL, C1): they make
#: spreadsheets refuse the value and terminals misbehave. Removed at normalization; the value
#: as written is kept in ``extra`` under ``"<field>_as_written"``.
CONTROL_CHARACTERS = r"[\x00-\x08\x0e-\x1f\x7f-\x9f]"
_VERTICAL = r"[\x0b\x0c]"
_AS_WRITTEN_MESSAGE = "control characters removed, the value as written kept in extra"


def _strip_controls(frame: pl.DataFrame, aside: dict[str, pl.Series]) -> pl.DataFrame:
    """Remove control characters from every text and list column (one vectorized test per column,
    all in one pass; only columns that hold one are rewritten), keeping each touched value as
    written in ``aside``."""
    tests = {name: test for name, dtype in frame.schema.items() if (test := _control_test(name, dtype))}
    if not tests:
        return frame
    found = frame.select(hit.any().alias(name) for name, (hit, _clean) in tests.items()).row(0)
    fixed = []
    for (name, (hit, clean)), any_hit in zip(tests.items(), found, strict=True):
        if not any_hit:
            continue
        col = pl.col(name)
        aside[f"{name}_as_written"] = frame.select(pl.when(hit).then(col))[:, 0]
        fixed.append(pl.when(hit).then(clean).otherwise(col).alias(name))
    return frame.with_columns(fixed) if fixed else frame


def _control_test(name: str, dtype: pl.DataType) -> tuple[pl.Expr, pl.Expr] | None:
    """``(holds a control character, the value without them)`` for a text or list column, else None."""
    if name in _UNTOUCHED:
        return None
    pattern = f"{CONTROL_CHARACTERS}|{_VERTICAL}"
    col = pl.col(name)
    if dtype == pl.String:
        clean = col.str.replace_all(_VERTICAL, " ").str.replace_all(CONTROL_CHARACTERS, "")
        return col.str.contains(pattern), clean
    if isinstance(dtype, pl.List) and dtype.inner == pl.String:
        element = pl.element().str.replace_all(_VERTICAL, " ").str.replace_all(CONTROL_CHARACTERS, "")
        return col.list.eval(pl.element().str.contains(pattern)).list.any(), col.list.eval(element)
    return None


def _cap_values(out: dict[str, pl.Series], aside: dict[str, pl.Series]) -> None:
    """At most ``KITH_MAX_VALUES_PER_FIELD`` values in a normalized list field; the rest go to
    ``extra`` under ``"<field>_beyond_limit"`` (a card with 190,000 e-mail addresses is not a
    contact's, and every exporter would pay for it)."""
    from pipeline.limits import current

    limit = current().max_values_per_field
    for name, s in list(out.items()):
        if not isinstance(s.dtype, pl.List):
            continue
        over = s.list.len() > limit
        if not over.any():
            continue
        aside[f"{name}_beyond_limit"] = pl.select(pl.when(pl.lit(over)).then(pl.lit(s.list.slice(limit))))[
            :, 0
        ]
        out[name] = s.list.head(limit)


def _message(key: str) -> str:
    if key.endswith("_beyond_limit"):
        from pipeline.limits import current

        field = key.removesuffix("_beyond_limit")
        limit = current().max_values_per_field
        return f"more than {limit:,} values in {field}: the first {limit:,} kept, the rest in extra"
    return _MESSAGES.get(key, _AS_WRITTEN_MESSAGE)


@dataclass
class NormalizeResult:
    """The normalized frame and ``(source_ref, message)`` warnings."""

    frame: pl.DataFrame
    warnings: list[tuple[str, str]] = field(default_factory=list)


def _split_tags(s: pl.Series) -> pl.Series:
    if s.dtype == pl.Null or (isinstance(s.dtype, pl.List) and s.dtype.inner == pl.Null):
        return pl.Series(s.name, [[]] * len(s), dtype=pl.List(pl.String))
    if isinstance(s.dtype, pl.List):
        # A list already says where one tag ends: "Job search, 2024" stays one tag.
        flat = pl.DataFrame({"i": pl.int_range(len(s), eager=True), "t": s}).explode("t")
        flat = flat.with_columns(clean_text(flat["t"], single_line=True).alias("t"))
        keep = pl.col("t").filter(pl.col("t").is_not_null() & (pl.col("t") != ""))
        grouped = flat.group_by("i").agg(keep.unique(maintain_order=True))
        rows = pl.DataFrame({"i": pl.int_range(len(s), eager=True)}).join(grouped, on="i", how="left")
        return rows.sort("i")["t"].fill_null([]).alias(s.name)
    s = clean_text(s, single_line=False)
    parts = s.str.replace_all(r"\s*(?:;|,|:::|\n|\x1f)\s*", SEP).str.split(SEP)
    el = pl.element().str.strip_chars()
    return (
        pl.DataFrame({"t": parts})
        .select(pl.col("t").list.eval(el.filter(el != "")).list.unique(maintain_order=True).fill_null([]))
        .to_series()
        .alias(s.name)
    )


def _merge_extra(extra: str | None, found: dict[str, object]) -> str:
    """Merge kept-aside values into a row's ``extra`` object (idempotent: lists are unions)."""
    obj: dict[str, object] = {}
    if extra:
        try:
            parsed = json.loads(extra)
        except ValueError:
            parsed = None
        obj = parsed if isinstance(parsed, dict) else {"extra": extra if parsed is None else parsed}
    for key, value in found.items():
        old = obj.get(key)
        if isinstance(value, dict):
            obj[key] = {**value, **old} if isinstance(old, dict) else value
        elif isinstance(value, list):
            merged = list(old) if isinstance(old, list) else ([old] if old is not None else [])
            merged += [v for v in value if v not in merged]
            obj[key] = merged
        elif old is None or old == value:
            obj[key] = value
        else:
            obj[key] = (list(old) if isinstance(old, list) else [old]) + ([value] if value not in old else [])
    return json.dumps(obj, ensure_ascii=False)


def _phones_by_country(
    s: pl.Series, region: str, country: pl.Series | None
) -> tuple[pl.Series, pl.Series, pl.Series]:
    """Phones of every row for the workspace's region, except rows whose own country (address,
    country column) is another: their national numbers are read for that country."""
    phones, unparsed, labels = normalize_phones_labelled(s, region)
    if country is None:
        return phones, unparsed, labels
    import phonenumbers

    # Countries sharing the region's calling code (US and CA) read national numbers alike.
    same_code = [
        c
        for c in country.drop_nulls().unique().to_list()
        if phonenumbers.country_code_for_region(c) == phonenumbers.country_code_for_region(region)
    ]
    other = (country.is_not_null() & ~country.is_in([region, *same_code])).fill_null(False)
    if not other.any():
        return phones, unparsed, labels
    names = ("phones", "unparsed", "labels")
    whole = pl.DataFrame([phones.alias("phones"), unparsed.alias("unparsed"), labels.alias("labels")])
    parts = []
    for code in country.filter(other).unique().to_list():
        idx = (country == code).fill_null(False).arg_true()
        found = normalize_phones_labelled(s.gather(idx), code)
        parts.append(pl.DataFrame([idx.alias("i"), *(f.alias(n) for f, n in zip(found, names, strict=True))]))
    # Lists can't be scattered: the other countries' rows replace theirs through a join.
    redone = pl.concat(parts)
    whole = (
        whole.with_row_index("i")
        .join(redone, on="i", how="left", suffix="_c", maintain_order="left")
        .select(pl.coalesce(f"{n}_c", n).alias(n) for n in names)
    )
    phones, unparsed, labels = (whole[n] for n in names)
    return phones, unparsed, labels


def normalize_records(frame: pl.DataFrame, *, region: str, directory: bool = False) -> NormalizeResult:
    """Normalize a validated raw frame (see :func:`pipeline.schema.validate_raw`).

    :param region: the workspace's default region (kith.toml ``region``): phone numbers
        without a country code and the day/month order of numeric dates follow it.
    :param directory: names from a directory or CRM export (see :func:`.names.normalize_names`);
        an importer says so with ``info["directory_names"] = True``.
    :return: the frame (same rows, same order, canonical dtypes, plus the derived keys) and
        warnings for values kept aside.
    """
    region = region.upper()
    frame = frame.drop([c for c in DERIVED if c in frame.columns])
    aside: dict[str, pl.Series] = {}
    frame = _strip_controls(frame, aside)

    # Names and phones (the costliest columns) run on a helper thread beside the other columns:
    # polars releases the GIL, so both cores work. Results are assembled in column order as before.
    with helper_threads(inline=frame.height < THREADED_ROWS) as pool:
        names_job = pool.submit(normalize_names, frame, directory=directory)
        columns = _normalize_columns(frame, region, aside, pool)
        names, keys = names_job.result()
    out = {**names, **columns}
    _cap_values(out, aside)
    if "city" in out:
        out["city"], out["region"] = split_city_column(out["city"], out.get("region"), out.get("country"))
    extra, warnings = _extra_with_aside(frame, aside)
    if extra is not None:
        out["extra"] = extra

    added = [c for c in (*NAME_COLUMNS, "region", "extra") if c in out and c not in frame.columns]
    result = pl.DataFrame([(out[c] if c in out else frame[c]).alias(c) for c in [*frame.columns, *added]])
    result = result.with_columns(
        [pl.col(c).cast(CANONICAL[c]) for c in result.columns if c in CANONICAL]
        + [s.cast(DERIVED[c]).alias(c) for c, s in keys.items()]
    )
    return NormalizeResult(result, warnings)


#: Columns normalized on the helper thread (see :func:`normalize_records`).
_ON_HELPER = frozenset({"phones"})
#: Aside entries for a column: ``[(key, values)]`` in the order they are kept.
_Aside = list[tuple[str, pl.Series]]


def _normalize_columns(
    frame: pl.DataFrame, region: str, aside: dict[str, pl.Series], pool: Executor
) -> dict[str, pl.Series]:
    """Every column but the names: normalized, with what could not be read put ``aside``."""
    skip = _UNTOUCHED | (set(NAME_COLUMNS) if any(c in frame.columns for c in NAME_COLUMNS) else set())
    todo = [c for c in frame.columns if c not in skip]
    helped = {c: pool.submit(_normalize_column, frame, c, region) for c in todo if c in _ON_HELPER}
    out: dict[str, pl.Series] = {}
    done = {c: _normalize_column(frame, c, region) for c in todo if c not in _ON_HELPER}
    for column in todo:
        normalized, kept_aside = helped[column].result() if column in helped else done[column]
        if normalized is not None:
            out[column] = normalized
        aside.update(kept_aside)
    return out


def _normalize_column(frame: pl.DataFrame, column: str, region: str) -> tuple[pl.Series | None, _Aside]:
    """One column normalized (None: left as it is), and what it put aside."""
    s = frame[column]
    if column == "emails":
        emails, invalid = normalize_emails(s)
        return emails, [("invalid_emails", invalid)]
    if column == "phones":
        country = normalize_country(frame["country"]) if "country" in frame.columns else None
        phones, unparsed, labels = _phones_by_country(s, region, country)
        return phones, [
            ("unparsed_phones", unparsed),
            ("damaged_phones", damaged_phones(unparsed)),
            ("phone_labels", labels),
        ]
    if column == "tags":
        return _split_tags(s), []
    if column == "linkedin_url":
        return normalize_linkedin_column(s), []
    if column in ("birthday", "connected_on"):
        cleaned = clean_text(s) if s.dtype in (pl.String, pl.Null) else s
        fn = birthday_column if column == "birthday" else connected_on_column
        parsed, bad = fn(cleaned, region)
        return parsed, [
            (f"unparsed_{column}", pl.select(pl.when(pl.lit(bad)).then(pl.lit(cleaned))).to_series())
        ]
    if column == "class_year":
        parsed, bad = class_year_column(s)
        raw = s.cast(pl.String)
        return parsed, [
            ("unparsed_class_year", pl.select(pl.when(pl.lit(bad)).then(pl.lit(raw))).to_series())
        ]
    if column == "country":
        return normalize_country(s), []
    if column == "channel":
        return clean_text(s).str.to_lowercase(), []
    if s.dtype in (pl.String, pl.Null):
        return clean_text(s, single_line=column not in MULTI_LINE), []
    return None, []


def _extra_with_aside(
    frame: pl.DataFrame, aside: dict[str, pl.Series]
) -> tuple[pl.Series | None, list[tuple[str, str]]]:
    """``extra`` with the values kept aside merged in (only the rows that have any), and a warning each."""
    warnings: list[tuple[str, str]] = []
    extra = frame["extra"] if "extra" in frame.columns else None
    if extra is not None and extra.dtype in (pl.String, pl.Null):
        extra = clean_text(extra.cast(pl.String), single_line=False)
    flagged = [
        (k, v.list.len() > 0 if isinstance(v.dtype, pl.List) else v.is_not_null()) for k, v in aside.items()
    ]
    if not flagged:
        return extra, warnings
    any_flag = pl.DataFrame(dict(flagged)).select(pl.any_horizontal(pl.all()))[:, 0]
    idx = any_flag.arg_true()
    if not idx.len():
        return extra, warnings
    extra = extra if extra is not None else pl.Series("extra", [None] * frame.height, dtype=pl.String)
    refs = frame["source_ref"].gather(idx).to_list()
    olds = extra.gather(idx).to_list()
    values = {k: aside[k].gather(idx).to_list() for k in aside}
    merged = []
    for i, ref in enumerate(refs):
        found = {}
        for k in aside:
            v = values[k][i]
            if v:  # non-empty list or non-null text
                if k == "phone_labels":  # "number\x1dlabel" texts → {number: label}
                    v = dict(item.split("\x1d", 1) for item in v)
                found[k] = v
                if k != "phone_labels":  # a label typed with a number is kept, not a problem
                    warnings.append((ref, _message(k)))
        merged.append(_merge_extra(olds[i], found))
    return extra.clone().scatter(idx, pl.Series(merged, dtype=pl.String)), warnings
