"""Identity within one file: records a single listing says are one entry, whatever the scores say.

Part of the decision step of :func:`pipeline.dedupe.resolve`. A file lists each person once,
so two of its rows are one person when

* they carry the same source id (a CRM's Constituent ID or Record ID, kept by the importer in
  ``extra`` as ``source_id``) or the same LinkedIn profile — near-certain identity; or
* they are exact duplicates (every field but the row's place equal): the file cannot tell
  them apart, and counting them as several people would make their name look crowded.

These pairs become firm edges (merged before any scored pair, and counted as one provisional
person by the crowding rule). Hard evidence against (another generation, a user's
"different") still wins in clustering.
"""

from __future__ import annotations

import polars as pl

#: Why a pair is one entry of one file, by rule code (the ``kind`` column of :func:`identity_pairs`).
RULES = {
    1: "same source id in one file (near-certain identity)",
    2: "same LinkedIn profile in one file (near-certain identity)",
    3: "exact duplicate rows of one file",
}

#: Columns that say where a row is, not what it says: left out of "exact duplicate".
_PLACE = {"record_id", "source_ref", "imported_at", "name_key", "given_key", "family_key"}


def _listing(records: pl.DataFrame) -> pl.Expr:
    cols = [c for c in ("source_file", "source") if c in records.columns]
    return pl.coalesce(pl.col(cols).cast(pl.String)).fill_null("?") if cols else pl.lit("?")


def _keys(records: pl.DataFrame) -> pl.DataFrame:
    """Per record, one hash per rule (null where the rule has nothing to go on)."""
    listing = _listing(records)
    extra = pl.col("extra") if "extra" in records.columns else pl.lit(None, pl.String)
    sid = extra.str.json_path_match("$.source_id").str.strip_chars().replace("", None)
    url = pl.col("linkedin_url") if "linkedin_url" in records.columns else pl.lit(None, pl.String)
    slug = url.str.to_lowercase().str.extract(r"linkedin\.com/in/([^/?#]+)", 1)
    # The id itself is left out of "exact duplicate": a row with the id and the same row without it
    # are one entry (two different ids are not: see identity_pairs).
    bare = extra.str.replace(r'^\{"source_id":"(?:[^"\\]|\\.)*",?', "{").replace("{}", None)
    content = [bare.alias("extra") if c == "extra" else pl.col(c) for c in records.columns if c not in _PLACE]
    named = [c for c in ("full_name", "given_name", "family_name") if c in records.columns]
    has_name = pl.any_horizontal(pl.col(named).is_not_null()) if named else pl.lit(False)
    keys = records.select(
        pl.when(sid.is_not_null()).then(pl.struct(listing, sid).hash()).alias("k1"),
        pl.when(slug.is_not_null()).then(pl.struct(listing, slug).hash()).alias("k2"),
        pl.when(has_name).then(pl.struct(listing, *(pl.col(c) for c in named)).hash()).alias("k3"),
        sid.alias("sid"),
    )
    # Only rows whose name recurs in their file can be exact duplicates: the whole row is hashed for
    # those alone (hashing every column of every record costs more than the rest of this module).
    again = keys["k3"].is_duplicated() & keys["k3"].is_not_null()
    rows = again.arg_true()
    if rows.len():
        keys = keys.with_columns(keys["k3"].scatter(rows, _row_hashes(records, rows, content)))
    return keys


#: Rows per gather when whole rows are hashed (a gather of every row would copy the whole frame).
HASH_SLICE = 131_072


def _row_hashes(records: pl.DataFrame, rows: pl.Series, content: list[pl.Expr]) -> pl.Series:
    """The hash of ``content`` for ``records[rows]``, gathered a slice of rows at a time."""
    parts = [
        records[rows.slice(start, HASH_SLICE)].select(pl.struct(content).hash().alias("k3")).to_series()
        for start in range(0, rows.len(), HASH_SLICE)
    ]
    return pl.concat(parts)


def identity_pairs(records: pl.DataFrame) -> pl.DataFrame:
    """``i``, ``j`` (record indexes, ``i`` < ``j``), ``kind`` (a :data:`RULES` code): each group of
    records one file says are one entry, as a star from its first record."""
    keys = _keys(records).with_row_index("j")
    parts = []
    for kind in RULES:
        k = f"k{kind}"
        rows = keys.select("j", k, "sid").drop_nulls(k).filter(pl.col(k).is_duplicated())
        if kind == 3:  # identical rows under two different source ids are two entries
            rows = rows.filter(pl.col("sid").drop_nulls().n_unique().over(k) <= 1)
        if rows.is_empty():
            continue
        hub = rows.group_by(k).agg(pl.col("j").min().alias("i"))
        parts.append(
            rows.join(hub, on=k)
            .filter(pl.col("i") != pl.col("j"))
            .select(pl.col("i", "j").cast(pl.UInt32), pl.lit(kind, pl.UInt8).alias("kind"))
        )
    if not parts:
        return pl.DataFrame(schema={"i": pl.UInt32, "j": pl.UInt32, "kind": pl.UInt8})
    return pl.concat(parts).unique(["i", "j"], keep="first", maintain_order=True)


def identity_rule(records: pl.DataFrame) -> str | None:
    """For a two-record frame: the rule that makes them one entry of one file, or None."""
    pairs = identity_pairs(records)
    return RULES[int(pairs["kind"].min())] if pairs.height else None
