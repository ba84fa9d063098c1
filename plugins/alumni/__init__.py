"""Alumni-directory importer: any CRM's export, xlsx or csv, whatever its header says.

Registered as the built-in plugin ``plugins.alumni``; the importer is named ``alumni``.
It reads workbooks (every sheet that holds contacts) and delimited text (``, ; TAB |``),
finds the header by content under title rows, maps columns by meaning through an alias
table (:mod:`plugins.alumni.aliases`), keeps deceased / lost / do-not-contact flags as tags
and everything unmapped in ``extra``. Reading is in :mod:`plugins.alumni.read`.

Being generic, its ``sniff`` stays modest and steps aside for files whose header is a
known address-book or LinkedIn export, so the dedicated importers always win those.
"""

from __future__ import annotations

from pathlib import Path

from pipeline import hookimpl, tabular
from pipeline.contracts import ImportOptions, ImportResult
from pipeline.headers import find_header_row, header_key

#: Header keys that identify other importers' files (any one set fully present).
FOREIGN_SIGNATURES: tuple[frozenset[str], ...] = tuple(
    frozenset(header_key(h) for h in names)
    for names in (
        ("E-mail 1 - Value",),  # Google Contacts, current and legacy
        ("Phone 1 - Value", "Given Name"),
        ("First Name", "Last Name", "URL", "Connected On"),  # LinkedIn Connections.csv
        ("First Name", "Last Name", "Email Address", "Connected On"),
        ("Vorname", "Nachname", "Verbunden am"),
        ("E-mail Address", "Business Phone"),  # Outlook
        ("E-mail Address", "E-mail Display Name"),
        ("Vorname", "Nachname", "E-Mail-Adresse", "Mobiltelefon"),
        ("Vorname", "Nachname", "E-Mail-Adresse", "Firma", "Abteilung"),
        ("Primary Email", "Display Name"),  # Thunderbird
        ("Date", "Person", "What"),  # a networking journal (plugins.journal)
    )
)

#: Score of a file whose header is nothing but contact columns (``Primary Email``): just above
#: the core's threshold, so any importer that knows the file better wins it.
ONLY_CONTACT_COLUMNS = 0.35

#: Targets that say "this is an alumni directory" more than "a list of people".
ALUMNI_TARGETS = frozenset(
    {"class_year", "school", "degree", "source_key", "extra:maiden_name", "extra:major"}
    | {"tag:deceased", "tag:lost"}
)


class AlumniImporter:
    """Alumni directories from any CRM (Raiser's Edge, 360Alumni, Blackbaud, hand-made)."""

    name = "alumni"
    description = "Alumni directories (xlsx/xls/ods/csv/tsv, any header: Raiser's Edge, 360Alumni, ...)"
    #: Reads any table: a specific importer that says "probably mine" wins over it.
    generic = True

    def sniff(self, path: Path, head: bytes) -> float:
        from plugins.alumni.read import alias_index, find_header

        if tabular.is_workbook(path, head):
            return _sniff_workbook(path)
        if head.lstrip(b"\xef\xbb\xbf \r\n\t").upper().startswith(b"BEGIN:VCARD"):
            return 0.0
        rows = tabular.sniff_rows(path, head, limit=tabular.HEAD_ROWS)
        if not rows:
            return 0.0
        for row in rows[:12]:
            keys = {header_key(cell) for cell in row}
            if any(signature <= keys for signature in FOREIGN_SIGNATURES):
                return 0.05
        index = alias_index()
        position = find_header_row(rows, index)
        if position is None:
            # Only contact columns (a list of e-mails): any importer would do; we take it last.
            return ONLY_CONTACT_COLUMNS if find_header(rows, index) is not None else 0.0
        return _score(rows[position], index)

    def read(self, path: Path, options: ImportOptions) -> ImportResult:
        from plugins.alumni.read import read_alumni

        return read_alumni(path, options)


def _score(header: list[str | None], index, targets: set[str] | None = None) -> float:
    if targets is None:
        targets = {hit[0] for cell in header if cell and (hit := index.lookup(cell))}
    alumni = len(targets & ALUMNI_TARGETS)
    return min(0.9, 0.4 + 0.1 * min(len(targets), 3) + 0.1 * alumni)


def _sniff_workbook(path: Path) -> float:
    """Score a workbook from its first text cells, without loading any sheet."""
    from plugins.alumni.read import alias_index

    texts = tabular.workbook_head_texts(path)
    if not texts:
        # An .xls/.ods (or a workbook we can't peek into): plausible, let read() decide.
        return 0.3
    index = alias_index()
    # Titles and the header come first; later strings are data.
    targets = {hit[0] for text in texts[:200] if len(text) <= 80 and (hit := index.lookup(text))}
    if len(targets) < 2:
        return 0.0
    return _score(sorted(targets), index, targets)


@hookimpl
def register_importers():
    return [AlumniImporter()]
