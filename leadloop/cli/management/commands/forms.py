"""`leadloop forms list [--campaign NAME] [--json]`: the web forms, their keys and numbers."""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from leadloop.campaigns.models import Campaign
from leadloop.cli.options import by_name
from leadloop.webforms.models import Form
from leadloop.webforms.selectors import stats, with_counts


class Command(BaseCommand):
    help = "List the web forms: key, campaign, state, views, submissions, leads, spam."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("what", choices=["list"], help="list")
        parser.add_argument("--campaign", help="Campaign id or name")
        parser.add_argument("--json", action="store_true", help="One JSON object per form")

    def handle(self, *args: Any, **opts: Any) -> None:
        forms = with_counts(Form.objects.select_related("campaign")).order_by("name", "pk")
        if opts["campaign"]:
            campaign = by_name(Campaign, opts["campaign"], "name", "--campaign")
            forms = forms.filter(campaign_id=campaign.pk if campaign is not None else 0)
        base = settings.LEADLOOP_BASE_URL.rstrip("/")
        found = [(form, stats(form)) for form in forms]
        if opts["json"]:
            for form, numbers in found:
                row = {
                    "id": form.pk,
                    "name": form.name,
                    "campaign": form.campaign.name,
                    "active": form.is_active,
                    "page_url": f"{base}/f/{form.key}",
                }
                self.stdout.write(json.dumps(row | numbers.as_json()))
            return
        if not found:
            self.stdout.write("No web forms.")
            return
        header = f"{'id':>5}  {'name':<28} {'campaign':<24} {'state':<7} {'views':>7} "
        header += f"{'sent':>7} {'leads':>7} {'conv':>6} {'spam':>6}  page"
        self.stdout.write(header)
        for form, n in found:
            conv = "-" if n.conversion is None else f"{n.conversion:.0%}"
            state = "active" if form.is_active else "paused"
            self.stdout.write(
                f"{form.pk:>5}  {form.name[:28]:<28} {form.campaign.name[:24]:<24} {state:<7} "
                f"{n.views:>7} {n.submissions:>7} {n.leads_created:>7} "
                f"{conv:>6} {n.spam_total:>6}  {base}/f/{form.key}"
            )
