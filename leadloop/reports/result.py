"""What every report returns: plain tables of cells, each number with the lead-list
filter that selects the leads behind it.

One shape for all reports lets the page, the CSV, the JSON API, the command
line and the review pack render any of them the same way.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal
from urllib.parse import urlencode

from django.urls import reverse

Number = int | float | Decimal
Value = Number | str | None
# How a column's values read: counts, shares (0..1), money, business hours, ...
Kind = Literal["int", "pct", "money", "hours", "ratio", "float", "text", "date"]


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    kind: Kind = "int"
    help: str = ""


@dataclass(frozen=True)
class Cell:
    value: Value
    # Lead-list query parameters selecting the leads behind the number.
    link: Mapping[str, str] | None = None
    # Emphasis for the page: "bad" (a training flag, a breach), "good", or "".
    tone: str = ""
    note: str = ""
    # A page other than the lead list (e.g. one lead's page).
    href: str | None = None

    @property
    def url(self) -> str | None:
        if self.href is not None:
            return self.href
        return lead_list_url(self.link) if self.link is not None else None


Row = dict[str, Cell]


@dataclass
class Table:
    key: str
    title: str
    columns: list[Column]
    rows: list[Row] = field(default_factory=list)
    total: Row | None = None
    note: str = ""

    def column(self, key: str) -> Column:
        return next(c for c in self.columns if c.key == key)


@dataclass(frozen=True)
class Bar:
    """One bar (or one segment of a stacked bar) of a chart."""

    label: str
    value: float
    link: Mapping[str, str] | None = None
    series: str = ""
    low: float | None = None  # a confidence interval, drawn as a whisker
    high: float | None = None

    @property
    def url(self) -> str | None:
        return lead_list_url(self.link) if self.link is not None else None


def bar(row: Mapping[str, Cell], label: str, value: str, *, series: str = "") -> Bar:
    """The bar of one table cell: labelled by another cell of its row, linked like the cell."""
    cell = row[value]
    return Bar(
        label=str(row[label].value), value=float(cell.value or 0), link=cell.link, series=series
    )


@dataclass(frozen=True)
class Chart:
    """Data for one server-rendered SVG chart (`reports.charts.render`)."""

    kind: Literal["bars", "stacked", "columns"]
    title: str
    bars: list[Bar]
    unit: Kind = "int"
    # A reference line, e.g. lift 1.0 or a 100 % target, and what it is ("target 100 %").
    reference: float | None = None
    reference_label: str = ""
    # Axis titles: what the bars measure (with its unit), and what they are of.
    value_axis: str = ""
    category_axis: str = ""
    # Stacked bars as shares of each bar's whole (100 % bars); the whole is printed beside.
    shares: bool = False


@dataclass
class Report:
    name: str
    title: str
    description: str
    now: datetime
    date_from: date | None
    date_to: date | None
    filters: dict[str, Any]
    tables: list[Table]
    chart: Chart | None = None
    notes: list[str] = field(default_factory=list)

    def table(self, key: str) -> Table:
        for table in self.tables:
            if table.key == key:
                return table
        raise KeyError(key)


def lead_list_url(params: Mapping[str, str]) -> str:
    query = urlencode({k: v for k, v in params.items() if v not in (None, "")})
    base = reverse("web:lead_list")
    return f"{base}?{query}" if query else base


def link(base: Mapping[str, str], **more: Any) -> dict[str, str]:
    """`base` lead-list parameters plus `more`; None values drop the key."""
    out = dict(base)
    for key, value in more.items():
        if value is None or value == "":
            out.pop(key, None)
        else:
            out[key] = value.isoformat() if isinstance(value, date | datetime) else str(value)
    return out
