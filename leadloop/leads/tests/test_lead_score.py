"""A lead's score (points, probability, tier, model, lines) lives in `LeadScore`,
beside the lead: scoring writes no lead row."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from leadloop.leads.models import Lead, LeadScore
from leadloop.lifecycle import scoring
from leadloop.scoring.tests.history import write_history
from leadloop.testing import NOW, World, make_lead


def test_a_lead_no_model_scored_has_no_score_row(world: World) -> None:
    lead = make_lead(world.a)
    assert not LeadScore.objects.filter(lead=lead).exists()
    fresh = Lead.objects.get(pk=lead.pk)
    assert (fresh.score, fresh.tier, fresh.score_probability, fresh.score_model) == (
        0,
        "",
        None,
        None,
    )
    assert fresh.score_breakdown == []


def test_intake_and_apply_write_the_score_beside_the_lead(world: World) -> None:
    old = make_lead(world.a, industry="Retail")
    before = Lead.objects.values("version", "updated_at").get(pk=old.pk)
    write_history(world.a, n=300)
    model = scoring.propose(target="won", actor=world.marketing, now=NOW)
    scoring.apply_model(model, actor=world.marketing, now=NOW + timedelta(minutes=1))
    # The apply rescored the open lead in its score row, and left the lead row alone.
    row = LeadScore.objects.get(lead=old)
    assert row.score_model == model.version and row.tier
    assert Lead.objects.values("version", "updated_at").get(pk=old.pk) == before

    lead = make_lead(world.a, industry="Manufacturing")
    stored = LeadScore.objects.get(lead=lead)
    lines = json.loads(stored.lines)
    fresh = Lead.objects.select_related("scored").get(pk=lead.pk)
    assert lines == lead.score_breakdown == fresh.score_breakdown
    assert sum(line["points"] for line in lines) == lead.score == fresh.score == stored.score
    assert fresh.tier == stored.tier and fresh.score_model == model.version


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_migration_moves_every_score_and_back(world: World) -> None:
    scored, given, plain = make_lead(world.a), make_lead(world.a), make_lead(world.a)
    lines = [{"factor": "Industry: Retail", "points": 12, "part": "fit"}]
    before, after = [("leads", "0016_partial_lead_indexes")], [("leads", "0017_lead_score")]
    try:
        executor = MigrationExecutor(connection)
        executor.migrate(before)
        apps = executor.loader.project_state(before[0]).apps
        old_lead = apps.get_model("leads", "Lead")
        old_lines = apps.get_model("leads", "ScoreLines")
        old_lead.objects.filter(pk=scored.pk).update(
            score=12, score_probability=0.25, tier="B", scored_at=NOW, score_model=3
        )
        old_lines.objects.create(lead_id=scored.pk, lines=json.dumps(lines))
        # A score given without a model (no lines).
        old_lead.objects.filter(pk=given.pk).update(score=40)
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(after)
        moved = LeadScore.objects.get(lead=scored)
        assert (moved.score, moved.score_probability, moved.tier, moved.score_model) == (
            12,
            0.25,
            "B",
            3,
        )
        assert moved.scored_at == NOW and json.loads(moved.lines) == lines
        kept = LeadScore.objects.get(lead=given)
        assert (kept.score, kept.score_model, kept.lines) == (40, None, "[]")
        assert not LeadScore.objects.filter(lead=plain).exists()
        # And back: the columns on the lead again.
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(before)
        old_lead = executor.loader.project_state(before[0]).apps.get_model("leads", "Lead")
        back = old_lead.objects.get(pk=scored.pk)
        assert (back.score, back.tier, back.score_model) == (12, "B", 3)
        assert old_lead.objects.get(pk=plain.pk).score == 0
    finally:
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(after)
