"""Meta-tests that keep the plugin surface honest (STYLE.md 14, as datasette does).

Everything here iterates over what exists — the hook specs in pipeline/hookspecs.py, the
built-ins in BUILTIN_PLUGINS, the columns of pipeline/schema.py — so a new hook or plugin
is held to the same rules without touching this file.
"""

from __future__ import annotations

import functools
import inspect
import re
from pathlib import Path

import polars as pl
import pytest

import pipeline
from pipeline import hookspecs, registry
from pipeline.importing import pick_importer
from pipeline.manager import BUILTIN_PLUGINS, make_plugin_manager
from pipeline.scaffold import HOOKS_BEGIN, HOOKS_END, hook_reference, hook_specs
from pipeline.schema import CANONICAL
from pipeline.testing import foreign_files, installed_sample_inputs
from pipeline.textio import read_head

ROOT = Path(pipeline.__file__).resolve().parent.parent
DOCS = (ROOT / "docs" / "plugins.md").read_text(encoding="utf-8")
HOOKS = sorted(hook_specs())
BUILTINS = {dotted.rsplit(".", 1)[-1]: dotted for dotted in BUILTIN_PLUGINS}


@pytest.fixture(scope="module")
def builtin_pm():
    return make_plugin_manager(entry_points=False, disabled=())


def test_there_are_hooks_to_check():
    assert {"register_importers", "register_exporters"} <= set(HOOKS)


@pytest.mark.parametrize("name", HOOKS)
def test_every_hook_is_documented_as_a_contract(name):
    spec = hook_specs()[name]
    doc = inspect.getdoc(spec) or ""
    summary = doc.split("\n", 1)[0]
    assert summary.endswith("."), f"{name}: the docstring needs a one-line summary"
    assert re.search(r"^Called ", doc, re.M), f"{name}: the docstring must say when the hook is called"
    assert ":return:" in doc, f"{name}: the docstring must say what the hook returns"
    for param in inspect.signature(spec).parameters:
        assert f":param {param}:" in doc, f"{name}: parameter {param!r} is not documented"
    if getattr(spec, f"{hookspecs.PROJECT}_spec").get("firstresult"):
        assert "Stops at the first non-None result." in doc, f"{name} is firstresult and must say so"


@pytest.mark.parametrize("name", HOOKS)
def test_every_hook_is_in_docs_plugins_md(name):
    assert f"#### `{name}`" in DOCS, (
        f"docs/plugins.md does not document {name}; run `kith plugin hooks --update`"
    )


def test_docs_hook_reference_is_generated_from_hookspecs():
    start, end = DOCS.index(HOOKS_BEGIN) + len(HOOKS_BEGIN), DOCS.index(HOOKS_END)
    assert DOCS[start:end].strip() == hook_reference().strip(), (
        "docs/plugins.md's hook reference is stale: run `kith plugin hooks --update docs/plugins.md`"
    )


@functools.cache
def _test_modules() -> dict[str, str]:
    """The source of every test module under tests/ except this one, by name."""
    return {
        path.name: path.read_text(encoding="utf-8")
        for path in sorted((ROOT / "tests").rglob("test_*.py"))
        if path.name != Path(__file__).name
    }


@pytest.mark.parametrize("name", HOOKS)
def test_every_hook_has_a_test(name):
    """A test module exercises the hook: datasette's ``test_hook_<name>``, or a test plugin with it."""
    modules = [module for module, source in _test_modules().items() if name in source]
    assert modules, f"no test exercises the {name} hook; add test_hook_{name}"


@pytest.mark.parametrize("short", sorted(BUILTINS))
def test_every_builtin_is_registered_and_implements_a_hook(builtin_pm, short):
    failed = {f.name: f.error for f in builtin_pm.failed}
    assert short not in failed, f"built-in {BUILTINS[short]} failed to load: {failed.get(short)}"
    plugin = builtin_pm.get_plugin(short)
    assert plugin is not None, f"built-in {BUILTINS[short]} is not registered"
    assert builtin_pm.origins[short] == "built-in"
    callers = builtin_pm.get_hookcallers(plugin) or []
    assert callers, f"built-in {BUILTINS[short]} implements no hook"
    for caller in callers:
        assert caller.name in HOOKS, f"{BUILTINS[short]} implements {caller.name}, which is no kith hook"


@pytest.mark.parametrize("short", sorted(BUILTINS))
def test_builtin_answers_to_firstresult_hooks_can_be_overridden(builtin_pm, short):
    """STYLE.md 6: a built-in's answer to a firstresult hook is trylast, so a user's plugin wins."""
    plugin = builtin_pm.get_plugin(short)
    for caller in builtin_pm.get_hookcallers(plugin) or []:
        if (caller.spec and caller.spec.opts.get("firstresult")) is True:
            for impl in caller.get_hookimpls():
                if impl.plugin is plugin:
                    assert impl.trylast, f"{BUILTINS[short]}: {caller.name} must be @hookimpl(trylast=True)"


def test_hooks_are_called_only_from_the_registry():
    """STYLE.md 7: every ``pm.hook`` call lives in pipeline/registry.py, where plugins are blamed by name."""
    offenders = []
    for folder in (ROOT / "pipeline", ROOT / "plugins"):
        for path in sorted(folder.rglob("*.py")):
            if path == ROOT / "pipeline" / "registry.py":
                continue
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                if re.search(r"\bpm\.hook\b|\.hook\.\w+\(", line):
                    offenders.append(f"{path.relative_to(ROOT)}:{number}")
    assert not offenders, f"hook calls outside pipeline/registry.py: {offenders}"


def _sample_cases() -> list[tuple[Path, str]]:
    """``(file, importer)`` for each file in a sample_inputs/ folder named after a built-in importer.

    A folder belongs to the importer of the same name, or whose name's part before ``_``
    it is (``google`` → ``google_csv``).
    """
    samples = installed_sample_inputs()
    if samples is None:
        return []
    importers = registry.importers(make_plugin_manager(entry_points=False, disabled=()))
    cases = []
    for path in sorted(p for p in samples.rglob("*") if p.is_file() and not p.name.startswith(".")):
        parts = path.relative_to(samples).parts
        owner = next((n for n in importers if len(parts) > 1 and parts[0] in (n, n.split("_")[0])), None)
        if owner:
            cases.append((path, owner))
    return cases


@pytest.mark.parametrize(("path", "owner"), _sample_cases(), ids=lambda v: getattr(v, "name", v))
def test_every_sample_input_is_detected_as_its_own_format(builtin_pm, path, owner):
    assert pick_importer(builtin_pm, path, read_head(path)) == owner


def test_every_builtin_sniff_answers_every_file_without_raising(builtin_pm, tmp_path):
    """A score in [0, 1] for every file of every format, binary and empty ones too."""
    files = foreign_files(tmp_path)
    for name, importer in registry.importers(builtin_pm).items():
        for fmt, path in files:
            score = importer.sniff(path, read_head(path))
            assert isinstance(score, int | float) and 0.0 <= score <= 1.0, (name, fmt, path.name, score)


_DOC_TYPES = {"text": pl.String, "list of text": pl.List(pl.String), "integer": pl.Int32, "date": pl.Date}


def test_docs_schema_table_matches_the_canonical_schema():
    table = DOCS[DOCS.index("<!-- schema:begin -->") : DOCS.index("<!-- schema:end -->")]
    rows = re.findall(r"^\| `(\w+)` \| ([^|]+?) \|", table, re.M)
    documented = {name: _DOC_TYPES.get(kind.strip()) for name, kind in rows}
    assert list(documented) == list(CANONICAL), "docs/plugins.md's schema table must list CANONICAL in order"
    wrong = {name: str(dtype) for name, dtype in CANONICAL.items() if documented[name] != dtype}
    assert not wrong, f"docs/plugins.md gives other types than pipeline/schema.py for {wrong}"
