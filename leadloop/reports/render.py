"""A report as text for people (page cells, the command line's table), as CSV and as JSON."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from leadloop.reports.result import Cell, Column, Report, Row, Table


def fmt(value: Any, kind: str) -> str:
    """A value as people read it; "—" where there is nothing (e.g. a share of zero)."""
    if value is None or value == "":
        return "—"
    if kind == "text" or isinstance(value, str):
        return str(value)
    number = float(value)
    if kind == "int":
        return f"{int(number):,}"
    if kind == "pct":
        return f"{number * 100:.1f} %"
    if kind == "money":
        return f"{number:,.2f}"
    if kind == "hours":
        return f"{number:.1f} h"
    return f"{number:,.2f}"


def raw(value: Any) -> Any:
    """A value for CSV and JSON: numbers stay numbers (Decimal as float), None as null."""
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, float):
        return round(value, 6)
    return value


def table_rows(table: Table) -> list[Row]:
    return [*table.rows, *([table.total] if table.total else [])]


def csv_text(table: Table) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([c.label for c in table.columns])
    for row in table_rows(table):
        writer.writerow(
            [
                "" if (v := raw(row.get(c.key, Cell(None)).value)) is None else v
                for c in table.columns
            ]
        )
    return out.getvalue()


def cell_json(cell: Cell) -> dict[str, Any]:
    out: dict[str, Any] = {"value": raw(cell.value), "leads": cell.url}
    if cell.tone:
        out["tone"] = cell.tone
    if cell.note:
        out["note"] = cell.note
    return out


def column_json(column: Column) -> dict[str, str]:
    return {"key": column.key, "label": column.label, "kind": column.kind, "help": column.help}


def table_json(table: Table) -> dict[str, Any]:
    return {
        "key": table.key,
        "title": table.title,
        "note": table.note,
        "columns": [column_json(c) for c in table.columns],
        "rows": [{k: cell_json(v) for k, v in row.items()} for row in table.rows],
        "total": {k: cell_json(v) for k, v in table.total.items()} if table.total else None,
    }


def report_json(report: Report) -> dict[str, Any]:
    return {
        "name": report.name,
        "title": report.title,
        "description": report.description,
        "now": report.now.isoformat(),
        "date_from": report.date_from.isoformat() if report.date_from else None,
        "date_to": report.date_to.isoformat() if report.date_to else None,
        "filters": report.filters,
        "tables": [table_json(t) for t in report.tables],
        "notes": list(report.notes),
    }


def text_table(table: Table) -> str:
    """A plain fixed-width table for the terminal."""
    header = [c.label for c in table.columns]
    body = [
        [
            fmt(row.get(c.key, Cell(None)).value, c.kind)
            + ("!" if row.get(c.key, Cell(None)).tone == "bad" and c.kind != "text" else "")
            for c in table.columns
        ]
        for row in table_rows(table)
    ]
    widths = [
        max(len(h), *(len(r[i]) for r in body)) if body else len(h) for i, h in enumerate(header)
    ]

    def line(cells: Iterable[str]) -> str:
        parts = []
        for cell, width, column in zip(cells, widths, table.columns, strict=True):
            parts.append(cell.ljust(width) if column.kind == "text" else cell.rjust(width))
        return "  ".join(parts).rstrip()

    lines = [table.title, "=" * len(table.title), line(header), line("-" * w for w in widths)]
    rows = [line(r) for r in body]
    if table.total and rows:
        rows.insert(len(rows) - 1, line("-" * w for w in widths))
    lines += rows or ["(no rows)"]
    if table.note:
        lines.append(table.note)
    return "\n".join(lines)


def report_text(report: Report) -> str:
    period = (
        f"{report.date_from or '…'} to {report.date_to or '…'}"
        if report.date_from or report.date_to
        else "all time"
    )
    parts = [f"{report.title} ({period}, as of {report.now:%Y-%m-%d %H:%M %Z})", ""]
    for table in report.tables:
        parts += [text_table(table), ""]
    parts += [f"* {n}" for n in report.notes]
    return "\n".join(parts).rstrip() + "\n"
