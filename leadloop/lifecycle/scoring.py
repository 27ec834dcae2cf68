"""Scoring actions: score a lead as it arrives or acts, tune a proposal, apply a model.

Every score written goes through here. A lead is scored with the active
model when it comes in (intake, web form, import rows in memory per batch),
and rescored when it acts (an activity, a re-submission: its engagement
part). Applying a model retires the active one and rescores every open
lead in SQL (`lifecycle.rescoring`: the same points, a few statements per
100,000 leads); a lead whose tier changes gets a `score_changed` event, and
the model gets one `applied` event for the whole rescoring. On PostgreSQL,
outside a caller's transaction, the chunks commit one by one on two
connections and the `applied` event comes last: an active model without it
is a stopped apply, which applying the model again finishes; the tick hands one
to the worker to finish by itself (`queue_finishing`). The `applied` event counts
the whole rescoring, whatever runs it took.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Count, Max

from leadloop.accounts.models import User
from leadloop.leads import states
from leadloop.leads.choices import EventKind
from leadloop.leads.models import Lead, LeadEvent, LeadScore
from leadloop.lib.errors import Conflict
from leadloop.lib.rows import insert_rows
from leadloop.lib.times import utc
from leadloop.lifecycle import bulk, events
from leadloop.lifecycle.rescoring import rescore_open, rescore_open_committed
from leadloop.scoring import rules, selectors, tuning
from leadloop.scoring.choices import ModelEventKind, ModelStatus, Target
from leadloop.scoring.models import ModelEvent, ScoringModel, TuningRun

log = logging.getLogger("leadloop.scoring")

STALE_TUNING = timedelta(hours=2)
# The columns of a lead's score (`leads.LeadScore`), beside its lines.
SCORE_COLUMNS = (
    "score",
    "score_probability",
    "tier",
    "scored_at",
    "score_model",
)


class ModelNotApplicable(Conflict):
    """A proposal applied twice, or after a newer one was applied (409)."""


# -- one lead -----------------------------------------------------------------


def score_values(
    model: ScoringModel | None,
    features: Mapping[str, rules.Value],
    engagement: rules.Engagement,
    now: datetime,
) -> tuple[dict[str, Any], list[dict[str, Any]] | None]:
    """The score columns of a lead under a model, and its score's lines (nothing
    without an active model)."""
    if model is None:
        return {}, None
    scored = rules.score_lead(model.spec, features, engagement, now)
    return {
        "score": scored.score,
        "score_probability": scored.probability,
        "tier": scored.tier,
        "scored_at": now,
        "score_model": model.version,
    }, scored.breakdown


def score_arrival(lead: Lead, *, model: ScoringModel | None, now: datetime) -> LeadScore | None:
    """The score of an unsaved lead as it comes in (no engagement yet), to write with
    `write_score` once the lead is (None without a model)."""
    fields = {name: getattr(lead, name) for name in selectors.FEATURE_COLUMNS[:-2]}
    fields["campaign"] = lead.campaign.name
    fields["channel"] = lead.campaign.channel
    values, lines = score_values(model, rules.lead_features(fields), rules.Engagement(), now)
    if lines is None:
        return None
    return LeadScore(**values, lines=bulk.db_json(lines))


def write_score(lead: Lead, row: LeadScore | None, *, new: bool = False) -> None:
    """The lead's score, written (one statement) and cached on the lead. None: a new
    lead no model scored, known to have no score row, so reading its score (0,
    untiered) asks the database nothing."""
    if row is None:
        Lead.scored.related.set_cached_value(lead, None)
        return
    row.lead = lead
    if new:
        insert_rows([row])
    else:
        LeadScore.objects.bulk_create(
            [row],
            update_conflicts=True,
            unique_fields=["lead"],
            update_fields=[*SCORE_COLUMNS, "lines"],
        )
    lead.scored = row


def engagement_of(lead: Lead) -> rules.Engagement:
    """The lead's engagement from its counters and its re-submissions (one query)."""
    again = LeadEvent.objects.filter(lead=lead, kind=EventKind.SUBMITTED_AGAIN).aggregate(
        n=Count("id"), last=Max("at")
    )
    last = max((t for t in (lead.last_activity_at, again["last"]) if t is not None), default=None)
    return rules.Engagement(
        connects=lead.connects,
        unanswered=max(0, lead.dials - lead.connects),
        resubmissions=int(again["n"] or 0),
        last_at=last,
    )


def rescore(lead: Lead, *, actor: User | None, now: datetime) -> None:
    """Rescore a locked open lead after it acted; a tier change is an event."""
    model = selectors.active_model()
    if model is None or not states.is_open(lead.stage):
        return
    fields = {name: getattr(lead, name) for name in selectors.FEATURE_COLUMNS[:-2]}
    fields["campaign"] = lead.campaign.name
    fields["channel"] = lead.campaign.channel
    before = (lead.score, lead.tier)
    values, lines = score_values(model, rules.lead_features(fields), engagement_of(lead), now)
    write_score(lead, LeadScore(**values, lines=bulk.db_json(lines or [])))
    if before[1] != lead.tier:
        events.record(
            lead,
            [
                events.score_changed(
                    score=lead.score,
                    from_score=before[0],
                    tier=lead.tier,
                    from_tier=before[1],
                    model=model.version,
                )
            ],
            at=now,
            actor=actor,
        )


# -- tuning -------------------------------------------------------------------


def propose(
    *,
    target: str,
    actor: User | None,
    now: datetime,
    since: datetime | None = None,
    until: datetime | None = None,
    progress: tuning.Progress | None = None,
) -> ScoringModel:
    """Learn a proposal from closed leads and keep it with its backtest.

    All the learning happens before anything is written: an interrupted tuning
    leaves no half-written proposal.
    """
    now = utc(now, "now")
    if target not in Target.values:
        raise ValidationError(
            {"target": f"unknown target '{target}'; one of {', '.join(Target.values)}"}
        )
    if since is not None and until is not None and since >= until:
        raise ValidationError({"since": "must be before until"})
    history = selectors.history(target, since=since, until=until)
    active = selectors.active_model()
    # The backtest compares like with like: a model of another target is no "current".
    current = active if active is not None and active.target == target else None
    try:
        result = tuning.tune(
            history,
            target=target,
            current=current.spec if current is not None else None,
            progress=progress,
        )
    except tuning.TuningRefused as exc:
        raise ValidationError({"target": str(exc)}) from None
    backtest = result["backtest"]
    backtest["current_version"] = current.version if current is not None else None
    if since is not None:
        backtest["since"] = since.isoformat()
    if until is not None:
        backtest["until"] = until.isoformat()
    with transaction.atomic():
        top = ScoringModel.objects.select_for_update().order_by("-version").first()
        model = ScoringModel.objects.create(
            version=(top.version if top is not None else 0) + 1,
            target=target,
            status=ModelStatus.PROPOSAL,
            spec=result["spec"],
            backtest=backtest,
            created_at=now,
            created_by=actor,
        )
        ModelEvent.objects.create(
            scoring_model=model,
            kind=ModelEventKind.PROPOSED,
            at=now,
            actor=actor,
            data={"target": target, "closed_leads": backtest["history"]["count"]},
        )
    return model


# -- applying -----------------------------------------------------------------


@dataclass(frozen=True)
class Applied:
    """What an apply did. `rescored` and `tier_changes` count the whole rescoring onto
    the model; `run_*` what this run did (less when it finished a stopped apply)."""

    model: ScoringModel
    rescored: int
    tier_changes: int
    run_rescored: int
    run_tier_changes: int
    finished_stopped: bool = False


def apply_model(
    model: ScoringModel | int,
    *,
    actor: User | None,
    now: datetime,
    progress: Callable[[int], None] | None = None,
    by: str | None = None,
) -> Applied:
    """Make a proposal the active model and rescore every open lead with it.

    Inside a transaction the caller owns (or on SQLite), all in it. Otherwise,
    on PostgreSQL, the model is made active first and the leads are rescored in
    committed chunks on two connections (`rescoring.rescore_open_committed`);
    the `applied` event follows the last chunk. Applying an active model whose
    rescoring stopped before that finishes it. `by`: what acted without a user
    (`"tick"`), said on the `applied` event."""
    now = utc(now, "now")
    model_id = model if isinstance(model, int) else model.pk
    if connection.in_atomic_block or connection.vendor != "postgresql":
        with transaction.atomic():
            locked, replaced, resumed = _activate(model_id, actor=actor, now=now)
            run = rescore_open(locked, actor=actor, now=now, progress=progress)
            return _applied(locked, replaced, run, resumed, actor=actor, now=now, by=by)
    with _applying(model_id):
        with transaction.atomic():
            locked, replaced, resumed = _activate(model_id, actor=actor, now=now)
        run = rescore_open_committed(locked, actor=actor, now=now, progress=progress)
        with transaction.atomic():
            return _applied(locked, replaced, run, resumed, actor=actor, now=now, by=by)


# Key of the advisory locks (with the model's id) held while a model is applied.
_APPLY_LOCK = 0x5C0E


def being_applied(model_id: int) -> bool:
    """Whether an apply of the model holds its lock now (PostgreSQL; read from
    `pg_locks`, nothing taken: an apply starting this instant is not refused)."""
    if connection.vendor != "postgresql":
        return False
    with connection.cursor() as cur:
        # Two int4 keys: classid and objid, objsubid 2; advisory locks are per database.
        cur.execute(
            "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' "
            "AND database = (SELECT oid FROM pg_database WHERE datname = current_database()) "
            "AND classid = %s AND objid = %s AND objsubid = 2)",
            [_APPLY_LOCK, model_id],
        )
        return bool(cur.fetchone()[0])


@contextmanager
def _applying(model_id: int) -> Iterator[None]:
    """One apply of a model at a time (a session lock: its chunks commit under it)."""
    with connection.cursor() as cur:
        cur.execute("SELECT pg_try_advisory_lock(%s, %s)", [_APPLY_LOCK, model_id])
        if not cur.fetchone()[0]:
            raise ModelNotApplicable(f"model {model_id} is being applied right now")
    try:
        yield
    finally:
        with connection.cursor() as cur:
            cur.execute("SELECT pg_advisory_unlock(%s, %s)", [_APPLY_LOCK, model_id])


def _activate(
    model_id: int, *, actor: User | None, now: datetime
) -> tuple[ScoringModel, int | None, bool]:
    """Lock the model and make it the active one, retiring the active one; the version
    it replaced, and whether it was active already: an active model whose rescoring
    stopped is taken as it is, to finish."""
    locked = ScoringModel.objects.select_for_update().filter(pk=model_id).first()
    if locked is None:
        raise ScoringModel.DoesNotExist(f"no scoring model {model_id}")
    if selectors.unfinished(locked):
        retired = (
            ModelEvent.objects.filter(kind=ModelEventKind.RETIRED, data__by=locked.version)
            .select_related("scoring_model")
            .first()
        )
        return locked, retired.scoring_model.version if retired is not None else None, True
    if locked.status != ModelStatus.PROPOSAL:
        raise ModelNotApplicable(
            f"model v{locked.version} is {locked.get_status_display().lower()}, not a "
            "proposal: it was applied already"
        )
    current = ScoringModel.objects.select_for_update().filter(status=ModelStatus.ACTIVE).first()
    if current is not None and current.version > locked.version:
        raise ModelNotApplicable(
            f"model v{locked.version} is older than the active v{current.version}; "
            "tune again to propose from the latest outcomes"
        )
    if current is not None:
        current.status = ModelStatus.RETIRED
        current.retired_at = now
        current.save(update_fields=["status", "retired_at"])
        ModelEvent.objects.create(
            scoring_model=current,
            kind=ModelEventKind.RETIRED,
            at=now,
            actor=actor,
            data={"by": locked.version},
        )
    locked.status = ModelStatus.ACTIVE
    locked.applied_at = now
    locked.applied_by = actor
    locked.save(update_fields=["status", "applied_at", "applied_by"])
    return locked, current.version if current is not None else None, False


def _applied(
    model: ScoringModel,
    replaced: int | None,
    run: tuple[int, int],
    resumed: bool,
    *,
    actor: User | None,
    now: datetime,
    by: str | None,
) -> Applied:
    """The model's one `applied` event, counting the whole rescoring. A run that
    finished a stopped one rescored only the rest (the stopped run's chunks are in
    their leads already): the totals are read from the leads and their events then
    (`selectors.rescoring_totals`), this run's own counts kept beside them."""
    rescored, changes = run
    data: dict[str, Any] = {"rescored": rescored, "tier_changes": changes, "replaced": replaced}
    if resumed:
        data["rescored"], data["tier_changes"] = selectors.rescoring_totals(model)
        data["run"] = {"rescored": rescored, "tier_changes": changes}
        if model.applied_at is not None:
            data["finished_stopped_apply_of"] = model.applied_at.isoformat()
    if by is not None:
        data["by"] = by
    ModelEvent.objects.create(
        scoring_model=model, kind=ModelEventKind.APPLIED, at=now, actor=actor, data=data
    )
    return Applied(model, data["rescored"], data["tier_changes"], rescored, changes, resumed)


# -- finishing a stopped apply (the tick) ---------------------------------------


@dataclass(frozen=True)
class StoppedApply:
    """An active model whose rescoring stopped, handed to the worker to finish."""

    model_id: int
    version: int
    on_model: int
    open_leads: int

    @property
    def remaining(self) -> int:
        return self.open_leads - self.on_model


def queue_finishing(*, now: datetime) -> StoppedApply | None:
    """The tick's side: an apply whose worker was killed mid-rescoring is finished by
    the worker (`finish_stopped_apply`), nobody has to notice it. None when every apply
    finished, or when one is running now (its lock held): the next tick looks again.

    Queued, not run here: finishing a million leads takes minutes, and the tick's
    other steps (the SLA sweep) run every minute."""
    model = selectors.unfinished_model()
    if model is None:
        return None
    if being_applied(model.pk):
        log.debug("scoring apply running", extra={"model": model.pk, "version": model.version})
        return None
    progress = selectors.rescoring_progress(model)
    if progress is None:
        return None
    stopped = StoppedApply(model.pk, model.version, *progress)
    log.info(
        "scoring apply stopped: finishing it",
        extra={
            "now": now.isoformat(),
            "model": stopped.model_id,
            "version": stopped.version,
            "remaining": stopped.remaining,
            "open_leads": stopped.open_leads,
        },
    )
    _enqueue_finishing(stopped.model_id, now)
    return stopped


def _enqueue_finishing(model_id: int, now: datetime) -> None:
    from leadloop.lifecycle.tasks import finish_apply

    finish_apply(model_id, now.isoformat())


def finish_stopped_apply(model_id: int, *, now: datetime) -> Applied | None:
    """The worker's side: finish a stopped apply as applying the model again does, by
    nobody (`by="tick"`). None, quietly, when there is nothing to finish by now: an
    apply running it (its lock taken without waiting), finished or replaced meanwhile."""
    model = ScoringModel.objects.filter(pk=model_id).first()
    # Checked first: the id must never apply a proposal (it can only have been active).
    if model is None or not selectors.unfinished(model):
        return None
    try:
        applied = apply_model(model_id, actor=None, now=now, by="tick")
    except ModelNotApplicable as exc:
        log.info("scoring apply not finished", extra={"model": model_id, "reason": str(exc)})
        return None
    log.info(
        "scoring apply finished",
        extra={
            "now": now.isoformat(),
            "model": model_id,
            "version": applied.model.version,
            "rescored": applied.rescored,
            "tier_changes": applied.tier_changes,
            "run_rescored": applied.run_rescored,
            "run_tier_changes": applied.run_tier_changes,
        },
    )
    return applied


# -- tuning in the worker -----------------------------------------------------


def queue_tuning(
    *,
    target: str,
    actor: User | None,
    now: datetime,
    since: datetime | None = None,
    until: datetime | None = None,
) -> TuningRun:
    """Ask the worker for a proposal; the run says how far it got and what came of it."""
    now = utc(now, "now")
    if target not in Target.values:
        raise ValidationError(
            {"target": f"unknown target '{target}'; one of {', '.join(Target.values)}"}
        )
    if since is not None and until is not None and since >= until:
        raise ValidationError({"since": "must be before until"})
    # A run older than that is taken for dead (its worker stopped): it blocks no one.
    busy = TuningRun.objects.filter(
        state__in=(TuningRun.State.QUEUED, TuningRun.State.RUNNING),
        created_at__gte=now - STALE_TUNING,
    ).first()
    if busy is not None:
        raise TuningBusy(f"tuning {busy.pk} ({busy.target}) is still {busy.state}; wait for it")
    with transaction.atomic():
        run = TuningRun.objects.create(
            target=target, since=since, until=until, created_at=now, created_by=actor
        )
        transaction.on_commit(lambda: _enqueue(run.pk))
    return run


class TuningBusy(Conflict):
    """Another tuning is queued or running (409)."""


def _enqueue(run_id: int) -> None:
    from leadloop.lifecycle.tasks import tune_scoring

    tune_scoring(run_id)


def run_tuning(run_id: int, *, now: datetime) -> TuningRun:
    """The worker's side: tune, telling the run its progress; failed with the reason."""
    run = TuningRun.objects.select_related("created_by").get(pk=run_id)
    TuningRun.objects.filter(pk=run_id).update(state=TuningRun.State.RUNNING, step="reading")

    def progress(step: str, fraction: float) -> None:
        TuningRun.objects.filter(pk=run_id).update(step=step[:60], progress=round(fraction, 3))

    try:
        model = propose(
            target=run.target,
            actor=run.created_by,
            now=now,
            since=run.since,
            until=run.until,
            progress=progress,
        )
    except ValidationError as exc:
        TuningRun.objects.filter(pk=run_id).update(
            state=TuningRun.State.FAILED, message="; ".join(exc.messages)[:500], finished_at=now
        )
    except Exception as exc:
        TuningRun.objects.filter(pk=run_id).update(
            state=TuningRun.State.FAILED,
            message=f"the tuning stopped ({type(exc).__name__}); nothing was proposed"[:500],
            finished_at=now,
        )
        raise
    else:
        TuningRun.objects.filter(pk=run_id).update(
            state=TuningRun.State.DONE, proposal=model, progress=1.0, step="done", finished_at=now
        )
    run.refresh_from_db()
    return run
