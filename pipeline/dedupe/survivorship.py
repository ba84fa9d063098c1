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
LISTS = ("emails", "phones", "tags")


def _present(frame: pl.DataFrame, cols: tuple[str, ...]) -> pl.Expr:
    exprs = [pl.col(c).is_not_null() for c in cols if c in frame.columns]
    return pl.any_horizontal(exprs) if exprs else pl.lit(False)


def _recency(records: pl.DataFrame) -> pl.Expr:
    """A sortable number for "how recent": the first present of :data:`RECENCY`, as a timestamp."""
    parts = []
    for c in RECENCY:
        if c not in records.columns:
            continue
        dtype = records.schema[c]
        if dtype == pl.String:
            parts.append(pl.col(c).str.to_datetime(strict=False).cast(pl.Datetime("us")).cast(pl.Int64))
        elif dtype == pl.Date:
            parts.append(pl.col(c).cast(pl.Datetime("us")).cast(pl.Int64))
        elif isinstance(dtype, pl.Datetime):
            parts.append(pl.col(c).dt.replace_time_zone(None).cast(pl.Datetime("us")).cast(pl.Int64))
    return pl.coalesce(parts) if parts else pl.lit(None, dtype=pl.Int64)


def rank_records(records: pl.DataFrame, priority: list[str]) -> pl.DataFrame:
    """``records`` with ``_r_*`` rank columns: source priority, recency, completeness."""
    order = {s: n for n, s in enumerate(priority)}
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
        _recency(records).alias("_r_recent"),
        (pl.sum_horizontal(filled) if filled else pl.lit(0)).alias("_r_complete"),
    )


def _escaped(rid: pl.Expr) -> pl.Expr:
    """A record id made safe inside a JSON string."""
    return rid.str.replace_all("\\", "\\\\", literal=True).str.replace_all('"', '\\"', literal=True)


def _json_pairs(pairs: list[tuple[str, pl.Expr]]) -> pl.Expr:
    """A JSON object string of field → record id (ids already :func:`_escaped`), absent fields left out."""
    parts = [pl.lit(f'"{field}":"') + rid + pl.lit('"') for field, rid in pairs]
    return pl.lit("{") + pl.concat_str(parts, separator=",", ignore_nulls=True) + pl.lit("}")


class _Heads:
    """Best-ranked row per person, over ``frame`` read in ``order`` (by person, best record first).

    ``pick(present)`` gives, for each person, the row of ``frame`` of their best-ranked record
    where ``present`` holds (null if none): one backward fill over the sorted order, no
    grouping, and the wide frame itself is never sorted — only gathered from at the end.
    """

    def __init__(self, frame: pl.DataFrame, order: pl.Series):
        self.frame = frame
        self.order = order
        pc = frame["_pc"].gather(order)
        self.first = (pc != pc.shift(1)).fill_null(True)
        self.pc = pc.filter(self.first)
        self.sorted_pc = pc

    def pick(self, present: pl.Expr) -> pl.Series:
        flag = self.frame.select(present.fill_null(False)).to_series().gather(self.order)
        k = pl.int_range(0, flag.len(), dtype=pl.UInt32, eager=True)
        filled = pl.select(pl.when(pl.lit(flag)).then(pl.lit(k)).backward_fill()).to_series()
        idx = filled.filter(self.first)
        # The fill may reach into the next person: only a row of the same person counts.
        same = (self.sorted_pc.gather(idx) == self.pc).fill_null(False)
        return pl.select(pl.when(pl.lit(same)).then(pl.lit(self.order.gather(idx)))).to_series()

    def take(self, rows: pl.Series, cols: list[str]) -> pl.DataFrame:
        return self.frame.select(pl.col(cols).gather(rows))

    def sorted(self, cols: list[str]) -> pl.DataFrame:
        return self.frame.select(pl.col(cols).gather(self.order))


def _merge_groups(frame: pl.DataFrame, order: pl.Series) -> pl.DataFrame:
    """Survivorship for people with two or more records: ``frame``'s rows in ``order`` (best first)."""
    heads = _Heads(frame, order)
    multi = frame
    parts = [heads.take(heads.order.filter(heads.first), ["_pc", "person_id"])]
    prov: list[tuple[str, pl.Expr]] = []
    for group, cols in GROUPS.items():
        cols = [c for c in cols if c in multi.columns]
        idx = heads.pick(_present(multi, tuple(cols)))
        parts.append(
            heads.take(idx, cols).with_columns(
                _escaped(heads.take(idx, ["record_id"]).to_series()).alias(f"_p_{group}")
            )
        )
        prov += [(c, pl.when(pl.col(c).is_not_null()).then(pl.col(f"_p_{group}"))) for c in cols]
    for c in SINGLE:
        if c not in multi.columns:
            continue
        idx = heads.pick(pl.col(c).is_not_null())
        if c == "birthday":
            # A full date beats a year-less one whatever the rank: it is strictly more information.
            full = heads.pick(pl.col(c).str.contains(r"^\d{4}"))
            idx = pl.select(pl.coalesce(pl.lit(full), pl.lit(idx))).to_series()
        parts.append(
            heads.take(idx, [c]).with_columns(
                _escaped(heads.take(idx, ["record_id"]).to_series()).alias(f"_p_{c}")
            )
        )
        prov.append((c, pl.col(f"_p_{c}")))
    people = pl.concat(parts, how="horizontal")
    if "notes" in multi.columns:
        notes = (
            heads.sorted(["_pc", "notes", "record_id"])
            .filter(pl.col("notes").is_not_null())
            .group_by("_pc", maintain_order=True)
            .agg(
                pl.col("notes").unique(maintain_order=True).str.join("\n\n").alias("notes"),
                _escaped(pl.col("record_id").first()).alias("_p_notes"),
            )
        )
        people = people.join(notes, on="_pc", how="left")
        prov.append(("notes", pl.col("_p_notes")))
    for c in ("emails", "phones", "tags"):
        if c in multi.columns:
            values = (
                heads.sorted(["_pc", c])
                .explode(c)
                .drop_nulls(c)
                .unique(["_pc", c], keep="first", maintain_order=True)
                .group_by("_pc", maintain_order=True)
                .agg(c)
            )
            people = people.join(values, on="_pc", how="left")
    lists = (
        heads.sorted(["_pc", "record_id", "source"])
        .group_by("_pc", maintain_order=True)
        .agg(
            pl.col("record_id").alias("record_ids"),
            pl.col("source").unique(maintain_order=True).alias("sources"),
        )
    )
    people = people.join(lists, on="_pc", how="left")
    return people.with_columns(_json_pairs(prov).alias("provenance"))


def _singles(single: pl.DataFrame) -> pl.DataFrame:
    """People with one record: every field is that record's, and so is every provenance entry."""
    fields = [c for c in PERSON_FIELDS if c in single.columns]
    single = single.with_columns(_escaped(pl.col("record_id")).alias("_esc"))
    prov = [(c, pl.when(pl.col(c).is_not_null()).then(pl.col("_esc"))) for c in fields]
    return single.with_columns(
        pl.concat_list("record_id").alias("record_ids"),
        pl.concat_list("source").alias("sources"),
        _json_pairs(prov).alias("provenance"),
    )


def merge_people(
    records: pl.DataFrame, person: pl.Series, priority: list[str], labels: pl.Series | None = None
) -> pl.DataFrame:
    """One row per person id in ``person`` (aligned with ``records``), with merged fields and provenance.

    ``labels`` (an integer per person, aligned the same way) saves turning the ids into codes.
    """
    # An integer per person: sorting and joining on it is far cheaper than on the id text.
    code = person.cast(pl.Categorical).to_physical() if labels is None else labels
    frame = records.rechunk().with_columns(person.alias("person_id"), code.alias("_pc"))
    ranked = rank_records(frame, priority)
    # record_id breaks ties, so the input order never matters. All four ranks are packed into one
    # number (source | days before 2100 | fields missing | place of record_id in id order): a sort
    # on (person, number) costs a fraction of a sort on five keys, one of them text.
    by_id = ranked["record_id"].arg_sort()
    id_rank = pl.zeros(ranked.height, dtype=pl.UInt64, eager=True).scatter(
        by_id, pl.int_range(0, ranked.height, dtype=pl.UInt64, eager=True)
    )
    days = (pl.col("_r_recent") // 86_400_000_000 + 25_567).clip(0, 2**17 - 1).fill_null(0).cast(pl.UInt64)
    packed = (
        pl.col("_r_source").clip(0, 15).cast(pl.UInt64) * 2**58
        + (2**17 - 1 - days) * 2**41
        + (63 - pl.col("_r_complete").clip(0, 63)).cast(pl.UInt64) * 2**35
        + pl.lit(id_rank).clip(0, 2**35 - 1)
    )
    keys = ranked.select(
        "_pc", packed.alias("_key"), pl.int_range(0, pl.len(), dtype=pl.UInt32).alias("_row")
    )
    size = keys.select(pl.len().over("_pc")).to_series()
    # Only the narrow key frame is sorted; the wide one is gathered from.
    order = keys.filter(size > 1).sort(["_pc", "_key"])["_row"]
    parts = [_singles(ranked.filter(size == 1)), _merge_groups(ranked, order)]
    for n, part in enumerate(parts):
        for c in PERSON_FIELDS:
            if c not in part.columns:
                part = part.with_columns(pl.lit(None, dtype=pl.String).alias(c))
        for c in ("emails", "phones", "tags"):
            if c not in part.columns:
                part = part.with_columns(pl.lit([], dtype=pl.List(pl.String)).alias(c))
            else:
                part = part.with_columns(pl.col(c).fill_null(pl.lit([], dtype=pl.List(pl.String))))
        parts[n] = part.select("person_id", *PERSON_FIELDS, *LISTS, "record_ids", "sources", "provenance")
    # One chunk before the gather: a gather over a multi-chunk frame (lists, strings) is ~7× slower.
    people = pl.concat(parts, how="vertical_relaxed").rechunk()
    return people[people["person_id"].arg_sort()]
