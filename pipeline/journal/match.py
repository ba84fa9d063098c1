"""Finding the person a user means: ``kith log met "Bob Kowalski"`` → Robert Kowalski.

This is kith's one person-resolution service (docs/followups.md, "Who a name means"): the
journal CLI (PERSON, ``--via``, ``--to``, ``kith journal PERSON``, through
:class:`pipeline.cli.journal.PersonResolver`), the journal-spreadsheet sync and the
re-anchoring of journal mentions all call :func:`find_person`. Stages, first hit wins:

0. a person id (``p3f2a…``, as ``kith people`` shows it) or a record id, exactly;
1. an email address (``maria@example.com`` or ``Maria <maria@example.com>``) equal to one of
   the person's emails;
2. the whole name, compared case-, accent- and punctuation-blind;
3. nickname-aware: same family name and a given name that is a nickname of the other
   (the ``nicknames`` package: Bob ↔ Robert, Liz ↔ Elizabeth);
4. every word of the query is a word of the name (``Ken``, ``Pat Lee`` for "Pat Lee, MBA");
5. fuzzy (rapidfuzz ``token_sort_ratio`` ≥ :data:`FUZZY_CUTOFF`) for typos;
6. prefix: every word of the query starts a word of the name ("Bart" → Bartholomew). Never
   taken on its own: the result is ``many`` (how ``prefix``) even for one candidate, so the
   user is asked instead of a new "Bart" being created.

Several records hit by stages 1–3 whose LinkedIn profiles and e-mail addresses don't differ
are taken as one person (before dedupe, one human is a record per source); two "Emma Park"s
with different profiles or different addresses stay ambiguous.

Stages 1–4 are vectorized polars filters over all people; only the few same-family-name
rows go through Python for nicknames, and fuzzy runs in rapidfuzz's C loop.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import polars as pl

from pipeline.normalize.nicknames import same_given_name
from pipeline.normalize.text import fold, fold_expr

FUZZY_CUTOFF = 88
#: Stages whose several hits may be one person in several records (see :func:`_result`).
SAME_PERSON_STAGES = ("email", "name", "nickname")
_EMAIL = re.compile(r"^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+$")
_NAME_AND_EMAIL = re.compile(r"^(.*?)\s*<\s*([^<>\s]+@[^<>\s]+)\s*>\s*$", re.DOTALL)


def name_key(text: str | None) -> str:
    """Case-, accent- and punctuation-blind form of a name: the shared fold, ``""`` for nothing."""
    return (fold(text) or "") if text else ""


def name_key_expr(expr: pl.Expr) -> pl.Expr:
    """:func:`name_key` over a column (the shared :func:`~pipeline.normalize.text.fold_expr`)."""
    # Null stays null and an empty fold is "": people_index falls back from null parts only.
    return pl.when(expr.is_not_null()).then(fold_expr(expr).fill_null(""))


def display_name_expr() -> pl.Expr:
    """The name to show for a person: full name, else given + family, nickname, first email, id."""
    parts = pl.concat_str([pl.col("given_name"), pl.col("family_name")], separator=" ", ignore_nulls=True)
    return pl.coalesce(
        pl.col("full_name"),
        parts.replace("", None),
        pl.col("nickname"),
        pl.col("emails").list.first(),
        pl.col("person_id"),
    )


def split_query(query: str) -> tuple[str, str | None]:
    """``(name, email)`` from ``Name <email>``, a bare email, or a bare name."""
    query = query.strip()
    found = _NAME_AND_EMAIL.match(query)
    if found:
        return found.group(1).strip().strip('"').strip(), found.group(2).lower()
    if _EMAIL.match(query):
        return "", query.lower()
    return query, None


@dataclass(frozen=True)
class Candidate:
    """One person a query may mean; ``record_id`` is the anchor to store in the journal."""

    person_id: str
    record_id: str
    name: str
    email: str | None = None
    organization: str | None = None
    title: str | None = None

    def label(self) -> str:
        extra = ", ".join(x for x in (self.title, self.organization, self.email) if x)
        return f"{self.name} ({extra})" if extra else self.name


@dataclass
class Match:
    """What a query found: ``status`` is ``one``, ``many`` or ``none``; ``how`` names the stage."""

    query: str
    status: str
    how: str = ""
    candidates: list[Candidate] = field(default_factory=list)

    @property
    def person(self) -> Candidate:
        assert self.status == "one"
        return self.candidates[0]


def people_index(people: pl.DataFrame) -> pl.DataFrame:
    """The columns matching needs, one row per person."""
    key = name_key_expr(display_name_expr())
    given = name_key_expr(pl.coalesce(pl.col("given_name"), display_name_expr())).str.split(" ").list.first()
    family = pl.coalesce(
        name_key_expr(pl.col("family_name")).str.split(" ").list.first(),
        key.str.split(" ").list.last(),
    )
    return people.select(
        "person_id",
        pl.col("record_ids").list.first().alias("record_id"),
        display_name_expr().alias("name"),
        pl.col("emails").fill_null(pl.lit([], pl.List(pl.String))),
        "organization",
        "title",
        pl.col("linkedin_url").str.to_lowercase().str.strip_chars_end("/").alias("linkedin"),
        key.alias("key"),
        given.alias("given"),
        family.alias("family"),
        name_key_expr(pl.col("nickname")).alias("nick"),
    )


def _candidates(frame: pl.DataFrame) -> list[Candidate]:
    # The store's row order depends on how dedupe wrote the people; a numbered choice must not.
    frame = frame.sort(
        pl.col("name"),
        pl.col("emails").list.first(),
        pl.col("organization"),
        pl.col("person_id"),
        nulls_last=True,
    )
    return [
        Candidate(
            row["person_id"],
            row["record_id"],
            row["name"],
            (row["emails"] or [None])[0],
            row["organization"],
            row["title"],
        )
        for row in frame.iter_rows(named=True)
    ]


def _one_human(frame: pl.DataFrame) -> bool:
    """Records that may all be one human: no two LinkedIn profiles, one address they all share."""
    if frame["linkedin"].drop_nulls().n_unique() > 1:
        return False
    with_email = frame.filter(pl.col("emails").list.len() > 0)
    if with_email.height <= 1:
        return True
    shared = with_email.select(pl.col("emails").explode().value_counts(sort=True)).unnest("emails")
    return int(shared["count"].max()) >= with_email.height


def _result(query: str, how: str, frame: pl.DataFrame) -> Match | None:
    if frame.height == 0:
        return None
    # A first name alone ("Ken") that hits records of one full name is the same question as the full name.
    same_name = how in SAME_PERSON_STAGES or frame["key"].n_unique() == 1
    if frame.height > 1 and same_name and _one_human(frame):
        # Before dedupe one human is often several records (LinkedIn, phone, alumni list) that
        # share a name; unless their LinkedIn profiles differ, take them as one person and anchor
        # to the record with the most to go on. Dedupe then merges them under that anchor.
        ranked = frame.with_columns(
            (pl.col("emails").list.len() > 0).alias("_email"), pl.col("linkedin").is_not_null().alias("_li")
        ).sort(["_email", "_li"], descending=True, maintain_order=True)
        return Match(query, "one", f"{how}, same person in {frame.height} records", _candidates(ranked[:1]))
    return Match(query, "one" if frame.height == 1 else "many", how, _candidates(frame))


def find_person(
    people: pl.DataFrame | None, query: str, *, index: pl.DataFrame | None = None, fuzzy: bool = True
) -> Match:
    """Who ``query`` means among ``people`` (a :func:`pipeline.people.load_people` frame)."""
    index = index if index is not None else people_index(people)
    exact = query.strip()
    if exact and " " not in exact:
        found = _result(
            query, "id", index.filter((pl.col("person_id") == exact) | (pl.col("record_id") == exact))
        )
        if found:
            return found
    name, email = split_query(query)
    if email:
        found = _result(query, "email", index.filter(pl.col("emails").list.contains(email)))
        if found:
            return found
    key = name_key(name)
    if not key:
        return Match(query, "none")
    found = _result(query, "name", index.filter(pl.col("key") == key))
    if found:
        return found
    words = key.split(" ")
    if len(words) >= 2:
        same_family = index.filter(pl.col("family") == words[-1])
        if same_family.height:
            keep = [
                same_given_name(words[0], given) or same_given_name(words[0], nick or "")
                for given, nick in zip(
                    same_family["given"].to_list(), same_family["nick"].to_list(), strict=True
                )
            ]
            found = _result(query, "nickname", same_family.filter(pl.Series(keep, dtype=pl.Boolean)))
            if found:
                return found
    tokens = pl.col("key").str.split(" ")
    found = _result(query, "words", index.filter(pl.all_horizontal([tokens.list.contains(w) for w in words])))
    if found:
        return found
    if fuzzy and index.height:
        from rapidfuzz import fuzz, process

        hits = process.extract(
            key,
            index["key"].fill_null("").to_list(),
            scorer=fuzz.token_sort_ratio,
            score_cutoff=FUZZY_CUTOFF,
            limit=10,
        )
        if hits:
            best = hits[0][1]
            # A clear winner is a typo of one name; near-ties are a question for the user.
            rows = [i for _, score, i in hits if best - score < 3]
            found = _result(query, "fuzzy", index[rows])
            if found:
                return found
    starts = [tokens.list.eval(pl.element().str.starts_with(w)).list.any() for w in words]
    prefixed = index.filter(pl.all_horizontal(starts))
    if prefixed.height:
        return Match(query, "many", "prefix", _candidates(prefixed))
    return Match(query, "none")
