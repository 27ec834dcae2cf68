"""`leadloop export leads [--format csv|xlsx] [--output FILE]`: the lead list, filtered, to a file.

The columns are what `leadloop import leads FILE --mapping leadloop` reads
back. Without `--output` a CSV goes to standard output (an XLSX needs a file).
"""

from __future__ import annotations

import sys
from contextlib import nullcontext
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from leadloop.accounts.models import Team, User
from leadloop.campaigns.models import Campaign
from leadloop.cli.options import by_name, moment
from leadloop.imports.models import LeadImport
from leadloop.leads.choices import Stage
from leadloop.leads.export import export_csv, export_leads
from leadloop.leads.models import Lead
from leadloop.leads.selectors import LeadFilters, narrow_leads, visible_leads
from leadloop.lib import sheets


class Command(BaseCommand):
    help = "Export leads to CSV or XLSX (the columns `import --mapping leadloop` reads back)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("what", choices=["leads"], help="What to export: leads")
        parser.add_argument("--format", choices=["csv", "xlsx"], default=None)
        parser.add_argument("--output", "-o", help="File to write (default: CSV to stdout)")
        parser.add_argument("--stage", help="Stage(s), comma-separated, e.g. new,working")
        parser.add_argument("--campaign", help="Campaign id or name")
        parser.add_argument("--team", help="Team id or name")
        parser.add_argument("--owner", help="Inside rep: id or user name")
        parser.add_argument("--sales-rep", dest="sales_rep", help="Sales rep: id or user name")
        parser.add_argument("--created-from", dest="created_from", help="YYYY-MM-DD or ISO time")
        parser.add_argument("--created-to", dest="created_to", help="Before this day or time")
        parser.add_argument("--q", help="Email, or the start of a last name or company")
        parser.add_argument("--import", dest="lead_import", help="Leads made by this import id")
        parser.add_argument("--user", help="Export what this user may see (default: all leads)")

    def handle(self, *args: Any, **opts: Any) -> None:
        output = opts["output"]
        fmt = opts["format"] or ("xlsx" if output and output.lower().endswith(".xlsx") else "csv")
        if fmt == "xlsx" and not output:
            raise CommandError("an XLSX export needs --output FILE.xlsx")
        leads = self._leads(opts)
        total = leads.count()
        bar = tqdm(
            total=total,
            unit=" leads",
            disable=not sys.stderr.isatty(),
            file=sys.stderr,
            desc="export",
        )
        try:
            if fmt == "xlsx":
                export = export_leads(leads)

                def counted(rows: Any) -> Any:
                    for row in rows:
                        bar.update(1)
                        yield row

                sheets.write_xlsx(output, export.header, counted(export.rows))
            else:
                with Path(output).open("wb") if output else nullcontext(sys.stdout.buffer) as out:
                    out.write("\ufeff".encode())
                    for chunk in export_csv(leads):
                        out.write(chunk)
                        # Lines, not leads: a quoted newline counts twice; a bar, not a tally.
                        bar.update(chunk.count(b"\n"))
                    out.flush()
        finally:
            bar.close()
        if output:
            self.stderr.write(f"{total} leads written to {output} ({fmt})")

    def _leads(self, opts: dict[str, Any]) -> Any:
        stage = opts.get("stage")
        if stage:
            unknown = [s for s in stage.split(",") if s not in Stage.values]
            if unknown:
                raise CommandError(
                    f"--stage {','.join(unknown)}: not a stage; one of {', '.join(Stage.values)}"
                )
        owner = by_name(User, opts.get("owner"), "username", "--owner")
        sales_rep = by_name(User, opts.get("sales_rep"), "username", "--sales-rep")
        campaign = by_name(Campaign, opts.get("campaign"), "name", "--campaign")
        team = by_name(Team, opts.get("team"), "name", "--team")
        lead_import = by_name(LeadImport, opts.get("lead_import"), "file_name", "--import")
        filters = LeadFilters(
            stage=stage or None,
            owner=owner.pk if owner else None,
            sales_rep=sales_rep.pk if sales_rep else None,
            campaign=campaign.pk if campaign else None,
            team=team.pk if team else None,
            created_from=moment(opts.get("created_from"), "--created-from"),
            created_to=moment(opts.get("created_to"), "--created-to"),
            q=opts.get("q") or None,
            lead_import=lead_import.pk if lead_import else None,
        )
        user = by_name(User, opts.get("user"), "username", "--user")
        base = visible_leads(user) if isinstance(user, User) else Lead.objects.all()
        return narrow_leads(base, filters)
