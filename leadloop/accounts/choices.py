from __future__ import annotations

from django.db import models


class Role(models.TextChoices):
    """Role slugs; each is a Django group of the same name with its permissions."""

    MARKETING = "marketing", "Marketing"
    INSIDE_REP = "inside_rep", "Inside rep (teleprospector)"
    SALES_REP = "sales_rep", "Sales rep (outside)"
    MANAGER = "manager", "Manager"
    ADMIN = "admin", "Admin"


class TeamKind(models.TextChoices):
    TELEPROSPECTING = "teleprospecting", "Teleprospecting"
    SALES = "sales", "Sales"


class NotifyMode(models.TextChoices):
    IMMEDIATE = "immediate", "Immediately"
    DIGEST = "digest", "Daily digest"
    OFF = "off", "Off"
