"""Per-value name work: parsing a full name into parts and fixing SHOUTED names.

Called by :mod:`pipeline.normalize.names` only on the *distinct* values the vectorized
fast path cannot decide (directory style ``"Smith, Robert"``, titles, suffixes,
credentials, particles, quoted nicknames, emoji, shouting), so its cost is paid once per
distinct irregular name, never per row. Everything here is plain Python with no
dependency: ``nameparser`` is slow per call and knows nothing of our credentials list.
"""

from __future__ import annotations

import re
from typing import NamedTuple

PREFIXES = frozenset(
    "dr mr mrs ms miss mx prof professor rev reverend fr father sir dame lord lady hon "
    "capt captain col gen lt maj sgt judge rabbi imam herr frau mme mlle dra sra".split()
)
#: Generational and honorific suffixes.
SUFFIXES = frozenset("jr jnr sr snr ii iii iv esq esquire".split())
#: Credentials people put in name fields (LinkedIn "Pat Lee, MBA"), moved to ``suffix``.
CREDENTIALS = frozenset(
    "mba cpa pmp phd md jd dds dmd cfa cfp rn pe cissp cisa cism shrm-cp shrm-scp phr sphr "
    "msc ma ms mfa mph med edd psyd dvm lcsw lmft llm bsc ba bs bsn msn pa-c aia faia csm "
    "cpcc acc pcc mcc rph od do ccna ccnp lpc np frcs mrcp facs mpa mpp meng beng".split()
)
#: Credentials that are also ordinary name words (Yo-Yo Ma, "Do", "Med"): only taken as a
#: credential after a comma, with dots (M.A.), or written in capitals in a non-shouted name.
AMBIGUOUS = frozenset("ma ms ba bs do pe od med np acc pcc aia".split())
_CANONICAL_CASE = {
    "phd": "PhD", "psyd": "PsyD", "edd": "EdD", "msc": "MSc", "bsc": "BSc", "med": "MEd",
    "jr": "Jr", "sr": "Sr", "jnr": "Jnr", "snr": "Snr", "esq": "Esq", "esquire": "Esquire",
    "meng": "MEng", "beng": "BEng", "pa-c": "PA-C",
}  # fmt: skip
PARTICLES = frozenset(
    "van von der den de del della di da du dos das do la le ten ter bin ibn bint al el".split()
)
#: Scottish/Irish "Mac" names written MacX; other Mac- names (Mack, Macy, Machado) are not.
_MAC_NAMES = frozenset(
    "macdonald macarthur macleod mackenzie macgregor macmillan mackay macintosh maclean "
    "macneil macpherson macaulay macinnes macrae mackinnon maclennan macfarlane macintyre".split()
)
_NICK_RE = re.compile(r"\s*(?:\"([^\"]+)\"|“([^”]+)”|\(([^()]+)\)|'([^']+)'(?=\s|$))\s*")
_HAS_LETTER = re.compile(r"[^\W\d_]")


class NameParts(NamedTuple):
    prefix: str | None = None
    given: str | None = None
    middle: str | None = None
    family: str | None = None
    suffix: str | None = None
    nickname: str | None = None


def _bare(token: str) -> str:
    return token.strip(",").replace(".", "").lower()


def is_credential(token: str, *, after_comma: bool = False) -> bool:
    """Whether ``token`` is a credential or suffix (``MBA``, ``Ph.D.``, ``Jr.``, ``III``)."""
    bare = _bare(token)
    if bare in SUFFIXES:
        return True
    if bare not in CREDENTIALS:
        return False
    if bare not in AMBIGUOUS or after_comma or "." in token:
        return True
    core = token.strip(",")
    return core.isupper() and len(core) > 1


def _suffix_form(token: str, shouting: bool) -> str:
    token = token.strip(",")
    if not shouting:
        return token
    bare = _bare(token)
    canon = _CANONICAL_CASE.get(bare)
    if canon is None:
        return token.upper()
    return canon + ("." if token.endswith(".") else "")


def _cap(piece: str) -> str:
    if not piece:
        return piece
    if piece.startswith("mc") and len(piece) > 2:
        return "Mc" + piece[2].upper() + piece[3:]
    if piece in _MAC_NAMES:
        return "Mac" + piece[3].upper() + piece[4:]
    return piece[0].upper() + piece[1:]


def fix_case(value: str, *, family: bool = False) -> str:
    """Un-shout one name value: ``"ANNA VAN DER BERG"`` → ``"Anna van der Berg"``.

    Particles are lower-case unless they are the last word (the name itself); ``Mc``,
    listed ``Mac`` names, ``O'``/``D'`` and hyphenated parts get their inner capital;
    credentials and suffixes get their usual spelling (``PhD``, ``MBA``, ``III``).
    """
    tokens = value.split(" ")
    out = []
    for i, token in enumerate(tokens):
        lower = token.lower()
        bare = _bare(token)
        after_comma = i > 0 and tokens[i - 1].endswith(",")
        last = i == len(tokens) - 1
        if bare in PARTICLES and not last and (i > 0 or family):
            out.append(lower)
        elif i > 0 and (bare in SUFFIXES or (bare in CREDENTIALS and (bare not in AMBIGUOUS or after_comma))):
            if bare in {"ii", "iii", "iv"}:
                out.append(token.upper())
            else:
                out.append(_suffix_form(token, True) + ("," if token.endswith(",") else ""))
        else:
            out.append("".join(_cap(p) for p in re.split(r"([-'’])", lower)))
    return " ".join(out)


def _take_nickname(text: str) -> tuple[str, str | None]:
    m = _NICK_RE.search(text)
    if not m:
        return text, None
    nick = next(g for g in m.groups() if g is not None).strip()
    rest = (text[: m.start()] + " " + text[m.end() :]).strip()
    return " ".join(rest.split()), nick or None


def _split_tokens(tokens: list[str]) -> tuple[str | None, str | None, str | None]:
    """given, middle, family from the name words (particles start the family name)."""
    tokens = [t.strip(",") for t in tokens if _HAS_LETTER.search(t)]
    tokens = [t for t in tokens if t]
    if not tokens:
        return None, None, None
    if len(tokens) == 1:
        return tokens[0], None, None
    start = len(tokens) - 1
    for i in range(1, len(tokens) - 1):
        if tokens[i].lower() in PARTICLES:
            start = i
            break
    middle = " ".join(tokens[1:start]) or None
    return tokens[0], middle, " ".join(tokens[start:])


def _strip_prefixes(tokens: list[str]) -> tuple[list[str], list[str]]:
    prefixes = []
    while len(tokens) > 1 and _bare(tokens[0]) in PREFIXES:
        prefixes.append(tokens.pop(0))
    return prefixes, tokens


def _strip_suffixes(tokens: list[str], shouting: bool) -> tuple[list[str], list[str]]:
    found: list[str] = []
    while len(tokens) > 1:
        after_comma = tokens[-2].endswith(",")
        if not is_credential(tokens[-1], after_comma=after_comma):
            break
        found.insert(0, _suffix_form(tokens.pop(), shouting))
    return tokens, found


def parse_name(text: str, *, shouting: bool = False) -> NameParts:
    """Split a full name into parts; ``shouting`` says the text was all capitals originally.

    Handles ``"Dr. Robert J. Smith Jr."``, ``"Smith, Robert J."``, ``"Pat Lee, MBA, PMP"``,
    ``"Juan de la Cruz"``, ``'Robert "Bob" Smith'``, emoji (dropped from the parts).
    """
    text, nickname = _take_nickname(" ".join(text.split()))
    chunks = [c.strip() for c in text.split(",")]
    chunks = [c for c in chunks if c]
    suffixes: list[str] = []
    # Trailing comma-separated chunks made only of credentials/suffixes ("…, MBA, PMP").
    while len(chunks) > 1 and all(is_credential(t, after_comma=True) for t in chunks[-1].split()):
        suffixes[:0] = [_suffix_form(t, shouting) for t in chunks.pop().split()]
    if len(chunks) >= 2:
        # Directory style: "Family, Given Middle" (the family chunk may carry "Jr").
        family_tokens, fam_suffix = _strip_suffixes(chunks[0].split(), shouting)
        prefixes, rest = _strip_prefixes(" ".join(chunks[1:]).split())
        rest, more = _strip_suffixes(rest, shouting)
        given, middle, tail = _split_tokens(rest)
        middle = " ".join(x for x in (middle, tail) if x) or None
        family = " ".join(t for t in family_tokens if _HAS_LETTER.search(t)) or None
        suffixes = fam_suffix + more + suffixes
    else:
        tokens = chunks[0].split() if chunks else []
        prefixes, tokens = _strip_prefixes(tokens)
        tokens, more = _strip_suffixes(tokens, shouting)
        suffixes = more + suffixes
        given, middle, family = _split_tokens(tokens)
    return NameParts(
        prefix=" ".join(prefixes) or None,
        given=given,
        middle=middle,
        family=family,
        suffix=", ".join(suffixes) or None,
        nickname=nickname,
    )


def split_family(value: str) -> tuple[str, str | None]:
    """A family-name field with credentials in it: ``"Lee, MBA"`` → ``("Lee", "MBA")``."""
    chunks = [c.strip() for c in value.split(",") if c.strip()]
    suffixes: list[str] = []
    while len(chunks) > 1 and all(is_credential(t, after_comma=True) for t in chunks[-1].split()):
        suffixes[:0] = chunks.pop().split()
    tokens, more = _strip_suffixes(" ".join(chunks).split(), False)
    family = " ".join(tokens) or value
    return family, ", ".join(more + suffixes) or None


def split_given(value: str) -> tuple[str | None, str, str | None]:
    """A given-name field with a title or quoted nickname: ``"Dr. Robert (Bob)"`` →
    ``("Dr.", "Robert", "Bob")``.
    """
    rest, nickname = _take_nickname(value)
    prefixes, tokens = _strip_prefixes(rest.split())
    return " ".join(prefixes) or None, " ".join(tokens) or value, nickname
