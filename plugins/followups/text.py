"""``followups.md`` (a ``- [ ]`` checklist by due day), ``followups.ics`` (a to-do and/or an
all-day event per task) and ``drafts/*.eml`` (one ready-to-send message per task).

Everything that comes from people's data is made inert on the way out: formula-looking
text is neutralised in what a spreadsheet or Markdown viewer may read
(:func:`pipeline.safety.neutralise_formula`), one-line fields (email headers, calendar
summaries, Markdown lines) go through :func:`pipeline.safety.single_line` so a name with CR/LF
can't add a header, and Markdown's own syntax is escaped. Calendar text is not a spreadsheet:
it keeps the words as written (no ``'`` before "- send my CV"), one line where one is due.

The calendar (option ``calendar`` of the exporter: ``todo``, ``event`` or ``both``, the
default) keeps ticked tasks as ``STATUS:COMPLETED`` to-dos (events: "Done: …"), so they do
not vanish from a subscribed calendar; Google Calendar and iOS Calendar show only events,
task apps only to-dos. UIDs carry the workspace's id, so two workspaces never clash.
"""

from __future__ import annotations

import datetime as dt
import re
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from pathlib import Path

from pipeline.contracts import Task
from pipeline.fileio import atomic_write, slug
from pipeline.safety import neutralise_formula, single_line

# What Markdown would turn into markup inside a line: emphasis, code, links, HTML (an
# underscore only at a word edge, so "thank_you" stays readable).
_MD_SPECIAL = re.compile(r"[\\`*\[\]<>]|(?<!\w)_|_(?!\w)")
_EMAIL_OK = re.compile(r"^[^@\s<>\"]+@[^@\s<>\"]+\.[^@\s<>\"]+$")


def inert(text: str) -> str:
    return str(neutralise_formula(single_line(text)))


def md(text: str) -> str:
    return _MD_SPECIAL.sub(lambda m: "\\" + m.group(0), inert(text))


def draft_path(task: Task) -> str:
    """Where a task's draft is, relative to the week's folder: the file of the exporter that owns the
    message (``Task.draft_file``, e.g. the outcome report's), else ``drafts/`` + :func:`draft_name`."""
    return task.draft_file or f"drafts/{draft_name(task)}"


def draft_name(task: Task) -> str:
    return f"{task.due.isoformat()}-{slug(task.person_name)}-{slug(task.key, 80, 'task')}.eml"


def write_markdown(path: Path, tasks: list[Task], as_of: dt.date, week: str, drafts: dict[str, str]) -> Path:
    overdue = sum(t.overdue for t in tasks)
    lines = [
        f"# Follow-ups for {week} (as of {as_of.isoformat()})",
        "",
        f"{len(tasks)} open, {overdue} overdue. Tick Done in followups.xlsx or run `kith done TASK`.",
    ]
    current = None
    for task in tasks:
        if task.due != current:
            current = task.due
            flag = (
                " (overdue)" if task.due < as_of and any(t.overdue for t in tasks if t.due == current) else ""
            )
            lines += ["", f"## {current:%A} {current.isoformat()}{flag}", ""]
        email = f" <{md(task.email)}>" if task.email else ""
        mark = "**OVERDUE** " if task.overdue else ""
        lines.append(f"- [ ] {mark}{md(task.action)} — {md(task.person_name)}{email}")
        lines.append(f"  - why: {md(str(task.why))}")
        for note in task.notes:
            lines.append(f"  - note: {md(note)}")
        key = task.key.replace("`", "")
        draft = drafts.get(task.key)
        lines.append(f"  - task: `{key}`" + (f" · draft: {md(draft)}" if draft else ""))
    with atomic_write(path, "w", encoding="utf-8", newline="\n") as handle:
        handle.write("\n".join(lines) + "\n")
    return path


CALENDAR_STYLES = ("todo", "event", "both")


def _uid(key: str, workspace_id: str, suffix: str = "") -> str:
    base = re.sub(r"[^A-Za-z0-9_.:-]+", "-", key) + suffix
    return f"{base}@{workspace_id}.kith" if workspace_id else f"{base}@kith"


def _description(task: Task) -> str:
    parts = [str(task.why), *task.notes, "", f"Subject: {task.draft.subject}", "", task.draft.body.rstrip()]
    return "\n".join(parts)


def write_ics(
    path: Path,
    tasks: list[Task],
    as_of: dt.date,
    *,
    done: list[Task] = (),
    style: str = "both",
    workspace_id: str = "",
) -> Path:
    """The calendar: open and done tasks as VTODOs and/or all-day VEVENTs (see module docstring)."""
    import vobject
    from vobject.icalendar import utc

    cal = vobject.iCalendar()
    cal.add("prodid").value = "-//kith//follow-ups//EN"
    # DTSTAMP from as_of, not the clock: the same week re-run writes the same file.
    stamp = dt.datetime.combine(as_of, dt.time(0, 0), tzinfo=utc)
    every = sorted([*tasks, *done], key=lambda t: (t.due, t.person_name.casefold(), t.key))
    for task in every:
        summary = single_line(task.action)
        if style in ("todo", "both"):
            todo = cal.add("vtodo")
            todo.add("uid").value = _uid(task.key, workspace_id)
            todo.add("dtstamp").value = stamp
            todo.add("due").value = task.due
            todo.add("summary").value = summary
            todo.add("description").value = _description(task)
            todo.add("status").value = "COMPLETED" if task.done else "NEEDS-ACTION"
            todo.add("categories").value = [task.rule]
            if task.overdue:
                todo.add("priority").value = "1"
        if style in ("event", "both"):
            event = cal.add("vevent")
            event.add("uid").value = _uid(task.key, workspace_id, "-event")
            event.add("dtstamp").value = stamp
            event.add("dtstart").value = task.due  # a date: an all-day event
            event.add("dtend").value = task.due + dt.timedelta(days=1)
            event.add("summary").value = f"Done: {summary}" if task.done else summary
            event.add("description").value = _description(task)
            event.add("transp").value = "TRANSPARENT"  # a reminder, not a busy day
            event.add("categories").value = [task.rule]
    with atomic_write(path, "w", encoding="utf-8", newline="") as handle:
        handle.write(cal.serialize())
    return path


def _address(name: str, email: str | None) -> Address | None:
    email = (email or "").strip()
    if not _EMAIL_OK.match(email) or single_line(email) != email:
        return None
    local, _, domain = email.partition("@")
    try:
        return Address(display_name=inert(name), username=local, domain=domain)
    except (ValueError, IndexError):
        return None


def write_eml(folder: Path, task: Task, owner_name: str | None, owner_email: str | None) -> Path:
    message = EmailMessage(policy=SMTP)
    to = _address(task.person_name, task.email)
    if to is not None:
        message["To"] = to
    sender = _address(owner_name or "", owner_email)
    if sender is not None:
        message["From"] = sender
    message["Subject"] = inert(task.draft.subject)
    message["X-Unsent"] = "1"  # Outlook and others open it as a draft to edit and send
    message["X-Kith-Task"] = inert(task.key)
    # 8bit keeps the .eml readable as text; quoted-printable only for lines SMTP would refuse.
    long_lines = any(len(line.encode()) > 900 for line in task.draft.body.splitlines())
    message.set_content(task.draft.body, cte="quoted-printable" if long_lines else "8bit")
    path = folder / draft_name(task)
    with atomic_write(path, "wb") as handle:
        handle.write(message.as_bytes())
    return path
