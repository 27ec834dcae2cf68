from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from leadloop.notifications.choices import EmailState, NotificationKind


class Notification(models.Model):
    """Something a user should know about: shown in her inbox, emailed as she chose.

    The text is rendered when shown (`notifications.texts`), from the kind,
    the lead, the clock or event it is about, and `data`; so the sweep can
    write thousands of them with one INSERT ... SELECT.
    """

    # Indexed by notification_user_at (user, created_at).
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notifications",
        db_index=False,
    )
    kind = models.CharField(max_length=20, choices=NotificationKind.choices)
    lead = models.ForeignKey(
        "leads.Lead", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    clock = models.ForeignKey(
        "sla.SlaClock", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    event = models.ForeignKey(
        "leads.LeadEvent", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField()
    read_at = models.DateTimeField(null=True, blank=True)
    email_state = models.CharField(
        max_length=10, choices=EmailState.choices, default=EmailState.OFF
    )
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(
                fields=["user", "created_at"],
                condition=Q(read_at__isnull=True),
                name="notification_unread",
            ),
            models.Index(fields=["user", "created_at"], name="notification_user_at"),
            models.Index(
                fields=["email_state", "user"],
                condition=Q(email_state__in=["queued", "digest"]),
                name="notification_email_due",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} for {self.user_id} at {self.created_at:%Y-%m-%d %H:%M}"


class Digest(models.Model):
    """One daily digest email per user and local day; the row is the exactly-once claim."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="digests"
    )
    day = models.DateField()
    sent_at = models.DateTimeField()
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "day"], name="one_digest_per_user_day")
        ]

    def __str__(self) -> str:
        return f"digest for {self.user_id} on {self.day}"
