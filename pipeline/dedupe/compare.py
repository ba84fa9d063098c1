"""Comparison levels: for each candidate pair, how well each field agrees (exact … different, or null).

Third step of :func:`pipeline.dedupe.resolve`, and the vocabulary of :mod:`.model` and
:mod:`.explain`. Each comparison maps a pair to a small integer level: 0 means "no
evidence" (a side has no value, weight 0), 1 is the strongest agreement and the last level
is disagreement.

Cost follows the variety of values, not the number of pairs: the name and employer levels
are computed once per *unique pair of value codes* (a million candidate pairs hold far
fewer distinct (given, given) or (employer, employer) pairs; Jaro-Winkler runs in
rapidfuzz only where exact, nickname and skeleton checks did not decide) and joined back
on one 64-bit key; everything else is integer or string equality over gathered columns.

The hard-evidence flags (``ov_*``) are computed here too: facts that rule a match out
whatever the weights say. Spouses and parents share an email, a landline and an address
but not a given name; two different given names behind one of those are two people.
"""

from __future__ import annotations

from collections.abc import Callable

import polars as pl

from pipeline.dedupe.features import HASH_SLOTS
from pipeline.threads import helper_threads

#: comparison → level names (level code = position + 1; 0 is "null").
COMPARISONS: dict[str, tuple[str, ...]] = {
    "given": ("exact", "nickname", "fuzzy", "initial", "similar", "different"),
    "family": ("exact", "phonetic", "fuzzy", "previous", "similar", "different"),
    "email": ("shared", "different"),
    "phone": ("shared", "different"),
    "linkedin": ("same", "different"),
    "organization": ("exact", "fuzzy", "email_domain", "different"),
    "location": ("postal_code", "city", "different"),
    "street": ("exact", "same_street", "different"),
    "birthday": ("exact", "close", "different"),
    # birth_year: one side's class year and the other side's birth year fit one graduate (one record
    # of a directory has the class year, another the birth date).
    "class_year": ("exact", "within_one", "different", "birth_year"),
    "middle_initial": ("same", "different"),
}

#: Suffixes that name a generation; two different ones are two people.
GENERATIONS = ("jr", "sr", "ii", "iii", "iv")

OVERRIDES = {
    "ov_linkedin": "different LinkedIn profiles",
    "ov_suffix": "different generations (Sr./Jr.)",
    "ov_suffix_one": "a generation suffix (Jr./Sr.) on one side only, and only a phone shared while e-mails "
    "or employers differ (a household's landline)",
    "ov_given": "clearly different given names behind a shared email, phone or address",
    "ov_generation": "birth years or class years a generation apart (a parent and child)",
    "ov_birthdate": "different birth dates (not a typo: two or more of day, month and year differ)",
    "ov_one_file": "one file lists them as two members (same name, different e-mails, nothing else shared)",
}

#: Years between two birth years (or two class years) that make two records two generations.
GENERATION_YEARS = 15
#: Years between two birth years beyond which one name at one address is no parent and child: a
#: father is rarely this much older than his son, so a date that far off was mistyped or replaced.
PARENT_YEARS_MAX = 50

#: Jaro-Winkler (best over every nickname form) at which two given names are one name mistyped ("fuzzy").
FUZZY_JW = 0.92

#: Per-side value codes kept with each pair, for term-frequency weights.
TF_CODES = ("g_id", "f_id", "org_id")


def _jw(a: pl.Series, b: pl.Series) -> pl.Series:
    """Jaro-Winkler similarity of each (a, b) row, in rapidfuzz's C loop over both cores."""
    import numpy as np
    from rapidfuzz.distance import JaroWinkler
    from rapidfuzz.process import cpdist

    # In slices: rapidfuzz takes Python strings, and millions of them at once cost more memory than
    # the rest of the comparison.
    parts = [
        cpdist(
            a.slice(k, JW_SLICE).to_list(),
            b.slice(k, JW_SLICE).to_list(),
            scorer=JaroWinkler.normalized_similarity,
            workers=-1,
        )
        for k in range(0, a.len(), JW_SLICE)
    ]
    return pl.Series("_jw", np.concatenate(parts) if parts else [], dtype=pl.Float32)


#: Name pairs per rapidfuzz call.
JW_SLICE = 200_000


def _pair_table(feats: pl.DataFrame, id_col: str, cols: list[str], ia: pl.Series, ib: pl.Series):
    """Unique (code_a, code_b) pairs with each side's ``cols`` (value table looked up by code)."""
    # One row per code: each code's first record (a hash pass over the code column), ordered by code.
    code = feats[id_col]
    first = code.arg_unique()
    present = code.gather(first).is_not_null()
    first = first.filter(present).gather(code.gather(first).filter(present).arg_sort())
    table = feats.select(cols)[first]
    # Unique pairs of codes as one 64-bit key (a unique over one integer column, not two).
    keys = pl.select(_key(pl.lit(ia), pl.lit(ib)).alias("_k")).to_series().drop_nulls().unique()
    codes = keys.to_frame("_k").select(
        (pl.col("_k") // 2**32).cast(pl.UInt32).alias("a"),
        (pl.col("_k") % 2**32).cast(pl.UInt32).alias("b"),
        "_k",
    )
    # Codes are dense (0..n-1), so gathering by code is the lookup.
    side_a = table.select(pl.col(cols).name.suffix("_a"))[codes["a"]]
    side_b = table.select(pl.col(cols).name.suffix("_b"))[codes["b"]]
    return pl.concat([codes, side_a, side_b], how="horizontal")


def _key(a: pl.Expr, b: pl.Expr) -> pl.Expr:
    return a.cast(pl.UInt64) * 2**32 + b.cast(pl.UInt64)


def _with_jw(table: pl.DataFrame, col: str, need: pl.Expr) -> pl.DataFrame:
    todo = table.filter(need)
    done = todo.select("_k").with_columns(_jw(todo[f"{col}_a"], todo[f"{col}_b"]))
    return table.join(done, on="_k", how="left")


def _map_back(table: pl.DataFrame, ia: pl.Series, ib: pl.Series) -> pl.Series:
    keys = pl.select(_key(pl.lit(ia), pl.lit(ib)).alias("_k"))
    out = keys.join(table.select("_k", "level"), on="_k", how="left", maintain_order="left")["level"]
    return out.fill_null(0).cast(pl.Int8)


def _level(*cases: tuple[pl.Expr, int], last: int) -> pl.Expr:
    expr = pl.when(cases[0][0].fill_null(False)).then(cases[0][1])
    for cond, code in cases[1:]:
        expr = expr.when(cond.fill_null(False)).then(code)
    return expr.otherwise(last).cast(pl.Int8).alias("level")


def _best_jw(a: pl.Series, b: pl.Series) -> pl.Series:
    """Per row, the best Jaro-Winkler between any name form of side a (a list) and any of side b."""
    forms = pl.DataFrame({"a": a, "b": b}).with_row_index("_r").explode("a").explode("b")
    best = forms.with_columns(_jw(forms["a"], forms["b"])).group_by("_r").agg(pl.col("_jw").max()).sort("_r")
    return best["_jw"]


def _given_levels(feats: pl.DataFrame, ia: pl.Series, ib: pl.Series) -> pl.Series:
    t = _pair_table(feats, "g_id", ["g", "g_keys", "g_sk", "g_is_init", "g_init"], ia, ib)
    full = ~pl.col("g_is_init_a") & ~pl.col("g_is_init_b")
    nick = pl.col("g_keys_a").list.set_intersection(pl.col("g_keys_b")).list.len() > 0
    t = t.with_columns(nick.fill_null(False).alias("_nick"))
    need = full & (pl.col("a") != pl.col("b")) & ~pl.col("_nick") & (pl.col("g_sk_a") != pl.col("g_sk_b"))
    todo = t.filter(need.fill_null(False))
    # A typo in a nickname or in its formal name (Dniel/Dan, Aigail/Abby): compare every name form.
    forms_a = todo.select(pl.concat_list(pl.col("g_a"), pl.col("g_keys_a").fill_null([]))).to_series()
    forms_b = todo.select(pl.concat_list(pl.col("g_b"), pl.col("g_keys_b").fill_null([]))).to_series()
    sims = _best_jw(forms_a, forms_b)
    t = t.join(todo.select("_k").with_columns(sims), on="_k", how="left")
    t = t.with_columns(
        _level(
            (full & (pl.col("a") == pl.col("b")), 1),
            (full & pl.col("_nick"), 2),
            (full & ((pl.col("_jw") >= FUZZY_JW) | (pl.col("g_sk_a") == pl.col("g_sk_b"))), 3),
            (~full & (pl.col("g_init_a") == pl.col("g_init_b")), 4),
            (full & (pl.col("_jw") >= 0.8), 5),
            last=6,
        )
    )
    return _map_back(t, ia, ib)


def _family_levels(feats: pl.DataFrame, ia: pl.Series, ib: pl.Series) -> pl.Series:
    t = _pair_table(feats, "f_id", ["f", "f_sk"], ia, ib)
    same_sk = pl.col("f_sk_a") == pl.col("f_sk_b")
    t = _with_jw(t, "f", (pl.col("a") != pl.col("b")) & ~same_sk)
    t = t.with_columns(
        _level(
            (pl.col("a") == pl.col("b"), 1),
            (same_sk, 2),
            (pl.col("_jw") >= 0.92, 3),
            (pl.col("_jw") >= 0.8, 5),
            last=6,
        )
    )
    return _map_back(t, ia, ib)


def _org_levels(feats: pl.DataFrame, ia: pl.Series, ib: pl.Series) -> pl.Series:
    t = _pair_table(feats, "org_id", ["org"], ia, ib)
    prefix = pl.col("org_a").str.starts_with(pl.col("org_b") + " ") | pl.col("org_b").str.starts_with(
        pl.col("org_a") + " "
    )
    # "Firm 1" and "Firm 2", "Unit 7" and "Unit 17": a different number is a different organization.
    numbers = pl.col("org_a").str.extract_all(r"\d+") != pl.col("org_b").str.extract_all(r"\d+")
    t = t.with_columns(prefix.alias("_prefix"), numbers.fill_null(False).alias("_numbers"))
    t = _with_jw(t, "org", (pl.col("a") != pl.col("b")) & ~pl.col("_prefix") & ~pl.col("_numbers"))
    t = _with_typo(t, "org", pl.col("_jw") >= 0.9)
    # Similar yet a whole word apart ("Northwind Traders" / "Northwind Travel") is another organization:
    # only a typo's worth of edits (ORG_TYPO_EDITS) makes two spellings one employer.
    fuzzy = ~pl.col("_numbers") & (pl.col("_prefix") | ((pl.col("_jw") >= 0.9) & pl.col("_typo")))
    t = t.with_columns(_level((pl.col("a") == pl.col("b"), 1), (fuzzy, 2), last=4))
    return _map_back(t, ia, ib)


#: Edits (Levenshtein) that still make two similar employer names one employer: a typo, not a word.
ORG_TYPO_EDITS = 2


def _with_typo(table: pl.DataFrame, col: str, need: pl.Expr) -> pl.DataFrame:
    """``_typo``: the two values are at most :data:`ORG_TYPO_EDITS` edits apart (rows where ``need``)."""
    from rapidfuzz.distance import Levenshtein
    from rapidfuzz.process import cpdist

    todo = table.filter(need.fill_null(False))
    edits = cpdist(todo[f"{col}_a"].to_list(), todo[f"{col}_b"].to_list(), scorer=Levenshtein.distance)
    done = todo.select("_k", pl.Series("_typo", edits <= ORG_TYPO_EDITS if len(edits) else [], pl.Boolean))
    return table.join(done, on="_k", how="left").with_columns(pl.col("_typo").fill_null(False))


def _shared(feats: pl.DataFrame, prefix: str, i: pl.Series, j: pl.Series) -> pl.Series:
    """0 = a side has none, 1 = some value shared, 2 = both have values and none is shared."""
    cols = [f"{prefix}{k}" for k in range(HASH_SLOTS)]
    a = feats.select(pl.col(cols).gather(i).name.suffix("_a"))
    b = feats.select(pl.col(cols).gather(j).name.suffix("_b"))
    both = pl.concat([a, b], how="horizontal")
    meet = pl.any_horizontal(
        [(pl.col(f"{x}_a") == pl.col(f"{y}_b")).fill_null(False) for x in cols for y in cols]
    )
    present = pl.col(f"{cols[0]}_a").is_not_null() & pl.col(f"{cols[0]}_b").is_not_null()
    return both.select(pl.when(~present).then(0).when(meet).then(1).otherwise(2).cast(pl.Int8)).to_series()


def compare(
    feats: pl.DataFrame, pairs: pl.DataFrame, spellings: dict[str, int] | None = None
) -> pl.DataFrame:
    """A level column per comparison (``given`` … ``middle_initial``), the ``ov_*`` flags and TF codes.

    ``pairs`` has ``i``, ``j`` (record indexes into ``feats``) and optionally ``rule``. ``spellings``:
    a model's :func:`given_spellings` (how many records spell each given name so); without it they are
    counted over ``feats``.
    """
    i, j = pairs["i"], pairs["j"]
    keep = [c for c in ("i", "j", "rule") if c in pairs.columns]
    out = pairs.select(keep)
    ids = {c: (feats[c].gather(i), feats[c].gather(j)) for c in TF_CODES}
    # Given names in a second thread while family names and employers are compared here: much of
    # each is Python-side (lists of names for rapidfuzz) that would otherwise leave a core idle.
    with helper_threads() as pool:
        given = pool.submit(_given_levels, feats, *ids["g_id"])
        family = _family_levels(feats, *ids["f_id"])
        organization = _org_levels(feats, *ids["org_id"])
        out = out.with_columns(
            given.result().alias("given"),
            family.alias("family"),
            organization.alias("organization"),
            *(ids[c][0].alias(f"{c}_a") for c in TF_CODES),
        )
    spelled = _spelled(feats, spellings)
    # The rest gathers sixteen columns per side: in slices, so memory stays flat at any size.
    out = pl.concat(
        [
            _field_levels(feats, out.slice(k, CHUNK), keep, spelled)
            for k in range(0, max(out.height, 1), CHUNK)
        ]
    )
    return out


#: Pairs per slice of the field comparisons.
CHUNK = 500_000


#: The feature columns the field comparisons read, gathered for both sides of every pair.
_SIDE_COLUMNS = (
    "slug",
    "postal",
    "city",
    "street",
    "bday",
    "bmd",
    "cyear",
    "m_init",
    "sfx",
    "g",
    "f",
    "f_alt",
    "f_alt2",
    "org_c",
    "dom0",
    "dom1",
    "lst",
)


def _field_levels(
    feats: pl.DataFrame, out: pl.DataFrame, keep: list[str], spelled: pl.DataFrame
) -> pl.DataFrame:
    """Everything but the name and employer levels, and the override flags, for one slice of pairs
    (``spelled``: per record, how many records spell its given name so)."""
    i, j = out["i"], out["j"]
    out = out.with_columns(_shared(feats, "e", i, j).alias("email"), _shared(feats, "p", i, j).alias("phone"))
    side = pl.concat([feats.select(_SIDE_COLUMNS), spelled], how="horizontal")
    sa = side.select(pl.all().gather(i).name.suffix("_a"))
    sb = side.select(pl.all().gather(j).name.suffix("_b"))
    pf = pl.concat([out, sa, sb], how="horizontal")
    del sa, sb
    pf = pf.with_columns(
        _street_typo(pf["street_a"], pf["street_b"]),
        house_number_typo(pf["street_a"], pf["street_b"]),
        _swapped(pf),
        _given_typo(pf),
    )
    pf = pf.with_columns(_field_level_exprs())
    # Another street in another town is one fact (a move, or another person), already weighed by the
    # location level: counted twice it outweighs a name and a class year that agree.
    pf = pf.with_columns(
        pl.when((pl.col("street") == 3) & (pl.col("location") == 3))
        .then(pl.lit(0, pl.Int8))
        .otherwise(pl.col("street"))
        .alias("street")
    )
    return pf.select(*keep, *COMPARISONS, *(f"{c}_a" for c in TF_CODES), *_override_exprs())


#: Edits (Levenshtein) between two street keys with the same house number that still make one street.
STREET_TYPO_EDITS = 2


def _street_typo(a: pl.Series, b: pl.Series) -> pl.Series:
    """Per pair: the same house number and a street name a typo apart ("44 Watle Ave" / "44 Wattle Ave")."""
    import numpy as np
    from rapidfuzz.distance import Levenshtein
    from rapidfuzz.process import cpdist

    frame = pl.DataFrame({"a": a, "b": b})
    number = pl.col("a").str.extract(r"^(\d+)", 1) == pl.col("b").str.extract(r"^(\d+)", 1)
    need = frame.select(
        (number & (pl.col("a") != pl.col("b")) & (pl.col("a").str.len_chars() >= 6)).fill_null(False)
    ).to_series()
    out = np.zeros(frame.height, dtype=bool)
    rows = np.flatnonzero(need.to_numpy())
    if len(rows):
        todo = frame[rows]
        edits = cpdist(todo["a"].to_list(), todo["b"].to_list(), scorer=Levenshtein.distance, workers=-1)
        out[rows] = edits <= STREET_TYPO_EDITS
    return pl.Series("_street_typo", out)


def house_number_typo(a: pl.Series, b: pl.Series) -> pl.Series:
    """Per pair: one street name, the house number missing on one side or a keystroke off ("15" / "51",
    "2" / "22", "36" / "37"; not two single digits, which are as often two houses)."""
    import numpy as np
    from rapidfuzz.distance import OSA
    from rapidfuzz.process import cpdist

    frame = pl.DataFrame({"a": a, "b": b}).select(
        (pl.col("a").str.replace(r"^\d+", "") == pl.col("b").str.replace(r"^\d+", "")).alias("street"),
        pl.col("a").str.extract(r"^(\d+)", 1).alias("na"),
        pl.col("b").str.extract(r"^(\d+)", 1).alias("nb"),
    )
    one_missing = frame.select(pl.col("street") & (pl.col("na").is_null() != pl.col("nb").is_null()))
    out = one_missing.to_series().fill_null(False).to_numpy().copy()
    need = frame.select(
        (pl.col("street") & (pl.col("na") != pl.col("nb")))
        & (pl.max_horizontal(pl.col("na").str.len_chars(), pl.col("nb").str.len_chars()) >= 2)
    )
    rows = np.flatnonzero(need.to_series().fill_null(False).to_numpy())
    if len(rows):
        todo = frame[rows]
        out[rows] = cpdist(todo["na"].to_list(), todo["nb"].to_list(), scorer=OSA.distance, workers=-1) <= 1
    return pl.Series("_house_typo", out)


#: Jaro-Winkler at which each name matches the other side's opposite name part (given/family swapped).
SWAP_JW = 0.92
#: Edits that still let one name part match the other side's opposite part when the other part matches
#: it exactly ("Max Morrison" / "Morrison Msx").
SWAP_EDITS = 1


#: Letters the shorter of two names needs before one edit between them counts as a typo ("Li" / "Lu" are
#: two names).
TYPO_MIN_LETTERS = 3


def _swap_test(cross: list, edits: list, shortest: list):
    """Both parts match the other side's opposite part (Jaro-Winkler), or one exactly and the other a typo."""
    (cross_g, cross_f), (edits_g, edits_f), (short_g, short_f) = cross, edits, shortest
    both = (cross_g >= SWAP_JW) & (cross_f >= SWAP_JW)
    typo_g = (edits_g <= SWAP_EDITS) & (short_g >= TYPO_MIN_LETTERS)
    typo_f = (edits_f <= SWAP_EDITS) & (short_f >= TYPO_MIN_LETTERS)
    return both | ((edits_g == 0) & typo_f) | ((edits_f == 0) & typo_g)


def _swapped(pf: pl.DataFrame) -> pl.Series:
    """Per pair: given and family name written the other way round on one side, typos allowed
    ("Clarke Isabella" / "Isabella Clarke", "Whit Nacoya" / "Nacoya White", "Morrison Msx" / "Max
    Morrison").

    Only pairs whose given and family names both disagree are looked at, so rapidfuzz sees few rows.
    """
    import numpy as np
    from rapidfuzz.distance import OSA, JaroWinkler
    from rapidfuzz.process import cpdist

    need = pf.select(
        (pl.col("given").is_in([5, 6]) & pl.col("family").is_in([5, 6])).fill_null(False)
    ).to_series()
    out = np.zeros(pf.height, dtype=bool)
    rows = np.flatnonzero(need.to_numpy())
    if len(rows):
        todo = pf.select("g_a", "f_a", "g_b", "f_b")[rows]
        sides = (("g_a", "f_b"), ("f_a", "g_b"))
        cross = [
            cpdist(todo[x].to_list(), todo[y].to_list(), scorer=JaroWinkler.normalized_similarity, workers=-1)
            for x, y in sides
        ]
        edits = [
            cpdist(todo[x].to_list(), todo[y].to_list(), scorer=OSA.distance, workers=-1) for x, y in sides
        ]
        shortest = [todo.select(_shorter(x, y)).to_series().to_numpy() for x, y in sides]
        out[rows] = _swap_test(cross, edits, shortest)
    return pl.Series("_swapped", out)


def _shorter(x: str, y: str) -> pl.Expr:
    """The length of the shorter of two name columns."""
    return pl.min_horizontal(pl.col(x).str.len_chars(), pl.col(y).str.len_chars())


def names_swapped(g_a: str | None, f_a: str | None, g_b: str | None, f_b: str | None) -> bool:
    """One pair's :func:`_swapped` test (for ``kith why``): each name spells the other side's opposite."""
    import numpy as np
    from rapidfuzz.distance import OSA, JaroWinkler

    if None in (g_a, f_a, g_b, f_b):
        return False
    jw = JaroWinkler.normalized_similarity
    sides = ((g_a, f_b), (f_a, g_b))
    cross = [np.array([jw(x, y)]) for x, y in sides]
    edits = [np.array([OSA.distance(x, y)]) for x, y in sides]
    shortest = [np.array([min(len(x), len(y))]) for x, y in sides]
    return bool(_swap_test(cross, edits, shortest)[0])


#: Records that must spell a given name the other way for a one-off spelling one edit from it to be a typo.
TYPO_COMMON = 2


def given_spellings(feats: pl.DataFrame) -> dict[str, int]:
    """Each folded given name that :data:`TYPO_COMMON` or more records spell so, with their count (kept in
    the model, so ``kith why`` and runs that reuse the model see the counts the fit saw)."""
    counts = feats.select(pl.col("g").drop_nulls().value_counts()).unnest("g")
    common = counts.filter(pl.col("count") >= TYPO_COMMON)
    return dict(zip(common["g"].to_list(), common["count"].to_list(), strict=True))


def given_typo(a: str | None, b: str | None, spellings: dict[str, int]) -> bool:
    """One pair's :func:`_given_typo` test (for ``kith why``), with a model's :func:`given_spellings`."""
    from rapidfuzz.distance import OSA

    if not a or not b or min(len(a), len(b)) < TYPO_MIN_LETTERS:
        return False
    counts = sorted((spellings.get(a, 1), spellings.get(b, 1)))
    return counts[0] == 1 and counts[1] >= TYPO_COMMON and OSA.distance(a, b) <= 1


def _spelled(feats: pl.DataFrame, spellings: dict[str, int] | None) -> pl.DataFrame:
    """Per record, how many records spell its given name so (``g_n``): counted over ``feats``, or looked
    up in a model's ``spellings`` (a spelling it does not hold is a one-off)."""
    if spellings is None:
        count = pl.when(pl.col("g_id").is_not_null()).then(pl.len().over("g_id"))
    else:
        table = pl.DataFrame(
            {"g": list(spellings), "n": list(spellings.values())}, schema={"g": pl.String, "n": pl.UInt32}
        )
        looked_up = feats.select("g").join(table, on="g", how="left", maintain_order="left")["n"]
        count = pl.when(pl.col("g").is_not_null()).then(pl.lit(looked_up).fill_null(1))
    return feats.select(count.cast(pl.UInt32).alias("g_n"))


def _given_typo(pf: pl.DataFrame) -> pl.Series:
    """Per pair: two given names that differ, one edit apart, one spelled so on this record only and the
    other on several ("Aidsn" / "Aidan"): a typo, not another name. Two common names one edit apart
    ("Mark" / "Mary") stay two names.

    Only pairs whose given names are "similar" or "different" are looked at.
    """
    import numpy as np
    from rapidfuzz.distance import OSA
    from rapidfuzz.process import cpdist

    need = pf.select(
        (
            pl.col("given").is_in([5, 6])
            & (_shorter("g_a", "g_b") >= TYPO_MIN_LETTERS)
            & (pl.min_horizontal("g_n_a", "g_n_b") == 1)
            & (pl.max_horizontal("g_n_a", "g_n_b") >= TYPO_COMMON)
        ).fill_null(False)
    ).to_series()
    out = np.zeros(pf.height, dtype=bool)
    rows = np.flatnonzero(need.to_numpy())
    if len(rows):
        todo = pf.select("g_a", "g_b")[rows]
        out[rows] = cpdist(todo["g_a"].to_list(), todo["g_b"].to_list(), scorer=OSA.distance, workers=-1) <= 1
    return pl.Series("_given_typo", out)


def given_names_agree(feats: pl.DataFrame) -> Callable[[int, int], bool]:
    """Whether two records' given names agree — exact, a nickname, a typo apart (the given levels exact,
    nickname and fuzzy), or given and family name swapped on one side — for the few pairs clustering asks
    about (features looked up per record)."""
    from rapidfuzz.distance import JaroWinkler

    cache: dict[int, tuple] = {}

    def forms(x: int) -> tuple:
        if x not in cache:
            row = feats.select("g", "g_sk", "g_keys", "f").row(x)
            cache[x] = (row[0], row[1], set(row[2] or ()), row[3])
        return cache[x]

    def agree(x: int, z: int) -> bool:
        (ga, ska, ka, fa), (gb, skb, kb, fb) = forms(x), forms(z)
        if ga is None or gb is None or len(ga) < 2 or len(gb) < 2:
            return False
        if ga == gb or ska == skb or ka & kb or names_swapped(ga, fa, gb, fb):
            return True
        jw = JaroWinkler.normalized_similarity
        return max(jw(a, b) for a in ka | {ga} for b in kb | {gb}) >= FUZZY_JW

    return agree


def _eq(c: str) -> pl.Expr:
    return (pl.col(f"{c}_a") == pl.col(f"{c}_b")).fill_null(False)


def _both(c: str) -> pl.Expr:
    return pl.col(f"{c}_a").is_not_null() & pl.col(f"{c}_b").is_not_null()


def _simple(present: pl.Expr, *cases: tuple[pl.Expr, int], last: int) -> pl.Expr:
    """Level 0 where ``present`` is false, else the code of the first case that holds, else ``last``."""
    expr = pl.when(~present).then(0)
    for cond, code in cases:
        expr = expr.when(cond).then(code)
    return expr.otherwise(last).cast(pl.Int8)


def _cross(left: tuple[str, ...], right: tuple[str, ...]) -> pl.Expr:
    """Some column of ``left`` on one side equals some column of ``right`` on the other."""
    return pl.any_horizontal(
        [(pl.col(f"{x}_a") == pl.col(f"{y}_b")).fill_null(False) for x in left for y in right]
        + [(pl.col(f"{y}_a") == pl.col(f"{x}_b")).fill_null(False) for x in left for y in right]
    )


def _field_level_exprs() -> list[pl.Expr]:
    """Family and organization levels corrected by other columns, and the levels of the other fields."""
    previous = _cross(("f",), ("f_alt", "f_alt2")) | _cross(("f_alt",), ("f_alt",))
    employer_mail = _cross(("org_c",), ("dom0", "dom1")) | _cross(("dom0",), ("dom0", "dom1"))
    has_employer_a = pl.col("org_c_a").is_not_null() | pl.col("dom0_a").is_not_null()
    has_employer_b = pl.col("org_c_b").is_not_null() | pl.col("dom0_b").is_not_null()
    # Given and family name swapped on one side: both names agree, as spelling variants do.
    swapped = pl.col("_swapped")
    return [
        pl.when(swapped).then(pl.lit(3, pl.Int8)).otherwise(pl.col("given")).alias("given"),
        # A previous family name (maiden, double-barrelled half) beats a fuzzy spelling match.
        pl.when(swapped)
        .then(pl.lit(3, pl.Int8))
        .when(pl.col("family").is_in([3, 5, 6]) & previous)
        .then(pl.lit(4, pl.Int8))
        .otherwise(pl.col("family"))
        .alias("family"),
        # An employer named on one side and the domain of a work email on the other agree too.
        pl.when(pl.col("organization").is_in([0, 4]) & employer_mail)
        .then(pl.lit(3, pl.Int8))
        .when((pl.col("organization") == 0) & has_employer_a & has_employer_b)
        .then(pl.lit(4, pl.Int8))
        .otherwise(pl.col("organization"))
        .alias("organization"),
        _simple(_both("slug"), (_eq("slug"), 1), last=2).alias("linkedin"),
        _simple(_both("postal") | _both("city"), (_eq("postal"), 1), (_eq("city"), 2), last=3).alias(
            "location"
        ),
        # The same street with another house number or none: a typo'd or missing number, or a neighbour.
        _simple(
            _both("street"),
            (_eq("street") | pl.col("_street_typo"), 1),
            (_street_name("a") == _street_name("b"), 2),
            last=3,
        ).alias("street"),
        # Close: the same day and month (one side without a year), day and month swapped, or one part off.
        _simple(_both("bmd"), (_eq("bday"), 1), (_eq("bmd") | _date_typo(), 2), last=3).alias("birthday"),
        _class_year_level().alias("class_year"),
        _simple(_both("m_init"), (_eq("m_init"), 1), last=2).alias("middle_initial"),
    ]


#: Years from birth to class year that fit one graduate (a bachelor's at 20 to 25).
GRADUATE_AGE = (20, 25)
#: The usual age at the class year: a class year this far plus ``GENERATION_YEARS`` from a birth year is
#: another generation's.
GRADUATE_AGE_TYPICAL = 22
#: Years from birth to class year that few graduates have (a learned level, not a rule).
IMPOSSIBLE_AGE = (17, 36)


def _graduation_age() -> pl.Expr:
    """Birth year to class year across the pair, where only one side has a class year."""
    return pl.coalesce(
        pl.when(pl.col("cyear_b").is_null()).then(pl.col("cyear_a") - _year(pl.col("bday_b"))),
        pl.when(pl.col("cyear_a").is_null()).then(pl.col("cyear_b") - _year(pl.col("bday_a"))),
    )


def _class_year_level() -> pl.Expr:
    """Class years compared; where only one side has one, against the other side's birth year."""
    both = _both("cyear")
    gap = (pl.col("cyear_a") - pl.col("cyear_b")).abs()
    age = _graduation_age()
    lo, hi = GRADUATE_AGE
    never_lo, never_hi = IMPOSSIBLE_AGE
    return (
        pl.when(both & (gap == 0))
        .then(1)
        .when(both & (gap == 1))
        .then(2)
        .when(both)
        .then(3)
        .when(age.is_between(lo, hi))
        .then(4)
        .when((age < never_lo) | (age > never_hi))
        .then(3)
        .otherwise(0)
        .cast(pl.Int8)
    )


def _street_name(side: str) -> pl.Expr:
    """The street key without its house number (null when nothing is left)."""
    return pl.col(f"street_{side}").str.replace(r"^\d+", "").replace("", None)


def _date_parts(side: str) -> tuple[pl.Expr, pl.Expr, pl.Expr]:
    bday = pl.col(f"bday_{side}")
    return bday.str.slice(0, 4), bday.str.slice(5, 2), bday.str.slice(8, 2)


def _date_typo() -> pl.Expr:
    """Two full birth dates a typo apart: day and month swapped, or exactly one part different."""
    (ya, ma, da), (yb, mb, db) = _date_parts("a"), _date_parts("b")
    swapped = (ya == yb) & (ma == db) & (da == mb)
    differing = (ya != yb).cast(pl.Int8) + (ma != mb).cast(pl.Int8) + (da != db).cast(pl.Int8)
    return (swapped | (differing == 1)).fill_null(False)


def _date_apart() -> pl.Expr:
    """Two full birth dates no typo explains (two or more parts differ, not a day/month swap)."""
    return (_both("bday") & ~_eq("bday") & ~_date_typo()).fill_null(False)


def _override_exprs() -> list[pl.Expr]:
    """The hard-evidence flags (``ov_*``) that keep a pair apart whatever its score."""
    generations = pl.col("sfx_a").is_in(GENERATIONS) & pl.col("sfx_b").is_in(GENERATIONS)
    return [
        (pl.col("linkedin") == 2).alias("ov_linkedin"),
        (generations & (pl.col("sfx_a") != pl.col("sfx_b"))).fill_null(False).alias("ov_suffix"),
        # "Jr." on one record says two generations hold the name; a record without it that shares only a
        # phone (the household's landline) and disagrees on e-mails or employer is the other generation.
        (_generation_on_one_side() & _household_phone_only()).alias("ov_suffix_one"),
        (
            # Two full given names, unlike in every nickname form: an initial is too little to go on.
            # Merely similar ones (Nathan / Joan in some nickname form) too when the shared thing is a
            # street address with nothing else in common (no e-mail, phone or profile).
            (
                (pl.col("given") == 6)
                | (
                    (pl.col("given") == 5)
                    & (pl.col("street") == 1)
                    & (pl.col("email") != 1)
                    & (pl.col("phone") != 1)
                    & (pl.col("linkedin") != 1)
                )
            )
            & (pl.col("g_a").str.len_chars() > 1)
            & (pl.col("g_b").str.len_chars() > 1)
            & (
                (pl.col("email") == 1)
                | (pl.col("phone") == 1)
                | (pl.col("street") == 1)
                | (pl.col("location") == 1)
            )
            # Spouses and parents share an address, not a birth date: the same full date of birth
            # says the given name was mistyped or replaced, and the score decides.
            & (pl.col("birthday") != 1)
            # A one-off spelling a keystroke from a common one is that name mistyped ("Aidsn" / "Aidan").
            & ~pl.col("_given_typo")
        ).alias("ov_given"),
        # Father and son often share name, landline and address, and the suffix is missing from
        # most records; a birth or class year a generation apart is the fact that tells them apart.
        # A year typo ("1941" for "1914") beside the same day and month is a typo, not a generation.
        (
            (
                (_year(pl.col("bday_a")) - _year(pl.col("bday_b")))
                .abs()
                .is_between(GENERATION_YEARS, PARENT_YEARS_MAX)
                & (pl.col("birthday") != 2)
            )
            | ((pl.col("cyear_a") - pl.col("cyear_b")).abs() >= GENERATION_YEARS)
            # A class year on one side only, against the other side's birth year (a son's class year
            # beside his father's birth date at one address).
            | ((_graduation_age() - GRADUATE_AGE_TYPICAL).abs() >= GENERATION_YEARS)
        )
        .fill_null(False)
        .and_(~_typo_at_home() & _namesakes())
        .alias("ov_generation"),
        # Namesakes at one address (a father and son, cousins) are told apart by their birth dates.
        (_date_apart() & ~_typo_at_home() & ~_same_name_at_home() & _namesakes()).alias("ov_birthdate"),
        # A file lists a member once: two of its rows with different e-mails are two members unless
        # something personal besides the name (a phone, a profile, a street, a birthday) is shared.
        (
            _eq("lst")
            & (pl.col("email") == 2)
            & (pl.col("phone") != 1)
            & (pl.col("linkedin") != 1)
            & (pl.col("street") != 1)
            & (pl.col("birthday") != 1)
        ).alias("ov_one_file"),
    ]


def _namesakes() -> pl.Expr:
    """The family names do not disagree: birth dates tell namesakes apart, not people the names already do."""
    return (pl.col("family") != 6).fill_null(True)


def _typo_at_home() -> pl.Expr:
    """A name mistyped at one address: a record keyed in twice, whose birth date may be mistyped too.

    A father and son (or namesake cousins) write their shared name the same way; a mistyped given
    or family name (not a nickname, not another name) beside the same street or postcode is one
    person's second entry, and the birth dates that differ are weighed by the model, not ruled on.
    """
    home = (pl.col("street") == 1) | (pl.col("location") == 1) | _nearly_one_address()
    given_mistyped = pl.col("given").is_in([3, 5]) | pl.col("_given_typo")
    given_typo = given_mistyped & pl.col("family").is_in([1, 2, 3, 5])
    family_typo = pl.col("family").is_in([2, 3, 5]) & pl.col("given").is_in([1, 2, 3, 4, 5])
    return (home & (given_typo | family_typo)).fill_null(False)


def _nearly_one_address() -> pl.Expr:
    """One street whose house number is missing on one side or a keystroke off ("15" / "51"), beside the
    same postcode or town: that address still."""
    return (pl.col("street") == 2) & pl.col("_house_typo") & pl.col("location").is_in([1, 2])


def has_generation(suffix: str | pl.Expr) -> pl.Expr:
    """Whether a record's suffix (a feature column's ``sfx``) names a generation: Jr., Sr., III …"""
    return (pl.col(suffix) if isinstance(suffix, str) else suffix).is_in(GENERATIONS).fill_null(False)


def _generation_on_one_side() -> pl.Expr:
    """A generation suffix (Jr., Sr., III …) on exactly one of the two records."""
    return has_generation("sfx_a") != has_generation("sfx_b")


def _household_phone_only() -> pl.Expr:
    """A shared phone is all the pair shares, and e-mails (both sides have some) or employers disagree.

    That is a household's landline, as with spouses; one person's records that share a mobile number
    mostly have no e-mail or employer to disagree on.
    """
    nothing_else = (
        (pl.col("email") != 1)
        & (pl.col("linkedin") != 1)
        & ~pl.col("organization").is_in([1, 2, 3])
        & (pl.col("location") != 1)
        & (pl.col("street") != 1)
        & ~pl.col("birthday").is_in([1, 2])
        & (pl.col("class_year") != 1)
    )
    disagree = (pl.col("email") == 2) | (pl.col("organization") == 4)
    return ((pl.col("phone") == 1) & nothing_else & disagree).fill_null(False)


def _same_name_at_home() -> pl.Expr:
    """The identical full name at one street address (house number and street).

    Two birth dates there that are less than a generation apart (``ov_generation`` rules on the rest)
    are far more often one person's date keyed in wrong than two namesakes under one roof: the model
    weighs the "different" birthday level instead of a rule keeping them apart.
    """
    # "Jr." or "Sr." on either record says another generation holds the name: the birth dates still rule.
    suffix = has_generation("sfx_a") | has_generation("sfx_b")
    # A house number missing on one side or a keystroke off is still that address ("15" / "51") when the
    # postcode or town agrees; the very street and number is, whatever typos the postcode and town hold.
    address = (pl.col("street") == 1) | _nearly_one_address()
    return ((pl.col("given") == 1) & (pl.col("family") == 1) & address & ~suffix).fill_null(False)


def _year(bday: pl.Expr) -> pl.Expr:
    return bday.str.slice(0, 4).cast(pl.Int32, strict=False)
