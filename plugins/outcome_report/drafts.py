"""One ``.eml`` draft per helper, ready to open in a mail program, check and send.

Wording comes from Jinja2 templates ``outcome_message.txt`` and ``outcome_subject.txt``:
a workspace's ``templates/`` folder overrides this plugin's own in ``templates/``. Messages
are built with the stdlib :mod:`email` package; every header value goes through
:func:`pipeline.safety.single_line`, so a CR/LF smuggled into a contact's name can never add
a header (``Bcc:``). ``X-Unsent: 1`` makes Outlook open the file as an unsent draft.

This is the one outcome message per helper: :func:`helper_drafts` gives each helper's
subject, body and file name (``NN-name.eml``, one numbering over every helper, those without an
address included as ``NN-name-no-address.eml``). The ``outcome_report`` follow-up rule puts the
same draft and file name on its task, so the checklist links here instead of writing a copy.
"""

from __future__ import annotations

from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from pathlib import Path

from pipeline.contracts import Draft
from pipeline.errors import ConfigError
from pipeline.fileio import atomic_write, slug
from pipeline.safety import single_line
from plugins.outcome_report.model import Helper, OutcomeReport

DRAFTS_FOLDER = "outcome-drafts"

BUILTIN_TEMPLATES = Path(__file__).resolve().parent / "templates"


def _environment(template_dirs: list[Path]):
    import jinja2
    from jinja2.sandbox import SandboxedEnvironment

    folders = [str(p) for p in [*template_dirs, BUILTIN_TEMPLATES] if p.is_dir()]
    # Sandboxed: workspace templates are data from whoever made the folder, not code.
    return SandboxedEnvironment(
        loader=jinja2.FileSystemLoader(folders),
        autoescape=False,  # plain-text mail, not HTML
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
    )


def _address(name: str, email: str) -> Address | None:
    try:
        user, domain = single_line(email).rsplit("@", 1)
        return Address(display_name=single_line(name), username=user, domain=domain)
    except (ValueError, IndexError):
        return None


def _values(report: OutcomeReport, helper: Helper) -> dict:
    return {
        "first_name": helper.first_name,
        "name": helper.name,
        "sentence": report.summary.sentence or "",
        "thanks": helper.thanks,
        "organization": report.summary.organization,
        "outcome": report.summary.outcome,
        "owner_name": report.owner.name,
    }


def draft_text(report: OutcomeReport, helper: Helper, env) -> Draft:
    """The subject and body of ``helper``'s outcome message; a ConfigError naming the template
    when a template fails (the sandbox refusing an attribute lands here too)."""
    import jinja2

    values = _values(report, helper)
    try:
        subject = single_line(env.get_template("outcome_subject.txt").render(values))
        return Draft(subject, env.get_template("outcome_message.txt").render(values))
    except jinja2.TemplateError as exc:
        raise ConfigError(f"outcome template: {exc}") from None


def draft_file(number: int, helper: Helper) -> str:
    """``outcome-drafts/03-ken-watanabe.eml`` (``-no-address`` when there is no usable address)."""
    mark = "" if _address(helper.name, helper.email or "") else "-no-address"
    return f"{DRAFTS_FOLDER}/{number:02d}-{slug(helper.name)}{mark}.eml"


def helper_drafts(report: OutcomeReport, template_dirs: list[Path] = ()) -> dict[str, tuple[Draft, str]]:
    """person id → (draft, file name) for every helper, numbered in the report's order."""
    if report.is_progress:
        return {}
    env = _environment(list(template_dirs))
    return {
        helper.person_id: (draft_text(report, helper, env), draft_file(number, helper))
        for number, helper in enumerate(_messaged(report), 1)
    }


def _messaged(report: OutcomeReport) -> list[Helper]:
    """The helpers who get a message: all but those tagged do-not-contact or deceased."""
    return [h for h in report.helpers if not h.blocked]


def draft_message(report: OutcomeReport, helper: Helper, env) -> EmailMessage:
    """The draft for ``helper`` (without a ``To:`` when there is no usable address)."""
    draft = draft_text(report, helper, env)
    message = EmailMessage()
    to = _address(helper.name, helper.email or "")
    if to is not None:
        message["To"] = to
    if report.owner.email:
        sender = _address(report.owner.name or "", report.owner.email)
        if sender is not None:
            message["From"] = sender
    message["Subject"] = draft.subject
    message["X-Unsent"] = "1"
    try:
        message.set_content(draft.body, cte="8bit")  # readable in any text editor before sending
    except ValueError:  # a line past SMTP's 998-byte limit: let the library pick an encoding
        message.set_content(draft.body)
    return message


def write_drafts(report: OutcomeReport, out_dir: Path, template_dirs: list[Path] = ()) -> list[Path]:
    """Write a draft for every helper (see :func:`draft_file`); record the file name on the helper."""
    env = _environment(list(template_dirs))
    written = []
    for helper in report.helpers:
        if helper.blocked:
            helper.draft = "do not contact"
    for number, helper in enumerate(_messaged(report), 1):
        name = draft_file(number, helper)
        path = out_dir / name
        with atomic_write(path, "wb") as handle:
            handle.write(draft_message(report, helper, env).as_bytes(policy=SMTP))
        helper.draft = f"{name} (no address)" if name.endswith("-no-address.eml") else name
        written.append(path)
    return written
