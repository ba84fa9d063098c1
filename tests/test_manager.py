"""The plugin host: built-ins, broken plugins isolated, duplicates loud, typos caught."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from pipeline import registry
from pipeline.errors import PluginError
from pipeline.manager import BUILTIN_PLUGINS, make_plugin_manager
from tests.fixture_plugins import duplicate_linkedin, misbehaving

FIXTURE_PLUGINS = Path(__file__).parent / "fixture_plugins"


def test_builtins_are_registered_and_provide_importers(pm):
    names = {name for name, _ in pm.list_name_plugin()}
    assert {dotted.rsplit(".", 1)[-1] for dotted in BUILTIN_PLUGINS} <= names
    assert "linkedin" in registry.importers(pm)


def test_every_builtin_implements_a_hook(pm):
    for dotted in BUILTIN_PLUGINS:
        plugin = pm.get_plugin(dotted.rsplit(".", 1)[-1])
        assert pm.get_hookcallers(plugin), f"{dotted} implements no hook"


def test_broken_plugin_in_plugins_dir_is_listed_with_its_error(tmp_path):
    shutil.copy(FIXTURE_PLUGINS / "broken_on_import.py", tmp_path / "broken_on_import.py")
    pm = make_plugin_manager(plugins_dir=tmp_path, entry_points=False, disabled=())
    failed = {f.name: f for f in pm.failed}
    assert "broken_on_import" in failed
    assert "this plugin is broken on purpose" in failed["broken_on_import"].error
    # everything else still works
    assert "linkedin" in registry.importers(pm)
    infos = {i.name: i for i in registry.plugin_infos(pm)}
    assert infos["broken_on_import"].error and infos["linkedin"].error is None


def test_typo_hook_is_caught_by_check_pending(tmp_path):
    shutil.copy(FIXTURE_PLUGINS / "typo_hook.py", tmp_path / "typo_hook.py")
    pm = make_plugin_manager(plugins_dir=tmp_path, entry_points=False, disabled=())
    failed = {f.name: f.error for f in pm.failed}
    assert "typo_hook" in failed and "register_importer" in failed["typo_hook"]
    assert not pm.has_plugin("typo_hook")


def test_a_plugin_taking_a_built_in_importers_name_is_disabled_and_named_the_built_in_keeps_working():
    pm = make_plugin_manager(entry_points=False, extra_plugins=[("shadow", duplicate_linkedin)], disabled=())
    found = registry.importers(pm)
    assert registry.owner_of(pm, "importer", "linkedin") == "linkedin" and "vcard" in found
    (failed,) = [f for f in pm.failed if f.name == "shadow"]
    assert "two importers are named 'linkedin'" in failed.error
    infos = {i.name: i for i in registry.plugin_infos(pm)}
    assert infos["shadow"].error == failed.error


def test_two_built_ins_with_one_name_fail_loudly():
    """A clash between kith's own plugins is kith's bug: it stops instead of picking one."""
    pm = make_plugin_manager(entry_points=False, disabled=())
    pm.origins["shadow"] = "built-in"
    pm.register(duplicate_linkedin, name="shadow")
    with pytest.raises(PluginError, match="two importers are named 'linkedin'"):
        registry.importers(pm)


def test_duplicate_plugin_names_fail_loudly():
    with pytest.raises(PluginError, match="two plugins are named 'linkedin'"):
        make_plugin_manager(entry_points=False, extra_plugins=[("linkedin", misbehaving)], disabled=())


def test_disable_plugins_from_environment(monkeypatch):
    monkeypatch.setenv("KITH_DISABLE_PLUGINS", "linkedin, other")
    pm = make_plugin_manager(entry_points=False)
    assert "linkedin" not in registry.importers(pm)
    infos = {i.name: i for i in registry.plugin_infos(pm)}
    assert infos["linkedin"].provides == ["(disabled)"] and infos["linkedin"].error is None
    assert infos["vcard"].version  # built-ins report kith's version


def test_trace_plugins_writes_hook_calls_to_stderr(monkeypatch, capsys):
    monkeypatch.setenv("KITH_TRACE_PLUGINS", "1")
    pm = make_plugin_manager(entry_points=False)
    registry.importers(pm)
    err = capsys.readouterr().err
    assert "register_importers" in err and "[hook]" in err  # pluggy's own trace of each call


def test_hook_calls_go_through_pluggy_so_wrappers_run():
    from pipeline import hookimpl

    seen = []

    class Wrapper:
        @hookimpl(wrapper=True)
        def register_exporters(self):
            result = yield
            seen.append(len(result))
            return result

    pm = make_plugin_manager(entry_points=False, extra_plugins=[("wrapper", Wrapper())], disabled=())
    assert "contacts" in registry.exporters(pm)
    assert seen and all(n == 1 for n in seen)  # around each plugin's call, one result each


def test_each_manager_is_fresh():
    first = make_plugin_manager(entry_points=False, extra_plugins=[("misbehaving", misbehaving)], disabled=())
    second = make_plugin_manager(entry_points=False, disabled=())
    assert "exploding" in registry.importers(first)
    assert "exploding" not in registry.importers(second)
