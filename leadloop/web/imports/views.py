"""The import wizard: upload -> mapping -> dry run -> run in the worker -> result.

One page per import shows the step it is at: the mapping form (with the
guessed targets, sample values from several non-empty rows, and the stage
and owner values found in the whole file), a live progress bar while the
worker checks or imports, and the counts, the refused rows and links to the
imported leads once it is done. The views only translate: reading and
mapping are `imports.services`, the writing is `lifecycle.imports`.
"""

from __future__ import annotations

import itertools
import json
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseRedirect,
    StreamingHttpResponse,
)
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from leadloop.accounts.models import User
from leadloop.imports.fields import IMPORT_STAGES, LEAD_FIELDS
from leadloop.imports.guess import guess
from leadloop.imports.models import ImportProblem, ImportState, LeadImport
from leadloop.imports.reading import ReadError
from leadloop.imports.sampling import sample
from leadloop.imports.selectors import error_rows, visible_imports
from leadloop.imports.services import (
    configure,
    create_import,
    file_path,
    import_team,
    may_import,
    owner_columns,
    stage_columns,
    store_file,
    values_in_file,
)
from leadloop.lib import pages, sheets
from leadloop.lib.errors import NotPermitted
from leadloop.lib.pages import HtmxHttpRequest, current_user, page
from leadloop.lifecycle.imports import progress_of
from leadloop.lifecycle.tasks import queue_import
from leadloop.web.imports.forms import MappingForm, UploadForm

TARGET_LABELS = {
    "": "— leave out —",
    "attribute": "Keep as a custom attribute",
    "full_name": "Full name (split into first and last)",
    **{name: name.replace("_", " ").capitalize() for name in LEAD_FIELDS},
}
STAGE_LABELS = {"skip": "— skip these rows —", **{s: s.replace("_", " ") for s in IMPORT_STAGES}}
# How many distinct stage and owner values the mapping page offers a target for.
VALUES_SHOWN = 200


def _import_for(request: HttpRequest, import_id: int) -> LeadImport:
    return get_object_or_404(visible_imports(current_user(request)), pk=import_id)


def _may_change(user: User, lead_import: LeadImport) -> None:
    if not may_import(user, import_team(lead_import)):
        raise PermissionDenied


@require_GET
@page
def import_list(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    if not may_import(user) and not visible_imports(user).exists():
        raise PermissionDenied
    return render(
        request,
        "imports/list.html",
        {"imports": visible_imports(user)[:100], "may_import": may_import(user)},
    )


@require_http_methods(["GET", "POST"])
@page
def import_new(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    if not may_import(user):
        raise PermissionDenied
    form = UploadForm(request.POST or None, request.FILES or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                stored = store_file(upload, file_name=upload.name)
                lead_import = create_import(
                    stored=stored,
                    file_name=upload.name,
                    actor=user,
                    now=pages.clock(),
                    mapping=form.cleaned_data["mapping"],
                    sheet=form.cleaned_data.get("sheet") or "",
                )
            except ValidationError as exc:
                form.add_error("file", "; ".join(exc.messages))
            except NotPermitted:
                raise PermissionDenied from None
            else:
                return HttpResponseRedirect(reverse("imports:detail", args=[lead_import.pk]))
        status = 422
    return render(request, "imports/new.html", {"form": form}, status=status)


def _columns(lead_import: LeadImport) -> list[dict[str, Any]]:
    """Each file column with its target, why it was guessed, and a few sample values."""
    try:
        found = sample(file_path(lead_import), sheet=lead_import.sheet or None)
    except (ReadError, OSError):
        found = None
    reasons = guess(list(lead_import.header), found).reasons if found is not None else {}
    columns = lead_import.mapping.get("columns", {})
    rows = []
    for i, name in enumerate(lead_import.header):
        target = columns.get(name)
        choice = "attribute" if target and target.startswith("attributes.") else target or ""
        values = found.columns[name] if found is not None and name in found.columns else None
        rows.append(
            {
                "index": i,
                "name": name,
                "target": choice,
                "reason": reasons.get(name, ""),
                "samples": values.first(5) if values else [],
                "filled": values.filled if values else 0,
            }
        )
    return rows


def _mapping_context(lead_import: LeadImport, form: MappingForm | None = None) -> dict[str, Any]:
    stages = lead_import.mapping.get("stages", {})
    owners = lead_import.mapping.get("owners", {})
    try:
        stage_values = values_in_file(lead_import, stage_columns(lead_import))
        owner_values = values_in_file(lead_import, owner_columns(lead_import))
    except ValidationError:
        stage_values, owner_values = {}, {}
    stage_rows = [
        {"value": v, "count": n, "target": _stage_target(stages, v)}
        for v, n in sorted(stage_values.items(), key=lambda kv: -kv[1])[:VALUES_SHOWN]
    ]
    owner_rows = [
        {"value": v, "count": n, "target": owners.get(v, "")}
        for v, n in sorted(owner_values.items(), key=lambda kv: -kv[1])[:VALUES_SHOWN]
    ]
    users = User.objects.filter(is_active=True).order_by("username")
    return {
        "lead_import": lead_import,
        "columns": _columns(lead_import),
        "targets": TARGET_LABELS,
        "stage_rows": stage_rows,
        "stage_labels": STAGE_LABELS,
        "owner_rows": owner_rows,
        "users": users,
        "form": form or MappingForm(initial=MappingForm.initial_for(lead_import)),
        "problems": ImportProblem.objects.filter(lead_import=lead_import, dry_run=True)[:50],
        "checked": lead_import.checked,
    }


def _stage_target(stages: dict[str, Any], value: str) -> str:
    if value not in stages:
        return ""
    return stages[value] or "skip"


@require_GET
@page
def import_detail(request: HttpRequest, import_id: int) -> HttpResponse:
    lead_import = _import_for(request, import_id)
    if lead_import.is_busy:
        return render(request, "imports/running.html", _progress_context(lead_import))
    if lead_import.state in (ImportState.DONE,) or lead_import.last_line > 0:
        return render(request, "imports/result.html", _result_context(lead_import))
    return render(request, "imports/mapping.html", _mapping_context(lead_import))


@require_POST
@page
def import_mapping(request: HttpRequest, import_id: int) -> HttpResponse:
    """Save the mapping and options; then check (a dry run) or import, as the button says."""
    user = current_user(request)
    lead_import = _import_for(request, import_id)
    _may_change(user, lead_import)
    form = MappingForm(request.POST, user=user)
    if not form.is_valid():
        return render(
            request, "imports/mapping.html", _mapping_context(lead_import, form), status=422
        )
    mapping = form.mapping(lead_import, request.POST)
    try:
        configure(
            lead_import,
            actor=user,
            now=pages.clock(),
            mapping=mapping,
            campaign=form.cleaned_data.get("campaign"),
            campaign_name=form.cleaned_data.get("new_campaign") or None,
            channel=form.cleaned_data.get("channel") or None,
            team=form.cleaned_data.get("team"),
            date_order=form.cleaned_data.get("date_order") or "",
            on_error=form.cleaned_data["on_error"],
            update_existing=form.cleaned_data.get("update_existing", False),
        )
        action = request.POST.get("action", "save")
        if action in ("check", "import"):
            queue_import(lead_import, actor=user, now=pages.clock(), dry_run=action == "check")
    except ValidationError as exc:
        for field, errors in exc.message_dict.items():
            target = field if field in form.fields else None
            for message in errors:
                form.add_error(target, message)
        return render(
            request, "imports/mapping.html", _mapping_context(lead_import, form), status=422
        )
    except NotPermitted:
        raise PermissionDenied from None
    return HttpResponseRedirect(reverse("imports:detail", args=[lead_import.pk]))


def _progress_context(lead_import: LeadImport) -> dict[str, Any]:
    fraction, rows = progress_of(lead_import)
    return {
        "lead_import": lead_import,
        "fraction": fraction,
        "percent": round(fraction * 100),
        "rows": rows,
    }


@require_GET
@page
def import_progress(request: HtmxHttpRequest, import_id: int) -> HttpResponse:
    """The progress bar, polled while the worker checks or imports; a reload once it is over."""
    lead_import = _import_for(request, import_id)
    response = render(request, "imports/_progress.html", _progress_context(lead_import))
    if not lead_import.is_busy:
        response["HX-Refresh"] = "true"
    return response


def _result_context(lead_import: LeadImport) -> dict[str, Any]:
    return {
        "lead_import": lead_import,
        "mapping_json": json.dumps(lead_import.mapping, indent=2, ensure_ascii=False),
        "problems": ImportProblem.objects.filter(lead_import=lead_import, dry_run=False)[:50],
        "leads_url": f"{reverse('web:lead_list')}?import={lead_import.pk}",
        "resumable": lead_import.state == ImportState.FAILED and lead_import.last_line > 0,
    }


@require_POST
@page
def import_resume(request: HttpRequest, import_id: int) -> HttpResponse:
    user = current_user(request)
    lead_import = _import_for(request, import_id)
    _may_change(user, lead_import)
    try:
        queue_import(lead_import, actor=user, now=pages.clock(), dry_run=False)
    except ValidationError as exc:
        messages.error(request, "; ".join(exc.messages))
    return HttpResponseRedirect(reverse("imports:detail", args=[lead_import.pk]))


@require_GET
@page
def import_errors(request: HttpRequest, import_id: int) -> HttpResponseBase:
    lead_import = _import_for(request, import_id)
    dry_run = request.GET.get("dry_run") in ("1", "true")
    header, rows = error_rows(lead_import, dry_run=dry_run)
    response = StreamingHttpResponse(
        itertools.chain(["\ufeff"], sheets.csv_lines(header, rows)),
        content_type="text/csv; charset=utf-8",
    )
    kind = "check" if dry_run else "import"
    response["Content-Disposition"] = (
        f'attachment; filename="{kind}-{lead_import.pk}-rows-with-problems.csv"'
    )
    return response
