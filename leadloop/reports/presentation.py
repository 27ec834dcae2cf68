"""How a report's tables are laid out for people (the page and the review pack).

Each report is about a few figures (campaigns: cost per qualified lead, ROI,
won revenue; SLAs: the met share): on the page they come right after the
names, not behind a horizontal scroll. CSV and JSON keep the columns' order.
"""

from __future__ import annotations

from leadloop.reports.result import Column, Table

# Per report, the columns that say what the report is about, in order.
LEAD_FIGURES: dict[str, tuple[str, ...]] = {
    "sla": ("compliance", "open_late", "at_risk"),
    "aging": ("total",),
    "sales-accountability": (
        "feedback_rate",
        "answered_on_time",
        "feedback_overdue",
        "won",
        "revenue",
    ),
    "teleprospectors": ("qualified", "acceptance", "dials_per_qualified", "won", "revenue"),
    "campaigns": ("cost_per_qualified", "roi", "revenue"),
    "funnel": ("conversion", "of_all"),
    "reasons": ("flag", "rep_share", "team_share", "share"),
    "unreachable": ("rate", "lift"),
}


def page_columns(report: str, table: Table) -> list[Column]:
    """The table's columns for the page: the names (text columns), then the
    report's lead figures, then the rest in their own order."""
    lead = LEAD_FIGURES.get(report, ())
    names = [c for c in table.columns if c.kind == "text" and c.key not in lead]
    figures = sorted((c for c in table.columns if c.key in lead), key=lambda c: lead.index(c.key))
    rest = [c for c in table.columns if c not in names and c not in figures]
    return [*names, *figures, *rest]
