"""`leadloop bench` end to end at a tiny size: it runs, and its report has every figure.

No timing is asserted: a test machine's speed says nothing about the code.
The run takes about 20 seconds (migrations, a seed, a gunicorn server).
"""

from __future__ import annotations

import io
import json
import os
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection

from leadloop.bench.measures import percentile
from leadloop.bench.report import Figure, Target, format_table

FIGURES = {
    "api_intake_rps",
    "api_intake_vs_raw_rps",
    "http_floor_rps",
    "auth_token_p50_ms",
    "auth_token_p99_ms",
    "queue_page_p50_ms",
    "queue_page_p99_ms",
    "bench_duration_s",
    "api_intake_p50_ms",
    "api_intake_p99_ms",
    "form_intake_rps",
    "form_intake_p99_ms",
    "api_list_rps",
    "api_list_p50_ms",
    "api_list_p99_ms",
    "web_rss_mb",
    "seed_rows_per_s",
    "seed_peak_rss_mb",
    "transition_p50_ms",
    "transition_p99_ms",
    "sla_sweep_ms",
    "import_rows_per_s",
    "import_peak_rss_mb",
    "export_rows_per_s",
    "export_peak_rss_mb",
    "report_sla_ms",
    "report_aging_ms",
    "report_sales_accountability_ms",
    "report_teleprospectors_ms",
    "report_campaigns_ms",
    "report_funnel_ms",
    "report_reasons_ms",
    "report_unreachable_ms",
    "webhook_deliveries_per_s",
    "outbox_transition_p50_ms",
    "scoring_tuning_s",
    "scoring_tuning_peak_rss_mb",
    "scoring_rescore_s",
    "scoring_intake_p50_ms",
}
TINY = {
    "leads": 300,
    "requests": 60,
    "concurrency": 4,
    "transitions": 20,
    "sweep_leads": 2000,
    "import_rows": 400,
    "webhook_events": 50,
}


def run_bench(tmp_path: Path, **options: object) -> tuple[dict, str]:
    out = io.StringIO()
    call_command("bench", **TINY, output=tmp_path, stdout=out, stderr=io.StringIO(), **options)
    (path,) = tmp_path.glob("*.json")
    return json.loads(path.read_text()), out.getvalue()


def assert_complete(report: dict, vendor: str) -> None:
    assert report["database"]["vendor"] == vendor
    assert report["parameters"] | TINY == report["parameters"]
    assert report["machine"]["cpu_count"] >= 1
    assert set(report["figures"]) == FIGURES
    for name, figure in report["figures"].items():
        assert figure["value"] > 0, name
        if name == "bench_duration_s":  # the only figure without a baseline
            assert figure["baseline"] is None
            continue
        assert figure["baseline"] > 0, name
        assert figure["ratio"] > 0, name
    phases = report["details"]["api"]["phases"]
    assert {p: phases[p]["errors"] for p in phases} == dict.fromkeys(phases, 0)
    assert report["details"]["seed"]["leads"] == TINY["leads"]
    sweep = report["details"]["sweep"]
    # The sweep breached exactly the clocks the raw UPDATE would have.
    assert sweep["breached"] == sweep["baseline_rows"] >= TINY["sweep_leads"] // 100
    assert report["warnings"] == [] or all("client used" in w for w in report["warnings"])
    # The queue page was measured for a rep holding the 3,000 open leads.
    assert report["details"]["queue"]["open_leads"] == 3000
    # The model was applied to --leads open leads, the seed's own and as many added
    # (none if the seed and the queue's rep already hold more).
    rescoring = report["details"]["scoring"]["rescoring"]
    before = rescoring["open_leads"] - rescoring["added"]
    assert rescoring["rescored"] == rescoring["open_leads"] == max(TINY["leads"], before)


def test_bench_on_a_fresh_sqlite_file_writes_every_figure(tmp_path: Path) -> None:
    report, table = run_bench(tmp_path)

    assert (tmp_path / f"{report['date']}-sqlite-{TINY['leads']}.json").exists()
    assert_complete(report, "sqlite")
    assert "API intake (POST /api/v1/leads, Idempotency-Key)" in table
    # Targets are stated for 100,000 leads on PostgreSQL; this run shows them as indicative.
    assert not any(f["target_applies"] for f in report["figures"].values())
    assert "(yes)/(NO)" in table


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs a PostgreSQL server")
def test_bench_on_postgresql_creates_and_drops_its_own_database(tmp_path: Path) -> None:
    import psycopg

    url = os.environ["DATABASE_URL"]
    report, _ = run_bench(tmp_path, database=url)

    assert_complete(report, "postgresql")
    assert report["details"]["copy"]["method"] == "COPY"
    name = report["database"]["name"]
    assert name.endswith(f"_bench_{os.getpid()}")
    settings = connection.settings_dict
    with psycopg.connect(
        host=settings["HOST"] or None,
        port=settings["PORT"] or None,
        user=settings["USER"] or None,
        password=settings["PASSWORD"] or None,
        dbname="postgres",
    ) as conn:
        left = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchall()
    assert left == []


def test_percentile_is_an_observed_value_by_nearest_rank() -> None:
    values = [float(v) for v in range(1, 101)]

    assert percentile(values, 50) == 50
    assert percentile(values, 99) == 99
    assert percentile([3.0], 99) == 3.0
    assert percentile([], 50) == 0.0


def test_a_target_for_another_size_or_database_is_shown_in_parentheses() -> None:
    fig = Figure(
        "api_list_rps",
        "API list",
        "req/s",
        40.0,
        100.0,
        "bare",
        Target("≥ 0.5x bare", "min_ratio", 0.5),
    )
    report = {
        "figures": {fig.name: fig.as_json(vendor="sqlite", leads=300)},
        "parameters": {"leads": 300, "requests": 10, "concurrency": 2, "workers": 2},
        "database": {"vendor": "sqlite", "version": "3"},
        "machine": {"cpu_count": 2},
    }

    assert report["figures"]["api_list_rps"]["ok"] is False
    assert "(NO)" in format_table(report)
    on_target = fig.as_json(vendor="postgresql", leads=100_000)
    assert on_target["target_applies"] is True
    assert on_target["ratio"] == 0.4
