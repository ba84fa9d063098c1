"""Helpers for testing kith plugins (ours and third-party), in the spirit of pytest's ``pytester``.

Everything runs through the real core: a real workspace in a temporary folder, the real
plugin manager, validation at the boundary, normalization and the SQLite store. The
contract checks are plain functions that raise ``AssertionError`` with a sentence saying
what is wrong, so they work under pytest, unittest or a bare script.

    from pipeline.testing import check_importer, make_workspace

    import kith_meetup

    def test_meetup(tmp_path):
        members = "Name,Email\\nAmara Okafor,amara.okafor@example.com\\n"
        ws = make_workspace(tmp_path, {"members.csv": members})
        result = check_importer(ws, "members.csv", "meetup", plugins=[("meetup", kith_meetup)])
        assert result.records["emails"].to_list() == [["amara.okafor@example.com"]]

:func:`check_importer` runs every check below; each is also usable alone:
:func:`read_raw` (the importer's own output against the contract), :func:`assert_conforms`,
:func:`assert_rejects_have_places`, :func:`assert_detected_as`,
:func:`assert_sniff_declines_foreign_files` and :func:`assert_reimport_is_idempotent`.
For exporters: :func:`add_records` puts records in the store through the core, and
:func:`export_through_core` runs an exporter as ``kith report`` does and checks what it returns
(:func:`export_context` builds the context a run would hand it, to call ``write`` yourself). For follow-up
rules: :func:`log_entry` writes a journal entry as ``kith log`` does, and
:func:`tasks_through_core` computes the tasks as ``kith report`` does (:func:`get_rule`
finds a registered rule).
"""

from __future__ import annotations

from pipeline.testing.checks import (
    assert_conforms,
    assert_detected_as,
    assert_reimport_is_idempotent,
    assert_rejects_have_places,
    check_importer,
    read_raw,
)
from pipeline.testing.core import (
    ImportedFile,
    add_records,
    export_context,
    export_frame,
    export_through_core,
    get_exporter,
    get_importer,
    import_through_core,
    make_workspace,
    plugin_manager,
)
from pipeline.testing.foreign import (
    FOREIGN_SNIPPETS,
    assert_sniff_declines_foreign_files,
    foreign_files,
    installed_sample_inputs,
)
from pipeline.testing.rules import get_rule, log_entry, tasks_through_core

__all__ = [
    "FOREIGN_SNIPPETS",
    "ImportedFile",
    "add_records",
    "assert_conforms",
    "assert_detected_as",
    "assert_reimport_is_idempotent",
    "assert_rejects_have_places",
    "assert_sniff_declines_foreign_files",
    "check_importer",
    "export_context",
    "export_frame",
    "export_through_core",
    "foreign_files",
    "get_exporter",
    "get_importer",
    "get_rule",
    "import_through_core",
    "installed_sample_inputs",
    "log_entry",
    "make_workspace",
    "plugin_manager",
    "read_raw",
    "tasks_through_core",
]
