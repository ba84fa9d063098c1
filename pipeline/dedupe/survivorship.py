"""Survivorship: one merged row per person, each value traceable to the record it came from.

Last step of :func:`pipeline.dedupe.resolve`. The records of a person are ranked:

1. source priority (``DedupeSettings.source_priority``; unlisted sources after listed ones),
2. then the most recent (the first present of ``updated_at``, ``imported_at``,
   ``connected_on``),
3. then the most complete (most non-empty canonical fields),
4. then ``record_id`` (so the result never depends on input order).

Each field takes its value from the best-ranked record that has one. Fields that only make
sense together come from one record as a group — the name parts (so "Bob" never lands next
to "Robert Kowalski"), organization/title/department, the postal address, and
school/degree/class year. A full birthday beats a year-less one. Emails, phones and tags
are never chosen: every value is kept, de-duplicated, best-ranked record first. Notes from
different records are all kept (joined by a blank line). ``provenance`` says, per field,
which record it came from.
"""

from __future__ import annotations

import polars as pl

GROUPS: dict[str, tuple[str, ...]] = {
    "name": ("full_name", "given_name", "middle_name", "family_name", "prefix", "suffix"),
    "work": ("organization", "title", "department"),
    "address": ("street", "city", "region", "postal_code", "country"),
    "education": ("school", "degree", "class_year"),
}
SINGLE = ("nickname", "linkedin_url", "birthday", "connected_on", "channel")
PERSON_FIELDS = (
    *GROUPS["name"],
    "nickname",
    *GROUPS["work"],
    *GROUPS["address"],
    "linkedin_url",
    *GROUPS["education"],
    "birthday",
    "connected_on",
    "channel",
    "notes",
)
RECENCY = ("updated_at", "imported_at", "connected_on")
SCORED = (*PERSON_FIELDS, "emails", "phones")


def _present(frame: pl.DataFrame, cols: tuple[str, ...]) -> pl.Expr:
    exprs = [pl.col(c).is_not_null() for c in cols if c in frame.columns]
    return pl.any_horizontal(exprs) if exprs else pl.lit(False)


def rank_records(records: pl.DataFrame, priority: list[str]) -> pl.DataFrame:
    """``records`` with ``_rank`` columns added, best first when sorted ascending."""
    order = {s: n for n, s in enumerate(priority)}
    recency = [pl.col(c).cast(pl.String) for c in RECENCY if c in records.columns]
    filled = []
    for c in SCORED:
        if c not in records.columns:
            continue
        if records.schema[c] == pl.List(pl.String):
            filled.append((pl.col(c).list.len() > 0).fill_null(False).cast(pl.Int32))
        else:
            filled.append(pl.col(c).is_not_null().cast(pl.Int32))
    return records.with_columns(
        pl.col("source").replace_strict(order, default=len(order), return_dtype=pl.Int32).alias("_r_source"),
        (pl.coalesce(recency) if recency else pl.lit(None, dtype=pl.String)).alias("_r_recent"),
        (pl.sum_horizontal(filled) if filled else pl.lit(0)).alias("_r_complete"),
    )


def _json_pairs(pairs: list[tuple[str, pl.Expr]]) -> pl.Expr:
    parts = [
        pl.when(rid.is_not_null()).then(
            pl.lit(f'"{field}":"')
            + rid.str.replace_all("\\", "\\\\", literal=True).str.replace_all('"', '\\"', literal=True)
            + pl.lit('"')
        )
        for field, rid in pairs
    ]
    return pl.lit("{") + pl.concat_list(parts).list.drop_nulls().list.join(",") + pl.lit("}")


def _pick(frame: pl.DataFrame, present: pl.Expr, cols: list[str], prov: str) -> pl.DataFrame:
    """Per person (``_pc``), ``cols`` and the record id from the best-ranked row where ``present`` holds."""
    return (
        frame.filter(present)
        .unique("_pc", keep="first", maintain_order=True)
        .select("_pc", *cols, pl.col("record_id").alias(prov))
    )


def _merge_groups(multi: pl.DataFrame) -> pl.DataFrame:
    """Survivorship for people with two or more records (``multi`` sorted best record first per person)."""
    people = multi.unique("_pc", keep="first", maintain_order=True).select("_pc", "person_id")
    prov: list[tuple[str, pl.Expr]] = []
    for group, cols in GROUPS.items():
        cols = [c for c in cols if c in multi.columns]
        people = people.join(
            _pick(multi, _present(multi, tuple(cols)), cols, f"_p_{group}"), on="_pc", how="left"
        )
        prov += [(c, pl.when(pl.col(c).is_not_null()).then(pl.col(f"_p_{group}"))) for c in cols]
    for c in SINGLE:
        if c not in multi.columns:
            continue
        pick = _pick(multi, pl.col(c).is_not_null(), [c], f"_p_{c}")
        if c == "birthday":
            # A full date beats a year-less one whatever the rank: it is strictly more information.
            full = _pick(multi, pl.col(c).str.contains(r"^\d{4}"), [c], f"_p_{c}")
            pick = pl.concat([full, pick]).unique("_pc", keep="first", maintain_order=True)
        people = people.join(pick, on="_pc", how="left")
        prov.append((c, pl.col(f"_p_{c}")))
    if "notes" in multi.columns:
        notes = (
            multi.filter(pl.col("notes").is_not_null())
            .group_by("_pc", maintain_order=True)
            .agg(
                pl.col("notes").unique(maintain_order=True).str.join("\n\n").alias("notes"),
                pl.col("record_id").first().alias("_p_notes"),
            )
        )
        people = people.join(notes, on="_pc", how="left")
        prov.append(("notes", pl.col("_p_notes")))
    for c in ("emails", "phones", "tags"):
        if c in multi.columns:
            values = (
                multi.select("_pc", c)
                .explode(c)
                .drop_nulls(c)
                .unique(["_pc", c], keep="first", maintain_order=True)
                .group_by("_pc", maintain_order=True)
                .agg(c)
            )
            people = people.join(values, on="_pc", how="left")
    lists = multi.group_by("_pc", maintain_order=True).agg(
        pl.col("record_id").alias("record_ids"), pl.col("source").unique(maintain_order=True).alias("sources")
    )
    people = people.join(lists, on="_pc", how="left")
    return people.with_columns(_json_pairs(prov).alias("provenance"))


def _singles(single: pl.DataFrame) -> pl.DataFrame:
    """People with one record: every field is that record's, and so is every provenance entry."""
    fields = [c for c in PERSON_FIELDS if c in single.columns]
    prov = [(c, pl.when(pl.col(c).is_not_null()).then(pl.col("record_id"))) for c in fields]
    return single.with_columns(
        pl.concat_list("record_id").alias("record_ids"),
        pl.concat_list("source").alias("sources"),
        _json_pairs(prov).alias("provenance"),
    )


def merge_people(records: pl.DataFrame, person: pl.Series, priority: list[str]) -> pl.DataFrame:
    """One row per person id in ``person`` (aligned with ``records``), with merged fields and provenance."""
    frame = records.with_columns(
        person.alias("person_id"),
        # An integer per person: sorting and joining on it is far cheaper than on the id text.
        person.cast(pl.Categorical).to_physical().alias("_pc"),
    )
    ranked = rank_records(frame, priority)
    size = pl.len().over("_pc")
    multi = ranked.filter(size > 1).sort(
        ["_pc", "_r_source", "_r_recent", "_r_complete", "record_id"],
        descending=[False, False, True, True, False],
        nulls_last=True,
    )
    parts = [_singles(ranked.filter(size == 1)), _merge_groups(multi)]
    for n, part in enumerate(parts):
        for c in PERSON_FIELDS:
            if c not in part.columns:
                part = part.with_columns(pl.lit(None, dtype=pl.String).alias(c))
        for c in ("emails", "phones", "tags"):
            if c not in part.columns:
                part = part.with_columns(pl.lit([], dtype=pl.List(pl.String)).alias(c))
            else:
                part = part.with_columns(pl.col(c).fill_null(pl.lit([], dtype=pl.List(pl.String))))
        cols = [
            "person_id",
            *PERSON_FIELDS,
            "emails",
            "phones",
            "tags",
            "record_ids",
            "sources",
            "provenance",
        ]
        parts[n] = part.select(cols)
    return pl.concat(parts, how="vertical_relaxed").sort("person_id")
