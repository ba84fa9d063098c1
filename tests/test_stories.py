"""Stories: weeks of a job search played through the CLI only, in the order a person acts.

Each test is one person's story — import, log, report, log, run next week, tick Done in the
spreadsheet, run — with assertions on what they would read: the checklist, the drafts, the
calendar and the outcome report. Every rule of the advice kith is built on has a story:

- thank within a day ............................ ``test_referral_chain_to_the_outcome``
- thank the referrer once the meeting is set
  and again after ................................ ``test_referral_chain_to_the_outcome``
- information, not advice ........................ ``test_referral_chain_to_the_outcome``
- 15 minutes for people who sell their time ...... ``test_a_professional_who_sells_their_time``
- outcome report to everyone who helped .......... ``test_referral_chain_to_the_outcome``
- check in with quiet warm contacts .............. ``test_a_quiet_contact_and_the_end_of_the_search``

The people are invented (tests/fixtures/stories, example.com). The clock that stamps when an
entry was logged is set per step (``day``), as a person's days pass.
"""

from __future__ import annotations

import email
import email.policy
import json
import shutil
from pathlib import Path

import pytest
import vobject
from openpyxl import load_workbook

import pipeline.journal.model as journal_model
import pipeline.journal.sync as journal_sync
from pipeline.cli import build_app

app = build_app()
STORIES = Path(__file__).parent / "fixtures" / "stories"
CONFIG = """[workspace]
owner_name = "Jordan Rivera"
owner_email = "jordan.rivera@example.com"

[[inputs]]
path = "Connections.csv"
importer = "linkedin"

[[inputs]]
path = "google_contacts.csv"
importer = "google_csv"
"""


class Story:
    """One workspace and the CLI, plus the day it is (when entries are logged)."""

    def __init__(self, runner, root: Path, monkeypatch) -> None:
        self.runner, self.ws = runner, root / "ws"
        assert runner.invoke(app, ["init", str(self.ws)]).exit_code == 0
        for name in ("Connections.csv", "google_contacts.csv"):
            shutil.copy(STORIES / name, self.ws / name)
        (self.ws / "kith.toml").write_text(CONFIG, encoding="utf-8")
        self.today = "2026-12-01"
        stamp = lambda: f"{self.today}T09:00:00+00:00"  # noqa: E731
        monkeypatch.setattr(journal_model, "now_text", stamp)
        monkeypatch.setattr(journal_sync, "now_text", stamp)

    def kith(self, *args: str, code: int = 0, input: str | None = None):
        result = self.runner.invoke(app, ["-w", str(self.ws), *args], input=input)
        assert result.exit_code == code, result.output
        return result

    def log(self, *args: str, code: int = 0):
        return self.kith("log", *args, code=code)

    def week(self, name: str) -> Path:
        return self.ws / "reports" / name

    def checklist(self, week: str) -> str:
        return (self.week(week) / "followups.md").read_text(encoding="utf-8")

    def rows(self, week: str) -> dict[str, dict]:
        sheet = load_workbook(self.week(week) / "followups.xlsx")["Follow-ups"]
        header = [c.value for c in sheet[1]]
        rows = [dict(zip(header, r, strict=True)) for r in sheet.iter_rows(min_row=2, values_only=True)]
        return {r["Task"]: r for r in rows if r["Task"]}

    def tick(self, week: str, *keys: str) -> None:
        """Type "yes" in the Done column, as a person does in Excel."""
        path = self.week(week) / "followups.xlsx"
        book = load_workbook(path)
        sheet = book["Follow-ups"]
        header = [c.value for c in sheet[1]]
        for row in sheet.iter_rows(min_row=2):
            if row[header.index("Task")].value in keys:
                row[header.index("Done")].value = "yes"
        book.save(path)

    def calendar(self, week: str):
        return vobject.readOne((self.week(week) / "followups.ics").read_text(encoding="utf-8"))

    def journal(self) -> list[dict]:
        return json.loads(self.kith("journal", "--json").stdout)["entries"]


def message(path: Path):
    return email.message_from_bytes(path.read_bytes(), policy=email.policy.default)


def body(path: Path) -> str:
    return message(path).get_content().replace("\r\n", "\n")


@pytest.fixture
def story(runner, tmp_path, monkeypatch):
    return Story(runner, tmp_path, monkeypatch)


def test_referral_chain_to_the_outcome(story):
    """Amara refers me to Kenji, whom kith has never heard of; I meet Kenji; Kenji's company hires me."""
    # W49. The first run imports the files and says which row it rejected (problem 7).
    first = story.kith("run", "--as-of", "2026-12-01", code=3)
    rejected = [line for line in first.stdout.splitlines() if line.startswith("rejected ")]
    reason = "restricted profile: the row has only a connection date"
    assert rejected == [f"rejected {story.ws / 'Connections.csv'} row 10: {reason}"]

    # A referral to someone new: the contact is created and is a person at once (problem 1).
    said = story.log("referral", "Amara Okafor", "--to", "Kenji Watanabe", "--date", "2026-12-01").stdout
    assert "--to: created a new contact 'Kenji Watanabe'" in said
    assert "Kenji Watanabe" in story.kith("people", "Kenji").stdout
    story.today = "2026-12-02"
    said = story.log("meeting", "Kenji Watanabe", "--date", "2026-12-08", "--note", "coffee").stdout
    assert "created" not in said and "Logged #2: meeting Kenji Watanabe on 2026-12-08" in said
    entries = story.journal()
    assert entries[0]["to_person_id"] == entries[1]["person_id"] and entries[1]["person"] == "Kenji Watanabe"
    assert "(removed)" not in story.kith("journal").stdout

    # The checklist the same week: thank Amara now that the meeting is set; prepare for it.
    story.kith("report", "--as-of", "2026-12-03")
    md = story.checklist("2026-W49")
    assert "## Wednesday 2026-12-02\n\n- [ ] Thank Amara Okafor for referring you to Kenji Watanabe" in md
    assert (
        "Prepare for the meeting with Kenji Watanabe on 2026-12-08: ask for information, not advice; "
        "a request for referrals at the end is fine" in md
    )
    assert "Reach out to Kenji" not in md  # the meeting is the contact
    thanks = body(next((story.week("2026-W49") / "drafts").glob("*thank_referrer*.eml")))
    assert "Thanks for referring me to Kenji. We have a meeting set up for Tuesday, December 8." in thanks

    # W50: the thanks is still open; its due date has not slid to the new week (problem 5).
    story.today = "2026-12-10"
    story.kith("run", "--as-of", "2026-12-10")
    rows = story.rows("2026-W50")
    referral = rows["referral:thank_referrer:1"]
    assert referral["Due"].date().isoformat() == "2026-12-02" and referral["Status"] == "overdue"
    # Thank within a day: the meeting on the 8th wants a thank-you on the 9th.
    assert rows["thank_you:2"]["Due"].date().isoformat() == "2026-12-09"
    assert "15 minutes" not in rows["thank_you:2"]["Action"]
    story.tick("2026-W50", "referral:thank_referrer:1")
    story.log("thank_you", "Kenji Watanabe", "--date", "2026-12-10")

    # W51: the ticked thanks stays in the calendar as completed (problem 6); the referrer is
    # thanked again now that the meeting has happened.
    story.today = "2026-12-14"
    story.kith("run", "--as-of", "2026-12-14")
    rows = story.rows("2026-W51")
    assert "referral:thank_referrer:1" not in rows
    again = rows["referral:thank_referrer_after:1"]
    assert again["Action"] == "Tell Amara Okafor how the meeting with Kenji Watanabe went"
    assert "I met Kenji on Tuesday, December 8" in again["Draft"]
    todos = {t.uid.value.split("@")[0]: t.status.value for t in story.calendar("2026-W51").vtodo_list}
    assert todos["referral:thank_referrer:1"] == "COMPLETED"
    assert todos["referral:thank_referrer_after:1"] == "NEEDS-ACTION"
    story.log("email", "Amara Okafor", "--date", "2026-12-14", "--note", "told her how it went")

    # The outcome: one message per helper, written once, one numbering (problem 4).
    story.today = "2026-12-16"
    story.kith("outcome", "accepted a job with Contoso", "--date", "2026-12-16")
    story.kith("run", "--as-of", "2026-12-17")
    week = story.week("2026-W51")
    outcome_files = sorted(p.name for p in (week / "outcome-drafts").glob("*.eml"))
    assert outcome_files == ["01-amara-okafor.eml", "02-kenji-watanabe-no-address.eml"]
    assert not list((week / "drafts").glob("*outcome*"))
    md = story.checklist("2026-W51")
    assert "draft: outcome-drafts/01-amara-okafor.eml" in md
    assert "draft: outcome-drafts/02-kenji-watanabe-no-address.eml" in md
    amara = body(week / "outcome-drafts" / "01-amara-okafor.eml")
    assert message(week / "outcome-drafts" / "01-amara-okafor.eml")["To"] == (
        "Amara Okafor <amara.okafor@example.com>"
    )
    assert "Thank you for referring me to Kenji." in amara and amara.count("Thank") == 1
    rows = story.rows("2026-W51")
    outcome_row = next(
        r for key, r in rows.items() if key.startswith("outcome_report:") and "Amara" in key + r["Person"]
    )
    assert outcome_row["Draft"].startswith("File: outcome-drafts/01-amara-okafor.eml")
    assert amara.strip().endswith("Jordan Rivera") and amara.split("\n\n", 1)[1][:60] in outcome_row["Draft"]
    helpers = load_workbook(week / "outcome-report.xlsx")["Helpers"]
    header = [c.value for c in helpers[1]]
    drafts = {r[0]: r[header.index("Draft")] for r in helpers.iter_rows(min_row=2, values_only=True)}
    assert drafts == {
        "Amara Okafor": "outcome-drafts/01-amara-okafor.eml",
        "Kenji Watanabe": "outcome-drafts/02-kenji-watanabe-no-address.eml (no address)",
    }


def test_strangers_with_the_same_name(story, monkeypatch):
    """Twelve people called Zoë Ivanova: kith asks which one, and never guesses (problem 2)."""
    story.kith("run", "--as-of", "2026-12-01", code=3)
    failed = story.log("met", "Zoë Ivanova", "--date", "2026-12-01", code=2)
    lines = failed.stderr.splitlines()
    assert lines[0] == "kith: error: person 'Zoë Ivanova' matches 12 people:"
    listed = [line for line in lines if line.startswith("  Zoë Ivanova — zoe.ivanova")]
    assert len(listed) == 10 and "  … and 2 more" in lines
    assert "--email" in lines[-1] and "person id" in lines[-1]
    assert all("last contact never, id p" in line for line in listed)
    assert story.journal() == []  # nothing logged, nothing created

    said = story.log("met", "Zoë Ivanova", "--email", "zoe.ivanova7@example.com", "--date", "2026-12-01")
    assert "Logged #1: met Zoë Ivanova on 2026-12-01" in said.stdout
    # On a terminal: a numbered choice with e-mail, organization and last contact.
    monkeypatch.setattr("pipeline.cli.journal.is_interactive", lambda: True)
    asked = story.kith("log", "call", "Zoë Ivanova", "--date", "2026-12-02", input="1\n")
    assert "Which one (1-50)" not in asked.stdout and "Which one (1-12)" in asked.stdout
    chosen = asked.stdout.splitlines()[1]
    # The same order every time (name, e-mail): "1" always means the same Zoë.
    assert chosen.startswith("  1) Zoë Ivanova — zoe.ivanova10@example.com, Alpine Ski House, last contact ")
    assert "zoe.ivanova7@example.com, Adventure Works, last contact 2026-12-01" in asked.stdout

    story.kith("report", "--as-of", "2026-12-02")
    drafts = list((story.week("2026-W49") / "drafts").glob("*ivanova*thank_you-1.eml"))
    assert [message(p)["To"] for p in drafts] == ["Zoë Ivanova <zoe.ivanova7@example.com>"]


def test_a_person_created_in_the_journal_is_met_later(story):
    """Someone new is logged before any file knows them, met later by a shorter name; dedupe
    folds nothing in and keeps their id. A name that only starts a known name asks first."""
    story.kith("run", "--as-of", "2026-12-01", code=3)
    said = story.log("met", "Nadia Petrova <nadia.petrova@example.com>", "--date", "2026-12-01").stdout
    assert "person: created a new contact 'Nadia Petrova'" in said
    first = story.journal()[0]["person_id"]
    said = story.log("meeting", "Nadia", "--date", "2026-12-04").stdout
    assert "created" not in said and "Logged #2: meeting Nadia Petrova on 2026-12-04" in said
    story.kith("dedupe")
    assert {e["person_id"] for e in story.journal()} == {first}  # the same id after dedupe

    # "Bart" is not a new person: he is probably Bartholomew Quigley. Ask, don't create.
    asked = story.log("meeting", "Bart", "--date", "2026-12-09", code=2).stderr
    assert "person 'Bart' only starts the name of 1 person:" in asked
    assert "Bartholomew Quigley — bart.quigley@example.com, Quigley Career Coaching" in asked
    assert "--new" in asked
    assert "Bart\n" not in story.kith("people", "Bart").stdout.replace("Bartholomew", "")
    forced = story.log("met", "Bart", "--new", "--date", "2026-12-09").stdout
    assert "person: created a new contact 'Bart'" in forced

    story.kith("run", "--as-of", "2026-12-05")
    md = story.checklist("2026-W49")
    assert (
        "Send Nadia Petrova a thank-you and follow-up note — Nadia Petrova <nadia.petrova@example.com>" in md
    )
    assert md.count("Nadia Petrova a thank-you") == 1


def test_a_professional_who_sells_their_time(story):
    """A career coach's time is their living: 15 minutes (or a paid consultation) when asking
    for a meeting and preparing it — never in the thank-you after it (problem 3)."""
    story.kith("run", "--as-of", "2026-12-01", code=3)
    story.log("meeting", "Bartholomew Quigley", "--date", "2026-12-04")
    story.kith("report", "--as-of", "2026-12-02")
    rows = story.rows("2026-W49")
    prepare = rows["prepare:1"]
    assert prepare["Action"].endswith("(keep it under 15 minutes, or offer a paid consultation)")
    assert "P.S. I know your time is how you make your living" in prepare["Draft"]

    story.kith("report", "--as-of", "2026-12-05")
    rows = story.rows("2026-W49")
    thanks = rows["thank_you:1"]
    assert thanks["Action"] == "Send Bartholomew Quigley a thank-you and follow-up note"
    assert "15 minutes" not in thanks["Draft"] and "paid consultation" not in thanks["Draft"]
    assert thanks["Draft"].split("\n\n", 1)[1].count("Thank") == 1  # one thanks in the message


def test_a_quiet_contact_and_the_end_of_the_search(story):
    """Elizabeth has gone quiet: a check-in. Once the search is over, no draft still says
    "I am still exploring", and preparing a meeting no longer talks about referrals (problem 3)."""
    story.kith("run", "--as-of", "2026-10-01", code=3)
    story.log("email", "Elizabeth Harper", "--date", "2026-10-01")
    story.log("met", "Priya Raman", "--date", "2026-10-02")
    story.log("thank_you", "Priya Raman", "--date", "2026-10-03")
    story.log("call", "Amara Okafor", "--date", "2026-12-22")
    story.kith("run", "--as-of", "2026-11-16")
    check_in = story.rows("2026-W47")
    assert {k.split(":")[0] for k in check_in} == {"check_in"}
    assert "I am still exploring" in check_in["check_in:1"]["Draft"]

    story.kith("outcome", "accepted a job with Contoso", "--date", "2026-12-15")
    story.kith("run", "--as-of", "2026-12-16")
    rows = story.rows("2026-W51")
    # Priya helped (a conversation before the outcome): she gets the outcome report instead.
    assert any(k.startswith("outcome_report:") for k in rows)
    assert "check_in:1" in rows  # Elizabeth only e-mailed: not a helper, still a warm contact
    assert "still exploring" not in rows["check_in:1"]["Draft"]
    assert "My own news: I accepted a job with Contoso." in rows["check_in:1"]["Draft"]
    prepare = next(r for k, r in rows.items() if k.startswith("prepare:"))
    assert "referrals" not in prepare["Action"] and "tell them how your search ended" in prepare["Action"]


def test_a_do_not_contact_person_gets_nothing(story):
    """Hugo asked not to be contacted (tagged do-not-contact in Google Contacts)."""
    story.kith("run", "--as-of", "2026-12-01", code=3)
    story.log("met", "Hugo Lindqvist", "--date", "2026-12-01")
    story.log("met", "Priya Raman", "--date", "2026-12-01")
    story.kith("outcome", "accepted a job with Contoso", "--date", "2026-12-02")
    story.kith("run", "--as-of", "2026-12-03")
    md = story.checklist("2026-W49")
    assert "Priya Raman" in md and "Hugo" not in md
    assert not list(story.week("2026-W49").rglob("*hugo*"))
    assert sorted(p.name for p in (story.week("2026-W49") / "outcome-drafts").iterdir()) == [
        "01-priya-raman.eml"
    ]


def test_the_calendar_option_and_text(story):
    """All-day events only, for Google and iOS calendars; calendar text is not spreadsheet-guarded."""
    (story.ws / "kith.toml").write_text(
        CONFIG + '\n[[exporters]]\nname = "followups"\ncalendar = "event"\n', encoding="utf-8"
    )
    story.kith("run", "--as-of", "2026-12-01", code=3)
    story.log("met", "Priya Raman", "--date", "2026-12-01", "--note", "- send my CV")
    story.kith("report", "followups", "--as-of", "2026-12-01")
    cal = story.calendar("2026-W49")
    assert not cal.contents.get("vtodo")
    (event,) = cal.vevent_list
    assert event.dtstart.value.isoformat() == "2026-12-02" and event.summary.value.startswith("Send Priya")
    assert not any(line.startswith("'") for line in event.description.value.splitlines())
    assert "'" not in event.summary.value
