"""Meta-tests that keep the plugin surface honest (STYLE.md 14, as datasette does).

Everything here iterates over what exists — the hook specs in pipeline/hookspecs.py, the
built-ins in BUILTIN_PLUGINS, the columns of pipeline/schema.py — so a new hook or plugin
is held to the same rules without touching this file.
"""

from __future__ import annotations

import ast
import functools
import inspect
import re
from pathlib import Path

import polars as pl
import pytest

import pipeline
from pipeline import hookspecs, registry
from pipeline.manager import BUILTIN_PLUGINS, make_plugin_manager
from pipeline.scaffold import HOOKS_BEGIN, HOOKS_END, hook_reference, hook_specs
from pipeline.schema import CANONICAL
from pipeline.testing import assert_sniff_declines_foreign_files, get_importer

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
def _test_functions() -> dict[str, str]:
    """Every test function's source under tests/, except this file's, by qualified name."""
    found = {}
    for path in sorted((ROOT / "tests").rglob("test_*.py")):
        if path.name == Path(__file__).name:
            continue
        source = path.read_text(encoding="utf-8")
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.FunctionDef) and node.name.startswith("test_"):
                found[f"{path.name}::{node.name}"] = ast.get_source_segment(source, node) or ""
    return found


@pytest.mark.parametrize("name", HOOKS)
def test_every_hook_has_a_test(name):
    """A test named after the hook (datasette's ``test_hook_<name>``), or one that mentions it."""
    tests = _test_functions()
    named = [t for t in tests if f"test_hook_{name}" in t]
    mentioning = [t for t, source in tests.items() if name in source]
    assert named or mentioning, f"no test exercises the {name} hook; add test_hook_{name}"


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


def _builtin_importers():
    pm = make_plugin_manager(entry_points=False, disabled=())
    found = registry.importers(pm)
    return sorted(name for name in found if registry.owner_of(pm, "importer", name) in BUILTINS)


@pytest.mark.parametrize("name", _builtin_importers())
def test_every_builtin_importer_declines_other_formats_files(name):
    """Its sniff scores below the threshold on every file of another format, and never raises.

    An importer's own formats are its name and the part before ``_`` (``google_csv`` owns
    ``google``), as the folders of sample_inputs/ are named.
    """
    importer = get_importer(name)
    assert_sniff_declines_foreign_files(importer, own={name, name.split("_")[0]})


_DOC_TYPES = {"text": pl.String, "list of text": pl.List(pl.String), "integer": pl.Int32, "date": pl.Date}


def test_docs_schema_table_matches_the_canonical_schema():
    table = DOCS[DOCS.index("<!-- schema:begin -->") : DOCS.index("<!-- schema:end -->")]
    rows = re.findall(r"^\| `(\w+)` \| ([^|]+?) \|", table, re.M)
    documented = {name: _DOC_TYPES.get(kind.strip()) for name, kind in rows}
    assert list(documented) == list(CANONICAL), "docs/plugins.md's schema table must list CANONICAL in order"
    wrong = {name: str(dtype) for name, dtype in CANONICAL.items() if documented[name] != dtype}
    assert not wrong, f"docs/plugins.md gives other types than pipeline/schema.py for {wrong}"
