"""Scoring models through the API (marketing, managers, admins).

    GET  /api/v1/scoring/models              every version, newest first, with its backtest
    GET  /api/v1/scoring/models/{id}         one, with its points
    POST /api/v1/scoring/tune                {"target": "won", "since": ..., "until": ...} -> 202
    GET  /api/v1/scoring/tunings/{id}        a tuning's state, progress and proposal
    POST /api/v1/scoring/models/{id}/apply   make a proposal the active model, rescore

Tuning runs in the worker: poll the tuning until it is `done` (its `proposal`
is the new model's id) or `failed` (its `message` says why, e.g. too few
closed leads). Applying a model twice, or an older one than the active, is 409.
Applying an active model whose apply stopped (its worker killed) finishes it;
the tick does that by itself a minute later.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.utils import timezone
from ninja import Router, Schema, Status
from pydantic import Field

from leadloop.accounts.models import User
from leadloop.api.auth import caller
from leadloop.api.schemas import ERRORS, ConflictOut, Id
from leadloop.lib.errors import NotPermitted
from leadloop.lifecycle import scoring
from leadloop.scoring import selectors
from leadloop.scoring.models import ScoringModel, TuningRun
from leadloop.scoring.permissions import may_score
from leadloop.scoring.report import model_summary

router = Router(tags=["scoring"])


class ModelOut(Schema):
    id: int
    version: int
    target: str
    status: str = Field(description="proposal, active or retired")
    created_at: str | None
    created_by: str | None
    applied_at: str | None
    applied_by: str | None
    backtest: dict[str, Any] = Field(
        description="history, holdout, chosen settings, the proposal's figures (auc, brier, "
        "top_decile_lift, lift_by_decile, reliability), the current model's, the baselines'"
    )
    values: list[dict[str, Any]] = Field(
        description="Per attribute value: count, outcome rate, lift, points"
    )
    base: int | None = None
    points: list[dict[str, Any]] | None = None
    tiers: list[float] | None = None
    calibration: dict[str, float] | None = None
    engagement: dict[str, float] | None = None


class TuneIn(Schema):
    target: str = Field(description="reached, qualified, accepted or won")
    since: date | None = Field(None, description="Learn from leads created on or after")
    until: date | None = Field(None, description="... and before")


class TuningOut(Schema):
    id: int
    target: str
    state: str = Field(description="queued, running, done or failed")
    step: str
    progress: float
    message: str
    proposal: int | None
    created_at: datetime


class AppliedOut(Schema):
    model: ModelOut
    rescored: int = Field(
        description="Open leads rescored onto the model, by every run of its apply "
        "(a stopped apply finished by this one: the open leads on it now)"
    )
    tier_changes: int = Field(description="Leads whose tier the rescoring changed, every run")
    run_rescored: int = Field(description="Of them, rescored by this request")
    run_tier_changes: int = Field(description="Of them, tier changes by this request")
    finished_stopped_apply: bool = Field(
        description="This request finished an apply that had stopped (the model was active)"
    )


def _scorer(request: HttpRequest) -> User:
    user = caller(request)
    if not may_score(user):
        raise NotPermitted("Scoring models are for marketing, managers and admins.")
    return user


def _tuning(run: TuningRun) -> dict[str, Any]:
    return {
        "id": run.pk,
        "target": run.target,
        "state": run.state,
        "step": run.step,
        "progress": run.progress,
        "message": run.message,
        "proposal": run.proposal_id,
        "created_at": run.created_at,
    }


def _day(value: date | None) -> datetime | None:
    if value is None:
        return None
    return datetime(value.year, value.month, value.day, tzinfo=UTC)


@router.get("/models", response={200: list[ModelOut], **ERRORS}, summary="Scoring models")
def list_models(request: HttpRequest) -> Any:
    _scorer(request)
    return [model_summary(m) for m in selectors.models()[:100]]


@router.get("/models/{model_id}", response={200: ModelOut, **ERRORS}, summary="A model's points")
def get_model(request: HttpRequest, model_id: Id) -> Any:
    _scorer(request)
    return model_summary(get_object_or_404(selectors.models(), pk=model_id), points=True)


@router.post(
    "/tune",
    response={202: TuningOut, 409: ConflictOut, **ERRORS},
    summary="Tune a proposal (worker); 409 while another tuning runs",
)
def tune(request: HttpRequest, body: TuneIn) -> Any:
    user = _scorer(request)
    run = scoring.queue_tuning(
        target=body.target,
        actor=user,
        now=timezone.now(),
        since=_day(body.since),
        until=_day(body.until),
    )
    run.refresh_from_db()
    return Status(202, _tuning(run))


@router.get("/tunings/{run_id}", response={200: TuningOut, **ERRORS}, summary="A tuning's state")
def get_tuning(request: HttpRequest, run_id: Id) -> Any:
    _scorer(request)
    return _tuning(get_object_or_404(TuningRun, pk=run_id))


@router.post(
    "/models/{model_id}/apply",
    response={200: AppliedOut, 409: ConflictOut, **ERRORS},
    summary="Make a proposal the active model and rescore every open lead",
)
def apply(request: HttpRequest, model_id: Id) -> Any:
    user = _scorer(request)
    model = get_object_or_404(ScoringModel, pk=model_id)
    applied = scoring.apply_model(model, actor=user, now=timezone.now())
    return {
        "model": model_summary(applied.model, points=True),
        "rescored": applied.rescored,
        "tier_changes": applied.tier_changes,
        "run_rescored": applied.run_rescored,
        "run_tier_changes": applied.run_tier_changes,
        "finished_stopped_apply": applied.finished_stopped,
    }
