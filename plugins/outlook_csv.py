"""Outlook CSV importer: the classic desktop export, in English, German and other languages.

Registered as the built-in plugin ``plugins.outlook_csv``; the importer is named
``outlook_csv``. The export has one fixed header of ~90 columns (§3c of the formats
reference), translated with Outlook's own language (German, French, Spanish, Dutch, Italian,
Portuguese, Japanese headers are known here): three email columns, eighteen phone columns,
business / home / other addresses, and fields nobody fills whose defaults (``Sensitivity =
Normal``, ``0/0/00`` for an empty date) are dropped as noise. Emails become one list;
personal phone numbers another (shared numbers such as faxes, the company's main line or the
assistant's phone stay in ``extra``, so they can't merge colleagues into one person); the
business address fills the address fields, the home address only where there is no business
one. "Referred By" is kept in ``extra`` as ``referred_by``: a referral hint, not a journal
entry. Outlook writes ANSI (Windows-1252) by default; :mod:`pipeline.tabular` detects it.
"""

from __future__ import annotations

from pipeline import hookimpl
from pipeline.headers import header_key
from plugins import _addressbook

# Each row: English, German, then the other localized Outlooks (French, Spanish, Dutch,
# Italian, Portuguese, Japanese) where they name the column differently.
_PHONES = (
    ("Primary Phone", "Haupttelefon", "Téléphone principal", "Teléfono principal", "Hoofdtelefoon",
     "Telefono principale", "Telefone principal", "通常の電話"),
    ("Mobile Phone", "Mobiltelefon", "Tél. mobile", "Téléphone mobile", "Móvil", "Teléfono móvil",
     "Mobiele telefoon", "Cellulare", "Telefone celular", "Celular", "携帯電話"),
    ("Business Phone", "Telefon geschäftlich", "Téléphone (bureau)", "Téléphone bureau",
     "Teléfono del trabajo", "Telefoon op werk", "Ufficio", "Telefono ufficio", "Telefone comercial",
     "会社電話"),
    ("Business Phone 2", "Telefon geschäftlich 2", "Téléphone 2 (bureau)", "Teléfono del trabajo 2",
     "Telefoon op werk 2", "Ufficio 2", "Telefone comercial 2", "会社電話 2"),
    ("Home Phone", "Telefon privat", "Téléphone (domicile)", "Téléphone domicile", "Particular",
     "Teléfono particular", "Telefoon thuis", "Abitazione", "Telefono abitazione",
     "Telefone residencial", "自宅電話"),
    ("Home Phone 2", "Telefon privat 2", "Téléphone 2 (domicile)", "Particular 2", "Telefoon thuis 2",
     "Abitazione 2", "Telefone residencial 2", "自宅電話 2"),
    ("Other Phone", "Weiteres Telefon", "Autre téléphone", "Otro teléfono", "Andere telefoon",
     "Altro telefono", "Outro telefone", "その他の電話"),
    ("Car Phone", "Autotelefon", "Téléphone voiture", "Teléfono del automóvil", "Autotelefoon",
     "Telefono auto", "Telefone do carro", "自動車電話"),
    ("Callback", "Rückmeldung", "Rappel", "Devolución de llamada", "Terugbellen", "Richiamata",
     "Retorno de chamada", "コールバック"),
    ("Pager", "Pager", "Radiomessagerie", "Buscapersonas", "Pieper", "Cercapersone", "ポケットベル"),
    ("Radio Phone", "Funkruf", "Radiotéléphone", "Radioteléfono", "Radiotelefoon", "Radiotelefono",
     "Radiofone", "無線電話"),
    ("TTY/TDD Phone", "Texttelefon", "Téléphone TDD/TTY", "Teléfono TTY/TDD", "Teksttelefoon",
     "Telefono TTY/TDD", "Telefone TTY/TDD", "TTY/TDD"),
)  # fmt: skip
_EMAILS = (
    ("E-mail Address", "E-Mail-Adresse", "Adresse de messagerie", "Adresse e-mail",
     "Dirección de correo electrónico", "E-mailadres", "Indirizzo posta elettronica",
     "Indirizzo e-mail", "Endereço de email", "Endereço de e-mail", "電子メール アドレス"),
    ("E-mail 2 Address", "E-Mail 2: Adresse", "Adresse de messagerie 2", "Adresse e-mail 2",
     "Dirección de correo electrónico 2", "E-mailadres 2", "Indirizzo posta elettronica 2",
     "Endereço de email 2", "電子メール 2 アドレス"),
    ("E-mail 3 Address", "E-Mail 3: Adresse", "Adresse de messagerie 3", "Adresse e-mail 3",
     "Dirección de correo electrónico 3", "E-mailadres 3", "Indirizzo posta elettronica 3",
     "Endereço de email 3", "電子メール 3 アドレス"),
)  # fmt: skip
_FIELDS = {
    "given_name": ("First Name", "Vorname", "Prénom", "Nombre", "Voornaam", "Nome", "名"),
    "middle_name": ("Middle Name", "Weitere Vornamen", "Deuxième prénom", "Segundo nombre",
                    "Middelste naam", "Secondo nome", "Segundo nome", "ミドル ネーム"),
    "family_name": ("Last Name", "Nachname", "Nom", "Apellidos", "Achternaam", "Cognome",
                    "Sobrenome", "姓"),
    "prefix": ("Title", "Anrede", "Titel", "Titre", "Tratamiento", "Titolo", "Tratamento", "肩書き"),
    "suffix": ("Suffix", "Suffixe", "Sufijo", "Achtervoegsel", "Suffisso", "Sufixo", "敬称"),
    "nickname": ("Nickname", "Spitzname", "Surnom", "Apodo", "Bijnaam", "Soprannome", "Apelido"),
    "organization": ("Company", "Firma", "Société", "Organización", "Compañía", "Bedrijf", "Società",
                     "Empresa", "会社名"),
    "department": ("Department", "Abteilung", "Service", "Departamento", "Afdeling", "Reparto", "部署"),
    "title": ("Job Title", "Position", "Fonction", "Puesto", "Functie", "Posizione", "Cargo", "役職"),
    "street": (
        "Business Street", "Business Street 2", "Business Street 3",
        "Straße geschäftlich", "Straße geschäftlich 2", "Straße geschäftlich 3",
        "Rue (bureau)", "Rue (bureau) 2", "Rue (bureau) 3", "Calle del trabajo", "Calle del trabajo 2",
        "Werkadres, straat", "Via (uff.)", "Rua comercial", "番地 (会社)", "住所 2 (会社)", "住所 3 (会社)",
    ),
    "city": ("Business City", "Ort geschäftlich", "Ville (bureau)", "Ciudad de trabajo", "Werkadres, plaats",
             "Città (uff.)", "Cidade comercial", "市町村 (会社)"),
    "region": ("Business State", "Bundesland/Kanton geschäftlich", "Region geschäftlich",
               "Dép/Région (bureau)", "Provincia o estado de trabajo", "Werkadres, provincie",
               "Provincia (uff.)", "Estado comercial", "都道府県 (会社)"),
    "postal_code": ("Business Postal Code", "Postleitzahl geschäftlich", "Code postal (bureau)",
                    "Código postal del trabajo", "Werkadres, postcode", "CAP (uff.)", "CEP comercial",
                    "郵便番号 (会社)"),
    "country": (
        "Business Country/Region", "Business Country", "Land/Region geschäftlich", "Land geschäftlich",
        "Pays/Région (bureau)", "País o región del trabajo", "Werkadres, land", "Paese (uff.)",
        "País comercial", "国 (会社)/地域",
    ),
    "home:street": (
        "Home Street", "Home Street 2", "Home Street 3",
        "Straße privat", "Straße privat 2", "Straße privat 3",
        "Rue (domicile)", "Rue (domicile) 2", "Rue (domicile) 3", "Calle del domicilio",
        "Huisadres, straat", "Via (ab.)", "Rua residencial", "番地 (自宅)", "住所 2 (自宅)", "住所 3 (自宅)",
    ),
    "home:city": ("Home City", "Ort privat", "Ville (domicile)", "Ciudad de residencia", "Huisadres, plaats",
                  "Città (ab.)", "Cidade residencial", "市町村 (自宅)"),
    "home:region": ("Home State", "Bundesland/Kanton privat", "Region privat", "Dép/Région (domicile)",
                    "Provincia o estado de residencia", "Huisadres, provincie", "Provincia (ab.)",
                    "Estado residencial", "都道府県 (自宅)"),
    "home:postal_code": ("Home Postal Code", "Postleitzahl privat", "Code postal (domicile)",
                         "Código postal de residencia", "Huisadres, postcode", "CAP (ab.)", "CEP residencial",
                         "郵便番号 (自宅)"),
    "home:country": ("Home Country/Region", "Home Country", "Land/Region privat", "Land privat",
                     "Pays/Région (domicile)", "País o región de residencia", "Huisadres, land",
                     "Paese (ab.)", "País residencial", "国 (自宅)/地域"),
    "birthday": ("Birthday", "Geburtstag", "Anniversaire", "Cumpleaños", "Verjaardag", "Compleanno",
                 "Aniversário", "誕生日"),
    "notes": ("Notes", "Notizen", "Notas", "Notities", "Note", "Anotações", "メモ"),
    "tags": ("Categories", "Kategorien", "Catégories", "Categorías", "Categorieën", "Categorie",
             "Categorias", "分類"),
    "website": ("Web Page", "Webseite", "Page Web", "Página Web", "Webpagina", "Pagina Web",
                "Página da Web", "Web ページ"),
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
#: Any localized Outlook: its given and family name columns, its first e-mail column, and at
#: least three more of its own column names (business / home addresses, its phone names).
_GIVEN = {header_key(h) for h in _FIELDS["given_name"]}
_FAMILY = {header_key(h) for h in _FIELDS["family_name"]}
_FIRST_EMAIL = {header_key(h) for h in _EMAILS[0]}
_OWN = {
    header_key(h)
    for names in (*_PHONES, *_EMAILS[1:], _FIELDS["street"], _FIELDS["home:street"], _FIELDS["city"])
    for h in names
}


def classify(header: str) -> str | tuple[str, int] | None:
    """The target of one Outlook header (None: keep in extra)."""
    return _TABLE.get(header_key(header))


def _signature(keys: set[str]) -> bool:
    if "primaryemail" in keys or "email1value" in keys:
        return False  # Thunderbird / Google share some column names
    english = {"firstname", "lastname", "emailaddress"} <= keys and bool(keys & _MARKERS_EN)
    german = {"vorname", "nachname"} <= keys and bool(keys & {"emailadresse", "email2adresse"})
    if english or (german and len(keys & _MARKERS_DE) >= 2):
        return True
    return bool(keys & _GIVEN and keys & _FAMILY and keys & _FIRST_EMAIL) and len(keys & _OWN) >= 3


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
        "電子メールの種類": "SMTP",
        "電子メール 2 の種類": "SMTP",
        "電子メール 3 の種類": "SMTP",
        "プライベート": "False",
    },
)


#: Outlook desktop CSV export (File → Open & Export → Import/Export → Comma Separated Values).
IMPORTER = _addressbook.AddressBookImporter(
    "outlook_csv",
    "Outlook CSV (classic desktop export, English or localized headers)",
    LAYOUT,
)


@hookimpl
def register_importers():
    return [IMPORTER]
