"""Internal to `leadloop bench`: run one measured part and print its result as JSON.

Each part runs in its own process, started with DATABASE_URL pointing at the
bench's fresh database, so its figures (and its peak memory) are its own.
"""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from leadloop.bench import imports, measures, scoring, sweep, webhooks
from leadloop.reports.bench import measure_reports

RESULT_PREFIX = "BENCH-RESULT "
PARTS = (
    "info",
    "copy",
    "seed",
    "prepare-api",
    "transitions",
    "auth",
    "queue",
    "reports",
    "import",
    "export",
    "sweep",
    "webhooks",
    "scoring-tune",
    "scoring-rescore",
)


class Command(BaseCommand):
    help = "Internal to `leadloop bench`: measure one part, print a JSON result line."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("part", choices=PARTS)
        parser.add_argument("--leads", type=int, default=0)
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--progress", action="store_true")
        parser.add_argument("--count", type=int, default=measures.TRANSITIONS)
        parser.add_argument("--open-leads", type=int, default=sweep.SWEEP_LEADS)
        parser.add_argument("--rows", type=int, default=100_000)
        parser.add_argument("--events", type=int, default=webhooks.WEBHOOK_EVENTS)
        parser.add_argument("--requests", type=int, default=measures.QUEUE_REQUESTS)

    def handle(self, *args: Any, **options: Any) -> None:
        part = options["part"]
        if part == "info":
            result = measures.db_info()
        elif part == "copy":
            result = measures.copy_baseline(rows=options["leads"])
        elif part == "seed":
            result = measures.seed(
                leads=options["leads"], seed=options["seed"], progress=options["progress"]
            )
        elif part == "prepare-api":
            result = measures.prepare_api()
        elif part == "auth":
            result = measures.token_auth(calls=options["count"])
        elif part == "queue":
            result = measures.queue_page(
                open_leads=options["open_leads"], requests=options["requests"]
            )
        elif part == "reports":
            result = measure_reports(repeat=3)
        elif part == "import":
            result = imports.measure_import(rows=options["rows"])
        elif part == "export":
            result = imports.measure_export()
        elif part == "webhooks":
            result = webhooks.measure_webhooks(
                events=options["events"], transitions=options["count"]
            )
        elif part == "scoring-tune":
            result = scoring.measure_tuning(leads=options["leads"])
        elif part == "scoring-rescore":
            result = scoring.measure_rescoring(open_leads=options["open_leads"])
        elif part == "sweep":
            result = sweep.measure_sweep(open_leads=options["open_leads"])
        else:
            result = measures.transitions(count=options["count"])
        self.stdout.write(RESULT_PREFIX + json.dumps(result))
