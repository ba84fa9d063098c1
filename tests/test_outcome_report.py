"""The outcome_report exporter: numbers, wording, the workbook (sheets, cells, charts, formats), drafts.

Most tests build people and journal frames by hand and call the pure
``build_outcome_report``; one runs the exporter through the plugin registry on a real
workspace store with a stand-in journal module.
"""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import stat
import zipfile
from dataclasses import dataclass

import polars as pl
import pytest
from openpyxl import load_workbook

from pipeline import registry
from pipeline.cli import build_app
from pipeline.journal import JOURNAL_COLUMNS
from pipeline.people import PEOPLE_COLUMNS, load_people
from pipeline.store import Store
from pipeline.testing import export_context, import_through_core
from plugins.outcome_report import wording, write_report
from plugins.outcome_report.model import Owner, build_outcome_report

app = build_app()

D = dt.date
JOURNAL_SCHEMA = JOURNAL_COLUMNS  # the frame load_journal returns


@dataclass
class Outcome:
    text: str
    date: dt.date


def people_frame(rows: list[dict]) -> pl.DataFrame:
    return pl.DataFrame([{k: r.get(k) for k in PEOPLE_COLUMNS} for r in rows], schema=PEOPLE_COLUMNS)


def journal_frame(rows: list[dict]) -> pl.DataFrame:
    full = [
        {**dict.fromkeys(JOURNAL_SCHEMA), "entry_id": i, "source": "cli", **r} for i, r in enumerate(rows, 1)
    ]
    return pl.DataFrame(full, schema=JOURNAL_SCHEMA)


PEOPLE = people_frame(
    [
        {
            "person_id": "p_maria",
            "full_name": "Maria Gonzalez",
            "given_name": "Maria",
            "family_name": "Gonzalez",
            "emails": ["maria.gonzalez@example.com"],
            "organization": "Fabrikam Inc.",
            "channel": "alumni",
        },
        {
            "person_id": "p_ken",
            "full_name": "Ken Watanabe",
            "given_name": "Ken",
            "emails": ["ken.watanabe@example.org", "ken@example.com"],
            "organization": "Contoso Ltd",
            "channel": "linkedin",
        },
        {
            "person_id": "p_robert",
            "full_name": "Robert Kowalski",
            "given_name": "Robert",
            "emails": ["robert.kowalski@example.com"],
            "organization": "Northwind Traders",
            "channel": "linkedin",
        },
        {
            "person_id": "p_aiko",
            "full_name": "Aiko Tanaka",
            "emails": ["aiko@example.org"],
            "channel": "linkedin",
        },
        {"person_id": "p_li", "full_name": "Li Wei", "given_name": "Li", "channel": "social"},
        {
            "person_id": "p_sam",
            "full_name": "Sam Patel",
            "emails": ["sam.patel@example.com"],
            "channel": "other",
        },
        {"person_id": "p_dana", "full_name": "Dana Lee", "given_name": "Dana", "channel": "alumni"},
        {"person_id": "p_alum", "full_name": "Chris Alum", "channel": "alumni"},
    ]
)
JOURNAL = journal_frame(
    [
        {
            "date": D(2026, 1, 12),
            "kind": "met",
            "person_id": "p_maria",
            "channel": "alumni",
            "note": "Alumni mixer",
        },
        {"date": D(2026, 1, 15), "kind": "call", "person_id": "p_robert"},
        {"date": D(2026, 1, 20), "kind": "referral", "person_id": "p_maria", "to_person_id": "p_ken"},
        {"date": D(2026, 1, 28), "kind": "met", "person_id": "p_li", "channel": "social"},
        {"date": D(2026, 1, 29), "kind": "note", "person_id": "p_li", "note": "likes chess"},
        {"date": D(2026, 2, 3), "kind": "meeting", "person_id": "p_ken"},
        {"date": D(2026, 2, 4), "kind": "thank_you", "person_id": "p_ken"},
        {
            "date": D(2026, 2, 10),
            "kind": "info_interview",
            "person_id": "p_aiko",
            "via_person_id": "p_robert",
        },
        {"date": D(2026, 2, 12), "kind": "referral", "person_id": "p_ken", "to_person_id": "p_dana"},
        {"date": D(2026, 2, 17), "kind": "meeting", "person_id": "p_sam"},
        {"date": D(2026, 3, 5), "kind": "outcome_report", "person_id": "p_maria"},
    ]
)
OUTCOME = Outcome("accepted a job with Contoso", D(2026, 3, 2))
AS_OF = D(2026, 3, 9)
OWNER = Owner("Jordan Rivera", "jordan.rivera@example.com")


@pytest.fixture(scope="module")
def report():
    return build_outcome_report(PEOPLE, JOURNAL, OUTCOME, AS_OF, OWNER)


def test_summary_counts_chain_and_sentence(report):
    s = report.summary
    assert (s.people_talked_to, s.conversations, s.meetings, s.info_interviews) == (6, 6, 2, 1)
    assert s.referrals == 3  # Maria→Ken, Ken→Dana (referral entries) and Robert→Aiko (introduction)
    assert s.helpers == 6 and s.reports_sent == 1
    assert s.started == D(2026, 1, 12) and s.last_conversation == D(2026, 2, 17)
    assert s.organization == "Contoso"  # matched through Ken's "Contoso Ltd"
    assert s.outcome_chain == "Maria Gonzalez → Ken Watanabe → Contoso"
    assert s.outcome_channel == "alumni"
    assert s.sentence == "After talking to six people, I decided to accept a job with Contoso."
    assert not report.is_progress


def test_helpers_say_how_each_helped(report):
    by_name = {h.name: h for h in report.helpers}
    assert [h.name for h in report.helpers][:2] == ["Maria Gonzalez", "Robert Kowalski"]  # by first contact
    assert "Dana Lee" not in by_name and "Chris Alum" not in by_name  # referred to / never contacted
    maria = by_name["Maria Gonzalez"]
    assert maria.referred_to == ["Ken Watanabe"] and maria.report_sent and maria.in_outcome_chain
    assert maria.how_met == "Alumni mixer" and maria.channel == "alumni"
    assert maria.thanks == (
        "Thank you for taking the time to talk with me in January, and for referring me "
        "to Ken. That introduction is what led me to Contoso."
    )
    robert = by_name["Robert Kowalski"]
    assert robert.thanks.endswith("for referring me to Aiko. Talking with Aiko was very helpful.")
    ken = by_name["Ken Watanabe"]
    assert ken.introduced_by == ["Maria Gonzalez"] and ken.email == "ken.watanabe@example.org"
    assert ken.last_contact == D(2026, 2, 12) and ken.meetings == 1
    assert ken.thanks == (
        "Thank you for taking the time to meet with me in February, and for referring me to Dana; "
        "that conversation is what led me to Contoso."
    )
    aiko = by_name["Aiko Tanaka"]
    assert aiko.thanks.startswith("Thank you for the informational interview in February.")
    li = by_name["Li Wei"]
    assert li.last_contact == D(2026, 1, 28)  # a private note is not contact
    assert li.email is None and li.how_met == "Met"


def test_referral_chains_sheet_rows(report):
    texts = [(c.text, c.leads_to_outcome, c.channel) for c in report.chains]
    assert texts == [
        ("Maria Gonzalez → Ken Watanabe → Contoso", True, "alumni"),
        ("Maria Gonzalez → Ken Watanabe → Dana Lee", False, "alumni"),
        ("Robert Kowalski → Aiko Tanaka", False, "linkedin"),
    ]


def test_channels_and_weeks(report):
    rows = {c.channel: c for c in report.channels}
    assert list(rows) == ["alumni", "meeting", "social", "linkedin", "other"]
    assert (rows["alumni"].contacts, rows["alumni"].talked_to, rows["alumni"].referrals) == (3, 1, 1)
    assert rows["alumni"].started_outcome_chain and not rows["linkedin"].started_outcome_chain
    assert (rows["linkedin"].contacts, rows["linkedin"].conversations, rows["linkedin"].referrals) == (
        3,
        3,
        2,
    )
    weeks = [(w.week, w.conversations, w.referrals) for w in report.weeks]
    assert weeks[0] == ("2026-W03", 2, 0) and weeks[1] == ("2026-W04", 0, 1)
    assert weeks[-1][0] == "2026-W10"  # runs to the outcome's week, quiet weeks included
    assert len(weeks) == 8 and sum(w[1] for w in weeks) == 6


def test_referral_reading_via_form_and_cycles():
    people = people_frame(
        [
            {"person_id": "p_a", "full_name": "Ana Silva", "organization": "Tailspin Toys"},
            {"person_id": "p_b", "full_name": "Ben Okafor"},
            {"person_id": "p_c", "full_name": "Cara Novak"},
        ]
    )
    journal = journal_frame(
        [
            {"date": D(2026, 1, 5), "kind": "met", "person_id": "p_b"},
            # "referred to Ana via Ben": no to_person_id, so the via person is the referrer.
            {"date": D(2026, 1, 6), "kind": "referral", "person_id": "p_a", "via_person_id": "p_b"},
            {"date": D(2026, 1, 7), "kind": "referral", "person_id": "p_a", "to_person_id": "p_c"},
            {"date": D(2026, 1, 8), "kind": "referral", "person_id": "p_c", "to_person_id": "p_a"},  # a cycle
            {"date": D(2026, 1, 9), "kind": "meeting", "person_id": "p_a"},
        ]
    )
    report = build_outcome_report(people, journal, Outcome("Joined Tailspin Toys", D(2026, 2, 1)), AS_OF)
    assert report.summary.outcome_chain == "Ben Okafor → Ana Silva → Tailspin Toys"
    assert report.summary.sentence == "After talking to three people, I joined Tailspin Toys."
    assert [c.text for c in report.chains] == [
        "Ben Okafor → Ana Silva → Tailspin Toys",
        "Ben Okafor → Ana Silva → Cara Novak",
    ]


def test_wording_helpers():
    assert [wording.number_word(n) for n in (0, 1, 6, 10, 11)] == ["zero", "one", "six", "ten", "11"]
    assert wording.people_phrase(1) == "one person" and wording.people_phrase(12) == "12 people"
    assert wording.join_names(["Ken", "Aiko", "Li"]) == "Ken, Aiko and Li"
    assert (
        wording.outcome_clause("Accepted an offer from Contoso.")
        == "I decided to accept an offer from Contoso"
    )
    assert wording.outcome_clause("I am starting at Contoso") == "I am starting at Contoso"
    assert wording.outcome_clause("Contoso offer") == "here is where I landed: Contoso offer"
    assert wording.closing_sentence(0, "took a role at Fabrikam") == "I took a role at Fabrikam."
    assert wording.find_organization("accepted a job with contoso!", "Contoso, Ltd.") == "contoso"
    assert wording.find_organization("a job at Contosomatic", "Contoso Ltd") is None
    assert wording.find_organization("a job with Plan A", "Plan A") == "Plan A"  # "A" is not a legal form
    assert wording.organization_from_text("accepted a job with Contoso as a data analyst") == "Contoso"


def test_no_matching_person_still_names_the_organization():
    report = build_outcome_report(
        PEOPLE, JOURNAL, Outcome("accepted a job with Litware", D(2026, 3, 1)), AS_OF
    )
    assert report.summary.organization == "Litware" and report.summary.outcome_chain is None
    assert all(not c.leads_to_outcome for c in report.chains)
    assert report.summary.sentence == "After talking to six people, I decided to accept a job with Litware."


def _cells(ws) -> dict[str, object]:
    return {row[0].value: row[1] for row in ws.iter_rows(min_row=3) if row[0].value}


def test_workbook_sheets_cells_formats_and_charts(report, tmp_path):
    written = write_report(report, tmp_path)
    book = tmp_path / "outcome-report.xlsx"
    assert written[0] == book and len(written) == 7  # workbook + a draft for each of the six helpers
    assert stat.S_IMODE(book.stat().st_mode) == 0o600
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temporary files left
    wb = load_workbook(book)
    assert wb.sheetnames == ["Summary", "Helpers", "Referral chains", "Channels", "Activity"]

    summary = _cells(wb["Summary"])
    assert wb["Summary"]["A1"].value == "Outcome report"
    assert summary["Outcome"].value == "accepted a job with Contoso"
    assert summary["Outcome date"].value == dt.datetime(2026, 3, 2)
    assert summary["Outcome date"].number_format == "yyyy-mm-dd"
    assert summary["People talked to"].value == 6 and summary["Referrals"].value == 3
    assert summary["Outcome reports sent"].value == "1 of 6"
    assert summary["Chain to the outcome"].value == "Maria Gonzalez → Ken Watanabe → Contoso"
    assert (
        summary["Ready to paste"].value
        == "After talking to six people, I decided to accept a job with Contoso."
    )

    helpers = wb["Helpers"]
    header = [c.value for c in helpers[1]]
    assert header[:4] == ["Name", "Email", "Organization", "Channel"] and "Message" in header
    assert helpers.freeze_panes == "A2" and helpers.auto_filter.ref == "A1:O7"
    assert helpers["A1"].font.b
    maria = {header[i]: c for i, c in enumerate(helpers[2])}
    assert maria["Name"].value == "Maria Gonzalez" and maria["Report sent"].value == "yes"
    assert maria["First contact"].number_format == "yyyy-mm-dd"
    assert maria["Message"].value.startswith("Thank you for taking the time to talk with me in January")
    assert maria["Message"].alignment.wrap_text
    assert maria["Draft"].value == "outcome-drafts/01-maria-gonzalez.eml"
    li = next(r for r in helpers.iter_rows(min_row=2) if r[0].value == "Li Wei")
    number = [r[0].value for r in helpers.iter_rows(min_row=2)].index("Li Wei") + 1
    assert (
        li[header.index("Draft")].value == f"outcome-drafts/{number:02d}-li-wei-no-address.eml (no address)"
    )
    no_address = email.message_from_bytes(
        (tmp_path / "outcome-drafts" / f"{number:02d}-li-wei-no-address.eml").read_bytes(),
        policy=email.policy.default,
    )
    assert no_address["To"] is None and "Hi Li," in no_address.get_content()
    # One numbering: 01..06, no gap where a helper has no address.
    numbers = sorted(p.name[:2] for p in (tmp_path / "outcome-drafts").iterdir())
    assert numbers == ["01", "02", "03", "04", "05", "06"]
    assert helpers.column_dimensions["A"].width >= len("Robert Kowalski")

    chains = wb["Referral chains"]
    assert chains["A2"].value == "Maria Gonzalez → Ken Watanabe → Contoso" and chains["F2"].value == "yes"

    channels = wb["Channels"]
    assert [c.value for c in channels[1]][:4] == ["Channel", "Contacts", "Talked to", "Reached"]
    assert channels["A2"].value == "alumni" and channels["D2"].number_format == "0%"
    assert channels["D2"].value == pytest.approx(1 / 3) and channels["G2"].value == "yes"

    activity = wb["Activity"]
    assert activity["A2"].value == "2026-W03" and activity["B2"].value == dt.datetime(2026, 1, 12)
    assert activity["B2"].number_format == "yyyy-mm-dd" and activity["C2"].value == 2

    with zipfile.ZipFile(book) as z:
        charts = sorted(n for n in z.namelist() if n.startswith("xl/charts/chart"))
        assert charts == ["xl/charts/chart1.xml", "xl/charts/chart2.xml"]
        chart_xml = z.read("xl/charts/chart1.xml").decode()
        assert "<barChart>" in chart_xml and "'Channels'!$C$2:$C$6" in chart_xml
        assert '<delete val="0" />' in chart_xml  # axes shown
        assert "'Activity'!$C$2:$C$9" in z.read("xl/charts/chart2.xml").decode()


def test_drafts_are_real_messages(report, tmp_path):
    write_report(report, tmp_path)
    drafts = sorted((tmp_path / "outcome-drafts").iterdir())
    assert [p.name for p in drafts] == [
        "01-maria-gonzalez.eml",
        "02-robert-kowalski.eml",
        "03-li-wei-no-address.eml",
        "04-ken-watanabe.eml",
        "05-aiko-tanaka.eml",
        "06-sam-patel.eml",
    ]
    message = email.message_from_bytes(drafts[0].read_bytes(), policy=email.policy.default)
    assert message["To"] == "Maria Gonzalez <maria.gonzalez@example.com>"
    assert message["From"] == "Jordan Rivera <jordan.rivera@example.com>"
    assert message["Subject"] == "How my search turned out: Contoso" and message["X-Unsent"] == "1"
    body = message.get_content().replace("\r\n", "\n")  # .eml files use CRLF (RFC 5322)
    assert body.startswith("Hi Maria,\n\nI wanted to let you know how my search turned out.")
    assert "After talking to six people, I decided to accept a job with Contoso." in body
    assert "and for referring me to Ken. That introduction is what led me to Contoso." in body
    assert body.endswith("Best,\nJordan Rivera\n")
    assert stat.S_IMODE(drafts[0].stat().st_mode) == 0o600


def test_workspace_templates_override_the_wording(report, tmp_path):
    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "outcome_message.txt").write_text("Dear {{ first_name }}: {{ thanks }}\n", encoding="utf-8")
    write_report(report, tmp_path / "out", template_dirs=[templates])
    message = email.message_from_bytes(
        (tmp_path / "out" / "outcome-drafts" / "04-ken-watanabe.eml").read_bytes(),
        policy=email.policy.default,
    )
    assert message.get_content().startswith("Dear Ken: Thank you for taking the time to meet with me")
    assert message["Subject"] == "How my search turned out: Contoso"  # built-in subject still used


def test_progress_report_without_an_outcome(tmp_path):
    report = build_outcome_report(PEOPLE, JOURNAL, None, D(2026, 2, 14), OWNER)
    assert report.is_progress and report.summary.sentence is None
    # Entries after "as of" are not counted: Sam's meeting (Feb 17) and the outcome report.
    assert report.summary.people_talked_to == 5 and report.summary.reports_sent == 0
    maria = next(h for h in report.helpers if h.name == "Maria Gonzalez")
    assert maria.thanks.endswith("and for referring me to Ken. Talking with Ken was very helpful.")
    assert report.weeks[-1].week == "2026-W07"  # up to the as-of week
    written = write_report(report, tmp_path)
    assert written == [tmp_path / "outcome-report.xlsx"] and not (tmp_path / "outcome-drafts").exists()
    wb = load_workbook(written[0])
    assert wb["Summary"]["A1"].value == "Progress report (no outcome yet)"
    summary = _cells(wb["Summary"])
    assert "Ready to paste" not in summary and summary["People talked to"].value == 5
    assert summary["Outcome"].value == "No outcome yet: this is a progress report"
    assert wb.sheetnames == ["Summary", "Helpers", "Referral chains", "Channels", "Activity"]


def test_an_outcome_dated_after_as_of_is_not_yet_an_outcome():
    report = build_outcome_report(PEOPLE, JOURNAL, OUTCOME, D(2026, 2, 28))
    assert report.is_progress and report.summary.outcome_chain is None


def test_empty_journal_still_writes_a_workbook(tmp_path):
    report = build_outcome_report(PEOPLE, journal_frame([]), None, AS_OF)
    path = write_report(report, tmp_path)[0]
    wb = load_workbook(path)
    assert wb["Helpers"].max_row == 1 and wb["Activity"].max_row == 1
    assert wb["Channels"]["B2"].value == 3  # three alumni contacts, none reached yet
    with zipfile.ZipFile(path) as z:
        assert "xl/charts/chart1.xml" in z.namelist()  # channels chart; no activity chart without weeks
        assert "xl/charts/chart2.xml" not in z.namelist()


def test_exporter_through_registry_on_a_real_store(workspace, pm, samples, tmp_path, monkeypatch):
    (workspace.root / "Connections.csv").write_bytes((samples / "linkedin" / "Connections.csv").read_bytes())
    import_through_core(workspace, "Connections.csv")
    with Store(workspace.store_path) as store:
        people = load_people(store)
    ids = {r["full_name"]: r["person_id"] for r in people.iter_rows(named=True)}
    journal = journal_frame(
        [
            {"date": D(2026, 1, 13), "kind": "met", "person_id": ids["Maria Gonzalez"], "channel": "alumni"},
            {
                "date": D(2026, 1, 20),
                "kind": "referral",
                "person_id": ids["Maria Gonzalez"],
                "to_person_id": ids["Ken Watanabe"],
            },
            {"date": D(2026, 2, 5), "kind": "meeting", "person_id": ids["Ken Watanabe"]},
        ]
    )

    class Finished:
        """A run's finished data with this journal and outcome (the exporter reads nothing else)."""

        tasks: list = []

        def __init__(self) -> None:
            self.people, self.journal = people, journal
            self.outcome = Outcome("Accepted a job with Contoso", D(2026, 3, 1))

        def people_columns(self, columns):
            return self.people.select("person_id", *columns)

        def review_pairs(self, limit):
            return []

    exporter = registry.exporters(pm)["outcome_report"]
    assert registry.owner_of(pm, "exporter", "outcome_report") == "outcome_report"
    out = tmp_path / "reports"
    with Store(workspace.store_path) as store:
        context = export_context(store, out, D(2026, 3, 9), workspace=workspace, pm=pm)
        context.data = Finished()
        written = exporter.write(context)
    assert written == [
        out / "outcome-report.xlsx",
        out / "outcome-drafts" / "01-maria-gonzalez.eml",
        out / "outcome-drafts" / "02-ken-watanabe-no-address.eml",
    ]
    summary = _cells(load_workbook(written[0])["Summary"])
    assert (
        summary["Ready to paste"].value
        == "After talking to two people, I decided to accept a job with Contoso."
    )
    assert summary["Chain to the outcome"].value == "Maria Gonzalez → Ken Watanabe → Contoso"


def test_exporter_rejects_bad_options(workspace, pm, tmp_path):
    from pipeline.errors import ConfigError

    exporter = registry.exporters(pm)["outcome_report"]
    with Store(workspace.store_path) as store:
        context = export_context(store, tmp_path, AS_OF, options={"filename": "../x.xlsx"}, pm=pm)
        with pytest.raises(ConfigError, match="plain .xlsx file name"):
            exporter.write(context)


def test_end_to_end_through_the_cli_with_the_real_journal(runner, tmp_path, samples):
    ws = tmp_path / "ws"
    assert runner.invoke(app, ["init", str(ws)]).exit_code == 0
    (ws / "kith.toml").write_text(
        '[workspace]\nowner_name = "Jordan Rivera"\nowner_email = "jordan.rivera@example.com"\n',
        encoding="utf-8",
    )
    w = ["-w", str(ws)]
    assert runner.invoke(app, [*w, "import", str(samples / "linkedin" / "Connections.csv")]).exit_code == 0
    for args in (
        [
            "log",
            "met",
            "Maria Gonzalez",
            "--channel",
            "alumni",
            "--date",
            "2026-01-13",
            "--note",
            "Alumni mixer",
        ],
        ["log", "referral", "Ken Watanabe", "--via", "Maria Gonzalez", "--date", "2026-01-20"],
        ["log", "meeting", "Ken Watanabe", "--date", "2026-02-05"],
        ["log", "call", "Robert Kowalski", "--date", "2026-02-09"],
        ["outcome", "accepted a job with Contoso", "--date", "2026-03-01"],
    ):
        result = runner.invoke(app, [*w, *args])
        assert result.exit_code == 0, result.output
    out = tmp_path / "week"
    result = runner.invoke(
        app, [*w, "report", "outcome_report", "--as-of", "2026-03-09", "--out", str(out), "--json"]
    )
    assert result.exit_code == 0, result.output
    wb = load_workbook(out / "outcome-report.xlsx")
    summary = _cells(wb["Summary"])
    assert (
        summary["Ready to paste"].value
        == "After talking to three people, I decided to accept a job with Contoso."
    )
    assert summary["Chain to the outcome"].value == "Maria Gonzalez → Ken Watanabe → Contoso"
    assert summary["Channel that led to the outcome"].value == "alumni"
    maria = next(r for r in wb["Helpers"].iter_rows(min_row=2, values_only=True) if r[0] == "Maria Gonzalez")
    assert maria[5] == "Alumni mixer" and maria[13].endswith("That introduction is what led me to Contoso.")
    draft = email.message_from_bytes(
        (out / "outcome-drafts" / "01-maria-gonzalez.eml").read_bytes(), policy=email.policy.default
    )
    assert draft["To"] == "Maria Gonzalez <maria.gonzalez@example.com>"
    assert draft["From"] == "Jordan Rivera <jordan.rivera@example.com>"

    # Logging the outcome report to Maria shows up as "report sent".
    assert (
        runner.invoke(app, [*w, "log", "outcome_report", "Maria Gonzalez", "--date", "2026-03-10"]).exit_code
        == 0
    )
    again = runner.invoke(app, [*w, "report", "outcome_report", "--as-of", "2026-03-10", "--out", str(out)])
    assert again.exit_code == 0, again.output
    assert (
        _cells(load_workbook(out / "outcome-report.xlsx")["Summary"])["Outcome reports sent"].value
        == "1 of 3"
    )
