"""Each built-in follow-up rule on a small journal with a fixed "today", plus settings and templates."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import pytest

from pipeline import hookimpl
from pipeline.errors import ConfigError
from pipeline.followups import FollowupSettings, compute_tasks, mark_done
from pipeline.journal import add_entry, set_outcome
from pipeline.schema import conform
from pipeline.store import RECORD_COLUMNS, Store
from pipeline.testing import import_through_core, make_workspace, plugin_manager

FIXTURES = Path(__file__).parent / "fixtures"
D = dt.date
CONFIG = """
[workspace]
owner_name = "Jordan Rivera"
owner_email = "jordan.rivera@example.com"
"""


class World:
    """A workspace with a few LinkedIn connections, a journal written through the core API, and rules."""

    def __init__(self, root: Path, config: str = CONFIG, plugins=()) -> None:
        self.ws = make_workspace(root, config=config)
        self.pm = plugin_manager(plugins)
        import_through_core(self.ws, FIXTURES / "journal" / "Connections_two_emmas.csv", pm=self.pm)
        self.store = Store(self.ws.store_path)

    def rid(self, name: str) -> str:
        records = self.store.records().filter(pl.col("full_name") == name)
        assert records.height, name
        return records["record_id"][0]

    def log(self, kind: str, name: str, day: dt.date, *, via=None, to=None, note=None) -> int:
        return add_entry(
            self.store,
            kind,
            self.rid(name),
            date=day,
            via=self.rid(via) if via else None,
            to=self.rid(to) if to else None,
            note=note,
        )

    def tasks(self, as_of: dt.date, **kwargs):
        settings = FollowupSettings.from_workspace(self.ws)
        return compute_tasks(self.store, self.pm, as_of, settings, **kwargs)

    def by_rule(self, as_of: dt.date, rule: str):
        return [t for t in self.tasks(as_of) if t.rule == rule]

    def add_tagged(self, name: str, tags: list[str], email: str) -> None:
        frame = pl.DataFrame(
            {
                "record_id": [f"tagged-{name}"],
                "source": ["test"],
                "source_file": ["/tagged.csv"],
                "source_ref": ["row 2"],
                "full_name": [name],
                "emails": [[email]],
                "tags": [tags],
            }
        )
        self.store.replace_source(
            path=f"/tagged-{name}.csv",
            importer="test",
            content_hash=f"h-{name}",
            size=1,
            records=conform(frame, RECORD_COLUMNS),
            rejects=[],
            info={},
        )


@pytest.fixture
def world(tmp_path):
    w = World(tmp_path / "ws")
    try:
        yield w
    finally:
        w.store.close()


def test_thank_you_due_next_day_then_overdue_then_cleared(world):
    entry = world.log("met", "Maria Gonzalez", D(2026, 11, 3), note="alumni mixer")
    (task,) = world.by_rule(D(2026, 11, 4), "thank_you")
    assert task.key == f"thank_you:{entry}" and task.due == D(2026, 11, 4)
    assert task.person_name == "Maria Gonzalez" and task.email == "maria.gonzalez@example.com"
    assert not task.overdue and task.why.entries == (entry,)
    assert "met on 2026-11-03" in task.why.text
    assert task.draft.subject == "Thank you for taking the time to talk with me"
    assert task.draft.body.startswith("Hi Maria,") and task.draft.body.rstrip().endswith("Jordan Rivera")
    assert world.by_rule(D(2026, 11, 7), "thank_you")[0].overdue  # a few days later
    world.log("thank_you", "Maria Gonzalez", D(2026, 11, 5))
    assert world.by_rule(D(2026, 11, 7), "thank_you") == []


def test_thank_you_groups_unthanked_conversations_and_expires(world):
    first = world.log("call", "Priya Raman", D(2026, 11, 2))
    second = world.log("meeting", "Priya Raman", D(2026, 11, 9))
    (task,) = world.by_rule(D(2026, 11, 12), "thank_you")
    assert task.why.entries == (first, second) and task.key == f"thank_you:{second}"
    assert "call on 2026-11-02 and meeting on 2026-11-09" in task.why.text
    assert world.by_rule(D(2027, 1, 30), "thank_you") == []  # past lookback_days: the check-in takes over
    assert world.by_rule(D(2026, 11, 1), "thank_you") == []  # re-running an earlier week: not happened yet


def test_thank_you_delay_and_off_from_kith_toml(tmp_path):
    config = CONFIG + "[followups.thank_you]\ndelay_days = 2\noverdue_after_days = 5\n"
    w = World(tmp_path / "a", config=config)
    w.log("info_interview", "Dana Whitfield", D(2026, 11, 19))
    (task,) = w.by_rule(D(2026, 11, 23), "thank_you")
    assert task.due == D(2026, 11, 21) and task.overdue_after == D(2026, 11, 24) and not task.overdue
    w.store.close()
    off = World(tmp_path / "b", config=CONFIG + "[followups.thank_you]\nenabled = false\n")
    off.log("met", "Maria Gonzalez", D(2026, 11, 3))
    assert off.tasks(D(2026, 11, 4)) == []
    off.store.close()


def test_referral_reach_out_then_thank_the_referrer(world):
    ref = world.log("referral", "Maria Gonzalez", D(2026, 11, 10), to="Ken Watanabe")
    (reach,) = world.by_rule(D(2026, 11, 11), "referral")
    assert reach.key == f"referral:reach_out:{ref}" and reach.person_name == "Ken Watanabe"
    assert "Maria Gonzalez referred you" in reach.action and reach.due == D(2026, 11, 12)
    assert reach.draft.subject == "Maria Gonzalez suggested I get in touch"
    # A meeting with Ken is set up for next week: thank Maria now, no more reach-out.
    meeting = world.log("meeting", "Ken Watanabe", D(2026, 11, 24))
    tasks = world.by_rule(D(2026, 11, 17), "referral")
    assert [t.key for t in tasks] == [f"referral:thank_referrer:{ref}"]
    thanks = tasks[0]
    assert thanks.person_name == "Maria Gonzalez" and thanks.why.entries == (ref, meeting)
    assert (
        "Thanks for referring me to Ken. We have a meeting set up for Tuesday, November 24."
        in thanks.draft.body
    )
    # After the meeting the wording changes; thanking Ken himself is rule 1's task.
    after = world.tasks(D(2026, 11, 25))
    referral_thanks = next(t for t in after if t.key == f"referral:thank_referrer:{ref}")
    assert "We met on Tuesday, November 24" in referral_thanks.draft.body
    assert any(t.key == f"thank_you:{meeting}" and t.person_name == "Ken Watanabe" for t in after)
    world.log("thank_you", "Maria Gonzalez", D(2026, 11, 25))
    assert world.by_rule(D(2026, 11, 26), "referral") == []


def test_after_the_outcome_the_referrer_gets_the_outcome_report_not_a_how_it_went(world):
    """Thanked before the meeting, then hired: one message to the referrer, the outcome report."""
    ref = world.log("referral", "Maria Gonzalez", D(2026, 11, 10), to="Ken Watanabe")
    world.log("thank_you", "Maria Gonzalez", D(2026, 11, 11))
    world.log("meeting", "Ken Watanabe", D(2026, 11, 17))
    keys = [t.key for t in world.tasks(D(2026, 11, 19))]
    assert f"referral:thank_referrer_after:{ref}" in keys  # no outcome yet: tell her how it went
    set_outcome(world.store, "accepted a job with Contoso", D(2026, 11, 24))
    maria = [t.key for t in world.tasks(D(2026, 11, 26)) if t.person_name == "Maria Gonzalez"]
    assert maria == [f"outcome_report:20261124:{ref}"]


def test_referral_thanks_the_person_met_when_thank_you_rule_is_off(tmp_path):
    w = World(tmp_path / "ws", config=CONFIG + "[followups.thank_you]\nenabled = false\n")
    w.log("referral", "Maria Gonzalez", D(2026, 11, 10), to="Ken Watanabe")
    met = w.log("meeting", "Ken Watanabe", D(2026, 11, 17))
    keys = {t.key for t in w.tasks(D(2026, 11, 18))}
    assert f"referral:thank_met:{met}" in keys
    w.store.close()


def test_paid_time_reminder_rides_on_tasks_for_people_who_sell_their_time(world):
    world.log("info_interview", "Dana Whitfield", D(2026, 11, 19))
    upcoming = world.log("meeting", "Dana Whitfield", D(2026, 11, 30))
    tasks = {t.rule: t for t in world.tasks(D(2026, 11, 20))}
    # The thank-you after a meeting already held asks for no time: no reminder there.
    assert "15 minutes" not in tasks["thank_you"].action and tasks["thank_you"].notes == []
    assert "15 minutes" not in tasks["thank_you"].draft.body
    prepare = tasks["prepare"]
    assert prepare.notes == [
        "Dana Whitfield sells their time: keep it under 15 minutes, or offer a paid consultation"
    ]
    assert prepare.key == f"prepare:{upcoming}" and "paid consultation" in prepare.draft.body
    # Maria (a director, not selling time) gets no reminder.
    world.log("met", "Maria Gonzalez", D(2026, 11, 19))
    maria = next(t for t in world.tasks(D(2026, 11, 20)) if t.person_name == "Maria Gonzalez")
    assert "15 minutes" not in maria.action and maria.notes == []


def test_prepare_for_meetings_coming_up(world):
    soon = world.log("call", "Priya Raman", D(2026, 12, 1))
    world.log("meeting", "Ken Watanabe", D(2027, 1, 15))  # too far ahead
    (task,) = world.by_rule(D(2026, 11, 26), "prepare")
    assert task.key == f"prepare:{soon}" and task.due == D(2026, 11, 30)
    assert "ask for information, not advice; a request for referrals at the end is fine" in task.action
    assert task.draft.subject == "Looking forward to our call on Tuesday, December 1"


def test_outcome_report_to_everyone_who_helped(world):
    world.log("met", "Maria Gonzalez", D(2026, 11, 3))
    world.log("referral", "Maria Gonzalez", D(2026, 11, 10), to="Ken Watanabe")
    world.log("meeting", "Ken Watanabe", D(2026, 11, 17), via="Maria Gonzalez")
    world.log("info_interview", "Dana Whitfield", D(2026, 11, 18))
    world.log("email", "Elizabeth Harper", D(2026, 11, 18))  # an email alone is not help
    set_outcome(world.store, "accepted a job with Contoso as project manager", D(2026, 11, 20))
    assert world.by_rule(D(2026, 11, 19), "outcome_report") == []  # not yet
    tasks = {t.person_name: t for t in world.by_rule(D(2026, 11, 26), "outcome_report")}
    assert set(tasks) == {"Maria Gonzalez", "Ken Watanabe", "Dana Whitfield"}
    body = tasks["Maria Gonzalez"].draft.body
    # The outcome report's message, the same text as its outcome-drafts/ file.
    assert "After talking to three people, I decided to accept a job with Contoso" in body
    assert "and for referring me to Ken" in body and "introducing" not in body
    assert body.count("hank") == 1  # one thanks sentence, never two in a row
    assert tasks["Maria Gonzalez"].draft_file.startswith("outcome-drafts/0")
    assert "Thank you for the informational interview" in tasks["Dana Whitfield"].draft.body
    assert all(t.due == D(2026, 11, 23) for t in tasks.values())
    world.log("outcome_report", "Ken Watanabe", D(2026, 11, 24))
    names = {t.person_name for t in world.by_rule(D(2026, 11, 26), "outcome_report")}
    assert names == {"Maria Gonzalez", "Dana Whitfield"}


def test_check_in_after_weeks_of_quiet(world, tmp_path):
    last = world.log("email", "Elizabeth Harper", D(2026, 9, 30))
    (task,) = world.by_rule(D(2026, 11, 26), "check_in")
    assert task.key == f"check_in:{last}" and task.due == D(2026, 11, 11)
    assert "for 8 weeks" in task.why.text and "Wednesday, September 30" in task.draft.body
    assert world.by_rule(D(2026, 11, 5), "check_in") == []  # only five weeks by then
    w = World(tmp_path / "ten", config=CONFIG + "[followups.check_in]\nweeks = 10\n")
    w.log("email", "Elizabeth Harper", D(2026, 9, 30))
    assert w.by_rule(D(2026, 11, 26), "check_in") == []
    w.store.close()


@pytest.mark.parametrize("tag", ["do-not-contact", "deceased", "Do-Not-Contact"])
def test_do_not_contact_and_deceased_never_get_tasks(world, tag):
    world.add_tagged("Harriet Vance", [tag], "harriet@example.org")
    world.log("met", "Harriet Vance", D(2026, 11, 3))
    world.log("referral", "Harriet Vance", D(2026, 11, 3), to="Ken Watanabe")
    world.log("met", "Maria Gonzalez", D(2026, 11, 3))
    names = {t.person_name for t in world.tasks(D(2026, 11, 4))}
    assert "Harriet Vance" not in names
    assert names == {"Maria Gonzalez", "Ken Watanabe"}  # Ken still gets reached out to


def test_done_tasks_drop_off_and_stay_done(world):
    entry = world.log("met", "Maria Gonzalez", D(2026, 11, 3))
    key = f"thank_you:{entry}"
    assert mark_done(world.store, [key]) == 1
    assert world.tasks(D(2026, 11, 4)) == []
    (done,) = world.tasks(D(2026, 11, 4), include_done=True)
    assert done.done and not done.overdue and done.status(D(2026, 11, 4)) == "done"
    mark_done(world.store, [key], done=False)
    assert [t.key for t in world.tasks(D(2026, 11, 4))] == [key]


def test_workspace_template_overrides_builtin_by_file_name(world):
    (world.ws.root / "templates").mkdir()
    (world.ws.root / "templates" / "thank_you.txt").write_text(
        "Subject: Cheers, {{ person.first_name }}!\n\nThanks for {{ what }}. -- {{ owner.name }}\n",
        encoding="utf-8",
    )
    world.log("call", "Priya Raman", D(2026, 11, 3))
    (task,) = world.by_rule(D(2026, 11, 4), "thank_you")
    assert task.draft.subject == "Cheers, Priya!"
    assert task.draft.body == "Thanks for the call. -- Jordan Rivera\n"


def test_templates_dir_setting_and_strict_undefined(tmp_path):
    config = CONFIG + '[followups]\ntemplates_dir = "mine"\n'
    w = World(tmp_path / "ws", config=config)
    (w.ws.root / "mine").mkdir()
    (w.ws.root / "mine" / "check_in.txt").write_text(
        "Subject: Hi\n\n{{ person.shoe_size }}\n", encoding="utf-8"
    )
    w.log("email", "Elizabeth Harper", D(2026, 9, 30))
    with pytest.raises(ConfigError, match=r"check_in\.txt.*shoe_size"):
        w.tasks(D(2026, 11, 26))
    w.store.close()


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ("[followups.thank_you]\ndelay = 2\n", r"\[followups.thank_you\] unknown key 'delay'"),
        ("[followups.thank_you]\ndelay_days = 'two'\n", r"'delay_days' must be int"),
        (
            "[followups.thankyou]\nenabled = false\n",
            r"\[followups.thankyou\] is not an installed follow-up rule",
        ),
        ("[followups.check_in]\nenabled = 1\n", r"'enabled' must be bool"),
    ],
)
def test_bad_followup_settings_name_the_key(tmp_path, toml, message):
    w = World(tmp_path / "ws", config=CONFIG + toml)
    with pytest.raises(ConfigError, match=message):
        w.tasks(D(2026, 11, 26))
    w.store.close()


class BirthdayRule:
    name = "coffee_anniversary"
    description = "a third-party rule"
    defaults = {"days": 365}

    def tasks(self, ctx):
        for e in ctx.entries:
            if e.kind == "meeting":
                yield ctx.task(
                    key=str(e.entry_id),
                    person_id=e.person_id,
                    due=e.date + ctx.days("days"),
                    action=f"A year since coffee with {ctx.name_of(e.person_id)}",
                    entries=[e.entry_id],
                    why="one year on",
                    template="check_in.txt",
                    last_when="last year",
                )


class ThirdParty:
    @hookimpl
    def register_followup_rules(self):
        return [BirthdayRule()]


class Clash:
    @hookimpl
    def register_followup_rules(self):
        rule = BirthdayRule()
        rule.name = "thank_you"
        return [rule]


def test_a_third_party_rule_plugs_in_and_a_name_clash_is_loud(tmp_path):
    w = World(tmp_path / "ws", plugins=[("anniversary", ThirdParty())])
    entry = w.log("meeting", "Priya Raman", D(2026, 1, 5))
    (task,) = w.by_rule(D(2027, 1, 5), "coffee_anniversary")
    assert task.key == f"coffee_anniversary:{entry}" and task.due == D(2027, 1, 5)
    w.store.close()
    clash = World(tmp_path / "clash", plugins=[("clash", Clash())])
    clash.tasks(D(2026, 11, 26))  # the built-in thank_you keeps its name; the clashing plugin is out
    (failed,) = [f for f in clash.pm.failed if f.name == "clash"]
    assert "two followup rules are named 'thank_you'" in failed.error
    clash.store.close()


def test_the_sample_story_gives_this_weeks_checklist(tmp_path):
    samples = Path(__file__).parent.parent / "sample_inputs"
    ws = make_workspace(tmp_path / "ws", config=CONFIG)
    pm = plugin_manager()
    import_through_core(ws, samples / "linkedin" / "Connections.csv", pm=pm)
    import_through_core(ws, samples / "journal" / "journal.xlsx", pm=pm)
    with Store(ws.store_path) as store:
        tasks = compute_tasks(store, pm, D(2026, 11, 26), FollowupSettings.from_workspace(ws))
    got = sorted((t.rule, t.person_name, t.overdue) for t in tasks)
    helpers = ["Dana Whitfield", "Elizabeth Harper", "Ken Watanabe", "Maria Gonzalez", "Priya Raman"]
    assert got == sorted(
        [
            ("thank_you", "Priya Raman", True),
            ("thank_you", "Robert Kowalski", True),
            ("thank_you", "Dana Whitfield", True),
            ("referral", "Maria Gonzalez", True),
            ("check_in", "Jonathan O'Neil", True),
            ("prepare", "Robert Kowalski", False),
            *[("outcome_report", name, False) for name in [*helpers, "Robert Kowalski"]],
        ]
    )
    dana = next(t for t in tasks if t.rule == "thank_you" and t.person_name == "Dana Whitfield")
    assert "15 minutes" not in dana.action  # the reminder is for asking for time, not for thanks
    maria = next(t for t in tasks if t.rule == "outcome_report" and t.person_name == "Maria Gonzalez")
    assert "After talking to six people, I decided to accept a job with Contoso" in maria.draft.body


def test_a_reach_out_after_the_outcome_does_not_say_the_search_goes_on(world):
    from pipeline.journal import set_outcome

    world.log("met", "Maria Gonzalez", D(2026, 11, 2))
    set_outcome(world.store, "accepted a job with Contoso", D(2026, 11, 20))
    ref = world.log("referral", "Maria Gonzalez", D(2026, 11, 23), to="Ken Watanabe")
    (reach,) = [t for t in world.by_rule(D(2026, 11, 24), "referral") if t.key == f"referral:reach_out:{ref}"]
    assert "exploring my next role" not in reach.draft.body
    assert "I recently accepted a job with Contoso" in reach.draft.body
