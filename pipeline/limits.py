"""Limits on what an input file may cost, and the checks that enforce them before any parser runs.

Called by :func:`pipeline.importing.import_file` on every file before importers sniff it
(:func:`check_input`), and by :func:`pipeline.tabular.read_workbook` before calamine opens a
workbook (:func:`check_workbook`). Both raise :class:`~pipeline.errors.InputError`: one
sentence naming the file, what is wrong and which limit, never a traceback or a crash.

Why here and not in the parsers: calamine (Rust) aborts the whole process when a sheet's
cell range cannot be allocated (a single cell at ``XFD1048576`` asks for 17 billion cells),
and inflates a zip bomb before it knows; neither can be caught afterwards. So an xlsx is
checked from its zip central directory (declared sizes, compression ratio, member count),
its XML prologs (a spreadsheet never needs a DTD; entity definitions are how XML bombs
work) and one streaming pass over each worksheet's cell references (the grid calamine will
allocate), all before calamine sees it.

Every limit has a default and an environment override (``KITH_MAX_FILE_BYTES=2G``…); the
table is in docs/reliability.md.
"""

from __future__ import annotations

import functools
import os
import re
from dataclasses import dataclass, fields
from pathlib import Path

from pipeline import textio
from pipeline.errors import InputError

ZIP_MAGIC = b"PK\x03\x04"
OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
XLSX_SUFFIXES = (".xlsx", ".xlsm")
WORKBOOK_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".xlsb", ".ods")
TEXT_SUFFIXES = (".csv", ".tsv", ".txt", ".tab", ".vcf", ".vcard")

_UNITS = {"": 1, "K": 1024, "M": 1024**2, "G": 1024**3}


@dataclass(frozen=True)
class Limits:
    """What one input may cost. Override any field with ``KITH_<FIELD NAME IN CAPITALS>``."""

    #: Largest input file of any kind, in bytes (text, workbook or zip).
    max_file_bytes: int = 2 * 1024**3
    #: Largest workbook file on disk; its sheets are checked separately once inflated.
    max_workbook_bytes: int = 512 * 1024**2
    #: Total inflated size of all members of an xlsx/ods (what calamine would decompress).
    max_xlsx_inflated: int = 1024**3
    #: Largest compression ratio of one member bigger than 16 MB inflated (zip bombs are 1000:1).
    max_compression_ratio: int = 200
    #: Most entries in any zip kith opens: a workbook (a real xlsx has tens) or a LinkedIn export.
    max_zip_members: int = 10_000
    #: Most cells in the rectangle calamine allocates for one sheet (rows × columns).
    max_cells: int = 50_000_000
    #: Most distinct strings in a workbook's shared-string table (calamine holds them all).
    max_shared_strings: int = 10_000_000
    #: Most columns of a delimited file's header or a worksheet.
    max_columns: int = 5_000
    #: Most values in one list field of one record (e-mails, phones, tags); the rest go to ``extra``.
    max_values_per_field: int = 100
    #: Largest single vCard after photos are cut out (a 50 MB NOTE line is not a contact).
    max_card_bytes: int = 4 * 1024**2


def parse_size(text: str) -> int:
    """``"64M"`` → 67108864; plain digits are taken as they are; ``_`` and ``,`` are ignored."""
    raw = text.strip().upper().replace("_", "").replace(",", "").removesuffix("B").removesuffix("I")
    unit = raw[-1] if raw and raw[-1] in _UNITS else ""
    number = raw[: len(raw) - len(unit)]
    if not number.isdigit():
        raise InputError(f"limit {text!r} is not a size (use digits with an optional K, M or G)")
    return int(number) * _UNITS[unit]


def current() -> Limits:
    """The limits in force: the defaults, overridden by ``KITH_MAX_…`` environment variables."""
    values = {}
    for item in fields(Limits):
        raw = os.environ.get(f"KITH_{item.name.upper()}")
        if raw:
            values[item.name] = parse_size(raw)
    return Limits(**values)


# --- what a file is, whatever its name says ----------------------------------------------------


def content_kind(head: bytes) -> str:
    """``"zip"``, ``"ole2"``, ``"empty"``, ``"binary"`` or ``"text"`` from a file's first bytes."""
    if not head:
        return "empty"
    if head.startswith(ZIP_MAGIC):
        return "zip"
    if head.startswith(OLE2_MAGIC):
        return "ole2"
    return "binary" if textio.looks_binary(head) else "text"


def describe(path: Path, head: bytes) -> str | None:
    """Why a file no importer claims is not what its name says, as a phrase; None if nothing is clear."""
    kind = content_kind(head)
    suffix = path.suffix.lower()
    if kind == "empty":
        return "is empty (0 bytes)"
    if kind == "zip" and (b"xl/" in head[:4096] or b"[Content_Types].xml" in head[:4096]):
        if suffix not in WORKBOOK_SUFFIXES:
            return f"is an Excel workbook (xlsx) named {suffix or 'without an extension'}; rename it to .xlsx"
    if kind == "ole2" and suffix not in WORKBOOK_SUFFIXES:
        return f"is an Office compound file (an .xls workbook or an encrypted one) named {suffix or '(none)'}"
    if kind == "text":
        first = head.split(b"\n", 1)[0]
        widest = max(first.count(d) + 1 for d in (b",", b";", b"\t", b"|"))
        if widest > (limit := current().max_columns):
            return (
                f"has {widest:,} fields in its first line, over the {limit:,}-column limit (KITH_MAX_COLUMNS)"
            )
    if kind == "binary":
        nul = head.find(b"\x00")
        where = f" (a NUL byte at byte {nul:,})" if nul >= 0 else ""
        if suffix in WORKBOOK_SUFFIXES:
            return f"is not a workbook: the content is neither xlsx (zip) nor xls{where}; damaged?"
        return f"is not text{where}: a binary or damaged file"
    return None


# --- the checks ----------------------------------------------------------------------------------


def check_regular_file(path: Path) -> None:
    """Refuse anything but a regular file (``/dev/zero``, a FIFO, a socket) before it is opened.

    Opening a FIFO blocks until a writer comes and a device never ends, so hashing or
    sniffing one hangs; ``os.stat`` answers without opening it.
    """
    import stat

    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        raise InputError(f"{path}: file not found") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    if stat.S_ISDIR(mode):
        raise InputError(f"{path}: is a folder, not a file")
    if not stat.S_ISREG(mode):
        if stat.S_ISFIFO(mode):
            kind = "a named pipe (FIFO)"
        elif stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
            kind = "a device"
        else:
            kind = "a socket or other special file"
        raise InputError(f"{path}: is {kind}, not a regular file; kith imports only ordinary files")


def check_input(path: Path, head: bytes, limits: Limits | None = None) -> None:
    """Refuse a file before any importer sniffs it: too big, an encrypted workbook, a hostile xlsx."""
    limits = limits or current()
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise InputError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    if size > limits.max_file_bytes:
        raise InputError(
            f"{path}: file is {size:,} bytes, over the {limits.max_file_bytes:,}-byte limit "
            "(KITH_MAX_FILE_BYTES)"
        )
    kind = content_kind(head)
    suffix = path.suffix.lower()
    if kind == "zip":
        check_zip_entries(path, limits)  # before anything lists the zip: listing is what costs
    if kind == "ole2" and suffix in XLSX_SUFFIXES:
        raise InputError(f"{path}: {_ole2_reason(path)}")
    if kind == "zip" and (suffix in WORKBOOK_SUFFIXES or _zip_is_workbook(path)):
        check_workbook(path, limits)


def zip_entry_count(path: Path) -> int | None:
    """The entry count a zip's end-of-central-directory record declares (zip64 too), read from the
    file's last 64 KB without listing the directory; None when there is no such record."""
    import struct

    try:
        with open(path, "rb") as handle:
            size = handle.seek(0, os.SEEK_END)
            start = max(0, size - (65_535 + 22))
            handle.seek(start)
            tail = handle.read()
            at = tail.rfind(b"PK\x05\x06")
            if at < 0 or len(tail) - at < 22:
                return None
            count = struct.unpack_from("<H", tail, at + 10)[0]
            locator = at - 20
            if count == 0xFFFF and locator >= 0 and tail[locator : locator + 4] == b"PK\x06\x07":
                handle.seek(struct.unpack_from("<Q", tail, locator + 8)[0])
                record = handle.read(56)
                if record[:4] == b"PK\x06\x06" and len(record) == 56:
                    count = struct.unpack_from("<Q", record, 32)[0]
            return count
    except OSError:
        return None


def check_zip_entries(path: Path, limits: Limits | None = None) -> None:
    """Refuse a zip (workbook or export archive) that declares more entries than the limit."""
    limits = limits or current()
    count = zip_entry_count(path)
    if count is not None and count > limits.max_zip_members:
        raise InputError(
            f"{path}: zip holds {count:,} entries, over the limit of {limits.max_zip_members:,} "
            "(KITH_MAX_ZIP_MEMBERS)"
        )


def _ole2_reason(path: Path) -> str:
    try:
        with open(path, "rb") as handle:
            data = handle.read(8 * 1024 * 1024)
    except OSError:
        data = b""
    if "EncryptedPackage".encode("utf-16-le") in data:
        return (
            "is a password-protected (encrypted) workbook; open it in Excel, remove the password "
            "(File › Info › Protect Workbook) and save it again as .xlsx"
        )
    return "is a password-protected or legacy .xls workbook saved with an .xlsx name; save it again as .xlsx"


def _zip_is_workbook(path: Path) -> bool:
    import zipfile

    try:
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
    except (zipfile.BadZipFile, OSError, ValueError):
        return False
    return "xl/workbook.xml" in names or "content.xml" in names


def check_workbook(path: Path, limits: Limits | None = None) -> None:
    """Refuse a workbook whose zip, XML or cell grid would cost more than the limits (see module doc)."""
    limits = limits or current()
    try:
        stat = path.stat()
    except OSError as exc:
        raise InputError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    _check_workbook_cached(str(path.resolve()), stat.st_size, stat.st_mtime_ns, limits, str(path))


@functools.lru_cache(maxsize=32)
def _check_workbook_cached(resolved: str, size: int, mtime_ns: int, limits: Limits, shown: str) -> None:
    # Cached by (file, size, mtime): importing checks once, read_workbook again for free.
    # Only success is cached (an exception propagates and is not remembered).
    import zipfile
    import zlib

    path = Path(shown)
    if size > limits.max_workbook_bytes:
        raise InputError(
            f"{path}: workbook is {size:,} bytes, over the {limits.max_workbook_bytes:,}-byte limit "
            "(KITH_MAX_WORKBOOK_BYTES)"
        )
    with open(resolved, "rb") as handle:
        if not handle.read(4).startswith(ZIP_MAGIC[:2]):
            return  # .xls (OLE2) and text named .xlsx: calamine's own checks and the size limit apply
    check_zip_entries(path, limits)
    try:
        with zipfile.ZipFile(resolved) as archive:
            infos = archive.infolist()
            _check_directory(path, infos, limits)
            for info in infos:
                if info.filename.endswith((".xml", ".rels", ".vml")):
                    _check_prolog(path, archive, info)
            for name in _sheet_parts(path, archive):
                _check_cells(path, archive, archive.getinfo(name), limits)
            _check_shared_strings(path, archive, limits)
    except (zipfile.BadZipFile, zlib.error) as exc:
        raise InputError(f"{path}: is not a complete workbook (damaged or cut short: {exc})") from None
    except (OSError, EOFError, RuntimeError, NotImplementedError) as exc:
        raise InputError(f"{path}: cannot be read as a workbook ({type(exc).__name__}: {exc})") from None


_SMALL_PART = 16 * 1024**2
_SI_OPEN = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?si[\s/>]")


def _check_shared_strings(path: Path, archive, limits: Limits) -> None:
    """calamine keeps every shared string in memory (and a copy in each cell that uses it): count them."""
    for info in archive.infolist():
        if "sharedstrings" not in info.filename.lower():
            continue
        count, tail = 0, b""
        with archive.open(info) as stream:
            while chunk := stream.read(_CHUNK):
                buffer = tail + chunk
                cut = max(buffer.rfind(b"<"), 0)  # a tag cut in two is counted with the next chunk
                count += len(_SI_OPEN.findall(buffer, 0, cut))
                tail = buffer[cut:]
                if count > limits.max_shared_strings:
                    raise InputError(
                        f"{path}: workbook holds at least {count:,} shared strings, over the "
                        f"{limits.max_shared_strings:,} limit (KITH_MAX_SHARED_STRINGS); "
                        "too big to read safely"
                    )
            count += len(_SI_OPEN.findall(tail + b" "))
        if count > limits.max_shared_strings:
            raise InputError(
                f"{path}: workbook holds {count:,} shared strings, over the {limits.max_shared_strings:,} "
                "limit (KITH_MAX_SHARED_STRINGS); too big to read safely"
            )


def _small_xml(path: Path, archive, name: str):
    """A small package part (workbook, relationships) parsed safely, or None when absent."""
    from defusedxml import ElementTree

    try:
        info = archive.getinfo(name)
    except KeyError:
        return None
    if info.file_size > _SMALL_PART:
        raise InputError(f"{path}: part {name} is {info.file_size:,} bytes, too big for what it is; refused")
    try:
        return ElementTree.fromstring(archive.read(info))
    except Exception:  # defusedxml's refusals and parse errors alike: calamine would fail on it too
        return None


def _targets(root, base: str) -> dict[str, str]:
    """Relationship id → part name, resolved against the folder ``base`` the way packages do."""
    import posixpath

    found = {}
    for rel in root.iter() if root is not None else ():
        if rel.tag.rsplit("}", 1)[-1] != "Relationship" or rel.get("TargetMode") == "External":
            continue
        target = (rel.get("Target") or "").replace("\\", "/")
        resolved = target.lstrip("/") if target.startswith("/") else posixpath.join(base, target)
        found[rel.get("Id") or ""] = posixpath.normpath(resolved).lstrip("/")
    return found


def _sheet_parts(path: Path, archive) -> list[str]:
    """Every worksheet the workbook lists (workbook.xml + its relationships, wherever they point),
    and anything else that looks like a worksheet; calamine must not meet a sheet unchecked."""
    import posixpath

    names = set(archive.namelist())
    root_rels = _targets(_small_xml(path, archive, "_rels/.rels"), "")
    workbooks = {t for t in root_rels.values() if t.endswith(".xml")} | {"xl/workbook.xml"}
    parts = {n for n in names if n.startswith("xl/worksheets/") and n.endswith(".xml")}
    for workbook in sorted(workbooks & names):
        folder, base = posixpath.split(workbook)
        rels = _targets(_small_xml(path, archive, posixpath.join(folder, "_rels", base + ".rels")), folder)
        listed = _small_xml(path, archive, workbook)
        if listed is None:  # unreadable workbook.xml: every part it could point at is scanned
            parts |= {target for target in rels.values() if target in names}
            continue
        ids = {
            value
            for element in listed.iter()
            if element.tag.rsplit("}", 1)[-1] == "sheet"
            for key, value in element.attrib.items()
            if key.rsplit("}", 1)[-1] == "id"
        }
        parts |= {rels[i] for i in ids if rels.get(i) in names}
    return sorted(parts)


def _check_directory(path: Path, infos: list, limits: Limits) -> None:
    if len(infos) > limits.max_zip_members:
        raise InputError(
            f"{path}: workbook holds {len(infos):,} parts, over the limit of {limits.max_zip_members:,} "
            "(KITH_MAX_ZIP_MEMBERS)"
        )
    total = sum(info.file_size for info in infos)
    if total > limits.max_xlsx_inflated:
        raise InputError(
            f"{path}: workbook would inflate to {total:,} bytes, over the {limits.max_xlsx_inflated:,}-byte "
            "limit (KITH_MAX_XLSX_INFLATED); a zip bomb, or a sheet too big to read safely"
        )
    for info in infos:
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size > 16 * 1024**2 and ratio > limits.max_compression_ratio:
            raise InputError(
                f"{path}: part {info.filename} inflates {ratio:,.0f} times (over the "
                f"{limits.max_compression_ratio}:1 limit, KITH_MAX_COMPRESSION_RATIO); a zip bomb?"
            )


_ROOT = re.compile(rb"<[A-Za-z_]")
_DTD = re.compile(rb"<!(?:DOCTYPE|ENTITY)", re.I)
_PROLOG_BYTES = 64 * 1024


def _check_prolog(path: Path, archive, info) -> None:
    """A DTD (and so any entity definition) can only come before the root element: read up to it."""
    with archive.open(info) as stream:
        prolog = stream.read(_PROLOG_BYTES)
    root = _ROOT.search(prolog)
    before = prolog[: root.start()] if root else prolog
    if _DTD.search(before) or (root is None and len(prolog) == _PROLOG_BYTES):
        raise InputError(
            f"{path}: part {info.filename} declares an XML DTD or entities, which no spreadsheet "
            "needs (a possible XML bomb); refused"
        )


# Tags are matched the way an XML parser reads them: any namespace prefix, whitespace around
# "=", either quote, and ">" allowed inside a quoted attribute value.
_PREFIX = rb"(?:[A-Za-z_][\w.-]*:)?"
_ATTRS = rb"((?:\s+[^\s=/>]+\s*=\s*(?:\"[^\"]*\"|'[^']*'))*)"
_TAG = re.compile(rb"<" + _PREFIX + rb"(row|c)(?=[\s/>])" + _ATTRS + rb"\s*/?>")
_C_OPEN = re.compile(rb"<" + _PREFIX + rb"c[\s/>]")
_ROW_OPEN = re.compile(rb"<" + _PREFIX + rb"row[\s/>]")
# The common case, in C: a cell whose r is a plain reference (any case, spaces around "=").
_CELL_REF = re.compile(
    rb"<"
    + _PREFIX
    + rb"c\s(?:[^>\"']|\"[^\"]*\"|'[^']*')*?(?<=\s)r\s*=\s*[\"']\s*([A-Za-z]{1,3})([0-9]{1,7})\s*[\"']"
)
_ROW_REF = re.compile(
    rb"<" + _PREFIX + rb"row\s(?:[^>\"']|\"[^\"]*\"|'[^']*')*?(?<=\s)r\s*=\s*[\"']\s*([0-9]{1,10})\s*[\"']"
)
_PLAIN_CELL_COL = re.compile(rb'<c[\s/>](?:r="([A-Za-z]{1,3})[0-9]{1,7}")?')
_PLAIN_CELL_ROW = re.compile(rb'<c r="[A-Za-z]{1,3}([0-9]{1,7})"')
_R_ATTR = re.compile(rb"(?:^|\s)r\s*=\s*(?:\"([^\"]*)\"|'([^']*)')")
_LOOSE_REF = re.compile(rb"([A-Z]*)([0-9]*)")
_CHUNK = 8 * 1024 * 1024
#: Past this, a column or row number is "absurd" whatever it says (keeps the arithmetic small).
_ABSURD = 10**12


def _column_number(letters: bytes) -> int:
    number = 0
    for byte in letters.upper():
        number = number * 26 + (byte - 64)
        if number > _ABSURD:
            return _ABSURD
    return number


class _Grid:
    """Where calamine will put a sheet's cells: the largest row and column any cell lands on.

    A cell with ``r`` sits there; a cell without one sits right of the previous cell; a row
    without ``r`` follows the previous row. Counted the way calamine places them, so a sheet
    cannot hide its extent by leaving ``r`` out, writing it in lower case or spacing it.
    """

    def __init__(self) -> None:
        self.max_row = self.max_col = 0
        self.row = self.col = 0

    def feed(self, buffer: bytes) -> None:
        if b":c" not in buffer and b":row" not in buffer:
            # What spreadsheet writers produce, <c r="A1" …: every cell placed by its reference,
            # two regex passes and sets built in C (no Python per cell). b"" = a cell without it.
            letters = _PLAIN_CELL_COL.findall(buffer)
            unique = set(letters)
            if b"" not in unique:
                if letters:
                    self.max_col = max(self.max_col, max(map(_column_number, unique)))
                    self.max_row = max(self.max_row, max(map(int, set(_PLAIN_CELL_ROW.findall(buffer)))))
                    self.col = _column_number(letters[-1])
                    self.row = self.max_row
                return
        # Prefixes, spaced or lower-case references: still every cell and row by reference?
        refs = _CELL_REF.findall(buffer)
        rows = _ROW_REF.findall(buffer)
        if len(refs) == len(_C_OPEN.findall(buffer)) and len(rows) == len(_ROW_OPEN.findall(buffer)):
            if refs:
                letters = {ref[0].upper() for ref in refs}
                self.max_col = max(self.max_col, max(map(_column_number, letters)))
                self.max_row = max(self.max_row, max(map(int, {ref[1] for ref in refs})))
                self.col = _column_number(refs[-1][0])
            if rows:
                self.row = int(rows[-1])
            return
        for match in _TAG.finditer(buffer):  # some cell or row has no plain r: place them one by one
            value = _R_ATTR.search(match.group(2))
            text = (value.group(1) if value.group(1) is not None else value.group(2)) if value else None
            if match.group(1) == b"row":
                digits = text.strip() if text is not None else b""
                self.row = min(int(digits), _ABSURD) if digits.isdigit() else self.row + 1
                self.col = 0
                continue
            loose = _LOOSE_REF.fullmatch(text.strip().upper()) if text is not None else None
            if loose and loose.group(1):
                self.col = _column_number(loose.group(1))
                row = min(int(loose.group(2)), _ABSURD) if loose.group(2) else self.row
            else:
                self.col += 1
                row = self.row
            self.max_col = max(self.max_col, self.col)
            self.max_row = max(self.max_row, row)


def _check_cells(path: Path, archive, info, limits: Limits) -> None:
    """One streaming pass over a worksheet: the grid calamine will allocate is max row × max column."""
    grid = _Grid()
    inflated = 0
    tail = b""
    with archive.open(info) as stream:
        while chunk := stream.read(_CHUNK):
            inflated += len(chunk)
            if inflated > limits.max_xlsx_inflated:
                raise InputError(
                    f"{path}: {info.filename} inflates past {limits.max_xlsx_inflated:,} bytes "
                    "(KITH_MAX_XLSX_INFLATED); refused"
                )
            buffer = tail + chunk
            cut = buffer.rfind(b"<")  # "<" never appears inside a tag: cut before the last one
            if cut <= 0:
                tail = buffer
                if len(tail) > 2 * _CHUNK:  # one tag of 16 MB is no worksheet
                    raise InputError(f"{path}: {info.filename} holds a tag longer than 16 MB; refused")
                continue
            buffer, tail = buffer[:cut], buffer[cut:]
            grid.feed(buffer)
            if grid.max_col > limits.max_columns or grid.max_row * grid.max_col > limits.max_cells:
                break
        else:
            grid.feed(tail)
    _refuse_grid(path, info.filename, grid.max_row, grid.max_col, limits)


def _refuse_grid(path: Path, part: str, max_row: int, max_col: int, limits: Limits) -> None:
    sheet = part.rsplit("/", 1)[-1].removesuffix(".xml")
    if max_row * max_col > limits.max_cells:
        raise InputError(
            f"{path}: {sheet} spans {max_row:,} rows × {max_col:,} columns = {max_row * max_col:,} cells, "
            f"over the {limits.max_cells:,}-cell limit (KITH_MAX_CELLS); a stray cell far away?"
        )
    if max_col > limits.max_columns:
        raise InputError(
            f"{path}: {sheet} has {max_col:,} columns, over the {limits.max_columns:,}-column limit "
            "(KITH_MAX_COLUMNS)"
        )
