"""Writes: endpoints, the outbox, claiming deliveries and recording their attempts.

The outbox is written by the actions layer in the transaction of the events
it tells of (`write_for_events`, and `insert_for_events_sql` for the sweeps'
INSERT ... SELECT): a rolled-back change leaves no message, a committed one
cannot lose its message. The worker claims due messages (`claim`), sends
them outside any transaction, and records each attempt (`record`).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Exists, OuterRef, Q

from leadloop.accounts.models import Team, User
from leadloop.leads.models import Lead, LeadEvent
from leadloop.lib.times import utc
from leadloop.webhooks import secrets, transport
from leadloop.webhooks.choices import ALL, DeliveryState
from leadloop.webhooks.models import Delivery, DeliveryAttempt, Endpoint
from leadloop.webhooks.rules import (
    FAILING_LIMIT,
    ROTATION_OVERLAP,
    TIMEOUT_SECONDS,
    clean_event_types,
    retry_after,
    retry_delay,
    url_refusal,
)
from leadloop.webhooks.selectors import forget_subscriptions, subscriptions

# How long a delivered message stays in the log, and how many go per purge.
LOG_KEPT = timedelta(days=30)
PURGE_BATCH = 10_000
# How many messages one claim takes; each is held long enough to be sent
# after all those before it timed out.
CLAIM_BATCH = 50


def _stored_types(events: Sequence[str]) -> str:
    return ALL if list(events) == [ALL] else " " + " ".join(events) + " "


def check_url(url: str) -> str:
    """A URL fit to register: http(s), and (unless private targets are allowed)
    resolving to public addresses only."""
    url = (url or "").strip()
    refusal = url_refusal(url)
    if refusal:
        raise ValidationError({"url": refusal})
    try:
        transport.resolve(url)
    except transport.Refused as exc:
        raise ValidationError({"url": str(exc)}) from None
    return url


def create_endpoint(
    *,
    url: str,
    events: Iterable[str],
    owner: User | None,
    team: Team | None,
    now: datetime,
    description: str = "",
    is_active: bool = True,
) -> tuple[Endpoint, str]:
    """Register an endpoint; returns it with its secret, which is never shown again."""
    url = check_url(url)
    types = clean_event_types(events)
    if len(description) > 200:
        raise ValidationError({"description": "at most 200 characters"})
    secret = secrets.new_secret()
    endpoint = Endpoint.objects.create(
        url=url,
        event_types=_stored_types(types),
        owner=owner,
        team=team,
        description=description,
        secret=secrets.seal(secret),
        is_active=is_active,
        created_at=now,
        updated_at=now,
    )
    forget_subscriptions()
    return endpoint, secret


def update_endpoint(
    endpoint: Endpoint,
    *,
    now: datetime,
    url: str | None = None,
    events: Iterable[str] | None = None,
    description: str | None = None,
    is_active: bool | None = None,
) -> Endpoint:
    """Change an endpoint; turning it back on clears why it was off and its failing run."""
    if url is not None:
        endpoint.url = check_url(url)
    if events is not None:
        endpoint.event_types = _stored_types(clean_event_types(events))
    if description is not None:
        if len(description) > 200:
            raise ValidationError({"description": "at most 200 characters"})
        endpoint.description = description
    if is_active is not None:
        if is_active and not endpoint.is_active:
            endpoint.disabled_reason = ""
            endpoint.failing_since = None
        endpoint.is_active = is_active
        if not is_active and not endpoint.disabled_reason:
            endpoint.disabled_reason = "turned off by hand"
    endpoint.updated_at = now
    endpoint.save()
    forget_subscriptions()
    return endpoint


def delete_endpoint(endpoint: Endpoint) -> None:
    endpoint.delete()
    forget_subscriptions()


def rotate_secret(endpoint: Endpoint, *, now: datetime) -> str:
    """A new secret; the old one keeps signing beside it for 24 hours."""
    secret = secrets.new_secret()
    endpoint.previous_secret = endpoint.secret
    endpoint.previous_secret_until = now + ROTATION_OVERLAP
    endpoint.secret = secrets.seal(secret)
    endpoint.updated_at = now
    endpoint.save(
        update_fields=["previous_secret", "previous_secret_until", "secret", "updated_at"]
    )
    return secret


def signing_secrets(endpoint: Endpoint, *, now: datetime) -> list[str]:
    keys = [secrets.unseal(endpoint.secret)]
    if (
        endpoint.previous_secret
        and endpoint.previous_secret_until is not None
        and endpoint.previous_secret_until > now
    ):
        keys.append(secrets.unseal(endpoint.previous_secret))
    return keys


def disable(endpoint: Endpoint, *, reason: str, now: datetime) -> bool:
    """Turn an endpoint off saying why; True if this call turned it off."""
    won = Endpoint.objects.filter(pk=endpoint.pk, is_active=True).update(
        is_active=False, disabled_reason=reason[:300], updated_at=now
    )
    forget_subscriptions()
    return won == 1


# --- the outbox -------------------------------------------------------------


@dataclass(frozen=True)
class Outgoing:
    """One lead event to tell of: its type and the team whose lead it is."""

    event: LeadEvent
    type: str
    team_id: int | None


def write_for_events(items: Iterable[Outgoing], *, now: datetime) -> list[Delivery]:
    """A message per event and endpoint that wants it, in the caller's transaction."""
    subs = subscriptions()
    if not subs:
        return []
    rows = [
        Delivery(
            endpoint_id=s.endpoint_id,
            event_type=item.type,
            event_id=item.event.pk,
            lead_id=item.event.lead_id,
            next_attempt_at=now,
            created_at=now,
        )
        for item in items
        for s in subs
        if s.takes(item.type, item.team_id)
    ]
    return Delivery.objects.bulk_create(rows)


def write_message(
    *, type_: str, team_id: int | None, data: dict[str, Any], now: datetime
) -> list[Delivery]:
    """A message that is not about one lead event (an import finished), to each taker."""
    rows = [
        Delivery(
            endpoint_id=s.endpoint_id,
            event_type=type_,
            data=data,
            next_attempt_at=now,
            created_at=now,
        )
        for s in subscriptions()
        if s.takes(type_, team_id)
    ]
    return Delivery.objects.bulk_create(rows)


def write_test(endpoint: Endpoint, *, type_: str, now: datetime) -> Delivery:
    """A test message to one endpoint, whatever types it asked for. An endpoint that is
    off sends nothing, so asking it for a test is refused."""
    if not endpoint.is_active:
        raise ValidationError({"endpoint": "the endpoint is off; turn it on to send a test"})
    return Delivery.objects.create(
        endpoint=endpoint,
        event_type=type_,
        data={"test": True, "endpoint": endpoint.pk, "url": endpoint.url},
        next_attempt_at=now,
        created_at=now,
    )


def insert_for_events_sql(
    *, type_: str, events_where: str, params: Sequence[Any], now: datetime
) -> int:
    """The outbox rows for events a sweep just wrote in SQL, in one INSERT ... SELECT.

    `events_where` picks the events (alias `e`, joined to their lead `l`);
    each goes to every active endpoint of its lead's team (or of every team)
    that wants `type_`. A second run over the same events adds nothing
    (one message per endpoint and event).
    """
    t_delivery = Delivery._meta.db_table
    t_endpoint = Endpoint._meta.db_table
    t_event = LeadEvent._meta.db_table
    t_lead = Lead._meta.db_table
    at = connection.ops.adapt_datetimefield_value(now)
    true = "TRUE" if connection.vendor == "postgresql" else "1"
    statement = (
        f"INSERT INTO {t_delivery} (endpoint_id, event_type, event_id, lead_id, data, "
        "message_id, body, state, attempts, next_attempt_at, claimed_until, last_status, "
        "created_at, delivered_at) "
        f"SELECT ep.id, %s, e.id, e.lead_id, '{{}}', '', '', '{DeliveryState.PENDING}', 0, %s, "
        "NULL, NULL, %s, NULL "
        f"FROM {t_event} e JOIN {t_lead} l ON l.id = e.lead_id "
        f"JOIN {t_endpoint} ep ON ep.is_active = {true} "
        "AND (ep.team_id IS NULL OR ep.team_id = l.team_id) "
        "AND (ep.event_types = '*' OR ep.event_types LIKE %s) "
        f"WHERE {events_where} ORDER BY e.id, ep.id "
        "ON CONFLICT DO NOTHING"
    )
    with connection.cursor() as cur:
        cur.execute(statement, [type_, at, at, f"% {type_} %", *params])
        return max(cur.rowcount, 0)


# --- sending ----------------------------------------------------------------


def due(now: datetime) -> Q:
    return Q(state=DeliveryState.PENDING, next_attempt_at__lte=now, endpoint__is_active=True) & (
        Q(claimed_until__isnull=True) | Q(claimed_until__lte=now)
    )


def claim(
    *, now: datetime, limit: int = CLAIM_BATCH, ids: Sequence[int] | None = None
) -> list[Delivery]:
    """Take due messages for sending: held (`claimed_until`) so another worker leaves
    them, and given their `webhook-id`. A lead's later message waits while an earlier
    one to the same endpoint is still pending, so each endpoint hears a lead's events
    in order. On PostgreSQL several workers claim side by side (SKIP LOCKED)."""
    earlier = Delivery.objects.filter(
        endpoint_id=OuterRef("endpoint_id"),
        lead_id=OuterRef("lead_id"),
        id__lt=OuterRef("id"),
        state=DeliveryState.PENDING,
    )
    with transaction.atomic():
        rows = Delivery.objects.filter(due(now)).exclude(Exists(earlier))
        if ids is not None:
            rows = rows.filter(pk__in=list(ids))
        rows = rows.order_by("id")
        if connection.features.has_select_for_update_skip_locked:
            rows = rows.select_for_update(skip_locked=True, of=("self",))
        taken = list(rows.select_related("endpoint")[:limit])
        claimed = []
        for i, row in enumerate(taken):
            until = now + timedelta(seconds=TIMEOUT_SECONDS * (i + 1) + 30)
            message_id = row.message_id or f"msg_{uuid.uuid4().hex}"
            won = Delivery.objects.filter(
                pk=row.pk, state=DeliveryState.PENDING, claimed_until=row.claimed_until
            ).update(claimed_until=until, message_id=message_id)
            if won:
                row.claimed_until = until
                row.message_id = message_id
                claimed.append(row)
    return claimed


def keep_bodies(batch: Sequence[Delivery]) -> None:
    """The first attempt's body is what every retry and resend sends: kept before
    anything is sent, in one write for the batch."""
    with transaction.atomic():
        for delivery in batch:
            Delivery.objects.filter(pk=delivery.pk, body="").update(body=delivery.body)


@dataclass(frozen=True)
class Outcome:
    delivered: bool
    disabled_because: str = ""


def record(delivery: Delivery, answer: transport.Answer, *, now: datetime) -> Outcome:
    """Log the attempt and decide what follows: delivered, a retry (on the schedule,
    or later if the receiver asked with Retry-After), failed for good; a 410 or three
    days of nothing but failures turn the endpoint off."""
    endpoint = delivery.endpoint
    with transaction.atomic():
        DeliveryAttempt.objects.create(
            delivery=delivery,
            at=now,
            status_code=answer.status,
            latency_ms=answer.latency_ms,
            response=answer.response,
            error=answer.error,
        )
        attempts = delivery.attempts + 1
        if answer.ok:
            Delivery.objects.filter(pk=delivery.pk).update(
                state=DeliveryState.DELIVERED,
                attempts=attempts,
                delivered_at=now,
                claimed_until=None,
                last_status=answer.status,
            )
            Endpoint.objects.filter(pk=endpoint.pk).exclude(failing_since=None).update(
                failing_since=None
            )
            return Outcome(delivered=True)
        delay = retry_delay(attempts)
        asked = retry_after(answer.retry_after, now=now) if answer.status in (429, 503) else None
        if delay is not None and asked is not None:
            delay = max(delay, asked)
        changes: dict[str, Any] = {
            "attempts": attempts,
            "claimed_until": None,
            "last_status": answer.status,
        }
        if delay is None:
            changes["state"] = DeliveryState.FAILED
        else:
            changes["next_attempt_at"] = now + delay
        Delivery.objects.filter(pk=delivery.pk).update(**changes)
        Endpoint.objects.filter(pk=endpoint.pk, failing_since=None).update(failing_since=now)
        endpoint.refresh_from_db(fields=["failing_since", "is_active"])
        reason = ""
        if answer.status == 410:
            reason = "the receiver answered 410 Gone"
        elif endpoint.failing_since is not None and now - endpoint.failing_since >= FAILING_LIMIT:
            reason = f"every delivery failed since {utc(endpoint.failing_since):%Y-%m-%d %H:%M} UTC"
        if reason and disable(endpoint, reason=reason, now=now):
            return Outcome(delivered=False, disabled_because=reason)
    return Outcome(delivered=False)


def resend(delivery: Delivery, *, now: datetime) -> Delivery:
    """Send a message again (delivered or failed): the same id and body, a new attempt now."""
    Delivery.objects.filter(pk=delivery.pk).update(
        state=DeliveryState.PENDING,
        next_attempt_at=now,
        claimed_until=None,
        delivered_at=None,
        attempts=0,
    )
    delivery.refresh_from_db()
    return delivery


def resend_failed(endpoint: Endpoint, *, since: datetime, now: datetime) -> int:
    """Every failed message of the endpoint written since a time, to be sent again now."""
    return Delivery.objects.filter(
        endpoint=endpoint, state=DeliveryState.FAILED, created_at__gte=since
    ).update(state=DeliveryState.PENDING, next_attempt_at=now, claimed_until=None, attempts=0)


def purge_delivered(*, now: datetime, limit: int = PURGE_BATCH) -> int:
    """Delivered messages past the log's window go, with their attempts; failed and
    pending ones stay until they are delivered or their endpoint is deleted."""
    old = list(
        Delivery.objects.filter(
            state=DeliveryState.DELIVERED, delivered_at__lt=now - LOG_KEPT
        ).values_list("pk", flat=True)[:limit]
    )
    if not old:
        return 0
    with transaction.atomic():
        DeliveryAttempt.objects.filter(delivery_id__in=old).delete()
        Delivery.objects.filter(pk__in=old).delete()
    return len(old)
