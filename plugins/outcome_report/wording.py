"""Words for the outcome report: numbers spelled out, name lists, the closing sentence, thanks lines.

Kept apart from the numbers so the wording can be read (and changed) on its own. Nothing
here guesses a gender: a referred person is named, never "he" or "she".
"""

from __future__ import annotations

import datetime as dt
import re

NUMBER_WORDS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten")

#: Past-tense openings that read right after "I " ("joined Contoso" → "I joined Contoso").
PAST_VERBS = {"took", "got", "began", "won", "found", "chose", "went", "made", "landed", "signed", "started"}
_LEGAL_SUFFIX = re.compile(
    r"[\s,]+(inc|incorporated|ltd|limited|llc|llp|corp|corporation|co|company|gmbh|ag|plc|sa|bv|pty)\.?$",
    re.IGNORECASE,
)
_ORG_AFTER = re.compile(r"\b(?:with|at|from|join|joined|joining)\s+(?:the\s+)?(.+)$", re.IGNORECASE)
_ORG_END = re.compile(r"\s+(?:as|in|on|starting|beginning|for|from)\s+.*$|[,;(].*$", re.IGNORECASE)


def number_word(n: int) -> str:
    """``6`` → ``six``; past ten, digits (the house style of the example sentence)."""
    return NUMBER_WORDS[n] if 0 <= n < len(NUMBER_WORDS) else f"{n:,}"


def people_phrase(n: int) -> str:
    """``1`` → ``one person``, ``6`` → ``six people``."""
    return f"{number_word(n)} {'person' if n == 1 else 'people'}"


def join_names(names: list[str]) -> str:
    """``Ken`` · ``Ken and Aiko`` · ``Ken, Aiko and Li``."""
    names = [n for n in names if n]
    if len(names) <= 1:
        return "".join(names)
    return f"{', '.join(names[:-1])} and {names[-1]}"


def month_phrase(date: dt.date | None, today: dt.date) -> str:
    """``in March`` (``in March 2025`` when not this year); empty without a date."""
    if date is None:
        return ""
    return f" in {date:%B}" if date.year == today.year else f" in {date:%B %Y}"


def outcome_clause(text: str) -> str:
    """First-person outcome: ``accepted a job with X`` → ``I decided to accept a job with X``."""
    text = " ".join(text.split()).rstrip(".!")
    if not text:
        return ""
    first = text.split(" ", 1)[0].casefold()
    if first in {"i", "i'm", "i've", "i'll"}:
        return "I" + text[1:]
    if first == "accepted":
        return "I decided to accept" + text[len("accepted") :]
    if first in PAST_VERBS or (first.endswith("ed") and first.isalpha()):
        return "I " + text[0].lower() + text[1:]
    return f"here is where I landed: {text}"


def closing_sentence(people_talked_to: int, outcome_text: str) -> str:
    """``After talking to six people, I decided to accept a job with Contoso.``"""
    clause = outcome_clause(outcome_text)
    if people_talked_to <= 0:
        return clause[:1].upper() + clause[1:] + "."
    return f"After talking to {people_phrase(people_talked_to)}, {clause}."


def organization_core(name: str) -> str:
    """An organization name without a trailing legal form, for matching (``Contoso Ltd`` → ``contoso``)."""
    core = name.strip().rstrip(".")
    while True:
        stripped = _LEGAL_SUFFIX.sub("", core)
        if stripped == core or len(stripped) < 2:
            break
        core = stripped
    return core.casefold()


def find_organization(text: str, organization: str) -> str | None:
    """The span of ``text`` naming ``organization`` (as ``text`` spells it), or None."""
    core = organization_core(organization)
    if len(core) < 2:
        return None
    match = re.search(r"(?<!\w)" + re.escape(core) + r"(?!\w)", text, re.IGNORECASE)
    return match.group(0) if match else None


def organization_from_text(text: str) -> str | None:
    """A guess at the organization an outcome names (``a job with Contoso as analyst`` → ``Contoso``)."""
    match = _ORG_AFTER.search(" ".join(text.split()).rstrip(".!"))
    if not match:
        return None
    org = _ORG_END.sub("", match.group(1)).strip()
    return org or None


def conversation_thanks(kind: str, last: dt.date | None, today: dt.date) -> str:
    when = month_phrase(last, today)
    if kind == "info_interview":
        return f"Thank you for the informational interview{when}"
    if kind == "meeting":
        return f"Thank you for taking the time to meet with me{when}"
    return f"Thank you for taking the time to talk with me{when}"


def thanks_message(
    *,
    conversation_kind: str | None,
    last_conversation: dt.date | None,
    referred_to: list[str],
    talked_to_referred: bool,
    led_to_outcome: bool,
    is_outcome_contact: bool,
    organization: str | None,
    today: dt.date,
) -> str:
    """The lines naming how someone helped ("Thanks again for referring me to Ken. …")."""
    target = organization or "where I landed"
    conversation = (
        conversation_thanks(conversation_kind, last_conversation, today) if conversation_kind else ""
    )
    referral = f"referring me to {join_names(referred_to)}" if referred_to else ""
    sentences = []
    # One thanks naming every fact, never "Thank you … Thanks again …" in a row.
    if conversation:
        first = f"{conversation}, and for {referral}" if referral else conversation
        if is_outcome_contact:
            first += f"; that conversation is what led me to {target}"
        elif not referral:
            first += ". Your advice was a real help"
        sentences.append(first + ".")
    elif is_outcome_contact:
        helped = f"your help and for {referral}" if referral else "your help"
        sentences.append(f"Thank you for {helped}; it is what led me to {target}.")
    elif referral:
        sentences.append(f"Thank you for {referral}.")
    if referral and led_to_outcome:
        sentences.append(f"That introduction is what led me to {target}.")
    elif referral and talked_to_referred:
        sentences.append(f"Talking with {join_names(referred_to)} was very helpful.")
    return " ".join(sentences) or "Thank you for your help along the way."
