"""Tuning, showing and applying through the CLI, the API and the app; imported history."""

from __future__ import annotations

import csv
import io
import json
import random
from datetime import timedelta
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.utils import timezone

from leadloop.imports.services import create_import, store_file
from leadloop.leads.choices import Stage
from leadloop.leads.models import Lead
from leadloop.lifecycle import scoring
from leadloop.lifecycle.imports import run_import
from leadloop.scoring.choices import ModelStatus
from leadloop.scoring.models import ScoringModel, TuningRun
from leadloop.scoring.tests.history import write_history
from leadloop.testing import NOW, World, make_lead


def cli(*args: str) -> str:
    out = io.StringIO()
    call_command("scoring", *args, stdout=out)
    return out.getvalue()


def test_cli_tune_json_show_and_apply(world: World) -> None:
    write_history(world.a, n=400)
    open_lead = make_lead(world.a, industry="Software")
    result = json.loads(cli("tune", "--target", "won", "--format", "json"))
    model = ScoringModel.objects.get(pk=result["id"])
    assert model.status == ModelStatus.PROPOSAL
    bt = result["backtest"]
    assert {"auc", "brier", "top_decile_lift", "reliability"} <= set(bt["proposal"])
    assert set(bt["baselines"]) == {"naive_bayes", "logistic", "gradient_boosting"}
    assert bt["holdout"]["count"] == 80
    assert result["values"] and {"count", "rate", "lift", "points"} <= set(result["values"][0])

    table = cli("tune", "--target", "won", "--since", "2024-01-01")
    assert "ROC AUC" in table and "naive bayes" in table and "gradient boosting" in table
    assert "Apply it with: leadloop scoring apply" in table

    shown = cli("show", str(model.pk))
    assert f"Model {model.pk} (v{model.version})" in shown and "Starting points" in shown
    with pytest.raises(CommandError, match="no model is active"):
        cli("show")
    applied = cli("apply", str(model.pk))
    assert "1 open leads rescored" in applied
    open_lead.refresh_from_db()
    assert open_lead.score_model == model.version
    assert "proposal" not in cli("show") and "active" in cli("show")
    with pytest.raises(CommandError, match="applied already"):
        cli("apply", str(model.pk))
    assert f"v{model.version}" in cli("list")


def test_cli_refuses_too_few_closed_leads(world: World) -> None:
    with pytest.raises(CommandError, match="there are 0"):
        cli("tune", "--target", "qualified")


def api(world: World, user: Any) -> tuple[Client, dict[str, str]]:
    return Client(), world.auth(user)


def test_api_tunes_in_the_worker_then_applies_once(
    world: World, django_capture_on_commit_callbacks: Any
) -> None:
    write_history(world.a, n=300)
    client, auth = api(world, world.marketing)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/api/v1/scoring/tune", {"target": "won"}, content_type="application/json", **auth
        )
    assert response.status_code == 202, response.content
    run = response.json()
    status = client.get(f"/api/v1/scoring/tunings/{run['id']}", **auth).json()
    assert status["state"] == "done" and status["proposal"]
    model_id = status["proposal"]
    shown = client.get(f"/api/v1/scoring/models/{model_id}", **auth).json()
    assert shown["status"] == "proposal" and shown["points"] and shown["backtest"]["proposal"]
    listed = client.get("/api/v1/scoring/models", **auth).json()
    assert [m["id"] for m in listed] == [model_id]
    applied = client.post(f"/api/v1/scoring/models/{model_id}/apply", **auth)
    assert applied.status_code == 200 and applied.json()["model"]["status"] == "active"
    again = client.post(f"/api/v1/scoring/models/{model_id}/apply", **auth)
    assert again.status_code == 409 and "applied already" in again.json()["detail"]


def test_api_names_a_bad_target_and_a_failed_tuning_says_why(
    world: World, django_capture_on_commit_callbacks: Any
) -> None:
    client, auth = api(world, world.admin)
    bad = client.post(
        "/api/v1/scoring/tune", {"target": "rich"}, content_type="application/json", **auth
    )
    assert bad.status_code == 422 and "target" in bad.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/api/v1/scoring/tune", {"target": "won"}, content_type="application/json", **auth
        )
    run = TuningRun.objects.get(pk=response.json()["id"])
    assert run.state == TuningRun.State.FAILED
    assert "at least 100 closed leads" in run.message
    assert not ScoringModel.objects.exists()


def login(client: Client, user: Any) -> Client:
    client.force_login(user)
    return client


def test_scoring_page_shows_the_backtest_and_applies(world: World) -> None:
    write_history(world.a, n=300)
    proposal = scoring.propose(target="won", actor=world.marketing, now=NOW)
    client = login(Client(), world.marketing)
    page = client.get("/scoring/").content.decode()
    assert f"Backtest of v{proposal.version}" in page
    assert "Naive Bayes (Odoo-style)" in page and "Gradient boosting" in page
    assert "Reliability" in page and "Lift by decile" in page
    assert f"Apply v{proposal.version}" in page
    response = client.post(f"/scoring/models/{proposal.pk}/apply")
    assert response.status_code == 302
    proposal.refresh_from_db()
    assert proposal.status == ModelStatus.ACTIVE and proposal.applied_by == world.marketing
    page = client.get("/scoring/").content.decode()
    assert f"Active model: v{proposal.version}" in page and "applied by marketing" in page.lower()
    refused = login(Client(), world.a.inside).get("/scoring/")
    assert refused.status_code == 403


def test_lead_page_explains_the_score_in_plain_words(world: World) -> None:
    write_history(world.a, n=300)
    scoring.apply_model(
        scoring.propose(target="won", actor=world.marketing, now=NOW), actor=None, now=NOW
    )
    lead = make_lead(world.a, industry="Manufacturing", employees=200)
    client = login(Client(), world.a.tele_manager)
    page = client.get(f"/leads/{lead.pk}/").content.decode()
    lead.refresh_from_db()
    assert f'tier <span class="badge tier-{lead.tier}">{lead.tier}</span>' in page
    raised = [x for x in lead.score_breakdown if x["part"] == "fit" and x["points"] > 0]
    best = max(raised, key=lambda x: x["points"])
    assert f"{best['factor']} +{best['points']}" in page
    assert "applied" in page and "% likely to be won" in page


def _history_csv(n: int, *, closed: bool) -> bytes:
    rng = random.Random(4)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["Email", "Lead Source", "Industry", "Employees", "Converted", "Created"])
    for i in range(n):
        source = rng.choice(["Google", "Referral", "Olark Chat", "Direct"])
        industry = rng.choice(["Retail", "Manufacturing", "Software"])
        chance = {"Referral": 0.6, "Google": 0.3, "Olark Chat": 0.1, "Direct": 0.25}[source]
        converted = ("1" if rng.random() < chance else "0") if closed else "open"
        day = (NOW - timedelta(days=400 - i)).date() if closed else NOW.date()
        writer.writerow(
            [f"p{i}{'c' if closed else 'o'}@x{i}.example", source, industry, 10 + i, converted, day]
        )
    return out.getvalue().encode()


def _import(world: World, data: bytes) -> None:
    mapping = {
        "columns": {
            "Email": "email",
            "Lead Source": "attributes.lead_source",
            "Industry": "industry",
            "Employees": "employees",
            "Converted": "stage",
            "Created": "created_at",
        },
        "stages": {"1": "won", "0": "lost", "open": "new"},
    }
    stored = store_file(io.BytesIO(data), file_name="leads.csv")
    made = create_import(
        stored=stored,
        file_name="leads.csv",
        actor=world.marketing,
        now=NOW,
        mapping=mapping,
        campaign=world.a.campaign,
    )
    run_import(made, actor=world.marketing, now=NOW)


def test_imported_history_is_learned_from_and_imported_open_leads_are_scored(
    world: World,
) -> None:
    _import(world, _history_csv(300, closed=True))
    assert Lead.objects.filter(stage__in=[Stage.WON, Stage.LOST]).count() == 300
    proposal = scoring.propose(target="won", actor=world.marketing, now=NOW)
    bt = proposal.backtest
    assert bt["history"]["count"] == 300
    # Learned from the file's own dates: the holdout is its latest rows.
    assert bt["holdout"]["from"][:10] > bt["history"]["from"][:10]
    sources = {v["value"]: v for v in bt["values"] if v["attribute"] == "attributes.lead_source"}
    assert sources["Referral"]["points"] > sources["Olark Chat"]["points"]
    scoring.apply_model(proposal, actor=world.marketing, now=NOW)
    _import(world, _history_csv(5, closed=False))
    fresh = Lead.objects.filter(email__contains="o@")
    assert fresh.count() == 5
    for lead in fresh:
        assert lead.score_model == proposal.version and lead.tier
        assert sum(x["points"] for x in lead.score_breakdown) == lead.score


def test_the_review_pack_has_the_active_models_accuracy_over_the_month(world: World) -> None:
    from zoneinfo import ZoneInfo

    from leadloop.reports import review
    from leadloop.reports.scope import Viewer

    write_history(world.a, n=300)
    model = scoring.propose(target="won", actor=world.marketing, now=NOW)
    scoring.apply_model(model, actor=world.marketing, now=NOW)
    made = [make_lead(world.a, industry="Manufacturing") for _ in range(4)]
    Lead.objects.filter(pk__in=[x.pk for x in made[:1]]).update(stage=Stage.WON, closed_at=NOW)
    Lead.objects.filter(pk__in=[x.pk for x in made[1:]]).update(stage=Stage.LOST, closed_at=NOW)
    viewer = Viewer.everything(ZoneInfo("Europe/Berlin"))
    built = review.build_pack(
        viewer, month=review.parse_month("2026-11"), now=NOW + timedelta(days=1)
    )
    alpha, beta = ({t.key: t for t in s.tables}["scoring"] for s in built.sections)
    assert alpha.total is not None and alpha.total["leads"].value == 4
    assert alpha.total["observed"].value == 0.25
    assert f"Model v{model.version}" in alpha.note and "Brier score" in alpha.note
    assert not beta.rows and "No lead scored" in beta.note


def test_one_tuning_at_a_time_unless_the_other_is_long_dead(
    world: World, django_capture_on_commit_callbacks: Any
) -> None:
    TuningRun.objects.create(target="won", state=TuningRun.State.RUNNING, created_at=NOW)
    with pytest.raises(scoring.TuningBusy):
        scoring.queue_tuning(target="won", actor=world.marketing, now=NOW + timedelta(minutes=5))
    # The API asks at the real time: a run queued just now.
    TuningRun.objects.create(target="reached", created_at=timezone.now())
    client, auth = api(world, world.marketing)
    busy = client.post(
        "/api/v1/scoring/tune", {"target": "won"}, content_type="application/json", **auth
    )
    assert busy.status_code == 409
    TuningRun.objects.filter(target="reached").delete()
    later = NOW + scoring.STALE_TUNING + timedelta(minutes=1)
    with django_capture_on_commit_callbacks(execute=True):
        run = scoring.queue_tuning(target="won", actor=world.marketing, now=later)
    run.refresh_from_db()
    assert run.state == TuningRun.State.FAILED  # no closed leads here: it says so


def test_cli_compare_runs_the_synthetic_benchmark_without_a_database() -> None:
    result = json.loads(cli("compare", "--rows", "1500", "--seeds", "3", "--format", "json"))
    [run] = result
    assert run["seed"] == 3 and run["rows"] == 1500
    assert set(run["baselines"]) == {"naive_bayes", "logistic", "gradient_boosting"}
    assert 0.5 < run["proposal"]["auc"] < 1 and run["tune_seconds"] > 0
    with pytest.raises(CommandError, match="--rows must be at least"):
        cli("compare", "--rows", "10")
