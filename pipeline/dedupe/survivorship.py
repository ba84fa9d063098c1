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

from collections.abc import Iterator

import polars as pl

from pipeline.dedupe.memory import nulls_as_constants
from pipeline.threads import helper_threads

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
    """The ``_r_*`` rank columns of ``records`` (one row each): source priority, recency, completeness.

    A frame of its own rather than columns added to ``records``: adding single-chunk columns to a
    frame read in parquet row groups makes polars copy the whole frame into one chunk.
    """
    order = {s: n for n, s in enumerate(priority)}
    filled = []
    for c in SCORED:
        if c not in records.columns:
            continue
        if records.schema[c] == pl.List(pl.String):
            filled.append((pl.col(c).list.len() > 0).fill_null(False).cast(pl.Int32))
        else:
            filled.append(pl.col(c).is_not_null().cast(pl.Int32))
    return records.select(
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


#: Stand-ins for record ids in provenance templates (private-use characters; ids holding one are
#: built the slow way).
_MARK = 0xF0000
Entry = tuple[str, pl.Expr, str]


def _provenance(
    frame: pl.DataFrame, single: pl.Series, one: list[Entry], many: list[Entry], ids: pl.Series
) -> pl.Series:
    """Provenance JSON per row of ``frame``: entries ``one`` where ``single`` holds, else ``many``.

    An entry is (field, whether the person has it, column of the escaped record id). Few rows
    differ in *which* fields they have, so the JSON is written once per pattern of present
    fields, with a stand-in character per record-id column, and each stand-in is then replaced
    by its column — a string pass per record-id column instead of a concatenation of every field.
    ``ids``: every record id the entries may hold (a stand-in character in one means the slow way).
    """
    rid_cols = list(dict.fromkeys(rid for _f, _p, rid in [*one, *many]))
    marks = {rid: chr(_MARK + k) for k, rid in enumerate(rid_cols)}
    stand_ins = f"[{''.join(marks.values())}]"
    if ids.str.contains(stand_ins).any():
        return (
            frame.select(
                pl.when(pl.lit(single))
                .then(_json_pairs(_entries(one)))
                .otherwise(_json_pairs(_entries(many)))
            )
            .to_series()
            .alias("provenance")
        )

    def bits(entries: list[Entry]) -> pl.Expr:
        return pl.sum_horizontal(
            [(p & pl.col(rid).is_not_null()).cast(pl.UInt64) * 2**k for k, (_f, p, rid) in enumerate(entries)]
        )

    # The pattern per row: which entries it has (bit k = entry k), plus bit 62 for a one-record person.
    pattern = frame.select(
        pl.when(pl.lit(single)).then(bits(one) + 2**62).otherwise(bits(many)).alias("p")
    ).to_series()
    seen = pattern.unique().to_list()
    templates = []
    for p in seen:
        entries = one if p >= 2**62 else many
        body = [f'"{f}":"{marks[rid]}"' for k, (f, _p, rid) in enumerate(entries) if p >> k & 1]
        templates.append("{" + ",".join(body) + "}")
    out = pattern.replace_strict(seen, templates, return_dtype=pl.String).alias("provenance")
    del pattern
    # Each stand-in is replaced only in the rows that can hold it (one-record people hold only one).
    rows = pl.int_range(0, frame.height, dtype=pl.UInt32, eager=True)
    parts = []
    for mask, entries in ((single, one), (~single, many)):
        part = out.filter(mask)
        for rid in dict.fromkeys(rid for _f, _p, rid in entries):
            value = frame[rid].filter(mask).fill_null("")
            swap = pl.lit(part).str.replace_all(marks[rid], pl.lit(value), literal=True)
            part = pl.select(swap).to_series()
        parts.append(part.to_frame().with_columns(rows.filter(mask).alias("_i")))
    del out
    return pl.concat(parts).sort("_i")["provenance"]


def _entries(entries: list[Entry]) -> list[tuple[str, pl.Expr]]:
    return [(f, pl.when(p).then(pl.col(rid))) for f, p, rid in entries]


class _Heads:
    """Best-ranked row per person, over ``frame`` read in ``order`` (by person, best record first).

    ``pick({name: present})`` gives, per condition and for each person, the row of ``frame`` of their
    best-ranked record where ``present`` holds (null if none): one backward fill over the sorted order, no
    grouping, and the wide frame itself is never sorted — only gathered from, one column at a
    time (rechunked first: a gather over a frame read in parquet row groups is several times
    slower, and a whole-frame copy would double the memory).
    """

    def __init__(self, frame: pl.DataFrame, order: pl.Series, extra: dict[str, pl.Series]):
        self.frame = frame
        self.extra = extra
        self.order = order
        pos = extra["_pos"].gather(order)
        self.first = (pos != pos.shift(1)).fill_null(True)
        self.pos = pos.filter(self.first)
        self.sorted_pos = pos

    def pick(self, presents: dict[str, pl.Expr]) -> dict[str, pl.Series]:
        """Per condition, each person's best-ranked row where it holds (one pass, one gather)."""
        flags = self.frame.select(p.fill_null(False).alias(name) for name, p in presents.items()).rechunk()
        flags = flags[self.order]
        k = pl.int_range(0, flags.height, dtype=pl.UInt32, eager=True)
        filled = flags.select(pl.when(pl.col(n)).then(pl.lit(k)).backward_fill().alias(n) for n in presents)
        filled = filled.filter(self.first)
        out = {}
        for name in presents:
            idx = filled[name]
            # The fill may reach into the next person: only a row of the same person counts.
            same = (self.sorted_pos.gather(idx) == self.pos).fill_null(False)
            out[name] = pl.select(pl.when(pl.lit(same)).then(pl.lit(self.order.gather(idx)))).to_series()
        return out

    def take(self, rows: pl.Series, cols: list[str]) -> pl.DataFrame:
        columns = [(self.extra[c] if c in self.extra else self.frame[c]).alias(c) for c in cols]
        return pl.DataFrame([column.rechunk().gather(rows) for column in columns])

    def sorted(self, cols: list[str]) -> pl.DataFrame:
        return self.take(self.order, cols)


def _aligned(values: pl.DataFrame, people: int) -> pl.DataFrame:
    """``values`` (keyed by ``_pos``, some people only) as columns of ``people`` rows, in person order."""
    rows = pl.DataFrame({"_pos": pl.int_range(0, people, dtype=pl.UInt32, eager=True)})
    return rows.join(values, on="_pos", how="left", maintain_order="left").drop("_pos")


def ordinal_rank(values: pl.Series) -> pl.Series:
    """Each value's place in sorted order (UInt32; ties in input order, as a stable arg-sort has them).

    Distinct values (record and person ids) are sorted as values and looked up: polars sorts text
    values several times faster than it arg-sorts them.
    """
    ordered = values.sort()
    n = ordered.len()
    if values.null_count() or (n and (ordered.slice(1) == ordered.slice(0, n - 1)).any()):
        rows = pl.int_range(0, n, dtype=pl.UInt32, eager=True)
        return pl.zeros(n, dtype=pl.UInt32, eager=True).scatter(values.arg_sort(), rows)
    table = ordered.to_frame("v").with_row_index("rank")
    return values.to_frame("v").join(table, on="v", how="left", maintain_order="left")["rank"]


def _positions(person: pl.Series, labels: pl.Series | None) -> pl.Series:
    """Per record, its person's place in person-id order (the order of the output)."""
    import numpy as np

    if labels is None or labels.is_empty():  # no labels, or no records at all
        return (person.rank("dense") - 1).cast(pl.UInt32)
    # Person ids and labels are one-to-one: order the people by id once, then look up by label.
    firsts = labels.arg_unique()
    heads = labels.gather(firsts)
    slot = np.zeros(int(labels.max()) + 1, dtype=np.uint32)
    slot[heads.to_numpy()] = ordinal_rank(person.gather(firsts)).to_numpy()
    return pl.Series("_pos", slot[labels.to_numpy()], dtype=pl.UInt32)


def _merge(frame: pl.DataFrame, order: pl.Series, extra: dict[str, pl.Series]) -> pl.DataFrame:
    """Survivorship over ``frame``'s rows in ``order`` (by person in person-id order, best record first);
    ``extra`` holds single-chunk columns aligned with ``frame``: ``person_id``, ``_pos``, ``record_id``
    and ``_esc`` (the escaped record id)."""
    import numpy as np

    heads = _Heads(frame, order, extra)
    starts = np.flatnonzero(heads.first.to_numpy())
    sizes = np.diff(np.r_[starts, len(order)])
    n_people = len(starts)
    single = pl.Series(sizes == 1)
    head_rows = order.filter(heads.first)
    # The list columns need nothing from the field groups: built in a second thread meanwhile.
    with helper_threads() as pool:
        pending = pool.submit(_list_columns, heads, head_rows, sizes, n_people)
        columns, prov = _field_columns(frame, heads, head_rows, n_people)
        lists = pending.result()
    esc_head = heads.take(head_rows, ["_esc"]).to_series()
    # Provenance of a one-record person: every field is that record's (in PERSON_FIELDS order).
    fields = [c for c in PERSON_FIELDS if c in frame.columns]
    prov_single: list[Entry] = [(c, pl.col(c).is_not_null(), "_esc") for c in fields]
    people = pl.concat([*columns, lists], how="horizontal").with_columns(esc_head.alias("_esc"))
    # The provenance keys come in a different order for one-record people (PERSON_FIELDS order).
    return people.with_columns(_provenance(people, single, prov_single, prov, extra["_esc"]))


def _field_columns(
    frame: pl.DataFrame, heads: _Heads, head_rows: pl.Series, n_people: int
) -> tuple[list[pl.DataFrame], list[Entry]]:
    """Per person: the person id, each field group and single field from its best record that has
    it (plus that record's escaped id, ``_p_<group>``), and the notes of all records joined."""
    columns = [heads.take(head_rows, ["person_id"])]
    prov: list[Entry] = []
    groups = {group: [c for c in cols if c in frame.columns] for group, cols in GROUPS.items()}
    singles = [c for c in SINGLE if c in frame.columns]
    presents = {group: _present(frame, tuple(cols)) for group, cols in groups.items()}
    presents.update({c: pl.col(c).is_not_null() for c in singles})
    if "birthday" in singles:
        presents["_full_birthday"] = pl.col("birthday").str.contains(r"^\d{4}")
    picked = heads.pick(presents)
    for group, cols in groups.items():
        idx = picked[group]
        columns.append(heads.take(idx, cols))
        columns.append(heads.take(idx, ["_esc"]).to_series().alias(f"_p_{group}").to_frame())
        prov += [(c, pl.col(c).is_not_null(), f"_p_{group}") for c in cols]
    for c in singles:
        idx = picked[c]
        if c == "birthday":
            # A full date beats a year-less one whatever the rank: it is strictly more information.
            idx = pl.select(pl.coalesce(pl.lit(picked["_full_birthday"]), pl.lit(idx))).to_series()
        columns.append(heads.take(idx, [c]))
        columns.append(heads.take(idx, ["_esc"]).to_series().alias(f"_p_{c}").to_frame())
        prov.append((c, pl.lit(True), f"_p_{c}"))
    if "notes" in frame.columns:
        notes = (
            heads.sorted(["_pos", "notes", "record_id"])
            .filter(pl.col("notes").is_not_null())
            .group_by("_pos", maintain_order=True)
            .agg(
                pl.col("notes").unique(maintain_order=True).str.join("\n\n").alias("notes"),
                _escaped(pl.col("record_id").first()).alias("_p_notes"),
            )
        )
        columns.append(_aligned(notes, n_people))
        prov.append(("notes", pl.lit(True), "_p_notes"))
    return columns, prov


def _list_columns(heads: _Heads, head_rows: pl.Series, sizes, n_people: int) -> pl.DataFrame:
    """Emails, phones and tags (every value, best record first), record ids and sources, per person."""
    import numpy as np

    single = pl.Series(sizes == 1)
    columns = []
    in_multi = pl.Series(np.repeat(sizes > 1, sizes))
    for c in LISTS:
        if c not in heads.frame.columns:
            columns.append(pl.DataFrame({c: [[]] * n_people}, schema={c: pl.List(pl.String)}))
            continue
        # Several records: every value, best record first, each once. One record: its list as it is.
        merged = (
            heads.sorted(["_pos", c])
            .filter(in_multi)
            .explode(c)
            .drop_nulls(c)
            .unique(["_pos", c], keep="first", maintain_order=True)
            .group_by("_pos", maintain_order=True)
            .agg(c)
        )
        own = heads.take(head_rows, [c]).to_series()
        column = pl.select(
            pl.when(pl.lit(single)).then(pl.lit(own)).otherwise(pl.lit(_aligned(merged, n_people)[c]))
        ).to_series()
        columns.append(column.fill_null(pl.lit([], dtype=pl.List(pl.String))).alias(c).to_frame())
    ids = (
        heads.sorted(["_pos", "record_id", "source"])
        .group_by("_pos", maintain_order=True)
        .agg(
            pl.col("record_id").alias("record_ids"),
            pl.col("source").unique(maintain_order=True).alias("sources"),
        )
        .drop("_pos")
    )
    return pl.concat([*columns, ids], how="horizontal")


#: People merged per slice of :func:`merge_people`.
PEOPLE_SLICE = 131_072


def _person_slices(order: pl.Series, pos: pl.Series) -> Iterator[tuple[pl.Series, pl.Series]]:
    """``order`` cut at person boundaries, :data:`PEOPLE_SLICE` people a piece, each with the
    records' positions counted from the slice's first person (the ``_pos`` a slice's merge uses)."""
    import numpy as np

    pos_np = pos.to_numpy()
    n_people = int(pos_np.max()) + 1 if len(pos_np) else 0
    firsts = list(range(0, n_people, PEOPLE_SLICE)) or [0]
    # Positions are dense from 0 and ``order`` is sorted by them: a slice is a run of ``order``.
    bounds = np.searchsorted(pos.gather(order).to_numpy(), [*firsts, n_people]).tolist()
    for k, first in enumerate(firsts):
        local = np.clip(pos_np.astype(np.int64) - first, 0, None).astype(np.uint32)
        yield order.slice(bounds[k], bounds[k + 1] - bounds[k]), pl.Series("_pos", local)


def merge_people(
    records: pl.DataFrame, person: pl.Series, priority: list[str], labels: pl.Series | None = None
) -> pl.DataFrame:
    """One row per person id in ``person`` (aligned with ``records``), with merged fields and provenance,
    sorted by person id.

    ``labels`` (an integer per person, aligned the same way) saves sorting the ids of every record.
    """
    pos = _positions(person, labels)
    ranked = rank_records(records, priority)
    # record_id breaks ties, so the input order never matters. All four ranks are packed into one
    # number (source | days before 2100 | fields missing | place of record_id in id order): a sort
    # on (person, number) costs a fraction of a sort on five keys, one of them text.
    id_rank = ordinal_rank(records["record_id"]).cast(pl.UInt64)
    days = (pl.col("_r_recent") // 86_400_000_000 + 25_567).clip(0, 2**17 - 1).fill_null(0).cast(pl.UInt64)
    packed = (
        pl.col("_r_source").clip(0, 15).cast(pl.UInt64) * 2**58
        + (2**17 - 1 - days) * 2**41
        + (63 - pl.col("_r_complete").clip(0, 63)).cast(pl.UInt64) * 2**35
        + pl.lit(id_rank).clip(0, 2**35 - 1)
    )
    # Only a narrow key frame is sorted — by person in person-id order, so the output needs no
    # final sort — and the wide one is gathered from, once per output column.
    keys = pl.DataFrame(
        {
            "_pos": pos,
            "_key": ranked.select(packed).to_series().rechunk(),
            "_row": pl.int_range(0, records.height, dtype=pl.UInt32, eager=True),
        }
    )
    order = keys.sort(["_pos", "_key"])["_row"]
    del keys, ranked
    # Record ids, plain and escaped for JSON, in one chunk once: every field group gathers them.
    rid = records["record_id"].rechunk()
    # (Ids without a backslash or quote are their own escape: no second copy of a million ids.)
    esc = _escaped(rid) if rid.str.contains(r'["\\]').any() else rid
    extra = {"person_id": person.rechunk(), "_pos": pos, "record_id": rid, "_esc": esc}
    # A slice of people at a time: each slice's temporaries go before the next, and only the merged
    # rows add up (people are independent; the slices come in person order).
    return pl.concat(
        [
            _final(_merge(records, part, {**extra, "_pos": local}))
            for part, local in _person_slices(order, pos)
        ]
    )


def _final(people: pl.DataFrame) -> pl.DataFrame:
    """The output columns of :func:`merge_people` (the provenance helpers go with each slice)."""
    for c in PERSON_FIELDS:
        if c not in people.columns:
            people = people.with_columns(pl.lit(None, dtype=pl.String).alias(c))
    return nulls_as_constants(
        people.select("person_id", *PERSON_FIELDS, *LISTS, "record_ids", "sources", "provenance")
    )
