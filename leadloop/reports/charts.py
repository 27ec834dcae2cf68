"""Charts as inline SVG, drawn on the server: no JavaScript chart library, no CDN.

Three shapes cover the reports: horizontal bars (with an optional confidence
whisker and reference line), horizontal stacked bars, and stacked columns
over time. Every bar links to the leads behind it and carries a <title> so
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
LABEL_WIDTH = 190
ROW = 24
BAR = 16


def _colors(series: list[str]) -> dict[str, str]:
    out, i = {}, 0
    for name in series:
        if name in SERIES_COLORS:
            out[name] = SERIES_COLORS[name]
        else:
            out[name] = PALETTE[i % len(PALETTE)]
            i += 1
    return out


def _short(text: str, limit: int = 30) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _rect(bar: Bar, x: float, y: float, w: float, h: float, color: str, unit: str) -> str:
    title = f"{bar.label}{' · ' + bar.series if bar.series else ''}: {fmt(bar.value, unit)}"
    rect = (
        f'<rect x="{x:.1f}" y="{y:.1f}" width="{max(w, 0):.1f}" height="{h:.1f}" '
        f'fill="{color}"><title>{escape(title)}</title></rect>'
    )
    if bar.url:
        return f'<a href="{escape(bar.url)}">{rect}</a>'
    return rect


def _value(x: float, y: float, text: str) -> str:
    return f'<text x="{x:.1f}" y="{y}" class="value">{escape(text)}</text>'


def _legend(colors: dict[str, str], y: float) -> str:
    parts, x = [], LABEL_WIDTH
    for name, color in colors.items():
        parts.append(
            f'<rect x="{x}" y="{y - 9}" width="10" height="10" fill="{color}"/>'
            f'<text x="{x + 14}" y="{y}" class="legend">{escape(name)}</text>'
        )
        x += 24 + 7 * len(name)
    return "".join(parts)


def _svg(width: int, height: float, title: str, body: str) -> SafeString:
    return mark_safe(
        f'<svg class="chart" role="img" viewBox="0 0 {width} {height:.0f}" '
        f'width="100%" xmlns="http://www.w3.org/2000/svg" aria-label="{escape(title)}">'
        f"<title>{escape(title)}</title>{body}</svg>"
    )


def bars(chart: Chart, width: int = 760) -> SafeString:
    values = [b.value for b in chart.bars] + [b.high or 0 for b in chart.bars]
    if chart.reference is not None:
        values.append(chart.reference)
    top = max([v for v in values if v is not None] + [0]) or 1
    plot = width - LABEL_WIDTH - 80
    parts = []
    for i, bar in enumerate(chart.bars):
        y = 8 + i * ROW
        parts.append(
            f'<text x="{LABEL_WIDTH - 8}" y="{y + BAR - 3}" text-anchor="end" class="label">'
            f"{escape(_short(bar.label))}</text>"
        )
        w = plot * max(bar.value, 0) / top
        parts.append(_rect(bar, LABEL_WIDTH, y, w, BAR, PALETTE[0], chart.unit))
        if bar.low is not None and bar.high is not None:
            x0, x1 = LABEL_WIDTH + plot * bar.low / top, LABEL_WIDTH + plot * bar.high / top
            mid = y + BAR / 2
            parts.append(
                f'<path d="M{x0:.1f} {mid:.1f}H{x1:.1f}M{x0:.1f} {mid - 4:.1f}v8M{x1:.1f} '
                f'{mid - 4:.1f}v8" class="whisker"/>'
            )
        end = LABEL_WIDTH + max(w, plot * (bar.high or 0) / top)
        parts.append(_value(end + 6, y + BAR - 3, fmt(bar.value, chart.unit)))
    height = 16 + len(chart.bars) * ROW
    if chart.reference is not None:
        x = LABEL_WIDTH + plot * chart.reference / top
        parts.append(f'<path d="M{x:.1f} 2V{height - 4}" class="reference"/>')
    return _svg(width, height, chart.title, "".join(parts))


def stacked(chart: Chart, width: int = 760) -> SafeString:
    groups: OrderedDict[str, list[Bar]] = OrderedDict()
    for bar in chart.bars:
        groups.setdefault(bar.label, []).append(bar)
    colors = _colors(list(OrderedDict.fromkeys(b.series for b in chart.bars)))
    top = max([sum(max(b.value, 0) for b in segs) for segs in groups.values()] + [0]) or 1
    plot = width - LABEL_WIDTH - 80
    parts = [_legend(colors, 14)]
    for i, (label, segs) in enumerate(groups.items()):
        y = 26 + i * ROW
        parts.append(
            f'<text x="{LABEL_WIDTH - 8}" y="{y + BAR - 3}" text-anchor="end" class="label">'
            f"{escape(_short(label))}</text>"
        )
        x = float(LABEL_WIDTH)
        for seg in segs:
            w = plot * max(seg.value, 0) / top
            if w > 0:
                parts.append(_rect(seg, x, y, w, BAR, colors[seg.series], chart.unit))
            x += w
        total = sum(s.value for s in segs)
        parts.append(_value(x + 6, y + BAR - 3, fmt(total, chart.unit)))
    return _svg(width, 34 + len(groups) * ROW, chart.title, "".join(parts))


def columns(chart: Chart, width: int = 760, height: int = 240) -> SafeString:
    periods: OrderedDict[str, list[Bar]] = OrderedDict()
    for bar in chart.bars:
        periods.setdefault(bar.label, []).append(bar)
    colors = _colors(list(OrderedDict.fromkeys(b.series for b in chart.bars)))
    top = max([sum(max(b.value, 0) for b in segs) for segs in periods.values()] + [0]) or 1
    left, bottom, plot_h = 40, height - 28, height - 60
    slot = (width - left - 10) / max(len(periods), 1)
    parts = [_legend(colors, 14)]
    parts.append(
        f'<text x="{left - 6}" y="{bottom - plot_h + 4:.1f}" text-anchor="end" class="label">'
        f"{escape(fmt(top, chart.unit))}</text>"
        f'<path d="M{left} {bottom}H{width - 10}" class="axis"/>'
    )
    for i, (label, segs) in enumerate(periods.items()):
        x = left + i * slot + slot * 0.15
        y = float(bottom)
        for seg in segs:
            h = plot_h * max(seg.value, 0) / top
            if h > 0:
                y -= h
                parts.append(_rect(seg, x, y, slot * 0.7, h, colors[seg.series], chart.unit))
        parts.append(
            f'<text x="{x + slot * 0.35:.1f}" y="{bottom + 16}" text-anchor="middle" class="label">'
            f"{escape(label)}</text>"
        )
    return _svg(width, height, chart.title, "".join(parts))


def render(chart: Chart | None) -> SafeString:
    if chart is None or not chart.bars:
        return mark_safe("")
    if chart.kind == "bars":
        return bars(chart)
    if chart.kind == "stacked":
        return stacked(chart)
    return columns(chart)
