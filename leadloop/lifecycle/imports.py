"""Importing a lead file: the action every door (CLI, API, web wizard, worker) calls.

The file is read as a stream, a few thousand rows at a time; each batch is
one transaction that writes its leads together with their events, clocks
and journal rows and moves the import's resume point (`last_line`). So:

* a crash (even `kill -9`) loses at most the batch in flight, and nothing
  of it: no lead is ever written without its events and clocks;
* running the import again (`leadloop import resume ID`, or the same file
  once more) carries on after the last committed row; rows already in
  leadloop are recognised by their fingerprint and left alone;
* a dry run is the very same code in one transaction that is rolled back,
  so its counts are what the real run will do, not an estimate.

With `on_error=abort` a dry run goes first: one bad row and nothing is
written. With `skip` bad rows are reported (line, column, reason) and the
rest imported.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F

from leadloop.accounts.models import Team, User
from leadloop.campaigns.models import Campaign
from leadloop.campaigns.services import create_campaign
from leadloop.imports.converter import Converter
from leadloop.imports.models import ImportProblem, ImportState, LeadImport, OnError
from leadloop.imports.plan import Plan
from leadloop.imports.reading import ReadError, open_table
from leadloop.imports.services import default_team, file_path, plan_for
from leadloop.lib.sheets import unneutral
from leadloop.lib.times import iso_utc, utc
from leadloop.lifecycle import import_batch, webhooks
from leadloop.lifecycle.import_batch import Context, Tally
from leadloop.lifecycle.import_rows import Prepared, Problem, prepare
from leadloop.lifecycle.read_ahead import read_ahead

log = logging.getLogger("leadloop.imports")

BATCH_ROWS = 5000
# The problems kept for the summary and the error file; beyond this they are counted.
KEPT_PROBLEMS = 10_000


class ImportRefused(ValidationError):
    """The file or its mapping cannot be imported as it is: nothing was written."""


class ImportInterrupted(RuntimeError):
    """Stopped between batches (Ctrl-C, a worker shutting down): resume it to finish."""


class ImportBusy(RuntimeError):
    """Another process is running this import right now."""


@dataclass
class ImportSummary:
    """What an import did (or, dry, would do)."""

    id: int
    dry_run: bool
    state: str
    created: int = 0
    duplicates: int = 0
    reopened: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0
    error_count: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)
    unknown_people: dict[str, int] = field(default_factory=dict)
    rows: int = 0
    message: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "dry_run": self.dry_run,
            "state": self.state,
            "rows": self.rows,
            "created": self.created,
            "duplicates": self.duplicates,
            "reopened": self.reopened,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "skipped": self.skipped,
            "error_count": self.error_count,
            "errors": self.errors,
            "unknown_people": self.unknown_people,
            "message": self.message,
        }


Progress = Callable[[LeadImport], None]


def run_import(
    lead_import: LeadImport,
    *,
    actor: User | None,
    now: datetime,
    dry_run: bool = False,
    progress: Progress | None = None,
    stop: Callable[[], bool] | None = None,
) -> ImportSummary:
    """Check (dry run) or run an import; see the module's docstring."""
    now = utc(now, "now")
    if not dry_run and lead_import.state == ImportState.DONE:
        return _summary(lead_import, dry_run=False, rows=lead_import.rows_read)
    if not dry_run and lead_import.on_error == OnError.ABORT and lead_import.last_line == 0:
        check = _check(lead_import, actor=actor, now=now, progress=progress)
        if check.error_count:
            _failed(
                lead_import,
                f"nothing imported: {check.error_count} problem(s) in "
                f"{check.skipped} row(s), and on error the import aborts; fix the rows "
                "(see the error file) or import with on error: skip",
                now=now,
                problems_from_check=True,
            )
            check.state = ImportState.FAILED
            check.dry_run = False
            check.created = check.duplicates = check.reopened = check.updated = 0
            check.unchanged = 0
            check.message = lead_import.message
            return check
    if dry_run:
        return _check(lead_import, actor=actor, now=now, progress=progress)
    return _run(lead_import, actor=actor, now=now, progress=progress, stop=stop)


class _Rollback(Exception):
    pass


def _check(
    lead_import: LeadImport,
    *,
    actor: User | None,
    now: datetime,
    progress: Progress | None,
) -> ImportSummary:
    """The whole import in one transaction, rolled back: exact counts, nothing kept."""
    total = Tally()
    cells: dict[int, Sequence[str]] = {}
    rows_read = 0
    try:
        plan = _plan(lead_import)
    except ImportRefused as exc:
        # Nothing was read: the mapping needs fixing first, then a new check.
        LeadImport.objects.filter(pk=lead_import.pk).update(
            state=ImportState.UPLOADED, message="; ".join(exc.messages), updated_at=now
        )
        lead_import.refresh_from_db()
        raise
    try:
        with transaction.atomic():
            ctx = _context(lead_import, actor=actor, now=now, dry_run=True)
            for batch in read_ahead(_batches(lead_import, ctx, plan, resume_after=0)):
                tally = import_batch.process(
                    ctx, batch.rows, batch.problems, batch.cells, skipped=batch.skipped
                )
                _keep(total, tally, cells, batch.cells)
                rows_read += batch.count
                # The check's own transaction is rolled back: its progress is told
                # outside the database, for the wizard's progress bar.
                _tell_check_progress(lead_import, batch.position, rows_read)
                if progress is not None:
                    lead_import.bytes_read = batch.position
                    lead_import.rows_read = rows_read
                    progress(lead_import)
            raise _Rollback
    except _Rollback:
        pass
    summary = _tally_summary(lead_import, total, dry_run=True, rows=rows_read)
    with transaction.atomic():
        ImportProblem.objects.filter(lead_import=lead_import, dry_run=True).delete()
        import_batch.write_problems(lead_import, total.problems, cells, dry_run=True)
        LeadImport.objects.filter(pk=lead_import.pk).update(
            checked=summary.as_dict() | {"errors": summary.errors[:100]},
            state=ImportState.CHECKED if lead_import.state in CHECKABLE else lead_import.state,
            message="",
            updated_at=now,
        )
    _check_progress_file(lead_import).unlink(missing_ok=True)
    lead_import.refresh_from_db()
    return summary


CHECKABLE = (ImportState.UPLOADED, ImportState.CHECKING, ImportState.CHECKED)


def _check_progress_file(lead_import: LeadImport) -> Path:
    return file_path(lead_import).with_name(lead_import.stored_name + ".check.json")


def _tell_check_progress(lead_import: LeadImport, position: int, rows: int) -> None:
    path = _check_progress_file(lead_import)
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps({"bytes_read": position, "rows_read": rows}))
    temporary.replace(path)


def progress_of(lead_import: LeadImport) -> tuple[float, int]:
    """How far an import or its check is (0..1 of the file) and the rows read so far."""
    if lead_import.state == ImportState.CHECKING:
        try:
            told = json.loads(_check_progress_file(lead_import).read_text())
        except (OSError, ValueError):
            return 0.0, 0
        total = max(lead_import.bytes_total, 1)
        return min(told["bytes_read"] / total, 1.0), int(told["rows_read"])
    return lead_import.progress, lead_import.rows_read


def _run(
    lead_import: LeadImport,
    *,
    actor: User | None,
    now: datetime,
    progress: Progress | None,
    stop: Callable[[], bool] | None,
) -> ImportSummary:
    try:
        plan = _plan(lead_import)
        with transaction.atomic():
            # A campaign the import names is made once, before the first batch.
            _campaign(lead_import)
    except ImportRefused as exc:
        _failed(lead_import, "; ".join(exc.messages), now=now)
        raise
    LeadImport.objects.filter(pk=lead_import.pk).update(
        state=ImportState.RUNNING, started_at=lead_import.started_at or now, updated_at=now
    )
    lead_import.refresh_from_db()
    ctx = _context(lead_import, actor=actor, now=now, dry_run=False)
    resume_after = lead_import.last_line
    unknown: dict[str, int] = {}
    for batch in read_ahead(_batches(lead_import, ctx, plan, resume_after=resume_after)):
        with transaction.atomic():
            current = LeadImport.objects.select_for_update().get(pk=lead_import.pk)
            if current.last_line != resume_after:
                raise ImportBusy(
                    f"import {lead_import.pk} moved on while this run was reading (another "
                    "process is running it); leave it to that one"
                )
            tally = import_batch.process(
                ctx, batch.rows, batch.problems, batch.cells, skipped=batch.skipped
            )
            resume_after = batch.last_line
            LeadImport.objects.filter(pk=lead_import.pk).update(
                last_line=batch.last_line,
                rows_read=F("rows_read") + batch.count,
                bytes_read=batch.position,
                created=F("created") + tally.created,
                duplicates=F("duplicates") + tally.duplicates,
                reopened=F("reopened") + tally.reopened,
                updated=F("updated") + tally.updated,
                unchanged=F("unchanged") + tally.unchanged,
                skipped=F("skipped") + tally.skipped,
                error_count=F("error_count") + len(tally.problems),
                updated_at=now,
            )
        for who, n in tally.unknown_people.items():
            unknown[who] = unknown.get(who, 0) + n
        lead_import.refresh_from_db()
        if progress is not None:
            progress(lead_import)
        if stop is not None and stop():
            raise ImportInterrupted(
                f"import {lead_import.pk} stopped after line {lead_import.last_line}; "
                f"`leadloop import resume {lead_import.pk}` carries on from there"
            )
    with transaction.atomic():
        finished = (
            LeadImport.objects.filter(pk=lead_import.pk)
            .exclude(state=ImportState.DONE)
            .update(
                state=ImportState.DONE,
                finished_at=now,
                updated_at=now,
                bytes_read=F("bytes_total"),
            )
        )
        lead_import.refresh_from_db()
        if finished:
            # One webhook message per import, in the transaction that finishes it;
            # the rows' own events (imported, duplicate, reopened) send none.
            webhooks.queue_import_finished(
                team_id=lead_import.team_id, data={"import": import_json(lead_import)}, now=now
            )
    # Done: nothing reads the file again (the error file is kept with the problems).
    file_path(lead_import).unlink(missing_ok=True)
    log.info(
        "import done",
        extra={
            "import": lead_import.pk,
            "file": lead_import.file_name,
            "leads_created": lead_import.created,
            "duplicates": lead_import.duplicates,
            "reopened": lead_import.reopened,
            "skipped": lead_import.skipped,
        },
    )
    summary = _summary(lead_import, dry_run=False, rows=lead_import.rows_read)
    summary.unknown_people = unknown
    return summary


def _failed(
    lead_import: LeadImport, message: str, *, now: datetime, problems_from_check: bool = False
) -> None:
    with transaction.atomic():
        if problems_from_check:
            # The check's problems are why nothing was imported: they are the run's now.
            ImportProblem.objects.filter(lead_import=lead_import, dry_run=False).delete()
            ImportProblem.objects.filter(lead_import=lead_import, dry_run=True).update(
                dry_run=False
            )
        LeadImport.objects.filter(pk=lead_import.pk).update(
            state=ImportState.FAILED, message=message, finished_at=now, updated_at=now
        )
    lead_import.refresh_from_db()
    log.warning("import failed", extra={"import": lead_import.pk, "why": message})


def fail(lead_import: LeadImport, message: str, *, now: datetime) -> None:
    """Mark an import failed (the worker calls this when a run dies), saying what to do next."""
    _failed(lead_import, message, now=utc(now, "now"))


@dataclass
class _Batch:
    rows: list[Prepared]
    problems: list[Problem]
    cells: dict[int, Sequence[str]]
    count: int
    skipped: int
    last_line: int
    position: int


def _campaign(lead_import: LeadImport) -> Campaign:
    """The import's campaign, made now if the import named a new one."""
    if lead_import.campaign_id is not None:
        return Campaign.objects.select_related("team").get(pk=lead_import.campaign_id)
    name = lead_import.campaign_name
    if not name:
        raise ImportRefused({"campaign": "choose the campaign the file's leads come from"})
    found = Campaign.objects.filter(name__iexact=name).select_related("team").first()
    if found is None:
        team = lead_import.team or default_team()
        if team is None:
            raise ImportRefused(
                {"team": f"the campaign '{name}' is new and needs a team: choose one"}
            )
        found = create_campaign(name=name, channel=lead_import.channel or "other", team=team)
    LeadImport.objects.filter(pk=lead_import.pk).update(campaign=found)
    lead_import.campaign = found
    return found


def _context(
    lead_import: LeadImport, *, actor: User | None, now: datetime, dry_run: bool
) -> Context:
    return Context(
        lead_import=lead_import,
        actor=actor,
        now=now,
        campaign=_campaign(lead_import),
        team=Team.objects.get(pk=lead_import.team_id) if lead_import.team_id else None,
        channel=lead_import.channel or "other",
        dry_run=dry_run,
    )


def _plan(lead_import: LeadImport) -> Plan:
    """The mapping checked against the whole file (every stage value has a target), so a
    refusal comes before anything is written."""
    try:
        return plan_for(lead_import)
    except ValidationError as exc:
        raise ImportRefused(exc.message_dict) from None


def _batches(
    lead_import: LeadImport, ctx: Context, plan: Plan, *, resume_after: int
) -> Iterator[_Batch]:
    """The file's rows after `resume_after`, converted and cleaned, a batch at a time."""
    converter = Converter(plan, zone=ctx.zone(), date_order=lead_import.date_order or None)
    first_column = {name: plan.header[positions[0]] for name, positions in plan.fields.items()}
    ctx.column_of = lambda name: first_column.get(name, name)
    try:
        with open_table(file_path(lead_import), sheet=lead_import.sheet or None) as table:
            if table.header != list(lead_import.header):
                raise ImportRefused(
                    {"file": "the stored file's columns are not the ones it was mapped with"}
                )
            rows: list[Prepared] = []
            problems: list[Problem] = []
            cells: dict[int, Sequence[str]] = {}
            count = skipped = 0
            last = resume_after
            for line, raw in table.rows:
                if line <= resume_after:
                    continue
                count += 1
                last = line
                # An exported CSV keeps formula-like text behind an apostrophe: take it off.
                row_cells = [unneutral(c) if c[:1] == "'" else c for c in raw]
                converted = converter.convert(row_cells)
                if converted.skip:
                    # The mapping says rows with this stage stay out: not a problem.
                    skipped += 1
                else:
                    made = prepare(line, row_cells, converted, column_of=converter.column_for)
                    if isinstance(made, list):
                        problems.extend(made)
                        cells[line] = raw
                    else:
                        rows.append(made)
                if count >= BATCH_ROWS:
                    at = int(table.progress() * lead_import.bytes_total)
                    yield _Batch(rows, problems, cells, count, skipped, last, at)
                    rows, problems, cells, count, skipped = [], [], {}, 0, 0
            if count:
                at = int(table.progress() * lead_import.bytes_total)
                yield _Batch(rows, problems, cells, count, skipped, last, at)
    except ReadError as exc:
        raise ImportRefused({"file": str(exc)}) from exc


def _keep(
    total: Tally,
    tally: Tally,
    cells: dict[int, Sequence[str]],
    batch_cells: Mapping[int, Sequence[str]],
) -> None:
    """Add a batch's tally, keeping at most KEPT_PROBLEMS problems (and their rows' cells)."""
    room = max(KEPT_PROBLEMS - len(total.problems), 0)
    kept = tally.problems[:room]
    tally.dropped += len(tally.problems) - len(kept)
    tally.problems = kept
    total.add(tally)
    for p in kept:
        if p.line in batch_cells:
            cells[p.line] = batch_cells[p.line]


def _tally_summary(
    lead_import: LeadImport, tally: Tally, *, dry_run: bool, rows: int
) -> ImportSummary:
    return ImportSummary(
        id=lead_import.pk,
        dry_run=dry_run,
        state=lead_import.state,
        created=tally.created,
        duplicates=tally.duplicates,
        reopened=tally.reopened,
        updated=tally.updated,
        unchanged=tally.unchanged,
        skipped=tally.skipped,
        error_count=len(tally.problems) + tally.dropped,
        errors=[{"line": p.line, "column": p.column, "message": p.message} for p in tally.problems],
        unknown_people=tally.unknown_people,
        rows=rows,
    )


def _summary(lead_import: LeadImport, *, dry_run: bool, rows: int) -> ImportSummary:
    problems = ImportProblem.objects.filter(lead_import=lead_import, dry_run=False).order_by(
        "line", "id"
    )[:KEPT_PROBLEMS]
    return ImportSummary(
        id=lead_import.pk,
        dry_run=dry_run,
        state=lead_import.state,
        created=lead_import.created,
        duplicates=lead_import.duplicates,
        reopened=lead_import.reopened,
        updated=lead_import.updated,
        unchanged=lead_import.unchanged,
        skipped=lead_import.skipped,
        error_count=lead_import.error_count,
        errors=[{"line": p.line, "column": p.column, "message": p.message} for p in problems],
        rows=rows,
        message=lead_import.message,
    )


def import_json(lead_import: LeadImport) -> dict[str, Any]:
    """An import as a webhook tells of it: which file, what came of its rows."""
    return {
        "id": lead_import.pk,
        "file": lead_import.file_name,
        "team": lead_import.team_id,
        "campaign": lead_import.campaign_id,
        "state": lead_import.state,
        "rows": lead_import.rows_read,
        "created": lead_import.created,
        "duplicates": lead_import.duplicates,
        "reopened": lead_import.reopened,
        "updated": lead_import.updated,
        "unchanged": lead_import.unchanged,
        "skipped": lead_import.skipped,
        "errors": lead_import.error_count,
        "started_at": iso_utc(lead_import.started_at) if lead_import.started_at else None,
        "finished_at": iso_utc(lead_import.finished_at) if lead_import.finished_at else None,
    }
