"""The weekly page (``reports/<week>/index.html``): what it shows for the sample week, that every
value is escaped, and — in a real headless Chromium — that it renders and loads nothing from outside
the file."""

from __future__ import annotations

import datetime as dt
import html
import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from urllib.parse import unquote

import polars as pl
import pytest
from markupsafe import escape

from pipeline.cli import build_app
from pipeline.contracts import Draft, ExportContext, Owner, RunFacts, Task, Why
from pipeline.journal.model import JOURNAL_COLUMNS
from pipeline.people import PEOPLE_COLUMNS
from plugins.followups.text import draft_name
from plugins.weekly_page.page import mailto, render_page

ROOT = Path(__file__).resolve().parent.parent
AS_OF = "2026-11-26"
WEEK = "2026-W48"


@pytest.fixture(scope="module")
def sample_week(tmp_path_factory) -> Path:
    """The sample workspace run once for the sample week; returns the week's folder."""
    from typer.testing import CliRunner

    root = tmp_path_factory.mktemp("page") / "ws"
    root.mkdir()
    shutil.copy(ROOT / "kith.toml", root / "kith.toml")
    shutil.copytree(ROOT / "sample_inputs", root / "sample_inputs")
    result = CliRunner().invoke(build_app(), ["-w", str(root), "run", "--as-of", AS_OF, "--json"])
    assert result.exit_code == 3, result.output  # the samples hold rejected rows on purpose
    return root / "reports" / WEEK


def _page(folder: Path) -> str:
    return (folder / "index.html").read_text(encoding="utf-8")


def test_the_checklist_is_grouped_by_day_with_why_mailto_eml_and_key(sample_week):
    page = _page(sample_week)
    md = (sample_week / "followups.md").read_text(encoding="utf-8")
    days = re.findall(r"^## (\w+ \d{4}-\d{2}-\d{2})", md, re.M)
    headings = re.findall(r'<h3 id="day-[^"]+">(\w+ \d{4}-\d{2}-\d{2})', page)
    assert headings == days and len(days) >= 3
    tasks = re.findall(r'<li class="task( overdue)?" data-key="([^"]+)">(.*?)</li>\n', page, re.S)
    keys = [k for _, k, _ in tasks]
    assert len(keys) == len(set(keys)) == 12
    for overdue, key, body in tasks:
        assert ("⚠ Overdue" in body) == bool(overdue)  # the word, not only the colour
        assert f"<code>{html.escape(key)}</code>" in body
        assert "<strong>Why:</strong>" in body
        eml = re.search(r'href="((?:outcome-)?drafts/[^"]+\.eml)"', body).group(1)
        assert (sample_week / unquote(eml)).is_file(), eml  # the file of the exporter that owns the message
        link = html.unescape(re.search(r'href="(mailto:[^"]*)"', body).group(1))
        assert "?subject=" in link and "&body=Hi%20" in link and "%0D%0A" in link
    assert sum(bool(o) for o, _, _ in tasks) == 5
    thank = {k: b for _, k, b in tasks}["referral:thank_referrer:7"]
    assert "mailto:maria.gonzalez@example.com?subject=Thanks%20for%20the%20introduction%20to%20Ken" in thank


def test_outcome_helpers_chain_and_charts(sample_week):
    page = _page(sample_week)
    assert '<p class="sentence">After talking to six people, I decided to accept a job with Contoso' in page
    table = page.split('id="helpers-h"')[1].split("</table>")[0]
    helpers = re.findall(r'<tr><th scope="row">([^<]+?) ?<', table)
    assert helpers == [
        "Elizabeth Harper",
        "Maria Gonzalez",
        "Priya Raman",
        "Ken Watanabe",
        "Robert Kowalski",
        "Dana Whitfield",
    ]
    assert "introduced you to Ken Watanabe" in page
    assert "<dt>Conversations</dt><dd>6 (2 meetings, 1 informational interview)</dd>" in page
    chain = page.split('<ol class="chains"')[1].split("</ol>")[0]
    nodes = re.findall(r'<li class="node[^"]*">([^<]+)</li>', chain)
    assert nodes == ["Maria Gonzalez", "Ken Watanabe", "Contoso"]
    assert 'aria-label="Maria Gonzalez → Ken Watanabe → Contoso"' in chain
    svgs = re.findall(r'<svg role="img".*?</svg>', page, re.S)
    assert len(svgs) == 2
    for svg in svgs:
        assert "<title" in svg and "<desc" in svg
    weeks = dict(re.findall(r"<title>(\d{4}-W\d\d): (\d+) conversations</title>", svgs[0]))
    assert weeks["2026-W47"] == "3" and weeks["2026-W39"] == "1" and weeks["2026-W40"] == "0"
    channels = dict(re.findall(r"<title>([\w ]+): (\d+) conversations</title>", svgs[1]))
    assert channels["social"] == "2" and sum(map(int, channels.values())) == 6


def test_the_run_lists_inputs_every_reject_and_every_file(sample_week):
    page = _page(sample_week)
    report = json.loads((sample_week / "run.json").read_text(encoding="utf-8"))
    run = page.split('id="run-h"')[1]
    for item in report["inputs"]:
        assert f"<code>{html.escape(item['path'])}</code>" in run
        for reject in item["rejects"]:
            row = f'<th scope="row">{html.escape(reject["ref"])}</th><td>{html.escape(reject["reason"])}</td>'
            assert row in run
    assert run.count('<th scope="row">row ') + run.count("!") >= report["rejects"] == 3
    assert f"<dd>{report['people']}</dd>" in run and f"<dd>{report['review']} pairs to check" in run
    files = sorted(p.relative_to(sample_week).as_posix() for p in sample_week.rglob("*") if p.is_file())
    linked = re.findall(r'<li><a href="([^"]+)">', page.split('id="files-h"')[1])
    assert sorted(unquote(h) for h in linked) == [f for f in files if f != "index.html"]


def test_the_page_is_self_contained(sample_week):
    page = _page(sample_week)
    assert "<script" not in page and "@import" not in page and "url(" not in page
    refs = re.findall(r'(?:href|src)="([^"]+)"', page)
    outside = [r for r in refs if re.match(r"[a-z]+:", r) and not r.startswith(("mailto:", "http://www.w3"))]
    assert outside == []
    assert not [r for r in refs if r.startswith(("/", "..")) or "/../" in r]


def _context(tmp_path: Path, task: Task, facts: RunFacts) -> ExportContext:
    class Data:
        people = pl.DataFrame(schema=PEOPLE_COLUMNS)
        journal = pl.DataFrame(schema=JOURNAL_COLUMNS)
        outcome = None
        tasks = [task]

        def people_columns(self, columns):
            return self.people.select("person_id", *columns)

        def review_pairs(self, limit):
            return []

    return ExportContext(
        out_dir=tmp_path,
        as_of=dt.date(2026, 11, 26),
        week=WEEK,
        data=Data(),
        owner=Owner("Jordan <b>Rivera</b>", None),
        facts=facts,
        files=("drafts/x.eml", "odd name #1.csv"),
    )


def test_every_value_is_escaped_and_links_are_encoded(tmp_path):
    evil = '<img src=x onerror="alert(1)">'
    task = Task(
        key="thank_you:7",
        due=dt.date(2026, 11, 27),
        person_id="p1",
        person_name=f"Ana {evil}",
        email="ana@example.com",
        action=f"Thank {evil}",
        why=Why((7,), f"met {evil}"),
        draft=Draft(f"Hi & {evil}", "Line one\nLine <two>"),
        rule="thank_you",
        overdue_after=dt.date(2026, 11, 29),
    )
    facts = RunFacts(
        week=WEEK,
        inputs=(
            {
                "path": f"in/{evil}.csv",
                "importer": "x",
                "status": "imported",
                "records": 2,
                "rejects": [{"ref": "row 3", "reason": f"bad {evil}"}],
            },
        ),
        people=2,
        review=0,
    )
    page = render_page(_context(tmp_path, task, facts))
    assert evil not in page and "<b>Rivera</b>" not in page
    assert page.count(str(escape(evil))) >= 6  # person, action, why, subject line, file, reason
    assert 'href="odd%20name%20%231.csv"' in page
    assert f'href="drafts/{draft_name(task)}"' in page
    assert "Progress so far" in page and "No referrals logged yet." in page
    assert (
        mailto("a b@example.com", "S & T", "x\ny")
        == "mailto:a%20b@example.com?subject=S%20%26%20T&body=x%0D%0Ay"
    )


# --- in a real browser ----------------------------------------------------------------------------

BROWSERS = ("chromium", "chromium-browser", "google-chrome")


def _browser() -> str | None:
    found = next((shutil.which(b) for b in BROWSERS if shutil.which(b)), None)
    if found is None:
        if os.environ.get("CI"):
            pytest.fail("CI is set but no Chromium is installed: .ci/run installs it with apt-get")
        pytest.skip("browser test NOT run: no chromium on PATH (apt-get install chromium); CI runs it")
    return found


def _chromium(browser: str, tmp_path: Path, url: str, *args: str) -> tuple[str, list[str]]:
    """Open ``url`` headless with every host name unresolvable; returns (output, the URLs the page
    itself requested, from Chromium's net log; the browser's own housekeeping has no initiator)."""
    netlog = tmp_path / f"net-{len(list(tmp_path.glob('net-*')))}.json"
    command = [
        browser,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={tmp_path / 'profile'}",
        "--host-resolver-rules=MAP * ~NOTFOUND",
        f"--log-net-log={netlog}",
        *args,
        url,
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    log = json.loads(netlog.read_text(encoding="utf-8"))
    start = log["constants"]["logEventTypes"]["URL_REQUEST_START_JOB"]
    requested = [
        e["params"]["url"]
        for e in log["events"]
        if e["type"] == start and e.get("params", {}).get("initiator", "not an origin") != "not an origin"
    ]
    return done.stdout, requested


def test_the_page_renders_in_chromium_and_requests_nothing(sample_week, tmp_path):
    browser = _browser()
    # the check can fail: a page that loads an image and a font from the network is caught
    control = tmp_path / "control.html"
    control.write_text(
        '<img src="http://example.com/x.png" alt="x"><link rel="stylesheet" '
        'href="https://fonts.example.net/a.css">',
        encoding="utf-8",
    )
    _, leaked = _chromium(browser, tmp_path, control.as_uri(), "--dump-dom")
    assert sorted(leaked) == ["http://example.com/x.png", "https://fonts.example.net/a.css"]

    url = (sample_week / "index.html").as_uri()
    dom, requested = _chromium(browser, tmp_path, url, "--dump-dom")
    assert requested == []
    assert len(re.findall(r"class=\"task( overdue)?\"", dom)) == 12 and dom.count("⚠ Overdue") == 5
    assert len(re.findall(r'<svg role="img"', dom)) == 2 and dom.count('class="bar"') > 10
    assert 'href="followups.xlsx"' in dom and 'href="run.json"' in dom
    shot = tmp_path / "weekly-page.png"
    _, requested = _chromium(browser, tmp_path, url, f"--screenshot={shot}", "--window-size=1000,2400")
    assert requested == []
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 20_000
    phone = tmp_path / "weekly-page-phone.png"
    _chromium(browser, tmp_path, url, f"--screenshot={phone}", "--window-size=390,1600")
    assert phone.stat().st_size > 10_000
    pdf = tmp_path / "weekly-page.pdf"
    _chromium(browser, tmp_path, url, f"--print-to-pdf={pdf}", "--no-pdf-header-footer")
    assert pdf.read_bytes()[:5] == b"%PDF-"


def _linked(folder: Path) -> list[str]:
    page = _page(folder)
    return sorted(unquote(h) for h in re.findall(r'<li><a href="([^"]+)">', page.split('id="files-h"')[1]))


def test_the_page_runs_last_and_links_what_a_partial_report_keeps(sample_week, tmp_path):
    """Configured first, the page still runs after the others; ``kith report weekly_page`` alone
    links the files the folder keeps from the last run."""
    from typer.testing import CliRunner

    root = tmp_path / "ws"
    shutil.copytree(sample_week.parent.parent, root)
    with (root / "kith.toml").open("a", encoding="utf-8") as config:
        config.write('\n[[exporters]]\nname = "weekly_page"\n\n[[exporters]]\nname = "followups"\n')
    week = root / "reports" / WEEK
    shutil.rmtree(week)
    runner = CliRunner()
    result = runner.invoke(build_app(), ["-w", str(root), "run", "--as-of", AS_OF, "--json"])
    assert result.exit_code == 0, result.output  # a copy of the sample store: nothing new to import
    files = sorted(p.relative_to(week).as_posix() for p in week.rglob("*") if p.is_file())
    assert "followups.xlsx" in files and "contacts.csv" not in files
    assert _linked(week) == [f for f in files if f != "index.html"]

    (week / "notes.txt").write_text("kept by hand", encoding="utf-8")
    result = runner.invoke(build_app(), ["-w", str(root), "report", "weekly_page", "--as-of", AS_OF])
    assert result.exit_code == 0, result.output
    assert _linked(week) == sorted(f for f in [*files, "notes.txt"] if f != "index.html")
