"""The lines of a lead's score live in `ScoreLines`, beside the lead."""

from __future__ import annotations

import json

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from leadloop.leads.models import Lead, ScoreLines
from leadloop.lifecycle import scoring
from leadloop.scoring.tests.history import write_history
from leadloop.testing import NOW, World, make_lead


def test_a_lead_no_model_scored_has_no_lines(world: World) -> None:
    lead = make_lead(world.a)
    assert not ScoreLines.objects.filter(lead=lead).exists()
    assert Lead.objects.get(pk=lead.pk).score_breakdown == []


def test_intake_writes_the_lines_beside_the_lead(world: World) -> None:
    write_history(world.a, n=300)
    scoring.apply_model(
        scoring.propose(target="won", actor=world.marketing, now=NOW),
        actor=world.marketing,
        now=NOW,
    )
    lead = make_lead(world.a, industry="Manufacturing")
    stored = json.loads(ScoreLines.objects.get(lead=lead).lines)
    assert stored == lead.score_breakdown == Lead.objects.get(pk=lead.pk).score_breakdown
    assert sum(line["points"] for line in stored) == lead.score


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_migration_moves_every_breakdown_and_back(world: World) -> None:
    scored, plain = make_lead(world.a), make_lead(world.a)
    lines = [{"factor": "Industry: Retail", "points": 12, "part": "fit"}]
    ScoreLines.objects.create(lead=scored, lines=json.dumps(lines))
    before, after = [("leads", "0014_report_covering_indexes")], [("leads", "0015_score_lines")]
    try:
        executor = MigrationExecutor(connection)
        executor.migrate(before)
        old = executor.loader.project_state(before[0]).apps.get_model("leads", "Lead")
        assert old.objects.get(pk=scored.pk).score_breakdown == lines
        assert old.objects.get(pk=plain.pk).score_breakdown == []
    finally:
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(after)
    assert json.loads(ScoreLines.objects.get(lead=scored).lines) == lines
    assert not ScoreLines.objects.filter(lead=plain).exists()
