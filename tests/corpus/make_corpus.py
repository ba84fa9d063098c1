"""Write the bad-input corpus: broken, hostile and huge contact files.

Small files are committed under ``tests/corpus/files/`` (run ``python tests/corpus/make_corpus.py``
from the repository root to rewrite them); big ones (a 50 MB line, a million blank rows, a
zip bomb) are generated at test time into a temporary folder by :func:`write_big`, so the
repository stays small. ``tests/corpus/expected.toml`` says what each file must give.
Everyone in these files is invented; addresses use example.com / example.org.
"""

from __future__ import annotations

import io
import random
import struct
import zipfile
import zlib
from pathlib import Path

HERE = Path(__file__).resolve().parent
FILES = HERE / "files"

ALUMNI_HEADER = "Constituent ID,First Name,Last Name,Class Yr,Email,Phone,Employer"
ALUMNI_ROWS = [
    "A-1,Maria,Gonzalez,2009,maria.gonzalez@example.com,(206) 555-0142,Northwind Traders",
    "A-2,Robert,Kowalski,'06,bob.kowalski@example.org,312-555-0177,Contoso Ltd",
    "A-3,Elizabeth,Nakamura,1998,liz.nakamura@example.com,503-555-0163,Fabrikam Health",
]
LINKEDIN_PREAMBLE = (
    'Notes:\r\n"When exporting your connection data, you may notice that some of the email addresses '
    "are missing. You will only see email addresses for connections who have allowed their "
    'connections to see or download their email address using this setting."\r\n\r\n'
)
LINKEDIN_HEADER = "First Name,Last Name,URL,Email Address,Company,Position,Connected On\r\n"

# --- xlsx building blocks (written by hand so a test controls every byte) ---------------------

_CT = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    "</Types>"
)
_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
    'Target="xl/workbook.xml"/></Relationships>'
)
_WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<sheets><sheet name="Alumni" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
_WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" '
    'Target="worksheets/sheet1.xml"/></Relationships>'
)
_SHEET_OPEN = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
)
_SHEET_CLOSE = "</sheetData></worksheet>"


def _col(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def sheet_xml(rows: list[tuple[int, list[tuple[str, str]]]], prolog: str = "") -> str:
    """Worksheet XML of inline-string cells: ``rows`` is ``[(row number, [(ref, text), ...])]``."""
    body = "".join(
        f'<row r="{number}">'
        + "".join(f'<c r="{ref}" t="inlineStr"><is><t>{_esc(text)}</t></is></c>' for ref, text in cells)
        + "</row>"
        for number, cells in rows
    )
    head = _SHEET_OPEN if not prolog else _SHEET_OPEN.replace("\n", "\n" + prolog, 1)
    return head + body + _SHEET_CLOSE


def grid_rows(lines: list[str], first_row: int = 1) -> list[tuple[int, list[tuple[str, str]]]]:
    """CSV-ish lines (no quoting) as sheet rows."""
    return [
        (first_row + i, [(f"{_col(j)}{first_row + i}", v) for j, v in enumerate(line.split(",")) if v])
        for i, line in enumerate(lines)
    ]


def xlsx_bytes(sheet: str, extra: dict[str, str] | None = None) -> bytes:
    buffer = io.BytesIO()
    parts = {
        "[Content_Types].xml": _CT,
        "_rels/.rels": _RELS,
        "xl/workbook.xml": _WORKBOOK,
        "xl/_rels/workbook.xml.rels": _WORKBOOK_RELS,
        "xl/worksheets/sheet1.xml": sheet,
        **(extra or {}),
    }
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in parts.items():
            # A fixed timestamp: the committed files must be byte-for-byte reproducible.
            archive.writestr(zipfile.ZipInfo(name, (2024, 1, 1, 0, 0, 0)), text, zipfile.ZIP_DEFLATED)
    return buffer.getvalue()


def alumni_xlsx() -> bytes:
    return xlsx_bytes(sheet_xml(grid_rows([ALUMNI_HEADER, *ALUMNI_ROWS])))


# --- the small, committed corpus -----------------------------------------------------------


def _vcard(name: str, email: str, extra: str = "") -> str:
    given, family = name.split()
    return (
        f"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:{name}\r\nN:{family};{given};;;\r\n"
        f"EMAIL;TYPE=INTERNET:{email}\r\n{extra}END:VCARD\r\n"
    )


def small_files() -> dict[str, bytes]:
    """Every committed corpus file, name → bytes (deterministic)."""
    rng = random.Random(11)
    alumni_csv = "\r\n".join([ALUMNI_HEADER, *ALUMNI_ROWS]) + "\r\n"
    files: dict[str, bytes] = {}

    # Truncated and garbage files with contact extensions.
    workbook = alumni_xlsx()
    files["truncated.xlsx"] = workbook[: len(workbook) * 2 // 3]
    cards = _vcard("Ada Lovelace", "ada@example.com") + _vcard("Grace Hopper", "grace@example.org")
    files["truncated.vcf"] = (cards + "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Alan Tur").encode()
    linkedin = (
        LINKEDIN_PREAMBLE
        + LINKEDIN_HEADER
        + (
            "Priya,Shah,https://www.linkedin.com/in/priya-shah-example,,Contoso Ltd,Engineer,12 Mar 2024\r\n"
            'Chen,Wei,https://www.linkedin.com/in/chen-wei-example,,"Fabrikam, Inc'
        )
    )
    files["truncated_linkedin.csv"] = linkedin.encode()
    for suffix in ("csv", "vcf", "xlsx"):
        files[f"garbage.{suffix}"] = bytes(rng.randrange(256) for _ in range(4096))
    files["empty.csv"] = b""
    files["empty.vcf"] = b""
    files["empty.xlsx"] = b""

    # Deeply folded lines: a NOTE continued over 20,000 folded lines.
    folded = "NOTE:start\r\n" + "".join(" x\r\n" for _ in range(20_000))
    files["deep_folding.vcf"] = _vcard("Ada Lovelace", "ada@example.com", folded).encode()

    # Wrong and mixed encodings.
    files["utf16_no_bom.csv"] = alumni_csv.replace("Maria", "María").encode("utf-16-le")
    # Valid UTF-8 for the first 64 KB (what sniffing sees), then a row saved as Windows-1252.
    filler = "".join(
        f"B-{n},Person{n},Example,2000,person{n}@example.com,,Contoso Ltd\r\n" for n in range(1200)
    )
    tail = "A-4,Zoë,Müller,2001,zoe.muller@example.com,,Café Olé\r\n".encode("cp1252")
    files["mixed_encoding.csv"] = alumni_csv.encode() + filler.encode() + tail
    legacy = [
        ("Zoë", "Müller", "Trafen uns auf der Messe in München, sehr freundlich."),
        ("François", "Dupont", "Rencontré au café près de la gare, très sympathique."),
        ("José", "Peña", "Conocido en la reunión de antiguos alumnos."),
        ("Renée", "Côté", "Présentée par François; déjeuner prévu."),
    ]
    files["cp1252_vcard21.vcf"] = "".join(
        f"BEGIN:VCARD\r\nVERSION:2.1\r\nN:{family};{given}\r\nFN:{given} {family}\r\nNOTE:{note}\r\n"
        f"EMAIL:{family.lower()[:4]}@example.com\r\nEND:VCARD\r\n"
        for given, family, note in legacy
    ).encode("cp1252")

    # Content that does not match its name.
    files["really_csv.xlsx"] = alumni_csv.encode()
    files["really_xlsx.csv"] = workbook
    # An encrypted (password-protected) workbook is an OLE2 compound file holding an
    # "EncryptedPackage" stream: the magic, a directory entry name and filler.
    cfb = bytearray(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504))
    cfb += "EncryptionInfo".encode("utf-16-le") + bytes(50) + "EncryptedPackage".encode("utf-16-le")
    cfb += bytes(rng.randrange(256) for _ in range(3000))
    files["password.xlsx"] = bytes(cfb)

    # CSV damage.
    lines = [ALUMNI_HEADER, *ALUMNI_ROWS]
    lines.insert(2, 'A-9,"Unclosed,Quote,1990,unclosed@example.com,,Contoso Ltd')
    files["unbalanced_quotes.csv"] = ("\r\n".join(lines) + "\r\n").encode()
    files["nul_bytes.csv"] = alumni_csv.replace("Kowalski", "Kowal\x00ski").encode()

    # Structurally empty.
    files["linkedin_preamble_only.csv"] = LINKEDIN_PREAMBLE.encode()
    files["header_only.csv"] = (ALUMNI_HEADER + "\r\n").encode()
    files["header_only.xlsx"] = xlsx_bytes(sheet_xml(grid_rows([ALUMNI_HEADER])))

    # Hostile workbooks that stay small on disk.
    far = grid_rows([ALUMNI_HEADER, *ALUMNI_ROWS]) + [(1_048_576, [("XFD1048576", "x")])]
    files["far_cell.xlsx"] = xlsx_bytes(sheet_xml(far))
    files["xml_bomb.xlsx"] = xml_bomb()
    files["formula_cells.csv"] = (
        ALUMNI_HEADER + "\r\n" + 'A-7,"=HYPERLINK(""http://example.com"",""x"")",Doe,2001,'
        "jane.doe@example.com,,@SUM(A1)\r\n"
    ).encode()
    return files


def xml_bomb() -> bytes:
    """An xlsx whose shared strings define the "billion laughs" entities."""
    entities = ['<!ENTITY lol "lol">'] + [
        f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">' for i in range(1, 10)
    ]
    prolog = "<!DOCTYPE sst [" + "".join(entities) + "]>\n"
    shared = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        + prolog
        + '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="2" uniqueCount="2">'
        "<si><t>Full Name</t></si><si><t>&lol9;</t></si></sst>"
    )
    rows = '<row r="1"><c r="A1" t="s"><v>0</v></c></row><row r="2"><c r="A2" t="s"><v>1</v></c></row>'
    return xlsx_bytes(_SHEET_OPEN + rows + _SHEET_CLOSE, {"xl/sharedStrings.xml": shared})


# --- the big corpus, generated at test time ------------------------------------------------


def huge_line_vcf(path: Path, size: int = 50 * 1024 * 1024) -> None:
    """One card whose NOTE is a single line of ``size`` bytes."""
    with open(path, "wb") as out:
        out.write(b"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Ada Lovelace\r\nEMAIL:ada@example.com\r\nNOTE:")
        chunk = b"abcdefghij" * 104_857
        written = 0
        while written < size:
            out.write(chunk[: size - written])
            written += len(chunk)
        out.write(b"\r\nEND:VCARD\r\n" + _vcard("Grace Hopper", "grace@example.org").encode())


def huge_line_csv(path: Path, size: int = 50 * 1024 * 1024) -> None:
    """An alumni CSV with no line break at all after its header: one 50 MB record."""
    with open(path, "wb") as out:
        out.write((ALUMNI_HEADER + "\r\n").encode())
        chunk = b"x" * (1 << 20)
        for _ in range(size // len(chunk)):
            out.write(chunk)


def million_blank_rows_csv(path: Path, rows: int = 1_000_000) -> None:
    """Three people, then a million rows of empty cells (a CRM export padded to its row limit)."""
    with open(path, "wb") as out:
        out.write(("\r\n".join([ALUMNI_HEADER, *ALUMNI_ROWS]) + "\r\n").encode())
        out.write(b",,,,,,\r\n" * rows)


def wide_csv(path: Path, columns: int = 1000, rows: int = 50) -> None:
    """An alumni CSV with ``columns`` columns: the real ones and hundreds of custom fields."""
    header = ALUMNI_HEADER.split(",") + [f"Custom Field {i}" for i in range(columns - 7)]
    lines = [",".join(header)]
    for n in range(rows):
        base = ALUMNI_ROWS[n % 3].split(",")
        base[0], base[4] = f"A-{n}", f"person{n}@example.com"
        lines.append(",".join(base + [f"v{n}.{i}" for i in range(columns - 7)]))
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode())


def zip_bomb_xlsx(path: Path, inflated: int = 1200 * 1024**2) -> None:
    """A ~1 MB xlsx whose worksheet inflates to ``inflated`` bytes of blanks (sizes declared honestly).

    The deflate stream is one fully-flushed block of blanks repeated: building it costs
    nothing, and only inflating it would cost 1.2 GB.
    """
    block_size = 1 << 20
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    prefix = _SHEET_OPEN.encode()
    first = compressor.compress(prefix) + compressor.flush(zlib.Z_FULL_FLUSH)
    block = compressor.compress(b" " * block_size) + compressor.flush(zlib.Z_FULL_FLUSH)
    blocks = (inflated - len(prefix) - len(_SHEET_CLOSE)) // block_size
    tail = compressor.compress(_SHEET_CLOSE.encode()) + compressor.flush(zlib.Z_FINISH)
    size = len(prefix) + blocks * block_size + len(_SHEET_CLOSE)
    crc = zlib.crc32(prefix)
    blank = b" " * block_size
    for _ in range(blocks):
        crc = zlib.crc32(blank, crc)
    crc = zlib.crc32(_SHEET_CLOSE.encode(), crc)
    compressed = first + block * blocks + tail
    members = [
        ("[Content_Types].xml", _CT.encode()),
        ("_rels/.rels", _RELS.encode()),
        ("xl/workbook.xml", _WORKBOOK.encode()),
        ("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS.encode()),
    ]
    _write_raw_zip(path, members, ("xl/worksheets/sheet1.xml", compressed, size, crc))


def _write_raw_zip(path: Path, stored: list[tuple[str, bytes]], raw: tuple[str, bytes, int, int]) -> None:
    """A zip of deflated ``stored`` members plus one pre-compressed member (name, data, size, crc)."""
    entries = []
    out = bytearray()
    for name, data in stored:
        compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
        entries.append((name, compressor.compress(data) + compressor.flush(), len(data), zlib.crc32(data)))
    entries.append(raw)
    central = bytearray()
    for name, data, size, crc in entries:
        offset = len(out)
        encoded = name.encode()
        out += struct.pack(
            "<IHHHHHIIIHH", 0x04034B50, 20, 0, 8, 0, 0x21, crc, len(data), size, len(encoded), 0
        )
        out += encoded + data
        central += struct.pack(
            "<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, 8, 0, 0x21, crc, len(data), size, len(encoded),
            0, 0, 0, 0, 0, offset,
        )  # fmt: skip
        central += encoded
    start = len(out)
    out += central
    out += struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(entries), len(entries), len(central), start, 0)
    path.write_bytes(bytes(out))


BIG = {
    "huge_line.vcf": huge_line_vcf,
    "huge_line.csv": huge_line_csv,
    "million_blank_rows.csv": million_blank_rows_csv,
    "wide_1000_columns.csv": wide_csv,
    "zip_bomb.xlsx": zip_bomb_xlsx,
}


def write_big(folder: Path, names: list[str] | None = None) -> dict[str, Path]:
    """Generate the big corpus files (or just ``names``) into ``folder``; name → path."""
    folder.mkdir(parents=True, exist_ok=True)
    out = {}
    for name, make in BIG.items():
        if names is None or name in names:
            make(folder / name)
            out[name] = folder / name
    return out


def write_small(folder: Path = FILES) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name, data in small_files().items():
        (folder / name).write_bytes(data)


if __name__ == "__main__":
    write_small()
    print(f"wrote {len(small_files())} files into {FILES}")
