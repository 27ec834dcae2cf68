"""Webhook endpoints, the outbox of messages to them, and the log of every attempt."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from leadloop.accounts.models import Team
from leadloop.leads.models import Lead, LeadEvent
from leadloop.webhooks.choices import ALL, DeliveryState


class Endpoint(models.Model):
    """A URL another system listens on, and the event types it wants.

    The signing secret is kept encrypted (`webhooks.secrets`): the worker
    needs it in clear to sign, so a hash would not do. A rotated secret is
    kept as `previous_secret` until `previous_secret_until`, and messages are
    signed with both meanwhile.
    """

    team = models.ForeignKey(
        Team,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        help_text="Only this team's leads; empty: every team's.",
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Told when the endpoint is disabled.",
    )
    url = models.CharField(max_length=500)
    description = models.CharField(max_length=200, blank=True, default="")
    # " lead.created sla.breached " (spaces around each, so SQL can match
    # with LIKE '% type %') or "*".
    event_types = models.CharField(max_length=1000)
    secret = models.TextField()
    previous_secret = models.TextField(blank=True, default="")
    previous_secret_until = models.DateTimeField(null=True, blank=True)
    is_active = models.BooleanField(default=True)
    disabled_reason = models.CharField(max_length=300, blank=True, default="")
    # Since when every attempt has failed (none since the last success).
    failing_since = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.url

    @property
    def events(self) -> list[str]:
        return [ALL] if self.event_types.strip() == ALL else self.event_types.split()


class Delivery(models.Model):
    """One message to one endpoint: the outbox row, written in the transaction of
    the event it tells of, and its state until it is delivered or given up."""

    endpoint = models.ForeignKey(Endpoint, on_delete=models.CASCADE, related_name="deliveries")
    event_type = models.CharField(max_length=40)
    # The lead event it tells of; none for `import.finished` and test events.
    event = models.ForeignKey(
        LeadEvent,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,
    )
    # A lead's messages to one endpoint go out in the order they were written.
    lead = models.ForeignKey(
        Lead, null=True, blank=True, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    # What the message says besides the lead and its event (an import's summary).
    data = models.JSONField(default=dict, blank=True)
    # The `webhook-id`: fixed when the first attempt is claimed, the same on
    # every retry and resend, so a receiver can drop what it already has.
    message_id = models.CharField(max_length=40, blank=True, default="")
    # The body as first sent, kept so that retries send the very same bytes.
    body = models.TextField(blank=True, default="")
    state = models.CharField(
        max_length=12, choices=DeliveryState.choices, default=DeliveryState.PENDING
    )
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    # A worker sending it holds it until then; a worker killed mid-send leaves
    # it to be sent again once this has passed (at least once).
    claimed_until = models.DateTimeField(null=True, blank=True)
    last_status = models.PositiveIntegerField(null=True, blank=True)
    created_at = models.DateTimeField()
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(fields=["state", "next_attempt_at"], name="delivery_due"),
            models.Index(fields=["endpoint", "lead", "id"], name="delivery_lead_order"),
            models.Index(fields=["endpoint", "id"], name="delivery_endpoint"),
        ]
        constraints = [
            # A sweep run twice at the same `now` writes no second message.
            models.UniqueConstraint(fields=["endpoint", "event"], name="delivery_once_per_event"),
        ]

    def __str__(self) -> str:
        return f"{self.event_type} to endpoint {self.endpoint_id} ({self.state})"


class DeliveryAttempt(models.Model):
    """One try at sending a delivery: what came back, how fast, or what went wrong."""

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="attempt_log")
    at = models.DateTimeField()
    status_code = models.PositiveIntegerField(null=True, blank=True)
    latency_ms = models.PositiveIntegerField(default=0)
    response = models.TextField(blank=True, default="")
    error = models.CharField(max_length=300, blank=True, default="")

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"attempt on delivery {self.delivery_id} at {self.at:%Y-%m-%d %H:%M:%S}"

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300
