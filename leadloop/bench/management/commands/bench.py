"""`leadloop bench`: throughput, latency and memory on a fresh database, with baselines.

Every figure is paired with a baseline measured in the same run (a bare
Django endpoint, a raw COPY or executemany, a raw UPDATE), so the ratio
still means something on a busy or slow machine.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from leadloop.bench.measures import TRANSITIONS
from leadloop.bench.report import format_table, write_readme
from leadloop.bench.runner import Options, run
from leadloop.bench.sweep import SWEEP_LEADS

RESULTS = Path(settings.BASE_DIR) / "bench" / "results"
README = Path(settings.BASE_DIR) / "bench" / "README.md"


def positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise ValueError(text)
    return value


def not_negative(text: str) -> int:
    value = int(text)
    if value < 0:
        raise ValueError(text)
    return value


class Command(BaseCommand):
    help = (
        "Measure API intake and listing (real HTTP server, concurrent client), seeding and "
        "transitions, token authentication, the queue page, reports, the SLA sweep and more "
        "on a fresh database, each beside a baseline; print a table and write "
        "bench/results/<date>-<database>-<leads>.json (and bench/README.md from those files)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--leads", type=positive, default=100_000, help="Leads to seed (default 100,000)."
        )
        parser.add_argument(
            "--database",
            metavar="URL",
            help="postgres://user@host:port/NAME: the bench creates and drops "
            "NAME_bench_<pid> there. Default: a temporary SQLite file.",
        )
        parser.add_argument(
            "--requests",
            type=positive,
            default=2000,
            help="Requests per measured endpoint (default 2000).",
        )
        parser.add_argument(
            "--concurrency",
            type=positive,
            default=8,
            help="Requests in flight at once (default 8).",
        )
        parser.add_argument(
            "--workers", type=positive, default=2, help="gunicorn worker processes (default 2)."
        )
        parser.add_argument(
            "--transitions",
            type=positive,
            default=TRANSITIONS,
            help="Transitions to time, and raw UPDATEs as their baseline (default 200).",
        )
        parser.add_argument(
            "--sweep-leads",
            type=not_negative,
            default=SWEEP_LEADS,
            help="Open leads (1%% of them due) for the SLA sweep, added after the rest "
            "(default 1,000,000; 0 skips it).",
        )
        parser.add_argument(
            "--import-rows",
            type=not_negative,
            default=100_000,
            help="Salesforce-format rows to import into the seeded leads (default 100,000; "
            "0 skips it).",
        )
        parser.add_argument(
            "--webhook-events",
            type=not_negative,
            default=1_000,
            help="Webhook messages to queue and deliver to a local receiver (default 1,000; "
            "0 skips it, and the outbox's cost on a transition with it).",
        )
        parser.add_argument(
            "--no-scoring",
            action="store_true",
            help="Skip lead scoring's figures (tuning on --leads synthetic closed leads, "
            "rescoring --leads open leads, the seed's and added ones, intake with a model).",
        )
        parser.add_argument("--seed", type=int, default=1, help="Seed of the demo data.")
        parser.add_argument(
            "--output",
            type=Path,
            default=RESULTS,
            help="Directory for the JSON file (default bench/results).",
        )
        parser.add_argument(
            "--keep", action="store_true", help="Keep the fresh database afterwards, to look at it."
        )
        parser.add_argument(
            "--readme",
            action="store_true",
            help="Measure nothing: rewrite bench/README.md from the JSON files in --output.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        began = time.monotonic()
        results_dir = Path(options["output"])
        if options["readme"]:
            path = write_readme(results_dir, README)
            self.stdout.write(f"written {path} from {results_dir}")
            return

        def log(message: str) -> None:
            self.stderr.write(f"bench [{time.monotonic() - began:6.1f}s] {message}")
            self.stderr.flush()

        opts = Options(
            leads=options["leads"],
            database=options["database"],
            requests=options["requests"],
            concurrency=options["concurrency"],
            workers=options["workers"],
            output=options["output"],
            keep=options["keep"],
            transitions=options["transitions"],
            seed=options["seed"],
            sweep_leads=options["sweep_leads"],
            import_rows=options["import_rows"],
            webhook_events=options["webhook_events"],
            scoring=not options["no_scoring"],
        )
        try:
            report, path = run(opts, log=log)
        except KeyboardInterrupt:
            raise CommandError(
                "interrupted; the server is stopped and the database dropped"
            ) from None
        self.stdout.write(format_table(report))
        self.stdout.write(f"\nwritten to {path}")
        if results_dir.resolve() == RESULTS.resolve():
            self.stdout.write(f"{write_readme(results_dir, README)} rewritten from {results_dir}")
