"""The built-in follow-up rules, registered through ``register_followup_rules`` like any plugin's.

1. ``thank_you`` — follow-up and thank-you after every conversation (:mod:`.conversation`)
2. ``referral`` — reach out to referred people, thank the referrer (:mod:`.referral`)
3. ``paid_time`` — people who sell their time: the 15-minute reminder (:mod:`.paid_time`)
4. ``prepare`` — before a meeting: ask for information, not advice (:mod:`.conversation`)
5. ``outcome_report`` — tell everyone who helped how it turned out (:mod:`.outcome`)
6. ``check_in`` — warm contacts quiet for weeks (:mod:`.conversation`)
"""

from __future__ import annotations

from pipeline import hookimpl
from plugins.followup_rules.conversation import CheckInRule, PrepareRule, ThankYouRule
from plugins.followup_rules.outcome import OutcomeReportRule
from plugins.followup_rules.paid_time import PaidTimeRule
from plugins.followup_rules.referral import ReferralRule


@hookimpl
def register_followup_rules() -> list[object]:
    return [ThankYouRule(), ReferralRule(), PaidTimeRule(), PrepareRule(), OutcomeReportRule(), CheckInRule()]
