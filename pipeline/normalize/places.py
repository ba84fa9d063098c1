"""Places: countries → ISO 3166 alpha-2, and a lone "City, ST" split into city and region.

Countries are matched on their folded form (see :func:`pipeline.normalize.text.fold`)
against ISO alpha-2 and alpha-3 codes and ISO names (``pycountry``), the country names in
pycountry's translations for the main languages of our users (so ``Deutschland``,
``Allemagne``, ``España`` work), and a short list of everyday aliases (``USA``, ``U.K.``,
``England``, ``Holland``, ``South Korea``). A value that matches nothing is kept as written.

``city`` holding ``"Seattle, WA"``, ``"Seattle/WA"`` or ``"Toronto, Ontario"`` while
``region`` is empty is split when the tail is a US state or Canadian province (code or
name) and the row's country is empty, US or CA: that is the unambiguous case. The region
is written as the source wrote it (codes upper-cased). Country is never guessed from it.

Both work per distinct value: a directory has few distinct countries and cities.
"""

from __future__ import annotations

import functools
import re

import polars as pl

from pipeline.normalize.text import clean_text, fold_series

_ALIASES = {
    "usa": "US",
    "u s a": "US",
    "us of a": "US",
    "united states of america": "US",
    "america": "US",
    "uk": "GB",
    "great britain": "GB",
    "britain": "GB",
    "england": "GB",
    "scotland": "GB",
    "wales": "GB",
    "northern ireland": "GB",
    "holland": "NL",
    "the netherlands": "NL",
    "south korea": "KR",
    "korea": "KR",
    "republic of korea": "KR",
    "north korea": "KP",
    "russia": "RU",
    "czech republic": "CZ",
    "czechia": "CZ",
    "ivory coast": "CI",
    "uae": "AE",
    "vietnam": "VN",
    "iran": "IR",
    "syria": "SY",
    "laos": "LA",
    "bolivia": "BO",
    "venezuela": "VE",
    "tanzania": "TZ",
    "taiwan": "TW",
    "macedonia": "MK",
    "swaziland": "SZ",
    "burma": "MM",
    "the bahamas": "BS",
    "the gambia": "GM",
    "vatican": "VA",
    "moldova": "MD",
    "palestine": "PS",
    "brunei": "BN",
    "cape verde": "CV",
    "turkey": "TR",
    "turkiye": "TR",
}

US_STATES = {
    "AL": "Alabama", "AK": "Alaska", "AZ": "Arizona", "AR": "Arkansas", "CA": "California",
    "CO": "Colorado", "CT": "Connecticut", "DE": "Delaware", "DC": "District of Columbia",
    "FL": "Florida", "GA": "Georgia", "HI": "Hawaii", "ID": "Idaho", "IL": "Illinois",
    "IN": "Indiana", "IA": "Iowa", "KS": "Kansas", "KY": "Kentucky", "LA": "Louisiana",
    "ME": "Maine", "MD": "Maryland", "MA": "Massachusetts", "MI": "Michigan", "MN": "Minnesota",
    "MS": "Mississippi", "MO": "Missouri", "MT": "Montana", "NE": "Nebraska", "NV": "Nevada",
    "NH": "New Hampshire", "NJ": "New Jersey", "NM": "New Mexico", "NY": "New York",
    "NC": "North Carolina", "ND": "North Dakota", "OH": "Ohio", "OK": "Oklahoma", "OR": "Oregon",
    "PA": "Pennsylvania", "RI": "Rhode Island", "SC": "South Carolina", "SD": "South Dakota",
    "TN": "Tennessee", "TX": "Texas", "UT": "Utah", "VT": "Vermont", "VA": "Virginia",
    "WA": "Washington", "WV": "West Virginia", "WI": "Wisconsin", "WY": "Wyoming",
    "PR": "Puerto Rico", "GU": "Guam", "VI": "U.S. Virgin Islands", "AS": "American Samoa",
    "MP": "Northern Mariana Islands",
}  # fmt: skip
CA_PROVINCES = {
    "AB": "Alberta", "BC": "British Columbia", "MB": "Manitoba", "NB": "New Brunswick",
    "NL": "Newfoundland and Labrador", "NS": "Nova Scotia", "NT": "Northwest Territories",
    "NU": "Nunavut", "ON": "Ontario", "PE": "Prince Edward Island", "QC": "Quebec",
    "SK": "Saskatchewan", "YT": "Yukon",
}  # fmt: skip
# Languages whose country names are recognised (pycountry's ISO 3166 translations).
_LANGUAGES = (
    "de",
    "fr",
    "es",
    "it",
    "nl",
    "pt",
    "sv",
    "da",
    "nb",
    "fi",
    "pl",
    "cs",
    "tr",
    "ru",
    "el",
    "zh_CN",
    "ja",
    "ko",
)
_CITY_TAIL = re.compile(r"^(.*?[^\s,/])\s*(?:,|/)\s*([^,/]+?)\.?$")


@functools.cache
def _country_table() -> dict[str, str]:
    """folded name or code → alpha-2; higher-priority sources written last."""
    import gettext

    import pycountry

    names: list[tuple[str, str]] = []
    for lang in _LANGUAGES:
        try:
            tr = gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=[lang])
        except OSError:
            continue
        for c in pycountry.countries:
            for attr in ("name", "common_name", "official_name"):
                if value := getattr(c, attr, None):
                    names.append((tr.gettext(value), c.alpha_2))
    names += list(_ALIASES.items())
    for c in pycountry.countries:
        for attr in ("common_name", "official_name", "name"):
            if value := getattr(c, attr, None):
                names.append((value, c.alpha_2))
    for c in pycountry.countries:
        names.append((c.alpha_3, c.alpha_2))
    for c in pycountry.countries:
        names.append((c.alpha_2, c.alpha_2))
    names.append(("UK", "GB"))
    folded = fold_series(pl.Series([n for n, _ in names], dtype=pl.String)).to_list()
    table: dict[str, str] = {}
    for key, (_, code) in zip(folded, names, strict=True):
        if key:
            table[key] = code
    return table


def country_code(text: str | None) -> str | None:
    """ISO 3166 alpha-2 for a country name or code (``"Deutschland"`` → ``"DE"``), else None."""
    if text is None:
        return None
    key = fold_series(pl.Series([text], dtype=pl.String))[0]
    return _country_table().get(key) if key else None


def normalize_country(s: pl.Series) -> pl.Series:
    """Countries as alpha-2 where recognised; anything else kept (cleaned) as written."""
    s = clean_text(s)
    todo = s.drop_nulls().unique()
    table = _country_table()
    keys = fold_series(todo).to_list()
    codes = pl.Series([table.get(k) if k else None for k in keys], dtype=pl.String)
    mapped = s.replace_strict(todo, codes, default=None, return_dtype=pl.String)
    return mapped.fill_null(s).alias(s.name)


@functools.cache
def _region_lookup() -> dict[str, tuple[str, str]]:
    """upper-cased code or folded name → (country, how to write it)."""
    out: dict[str, tuple[str, str]] = {}
    for country, table in (("US", US_STATES), ("CA", CA_PROVINCES)):
        for code, name in table.items():
            out[code] = (country, code)
            out[" ".join(name.lower().replace(".", "").split())] = (country, "")
    return out


def split_city_region(city: str, country: str | None) -> tuple[str, str] | None:
    """``("Seattle", "WA")`` for ``"Seattle, WA"`` when unambiguous, else None."""
    m = _CITY_TAIL.match(city)
    if not m:
        return None
    head, tail = m[1], m[2].strip()
    key = tail.upper() if len(tail) == 2 else " ".join(tail.lower().replace(".", "").split())
    found = _region_lookup().get(key)
    if found is None or (country is not None and country != found[0]):
        return None
    return head, found[1] or tail


def split_city_column(
    city: pl.Series, region: pl.Series | None, country: pl.Series | None
) -> tuple[pl.Series, pl.Series]:
    """``(city, region)`` with "City, ST" values split where ``region`` is empty."""
    n = len(city)
    region = region if region is not None else pl.Series("region", [None] * n, dtype=pl.String)
    country = country if country is not None else pl.Series("country", [None] * n, dtype=pl.String)
    frame = pl.DataFrame({"city": city, "region": region, "country": country})
    cand = frame.filter(
        pl.col("region").is_null()
        & pl.col("city").str.contains(r"[,/]")
        & (pl.col("country").is_null() | pl.col("country").is_in(["US", "CA"]))
    ).unique(subset=["city", "country"])
    if cand.height == 0:
        return city, region
    splits = [split_city_region(c, k) for c, k in zip(cand["city"], cand["country"], strict=True)]
    lookup = cand.select("city", "country").with_columns(
        pl.Series("new_city", [s[0] if s else None for s in splits], dtype=pl.String),
        pl.Series("new_region", [s[1] if s else None for s in splits], dtype=pl.String),
    )
    joined = frame.join(lookup, on=["city", "country"], how="left", nulls_equal=True, maintain_order="left")
    use = joined["region"].is_null() & joined["new_city"].is_not_null()
    out = joined.select(
        pl.when(pl.lit(use)).then(pl.col("new_city")).otherwise(pl.col("city")).alias(city.name),
        pl.when(pl.lit(use)).then(pl.col("new_region")).otherwise(pl.col("region")).alias("region"),
    )
    return out[city.name], out["region"]
