"""The bench's baseline endpoints, its targets and its README, without timing anything.

The baselines must answer what the API answers and write what intake writes:
a baseline that does less (or more) than the path it stands for would make
every ratio a lie.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.apps import apps
from django.test import Client, override_settings

from leadloop.api.models import IdempotentRequest
from leadloop.bench import baseline
from leadloop.bench.load import PhaseResult, merge_results
from leadloop.bench.report import (
    REPORT_VERSION,
    Figure,
    Target,
    build_figures,
    format_table,
    latest_by_size,
    load_results,
    write_readme,
)
from leadloop.bench.runner import result_name
from leadloop.campaigns.selectors import policy_for
from leadloop.leads.models import Lead
from leadloop.testing import World, make_lead

BENCH_URLS = "leadloop.bench.urls"


@pytest.fixture
def bench_world(world: World) -> Iterator[World]:
    """The world, with the baselines writing as the bench's API user would."""
    campaign = world.a.campaign
    fixture = {
        "campaign": campaign.pk,
        "team": campaign.team_id,
        "channel": campaign.channel,
        "rep": world.a.inside.pk,
        "user": world.marketing.pk,
        "priority": policy_for(campaign).priority,
    }
    baseline._inserts.cache_clear()
    with override_settings(ROOT_URLCONF=BENCH_URLS, BENCH_BASELINE=fixture):
        yield world
    baseline._inserts.cache_clear()


def person(n: int) -> dict[str, Any]:
    return {
        "first_name": "Bench",
        "last_name": f"Intake{n}",
        "company": f"Bench Co {n}",
        "email": f"bench-{n}@intake.example",
        "country": "DE",
        "title": "Head of Operations",
        "industry": "Software",
    }


def row_counts() -> dict[str, int]:
    """Rows per table of every model: what a request wrote is the difference."""
    return {
        m._meta.db_table: m._meta.default_manager.count()
        for m in apps.get_models()
        if m._meta.managed and not m._meta.proxy
    }


def written(before: dict[str, int], after: dict[str, int]) -> dict[str, int]:
    return {t: after[t] - before[t] for t in after if after[t] != before[t]}


def post(client: Client, path: str, body: dict[str, Any], **headers: str) -> Any:
    return client.post(path, json.dumps(body), content_type="application/json", **headers)


def test_the_raw_intake_writes_the_rows_a_real_intake_writes(bench_world: World) -> None:
    client = Client()
    auth = bench_world.auth(bench_world.marketing)

    before = row_counts()
    real = post(
        client,
        "/api/v1/leads",
        {"campaign": bench_world.a.campaign.pk, **person(1)},
        HTTP_IDEMPOTENCY_KEY="real-1",
        **auth,
    )
    middle = row_counts()
    raw = post(
        client,
        "/bench/intake",
        {"campaign": bench_world.a.campaign.pk, **person(2)},
        HTTP_IDEMPOTENCY_KEY="raw-1",
    )
    after = row_counts()

    assert real.status_code == raw.status_code == 201
    assert written(middle, after) == written(before, middle)
    assert written(middle, after) == {
        "leads_lead": 1,
        "leads_leadevent": 2,
        "sla_slaclock": 2,
        "api_idempotentrequest": 1,
    }
    # The same answer, key for key, and the lead as intake would leave it.
    assert list(raw.json()) == list(real.json())
    lead = Lead.objects.get(pk=raw.json()["id"])
    assert (lead.stage, lead.owner_id, lead.campaign_id) == (
        "new",
        bench_world.a.inside.pk,
        bench_world.a.campaign.pk,
    )
    assert {c.kind for c in lead.clocks.all()} == {
        c.kind for c in Lead.objects.get(pk=real.json()["id"]).clocks.all()
    }
    assert sorted(e.kind for e in lead.events.all()) == ["assigned", "created"]
    stored = IdempotentRequest.objects.get(key="raw-1")
    assert (stored.user_id, stored.status, stored.body["id"]) == (
        bench_world.marketing.pk,
        201,
        lead.pk,
    )
    bench_world.a.inside.refresh_from_db()
    assert bench_world.a.inside.last_assigned_at == lead.created_at


def test_the_bare_insert_writes_one_lead_row_and_nothing_else(bench_world: World) -> None:
    before = row_counts()

    response = post(Client(), "/bench/insert", person(3))

    assert response.status_code == 201
    assert written(before, row_counts()) == {"leads_lead": 1}
    lead = Lead.objects.get(pk=response.json()["id"])
    assert (lead.email, lead.company, lead.campaign_id) == (
        "bench-3@intake.example",
        "Bench Co 3",
        bench_world.a.campaign.pk,
    )


def test_the_bare_list_answers_the_api_lists_25_rows(bench_world: World) -> None:
    for n in range(27):
        make_lead(bench_world.a if n % 2 else bench_world.b, employees=n, attributes={"n": n})
    client = Client()

    api = client.get("/api/v1/leads?limit=25", **bench_world.auth(bench_world.marketing))
    bare = client.get("/bench/list")

    assert api.status_code == bare.status_code == 200
    assert len(bare.json()["items"]) == 25
    for b, a in zip(bare.json()["items"], api.json()["items"], strict=True):
        assert b == a
    assert bare.json() == api.json()


def test_the_baselines_are_only_in_the_bench_servers_urls(world: World) -> None:
    assert Client().get("/bench/list").status_code == 404


# ---------------------------------------------------------------- targets


@pytest.mark.parametrize(
    ("target", "value", "ratio", "met"),
    [
        (Target("≥ 0.35x", "min_ratio", 0.35), 35.0, 0.35, True),
        (Target("≥ 0.35x", "min_ratio", 0.35), 34.0, 0.34, False),
        (Target("≥ 0.35x", "min_ratio", 0.35), 34.0, None, None),
        (Target("≤ 2x", "max_ratio", 2.0), 10.0, 2.0, True),
        (Target("≤ 2x", "max_ratio", 2.0), 10.0, 2.1, False),
        (Target("< 0.3 ms", "max_value", 0.3), 0.29, 9.0, True),
        (Target("< 0.3 ms", "max_value", 0.3), 0.3, 1.0, False),
        # Both conditions: under the time and within the ratio.
        (Target("< 1 s, ≤ 3x", "max_value", 1000, max_ratio=3), 900.0, 3.0, True),
        (Target("< 1 s, ≤ 3x", "max_value", 1000, max_ratio=3), 900.0, 3.2, False),
        (Target("< 1 s, ≤ 3x", "max_value", 1000, max_ratio=3), 1000.0, 1.5, False),
        (Target("< 1 s, ≤ 3x", "max_value", 1000, max_ratio=3), 900.0, None, None),
        (Target("≤ +1 ms", "max_over_baseline", 1.0), 3.0, 1.5, True),
        (Target("≤ +1 ms", "max_over_baseline", 1.0), 3.0, 3.0, False),
    ],
)
def test_a_target_is_met_or_not(
    target: Target, value: float, ratio: float | None, met: bool | None
) -> None:
    assert target.met(value, ratio) is met


def test_a_target_applies_at_its_size_and_database() -> None:
    at_million = Target("< 100 ms at 1M leads", "max_value", 100, min_leads=1_000_000)

    assert at_million.applies(vendor="postgresql", leads=1_000_000)
    assert not at_million.applies(vendor="postgresql", leads=100_000)
    assert not at_million.applies(vendor="sqlite", leads=1_000_000)


# ---------------------------------------------------------------- the report and README


def phase(rps: float, p50: float = 10.0, p99: float = 20.0) -> dict[str, Any]:
    return {"rps": rps, "p50_ms": p50, "p99_ms": p99, "errors": 0, "requests": 100}


def latency(p50: float, p99: float) -> dict[str, float]:
    return {"p50_ms": p50, "p99_ms": p99}


def sample_report(*, leads: int, date: str, intake_rps: float, loop: float) -> dict[str, Any]:
    """A whole report as `leadloop bench` writes it, from made-up measurements."""
    phases = {
        "bare_get": phase(900),
        "bare_post": phase(800),
        "bare_list": phase(500),
        "list": phase(320),
        "bare_insert": phase(600),
        "raw_intake": phase(300),
        "intake": phase(intake_rps, 30, 45),
        "form_intake": phase(150, 40, 60),
    }
    figures = build_figures(
        copy={"rows_per_s": 100_000, "peak_rss_mb": 100, "method": "COPY"},
        seed={"rows_per_s": 30_000, "peak_rss_mb": 500},
        api={"phases": phases, "rss": {"after_max_mb": 130, "idle_max_mb": 120}},
        transitions={"service": latency(5, 9), "baseline": latency(0.5, 0.9)},
        duration_s=1500.0,
        auth={"calls": 2000, "service": latency(0.2, 0.4), "baseline": latency(0.1, 0.2)},
        queue={
            "open_leads": 3000,
            "requests": 50,
            "service": latency(80, 95),
            "baseline": latency(20, 30),
        },
        reports={"funnel": {"seconds": 0.9, "baseline_seconds": 0.4}},
        sweep={"open_leads": 1_000_000, "due": 10_000, "seconds": 0.8, "baseline_seconds": 0.5},
    )
    return {
        "version": REPORT_VERSION,
        "date": date,
        "started_at": f"{date}T01:00:00+00:00",
        "duration_s": 1500.0,
        "database": {"vendor": "postgresql", "version": "15.2"},
        "machine": {"cpu_count": 2, "reference_loop_ms": loop},
        "parameters": {"leads": leads, "requests": 2000, "concurrency": 8, "workers": 2},
        "figures": {f.name: f.as_json(vendor="postgresql", leads=leads) for f in figures},
        "warnings": [],
    }


def write_sample(directory: Path, report: dict[str, Any]) -> Path:
    from datetime import datetime

    path = directory / result_name(report, datetime.fromisoformat(report["started_at"]))
    path.write_text(json.dumps(report))
    return path


def test_result_files_of_one_day_at_two_sizes_do_not_overwrite_each_other(tmp_path: Path) -> None:
    small = write_sample(
        tmp_path, sample_report(leads=100_000, date="2026-12-05", intake_rps=240, loop=95)
    )
    large = write_sample(
        tmp_path, sample_report(leads=1_000_000, date="2026-12-05", intake_rps=200, loop=97)
    )

    assert small != large
    assert {p.name for p in tmp_path.glob("*.json")} == {
        "2026-12-05-postgresql-100000.json",
        "2026-12-05-postgresql-1000000.json",
    }


def test_the_figures_carry_the_issues_targets() -> None:
    report = sample_report(leads=100_000, date="2026-12-05", intake_rps=240, loop=95)
    figures = report["figures"]

    # 240 req/s: 0.4x the bare insert (met), 0.8x the raw intake (met); p99 45 ms.
    assert (figures["api_intake_rps"]["ratio"], figures["api_intake_rps"]["ok"]) == (0.4, True)
    assert (figures["api_intake_vs_raw_rps"]["ratio"], figures["api_intake_vs_raw_rps"]["ok"]) == (
        0.8,
        True,
    )
    assert figures["api_intake_p99_ms"]["ok"] is True
    assert (figures["api_list_rps"]["ratio"], figures["api_list_rps"]["ok"]) == (0.64, True)
    assert figures["auth_token_p50_ms"]["ok"] is True
    # The funnel is under a second but 2.25x its baseline; the sweep 1.6x and 800 ms.
    assert figures["report_funnel_ms"]["ok"] is True
    assert figures["sla_sweep_ms"]["ok"] is True
    # Stated for a million leads: shown, not applied, at 100,000.
    assert figures["queue_page_p50_ms"]["target_applies"] is False
    assert figures["report_funnel_ms"]["target_applies"] is False
    assert figures["bench_duration_s"]["target_applies"] is False
    slow = sample_report(leads=100_000, date="2026-12-05", intake_rps=150, loop=95)["figures"]
    assert slow["api_intake_rps"]["ok"] is False
    assert slow["api_intake_vs_raw_rps"]["ok"] is False
    assert "(yes)/(NO)" in format_table(report)


def test_the_readme_shows_the_latest_run_of_each_size_from_the_files(tmp_path: Path) -> None:
    results = tmp_path / "results"
    results.mkdir()
    write_sample(results, sample_report(leads=100_000, date="2026-12-01", intake_rps=100, loop=90))
    write_sample(results, sample_report(leads=100_000, date="2026-12-05", intake_rps=240, loop=95))
    (results / "notes.json").write_text("[]")  # not a result: skipped
    readme = tmp_path / "README.md"

    write_readme(results, readme)
    text = readme.read_text()

    assert "2026-12-05-postgresql-100000.json" in text
    assert "2026-12-01" not in text
    assert "reference loop 95 ms" in text
    assert "| API intake (POST /api/v1/leads, Idempotency-Key) | 240 req/s | 600 req/s" in text
    assert "No run at 1,000,000 leads" in text
    assert "leadloop bench --readme" in text
    assert "earlier version of the bench" not in text

    write_sample(
        results, sample_report(leads=1_000_000, date="2026-12-06", intake_rps=200, loop=97)
    )
    latest = latest_by_size(load_results(results))
    assert latest[1_000_000] is not None and latest[1_000_000]["date"] == "2026-12-06"
    assert "No run at" not in write_readme(results, readme).read_text()


def test_readme_command_rewrites_the_file_from_the_results(tmp_path: Path) -> None:
    from django.core.management import call_command

    from leadloop.bench.management.commands import bench

    write_sample(tmp_path, sample_report(leads=100_000, date="2026-12-05", intake_rps=240, loop=95))
    readme = tmp_path / "README.md"
    original = bench.README
    bench.README = readme
    try:
        call_command("bench", readme=True, output=tmp_path, stdout=__import__("io").StringIO())
    finally:
        bench.README = original

    assert "2026-12-05-postgresql-100000.json" in readme.read_text()


def test_a_figure_without_a_baseline_has_no_ratio() -> None:
    fig = Figure("bench_duration_s", "The whole bench", "s", 100.0, None, "", None)

    assert fig.ratio is None
    assert fig.as_json(vendor="postgresql", leads=10)["ok"] is None


def test_rounds_of_a_phase_add_up() -> None:
    first = PhaseResult("intake", 10, 9, 1, 2.0, {"201": 9, "500": 1}, [0.1] * 9, 0.5)
    second = PhaseResult("intake", 10, 10, 0, 3.0, {"201": 10}, [0.2] * 10, 0.5)

    merged = merge_results([first, second])

    assert (merged.requests, merged.ok, merged.errors, merged.seconds) == (20, 19, 1, 5.0)
    assert merged.statuses == {"201": 19, "500": 1}
    assert merged.rps == 19 / 5.0
    assert len(merged.latencies) == 19
