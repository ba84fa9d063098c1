"""The real-world corpus: files written by phones, mail clients, CRMs and other projects' tests.

The files live in ``../shared/corpus/realworld`` (never copied into this repository; CI has the
folder). Each is imported through the real core and compared with ``expected.json``, which
says per file how many contacts and rejects a correct import gives and, per contact, the
names, e-mails, phone digits, organization, title, LinkedIn URL, birthday and the values
that must survive somewhere in the record. The test prints a per-file score and fails on
any file that is not right.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import polars as pl
import pytest

from pipeline.contracts import ImportOptions
from pipeline.importing import import_file
from pipeline.store import Store
from pipeline.testing import make_workspace, plugin_manager

REALWORLD = Path(__file__).resolve().parents[1] / ".." / "shared" / "corpus" / "realworld"

pytestmark = pytest.mark.skipif(not (REALWORLD / "expected.json").exists(), reason="no shared corpus here")


def _digits(text: str) -> str:
    return re.sub(r"\D", "", text)


def _phone_matches(wanted: str | list[str], phone: str) -> bool:
    # An extension is not part of the number the expectations give.
    got = _digits(re.split(r";ext=|\s*(?:ext\.?|x)\s*\d+$", phone, flags=re.IGNORECASE)[0])
    for option in wanted if isinstance(wanted, list) else [wanted]:
        if got == option or (len(option) == 10 and got == "1" + option):
            return True
    return False


def _everything(record: dict) -> str:
    """Every value of the record, extra included, as one text to search for kept values."""
    parts: list[str] = []
    for key, value in record.items():
        if key == "extra" and value:
            parts.extend(str(v) for v in json.loads(value).values())
        elif isinstance(value, list):
            parts.extend(str(v) for v in value)
        elif value is not None:
            parts.append(str(value))
    return "\n".join(parts)


def person_problems(want: dict, got: dict) -> list[str]:
    """What differs between one expected person and one imported record (empty: a match)."""
    problems = []

    def same(field: str, key: str) -> None:
        if key not in want or want[key] is None:
            return
        value = got.get(field) or ""
        # A list gives acceptable alternatives; None among them accepts an empty value.
        options = [o or "" for o in want[key]] if isinstance(want[key], list) else [want[key]]
        if field == "linkedin_url":
            value = value.rstrip("/").rsplit("/in/", 1)[-1] if "/in/" in value else value
        if value not in options:
            problems.append(f"{key} {value!r} != {want[key]!r}")

    same("full_name", "full_name")
    same("given_name", "given")
    same("family_name", "family")
    same("organization", "org")
    same("title", "title")
    same("linkedin_url", "linkedin")
    if "birthday" in want and str(got.get("birthday") or "") != want["birthday"]:
        problems.append(f"birthday {got.get('birthday')!r} != {want['birthday']!r}")
    emails = list(got.get("emails") or [])
    allowed = set(want.get("emails_ok_extra", []))
    # Order is not compared: a card's TYPE=pref address comes first, wherever the file wrote it.
    if sorted(e for e in emails if e not in allowed) != sorted(e for e in want["emails"] if e not in allowed):
        problems.append(f"emails {emails} != {want['emails']}")
    phones = list(got.get("phones") or [])
    everything = _everything(got)
    for wanted in want.get("phones_digits", []):
        if not any(_phone_matches(wanted, p) for p in phones):
            problems.append(f"phone {wanted} not in {phones}")
    known = list(want.get("phones_digits", [])) + list(want.get("kept_phones", []))
    for phone in phones:
        if known and not any(_phone_matches(w, phone) for w in known):
            problems.append(f"unexpected phone {phone!r}")
    everything_digits = _digits(everything)
    for wanted in want.get("kept_phones", []):
        options = wanted if isinstance(wanted, list) else [wanted]
        if not any(o in everything_digits for o in options):
            problems.append(f"phone {wanted} lost")
    for kept in want.get("kept", []):
        if kept not in everything:
            problems.append(f"{kept!r} lost")
    return problems


def score_file(case: dict, records: list[dict], rejects: int, error: str | None) -> tuple[bool, list[str]]:
    """Whether the import is right, and what is wrong with it."""
    if error:
        return False, [error]
    problems = []
    if len(records) != case["contacts"]:
        problems.append(f"{len(records)} contacts, expected {case['contacts']}")
    allowed = case["rejects"] if isinstance(case["rejects"], list) else [case["rejects"]]
    if rejects not in allowed:
        problems.append(f"{rejects} rejects, expected {case['rejects']}")
    unused = list(range(len(records)))
    for n, want in enumerate(case["people"], 1):
        best: list[str] | None = None
        for i in unused:
            found = person_problems(want, records[i])
            if not found:
                unused.remove(i)
                best = []
                break
            if best is None or len(found) < len(best):
                best = found
        if best:
            problems.append(f"person {n}: " + "; ".join(best))
        elif best is None:
            problems.append(f"person {n}: no record left")
    return not problems, problems


def import_case(case: dict, tmp_path: Path) -> tuple[list[dict], int, str | None]:
    workspace = make_workspace(tmp_path / "ws", {})
    path = REALWORLD / case["file"]
    with Store(workspace.store_path) as store:
        outcome = import_file(store, plugin_manager(), path, options=ImportOptions(region="US"))
        frame = store.records("WHERE source_file = ?", (str(path),))
    if outcome.status != "imported":
        return [], 0, outcome.error or outcome.status
    frame = frame.with_columns(pl.col(c).cast(pl.String) for c in ("birthday",) if c in frame.columns)
    return frame.to_dicts(), len(outcome.rejects), None


def _cases() -> list[dict]:
    if not (REALWORLD / "expected.json").exists():
        return []
    return json.loads((REALWORLD / "expected.json").read_text(encoding="utf-8"))["files"]


def test_every_realworld_file_imports_as_expected(tmp_path, capsys):
    cases = _cases()
    wrong = {}
    lines = []
    for n, case in enumerate(cases):
        records, rejects, error = import_case(case, tmp_path / str(n))
        right, problems = score_file(case, records, rejects, error)
        why = "" if right else ": " + " | ".join(problems)
        lines.append(f"{'ok ' if right else 'BAD'} {case['file']}{why}")
        if not right:
            wrong[case["file"]] = problems
    score = f"real-world corpus: {len(cases) - len(wrong)}/{len(cases)} files right"
    with capsys.disabled():
        print("\n" + "\n".join(lines) + "\n" + score)
    assert not wrong, score + "; wrong: " + json.dumps(wrong, ensure_ascii=False, indent=1)
