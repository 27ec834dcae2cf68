"""`leadloop review --month 2026-10 [--team-pair NAME] --output FILE.pdf`: the monthly
review pack as a PDF (and, with --html, as a page), a section per team pair."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.template.loader import render_to_string
from django.utils import timezone

from leadloop.lib.times import now_option
from leadloop.reports import review
from leadloop.reports.management.commands.report import viewer_for
from leadloop.reports.pdf import render_pdf
from leadloop.reports.scope import NotAllowed


class Command(BaseCommand):
    help = (
        "Write the monthly review pack: SLA compliance, sales accountability, reasons with "
        "training flags and every lead handed off that month, per team pair."
    )

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--month", required=True, help="The month, YYYY-MM")
        parser.add_argument(
            "--team-pair",
            dest="team_pair",
            help="'TELE TEAM / SALES TEAM', or one team's name for all its pairs "
            "(default: every pair)",
        )
        parser.add_argument("--output", type=Path, required=True, help="The PDF to write")
        parser.add_argument("--html", type=Path, help="Also write the pack as an HTML page")
        parser.add_argument("--user", help="Build it as this user (what she may see)")
        parser.add_argument("--now", help="The present, ISO 8601 with offset (default: now)")
        parser.add_argument(
            "--uncompressed", action="store_true", help="Leave the PDF's text streams plain"
        )

    def handle(self, *args: Any, **opts: Any) -> None:
        viewer = viewer_for(opts.get("user"))
        now = now_option(opts.get("now"))
        quiet = opts.get("verbosity", 1) == 0

        def progress(done: int, total: int, pair: review.Pair) -> None:
            if not quiet:
                self.stderr.write(f"[{done + 1}/{total}] {pair.name} ...")
                sys.stderr.flush()

        try:
            with timezone.override(viewer.tz):
                pack = review.build_pack(
                    viewer,
                    month=review.parse_month(opts["month"]),
                    now=now,
                    pair=opts.get("team_pair"),
                    progress=progress,
                )
                html = (
                    render_to_string("reports/review_print.html", {"pack": pack})
                    if opts.get("html")
                    else ""
                )
        except (review.PackError, NotAllowed) as exc:
            raise CommandError(str(exc)) from None
        data = render_pdf(pack, compress=not opts["uncompressed"])
        opts["output"].write_bytes(data)
        if opts.get("html"):
            opts["html"].write_text(html, encoding="utf-8")
        if not quiet:
            self.stderr.write(
                f"Wrote {opts['output']} ({len(pack.sections)} section(s), {len(data):,} bytes)"
            )
