"""pipeline.testing itself: its checks catch what they promise to catch, and its helpers work."""

from __future__ import annotations

import csv
import datetime as dt
import itertools
from pathlib import Path

import polars as pl
import pytest

from pipeline import hookimpl, registry
from pipeline.contracts import Draft, ExportContext, ImportOptions, ImportResult, Reject
from pipeline.errors import PluginError
from pipeline.testing import (
    FOREIGN_SNIPPETS,
    add_records,
    assert_detected_as,
    assert_reimport_is_idempotent,
    assert_rejects_have_places,
    assert_sniff_declines_foreign_files,
    check_importer,
    export_through_core,
    foreign_files,
    get_rule,
    installed_sample_inputs,
    log_entry,
    make_workspace,
    plugin_manager,
    read_raw,
    tasks_through_core,
)

ROWS = "Name,Email\nAna Reyes,ana.reyes@example.com\nBo Lindqvist,bo.lindqvist@example.com\n"


class Plugin:
    """A test plugin holding importers and exporters given to it."""

    def __init__(self, *items):
        self.items = items

    @hookimpl
    def register_importers(self):
        return [i for i in self.items if hasattr(i, "read")]

    @hookimpl
    def register_exporters(self):
        return [i for i in self.items if hasattr(i, "write")]


class Importer:
    """A well-behaved importer for ``Name,Email`` files; subclasses break one rule each."""

    name = "names"
    description = "test importer"

    def sniff(self, path, head):
        return 0.9 if head.startswith(b"Name,Email\n") else 0.0

    def frame(self, path):
        table = pl.read_csv(path, infer_schema=False)
        return table.with_row_index("n", offset=2).select(
            (pl.lit("row ") + pl.col("n").cast(pl.String)).alias("source_ref"),
            pl.col("Name").alias("full_name"),
            pl.col("Email").alias("emails"),
        )

    def read(self, path, options):
        return ImportResult(self.frame(path))


def _check(importer, tmp_path, files=None):
    ws = make_workspace(tmp_path / "ws", files or {"people.csv": ROWS})
    return check_importer(ws, "people.csv", importer.name, plugins=[("test", Plugin(importer))])


def test_a_good_importer_passes_every_check(tmp_path):
    result = _check(Importer(), tmp_path)
    assert result.outcome.status == "imported"
    assert result.records["emails"].to_list() == [["ana.reyes@example.com"], ["bo.lindqvist@example.com"]]


def test_greedy_sniff_is_caught_naming_the_files_it_claims(tmp_path):
    class Greedy(Importer):
        def sniff(self, path, head):
            return 0.8 if path.suffix == ".csv" else 0.0

    with pytest.raises(
        AssertionError, match=r"claims files of other formats.*linkedin file Connections\.csv"
    ):
        assert_sniff_declines_foreign_files(Greedy())


def test_sniff_that_raises_on_binary_is_caught(tmp_path):
    class Fragile(Importer):
        def sniff(self, path, head):
            return 0.9 if head.decode("utf-8").startswith("Name,Email") else 0.0

    with pytest.raises(AssertionError, match="sniff raised UnicodeDecodeError on"):
        assert_sniff_declines_foreign_files(Fragile())


def test_foreign_files_cover_the_embedded_formats_and_the_checkout_samples(tmp_path):
    files = foreign_files(tmp_path, own=["linkedin"])
    formats = {fmt for fmt, _ in files}
    assert {
        "google",
        "outlook",
        "thunderbird",
        "vcard",
        "alumni",
        "alumni_xlsx",
        "binary",
        "empty",
    } <= formats
    assert not {"linkedin", "linkedin_zip"} & formats  # own formats are skipped
    assert set(FOREIGN_SNIPPETS) - {"linkedin"} <= formats
    samples = installed_sample_inputs()
    assert samples == Path(__file__).resolve().parent.parent / "sample_inputs"
    with_linkedin = foreign_files(tmp_path / "all")
    assert samples / "linkedin" / "Connections.csv" in {path for _, path in with_linkedin}


def test_nondeterministic_read_is_not_idempotent(tmp_path):
    counter = itertools.count()

    class Clocked(Importer):
        def read(self, path, options):  # a value that changes on every read
            return ImportResult(self.frame(path).with_columns(pl.lit(f"read {next(counter)}").alias("notes")))

    with pytest.raises(AssertionError, match=r"other values in \['notes'\]"):
        _check(Clocked(), tmp_path)


def test_unstable_ids_are_caught(tmp_path):
    counter = itertools.count()

    class Keyed(Importer):
        def read(self, path, options):
            keys = [f"k{next(counter)}" for _ in range(2)]
            return ImportResult(self.frame(path).with_columns(pl.Series("source_key", keys)))

    ws = make_workspace(tmp_path / "ws", {"people.csv": ROWS})
    with pytest.raises(AssertionError, match="other record ids"):
        assert_reimport_is_idempotent(ws, "people.csv", plugins=[("test", Plugin(Keyed()))])


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda f: f.with_columns(pl.lit("row 2").alias("source_ref")), "several records the same place"),
        (
            lambda f: f.with_columns(pl.lit("colour: teal").alias("extra")),
            "'extra' at row 2 is not a JSON object",
        ),
        (lambda f: f.with_columns(pl.lit("conference").alias("channel")), r"channels \['conference'\]"),
        (
            lambda f: f.with_columns(pl.lit("x").alias("favourite_colour")),
            "unknown column 'favourite_colour'",
        ),
    ],
)
def test_read_raw_catches_what_the_boundary_cannot(tmp_path, change, message):
    class Broken(Importer):
        def read(self, path, options):
            return ImportResult(change(self.frame(path)))

    path = tmp_path / "people.csv"
    path.write_text(ROWS)
    with pytest.raises(Exception, match=message):
        read_raw(Broken(), path)


def test_rejects_without_a_place_or_reason_are_caught():
    with pytest.raises(AssertionError, match="without a place"):
        assert_rejects_have_places(ImportResult(pl.DataFrame(), [Reject(" ", "bad")]))
    with pytest.raises(AssertionError, match="without a reason"):
        assert_rejects_have_places(ImportResult(pl.DataFrame(), [Reject("row 2", "")]))
    with pytest.raises(AssertionError, match="not a pipeline.contracts.Reject"):
        assert_rejects_have_places(ImportResult(pl.DataFrame(), [("row 2", "bad")]))  # type: ignore[list-item]


def test_detection_losing_to_another_importer_is_caught(tmp_path, samples):
    with pytest.raises(AssertionError, match="detected as 'linkedin', expected 'names'"):
        assert_detected_as(
            samples / "linkedin" / "Connections.csv", "names", plugins=[("t", Plugin(Importer()))]
        )


# --- exporters -------------------------------------------------------------------------


class NamesExporter:
    name = "names_csv"
    description = "test exporter"

    def write(self, context: ExportContext) -> list[Path]:
        target = context.out_dir / f"names-{context.as_of.isoformat()}.csv"
        records = context.people.sort("full_name")
        with open(target, "w", newline="", encoding="utf-8") as handle:
            csv.writer(handle).writerows([[n] for n in records["full_name"]])
        return [target]


def test_hook_register_exporters_runs_through_export_through_core(tmp_path):
    ws = make_workspace(tmp_path / "ws")
    add_records(ws, [{"full_name": "Lena Fischer"}, {"full_name": "Amara Okafor", "tags": "alumni; 2026"}])
    plugins = [("test", Plugin(NamesExporter()))]
    pm = plugin_manager(plugins)
    assert "names_csv" in registry.exporters(pm) and registry.owner_of(pm, "exporter", "names_csv") == "test"
    [path] = export_through_core(ws, "names_csv", plugins=plugins, as_of=dt.date(2026, 5, 18))
    assert path == ws.root / "out" / "names-2026-05-18.csv"
    assert path.read_text().splitlines() == ["Amara Okafor", "Lena Fischer"]


def test_add_records_goes_through_the_core(tmp_path):
    ws = make_workspace(tmp_path / "ws")
    result = add_records(ws, [{"full_name": " Amara Okafor ", "emails": "AMARA@example.com; a@example.net"}])
    [row] = result.records.iter_rows(named=True)
    assert row["full_name"] == "Amara Okafor" and row["emails"] == ["amara@example.com", "a@example.net"]
    assert row["source"] == "test_rows" and row["record_id"]


@pytest.mark.parametrize(
    ("written", "message"),
    [
        (lambda out: out.parent / "elsewhere.csv", "outside its folder"),
        (lambda out: out / "never-written.csv", "which is not a file"),
    ],
)
def test_export_contract_violations_are_caught(tmp_path, written, message):
    class Sloppy(NamesExporter):
        def write(self, context):
            target = written(context.out_dir)
            if "elsewhere" in target.name:
                target.write_text("x")
            return [target]

    ws = make_workspace(tmp_path / "ws")
    with pytest.raises(AssertionError, match=message):
        export_through_core(ws, "names_csv", plugins=[("test", Plugin(Sloppy()))])


def test_non_ascii_list_values_round_trip_through_the_store(tmp_path):
    ws = make_workspace(tmp_path / "ws")
    result = add_records(ws, [{"full_name": "Lena Fischer", "tags": ["event: Women in Data — Spring 2026"]}])
    assert result.records["tags"].to_list() == [["event: Women in Data — Spring 2026"]]


def test_options_reach_the_importer(tmp_path):
    seen = {}

    class Curious(Importer):
        def read(self, path, options: ImportOptions):
            seen.update(region=options.region, settings=options.settings)
            return super().read(path, options)

    ws = make_workspace(tmp_path / "ws", {"people.csv": ROWS}, config='[workspace]\nregion = "DE"\n')
    check_importer(ws, "people.csv", "names", plugins=[("test", Plugin(Curious()))])
    assert seen == {"region": "DE", "settings": {}}


# --- follow-up rules ---------------------------------------------------------------------


class EveryEmailRule:
    """A task for every logged e-mail, drafted from a template in its own folder."""

    name = "every_email"
    description = "test rule"
    defaults = {"template": "every_email.txt"}

    def __init__(self, template_dir=None):
        self.template_dir = template_dir

    def entry_ids(self, entry):
        return [entry.entry_id]

    def key(self, entry):
        return str(entry.entry_id)

    def tasks(self, ctx):
        for e in ctx.entries:
            if e.kind == "email":
                yield ctx.task(
                    key=self.key(e),
                    person_id=e.person_id,
                    due=e.date,
                    action=f"Answer {ctx.name_of(e.person_id)}",
                    entries=self.entry_ids(e),
                    why="an e-mail",
                    note=e.note or "",
                )


class RulePlugin:
    def __init__(self, rule):
        self.rule = rule

    @hookimpl
    def register_followup_rules(self):
        return [self.rule]


def _rule_world(tmp_path, rule, files=None):
    ws = make_workspace(tmp_path / "ws", files, config='[workspace]\nowner_name = "Jordan Rivera"\n')
    add_records(
        ws,
        [
            {"full_name": "Amara Okafor", "emails": "amara.okafor@example.com"},
            {"full_name": "Ken Okafor", "emails": "ken.okafor@example.org"},
            {"full_name": "Lena Fischer", "emails": "lena.fischer@example.org"},
        ],
    )
    return ws, [("test", RulePlugin(rule))]


def _templates(tmp_path):
    folder = tmp_path / "pkg_templates"
    folder.mkdir(parents=True)
    (folder / "every_email.txt").write_text("Subject: Re: {{ note }}\n\nHi {{ person.first_name }},\n")
    return folder


def test_log_entry_matches_people_as_kith_log_does_and_refuses_guesses(tmp_path):
    ws, plugins = _rule_world(tmp_path, EveryEmailRule(_templates(tmp_path)))
    first = log_entry(ws, "email", "Amara Okafor", date="2026-03-02", note="the opening")
    second = log_entry(ws, "referral", "ken.okafor@example.org", date=dt.date(2026, 3, 3), to="Lena Fischer")
    assert second == first + 1
    with pytest.raises(AssertionError, match=r"'Okafor' must match exactly one person.*Amara Okafor.*Ken"):
        log_entry(ws, "email", "Okafor", date="2026-03-04")
    with pytest.raises(
        AssertionError, match="'Amara Okafr' must match exactly one person in the store, found nobody"
    ):
        log_entry(ws, "email", "Amara Okafr", date="2026-03-04")  # kith log would guess; a test must not

    [task] = tasks_through_core(ws, as_of="2026-03-09", rule="every_email", plugins=plugins)
    assert task.key == f"every_email:{first}" and task.person_name == "Amara Okafor"
    # The rule's own template folder is searched (after the workspace's folders).
    assert task.draft == Draft("Re: the opening", "Hi Amara,\n")
    # Every enabled rule ran: the built-in referral rule asks to reach out to Lena.
    everything = tasks_through_core(ws, as_of="2026-03-09", plugins=plugins)
    assert {t.key for t in everything} == {f"every_email:{first}", f"referral:reach_out:{second}"}
    assert get_rule("every_email", plugins=plugins).description == "test rule"
    with pytest.raises(AssertionError, match=r"no follow-up rule named 'nope'.*'every_email'"):
        tasks_through_core(ws, as_of="2026-03-09", rule="nope", plugins=plugins)


def test_a_workspace_template_overrides_the_rules_own(tmp_path):
    override = {"templates/every_email.txt": "Subject: Mine\n\nHello {{ person.name }}.\n"}
    ws, plugins = _rule_world(tmp_path, EveryEmailRule(_templates(tmp_path)), override)
    log_entry(ws, "email", "Lena Fischer", date="2026-03-02")
    [task] = tasks_through_core(ws, as_of="2026-03-02", rule="every_email", plugins=plugins)
    assert task.draft == Draft("Mine", "Hello Lena Fischer.\n")


def test_a_template_dir_that_is_not_a_folder_names_the_rule_and_plugin(tmp_path):
    ws, plugins = _rule_world(tmp_path, EveryEmailRule(tmp_path / "missing"))
    log_entry(ws, "email", "Lena Fischer", date="2026-03-02")
    with pytest.raises(
        PluginError, match=r"rule 'every_email' \(plugin 'test'\): its template_dir .*missing"
    ):
        tasks_through_core(ws, as_of="2026-03-02", plugins=plugins)


def test_tasks_that_change_between_runs_or_name_no_entry_are_caught(tmp_path):
    counter = itertools.count()

    class Unstable(EveryEmailRule):
        def key(self, entry):
            return f"{entry.entry_id}-{next(counter)}"

    class Dangling(EveryEmailRule):
        def entry_ids(self, entry):
            return [entry.entry_id, 999]

    for rule, message in (
        (Unstable, "differ between two runs on the same store"),
        (Dangling, r"names journal entries that don't exist: \[999\]"),
    ):
        ws, plugins = _rule_world(tmp_path / rule.__name__, rule(_templates(tmp_path / rule.__name__)))
        log_entry(ws, "email", "Lena Fischer", date="2026-03-02")
        with pytest.raises(AssertionError, match=message):
            tasks_through_core(ws, as_of="2026-03-02", plugins=plugins)
