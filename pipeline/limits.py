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
    #: Most members in a workbook's zip (a real xlsx has tens).
    max_zip_members: int = 10_000
    #: Most cells in the rectangle calamine allocates for one sheet (rows × columns).
    max_cells: int = 50_000_000
    #: Most columns of a delimited file's header or a worksheet.
    max_columns: int = 5_000
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
    from pipeline import textio

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
    if kind == "ole2" and suffix in XLSX_SUFFIXES:
        raise InputError(f"{path}: {_ole2_reason(path)}")
    if kind == "zip" and (suffix in WORKBOOK_SUFFIXES or _zip_is_workbook(path)):
        check_workbook(path, limits)


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
    try:
        with zipfile.ZipFile(resolved) as archive:
            infos = archive.infolist()
            _check_directory(path, infos, limits)
            for info in infos:
                name = info.filename
                if name.endswith((".xml", ".rels", ".vml")):
                    _check_prolog(path, archive, info)
                if name.startswith("xl/worksheets/") and name.endswith(".xml"):
                    _check_cells(path, archive, info, limits)
    except (zipfile.BadZipFile, zlib.error) as exc:
        raise InputError(f"{path}: is not a complete workbook (damaged or cut short: {exc})") from None
    except (OSError, EOFError, RuntimeError, NotImplementedError) as exc:
        raise InputError(f"{path}: cannot be read as a workbook ({type(exc).__name__}: {exc})") from None


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


# A cell reference attribute: r="XFD1048576" (either quote). ``<row r="5">`` has no letters.
_REF_COL = re.compile(rb"\sr=[\"']([A-Z]{1,4})[0-9]")
_REF_ROW = re.compile(rb"\sr=[\"'][A-Z]{1,4}([0-9]{1,10})[\"']")
_CHUNK = 8 * 1024 * 1024


def _column_number(letters: bytes) -> int:
    number = 0
    for byte in letters:
        number = number * 26 + (byte - 64)
    return number


def _check_cells(path: Path, archive, info, limits: Limits) -> None:
    """One streaming pass over a worksheet: the grid calamine will allocate is max row × max column."""
    max_row = max_col = 0
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
            cut = buffer.rfind(b">") + 1
            buffer, tail = buffer[:cut], buffer[cut:]
            cols = set(_REF_COL.findall(buffer))
            if cols:
                max_col = max(max_col, max(_column_number(c) for c in cols))
                max_row = max(max_row, max(map(int, set(_REF_ROW.findall(buffer))), default=0))
            if max_col > limits.max_columns or max_row * max_col > limits.max_cells:
                break
    sheet = info.filename.rsplit("/", 1)[-1].removesuffix(".xml")
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
