"""The outcome report's numbers, computed from people, the journal and the outcome (no I/O).

:func:`build_outcome_report` is pure: the exporter loads the frames and calls it, and
tests call it with frames they build. The journal is what the user logged by hand
(hundreds of entries, not millions), so its entries are walked in Python; the people
frame can be a whole alumni directory and is only touched with polars (a filter to the
people the journal names, and one group-by for the per-channel contact counts).

How the journal is read
-----------------------
- **Conversations** are ``met``, ``call``, ``meeting`` and ``info_interview`` entries.
- **A referral** is a ``referral`` entry: its ``person_id`` is the referrer and its
  ``to_person_id`` the person you were referred to. A ``referral`` entry without
  ``to_person_id`` but with ``via_person_id`` is read the other way round ("referred to
  this person via that one"): the via person referred you to the entry's person.
- **An introduction**: any other entry with ``via_person_id`` (``kith log meeting Ken
  --via Maria``) also means the via person led you to the entry's person.
  Referrals and introductions together are the edges of the referral chains; the
  "Referrals" count is the number of distinct (referrer, referred) pairs.
- **People talked to** are those with a conversation, plus every referrer (a referral
  needs a conversation, even when only the referral was logged).
- **Helpers** are the people talked to, plus anyone in the chain to the outcome.
- **The outcome's organization** is found by matching the organizations of the people
  in the journal against the outcome text ("accepted a job with Contoso" matches Ken at
  "Contoso Ltd"); that person ends the chain to the outcome, walked back through the
  earliest referral into each person.
- Everything is "as of" a day: entries after it and an outcome dated after it are ignored.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from pipeline.contracts import BLOCKING_TAGS
from pipeline.journal.model import JOURNAL_COLUMNS
from pipeline.people import first_name as called
from plugins.outcome_report import referrals, tallies, wording
from plugins.outcome_report.tallies import CONVERSATION_KINDS, NOT_RECORDED, ChannelRow, WeekRow

#: Kinds that are not contact with the person (a private note).
NOT_CONTACT = ("note",)
KIND_LABELS = {
    "met": "Met",
    "call": "Phone call",
    "meeting": "Meeting",
    "info_interview": "Informational interview",
}


def empty_journal() -> pl.DataFrame:
    return pl.DataFrame(schema=JOURNAL_COLUMNS)


@dataclass(frozen=True)
class Owner:
    """Who the report is for: signs the drafts (``owner_name``/``owner_email`` in kith.toml)."""

    name: str | None = None
    email: str | None = None


@dataclass
class Helper:
    person_id: str
    name: str
    first_name: str
    email: str | None
    organization: str | None
    channel: str
    first_contact: dt.date | None
    how_met: str
    introduced_by: list[str]
    referred_to: list[str]
    conversations: int
    meetings: int
    last_contact: dt.date | None
    in_outcome_chain: bool
    report_sent: bool
    thanks: str
    draft: str | None = None  # file name, set by the writer
    #: Tagged do-not-contact or deceased: listed as a helper, but no message is drafted.
    blocked: bool = False


@dataclass
class Chain:
    names: list[str]
    text: str
    started_with: str
    channel: str
    first_date: dt.date | None
    leads_to_outcome: bool


@dataclass
class Summary:
    as_of: dt.date
    outcome: str | None
    outcome_date: dt.date | None
    organization: str | None
    started: dt.date | None
    last_conversation: dt.date | None
    people_talked_to: int
    conversations: int
    meetings: int
    info_interviews: int
    referrals: int
    helpers: int
    reports_sent: int
    outcome_chain: str | None
    outcome_channel: str | None
    sentence: str | None


@dataclass
class OutcomeReport:
    summary: Summary
    helpers: list[Helper] = field(default_factory=list)
    chains: list[Chain] = field(default_factory=list)
    channels: list[ChannelRow] = field(default_factory=list)
    weeks: list[WeekRow] = field(default_factory=list)
    owner: Owner = field(default_factory=Owner)

    @property
    def is_progress(self) -> bool:
        """True before an outcome exists: a progress report, no closing sentence."""
        return self.summary.outcome is None


#: The people columns the report reads (``person_id`` besides): callers pass
#: ``people_columns(PEOPLE_USED)`` rather than every column of everyone.
PEOPLE_USED = ("full_name", "given_name", "family_name", "nickname", "emails", "organization")
PEOPLE_USED += ("tags", "channel")


def _person_table(people: pl.DataFrame, ids: set[str]) -> dict[str, dict[str, Any]]:
    wanted = people.filter(pl.col("person_id").is_in(sorted(ids)))
    return {row["person_id"]: row for row in wanted.iter_rows(named=True)}


def display_name(row: dict[str, Any] | None, person_id: str) -> str:
    if not row:
        return f"(unknown person {person_id})"
    parts = [row.get("given_name"), row.get("family_name")]
    for candidate in (row.get("full_name"), " ".join(p for p in parts if p), *(row.get("emails") or [])):
        if candidate and candidate.strip():
            return " ".join(candidate.split())
    return person_id


def first_name(row: dict[str, Any] | None, name: str) -> str:
    """What the message calls a helper (:func:`pipeline.people.first_name`)."""
    row = row or {}
    return called(row.get("given_name"), row.get("nickname"), name)


def build_outcome_report(
    people: pl.DataFrame,
    journal: pl.DataFrame,
    outcome: Any,
    as_of: dt.date,
    owner: Owner | None = None,
) -> OutcomeReport:
    """Everything the outcome (or, before one exists, progress) report shows.

    :param people: every person, at least ``person_id`` and :data:`PEOPLE_USED`.
    :param journal: ``load_journal`` frame (entry_id, date, kind, person_id, via_person_id,
        to_person_id, channel, note, source).
    :param outcome: an object with ``text`` and ``date``, or None.
    """
    facts = _JournalFacts.read(people, journal, outcome, as_of)
    organization, target = _outcome_organization(facts)
    outcome_chain = referrals.chain_back(target, facts.edges) if target else []
    helpers = _helpers(facts, outcome_chain, target, organization)
    chains = _chains(facts, outcome_chain, organization)
    outcome_channel = facts.channel_of(outcome_chain[0]) if outcome_chain else None
    channels = tallies.channel_rows(
        people, facts.entries, facts.talked, facts.edges, facts.channel_of, outcome_channel
    )
    outcome = facts.outcome
    end = outcome.date if outcome is not None and outcome.date else as_of
    weeks = tallies.week_rows(facts.entries, end)
    summary = _summary(
        facts, helpers, organization, chains[0].text if outcome_chain else None, outcome_channel
    )
    return OutcomeReport(summary, helpers, chains, channels, weeks, owner or Owner())


@dataclass
class _JournalFacts:
    """The journal as of a day, walked once: entries in date order, referral edges, each
    person's entries, the people rows the journal names and their display names."""

    as_of: dt.date
    outcome: Any
    entries: list[dict[str, Any]]
    edges: list
    by_person: dict[str, list[dict[str, Any]]]
    rows: dict[str, dict[str, Any]]
    names: dict[str, str]
    ids: set[str]
    talked: list[str]

    @classmethod
    def read(cls, people: pl.DataFrame, journal: pl.DataFrame, outcome: Any, as_of: dt.date) -> _JournalFacts:
        missing = [pl.lit(None, t).alias(c) for c, t in JOURNAL_COLUMNS.items() if c not in journal.columns]
        journal = journal.with_columns(missing) if missing else journal
        journal = journal.filter(pl.col("date").is_null() | (pl.col("date") <= as_of))
        entries = journal.sort(["date", "entry_id"], nulls_last=True).to_dicts()
        if outcome is not None and outcome.date is not None and outcome.date > as_of:
            outcome = None
        ids = {e[k] for e in entries for k in ("person_id", "via_person_id", "to_person_id") if e[k]}
        rows = _person_table(people, ids)
        names = {pid: display_name(rows.get(pid), pid) for pid in ids}
        edges = referrals.edges_from(entries)
        by_person: dict[str, list[dict[str, Any]]] = {}
        for e in entries:
            if e["person_id"]:
                by_person.setdefault(e["person_id"], []).append(e)
        referrers = list(dict.fromkeys(a for a, _, _ in edges))
        talked = list(
            dict.fromkeys(
                [e["person_id"] for e in entries if e["kind"] in CONVERSATION_KINDS and e["person_id"]]
                + referrers
            )
        )
        return cls(as_of, outcome, entries, edges, by_person, rows, names, ids, talked)

    def talks(self, pid: str) -> list[dict[str, Any]]:
        return [e for e in self.by_person.get(pid, []) if e["kind"] in CONVERSATION_KINDS]

    def channel_of(self, pid: str) -> str:
        for e in self.by_person.get(pid, []):
            if e["channel"]:
                return e["channel"]
        row = self.rows.get(pid)
        return (row or {}).get("channel") or NOT_RECORDED

    def row(self, pid: str) -> dict[str, Any]:
        return self.rows.get(pid) or {}


def _outcome_organization(facts: _JournalFacts) -> tuple[str | None, str | None]:
    """The outcome's organization and the person there who ends the chain (None, None: no outcome)."""
    outcome = facts.outcome
    if outcome is None:
        return None, None
    referred = {b for _, b, _ in facts.edges}
    candidates = []
    for pid in dict.fromkeys([*facts.talked, *facts.ids]):
        org = facts.row(pid).get("organization")
        span = wording.find_organization(outcome.text, org) if org else None
        if span:
            last = max((e["date"] for e in facts.talks(pid) if e["date"]), default=dt.date.min)
            candidates.append((pid in referred, last, pid, span))
    if candidates:
        _, _, target, organization = max(candidates, key=lambda c: (c[0], c[1]))
        return organization, target
    return wording.organization_from_text(outcome.text), None


def _helpers(
    facts: _JournalFacts, outcome_chain: list[str], target: str | None, organization: str | None
) -> list[Helper]:
    """The people talked to and everyone in the chain to the outcome, by first contact."""
    in_chain = set(outcome_chain)
    helpers = [
        _helper(facts, pid, in_chain, target, organization)
        for pid in dict.fromkeys([*facts.talked, *outcome_chain])
    ]
    helpers.sort(key=lambda h: (h.first_contact or dt.date.max, h.name))
    return helpers


def _helper(
    facts: _JournalFacts, pid: str, in_chain: set[str], target: str | None, organization: str | None
) -> Helper:
    names, edges, outcome = facts.names, facts.edges, facts.outcome
    own = facts.by_person.get(pid, [])
    conv = facts.talks(pid)
    contact = [e for e in own if e["kind"] not in NOT_CONTACT]
    met = next((e for e in own if e["kind"] == "met"), conv[0] if conv else (own[0] if own else None))
    referred = [b for a, b, _ in edges if a == pid]
    kinds = {e["kind"] for e in conv}
    kind = next((k for k in ("info_interview", "meeting", "call", "met") if k in kinds), None)
    last_conv = max((e["date"] for e in conv if e["date"]), default=None)
    return Helper(
        person_id=pid,
        name=names.get(pid, pid),
        first_name=first_name(facts.rows.get(pid), names.get(pid, pid)),
        email=(facts.row(pid).get("emails") or [None])[0],
        organization=facts.row(pid).get("organization"),
        channel=facts.channel_of(pid),
        first_contact=min((e["date"] for e in contact if e["date"]), default=None),
        how_met=(met["note"] or KIND_LABELS.get(met["kind"], met["kind"])) if met else "",
        introduced_by=[names[a] for a, b, _ in edges if b == pid],
        referred_to=[names[b] for b in referred],
        conversations=len(conv),
        meetings=sum(e["kind"] in ("meeting", "info_interview") for e in conv),
        last_contact=max((e["date"] for e in contact if e["date"]), default=None),
        in_outcome_chain=pid in in_chain,
        report_sent=any(e["kind"] == "outcome_report" for e in own),
        blocked=any(str(t).strip().casefold() in BLOCKING_TAGS for t in facts.row(pid).get("tags") or ()),
        thanks=wording.thanks_message(
            conversation_kind=kind,
            last_conversation=last_conv,
            referred_to=[first_name(facts.rows.get(b), names[b]) for b in referred],
            talked_to_referred=bool(referred) and all(facts.talks(b) for b in referred),
            led_to_outcome=outcome is not None and any(b in in_chain for b in referred),
            is_outcome_contact=outcome is not None and pid == target,
            organization=organization,
            today=facts.as_of,
        ),
    )


def _chains(facts: _JournalFacts, outcome_chain: list[str], organization: str | None) -> list[Chain]:
    """Referral chains: the one to the outcome first, then every other maximal path."""
    outcome, edges, names = facts.outcome, facts.edges, facts.names
    chains = []
    label = organization or (outcome.text if outcome is not None else None)
    paths = referrals.maximal_paths(edges)
    if outcome_chain:
        paths = [outcome_chain] + [p for p in paths if p != outcome_chain]
    for path in paths:
        is_outcome = bool(outcome_chain) and path is paths[0] and path == outcome_chain
        chain_names = [names.get(p, p) for p in path]
        text = " → ".join(chain_names + ([label] if is_outcome and label else []))
        dates = [d for a, b, d in edges if a in path and b in path and d]
        first_dates = [e["date"] for e in facts.by_person.get(path[0], []) if e["date"]]
        chains.append(
            Chain(
                names=chain_names,
                text=text,
                started_with=chain_names[0],
                channel=facts.channel_of(path[0]),
                first_date=min(dates + first_dates, default=None),
                leads_to_outcome=is_outcome,
            )
        )
    return chains


def _summary(
    facts: _JournalFacts,
    helpers: list[Helper],
    organization: str | None,
    outcome_chain_text: str | None,
    outcome_channel: str | None,
) -> Summary:
    outcome, entries = facts.outcome, facts.entries
    conv_entries = [e for e in entries if e["kind"] in CONVERSATION_KINDS]
    return Summary(
        as_of=facts.as_of,
        outcome=outcome.text if outcome is not None else None,
        outcome_date=outcome.date if outcome is not None else None,
        organization=organization,
        started=min((e["date"] for e in entries if e["date"]), default=None),
        last_conversation=max((e["date"] for e in conv_entries if e["date"]), default=None),
        people_talked_to=len(facts.talked),
        conversations=len(conv_entries),
        meetings=sum(e["kind"] == "meeting" for e in conv_entries),
        info_interviews=sum(e["kind"] == "info_interview" for e in conv_entries),
        referrals=len(facts.edges),
        helpers=len(helpers),
        reports_sent=sum(h.report_sent for h in helpers),
        outcome_chain=outcome_chain_text,
        outcome_channel=outcome_channel,
        sentence=wording.closing_sentence(len(facts.talked), outcome.text) if outcome is not None else None,
    )
