"""Imports through the API: upload a file, follow its progress, fetch the rows it refused.

    POST /api/v1/imports              multipart: file, mapping, options -> 202 {"id": ...}
    GET  /api/v1/imports/{id}         state, progress and counts
    GET  /api/v1/imports/{id}/errors.csv
    POST /api/v1/imports/{id}/run     run (or, with dry_run, check) an uploaded import

The work happens in the worker; a client polls the import until its state
is `done` or `failed`. An Idempotency-Key makes a retried upload return
the first answer instead of importing the file twice (and a file imported
twice creates nothing the second time anyway: its rows are recognised).
"""

from __future__ import annotations

import hashlib
import itertools
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest, StreamingHttpResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from ninja import File, Form, Router, Schema
from ninja.files import UploadedFile
from pydantic import Field

from leadloop.accounts.models import Team
from leadloop.api.auth import caller
from leadloop.api.idempotency import run_once
from leadloop.api.schemas import ERRORS, Id
from leadloop.campaigns.models import Campaign
from leadloop.imports.models import ImportState, LeadImport, OnError
from leadloop.imports.selectors import error_rows, visible_imports
from leadloop.imports.services import (
    BUILT_IN,
    create_import,
    import_team,
    may_import,
    store_file,
)
from leadloop.lib import sheets
from leadloop.lib.errors import NotPermitted
from leadloop.lifecycle.imports import progress_of
from leadloop.lifecycle.tasks import queue_import

router = Router(tags=["imports"])


class CountsOut(Schema):
    created: int
    duplicates: int
    reopened: int
    updated: int
    unchanged: int
    skipped: int
    error_count: int


class ImportOut(Schema):
    id: int
    state: str = Field(description="uploaded, checking, checked, queued, running, done or failed")
    file_name: str
    created_at: datetime
    created_by: str | None
    campaign: str | None
    team: str | None
    mapping_name: str
    mapping: dict[str, Any]
    progress: float = Field(description="0..1 of the file read")
    rows_read: int
    counts: CountsOut
    checked: dict[str, Any] = Field(description="The counts of the last dry run, if any")
    message: str
    errors: list[dict[str, Any]] = Field(description="The first problems: line, column, message")
    errors_csv: str
    leads: str = Field(description="The lead list filtered to the leads this import made")


def import_json(lead_import: LeadImport) -> dict[str, Any]:
    fraction, rows = progress_of(lead_import)
    problems = lead_import.problems.filter(dry_run=False).order_by("line", "id")[:100]
    return {
        "id": lead_import.pk,
        "state": lead_import.state,
        "file_name": lead_import.file_name,
        "created_at": lead_import.created_at,
        "created_by": str(lead_import.created_by) if lead_import.created_by else None,
        "campaign": lead_import.campaign.name
        if lead_import.campaign
        else lead_import.campaign_name or None,
        "team": lead_import.team.name if lead_import.team else None,
        "mapping_name": lead_import.mapping_name,
        "mapping": lead_import.mapping,
        "progress": round(fraction, 4),
        "rows_read": rows,
        "counts": {
            "created": lead_import.created,
            "duplicates": lead_import.duplicates,
            "reopened": lead_import.reopened,
            "updated": lead_import.updated,
            "unchanged": lead_import.unchanged,
            "skipped": lead_import.skipped,
            "error_count": lead_import.error_count,
        },
        "checked": lead_import.checked,
        "message": lead_import.message,
        "errors": [{"line": p.line, "column": p.column, "message": p.message} for p in problems],
        "errors_csv": reverse("api-v1:import_errors", args=[lead_import.pk]),
        "leads": f"{reverse('web:lead_list')}?import={lead_import.pk}",
    }


def _visible(request: HttpRequest, import_id: int) -> LeadImport:
    return get_object_or_404(visible_imports(caller(request)), pk=import_id)


@router.post(
    "",
    response={202: ImportOut, **ERRORS},
    summary="Upload a lead file and import it (or check it) in the worker",
)
def upload(
    request: HttpRequest,
    file: File[UploadedFile],
    mapping: Form[str] = "auto",
    campaign: Form[int | None] = None,
    campaign_name: Form[str] = "",
    channel: Form[str] = "other",
    team: Form[int | None] = None,
    sheet: Form[str] = "",
    date_order: Form[str] = "",
    on_error: Form[str] = OnError.SKIP,
    update: Form[bool] = False,
    dry_run: Form[bool] = False,
) -> Any:
    """`mapping`: auto, salesforce, hubspot, pipedrive, leadloop, or the mapping JSON itself
    ({"columns": {...}, "stages": {...}, "owners": {...}})."""
    user = caller(request)
    now = timezone.now()
    chosen = Campaign.objects.filter(pk=campaign).first() if campaign else None
    if campaign and chosen is None:
        raise ValidationError({"campaign": f"no campaign with id {campaign}"})
    chosen_team = Team.objects.filter(pk=team).first() if team else None
    if team and chosen_team is None:
        raise ValidationError({"team": f"no team with id {team}"})
    if not chosen and not campaign_name.strip():
        raise ValidationError(
            {"campaign": "give campaign (an id) or campaign_name (made if it does not exist)"}
        )
    if not may_import(user, chosen_team or (chosen.team if chosen else None)):
        raise NotPermitted(f"{user} may not import leads for that team")
    stored = store_file(file, file_name=file.name or "leads")
    if mapping.strip().lower() in BUILT_IN:
        mapping = mapping.strip().lower()
    options = [campaign, campaign_name, channel, team, sheet, date_order, on_error, update]
    fingerprint = hashlib.sha256(
        f"POST imports {stored.sha256} {mapping} {options} {dry_run}".encode()
    ).hexdigest()

    def handle() -> tuple[int, dict[str, Any]]:
        lead_import = create_import(
            stored=stored,
            file_name=file.name or "leads",
            actor=user,
            now=now,
            mapping=mapping,
            campaign=chosen,
            campaign_name=campaign_name,
            channel=channel,
            team=chosen_team,
            sheet=sheet,
            date_order=date_order,
            on_error=on_error,
            update_existing=update,
        )
        lead_import = queue_import(lead_import, actor=user, now=now, dry_run=dry_run)
        return 202, import_json(lead_import)

    status, body = run_once(
        user=user,
        key=request.headers.get("Idempotency-Key"),
        now=now,
        handler=handle,
        fingerprint=fingerprint,
    )
    return status, body


@router.get("", response={200: list[ImportOut], **ERRORS}, summary="Imports you may see")
def list_imports(request: HttpRequest) -> Any:
    return [import_json(i) for i in visible_imports(caller(request))[:100]]


@router.get("/{import_id}", response={200: ImportOut, **ERRORS}, summary="An import's progress")
def get_import(request: HttpRequest, import_id: Id) -> Any:
    return import_json(_visible(request, import_id))


class RunIn(Schema):
    dry_run: bool = False


@router.post(
    "/{import_id}/run",
    response={202: ImportOut, **ERRORS},
    summary="Run an uploaded import, resume a stopped one, or check it (dry_run)",
)
def run(request: HttpRequest, import_id: Id, payload: RunIn) -> Any:
    user = caller(request)
    lead_import = _visible(request, import_id)
    if not may_import(user, import_team(lead_import)):
        raise NotPermitted(f"{user} may not run imports for that team")
    if payload.dry_run and lead_import.state not in (
        ImportState.UPLOADED,
        ImportState.CHECKED,
    ):
        raise ValidationError({"dry_run": f"import {lead_import.pk} has started already"})
    lead_import = queue_import(lead_import, actor=user, now=timezone.now(), dry_run=payload.dry_run)
    return 202, import_json(lead_import)


@router.get(
    "/{import_id}/errors.csv",
    response={200: None, **ERRORS},
    url_name="import_errors",
    summary="The rows an import (or its dry run: ?dry_run=true) could not import, as CSV",
)
def errors_csv(request: HttpRequest, import_id: Id, dry_run: bool = False) -> Any:
    lead_import = _visible(request, import_id)
    header, rows = error_rows(lead_import, dry_run=dry_run)
    response = StreamingHttpResponse(
        itertools.chain(["\ufeff"], sheets.csv_lines(header, rows)),
        content_type="text/csv; charset=utf-8",
    )
    response["Content-Disposition"] = f'attachment; filename="import-{lead_import.pk}-errors.csv"'
    return response
