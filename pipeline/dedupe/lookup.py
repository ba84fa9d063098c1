"""Finding records from what a user types: a record id, a person id, an email or a name.

Used by ``kith why``, ``kith merge``, ``kith split`` and ``kith review``. Ids and emails are
looked up in SQLite; a name reads only the name columns and compares them in polars with the
shared fold (:func:`pipeline.normalize.text.fold_expr`), so "zoe rossi" finds "Zoë Rossi".
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from pipeline.errors import UsageError
from pipeline.normalize.text import fold, fold_expr
from pipeline.people import has_people_table, identity_person_id
from pipeline.store import Store


@dataclass
class Match:
    """The records a query stands for, and how it was understood."""

    query: str
    kind: str  # record | person | email | name
    record_ids: list[str]


def person_of(store: Store, record_ids: list[str]) -> dict[str, str]:
    """record_id → person_id (identity ids before the first dedupe run)."""
    if not record_ids:
        return {}
    marks = ",".join("?" * len(record_ids))
    if has_people_table(store):
        rows = store.conn.execute(
            f"SELECT record_id, person_id FROM assignments WHERE record_id IN ({marks})", record_ids
        ).fetchall()
        found = dict(rows)
    else:
        found = {}
    for rid in record_ids:
        found.setdefault(rid, pl.select(identity_person_id(pl.lit(rid))).item())
    return found


def records_of_person(store: Store, person_id: str) -> list[str]:
    """The record ids of one person, or [] when there is no such person."""
    if has_people_table(store):
        rows = store.conn.execute(
            "SELECT record_id FROM assignments WHERE person_id = ? ORDER BY record_id", (person_id,)
        ).fetchall()
        if rows:
            return [r[0] for r in rows]
    if person_id.startswith("p_"):
        rid = person_id[2:]
        if store.conn.execute("SELECT 1 FROM records WHERE record_id = ?", (rid,)).fetchone():
            return [rid]
    return []


def find(store: Store, query: str) -> Match:
    """Resolve ``query`` to records, trying record id, person id, email, then name; UsageError if none."""
    query = query.strip()
    conn = store.conn
    if conn.execute("SELECT 1 FROM records WHERE record_id = ?", (query,)).fetchone():
        return Match(query, "record", [query])
    people = records_of_person(store, query)
    if people:
        return Match(query, "person", people)
    if "@" in query:
        needle = query.casefold()
        rows = conn.execute(
            "SELECT record_id, emails FROM records WHERE emails LIKE ? ORDER BY rowid", (f'%"{needle}"%',)
        ).fetchall()
        ids = [rid for rid, emails in rows if needle in pl.Series([emails]).str.json_decode().item()]
        if ids:
            return Match(query, "email", ids)
    ids = _records_named(store, query)
    if ids:
        return Match(query, "name", ids)
    raise UsageError(f"no record, person, email or name matches {query!r} (try `kith people {query}`)")


def _records_named(store: Store, query: str) -> list[str]:
    """Records whose full name, given + family or given + middle + family folds to the query's fold."""
    folded = fold(query)
    if folded is None:
        return []
    names = store.query_frame(
        "SELECT record_id, full_name, given_name, middle_name, family_name FROM records ORDER BY rowid"
    )
    given, middle, family = (pl.col(c).fill_null("") for c in ("given_name", "middle_name", "family_name"))
    forms = (
        pl.col("full_name"),
        pl.concat_str([given, family], separator=" "),
        pl.concat_str([given, middle, family], separator=" "),
    )
    hit = pl.any_horizontal([(fold_expr(form) == folded).fill_null(False) for form in forms])
    return names.filter(hit)["record_id"].to_list()


def expand_to_people(store: Store, record_ids: list[str]) -> list[str]:
    """Every record of the people the given records belong to (sorted, unique)."""
    persons = sorted(set(person_of(store, record_ids).values()))
    out: set[str] = set(record_ids)
    for pid in persons:
        out.update(records_of_person(store, pid))
    return sorted(out)


def one_person(store: Store, query: str) -> tuple[str, list[str]]:
    """The single person ``query`` names, and its records; UsageError when it names several."""
    match = find(store, query)
    persons = sorted(set(person_of(store, match.record_ids).values()))
    if len(persons) > 1:
        raise UsageError(
            f"{query!r} matches {len(persons)} people ({', '.join(persons[:5])}"
            f"{', …' if len(persons) > 5 else ''}); name one by its person id"
        )
    return persons[0], records_of_person(store, persons[0])


def two_people(store: Store, a: str, b: str) -> tuple[str, str]:
    """The two people ``a`` and ``b`` name (``kith merge``): a name matching both sides counts
    for the side the other query does not name; anything still ambiguous is a UsageError."""
    pa = set(person_of(store, find(store, a).record_ids).values())
    pb = set(person_of(store, find(store, b).record_ids).values())
    if len(pa) > 1:
        pa -= pb
    if len(pb) > 1:
        pb -= pa
    for query, found in ((a, pa), (b, pb)):
        if len(found) != 1:
            names = ", ".join(sorted(found)[:5])
            raise UsageError(f"{query!r} matches {len(found)} people ({names}); name one by its person id")
    (first,), (second,) = pa, pb
    if first == second:
        raise UsageError(f"{a!r} and {b!r} are already one person ({first})")
    return first, second
