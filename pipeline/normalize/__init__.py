"""Normalization: make every importer's raw text comparable (placeholder, grown by issue 3).

Entry point: :func:`normalize_records`, applied by the core to every importer's frame
after validation and before the store. It returns the frame with canonical dtypes for the
typed columns (lists, dates, ints) plus the derived matching columns, and warnings for
values that could not be normalized (kept visible in ``extra``, never dropped).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import polars as pl

from pipeline.schema import MULTI_VALUED


@dataclass
class NormalizeResult:
    """The normalized frame and ``(source_ref, message)`` warnings."""

    frame: pl.DataFrame
    warnings: list[tuple[str, str]] = field(default_factory=list)


def normalize_records(frame: pl.DataFrame, *, region: str = "US") -> NormalizeResult:
    """Normalize a validated raw frame (see :mod:`pipeline.schema`)."""
    exprs = []
    for name, dtype in frame.schema.items():
        col = pl.col(name)
        if name in MULTI_VALUED:
            if dtype == pl.String:
                col = col.str.split(";")
            col = col.list.eval(pl.element().str.strip_chars()).list.eval(
                pl.element().filter(pl.element() != "")
            )
            if name == "emails":
                col = col.list.eval(pl.element().str.to_lowercase())
            exprs.append(col.alias(name))
        elif dtype == pl.String:
            exprs.append(col.str.strip_chars().replace("", None).alias(name))
    out = frame.with_columns(exprs) if exprs else frame
    if "connected_on" in out.columns and out.schema["connected_on"] == pl.String:
        out = out.with_columns(
            pl.coalesce(
                pl.col("connected_on").str.strptime(pl.Date, "%d %b %Y", strict=False),
                pl.col("connected_on").str.strptime(pl.Date, "%Y-%m-%d", strict=False),
            ).alias("connected_on")
        )
    if "linkedin_url" in out.columns:
        slug = pl.col("linkedin_url").str.to_lowercase().str.extract(r"linkedin\.com/in/([^/?#]+)", 1)
        out = out.with_columns(
            pl.when(slug.is_not_null())
            .then(pl.lit("https://www.linkedin.com/in/") + slug)
            .otherwise(pl.col("linkedin_url"))
            .alias("linkedin_url")
        )
    if "class_year" in out.columns:
        out = out.with_columns(pl.col("class_year").cast(pl.Int32, strict=False))
    return NormalizeResult(out)
