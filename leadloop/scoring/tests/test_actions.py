"""Tuning, applying and rescoring through the actions layer, on a database."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from leadloop.leads.choices import EventKind
from leadloop.leads.models import Lead, LeadEvent
from leadloop.lifecycle import scoring
from leadloop.lifecycle.activities import log_activity
from leadloop.scoring.choices import ModelEventKind, ModelStatus
from leadloop.scoring.models import ModelEvent
from leadloop.scoring.tests.history import write_history
from leadloop.testing import NOW, World, make_lead


def test_too_few_closed_leads_says_how_many_are_needed_and_there_are(world: World) -> None:
    write_history(world.a, n=40)
    with pytest.raises(ValidationError) as caught:
        scoring.propose(target="won", actor=world.marketing, now=NOW)
    message = "; ".join(caught.value.messages)
    assert "at least 100 closed leads" in message
    assert "there are 40" in message


def test_a_target_with_one_outcome_only_is_refused(world: World) -> None:
    write_history(world.a, n=150)
    with pytest.raises(ValidationError) as caught:
        scoring.propose(target="reached", actor=world.marketing, now=NOW)
    assert "0 not" in "; ".join(caught.value.messages)


def test_proposal_is_kept_with_its_backtest_and_applying_rescores_open_leads(world: World) -> None:
    write_history(world.a, n=600)
    open_leads = [make_lead(world.a, industry="Manufacturing", employees=200) for _ in range(3)]
    assert all(lead.tier == "" for lead in open_leads)
    proposal = scoring.propose(target="won", actor=world.marketing, now=NOW)
    assert proposal.status == ModelStatus.PROPOSAL
    bt = proposal.backtest
    assert bt["holdout"]["count"] > 0 and bt["history"]["count"] == 600
    assert set(bt["baselines"]) == {"naive_bayes", "logistic", "gradient_boosting"}
    assert bt["current"] is None
    assert bt["proposal"]["auc"] is not None
    assert ModelEvent.objects.filter(scoring_model=proposal, kind=ModelEventKind.PROPOSED).exists()

    applied = scoring.apply_model(proposal, actor=world.a.tele_manager, now=NOW)
    assert applied.rescored == 3
    for lead in Lead.objects.filter(pk__in=[x.pk for x in open_leads]):
        assert lead.score_model == proposal.version
        assert sum(line["points"] for line in lead.score_breakdown) == lead.score
        assert lead.tier in "ABCD" and 0 < lead.score_probability < 1
    changed = LeadEvent.objects.filter(kind=EventKind.SCORE_CHANGED)
    assert changed.count() == applied.tier_changes == 3
    event = ModelEvent.objects.get(scoring_model=proposal, kind=ModelEventKind.APPLIED)
    assert event.data["rescored"] == 3 and event.actor == world.a.tele_manager

    with pytest.raises(scoring.ModelNotApplicable, match="applied already"):
        scoring.apply_model(proposal, actor=world.marketing, now=NOW)


def test_an_older_proposal_is_refused_once_a_newer_one_is_active(world: World) -> None:
    write_history(world.a, n=300)
    older = scoring.propose(target="won", actor=world.marketing, now=NOW)
    newer = scoring.propose(target="won", actor=world.marketing, now=NOW)
    assert newer.backtest["current"] is None
    scoring.apply_model(newer, actor=world.marketing, now=NOW)
    with pytest.raises(scoring.ModelNotApplicable, match="older than the active"):
        scoring.apply_model(older, actor=world.marketing, now=NOW)
    third = scoring.propose(target="won", actor=world.marketing, now=NOW)
    # The active model is what the next proposal is backtested against.
    assert third.backtest["current"]["auc"] is not None
    scoring.apply_model(third, actor=world.marketing, now=NOW)
    newer.refresh_from_db()
    assert newer.status == ModelStatus.RETIRED


def test_applying_rescores_in_a_fixed_number_of_statements(world: World) -> None:
    write_history(world.a, n=300)
    proposal = scoring.propose(target="won", actor=world.marketing, now=NOW)
    for _ in range(4):
        make_lead(world.a)
    with CaptureQueriesContext(connection) as few:
        scoring.apply_model(proposal, actor=world.marketing, now=NOW)
    second = scoring.propose(target="won", actor=world.marketing, now=NOW)
    for _ in range(16):
        make_lead(world.b)
    with CaptureQueriesContext(connection) as many:
        scoring.apply_model(second, actor=world.marketing, now=NOW)
    assert Lead.objects.filter(scored__score_model=second.version).count() == 20
    assert len(many.captured_queries) <= len(few.captured_queries) + 2


def test_intake_scores_with_the_active_model_and_activities_rescore_engagement(
    world: World,
) -> None:
    write_history(world.a, n=300)
    scoring.apply_model(
        scoring.propose(target="won", actor=world.marketing, now=NOW),
        actor=world.marketing,
        now=NOW,
    )
    lead = make_lead(world.a, industry="Manufacturing", employees=150)
    assert lead.scored_at == NOW and lead.tier in "ABCD"
    assert sum(line["points"] for line in lead.score_breakdown) == lead.score
    assert any(line["factor"] == "Industry: Manufacturing" for line in lead.score_breakdown)
    later = NOW + timedelta(minutes=5)
    log_activity(lead=lead, actor=lead.owner, kind="call", outcome="connected", now=later)
    lead.refresh_from_db()
    assert lead.scored_at == later
    lines = {line["factor"]: line["points"] for line in lead.score_breakdown}
    assert lines["1 connected call or reply"] > 0
    assert sum(lines.values()) == lead.score
