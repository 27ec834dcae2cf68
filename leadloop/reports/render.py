"""A report as text for people (page cells, the command line's table), as CSV and as JSON."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.conf import settings

from leadloop.reports.result import Cell, Column, Report, Row, Table


def money(number: float) -> str:
    """An amount with its currency and thousands separators: "EUR 43,200", "EUR 466.02".
    Whole amounts from a hundred up: cents say nothing in a campaign's cost."""
    currency = getattr(settings, "LEADLOOP_CURRENCY", "EUR")
    sign = "-" if number < 0 else ""
    amount = abs(number)
    whole = amount >= 100 or amount == int(amount)
    text = f"{amount:,.0f}" if whole else f"{amount:,.2f}"
    return f"{sign}{currency} {text}"


def duration(hours: float) -> str:
    """A span of hours as people say it: "7.5 h" under a day, "88 days" over one."""
    if abs(hours) < 24:
        return f"{hours:.1f} h"
    days = hours / 24
    if abs(days) < 10:
        return f"{days:.1f} days"
    return f"{days:,.0f} days"


def percent(share: float) -> str:
    """A share as a percentage: one decimal while small, whole numbers with
    separators when large (an ROI of "6,353 %", not "6352.5 %")."""
    pct = share * 100
    if abs(pct) >= 100:
        return f"{pct:,.0f} %"
    return f"{pct:.1f} %"


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
        return percent(number)
    if kind == "money":
        return money(number)
    if kind == "hours":
        return duration(number)
    if kind == "ratio":
        return f"{number:,.1f}"
    if kind == "float":
        return f"{number:,.3f}" if abs(number) < 1 else f"{number:,.2f}"
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
