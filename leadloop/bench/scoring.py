"""Lead scoring at scale: tuning on a wide synthetic history, rescoring open leads, intake.

Tuning runs on N synthetic closed leads (`scoring.synthetic`, widened to 30
attributes) in its own process, so its peak memory is its own; beside it, in
the same process and on the same leads, one plain one-hot logistic regression
(`tuning.plain_logistic`), the least a learner does.

Rescoring adds open leads in SQL until N are open (the target speaks of
1,000,000 open leads; the seed has open leads of its own), copied round-robin
from the seeded ones (so their industries, titles, countries and campaigns vary
as the seed's do), and applies a model to every open lead
(`lifecycle.scoring.apply_model`, as `leadloop scoring apply ID` does), beside
the plainest upsert of the same leads' score rows. Intake is timed with
an active model and without, alternating.
The apply runs committed, as in production; what this part added is deleted
afterwards and the seeded leads' scores given back: the later parts see the seed.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import numpy as np
from django.core.exceptions import ImproperlyConfigured
from django.db import connection, transaction
from django.utils import timezone

from leadloop.bench.copies import copy_leads
from leadloop.bench.measures import latency_summary, peak_rss_mb
from leadloop.campaigns.models import Campaign
from leadloop.leads import states
from leadloop.leads.models import Lead, LeadEvent, LeadScore
from leadloop.lifecycle import rescoring
from leadloop.lifecycle import scoring as scoring_actions
from leadloop.lifecycle.intake import create_lead
from leadloop.lifecycle.scoring import SCORE_COLUMNS
from leadloop.scoring import tuning
from leadloop.scoring.choices import ModelStatus
from leadloop.scoring.models import ModelEvent, ScoringModel
from leadloop.scoring.synthetic import drifting_history
from leadloop.webhooks.models import Delivery, DeliveryAttempt

ATTRIBUTES = 30
INTAKES = 200
MODEL_HISTORY = 500
WARMUP = 10


class _Rollback(Exception):
    pass


def wide_history(n: int, *, attributes: int = ATTRIBUTES, seed: int = 1) -> tuning.History:
    """The drifting history with more custom attributes, up to `attributes` in all: most
    are noise (as most of a CRM's fields are), every fifth leans a little to the outcome."""
    history = drifting_history(n, seed)
    rng = np.random.default_rng(seed + 1)
    extra = max(0, attributes - len(history.columns))
    outcomes = history.outcomes
    for j in range(extra):
        levels = 3 + j % 6
        values = rng.integers(0, levels, n)
        if j % 5 == 0:
            lean = rng.random(n) < 0.25
            values = np.where(lean & (outcomes == 1), 0, values)
        missing = rng.random(n) < 0.1
        codes = np.where(missing, -1, values).astype(np.int32)
        history.columns[f"attributes.field_{j:02d}"] = tuning.Column(
            "category", codes, [f"v{v}" for v in range(levels)]
        )
    return history


def measure_tuning(*, leads: int, attributes: int = ATTRIBUTES) -> dict[str, Any]:
    """Tune a proposal on `leads` synthetic closed leads; the plain fit beside it."""
    started = time.perf_counter()
    history = wide_history(leads, attributes=attributes)
    made = time.perf_counter() - started
    rss_history = peak_rss_mb()
    started, cpu = time.perf_counter(), time.process_time()
    tuned = tuning.tune(history, target="won", current=None)
    seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu
    rss_tuning = peak_rss_mb()
    holdout = history.take(np.arange(len(history) * 9 // 10, len(history)))
    started, cpu = time.perf_counter(), time.process_time()
    tuning.plain_logistic(history, holdout)
    baseline, baseline_cpu = time.perf_counter() - started, time.process_time() - cpu
    return {
        "leads": len(history),
        "attributes": len(history.columns),
        "features_in_spec": len(tuned["spec"]["features"]),
        "history_seconds": round(made, 2),
        "seconds": round(seconds, 3),
        "baseline_seconds": round(baseline, 3),
        # CPU seconds beside the wall clock: on a shared machine the wall clock also
        # counts the time other processes held the cores.
        "cpu_seconds": round(cpu_seconds, 3),
        "baseline_cpu_seconds": round(baseline_cpu, 3),
        "history_rss_mb": round(rss_history, 1),
        "peak_rss_mb": round(rss_tuning, 1),
        "auc": tuned["backtest"]["proposal"]["auc"],
    }


def measure_rescoring(*, open_leads: int) -> dict[str, Any]:
    """Rescore `open_leads` open leads (the seed's and as many added) against a raw
    upsert of their score rows; intake with and without a model.

    The apply runs committed, as `leadloop scoring apply ID` runs it (in
    committed chunks on two connections on PostgreSQL); the raw upsert and the
    intakes are rolled back. Afterwards everything the part added is deleted
    and the seeded leads get their scores back: the later parts see the seed."""
    now = timezone.now()
    started = time.perf_counter()
    mark = _mark()
    with transaction.atomic():
        model = _model(now)
        seeded = Lead.objects.filter(stage__in=sorted(states.OPEN_STAGES)).count()
        added = _add_open_leads(max(open_leads - seeded, 0), now)
        _keep_scores(mark["lead"])
    setup = time.perf_counter() - started
    try:
        in_scope = Lead.objects.filter(stage__in=sorted(states.OPEN_STAGES)).count()
        baseline = _rolled_back(lambda: _raw_update(model.version, now))
        # A tiny run times a few intakes: its figures are indicative only.
        intake = _rolled_back(
            lambda: _intake_cost(model, count=min(INTAKES, max(20, open_leads // 100)))
        )[1]
        # The whole apply as `leadloop scoring apply ID` runs it: the model made
        # active, every open lead rescored, its tier-change events, the model event.
        started = time.perf_counter()
        applied = scoring_actions.apply_model(model.pk, actor=None, now=now)
        seconds = time.perf_counter() - started
    finally:
        _undo(mark, model)
    return {
        "open_leads": in_scope,
        "added": added,
        "setup_seconds": round(setup, 1),
        "rescored": applied.rescored,
        "baseline_rows": baseline[1],
        "seconds": round(seconds, 3),
        "baseline_seconds": round(baseline[0], 3),
        # The baseline is one statement on one connection; the apply commits a
        # transaction per chunk, on two connections on PostgreSQL.
        "baseline": "one upsert of the score rows, each with the lines it has",
        "apply": (
            f"{rescoring.WORKERS} connections, a transaction per chunk of {rescoring.CHUNK:,}"
            if connection.vendor == "postgresql"
            else f"one transaction, chunks of {rescoring.CHUNK:,}"
        ),
        "features_in_spec": len(model.spec["features"]),
        "intake": intake,
        "peak_rss_mb": round(peak_rss_mb(), 1),
    }


SCORES = "leadloop_bench_scores"


def _mark() -> dict[str, Any]:
    """The last row of each table the part writes to, and the active model, before it."""
    mark: dict[str, Any] = {}
    for name, table in (
        ("lead", Lead),
        ("event", LeadEvent),
        ("delivery", Delivery),
        ("attempt", DeliveryAttempt),
        ("model_event", ModelEvent),
    ):
        mark[name] = table.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    active = ScoringModel.objects.filter(status=ModelStatus.ACTIVE).first()
    mark["active"] = (active.pk, active.retired_at) if active is not None else None
    return mark


def _keep_scores(last_lead: int) -> None:
    """The seeded leads' score rows, to give them back after the apply."""
    t_score = LeadScore._meta.db_table
    with connection.cursor() as cur:
        cur.execute(f"DROP TABLE IF EXISTS {SCORES}")
        cur.execute(
            f"CREATE TABLE {SCORES} AS SELECT * FROM {t_score} WHERE lead_id <= %s",  # noqa: S608
            [last_lead],
        )


def _undo(mark: Mapping[str, Any], model: ScoringModel) -> None:
    """Delete what the part added (past the mark) and give the seeded leads their scores."""
    with _lead_references_indexed(), transaction.atomic():
        DeliveryAttempt.objects.filter(pk__gt=mark["attempt"]).delete()
        Delivery.objects.filter(pk__gt=mark["delivery"])._raw_delete(Delivery.objects.db)
        LeadEvent.objects.filter(pk__gt=mark["event"])._raw_delete(LeadEvent.objects.db)
        # Every lead's score (the seeded ones' given back below).
        LeadScore.objects.all()._raw_delete(LeadScore.objects.db)
        Lead.objects.filter(pk__gt=mark["lead"])._raw_delete(Lead.objects.db)
        with connection.cursor() as cur:
            cur.execute(f"INSERT INTO {LeadScore._meta.db_table} SELECT * FROM {SCORES}")  # noqa: S608
            cur.execute(f"DROP TABLE {SCORES}")
        ModelEvent.objects.filter(pk__gt=mark["model_event"]).delete()
        ScoringModel.objects.filter(pk=model.pk).delete()
        if mark["active"] is not None:
            pk, retired_at = mark["active"]
            ScoringModel.objects.filter(pk=pk).update(
                status=ModelStatus.ACTIVE, retired_at=retired_at
            )
    with connection.cursor() as cur:
        cur.execute("ANALYZE")


@contextmanager
def _lead_references_indexed() -> Iterator[None]:
    """Temporary indexes on the columns referencing a lead that have none of their own.

    leadloop never deletes a lead, so two references go without an index to
    save every write one (an import's rows, a webhook message). Deleting the
    added leads makes the database check each reference to each deleted lead:
    without an index that is a scan of the referencing table per lead, and the
    100,000-lead bench waited over ten minutes on its COMMIT. Dropped after.
    """
    made: list[str] = []
    with connection.cursor() as cur:
        for rel in Lead._meta.related_objects:
            model = rel.related_model
            if not getattr(rel.field, "concrete", False) or isinstance(model, str):
                continue
            table, column = model._meta.db_table, str(rel.field.column)
            found = connection.introspection.get_constraints(cur, table).values()
            if any(c["index"] and c["columns"][:1] == [column] for c in found):
                continue
            name = f"bench_tmp_{table}_{column}"[:60]
            cur.execute(f"CREATE INDEX {name} ON {table} ({column})")
            made.append(name)
    try:
        yield
    finally:
        with connection.cursor() as cur:
            for name in made:
                cur.execute(f"DROP INDEX IF EXISTS {name}")


def _model(now: Any) -> ScoringModel:
    """A proposal tuned on a small synthetic history (its features are lead columns)."""
    history = drifting_history(MODEL_HISTORY, seed=7)
    spec = tuning.tune(history, target="won", current=None)["spec"]
    top = ScoringModel.objects.order_by("-version").values_list("version", flat=True).first()
    return ScoringModel.objects.create(
        version=(top or 0) + 1,
        target="won",
        status=ModelStatus.PROPOSAL,
        spec=spec,
        created_at=now,
    )


def _add_open_leads(count: int, now: Any) -> int:
    """`count` working leads copied from the seeded leads in turn, in one INSERT; their
    mail domains, dials and connects vary so the model's engagement points differ.

    Each open lead then has a score row, as every lead that came in under an earlier
    model has: applying a model over another rewrites those rows (the heavier case
    than writing new ones, which a first apply does)."""
    first = copy_leads(
        count=count,
        label="rescore",
        columns={
            "email": (
                "CASE WHEN g.n %% 4 = 0 THEN 'r' || g.n || '@gmail.com' "
                "ELSE 'r' || g.n || '@co' || (g.n %% 97) || '.example' END"
            ),
            "email_key": "'r' || g.n || '@rescore.example'",
            "dials": "g.n %% 7",
            "connects": "g.n %% 3",
            "last_activity_at": "CASE WHEN g.n %% 5 = 0 THEN NULL ELSE %(last)s END",
        },
        params={"last": now - timedelta(days=9)},
    )
    t_lead, t_score = Lead._meta.db_table, LeadScore._meta.db_table
    template = LeadScore.objects.exclude(lines="[]").order_by("lead_id").first()
    if template is None:
        # No lead of the seed was scored: ten lines of a plausible breakdown.
        lines = [{"factor": "Starting points", "points": 30, "part": "base"}]
        lines += [
            {"factor": f"Feature {i}: value {i}", "points": i - 4, "part": "fit"} for i in range(10)
        ]
        template = LeadScore(score=25, score_probability=0.2, tier="C", lines=json.dumps(lines))
    with connection.cursor() as cur:
        cur.execute(
            f"INSERT INTO {t_score} (lead_id, score, score_probability, tier, scored_at, "  # noqa: S608
            f"score_model, lines) SELECT id, %s, %s, %s, %s, NULL, %s FROM {t_lead} "
            "WHERE id >= %s",
            [
                template.score,
                template.score_probability,
                template.tier,
                now - timedelta(days=30),
                template.lines,
                first,
            ],
        )
        cur.execute("ANALYZE")
    return count


def _raw_update(version: int, now: Any) -> int:
    """The plainest write of the same rows: one upsert of the open leads' score rows,
    each with the lines it has (as wide as the apply's)."""
    t_lead, t_score = Lead._meta.db_table, LeadScore._meta.db_table
    stages = sorted(states.OPEN_STAGES)
    within = f"stage IN ({', '.join(['%s'] * len(stages))})"
    columns = ", ".join(SCORE_COLUMNS)
    updates = ", ".join(f"{c} = excluded.{c}" for c in (*SCORE_COLUMNS, "lines"))
    with connection.cursor() as cur:
        cur.execute(
            f"INSERT INTO {t_score} (lead_id, {columns}, lines) "  # noqa: S608
            f"SELECT l.id, 50, 0.5, 'B', %s, %s, COALESCE(s.lines, '[]') FROM {t_lead} l "
            f"LEFT JOIN {t_score} s ON s.lead_id = l.id WHERE l.{within} "
            f"ON CONFLICT (lead_id) DO UPDATE SET {updates}",
            [now, version, *stages],
        )
        return int(cur.rowcount)


def _rolled_back(fn: Any) -> tuple[float, Any]:
    out: list[Any] = []
    started = time.perf_counter()
    try:
        with transaction.atomic():
            out.append(fn())
            elapsed = time.perf_counter() - started
            raise _Rollback
    except _Rollback:
        pass
    return elapsed, out[0]


def _intake_cost(model: ScoringModel, *, count: int) -> dict[str, Any]:
    """API intake's action (`create_lead`) with the model active and without, alternating."""
    campaign = Campaign.objects.order_by("pk").first()
    if campaign is None:
        raise ImproperlyConfigured("the scoring bench needs a campaign")
    on: list[float] = []
    off: list[float] = []
    for i in range(2 * (count + WARMUP)):
        active = i % 2 == 0
        ScoringModel.objects.filter(pk=model.pk).update(
            status=ModelStatus.ACTIVE if active else ModelStatus.PROPOSAL
        )
        data = {
            "first_name": "Intake",
            "last_name": f"Bench{i}",
            "company": f"Bench {i}",
            "email": f"intake{i}@bench{i}.example",
            "country": "DE",
            "industry": "Manufacturing",
            "title": "Head of operations",
        }
        started = time.perf_counter()
        create_lead(data=data, campaign=campaign, actor=None, now=timezone.now())
        took = time.perf_counter() - started
        if i >= 2 * WARMUP:
            (on if active else off).append(took)
    ScoringModel.objects.filter(pk=model.pk).update(status=ModelStatus.PROPOSAL)
    with_model, without = latency_summary(on), latency_summary(off)
    return {
        "with_model": with_model,
        "without_model": without,
        "added_p50_ms": round(with_model["p50_ms"] - without["p50_ms"], 3),
    }
