from __future__ import annotations

import secrets

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from leadloop.campaigns.choices import Channel, SlaUnit


def new_form_key() -> str:
    return secrets.token_urlsafe(12)


class Campaign(models.Model):
    """A marketing campaign; its target market lets "out of target" be measured."""

    name = models.CharField(max_length=160, unique=True)
    channel = models.CharField(max_length=20, choices=Channel.choices, db_index=True)
    team = models.ForeignKey(
        "accounts.Team",
        on_delete=models.PROTECT,
        related_name="campaigns",
        help_text="The teleprospecting team that works this campaign's leads.",
    )
    cost = models.DecimalField(max_digits=12, decimal_places=2, default=0)
    starts_on = models.DateField(null=True, blank=True)
    ends_on = models.DateField(null=True, blank=True)
    target_industries = models.JSONField(default=list, blank=True)
    target_sizes = models.JSONField(default=list, blank=True, help_text="Employee bands.")
    target_countries = models.JSONField(default=list, blank=True)
    form_key = models.CharField(max_length=32, unique=True, default=new_form_key)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class SourcePolicy(models.Model):
    """How fast and how hard a lead of a channel (or one campaign) is worked.

    One row per channel (campaign empty) holds the defaults; a row with a
    campaign overrides them for that campaign.
    """

    channel = models.CharField(max_length=20, choices=Channel.choices)
    campaign = models.OneToOneField(
        Campaign, null=True, blank=True, on_delete=models.CASCADE, related_name="policy"
    )
    priority = models.PositiveSmallIntegerField(
        default=3, validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    first_contact_amount = models.PositiveIntegerField(default=2)
    first_contact_unit = models.CharField(
        max_length=20, choices=SlaUnit.choices, default=SlaUnit.BUSINESS_DAYS
    )
    max_open_days = models.PositiveIntegerField(default=7)
    max_dials = models.PositiveIntegerField(default=5)
    max_emails = models.PositiveIntegerField(default=3)
    # The sales side of the agreement (seeds 000, 002, 004): how fast sales
    # answers a handoff, records the first meeting's outcome, gives feedback,
    # and keeps an open opportunity or nurture lead up to date.
    accept_days = models.PositiveIntegerField(
        default=1, help_text="Business days for sales to accept or reject a handoff."
    )
    outcome_days = models.PositiveIntegerField(
        default=2, help_text="Business days after the meeting to record its outcome."
    )
    feedback_days = models.PositiveIntegerField(
        default=10, help_text="Business days after the handoff for sales to record an outcome."
    )
    update_days = models.PositiveIntegerField(
        default=30, help_text="Calendar days an open opportunity or nurture lead may go unupdated."
    )

    class Meta:
        verbose_name_plural = "source policies"
        constraints = [
            models.UniqueConstraint(
                fields=["channel"],
                condition=models.Q(campaign__isnull=True),
                name="one_default_policy_per_channel",
            )
        ]

    def __str__(self) -> str:
        scope = self.campaign.name if self.campaign else self.get_channel_display()
        return f"{scope}: P{self.priority}, {self.first_contact_amount} {self.first_contact_unit}"
