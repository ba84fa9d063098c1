"""Canonical records or people → a vCard 3.0 (or 4.0) file; the vCard exporter's engine.

Last stage of the flow for the ``vcard`` exporter (``VCardExporter.write`` passes the
store's people, or records before dedupe). Output is UTF-8 with CRLF line ends, lines folded
at 75 octets without splitting a character, and every value escaped so that no text can
break the card structure (CR/LF and other line separators become ``\\n``; control characters
are dropped); URLs are percent-encoded URIs. Labels the importer kept in ``extra`` come
back as TYPE tokens where vCard has one (``cell``, ``work``) and as Apple/Google
``itemN.X-ABLabel`` groups otherwise, which Apple Contacts, Google Contacts and Android all
read. kith fields without a vCard property (school, degree, class year, channel, connected
on) are written as ``X-KITH-*`` so a round
trip through a .vcf keeps them.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from pipeline.fileio import atomic_write

if TYPE_CHECKING:
    import polars as pl

VERSIONS = ("3.0", "4.0")
_PRODID = "-//kith//kith vCard export//EN"
_LINE_OCTETS = 75
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_NEWLINES = re.compile(r"\r\n|[\r\n\x85\u2028\u2029]")
_PERCENT_ALONE = re.compile(r"%(?![0-9A-Fa-f]{2})")
_E164 = re.compile(r"^\+[1-9][0-9]{5,14}$")
#: TYPE tokens a phone may carry; anything else is a custom label (itemN.X-ABLabel).
_TEL_TYPES = {"home", "work", "cell", "voice", "fax", "pager", "video", "text", "textphone", "main", "iphone"}
_TEL_TYPES |= {"msg", "car", "isdn", "bbs", "modem", "pcs"}
_EMAIL_TYPES = {"home", "work"}
_ADR_TYPES = {"home", "work", "dom", "intl", "postal", "parcel"}
#: Apple's built-in labels (read as ``mobile`` etc.) → vCard TYPE tokens.
_BUILTIN_TYPES = {"mobile": "cell", "homefax": "home,fax", "workfax": "work,fax", "mainphone": "main"}
_APPLE_BUILTIN_LABELS = {"other": "_$!<Other>!$_", "homepage": "_$!<HomePage>!$_"}
_KITH_FIELDS = (
    ("school", "X-KITH-SCHOOL"),
    ("degree", "X-KITH-DEGREE"),
    ("class_year", "X-KITH-CLASS-YEAR"),
    ("channel", "X-KITH-CHANNEL"),
    ("connected_on", "X-KITH-CONNECTED-ON"),
)


def write_vcards(frame: pl.DataFrame, path: Path, version: str = "3.0") -> Path:
    """Write one card per row of ``frame`` (canonical records or people) to ``path``, atomically.

    :param version: ``"3.0"`` (default; what Apple, Google and Android read best) or ``"4.0"``.
    :return: ``path``.
    """
    if version not in VERSIONS:
        raise ValueError(f"vCard version must be one of {', '.join(VERSIONS)}, not {version!r}")
    path = Path(path)
    with atomic_write(path, "w", encoding="utf-8", newline="") as handle:
        for row in frame.iter_rows(named=True):
            handle.write(card_text(row, version))
    return path


def card_text(row: dict[str, Any], version: str = "3.0") -> str:
    """One card (CRLF, folded) for a canonical row."""
    v4 = version == "4.0"
    extra = _extra(row.get("extra"))
    is_org = extra.get("kind") == "org"
    out: list[str] = ["BEGIN:VCARD", f"VERSION:{version}", f"PRODID:{_PRODID}"]
    if v4:
        out.append(f"KIND:{'org' if is_org else 'individual'}")
    names = [_text(row.get(k)) for k in ("family_name", "given_name", "middle_name", "prefix", "suffix")]
    if any(names) or not v4:
        out.append("N:" + ";".join(_escape(n) for n in names))
    out.append("FN:" + _escape(_display_name(row, names, is_org)))
    if is_org and not v4:
        out.append("X-ABShowAs:COMPANY")
    nickname = _text(row.get("nickname"))
    if nickname:
        out.append("NICKNAME:" + ",".join(_escape(n.strip()) for n in nickname.split(", ") if n.strip()))
    org, department = _text(row.get("organization")), _text(row.get("department"))
    if org or department:
        out.append("ORG:" + _escape(org) + (";" + _escape(department) if department else ""))
    if _text(row.get("title")):
        out.append("TITLE:" + _escape(_text(row.get("title"))))
    items = _Items()
    _contacts(out, items, "EMAIL", row.get("emails"), extra.get("email_labels"), v4)
    _contacts(out, items, "TEL", row.get("phones"), extra.get("phone_labels"), v4)
    first_address = {k: _text(row.get(k)) for k in ("street", "city", "region", "postal_code", "country")}
    for index, address in enumerate([first_address, *_extra_addresses(extra)]):
        label = extra.get("address_label") if index == 0 else address.get("label")
        _address(out, items, address, label, v4)
    bday = _birthday(row.get("birthday"), v4)
    if bday:
        out.append(bday)
    if _text(row.get("notes")):
        out.append("NOTE:" + _escape(_text(row.get("notes"))))
    if _text(row.get("linkedin_url")):
        group = items.next()
        out.append(f"{group}.URL:" + uri(_text(row.get("linkedin_url"))))
        out.append(f"{group}.X-ABLabel:LinkedIn")
    tags = [t for t in (row.get("tags") or []) if t]
    if tags:
        out.append("CATEGORIES:" + ",".join(_escape(t) for t in tags))
    for key, prop in _KITH_FIELDS:
        value = row.get(key)
        if isinstance(value, dt.date):
            value = value.isoformat()
        if value is not None and str(value).strip():
            out.append(f"{prop}:" + _escape(str(value)))
    uid = row.get("person_id") or row.get("record_id")
    if uid:
        out.append("UID:" + _escape(f"urn:kith:{uid}"))
    out.append("END:VCARD")
    return "".join(fold(line) for line in out)


class _Items:
    """Numbers Apple-style ``itemN`` groups within one card."""

    def __init__(self) -> None:
        self.count = 0

    def next(self) -> str:
        self.count += 1
        return f"item{self.count}"


def _contacts(out: list[str], items: _Items, name: str, values: Any, labels: Any, v4: bool) -> None:
    """EMAIL/TEL lines: first value preferred; labels as TYPE tokens or itemN.X-ABLabel."""
    known = _TEL_TYPES if name == "TEL" else _EMAIL_TYPES
    labels = _lower_keys(labels)
    for index, value in enumerate(v for v in (values or []) if v):
        value = _text(value)
        label = labels.get(value.lower()) or labels.get(_digits(value)) if labels else None
        types, custom = _label_types(label, known)
        params = []
        if name == "EMAIL" and not v4:
            types = ["internet", *types]
        if types:
            params.append("TYPE=" + ",".join(types))
        if index == 0:
            params.append("PREF=1" if v4 else "TYPE=pref")
        text = _escape(value)
        if name == "TEL" and v4 and _E164.match(value):
            # 4.0 prefers tel: URIs; only normalized E.164 numbers are written as one.
            params.insert(0, "VALUE=uri")
            text = "tel:" + value
        head = name + "".join(";" + p for p in params)
        if custom:
            group = items.next()
            out.append(f"{group}.{head}:{text}")
            out.append(f"{group}.X-ABLabel:" + _escape(custom))
        else:
            out.append(f"{head}:{text}")


def _label_types(label: Any, known: set[str]) -> tuple[list[str], str | None]:
    """A stored label → (TYPE tokens, custom label text or None)."""
    if not isinstance(label, str) or not label.strip():
        return [], None
    text = _BUILTIN_TYPES.get(label.strip().lower(), label.strip())
    tokens = [t.strip().lower() for t in text.split(",") if t.strip()]
    if tokens and all(t in known for t in tokens):
        return tokens, None
    return [], _APPLE_BUILTIN_LABELS.get(label.strip().lower(), label.strip())


def _address(out: list[str], items: _Items, address: dict[str, Any], label: Any, v4: bool) -> None:
    fields = [_text(address.get(k)) for k in ("street", "city", "region", "postal_code", "country")]
    if not any(fields):
        return
    types, custom = _label_types(label, _ADR_TYPES)
    head = "ADR" + (";TYPE=" + ",".join(types) if types else "")
    value = ";;" + ";".join(_escape(f) for f in fields)
    if custom:
        group = items.next()
        out.append(f"{group}.{head}:{value}")
        out.append(f"{group}.X-ABLabel:" + _escape(custom))
    else:
        out.append(f"{head}:{value}")


def _birthday(value: Any, v4: bool) -> str | None:
    if isinstance(value, dt.date):
        value = value.isoformat()
    text = _text(value)
    if not text:
        return None
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        return "BDAY:" + text
    no_year = re.fullmatch(r"--(\d{2})-?(\d{2})", text)
    if no_year:
        month, day = no_year.groups()
        return f"BDAY:--{month}{day}" if v4 else f"BDAY:--{month}-{day}"
    return "BDAY;VALUE=text:" + _escape(text)


def _display_name(row: dict[str, Any], names: list[str], is_org: bool) -> str:
    full = _text(row.get("full_name"))
    if full:
        return full
    family, given, middle, prefix, suffix = names
    composed = " ".join(p for p in (prefix, given, middle, family) if p)
    if composed:
        return composed + (", " + suffix if suffix else "")
    for fallback in (row.get("organization"), *(row.get("emails") or []), *(row.get("phones") or [])):
        if _text(fallback):
            return _text(fallback)
    return ""


def _extra(raw: Any) -> dict[str, Any]:
    if isinstance(raw, dict):
        return raw
    if not raw:
        return {}
    try:
        value = json.loads(raw)
    except (TypeError, ValueError):
        return {}
    return value if isinstance(value, dict) else {}


def _extra_addresses(extra: dict[str, Any]) -> list[dict[str, Any]]:
    addresses = extra.get("addresses")
    return [a for a in addresses if isinstance(a, dict)] if isinstance(addresses, list) else []


def _lower_keys(labels: Any) -> dict[str, Any]:
    if not isinstance(labels, dict):
        return {}
    out: dict[str, Any] = {}
    for key, value in labels.items():
        out.setdefault(str(key).strip().lower(), value)
        digits = _digits(str(key))
        if digits:
            out.setdefault(digits, value)
    return out


def _digits(value: str) -> str:
    """A phone's digits (with a leading +): labels stored as written still match E.164 output."""
    digits = "".join(c for c in value if c.isdigit())
    return digits[-10:] if len(digits) >= 7 else ""


def _text(value: Any) -> str:
    if value is None:
        return ""
    return _CONTROL.sub("", _NEWLINES.sub("\n", str(value))).strip()


def uri(value: str) -> str:
    """A URL as a valid URI (RFC 3986): non-ASCII letters, spaces, ``,`` and ``;`` percent-encoded.

    ``https://www.linkedin.com/in/josé`` → ``…/in/jos%C3%A9``. An escape already there stays
    (``%C3%A9`` is not encoded twice); a ``%`` that starts none becomes ``%25``. Percent-encoded
    commas and semicolons need no vCard escaping, so the value is written as is.
    """
    text = _PERCENT_ALONE.sub("%25", _CONTROL.sub("", _NEWLINES.sub("", value)).strip())
    return quote(text, safe="%:/?#[]@!$&'()*+=-._~")


def _escape(value: str) -> str:
    """vCard text escaping: backslash, comma, semicolon, and every line break as ``\\n``."""
    text = _CONTROL.sub("", _NEWLINES.sub("\n", value))
    return text.replace("\\", "\\\\").replace(",", "\\,").replace(";", "\\;").replace("\n", "\\n")


def fold(line: str) -> str:
    """``line`` + CRLF, folded at 75 octets (RFC 6350 §3.2) without splitting a UTF-8 character."""
    encoded = line.encode("utf-8")
    if len(encoded) <= _LINE_OCTETS:
        return line + "\r\n"
    pieces: list[str] = []
    start = 0
    size = 0
    limit = _LINE_OCTETS
    for index, char in enumerate(line):
        width = len(char.encode("utf-8"))
        if size + width > limit:
            pieces.append(line[start:index])
            start, size, limit = index, 0, _LINE_OCTETS - 1
        size += width
    pieces.append(line[start:])
    return "\r\n ".join(pieces) + "\r\n"
