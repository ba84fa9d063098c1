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

Speed: ``phonenumbers`` is slow per call, minutes for a million rows. The common forms —
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

from pipeline.normalize.text import SEP, clean_text, map_pieces, on_subset

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


def parse_phone(text: str | None, region: str) -> str | None:
    """E.164 (plus ``;ext=N``) for a valid number, else None. One slow ``phonenumbers`` call per value."""
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


def _lengths(desc) -> tuple[int, ...] | None:
    """The desc's possible lengths; None when it has none of its own (inherits general)."""
    lengths = tuple(n for n in desc.possible_length if n > 0)
    return lengths or None


def _usable(desc) -> bool:
    return (
        desc is not None and desc.national_number_pattern is not None and tuple(desc.possible_length) != (-1,)
    )


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
    """phonenumbers' ``_number_type_helper(nsn) != UNKNOWN`` as one expression.

    Types that share possible lengths are checked with one alternation regex (one pass
    over the column instead of one per type).
    """
    general = meta.general_desc
    if not _usable(general):
        return pl.lit(False)
    by_lengths: dict[tuple[int, ...] | None, list[str]] = {}
    for name in _TYPE_FIELDS:
        desc = getattr(meta, name, None)
        if _usable(desc):
            by_lengths.setdefault(_lengths(desc), []).append(desc.national_number_pattern)
    if not by_lengths:
        return pl.lit(False)
    size = nsn.str.len_bytes()
    checks = []
    for lengths, patterns in by_lengths.items():
        cond = nsn.str.contains("^(?:" + "|".join(f"(?:{p})" for p in patterns) + ")$")
        checks.append(size.is_in(lengths) & cond if lengths else cond)
    general_ok = nsn.str.contains(f"^(?:{general.national_number_pattern})$")
    if (lengths := _lengths(general)) is not None:
        general_ok = size.is_in(lengths) & general_ok
    return general_ok & pl.any_horizontal(checks)


def _fast_for(ext: pl.Series, compact: pl.Series, meta, *, national: bool) -> pl.Series:
    """E.164 (null where undecided) for ``+<cc>`` numbers of ``meta``'s country, and its
    national-format numbers too when ``national`` (the workspace's own region).
    """
    cc = str(meta.country_code)
    general = meta.general_desc.national_number_pattern
    npfp = meta.national_prefix_for_parsing
    frame = pl.DataFrame({"ext": ext, "compact": compact})
    # Capture-free on purpose (regex captures run on polars' slow matching engine).
    c = pl.col("compact")
    raw = pl.when(c.str.starts_with("+" + cc) & c.str.contains(r"^\+[0-9]{3,20}$")).then(
        c.str.slice(len(cc) + 1)
    )
    if national:
        local = pl.when(c.str.contains(r"^[0-9]{2,17}$")).then(c)
        if meta.international_prefix:
            local = pl.when(~c.str.contains(f"^(?:{meta.international_prefix})")).then(local)
        raw = pl.coalesce(raw, local)
    frame = frame.with_columns(raw=raw)
    if npfp:
        # phonenumbers strips the national prefix unless the number was viable as it stood
        # and would not be after stripping. Only numbers that start with the prefix need
        # the (costly) general-pattern checks.
        raw = frame["raw"]
        starts = raw.str.starts_with(npfp) if npfp.isdigit() else raw.str.contains(f"^(?:{npfp})")

        def strip(sub: pl.Series) -> pl.Series:
            cut = sub.str.slice(len(npfp)) if npfp.isdigit() else sub.str.replace(f"^(?:{npfp})", "")
            keep = sub.str.contains(f"^(?:{general})$") & ~cut.str.contains(f"^(?:{general})$")
            return pl.DataFrame({"s": sub, "c": cut, "k": keep}).select(
                pl.when(pl.col("k")).then(pl.col("s")).otherwise(pl.col("c"))
            )[:, 0]

        frame = frame.with_columns(nsn=on_subset(raw, starts.fill_null(False), strip))
    else:
        frame = frame.with_columns(nsn=pl.col("raw"))
    frame = frame.with_columns(valid=_valid_nsn(pl.col("nsn"), meta))
    e164 = pl.lit("+" + cc) + pl.col("nsn")
    with_ext = (
        pl.when(pl.col("ext").is_not_null()).then(e164 + pl.lit(";ext=") + pl.col("ext")).otherwise(e164)
    )
    return frame.select(pl.when(pl.col("valid")).then(with_ext))[:, 0]


@functools.cache
def _calling_codes() -> list[str]:
    import phonenumbers

    return [str(cc) for cc in phonenumbers.COUNTRY_CODE_TO_REGION_CODE]


def fast_phones(values: pl.Series, region: str) -> pl.Series:
    """E.164 for the common forms, null for everything else (left to :func:`parse_phone`).

    Common forms: national or ``+<cc>`` numbers of ``region`` and ``+<cc>`` numbers of any
    other country whose rules the fast path mirrors, in the usual punctuation, with an
    optional ``x``/``ext``/``;ext=`` extension. Never disagrees with :func:`parse_phone`
    where it gives a value (tested). Evaluated in steps over materialized columns: one
    nested expression would repeat the shared sub-expressions for every check.
    """
    import phonenumbers

    n = len(values)
    # Extensions and "tel:" are rare: only values with an x, ;, # or : pay for those regexes.
    rare = values.str.contains(r"[xX;#:]").fill_null(False)
    ext = on_subset(
        pl.Series("ext", [None] * n, dtype=pl.String),
        rare,
        lambda _: values.filter(rare).str.extract(_FAST_EXT_RE, 1),
    )
    body = on_subset(
        values, rare, lambda sub: sub.str.replace(_FAST_EXT_RE, "").str.replace(r"(?i)^tel:", "")
    )
    # phonenumbers reads "… / x12" as the start of a second number: leave those to it.
    body = on_subset(
        body,
        (ext.is_not_null() & values.str.contains("/", literal=True)).fill_null(False),
        lambda sub: sub + "?",
    )
    compact = body.str.replace_all(r"[ ().\-/]", "")
    meta = _fast_rules(region)
    out = (
        _fast_for(ext, compact, meta, national=True)
        if meta is not None
        else pl.Series([None] * n, dtype=pl.String)
    )
    # Numbers of other countries written with "+": one pass per calling code present.
    plus = (out.is_null() & compact.str.starts_with("+")).fill_null(False)
    if plus.any():
        idx = plus.arg_true()
        sub = compact.gather(idx)
        codes = _calling_codes()
        cc = pl.DataFrame({"c": sub}).select(
            pl.coalesce(
                *[
                    pl.when(pl.col("c").str.slice(1, k).is_in(codes)).then(pl.col("c").str.slice(1, k))
                    for k in (1, 2, 3)
                ]
            )
        )[:, 0]
        for code in cc.drop_nulls().unique().to_list():
            other = _fast_rules(phonenumbers.region_code_for_country_code(int(code)))
            if other is None or (meta is not None and other.country_code == meta.country_code):
                continue
            mask = (cc == code).fill_null(False)
            found = _fast_for(ext.gather(idx).filter(mask), sub.filter(mask), other, national=False)
            out = out.clone().scatter(idx.filter(mask), found)
    return out.alias(values.name)


def surely_invalid(values: pl.Series, region: str) -> pl.Series:
    """Values ``phonenumbers`` would certainly reject: plain national digits (no ``+``, no
    national/international prefix, not starting with the calling code) of a length the
    region never uses, such as a 7-digit local number in the US. Each one saves a ``phonenumbers`` call.
    """
    meta = _fast_rules(region)
    npfp = meta.national_prefix_for_parsing if meta is not None else None
    if meta is None or (npfp and not npfp.isdigit()):
        return pl.Series([False] * len(values), dtype=pl.Boolean)
    lengths = list(_lengths(meta.general_desc) or ())
    compact = values.str.replace_all(r"[ ().\-/]", "")
    bad = compact.str.contains(r"^[0-9]+$") & ~compact.str.len_bytes().is_in(lengths)
    bad = bad & ~compact.str.starts_with(str(meta.country_code))
    if npfp:
        bad = bad & ~compact.str.starts_with(npfp)
    if meta.international_prefix:
        bad = bad & ~compact.str.contains(f"^(?:{meta.international_prefix})")
    return bad.fill_null(False)


def _cells(s: pl.Series) -> pl.Series:
    """Cell text (or list of texts) → one text per cell, numbers separated by SEP.

    A label typed with a number (``Mobile: 206 555 0100``, ``971-555-0118 (cell)``) is moved
    in front of its number between :data:`_LABEL` marks, so the split below doesn't cut it
    off; an Excel-mangled number (``4,42079E+11``) is one value, not two at its comma.
    """
    if s.dtype == pl.Null or (isinstance(s.dtype, pl.List) and s.dtype.inner == pl.Null):
        return pl.Series(s.name, [None] * len(s), dtype=pl.String)
    if isinstance(s.dtype, pl.List):
        s = s.list.join(SEP, ignore_nulls=True)
    s = clean_text(s, single_line=False)
    s = on_subset(
        s,
        s.str.contains(";", literal=True),
        lambda sub: sub.str.replace_all(r"(?i);\s*(ext\s*=)", _EXT_GUARD + "$1"),
    )
    s = on_subset(
        s,
        s.str.contains(_SCIENTIFIC).fill_null(False),
        lambda sub: sub.str.replace(",", _COMMA, literal=True),
    )
    s = on_subset(s, s.str.contains(r"[A-Za-z]").fill_null(False), _move_labels)
    return on_subset(s, s.str.contains(r"[;,:\n\r\t\x1f]"), lambda sub: sub.str.replace_all(_SPLIT_RE, SEP))


#: Marks a label moved in front of its number: ``\x1dMobile\x1d206 555 0100``.
_LABEL = "\x1d"
_LABEL_WORDS = (
    r"(?:mobile|mob|cell(?:ular)?|cellphone|handy|portable|home|house|private|privat|work|office|business"
    r"|bureau|direct|main|phone|tel|telephone|fax|pager|other|personal|assistant|m|h|w|o|c|t|f)"
)
_PREFIX_LABEL = rf"(?i)(^|[;,\n\x1f])\s*({_LABEL_WORDS})\.?\s*[:\-–]\s*([+(0-9])"
_SUFFIX_LABEL = rf"(?i)^([+(0-9].*?)\s*[(\[]\s*({_LABEL_WORDS})\.?\s*[)\]]\s*$"
#: Guards the comma of a scientific-notation number from the split; restored afterwards.
_COMMA = "\x1c"
#: A number Excel turned into scientific notation (``4,42079E+11``): its digits are gone.
_SCIENTIFIC = r"^\s*[0-9][.,][0-9]+[eE]\+?[0-9]{1,2}\s*$"


def _move_labels(sub: pl.Series) -> pl.Series:
    return sub.str.replace_all(_PREFIX_LABEL, "$1" + _LABEL + "$2" + _LABEL + "$3")


def normalize_phones(s: pl.Series, region: str) -> tuple[pl.Series, pl.Series]:
    """``(phones, unparsed)``: normalized lists (unparsed values kept as written) and the
    unparsed values alone. Both ``List(String)``, never null.
    """
    phones, unparsed, _labels = normalize_phones_labelled(s, region)
    return phones, unparsed


def normalize_phones_labelled(s: pl.Series, region: str) -> tuple[pl.Series, pl.Series, pl.Series]:
    """``(phones, unparsed, labels)``: as :func:`normalize_phones`, plus per row the labels
    typed with the numbers as ``number\x1dlabel`` texts (``+12065550100\x1dMobile``).
    """
    region = region.upper()
    found = False  # any label at all (most files have none: then no list pass below)

    def process(values: pl.Series) -> tuple[pl.Series, pl.Series]:
        nonlocal found
        guarded = values.str.contains(_EXT_GUARD, literal=True)
        values = on_subset(values, guarded, lambda v: v.str.replace_all(_EXT_GUARD, ";"))
        comma = values.str.contains(_COMMA, literal=True)
        values = on_subset(values, comma, lambda v: v.str.replace(_COMMA, ",", literal=True))
        # "971-555-0118 (cell)": a label after the number (one piece, after the split).
        suffixed = (values.str.ends_with(")") | values.str.ends_with("]")).fill_null(False)
        values = on_subset(
            values, suffixed, lambda v: v.str.replace(_SUFFIX_LABEL, _LABEL + "$2" + _LABEL + "$1")
        )
        labelled = values.str.starts_with(_LABEL).fill_null(False)
        label = on_subset(
            pl.repeat(None, len(values), dtype=pl.String, eager=True),
            labelled,
            lambda _: values.filter(labelled).str.extract(_LABEL + "([^" + _LABEL + "]*)" + _LABEL, 1),
        )
        values = on_subset(values, labelled, lambda v: v.str.replace(_LABEL + ".*?" + _LABEL, ""))
        kept, aside = _normalize_values(values, region)
        if labelled.any():
            found = True
            kept = pl.DataFrame({"k": kept, "l": label}).select(
                pl.when(pl.col("l").is_null()).then("k").otherwise(pl.col("k") + _LABEL + pl.col("l"))
            )[:, 0]
        return kept, aside

    phones, unparsed = map_pieces(_cells(s), process)
    if not found:
        return phones.alias(s.name), unparsed, pl.repeat([], len(s), dtype=pl.List(pl.String), eager=True)
    element = pl.element()
    frame = pl.DataFrame({"p": phones}).select(
        labels=pl.col("p").list.eval(element.filter(element.str.contains(_LABEL, literal=True))),
        phones=pl.col("p")
        .list.eval(element.str.replace(_LABEL + ".*$", ""))
        .list.unique(maintain_order=True),
    )
    return frame["phones"].alias(s.name), unparsed, frame["labels"]


def _normalize_values(values: pl.Series, region: str) -> tuple[pl.Series, pl.Series]:
    """One number per value: ``(kept, aside)`` (E.164 or the value as written; the value when unparsed)."""
    fast = fast_phones(values, region)
    undecided = (fast.is_null() & values.is_not_null()).fill_null(False)
    todo = values.filter(undecided).unique()
    todo = todo.filter(~surely_invalid(todo, region))
    slow = pl.Series([parse_phone(v, region) for v in todo.to_list()], dtype=pl.String)
    norm = on_subset(
        fast, undecided, lambda sub: values.filter(undecided).replace_strict(todo, slow, default=None)
    )
    frame = pl.DataFrame({"v": values, "n": norm})
    out = frame.select(kept=pl.coalesce("n", "v"), aside=pl.when(pl.col("n").is_null()).then(pl.col("v")))
    return out["kept"], out["aside"]


def damaged(unparsed: pl.Series) -> pl.Series:
    """Per row, the phone values a spreadsheet turned into scientific notation (``4.42079E+11``),
    from the row's unparsed values (such a value is never a number): only those rows are looked at."""
    rows = (unparsed.list.len() > 0).arg_true()
    empty = pl.repeat([], len(unparsed), dtype=pl.List(pl.String), eager=True)
    if not rows.len():
        return empty
    found = unparsed.gather(rows).list.eval(pl.element().filter(pl.element().str.contains(_SCIENTIFIC)))
    joined = (
        pl.DataFrame({"i": pl.int_range(len(unparsed), dtype=pl.UInt32, eager=True)})
        .join(pl.DataFrame({"i": rows, "d": found}), on="i", how="left", maintain_order="left")
        .get_column("d")
    )
    return joined.fill_null(pl.lit([], dtype=pl.List(pl.String)))


def normalize_phone(text: str | None, region: str) -> str | None:
    """One number: E.164 (``;ext=N``) or None; same result as the column path."""
    return parse_phone(text, region)
