from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import models

from leadloop.leads.choices import EventKind, ReasonKind, Stage


class ReasonCode(models.Model):
    """A coded reason for disqualifying, rejecting or losing a lead."""

    kind = models.CharField(max_length=12, choices=ReasonKind.choices)
    code = models.SlugField(max_length=40)
    label = models.CharField(max_length=120)
    is_active = models.BooleanField(default=True)
    # "Out of target market" is counted per campaign (seed 001).
    out_of_target = models.BooleanField(default=False)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["kind", "position", "label"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "code"], name="reason_code_unique_per_kind")
        ]

    def __str__(self) -> str:
        return self.label


# Indexes that hold only the leads where the column is set (partial indexes).
# Every write of a lead row that is not in place (an intake, an import's row,
# a rescoring's update) writes an entry in each of the table's indexes, and
# most leads have no duplicate, earlier inquiry, reason, sales rep, producer or
# phone, nor wait for a first contact: at 1,000,000 open leads such entries were
# 7 of the 18 written per row. Made partial, the raw UPDATE of every open lead's
# score went from 62.7 and 64.6 s to 46.4 and 42.9 s (1,088,182 rows, same
# database, vacuumed between runs). Every lookup asks for a value (a foreign
# key's delete rules too), which PostgreSQL and SQLite prove is set.
_SET_ONLY = [
    models.Index(
        fields=[name],
        condition=models.Q(**{f"{name}__isnull": False}),
        name=f"lead_{name}_set",
    )
    for name in ("handed_off_by", "duplicate_of", "previous_lead", "reason_code")
]


class Lead(models.Model):
    """A person at a company, from a campaign, on its way through the lifecycle.

    Written only through the actions layer (`leadloop.lifecycle`); `stage`
    only by `lifecycle.transitions`. The normalized columns are what
    duplicate detection looks up.
    """

    first_name = models.CharField(max_length=80, blank=True, default="")
    last_name = models.CharField(max_length=80, blank=True, default="")
    title = models.CharField(max_length=120, blank=True, default="")
    email = models.CharField(max_length=254, blank=True, default="")
    phone = models.CharField(max_length=40, blank=True, default="")
    company = models.CharField(max_length=160, blank=True, default="")
    industry = models.CharField(max_length=80, blank=True, default="")
    employees = models.PositiveIntegerField(null=True, blank=True)
    revenue_band = models.CharField(max_length=40, blank=True, default="")
    country = models.CharField(max_length=2, blank=True, default="")
    region = models.CharField(max_length=64, blank=True, default="")
    attributes = models.JSONField(default=dict, blank=True)

    email_key = models.CharField(max_length=254, blank=True, default="")
    phone_key = models.CharField(max_length=20, blank=True, default="")
    person_key = models.CharField(max_length=320, blank=True, default="")

    # The foreign keys that lead a composite index below (campaign, team, owner,
    # sales rep) have no index of their own: every lead written (an import writes
    # a hundred thousand) would maintain both.
    campaign = models.ForeignKey(
        "campaigns.Campaign", on_delete=models.PROTECT, related_name="leads", db_index=False
    )
    team = models.ForeignKey(
        "accounts.Team",
        on_delete=models.PROTECT,
        related_name="leads",
        help_text="The teleprospecting team working the lead.",
        db_index=False,
    )
    stage = models.CharField(max_length=24, choices=Stage.choices, default=Stage.NEW)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="owned_leads",
        help_text="The inside rep.",
        db_index=False,
    )
    sales_rep = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="sales_leads",
        db_index=False,
    )
    # The four references below are empty on most leads; their indexes (partial,
    # in Meta) hold only the leads that have one: see `_SET_ONLY`.
    # The inside rep who set the meeting: feedback and recycled leads go to her.
    handed_off_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="produced_leads",
        db_index=False,
    )
    duplicate_of = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="duplicates",
        db_index=False,
    )
    # A returning prospect: the closed lead of the same person this inquiry follows.
    previous_lead = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="later_inquiries",
        db_index=False,
    )
    reason_code = models.ForeignKey(
        ReasonCode,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )

    # The lead's score lives beside it, in LeadScore (see there why).
    priority = models.PositiveSmallIntegerField(default=3)

    first_contact_due = models.DateTimeField(null=True, blank=True)
    first_contact_at = models.DateTimeField(null=True, blank=True)
    conclude_due = models.DateTimeField(null=True, blank=True)

    # Attempts over the lead's life (its history, for the reports) ...
    dials = models.PositiveIntegerField(default=0)
    emails = models.PositiveIntegerField(default=0)
    connects = models.PositiveIntegerField(default=0)
    # ... and since it last came back to inside work (a recycle): what the attempt
    # policy counts.
    round_dials = models.PositiveIntegerField(default=0)
    round_emails = models.PositiveIntegerField(default=0)
    round_connects = models.PositiveIntegerField(default=0)
    last_activity_at = models.DateTimeField(null=True, blank=True)

    meeting_at = models.DateTimeField(null=True, blank=True)
    handed_off_at = models.DateTimeField(null=True, blank=True)
    next_touch_on = models.DateField(null=True, blank=True)
    amount = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    expected_close_on = models.DateField(null=True, blank=True)
    revenue = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    # Draft answers to the qualification definition, keyed by criterion; the
    # handoff form starts from them and the handoff records them.
    qualification = models.JSONField(default=dict, blank=True)

    # A short lock so two people do not work the same lead by accident: who
    # opened it to work it, and until when (see leads.claims).
    claimed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
    )
    claimed_until = models.DateTimeField(null=True, blank=True)

    # Indexed by lead_created_cover (its key is this column).
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    stage_changed_at = models.DateTimeField()
    # Bumped on every write; a form or API call that read an older version
    # is refused instead of overwriting someone else's change.
    version = models.PositiveIntegerField(default=1)

    class Meta:
        indexes = [
            models.Index(fields=["owner", "stage"], name="lead_owner_stage"),
            models.Index(
                fields=["sales_rep", "stage"],
                condition=models.Q(sales_rep__isnull=False),
                name="lead_sales_rep_stage",
            ),
            models.Index(fields=["team", "stage"], name="lead_team_stage"),
            models.Index(fields=["campaign", "created_at"], name="lead_campaign_created"),
            # With what the aging report reads of the open leads (team, owner, due),
            # so it needs no visit to the table: at 1,000,000 leads its pass over
            # 46,000 open leads was 245 ms of heap fetches by this index. The
            # included columns are ones other indexes already hold, so no update
            # that was HOT stops being so.
            models.Index(
                fields=["stage", "created_at"],
                include=["team", "owner", "conclude_due", "id"],
                name="lead_stage_created_cover",
            ),
            models.Index(fields=["email_key"], name="lead_email_key"),
            # A blank key is never looked up (`leads.selectors.identity_matches` and the
            # import's matching say `<> ''` so that a generic plan may use this).
            models.Index(
                fields=["phone_key"], condition=~models.Q(phone_key=""), name="lead_phone_key"
            ),
            models.Index(fields=["person_key"], name="lead_person_key"),
            # Only the leads still waiting for their first contact: the overdue lists
            # ask for those alone.
            models.Index(
                fields=["first_contact_due"],
                condition=models.Q(first_contact_at__isnull=True),
                name="lead_first_contact_due",
            ),
            models.Index(fields=["conclude_due"], name="lead_conclude_due"),
            # The cohort of a funnel (leads created in a window) with every column its
            # counts and first-step times read, so PostgreSQL answers them from this
            # index alone (Index Only Scan, 73 MB) instead of the 412 MB table: at
            # 1,000,000 leads the funnel's count pass went from 1.2 s to 0.48 s.
            # It replaces the plain index on created_at, so an intake writes as many
            # indexes as before. The price: an activity that changes only
            # last_activity_at and the counters could be a HOT update before and
            # now writes every index of the row. SQLite ignores the included columns.
            models.Index(
                fields=["created_at"],
                include=[
                    "id",
                    "campaign",
                    "team",
                    "first_contact_at",
                    "handed_off_at",
                    "last_activity_at",
                ],
                name="lead_created_cover",
            ),
            # The SLA report: every clock's lead's campaign, read in id order to
            # merge with the clocks' clock_lead_kind_cover (see there). Neither
            # column ever changes.
            models.Index(fields=["id"], include=["campaign"], name="lead_id_campaign"),
            # Unreachable analysis: the cohort's leads with every column it counts by
            # (and the reach test's), so its one pass reads this 115 MB index instead
            # of the 474 MB table. At 1,000,000 leads on a loaded machine: report
            # 2.0 s -> 1.2 s (with its join to the campaigns dropped), its plainest
            # aggregate 1.0 s -> 0.74 s. Every column but `connects` is in another
            # index or rarely edited, and an activity that bumps `connects` almost
            # always moves `last_activity_at` (in lead_created_cover), so hardly an
            # update that was HOT stops being so; intake writes one more index entry.
            models.Index(
                fields=["created_at"],
                include=[
                    "stage",
                    "connects",
                    "handed_off_at",
                    "campaign",
                    "industry",
                    "employees",
                    "country",
                    "revenue_band",
                    "title",
                ],
                name="lead_created_attrs",
            ),
            # Reasons: the disqualified and lost leads by the time of their stage
            # change, with every column the report groups by. At 1,000,000 leads
            # 620,000 of them are closed so, and reading them from the table took
            # 1.6 s (Bitmap Heap Scan); this index is their columns alone. A new
            # lead is in none of these stages, so intake never writes to it.
            models.Index(
                fields=["stage_changed_at"],
                include=[
                    "stage",
                    "reason_code",
                    "owner",
                    "handed_off_by",
                    "sales_rep",
                    "team",
                    "campaign",
                    "id",
                ],
                condition=models.Q(
                    stage__in=[Stage.DISQUALIFIED, Stage.DISQUALIFIED_BY_SALES, Stage.LOST]
                ),
                name="lead_closed_reason",
            ),
            *_SET_ONLY,
        ]

    def __str__(self) -> str:
        name = self.display_name
        return f"{name} ({self.company})" if self.company else name

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    @property
    def display_name(self) -> str:
        """What a list shows as the lead's link: never empty (a phone-only lead, or an
        anonymised lead of an imported history, has no name and no email)."""
        return self.full_name or self.email or self.phone or f"Lead {self.pk}"

    # The score, read from the lead's LeadScore row (0 and empty without one): list
    # querysets load it with `select_related("scored")`.
    @property
    def score(self) -> int:
        row = self._score_row()
        return row.score if row is not None else 0

    @property
    def score_probability(self) -> float | None:
        row = self._score_row()
        return row.score_probability if row is not None else None

    @property
    def tier(self) -> str:
        row = self._score_row()
        return row.tier if row is not None else ""

    @property
    def scored_at(self) -> datetime | None:
        row = self._score_row()
        return row.scored_at if row is not None else None

    @property
    def score_model(self) -> int | None:
        row = self._score_row()
        return row.score_model if row is not None else None

    @property
    def score_breakdown(self) -> list[dict[str, Any]]:
        """The lines of the score (none if no model scored it)."""
        row = self._score_row()
        if row is None:
            return []
        lines: list[dict[str, Any]] = json.loads(row.lines)
        return lines

    def _score_row(self) -> LeadScore | None:
        if self.pk is None:
            return None
        try:
            return self.scored
        except LeadScore.DoesNotExist:
            return None


class LeadScore(models.Model):
    """A lead's score under the scoring model: points, probability, tier, when and by
    which model version, and its lines (the breakdown), in a table of their own.

    Applying a model rewrites the score of every open lead (issue 15: a million in
    under a minute). On the lead row that meant writing each open lead's whole row
    again, with an entry in each of its dozen indexes (no update of a full page is
    in place): at 1,000,000 open leads the raw UPDATE of the score columns alone
    took ~45 s and the apply ~79 s. Here a rescoring writes one narrow row per lead
    with one index, and never touches the lead table; reads that show a score join
    this table by its key (a list of 25, a rep's queue of a few thousand).

    The lines are plain JSON text, not jsonb: they are only ever read whole, by the
    lead page, and turning the rescoring's text into jsonb was most of computing the
    scores (209,549 leads: 6.0 s as jsonb, 2.4 s as text). No database foreign key:
    its check at commit tripled writing new rows (200,320 rows: 3.9 s against
    1.2 s), and leadloop never deletes a lead (the ORM still deletes the score with
    one). A lead never scored has no row here: it reads as 0, untiered.

    Tried and not kept: half of each lead page left free (fillfactor 50), so the
    rescoring's lead updates became in-place (HOT) ones. The apply took 47.9 s, but
    everything that reads the lead table paid for its double size (reports, the
    queue page, export and import 26-31 % slower).
    """

    lead = models.OneToOneField(
        Lead,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="scored",
        db_constraint=False,
    )
    score = models.IntegerField(default=0)
    # The calibrated probability of the model's target, and the tier (A-D).
    score_probability = models.FloatField(null=True, blank=True)
    tier = models.CharField(max_length=1, blank=True, default="")
    scored_at = models.DateTimeField(null=True, blank=True)
    # The version of the model that scored it; None: a score given without a model.
    score_model = models.PositiveIntegerField(null=True, blank=True)
    lines = models.TextField(default="[]")

    def __str__(self) -> str:
        return f"score of lead {self.lead_id}"


class LeadEvent(models.Model):
    """One line of a lead's append-only history. Never edited, never deleted."""

    # Indexed by event_lead_at (lead, at); a separate index on lead alone only
    # costs every insert.
    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="events", db_index=False)
    kind = models.CharField(max_length=20, choices=EventKind.choices)
    action = models.CharField(max_length=24, blank=True, default="")
    at = models.DateTimeField()
    # No index of their own on the actor and the reason: nothing reads events
    # by them alone, and every event written (a sweep writes thousands a
    # minute) would pay for both.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
    )
    from_stage = models.CharField(max_length=24, blank=True, default="")
    to_stage = models.CharField(max_length=24, blank=True, default="")
    reason_code = models.ForeignKey(
        ReasonCode,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "id"]
        indexes = [
            # No (kind, at) index: nothing reads events by kind across leads, and
            # the SLA sweep writes thousands of events a minute.
            models.Index(fields=["lead", "at"], name="event_lead_at"),
            # Reports ask "which leads had an accept (a win, ...) since X": the
            # lead id in the index answers that from the index alone.
            models.Index(fields=["action", "at", "lead"], name="event_action_at"),
        ]

    def __str__(self) -> str:
        return f"{self.kind}:{self.action or ''} on lead {self.lead_id} at {self.at:%Y-%m-%d %H:%M}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        # The log is append-only: an existing row is never written again.
        if self.pk is not None and not self._state.adding:
            raise PermissionError("Lead events are append-only; this one already exists.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise PermissionError("Lead events are append-only and cannot be deleted.")
