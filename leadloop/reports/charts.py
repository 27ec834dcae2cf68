"""Charts as inline SVG, drawn on the server: no JavaScript chart library, no CDN.

Three shapes cover the reports: horizontal bars (with an optional confidence
whisker and a labelled reference line), horizontal stacked bars (as counts, or
as 100 % bars of shares), and stacked columns over time. Each chart has its
title, axis titles with the unit, and a legend that wraps rather than runs off
the edge. Every bar links to the leads behind it and carries a <title> so
hovering shows its number.
"""

from __future__ import annotations

from collections import OrderedDict

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from leadloop.reports.render import fmt
from leadloop.reports.result import Bar, Chart

PALETTE = ["#2251cc", "#7a5af8", "#0e9384", "#f79009", "#ee46bc", "#667085", "#b42318", "#16b364"]
SERIES_COLORS = {
    "Met": "#067647",
    "Late": "#b42318",
    "Pending": "#98a2b3",
    "Reached": "#067647",
    "Not reached": "#b42318",
}
ROW = 24
BAR = 16
CHAR = 6.6  # about one character of the 12 px label font
TITLE_H = 26
VALUE_ROOM = 96  # right of the longest bar: its value


def series_colors(series: list[str]) -> dict[str, str]:
    out, i = {}, 0
    for name in series:
        if name in SERIES_COLORS:
            out[name] = SERIES_COLORS[name]
        else:
            out[name] = PALETTE[i % len(PALETTE)]
            i += 1
    return out


def _short(text: str, limit: int = 44) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def label_width(labels: list[str]) -> int:
    """Room for the longest category label (shortened past 44 characters), so names
    are never cut off at the chart's left edge."""
    longest = max((len(_short(label)) for label in labels), default=0)
    return int(min(max(longest * CHAR + 14, 80), 44 * CHAR + 14))


def _rect(bar: Bar, x: float, y: float, w: float, h: float, color: str, text: str) -> str:
    title = f"{bar.label}{' · ' + bar.series if bar.series else ''}: {text}"
    rect = (
        f'<rect x="{x:.1f}" y="{y:.1f}" width="{max(w, 0):.1f}" height="{h:.1f}" '
        f'fill="{color}"><title>{escape(title)}</title></rect>'
    )
    if bar.url:
        return f'<a href="{escape(bar.url)}">{rect}</a>'
    return rect


def _value(x: float, y: float, text: str) -> str:
    return f'<text x="{x:.1f}" y="{y}" class="value">{escape(text)}</text>'


def _heading(chart: Chart) -> str:
    return f'<text x="0" y="16" class="chart-title">{escape(chart.title)}</text>'


def _legend(colors: dict[str, str], y: float, left: float, width: int) -> tuple[str, float]:
    """The legend from `left`, wrapping onto another line before the right edge;
    returns the markup and the y below it."""
    parts, x = [], left
    for name, color in colors.items():
        item = 24 + CHAR * len(name)
        if x + item > width and x > left:
            x, y = left, y + 16
        parts.append(
            f'<rect x="{x:.1f}" y="{y - 9}" width="10" height="10" fill="{color}"/>'
            f'<text x="{x + 14:.1f}" y="{y}" class="legend">{escape(name)}</text>'
        )
        x += item
    return "".join(parts), y + 12


def _svg(width: int, height: float, chart: Chart, body: str) -> SafeString:
    described = chart.title + (f" ({chart.value_axis})" if chart.value_axis else "")
    return mark_safe(
        f'<svg class="chart" role="img" viewBox="0 0 {width} {height:.0f}" '
        f'width="100%" xmlns="http://www.w3.org/2000/svg" aria-label="{escape(described)}">'
        f"<title>{escape(described)}</title>{_heading(chart)}{body}</svg>"
    )


def _value_axis(chart: Chart, left: float, plot: float, top: float, y: float) -> str:
    """A horizontal value axis under the bars: 0, half and the top, and its title."""
    ticks = []
    for fraction in (0, 0.5, 1):
        x = left + plot * fraction
        ticks.append(
            f'<path d="M{x:.1f} {y:.1f}v4" class="axis"/>'
            f'<text x="{x:.1f}" y="{y + 16:.1f}" text-anchor="middle" class="tick">'
            f"{escape(fmt(top * fraction, chart.unit))}</text>"
        )
    title = ""
    if chart.value_axis:
        title = (
            f'<text x="{left + plot / 2:.1f}" y="{y + 32:.1f}" text-anchor="middle" '
            f'class="axis-title">{escape(chart.value_axis)}</text>'
        )
    return f'<path d="M{left:.1f} {y:.1f}H{left + plot:.1f}" class="axis"/>{"".join(ticks)}{title}'


def _category_title(chart: Chart, left: float, y: float) -> str:
    if not chart.category_axis:
        return ""
    return (
        f'<text x="{left - 8:.1f}" y="{y:.1f}" text-anchor="end" class="axis-title">'
        f"{escape(chart.category_axis)}</text>"
    )


def bars(chart: Chart, width: int = 760) -> SafeString:
    values = [b.value for b in chart.bars] + [b.high or 0 for b in chart.bars]
    if chart.reference is not None:
        values.append(chart.reference)
    top = max([v for v in values if v is not None] + [0]) or 1
    left = label_width([b.label for b in chart.bars])
    plot = width - left - VALUE_ROOM
    first = TITLE_H + 18
    parts = [_category_title(chart, left, first - 6)]
    for i, bar in enumerate(chart.bars):
        y = first + i * ROW
        parts.append(
            f'<text x="{left - 8}" y="{y + BAR - 3}" text-anchor="end" class="label">'
            f"{escape(_short(bar.label))}</text>"
        )
        w = plot * max(bar.value, 0) / top
        parts.append(_rect(bar, left, y, w, BAR, PALETTE[0], fmt(bar.value, chart.unit)))
        if bar.low is not None and bar.high is not None:
            x0, x1 = left + plot * bar.low / top, left + plot * bar.high / top
            mid = y + BAR / 2
            parts.append(
                f'<path d="M{x0:.1f} {mid:.1f}H{x1:.1f}M{x0:.1f} {mid - 4:.1f}v8M{x1:.1f} '
                f'{mid - 4:.1f}v8" class="whisker"/>'
            )
        end = left + max(w, plot * (bar.high or 0) / top)
        parts.append(_value(end + 6, y + BAR - 3, fmt(bar.value, chart.unit)))
    bottom = first + len(chart.bars) * ROW + 2
    if chart.reference is not None:
        x = left + plot * chart.reference / top
        parts.append(f'<path d="M{x:.1f} {first - 4}V{bottom}" class="reference"/>')
        label = chart.reference_label or fmt(chart.reference, chart.unit)
        parts.append(
            f'<text x="{x:.1f}" y="{first - 8}" text-anchor="middle" class="reference-label">'
            f"{escape(label)}</text>"
        )
    parts.append(_value_axis(chart, left, plot, top, bottom))
    height = bottom + (40 if chart.value_axis else 24)
    return _svg(width, height, chart, "".join(parts))


def stacked(chart: Chart, width: int = 760) -> SafeString:
    groups: OrderedDict[str, list[Bar]] = OrderedDict()
    for bar in chart.bars:
        groups.setdefault(bar.label, []).append(bar)
    colors = series_colors(list(OrderedDict.fromkeys(b.series for b in chart.bars)))
    totals = {label: sum(max(b.value, 0) for b in segs) for label, segs in groups.items()}
    top = 1.0 if chart.shares else (max([*totals.values(), 0]) or 1)
    left = label_width(list(groups))
    plot = width - left - VALUE_ROOM
    legend, below = _legend(colors, TITLE_H + 14, left, width)
    first = below + 8
    parts = [legend]
    for i, (label, segs) in enumerate(groups.items()):
        y = first + i * ROW
        parts.append(
            f'<text x="{left - 8}" y="{y + BAR - 3}" text-anchor="end" class="label">'
            f"{escape(_short(label))}</text>"
        )
        whole = totals[label]
        x = float(left)
        for seg in segs:
            amount = max(seg.value, 0)
            share = amount / whole if whole else 0
            w = plot * (share if chart.shares else amount / top)
            if w > 0:
                text = fmt(seg.value, chart.unit)
                if chart.shares:
                    text += f" ({fmt(share, 'pct')})"
                parts.append(_rect(seg, x, y, w, BAR, colors[seg.series], text))
            x += w
        note = f"n = {fmt(whole, chart.unit)}" if chart.shares else fmt(whole, chart.unit)
        parts.append(_value(x + 6, y + BAR - 3, note))
    bottom = first + len(groups) * ROW + 2
    axis = Chart(
        kind=chart.kind,
        title=chart.title,
        bars=[],
        unit="pct" if chart.shares else chart.unit,
        value_axis=chart.value_axis,
    )
    parts.append(_value_axis(axis, left, plot, top, bottom))
    height = bottom + (40 if chart.value_axis else 24)
    return _svg(width, height, chart, "".join(parts))


def columns(chart: Chart, width: int = 760, height: int = 280) -> SafeString:
    periods: OrderedDict[str, list[Bar]] = OrderedDict()
    for bar in chart.bars:
        periods.setdefault(bar.label, []).append(bar)
    colors = series_colors(list(OrderedDict.fromkeys(b.series for b in chart.bars)))
    top = max([sum(max(b.value, 0) for b in segs) for segs in periods.values()] + [0]) or 1
    left = 64
    legend, below = _legend(colors, TITLE_H + 14, left, width)
    bottom = height - 44
    plot_h = bottom - below - 10
    slot = (width - left - 10) / max(len(periods), 1)
    parts = [legend]
    parts.append(
        f'<text x="{left - 6}" y="{bottom - plot_h + 4:.1f}" text-anchor="end" class="tick">'
        f"{escape(fmt(top, chart.unit))}</text>"
        f'<text x="{left - 6}" y="{bottom + 4:.1f}" text-anchor="end" class="tick">0</text>'
        f'<path d="M{left} {bottom}H{width - 10}" class="axis"/>'
        f'<path d="M{left} {bottom}V{bottom - plot_h:.1f}" class="axis"/>'
    )
    if chart.value_axis:
        mid = bottom - plot_h / 2
        parts.append(
            f'<text x="14" y="{mid:.1f}" text-anchor="middle" class="axis-title" '
            f'transform="rotate(-90 14 {mid:.1f})">{escape(chart.value_axis)}</text>'
        )
    every = max(1, round(len(periods) / 12))  # at most about twelve period labels
    for i, (label, segs) in enumerate(periods.items()):
        x = left + i * slot + slot * 0.15
        y = float(bottom)
        for seg in segs:
            h = plot_h * max(seg.value, 0) / top
            if h > 0:
                y -= h
                parts.append(
                    _rect(seg, x, y, slot * 0.7, h, colors[seg.series], fmt(seg.value, chart.unit))
                )
        if i % every == 0:
            parts.append(
                f'<text x="{x + slot * 0.35:.1f}" y="{bottom + 16}" text-anchor="middle" '
                f'class="tick">{escape(label)}</text>'
            )
    if chart.category_axis:
        parts.append(
            f'<text x="{left + (width - left) / 2:.1f}" y="{bottom + 34}" text-anchor="middle" '
            f'class="axis-title">{escape(chart.category_axis)}</text>'
        )
    return _svg(width, height, chart, "".join(parts))


def render(chart: Chart | None) -> SafeString:
    if chart is None or not chart.bars:
        return mark_safe("")
    if chart.kind == "bars":
        return bars(chart)
    if chart.kind == "stacked":
        return stacked(chart)
    return columns(chart)
