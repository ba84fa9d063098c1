"""Drafted messages from Jinja2 templates that a workspace can override by file name.

A template is plain text (autoescape off) whose first line is ``Subject: …``, then a blank
line, then the body. Lookup order: ``[followups] templates_dir``, the workspace's
``templates/`` folder, then the rule's own folder (its ``template_dir``: the built-in rules
ship theirs in ``plugins/followup_rules/templates/``, see
:attr:`pipeline.contracts.RuleContext.template_dirs`); the core ships none. Undefined variables
fail loudly (StrictUndefined) with the template's name, so a typo in an override is found
on the first run instead of mailing "Hi ,".
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pipeline.contracts import Draft
from pipeline.errors import ConfigError


@functools.lru_cache(maxsize=32)  # one per distinct folder list: a few per rule plugin
def _environment(dirs: tuple[Path, ...]):
    import jinja2
    from jinja2.sandbox import SandboxedEnvironment

    loaders = [jinja2.FileSystemLoader(str(d)) for d in dirs if d.is_dir()]
    # Sandboxed: a workspace template from a stranger must not reach Python internals
    # ({{ cycler.__init__.__globals__.os.popen(...) }}); the sandbox refuses such attributes.
    return SandboxedEnvironment(
        loader=jinja2.ChoiceLoader(loaders),
        autoescape=False,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render_text(name: str, context: dict[str, Any], dirs: Sequence[Path] = ()) -> str:
    """Render a snippet template (no Subject line), e.g. a P.S. added to other drafts."""
    import jinja2

    env = _environment(tuple(Path(d) for d in dirs))
    try:
        return env.get_template(name).render(**context).strip()
    except jinja2.TemplateNotFound:
        raise ConfigError(f"follow-up template {name!r} not found") from None
    except jinja2.TemplateError as exc:
        raise ConfigError(f"follow-up template {name}: {exc}") from None


def render_draft(name: str, context: dict[str, Any], dirs: Sequence[Path] = ()) -> Draft:
    """Render template ``name`` into a :class:`Draft`; ConfigError naming the template on any problem."""
    import jinja2

    env = _environment(tuple(Path(d) for d in dirs))
    try:
        template = env.get_template(name)
        text = template.render(**context)
    except jinja2.TemplateNotFound:
        looked = ", ".join(map(str, dirs)) or "no template folder"
        raise ConfigError(f"follow-up template {name!r} not found (looked in {looked})") from None
    except jinja2.TemplateError as exc:
        where = getattr(exc, "filename", None) or name
        raise ConfigError(f"follow-up template {where}: {exc}") from None
    first, _, body = text.lstrip("\n").partition("\n")
    if not first.lower().startswith("subject:"):
        raise ConfigError(f"follow-up template {template.filename}: the first line must be 'Subject: …'")
    return Draft(first[len("subject:") :].strip(), body.lstrip("\n").rstrip() + "\n")
