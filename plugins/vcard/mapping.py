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


def map_card(card: ParsedCard, overrides: dict[str, str] | None = None) -> CardResult:
    """Map a card's properties onto the canonical columns (see the module docstring)."""
    labels: dict[str, str] = {}
    used_groups: set[str] = set()
    for p in card.props:
        if p.group:
            if p.name == "X-ABLABEL":
                labels[p.group] = label_text(p.value)
            else:
                used_groups.add(p.group)
    row: dict[str, Any] = {"emails": [], "phones": [], "tags": []}
    extra: dict[str, Any] = {}
    kind = "person"
    uid = abuid = None
    members: list[str] = []
    emails: list[tuple[int, int, str, str | None]] = []
    phones: list[tuple[int, int, str, str | None]] = []
    addresses: list[tuple[int, int, dict[str, str], str | None]] = []
    notes: list[str] = []
    has_content = False
    overrides = overrides or {}

    for index, prop in enumerate(card.props):
        name = prop.name
        if name == "X-ABLABEL" and prop.group in used_groups:
            continue  # joined to its value above
        if name not in _NOT_CONTENT:
            has_content = True
        label = prop.label or (labels.get(prop.group) if prop.group else None)
        if overrides:
            target = overrides.get(name)
            if target == "extra":
                _keep(extra, prop, label)
                continue
            if target in TEXT_FIELDS:
                _set_first(row, extra, target, unescape(prop.value).strip(), prop, label)
                continue
            if target in LIST_FIELDS:
                value = unescape(prop.value).strip()
                if value and target == "tags":
                    row["tags"].append(value)
                elif value:
                    (emails if target == "emails" else phones).append((prop.pref, index, value, label))
                continue
        if name == "FN":
            _set_first(row, extra, "full_name", unescape(prop.value).strip(), prop, label)
        elif name == "N":
            _name(row, prop)
        elif name == "NICKNAME":
            nick = ", ".join(n.strip() for n in split_escaped(prop.value, ",") if n.strip())
            _set_first(row, extra, "nickname", nick, prop, label)
        elif name == "EMAIL":
            value = unescape(prop.value).strip()
            if value:
                emails.append((prop.pref, index, value, label or _type_label(prop.types, "EMAIL")))
        elif name == "TEL":
            value = unescape(prop.value).strip()
            if value.lower().startswith("tel:"):
                value = value[4:]
            if value:
                phones.append((prop.pref, index, value, label or _type_label(prop.types, "TEL")))
        elif name == "ORG":
            units = [u.strip() for u in split_escaped(prop.value, ";")]
            if "organization" in row or not any(units):
                _keep(extra, prop, label)
            else:
                row["organization"] = units[0] or None
                rest = [u for u in units[1:] if u]
                if rest:
                    row["department"] = " / ".join(rest)
        elif name == "TITLE":
            _set_first(row, extra, "title", unescape(prop.value).strip(), prop, label)
        elif name == "ADR":
            address = _address(prop.value)
            if address:
                if prop.params:  # e.g. 4.0 LABEL="…", GEO=…: kept with the address
                    address["params"] = {k: v[0] if len(v) == 1 else v for k, v in prop.params.items()}
                addresses.append((prop.pref, index, address, label or _type_label(prop.types, "ADR")))
        elif name == "BDAY":
            _set_first(row, extra, "birthday", birthday(unescape(prop.value), prop.params), prop, label)
        elif name == "NOTE":
            note = unescape(prop.value).strip()
            if note:
                notes.append(note)
        elif name in _URL_PROPS and "linkedin_url" not in row and _LINKEDIN.search(prop.value):
            row["linkedin_url"] = unescape(prop.value).strip()
        elif name == "CATEGORIES":
            row["tags"].extend(t.strip() for t in split_escaped(prop.value, ",") if t.strip())
        elif name == "UID" and uid is None:
            uid = unescape(prop.value).strip() or None
        elif name == "X-ABUID" and abuid is None:
            abuid = unescape(prop.value).strip() or None
        elif name in _KIND_PROPS:
            value = prop.value.strip().lower()
            if value in ("group", "org", "organization"):
                kind = "group" if value == "group" else "org"
            elif value != "individual":
                _keep(extra, prop, label)
        elif name == "X-ABSHOWAS" and prop.value.strip().upper() == "COMPANY":
            kind = "org"
        elif name in _MEMBER_PROPS:
            members.append(_member_key(unescape(prop.value)))
        elif name in KITH_PROPERTIES:
            _set_first(row, extra, KITH_PROPERTIES[name], unescape(prop.value).strip(), prop, label)
        elif name == "VERSION":
            extra["version"] = prop.value.strip()
        else:
            _keep(extra, prop, label)

    keys = [k for k in (uid, abuid) if k]  # resolved by member_keys() only when a file has groups
    if kind == "group":
        name = row.get("full_name") or " ".join(
            row.get(k) or "" for k in ("given_name", "family_name") if row.get(k)
        )
        return CardResult("group", keys=keys, group_name=(name or "").strip() or None, members=members)
    for stripped in card.stripped:
        extra[stripped] = True
    if card.unparsed:
        extra["unparsed_lines"] = [f"line {line}: {text}" for line, text in card.unparsed]
    if card.agents:
        extra["agent"] = card.agents
    if not has_content:
        return CardResult("empty", keys=keys)

    row["emails"] = _ordered(emails, extra, "email_labels")
    row["phones"] = _ordered(phones, extra, "phone_labels")
    if addresses:
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
    if notes:
        row["notes"] = "\n\n".join(notes)
    if kind == "org":
        extra["kind"] = "org"
        _company(row, extra)
    row["source_key"] = uid or abuid
    if uid and abuid:
        extra["X-ABUID"] = abuid
    row["extra"] = extra
    return CardResult(kind, row=row, keys=keys)


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
