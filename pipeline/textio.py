"""Reading contact files as text: encoding detection and safe, bounded reads.

Detection order (never mojibake silently): a BOM (UTF-8, UTF-16 LE/BE, UTF-32), then
strict UTF-8, then ``charset-normalizer`` for legacy code pages (Windows-1252, Latin-1,
…), with Windows-1252 as the last resort. The encoding used is returned so the import
summary can report it.
"""

from __future__ import annotations

import codecs
from pathlib import Path

from pipeline.errors import InputError

HEAD_BYTES = 64 * 1024

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)


def read_head(path: Path, size: int = HEAD_BYTES) -> bytes:
    """The first ``size`` bytes of ``path`` (for sniffing), or an InputError naming the file."""
    try:
        with open(path, "rb") as handle:
            return handle.read(size)
    except FileNotFoundError:
        raise InputError(f"{path}: file not found") from None
    except IsADirectoryError:
        raise InputError(f"{path}: is a folder, not a file") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot be read ({exc.strerror or exc})") from None


def bom_encoding(data: bytes) -> str | None:
    """The encoding a byte-order mark at the start of ``data`` announces, if any."""
    for bom, name in _BOMS:
        if data.startswith(bom):
            return name
    return None


def looks_binary(head: bytes) -> bool:
    """True for data that is not text in any encoding we read (NUL bytes outside UTF-16/32)."""
    if bom_encoding(head):
        return False
    sample = head[:8192]
    if not sample:
        return False
    # UTF-16 without a BOM shows NULs in every other byte; treat it as text.
    if sample.count(b"\x00") > len(sample) // 4 and (sample[1::2].count(0) > len(sample) // 3):
        return False
    return b"\x00" in sample


def detect_encoding(data: bytes) -> str:
    """The encoding to decode ``data`` with (see module docstring for the order)."""
    bom = bom_encoding(data)
    if bom:
        return bom
    try:
        data.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError as exc:
        # A multi-byte character cut at the end of a head sample is still UTF-8.
        if exc.start >= len(data) - 3 and exc.reason == "unexpected end of data":
            return "utf-8"
    return _legacy_encoding(data)


def _legacy_encoding(data: bytes) -> str:
    """Pick a single-byte code page; Windows-1252 wins ties, since Excel and Outlook write it."""
    from charset_normalizer import from_bytes

    sample = data[: 1024 * 1024]
    has_nul = b"\x00" in sample
    matches = [m for m in from_bytes(sample) if has_nul or not m.encoding.startswith(("utf_16", "utf_32"))]
    if matches:
        best = matches[0]
        for match in matches:
            if match.encoding == "cp1252" and match.chaos <= best.chaos + 0.05:
                if match.coherence >= best.coherence - 0.05:
                    return "cp1252"
        if best.coherence > 0:
            if _same_text(sample, best.encoding, "cp1252"):
                return "cp1252"  # e.g. German text is byte-identical in cp1250 and cp1252
            return codecs.lookup(best.encoding).name
    # No language evidence (short text): Western text is mostly ASCII letters with a few
    # accented ones; text in another script read as cp1252 is mostly accented "letters".
    try:
        as_western = sample.decode("cp1252")
    except UnicodeDecodeError:
        return codecs.lookup(matches[0].encoding).name if matches else "latin-1"
    letters = [c for c in as_western if c.isalpha()]
    accented = sum(1 for c in letters if ord(c) > 127)
    if not matches or accented <= 0.3 * max(len(letters), 1):
        return "cp1252"
    return codecs.lookup(matches[0].encoding).name


def _same_text(data: bytes, first: str, second: str) -> bool:
    try:
        return data.decode(first) == data.decode(second)
    except (UnicodeDecodeError, LookupError):
        return False


def decode_bytes(data: bytes, path: Path | str = "<bytes>") -> tuple[str, str]:
    """Decode ``data`` to text; return ``(text, encoding)``. Undecodable bytes are an InputError."""
    encoding = detect_encoding(data)
    bom = bom_encoding(data)
    if bom:
        data = data[len(next(b for b, name in _BOMS if name == bom)) :]
    try:
        return data.decode(encoding), encoding
    except UnicodeDecodeError as exc:
        raise InputError(f"{path}: cannot be decoded as {encoding} at byte {exc.start}") from None


def read_text(path: Path, max_bytes: int | None = None) -> tuple[str, str]:
    """Read and decode a whole file; return ``(text, encoding)``.

    :param max_bytes: refuse files larger than this with a clear InputError.
    """
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise InputError(f"{path}: file not found") from None
    if max_bytes is not None and size > max_bytes:
        raise InputError(f"{path}: file is {size:,} bytes, over the {max_bytes:,}-byte limit for this format")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    return decode_bytes(data, path)
