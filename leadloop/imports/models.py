"""An import of a lead file: what was brought in, how it was read, what became of each row.

Every import is kept (who, when, which file, the mapping, the counts) so a
team can see where its leads came from; `ImportedRow` is its journal: one
row per file row that reached a lead, written in the same transaction as
that lead, so an interrupted import resumes where it stopped and a file
imported twice is recognised row by row.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models


class ImportState(models.TextChoices):
    UPLOADED = "uploaded", "Uploaded"
    CHECKING = "checking", "Checking"
    CHECKED = "checked", "Checked"
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"


class OnError(models.TextChoices):
    SKIP = "skip", "Skip bad rows, import the rest"
    ABORT = "abort", "Import nothing if any row is bad"


class RowOutcome(models.TextChoices):
    CREATED = "created", "Created"
    REOPENED = "reopened", "Reopened (returning prospect)"
    DUPLICATE = "duplicate", "Duplicate of an open lead"
    UPDATED = "updated", "Duplicate, empty fields filled"


class LeadImport(models.Model):
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    state = models.CharField(
        max_length=10, choices=ImportState.choices, default=ImportState.UPLOADED
    )

    file_name = models.CharField(max_length=255, help_text="The name it was uploaded under.")
    stored_name = models.CharField(max_length=255, help_text="Its name under IMPORTS_DIR.")
    file_size = models.BigIntegerField(default=0)
    file_sha256 = models.CharField(max_length=64, db_index=True)
    format = models.CharField(max_length=8, blank=True, default="")
    encoding = models.CharField(max_length=32, blank=True, default="")
    delimiter = models.CharField(max_length=4, blank=True, default="")
    sheet = models.CharField(max_length=120, blank=True, default="")
    header = models.JSONField(default=list, blank=True)

    # The mapping as its JSON file would say it ({"columns", "stages", "owners"}).
    mapping = models.JSONField(default=dict, blank=True)
    mapping_name = models.CharField(max_length=40, blank=True, default="auto")
    campaign = models.ForeignKey(
        "campaigns.Campaign", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # A campaign the import is to create (when `campaign` is empty): made when it
    # runs, so a dry run leaves no campaign behind.
    campaign_name = models.CharField(max_length=160, blank=True, default="")
    channel = models.CharField(max_length=20, blank=True, default="other")
    team = models.ForeignKey(
        "accounts.Team",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The teleprospecting team whose reps get the open rows.",
    )
    date_order = models.CharField(max_length=3, blank=True, default="")
    on_error = models.CharField(max_length=5, choices=OnError.choices, default=OnError.SKIP)
    update_existing = models.BooleanField(
        default=False, help_text="Fill a matched open lead's empty fields from the row."
    )

    # Progress: lines up to `last_line` are committed (the resume point).
    bytes_total = models.BigIntegerField(default=0)
    bytes_read = models.BigIntegerField(default=0)
    rows_read = models.PositiveIntegerField(default=0)
    last_line = models.PositiveIntegerField(default=0)

    created = models.PositiveIntegerField(default=0)
    duplicates = models.PositiveIntegerField(default=0)
    reopened = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(
        default=0, help_text="Rows an earlier import already brought in: nothing written."
    )
    skipped = models.PositiveIntegerField(default=0)
    error_count = models.PositiveIntegerField(default=0)
    # The counts of the last dry run, for the wizard's check page.
    checked = models.JSONField(default=dict, blank=True)
    message = models.TextField(blank=True, default="")

    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"import {self.pk} of {self.file_name}"

    @property
    def progress(self) -> float:
        """How far the run is, 0..1, by bytes of the file read (rows are not known ahead)."""
        if self.state == ImportState.DONE:
            return 1.0
        if not self.bytes_total:
            return 0.0
        return min(1.0, self.bytes_read / self.bytes_total)

    @property
    def is_finished(self) -> bool:
        return self.state in (ImportState.DONE, ImportState.FAILED)

    @property
    def is_busy(self) -> bool:
        """Queued or being worked on by a worker right now."""
        return self.state in (ImportState.CHECKING, ImportState.QUEUED, ImportState.RUNNING)


class ImportedRow(models.Model):
    """A file row that reached a lead: the journal that makes an import resumable and idempotent."""

    lead_import = models.ForeignKey(
        LeadImport, on_delete=models.CASCADE, related_name="rows", db_index=False
    )
    line = models.PositiveIntegerField()
    # What the row says (its cleaned fields), hashed: the same row imported
    # again, from this file or another, is recognised and left alone.
    fingerprint = models.CharField(max_length=32, db_index=True)
    outcome = models.CharField(max_length=10, choices=RowOutcome.choices)
    # Read by import (the lead list's "leads of this import"), never by lead: a lead's
    # own history names its import. No index of its own, so each row costs less.
    lead = models.ForeignKey(
        "leads.Lead",
        null=True,
        on_delete=models.SET_NULL,
        related_name="import_rows",
        db_index=False,
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["lead_import", "line"], name="imported_row_once")
        ]

    def __str__(self) -> str:
        return f"line {self.line} of import {self.lead_import_id}: {self.outcome}"


class ImportProblem(models.Model):
    """A row that was not imported (or would not be, on a dry run): where and why."""

    lead_import = models.ForeignKey(
        LeadImport, on_delete=models.CASCADE, related_name="problems", db_index=False
    )
    dry_run = models.BooleanField(default=False)
    line = models.PositiveIntegerField()
    column = models.CharField(max_length=255, blank=True, default="")
    message = models.CharField(max_length=500)
    # The row as the file had it, for the downloadable error file.
    cells = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["line", "id"]
        indexes = [
            models.Index(fields=["lead_import", "dry_run", "line"], name="import_problem_line")
        ]

    def __str__(self) -> str:
        where = f"line {self.line}" + (f", {self.column}" if self.column else "")
        return f"{where}: {self.message}"
