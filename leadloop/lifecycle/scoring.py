"""Scoring actions: score a lead as it arrives or acts, tune a proposal, apply a model.

Every score written goes through here. A lead is scored with the active
model when it comes in (intake, web form, import rows in memory per batch),
and rescored when it acts (an activity, a re-submission: its engagement
part). Applying a model retires the active one and rescores every open
lead set-based: scores computed in memory a chunk at a time, written with
one UPDATE ... FROM a staging table per chunk; a lead whose tier changes
gets a `score_changed` event (one INSERT per chunk), and the model gets one
`applied` event for the whole rescoring.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Count, Max

from leadloop.accounts.models import User
from leadloop.leads import states
from leadloop.leads.choices import EventKind
from leadloop.leads.models import Lead, LeadEvent
from leadloop.lib.errors import Conflict
from leadloop.lib.times import utc
from leadloop.lifecycle import bulk, events
from leadloop.scoring import rules, selectors, tuning
from leadloop.scoring.choices import ModelEventKind, ModelStatus, Target
from leadloop.scoring.models import ModelEvent, ScoringModel, TuningRun

CHUNK = 5000
STALE_TUNING = timedelta(hours=2)
SCORE_COLUMNS = (
    "score",
    "score_breakdown",
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
) -> dict[str, Any]:
    """The score columns of a lead under a model (empty without an active model)."""
    if model is None:
        return {}
    scored = rules.score_lead(model.spec, features, engagement, now)
    return {
        "score": scored.score,
        "score_breakdown": scored.breakdown,
        "score_probability": scored.probability,
        "tier": scored.tier,
        "scored_at": now,
        "score_model": model.version,
    }


def score_arrival(lead: Lead, *, model: ScoringModel | None, now: datetime) -> None:
    """Set an unsaved lead's score columns as it comes in (no engagement yet)."""
    fields = {name: getattr(lead, name) for name in selectors.FEATURE_COLUMNS[:-2]}
    fields["campaign"] = lead.campaign.name
    fields["channel"] = lead.campaign.channel
    values = score_values(model, rules.lead_features(fields), rules.Engagement(), now)
    for name, value in values.items():
        setattr(lead, name, value)


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
    values = score_values(model, rules.lead_features(fields), engagement_of(lead), now)
    for name, value in values.items():
        setattr(lead, name, value)
    lead.save(update_fields=list(SCORE_COLUMNS))
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
    model: ScoringModel
    rescored: int
    tier_changes: int


def apply_model(
    model: ScoringModel | int,
    *,
    actor: User | None,
    now: datetime,
    progress: Callable[[int], None] | None = None,
) -> Applied:
    """Make a proposal the active model and rescore every open lead with it."""
    now = utc(now, "now")
    model_id = model if isinstance(model, int) else model.pk
    with transaction.atomic():
        locked = ScoringModel.objects.select_for_update().filter(pk=model_id).first()
        if locked is None:
            raise ScoringModel.DoesNotExist(f"no scoring model {model_id}")
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
        rescored, changes = rescore_open(locked, actor=actor, now=now, progress=progress)
        ModelEvent.objects.create(
            scoring_model=locked,
            kind=ModelEventKind.APPLIED,
            at=now,
            actor=actor,
            data={
                "rescored": rescored,
                "tier_changes": changes,
                "replaced": current.version if current is not None else None,
            },
        )
    return Applied(locked, rescored, changes)


def rescore_open(
    model: ScoringModel,
    *,
    actor: User | None,
    now: datetime,
    progress: Callable[[int], None] | None = None,
) -> tuple[int, int]:
    """Rescore every open lead with the model: a few statements per chunk of leads."""
    open_stages = sorted(states.OPEN_STAGES)
    total = changes = 0
    after = 0
    staging = _staging_table()
    t = bulk.time_adapter()
    while True:
        chunk = list(
            Lead.objects.filter(stage__in=open_stages, pk__gt=after)
            .order_by("pk")
            .values_list(
                "pk",
                *selectors.FEATURE_COLUMNS,
                "connects",
                "dials",
                "last_activity_at",
                "score",
                "tier",
            )[:CHUNK]
        )
        if not chunk:
            break
        lo, hi = chunk[0][0], chunk[-1][0]
        after = hi
        again = {
            row["lead_id"]: row
            for row in LeadEvent.objects.filter(
                kind=EventKind.SUBMITTED_AGAIN,
                lead_id__gte=lo,
                lead_id__lte=hi,
                lead__stage__in=open_stages,
            )
            .values("lead_id")
            .annotate(n=Count("id"), last=Max("at"))
        }
        n_features = len(selectors.FEATURE_COLUMNS)
        rows: list[tuple[Any, ...]] = []
        tier_events: list[tuple[int, events.EventSpec]] = []
        for values in chunk:
            lead_id = values[0]
            features = selectors.features_from_values(values[1 : 1 + n_features])
            connects, dials, last_activity, old_score, old_tier = values[1 + n_features :]
            resub = again.get(lead_id)
            last = max(
                (x for x in (last_activity, resub["last"] if resub else None) if x is not None),
                default=None,
            )
            engagement = rules.Engagement(
                connects=connects,
                unanswered=max(0, dials - connects),
                resubmissions=resub["n"] if resub else 0,
                last_at=last,
            )
            scored = rules.score_lead(model.spec, features, engagement, now)
            rows.append(
                (
                    lead_id,
                    scored.score,
                    bulk.db_json(scored.breakdown),
                    scored.probability,
                    scored.tier,
                    t(now),
                    model.version,
                )
            )
            if scored.tier != old_tier:
                tier_events.append(
                    (
                        lead_id,
                        events.score_changed(
                            score=scored.score,
                            from_score=old_score,
                            tier=scored.tier,
                            from_tier=old_tier,
                            model=model.version,
                        ),
                    )
                )
        _write_scores(staging, rows)
        if tier_events:
            events.record_each(tier_events, at=now, actor=actor)
        total += len(rows)
        changes += len(tier_events)
        if progress is not None:
            progress(total)
    return total, changes


def _staging_table() -> str:
    json_type = "jsonb" if connection.vendor == "postgresql" else "text"
    time_type = "timestamptz" if connection.vendor == "postgresql" else "text"
    with connection.cursor() as cur:
        cur.execute(
            "CREATE TEMPORARY TABLE IF NOT EXISTS leadloop_scores ("
            "id bigint PRIMARY KEY, score integer NOT NULL, "
            f"breakdown {json_type} NOT NULL, probability double precision, "
            f"tier varchar(1) NOT NULL, scored_at {time_type}, score_model integer)"
        )
    return "leadloop_scores"


def _write_scores(staging: str, rows: list[tuple[Any, ...]]) -> None:
    """One UPDATE ... FROM for the chunk (PostgreSQL and SQLite 3.33+ alike)."""
    lead = connection.ops.quote_name(Lead._meta.db_table)
    with connection.cursor() as cur:
        cur.execute(f"DELETE FROM {staging}")  # noqa: S608 (a constant name)
        bulk.insert_raw(
            staging,
            ["id", "score", "breakdown", "probability", "tier", "scored_at", "score_model"],
            rows,
        )
        cur.execute(
            f"UPDATE {lead} AS l SET score = s.score, score_breakdown = s.breakdown, "  # noqa: S608
            "score_probability = s.probability, tier = s.tier, scored_at = s.scored_at, "
            f"score_model = s.score_model FROM {staging} AS s WHERE l.id = s.id"
        )


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
