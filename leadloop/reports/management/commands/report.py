"""`leadloop report NAME --format table|csv|json`: any report on the command line, with the
web page's filters. Teams, campaigns and reps may be given by id or by name."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db.models import Model
from django.utils import timezone

from leadloop.accounts.models import Team, User
from leadloop.campaigns.models import Campaign
from leadloop.lib.times import now_option
from leadloop.lib.zones import zone_named
from leadloop.reports import filters as report_filters
from leadloop.reports import registry
from leadloop.reports.render import csv_text, report_json, report_text
from leadloop.reports.scope import NotAllowed, Viewer


def resolve(model: type[Model], value: str | None, field: str, option: str) -> str | None:
    """An id given as a number or as a name (case-insensitive)."""
    if value is None or value == "":
        return None
    if value.isdigit():
        return value
    found = list(
        model._default_manager.filter(**{f"{field}__iexact": value}).values_list("pk", flat=True)[
            :2
        ]
    )
    if len(found) != 1:
        raise CommandError(
            f"{option} '{value}' matches {len(found) or 'no'} {model.__name__.lower()}s"
        )
    return str(found[0])


def add_filter_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--from", dest="date_from", help="First day, YYYY-MM-DD (default: 365 days back)"
    )
    parser.add_argument("--to", dest="date_to", help="Last day, inclusive (default: today)")
    parser.add_argument("--team", help="Team id or name")
    parser.add_argument("--campaign", help="Campaign id or name")
    parser.add_argument("--channel", help="Channel, e.g. web_rfi")
    parser.add_argument("--rep", help="Rep: user id or username")
    parser.add_argument(
        "--lead-team", dest="lead_team", help="Teleprospecting team the leads came through"
    )
    parser.add_argument("--user", help="Read as this user (what she may see); default: everything")
    parser.add_argument("--now", help="The present, ISO 8601 with offset (default: now)")


def filter_data(opts: dict[str, Any]) -> dict[str, Any]:
    return {
        "date_from": opts.get("date_from"),
        "date_to": opts.get("date_to"),
        "team": resolve(Team, opts.get("team"), "name", "--team"),
        "campaign": resolve(Campaign, opts.get("campaign"), "name", "--campaign"),
        "channel": opts.get("channel"),
        "rep": resolve(User, opts.get("rep"), "username", "--rep"),
        "lead_team": resolve(Team, opts.get("lead_team"), "name", "--lead-team"),
        "by": opts.get("by"),
        "attribute": opts.get("attribute"),
    }


def viewer_for(username: str | None) -> Viewer:
    if not username:
        return Viewer.everything()
    user = User.objects.filter(username=username).first()
    if user is None:
        raise CommandError(f"--user '{username}': no such user")
    return Viewer(user=user, tz=zone_named(user.timezone))


class Command(BaseCommand):
    help = "Print a report (" + ", ".join(registry.REPORTS) + ") as a table, CSV or JSON."

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("name", choices=sorted(registry.REPORTS), help="The report")
        parser.add_argument("--format", choices=["table", "csv", "json"], default="table")
        parser.add_argument("--table", help="CSV: which table (default: the first)")
        parser.add_argument("--by", help="funnel: channel, campaign, team or an attribute")
        parser.add_argument(
            "--attribute", help="unreachable: one attribute (attributes.NAME for custom)"
        )
        parser.add_argument("--output", type=Path, help="Write to this file instead of stdout")
        add_filter_arguments(parser)

    def handle(self, *args: Any, **opts: Any) -> None:
        viewer = viewer_for(opts.get("user"))
        try:
            spec = registry.allowed(opts["name"], viewer)
        except NotAllowed as exc:
            raise CommandError(str(exc)) from None
        now = now_option(opts.get("now"))
        filters, errors = report_filters.parse(
            filter_data(opts),
            user=viewer.user,
            report=spec.name,
            today=now.astimezone(viewer.tz).date(),
        )
        if errors:
            # A filter she may not use refuses the report, as the page and the API do.
            raise CommandError(
                "; ".join(f"{field}: {' '.join(msgs)}" for field, msgs in errors.items())
            )
        with timezone.override(viewer.tz):
            report = registry.run(spec.name, viewer, filters, now=now)
        if opts["format"] == "json":
            text = json.dumps(report_json(report), indent=2) + "\n"
        elif opts["format"] == "csv":
            key = opts.get("table") or report.tables[0].key
            try:
                text = csv_text(report.table(key))
            except KeyError:
                keys = ", ".join(t.key for t in report.tables)
                raise CommandError(f"--table '{key}': one of {keys}") from None
        else:
            text = report_text(report)
        if opts.get("output"):
            opts["output"].write_text(text, encoding="utf-8")
            self.stderr.write(f"Wrote {opts['output']}")
        else:
            self.stdout.write(text, ending="")
