"""One card's bytes → its properties: decoding, unfolding, content-line grammar, QP.

Second stage of the vCard importer (``read.py`` feeds it the chunks from ``split.py``; its
output goes to ``mapping.py``). It reads vCard 2.1, 3.0 and 4.0 alike and is forgiving
where real exporters are sloppy:

- per-line charsets of 2.1 cards (``CHARSET=Windows-1252`` on raw 8-bit text) when the card
  is not valid UTF-8, with the file's detected legacy encoding as the fallback;
- 2.1 quoted-printable soft line breaks whose continuation lines don't start with
  whitespace, with ``CHARSET``/``ENCODING`` in either order, and Samsung's
  ``X-CUSTOM(CHARSET=…,ENCODING=QUOTED-PRINTABLE,label)`` parameter;
- bare 2.1 type tokens (``TEL;CELL;PREF:``), repeated ``type=`` (Apple), comma lists
  (``TYPE="work,voice"``, 4.0), ``PREF=1``;
- property names vobject refuses (``X-MESSAGING/XMPP-ALL``) and unindented raw line breaks
  inside values.

The logical-line rules are vobject's (``vobject.base.getLogicalLines`` with
``allowQP=True``) and the tests check this parser against vobject on the fixtures vobject
can read, but vobject itself is not called here: most of its cost per card is
building objects we would throw away (this parser plus the mapping are several times faster,
see docs/performance.md); its QP decoding raises ``LookupError``/``UnicodeDecodeError``
outside its ``ignoreUnreadable`` net on unknown or wrong charsets; and it refuses property
names real exporters write (``X-MESSAGING/XMPP-ALL``).
"""

from __future__ import annotations

import binascii
import codecs
import functools
import re
from dataclasses import dataclass, field

from plugins.vcard.split import STRIPPED

_ENCODING_TOKENS = {"QUOTED-PRINTABLE": "QUOTED-PRINTABLE", "BASE64": "BASE64", "B": "B", "8BIT": "8BIT"}
_ENCODING_TOKENS["7BIT"] = "7BIT"
_VALUE_TOKENS = {"URL", "URI", "INLINE", "CONTENT-ID", "CID"}
_QP = ("QUOTED-PRINTABLE", "QP")
_CHARSET_IN_HEAD = re.compile(rb"CHARSET=([A-Za-z0-9_.:-]+)", re.I)
_QUOTED_PART = re.compile(r'(?:[^;"]|"[^"]*")+')
_HEAD_QUOTED = re.compile(r'^((?:[^":]|"[^"]*")*):')
_FOLD = re.compile(rb"\n[ \t]")
_UNFOLD_TEXT = re.compile(r"\n[ \t]")
_QP_ANYWHERE = re.compile("QUOTED-PRINTABLE", re.I)
_ESCAPE = re.compile(r"\\(.)", re.S)
_ESCAPED_OR_PLAIN = re.compile(r"(\\.)", re.S)
_STRIPPED = STRIPPED.decode()
NO_PREF = 101


@dataclass(slots=True)
class Prop:
    """One content line after decoding.

    :param name: upper-case property name (``_`` read as ``-``, as vobject does for Lotus Notes).
    :param group: lower-case group (``item1``) or None.
    :param params: upper-case parameter names → values (transport parameters ENCODING and
        CHARSET removed once applied).
    :param types: lower-case TYPE values and bare 2.1 tokens, comma lists split.
    :param pref: 1–100 from ``PREF=n`` (``TYPE=pref`` counts as 1); ``NO_PREF`` when absent.
    :param value: the value text, QP/charset decoded, vCard backslash escapes still in.
    :param line: the line number in the file.
    """

    name: str
    group: str | None
    params: dict[str, list[str]]
    types: list[str]
    pref: int
    value: str
    line: int
    label: str | None = None


@dataclass
class ParsedCard:
    """A card's properties plus what could not be read as a property (kept, never dropped)."""

    number: int
    line: int
    props: list[Prop] = field(default_factory=list)
    unparsed: list[tuple[int, str]] = field(default_factory=list)
    agents: list[str] = field(default_factory=list)
    stripped: list[str] = field(default_factory=list)


def decode_lines(data: bytes, fallback: str) -> list[str]:
    """Split a card into text lines: UTF-8 when the card is UTF-8, else per line.

    A line that declares ``CHARSET=`` is decoded with it; otherwise UTF-8, then the file's
    legacy ``fallback`` encoding, then Latin-1 (which cannot fail).
    """
    try:
        return data.decode("utf-8").split("\n")
    except UnicodeDecodeError:
        pass
    if b"\n " in data or b"\n\t" in data:
        # Some writers fold in the middle of a multi-byte character: unfold first (line
        # numbers inside this card may then run short; the card's own line stays right).
        try:
            lines = _FOLD.sub(b"", data).decode("utf-8").split("\n")
        except UnicodeDecodeError:
            pass
        else:
            CHARSETS_USED["utf-8"] = None
            return lines
    lines = []
    for raw in data.split(b"\n"):
        if raw.isascii():
            lines.append(raw.decode("ascii"))
            continue
        colon = raw.find(b":")
        declared = _CHARSET_IN_HEAD.search(raw, 0, colon if colon >= 0 else len(raw))
        charset = declared.group(1).decode("ascii") if declared else None
        lines.append(_decode_bytes(raw, charset, fallback))
    return lines


#: The charsets non-ASCII values were decoded with since :func:`clear_cache` (for the summary).
CHARSETS_USED: dict[str, None] = {}


def _decode_bytes(raw: bytes, charset: str | None, fallback: str) -> str:
    for encoding in (charset, "utf-8", fallback):
        if not encoding:
            continue
        try:
            text = raw.decode(encoding)
        except (LookupError, UnicodeDecodeError):
            if encoding == charset and _UTF8_NAME.match(charset) and _UTF8_SEQUENCE.search(raw):
                # Declared UTF-8 and mostly so: one bad byte is replaced, the rest stays UTF-8.
                CHARSETS_USED["utf-8"] = None
                return raw.decode("utf-8", errors="replace")
            continue
        if not raw.isascii():
            CHARSETS_USED[_codec_name(encoding)] = None
        return text
    CHARSETS_USED["latin-1"] = None
    return raw.decode("latin-1")


@functools.cache
def _codec_name(encoding: str) -> str:
    return codecs.lookup(encoding).name


_UTF8_NAME = re.compile(r"utf-?8$", re.I)
_UTF8_SEQUENCE = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}")


def logical_lines(lines: list[str], first_line: int) -> list[tuple[str, int]]:
    """Unfold physical lines into ``(logical line, line number)`` (vobject's allowQP rules).

    A blank line ends the current line; a line starting with space/tab continues it; after a
    quoted-printable value ending in ``=`` the next line continues it whatever it starts with;
    otherwise a line starting with ``#`` is a comment and skipped;
    and a line without any ``:`` cannot be a property, so it is a raw line break inside the
    previous value (Google's Android export, unescaped NOTEs) and joins it with a newline.
    """
    out: list[tuple[str, int]] = []
    cur: str | None = None
    cur_line = 0
    qp = False
    for offset, text in enumerate(lines):
        if not text or text.isspace():
            if cur is not None:
                out.append((cur, cur_line))
                cur = None
            qp = False
            continue
        if cur is not None and qp:
            cur = cur[:-1] + text
        elif text[0] == "#":
            continue  # a comment line (2.1 writers and AOSP's parser allow them), not part of any value
        elif cur is not None and text[0] in " \t":
            cur += text[1:]
        elif cur is not None and ":" not in text:
            cur += "\n" + text
        else:
            if cur is not None:
                out.append((cur, cur_line))
            cur, cur_line = text, first_line + offset
        qp = cur.endswith("=") and "QUOTED-PRINTABLE" in cur[: cur.find(":")].upper()
    if cur is not None:
        out.append((cur, cur_line))
    return out


def _simple_lines(lines: list[str], first_line: int) -> list[tuple[str, int]] | None:
    """Logical lines of a card without quoted-printable or raw breaks, unfolded in one pass.

    Every line gets the card's first line number (they are only shown for lines that are not
    properties, and then :func:`parse_card` redoes the card the slow way). None when the card
    needs :func:`logical_lines`.
    """
    text = "\n".join(lines)
    if _QP_ANYWHERE.search(text):
        return None
    out = []
    for line in _UNFOLD_TEXT.sub("", text).split("\n"):
        if ":" in line:
            out.append((line, first_line))
        elif line.strip():
            return None
    return out


def parse_card(data: bytes, number: int, first_line: int, fallback: str = "cp1252") -> ParsedCard:
    """Parse one card chunk (``BEGIN:VCARD`` … ``END:VCARD`` bytes) into a :class:`ParsedCard`."""
    lines = decode_lines(data, fallback)
    logical = _simple_lines(lines, first_line)
    if logical is not None:
        card = _parse_logical(logical, number, first_line, fallback)
        if not card.unparsed:
            return card
    return _parse_logical(logical_lines(lines, first_line), number, first_line, fallback)


def _parse_logical(logical: list[tuple[str, int]], number: int, first_line: int, fallback: str) -> ParsedCard:
    card = ParsedCard(number, first_line)
    depth = 0
    agent: list[str] = []
    for text, line in logical:
        prop = parse_line(text, line, fallback)
        if prop is None:
            card.unparsed.append((line, text))
            continue
        name = prop.name
        if name == "BEGIN" and prop.value.strip().upper() == "VCARD":
            depth += 1
            if depth > 1:
                agent.append(text)
            continue
        if depth > 1:
            agent.append(text)
            if name == "END" and prop.value.strip().upper() == "VCARD":
                depth -= 1
                if depth == 1:
                    card.agents.append("\n".join(agent))
                    agent = []
            continue
        if name == "END":
            continue
        if name == _STRIPPED:
            card.stripped.append(prop.value.strip().lower())
            continue
        card.props.append(prop)
    return card


def parse_line(text: str, line: int, fallback: str = "cp1252") -> Prop | None:
    """Parse one logical content line ``[group.]NAME[;params]:value``; None if it has no name.

    Heads (everything before the value) repeat across a file (``TEL;type=CELL;type=pref``),
    so each distinct head is parsed once and cached.
    """
    colon = text.find(":")
    if colon < 0:
        return None
    head = text[:colon]
    if '"' in head:
        # A quoted parameter value may hold ':' ';' ','; the value starts after the first
        # ':' outside quotes.
        match = _HEAD_QUOTED.match(text)
        if match is None:
            return None
        head, colon = match.group(1), match.end() - 1
    parsed = _HEADS.get(head)
    if parsed is None:
        if len(_HEADS) > 4096:
            _HEADS.clear()
        parsed = _HEADS[head] = parse_head(head, fallback)
    if parsed is _BAD_HEAD:
        return None
    name, group, params, types, pref, label, qp, charset = parsed
    value = text[colon + 1 :]
    if qp:
        value = _qp_decode(value, charset, fallback)
    return Prop(name, group, params, types, pref, value, line, label)


_HEADS: dict[str, tuple] = {}
_BAD_HEAD = ("",)


def clear_cache() -> None:
    """Forget cached heads (the cache holds the fallback encoding of the file being read) and
    the charsets used so far."""
    _HEADS.clear()
    CHARSETS_USED.clear()


def parse_head(head: str, fallback: str = "cp1252") -> tuple:
    """``[group.]NAME;params`` → ``(name, group, params, types, pref, label, qp, charset)``.

    The returned dict and list are shared by every line with this head: read, never mutate.
    """
    parts = _QUOTED_PART.findall(head) if '"' in head else head.split(";")
    full = parts[0] if parts else ""
    group = None
    if "." in full:
        group, _, full = full.partition(".")
        group = group.strip().lower()
    name = full.strip().upper().replace("_", "-")
    if not name or " " in name:
        return _BAD_HEAD
    params: dict[str, list[str]] = {}
    types: list[str] = []
    label = None
    for part in parts[1:]:
        eq = part.find("=")
        if eq < 0 or part[:9].upper() == "X-CUSTOM(":
            token = part.strip()
            upper = token.upper()
            if upper in _ENCODING_TOKENS:
                params.setdefault("ENCODING", []).append(upper)
            elif upper in _VALUE_TOKENS:
                params.setdefault("VALUE", []).append(upper)
            elif upper.startswith("CHARSET") or upper == "UTF-8":
                params.setdefault("CHARSET", []).append(upper)
            elif upper.startswith("X-CUSTOM("):
                label = _samsung_label(token[9:].rstrip(")"), fallback)
            elif token:
                types.append(token.lower())
            continue
        key = part[:eq].strip().upper()
        raw = part[eq + 1 :].strip()
        if key == "TYPE":
            # Apple repeats type=; 4.0 allows TYPE="work,voice", which vobject keeps whole.
            types.extend(t.strip() for t in raw.replace('"', "").lower().split(",") if t.strip())
        elif raw.startswith('"') and raw.endswith('"') and len(raw) > 1:
            params.setdefault(key, []).append(raw[1:-1])
        else:
            params.setdefault(key, []).extend(v.strip() for v in raw.split(","))
    pref = NO_PREF
    if "PREF" in params:
        try:
            pref = max(1, min(100, int(params.pop("PREF")[0])))
        except ValueError:
            pref = 1
    if "pref" in types:
        pref = min(pref, 1)
        types = [t for t in types if t != "pref"]
    qp = False
    charset = None
    encodings = params.get("ENCODING", [])
    if any(e.upper() in _QP for e in encodings):
        qp = True
        rest = [e for e in encodings if e.upper() not in _QP]
        if rest:
            params["ENCODING"] = rest
        else:
            del params["ENCODING"]
    if "CHARSET" in params:
        # Applied while decoding: here for QP values, in decode_lines for raw 8-bit text.
        charset = params.pop("CHARSET")[0]
    return name, group, params, types, pref, label, qp, charset


def _samsung_label(inner: str, fallback: str) -> str | None:
    """Samsung's ``X-CUSTOM(CHARSET=UTF-8,ENCODING=QUOTED-PRINTABLE,=4D=79)``: the label is last."""
    pieces = inner.split(",")
    options = {p.partition("=")[0].upper(): p.partition("=")[2] for p in pieces[:-1] if "=" in p}
    label = pieces[-1]
    if options.get("ENCODING", "").upper() in _QP:
        label = _qp_decode(label, options.get("CHARSET"), fallback)
    return label.strip() or None


def _qp_decode(value: str, charset: str | None, fallback: str) -> str:
    raw = binascii.a2b_qp(value.encode("utf-8"))
    if charset:
        try:
            codecs.lookup(charset)
        except LookupError:
            charset = None
    text = _decode_bytes(raw, charset, fallback)
    return text.replace("\r\n", "\n").replace("\r", "\n")


def unescape(text: str) -> str:
    """Undo vCard text escapes: ``\\n`` → newline; ``\\, \\; \\: \\\\`` → the character.

    ``\\:`` is not an escape in any vCard version, but Google writes it (and importers that
    leave it in show ``1\\:30pm``); any other backslash is kept as written.
    """
    if "\\" not in text:
        return text
    return _ESCAPE.sub(_unescape_one, text)


def _unescape_one(match: re.Match[str]) -> str:
    char = match.group(1)
    if char in "nN":
        return "\n"
    if char in ",;:\\":
        return char
    return match.group(0)


def split_raw(text: str, sep: str) -> list[str]:
    """Split on ``sep`` where it is not backslash-escaped; the parts keep their escapes."""
    if "\\" not in text:
        return text.split(sep)
    parts: list[str] = []
    buf: list[str] = []
    for token in _ESCAPED_OR_PLAIN.split(text):
        if len(token) == 2 and token[0] == "\\":
            buf.append(token)
            continue
        pieces = token.split(sep)
        buf.append(pieces[0])
        for piece in pieces[1:]:
            parts.append("".join(buf))
            buf = [piece]
    parts.append("".join(buf))
    return parts


def split_escaped(text: str, sep: str) -> list[str]:
    """Split on ``sep`` where it is not backslash-escaped, then unescape each part."""
    return [unescape(part) for part in split_raw(text, sep)]
