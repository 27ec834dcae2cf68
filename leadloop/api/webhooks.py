"""/api/v1/webhooks: endpoints (admins only), their delivery logs, resends and tests.

    POST   /api/v1/webhooks                      {url, events, team?} -> 201 {id, secret, ...}
    GET    /api/v1/webhooks                      every endpoint
    GET    /api/v1/webhooks/{id}                 one, with its message counts
    PATCH  /api/v1/webhooks/{id}                 url, events, description, active
    DELETE /api/v1/webhooks/{id}
    POST   /api/v1/webhooks/{id}/rotate-secret   a new secret; the old one signs beside it 24 h
    GET    /api/v1/webhooks/{id}/deliveries      messages, newest first, each with its attempts
    POST   /api/v1/webhooks/{id}/deliveries/{delivery_id}/resend
    POST   /api/v1/webhooks/{id}/resend-failed   {since}: every failed message since then
    POST   /api/v1/webhooks/{id}/test            a `webhook.test` message, sent now

The secret is answered only by the create and the rotation. Endpoints reach
other systems with the whole organisation's data, so only admins manage them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.utils import timezone
from ninja import Field, Query, Router, Schema, Status
from pydantic import StrictBool

from leadloop.accounts.choices import Role
from leadloop.accounts.models import Team
from leadloop.accounts.models import User as UserModel
from leadloop.api.auth import caller
from leadloop.api.schemas import ERRORS, Id, UtcDateTime
from leadloop.lib.errors import NotPermitted
from leadloop.lifecycle import webhooks
from leadloop.webhooks import services
from leadloop.webhooks.models import Delivery, DeliveryAttempt, Endpoint
from leadloop.webhooks.selectors import counts, deliveries, endpoints

router = Router(tags=["webhooks"])

EventName = str


class EndpointIn(Schema):
    url: str = Field(max_length=500)
    events: list[EventName] = Field(min_length=1, max_length=50)
    team: Id | None = None
    description: str = Field("", max_length=200)
    active: StrictBool = True


class EndpointPatch(Schema):
    url: str | None = Field(None, max_length=500)
    events: list[EventName] | None = Field(None, min_length=1, max_length=50)
    description: str | None = Field(None, max_length=200)
    active: StrictBool | None = None


class EndpointOut(Schema):
    id: int
    url: str
    events: list[str]
    team: int | None
    team_name: str | None
    description: str
    active: bool
    disabled_reason: str
    failing_since: datetime | None
    secret_rotated_until: datetime | None
    created_at: datetime
    updated_at: datetime
    deliveries: dict[str, int]


class EndpointCreatedOut(EndpointOut):
    secret: str


class SecretOut(Schema):
    id: int
    secret: str
    previous_secret_valid_until: datetime | None


class AttemptOut(Schema):
    at: datetime
    status: int | None
    latency_ms: int
    response: str
    error: str


class DeliveryOut(Schema):
    id: int
    message_id: str
    event_type: str
    event: int | None
    lead: int | None
    state: str
    attempts: int
    next_attempt_at: datetime
    last_status: int | None
    created_at: datetime
    delivered_at: datetime | None
    log: list[AttemptOut]


class DeliveryFilters(Schema):
    state: Literal["pending", "delivered", "failed"] | None = None
    since: UtcDateTime | None = None
    limit: int = Field(100, ge=1, le=1000)


class ResendFailedIn(Schema):
    since: UtcDateTime


class QueuedOut(Schema):
    queued: int


def _admin(request: HttpRequest) -> UserModel:
    user = caller(request)
    if user.role != Role.ADMIN:
        raise NotPermitted("Only admins manage webhook endpoints.")
    return user


def _endpoint(request: HttpRequest, endpoint_id: int) -> Endpoint:
    _admin(request)
    return get_object_or_404(endpoints(), pk=endpoint_id)


def endpoint_json(endpoint: Endpoint) -> dict[str, Any]:
    rotated = endpoint.previous_secret_until
    return {
        "id": endpoint.pk,
        "url": endpoint.url,
        "events": endpoint.events,
        "team": endpoint.team_id,
        "team_name": endpoint.team.name if endpoint.team else None,
        "description": endpoint.description,
        "active": endpoint.is_active,
        "disabled_reason": endpoint.disabled_reason,
        "failing_since": endpoint.failing_since,
        "secret_rotated_until": rotated if rotated and rotated > timezone.now() else None,
        "created_at": endpoint.created_at,
        "updated_at": endpoint.updated_at,
        "deliveries": counts(endpoint),
    }


def attempt_json(attempt: DeliveryAttempt) -> dict[str, Any]:
    return {
        "at": attempt.at,
        "status": attempt.status_code,
        "latency_ms": attempt.latency_ms,
        "response": attempt.response,
        "error": attempt.error,
    }


def delivery_json(delivery: Delivery) -> dict[str, Any]:
    return {
        "id": delivery.pk,
        "message_id": delivery.message_id,
        "event_type": delivery.event_type,
        "event": delivery.event_id,
        "lead": delivery.lead_id,
        "state": delivery.state,
        "attempts": delivery.attempts,
        "next_attempt_at": delivery.next_attempt_at,
        "last_status": delivery.last_status,
        "created_at": delivery.created_at,
        "delivered_at": delivery.delivered_at,
        "log": [attempt_json(a) for a in delivery.attempt_log.all()],
    }


@router.post(
    "",
    response={201: EndpointCreatedOut, **ERRORS},
    summary="Register a webhook endpoint",
    description=(
        "`events`: event types (`lead.created`, `lead.stage_changed`, `lead.handed_off`, "
        "`lead.feedback_recorded`, `lead.assigned`, `sla.breached`, `import.finished`, ...) or "
        '`["*"]` for all. `team`: only that team\'s leads (default: every team). The answer '
        "carries the signing `secret` (`whsec_...`); it is never shown again."
    ),
)
def create(request: HttpRequest, payload: EndpointIn) -> Any:
    user = _admin(request)
    team = None
    if payload.team is not None:
        team = Team.objects.filter(pk=payload.team).first()
        if team is None:
            raise ValidationError({"team": f"no team {payload.team}"})
    endpoint, secret = services.create_endpoint(
        url=payload.url,
        events=payload.events,
        owner=user,
        team=team,
        description=payload.description,
        is_active=payload.active,
        now=timezone.now(),
    )
    endpoint = endpoints().get(pk=endpoint.pk)
    return Status(201, {**endpoint_json(endpoint), "secret": secret})


@router.get("", response={200: list[EndpointOut], **ERRORS}, summary="Webhook endpoints")
def list_endpoints(request: HttpRequest) -> Any:
    _admin(request)
    return [endpoint_json(e) for e in endpoints()]


@router.get("/{endpoint_id}", response={200: EndpointOut, **ERRORS}, summary="One endpoint")
def get_endpoint(request: HttpRequest, endpoint_id: Id) -> Any:
    return endpoint_json(_endpoint(request, endpoint_id))


@router.patch(
    "/{endpoint_id}",
    response={200: EndpointOut, **ERRORS},
    summary="Change an endpoint",
    description="Turning an endpoint back on (`active: true`) sends the messages that waited.",
)
def patch_endpoint(request: HttpRequest, endpoint_id: Id, payload: EndpointPatch) -> Any:
    endpoint = _endpoint(request, endpoint_id)
    changes = payload.model_dump(exclude_unset=True)
    services.update_endpoint(
        endpoint,
        now=timezone.now(),
        url=changes.get("url"),
        events=changes.get("events"),
        description=changes.get("description"),
        is_active=changes.get("active"),
    )
    return endpoint_json(endpoints().get(pk=endpoint.pk))


@router.delete("/{endpoint_id}", response={204: None, **ERRORS}, summary="Delete an endpoint")
def delete_endpoint(request: HttpRequest, endpoint_id: Id) -> Any:
    services.delete_endpoint(_endpoint(request, endpoint_id))
    return Status(204, None)


@router.post(
    "/{endpoint_id}/rotate-secret",
    response={200: SecretOut, **ERRORS},
    summary="Rotate the signing secret",
    description="A new secret, shown once; messages carry a signature with each for 24 hours.",
)
def rotate(request: HttpRequest, endpoint_id: Id) -> Any:
    endpoint = _endpoint(request, endpoint_id)
    secret = services.rotate_secret(endpoint, now=timezone.now())
    return {
        "id": endpoint.pk,
        "secret": secret,
        "previous_secret_valid_until": endpoint.previous_secret_until,
    }


@router.get(
    "/{endpoint_id}/deliveries",
    response={200: list[DeliveryOut], **ERRORS},
    summary="The endpoint's delivery log",
    description="Messages newest first, each with every attempt: time, status, latency, "
    "the first KiB of the answer or the error.",
)
def list_deliveries(request: HttpRequest, endpoint_id: Id, filters: Query[DeliveryFilters]) -> Any:
    endpoint = _endpoint(request, endpoint_id)
    rows = deliveries(endpoint, state=filters.state, since=filters.since)[: filters.limit]
    return [delivery_json(d) for d in rows]


@router.post(
    "/{endpoint_id}/deliveries/{delivery_id}/resend",
    response={202: DeliveryOut, **ERRORS},
    summary="Send one message again",
)
def resend(request: HttpRequest, endpoint_id: Id, delivery_id: Id) -> Any:
    endpoint = _endpoint(request, endpoint_id)
    delivery = get_object_or_404(Delivery, pk=delivery_id, endpoint=endpoint)
    webhooks.resend(delivery, now=timezone.now())
    return Status(202, delivery_json(deliveries(endpoint).get(pk=delivery.pk)))


@router.post(
    "/{endpoint_id}/resend-failed",
    response={202: QueuedOut, **ERRORS},
    summary="Send every failed message since a time again",
)
def resend_failed(request: HttpRequest, endpoint_id: Id, payload: ResendFailedIn) -> Any:
    endpoint = _endpoint(request, endpoint_id)
    count = webhooks.resend_failed(endpoint, since=payload.since, now=timezone.now())
    return Status(202, {"queued": count})


@router.post(
    "/{endpoint_id}/test",
    response={202: DeliveryOut, **ERRORS},
    summary="Send a test event",
    description="A `webhook.test` message, sent by the worker at once; its attempts show in "
    "the delivery log.",
)
def send_test(request: HttpRequest, endpoint_id: Id) -> Any:
    endpoint = _endpoint(request, endpoint_id)
    delivery = webhooks.send_test(endpoint, now=timezone.now())
    return Status(202, delivery_json(deliveries(endpoint).get(pk=delivery.pk)))
