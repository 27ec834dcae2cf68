"""/api/v1/reports/{name}: every report as JSON, with the page's filters."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from ninja import Field, Query, Router, Schema, Status

from leadloop.api.auth import caller
from leadloop.api.schemas import ERRORS, ErrorOut
from leadloop.lib.zones import zone_named
from leadloop.reports import filters as report_filters
from leadloop.reports import registry
from leadloop.reports.render import report_json
from leadloop.reports.scope import NotAllowed, Viewer

router = Router(tags=["reports"])


class CellOut(Schema):
    value: float | int | str | None = Field(
        description="The number (shares are 0..1, money in the campaign currency, "
        "durations in business hours); null where there is nothing to divide by."
    )
    leads: str | None = Field(
        description="The lead list (/leads/?...) of the leads behind the number."
    )
    tone: str | None = Field(None, description="'bad' marks a breach or a training flag.")
    note: str | None = Field(None, description="E.g. the test behind a training flag.")


class ColumnOut(Schema):
    key: str
    label: str
    kind: str = Field(description="int, pct, money, hours, ratio, float, text or date")
    help: str


class TableOut(Schema):
    key: str
    title: str
    note: str
    columns: list[ColumnOut]
    rows: list[dict[str, CellOut]] = Field(description="Cells keyed by column key.")
    total: dict[str, CellOut] | None = Field(description="The totals row, if the table has one.")


class ReportOut(Schema):
    name: str
    title: str
    description: str
    now: datetime = Field(description="The instant the report was computed at.")
    date_from: date | None = Field(description="First day covered (the reader's time zone).")
    date_to: date | None = Field(description="Last day covered, inclusive.")
    filters: dict[str, Any]
    tables: list[TableOut]
    notes: list[str]


class ReportQuery(Schema):
    date_from: date | None = Field(
        None,
        description="First day (default: 365 days back). At most "
        f"{report_filters.MAX_WINDOW_DAYS} days (3 years) before date_to, or before today "
        "when date_to is left out.",
    )
    date_to: date | None = Field(None, description="Last day, inclusive (default: today)")
    team: int | None = Field(None, description="A team id (teleprospecting or sales)")
    campaign: int | None = None
    channel: str | None = Field(None, description="A channel, e.g. web_rfi or webinar")
    rep: int | None = Field(None, description="A rep's user id (reps always see their own)")
    lead_team: int | None = Field(
        None, description="The teleprospecting team the leads came through"
    )
    by: str | None = Field(None, description="funnel: channel, campaign, team or an attribute")
    attribute: str | None = Field(
        None, description="unreachable: one attribute, or attributes.NAME for a custom one"
    )


@router.get(
    "/{name}",
    response={200: ReportOut, 503: ErrorOut, **ERRORS},
    summary="A report as JSON",
    description=(
        "Reports: " + ", ".join(registry.REPORTS) + ". Each table's cells carry the value and "
        "a link to the leads behind it. Managers see their teams, marketing and admins "
        "everything; an inside or sales rep may read the reports about her own work (her "
        "numbers only) and gets 403 for the others. A filter naming a team, campaign or rep "
        "the caller may not report on is refused, 422 naming it, as is a window of more than "
        f"3 years ({report_filters.WINDOW_RULE}). A report the database stops at a web "
        "request's time limit (`WEB_STATEMENT_TIMEOUT`) answers 503 saying how to narrow it; "
        "`leadloop report` has no limit. Definitions: docs/metrics.md."
    ),
)
def get_report(request: HttpRequest, name: str, query: Query[ReportQuery]) -> Any:
    user = caller(request)
    viewer = Viewer(user=user, tz=zone_named(user.timezone))
    try:
        spec = registry.allowed(name, viewer)
    except registry.UnknownReport:
        return Status(404, {"detail": f"No report '{name}'; one of {', '.join(registry.REPORTS)}."})
    except NotAllowed as exc:
        return Status(403, {"detail": str(exc)})
    now = timezone.now()
    raw = {k: (v.isoformat() if isinstance(v, date) else v) for k, v in query.dict().items()}
    filters, errors = report_filters.parse(
        raw, user=user, report=spec.name, today=now.astimezone(viewer.tz).date()
    )
    if errors:
        detail = [
            {"loc": ["query", field], "msg": "; ".join(msgs), "type": "value_error"}
            for field, msgs in errors.items()
        ]
        return Status(422, {"detail": detail})
    try:
        with timezone.override(viewer.tz):
            report = registry.run(spec.name, viewer, filters, now=now)
    except registry.ReportTimedOut as exc:
        return Status(503, {"detail": str(exc)})
    # Built from plain values already; encoded directly like the lead pages.
    return JsonResponse(report_json(report))
