from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from leadloop.sla.choices import ClockKind, ClockResult

RUNNING = Q(result=ClockResult.RUNNING)
OPEN = Q(stopped_at__isnull=True)


class SlaClock(models.Model):
    """One service level on one lead: when it started, when it is due, how it ended.

    A clock is *open* until it is stopped (`stopped_at`); while open it is
    *running* (no result yet) or *breached* (the sweep found it past due).
    Stopping a running clock makes it met, or breached if it was already
    late. The rows are kept for reports; only the sweep and
    `sla.services` write them, each with a conditional update so that one
    clock is breached, warned and escalated exactly once.
    """

    # The foreign keys carry no index of their own where a composite index
    # leads with the column: every breach rewrites each index of the row.
    lead = models.ForeignKey(
        "leads.Lead", on_delete=models.CASCADE, related_name="clocks", db_index=False
    )
    kind = models.CharField(max_length=20, choices=ClockKind.choices)
    team = models.ForeignKey(
        "accounts.Team",
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
        help_text="Whose calendar the clock runs on and whose manager hears of a breach.",
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="sla_clocks",
        db_index=False,
        help_text="Who the service level is owed by when it started.",
    )
    started_at = models.DateTimeField(help_text="The instant the allowed time counts from.")
    due_at = models.DateTimeField()
    warn_at = models.DateTimeField(help_text="80% of the allowed business time.")
    result = models.CharField(
        max_length=10, choices=ClockResult.choices, blank=True, default=ClockResult.RUNNING
    )
    stopped_at = models.DateTimeField(null=True, blank=True)
    stopped_by = models.CharField(
        max_length=24, blank=True, default="", help_text="The action or activity that stopped it."
    )
    warned_at = models.DateTimeField(null=True, blank=True)
    breached_at = models.DateTimeField(null=True, blank=True)
    escalated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["started_at", "id"]
        indexes = [
            # The sweep's two scans: only running clocks are in these indexes. The id
            # lets each batch start after the last clock the previous one took, also
            # among the many clocks due at the same instant (a night's leads all fall
            # due when the office opens).
            models.Index(fields=["due_at", "id"], condition=RUNNING, name="clock_running_due_id"),
            # The due time second: a clock already past due fails the warning scan's
            # `due_at > now` inside the index, without a visit to its row.
            models.Index(
                fields=["warn_at", "due_at", "id"],
                condition=RUNNING & Q(warned_at__isnull=True),
                name="clock_running_warn_due",
            ),
            # Queues and lead pages: a lead's clocks (a handful per lead). With the
            # columns the SLA report counts, so its join of every clock in the window
            # to its lead's campaign is a merge of two index-only scans in lead order
            # (leads' lead_id_campaign): at 1,000,000 leads (2,160,000 clocks) on a
            # loaded machine the report's aggregate went from 1.7-2.0 s (hash join
            # over the table) to 1.3 s. Every write that changes one of these
            # columns changes `result`, in the partial indexes above, so no update
            # that was HOT stops being so.
            models.Index(
                fields=["lead", "kind"],
                include=["user", "team", "result", "due_at", "started_at", "id"],
                name="clock_lead_kind_cover",
            ),
            # Reports: clocks by kind and time.
            models.Index(fields=["kind", "started_at"], name="clock_kind_started"),
            models.Index(fields=["user", "kind", "started_at"], name="clock_user_kind"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["lead", "kind"], condition=OPEN, name="one_open_clock_per_kind"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} on lead {self.lead_id}: {self.result or 'running'}"

    @property
    def is_open(self) -> bool:
        return self.stopped_at is None
