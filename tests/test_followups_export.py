"""The ``followups`` exporter and ``kith report`` (``Run.reports``): xlsx/md/ics/eml content, the Done
round-trip, formula and header injection, and atomic report folders."""

from __future__ import annotations

import datetime as dt
import email
import hashlib
import zipfile
from email import policy

import pytest
from openpyxl import load_workbook

from pipeline import hookimpl
from pipeline.errors import PluginError
from pipeline.lock import workspace_lock
from pipeline.run import Run, iso_week
from plugins.followups.xlsx import COLUMNS, OVERDUE_FILL
from tests.test_followups_rules import World

D = dt.date
AS_OF = D(2026, 11, 26)
EVIL = '=HYPERLINK("http://evil.example","x")'
CRLF = "Eve Example\r\nBcc: attacker@example.org"


@pytest.fixture
def world(tmp_path):
    w = World(tmp_path / "ws")
    try:
        yield w
    finally:
        w.store.close()


def _report(world, as_of=AS_OF, names=("followups",)):
    out = world.ws.reports_dir / iso_week(as_of)
    with workspace_lock(world.ws.root / "kith.lock", "kith report"):
        run = Run(world.ws, world.pm, world.store, as_of=as_of)
        return out, run.reports(list(names), out)


def _rows(path):
    wb = load_workbook(path)
    ws = wb["Follow-ups"]
    header = [c.value for c in ws[1]]
    rows = [dict(zip(header, (c.value for c in row), strict=True)) for row in ws.iter_rows(min_row=2)]
    return wb, ws, rows


def test_xlsx_has_the_checklist_with_overdue_highlighted_and_a_done_dropdown(world):
    priya = world.log("meeting", "Priya Raman", D(2026, 11, 9))
    bob = world.log("call", "Robert Kowalski", D(2026, 11, 25))
    out, paths = _report(world)
    assert out.name == "2026-W48"
    assert {p.name for p in paths} >= {"followups.xlsx", "followups.md", "followups.ics"}
    assert all(p.is_file() and p.parent in (out, out / "drafts") for p in paths)
    wb, ws, rows = _rows(out / "followups.xlsx")
    assert [c.value for c in ws[1]] == list(COLUMNS)
    assert [(r["Person"], r["Status"], r["Task"]) for r in rows] == [
        ("Priya Raman", "overdue", f"thank_you:{priya}"),
        ("Robert Kowalski", "due today", f"thank_you:{bob}"),
    ]
    assert rows[0]["Due"].date() == D(2026, 11, 10)
    assert rows[0]["Why"].startswith("Priya Raman: meeting on 2026-11-09")
    assert rows[0]["Draft"].startswith("Subject: Thank you for meeting with me\n\nHi Priya,")
    assert ws.freeze_panes == "A2" and ws.auto_filter.ref == "A1:I3"
    assert ws["A2"].fill.start_color.rgb.endswith(OVERDUE_FILL) and ws["A3"].fill.fill_type is None
    (validation,) = ws.data_validations.dataValidation
    assert validation.formula1 == '"yes,no"' and str(validation.sqref).startswith("H2:H")
    assert ws.column_dimensions["F"].width > ws.column_dimensions["A"].width >= 10
    assert wb["About"]["B1"].value == "2026-W48"


def test_markdown_ics_and_drafts(world):
    world.log("met", "Maria Gonzalez", D(2026, 11, 24), note="alumni mixer")
    out, paths = _report(world)
    md = (out / "followups.md").read_text(encoding="utf-8")
    assert md.splitlines()[0] == "# Follow-ups for 2026-W48 (as of 2026-11-26)"
    assert "## Wednesday 2026-11-25\n\n- [ ] Send Maria Gonzalez a thank-you and follow-up note" in md
    assert "— Maria Gonzalez <maria.gonzalez@example.com>" in md  # an autolink
    import vobject

    cal = vobject.readOne((out / "followups.ics").read_text(encoding="utf-8"))
    (todo,) = cal.vtodo_list
    assert todo.due.value == D(2026, 11, 25) and todo.summary.value.startswith("Send Maria Gonzalez")
    assert (
        todo.uid.value.startswith("thank_you:") and "Thank you for taking the time" in todo.description.value
    )
    (draft,) = [p for p in paths if p.suffix == ".eml"]
    message = email.message_from_bytes(draft.read_bytes(), policy=policy.default)
    assert str(message["To"]) == "Maria Gonzalez <maria.gonzalez@example.com>"
    assert str(message["From"]) == "Jordan Rivera <jordan.rivera@example.com>"
    assert message["Subject"] == "Thank you for taking the time to talk with me"
    assert message["X-Unsent"] == "1"
    assert (
        message.get_content()
        .replace("\r\n", "\n")
        .startswith("Hi Maria,\n\nThank you for taking the time to talk with me on")
    )


def test_done_ticked_in_last_weeks_xlsx_is_read_back(world):
    priya = world.log("meeting", "Priya Raman", D(2026, 11, 9))
    ken = world.log("meeting", "Ken Watanabe", D(2026, 11, 10))
    last_week, _ = _report(world, D(2026, 11, 19))
    wb, ws, rows = _rows(last_week / "followups.xlsx")
    done_col = COLUMNS.index("Done") + 1
    row = next(i for i, r in enumerate(rows, 2) if r["Task"] == f"thank_you:{priya}")
    ws.cell(row=row, column=done_col).value = "yes"
    wb.save(last_week / "followups.xlsx")

    this_week, _ = _report(world, AS_OF)
    _, _, rows = _rows(this_week / "followups.xlsx")
    assert [r["Task"] for r in rows] == [f"thank_you:{ken}"]
    assert f"thank_you:{priya}" not in (this_week / "followups.md").read_text(encoding="utf-8")
    # The calendar keeps the done task, completed, instead of dropping it from subscribed calendars.
    import vobject

    cal = vobject.readOne((this_week / "followups.ics").read_text(encoding="utf-8"))
    status = {t.uid.value.split("@")[0]: t.status.value for t in cal.vtodo_list}
    assert status == {f"thank_you:{priya}": "COMPLETED", f"thank_you:{ken}": "NEEDS-ACTION"}
    events = {e.uid.value.split("@")[0]: e.summary.value for e in cal.vevent_list}
    assert events[f"thank_you:{priya}-event"].startswith("Done: Send Priya Raman")
    assert all(e.dtstart.value == e.dtend.value - dt.timedelta(days=1) for e in cal.vevent_list)
    # UIDs are unique per workspace.
    assert {t.uid.value.split("@")[1] for t in cal.vtodo_list} == {
        hashlib.sha1(str(world.store.path.resolve()).encode()).hexdigest()[:12] + ".kith"
    }
    state = world.store.conn.execute("SELECT key, status, source FROM task_state").fetchall()
    assert state == [(f"thank_you:{priya}", "done", str(last_week / "followups.xlsx"))]
    # Ticking in this week's own file and re-running the week works too ("x" counts).
    wb, ws, rows = _rows(this_week / "followups.xlsx")
    ws.cell(row=2, column=done_col).value = "x"
    wb.save(this_week / "followups.xlsx")
    _report(world, AS_OF)
    _, _, rows = _rows(this_week / "followups.xlsx")
    assert rows == []


def test_formula_and_header_injection_come_out_inert(world):
    world.add_tagged(EVIL, [], "evil@example.org")
    world.add_tagged(CRLF, [], "eve@example.com")
    world.log("met", EVIL, D(2026, 11, 25))
    world.log("met", CRLF, D(2026, 11, 25))
    out, paths = _report(world)
    # xlsx: an explicit, neutralised string; no formula anywhere in the sheet.
    wb, ws, rows = _rows(out / "followups.xlsx")
    cells = [c for row in ws.iter_rows() for c in row if isinstance(c.value, str) and "HYPERLINK" in c.value]
    assert cells and all(c.data_type == "s" for c in cells)
    assert "'" + EVIL in [r["Person"] for r in rows]
    with zipfile.ZipFile(out / "followups.xlsx") as archive:
        sheet = archive.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet and "<f " not in sheet
    # md: neutralised, and the CR/LF name stays on one line.
    md = (out / "followups.md").read_text(encoding="utf-8")
    assert "'=HYPERLINK" in md and "\n=HYPERLINK" not in md
    assert "Eve Example Bcc: attacker@example.org" in md
    assert not any(line.startswith("Bcc:") for line in md.splitlines())
    # ics: a calendar is not a spreadsheet, so the text stays as written (no "'" guard), and
    # the CR/LF name cannot inject a line or a property.
    ics = (out / "followups.ics").read_text(encoding="utf-8")
    assert "'=HYPERLINK" not in ics.replace("\r\n ", "")
    assert not any(line.startswith(("Bcc", "=")) for line in ics.splitlines())
    import vobject

    cal = vobject.readOne(ics)
    assert {t.summary.value for t in cal.vtodo_list} == {t.summary.value for t in cal.vevent_list}
    # eml: the display name is inert and the CR/LF can't add a header.
    messages = [
        email.message_from_bytes(p.read_bytes(), policy=policy.default) for p in paths if p.suffix == ".eml"
    ]
    by_addr = {m["To"].addresses[0].addr_spec: m for m in messages}
    assert by_addr["evil@example.org"]["To"].addresses[0].display_name == "'" + EVIL
    eve = by_addr["eve@example.com"]
    assert eve["Bcc"] is None and "attacker@example.org" not in [a.addr_spec for a in eve["To"].addresses]
    assert eve["To"].addresses[0].display_name == "Eve Example Bcc: attacker@example.org"
    raw = next(p for p in paths if "eve" in p.name).read_bytes()
    assert b"\nBcc:" not in raw and b"\r\nBcc:" not in raw


class Boom:
    name = "boom"
    description = "fails halfway"

    def write(self, context):
        (context.out_dir / "partial.txt").write_text("half", encoding="utf-8")
        raise RuntimeError("disk on fire")


class BoomPlugin:
    @hookimpl
    def register_exporters(self):
        return [Boom()]


def test_a_failing_exporter_leaves_the_last_good_folder_untouched(tmp_path):
    w = World(tmp_path / "ws", plugins=[("boom", BoomPlugin())])
    try:
        w.log("met", "Maria Gonzalez", D(2026, 11, 24))
        out, _ = _report(w)
        before = sorted(p.relative_to(out) for p in out.rglob("*"))
        md = (out / "followups.md").read_bytes()
        w.log("met", "Priya Raman", D(2026, 11, 25))
        with pytest.raises(PluginError, match="exporter 'boom' .* failed: disk on fire"):
            _report(w, names=("followups", "boom"))
        assert sorted(p.relative_to(out) for p in out.rglob("*")) == before
        assert (out / "followups.md").read_bytes() == md
        assert [p.name for p in out.parent.iterdir()] == ["2026-W48"]  # no temporary folder left behind
    finally:
        w.store.close()
