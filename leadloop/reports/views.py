"""Report pages, their CSV, and the monthly review pack (HTML and PDF). Thin: the
report modules compute, `render` and `charts` draw, `pdf` prints."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from leadloop.lib import pages
from leadloop.lib.pages import current_user, page
from leadloop.reports import charts, registry, review
from leadloop.reports.filters import ReportFilterForm
from leadloop.reports.pdf import render_pdf
from leadloop.reports.presentation import page_columns
from leadloop.reports.render import csv_text
from leadloop.reports.result import Report
from leadloop.reports.review import Pack
from leadloop.reports.scope import NotAllowed, Viewer


def _viewer(request: HttpRequest) -> Viewer:
    return Viewer(user=current_user(request), tz=timezone.get_current_timezone())


@dataclass
class Run:
    """A report asked for on a page or as CSV: the report, or why there is none.

    `status` 422: a filter was refused (the form names it); 503: the database
    stopped the report at the web request's time limit (`timed_out` says what
    to do). Either way no numbers are shown in place of the ones asked for.
    """

    spec: registry.Spec
    form: ReportFilterForm
    report: Report | None = None
    status: int = 200
    timed_out: str = ""


def _run(request: HttpRequest, name: str) -> Run:
    """The report for the reader and her GET filters; 404 unknown, 403 not hers to see."""
    user = current_user(request)
    viewer = _viewer(request)
    try:
        spec = registry.allowed(name, viewer)
    except registry.UnknownReport:
        raise Http404(f"No report '{name}'.") from None
    except NotAllowed as exc:
        raise PermissionDenied(str(exc)) from None
    now = pages.clock()
    form = ReportFilterForm(
        request.GET, user=user, report=spec.name, today=now.astimezone(viewer.tz).date()
    )
    if not form.is_valid():
        return Run(spec, form, status=422)
    try:
        report = registry.run(spec.name, viewer, form.filters(), now=now)
    except registry.ReportTimedOut as exc:
        return Run(spec, form, status=503, timed_out=str(exc))
    return Run(spec, form, report)


@require_GET
@page
def index(request: HttpRequest) -> HttpResponse:
    viewer = _viewer(request)
    return render(
        request,
        "reports/index.html",
        {
            "reports": registry.visible_reports(viewer),
            "may_review": viewer.own_rep is None,
        },
    )


@require_GET
@page
def report_page(request: HttpRequest, name: str) -> HttpResponse:
    run = _run(request, name)
    params = {k: v for k, v in request.GET.items() if k != "table" and v}
    form = run.form
    if run.report is not None and not (request.GET.get("date_from") or request.GET.get("date_to")):
        # The period the report used, in its date fields, not empty ones.
        form = _with_period(request, run.spec.name, run.report)
    context: dict[str, Any] = {
        "spec": run.spec,
        "report": run.report,
        "tables": [(t, page_columns(run.spec.name, t)) for t in run.report.tables]
        if run.report
        else [],
        "form": form,
        "timed_out": run.timed_out,
        "chart": charts.render(run.report.chart) if run.report else "",
        "query": urlencode(params),
        "restricted": _viewer(request).own_rep is not None,
    }
    return render(request, "reports/report.html", context, status=run.status)


def _with_period(request: HttpRequest, name: str, report: Report) -> ReportFilterForm:
    """The filter form as asked, with the report's default period filled in."""
    data = request.GET.copy()
    if report.date_from is not None:
        data["date_from"] = report.date_from.isoformat()
    if report.date_to is not None:
        data["date_to"] = report.date_to.isoformat()
    viewer = _viewer(request)
    form = ReportFilterForm(
        data,
        user=current_user(request),
        report=name,
        today=report.now.astimezone(viewer.tz).date(),
    )
    form.is_valid()
    return form


def _refusal_text(run: Run) -> str:
    """Why a CSV has no rows, a line per refused filter (`field: message`)."""
    if run.timed_out:
        return run.timed_out + "\n"
    return "".join(
        f"{field}: {' '.join(str(m) for m in messages)}\n"
        for field, messages in run.form.errors.items()
    )


@require_GET
@page
def report_csv(request: HttpRequest, name: str) -> HttpResponse:
    run = _run(request, name)
    report = run.report
    if report is None:
        return HttpResponse(
            _refusal_text(run), status=run.status, content_type="text/plain; charset=utf-8"
        )
    key = request.GET.get("table") or report.tables[0].key
    try:
        table = report.table(key)
    except KeyError:
        raise Http404(f"Report '{name}' has no table '{key}'.") from None
    response = HttpResponse(csv_text(table), content_type="text/csv; charset=utf-8")
    period = f"{report.date_from or 'start'}_{report.date_to or report.now.date()}"
    response["Content-Disposition"] = (
        f'attachment; filename="{report.name}-{table.key}-{period}.csv"'
    )
    return response


# ---------------------------------------------------------------- the review pack


def _pack(request: HttpRequest) -> tuple[Pack | None, dict[str, Any]]:
    """The pack for the GET's month and pair (default: last month, every pair)."""
    viewer = _viewer(request)
    if viewer.own_rep is not None:
        raise PermissionDenied("The review pack is for managers, marketing and admins.")
    now = pages.clock()
    this_month = now.astimezone(viewer.tz).date().replace(day=1)
    default = (this_month - timedelta(days=1)).replace(day=1)
    month_text = request.GET.get("month") or default.strftime("%Y-%m")
    pair = request.GET.get("pair") or None
    context: dict[str, Any] = {
        "month": month_text,
        "pair": pair or "",
        "pairs": review.all_pairs(viewer),
        "query": urlencode({k: v for k, v in {"month": month_text, "pair": pair}.items() if v}),
    }
    try:
        pack = review.build_pack(viewer, month=review.parse_month(month_text), now=now, pair=pair)
    except review.PackError as exc:
        context["error"] = str(exc)
        return None, context
    except NotAllowed as exc:
        raise PermissionDenied(str(exc)) from None
    return pack, context


@require_GET
@page
def review_page(request: HttpRequest) -> HttpResponse:
    pack, context = _pack(request)
    context["pack"] = pack
    return render(request, "reports/review.html", context, status=400 if pack is None else 200)


@require_GET
@page
def review_pdf(request: HttpRequest) -> HttpResponse:
    pack, context = _pack(request)
    if pack is None:
        return HttpResponse(context["error"], status=400, content_type="text/plain; charset=utf-8")
    response = HttpResponse(render_pdf(pack), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="review-{context["month"]}.pdf"'
    return response
