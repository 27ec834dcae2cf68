"""Webhooks from the actions layer: the outbox written with the events, the sending.

`queue` is called wherever events are appended (`events.record_each`), so a
message is written in the very transaction of its event; the sweeps add
theirs in SQL (`queue_sql`). Once the transaction commits the worker is
asked to send at once (`tasks.deliver_webhooks`); the tick sends whatever
is due besides (retries, and anything a killed worker left).

The body is built when a message is first sent, from the lead as the API
shows it at that moment and the event exactly as written; it is then kept,
so every retry and resend carries the same bytes under the same id.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone
from standardwebhooks.webhooks import Webhook

from leadloop.leads.models import Lead, LeadEvent
from leadloop.leads.wire import event_json, lead_json
from leadloop.lib.times import iso_utc
from leadloop.notifications.choices import NotificationKind
from leadloop.notifications.services import Note, write
from leadloop.webhooks import services, transport
from leadloop.webhooks.choices import EventType
from leadloop.webhooks.models import Delivery, Endpoint
from leadloop.webhooks.rules import event_type
from leadloop.webhooks.selectors import anyone_wants, subscriptions

log = logging.getLogger("leadloop.webhooks")


class _Encoder(DjangoJSONEncoder):
    def default(self, o: Any) -> Any:
        if isinstance(o, datetime) and o.tzinfo is not None:
            return iso_utc(o)
        return super().default(o)


def queue(events: Sequence[LeadEvent], leads: Mapping[int, Lead], *, now: datetime) -> int:
    """Outbox rows for the events any active endpoint wants, in the current transaction.

    `leads` maps a lead id to its row when the caller has it (its team is read
    from there); other leads' teams are read in one query, and only when some
    endpoint wants one of the events at all.
    """
    if not events or not subscriptions():
        return 0
    typed = [(e, t) for e in events if (t := event_type(e.kind, e.action)) is not None]
    if not typed or not anyone_wants(t for _, t in typed):
        return 0
    teams: dict[int, int | None] = {pk: lead.team_id for pk, lead in leads.items()}
    missing = {e.lead_id for e, _ in typed} - teams.keys()
    if missing:
        teams.update(Lead.objects.filter(pk__in=missing).values_list("pk", "team_id"))
    written = services.write_for_events(
        (services.Outgoing(e, t, teams.get(e.lead_id)) for e, t in typed), now=now
    )
    if written:
        _send_on_commit()
    return len(written)


def queue_sql(*, kind: str, events_where: str, params: Sequence[Any], now: datetime) -> int:
    """Outbox rows for events a sweep wrote in SQL, set-based, in its transaction."""
    type_ = event_type(kind)
    if type_ is None or not anyone_wants([type_]):
        return 0
    written = services.insert_for_events_sql(
        type_=type_, events_where=events_where, params=params, now=now
    )
    if written:
        _send_on_commit()
    return written


def queue_import_finished(*, team_id: int | None, data: dict[str, Any], now: datetime) -> int:
    """One `import.finished` per import, not a message per imported row."""
    if not anyone_wants([EventType.IMPORT_FINISHED]):
        return 0
    written = services.write_message(
        type_=EventType.IMPORT_FINISHED, team_id=team_id, data=data, now=now
    )
    if written:
        _send_on_commit()
    return len(written)


def send_test(endpoint: Endpoint, *, now: datetime) -> Delivery:
    with transaction.atomic():
        delivery = services.write_test(endpoint, type_=EventType.WEBHOOK_TEST, now=now)
        _send_on_commit([delivery.pk])
    return delivery


def resend(delivery: Delivery, *, now: datetime) -> Delivery:
    with transaction.atomic():
        delivery = services.resend(delivery, now=now)
        _send_on_commit([delivery.pk])
    return delivery


def resend_failed(endpoint: Endpoint, *, since: datetime, now: datetime) -> int:
    with transaction.atomic():
        count = services.resend_failed(endpoint, since=since, now=now)
        if count:
            _send_on_commit()
    return count


# A process wakes the worker at most this often for new messages; a message
# committed in between is covered by one wake scheduled for the end of the
# window. Enqueuing a task costs about a millisecond (a write to the queue):
# once per transaction would double the cost of a busy transition.
WAKE_EVERY = 0.5
_wakes = {"last": -WAKE_EVERY, "trailing": -WAKE_EVERY}


def _send_on_commit(ids: list[int] | None = None) -> None:
    transaction.on_commit(lambda: _wake_worker(ids))


def _wake_worker(ids: list[int] | None) -> None:
    # Imported here: the tasks module imports this one (the task calls deliver_due).
    from huey.contrib.djhuey import HUEY

    from leadloop.lifecycle.tasks import deliver_webhooks

    if ids is not None or HUEY.immediate:
        # A test event or a resend someone waits for; or no queue: sent here and now.
        deliver_webhooks(ids)
        return
    now = time.monotonic()
    if now - _wakes["last"] >= WAKE_EVERY:
        _wakes["last"] = now
        deliver_webhooks(None)
    elif _wakes["trailing"] <= now:
        _wakes["trailing"] = _wakes["last"] + WAKE_EVERY
        deliver_webhooks.schedule(args=(None,), delay=WAKE_EVERY)


# --- sending ----------------------------------------------------------------


@dataclass
class DeliveryResult:
    sent: int = 0
    delivered: int = 0
    failed_attempts: int = 0
    disabled: int = 0

    def as_dict(self) -> dict[str, int]:
        return dict(self.__dict__)


def body_of(delivery: Delivery, events: Mapping[int, LeadEvent], leads: Mapping[int, Lead]) -> str:
    """`{"type", "timestamp", "data": {"lead", "event"}}`: the lead as the API shows it."""
    data: dict[str, Any] = dict(delivery.data or {})
    at = delivery.created_at
    if delivery.event_id is not None:
        event = events[delivery.event_id]
        data = {"lead": lead_json(leads[event.lead_id]), "event": event_json(event)}
        at = event.at
    return json.dumps(
        {"type": delivery.event_type, "timestamp": iso_utc(at), "data": data},
        cls=_Encoder,
        separators=(",", ":"),
    )


def _bodies(batch: Sequence[Delivery]) -> None:
    """The bodies of a claimed batch's first attempts, built from two reads and kept in
    one write before anything is sent, so a retry after a crash sends the same bytes."""
    new = [d for d in batch if not d.body]
    if not new:
        return
    events = LeadEvent.objects.select_related("reason_code").in_bulk(
        [d.event_id for d in new if d.event_id is not None]
    )
    leads = Lead.objects.select_related("reason_code", "scored").in_bulk(
        {e.lead_id for e in events.values()}
    )
    for delivery in new:
        try:
            delivery.body = body_of(delivery, events, leads)
        except KeyError:
            delivery.body = ""  # its event or lead is gone: the attempt says so
    services.keep_bodies([d for d in new if d.body])


def sign(delivery: Delivery, body: str, *, sent_at: datetime, now: datetime) -> dict[str, str]:
    """The Standard Webhooks headers; during a rotation, one signature per secret."""
    keys = services.signing_secrets(delivery.endpoint, now=now)
    signature = " ".join(
        Webhook(key).sign(msg_id=delivery.message_id, timestamp=sent_at, data=body) for key in keys
    )
    return {
        "webhook-id": delivery.message_id,
        "webhook-timestamp": str(int(sent_at.timestamp())),
        "webhook-signature": signature,
        "content-type": "application/json",
        "user-agent": "leadloop-webhooks",
    }


def deliver_due(
    *, now: datetime, limit: int = 1000, ids: Sequence[int] | None = None
) -> DeliveryResult:
    """Send what is due at `now`, batch by batch, no transaction open while sending.

    The `webhook-timestamp` is the wall clock at sending (receivers check it
    against theirs); `now` decides what is due and when retries come.
    """
    result = DeliveryResult()
    while result.sent < limit:
        batch = services.claim(
            now=now, limit=min(services.CLAIM_BATCH, limit - result.sent), ids=ids
        )
        if not batch:
            break
        _bodies(batch)
        for delivery in batch:
            _deliver_one(delivery, now=now, result=result)
        if ids is not None:
            break
    return result


def _deliver_one(delivery: Delivery, *, now: datetime, result: DeliveryResult) -> None:
    body = delivery.body
    try:
        if not body:
            raise ValueError("its lead event is gone")
        headers = sign(delivery, body, sent_at=timezone.now(), now=now)
    except ValueError as exc:
        answer = transport.Answer(None, 0, error=f"could not build the message: {exc}"[:300])
    else:
        answer = transport.post(delivery.endpoint.url, body.encode(), headers)
    result.sent += 1
    outcome = services.record(delivery, answer, now=now)
    if outcome.delivered:
        result.delivered += 1
        return
    result.failed_attempts += 1
    log.info(
        "webhook attempt failed",
        extra={
            "delivery": delivery.pk,
            "endpoint": delivery.endpoint_id,
            "status": answer.status,
            "error": answer.error,
        },
    )
    if outcome.disabled_because:
        result.disabled += 1
        _tell_owner(delivery.endpoint, outcome.disabled_because, now=now)


def _tell_owner(endpoint: Endpoint, reason: str, *, now: datetime) -> None:
    if endpoint.owner_id is None:
        return
    with transaction.atomic():
        write(
            [
                Note(
                    endpoint.owner_id,
                    NotificationKind.WEBHOOK_DISABLED,
                    {"endpoint": endpoint.pk, "url": endpoint.url, "reason": reason},
                )
            ],
            now=now,
        )
