"""How many people one listing holds under a name: the evidence a name-only match rests on.

Part of the decision step of :func:`pipeline.dedupe.resolve`. Two records that agree on the
name and on nothing else ("Robert Kowalski" in the LinkedIn export, "Bob Kowalski" on a
phone card with only a mobile number) are the same person only if the name belongs to one
person. The model's term frequencies say how *rare* the name is, but rarity counts
records, and three records of one "Kowalczyk" look as rare as three Kowalczyks.

A listing — one imported file: a LinkedIn export, an alumni directory, one phone's vCards —
lists each person once, give or take the duplicates dedupe merges anyway. So the number of
*distinct provisional people* one listing holds under a name is a lower bound on how many
people have that name: a LinkedIn export with two Robert Kowalskis means a phone card
"Bob Kowalski" that shares nothing else with either cannot be merged on the name. Such a
name is *crowded*; a name-only pair of crowded names goes to review, and only a pair whose
names each appear as at most one provisional person in every listing may merge on the
name alone.

On the bench a name-only pair of a crowded name is far less often a true pair than one of an
uncrowded name at the same score (figures in docs/dedupe.md).
"""

from __future__ import annotations

import polars as pl


def name_crowding(
    feats: pl.DataFrame, listing: pl.Series, labels: pl.Series, among: pl.Series | None = None
) -> pl.Series:
    """Per record, the most distinct provisional people any one listing holds under its name.

    ``feats``: the feature frame (``g_keys``, ``g``, ``g_id``, ``f_id``); ``listing``: per
    record the file it came from; ``labels``: per record its provisional person (the
    corroborated merges so far, so a listing's own duplicates count once). A name is every
    nickname key of the given name with the family name, so "Bob" counts the Roberts too.
    Records without a given or family name get 0 (they never match on the name alone).
    ``among``: record indexes whose crowding is wanted (the others come back null); only
    the names those records carry are counted.
    """
    # Every nickname key of every distinct given name gets a dense code, and a name in one
    # listing is one integer ((key code × families + family code) × listings + listing): the
    # group-bys run on a single 64-bit column and no string is hashed per record.
    key_codes = (
        feats.select(
            "g_id", pl.coalesce(pl.col("g_keys"), pl.concat_list(pl.col("g").cast(pl.String))).alias("k")
        )
        .filter(pl.col("g_id").is_not_null())
        .unique("g_id")
        .explode("k")
        .drop_nulls()
        .with_columns(pl.col("k").rank("dense").cast(pl.UInt64))
    )
    listing_code = listing.cast(pl.String).cast(pl.Categorical).to_physical()
    families = int(feats["f_id"].max() or 0) + 1
    listings = int(listing_code.max() or 0) + 1
    rows = (
        pl.DataFrame({"g_id": feats["g_id"], "f_id": feats["f_id"], "listing": listing_code, "label": labels})
        .with_row_index("n")
        .drop_nulls(["g_id", "f_id"])
        .join(key_codes, on="g_id")
        .select(
            "n",
            "label",
            ((pl.col("k") * families + pl.col("f_id").cast(pl.UInt64)) * listings + pl.col("listing"))
            .cast(pl.UInt64)
            .alias("name_in_listing"),
        )
    )
    name = (pl.col("name_in_listing") // listings).alias("name")
    if among is not None:
        wanted = rows.filter(pl.col("n").is_in(among.implode())).select(name).unique()
        rows = rows.filter(name.is_in(wanted["name"].implode()))
    # Distinct people are counted only where a listing's group holds two labels at all (min ≠ max):
    # a fraction of the groups, and min/max is much cheaper than counting distinct values.
    mixed = (
        rows.group_by("name_in_listing")
        .agg(pl.col("label").min().alias("lo"), pl.col("label").max().alias("hi"))
        .filter(pl.col("lo") != pl.col("hi"))
    )
    per_name = (
        rows.join(mixed.select("name_in_listing"), on="name_in_listing", how="semi")
        .select("name_in_listing", "label")
        .unique()
        .group_by("name_in_listing")
        .len()
        .group_by(name)
        .agg(pl.col("len").max().alias("people"))
    )
    crowd = rows.select("n", name).join(per_name, on="name").group_by("n").agg(pl.col("people").max())
    named = feats.select((pl.col("g_id").is_not_null() & pl.col("f_id").is_not_null()).cast(pl.UInt32))
    out = named.to_series().alias("crowding")
    if among is not None:
        out = pl.Series("crowding", [None] * feats.height, dtype=pl.UInt32).scatter(among, out.gather(among))
        crowd = crowd.filter(pl.col("n").is_in(among.implode()))
    return out.scatter(crowd["n"], crowd["people"].cast(pl.UInt32))
