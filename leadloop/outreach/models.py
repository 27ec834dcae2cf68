from __future__ import annotations

from django.conf import settings
from django.db import models

from leadloop.outreach.choices import ActivityKind, Outcome


class Activity(models.Model):
    """A call, email, meeting or note on a lead, by someone, at a time."""

    lead = models.ForeignKey("leads.Lead", on_delete=models.CASCADE, related_name="activities")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="activities",
    )
    kind = models.CharField(max_length=10, choices=ActivityKind.choices)
    outcome = models.CharField(max_length=16, choices=Outcome.choices, blank=True, default="")
    occurred_at = models.DateTimeField()
    note = models.TextField(blank=True, default="")
    created_at = models.DateTimeField()

    class Meta:
        verbose_name_plural = "activities"
        ordering = ["-occurred_at", "-id"]
        indexes = [
            models.Index(fields=["lead", "occurred_at"], name="activity_lead_at"),
            models.Index(fields=["actor", "occurred_at"], name="activity_actor_at"),
            models.Index(fields=["kind", "occurred_at"], name="activity_kind_at"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.outcome} on lead {self.lead_id}"
