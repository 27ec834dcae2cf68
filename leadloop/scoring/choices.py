from __future__ import annotations

from django.db import models


class Target(models.TextChoices):
    """What a model predicts, from a closed lead's outcome (DESIGN.md, seed 001)."""

    REACHED = "reached", "Reached (responded rather than unreachable)"
    QUALIFIED = "qualified", "Qualified (handed off)"
    ACCEPTED = "accepted", "Accepted by sales"
    WON = "won", "Won"


class ModelStatus(models.TextChoices):
    PROPOSAL = "proposal", "Proposal"
    ACTIVE = "active", "Active"
    RETIRED = "retired", "Retired"


class ModelEventKind(models.TextChoices):
    PROPOSED = "proposed", "Proposed"
    APPLIED = "applied", "Applied"
    RETIRED = "retired", "Retired"
