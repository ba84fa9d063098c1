"""Google Contacts CSV importer, current ("First Name", "E-mail 1 - Value") and legacy ("Given Name") headers.

Registered as the built-in plugin ``plugins.google_csv``; the importer is named
``google_csv``. The export has numbered groups (``E-mail N``, ``Phone N``, ``Address N``,
``Organization N``, ``Website N`` …) up to the largest used in that file, several values of
one kind in a single cell joined by ``" ::: "``, and labels such as ``* myContacts ::: Navy``.
Emails and phones of every group become one list in column order; the first address and
organization group fill the canonical fields; everything else (labels, other groups,
phonetic names, relations, custom fields) is kept in ``extra``. Legacy exports are UTF-16LE
with a BOM: :mod:`pipeline.tabular` decodes them. Reading is shared with the other address
books in :mod:`plugins._addressbook`. This module also registers the Google Takeout zip
importer (:mod:`plugins.google_takeout`).
"""

from __future__ import annotations

import re

from pipeline import hookimpl
from plugins import _addressbook

_GROUP = re.compile(r"^(E-mail|Phone|Address|Organization|Website)\s+(\d+)\s+-\s+(.+)$", re.IGNORECASE)

_SIMPLE = {
    "first name": "given_name",
    "given name": "given_name",
    "middle name": "middle_name",
    "additional name": "middle_name",
    "last name": "family_name",
    "family name": "family_name",
    "name": "full_name",
    "name prefix": "prefix",
    "name suffix": "suffix",
    "nickname": "nickname",
    "organization name": "organization",
    "organization title": "title",
    "organization department": "department",
    "birthday": "birthday",
    "notes": "notes",
    "labels": "tags",
    "group membership": "tags",
    "maiden name": "extra:maiden_name",
}

_FIRST_GROUP = {
    ("address", "street"): "street",
    ("address", "extended address"): "street",
    ("address", "city"): "city",
    ("address", "region"): "region",
    ("address", "postal code"): "postal_code",
    ("address", "country"): "country",
    ("organization", "name"): "organization",
    ("organization", "title"): "title",
    ("organization", "department"): "department",
}


def classify(header: str) -> str | tuple[str, int] | None:
    """The target of one Google header (None: keep in extra)."""
    group = _GROUP.match(header)
    if group:
        kind, number, part = group.group(1).lower(), int(group.group(2)), group.group(3).strip().lower()
        if part == "value" and kind in ("e-mail", "phone"):
            return ("emails" if kind == "e-mail" else "phones", number)
        if part == "value" and kind == "website":
            return ("website", number)
        if number == 1:
            return _FIRST_GROUP.get((kind, part))
        return None
    return _SIMPLE.get(header.strip().lower())


def _signature(keys: set[str]) -> bool:
    if "email1value" in keys or ("phone1value" in keys and keys & {"firstname", "givenname", "name"}):
        return True
    current = {"firstname", "phoneticfirstname", "fileas"} <= keys
    legacy = {"givenname", "additionalname", "familyname"} <= keys
    return current or legacy


LAYOUT = _addressbook.Layout(
    name="Google Contacts CSV",
    signature=_signature,
    classify=classify,
    split=" ::: ",
    tag_split=" ::: ",
    drop_tags=("mycontacts", "my contacts"),
)


#: Google Contacts CSV export (contacts.google.com → Export → Google CSV).
IMPORTER = _addressbook.AddressBookImporter(
    "google_csv", "Google Contacts CSV (current and legacy headers, UTF-8 or UTF-16)", LAYOUT
)


@hookimpl
def register_importers():
    from plugins.google_takeout import TakeoutImporter

    return [IMPORTER, TakeoutImporter(IMPORTER)]
