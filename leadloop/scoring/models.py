"""Scoring models: every version kept, one active for the whole organisation.

One model scores every team's leads: outcome data are sparse, and a model per
team would learn from a fraction of them. A model's points, engagement rules,
calibration and tier cut-offs are one JSON `spec` (read by `scoring.rules`);
a proposal carries the backtest that justified it.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from leadloop.scoring.choices import ModelEventKind, ModelStatus, Target


class ScoringModel(models.Model):
    version = models.PositiveIntegerField(unique=True)
    target = models.CharField(max_length=12, choices=Target.choices)
    status = models.CharField(
        max_length=10, choices=ModelStatus.choices, default=ModelStatus.PROPOSAL
    )
    spec = models.JSONField(default=dict)
    # Backtest figures, the baselines beside them, per-value lift, the chosen settings.
    backtest = models.JSONField(default=dict, blank=True)
    note = models.CharField(max_length=200, blank=True, default="")
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    applied_at = models.DateTimeField(null=True, blank=True)
    applied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    retired_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["status"],
                condition=models.Q(status="active"),
                name="scoring_one_active_model",
            )
        ]

    def __str__(self) -> str:
        return f"model v{self.version} ({self.target}, {self.status})"


class ModelEvent(models.Model):
    """The model's own history: proposed, applied (with how many leads it rescored), retired."""

    scoring_model = models.ForeignKey(ScoringModel, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=10, choices=ModelEventKind.choices)
    at = models.DateTimeField()
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.kind} v{self.scoring_model_id} at {self.at:%Y-%m-%d %H:%M}"


class TuningRun(models.Model):
    """A tuning asked for in the app or the API, run by the worker: its progress and result."""

    class State(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    target = models.CharField(max_length=12, choices=Target.choices)
    since = models.DateTimeField(null=True, blank=True)
    until = models.DateTimeField(null=True, blank=True)
    state = models.CharField(max_length=8, choices=State.choices, default=State.QUEUED)
    step = models.CharField(max_length=60, blank=True, default="")
    progress = models.FloatField(default=0.0)
    message = models.CharField(max_length=500, blank=True, default="")
    proposal = models.ForeignKey(
        ScoringModel, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"tuning {self.pk} ({self.target}, {self.state})"
