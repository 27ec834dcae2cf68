"""Rescoring in SQL gives every lead what `rules.score_lead` gives it, on both databases."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from leadloop.leads.choices import EventKind, Stage
from leadloop.leads.models import Lead, LeadEvent, LeadScore
from leadloop.lifecycle import rescoring, scoring
from leadloop.scoring import selectors
from leadloop.scoring.choices import ModelStatus
from leadloop.scoring.models import ScoringModel
from leadloop.testing import NOW, World, make_lead
from leadloop.webhooks.models import Delivery
from leadloop.webhooks.services import create_endpoint

SPEC: dict[str, Any] = {
    "base": 40,
    "features": [
        {
            "name": "industry",
            "label": "Industry",
            "kind": "category",
            "points": {"Manufacturing": 12, "Retail": -7, "O'Brien & 100% Co": 3},
            "other": -1,
            "missing": -3,
        },
        {
            "name": "employees",
            "label": "Employees",
            "kind": "number",
            "edges": [10.0, 50.0, 250.5],
            "bins": [-6, 2, 9, 4],
            "missing": -2,
        },
        {
            "name": "title",
            "label": "Title",
            "kind": "category",
            "points": {"vp sales": 8, "straße chef": 5},
            "other": 0,
            "missing": -4,
        },
        {
            "name": "email_kind",
            "label": "Email",
            "kind": "category",
            "points": {"personal address": -5, "company address": 3},
            "other": 0,
            "missing": -9,
        },
        {
            "name": "phone_given",
            "label": "Phone",
            "kind": "category",
            "points": {"given": 4},
            "other": 0,
            "missing": -2,
        },
        {
            "name": "channel",
            "label": "Channel",
            "kind": "category",
            "points": {"Web form": 5},
            "other": -2,
            "missing": 0,
        },
        {
            "name": "campaign",
            "label": "Campaign",
            "kind": "category",
            "points": {},
            "other": 1,
            "missing": 0,
        },
        {
            "name": "attributes.budget_known",
            "label": "Budget known",
            "kind": "category",
            "points": {"yes": 10, "no": -4, "maybe": 1},
            "other": 2,
            "missing": 0,
        },
        {
            "name": "attributes.seats",
            "label": "Seats",
            "kind": "number",
            "edges": [5.0],
            "bins": [-3, 6],
            "missing": 0,
        },
        {
            "name": "attributes.never_seen",
            "label": "Never seen",
            "kind": "category",
            "points": {"x": 3},
            "other": 0,
            "missing": -1,
        },
    ],
    "engagement": {"half_life_days": 30},
    "calibration": {"a": -3.1, "b": 0.061},
    "tiers": [70, 45, 20],
}


def _model(version: int, spec: dict[str, Any]) -> ScoringModel:
    return ScoringModel.objects.create(
        version=version, target="won", status=ModelStatus.PROPOSAL, spec=spec, created_at=NOW
    )


def _varied_leads(world: World) -> list[Lead]:
    cases: list[dict[str, Any]] = [
        {"industry": "Manufacturing", "employees": 9, "title": "VP Sales", "phone": "+49 30 1"},
        {"industry": "Retail", "employees": 10, "title": "  vp sales  ", "email": "a@GMAIL.com"},
        {"industry": "O'Brien & 100% Co", "employees": 250, "email": "x@y@Gmail.Com "},
        {"industry": "", "employees": None, "title": "STRASSE chef", "email": ""},
        {"industry": "Unheard of", "employees": 251, "title": "Straße Chef", "phone": "  "},
        {"industry": "  Retail ", "employees": 1000000, "email": "no-at-sign"},
    ]
    attributes: list[dict[str, Any]] = [
        {"budget_known": True, "seats": 5},
        {"budget_known": False, "seats": 4.5},
        {"budget_known": "maybe", "seats": None},
        {"budget_known": 3},
        {},
        {"budget_known": "perhaps", "seats": "many"},
    ]
    leads = []
    for i, (fields, attrs) in enumerate(zip(cases, attributes, strict=True)):
        side = world.a if i % 2 == 0 else world.b
        lead = make_lead(side)
        Lead.objects.filter(pk=lead.pk).update(**fields, attributes=attrs)
        leads.append(lead)
    engagement = [
        # dials, connects, last activity (days before NOW), re-submissions
        (0, 0, None, 0),
        (5, 0, 60, 0),  # 5 x -2 x 0.25 = -2.5: Python rounds half to even (-2)
        (3, 2, 12.345678, 1),
        (9, 1, -2, 3),  # an activity "after" now fades nothing
        (1, 1, 0.5, 0),
        (0, 0, None, 2),
    ]
    for lead, (dials, connects, days, resubmissions) in zip(leads, engagement, strict=True):
        last = None if days is None else NOW - timedelta(days=days)
        Lead.objects.filter(pk=lead.pk).update(
            dials=dials, connects=connects, last_activity_at=last
        )
        for k in range(resubmissions):
            LeadEvent.objects.create(
                lead=lead, kind=EventKind.SUBMITTED_AGAIN, at=NOW - timedelta(days=20 + k)
            )
    # High and low enough that the score is held within 0-100.
    top = make_lead(world.a, industry="Manufacturing", employees=100, title="vp sales")
    Lead.objects.filter(pk=top.pk).update(connects=2, attributes={"budget_known": True})
    leads.append(top)
    return leads


def _python_scores(model: ScoringModel, lead: Lead) -> dict[str, Any]:
    lead.refresh_from_db()
    values = Lead.objects.filter(pk=lead.pk).values_list(*selectors.FEATURE_COLUMNS).get()
    features = selectors.features_from_values(values)
    values, lines = scoring.score_values(model, features, scoring.engagement_of(lead), NOW)
    return {**values, "score_breakdown": lines}


def test_sql_rescoring_equals_the_python_scoring_of_every_lead(world: World) -> None:
    leads = _varied_leads(world)
    closed = make_lead(world.a, industry="Retail")
    Lead.objects.filter(pk=closed.pk).update(stage=Stage.WON)
    LeadScore.objects.create(lead=closed, score=7, tier="D")
    big = {**SPEC, "base": 95}
    for version, spec in ((1, SPEC), (2, big), (3, {**SPEC, "base": -60})):
        model = _model(version, spec)
        rescored, _ = rescoring.rescore_open(model, actor=world.marketing, now=NOW)
        assert rescored == len(leads)
        for lead in leads:
            expected = _python_scores(model, lead)
            assert lead.score == expected["score"], lead.score_breakdown
            assert lead.score_breakdown == expected["score_breakdown"]
            assert lead.score_probability == expected["score_probability"]
            assert lead.tier == expected["tier"]
            assert lead.score_model == version and lead.scored_at == NOW
    caps = {
        line["factor"]
        for lead in Lead.objects.filter(pk__in=[x.pk for x in leads])
        for line in lead.score_breakdown
    }
    assert "Held within 0-100" in caps
    tie = Lead.objects.get(pk=leads[1].pk).score_breakdown
    assert {"factor": "5 unanswered dials", "points": -2, "part": "engagement"} in tie
    closed.refresh_from_db()
    assert (closed.score, closed.tier, closed.score_model) == (7, "D", None)


def test_sql_rescoring_writes_an_event_per_tier_change_in_chunks(
    world: World, monkeypatch: Any
) -> None:
    monkeypatch.setattr(rescoring, "CHUNK", 3)
    leads = _varied_leads(world)
    seen: list[int] = []
    model = _model(1, SPEC)
    rescored, changes = rescoring.rescore_open(
        model, actor=world.marketing, now=NOW, progress=seen.append
    )
    assert rescored == len(leads) and seen[-1] == len(leads) and len(seen) == 3
    events = LeadEvent.objects.filter(kind=EventKind.SCORE_CHANGED)
    assert changes == events.count() == len(leads)  # every tier was "" before
    for event in events:
        lead = Lead.objects.get(pk=event.lead_id)
        assert event.data == {
            "score": lead.score,
            "from_score": 0,
            "tier": lead.tier,
            "from_tier": "",
            "model": 1,
        }
        assert event.actor == world.marketing and event.at == NOW
    # The same model again moves no tier: no event.
    again = _model(2, SPEC)
    assert rescoring.rescore_open(again, actor=None, now=NOW) == (len(leads), 0)


def test_one_statement_cuts_the_chunks_of_the_leads_not_yet_on_the_model(
    world: World, monkeypatch: Any
) -> None:
    monkeypatch.setattr(rescoring, "CHUNK", 2)
    leads = _varied_leads(world)
    # On the version already (scored at intake, or by a run that stopped): in no chunk.
    LeadScore.objects.bulk_create(
        [LeadScore(lead=leads[i], score_model=1, score=3) for i in (1, 4)]
    )
    seen: list[int] = []
    with CaptureQueriesContext(connection) as queries:
        rescored, _ = rescoring.rescore_open(
            _model(1, SPEC), actor=None, now=NOW, progress=seen.append
        )
    assert rescored == len(leads) - 2 and seen == [2, 4, 5]
    assert Lead.objects.filter(pk__in=[leads[1].pk, leads[4].pk], scored__score=3).count() == 2
    cuts = [q["sql"] for q in queries if "row_number()" in q["sql"] or "LIMIT 1" in q["sql"]]
    assert len(cuts) == 1 and "row_number()" in cuts[0]


def test_each_tier_change_of_a_rescoring_is_one_webhook_message(
    world: World, monkeypatch: Any, settings: Any
) -> None:
    settings.LEADLOOP_WEBHOOKS_ALLOW_PRIVATE = True
    monkeypatch.setattr(rescoring, "CHUNK", 3)
    hook = create_endpoint(
        url="http://127.0.0.1:9/hook",
        events=["lead.score_changed"],
        owner=world.admin,
        team=None,
        now=NOW,
    )[0]
    leads = _varied_leads(world)
    # A tier change this lead had earlier, at the same moment: not this rescoring's.
    LeadEvent.objects.create(
        lead=leads[0], kind=EventKind.SCORE_CHANGED, at=NOW, data={"tier": "D"}
    )
    _, changes = rescoring.rescore_open(_model(1, SPEC), actor=None, now=NOW)
    sent = Delivery.objects.filter(endpoint=hook)
    assert changes == len(leads) == sent.count()
    assert sorted(d.lead_id for d in sent) == sorted(lead.pk for lead in leads)
    assert all(d.event.data.get("model") == 1 for d in sent)


def test_an_interrupted_rescoring_in_one_transaction_leaves_every_lead_as_it_was(
    world: World, monkeypatch: Any
) -> None:
    """Inside a transaction (the tests', a caller's) applying is all or nothing."""
    monkeypatch.setattr(rescoring, "CHUNK", 3)
    leads = _varied_leads(world)
    calls: list[str] = []

    def queue_then_fail(**kwargs: Any) -> int:
        calls.append(kwargs["kind"])
        if len(calls) % 2 == 0:
            raise RuntimeError("the worker stopped")
        return 0

    monkeypatch.setattr(rescoring.webhooks, "queue_sql", queue_then_fail)
    with pytest.raises(RuntimeError):
        rescoring.rescore_open(_model(1, SPEC), actor=None, now=NOW)
    # The first chunk was written before the second failed: rolled back with it.
    assert len(calls) == 2
    assert not Lead.objects.filter(pk__in=[x.pk for x in leads], scored__score_model=1).exists()
    assert not LeadEvent.objects.filter(kind=EventKind.SCORE_CHANGED).exists()
    # The whole apply too: the proposal is still one.
    proposal = _model(2, SPEC)
    with pytest.raises(RuntimeError):
        scoring.apply_model(proposal, actor=None, now=NOW)
    assert len(calls) == 4
    assert ScoringModel.objects.get(pk=proposal.pk).status == ModelStatus.PROPOSAL
    assert not Lead.objects.filter(pk__in=[x.pk for x in leads], scored__score_model=2).exists()
    assert not LeadEvent.objects.filter(kind=EventKind.SCORE_CHANGED).exists()


def test_rescoring_compiles_nothing_just_in_time_sorts_in_memory_and_gives_the_settings_back(
    world: World,
) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("JIT is PostgreSQL's")
    shown = "SELECT current_setting('jit'), current_setting('work_mem')"
    _varied_leads(world)
    seen: list[str] = []

    def watch(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        if sql.startswith("WITH s ("):
            context["cursor"].execute(shown)
            seen.append(context["cursor"].fetchone())
        return execute(sql, params, many, context)

    with connection.cursor() as cur:
        cur.execute(shown)
        before = cur.fetchone()
    with connection.execute_wrapper(watch):
        rescoring.rescore_open(_model(1, SPEC), actor=None, now=NOW)
    with connection.cursor() as cur:
        cur.execute(shown)
        after = cur.fetchone()
    assert set(seen) == {("off", "64MB")} and after == before
