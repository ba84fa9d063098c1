"""Journal tables, writes and reads (see :mod:`pipeline.journal` for the design).

Tables (created on first use through :meth:`pipeline.store.Store.ensure_tables`):

- ``journal``: one row per entry. ``record_id`` / ``via_record_id`` / ``to_record_id`` are
  anchor record ids. ``source`` is ``cli`` or the imported file's path; imported rows carry
  a ``source_key`` (a fingerprint of the row, so an entry keeps its id when rows move) and
  ``place`` (``Sheet1!5``). Ids are AUTOINCREMENT: a deleted entry's id is never reused,
  because follow-up task keys and their done-state are built from entry ids.
- ``journal_outcome``: the search's outcome, one row per source (``cli`` or a file); the
  latest by date wins.
"""

from __future__ import annotations

import datetime as dt

import polars as pl

from pipeline.contracts import Outcome
from pipeline.errors import UsageError
from pipeline.journal.match import find_person, people_index
from pipeline.people import has_people_table, load_people, people_rows, person_of_records
from pipeline.schema import CHANNELS
from pipeline.store import Store
from pipeline.store_schema import JOURNAL_DDL
from pipeline.vocabulary import KINDS

#: Conversations: each one deserves a follow-up and a thank-you.
CONTACT_KINDS = ("met", "call", "meeting", "info_interview")
#: What counts as having followed up on a conversation.
THANKS_KINDS = ("thank_you", "follow_up")

JOURNAL_COLUMNS: dict[str, pl.DataType] = {
    "entry_id": pl.Int64,
    "date": pl.Date,
    "kind": pl.String,
    "person_id": pl.String,
    "via_person_id": pl.String,
    "to_person_id": pl.String,
    "channel": pl.String,
    "note": pl.String,
    "source": pl.String,
    #: The day the entry was written into kith (a meeting logged ahead of its date was "set" then).
    "logged": pl.Date,
}

#: :func:`raw_journal`'s columns: entries with their anchor record ids, not yet resolved to people.
RAW_JOURNAL_COLUMNS: dict[str, pl.DataType] = {
    "entry_id": pl.Int64,
    "date": pl.Date,
    **dict.fromkeys(
        ("kind", "record_id", "via_record_id", "to_record_id", "channel", "note", "source", "place"),
        pl.String,
    ),
    "logged": pl.Date,
}


def ensure_journal_tables(store: Store) -> None:
    store.ensure_tables(JOURNAL_DDL)


def now_text() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def parse_date(text: str | dt.date | None, *, today: dt.date | None = None, what: str = "date") -> dt.date:
    """A user's date: ISO ``2026-11-03``, or ``today`` / ``yesterday`` / ``tomorrow``."""
    today = today or dt.date.today()
    if text is None:
        return today
    if isinstance(text, dt.datetime):
        return text.date()
    if isinstance(text, dt.date):
        return text
    word = text.strip().casefold()
    relative = {"today": 0, "yesterday": -1, "tomorrow": 1}
    if word in relative:
        return today + dt.timedelta(days=relative[word])
    try:
        return dt.date.fromisoformat(word)
    except ValueError:
        raise UsageError(f"{what} {text!r} is not a date; use YYYY-MM-DD, today or yesterday") from None


def check_kind(kind: str) -> str:
    if kind not in KINDS:
        raise UsageError(f"unknown journal kind {kind!r}; use one of: {', '.join(KINDS)}")
    return kind


def check_channel(channel: str | None) -> str | None:
    if channel is not None and channel not in CHANNELS:
        raise UsageError(f"unknown channel {channel!r}; use one of: {', '.join(CHANNELS)}")
    return channel


def normalise_referral(
    kind: str, person: str, via: str | None, to: str | None
) -> tuple[str, str | None, str | None]:
    """A referral is always stored as person = who referred you, to = who you were referred to.

    ``kith log referral Ken --via Maria`` ("Ken, referred by Maria") becomes person=Maria, to=Ken.
    """
    if kind == "referral" and to is None and via is not None:
        return via, None, person
    return person, via, to


def add_entry(
    store: Store,
    kind: str,
    person_record_id: str,
    *,
    date: dt.date,
    via: str | None = None,
    to: str | None = None,
    channel: str | None = None,
    note: str | None = None,
    source: str = "cli",
) -> int:
    """Add one journal entry; ``person_record_id``, ``via`` and ``to`` are anchor record ids.

    Returns the new entry id.
    """
    check_kind(kind)
    check_channel(channel)
    person_record_id, via, to = normalise_referral(kind, person_record_id, via, to)
    ensure_journal_tables(store)
    with store.transaction() as conn:
        cursor = conn.execute(
            "INSERT INTO journal(date, kind, record_id, via_record_id, to_record_id, channel, note, source, "
            "created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (date.isoformat(), kind, person_record_id, via, to, channel, note, source, now_text()),
        )
        return int(cursor.lastrowid)


def delete_entry(store: Store, entry_id: int) -> bool:
    """Remove a CLI entry (imported entries belong to their file); True if it was there."""
    ensure_journal_tables(store)
    with store.transaction() as conn:
        return (
            conn.execute("DELETE FROM journal WHERE entry_id = ? AND source = 'cli'", (entry_id,)).rowcount
            > 0
        )


def set_outcome(store: Store, text: str, date: dt.date) -> None:
    """Record (or replace) the outcome given on the command line."""
    text = text.strip()
    if not text:
        raise UsageError("the outcome is empty; say what happened, e.g. 'accepted a job with Contoso'")
    ensure_journal_tables(store)
    with store.transaction() as conn:
        conn.execute(
            "INSERT INTO journal_outcome(source, text, date, created_at) VALUES ('cli', ?, ?, ?) "
            "ON CONFLICT(source) DO UPDATE SET text = excluded.text, date = excluded.date, "
            "created_at = excluded.created_at",
            (text, date.isoformat(), now_text()),
        )


def load_outcome(store: Store) -> Outcome | None:
    """The latest outcome by date (the command line's wins a tie), or None."""
    if not store.has_table("journal_outcome"):
        return None
    row = store.conn.execute(
        "SELECT text, date FROM journal_outcome "
        "ORDER BY date DESC, source = 'cli' DESC, created_at DESC LIMIT 1"
    ).fetchone()
    return Outcome(row[0], dt.date.fromisoformat(row[1])) if row else None


def raw_journal(store: Store) -> pl.DataFrame:
    """Journal rows with their anchor record ids (not resolved), in date then id order."""
    if not store.has_table("journal"):
        return pl.DataFrame(schema=RAW_JOURNAL_COLUMNS)
    return store.query_frame(
        "SELECT entry_id, date, kind, record_id, via_record_id, to_record_id, channel, note, source, place, "
        "substr(created_at, 1, 10) AS logged FROM journal ORDER BY date, entry_id",
        schema={"entry_id": pl.Int64, "date": pl.Date, "logged": pl.Date},
    )


def _has_assignments(store: Store) -> bool:
    if not store.has_table("assignments"):
        return False
    return store.conn.execute("SELECT 1 FROM assignments LIMIT 1").fetchone() is not None


def _person_of_anchors(store: Store, raw: pl.DataFrame) -> pl.DataFrame:
    """``record_id → person_id`` for the anchors in ``raw``, looked up by key (dedupe's
    assignments, or before dedupe the records, each its own person,
    :func:`pipeline.people.identity_person_id`) instead of reading every person. A record not
    in the assignments (imported after the last dedupe) resolves to null, as before."""
    anchors = pl.concat([raw["record_id"], raw["via_record_id"], raw["to_record_id"]]).drop_nulls().unique()
    dedupe = has_people_table(store)
    if dedupe and not _has_assignments(store):  # a people table no dedupe run wrote
        return person_of_records(store).unique("record_id", keep="first")
    sql = (
        "SELECT record_id, person_id FROM assignments WHERE record_id IN ({})"
        if dedupe
        else "SELECT record_id, 'p_' || record_id FROM records WHERE record_id IN ({})"
    )
    found: list[tuple[str, str]] = []
    values = anchors.to_list()
    for start in range(0, len(values), 900):  # SQLite's bound-parameter limit
        chunk = values[start : start + 900]
        found += store.conn.execute(sql.format(", ".join("?" * len(chunk))), chunk).fetchall()
    return pl.DataFrame(found, schema={"record_id": pl.String, "person_id": pl.String}, orient="row")


#: Sources whose records only mention a person (the journal's own record of a name it read,
#: a contact created by ``kith log`` for an unknown name).
MENTION_SOURCES = ("journal", "manual")


def _reanchor_mentions(store: Store, mapping: pl.DataFrame) -> pl.DataFrame:
    """Point entries at the real contact when their person is only the journal's own mention.

    A journal row naming "Maria Gonzalez" before dedupe may have had several records to
    choose from, so it kept a record of its own; dedupe rightly won't merge a bare name on
    its own. When exactly one real person (not made of mentions) has that name — nickname-
    aware, never a fuzzy guess — the entries belong to that person.
    """
    if mapping.height == 0:
        return mapping
    mentions_only = pl.col("sources").list.eval(pl.element().is_in(list(MENTION_SOURCES))).list.all()
    stubs = people_rows(store, mapping["person_id"].unique().to_list()).filter(mentions_only)
    if stubs.height == 0:  # the common case: no need to read everyone for the name index
        return mapping
    people = load_people(store)
    index = people_index(people.filter(~mentions_only))
    remap: dict[str, str] = {}
    for row in stubs.iter_rows(named=True):
        name = row["full_name"] or " ".join(p for p in (row["given_name"], row["family_name"]) if p)
        if name:
            match = find_person(None, name, index=index, fuzzy=False)
            if match.status == "one":
                remap[row["person_id"]] = match.person.person_id
    return mapping.with_columns(pl.col("person_id").replace(remap)) if remap else mapping


def load_journal(store: Store) -> pl.DataFrame:
    """Every entry with :data:`JOURNAL_COLUMNS`, people resolved to today's person ids.

    An anchor whose record is gone (its file was removed from the store) resolves to null.
    """
    raw = raw_journal(store)
    mapping = _reanchor_mentions(store, _person_of_anchors(store, raw))
    for anchor, target in (
        ("record_id", "person_id"),
        ("via_record_id", "via_person_id"),
        ("to_record_id", "to_person_id"),
    ):
        raw = raw.join(
            mapping.rename({"record_id": anchor, "person_id": target}),
            on=anchor,
            how="left",
            maintain_order="left",
        )
    return raw.select([pl.col(n).cast(t) for n, t in JOURNAL_COLUMNS.items()])
