"""outcome-report.xlsx from an :class:`OutcomeReport`: five sheets and two native Excel charts.

Sheets: Summary · Helpers · Referral chains · Channels (with a bar chart) · Activity
(conversations per ISO week, with a chart). Every cell goes through :mod:`pipeline.xlsx`,
so names a contact chose (``=HYPERLINK(…)``) are stored as plain text, never formulas.
"""

from __future__ import annotations

from pathlib import Path

from pipeline import xlsx
from plugins.outcome_report.model import OutcomeReport

HELPER_HEADER = [
    "Name",
    "Email",
    "Organization",
    "Channel",
    "First contact",
    "How you met",
    "Introduced by",
    "Referred you to",
    "Conversations",
    "Meetings",
    "Last contact",
    "In chain to outcome",
    "Report sent",
    "Message",
    "Draft",
]
CHAIN_HEADER = ["Chain", "People", "Started with", "Channel", "First contact", "Led to the outcome"]
CHANNEL_HEADER = [
    "Channel",
    "Contacts",
    "Talked to",
    "Reached",
    "Conversations",
    "Referrals",
    "Chain to outcome started here",
]
WEEK_HEADER = ["Week", "Week of", "Conversations", "Meetings", "Informational interviews", "Referrals"]
PERCENT = "0%"


def _yes(flag: bool) -> str:
    return "yes" if flag else "no"


def _summary(wb, report: OutcomeReport) -> None:
    from openpyxl.styles import Alignment, Font

    s = report.summary
    ws = wb.create_sheet("Summary")
    xlsx.print_setup(ws, title_rows=None)
    xlsx.set_widths(ws, [34, 90])
    title = "Outcome report" if not report.is_progress else "Progress report (no outcome yet)"
    ws.append([xlsx.styled_cell(ws, title, font=Font(bold=True, size=14))])
    ws.append([])
    rows: list[tuple[str, object]] = [
        ("Outcome", s.outcome if s.outcome else "No outcome yet: this is a progress report"),
        ("Outcome date", s.outcome_date),
        ("Organization", s.organization),
        ("Report as of", s.as_of),
        ("Search started", s.started),
        ("Last conversation", s.last_conversation),
        ("People talked to", s.people_talked_to),
        ("Conversations", s.conversations),
        ("Meetings", s.meetings),
        ("Informational interviews", s.info_interviews),
        ("Referrals", s.referrals),
        ("Helpers", s.helpers),
        ("Outcome reports sent", f"{s.reports_sent} of {s.helpers}"),
        ("Chain to the outcome", s.outcome_chain),
        ("Channel that led to the outcome", s.outcome_channel),
    ]
    if s.sentence:
        rows.append(("Ready to paste", s.sentence))
    bold = Font(bold=True)
    wrap = Alignment(wrap_text=True, vertical="top")
    for label, value in rows:
        ws.append([xlsx.styled_cell(ws, label, font=bold), _value_cell(ws, value, wrap)])


def _value_cell(ws, value, wrap):
    import datetime as dt

    if value is None:
        return None
    if isinstance(value, dt.date):
        return xlsx.date_or_safe(ws, value)
    if isinstance(value, str):
        return xlsx.styled_cell(ws, value, alignment=wrap)
    return value


def _helpers(wb, report: OutcomeReport) -> None:
    rows = [
        [
            h.name,
            h.email,
            h.organization,
            h.channel,
            h.first_contact,
            h.how_met,
            "; ".join(h.introduced_by) or None,
            "; ".join(h.referred_to) or None,
            h.conversations,
            h.meetings,
            h.last_contact,
            _yes(h.in_outcome_chain),
            _yes(h.report_sent),
            h.thanks,
            h.draft,
        ]
        for h in report.helpers
    ]
    widths = xlsx.fit_widths(HELPER_HEADER, rows)
    widths[13] = min(widths[13], 70)  # the message wraps
    xlsx.write_table(wb, "Helpers", HELPER_HEADER, rows, widths=widths, wrap=[13])


def _chains(wb, report: OutcomeReport) -> None:
    rows = [
        [c.text, len(c.names), c.started_with, c.channel, c.first_date, _yes(c.leads_to_outcome)]
        for c in report.chains
    ]
    xlsx.write_table(wb, "Referral chains", CHAIN_HEADER, rows)


def _show_axes(chart) -> None:
    # openpyxl 3.1 leaves <c:delete> out, and current Excel then hides both axes.
    chart.x_axis.delete = False
    chart.y_axis.delete = False


def _channels(wb, report: OutcomeReport) -> None:
    from openpyxl.chart import BarChart, Reference

    rows = [
        [
            c.channel,
            c.contacts,
            c.talked_to,
            (c.talked_to / c.contacts) if c.contacts else None,
            c.conversations,
            c.referrals,
            _yes(c.started_outcome_chain),
        ]
        for c in report.channels
    ]
    ws = xlsx.write_table(wb, "Channels", CHANNEL_HEADER, rows, formats={3: PERCENT})
    if rows:
        chart = BarChart()
        chart.type = "col"
        chart.title = "Which channels paid off"
        chart.y_axis.title = "Count"
        chart.height, chart.width = 8, 16
        _show_axes(chart)
        end = len(rows) + 1
        for col in (3, 5, 6):  # talked to, conversations, referrals (contacts would dwarf them)
            chart.add_data(Reference(ws, min_col=col, min_row=1, max_row=end), titles_from_data=True)
        chart.set_categories(Reference(ws, min_col=1, min_row=2, max_row=end))
        ws.add_chart(chart, "I2")
        xlsx.print_with_chart(ws, len(CHANNEL_HEADER), end, 9, chart.width, chart.height)


def _activity(wb, report: OutcomeReport) -> None:
    from openpyxl.chart import BarChart, Reference

    rows = [
        [w.week, w.week_start, w.conversations, w.meetings, w.info_interviews, w.referrals]
        for w in report.weeks
    ]
    ws = xlsx.write_table(wb, "Activity", WEEK_HEADER, rows)
    if rows:
        chart = BarChart()
        chart.type = "col"
        chart.title = "Conversations per week"
        chart.y_axis.title = "Conversations"
        chart.height, chart.width = 8, 18
        _show_axes(chart)
        end = len(rows) + 1
        chart.add_data(Reference(ws, min_col=3, min_row=1, max_row=end), titles_from_data=True)
        chart.add_data(Reference(ws, min_col=6, min_row=1, max_row=end), titles_from_data=True)
        chart.set_categories(Reference(ws, min_col=1, min_row=2, max_row=end))
        ws.add_chart(chart, "H2")
        xlsx.print_with_chart(ws, len(WEEK_HEADER), end, 8, chart.width, chart.height)


def write_workbook(report: OutcomeReport, path: Path) -> Path:
    """Write the report to ``path`` atomically; return it."""
    wb = xlsx.new_workbook()
    _summary(wb, report)
    _helpers(wb, report)
    _chains(wb, report)
    _channels(wb, report)
    _activity(wb, report)
    return xlsx.save_workbook(wb, path)
