"""Applying a model outside a transaction, on PostgreSQL: committed chunks on two
connections, an interrupted apply finished by applying the model again."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection, connections, transaction
from django.test import Client

from leadloop.leads.choices import EventKind
from leadloop.leads.models import Lead, LeadEvent
from leadloop.lifecycle import rescoring, scoring
from leadloop.scoring import selectors
from leadloop.scoring.choices import ModelEventKind, ModelStatus
from leadloop.scoring.models import ModelEvent, ScoringModel
from leadloop.scoring.tests.test_rescoring_sql import SPEC, _model, _python_scores, _varied_leads
from leadloop.testing import NOW, World, make_lead
from leadloop.tick.services import run_tick
from leadloop.webhooks.models import Delivery
from leadloop.webhooks.services import create_endpoint

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="committed chunks: PostgreSQL"),
    # Real commits (the chunks' connections need them); the migrations' reference
    # data is restored after each test.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def _leads(world: World) -> list[Lead]:
    leads = _varied_leads(world)
    leads += [make_lead(world.b, industry="Retail", employees=40) for _ in range(5)]
    return leads


def _scores(leads: list[Lead]) -> list[tuple[Any, ...]]:
    return list(
        Lead.objects.filter(pk__in=[x.pk for x in leads])
        .order_by("pk")
        .values_list(
            "pk",
            "scored__score",
            "scored__lines",
            "scored__score_probability",
            "scored__tier",
            "scored__score_model",
        )
    )


def _tier_changes(version: int) -> list[tuple[int, Any]]:
    return sorted(
        LeadEvent.objects.filter(kind=EventKind.SCORE_CHANGED, data__model=version).values_list(
            "lead_id", "data"
        )
    )


def test_an_apply_in_committed_chunks_on_two_connections_equals_the_one_transaction(
    world: World, monkeypatch: Any, settings: Any
) -> None:
    settings.LEADLOOP_WEBHOOKS_ALLOW_PRIVATE = True
    monkeypatch.setattr(rescoring, "CHUNK", 2)
    hook = create_endpoint(
        url="http://127.0.0.1:9/hook",
        events=["lead.score_changed"],
        owner=world.admin,
        team=None,
        now=NOW,
    )[0]
    leads = _leads(world)
    proposal = _model(1, SPEC)
    with transaction.atomic():
        scoring.apply_model(proposal, actor=world.marketing, now=NOW)
        in_one = _scores(leads), _tier_changes(1)
        transaction.set_rollback(True)
    threads: set[str] = set()
    seen: list[int] = []
    # Each connection's first chunk waits for the other's: both take part.
    both = threading.Barrier(2, timeout=30)
    chunk = rescoring._chunk
    started: set[str] = set()

    def meet_then_chunk(*args: Any) -> Any:
        name = threading.current_thread().name
        if name not in started:
            started.add(name)
            both.wait()
        return chunk(*args)

    monkeypatch.setattr(rescoring, "_chunk", meet_then_chunk)

    def progress(done: int) -> None:
        threads.add(threading.current_thread().name)
        seen.append(done)

    applied = scoring.apply_model(proposal.pk, actor=world.marketing, now=NOW, progress=progress)
    assert (_scores(leads), _tier_changes(1)) == in_one
    assert applied.rescored == len(leads) == seen[-1] and seen == sorted(seen)
    assert len(seen) == (len(leads) + 1) // 2 and len(threads) == 2
    assert applied.tier_changes == len(in_one[1]) == Delivery.objects.filter(endpoint=hook).count()
    for lead in leads:
        expected = _python_scores(proposal, lead)
        assert (lead.score, lead.tier) == (expected["score"], expected["tier"])
    event = ModelEvent.objects.get(scoring_model=proposal, kind=ModelEventKind.APPLIED)
    assert event.data == {"rescored": len(leads), "tier_changes": len(in_one[1]), "replaced": None}


def test_an_interrupted_apply_keeps_its_chunks_and_applying_again_finishes_it(
    world: World, monkeypatch: Any
) -> None:
    leads, second, before = _stop_at_the_second_chunk(world, monkeypatch)
    first = ScoringModel.objects.get(version=1)
    assert (second.status, first.status) == (ModelStatus.ACTIVE, ModelStatus.RETIRED)
    assert selectors.unfinished(second)
    on_second = Lead.objects.filter(pk__in=[x.pk for x in leads], scored__score_model=2)
    assert on_second.count() == 3
    assert not ModelEvent.objects.filter(scoring_model=second, kind=ModelEventKind.APPLIED)
    assert selectors.rescoring_progress(second) == (3, len(leads))

    # The Scoring page says so and finishes it (a request runs no transaction).
    client = Client()
    client.force_login(world.marketing)
    page = client.get("/scoring/").content.decode()
    assert f"Rescoring: 3 of {len(leads)} open leads on v2" in page
    assert "Finish rescoring with v2" in page
    stopped_changes = len(_tier_changes(2))
    assert client.post(f"/scoring/models/{second.pk}/apply").status_code == 302
    applied = ModelEvent.objects.get(scoring_model=second, kind=ModelEventKind.APPLIED)
    # The whole rescoring counted, this run's part beside it.
    run_changes = len(_tier_changes(2)) - stopped_changes
    assert applied.data["replaced"] == 1 and applied.data["rescored"] == len(leads)
    assert applied.data["tier_changes"] == stopped_changes + run_changes
    assert applied.data["run"] == {"rescored": len(leads) - 3, "tier_changes": run_changes}
    assert applied.data["finished_stopped_apply_of"] == NOW.isoformat()
    assert applied.actor == world.marketing and "by" not in applied.data
    assert selectors.rescoring_progress(second) is None
    assert "Rescoring:" not in client.get("/scoring/").content.decode()
    assert not selectors.unfinished(second)
    changes = _tier_changes(2)
    moved = [pk for pk, tier in before.items() if tier != Lead.objects.get(pk=pk).tier]
    assert sorted(pk for pk, _ in changes) == sorted(moved) and moved
    for lead in leads:
        # Each as `rules.score_lead` scores it when it was rescored (the page's apply
        # runs at the clock's time, the stopped one ran at NOW).
        lead.refresh_from_db()
        values = Lead.objects.filter(pk=lead.pk).values_list(*selectors.FEATURE_COLUMNS).get()
        features = selectors.features_from_values(values)
        engagement = scoring.engagement_of(lead)
        expected, lines = scoring.score_values(second, features, engagement, lead.scored_at)
        assert lead.score_breakdown == lines
        assert (lead.score, lead.tier, lead.score_model) == (expected["score"], expected["tier"], 2)
    # Done: applying it again, or the model it replaced, is refused.
    for model in (second, first):
        with pytest.raises(scoring.ModelNotApplicable):
            scoring.apply_model(model.pk, actor=None, now=NOW)


def test_a_model_being_applied_is_not_applied_twice_at_once(world: World) -> None:
    proposal = _model(1, SPEC)
    other = connections.create_connection("default")
    try:
        with other.cursor() as cur:
            cur.execute("SELECT pg_advisory_lock(%s, %s)", [scoring._APPLY_LOCK, proposal.pk])
        with pytest.raises(scoring.ModelNotApplicable, match="being applied"):
            scoring.apply_model(proposal.pk, actor=None, now=NOW)
    finally:
        other.close()
    assert ScoringModel.objects.get(pk=proposal.pk).status == ModelStatus.PROPOSAL


def _stop_at_the_second_chunk(
    world: World, monkeypatch: Any
) -> tuple[list[Lead], ScoringModel, dict[int, str]]:
    """v1 applied, then v2's apply stopped by its second committed chunk (of 3 leads);
    the leads, v2, and each lead's tier under v1."""
    monkeypatch.setattr(rescoring, "CHUNK", 3)
    monkeypatch.setattr(rescoring, "WORKERS", 1)
    leads = _leads(world)
    scoring.apply_model(_model(1, SPEC), actor=None, now=NOW)
    before = {pk: tier for pk, *_, tier, _ in _scores(leads)}
    second = _model(2, {**SPEC, "base": 75})
    write = rescoring._write_in_one
    calls: list[int] = []

    def stop_at_the_second_chunk(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("the worker stopped")
        return write(*args, **kwargs)

    monkeypatch.setattr(rescoring, "_write_in_one", stop_at_the_second_chunk)
    with pytest.raises(RuntimeError):
        scoring.apply_model(second, actor=world.marketing, now=NOW)
    monkeypatch.setattr(rescoring, "_write_in_one", write)
    second.refresh_from_db()
    return leads, second, before


def test_the_tick_leaves_an_apply_holding_its_lock_and_finishes_a_stopped_one(
    world: World, monkeypatch: Any
) -> None:
    leads, second, _ = _stop_at_the_second_chunk(world, monkeypatch)
    assert selectors.rescoring_progress(second) == (3, len(leads))
    assert not scoring.being_applied(second.pk)
    later = NOW + timedelta(minutes=3)
    # An apply of it running now (another connection holds its lock): the tick leaves it
    # be, and so does a finishing task queued before that apply took the lock.
    other = connections.create_connection("default")
    try:
        with other.cursor() as cur:
            cur.execute("SELECT pg_advisory_lock(%s, %s)", [scoring._APPLY_LOCK, second.pk])
        assert scoring.being_applied(second.pk)
        assert run_tick(now=later).scoring_finishing is None
        assert scoring.finish_stopped_apply(second.pk, now=later) is None
        assert selectors.rescoring_progress(second) == (3, len(leads))
    finally:
        other.close()
    stopped_changes = len(_tier_changes(2))
    # Its connection gone (a killed worker's is too), the next tick finishes it.
    finishing = run_tick(now=later).scoring_finishing
    assert finishing is not None
    assert (finishing.version, finishing.remaining) == (2, len(leads) - 3)
    assert not selectors.unfinished(second) and not scoring.being_applied(second.pk)
    event = ModelEvent.objects.get(scoring_model=second, kind=ModelEventKind.APPLIED)
    run_changes = len(_tier_changes(2)) - stopped_changes
    assert event.actor is None and event.at == later
    assert event.data == {
        "rescored": len(leads),
        "tier_changes": stopped_changes + run_changes,
        "replaced": 1,
        "run": {"rescored": len(leads) - 3, "tier_changes": run_changes},
        "finished_stopped_apply_of": NOW.isoformat(),
        "by": "tick",
    }
    on_second = Lead.objects.filter(pk__in=[x.pk for x in leads], scored__score_model=2)
    assert on_second.count() == len(leads)
    assert run_tick(now=later + timedelta(minutes=1)).scoring_finishing is None


def test_committed_chunks_compile_nothing_just_in_time_and_leave_no_setting_behind(
    world: World, monkeypatch: Any
) -> None:
    """Each chunk's settings are its transaction's: none is left on the connection."""
    monkeypatch.setattr(rescoring, "CHUNK", 3)
    monkeypatch.setattr(rescoring, "WORKERS", 1)
    _leads(world)
    shown = "SELECT current_setting('jit'), current_setting('work_mem')"
    seen: list[Any] = []

    def watch(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        if sql.startswith("WITH s ("):
            context["cursor"].execute(shown)
            seen.append(context["cursor"].fetchone())
        return execute(sql, params, many, context)

    with connection.cursor() as cur:
        cur.execute(shown)
        before = cur.fetchone()
    assert before != ("off", "64MB")
    with connection.execute_wrapper(watch):
        rescoring.rescore_open_committed(_model(1, SPEC), actor=None, now=NOW)
    with connection.cursor() as cur:
        cur.execute(shown)
        after = cur.fetchone()
    assert len(seen) > 1 and set(seen) == {("off", "64MB")} and after == before
