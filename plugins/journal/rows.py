"""Reading a journal spreadsheet: header matching, words for What and Channel, dates, rows.

Part of the ``journal`` importer (:mod:`plugins.journal_import`).

Columns (matched by name, case/spacing/punctuation-blind, anywhere in the first rows):
Date, Person, What, Via / Referred by, Channel, Notes; optionally To / Referred to and
Email. What a row becomes is decided in :mod:`pipeline.journal`: ``read`` returns one
contact record per person the sheet mentions (first mention's place as ``source_ref``, the
name as ``source_key`` so ids stay stable) and the rows as typed ``ImportResult.journal``; a row
whose What is ``outcome`` sets ``ImportResult.journal_outcome``. A row without a readable date, a
person, or a known What is a reject naming the row; columns we don't know are kept with
the entry. Journals are hand-kept logs of hundreds of rows, so rows are handled in Python.

Outlook's "Referred By" column and vCard notes are not journals and are never read here.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import re
from pathlib import Path

from pipeline.contracts import JournalOutcomeRow, JournalRow, Reject
from pipeline.errors import InputError
from pipeline.journal.match import name_key, split_query
from pipeline.textio import decode_bytes

NAME = "journal"
HEADER_SEARCH_ROWS = 20
MAX_SNIFF_XLSX = 8 * 1024 * 1024
EXCEL_SUFFIXES = {".xlsx", ".xlsm", ".xls", ".ods"}

HEADERS: dict[str, str] = {
    **dict.fromkeys(["date", "when", "day", "datum"], "date"),
    **dict.fromkeys(["person", "name", "contact", "who", "with", "met with", "full name"], "person"),
    **dict.fromkeys(["what", "kind", "type", "activity", "action", "event"], "what"),
    **dict.fromkeys(
        ["via", "referred by", "introduced by", "introducer", "via referred by", "referral from"], "via"
    ),
    **dict.fromkeys(["to", "referred to", "referred me to", "introduced to"], "to"),
    **dict.fromkeys(["channel", "how met", "how we met", "met through", "contact type"], "channel"),
    **dict.fromkeys(["notes", "note", "comments", "comment", "details", "description"], "note"),
    **dict.fromkeys(["email", "e mail", "email address", "e mail address"], "email"),
}

KIND_WORDS: dict[str, str] = {
    **dict.fromkeys(["met", "meet", "mixer", "networking event", "event"], "met"),
    **dict.fromkeys(["call", "phone", "phone call", "video call", "zoom", "called"], "call"),
    **dict.fromkeys(["meeting", "coffee", "lunch", "breakfast", "dinner", "meeting held"], "meeting"),
    **dict.fromkeys(
        ["info interview", "informational interview", "information interview", "informational"],
        "info_interview",
    ),
    **dict.fromkeys(["email", "e mail", "emailed", "message", "linkedin message", "inmail"], "email"),
    **dict.fromkeys(["follow up", "followup", "followed up"], "follow_up"),
    **dict.fromkeys(["thank you", "thanks", "thank you note", "thank you email", "thanked"], "thank_you"),
    **dict.fromkeys(["referral", "referred", "referred me", "intro", "introduction"], "referral"),
    **dict.fromkeys(["outcome report", "close the loop", "closing the loop"], "outcome_report"),
    "note": "note",
    **dict.fromkeys(["outcome", "offer accepted", "accepted offer", "result"], "outcome"),
}

CHANNEL_WORDS: dict[str, str] = {
    **dict.fromkeys(["alumni", "alumni event", "alumni association", "alumnae"], "alumni"),
    **dict.fromkeys(["meeting", "event", "conference"], "meeting"),
    **dict.fromkeys(["social", "friend", "friends", "family", "neighbour", "neighbor", "party"], "social"),
    **dict.fromkeys(["linkedin", "li"], "linkedin"),
    "other": "other",
}

_DAY_FIRST = ("%d/%m/%Y", "%d.%m.%Y", "%d/%m/%y")
_MONTH_FIRST = ("%m/%d/%Y", "%m/%d/%y")
_OTHER_FORMATS = (
    "%Y-%m-%d",
    "%Y-%m-%d %H:%M:%S",
    "%Y/%m/%d",
    "%b %d, %Y",
    "%B %d, %Y",
    "%d %b %Y",
    "%d %B %Y",
)


def _key(text: str) -> str:
    return name_key(text).replace("_", " ")


def header_map(cells: list[str | None]) -> dict[int, str] | None:
    found = {i: HEADERS[_key(c)] for i, c in enumerate(cells) if c and _key(c) in HEADERS}
    fields = set(found.values())
    if {"date", "person", "what"} <= fields and len(fields) == len(found):
        return found
    return None


def rows_of(path: Path) -> tuple[list[list[str | None]], str, str]:
    """All rows as text, the place prefix (``Sheet1!`` or ``row ``) and the encoding."""
    if path.suffix.lower() in EXCEL_SUFFIXES:
        import fastexcel

        try:
            reader = fastexcel.read_excel(path)
            for sheet in reader.sheet_names:
                frame = reader.load_sheet(sheet, header_row=None, dtypes="string").to_polars()
                rows = [list(r) for r in frame.iter_rows()]
                if any(header_map(r) for r in rows[:HEADER_SEARCH_ROWS]):
                    return rows, f"{sheet}!", "xlsx"
        except Exception as exc:  # calamine raises its own types for broken workbooks
            raise InputError(f"{path}: cannot read the workbook ({exc})") from None
        raise InputError(f"{path}: no sheet has a journal header row (Date, Person, What)")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    text, encoding = decode_bytes(data, path)
    dialect = ";" if text.split("\n", 1)[0].count(";") > text.split("\n", 1)[0].count(",") else ","
    rows = [[c if c.strip() else None for c in r] for r in csv.reader(io.StringIO(text), delimiter=dialect)]
    return rows, "row ", encoding


def parse_date(text: str, region: str) -> dt.date | None:
    text = text.strip()
    slash_order = _DAY_FIRST + _MONTH_FIRST if region not in {"US", "CA", "PH"} else _MONTH_FIRST + _DAY_FIRST
    for fmt in (*_OTHER_FORMATS, *slash_order):
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    if re.fullmatch(r"\d{5}(\.\d+)?", text):  # an Excel serial day number that came through as text
        return dt.date(1899, 12, 30) + dt.timedelta(days=int(float(text)))
    return None


class JournalRows:
    """The people a journal mentions, its entries, rejects, warnings and outcome."""

    def __init__(self) -> None:
        self.people: dict[str, dict] = {}
        self.entries: list[JournalRow] = []
        self.rejects: list[Reject] = []
        self.warnings: list[str] = []
        self.outcome: JournalOutcomeRow | None = None
        self.mapping: dict[str, str] = {}


def read_rows(rows: list[list[str | None]], header_at: int, prefix: str, region: str) -> JournalRows:
    """Interpret every row under the header at index ``header_at``."""
    reader = _RowReader(rows[header_at], prefix, region)
    for number, row in enumerate(rows[header_at + 1 :], start=header_at + 2):
        reader.read(number, row)
    return reader.out


class _RowReader:
    """Turns journal rows into entries, people mentioned, the outcome and rejects (in ``out``)."""

    def __init__(self, header: list[str | None], prefix: str, region: str) -> None:
        self.columns = header_map(header) or {}
        self.unknown = {i: str(c).strip() for i, c in enumerate(header) if c and i not in self.columns}
        self.prefix, self.region = prefix, region
        self.out = JournalRows()
        self.out.mapping = {str(header[i]): f"journal.{field}" for i, field in self.columns.items()}
        self.out.mapping.update(dict.fromkeys(self.unknown.values(), "journal.note"))
        self.seen: dict[str, int] = {}
        self.key_of: dict[str, str] = {}

    def read(self, number: int, row: list[str | None]) -> None:
        cells = {field: row[i] if i < len(row) else None for i, field in self.columns.items()}
        cells = {k: (v.strip() if isinstance(v, str) and v.strip() else None) for k, v in cells.items()}
        if not any(cells.values()):
            return
        place = f"{self.prefix}{number}"
        what = KIND_WORDS.get(_key(cells.get("what") or ""))
        date = parse_date(cells["date"], self.region) if cells.get("date") else None
        if what is None:
            got = cells.get("what") or "nothing"
            self.reject(
                place,
                f"'What' is {got!r}, not one of met, call, meeting, info_interview, "
                "email, follow_up, thank_you, referral, outcome_report, note, outcome",
            )
        elif date is None:
            self.reject(place, f"'Date' {cells.get('date') or '(empty)'!r} is not a date")
        elif what == "outcome":
            self.outcome(cells, place, date)
        else:
            self.entry(cells, row, place, what, date)

    def reject(self, place: str, reason: str) -> None:
        self.out.rejects.append(Reject(place, reason))

    def outcome(self, cells: dict[str, str | None], place: str, date: dt.date) -> None:
        """The latest outcome row wins."""
        text = cells.get("note") or cells.get("person")
        if not text:
            self.reject(place, "an outcome row needs the outcome in Notes")
        elif self.out.outcome is None or date >= dt.date.fromisoformat(self.out.outcome.date):
            self.out.outcome = JournalOutcomeRow(text, date.isoformat())

    def mention(self, text: str | None, email: str | None, place: str, column: str, channel: str | None):
        """The ``source_ref`` of the person a cell names (recorded once per name or email), or None."""
        if not text and not email:
            return None
        name, parsed_email = split_query(text or "")
        email = email or parsed_email
        key = f"email:{email}" if email and not name else f"name:{_key(name)}"
        people = self.out.people
        if key not in people:
            people[key] = {
                "source_ref": f"{place} {column}",
                "source_key": key,
                "full_name": name or None,
                "emails": email,
                "channel": channel,
            }
        self.key_of[people[key]["source_ref"]] = key
        return people[key]["source_ref"]

    def entry(
        self, cells: dict[str, str | None], row: list[str | None], place: str, what: str, date: dt.date
    ) -> None:
        """One entry: its people recorded, unknown columns and an unknown channel kept in its note."""
        channel_text = cells.get("channel")
        channel = CHANNEL_WORDS.get(_key(channel_text or "")) if channel_text else None
        if channel_text and channel is None:
            self.out.warnings.append(
                f"{place}: channel {channel_text!r} is not one of alumni, meeting, social, "
                "linkedin, other; kept in the entry's note"
            )
        email = (cells.get("email") or "").lower() or None
        person = self.mention(cells.get("person"), email, place, "Person", channel)
        if person is None:
            self.reject(place, "no Person on this row")
            return
        via = self.mention(cells.get("via"), None, place, "Via", None)
        to = self.mention(cells.get("to"), None, place, "To", None)
        if what == "referral" and to is None:
            if via is None:
                self.reject(
                    place,
                    "a referral needs who referred you (Via/Referred by) as well as "
                    "who you were referred to (Person)",
                )
                return
            person, via, to = via, None, person  # stored as: person referred you to `to`
        extras = {
            self.unknown[i]: str(row[i]) for i in self.unknown if i < len(row) and row[i] not in (None, "")
        }
        if channel_text and channel is None:
            extras["Channel"] = channel_text
        note = cells.get("note")
        if extras:
            note = "\n".join(filter(None, [note, *(f"{k}: {v}" for k, v in extras.items())]))
        # By people's names, not places: an entry keeps its key (and id) when rows move.
        who = [self.key_of.get(ref) for ref in (person, via, to)]
        fingerprint = "\x1f".join(str(x) for x in (date, what, *who, cells.get("note")))
        digest = hashlib.sha1(fingerprint.encode(), usedforsecurity=False).hexdigest()[:16]
        self.seen[digest] = self.seen.get(digest, 0) + 1
        self.out.entries.append(
            JournalRow(
                key=f"{digest}#{self.seen[digest]}",
                place=place,
                date=date.isoformat(),
                kind=what,
                person=person,
                via=via,
                to=to,
                channel=channel,
                note=note,
            )
        )
