from __future__ import annotations

from django.conf import settings
from django.db import models


class QualificationDefinition(models.Model):
    """The shared, versioned definition of a qualified lead (default BANT).

    `criteria` is a list of {"key", "label", "required", "help"}; a handoff
    records answers keyed by criterion and the version it answered.
    """

    version = models.PositiveIntegerField(unique=True)
    name = models.CharField(max_length=80, default="BANT")
    criteria = models.JSONField(default=list)
    is_active = models.BooleanField(default=False)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_active"],
                condition=models.Q(is_active=True),
                name="one_active_qualification_definition",
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} v{self.version}"

    def required_keys(self) -> list[str]:
        return [c["key"] for c in self.criteria if c.get("required", True)]


class Handoff(models.Model):
    """A qualified lead passed from an inside rep to a sales rep (seed 003)."""

    lead = models.ForeignKey("leads.Lead", on_delete=models.CASCADE, related_name="handoffs")
    from_rep = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="handoffs_made"
    )
    to_rep = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="handoffs_received"
    )
    definition = models.ForeignKey(QualificationDefinition, on_delete=models.PROTECT)
    answers = models.JSONField(default=dict)
    write_up = models.TextField(blank=True, default="")
    meeting_at = models.DateTimeField()
    warm_call_confirmed = models.BooleanField(default=False)
    created_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["to_rep", "created_at"], name="handoff_to_rep_at")]

    def __str__(self) -> str:
        return f"lead {self.lead_id}: {self.from_rep} -> {self.to_rep}"
