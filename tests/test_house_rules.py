"""House rules kept true by tests: one default region, one name fold, one nickname table, one
way to run threads, functions a screen long (see ../shared/STYLE.md and issue 15).

The fold tests also pin that unifying the folds changed no result: dedupe's letters-only key
equals the fold it replaced on every kind of name, and the journal's name key equals its
former one wherever the former was not blind to the letters and punctuation it now folds.
"""

from __future__ import annotations

import ast
import re
import unicodedata
from pathlib import Path

import polars as pl
import pytest

from pipeline.journal.match import name_key, name_key_expr
from pipeline.normalize.nicknames import canonical_given, nickname_keys, nicknamer, same_given_name
from pipeline.normalize.text import fold, fold_expr, fold_series

ROOT = Path(__file__).resolve().parents[1]
CODE = sorted([*ROOT.joinpath("pipeline").rglob("*.py"), *ROOT.joinpath("plugins").rglob("*.py")])

NAMES = [
    "José",
    "O'Neil-Smith",
    "ZOË",
    "Müller",
    "Łukasz",
    "Søren",
    "Straße",
    "Æsa",
    "Œuvre",
    "Dương",
    "Yıldız",
    "J.R.",
    "Anne Marie",
    "Иван",
    "王芳",
    "Bob 🚀",
    "3rd",
    "  ",
    "",
    "Renée d’Arc",
    "Mary_Jane",
    None,
]

# The folds this module replaced, kept here as the reference the shared one must equal.
_FORMER_SPECIAL = {
    "ß": "ss",
    "ø": "o",
    "Ø": "o",
    "ł": "l",
    "Ł": "l",
    "æ": "ae",
    "Æ": "ae",
    "œ": "oe",
    "đ": "d",
}
_FORMER_SPECIAL.update({"Đ": "d", "þ": "th", "ı": "i"})
#: Letters the former dedupe fold dropped and the shared fold spells out (see the test below).
_NEWLY_FOLDED = "ðÐħĦŒÞẞŀĿ"
#: Functions named "fold" that fold something other than a name.
_OTHER_FOLDS = {
    "plugins/vcard/write.py:fold",  # RFC 6350 line folding
    "plugins/linkedin.py:_fold_overflow",  # unquoted commas folded back into the last CSV cell
}


def _former_dedupe_fold(expr: pl.Expr) -> pl.Expr:
    return (
        expr.str.replace_many(_FORMER_SPECIAL)
        .str.normalize("NFKD")
        .str.replace_all(r"\p{M}", "")
        .str.to_lowercase()
        .str.replace_all(r"[^a-z]", "")
        .replace("", None)
    )


def _former_journal_key(text: str | None) -> str:
    if not text:
        return ""
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()
    return " ".join(re.sub(r"[^\w]+|_", " ", plain).split())


def _frame() -> pl.DataFrame:
    return pl.DataFrame({"name": NAMES}, schema={"name": pl.String})


def test_dedupe_letters_only_fold_equals_the_former_dedupe_fold():
    got = _frame().select(
        new=fold_expr(pl.col("name"), letters_only=True), old=_former_dedupe_fold(pl.col("name"))
    )
    same = [n is None or not any(ch in _NEWLY_FOLDED for ch in n) for n in NAMES]
    assert got.filter(pl.Series(same)).select(pl.col("new").eq_missing(pl.col("old")).all()).item()
    assert got["new"].to_list()[:4] == ["jose", "oneilsmith", "zoe", "muller"]
    assert got.height - sum(same) == 1  # Œuvre


def test_letters_the_dedupe_fold_used_to_drop_now_fold_like_normalize():
    frame = pl.DataFrame({"name": ["Guðrún", "Þór", "Ħal", "ŒUF", "STRAẞE"]})
    assert frame.select(fold_expr(pl.col("name"), letters_only=True))["name"].to_list() == [
        "gudrun",
        "thor",
        "hal",
        "oeuf",
        "strasse",
    ]


def test_journal_name_key_is_the_shared_fold_and_equals_the_former_key_on_plain_names():
    plain = [n for n in NAMES if n is None or not re.search(r"['’.ßøŁłÆæŒœıđ]", n)]
    for text in plain:
        assert name_key(text) == _former_journal_key(text), text
    assert name_key("O'Neil-Smith") == "oneil smith" == fold("O'Neil-Smith")
    column = _frame().select(name_key_expr(pl.col("name")))["name"].to_list()
    assert column == [None if n is None else name_key(n) for n in NAMES]


def test_series_fold_per_value_fold_and_expression_agree():
    repeated = pl.Series("n", NAMES * 3, dtype=pl.String)
    by_expr = repeated.to_frame().select(fold_expr(pl.col("n")))["n"]
    assert fold_series(repeated).to_list() == by_expr.to_list()
    assert [fold(n) for n in NAMES] == by_expr.to_list()[: len(NAMES)]


def test_one_nickname_table_serves_normalize_dedupe_and_journal():
    assert canonical_given("Bob") == "robert"
    keys = dict(
        zip(["bob", "rob", "bill"], nickname_keys(pl.Series(["bob", "rob", "bill"])).to_list(), strict=True)
    )
    assert "robert" in set(keys["bob"]) & set(keys["rob"])
    assert "william" in keys["bill"]
    assert same_given_name("liz", "elizabeth") and not same_given_name("liz", "robert")
    assert nicknamer() is nicknamer()


def _functions(path: Path):
    return [
        n for n in ast.walk(ast.parse(path.read_text(encoding="utf-8"))) if isinstance(n, ast.FunctionDef)
    ]


def test_no_module_but_the_shared_one_defines_a_fold_or_loads_the_nickname_data():
    shared_fold = ROOT / "pipeline/normalize/text.py"
    shared_nicknames = ROOT / "pipeline/normalize/nicknames.py"
    folds, loaders = [], []
    for path in CODE:
        rel = path.relative_to(ROOT)
        if path != shared_fold:
            folds += [f"{rel}:{f.name}" for f in _functions(path) if re.fullmatch(r"_?fold\w*", f.name)]
        if path != shared_nicknames and re.search(r"^\s*(from|import) nicknames\b", path.read_text(), re.M):
            loaders.append(str(rel))
    assert sorted(set(folds) - _OTHER_FOLDS) == []
    assert loaders == []


def test_us_is_the_region_default_once():
    written = []
    for path in CODE:
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if re.search(r"region[^=\n]*=\s*\"US\"|region or \"US\"", line):
                written.append(f"{path.relative_to(ROOT)}:{number}")
    assert written == []
    from pipeline.config import DEFAULT_REGION, Config
    from pipeline.contracts import ImportOptions

    assert Config().region == ImportOptions().region == DEFAULT_REGION == "US"


@pytest.mark.parametrize("module", ["pipeline.normalize", "pipeline.journal.contacts"])
def test_region_is_required_below_config(module):
    import importlib
    import inspect

    mod = importlib.import_module(module)
    for name in ("normalize_records", "add_manual_contact"):
        fn = getattr(mod, name, None)
        if fn is not None:
            assert inspect.signature(fn).parameters["region"].default is inspect.Parameter.empty


def test_threads_only_through_the_one_helper_and_only_as_a_context_manager():
    shared = ROOT / "pipeline/threads.py"
    outside, bare = [], []
    for path in CODE:
        text = path.read_text(encoding="utf-8")
        rel = str(path.relative_to(ROOT))
        if path != shared and re.search(
            r"ThreadPoolExecutor|threading\.Thread\b|from threading import", text
        ):
            outside.append(rel)
        tree = ast.parse(text)
        managed = {
            id(item.context_expr)
            for node in ast.walk(tree)
            if isinstance(node, ast.With)
            for item in node.items
        }
        for node in ast.walk(tree):
            is_helper = isinstance(node, ast.Call) and getattr(node.func, "id", None) == "helper_threads"
            if is_helper and id(node) not in managed:
                bare.append(f"{rel}:{node.lineno}")
    assert outside == []
    assert bare == []
    users = [p.name for p in CODE if "helper_threads(" in p.read_text(encoding="utf-8") and p != shared]
    assert sorted(users) == [
        "__init__.py",
        "blocking.py",
        "compare.py",
        "features.py",
        "importing.py",
        "model.py",
        "stages.py",
        "storage.py",
        "store.py",
        "survivorship.py",
    ]


def test_helper_threads_are_joined_when_the_block_raises():
    import threading
    import time

    from pipeline.threads import helper_threads

    done = threading.Event()

    def slow():
        time.sleep(0.05)
        done.set()

    with pytest.raises(RuntimeError), helper_threads() as pool:
        pool.submit(slow)
        raise RuntimeError("step failed")
    assert done.is_set()


#: Longest function, in lines, outside the allow-list.
MAX_FUNCTION_LINES = 80
#: Long functions still to split: none are left, and none may come back.
LONG_FUNCTIONS_ALLOWED: set[str] = set()


def test_functions_are_a_screen_long():
    long = {}
    for path in CODE:
        for fn in _functions(path):
            lines = fn.end_lineno - fn.lineno + 1
            if lines > MAX_FUNCTION_LINES:
                long[f"{path.relative_to(ROOT)}:{fn.name}"] = lines
    assert sorted(set(long) - LONG_FUNCTIONS_ALLOWED) == []
