"""Google Contacts' CSV layout: cleaned people back into Gmail.

The current Google Contacts import header (``First Name``, …, ``E-mail 1 - Label``/``Value``,
``Phone 1 - …``, ``Labels`` = ``* myContacts ::: tag``), as Google's own export writes it.
"""

from __future__ import annotations

import polars as pl

GOOGLE_SEPARATOR = " ::: "
GOOGLE_MY_CONTACTS = "* myContacts"
#: Most E-mail/Phone column groups in a Google CSV; the rest of a row's values share the last one.
GOOGLE_MAX_GROUPS = 10
#: A year-less birthday as Google writes it (``--04-15``).
YEARLESS = r"^--(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$"

#: The fixed head of Google's current CSV header (numbered groups follow, as many as used).
GOOGLE_HEAD = [
    "First Name",
    "Middle Name",
    "Last Name",
    "Phonetic First Name",
    "Phonetic Middle Name",
    "Phonetic Last Name",
    "Name Prefix",
    "Name Suffix",
    "Nickname",
    "File As",
    "Organization Name",
    "Organization Title",
    "Organization Department",
    "Birthday",
    "Notes",
    "Photo",
    "Labels",
]


def google_contacts_frame(frame: pl.DataFrame) -> pl.DataFrame:
    """People or records (canonical field names) in Google Contacts' current CSV columns.

    ``E-mail N``/``Phone N`` groups go up to the most any row has, as Google's own export
    does, but never past :data:`GOOGLE_MAX_GROUPS`: further values join the last group's cell
    with Google's ``" ::: "`` (one card with 190,000 addresses is one cell, not 380,000 columns);
    the first e-mail (the preferred one) is labelled ``* Other``, the rest ``Other``.
    Tags become labels next to ``* myContacts``; the LinkedIn URL is ``Website 1``.
    """

    def col(name: str, dtype: pl.DataType = pl.String) -> pl.Expr:
        return pl.col(name) if name in frame.columns else pl.lit(None, dtype)

    names_missing = col("given_name").is_null() & col("family_name").is_null()
    tags = col("tags", pl.List(pl.String))
    # Google splits a cell on " ::: ", so a label must not contain it.
    own = tags.list.eval(
        pl.element().str.strip_chars().str.replace_all(":::", ":", literal=True).filter(pl.element() != "")
    ).list.join(GOOGLE_SEPARATOR)
    labels = (
        pl.when(own.is_null() | (own == ""))
        .then(pl.lit(GOOGLE_MY_CONTACTS))
        .otherwise(pl.lit(GOOGLE_MY_CONTACTS + GOOGLE_SEPARATOR) + own)
    )
    exprs: list[pl.Expr] = [
        # A record with only a full name keeps it whole rather than guessing where to split.
        pl.when(names_missing).then(col("full_name")).otherwise(col("given_name")).alias("First Name"),
        col("middle_name").alias("Middle Name"),
        col("family_name").alias("Last Name"),
        *(pl.lit(None, pl.String).alias(n) for n in GOOGLE_HEAD[3:6]),
        col("prefix").alias("Name Prefix"),
        col("suffix").alias("Name Suffix"),
        col("nickname").alias("Nickname"),
        pl.lit(None, pl.String).alias("File As"),
        col("organization").alias("Organization Name"),
        col("title").alias("Organization Title"),
        col("department").alias("Organization Department"),
        col("birthday").alias("Birthday"),
        col("notes").alias("Notes"),
        pl.lit(None, pl.String).alias("Photo"),
        labels.alias("Labels"),
    ]
    for field, group in (("emails", "E-mail"), ("phones", "Phone")):
        values = col(field, pl.List(pl.String))
        most = int(frame.select(values.list.len().max()).item() or 0) if field in frame.columns else 0
        groups = min(max(most, 1), GOOGLE_MAX_GROUPS)
        for n in range(1, groups + 1):
            value = values.list.get(n - 1, null_on_oob=True)
            if n == GOOGLE_MAX_GROUPS and most > n:  # the rest share the last cell, as Google reads it
                rest = values.list.slice(n - 1).list.join(GOOGLE_SEPARATOR)
                value = pl.when(values.list.len() > n).then(rest).otherwise(value)
            label = "* Other" if (field == "emails" and n == 1) else "Other"
            exprs.append(pl.when(value.is_not_null()).then(pl.lit(label)).alias(f"{group} {n} - Label"))
            exprs.append(value.alias(f"{group} {n} - Value"))
    address = {
        "Street": col("street"),
        "City": col("city"),
        "PO Box": pl.lit(None, pl.String),
        "Region": col("region"),
        "Postal Code": col("postal_code"),
        "Country": col("country"),
        "Extended Address": pl.lit(None, pl.String),
    }
    has_address = pl.any_horizontal(*(e.is_not_null() for e in address.values()))
    city_line = pl.concat_str(
        [col("city"), col("region"), col("postal_code")], separator=" ", ignore_nulls=True
    )
    formatted = pl.concat_str([col("street"), city_line, col("country")], separator="\n", ignore_nulls=True)
    exprs.append(pl.when(has_address).then(pl.lit("Other")).alias("Address 1 - Label"))
    exprs.append(pl.when(has_address).then(formatted).alias("Address 1 - Formatted"))
    exprs += [expr.alias(f"Address 1 - {part}") for part, expr in address.items()]
    url = col("linkedin_url")
    exprs.append(pl.when(url.is_not_null()).then(pl.lit("Profile")).alias("Website 1 - Label"))
    exprs.append(url.alias("Website 1 - Value"))
    return frame.select(exprs)
