"""Reading scoring models and the closed history a model learns from."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any

import numpy as np
from django.db.models import (
    BooleanField,
    Case,
    Count,
    Exists,
    OuterRef,
    Q,
    QuerySet,
    Value,
    When,
)

from leadloop.leads import states
from leadloop.leads.choices import Action, EventKind, Stage
from leadloop.leads.models import Lead, LeadEvent
from leadloop.scoring import rules
from leadloop.scoring.choices import ModelEventKind, ModelStatus, Target
from leadloop.scoring.models import ModelEvent, ScoringModel
from leadloop.scoring.tuning import History, column_of

# What a model reads of a lead (besides its custom attributes).
FEATURE_COLUMNS = (
    "industry",
    "employees",
    "revenue_band",
    "country",
    "region",
    "title",
    "email",
    "phone",
    "attributes",
    "campaign__name",
    "campaign__channel",
)
# Closed leads with an outcome: a duplicate is no outcome of anything.
OUTCOME_STAGES = sorted(states.CLOSED_STAGES - {Stage.DUPLICATE})
SALES_OUTCOMES = (Stage.WON, Stage.LOST, Stage.DISQUALIFIED_BY_SALES)


def active_model() -> ScoringModel | None:
    return ScoringModel.objects.filter(status=ModelStatus.ACTIVE).first()


def unfinished(model: ScoringModel) -> bool:
    """An active model whose rescoring has not written its `applied` event: still
    running, or stopped (applying the model again finishes it)."""
    return (
        model.status == ModelStatus.ACTIVE
        and not ModelEvent.objects.filter(scoring_model=model, kind=ModelEventKind.APPLIED).exists()
    )


def unfinished_model() -> ScoringModel | None:
    """The active model if its rescoring is unfinished (one query): what the tick looks
    for every minute, so it costs nothing once every apply has finished."""
    applied = ModelEvent.objects.filter(scoring_model=OuterRef("pk"), kind=ModelEventKind.APPLIED)
    return ScoringModel.objects.filter(status=ModelStatus.ACTIVE).exclude(Exists(applied)).first()


def rescoring_totals(model: ScoringModel) -> tuple[int, int]:
    """(open leads on the model, its tier changes since it was activated): a rescoring
    that took more than one run counted whole, whatever the runs before the last did.

    The tier changes are the model's `score_changed` events from its activation on,
    in one query (the stopped runs' events carry their run's time, unknown here);
    a lead that acted meanwhile and changed tier under the model counts among them.
    The open leads on it include any that came in scored by it meanwhile."""
    open_leads = Lead.objects.filter(stage__in=sorted(states.OPEN_STAGES))
    on_model = open_leads.filter(scored__score_model=model.version).count()
    changes = LeadEvent.objects.filter(kind=EventKind.SCORE_CHANGED, data__model=model.version)
    if model.applied_at is not None:
        changes = changes.filter(at__gte=model.applied_at)
    return on_model, changes.count()


def rescoring_progress(model: ScoringModel) -> tuple[int, int] | None:
    """(open leads on the model, open leads) while its rescoring is unfinished, else None."""
    if not unfinished(model):
        return None
    # One pass over the open leads for both counts (the tick reads it too): 180-240 ms
    # against 390-540 ms for two counts, 150,199 open leads of 200,000 on PostgreSQL.
    counts = Lead.objects.filter(stage__in=sorted(states.OPEN_STAGES)).aggregate(
        on_model=Count("id", filter=Q(scored__score_model=model.version)), open_leads=Count("id")
    )
    return int(counts["on_model"]), int(counts["open_leads"])


def models() -> QuerySet[ScoringModel]:
    return ScoringModel.objects.select_related("created_by", "applied_by").order_by("-version")


def model_events(limit: int = 50) -> QuerySet[ModelEvent]:
    return ModelEvent.objects.select_related("actor", "scoring_model").order_by("-at", "-id")[
        :limit
    ]


def features_from_values(values: Sequence[Any]) -> dict[str, rules.Value]:
    """`lead_features` of a row read with FEATURE_COLUMNS (in that order)."""
    fields = dict(zip(FEATURE_COLUMNS, values, strict=True))
    fields["campaign"] = fields.pop("campaign__name")
    fields["channel"] = fields.pop("campaign__channel")
    return rules.lead_features(fields)


def outcome_filter(target: str) -> Q:
    """Which closed leads count as positive for a target."""
    if target == Target.REACHED:
        return ~Q(stage=Stage.UNREACHABLE)
    if target == Target.QUALIFIED:
        return Q(handed_off_at__isnull=False) | Q(stage__in=SALES_OUTCOMES)
    if target == Target.ACCEPTED:
        accepted = LeadEvent.objects.filter(lead=OuterRef("pk"), action=Action.ACCEPT)
        return Q(stage__in=(Stage.WON, Stage.LOST)) | Q(Exists(accepted))
    return Q(stage=Stage.WON)


def closed_leads(target: str, *, since: datetime | None, until: datetime | None) -> QuerySet[Lead]:
    leads = Lead.objects.filter(stage__in=OUTCOME_STAGES)
    if since is not None:
        leads = leads.filter(created_at__gte=since)
    if until is not None:
        leads = leads.filter(created_at__lt=until)
    return leads


def history(
    target: str, *, since: datetime | None = None, until: datetime | None = None
) -> History:
    """Closed leads as the tuning reads them: what was known on arrival, the outcome, when
    it arrived (imported history keeps the created time of its file)."""
    leads = closed_leads(target, since=since, until=until).annotate(
        positive=flag(outcome_filter(target))
    )
    # Column by column as the rows stream in: no dict per lead is kept.
    values: dict[str, list[rules.Value]] = {}
    outcomes: list[int] = []
    times: list[float] = []
    for i, row in enumerate(_rows(leads)):
        *features, created_at, positive = row
        for name, value in features_from_values(features).items():
            values.setdefault(name, [None] * i).append(value)
        for column in values.values():
            if len(column) == i:
                column.append(None)
        outcomes.append(int(bool(positive)))
        times.append(created_at.timestamp())
    columns = {name: column_of(column) for name, column in sorted(values.items())}
    return History(columns, np.asarray(outcomes, dtype=int), arrival_order(times))


def arrival_order(times: list[float]) -> np.ndarray:
    """Creation times (sorted, then by id) made strictly increasing: leads that share a
    time (a file imported without dates) keep their order a millisecond apart, so the
    holdout is still the latest-arrived, never a random part."""
    out = np.asarray(times, dtype=float)
    for i in range(1, len(out)):
        if out[i] <= out[i - 1]:
            out[i] = out[i - 1] + 0.001
    return out


def flag(condition: Q) -> Case:
    return Case(
        When(condition, then=Value(True)), default=Value(False), output_field=BooleanField()
    )


def _rows(leads: QuerySet[Lead]) -> Iterator[tuple[Any, ...]]:
    return (
        leads.order_by("created_at", "id")
        .values_list(*FEATURE_COLUMNS, "created_at", "positive")
        .iterator(chunk_size=5000)
    )


def points_table(spec: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Every attribute value's points in a spec, for `show` and the scoring page."""
    out: list[dict[str, Any]] = []
    for feature in spec.get("features", []):
        if feature["kind"] == "number":
            edges = feature["edges"]
            for i, points in enumerate(feature["bins"]):
                out.append(
                    {
                        "label": feature["label"],
                        "value": rules.number_label(edges, i),
                        "points": points,
                    }
                )
        else:
            for value, points in feature["points"].items():
                out.append({"label": feature["label"], "value": value, "points": points})
            out.append(
                {"label": feature["label"], "value": rules.OTHER, "points": feature["other"]}
            )
        out.append(
            {"label": feature["label"], "value": rules.MISSING, "points": feature["missing"]}
        )
    return out


def explanation(lead: Lead) -> dict[str, Any]:
    """What the lead page says of a score: the three lines that raised it most, the three
    that lowered it most, and when the model that scored it was applied."""
    raised, lowered = rules.top_factors(lead.score_breakdown or [])
    model = (
        ScoringModel.objects.filter(version=lead.score_model).only("applied_at", "version").first()
        if lead.score_model is not None
        else None
    )
    return {
        "raised": raised,
        "lowered": lowered,
        "model": model,
        "percent": None if lead.score_probability is None else round(lead.score_probability * 100),
        "tier": lead.tier,
        "scored_at": lead.scored_at,
    }
