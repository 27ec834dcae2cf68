"""/api/v1/notifications: the caller's own inbox; nobody reads another's."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest
from django.utils import timezone
from ninja import Field, Query, Router, Schema

from leadloop.api.auth import caller
from leadloop.api.schemas import ERRORS
from leadloop.lib.zones import zone_named
from leadloop.notifications.models import Notification
from leadloop.notifications.selectors import inbox_page, unread_count, user_notifications
from leadloop.notifications.services import mark_all_read, mark_read
from leadloop.notifications.texts import render

router = Router(tags=["notifications"])


class NotificationOut(Schema):
    id: int
    kind: str = Field(description="sla_at_risk, sla_breached, escalation, lead_event, handoff")
    title: str
    body: str = Field(description="Times in it are in the caller's time zone.")
    url: str = Field(description="Absolute path of the page to open in the web app.")
    lead: int | None
    created_at: datetime
    read_at: datetime | None


class NotificationPageOut(Schema):
    items: list[NotificationOut]
    next_cursor: str | None
    unread: int = Field(description="How many of the caller's notifications are unread.")


class ReadAllOut(Schema):
    marked: int = Field(description="How many were unread and are now read.")
    unread: int


def notification_json(n: Notification) -> dict[str, Any]:
    """One notification, its text rendered in the active time zone."""
    text = render(n)
    return {
        "id": n.pk,
        "kind": n.kind,
        "title": text.title,
        "body": text.body,
        "url": text.url,
        "lead": n.lead_id,
        "created_at": n.created_at,
        "read_at": n.read_at,
    }


@router.get(
    "",
    response={200: NotificationPageOut, **ERRORS},
    summary="Your notifications, unread first, then newest",
    description=(
        "Only the caller's own. Pass `next_cursor` back as `cursor` for the next page; "
        "`unread=true` lists only the unread ones."
    ),
)
def list_notifications(
    request: HttpRequest,
    unread: bool = False,
    cursor: str | None = None,
    limit: int = Query(25, ge=1, le=200),
) -> Any:
    user = caller(request)
    try:
        rows, next_cursor = inbox_page(user, unread_only=unread, cursor=cursor, limit=limit)
    except ValueError as exc:
        raise ValidationError({"cursor": str(exc)}) from None
    with timezone.override(zone_named(user.timezone)):
        items = [notification_json(n) for n in rows]
    return {"items": items, "next_cursor": next_cursor, "unread": unread_count(user)}


@router.post(
    "/read-all",
    response={200: ReadAllOut, **ERRORS},
    summary="Mark all your notifications read",
)
def read_all(request: HttpRequest) -> Any:
    user = caller(request)
    marked = mark_all_read(user=user, now=timezone.now())
    return {"marked": marked, "unread": unread_count(user)}


@router.post(
    "/{notification_id}/read",
    response={200: NotificationOut, **ERRORS},
    summary="Mark one of your notifications read",
    description="Idempotent: marking it again keeps the first `read_at`. 404 if it is not yours.",
)
def read_one(request: HttpRequest, notification_id: int) -> Any:
    user = caller(request)
    try:
        mark_read(user=user, notification_id=notification_id, now=timezone.now())
    except Notification.DoesNotExist:
        raise Http404("No such notification.") from None
    n = user_notifications(user).get(pk=notification_id)
    with timezone.override(zone_named(user.timezone)):
        return notification_json(n)
