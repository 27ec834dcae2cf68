"""Open a lead file (CSV or spreadsheet) and stream its rows as text cells with line numbers.

Everything a user can get wrong about the file itself (empty, no header,
not text, a sheet that is not there, a damaged or locked workbook) is a
ReadError raised by `open_table`, before the first row is handed out, so
nothing has been written when it happens. CSV is decoded as a stream: a
file larger than memory reads in constant memory. Spreadsheets are read by
python-calamine, which holds one sheet in memory (an XLSX sheet has at most
about a million rows).
"""

from __future__ import annotations

import csv
import io
import itertools
import re
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path

import python_calamine as calamine

from leadloop.imports import sniff
from leadloop.imports.sniff import ReadError
from leadloop.imports.values import parse_moment, parse_number

__all__ = ["ReadError", "ReadStats", "Table", "open_table"]

# A notes field of several megabytes is still a field; the csv module's default
# limit (128 KiB) would stop the import at it.
FIELD_SIZE_LIMIT = 10 * 1024 * 1024
# A quoted field that runs on for this many lines has lost its closing quote.
MAX_RECORD_LINES = 1000
# Title lines above the header ("Leads report", "Generated 14.03.2024") are
# looked for among this many first rows.
HEADER_SEARCH_ROWS = 10
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_PHONE = re.compile(r"\+?[\d\s().\-/]{7,}")

Rows = Iterator[tuple[int, list[str]]]


@dataclass
class ReadStats:
    """What reading saw besides the rows, for the import's summary."""

    rows: int = 0
    # Rows with non-empty cells past the header's last column (their cells are cut).
    overflow_rows: int = 0
    first_overflow_line: int | None = None


@dataclass
class Table:
    """An open lead file: its column names and its rows, read as they are iterated.

    `rows` yields (line, cells): the CSV line a record starts on (the header
    is line 1 in a file that starts with it) or the sheet's row number; the
    cells are stripped text, as many as the header has names. Fully blank
    rows are skipped. The rows can be iterated once, inside `open_table`.
    """

    header: list[str]
    rows: Rows
    format: str
    header_line: int
    encoding: str | None = None
    delimiter: str | None = None
    sheet: str | None = None
    sheets: list[str] = field(default_factory=list)
    stats: ReadStats = field(default_factory=ReadStats)
    # How much of the file the rows read so far cover, 0..1 (the import's progress bar).
    progress: Callable[[], float] = lambda: 0.0


@contextmanager
def open_table(path: str | Path, *, sheet: str | None = None) -> Iterator[Table]:
    """Open a CSV or spreadsheet file as a Table; ReadError says what is wrong with it.

    `sheet` picks a spreadsheet's sheet by name (default: the first visible
    one); it is ignored for CSV files.
    """
    path = Path(path)
    try:
        with path.open("rb") as handle:
            head = handle.read(8)
    except OSError as exc:
        raise ReadError(f"The file cannot be opened ({exc.strerror or exc}).") from exc
    if not head:
        raise ReadError("The file is empty: export the leads again and upload that file.")
    kind = sniff.detect_format(path, head)
    with ExitStack() as stack:
        if kind == "csv":
            table = _open_csv(path, stack)
        else:
            table = _open_workbook(path, kind, sheet, stack)
        yield table


def _open_csv(path: Path, stack: ExitStack) -> Table:
    handle = stack.enter_context(path.open("rb"))
    sample = handle.read(sniff.SAMPLE_BYTES)
    if not sample.strip(b" \t\r\n\x00\xef\xbb\xbf\xff\xfe"):
        raise ReadError("The file is empty: export the leads again and upload that file.")
    codec, encoding = sniff.detect_encoding(sample)
    text = sniff.decode_sample(sample, codec)
    if not text.strip():
        raise ReadError("The file is empty: export the leads again and upload that file.")
    handle.seek(0)
    # The codecs chosen for a byte-order mark (utf-8-sig, utf-16, utf-32) drop it themselves.
    stream = io.TextIOWrapper(handle, encoding=codec, errors=sniff.FALLBACK_ERRORS, newline="")
    stack.enter_context(stream)
    delimiter = sniff.excel_separator(text.lstrip("\ufeff"))
    skipped = 0
    if delimiter:
        stream.readline()  # Excel's 'sep=;' line is not a row
        skipped = 1
    else:
        delimiter = sniff.sniff_delimiter(text, truncated=len(sample) == sniff.SAMPLE_BYTES)
    if csv.field_size_limit() < FIELD_SIZE_LIMIT:
        csv.field_size_limit(FIELD_SIZE_LIMIT)
    records = _csv_records(stream, delimiter, skipped)
    size = max(path.stat().st_size, 1)
    return _table(
        records,
        Table(
            header=[],
            rows=iter(()),
            format="csv",
            header_line=0,
            encoding=encoding,
            delimiter=delimiter,
            # The bytes the decoder has taken from the file (it reads ahead a little).
            progress=lambda: min(handle.tell() / size, 1.0),
        ),
    )


def _csv_records(stream: io.TextIOWrapper, delimiter: str, skipped: int) -> Rows:
    """Non-blank records with the physical line each starts on."""
    reader = csv.reader(stream, delimiter=delimiter)
    end = 0
    try:
        for record in reader:
            start, end = end + 1, reader.line_num
            if end - start >= MAX_RECORD_LINES:
                raise ReadError(
                    f"Line {start + skipped}: a quoted field runs over {MAX_RECORD_LINES} lines; "
                    'a closing quote (") is probably missing. Fix that line and upload again.'
                )
            cells = [cell.strip() for cell in record]
            if any(cells):
                yield start + skipped, cells
    except csv.Error as exc:
        raise ReadError(
            f"Line {end + 1 + skipped}: {exc}. Fix that line (or export the file again) "
            "and upload it again."
        ) from exc


def _open_workbook(path: Path, kind: str, sheet: str | None, stack: ExitStack) -> Table:
    try:
        book = calamine.CalamineWorkbook.from_path(str(path))
    except calamine.PasswordError as exc:
        raise ReadError(
            "The spreadsheet is password-protected: save a copy without a password and upload that."
        ) from exc
    except Exception as exc:  # calamine raises its own errors and plain ones for bad files
        raise ReadError(
            f"The file cannot be read as a spreadsheet ({kind.upper()}): it is damaged or "
            "encrypted. Open it in your spreadsheet program, save it again without a "
            "password, or export it as CSV, and upload that."
        ) from exc
    stack.callback(book.close)
    names = list(book.sheet_names)
    if sheet is None:
        visible = [
            meta.name
            for meta in book.sheets_metadata
            if meta.visible == calamine.SheetVisibleEnum.Visible
        ]
        chosen = (visible or names or [""])[0]
    else:
        chosen = next(
            (n for n in names if n == sheet),
            next((n for n in names if n.casefold() == sheet.strip().casefold()), ""),
        )
        if not chosen:
            listed = ", ".join(f"'{n}'" for n in names)
            raise ReadError(f"The workbook has no sheet '{sheet}'. Its sheets are: {listed}.")
    try:
        worksheet = book.get_sheet_by_name(chosen)
    except Exception as exc:
        raise ReadError(
            f"The sheet '{chosen}' cannot be read: the file is damaged. Open it in your "
            "spreadsheet program, save it again, and upload that."
        ) from exc
    if worksheet.start is None:
        raise ReadError(f"The sheet '{chosen}' is empty: choose the sheet that has the leads.")
    seen = [0]
    records = _sheet_records(worksheet, seen)
    height = max(worksheet.height, 1)
    return _table(
        records,
        Table(
            header=[],
            rows=iter(()),
            format=kind,
            header_line=0,
            sheet=chosen,
            sheets=names,
            progress=lambda: min(seen[0] / height, 1.0),
        ),
    )


def _cell_text(value: object) -> str:
    """A spreadsheet cell as the text a CSV export of it would hold."""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        # Excel shows 15 significant digits; 0.1 + 0.2 is 0.3 there, and here.
        return str(int(value)) if value.is_integer() else f"{value:.15g}"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, timedelta):
        return str(value)
    return "" if value is None else str(value).strip()


def _sheet_records(worksheet: calamine.CalamineSheet, seen: list[int]) -> Rows:
    """Non-blank rows with their sheet row numbers; `seen[0]` counts the rows read."""
    start_row = worksheet.start[0] if worksheet.start else 0
    rows = worksheet.iter_rows()
    first = next(rows, None)
    if first is None:
        return
    # python-calamine 0.9 yields rows from the top of the sheet (row 1) even when
    # the data starts lower; should it yield from the first row with data instead,
    # that row is never empty, which tells the two apart.
    offset = 1 if start_row and not any(v != "" for v in first) else start_row + 1
    for index, row in enumerate(itertools.chain([first], rows)):
        seen[0] = index + 1
        cells = [_cell_text(value) for value in row]
        if any(cells):
            yield index + offset, cells


def _table(records: Rows, table: Table) -> Table:
    """Find the header among the first rows, check it, and hand the rest out as `table.rows`."""
    peeked = list(itertools.islice(records, HEADER_SEARCH_ROWS))
    if not peeked:
        raise ReadError("The file is empty: export the leads again and upload that file.")
    filled = [sum(1 for cell in cells if cell) for _, cells in peeked]
    at = 0
    if max(filled) >= 3:
        while filled[at] <= 1:  # a title line above the header
            at += 1
    header_line, header_cells = peeked[at]
    _check_header(header_line, header_cells)
    rest = itertools.chain(peeked[at + 1 :], records)
    first = next(rest, None)
    if first is None:
        raise ReadError(
            f"The file has column names (line {header_line}) but no rows of leads below them."
        )
    table.header = unique_header(header_cells)
    table.header_line = header_line
    table.rows = _fit(itertools.chain([first], rest), len(table.header), table.stats)
    return table


def _fit(records: Rows, width: int, stats: ReadStats) -> Rows:
    """Each row as exactly `width` cells: short rows padded, cells past the header cut."""
    pad = [""] * width
    for line, cells in records:
        stats.rows += 1
        size = len(cells)
        if size < width:
            cells.extend(pad[: width - size])
        elif size > width:
            if any(cells[width:]):
                stats.overflow_rows += 1
                if stats.first_overflow_line is None:
                    stats.first_overflow_line = line
            del cells[width:]
        yield line, cells


def _looks_like_data(cell: str) -> bool:
    if _EMAIL.fullmatch(cell) or _PHONE.fullmatch(cell):
        return True
    for parse in (parse_number, parse_moment):
        try:
            parse(cell)
        except ValueError:
            continue
        return True
    return False


def _check_header(line: int, cells: list[str]) -> None:
    names = [cell for cell in cells if cell]
    email = next((cell for cell in names if _EMAIL.fullmatch(cell)), None)
    if email or all(_looks_like_data(cell) for cell in names):
        example = email or names[0]
        raise ReadError(
            f"The first row (line {line}) looks like data, not column names (e.g. "
            f"'{example[:60]}'). Add a row naming the columns (Email, First Name, "
            "Company, ...) above the data and upload it again."
        )


def unique_header(cells: list[str]) -> list[str]:
    """Column names that are all different and readable: 'Email', 'Email (2)', 'Column 7'."""
    seen: set[str] = set()
    header: list[str] = []
    for position, cell in enumerate(cells, start=1):
        base = cell.strip().lstrip("\ufeff") or f"Column {position}"
        name, count = base, 1
        while name.casefold() in seen:
            count += 1
            name = f"{base} ({count})"
        seen.add(name.casefold())
        header.append(name)
    return header
