"""One ``.eml`` draft per helper, ready to open in a mail program, check and send.

Wording comes from Jinja2 templates ``outcome_message.txt`` and ``outcome_subject.txt``:
a workspace's ``templates/`` folder overrides this plugin's own in ``templates/``. Messages
are built with the stdlib :mod:`email` package; every header value goes through
:func:`pipeline.safety.single_line`, so a CR/LF smuggled into a contact's name can never add
a header (``Bcc:``). ``X-Unsent: 1`` makes Outlook open the file as an unsent draft.
"""

from __future__ import annotations

from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from pathlib import Path

from pipeline.errors import ConfigError
from pipeline.fileio import atomic_write, slug
from pipeline.safety import single_line
from plugins.outcome_report.model import Helper, OutcomeReport

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


def draft_message(report: OutcomeReport, helper: Helper, env) -> EmailMessage | None:
    """The draft for ``helper``, or None without a usable email address."""
    to = _address(helper.name, helper.email or "")
    if to is None:
        return None
    values = {
        "first_name": helper.first_name,
        "name": helper.name,
        "sentence": report.summary.sentence or "",
        "thanks": helper.thanks,
        "organization": report.summary.organization,
        "outcome": report.summary.outcome,
        "owner_name": report.owner.name,
    }
    message = EmailMessage()
    message["To"] = to
    if report.owner.email:
        sender = _address(report.owner.name or "", report.owner.email)
        if sender is not None:
            message["From"] = sender
    message["Subject"] = single_line(env.get_template("outcome_subject.txt").render(values))
    message["X-Unsent"] = "1"
    body = env.get_template("outcome_message.txt").render(values)
    try:
        message.set_content(body, cte="8bit")  # readable in any text editor before sending
    except ValueError:  # a line past SMTP's 998-byte limit: let the library pick an encoding
        message.set_content(body)
    return message


def write_drafts(report: OutcomeReport, folder: Path, template_dirs: list[Path] = ()) -> list[Path]:
    """Write a draft for every helper with an email address; record the file name on the helper."""
    import jinja2

    env = _environment(list(template_dirs))
    written = []
    for number, helper in enumerate(report.helpers, 1):
        try:
            message = draft_message(report, helper, env)
        except jinja2.TemplateError as exc:  # the sandbox refusing an attribute lands here too
            raise ConfigError(f"outcome template: {exc}") from None
        if message is None:
            helper.draft = "no email address"
            continue
        path = folder / f"{number:02d}-{slug(helper.name)}.eml"
        with atomic_write(path, "wb") as handle:
            handle.write(message.as_bytes(policy=SMTP))
        helper.draft = f"{folder.name}/{path.name}"
        written.append(path)
    return written
