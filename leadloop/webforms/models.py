"""A public web form of a campaign, and the record of each submission it took in."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models


def new_key() -> str:
    """The form's public key: 128 random bits, URL-safe, never derived from its id."""
    return secrets.token_urlsafe(16)


class Form(models.Model):
    """What a web form shows, where its answers go, and how it has done.

    `fields` is a list of {"name", "label", "required"}: a name is a lead field
    (`email`) or a custom attribute (`attributes.budget`); `rules.parse_fields`
    checks it. Views and refusals are counters updated with F() increments in
    their own statement, so concurrent requests never lose one; accepted
    submissions are counted from their rows (a counter on this row, updated in
    the intake's transaction, would make every submission of the form wait for
    the others and deadlock with the intake's locks on PostgreSQL).
    """

    campaign = models.ForeignKey(
        "campaigns.Campaign", on_delete=models.PROTECT, related_name="web_forms"
    )
    name = models.CharField(max_length=160)
    key = models.CharField(max_length=64, unique=True, default=new_key)
    fields = models.JSONField(default=list)
    consent_text = models.TextField(blank=True, default="")
    thank_you = models.TextField(blank=True, default="")
    redirect_url = models.CharField(max_length=500, blank=True, default="")
    allowed_origins = models.JSONField(default=list, blank=True)
    # A plain HTML form pasted into a site carries no page stamp, so its fill time
    # cannot be measured; a form may refuse such posts (then only the hosted page and
    # the JS snippet work).
    allow_unstamped = models.BooleanField(default=True)
    is_active = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    views = models.PositiveBigIntegerField(default=0)
    spam_honeypot = models.PositiveBigIntegerField(default=0)
    spam_too_fast = models.PositiveBigIntegerField(default=0)
    spam_bad_stamp = models.PositiveBigIntegerField(default=0)
    spam_rate_limited = models.PositiveBigIntegerField(default=0)
    spam_bad_origin = models.PositiveBigIntegerField(default=0)
    spam_invalid = models.PositiveBigIntegerField(default=0)

    class Meta:
        ordering = ["name", "pk"]

    def __str__(self) -> str:
        return self.name


class Submission(models.Model):
    """One accepted submission: which lead it reached, what was consented to, from where.

    Kept when its form is deleted (the consent record outlives the form).
    """

    # No index of its own: `webforms_sub_form_at` starts with the form and serves every
    # lookup by form (the counts, the SET NULL on a form's deletion); a second index
    # would only be one more to write on every submission.
    form = models.ForeignKey(
        Form,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="submission_rows",
        db_index=False,
    )
    form_name = models.CharField(max_length=160)
    lead = models.ForeignKey("leads.Lead", on_delete=models.CASCADE, related_name="+")
    # A new lead (or a returning prospect's new inquiry); False: the person's open lead.
    created_lead = models.BooleanField()
    submitted_at = models.DateTimeField()
    consent_text = models.TextField(blank=True, default="")
    consented_at = models.DateTimeField(null=True, blank=True)
    tracking = models.JSONField(default=dict, blank=True)
    referrer = models.CharField(max_length=1000, blank=True, default="")

    class Meta:
        indexes = [models.Index(fields=["form", "-submitted_at"], name="webforms_sub_form_at")]

    def __str__(self) -> str:
        return f"{self.form_name} -> lead {self.lead_id} at {self.submitted_at:%Y-%m-%d %H:%M}"
