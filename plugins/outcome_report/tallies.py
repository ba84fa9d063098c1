"""Per-channel and per-week counts for the Channels and Activity sheets.

The per-channel contact count runs over the whole people frame (an alumni directory can
be large) as one polars group-by; the rest counts hand-logged journal entries.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import polars as pl

from pipeline.schema import CHANNELS

CONVERSATION_KINDS = ("met", "call", "meeting", "info_interview")
NOT_RECORDED = "not recorded"
MAX_WEEKS = 520


@dataclass
class ChannelRow:
    channel: str
    contacts: int
    talked_to: int
    conversations: int
    referrals: int
    started_outcome_chain: bool


@dataclass
class WeekRow:
    week: str
    week_start: dt.date
    conversations: int
    meetings: int
    info_interviews: int
    referrals: int


def channel_rows(
    people: pl.DataFrame,
    entries: list[dict[str, Any]],
    talked: list[str],
    edges: list[tuple[str, str, Any]],
    channel_of: Callable[[str], str],
    outcome_channel: str | None,
) -> list[ChannelRow]:
    """Per channel: contacts, people talked to, conversations, referrals made by its people."""
    # value_counts of the one column: a group_by's hash tables over a million people take far more memory
    contacts = dict(people.get_column("channel").fill_null(NOT_RECORDED).value_counts().iter_rows())
    count = {"talked": {}, "conv": {}, "ref": {}}
    for pid in talked:
        count["talked"][channel_of(pid)] = count["talked"].get(channel_of(pid), 0) + 1
    for e in entries:
        if e["kind"] in CONVERSATION_KINDS and e["person_id"]:
            ch = e["channel"] or channel_of(e["person_id"])
            count["conv"][ch] = count["conv"].get(ch, 0) + 1
    for a, _, _ in edges:
        count["ref"][channel_of(a)] = count["ref"].get(channel_of(a), 0) + 1
    seen = set(contacts) | {c for table in count.values() for c in table}
    order = [*CHANNELS, *sorted(seen - set(CHANNELS) - {NOT_RECORDED}), NOT_RECORDED]
    rows = []
    for ch in order:
        if ch not in CHANNELS and ch not in seen:
            continue
        rows.append(
            ChannelRow(
                channel=ch,
                contacts=int(contacts.get(ch, 0)),
                talked_to=count["talked"].get(ch, 0),
                conversations=count["conv"].get(ch, 0),
                referrals=count["ref"].get(ch, 0),
                started_outcome_chain=ch == outcome_channel,
            )
        )
    return rows


def week_rows(entries: list[dict[str, Any]], end: dt.date) -> list[WeekRow]:
    """Conversations and referrals per ISO week, from the first one to ``end``, quiet weeks included."""
    dated = [e for e in entries if e["date"] and e["kind"] in (*CONVERSATION_KINDS, "referral")]
    if not dated:
        return []
    first = min(e["date"] for e in dated)
    last = max(end, max(e["date"] for e in dated))
    monday = first - dt.timedelta(days=first.weekday())
    last_monday = last - dt.timedelta(days=last.weekday())
    monday = max(monday, last_monday - dt.timedelta(weeks=MAX_WEEKS))
    counts: dict[dt.date, dict[str, int]] = {}
    for e in dated:
        week = e["date"] - dt.timedelta(days=e["date"].weekday())
        bucket = counts.setdefault(week, {})
        bucket[e["kind"]] = bucket.get(e["kind"], 0) + 1
    rows = []
    while monday <= last_monday:
        c = counts.get(monday, {})
        year, week, _ = monday.isocalendar()
        rows.append(
            WeekRow(
                week=f"{year}-W{week:02d}",
                week_start=monday,
                conversations=sum(c.get(k, 0) for k in CONVERSATION_KINDS),
                meetings=c.get("meeting", 0),
                info_interviews=c.get("info_interview", 0),
                referrals=c.get("referral", 0),
            )
        )
        monday += dt.timedelta(weeks=1)
    return rows
