"""Reading grids of cells: delimited text and workbooks, as all-text polars frames.

Used by importers of tabular files (alumni directories, address-book CSVs, journals)
before :mod:`pipeline.headers` finds and maps the header. Nothing here assumes the header
is the first line: a delimited file is sniffed first (:func:`sniff_delimited`: encoding
via :mod:`pipeline.textio`, delimiter among ``, ; TAB |``, the first records parsed), the
caller finds its header row in those records, and :func:`read_delimited` then reads the
whole file from that row with polars' own reader. Workbooks (xlsx, xlsm, xls, ods) are read
sheet by sheet with ``pl.read_excel`` on the calamine engine without a header, so frame
row ``i`` is spreadsheet row ``i + 1``.

Every cell comes back as a string (or null): importers hand the core the source's text.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from pipeline import textio
from pipeline.errors import InputError
from pipeline.limits import check_workbook, current, describe

if TYPE_CHECKING:
    import polars as pl

DELIMITERS = (",", ";", "\t", "|")
HEAD_ROWS = 60
SNIFF_BYTES = 256 * 1024
WORKBOOK_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".xlsb", ".ods")
DELIMITED_SUFFIXES = (".csv", ".tsv", ".txt", ".tab")

_UTF8 = ("utf-8", "utf-8-sig")


@dataclass
class DelimitedHead:
    """What :func:`sniff_delimited` learned from the start of a delimited file.

    :param encoding: the text encoding (as :mod:`pipeline.textio` names it).
    :param delimiter: the field separator.
    :param rows: the first records, parsed as CSV; a blank line is an empty list, so
        ``rows[i]`` is record ``i`` of the file (what ``skip_rows`` counts).
    """

    encoding: str
    delimiter: str
    rows: list[list[str]] = field(default_factory=list)
    cr_newlines: bool = False


def detect_delimiter(text: str) -> str:
    """The delimiter that splits the most records of ``text`` into fields without cutting a quoted
    cell, then the one that splits the first record (the header: a ';' inside a quoted cell that
    spans lines splits more lines than the header's commas do), then the most records, then the
    most records into the same number (≥ 2) of fields: a few rows with a field too many (or a
    value holding another candidate) don't turn a comma file into a semicolon one."""
    best, best_score = ",", (0, 0, 0, 0, 0)
    for delimiter in DELIMITERS:
        counts: dict[int, int] = {}
        # A quote inside a field means the delimiter cut through a quoted cell (a ';' inside a
        # quoted comma-file cell spanning lines): records split without one count first.
        clean = 0
        first = 0  # does it split the first non-blank record (the header, when no title is above)?
        reader = csv.reader(io.StringIO(text), delimiter=delimiter)
        try:
            for number, row in enumerate(reader):
                if number >= HEAD_ROWS:
                    break
                if not first and not counts and any(cell.strip() for cell in row):
                    first = 1 if len(row) >= 2 else -1
                if len(row) >= 2:
                    counts[len(row)] = counts.get(len(row), 0) + 1
                    clean += not any('"' in cell for cell in row)
        except csv.Error:
            continue
        if not counts:
            continue
        width, agreeing = max(counts.items(), key=lambda item: (item[1], item[0]))
        score = (clean, first, sum(counts.values()), agreeing, width)
        if score > best_score:
            best, best_score = delimiter, score
    return best


def _strip_bom(data: bytes) -> bytes:
    bom = textio.bom_encoding(data)
    if bom is None:
        return data
    lengths = {"utf-8-sig": 3, "utf-16-le": 2, "utf-16-be": 2, "utf-32-le": 4, "utf-32-be": 4}
    return data[lengths[bom] :]


def _decode_head(head: bytes, encoding: str) -> str:
    data = _strip_bom(head)
    codec = "utf-8" if encoding == "utf-8-sig" else encoding
    # The head may end inside a multi-byte character; drop the incomplete tail.
    return data.decode(codec, errors="ignore")


def sniff_delimited(path: Path, head: bytes | None = None, *, delimiter: str | None = None) -> DelimitedHead:
    """Encoding, delimiter and the first records of a delimited text file."""
    if head is None:
        head = textio.read_head(path, SNIFF_BYTES)
    if textio.looks_binary(head):
        raise InputError(f"{path}: {describe(path, head) or 'is not a text file (binary content)'}")
    encoding = textio.detect_encoding(head)
    text = _decode_head(head, encoding)
    if len(head) >= SNIFF_BYTES:
        # The last line of the sample is probably cut: don't let it vote.
        text = text[: text.rfind("\n") + 1] or text
    cr_newlines = "\r" in text and "\n" not in text
    text = _fix_newlines(text)
    delimiter = delimiter or detect_delimiter(text)
    rows: list[list[str]] = []
    try:
        for row in csv.reader(io.StringIO(text), delimiter=delimiter):
            rows.append(row)
            if len(rows) >= HEAD_ROWS:
                break
    except csv.Error as exc:
        raise InputError(f"{path}: cannot be read as delimited text ({exc})") from None
    _check_width(path, rows)
    return DelimitedHead(encoding, delimiter, rows, cr_newlines)


def _check_width(path: Path, rows: list[list[str]]) -> None:
    widest = max((len(row) for row in rows), default=0)
    if widest > (limit := current().max_columns):
        raise InputError(
            f"{path}: a row has {widest:,} fields, over the {limit:,}-column limit (KITH_MAX_COLUMNS)"
        )


def _fix_newlines(text: str) -> str:
    # Classic Mac files end lines with CR alone, which polars does not split on.
    if "\r" in text and "\n" not in text:
        return text.replace("\r", "\n")
    return text


def read_delimited(
    path: Path, head: DelimitedHead, *, skip_rows: int = 0, spare: int = 0, stray: list[int] | None = None
) -> pl.DataFrame:
    """The whole file from record ``skip_rows`` on, every cell a string, no header applied.

    Columns are ``column_0``, ``column_1``, …; the width is that of record ``skip_rows``
    (normally the header row), so frame row ``i`` is record ``skip_rows + i`` of the file,
    i.e. spreadsheet row ``skip_rows + i + 1``. Blank lines stay as all-null rows, so row
    numbers match what a spreadsheet program shows.

    :param spare: read at least this many columns more than record ``skip_rows`` has (more
        if a row fills them all), so a row with more fields than its header keeps them:
        :func:`misfits` finds those rows. Without it, surplus fields are cut.
    :param stray: when given, a cell spanning lines makes the file be checked for stray quotes
        (:func:`blank_stray_quotes`); such a line is read as a blank row (so row numbers still
        match) and its 1-based line number appended here for the caller to report.
    """
    try:
        frame = _read_delimited_spare(path, head, skip_rows, spare)
    except InputError:
        if stray is None or head.cr_newlines:
            raise
        frame = None  # an odd quote mid-file: look for a stray one below
    if frame is not None and (
        stray is None
        or head.cr_newlines
        or _one_line_each(path, head, skip_rows, frame.height)
        or not _spans_lines(frame)
    ):
        return frame
    data = _strip_bom(_read_all(path))
    if head.encoding not in _UTF8:
        data = data.decode(head.encoding, errors="replace").encode("utf-8")
    start = header_end(data, skip_rows + 1, head.delimiter)
    width = len(head.rows[skip_rows]) if skip_rows < len(head.rows) else 0
    fixed, lines = blank_stray_quotes(data, head.delimiter, width, start)
    if not lines:
        return frame if frame is not None else _read_delimited_spare(path, head, skip_rows, spare)
    with tempfile.TemporaryDirectory(prefix="kith-stray-") as folder:
        copy = Path(folder) / path.name
        copy.write_bytes(fixed)
        try:
            fixed_frame = _read_delimited_spare(
                copy, dataclasses.replace(head, encoding="utf-8"), skip_rows, spare
            )
        except InputError:
            if frame is None:
                raise
            # Without the "stray" line a quote is never closed: it closed a cell spanning lines
            # (whose lines hold delimiters) after all, and the file as written reads whole.
            return frame
    stray.extend(line + 1 for line in lines)
    return fixed_frame


def raw_lines(path: Path, numbers: list[int], encoding: str | None) -> list[tuple[int, str]]:
    """``(number, text)`` of the 1-based physical lines ``numbers`` of a text file, as written."""
    if not numbers:
        return []
    wanted = set(numbers)
    codec = "utf-8" if not encoding or encoding in _UTF8 else encoding
    found: dict[int, str] = {}
    with open(path, encoding=codec, errors="replace", newline="") as handle:
        for number, line in enumerate(handle, 1):
            if number in wanted:
                found[number] = line.rstrip("\r\n").lstrip("\ufeff")
                if len(found) == len(wanted):
                    break
    return [(n, found.get(n, "")) for n in numbers]


def _read_delimited_spare(path: Path, head: DelimitedHead, skip_rows: int, spare: int) -> pl.DataFrame:
    if not spare:
        return _read_delimited(path, head, skip_rows, None)
    import polars as pl

    width = len(head.rows[skip_rows]) if skip_rows < len(head.rows) else 1
    try:
        # The common case: no row is longer than the header, and one strict read proves it.
        return _read_delimited(path, head, skip_rows, width, strict=True)
    except pl.exceptions.ComputeError as exc:
        if "more fields" not in str(exc):
            raise
    while True:
        frame = _read_delimited(path, head, skip_rows, width + spare)
        if frame.height == 0 or frame.get_column(frame.columns[-1]).null_count() == frame.height:
            # At least one surplus column stays: it tells misfits() this file has long rows.
            return (
                frame.select(frame.columns[: max(width + 1, _last_used(frame) + 1)]) if frame.width else frame
            )
        spare *= 4  # a row filled every spare column: it may have more


def _last_used(frame: pl.DataFrame) -> int:
    """Index of the last column with any value (cheap: null counts are kept per column)."""
    used = [i for i, name in enumerate(frame.columns) if frame.get_column(name).null_count() < frame.height]
    return used[-1] if used else 0


def misfits(
    frame: pl.DataFrame,
    width: int,
    head: DelimitedHead,
    *,
    path: Path | None = None,
    skip_rows: int = 0,
) -> pl.Series:
    """Per row of ``frame`` (read with ``spare``), the row's fields joined again as the file
    wrote them when it has more fields than ``width`` (its header's); null for rows that fit.

    A row with something in the surplus columns is always one. With ``path`` the fields of
    every line are counted too (quotes respected), so a row shifted by one field is found
    even when its surplus field is empty, unless that is the file's usual width (writers that
    end every row with a delimiter); a file with line breaks inside quoted values is judged
    by the surplus columns alone.
    """
    import polars as pl

    delimiter = head.delimiter
    if frame.width <= width:
        return pl.repeat(None, frame.height, dtype=pl.String, eager=True).alias("raw")
    over = pl.any_horizontal(pl.col(c).is_not_null() for c in frame.columns[width:])
    counts = _field_counts(path, head, skip_rows, frame.height) if path is not None else None
    if counts is not None and len(counts) == frame.height:
        # Some writers end every row with one more (empty) field than the header (Thunderbird):
        # the usual count of the data rows is what a row must not exceed.
        usual = counts.slice(1).filter(counts.slice(1) > 1).mode().max() if len(counts) > 1 else None
        allowed = max(width, usual or width)
        over = over | (pl.lit(counts) > allowed)
    quoted = [
        pl.when(pl.col(c).str.contains(f'["\\n\\r{re.escape(delimiter)}]'))
        .then(pl.lit('"') + pl.col(c).str.replace_all('"', '""', literal=True) + pl.lit('"'))
        .otherwise(pl.col(c))
        .fill_null("")
        for c in frame.columns
    ]
    line = pl.concat_str(quoted, separator=delimiter).str.strip_chars_end(delimiter)
    return frame.select(pl.when(over).then(line).alias("raw")).to_series()


def _field_counts(path: Path, head: DelimitedHead, skip_rows: int, rows: int) -> pl.Series | None:
    """Fields per line from ``skip_rows`` on (quoted delimiters don't count); None when a quoted
    value spans lines (lines are then not records), when there are far more lines than the
    ``rows`` read (blank runs were collapsed), or the text can't be split this way."""
    import polars as pl

    data = _read_all(path)
    if data.count(b"\n") > rows + skip_rows + 1:
        return None
    codec = "utf-8" if head.encoding in _UTF8 else head.encoding
    try:
        text = _fix_newlines(_strip_bom(data).decode(codec))
    except (UnicodeDecodeError, LookupError):
        return None
    if text.endswith("\n"):
        text = text[:-1]
    lines = pl.Series("line", text.split("\n")).slice(skip_rows).str.strip_suffix("\r")
    if (lines.str.count_matches('"', literal=True) % 2 == 1).any():
        return None
    bare = lines.str.replace_all(r'"(?:[^"]|"")*"', "")
    return bare.str.count_matches(re.escape(head.delimiter)) + 1


def _read_delimited(
    path: Path, head: DelimitedHead, skip_rows: int, columns: int | None, *, strict: bool = False
) -> pl.DataFrame:
    import polars as pl

    kwargs = _csv_options(head, skip_rows)
    if columns:
        kwargs["schema"] = {f"column_{i}": pl.String for i in range(columns)}
        kwargs["missing_columns"] = "insert"
        kwargs["truncate_ragged_lines"] = not strict
        del kwargs["infer_schema"]
    if head.encoding in _UTF8 and not head.cr_newlines:
        try:
            return pl.read_csv(path, encoding="utf8", **kwargs)
        except pl.exceptions.ComputeError as exc:
            if strict and "more fields" in str(exc):
                raise  # read_delimited reads again with room for the surplus
            if "utf-8" not in str(exc).lower() and "utf8" not in str(exc).lower():
                raise InputError(
                    f"{path}: cannot be read as delimited text ({_parse_problem(path, exc)})"
                ) from None
            # Valid UTF-8 at the start, something else further down: decode the whole file.
    data = _read_all(path)
    encoding = textio.detect_encoding(data) if head.encoding in _UTF8 else head.encoding
    head.encoding = encoding
    codec = "utf-8" if encoding == "utf-8-sig" else encoding
    try:
        text = _strip_bom(data).decode(codec)
    except UnicodeDecodeError as exc:
        raise InputError(f"{path}: cannot be decoded as {encoding} at byte {exc.start}") from None
    del data
    text = _fix_newlines(text)
    try:
        return pl.read_csv(io.BytesIO(text.encode("utf-8")), **kwargs)
    except pl.exceptions.PolarsError as exc:
        if strict and "more fields" in str(exc):
            raise
        raise InputError(f"{path}: cannot be read as delimited text ({_parse_problem(path, exc)})") from None


#: First cell of the one line that stands for a run of blank lines (a private-use character
#: no export writes), followed by how many blank lines it replaces.
BLANK_RUN_MARK = "\ue000kith-blank-lines:"
#: A file with at least this many blank lines gets its runs collapsed before parsing.
BLANK_LINES_TO_COLLAPSE = 10_000
# One character class, not a repeated group: Python's re keeps no backtracking state per
# repetition then, so a 50 MB run of newlines is one cheap match.
_BLANK_RUN = re.compile(rb"\n[ \t\r\n]*\n")


def count_blank_lines(path: Path, limit: int = BLANK_LINES_TO_COLLAPSE) -> int:
    """Blank lines in ``path`` (``\\n\\n`` pairs, counted in C per 8 MB chunk), stopping at ``limit``."""
    found = 0
    tail = b""
    try:
        with open(path, "rb") as handle:
            while chunk := handle.read(8 * 1024 * 1024):
                data = tail + chunk
                found += data.count(b"\n\n") + data.count(b"\n\r\n")
                if found >= limit:
                    break
                tail = data[-1:]
    except OSError as exc:
        raise InputError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    return found


def collapse_blank_lines(data: bytes, start: int = 0) -> bytes:
    """Each run of two or more blank lines after byte ``start`` and outside quoted fields becomes one
    line :data:`BLANK_RUN_MARK` ``<count>``, so a header, one row and a million newlines parse as
    three rows instead of a million all-null ones (see :func:`drop_blank_runs`).

    Works on any ASCII-compatible bytes (UTF-8, Windows-1252): only ``\\n``, ``\\r``, space, tab
    and ``"`` are looked at. Quote parity is counted in C between runs, so a blank line inside
    a quoted note stays where it is.
    """
    parts: list[bytes] = []
    inside = data.count(b'"', 0, start) % 2 == 1
    last = kept = start
    for match in _BLANK_RUN.finditer(data, start):
        inside ^= data.count(b'"', last, match.start()) % 2 == 1
        last = match.end()
        blank = data.count(b"\n", match.start(), match.end()) - 1
        if inside or blank < 2:
            continue
        parts.append(data[kept : match.start()])
        parts.append(b"\n" + BLANK_RUN_MARK.encode() + str(blank).encode() + b"\n")
        kept = match.end()
    if not parts:
        return data
    return data[:start] + b"".join(parts) + data[kept:]


def drop_blank_runs(frame: pl.DataFrame, column: str = "_record") -> pl.DataFrame:
    """``frame`` without the marker rows of :func:`collapse_blank_lines`, with ``column`` holding each
    row's record number in the file as it was (0 for the frame's first row)."""
    import polars as pl

    first = pl.col(frame.columns[0])
    marker = first.str.starts_with(BLANK_RUN_MARK).fill_null(False)
    span = (
        pl.when(marker).then(first.str.slice(len(BLANK_RUN_MARK)).cast(pl.Int64, strict=False)).otherwise(1)
    )
    numbered = frame.with_columns(
        span.fill_null(1).cum_sum().shift(1, fill_value=0).alias(column), marker.alias("__marker")
    )
    return numbered.filter(~pl.col("__marker")).drop("__marker")


#: Reason given for a line whose stray quote would have folded the following rows into it.
STRAY_QUOTE = (
    "a quote opens a field here that runs over the next lines, which look like whole rows "
    "(a stray quote?); this line was not imported so the rows after it are kept apart"
)


def blank_stray_quotes(data: bytes, delimiter: str, width: int, start: int = 0) -> tuple[bytes, list[int]]:
    """Find lines whose quote opens a field that swallows whole rows, and blank them.

    A CSV field may span lines (a note), but when the lines it would swallow each hold at
    least half a row's delimiters they are rows, and the opening quote is a stray one (one
    ``"`` before a company name folded 40 rows into a single cell). Each such opening line
    is emptied, so the parser reads the rows after it as rows; the caller reports it.

    Vectorized: quote and delimiter counts per line in polars, parity by a cumulative sum;
    one stray quote per round (each round changes the parity of every later line).

    :param start: byte offset where rows begin (after the header); nothing before is looked at.
    :return: the data (unchanged when nothing was found) and the 0-based line numbers
        (counted from the start of ``data``) that were blanked.
    """
    import polars as pl

    if data.find(b'"', start) < 0:
        return data, []
    try:
        body = data[start:].decode("utf-8")
    except UnicodeDecodeError:
        return data, []
    first_line = data.count(b"\n", 0, start)
    lines = pl.Series("line", [body]).str.split("\n").explode()
    threshold = max(2, (width - 1) // 2)
    blanked: list[int] = []
    for _ in range(100):  # each round settles one stray quote; 100 is far past real files
        line = pl.col("line")
        q = line.str.count_matches('"', literal=True)
        # Inside the open field is the whole line, or only what comes before the quote that closes
        # it: a note's last line ends its row with the row's remaining delimiters (and may open
        # the next cell's note).
        inside = pl.when(q > 0).then(line.str.split('"').list.first()).otherwise(line)
        frame = pl.DataFrame(lines).select(
            q.alias("q"), inside.str.count_matches(delimiter, literal=True).alias("d")
        )
        quotes = frame["q"]
        before = (quotes.cum_sum() - quotes) % 2
        index = pl.int_range(len(lines), eager=True)
        opener = pl.select(
            pl.when(pl.lit((before == 0) & (quotes % 2 == 1))).then(pl.lit(index)).forward_fill()
        )[:, 0]
        suspicious = (before == 1) & (frame["d"] >= threshold)
        bad = opener.filter(suspicious).drop_nulls()
        if bad.len() == 0:
            break
        # Only the first: once it is gone, the parity of every later line changes.
        first = int(bad.min())
        blanked.append(first)
        lines = lines.scatter([first], "")
    if not blanked:
        return data, []
    fixed = lines.str.join("\n").item().encode("utf-8")
    return data[:start] + fixed, sorted(first_line + i for i in set(blanked))


def records_in(frame: pl.DataFrame) -> int:
    """How many records ``frame`` stands for, each collapsed run of blank lines counted in full."""
    import polars as pl

    if not frame.width:
        return frame.height
    first = pl.col(frame.columns[0])
    marker = first.str.starts_with(BLANK_RUN_MARK).fill_null(False)
    count = first.str.slice(len(BLANK_RUN_MARK)).cast(pl.Int64, strict=False).fill_null(1)
    return frame.height + int(frame.select(pl.when(marker).then(count - 1).otherwise(0).sum()).item())


def header_end(data: bytes, records: int, delimiter: str = ",") -> int:
    """Byte offset just after the first ``records`` records of UTF-8 ``data`` (quote-aware, looks
    at the first :data:`SNIFF_BYTES` only; 0 when they do not end there)."""
    text = data[:SNIFF_BYTES].decode("utf-8", errors="ignore")
    consumed = 0

    def lines():
        nonlocal consumed
        for line in io.StringIO(text, newline=""):
            consumed += len(line)
            yield line

    reader = csv.reader(lines(), delimiter=delimiter)
    try:
        for _ in range(records):
            next(reader)
    except (StopIteration, csv.Error):
        return 0
    return len(text[:consumed].encode("utf-8"))


def read_delimited_records(
    path: Path,
    head: DelimitedHead,
    *,
    skip_rows: int = 0,
    column: str = "_record",
    stray: list[int] | None = None,
    spare: int = 0,
) -> pl.DataFrame:
    """:func:`read_delimited` that stays small on files padded with millions of blank lines,
    and that keeps rows apart when a stray quote would fold them into one cell.

    Frame rows are the non-blank records (runs of blank lines after the header are collapsed
    before polars sees them, so they cost nothing), and ``column`` holds each row's record
    number counted from record ``skip_rows`` (the header is 0), blank lines included, so
    places still match what a spreadsheet shows.

    :param stray: when given, a cell spanning lines makes the file be checked for stray
        quotes (:func:`blank_stray_quotes`); the 1-based line numbers of the lines left out
        are appended here for the caller to report as rejects.
    :param spare: as for :func:`read_delimited` (rows longer than the header kept whole).
    """
    import polars as pl

    def numbered(frame: pl.DataFrame) -> pl.DataFrame:
        return frame.with_columns(pl.int_range(pl.len(), dtype=pl.Int64).alias(column))

    if head.cr_newlines or count_blank_lines(path) < BLANK_LINES_TO_COLLAPSE:
        try:
            frame = read_delimited(path, head, skip_rows=skip_rows, spare=spare)
        except InputError:
            if stray is None or head.cr_newlines:
                raise
            frame = None  # polars chokes on an odd quote mid-file: look for a stray one below
        if frame is not None and (
            stray is None
            or head.cr_newlines
            or _one_line_each(path, head, skip_rows, frame.height)
            or not _spans_lines(frame)
        ):
            return numbered(frame)
    data = _read_all(path)
    if head.encoding not in _UTF8:
        codec = head.encoding
        try:
            data = _strip_bom(data).decode(codec).encode("utf-8")
        except UnicodeDecodeError as exc:
            raise InputError(f"{path}: cannot be decoded as {codec} at byte {exc.start}") from None
    else:
        data = _strip_bom(data)
    start = header_end(data, skip_rows + 1, head.delimiter)
    if start == 0 and skip_rows:
        del data
        return numbered(read_delimited(path, head, skip_rows=skip_rows))
    if stray is not None:
        width = len(head.rows[skip_rows]) if skip_rows < len(head.rows) else 0
        data, lines = blank_stray_quotes(data, head.delimiter, width, start)
        stray.extend(line + 1 for line in lines)
    data = collapse_blank_lines(data, start)
    options = _csv_options(head, skip_rows)
    if spare:  # rows longer than the header keep their surplus here too (misfits() finds them)
        width = len(head.rows[skip_rows]) if skip_rows < len(head.rows) else 1
        options["schema"] = {f"column_{i}": pl.String for i in range(width + spare)}
        options["missing_columns"] = "insert"
        del options["infer_schema"]
    try:
        frame = pl.read_csv(io.BytesIO(data), **options)
        if spare:  # surplus columns nobody filled say nothing: drop them (misfits() then costs nothing)
            width = len(head.rows[skip_rows]) if skip_rows < len(head.rows) else 1
            frame = frame.select(frame.columns[: max(width, _last_used(frame) + 1)])
    except pl.exceptions.PolarsError as exc:
        raise InputError(f"{path}: cannot be read as delimited text ({_parse_problem(path, exc)})") from None
    return drop_blank_runs(frame, column)


def _one_line_each(path: Path, head: DelimitedHead, skip_rows: int, rows: int) -> bool:
    """Is every row read from record ``skip_rows`` on one physical line of a UTF-8 file? Then no
    cell holds a line break. Counting newlines in C per 8 MB chunk proves it without a regex
    over every cell: blank lines are rows too, so a cell spanning lines leaves fewer rows than lines.
    """
    if head.encoding not in _UTF8:
        return False
    newlines, last = 0, b""
    try:
        with open(path, "rb") as handle:
            while chunk := handle.read(8 * 1024 * 1024):
                newlines += chunk.count(b"\n")
                last = chunk[-1:]
    except OSError:
        return False
    lines = newlines + (1 if last and last != b"\n" else 0)
    return lines == skip_rows + rows


def _spans_lines(frame: pl.DataFrame) -> bool:
    """Does any cell hold a line break (a note, or rows folded by a stray quote)?"""
    import polars as pl

    texts = [name for name, dtype in frame.schema.items() if dtype == pl.String]
    if not texts or not frame.height:
        return False
    found = frame.select(pl.any_horizontal(pl.col(texts).str.contains("\n", literal=True)).any()).item()
    return bool(found)


def _csv_options(head: DelimitedHead, skip_rows: int) -> dict:
    return {
        "has_header": False,
        "separator": head.delimiter,
        "infer_schema": False,
        "skip_rows": skip_rows,
        "truncate_ragged_lines": True,
        "quote_char": '"',
        "raise_if_empty": False,
    }


def _read_all(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise InputError(f"{path}: cannot be read ({exc.strerror or exc})") from None


def _parse_problem(path: Path, exc: BaseException) -> str:
    """What polars choked on, without the record it quotes (error messages never show records)."""
    text = _first_line(exc)
    if "could not parse" not in text:
        return text[:200]
    line = _unclosed_quote_line(path)
    if line is not None:
        return f"a quoted field opened on line {line:,} is never closed"
    return "a record could not be parsed (unbalanced quotes?)"


def _unclosed_quote_line(path: Path) -> int | None:
    """The line where a quote opens that never closes, by counting quotes line by line (error path only)."""
    try:
        with open(path, "rb") as handle:
            open_at, number = None, 0
            for number, line in enumerate(handle, 1):
                if line.count(b'"') % 2:
                    open_at = number if open_at is None else None
    except OSError:
        return None
    return open_at


def _first_line(exc: BaseException) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


@dataclass
class Sheet:
    """One worksheet: its name and its cells (frame row ``i`` is spreadsheet row ``i + 1``)."""

    name: str
    frame: pl.DataFrame


def read_workbook(path: Path) -> list[Sheet]:
    """Every sheet of an xlsx/xlsm/xls/ods workbook, in workbook order, all cells as strings.

    Dates come back as ISO text (``1987-05-01 00:00:00`` for a date cell), numbers as their
    shortest text (``2009``, ``2010.5``). Raises InputError when the file is not a workbook.
    """
    import polars as pl

    check_workbook(path)  # calamine aborts the process on some hostile workbooks: check first
    try:
        sheets = pl.read_excel(
            path,
            sheet_id=0,
            engine="calamine",
            has_header=False,
            drop_empty_rows=False,
            drop_empty_cols=False,
            raise_if_empty=False,
            # skip_rows=0: calamine would otherwise drop leading blank rows and the row
            # numbers we report would no longer match the spreadsheet.
            read_options={"dtypes": "string", "skip_rows": 0},
        )
    except FileNotFoundError:
        raise InputError(f"{path}: file not found") from None
    except Exception as exc:  # fastexcel raises its own types for corrupt or foreign files
        raise InputError(f"{path}: cannot be read as a spreadsheet ({_first_line(exc)})") from None
    out = []
    for name, frame in sheets.items():
        if frame.width and any(dtype != pl.String for dtype in frame.dtypes):
            frame = frame.with_columns(pl.all().cast(pl.String))
        out.append(Sheet(name, frame))
    return out


def head_rows(frame: pl.DataFrame, n: int = HEAD_ROWS) -> list[list[str | None]]:
    """The first ``n`` rows of a grid frame as lists of cells, for header finding."""
    return [list(row) for row in frame.head(n).iter_rows()]


# ---------------------------------------------------------------------------
# Whole-column building blocks for turning a mapped grid into raw canonical columns.


def blank_to_null(frame: pl.DataFrame) -> pl.DataFrame:
    """Every empty or whitespace-only cell becomes null (one vectorized pass)."""
    import polars as pl

    return frame.with_columns(
        pl.when(pl.col(pl.String).str.strip_chars() != "").then(pl.col(pl.String)).name.keep()
    )


#: Joins values inside one cell while lists are built; never found in contact data.
_UNIT = "\x1f"


def list_of(exprs: list[pl.Expr], *, split: str | None = None) -> pl.Expr:
    """One list column from several text columns, nulls dropped, order kept; null when all are null.

    :param split: also split each cell on this separator (Google's ``" ::: "``).

    Built as one joined string split once: much faster over a million rows than
    ``concat_list`` of single-element lists.
    """
    import polars as pl

    if split:
        exprs = [e.str.replace_all(split, _UNIT, literal=True) for e in exprs]
    text = exprs[0] if len(exprs) == 1 else pl.concat_str(exprs, separator=_UNIT, ignore_nulls=True)
    return pl.when(text != "").then(text.str.split(_UNIT))


def via_uniques(
    frame: pl.DataFrame, column: str, fn, *, dtype: pl.DataType | None = None, limit: int = 100_000
) -> pl.Expr:
    """``fn(pl.col(column))`` computed once per distinct value and mapped back onto the column.

    For low-cardinality columns (class years, flags, "City, ST") this turns a regex pass
    over a million rows into one over a few hundred values and a hash lookup. Above
    ``limit`` distinct values it simply returns ``fn(pl.col(column))``.
    """
    import polars as pl

    values = frame.get_column(column).drop_nulls().unique()
    if values.len() > limit:
        return fn(pl.col(column))
    mapped = pl.DataFrame({"v": values}).select(fn(pl.col("v")).alias("m")).get_column("m")
    dtype = dtype or mapped.dtype
    return pl.col(column).replace_strict(values, mapped, default=None, return_dtype=dtype)


def joined(exprs: list[pl.Expr], separator: str = ", ") -> pl.Expr:
    """Several text columns joined with ``separator`` (nulls skipped); null when all are null."""
    import polars as pl

    if len(exprs) == 1:
        return exprs[0]
    text = pl.concat_str(exprs, separator=separator, ignore_nulls=True)
    return pl.when(text != "").then(text)


def unique_keys(names: list[str]) -> list[str]:
    """``names`` with repeats made unique (``Phone``, ``Phone (2)``) for use as JSON keys."""
    seen: dict[str, int] = {}
    out = []
    for name in names:
        count = seen.get(name, 0) + 1
        seen[name] = count
        out.append(name if count == 1 else f"{name} ({count})")
    return out


def sniff_rows(path: Path, head: bytes, limit: int = 10) -> list[list[str]]:
    """The first ``limit`` records of a delimited file from its head bytes, for ``sniff``.

    Empty when the head is not delimited text (binary, a workbook, undecodable); never raises.
    """
    try:
        rows = sniff_delimited(path, head).rows
    except (InputError, UnicodeError, LookupError, csv.Error):
        return []
    return rows[:limit]


def is_workbook(path: Path, head: bytes) -> bool:
    """True when ``path`` is named like a workbook and its first bytes agree (zip or OLE2)."""
    if path.suffix.lower() not in WORKBOOK_SUFFIXES:
        return False
    return head.startswith(b"PK\x03\x04") or head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1")


def workbook_head_texts(path: Path, limit: int = 64 * 1024) -> list[str]:
    """The first text cells of an xlsx/xlsm workbook, read from at most ``limit`` bytes.

    For sniffing without loading a sheet: a workbook's shared strings are stored in order
    of first appearance, so titles and header names come first; a workbook with inline
    strings has them in its first worksheet instead. Empty for anything else (an ``.xls``,
    an ``.ods``, a damaged file): the caller then knows nothing and should say so.
    """
    import html
    import re
    import zipfile
    import zlib

    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
            part = "xl/sharedStrings.xml" if "xl/sharedStrings.xml" in names else None
            if part is None:
                sheets = sorted(
                    n for n in names if n.startswith("xl/worksheets/sheet") and n.endswith(".xml")
                )
                part = sheets[0] if sheets else None
            if part is None:
                return []
            with archive.open(part) as stream:
                chunk = stream.read(limit).decode("utf-8", errors="ignore")
    except (OSError, zipfile.BadZipFile, KeyError, RuntimeError, zlib.error, EOFError):
        return []
    return [html.unescape(text) for text in re.findall(r"<t(?:\s[^>]*)?>([^<]*)</t>", chunk)]
