"""/api/v1/forms: a campaign's public web forms, for managers, marketing and admins.

A form's `key` opens its public doors (`/f/{key}`, `/f/{key}.js`); `stats`
counts its views, submissions, leads created and refusals by reason.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from ninja import Field, Router, Schema, Status
from pydantic import StrictBool

from leadloop.accounts.models import User
from leadloop.api.auth import caller
from leadloop.api.schemas import ERRORS, Id
from leadloop.campaigns.models import Campaign
from leadloop.lib.errors import NotPermitted
from leadloop.webforms.models import Form
from leadloop.webforms.rules import MAX_FIELDS, MAX_ORIGINS
from leadloop.webforms.selectors import manageable_forms, may_manage_forms, stats, with_counts
from leadloop.webforms.services import create_form, delete_form, update_form

router = Router(tags=["forms"])

FIELDS_DOC = (
    "The fields shown, in order: a lead field name (`email`, `first_name`, …) or "
    "`attributes.<name>`, as a string or `{name, label, required}`. A form must ask for "
    "`email` or `phone`."
)


class FieldIn(Schema):
    name: str = Field(max_length=80)
    label: str = Field("", max_length=200)
    required: StrictBool = False


class FieldOut(Schema):
    name: str
    label: str
    required: bool


class FormIn(Schema):
    campaign: Id = Field(description="Campaign id (GET /campaigns).")
    name: str = Field(max_length=160)
    fields: list[FieldIn | str] = Field(description=FIELDS_DOC, max_length=MAX_FIELDS)
    consent_text: str = Field("", max_length=1000)
    thank_you: str = Field("", max_length=2000)
    redirect_url: str = Field(
        "", max_length=500, description="Must be on one of `allowed_origins`."
    )
    allowed_origins: list[str] = Field(
        default_factory=list,
        max_length=MAX_ORIGINS,
        description="Origins whose pages may embed and post the form, e.g. https://example.com.",
    )
    allow_unstamped: StrictBool = Field(
        True, description="Accept plain HTML posts, which carry no fill-time stamp."
    )
    is_active: StrictBool = True


class FormPatch(Schema):
    """Settings to change; the ones left out keep their values."""

    campaign: Id | None = None
    name: str | None = Field(None, max_length=160)
    fields: list[FieldIn | str] | None = Field(None, max_length=MAX_FIELDS)
    consent_text: str | None = Field(None, max_length=1000)
    thank_you: str | None = Field(None, max_length=2000)
    redirect_url: str | None = Field(None, max_length=500)
    allowed_origins: list[str] | None = Field(None, max_length=MAX_ORIGINS)
    allow_unstamped: StrictBool | None = None
    is_active: StrictBool | None = None


class StatsOut(Schema):
    views: int
    submissions: int
    leads_created: int
    conversion: float | None = Field(description="Submissions per view.")
    spam: dict[str, int] = Field(description="Refused submissions by reason.")


class FormOut(Schema):
    id: int
    key: str
    campaign: int
    name: str
    fields: list[FieldOut]
    consent_text: str
    thank_you: str
    redirect_url: str
    allowed_origins: list[str]
    allow_unstamped: bool
    is_active: bool
    page_url: str
    script_url: str
    created_at: datetime
    updated_at: datetime
    stats: StatsOut


def form_json(request: HttpRequest, form: Form) -> dict[str, Any]:
    page = request.build_absolute_uri(reverse("webforms_public:form", args=[form.key]))
    return {
        "id": form.pk,
        "key": form.key,
        "campaign": form.campaign_id,
        "name": form.name,
        "fields": form.fields,
        "consent_text": form.consent_text,
        "thank_you": form.thank_you,
        "redirect_url": form.redirect_url,
        "allowed_origins": form.allowed_origins,
        "allow_unstamped": form.allow_unstamped,
        "is_active": form.is_active,
        "page_url": page,
        "script_url": page + ".js",
        "created_at": form.created_at,
        "updated_at": form.updated_at,
        "stats": stats(form).as_json(),
    }


def _manager(request: HttpRequest) -> User:
    user = caller(request)
    if not may_manage_forms(user):
        raise NotPermitted("Only managers, marketing and admins manage web forms.")
    return user


def _fields(items: list[FieldIn | str]) -> list[Any]:
    return [item if isinstance(item, str) else item.dict() for item in items]


@router.post(
    "",
    response={201: FormOut, **ERRORS},
    summary="Create a web form",
    description="Answers 201 with the form's `id` and public `key`.",
)
def create(request: HttpRequest, body: FormIn) -> Any:
    user = _manager(request)
    campaign = get_object_or_404(Campaign, pk=body.campaign)
    form = create_form(
        actor=user,
        campaign=campaign,
        name=body.name,
        fields=_fields(body.fields),
        consent_text=body.consent_text,
        thank_you=body.thank_you,
        redirect_url=body.redirect_url,
        allowed_origins=body.allowed_origins,
        allow_unstamped=body.allow_unstamped,
        is_active=body.is_active,
        now=timezone.now(),
    )
    return Status(201, form_json(request, form))


@router.get("", response={200: list[FormOut], **ERRORS}, summary="Web forms you manage")
def list_forms(request: HttpRequest) -> Any:
    user = _manager(request)
    return [
        form_json(request, f) for f in with_counts(manageable_forms(user)).order_by("name", "pk")
    ]


@router.get("/{form_id}", response={200: FormOut, **ERRORS}, summary="One web form")
def get_form(request: HttpRequest, form_id: Id) -> Any:
    user = _manager(request)
    return form_json(request, get_object_or_404(manageable_forms(user), pk=form_id))


@router.patch("/{form_id}", response={200: FormOut, **ERRORS}, summary="Change a web form")
def patch_form(request: HttpRequest, form_id: Id, body: FormPatch) -> Any:
    user = _manager(request)
    form = get_object_or_404(manageable_forms(user), pk=form_id)
    changes = body.dict(exclude_unset=True)
    for name, value in list(changes.items()):
        if value is None:
            del changes[name]  # null is "leave it"
    if "campaign" in changes:
        changes["campaign"] = get_object_or_404(Campaign, pk=changes["campaign"])
    if "fields" in changes:
        changes["fields"] = _fields(body.fields or [])
    form = update_form(form=form, actor=user, now=timezone.now(), **changes)
    return form_json(request, form)


@router.delete(
    "/{form_id}",
    response={204: None, **ERRORS},
    summary="Delete a web form",
    description="Its key stops working; its submissions stay, with their consent records.",
)
def remove_form(request: HttpRequest, form_id: Id) -> Any:
    user = _manager(request)
    form = get_object_or_404(manageable_forms(user), pk=form_id)
    delete_form(form=form, actor=user)
    return Status(204, None)
