from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AbstractUser
from django.db import models

from leadloop.accounts.choices import NotifyMode, Role, TeamKind


def default_working_hours() -> dict[str, list[list[str]]]:
    day = [["09:00", "17:00"]]
    return {"mon": day, "tue": day, "wed": day, "thu": day, "fri": day}


class Team(models.Model):
    """A teleprospecting or a sales team; teleprospecting teams feed sales teams.

    The calendar fields (zone, hours, holidays, closures) are what every SLA
    of the team's leads is measured in.
    """

    name = models.CharField(max_length=120, unique=True)
    kind = models.CharField(max_length=20, choices=TeamKind.choices)
    manager = models.ForeignKey(
        "accounts.User",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="managed_teams",
    )
    feeds = models.ManyToManyField(
        "self",
        symmetrical=False,
        blank=True,
        related_name="fed_by",
        help_text="Sales teams this teleprospecting team hands leads to.",
    )
    timezone = models.CharField(max_length=64, default="Europe/Berlin")
    working_hours = models.JSONField(
        default=default_working_hours,
        help_text=(
            'Weekly opening intervals, e.g. {"mon": [["09:00", "12:00"], ["13:00", "17:30"]]}'
        ),
    )
    holiday_country = models.CharField(max_length=2, blank=True, default="")
    holiday_subdivision = models.CharField(max_length=10, blank=True, default="")
    closures = models.JSONField(default=list, blank=True, help_text="Own closed days, ISO dates.")
    # Seed 002: which reps give feedback decides who gets the next leads.
    weight_handoffs_by_feedback = models.BooleanField(
        default=False,
        help_text="Sales teams: suggest reps for handoffs in proportion to their feedback "
        "rate over the last 90 days, instead of plain round robin.",
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class User(AbstractUser):
    """A person using leadloop. The role is a group membership (see `role`)."""

    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="members"
    )
    timezone = models.CharField(max_length=64, blank=True, default="")
    notify_mode = models.CharField(
        max_length=12, choices=NotifyMode.choices, default=NotifyMode.IMMEDIATE
    )
    # Round robin: the rep who waited longest since her last lead gets the next.
    last_assigned_at = models.DateTimeField(null=True, blank=True, db_index=True)

    class Meta:
        ordering = ["username"]

    def __str__(self) -> str:
        return self.get_full_name() or self.username

    @property
    def role(self) -> str | None:
        """The user's role slug, from the first role group she is in."""
        cached: Any = getattr(self, "_role_cache", False)
        if cached is not False:
            return cached
        names = {g.name for g in self.groups.all()}
        role = next((r.value for r in Role if r.value in names), None)
        if role is None and self.is_superuser:
            role = Role.ADMIN.value
        self._role_cache = role
        return role


class TerritoryRule(models.Model):
    """Leads from a country (and optionally a region) go to one rep of the team."""

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="territories")
    country = models.CharField(max_length=2)
    region = models.CharField(max_length=64, blank=True, default="")
    rep = models.ForeignKey(User, on_delete=models.CASCADE, related_name="territories")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["team", "country", "region"], name="territory_unique_per_team"
            )
        ]

    def __str__(self) -> str:
        where = f"{self.country}/{self.region}" if self.region else self.country
        return f"{where} -> {self.rep}"


class ApiToken(models.Model):
    """A bearer token. Only its SHA-256 digest is stored; the secret is shown once.

    A token past `expires_at` or with `revoked_at` set is refused at its next
    request; a read-only one may only read. `last_used_at` is kept to the
    minute, so that a token nobody uses any more can be found and revoked.
    """

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=80, blank=True, default="")
    digest = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(max_length=12, help_text="First characters, to recognise a token.")
    created_at = models.DateTimeField()
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(
        null=True, blank=True, help_text="Refused from this time on; empty: never expires."
    )
    read_only = models.BooleanField(
        default=False, help_text="May only read (GET, HEAD, OPTIONS); any write is refused."
    )

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user})"
