"""LinkedIn profile URLs → ``https://www.linkedin.com/in/<slug>``, the key dedupe relies on.

LinkedIn exports hide most e-mail addresses, so the profile URL is the strongest key we
have (see the formats reference §2.3/§3a). The same profile arrives as
``http://uk.linkedin.com/in/Jane-Doe/``, ``linkedin.com/in/jane-doe?trk=…`` or
``https://www.linkedin.com/in/jos%C3%A9-garc%C3%ADa``; all become one canonical form:
scheme ``https``, host ``www.linkedin.com``, the slug lower-cased and percent-decoded (a
literal ``%`` in the decoded slug is written ``%25`` so that decoding twice is harmless),
no trailing slash, query or fragment. Anything that is not a ``/in/`` profile URL (an old
``/pub/`` URL, a company page, free text) is left as written by :func:`normalize_linkedin_column`.

:func:`linkedin_url_expr` is the vectorized form importers and dedupe can reuse; only
slugs containing ``%`` go through Python, once per distinct slug.
"""

from __future__ import annotations

import unicodedata
from urllib.parse import unquote

import polars as pl

from pipeline.normalize.text import clean_text, on_subset

PREFIX = "https://www.linkedin.com/in/"

# Scheme optional; any subdomain (www., uk., de., mobile variants) or none; /in/<slug>,
# optionally behind /mwlite/; anything after the slug (sub-pages, query, fragment) dropped.
_PROFILE_RE = r"^(?:https?://)?(?:[a-z0-9-]+\.)*linkedin\.com/(?:mwlite/)?in/([^/?#\s]+)(?:[/?#].*)?$"


def _decode_slug(slug: str) -> str:
    return unicodedata.normalize("NFC", unquote(slug)).lower().replace("%", "%25")


def _decode_slugs(slugs: pl.Series) -> pl.Series:
    mask = slugs.str.contains("%", literal=True).fill_null(False)
    if not mask.any():
        return slugs
    todo = slugs.filter(mask).unique()
    decoded = pl.Series([_decode_slug(v) for v in todo.to_list()], dtype=pl.String)
    return pl.select(
        pl.when(pl.lit(mask))
        .then(pl.lit(slugs).replace_strict(todo, decoded, default=None))
        .otherwise(pl.lit(slugs))
    ).to_series()


def _slug_expr(expr: pl.Expr) -> pl.Expr:
    """The raw slug of a profile URL, or null. Capture-free on purpose: regex captures
    force polars onto the slow matching engine, while ``contains`` and literal ``find``
    stay on the fast one.
    """
    low = expr.str.strip_chars().str.to_lowercase()
    at = low.str.find("linkedin.com/in/", literal=True)
    tail = low.str.slice(at + 16).str.replace(r"[/?#].*$", "")
    ok = low.str.contains(_PROFILE_RE) & at.is_not_null()
    mobile = low.str.extract(_PROFILE_RE, 1)  # the rare /mwlite/ form and other oddities
    return pl.when(ok).then(tail).otherwise(mobile)


def linkedin_url_expr(expr: pl.Expr) -> pl.Expr:
    """The canonical profile URL of each value, or null where the value is not one.

    Vectorized; slugs with percent-encoding are decoded per distinct value.
    """
    slug = _slug_expr(expr).map_batches(_decode_slugs, return_dtype=pl.String)
    return pl.when(slug.is_not_null() & (slug != "")).then(pl.lit(PREFIX) + slug)


def normalize_linkedin_url(text: str | None) -> str | None:
    """``https://www.linkedin.com/in/<slug>`` for a LinkedIn profile URL, else None."""
    if text is None:
        return None
    return pl.select(linkedin_url_expr(pl.lit(text, dtype=pl.String))).item()


def normalize_linkedin_column(s: pl.Series) -> pl.Series:
    """The column with profile URLs made canonical and anything else kept (cleaned) as written."""
    s = clean_text(s)
    frame = s.to_frame("u")
    low = pl.col("u").str.to_lowercase()
    frame = frame.with_columns(at=low.str.find("linkedin.com/in/", literal=True))
    # The plain form (nearly every value) without regex captures; anything else through
    # the full expression, on those rows only.
    frame = frame.with_columns(
        plain=pl.when(low.str.contains(_PROFILE_RE) & pl.col("at").is_not_null()).then(
            low.str.slice(pl.col("at") + 16).str.replace(r"[/?#].*$", "")
        )
    )
    slug = _decode_slugs(frame["plain"])
    canonical = slug.to_frame("s").select(pl.when(pl.col("s") != "").then(pl.lit(PREFIX) + pl.col("s")))[:, 0]
    rest = (canonical.is_null() & s.str.contains("linkedin", literal=True)).fill_null(False)
    canonical = on_subset(
        canonical, rest, lambda _: pl.select(linkedin_url_expr(pl.lit(s.filter(rest)))).to_series()
    )
    return canonical.fill_null(s).alias(s.name)
