"""The CLI held to git/gh/datasette habits: ``-h``, shell completion, a start-up that loads neither
polars nor the store, ``--json`` on every command that changes state (errors too, as one JSON object
on stderr with the same exit code), errors that name a path once, and an empty folder said plainly."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from pipeline.cli import build_app

app = build_app()
FIXTURES = Path(__file__).parent / "fixtures"
HEAVY = ("polars", "pyarrow", "pipeline.store", "pipeline.run", "pipeline.importing", "openpyxl", "plugins")


def _kith(runner, ws: Path, *args: str, code: int = 0):
    result = runner.invoke(app, ["-w", str(ws), *args])
    assert result.exit_code == code, (result.stdout, result.stderr)
    return result


@pytest.fixture
def ws(runner, tmp_path) -> Path:
    root = tmp_path / "ws"
    assert runner.invoke(app, ["init", str(root)]).exit_code == 0
    _kith(runner, root, "import", str(FIXTURES / "linkedin" / "Connections_preamble.csv"))
    return root


def test_starting_the_cli_loads_neither_polars_nor_the_store():
    code = (
        "import sys\n"
        "from pipeline.cli import build_app\n"
        "build_app()\n"
        f"print(sorted(m for m in sys.modules if m.split('.')[0] in {HEAVY!r} or m in {HEAVY!r}))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(done.stdout.replace("'", '"')) == []


@pytest.mark.parametrize("args", [["--version"], ["--help"], ["log", "--help"]])
def test_version_and_help_run_without_loading_polars(args):
    code = (
        "import sys\n"
        "from pipeline.cli import main\n"
        f"sys.argv = ['kith', *{args!r}]\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "print('POLARS' if 'polars' in sys.modules else 'LIGHT', file=sys.stderr)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert done.stderr.strip().splitlines()[-1] == "LIGHT", done.stderr
    assert ("kith 0." in done.stdout) if args == ["--version"] else ("Usage: kith" in done.stdout)


def test_dash_h_is_help_everywhere_and_completion_is_offered(runner):
    for command in ([], ["import"], ["export"], ["export", "people"], ["plugin", "new"]):
        short, long = runner.invoke(app, [*command, "-h"]), runner.invoke(app, [*command, "--help"])
        assert short.exit_code == long.exit_code == 0
        assert short.stdout == long.stdout and "Usage: kith" in short.stdout
    top = runner.invoke(app, ["--help"]).stdout
    assert "--install-completion" in top and "--show-completion" in top
    script = runner.invoke(app, ["--show-completion", "bash"], prog_name="kith")
    assert script.exit_code == 0 and "_KITH_COMPLETE=complete_bash" in script.stdout


def test_state_changing_commands_print_json(runner, ws):
    logged = json.loads(
        _kith(runner, ws, "log", "met", "Maria Gonzalez", "-c", "alumni", "-d", "2026-11-16", "--json").stdout
    )
    assert logged["kind"] == "met" and logged["person"] == "Maria Gonzalez" and logged["date"] == "2026-11-16"
    assert logged["channel"] == "alumni" and isinstance(logged["entry_id"], int) and logged["record_id"]
    created = _kith(runner, ws, "log", "call", "Zoe Newperson", "-d", "2026-11-17", "--json")
    assert json.loads(created.stdout)["kind"] == "call"  # stdout stays one JSON object
    assert "created a new contact 'Zoe Newperson'" in created.stderr
    outcome = json.loads(
        _kith(runner, ws, "outcome", "accepted a job with Contoso", "-d", "2026-11-20", "--json").stdout
    )
    assert outcome == {"outcome": "accepted a job with Contoso", "date": "2026-11-20"}
    report = json.loads(_kith(runner, ws, "report", "followups", "--as-of", "2026-11-26", "--json").stdout)
    key = next(k for k in _task_keys(Path(report["folder"])) if k.startswith("thank_you"))
    done = json.loads(_kith(runner, ws, "done", key, "--as-of", "2026-11-26", "--json").stdout)
    assert (
        done["as_of"] == "2026-11-26" and done["tasks"][0]["key"] == key and done["tasks"][0]["done"] is True
    )
    undone = json.loads(_kith(runner, ws, "done", key, "--undo", "--as-of", "2026-11-26", "--json").stdout)
    assert undone["tasks"][0]["done"] is False


def _task_keys(folder: Path) -> list[str]:
    from openpyxl import load_workbook

    sheet = load_workbook(folder / "followups.xlsx", read_only=True).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    column = rows[0].index("Task")
    return [r[column] for r in rows[1:] if r[column]]


@pytest.mark.parametrize(
    ("args", "code", "says"),
    [
        (["log", "lunch", "Ken", "--json"], 2, "unknown kind 'lunch'"),
        (["done", "nope:1", "--json"], 2, "no follow-up task 'nope:1'"),
        (["merge", "Nobody Atall", "Maria Gonzalez", "--json"], 2, "Nobody Atall"),
        (["split", "p-does-not-exist", "--json"], 2, "p-does-not-exist"),
    ],
)
def test_errors_under_json_are_one_json_object_on_stderr_with_the_same_code(runner, ws, args, code, says):
    plain = runner.invoke(app, ["-w", str(ws), *[a for a in args if a != "--json"]])
    result = runner.invoke(app, ["-w", str(ws), *args])
    assert result.exit_code == plain.exit_code == code
    assert result.stdout == ""
    error = json.loads(result.stderr)
    assert says in error["error"] and error["exit_code"] == code and error["kind"].endswith("Error")
    assert plain.stderr.startswith("kith: error: ") and says in plain.stderr


def test_an_unreadable_file_names_its_path_once_and_an_empty_folder_says_so(runner, ws, tmp_path):
    pdf = tmp_path / "contacts.pdf"
    pdf.write_bytes(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n")
    result = _kith(runner, ws, "import", str(pdf), code=2)
    lines = [line for line in result.stdout.splitlines() if "no importer recognises" in line]
    assert len(lines) == 1 and lines[0].count("contacts.pdf") == 1, result.stdout
    empty = tmp_path / "empty"
    empty.mkdir()
    said = _kith(runner, ws, "import", str(empty))
    assert said.stdout.strip() == f"Nothing to import: {empty} holds no files."
    assert json.loads(_kith(runner, ws, "import", str(empty), "--json").stdout)["files"] == []


# --- progress ------------------------------------------------------------------------------------


def test_dedupe_tells_its_six_stages_in_order_with_counts(ws):
    from pipeline.dedupe.resolve import STAGES
    from pipeline.dedupe.storage import dedupe_store
    from pipeline.store import Store

    told: list[tuple[str, str]] = []
    with Store(ws / "kith.db") as store:
        records = store.count("records")
        dedupe_store(store, progress=lambda stage, detail: told.append((stage, detail)))
    assert [stage for stage, _ in told] == list(STAGES)
    assert told[0] == ("read", f"{records:,} records") and told[1] == ("block", f"{records:,} records")
    assert told[2][1].endswith("candidate pairs") and told[-1][1].endswith("people")


def test_nothing_extra_when_piped(runner, ws):
    for args in (["dedupe"], ["report", "--as-of", "2026-11-26"], ["import", str(FIXTURES / "google")]):
        result = runner.invoke(app, ["-w", str(ws), *args])
        assert result.exit_code in (0, 3), result.stderr
        assert "━" not in result.stderr and "\x1b[" not in result.stderr + result.stdout


def _on_a_terminal(ws: Path, *args: str) -> str:
    """Run kith with a pseudo-terminal as stdout and stderr; everything it drew, escapes removed."""
    import os
    import pty

    leader, follower = pty.openpty()
    env = {**os.environ, "COLUMNS": "160", "TERM": "xterm"}
    process = subprocess.Popen(
        [sys.executable, "-m", "pipeline", "-w", str(ws), *args],
        stdin=subprocess.DEVNULL,
        stdout=follower,
        stderr=follower,
        env=env,
        close_fds=True,
    )
    os.close(follower)
    chunks = []
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        chunks.append(chunk)
    process.wait(timeout=120)
    os.close(leader)
    return re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", b"".join(chunks).decode("utf-8", "replace"))


def test_on_a_terminal_dedupe_import_and_report_show_progress_with_counts(ws):
    drawn = _on_a_terminal(ws, "dedupe", "--refit")
    for stage in ("read", "block", "compare", "score", "cluster", "write"):
        assert f"dedupe: {stage} (" in drawn, drawn
    assert "/6" in drawn and " records)" in drawn
    drawn = _on_a_terminal(ws, "import", "--force", str(FIXTURES / "linkedin" / "Connections_preamble.csv"))
    assert "Connections_preamble.csv (1/1): normalizing " in drawn and " rows" in drawn, drawn
    drawn = _on_a_terminal(ws, "report", "--as-of", "2026-11-26")
    assert re.search(r"writing reports: \w+ \(1 of \d+\)", drawn), drawn


def _kith_process(ws: Path, *args: str) -> subprocess.CompletedProcess:
    """The installed entry point, as a script calls it (typer's own parsing included)."""
    command = [sys.executable, "-m", "pipeline", "-w", str(ws), *args]
    return subprocess.run(command, capture_output=True, text=True, check=False, timeout=120)


def test_a_bad_command_line_under_json_is_a_json_error(ws):
    missing = _kith_process(ws, "log", "met", "--json")
    assert missing.returncode == 2 and missing.stdout == ""
    assert json.loads(missing.stderr) == {
        "error": "Missing argument 'person'.",
        "kind": "UsageError",
        "exit_code": 2,
    }
    unknown = _kith_process(ws, "people", "--json", "--limt", "3")
    assert unknown.returncode == 2 and json.loads(unknown.stderr)["error"].startswith(
        "No such option: --limt"
    )
    # the rest keeps its exit codes: a run with a rejected row is 3, its report on stdout
    ran = _kith_process(ws, "run", "--as-of", "2026-11-26", "--json")
    assert ran.returncode == json.loads(ran.stdout)["exit_code"]
    assert _kith_process(ws, "people", "--json").returncode == 0
    plain = _kith_process(ws, "log", "met")
    assert plain.returncode == 2 and "Missing argument" in plain.stderr and not plain.stderr.startswith("{")
