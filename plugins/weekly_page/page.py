"""What the weekly page shows, gathered from the export context, and its rendering.

:func:`page_model` turns the run's finished data into plain values (no markup);
:func:`render_page` fills ``templates/page.html.j2`` through a sandboxed, autoescaping jinja2
environment. The charts are drawn here as numbers (bar positions and sizes) the template turns
into inline SVG, each with a title, a description and a table of the same numbers.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import quote

from jinja2 import FileSystemLoader, StrictUndefined, select_autoescape
from jinja2.sandbox import SandboxedEnvironment

from pipeline.contracts import ExportContext, Task
from plugins.followups.text import draft_path
from plugins.outcome_report.model import PEOPLE_USED, Owner, build_outcome_report

TEMPLATES = Path(__file__).with_name("templates")
#: the weeks chart shows at most this many recent weeks (a year of the search fits)
CHART_WEEKS = 52


@dataclass(frozen=True)
class Bar:
    label: str
    value: int
    x: float
    y: float
    width: float
    height: float


@dataclass(frozen=True)
class Chart:
    """A bar chart as the template draws it: ``bars`` in a ``width`` × ``height`` box."""

    id: str
    title: str
    description: str
    unit: str
    bars: list[Bar]
    width: int
    height: int
    horizontal: bool = False
    note: str | None = None


@dataclass(frozen=True)
class TaskView:
    key: str
    action: str
    person: str
    email: str | None
    why: str
    overdue: bool
    overdue_after: dt.date
    mailto: str
    eml: str
    notes: list[str]


@dataclass(frozen=True)
class Day:
    date: dt.date
    label: str
    overdue: int
    tasks: list[TaskView]


@dataclass
class PageModel:
    week: str
    as_of: dt.date
    owner: str | None
    days: list[Day]
    open_tasks: int
    overdue_tasks: int
    report: Any
    helpers: list[dict[str, Any]]
    charts: list[Chart]
    inputs: list[dict[str, Any]]
    rejects: list[dict[str, str]]
    people: int | None
    review: int | None
    files: list[dict[str, str]] = field(default_factory=list)


def mailto(email: str | None, subject: str, body: str) -> str:
    """A ``mailto:`` URI (RFC 6068) with subject and body filled; line breaks as CRLF."""
    to = quote(email or "", safe="@")
    crlf = body.replace("\r\n", "\n").replace("\n", "\r\n")
    return f"mailto:{to}?subject={quote(subject, safe='')}&body={quote(crlf, safe='')}"


def file_href(relative: str) -> str:
    """A relative link to a file of the folder, every path part percent-encoded."""
    return "/".join(quote(part, safe="") for part in PurePosixPath(relative).parts)


def task_view(task: Task) -> TaskView:
    return TaskView(
        key=task.key,
        action=task.action,
        person=task.person_name,
        email=task.email,
        why=task.why.text,
        overdue=task.overdue,
        overdue_after=task.overdue_after,
        mailto=mailto(task.email, task.draft.subject, task.draft.body),
        eml=draft_path(task),
        notes=list(task.notes),
    )


def checklist(tasks: list[Task], as_of: dt.date) -> list[Day]:
    """Open tasks grouped by due day, in date order."""
    days: dict[dt.date, list[TaskView]] = {}
    for task in sorted((t for t in tasks if not t.done), key=lambda t: (t.due, t.key)):
        days.setdefault(task.due, []).append(task_view(task))
    out = []
    for day, views in days.items():
        when = "today" if day == as_of else ("past" if day < as_of else "")
        label = f"{day:%A} {day.isoformat()}" + (f" ({when})" if when else "")
        out.append(Day(day, label, sum(v.overdue for v in views), views))
    return out


def how_helped(helper: Any) -> str:
    """One line: conversations, who they introduced you to, who introduced them."""
    parts = []
    if helper.conversations:
        parts.append(f"{helper.conversations} conversation{'s' * (helper.conversations != 1)}")
    if helper.referred_to:
        parts.append("introduced you to " + ", ".join(helper.referred_to))
    if helper.introduced_by:
        parts.append("met through " + ", ".join(helper.introduced_by))
    if helper.in_outcome_chain:
        parts.append("on the way to the outcome")
    return "; ".join(parts) or (helper.how_met or "")


def bar_chart(
    chart_id: str, title: str, description: str, unit: str, points: list[tuple[str, int]], horizontal: bool
) -> Chart:
    """Bars scaled to the largest value; horizontal charts get one row per label."""
    top = max((v for _, v in points), default=0) or 1
    if horizontal:
        width, row = 640, 28
        height = max(row * len(points) + 8, 40)
        left, span = 170, width - 170 - 48
        bars = [
            Bar(label, value, left, 4 + i * row, span * value / top, row - 8)
            for i, (label, value) in enumerate(points)
        ]
        return Chart(chart_id, title, description, unit, bars, width, height, horizontal=True)
    width, height, bottom, top_pad = 640, 220, 40, 20
    step = (width - 40) / max(len(points), 1)
    usable = height - bottom - top_pad
    bars = []
    for i, (label, value) in enumerate(points):
        h = usable * value / top
        bars.append(Bar(label, value, 30 + i * step + step * 0.15, height - bottom - h, step * 0.7, h))
    return Chart(chart_id, title, description, unit, bars, width, height)


def charts(report: Any) -> list[Chart]:
    weeks = report.weeks[-CHART_WEEKS:]
    week_points = [(w.week, w.conversations) for w in weeks]
    week_chart = bar_chart(
        "chart-weeks",
        "Conversations per week",
        f"Bar chart of conversations per ISO week, {weeks[0].week} to {weeks[-1].week}."
        if weeks
        else "No conversations logged yet.",
        "conversations",
        week_points,
        horizontal=False,
    )
    if len(report.weeks) > CHART_WEEKS:
        week_chart = Chart(**{**week_chart.__dict__, "note": f"The last {CHART_WEEKS} weeks."})
    channel_points = [(c.channel, c.conversations) for c in report.channels]
    channel_chart = bar_chart(
        "chart-channels",
        "Conversations per channel",
        "Horizontal bar chart of conversations by the channel through which you first met each person.",
        "conversations",
        channel_points,
        horizontal=True,
    )
    return [week_chart, channel_chart]


def run_inputs(context: ExportContext) -> tuple[list[dict[str, Any]], list[dict[str, str]]]:
    inputs, rejects = [], []
    for item in context.facts.inputs if context.facts else ():
        path = str(item.get("path", ""))
        inputs.append(
            {
                "path": path,
                "importer": item.get("importer") or "",
                "status": item.get("status") or "",
                "records": item.get("records"),
                "rejects": len(item.get("rejects") or ()),
                "error": item.get("error"),
            }
        )
        for reject in item.get("rejects") or ():
            rejects.append({"file": path, "place": reject.get("ref", ""), "reason": reject.get("reason", "")})
    return inputs, rejects


def page_model(context: ExportContext, filename: str) -> PageModel:
    owner = Owner(context.owner.name, context.owner.email)
    people = context.people_columns(PEOPLE_USED)
    report = build_outcome_report(people, context.journal, context.outcome, context.as_of, owner)
    helpers = [
        {
            "name": h.name,
            "organization": h.organization or "",
            "how": how_helped(h),
            "chain": h.in_outcome_chain,
        }
        for h in report.helpers
    ]
    days = checklist(context.tasks, context.as_of)
    inputs, rejects = run_inputs(context)
    files = sorted(f for f in dict.fromkeys(context.files) if f != filename)
    return PageModel(
        week=context.week,
        as_of=context.as_of,
        owner=context.owner.name,
        days=days,
        open_tasks=sum(len(d.tasks) for d in days),
        overdue_tasks=sum(d.overdue for d in days),
        report=report,
        helpers=helpers,
        charts=charts(report),
        inputs=inputs,
        rejects=rejects,
        people=context.facts.people if context.facts else None,
        review=context.facts.review if context.facts else None,
        files=[{"name": f, "href": file_href(f)} for f in files],
    )


def environment() -> SandboxedEnvironment:
    env = SandboxedEnvironment(
        loader=FileSystemLoader(str(TEMPLATES)),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["num"] = lambda v: "" if v is None else f"{v:,}"
    env.filters["r"] = lambda v: f"{v:.1f}"
    return env


def render_page(context: ExportContext, filename: str = "index.html") -> str:
    model = page_model(context, filename)
    return environment().get_template("page.html.j2").render(page=model)
