"""Cheap, byte-level work on a whole vCard file before any card is parsed.

First stage of the vCard importer (``read.py`` calls it): bring the file to UTF-8-or-legacy
bytes with ``\\n`` line ends, cut PHOTO/LOGO/SOUND payloads out (they can be most of a
phone export and are never kept), and split the file into ``BEGIN:VCARD``…``END:VCARD``
chunks with their card number and first line, so one broken card never poisons the rest.
Everything here is a handful of regex passes in C over the whole file; no per-line Python.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from pipeline import textio
from pipeline.errors import InputError

#: The marker a stripped payload leaves behind; the card parser turns it into ``extra["photo"]``.
STRIPPED = b"X-KITH-STRIPPED"

_BOUNDARY = re.compile(rb"^[ \t]*(BEGIN|END)[ \t]*:[ \t]*VCARD[ \t]*\r?$", re.I | re.M)
_ANY_CARD = re.compile(rb"^[ \t]*BEGIN[ \t]*:[ \t]*VCARD", re.I | re.M)
_AGENT_LINE = re.compile(rb"[ \t]*(?:[A-Za-z0-9_-]+\.)?AGENT[;:]", re.I)
_HAS_PAYLOAD = re.compile(rb"^[ \t]*(?:[A-Za-z0-9_-]+\.)?(?:PHOTO|LOGO|SOUND)[;:]", re.I | re.M)
# A payload property and its continuation lines: folded lines (leading whitespace), and the
# unindented base64 lines plus closing blank line some 2.1 writers emit. A base64 line never
# holds a ':' so the next real property line always stops the match.
_PAYLOAD = re.compile(
    rb"^[ \t]*((?:[A-Za-z0-9_-]+\.)?(PHOTO|LOGO|SOUND))[;:][^\n]*\n(?:[ \t][^\n]*\n|[A-Za-z0-9+/=]*\r?\n)*",
    re.I | re.M,
)


@dataclass(frozen=True)
class Chunk:
    """One ``BEGIN:VCARD``…``END:VCARD`` span: its 1-based card number, first line and bytes."""

    number: int
    line: int
    data: bytes


@dataclass
class Split:
    """The cards of one file plus what lay outside them (each a reject in the file's terms)."""

    chunks: list[Chunk] = field(default_factory=list)
    #: ``(ref, reason)`` for text outside cards, stray END lines and cards cut short.
    problems: list[tuple[str, str]] = field(default_factory=list)
    stripped: int = 0


def load(path: Path) -> tuple[bytes, str]:
    """Read ``path`` into bytes with ``\\n`` line ends; return ``(data, encoding_note)``.

    UTF-16/32 files (with or without BOM) are re-encoded to UTF-8 so the rest of the
    importer works on one byte layout; a UTF-8 BOM is dropped. Per-line charsets of 2.1
    cards are decoded later, in the card parser, because a file can mix them.
    """
    textio.read_head(path, 0)  # missing file / folder → one clear InputError
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    note = "utf-8"
    bom = textio.bom_encoding(data)
    wide = bom if bom and bom != "utf-8-sig" else _bomless_utf16(data[:4096])
    if wide:
        text, note = textio.decode_bytes(data, path) if bom else _decode_wide(data, wide, path)
        data = text.encode("utf-8")
    elif bom == "utf-8-sig":
        data, note = data[3:], "utf-8-sig"
    elif textio.looks_binary(data[:8192]):
        raise InputError(f"{path}: is a binary file, not a vCard")
    if b"\r" in data:
        # CRLF → LF; a lone CR (old Mac files) is a line end too.
        data = data.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
    return data, note


def _bomless_utf16(head: bytes) -> str | None:
    if head.count(b"\x00") < len(head) // 4 or len(head) < 4:
        return None
    if head[1::2].count(0) > len(head) // 3:
        return "utf-16-le"
    if head[0::2].count(0) > len(head) // 3:
        return "utf-16-be"
    return None


def _decode_wide(data: bytes, encoding: str, path: Path) -> tuple[str, str]:
    try:
        return data.decode(encoding), encoding
    except UnicodeDecodeError as exc:
        raise InputError(f"{path}: cannot be decoded as {encoding} at byte {exc.start}") from None


def has_card(head: bytes) -> bool:
    """True if ``head`` has a ``BEGIN:VCARD`` line (cheap: used by sniff and read)."""
    return _ANY_CARD.search(head) is not None


def strip_payloads(data: bytes) -> tuple[bytes, int]:
    """Replace PHOTO/LOGO/SOUND properties by a one-line marker, keeping every line number.

    Returns the new bytes and how many payloads were cut.
    """
    if not _HAS_PAYLOAD.search(data):
        return data, 0
    count = 0

    def marker(match: re.Match[bytes]) -> bytes:
        nonlocal count
        count += 1
        newlines = match.group(0).count(b"\n")
        return STRIPPED + b":" + match.group(2).upper() + b"\n" * newlines

    return _PAYLOAD.sub(marker, data), count


def split_cards(data: bytes) -> Split:
    """Cut ``data`` (``\\n`` line ends, payloads stripped) into card chunks.

    Nested ``BEGIN:VCARD`` right after an ``AGENT`` line (2.1) stays inside its card. Any
    other ``BEGIN`` inside an open 2.1 card is a nested card (2.1 allows vCards as values,
    and phones write them without the AGENT line): it becomes a card of its own, cut out of
    its parent, which goes on after it. Inside a 3.0/4.0 card such a ``BEGIN`` means the
    open card was cut short. Non-blank text outside cards, a stray ``END:VCARD`` and a card
    without ``END`` each become a problem.
    """
    out = Split()
    line = 1  # line number at ``pos``
    pos = 0
    # Open cards, innermost last: [number, first line, start offset, agent depth, cut-out spans].
    stack: list[list] = []
    start, start_line = 0, 1  # where the text outside cards resumes
    number = 0
    for match in _BOUNDARY.finditer(data):
        line += data.count(b"\n", pos, match.start())
        pos = match.start()
        begin = match.group(1).upper() == b"BEGIN"
        if begin and stack and _after_agent(data, match.start()):
            stack[-1][3] += 1
            continue
        if begin:
            if stack and not _is_21(data, stack[-1][2], pos, stack[-1][4]):
                out.problems.append(_cut_short(stack[-1][0], stack[-1][1]))
                stack.pop()
            elif not stack:
                _outside(data[start:pos], start_line, out)
            number += 1
            stack.append([number, line, pos, 0, []])
        elif stack and stack[-1][3]:
            stack[-1][3] -= 1
        elif stack:
            card_number, card_line, card_start, _, spans = stack.pop()
            end = match.end()
            out.chunks.append(Chunk(card_number, card_line, _without(data, card_start, end, spans)))
            if stack:
                stack[-1][4].append((card_start, end))
            else:
                start, start_line = end, line
        else:
            _outside(data[start:pos], start_line, out)
            out.problems.append((f"line {line}", "END:VCARD without a BEGIN:VCARD before it"))
            start, start_line = match.end(), line
    line += data.count(b"\n", pos)
    if stack:
        out.problems.append(_cut_short(stack[0][0], stack[0][1]))
    else:
        _outside(data[start:], start_line, out)
    return out


_VERSION_21 = re.compile(rb"^[ \t]*VERSION[ \t]*:[ \t]*2\.1[ \t]*$", re.I | re.M)


def _is_21(data: bytes, start: int, end: int, spans: list[tuple[int, int]]) -> bool:
    """True if the open card (``data[start:end]`` less its nested cards) says VERSION:2.1."""
    return _VERSION_21.search(_without(data, start, end, spans)) is not None


def _without(data: bytes, start: int, end: int, spans: list[tuple[int, int]]) -> bytes:
    """``data[start:end]`` with the nested cards' spans blanked (their newlines kept, so lines count)."""
    if not spans:
        return data[start:end]
    parts, at = [], start
    for span_start, span_end in spans:
        parts.append(data[at:span_start])
        parts.append(b"\n" * data.count(b"\n", span_start, span_end))
        at = span_end
    parts.append(data[at:end])
    return b"".join(parts)


def _cut_short(number: int, line: int) -> tuple[str, str]:
    return (f"card {number} (line {line})", "card has no END:VCARD (the file may be cut short)")


def _after_agent(data: bytes, begin: int) -> bool:
    """True if the line before ``begin`` is an ``AGENT`` property (a 2.1 nested card)."""
    prev_end = data.rfind(b"\n", 0, max(begin - 1, 0))
    prev = data[prev_end + 1 : begin].strip()
    return bool(_AGENT_LINE.match(prev)) and prev.endswith(b":")


def _outside(gap: bytes, line: int, out: Split) -> None:
    """Report non-blank text between cards (the first line of it; the gap starts mid-line)."""
    if not gap.strip():
        return
    lines = gap.split(b"\n")
    first = next(i for i, text in enumerate(lines) if text.strip())
    count = sum(1 for text in lines if text.strip())
    where = f"line {line + first}"
    what = "a line" if count == 1 else f"{count} lines"
    out.problems.append((where, f"{what} of text outside any BEGIN:VCARD…END:VCARD card"))
