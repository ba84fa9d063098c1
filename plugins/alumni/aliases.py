"""The alumni importer's alias table: which header names feed which field.

Read by :mod:`plugins.alumni.read` through :class:`pipeline.headers.AliasIndex`. Aliases
are compared in their normalized form (case, punctuation, spacing and camelCase don't
matter), so ``"E-mail Address"`` also covers ``EmailAddress`` and ``e_mail address``; small
typos are caught by the fuzzy step. Within a target the best alias comes first: it orders
the values of multi-valued fields (a "Preferred Email" before an "Email 2").

Targets are canonical fields (see :mod:`pipeline.schema`) plus these pseudo-targets, which
users may also name in a kith.toml ``mapping``:

- ``source_key``: the CRM's record or constituent id (keeps record ids stable).
- ``city_region``: one ``"City, ST"`` column, split into ``city`` and ``region``.
- ``street_number`` / ``house_number``: a number column of the street address, written
  before the street (``12 Harbour Rd``) or after it (``Hauptstraße 5``).
- ``tag:deceased`` / ``tag:lost`` / ``tag:do-not-contact``: a flag column; any value other
  than an explicit no (``No``, ``N``, ``False``, ``0``) adds the tag.
- ``opt_in``: an "Accept Email"-style column; an explicit no adds ``do-not-contact``.
- ``status``: a status column whose values may say deceased / lost / do not contact; the
  tags are added and the value itself is kept in ``extra``.
- ``extra:<key>``: a known field without a canonical column, kept in ``extra`` under a
  stable ``<key>`` (``maiden_name``, ``major``, ``referred_by``) whatever the header says.
"""

from __future__ import annotations

from pipeline.schema import RAW_COLUMNS

# The table reads best one target per block; keep ruff from exploding it to one alias per line.
# fmt: off
ALIASES: dict[str, tuple[str, ...]] = {
    "source_key": (
        "Record ID", "Constituent ID", "Unique Record ID", "Alumni ID", "Alumnus ID", "ID",
        "Lookup ID", "Member ID", "Contact ID", "Person ID", "Student ID", "Import ID",
        "Constituent Record ID", "CnBio_ID", "CnBio_Import_ID", "CnBio_System_ID",
    ),
    "full_name": (
        "Full Name", "Name", "Alumni Name", "Alumnus Name", "Alumna Name", "Constituent Name",
        "Display Name", "Name (Last, First)", "Last, First", "Sort Name", "CnBio_Name",
        "Nom complet", "Nombre completo", "Volledige naam", "Nome completo", "氏名", "名前",
    ),
    "given_name": (
        "First Name", "First", "Given Name", "Forename", "Fname", "Legal First Name",
        "CnBio_First_Name", "Vorname", "Prénom", "Nombre", "Voornaam", "Nome", "Primeiro nome", "名",
    ),
    "middle_name": ("Middle Name", "Middle", "Middle Initial", "MI", "CnBio_Middle_Name"),
    "family_name": (
        "Last Name", "Last", "Surname", "Family Name", "Lname", "Current Last Name",
        "Preferred Last Name", "CnBio_Last_Name", "Nachname", "Familienname", "Nom", "Nom de famille",
        "Apellido", "Apellidos", "Achternaam", "Cognome", "Sobrenome", "Apelido", "姓",
    ),
    "nickname": (
        "Preferred Name", "Preferred First Name", "Pref Name", "Pref First Name", "Preferred",
        "Nickname", "Nick Name", "Goes By", "Known As", "Called", "CnBio_Nickname", "Rufname",
        "Spitzname", "Surnom", "Apodo", "Bijnaam", "Roepnaam", "Soprannome",
    ),
    "prefix": ("Prefix", "Name Prefix", "Salutation", "Honorific", "Name Title", "CnBio_Title_1"),
    "suffix": ("Suffix", "Name Suffix", "CnBio_Suffix_1"),
    "emails": (
        "Preferred Email", "Primary Email", "Email", "Email Address", "E-mail Address", "E-mail",
        "Preferred Email Address", "Primary Email Address", "Personal Email", "Home Email",
        "Business Email", "Work Email", "Secondary Email", "Alternate Email", "Other Email",
        "Email Addr", "CnAdrPrf_Email", "E-mail 2 Address", "E-mail 3 Address",
        "E-Mail", "E-Mail-Adresse", "Courriel", "Adresse e-mail", "Adresse de messagerie",
        "Correo electrónico", "Correo", "Dirección de correo electrónico", "E-mailadres",
        "Indirizzo email", "Indirizzo e-mail", "Endereço de e-mail", "Endereço de email",
        "メールアドレス", "電子メール アドレス", "電子メール",
    ),
    "phones": (
        "Preferred Phone", "Mobile Phone", "Mobile", "Cell Phone", "Cell", "Mobile Number",
        "Cell Number", "Phone", "Phone Number", "Telephone", "Primary Phone", "Home Phone",
        "Work Phone", "Business Phone", "Office Phone", "Other Phone", "Phone Num",
        "CnAdrPrf_Phone", "CnPh_1_01_Phone_number", "Telefon", "Telefonnummer", "Handy", "Mobil",
        "Mobiltelefon", "Téléphone", "Portable", "Tél. portable", "Teléfono", "Móvil", "Celular",
        "Telefoon", "Mobiel", "Telefoonnummer", "Telefono", "Cellulare", "Telefone", "電話番号", "携帯電話",
    ),
    "organization": (
        "Employer", "Company", "Organization", "Organisation", "Company Name", "Employer Name",
        "Current Employer", "Business Name", "Work Company", "Firm", "CnPrBs_Org_Name", "Firma",
        "Unternehmen", "Arbeitgeber", "Société", "Entreprise", "Employeur", "Empresa", "Bedrijf",
        "Werkgever", "Azienda", "Società", "会社名", "会社",
    ),
    "title": (
        "Job Title", "Title", "Position", "Occupation", "Professional Title", "Current Position",
        "Work Title", "CnPrBs_Position", "Berufsbezeichnung", "Poste", "Fonction", "Cargo", "Puesto",
        "Functie", "Ruolo", "役職",
    ),
    "department": (
        "Department", "Dept", "Abteilung", "Service", "Departamento", "Afdeling", "Reparto", "部署",
    ),
    "street": (
        "Street", "Address", "Street Address", "Address Line 1", "Address Line1", "Addr1",
        "Street 1", "Line 1", "Mailing Address", "Home Address", "Home Street",
        "Address Line 2", "Address Line2", "Addr2", "Street 2", "Line 2", "Address Line 3",
        "Line 3", "CnAdrPrf_Addrline1", "CnAdrPrf_Addrline2", "CnAdrPrf_Addrline3",
        "Address 1", "Address 2", "Address 3", "Street Name", "Straße", "Strasse", "Adresse", "Rue",
        "Dirección", "Calle", "Straat", "Adres", "Indirizzo", "Endereço", "Rua", "住所", "番地",
    ),
    "street_number": ("Street Number", "Street No", "Street No.", "Street #", "House Number", "House No"),
    "house_number": ("Hausnummer", "Hausnr", "Huisnummer", "Número", "Numero", "Numéro"),
    "city": (
        "City", "Town", "Home City", "Mailing City", "Preferred City", "CnAdrPrf_City", "Suburb",
        "Town/City", "City/Town", "Suburb/Town", "Locality", "Municipality", "Ort", "Stadt", "Wohnort",
        "Ville", "Ciudad", "Localidad", "Municipio", "Plaats", "Woonplaats", "Città", "Comune", "Cidade",
        "市区町村", "市町村",
    ),
    "region": (
        "State", "Province", "State/Province", "Region", "Home State", "Mailing State", "ST",
        "CnAdrPrf_State", "County", "Bundesland", "Kanton", "Région", "Département", "Provincia",
        "Estado", "Provincie", "Regione", "都道府県",
    ),
    "postal_code": (
        "Zip", "Zip Code", "ZIP+4", "Postal Code", "Postcode", "Post Code", "Home Zip",
        "Mailing Zip", "CnAdrPrf_ZIP", "PLZ", "Postleitzahl", "Code postal", "CP", "Código postal",
        "CAP", "CEP", "郵便番号",
    ),
    "country": (
        "Country", "Country/Region", "Nation", "Home Country", "CnAdrPrf_ContryLongDscription", "Land",
        "Pays", "País", "Paese", "国",
    ),
    "city_region": ("City/State", "City, State", "City State", "Location", "Hometown"),
    "linkedin_url": ("LinkedIn", "LinkedIn URL", "LinkedIn Profile", "LinkedIn Profile URL", "Linked In"),
    "school": (
        "School", "College", "School Name", "School/College", "Institution", "University",
        "Campus", "Alma Mater",
    ),
    "degree": ("Degree", "Degree Code", "Highest Degree", "Highest Arts Degree", "Degree Type", "Degrees"),
    "class_year": (
        "Class Year", "Class Yr", "Class", "Class of", "Grad Year", "Graduation Year",
        "Year of Graduation", "Grad Yr", "Social Class Year", "Preferred Class Year",
        "Pref Class Year", "Cohort Year", "Cohort", "Year", "Yr", "CnBio_Class_of", "Jahrgang",
        "Abschlussjahr", "Promotion", "Année de promotion", "Año de graduación", "Promoción",
        "Afstudeerjaar", "Anno di laurea", "Ano de formatura", "卒業年",
    ),
    "birthday": (
        "Birthday", "Birth Date", "Date of Birth", "DOB", "Born", "CnBio_Birth_date", "Geburtstag",
        "Geburtsdatum", "Date de naissance", "Fecha de nacimiento", "Geboortedatum", "Data di nascita",
        "Data de nascimento", "誕生日",
    ),
    "notes": (
        "Notes", "Note", "Comments", "Comment", "Remarks", "Notizen", "Bemerkungen", "Remarques", "Notas",
        "Opmerkingen", "メモ",
    ),
    "tags": ("Tags", "Groups", "Categories", "Labels", "Affinity Groups"),
    "tag:deceased": (
        "Deceased", "Is Deceased", "Is Deceased?", "Deceased Flag", "Deceased?", "CnBio_Deceased",
    ),
    "tag:lost": ("Lost", "Is Lost", "Lost?", "Lost Flag", "Lost Contact", "Lost Alumni"),
    "tag:do-not-contact": (
        "Do Not Contact", "DNC", "No Contact", "Do Not Email", "Do Not Solicit", "Do Not Mail",
        "No Email", "Email Opt Out", "Opt Out", "Opted Out", "Unsubscribed", "Requests No Contact",
        "Requests No Email", "CnBio_Requests_no_email", "Solicit Code No Contact",
    ),
    "opt_in": (
        "Accept Email", "Accepts Email", "Email Opt In", "Opt In", "OK to Email", "OK to Contact",
        "Accept Mail", "Email Allowed", "Contact Allowed",
    ),
    "status": ("Status", "Constituent Status", "Alumni Status", "Record Status", "Contact Status"),
    "extra:maiden_name": (
        "Maiden Name", "Previous Last Name", "Former Last Name", "Birth Last Name", "Name at Graduation",
        "CnBio_Maiden_name",
    ),
    "extra:major": ("Major", "Majors", "Major(s)", "Field of Study", "Area of Study", "Concentration"),
    "extra:referred_by": ("Referred By", "Referral", "Referred by Name"),
}
# fmt: on

#: Targets fed by several columns at once.
MULTI = (
    "emails", "phones", "street", "tags",
    "tag:deceased", "tag:lost", "tag:do-not-contact", "opt_in", "status",
)  # fmt: skip

#: What a kith.toml mapping may name besides "extra".
PSEUDO = {
    "source_key", "city_region", "street_number", "house_number", "tag:deceased", "tag:lost",
    "tag:do-not-contact", "opt_in", "status",
}  # fmt: skip


def allowed_targets() -> set[str]:
    """Every target an override may name: canonical raw columns, pseudo-targets, ``extra:<key>``."""
    return (
        (set(RAW_COLUMNS) - {"source_ref", "extra", "channel"})
        | PSEUDO
        | {t for t in ALIASES if t.startswith("extra:")}
    )
