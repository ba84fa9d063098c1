"""One parsed card → one raw canonical row (or a group / an empty card).

Third stage of the vCard importer (after ``parse.py``; ``read.py`` gathers the rows into a
frame). Values stay as the source wrote them apart from what the format itself requires:
backslash unescaping, joining Apple's ``itemN.X-ABLabel`` labels to their values, ``tel:``
URIs, and BDAY written as ISO (``1985-04-15``) or year-less ``--04-15`` (Apple's 1604
placeholder year means "no year"). Phones/emails/tags stay lists of text; the core
normalizes them.

``extra`` (a JSON object) keeps everything else, so nothing the user had is lost:

- ``version``; ``photo``/``logo``/``sound``: true when a payload was cut (never kept);
- ``email_labels`` / ``phone_labels``: value as written → label (a custom Apple/Samsung
  label, an Apple built-in such as ``mobile``, or the TYPE tokens such as ``work`` or
  ``cell``), which the exporter writes back;
- ``address_label`` and ``address_params`` (e.g. a 4.0 ``LABEL="…"``) of the first ADR, and
  ``addresses`` (the ADRs after the first, as objects);
- ``kind``: ``org`` for company cards; ``groups``: the group cards this card belongs to;
- every other property under its upper-case name: the unescaped value, or an object with
  ``value`` plus ``types``/``params``/``label`` when it had them, or a list of those when
  it occurred more than once; ``unparsed_lines`` for lines that were not properties.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from plugins.vcard.parse import NO_PREF, ParsedCard, Prop, split_escaped, split_raw, unescape

TEXT_FIELDS = (
    "full_name",
    "given_name",
    "middle_name",
    "family_name",
    "prefix",
    "suffix",
    "nickname",
    "organization",
    "title",
    "department",
    "street",
    "city",
    "region",
    "postal_code",
    "country",
    "linkedin_url",
    "school",
    "degree",
    "class_year",
    "birthday",
    "connected_on",
    "channel",
    "notes",
)
LIST_FIELDS = ("emails", "phones", "tags")

#: kith's own fields that have no vCard property: written and read back as X-KITH-*.
KITH_PROPERTIES = {
    "X-KITH-SCHOOL": "school",
    "X-KITH-DEGREE": "degree",
    "X-KITH-CLASS-YEAR": "class_year",
    "X-KITH-CONNECTED-ON": "connected_on",
    "X-KITH-CHANNEL": "channel",
}
_IGNORED_TYPES = {"internet", "x400", "pref"}
_APPLE_BUILTIN = re.compile(r"^_\$!<(.*)>!\$_$")
_FULL_DATE = re.compile(r"^(\d{4})-?(\d{2})-?(\d{2})(?:$|T)")
_NO_YEAR = re.compile(r"^--(\d{2})-?(\d{2})$")
_LINKEDIN = re.compile(r"linkedin\.com/(?:in|pub)/", re.I)
_URL_PROPS = ("URL", "X-SOCIALPROFILE")
_KIND_PROPS = ("KIND", "X-ADDRESSBOOKSERVER-KIND")
_MEMBER_PROPS = ("MEMBER", "X-ADDRESSBOOKSERVER-MEMBER")
_NOT_CONTENT = {"VERSION", "PRODID", "REV", "UID", "X-ABUID", "X-ABLABEL"}


@dataclass
class CardResult:
    """What a card turned out to be.

    :param kind: ``person``, ``org`` (both rows), ``group`` (no row: its members get a
        tag) or ``empty`` (a reject).
    :param keys: the card's UID and X-ABUID as written (see :func:`member_keys`).
    """

    kind: str
    row: dict[str, Any] | None = None
    keys: list[str] = field(default_factory=list)
    group_name: str | None = None
    members: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def label_text(raw: str) -> str:
    """An ``X-ABLabel`` value: Apple built-ins (``_$!<Mobile>!$_``) become ``mobile``."""
    text = unescape(raw).strip()
    builtin = _APPLE_BUILTIN.match(text)
    return builtin.group(1).lower() if builtin else text


def birthday(value: str, params: dict[str, list[str]]) -> str:
    """BDAY as ISO ``YYYY-MM-DD`` or year-less ``--MM-DD``; anything else as written."""
    text = value.strip()
    full = _FULL_DATE.match(text)
    if full:
        year, month, day = full.groups()
        if _valid(month, day):
            omit = params.get("X-APPLE-OMIT-YEAR", [])
            if year in omit or year in ("1604", "0000"):
                return f"--{month}-{day}"
            return f"{year}-{month}-{day}"
    no_year = _NO_YEAR.match(text)
    if no_year and _valid(*no_year.groups()):
        return f"--{no_year.group(1)}-{no_year.group(2)}"
    return text


def _valid(month: str, day: str) -> bool:
    return 1 <= int(month) <= 12 and 1 <= int(day) <= 31


@dataclass
class _Card:
    """What :func:`map_card` gathers from one card's properties before it decides the row."""

    labels: dict[str, str]
    row: dict[str, Any] = field(default_factory=lambda: {"emails": [], "phones": [], "tags": []})
    extra: dict[str, Any] = field(default_factory=dict)
    kind: str = "person"
    uid: str | None = None
    abuid: str | None = None
    members: list[str] = field(default_factory=list)
    emails: list[tuple[int, int, str, str | None]] = field(default_factory=list)
    phones: list[tuple[int, int, str, str | None]] = field(default_factory=list)
    addresses: list[tuple[int, int, dict[str, str], str | None]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    has_content: bool = False


def map_card(card: ParsedCard, overrides: dict[str, str] | None = None) -> CardResult:
    """Map a card's properties onto the canonical columns (see the module docstring)."""
    labels, used_groups = _group_labels(card)
    state = _Card(labels)
    for index, prop in enumerate(card.props):
        name = prop.name
        if name == "X-ABLABEL" and prop.group in used_groups:
            continue  # joined to its value above
        if name not in _NOT_CONTENT:
            state.has_content = True
        label = prop.label or (labels.get(prop.group) if prop.group else None)
        if overrides and _override(state, prop, index, label, overrides):
            continue
        handler = _HANDLERS.get(name)
        if handler is not None:
            handler(state, prop, index, label)
        elif name in KITH_PROPERTIES:
            _set_first(
                state.row, state.extra, KITH_PROPERTIES[name], unescape(prop.value).strip(), prop, label
            )
        else:
            _keep(state.extra, prop, label)
    return _result(state, card)


def _group_labels(card: ParsedCard) -> tuple[dict[str, str], set[str]]:
    """Apple's ``itemN.X-ABLabel`` labels by group, and the groups that carry a value."""
    labels: dict[str, str] = {}
    used_groups: set[str] = set()
    for p in card.props:
        if p.group:
            if p.name == "X-ABLABEL":
                labels[p.group] = label_text(p.value)
            else:
                used_groups.add(p.group)
    return labels, used_groups


def _override(state: _Card, prop: Prop, index: int, label: str | None, overrides: dict[str, str]) -> bool:
    """Apply a kith.toml mapping for this property; True when it decided where the value goes."""
    target = overrides.get(prop.name)
    if target == "extra":
        _keep(state.extra, prop, label)
    elif target in TEXT_FIELDS:
        _set_first(state.row, state.extra, target, unescape(prop.value).strip(), prop, label)
    elif target in LIST_FIELDS:
        value = unescape(prop.value).strip()
        if value and target == "tags":
            state.row["tags"].append(value)
        elif value:
            (state.emails if target == "emails" else state.phones).append((prop.pref, index, value, label))
    else:
        return False
    return True


# --- one handler per property ------------------------------------------------------------


def _fn(state: _Card, prop: Prop, index: int, label: str | None) -> None:
    _set_first(state.row, state.extra, "full_name", unescape(prop.value).strip(), prop, label)


def _n(state: _Card, prop: Prop, index: int, label: str | None) -> None:
    _name(state.row, prop)


def _nickname(state: _Card, prop: Prop, index: int, label: str | None) -> None:
    nick = ", ".join(n.strip() for n in split_escaped(prop.value, ",") if n.strip())
    _set_first(state.row, state.extra, "nickname", nick, prop, label)


def _email(state: _Card, prop: Prop, index: int, label: str | None) -> None:
    value = unescape(prop.value).strip()
    if value:
        state.emails.append((prop.pref, index, value, label or _type_label(prop.types, "EMAIL")))


def _tel(state: _Card, prop: Prop, index: int, label: str | None) -> None:
    value = unescape(prop.value).strip()
    if value.lower().startswith("tel:"):
        value = value[4:]
    if value:
        state.phones.append((prop.pref, index, value, label or _type_label(prop.types, "TEL")))


def _org(state: _Card, prop: Prop, index: int, label: str | None) -> None:
    units = [u.strip() for u in split_escaped(prop.value, ";")]
    if "organization" in state.row or not any(units):
        _keep(state.extra, prop, label)
        return
    state.row["organization"] = units[0] or None
    rest = [u for u in units[1:] if u]
    if rest:
        state.row["department"] = " / ".join(rest)


def _title(state: _Card, prop: Prop, index: int, label: str | None) -> None:
    _set_first(state.row, state.extra, "title", unescape(prop.value).strip(), prop, label)


def _adr(state: _Card, prop: Prop, index: int, label: str | None) -> None:
    address = _address(prop.value)
    if address:
        if prop.params:  # e.g. 4.0 LABEL="…", GEO=…: kept with the address
            address["params"] = {k: v[0] if len(v) == 1 else v for k, v in prop.params.items()}
        state.addresses.append((prop.pref, index, address, label or _type_label(prop.types, "ADR")))


def _bday(state: _Card, prop: Prop, index: int, label: str | None) -> None:
    _set_first(state.row, state.extra, "birthday", birthday(unescape(prop.value), prop.params), prop, label)


def _note(state: _Card, prop: Prop, index: int, label: str | None) -> None:
    note = unescape(prop.value).strip()
    if note:
        state.notes.append(note)


def _url(state: _Card, prop: Prop, index: int, label: str | None) -> None:
    if "linkedin_url" not in state.row and _LINKEDIN.search(prop.value):
        state.row["linkedin_url"] = unescape(prop.value).strip()
    else:
        _keep(state.extra, prop, label)


def _categories(state: _Card, prop: Prop, index: int, label: str | None) -> None:
    state.row["tags"].extend(t.strip() for t in split_escaped(prop.value, ",") if t.strip())


def _uid(state: _Card, prop: Prop, index: int, label: str | None) -> None:
    if state.uid is None:
        state.uid = unescape(prop.value).strip() or None
    else:
        _keep(state.extra, prop, label)


def _abuid(state: _Card, prop: Prop, index: int, label: str | None) -> None:
    if state.abuid is None:
        state.abuid = unescape(prop.value).strip() or None
    else:
        _keep(state.extra, prop, label)


def _kind(state: _Card, prop: Prop, index: int, label: str | None) -> None:
    value = prop.value.strip().lower()
    if value in ("group", "org", "organization"):
        state.kind = "group" if value == "group" else "org"
    elif value != "individual":
        _keep(state.extra, prop, label)


def _show_as(state: _Card, prop: Prop, index: int, label: str | None) -> None:
    if prop.value.strip().upper() == "COMPANY":
        state.kind = "org"
    else:
        _keep(state.extra, prop, label)


def _member(state: _Card, prop: Prop, index: int, label: str | None) -> None:
    state.members.append(_member_key(unescape(prop.value)))


def _version(state: _Card, prop: Prop, index: int, label: str | None) -> None:
    state.extra["version"] = prop.value.strip()


_HANDLERS = {
    "FN": _fn,
    "N": _n,
    "NICKNAME": _nickname,
    "EMAIL": _email,
    "TEL": _tel,
    "ORG": _org,
    "TITLE": _title,
    "ADR": _adr,
    "BDAY": _bday,
    "NOTE": _note,
    "CATEGORIES": _categories,
    "UID": _uid,
    "X-ABUID": _abuid,
    "X-ABSHOWAS": _show_as,
    "VERSION": _version,
    **dict.fromkeys(_URL_PROPS, _url),
    **dict.fromkeys(_KIND_PROPS, _kind),
    **dict.fromkeys(_MEMBER_PROPS, _member),
}


# --- the row -----------------------------------------------------------------------------


def _result(state: _Card, card: ParsedCard) -> CardResult:
    """The card's row (or group / empty result) from what its properties gave."""
    row, extra = state.row, state.extra
    keys = [k for k in (state.uid, state.abuid) if k]  # resolved by member_keys() only when a file has groups
    if state.kind == "group":
        name = row.get("full_name") or " ".join(
            row.get(k) or "" for k in ("given_name", "family_name") if row.get(k)
        )
        return CardResult("group", keys=keys, group_name=(name or "").strip() or None, members=state.members)
    for stripped in card.stripped:
        extra[stripped] = True
    if card.unparsed:
        extra["unparsed_lines"] = [f"line {line}: {text}" for line, text in card.unparsed]
    if card.agents:
        extra["agent"] = card.agents
    if not state.has_content:
        return CardResult("empty", keys=keys)
    row["emails"] = _ordered(state.emails, extra, "email_labels")
    row["phones"] = _ordered(state.phones, extra, "phone_labels")
    if state.addresses:
        _first_address(row, extra, state.addresses)
    if state.notes:
        row["notes"] = "\n\n".join(state.notes)
    if state.kind == "org":
        extra["kind"] = "org"
        _company(row, extra)
    row["source_key"] = state.uid or state.abuid
    if state.uid and state.abuid:
        extra["X-ABUID"] = state.abuid
    row["extra"] = extra
    return CardResult(state.kind, row=row, keys=keys)


def _first_address(
    row: dict[str, Any], extra: dict[str, Any], addresses: list[tuple[int, int, dict[str, str], str | None]]
) -> None:
    """The preferred ADR fills the address fields; the others are kept in ``extra``."""
    addresses.sort(key=lambda item: (item[0], item[1]))
    first = addresses[0]
    params = first[2].pop("params", None)
    if params:
        extra["address_params"] = params
    row.update(first[2])
    if first[3]:
        extra["address_label"] = first[3]
    if len(addresses) > 1:
        extra["addresses"] = [{**a, **({"label": lbl} if lbl else {})} for _, _, a, lbl in addresses[1:]]


def _name(row: dict[str, Any], prop: Prop) -> None:
    raw = prop.value
    if "\\" in raw or "," in raw:
        # 3.0 allows several values per component: "Stevenson;John;Philip,Paul;Dr.;Jr.,M.D."
        parts = []
        for index, component in enumerate(split_raw(raw, ";")):
            values = [v.strip() for v in split_escaped(component, ",") if v.strip()]
            parts.append((", " if index == 4 else " ").join(values))
    else:
        parts = [p.strip() for p in raw.split(";")]
    parts += [""] * (5 - len(parts))
    family, given, middle, prefix, suffix = parts[:5]
    if len(parts) > 5 and any(parts[5:]):
        suffix = " ".join(p for p in [suffix, *parts[5:]] if p)
    if "given_name" in row or "family_name" in row:
        return
    for key, value in (
        ("family_name", family),
        ("given_name", given),
        ("middle_name", middle),
        ("prefix", prefix),
        ("suffix", suffix),
    ):
        if value:
            row[key] = value


def _address(value: str) -> dict[str, Any] | None:
    if not value.strip(" ;"):
        return None  # Google's empty "item1.ADR:;;;;;;"
    parts = [p.strip() for p in split_escaped(value, ";")]
    parts += [""] * (7 - len(parts))
    pobox, extended, street, city, region, postal_code, country = parts[:7]
    street_lines = "\n".join(p for p in (street, extended, pobox) if p)
    address: dict[str, Any] = {
        "street": street_lines,
        "city": city,
        "region": region,
        "postal_code": postal_code,
        "country": country,
    }
    return {k: v for k, v in address.items() if v} or None


def _type_label(types: list[str], name: str) -> str | None:
    kept = [t for t in types if t not in _IGNORED_TYPES]
    if name == "TEL" and len(kept) > 1:
        kept = [t for t in kept if t != "voice"]
    return ",".join(kept) or None


def _ordered(items: list[tuple[int, int, str, str | None]], extra: dict[str, Any], key: str) -> list[str]:
    """Values with the preferred first (PREF / TYPE=pref), labels into ``extra[key]``."""
    items.sort(key=lambda item: (item[0], item[1]))
    labels = {}
    for _, _, value, label in items:
        if label and value not in labels:
            labels[value] = label
    if labels:
        extra[key] = labels
    return [value for _, _, value, _ in items]


def _company(row: dict[str, Any], extra: dict[str, Any]) -> None:
    """A company card (Apple ``X-ABShowAs:COMPANY``, 4.0 ``KIND:org``) names no person in FN."""
    full_name = row.pop("full_name", None)
    if not row.get("organization"):
        row["organization"] = full_name
    elif full_name and full_name != row["organization"]:
        extra["fn"] = full_name


def member_keys(ids: list[str]) -> list[str]:
    """The forms group cards use to point at a card with these UID / X-ABUID values."""
    keys = [_member_key(i.removesuffix(":ABPerson")) for i in ids]
    return [k for k in keys if k]


def _member_key(value: str) -> str:
    text = value.strip().lower()
    for prefix in ("urn:uuid:", "uuid:"):
        text = text.removeprefix(prefix)
    return text


def _set_first(
    row: dict[str, Any], extra: dict[str, Any], key: str, value: str, prop: Prop, label: str | None
) -> None:
    if not value:
        return
    if key in row:
        _keep(extra, prop, label)
    else:
        row[key] = value


def _keep(extra: dict[str, Any], prop: Prop, label: str | None) -> None:
    """Put an unmapped property into ``extra`` under its name (a list if it repeats)."""
    value = unescape(prop.value)
    entry: Any = value
    if prop.types or prop.params or label or prop.pref < NO_PREF:
        entry = {"value": value}
        if prop.types:
            entry["types"] = prop.types
        if prop.pref < NO_PREF:
            entry["pref"] = prop.pref
        if prop.params:
            entry["params"] = {k: v[0] if len(v) == 1 else v for k, v in prop.params.items()}
        if label:
            entry["label"] = label
    existing = extra.get(prop.name)
    if existing is None:
        extra[prop.name] = entry
    elif isinstance(existing, list):
        existing.append(entry)
    else:
        extra[prop.name] = [existing, entry]
