"""Header helpers for tabular importers: find the header row, match headers to fields, explain it.

Used by every importer that reads a grid of cells (alumni directories, address-book CSVs,
journal spreadsheets). Nothing here knows a file format: a caller brings an *alias table*
(``{target: (alias, ...)}``, best alias first) and gets back which column feeds which
target and why, so ``kith import --show-mapping`` can print it and kith.toml can override
it. A *target* is usually a canonical field (``emails``), but importers may define their
own pseudo-targets (``tag:deceased``) as long as they document them.

Matching is tolerant in steps, each reported: an override from the user, then an exact
match of the normalized header (case, punctuation, spacing, accents and camelCase don't
matter: ``E-mail Address`` = ``EmailAddress`` = ``e_mail address``), then a numbered
variant of a multi-valued target (``Phone 2``), then a small typo (Levenshtein distance 1,
or 2 for long headers, via rapidfuzz).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

EXTRA = "extra"

_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
# Letters of every script stay (Japanese Outlook writes 名 and 姓); punctuation and spacing go.
_NON_ALNUM = re.compile(r"[\W_]+")
_TRAILING_NUMBER = re.compile(r"^(.*?)\s*(?:no\s*)?(\d{1,2})$|^(\d{1,2})(?:st|nd|rd|th)?\s+(.*)$")


def normalize_header(text: object) -> str:
    """A header's matching form: lower-case words separated by single spaces.

    ``"  E-mail_Address "`` → ``"e mail address"``, ``"CnBio_First_Name"`` → ``"cn bio first name"``,
    ``"Straße geschäftlich"`` → ``"strasse geschaftlich"``, ``"Phone #"`` → ``"phone number"``,
    ``"電子メール アドレス"`` → ``"電子メール アドレス"`` (letters of any script are kept).
    """
    if text is None:
        return ""
    value = str(text).strip()
    value = _CAMEL.sub(" ", value)
    value = value.replace("#", " number ").replace("&", " and ")
    value = unicodedata.normalize("NFKD", value)
    value = "".join(ch for ch in value if not unicodedata.combining(ch)).casefold()
    return _NON_ALNUM.sub(" ", value).strip()


def header_key(text: object) -> str:
    """The compact matching key: :func:`normalize_header` without spaces (``"emailaddress"``)."""
    return normalize_header(text).replace(" ", "")


@dataclass(frozen=True)
class ColumnMatch:
    """How one source column was matched.

    :param index: the column's position in the header row.
    :param header: the header text as the file wrote it.
    :param target: the field it feeds, or ``"extra"``.
    :param how: ``override``, ``exact``, ``numbered``, ``fuzzy``, ``unmapped``, ``duplicate``
        (a single-valued target already fed by a better column) or ``blank`` (no header text).
    :param alias: the alias it matched, if any.
    :param rank: the alias's position in the target's list (lower is preferred; orders the
        values of multi-valued targets, so "Preferred Email" comes before "Email 2").
    """

    index: int
    header: str
    target: str
    how: str
    alias: str | None = None
    rank: int = 0


@dataclass
class HeaderMapping:
    """The result of :func:`match_headers`: one :class:`ColumnMatch` per source column."""

    columns: list[ColumnMatch] = field(default_factory=list)

    def as_dict(self) -> dict[str, str]:
        """``{header: target}`` for the import summary (blank headers are listed as ``column N``)."""
        out: dict[str, str] = {}
        for match in self.columns:
            name = match.header if match.header.strip() else f"column {match.index + 1}"
            out.setdefault(name, match.target)
        return out

    def targets(self) -> set[str]:
        """The targets fed by at least one column (never ``extra``)."""
        return {m.target for m in self.columns if m.target != EXTRA}

    def columns_for(self, target: str) -> list[ColumnMatch]:
        """The columns feeding ``target``, best alias first, then left to right."""
        found = [m for m in self.columns if m.target == target]
        return sorted(found, key=lambda m: (m.rank, m.index))

    def unmapped(self) -> list[ColumnMatch]:
        """Columns that go to ``extra``."""
        return [m for m in self.columns if m.target == EXTRA]

    def explain(self) -> list[str]:
        """One line per column: ``'Class Yr' → class_year (exact alias 'class yr')``."""
        lines = []
        for m in self.columns:
            name = m.header if m.header.strip() else f"column {m.index + 1}"
            if m.how == "override":
                why = "set in kith.toml"
            elif m.how in ("exact", "numbered", "fuzzy"):
                why = f"{m.how} match of {m.alias!r}"
            elif m.how == "duplicate":
                why = "a better column already fills that field"
            else:
                why = "no matching field"
            lines.append(f"{name!r} → {m.target} ({why})")
        return lines


class AliasIndex:
    """An alias table compiled for fast lookups; build once per importer and reuse.

    :param aliases: ``{target: (alias, ...)}``, the best alias first. A target's own name
        is an alias too.
    :param multi: targets that accept several columns (their numbered variants match too).
    :param fuzzy: allow small typos.
    """

    def __init__(
        self,
        aliases: Mapping[str, Sequence[str]],
        *,
        multi: Iterable[str] = (),
        fuzzy: bool = True,
    ) -> None:
        self.aliases = {target: tuple(names) for target, names in aliases.items()}
        self.multi = frozenset(multi)
        self.fuzzy = fuzzy
        self._exact: dict[str, tuple[str, str, int]] = {}
        for target, names in self.aliases.items():
            for rank, alias in enumerate((*names, target)):
                key = header_key(alias)
                if key and key not in self._exact:
                    self._exact[key] = (target, alias, rank * 100)
        # Only longer keys take part in fuzzy matching: one typo in a 4-letter header
        # ("Name" → "Nam"?) is as likely another word as a typo.
        self._fuzzy_keys = [key for key in self._exact if len(key) >= 5]

    def lookup(self, header: object) -> tuple[str, str, int, str] | None:
        """``(target, alias, rank, how)`` for one header, or None."""
        key = header_key(header)
        if not key:
            return None
        hit = self._exact.get(key)
        if hit:
            return (*hit, "exact")
        numbered = _TRAILING_NUMBER.match(normalize_header(header))
        if numbered:
            base = header_key(numbered.group(1) if numbered.group(1) is not None else numbered.group(4))
            hit = self._exact.get(base)
            if hit and hit[0] in self.multi:
                number = int(numbered.group(2) or numbered.group(3))
                return (hit[0], hit[1], hit[2] + number, "numbered")
        if self.fuzzy and len(key) >= 5:
            return self._fuzzy(key)
        return None

    def _fuzzy(self, key: str) -> tuple[str, str, int, str] | None:
        from rapidfuzz import process
        from rapidfuzz.distance import Levenshtein

        limit = 1 if len(key) < 9 else 2
        best = process.extractOne(key, self._fuzzy_keys, scorer=Levenshtein.distance, score_cutoff=limit)
        if best is None:
            return None
        candidate = best[0]
        # A differing digit is another field ("Email 2" vs "Email 3"), not a typo.
        if re.sub(r"\D", "", candidate) != re.sub(r"\D", "", key):
            return None
        target, alias, rank = self._exact[candidate]
        return target, alias, rank + 10_000, "fuzzy"


def find_header_row(
    rows: Sequence[Sequence[object]],
    index: AliasIndex,
    *,
    max_rows: int = 50,
    min_fields: int = 2,
) -> int | None:
    """The position of the header row among ``rows`` (the first rows of a sheet), or None.

    The header is the first row whose cells match the most distinct targets (at least
    ``min_fields``), so title rows, merged title cells and blank rows above it are passed
    over, and a repeated header further down is not picked instead.
    """
    best, best_score = None, min_fields - 1
    for position, row in enumerate(rows[:max_rows]):
        targets = set()
        for cell in row:
            if cell is None or not str(cell).strip() or len(str(cell)) > 80:
                continue
            hit = index.lookup(cell)
            if hit:
                targets.add(hit[0])
        if len(targets) > best_score:
            best, best_score = position, len(targets)
    return best


def match_headers(
    headers: Sequence[object],
    index: AliasIndex,
    *,
    overrides: Mapping[str, str] | None = None,
    allowed: Iterable[str] | None = None,
) -> HeaderMapping:
    """Match every header to a target (or ``extra``).

    :param overrides: ``{"source header": target}`` from kith.toml; headers are compared
        tolerantly (:func:`header_key`), ``"extra"`` keeps a column unmapped.
    :param allowed: targets an override may name (default: the alias table's targets);
        ``extra`` and ``extra:<key>`` (kept in ``extra`` under ``<key>``) are always allowed.
    :raises ValueError: an override names a target that doesn't exist (the caller turns it
        into a ConfigError naming the input).
    :return: the mapping; single-valued targets are fed by their best column only, the
        others become ``duplicate`` and go to ``extra``.
    """
    allowed_set = set(allowed) if allowed is not None else set(index.aliases)
    wanted: dict[str, str] = {}
    for header, target in (overrides or {}).items():
        if target != EXTRA and not target.startswith("extra:") and target not in allowed_set:
            choices = ", ".join(sorted(allowed_set))
            raise ValueError(
                f"mapping for {header!r} names unknown field {target!r} (choose from: {choices})"
            )
        wanted[header_key(header)] = target

    candidates: list[ColumnMatch] = []
    for position, raw in enumerate(headers):
        header = "" if raw is None else str(raw)
        key = header_key(header)
        if key in wanted:
            candidates.append(ColumnMatch(position, header, wanted[key], "override"))
            continue
        if not key:
            candidates.append(ColumnMatch(position, header, EXTRA, "blank"))
            continue
        hit = index.lookup(header)
        if hit is None:
            candidates.append(ColumnMatch(position, header, EXTRA, "unmapped"))
        else:
            target, alias, rank, how = hit
            candidates.append(ColumnMatch(position, header, target, how, alias, rank))

    # Single-valued targets keep their best column: overrides first, then exact before
    # fuzzy, then the better alias, then the leftmost.
    order = {"override": 0, "exact": 1, "numbered": 2, "fuzzy": 3}
    taken: dict[str, int] = {}
    final = list(candidates)
    ranked = sorted(
        (m for m in candidates if m.target != EXTRA),
        key=lambda m: (order.get(m.how, 9), m.rank, m.index),
    )
    for m in ranked:
        if m.target in index.multi:
            continue
        if m.target in taken:
            final[m.index] = ColumnMatch(m.index, m.header, EXTRA, "duplicate", m.alias, m.rank)
        else:
            taken[m.target] = m.index
    return HeaderMapping(final)


def unused_overrides(headers: Sequence[object], overrides: Mapping[str, str] | None) -> list[str]:
    """Override keys that match no header (worth a warning: a typo in kith.toml)."""
    keys = {header_key(h) for h in headers}
    return [h for h in (overrides or {}) if header_key(h) not in keys]
