"""The README's command table promises only options the commands have (checked against --help)."""

from __future__ import annotations

import re
from pathlib import Path

from typer.testing import CliRunner

from pipeline.cli import build_app

ROOT = Path(__file__).resolve().parent.parent


def _command_rows() -> list[tuple[list[list[str]], set[str]]]:
    """Per row of the "| command | what it does |" table: its commands (as argv) and its options."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    table = readme.split("| command | what it does |")[1].split("\n\n")[0]
    rows = []
    for line in table.splitlines()[2:]:
        cell = re.split(r"(?<!\\)\|", line)[1]
        commands = []
        for code in re.findall(r"`(kith [^`]+)`", cell):
            words = code.split()[1:]
            names = [w for w in words[:2] if re.fullmatch(r"[a-z]+(\\\|[a-z]+)*", w)]
            commands.append([n.split("\\|")[0] for n in names[:2]])
        options = set(re.findall(r"(--[a-z][a-z-]*)", cell))
        rows.append((commands, options))
    return rows


def _help(argv: list[str]) -> str:
    result = CliRunner().invoke(build_app(), [*argv, "--help"], terminal_width=200)
    if result.exit_code != 0 and len(argv) > 1:  # "kith log KIND": the second word is an argument
        return _help(argv[:1])
    assert result.exit_code == 0, (argv, result.output)
    return result.output


def test_every_option_the_readme_table_names_exists():
    rows = _command_rows()
    assert len(rows) >= 8
    missing = []
    for commands, options in rows:
        helps = "".join(_help(argv) for argv in commands)
        missing += [(commands[0], option) for option in sorted(options) if option not in helps]
    assert missing == []


def test_a_short_flag_means_what_the_readme_says_on_every_command():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    sentence = readme.split("a short flag means one thing everywhere")[1].split(")")[0]
    promised = dict(re.findall(r"`(-[a-z])` (\w+)", sentence))
    assert {"-o", "-f", "-d", "-c", "-m", "-n", "-q", "-w"} <= set(promised)
    names = "init import run dedupe review why merge split people log outcome journal report done plugins"
    helps = [_help([name]) for name in names.split()] + [_help(["export", "records"]), _root_help()]
    seen = {}
    for text in helps:
        for long, short in re.findall(r"(--[a-z][a-z-]*)\s+(-[a-zA-Z])\b", text):
            seen.setdefault(short, set()).add(long)
    wrong = {s: longs for s, longs in seen.items() if s in promised and promised[s] not in " ".join(longs)}
    assert wrong == {}
    assert all(len(longs) == 1 for short, longs in seen.items() if short != "-h"), seen


def _root_help() -> str:
    return CliRunner().invoke(build_app(), ["--help"], terminal_width=200).output


def test_the_commands_the_readme_gives_as_of_and_date_have_them():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    said = re.search(r"`--as-of` \(([^)]+)\) and `--date` \(([^)]+)\)", readme.replace("\n", " "))
    assert said, "README says which commands take --as-of and --date"
    for option, names in zip(("--as-of", "--date"), said.groups(), strict=True):
        for name in re.findall(r"`(\w+)`", names):
            assert option in _help([name]), (name, option)
