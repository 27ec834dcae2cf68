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

from leadloop.reports.render import fmt
from leadloop.reports.result import Cell, Row, Table
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
        pdf.ln(3)
        for table in section.tables:
            _table(pdf, table)
    if not pack.sections:
        pdf.add_page()
        pdf.set_font("Helvetica", "", 11)
        pdf.multi_cell(0, 6, "No team pair to review.")
    return bytes(pdf.output())
