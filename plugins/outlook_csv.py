"""Outlook CSV importer: the classic desktop export, in English or German.

Registered as the built-in plugin ``plugins.outlook_csv``; the importer is named
``outlook_csv``. The export has one fixed, localised header of ~90 columns (§3c of the
formats reference): three email columns, eighteen phone columns, business / home / other
addresses, and fields nobody fills whose defaults (``Sensitivity = Normal``, ``0/0/00``
for an empty date) are dropped as noise. Emails become one list; personal phone numbers
another (shared numbers such as faxes, the company's main line or the assistant's phone
stay in ``extra``, so they can't merge colleagues into one person); the business address
fills the address fields, the home address only where there is no business one.
"Referred By" is kept in ``extra`` as ``referred_by``: a referral hint, not a journal entry.
Outlook writes ANSI (Windows-1252) by default; :mod:`pipeline.tabular` detects it.
"""

from __future__ import annotations

from pipeline import hookimpl
from pipeline.headers import header_key
from plugins import _addressbook

_PHONES = (
    ("Primary Phone", "Haupttelefon"),
    ("Mobile Phone", "Mobiltelefon"),
    ("Business Phone", "Telefon geschäftlich"),
    ("Business Phone 2", "Telefon geschäftlich 2"),
    ("Home Phone", "Telefon privat"),
    ("Home Phone 2", "Telefon privat 2"),
    ("Other Phone", "Weiteres Telefon"),
    ("Car Phone", "Autotelefon"),
    ("Callback", "Rückmeldung"),
    ("Pager", "Pager"),
    ("Radio Phone", "Funkruf"),
    ("TTY/TDD Phone", "Texttelefon"),
)
_EMAILS = (
    ("E-mail Address", "E-Mail-Adresse"),
    ("E-mail 2 Address", "E-Mail 2: Adresse"),
    ("E-mail 3 Address", "E-Mail 3: Adresse"),
)
_FIELDS = {
    "given_name": ("First Name", "Vorname"),
    "middle_name": ("Middle Name", "Weitere Vornamen"),
    "family_name": ("Last Name", "Nachname"),
    "prefix": ("Title", "Anrede", "Titel"),
    "suffix": ("Suffix",),
    "nickname": ("Nickname", "Spitzname"),
    "organization": ("Company", "Firma"),
    "department": ("Department", "Abteilung"),
    "title": ("Job Title", "Position"),
    "street": (
        "Business Street", "Business Street 2", "Business Street 3",
        "Straße geschäftlich", "Straße geschäftlich 2", "Straße geschäftlich 3",
    ),
    "city": ("Business City", "Ort geschäftlich"),
    "region": ("Business State", "Bundesland/Kanton geschäftlich", "Region geschäftlich"),
    "postal_code": ("Business Postal Code", "Postleitzahl geschäftlich"),
    "country": (
        "Business Country/Region", "Business Country", "Land/Region geschäftlich", "Land geschäftlich",
    ),
    "home:street": (
        "Home Street", "Home Street 2", "Home Street 3",
        "Straße privat", "Straße privat 2", "Straße privat 3",
    ),
    "home:city": ("Home City", "Ort privat"),
    "home:region": ("Home State", "Bundesland/Kanton privat", "Region privat"),
    "home:postal_code": ("Home Postal Code", "Postleitzahl privat"),
    "home:country": ("Home Country/Region", "Home Country", "Land/Region privat", "Land privat"),
    "birthday": ("Birthday", "Geburtstag"),
    "notes": ("Notes", "Notizen"),
    "tags": ("Categories", "Kategorien"),
    "website": ("Web Page", "Webseite"),
    "extra:referred_by": ("Referred By", "Empfohlen von"),
}  # fmt: skip

_TABLE: dict[str, str | tuple[str, int]] = {}
for _target, _names in _FIELDS.items():
    for _name in _names:
        _TABLE.setdefault(header_key(_name), _target)
for _kind, _groups in (("phones", _PHONES), ("emails", _EMAILS)):
    for _rank, _names in enumerate(_groups):
        for _name in _names:
            _TABLE[header_key(_name)] = (_kind, _rank)

_MARKERS_EN = {
    header_key(h)
    for h in (
        "Business Phone", "E-mail Display Name", "E-mail Type", "E-mail 2 Address",
        "Business Street", "Home Street", "Mobile Phone", "Home Phone",
    )
}  # fmt: skip
_MARKERS_DE = {
    header_key(h)
    for h in (
        "Firma", "Abteilung", "Mobiltelefon", "Telefon geschäftlich", "Telefon privat",
        "Straße geschäftlich", "Straße privat", "Weitere Vornamen", "Kategorien", "Notizen", "Anrede",
    )
}  # fmt: skip


def classify(header: str) -> str | tuple[str, int] | None:
    """The target of one Outlook header (None: keep in extra)."""
    return _TABLE.get(header_key(header))


def _signature(keys: set[str]) -> bool:
    if "primaryemail" in keys or "email1value" in keys:
        return False  # Thunderbird / Google share some column names
    english = {"firstname", "lastname", "emailaddress"} <= keys and bool(keys & _MARKERS_EN)
    german = {"vorname", "nachname"} <= keys and bool(keys & {"emailadresse", "email2adresse"})
    return english or (german and len(keys & _MARKERS_DE) >= 2)


LAYOUT = _addressbook.Layout(
    name="Outlook CSV",
    signature=_signature,
    classify=classify,
    tag_split=";",
    null_values=("0/0/00", "0.0.00", "00.00.00"),
    defaults={
        "Sensitivity": "Normal",
        "Priority": "Normal",
        "Private": "False",
        "Gender": "Unspecified",
        "E-mail Type": "SMTP",
        "E-mail 2 Type": "SMTP",
        "E-mail 3 Type": "SMTP",
        "Vertraulichkeit": "Normal",
        "Priorität": "Normal",
        "Privat": "Aus",
        "Geschlecht": "Nicht angegeben",
        "E-Mail-Typ": "SMTP",
        "E-Mail 2: Typ": "SMTP",
        "E-Mail 3: Typ": "SMTP",
    },
)


#: Outlook desktop CSV export (File → Open & Export → Import/Export → Comma Separated Values).
IMPORTER = _addressbook.AddressBookImporter(
    "outlook_csv", "Outlook CSV (classic desktop export, English or German headers)", LAYOUT
)


@hookimpl
def register_importers():
    return [IMPORTER]
