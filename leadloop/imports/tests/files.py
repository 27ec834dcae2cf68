"""Real lead files for the tests, written the way the programs that make them write them."""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import date, datetime
from pathlib import Path
from typing import Any

import xlsxwriter


def write_csv(
    path: Path,
    rows: list[list[str]],
    *,
    encoding: str = "utf-8",
    delimiter: str = ",",
    newline: str = "\r\n",
) -> Path:
    """Rows as CSV text (quoting as the csv module does) in `encoding`; utf-16 gets a BOM."""
    text = io.StringIO()
    csv.writer(text, delimiter=delimiter, lineterminator=newline).writerows(rows)
    data = text.getvalue()
    if encoding in ("utf-16-le", "utf-16-be"):
        bom = "\ufeff".encode(encoding)
        path.write_bytes(bom + data.encode(encoding))
    else:
        path.write_bytes(data.encode(encoding))
    return path


def write_xlsx(path: Path, sheets: dict[str, list[list[Any]]]) -> Path:
    """A workbook with one sheet per entry; datetimes become real date cells."""
    book = xlsxwriter.Workbook(str(path))
    stamp = book.add_format({"num_format": "yyyy-mm-dd hh:mm"})
    day = book.add_format({"num_format": "dd.mm.yyyy"})
    for name, rows in sheets.items():
        sheet = book.add_worksheet(name)
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                if isinstance(value, datetime):
                    sheet.write_datetime(r, c, value, stamp)
                elif isinstance(value, date):
                    sheet.write_datetime(r, c, datetime(value.year, value.month, value.day), day)
                elif value is None:
                    continue
                else:
                    sheet.write(r, c, value)
    book.close()
    return path


def write_ods(path: Path, rows: list[list[str]]) -> Path:
    """A minimal OpenDocument spreadsheet (what LibreOffice saves, without the styles)."""
    cells = "".join(
        "<table:table-row>"
        + "".join(
            f'<table:table-cell office:value-type="string"><text:p>{value}</text:p>'
            "</table:table-cell>"
            for value in row
        )
        + "</table:table-row>"
        for row in rows
    )
    content = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"'
        ' xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0"'
        ' xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">'
        '<office:body><office:spreadsheet><table:table table:name="Leads">'
        f"{cells}</table:table></office:spreadsheet></office:body></office:document-content>"
    )
    manifest = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"'
        ' manifest:version="1.2">'
        '<manifest:file-entry manifest:full-path="/" manifest:version="1.2"'
        ' manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
        '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
        "</manifest:manifest>"
    )
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(
            zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.spreadsheet"
        )
        archive.writestr("content.xml", content)
        archive.writestr("META-INF/manifest.xml", manifest)
    return path
