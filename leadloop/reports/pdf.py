"""The review pack as a PDF, with fpdf2.

The built-in Helvetica keeps the file small and its text searchable, but it
only knows Latin-1: other characters are spelt in Latin-1 where there is a
plain equivalent (dashes, arrows, quotes) and dropped to their base letter or
"?" otherwise, so a name never breaks the document.
"""

from __future__ import annotations

import unicodedata

from fpdf import FPDF
from fpdf.fonts import FontFace

from leadloop.reports import charts
from leadloop.reports.render import fmt
from leadloop.reports.result import Bar, Cell, Chart, Row, Table
from leadloop.reports.review import Pack

REPLACEMENTS = {
    "\u2013": "-",
    "\u2014": "-",
    "\u2192": "->",
    "\u2026": "...",
    "\u2018": "'",
    "\u2019": "'",
    "\u201c": '"',
    "\u201d": '"',
    "\u2212": "-",
    "\u00a0": " ",
    # Letters of their own that do not decompose to a Latin-1 base letter.
    "\u0141": "L",
    "\u0142": "l",
    "\u0110": "D",
    "\u0111": "d",
    "\u0152": "OE",
    "\u0153": "oe",
    "\u0131": "i",
}
HEADING = FontFace(emphasis="BOLD", fill_color=(235, 238, 245))
TOTAL = FontFace(emphasis="BOLD")
BAD = FontFace(color=(180, 35, 24), emphasis="BOLD")


def latin1(text: str) -> str:
    out = []
    for ch in text:
        ch = REPLACEMENTS.get(ch, ch)
        try:
            ch.encode("latin-1")
        except UnicodeEncodeError:
            base = unicodedata.normalize("NFKD", ch).encode("latin-1", "ignore").decode("latin-1")
            ch = base or "?"
        out.append(ch)
    return "".join(out)


class PackPdf(FPDF):
    title_text = ""

    def header(self) -> None:
        self.set_font("Helvetica", "", 8)
        self.set_text_color(102, 112, 133)
        self.cell(0, 5, latin1(f"leadloop - {self.title_text}"), align="L")
        self.cell(0, 5, f"Page {self.page_no()}", align="R", new_x="LMARGIN", new_y="NEXT")
        self.set_text_color(0, 0, 0)
        self.ln(2)


def _text(cell: Cell, kind: str, is_total: bool) -> str:
    if cell.value in (None, ""):
        return "-" if kind != "text" and not is_total else ""
    return latin1(fmt(cell.value, kind))


def _rows(table: Table) -> list[tuple[Row, bool]]:
    return [(r, False) for r in table.rows] + ([(table.total, True)] if table.total else [])


def _wrapped_table(pdf: FPDF, table: Table, widths: list[float], size: float) -> None:
    """fpdf2's table: wraps long cells, but costs about a millisecond a cell."""
    align = ["LEFT" if c.kind == "text" else "RIGHT" for c in table.columns]
    with pdf.table(
        col_widths=widths,
        text_align=align,
        line_height=size * 0.5,
        headings_style=HEADING,
        first_row_as_headings=True,
        padding=0.8,
    ) as out:
        head = out.row()
        for column in table.columns:
            head.cell(latin1(column.label))
        for row, is_total in _rows(table):
            line = out.row()
            for column in table.columns:
                cell = row.get(column.key) or Cell(None)
                style = TOTAL if is_total else (BAD if cell.tone == "bad" else None)
                line.cell(_text(cell, column.kind, is_total), style=style)


def _fit(pdf: FPDF, text: str, width: float) -> str:
    """`text` cut to `width` (with an ellipsis), measured in the current font."""
    if pdf.get_string_width(text) <= width:
        return text
    while text and pdf.get_string_width(text + "...") > width:
        text = text[: max(len(text) - max(len(text) // 8, 1), 0)]
    return text + "..."


def _long_table(pdf: FPDF, table: Table, widths: list[float], size: float) -> None:
    """One line a row, cut to the column: a thousand leads print in a moment.

    The heading repeats at the top of every page the table runs onto.
    """
    height = size * 0.55
    align = ["L" if c.kind == "text" else "R" for c in table.columns]

    def heading() -> None:
        pdf.set_font("Helvetica", "B", size)
        pdf.set_fill_color(235, 238, 245)
        for column, width, side in zip(table.columns, widths, align, strict=True):
            pdf.cell(
                width,
                height,
                _fit(pdf, latin1(column.label), width - 1),
                border=1,
                align=side,
                fill=True,
            )
        pdf.ln(height)

    heading()
    for row, is_total in _rows(table):
        if pdf.get_y() + height > pdf.page_break_trigger:
            pdf.add_page()
            heading()
        for column, width, side in zip(table.columns, widths, align, strict=True):
            cell = row.get(column.key) or Cell(None)
            bad = cell.tone == "bad" and not is_total
            pdf.set_font("Helvetica", "B" if is_total or bad else "", size)
            pdf.set_text_color(*((180, 35, 24) if bad else (0, 0, 0)))
            text = _fit(pdf, _text(cell, column.kind, is_total), width - 1)
            pdf.cell(width, height, text, border=1, align=side)
        pdf.ln(height)
    pdf.set_text_color(0, 0, 0)


# Beyond this many rows a table is printed one line a row, without wrapping.
LONG = 40


def _rgb(color: str) -> tuple[int, int, int]:
    return int(color[1:3], 16), int(color[3:5], 16), int(color[5:7], 16)


def _chart(pdf: FPDF, chart: Chart) -> None:
    """A report chart drawn in the PDF: its title, horizontal bars (or 100 % bars of
    shares) with their labels and values, the legend, a labelled reference line and
    the value axis with its title, as on the page."""
    groups: dict[str, list[Bar]] = {}
    for bar in chart.bars:
        groups.setdefault(bar.label, []).append(bar)
    series = list(dict.fromkeys(b.series for b in chart.bars if b.series))
    colors = charts.series_colors(series)  # the page's colours, on paper too
    row, bar_h = 5.2, 3.6
    needed = 20 + len(groups) * row + (6 if series else 0)
    if pdf.get_y() + needed > pdf.page_break_trigger:
        pdf.add_page()
    pdf.set_font("Helvetica", "B", 10)
    pdf.multi_cell(0, 5, latin1(chart.title), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 7)
    left = pdf.l_margin + min(
        max((pdf.get_string_width(latin1(label)) for label in groups), default=10) + 3, 70
    )
    plot = pdf.w - pdf.r_margin - left - 30
    totals = {label: sum(max(b.value, 0) for b in segs) for label, segs in groups.items()}
    values = [*totals.values(), *(b.high or 0 for b in chart.bars)]
    if chart.reference is not None:
        values.append(chart.reference)
    top = 1.0 if chart.shares else (max([*values, 0]) or 1)
    if series:
        x = left
        for name in series:
            pdf.set_fill_color(*_rgb(colors[name]))
            pdf.rect(x, pdf.get_y() + 0.8, 2.5, 2.5, style="F")
            pdf.set_xy(x + 3.2, pdf.get_y())
            pdf.cell(pdf.get_string_width(latin1(name)) + 2, 4, latin1(name))
            x += pdf.get_string_width(latin1(name)) + 9
        pdf.ln(5)
    first = pdf.get_y()
    for i, (label, segs) in enumerate(groups.items()):
        y = first + i * row
        pdf.set_text_color(52, 64, 84)
        pdf.set_xy(pdf.l_margin, y)
        pdf.cell(
            left - pdf.l_margin - 2,
            bar_h,
            _fit(pdf, latin1(label), left - pdf.l_margin - 2),
            align="R",
        )
        x = left
        whole = totals[label]
        for seg in segs:
            amount = max(seg.value, 0)
            width = plot * ((amount / whole if whole else 0) if chart.shares else amount / top)
            if width > 0:
                pdf.set_fill_color(*_rgb(colors.get(seg.series, charts.PALETTE[0])))
                pdf.rect(x, y, width, bar_h, style="F")
            x += width
        pdf.set_text_color(102, 112, 133)
        pdf.set_xy(x + 1.5, y)
        value = f"n = {fmt(whole, chart.unit)}" if chart.shares else fmt(segs[0].value, chart.unit)
        pdf.cell(28, bar_h, latin1(value))
    bottom = first + len(groups) * row
    pdf.set_draw_color(208, 213, 221)
    pdf.line(left, bottom, left + plot, bottom)
    pdf.set_text_color(102, 112, 133)
    for fraction in (0, 0.5, 1):
        pdf.set_xy(left + plot * fraction - 15, bottom + 0.5)
        unit = "pct" if chart.shares else chart.unit
        pdf.cell(30, 3.5, latin1(fmt(top * fraction, unit)), align="C")
    if chart.reference is not None and not chart.shares:
        x = left + plot * chart.reference / top
        pdf.set_draw_color(180, 35, 24)
        pdf.set_dash_pattern(dash=1.2, gap=0.8)
        pdf.line(x, first - 1, x, bottom)
        pdf.set_dash_pattern()
        pdf.set_text_color(180, 35, 24)
        pdf.set_xy(x - 20, first - 4.5)
        pdf.cell(
            40, 3.5, latin1(chart.reference_label or fmt(chart.reference, chart.unit)), align="C"
        )
    pdf.set_text_color(52, 64, 84)
    pdf.set_font("Helvetica", "B", 7)
    pdf.set_xy(left, bottom + 4)
    pdf.cell(plot, 3.5, latin1(chart.value_axis), align="C")
    pdf.set_text_color(0, 0, 0)
    pdf.set_draw_color(0, 0, 0)
    pdf.set_fill_color(255, 255, 255)  # the tables after it fill only their headings
    pdf.set_xy(pdf.l_margin, bottom + 10)


def _table(pdf: FPDF, table: Table) -> None:
    pdf.set_font("Helvetica", "B", 11)
    pdf.multi_cell(0, 6, latin1(table.title), new_x="LMARGIN", new_y="NEXT")
    if not table.rows and not table.total:
        pdf.set_font("Helvetica", "I", 8)
        pdf.multi_cell(0, 5, "Nothing in this month.", new_x="LMARGIN", new_y="NEXT")
        pdf.ln(3)
        return
    # Text columns get more room than numbers; the page width is shared out.
    weights = [2.2 if c.kind == "text" else 1.0 for c in table.columns]
    usable = pdf.w - pdf.l_margin - pdf.r_margin
    widths = [usable * w / sum(weights) for w in weights]
    size = 7 if len(table.columns) <= 10 else 6
    pdf.set_font("Helvetica", "", size)
    if len(table.rows) > LONG:
        _long_table(pdf, table, widths, size)
    else:
        _wrapped_table(pdf, table, widths, size)
    if table.note:
        pdf.set_font("Helvetica", "I", 7)
        pdf.multi_cell(0, 4, latin1(table.note), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)


def render_pdf(pack: Pack, *, compress: bool = True) -> bytes:
    pdf = PackPdf(orientation="L", unit="mm", format="A4")
    pdf.title_text = pack.title
    pdf.set_title(latin1(pack.title))
    pdf.set_creator("leadloop")
    pdf.set_compression(compress)
    pdf.set_auto_page_break(True, margin=12)
    pdf.set_margins(10, 10, 10)
    for section in pack.sections:
        pdf.add_page()
        pdf.set_font("Helvetica", "B", 16)
        pdf.multi_cell(
            0, 8, latin1(f"{pack.title}: {section.pair.name}"), new_x="LMARGIN", new_y="NEXT"
        )
        pdf.set_font("Helvetica", "", 9)
        pdf.multi_cell(
            0,
            5,
            latin1(
                f"{pack.month:%B %Y}, as of {pack.now:%Y-%m-%d %H:%M %Z}. "
                + " ".join(section.notes)
            ),
            new_x="LMARGIN",
            new_y="NEXT",
        )
        pdf.ln(2)
        if section.summary:
            pdf.set_font("Helvetica", "", 10)
            pdf.set_fill_color(239, 244, 255)
            pdf.multi_cell(
                0, 5.5, latin1(section.summary), fill=True, new_x="LMARGIN", new_y="NEXT"
            )
            pdf.set_fill_color(255, 255, 255)
            pdf.ln(3)
        for chart in section.charts:
            _chart(pdf, chart)
        for table in section.tables:
            _table(pdf, table)
    if not pack.sections:
        pdf.add_page()
        pdf.set_font("Helvetica", "", 11)
        pdf.multi_cell(0, 6, "No team pair to review.")
    return bytes(pdf.output())
