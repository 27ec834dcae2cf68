"""A stopped apply finished by the tick, by nobody, its `applied` event counting the
whole rescoring; on both databases (inside the tests' transaction: one transaction)."""

from __future__ import annotations

import json
from datetime import timedelta
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.db import transaction
from django.test import Client

from leadloop.leads.choices import EventKind
from leadloop.leads.models import Lead, LeadEvent
from leadloop.lifecycle import rescoring, scoring
from leadloop.scoring import selectors
from leadloop.scoring.choices import ModelEventKind, ModelStatus
from leadloop.scoring.models import ModelEvent, ScoringModel
from leadloop.scoring.tests.test_rescoring_sql import SPEC, _model, _varied_leads
from leadloop.testing import NOW, World

LATER = NOW + timedelta(minutes=7)


def _stopped_apply(world: World, monkeypatch: Any) -> tuple[list[Lead], ScoringModel]:
    """v1 applied, then v2's apply stopped after its first chunk of 3 leads: what a
    worker killed mid-rescoring leaves (v2 active, no `applied` event)."""
    monkeypatch.setattr(rescoring, "CHUNK", 3)
    leads = _varied_leads(world)
    scoring.apply_model(_model(1, SPEC), actor=None, now=NOW - timedelta(days=1))
    second = _model(2, {**SPEC, "base": 75})
    ranges = rescoring._ranges
    monkeypatch.setattr(rescoring, "_ranges", lambda version: ranges(version)[:1])
    with transaction.atomic():
        scoring._activate(second.pk, actor=world.marketing, now=NOW)
        rescoring.rescore_open(second, actor=world.marketing, now=NOW)
    monkeypatch.setattr(rescoring, "_ranges", ranges)
    second.refresh_from_db()
    assert selectors.unfinished(second) and selectors.unfinished_model() == second
    assert selectors.rescoring_progress(second) == (3, len(leads))
    return leads, second


def tick(*args: str) -> dict[str, Any]:
    out = StringIO()
    call_command("tick", *args, "--json", stdout=out)
    return json.loads(out.getvalue())  # type: ignore[no-any-return]


def _changes(version: int) -> Any:
    return LeadEvent.objects.filter(kind=EventKind.SCORE_CHANGED, data__model=version)


def test_the_tick_finishes_a_stopped_apply_by_nobody_counting_the_whole_rescoring(
    world: World, monkeypatch: Any
) -> None:
    leads, second = _stopped_apply(world, monkeypatch)
    stopped_changes = _changes(2).count()
    assert stopped_changes > 0

    result = tick("--now", LATER.isoformat())
    assert result["scoring_finishing"] == 2 and result["scoring_remaining"] == len(leads) - 3
    assert not selectors.unfinished(second) and selectors.unfinished_model() is None
    assert Lead.objects.filter(pk__in=[x.pk for x in leads], scored__score_model=2).count() == len(
        leads
    )
    event = ModelEvent.objects.get(scoring_model=second, kind=ModelEventKind.APPLIED)
    run_changes = _changes(2).filter(at=LATER).count()
    assert run_changes > 0 and _changes(2).count() == stopped_changes + run_changes
    assert event.actor is None and event.at == LATER
    assert event.data == {
        "rescored": len(leads),
        "tier_changes": stopped_changes + run_changes,
        "replaced": 1,
        "run": {"rescored": len(leads) - 3, "tier_changes": run_changes},
        "finished_stopped_apply_of": NOW.isoformat(),
        "by": "tick",
    }
    # The run's tier changes are nobody's too.
    assert not _changes(2).filter(at=LATER, actor__isnull=False).exists()

    # The scoring page's history says who finished it and counts the whole rescoring.
    client = Client()
    client.force_login(world.marketing)
    page = client.get("/scoring/").content.decode()
    assert "Rescoring:" not in page
    assert (
        f"v2 applied, finished by the tick · {len(leads)} open leads rescored, "
        f"{stopped_changes + run_changes} changed tier (after a stopped apply: "
        f"{len(leads) - 3} rescored, {run_changes} changed tier by the run that finished it)"
    ) in page

    # Nothing left: the next tick finds nothing, and says so in its summary.
    again = tick("--now", (LATER + timedelta(minutes=1)).isoformat())
    assert again["scoring_finishing"] is None and again["scoring_remaining"] == 0
    assert ModelEvent.objects.filter(kind=ModelEventKind.APPLIED, scoring_model=second).count() == 1


def test_the_tick_summary_says_which_apply_it_finishes(world: World, monkeypatch: Any) -> None:
    leads, _ = _stopped_apply(world, monkeypatch)
    out = StringIO()
    call_command("tick", "--now", LATER.isoformat(), stdout=out)
    assert (
        f"Scoring: model v2's apply had stopped; finishing it ({len(leads) - 3} of "
        f"{len(leads)} open leads left to rescore)."
    ) in out.getvalue()


def test_the_worker_finishes_nothing_but_a_stopped_apply(world: World, monkeypatch: Any) -> None:
    _, second = _stopped_apply(world, monkeypatch)
    proposal = _model(3, SPEC)
    # A proposal's id (never handed over by the tick) is not applied by the worker.
    assert scoring.finish_stopped_apply(proposal.pk, now=LATER) is None
    assert ScoringModel.objects.get(pk=proposal.pk).status == ModelStatus.PROPOSAL
    assert scoring.finish_stopped_apply(proposal.pk + 1000, now=LATER) is None
    assert selectors.unfinished(second)
    applied = scoring.finish_stopped_apply(second.pk, now=LATER)
    assert applied is not None and applied.finished_stopped
    # Finished already (the tick queued it twice): the second does nothing.
    assert scoring.finish_stopped_apply(second.pk, now=LATER) is None
    assert ModelEvent.objects.filter(kind=ModelEventKind.APPLIED, scoring_model=second).count() == 1


@pytest.mark.parametrize("door", ["api", "page", "cli"])
def test_finishing_by_hand_reports_the_whole_rescoring_and_this_run(
    world: World, monkeypatch: Any, door: str
) -> None:
    leads, second = _stopped_apply(world, monkeypatch)
    stopped_changes = _changes(2).count()
    if door == "api":
        response = Client().post(
            f"/api/v1/scoring/models/{second.pk}/apply", **world.auth(world.marketing)
        )
        assert response.status_code == 200, response.content
        body = response.json()
        run_changes = _changes(2).exclude(at=NOW).count()
        assert (body["rescored"], body["tier_changes"]) == (
            len(leads),
            stopped_changes + run_changes,
        )
        assert (body["run_rescored"], body["run_tier_changes"]) == (len(leads) - 3, run_changes)
        assert body["finished_stopped_apply"] is True
    elif door == "page":
        client = Client()
        client.force_login(world.marketing)
        page = client.post(f"/scoring/models/{second.pk}/apply", follow=True).content.decode()
        run_changes = _changes(2).exclude(at=NOW).count()
        assert (
            f"Model v2&#x27;s rescoring is finished: {len(leads)} open leads on it, "
            f"{len(leads) - 3} of them rescored now; {stopped_changes + run_changes} changed tier."
        ) in page
        # A person finished it: named, not the tick.
        assert "v2 applied by marketing" in page.lower() and "finished by the tick" not in page
    else:
        out = StringIO()
        call_command("scoring", "apply", str(second.pk), stdout=out)
        run_changes = _changes(2).exclude(at=NOW).count()
        assert (
            f"its stopped rescoring is finished, {len(leads)} open leads on it "
            f"({len(leads) - 3} rescored now), {stopped_changes + run_changes} changed tier."
        ) in out.getvalue()
    event = ModelEvent.objects.get(scoring_model=second, kind=ModelEventKind.APPLIED)
    assert event.data["rescored"] == len(leads) and "by" not in event.data
    assert event.data["run"] == {"rescored": len(leads) - 3, "tier_changes": run_changes}
