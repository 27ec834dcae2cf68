"""`leadloop tick [--now ISO]`: run one tick (SLA sweep, follow-up, digests, emails) now."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from leadloop.lib.times import iso_utc, now_option
from leadloop.tick.services import run_tick


class Command(BaseCommand):
    help = (
        "Run one tick: SLA breaches, at-risk warnings, escalations, follow-up recycling, "
        "late steps and purgatory, digests, queued emails."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--now", help="the time to run at (ISO 8601 with offset); default now")
        parser.add_argument("--json", action="store_true", help="print the result as JSON")

    def handle(self, *args: Any, **options: Any) -> None:
        result = run_tick(now=now_option(options["now"]))
        if options["json"]:
            self.stdout.write(json.dumps(result.as_dict()))
            return
        s, f = result.sweep, result.followup
        self.stdout.write(
            f"Tick at {iso_utc(result.now)}: {s.breached} breached, {s.escalated} escalated, "
            f"{s.warned} at risk, {s.notifications} notifications; "
            f"follow-up: {f.recycled} recycled, {f.late} steps late, "
            f"{f.purgatory_flagged} in purgatory; "
            f"{result.emails} emails and {result.digests} digests sent; "
            f"{result.idempotency_purged} Idempotency-Key answers past their window deleted; "
            f"webhooks: {result.webhooks.delivered} of {result.webhooks.sent} sent delivered."
        )
        if (stopped := result.scoring_finishing) is not None:
            self.stdout.write(
                f"Scoring: model v{stopped.version}'s apply had stopped; finishing it "
                f"({stopped.remaining} of {stopped.open_leads} open leads left to rescore)."
            )
