"""Thunderbird address-book CSV importer.

Registered as the built-in plugin ``plugins.thunderbird_csv``; the importer is named
``thunderbird_csv``. Thunderbird's header (§3c of the formats reference) uses "Primary
Email" / "Secondary Email", a "Display Name", work and home addresses, two web pages and
the birthday split into "Birth Year" / "Birth Month" / "Birth Day" (assembled here into
``1985-04-15``, or ``--04-15`` without a year). Lines often end with a trailing comma,
which gives a nameless empty column. German headers ("Vorname", "Primäre E-Mail-Adresse")
are recognised too. Reading is shared in :mod:`plugins._addressbook`.
"""

from __future__ import annotations

from pipeline import hookimpl
from pipeline.headers import header_key
from plugins import _addressbook

_FIELDS = {
    "given_name": ("First Name", "Vorname"),
    "family_name": ("Last Name", "Nachname"),
    "full_name": ("Display Name", "Anzeigename"),
    "nickname": ("Nickname", "Spitzname"),
    "title": ("Job Title", "Arbeitstitel"),
    "department": ("Department", "Abteilung"),
    "organization": ("Organization", "Organisation"),
    "street": ("Work Address", "Work Address 2", "Dienstlich: Adresse", "Dienstlich: Adresse 2"),
    "city": ("Work City", "Dienstlich: Ort"),
    "region": ("Work State", "Dienstlich: Bundesland"),
    "postal_code": ("Work ZipCode", "Dienstlich: PLZ"),
    "country": ("Work Country", "Dienstlich: Land"),
    "home:street": ("Home Address", "Home Address 2", "Privat: Adresse", "Privat: Adresse 2"),
    "home:city": ("Home City", "Privat: Ort"),
    "home:region": ("Home State", "Privat: Bundesland"),
    "home:postal_code": ("Home ZipCode", "Privat: PLZ"),
    "home:country": ("Home Country", "Privat: Land"),
    "website": ("Web Page 1", "Web Page 2", "Webseite 1", "Webseite 2"),
    "birth_year": ("Birth Year", "Geburtsjahr"),
    "birth_month": ("Birth Month", "Geburtsmonat"),
    "birth_day": ("Birth Day", "Geburtstag"),
    "notes": ("Notes", "Notizen"),
}  # fmt: skip
_EMAILS = (("Primary Email", "Primäre E-Mail-Adresse"), ("Secondary Email", "Sekundäre E-Mail-Adresse"))
_PHONES = (
    ("Mobile Number", "Mobil-Tel.-Nr."),
    ("Work Phone", "Tel. dienstlich"),
    ("Home Phone", "Tel. privat"),
    ("Pager Number", "Pager-Nummer"),
)

_TABLE: dict[str, str | tuple[str, int]] = {}
for _target, _names in _FIELDS.items():
    for _name in _names:
        _TABLE[header_key(_name)] = _target
for _kind, _groups in (("emails", _EMAILS), ("phones", _PHONES)):
    for _rank, _names in enumerate(_groups):
        for _name in _names:
            _TABLE[header_key(_name)] = (_kind, _rank)


def classify(header: str) -> str | tuple[str, int] | None:
    """The target of one Thunderbird header (None: keep in extra)."""
    return _TABLE.get(header_key(header))


def _signature(keys: set[str]) -> bool:
    english = "primaryemail" in keys and bool(keys & {"displayname", "secondaryemail"})
    german = "primareemailadresse" in keys and bool(keys & {"anzeigename", "sekundareemailadresse"})
    return english or german


LAYOUT = _addressbook.Layout(name="Thunderbird CSV", signature=_signature, classify=classify, tag_split=";")


#: Thunderbird address book exported as CSV (Address Book → Tools → Export).
IMPORTER = _addressbook.AddressBookImporter(
    "thunderbird_csv", "Thunderbird address-book CSV (English or German headers)", LAYOUT
)


@hookimpl
def register_importers():
    return [IMPORTER]
