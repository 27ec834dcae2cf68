"""Report cells: the number as people read it, linked to the leads behind it."""

from __future__ import annotations

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString

from leadloop.reports import charts
from leadloop.reports.render import fmt
from leadloop.reports.result import Cell, Chart, Column, Row

register = template.Library()


@register.simple_tag
def chart_svg(chart: Chart | None) -> SafeString:
    """A report chart as inline SVG (the review pack's charts)."""
    return charts.render(chart)


@register.simple_tag
def report_cell(row: Row, column: Column, tag: str = "td") -> SafeString:
    cell = row.get(column.key) or Cell(None)
    text = fmt(cell.value, column.kind)
    classes = " ".join(
        c
        for c in ("num" if column.kind != "text" else "", f"tone-{cell.tone}" if cell.tone else "")
        if c
    )
    title = cell.note or column.help
    if cell.url is not None:
        inner = format_html('<a href="{}">{}</a>', cell.url, text)
    else:
        inner = format_html("{}", text)
    return format_html(
        '<{} class="{}"{}>{}</{}>',
        tag,
        classes,
        format_html(' title="{}"', title) if title else "",
        inner,
        tag,
    )
