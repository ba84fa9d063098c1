"""Phone numbers → E.164 (``+12065550142``), extensions as ``;ext=``, the rest kept as written.

Form chosen for extensions: RFC 3966 style, appended to the E.164 number:
``+12065550142;ext=12``. It keeps one string per number (so lists, dedupe and exports stay
simple), it is what ``phonenumbers`` itself writes in RFC 3966 and parses back, and the
number without the extension is ``value.split(";")[0]``.

A number is normalized when ``phonenumbers`` parses it for the workspace's default region
and finds it *valid* (a real numbering-plan number, not just a plausible length). A value
that is not — a 7-digit local number, a typo, free text — stays in ``phones`` exactly as
written (cleaned of invisible characters) and is listed in the row's ``extra`` under
``"unparsed_phones"``.

Speed: ``phonenumbers`` costs ~65 µs a call, minutes for a million rows. The common forms —
national or ``+<country code>`` numbers of the default region in the usual punctuation
with an optional ``x``/``ext``/``;ext=`` extension — are decided by polars expressions
built from ``phonenumbers``' own metadata for the region (national-prefix rule, general and
per-type number patterns, possible lengths), mirroring its parse → is_valid steps. Only
the remaining *distinct* values go through ``phonenumbers`` one by one. The fast path is
only switched on for regions whose prefix rule it can mirror exactly (most of them; not
e.g. AR, BR, JP, or regions sharing a calling code with a main country such as CA), and
the test suite checks that it never disagrees with ``phonenumbers``.
"""

from __future__ import annotations

import functools

import polars as pl

from pipeline.normalize.emails import SEP
from pipeline.normalize.text import clean_text

# ";ext=12" protected from the ";" split by this placeholder, restored afterwards.
_EXT_GUARD = "\x1e"
_SPLIT_RE = r"\s*(?:;|,|:::|\n|\r|\t|\x1f)\s*"
_FAST_EXT_RE = r"(?i)(?:;ext=|\s+(?:ext\.?|extension|x)\s*)([0-9]{1,6})$"
_TYPE_FIELDS = (
    "premium_rate",
    "toll_free",
    "shared_cost",
    "voip",
    "personal_number",
    "pager",
    "uan",
    "voicemail",
    "fixed_line",
    "mobile",
)


def parse_phone(text: str | None, region: str = "US") -> str | None:
    """E.164 (plus ``;ext=N``) for a valid number, else None. Per value: ~65 µs."""
    import phonenumbers

    if not text:
        return None
    try:
        number = phonenumbers.parse(text, region.upper() if region else None)
    except phonenumbers.NumberParseException:
        return None
    except Exception:  # noqa: BLE001 - arbitrary text must never take an import down
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    out = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    if number.extension:
        out += ";ext=" + number.extension
    return out


def _desc_match(nsn: pl.Expr, desc) -> pl.Expr | None:
    if desc is None or desc.national_number_pattern is None:
        return None
    lengths = [n for n in desc.possible_length if n > 0]
    if desc.possible_length == (-1,) or list(desc.possible_length) == [-1]:
        return None
    cond = nsn.str.contains(f"^(?:{desc.national_number_pattern})$")
    if lengths:
        cond = nsn.str.len_bytes().is_in(lengths) & cond
    return cond


@functools.cache
def _fast_rules(region: str):
    """The region's metadata if the fast path can mirror phonenumbers for it, else None."""
    import phonenumbers
    from phonenumbers.phonemetadata import PhoneMetadata

    meta = PhoneMetadata.metadata_for_region(region)
    if meta is None or meta.country_code is None:
        return None
    if phonenumbers.region_code_for_country_code(meta.country_code) != region:
        return None
    if meta.national_prefix_transform_rule:
        return None
    # Without a transform rule phonenumbers strips the whole prefix match (a captured
    # carrier code does not change the E.164 form), which a regex replace mirrors.
    return meta


def _valid_nsn(nsn: pl.Expr, meta) -> pl.Expr:
    general = _desc_match(nsn, meta.general_desc)
    types = [m for m in (_desc_match(nsn, getattr(meta, f, None)) for f in _TYPE_FIELDS) if m is not None]
    if general is None or not types:
        return pl.lit(False)
    return general & pl.any_horizontal(types)


def fast_phone_expr(el: pl.Expr, region: str) -> pl.Expr:
    """E.164 for the common forms of ``region``'s numbers, null for everything else.

    Never disagrees with :func:`parse_phone` where it gives a value (tested).
    """
    meta = _fast_rules(region)
    if meta is None:
        return pl.lit(None, dtype=pl.String)
    cc = str(meta.country_code)
    ext = el.str.extract(_FAST_EXT_RE, 1)
    body = el.str.replace(_FAST_EXT_RE, "").str.replace(r"(?i)^tel:", "")
    compact = body.str.replace_all(r"[ ().\-/]", "")
    national = compact.str.extract(r"^([0-9]{2,17})$", 1)
    if meta.international_prefix:
        national = pl.when(~national.str.contains(f"^(?:{meta.international_prefix})")).then(national)
    raw = pl.coalesce(compact.str.extract(rf"^\+{cc}([0-9]{{2,17}})$", 1), national)
    general = meta.general_desc.national_number_pattern
    npfp = meta.national_prefix_for_parsing
    if npfp:
        stripped = raw.str.replace(f"^(?:{npfp})", "")
        matches = raw.str.contains(f"^(?:{npfp})")
        keep_original = raw.str.contains(f"^(?:{general})$") & ~stripped.str.contains(f"^(?:{general})$")
        nsn = pl.when(matches & ~keep_original).then(stripped).otherwise(raw)
    else:
        nsn = raw
    e164 = pl.lit("+" + cc) + nsn
    with_ext = pl.when(ext.is_not_null()).then(e164 + pl.lit(";ext=") + ext).otherwise(e164)
    return pl.when(_valid_nsn(nsn, meta)).then(with_ext)


def _pieces(s: pl.Series) -> pl.Series:
    if s.dtype == pl.Null:
        return pl.Series(s.name, [None] * len(s), dtype=pl.List(pl.String))
    if isinstance(s.dtype, pl.List):
        if s.dtype.inner == pl.Null:
            return s.cast(pl.List(pl.String))
        s = s.list.join(SEP, ignore_nulls=True)
    s = clean_text(s, single_line=False)
    s = s.str.replace_all(r"(?i);\s*(ext\s*=)", _EXT_GUARD + "$1")
    parts = s.str.replace_all(_SPLIT_RE, SEP).str.split(SEP)
    el = pl.element().str.replace_all(_EXT_GUARD, ";").str.replace_all(r"\s+", " ").str.strip_chars()
    return parts.list.eval(el.filter(el != ""))


def normalize_phones(s: pl.Series, region: str = "US") -> tuple[pl.Series, pl.Series]:
    """``(phones, unparsed)``: normalized lists (unparsed values kept as written) and the
    unparsed values alone. Both ``List(String)``, never null.
    """
    region = (region or "US").upper()
    parts = _pieces(s)
    flat = pl.DataFrame({"p": parts}).select(pl.col("p").explode())["p"]
    fast = pl.select(fast_phone_expr(pl.lit(flat), region)).to_series()
    todo = flat.filter(fast.is_null() & flat.is_not_null()).unique()
    slow_vals = pl.Series([parse_phone(v, region) for v in todo.to_list()], dtype=pl.String)
    # Unparsed values are marked with a leading SEP so one list carries both outcomes.
    marked = pl.Series(
        [p if p is not None else SEP + v for v, p in zip(todo.to_list(), slow_vals.to_list(), strict=True)],
        dtype=pl.String,
    )
    el = pl.element()
    lookup = pl.coalesce(fast_phone_expr(el, region), el.replace_strict(todo, marked, default=None))
    frame = pl.DataFrame({"p": parts}).with_columns(pl.col("p").list.eval(lookup).alias("m"))
    out = frame.select(
        pl.col("m")
        .list.eval(pl.element().str.strip_prefix(SEP))
        .list.unique(maintain_order=True)
        .fill_null([])
        .alias("phones"),
        pl.col("m")
        .list.eval(pl.element().filter(pl.element().str.starts_with(SEP)).str.strip_prefix(SEP))
        .list.unique(maintain_order=True)
        .fill_null([])
        .alias("unparsed"),
    )
    return out["phones"].alias(s.name), out["unparsed"]


def normalize_phone(text: str | None, region: str = "US") -> str | None:
    """One number: E.164 (``;ext=N``) or None; same result as the column path."""
    return parse_phone(text, region)
