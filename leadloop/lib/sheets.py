"""Writing tables people open in a spreadsheet: CSV streamed, XLSX in constant memory.

A cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage return is
a formula to Excel, LibreOffice and Google Sheets, and a lead's company
name comes from a web form anyone can fill in ("=HYPERLINK(...)"). In CSV
such text is written behind an apostrophe, which spreadsheets show as text
and the import strips again (`unneutral`); in XLSX every text is written as
a string cell, which no spreadsheet evaluates.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import IO, Any

import xlsxwriter

FORMULA_START = frozenset("=+-@\t\r")
# Lines per chunk a streamed CSV yields: big enough to keep the overhead
# per chunk small, small enough that the first bytes leave at once.
_CHUNK_LINES = 2000


def neutral(text: str) -> str:
    """Text a spreadsheet shows as text, never runs (CSV)."""
    if text and text[0] in FORMULA_START:
        return "'" + text
    return text


def unneutral(text: str) -> str:
    """The text `neutral` was given: what an import reads back from an exported CSV."""
    if len(text) > 1 and text[0] == "'" and text[1] in FORMULA_START:
        return text[1:]
    return text


def cell(value: Any) -> Any:
    """One value as CSV text: formula-like text neutralised, times in ISO UTC, empty None."""
    if value is None:
        return ""
    if isinstance(value, str):
        return neutral(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime | date):
        return value.isoformat().replace("+00:00", "Z")
    return value


def csv_lines(
    header: Sequence[str], rows: Iterable[Sequence[Any]], *, ready: bool = False
) -> Iterator[str]:
    """The table as CSV text, a chunk of lines at a time (for a streamed response or a file).

    `ready`: the rows' cells are CSV text already (see `leads.export`), so
    they are written as they are.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([neutral(h) for h in header])
    chunk: list[Sequence[Any]] = []
    for row in rows:
        chunk.append(row if ready else [cell(v) for v in row])
        if len(chunk) >= _CHUNK_LINES:
            writer.writerows(chunk)
            chunk.clear()
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    if chunk:
        writer.writerows(chunk)
    if buffer.tell():
        yield buffer.getvalue()


def write_csv(
    out: IO[bytes], header: Sequence[str], rows: Iterable[Sequence[Any]], *, ready: bool = False
) -> int:
    """CSV in UTF-8 with a byte order mark (so Excel reads accents right); the rows written."""
    out.write("\ufeff".encode())
    count = [0]

    def counted() -> Iterator[Sequence[Any]]:
        for row in rows:
            count[0] += 1
            yield row

    for chunk in csv_lines(header, counted(), ready=ready):
        out.write(chunk.encode())
    return count[0]


def write_xlsx(out: IO[bytes] | str, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
    """An XLSX file written row by row (xlsxwriter's constant-memory mode); the rows written.

    Text is always a string cell (never a formula, never a guessed number),
    times are ISO text in UTC like the CSV, numbers are numbers.
    """
    book = xlsxwriter.Workbook(
        out,
        {
            "constant_memory": True,
            "strings_to_formulas": False,
            "strings_to_numbers": False,
            "strings_to_urls": False,
            "in_memory": False,
        },
    )
    sheet = book.add_worksheet("Leads")
    bold = book.add_format({"bold": True})
    for col, name in enumerate(header):
        sheet.write_string(0, col, name, bold)
    count = 0
    for r, row in enumerate(rows, start=1):
        for col, value in enumerate(row):
            if value is None or value == "":
                continue
            if isinstance(value, bool):
                sheet.write_boolean(r, col, value)
            elif isinstance(value, int | float | Decimal):
                sheet.write_number(r, col, float(value))
            elif isinstance(value, datetime | date):
                sheet.write_string(r, col, value.isoformat().replace("+00:00", "Z"))
            else:
                sheet.write_string(r, col, str(value))
        count = r
    sheet.freeze_panes(1, 0)
    book.close()
    return count
