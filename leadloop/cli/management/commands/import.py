"""`leadloop import leads FILE`: bring a CRM export or a spreadsheet of leads in.

    leadloop import leads export.csv --mapping salesforce --campaign "Salesforce import"
    leadloop import leads fair.xlsx --sheet Visitors --campaign "Fair 2026" --channel trade_show
    leadloop import leads contacts.csv --mapping map.json --dry-run --format json
    leadloop import resume 12          # carry on after an interruption
    leadloop import list               # the imports so far
    leadloop import show 12 --errors bad-rows.csv
    leadloop import show 12 --mapping map.json   # the mapping it guessed, to edit

A progress bar shows on a terminal; Ctrl-C stops between batches and says
how to resume. The summary says what was created, found again, reopened,
skipped and why (line, column, reason); `--format json` prints it as one
JSON object.
"""

from __future__ import annotations

import json
import signal
import sys
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone
from tqdm import tqdm

from leadloop.accounts.models import Team, User
from leadloop.campaigns.choices import Channel
from leadloop.cli.options import by_name
from leadloop.imports.models import ImportProblem, LeadImport, OnError
from leadloop.imports.selectors import error_rows
from leadloop.imports.services import BUILT_IN, create_import, store_path
from leadloop.imports.values import DATE_ORDERS
from leadloop.lib import sheets
from leadloop.lib.times import now_option
from leadloop.lifecycle.imports import (
    ImportBusy,
    ImportInterrupted,
    ImportRefused,
    ImportSummary,
    run_import,
)


class Command(BaseCommand):
    help = "Import leads from a CSV or XLSX file (CRM exports: Salesforce, HubSpot, Pipedrive)."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="what", required=True)
        leads = sub.add_parser("leads", help="Import a file of leads")
        leads.add_argument("file", help="CSV (any encoding, , ; or tab), XLSX, XLS or ODS")
        leads.add_argument(
            "--mapping",
            default="auto",
            help=f"{'|'.join(BUILT_IN)} or a mapping file MAP.json (default: auto)",
        )
        leads.add_argument("--campaign", help="Campaign name (created if it does not exist)")
        leads.add_argument(
            "--channel",
            default=Channel.OTHER,
            choices=Channel.values,
            help="The channel of a campaign this import creates (default: other)",
        )
        leads.add_argument("--team", help="Teleprospecting team whose reps get the open rows")
        leads.add_argument("--date-order", dest="date_order", choices=DATE_ORDERS)
        leads.add_argument("--sheet", help="The spreadsheet's sheet (default: the first)")
        leads.add_argument("--dry-run", action="store_true", help="Check and count; write nothing")
        leads.add_argument(
            "--on-error",
            dest="on_error",
            choices=OnError.values,
            default=OnError.SKIP,
            help="skip: import the good rows; abort: nothing if any row is bad",
        )
        leads.add_argument(
            "--update", action="store_true", help="Fill a matched open lead's empty fields"
        )
        leads.add_argument("--user", help="Import as this user (recorded as who did it)")
        _common(leads)
        resume = sub.add_parser("resume", help="Finish an interrupted import")
        resume.add_argument("id", type=int)
        resume.add_argument("--user", help="Resume as this user")
        _common(resume)
        listing = sub.add_parser("list", help="The imports so far, newest first")
        listing.add_argument("--limit", type=int, default=20)
        listing.add_argument("--format", choices=["table", "json"], default="table")
        show = sub.add_parser("show", help="One import: its counts and its problems")
        show.add_argument("id", type=int)
        show.add_argument("--errors", help="Write the rows with problems to this CSV file")
        show.add_argument(
            "--mapping",
            help="Write the import's mapping (the one guessed, or given) to this JSON file, "
            "to edit and give to `import leads --mapping`",
        )
        show.add_argument("--format", choices=["table", "json"], default="table")

    def handle(self, *args: Any, **opts: Any) -> None:
        what = opts["what"]
        if what == "list":
            self._list(opts)
        elif what == "show":
            self._show(opts)
        elif what == "resume":
            lead_import = LeadImport.objects.filter(pk=opts["id"]).first()
            if lead_import is None:
                raise CommandError(f"no import {opts['id']}; `leadloop import list` shows them")
            self._run(lead_import, opts, dry_run=False)
        else:
            self._leads(opts)

    def _leads(self, opts: dict[str, Any]) -> None:
        path = Path(opts["file"])
        if not path.is_file():
            raise CommandError(f"{path}: no such file")
        now = now_option(opts.get("now"))
        actor = by_name(User, opts.get("user"), "username", "--user")
        team = by_name(Team, opts.get("team"), "name", "--team")
        mapping = opts["mapping"]
        if mapping.lower() not in BUILT_IN:
            mapping_file = Path(mapping)
            if not mapping_file.is_file():
                raise CommandError(
                    f"--mapping {mapping}: neither a built-in mapping ({', '.join(BUILT_IN)}) "
                    "nor a file"
                )
            mapping = mapping_file.read_text(encoding="utf-8-sig")
        try:
            stored = store_path(path)
            lead_import = create_import(
                stored=stored,
                file_name=path.name,
                actor=actor if isinstance(actor, User) else None,
                now=now,
                mapping=mapping,
                campaign_name=(opts.get("campaign") or "").strip() or f"Import of {path.name}",
                channel=opts["channel"],
                team=team if isinstance(team, Team) else None,
                sheet=opts.get("sheet") or "",
                date_order=opts.get("date_order") or "",
                on_error=opts["on_error"],
                update_existing=opts["update"],
            )
        except ValidationError as exc:
            raise CommandError(_refusal(exc)) from None
        self._run(lead_import, opts, dry_run=opts["dry_run"])

    def _run(
        self,
        lead_import: LeadImport,
        opts: dict[str, Any],
        *,
        dry_run: bool,
    ) -> None:
        as_json = opts.get("format") == "json"
        actor = by_name(User, opts.get("user"), "username", "--user")
        stopping = {"now": False}

        def stop(*_: Any) -> None:
            if stopping["now"]:
                raise KeyboardInterrupt
            stopping["now"] = True
            self.stderr.write("stopping after this batch (Ctrl-C again to stop at once)")

        previous = signal.signal(signal.SIGINT, stop)
        bar = tqdm(
            total=max(lead_import.bytes_total, 1),
            unit="B",
            unit_scale=True,
            disable=not sys.stderr.isatty() or as_json,
            file=sys.stderr,
            desc="check" if dry_run else "import",
        )

        def progress(current: LeadImport) -> None:
            bar.n = min(current.bytes_read, lead_import.bytes_total)
            bar.set_postfix(rows=current.rows_read, refresh=False)
            bar.refresh()

        try:
            summary = run_import(
                lead_import,
                actor=actor if isinstance(actor, User) else None,
                now=now_option(opts.get("now")) if opts.get("now") else timezone.now(),
                dry_run=dry_run,
                progress=progress,
                stop=lambda: stopping["now"],
            )
        except (ImportRefused, ValidationError) as exc:
            refusal = _refusal(exc)
            if any(line.startswith("mapping:") for line in refusal.splitlines()):
                refusal += (
                    f"\n`leadloop import show {lead_import.pk} --mapping map.json` writes the "
                    "mapping it used; edit it and import again with `--mapping map.json`."
                )
            raise CommandError(refusal) from None
        except (ImportInterrupted, ImportBusy) as exc:
            raise CommandError(str(exc)) from None
        finally:
            bar.close()
            signal.signal(signal.SIGINT, previous)
        self._print(summary, as_json=as_json)

    def _print(self, summary: ImportSummary, *, as_json: bool) -> None:
        if as_json:
            self.stdout.write(json.dumps(summary.as_dict(), ensure_ascii=False))
            return
        verb = "would not be" if summary.dry_run else "were not"
        lines = [
            f"import {summary.id}{' (dry run: nothing written)' if summary.dry_run else ''}: "
            f"{summary.rows} rows read",
            f"  created     {summary.created:>8}  new leads",
            f"  reopened    {summary.reopened:>8}  returning prospects (a new inquiry each)",
            f"  duplicates  {summary.duplicates:>8}  of open leads (recorded on them)"
            + (f", {summary.updated} filled in" if summary.updated else ""),
            f"  unchanged   {summary.unchanged:>8}  already imported",
            f"  skipped     {summary.skipped:>8}  rows that {verb} imported",
        ]
        if summary.message:
            lines.append(summary.message)
        for error in summary.errors[:20]:
            column = f", {error['column']}" if error["column"] else ""
            lines.append(f"  line {error['line']}{column}: {error['message']}")
        if summary.error_count > 20:
            lines.append(
                f"  ... {summary.error_count - 20} more: "
                f"`leadloop import show {summary.id} --errors bad-rows.csv` writes them all"
            )
        for who, count in sorted(summary.unknown_people.items())[:10]:
            lines.append(
                f"  '{who}' ({count} rows) is no leadloop user: map it under \"owners\" in a "
                "mapping file, or the rows are assigned by the rules"
            )
        self.stdout.write("\n".join(lines))

    def _list(self, opts: dict[str, Any]) -> None:
        imports = LeadImport.objects.select_related("campaign", "created_by")[: opts["limit"]]
        if opts["format"] == "json":
            self.stdout.write(json.dumps([_brief(i) for i in imports]))
            return
        self.stdout.write(
            f"{'id':>5}  {'state':<8}  {'created':<16}  {'file':<30}  "
            f"{'new':>7} {'dup':>7} {'reop':>6} {'skip':>6}"
        )
        for i in imports:
            self.stdout.write(
                f"{i.pk:>5}  {i.state:<8}  {i.created_at:%Y-%m-%d %H:%M}  {i.file_name[:30]:<30}  "
                f"{i.created:>7} {i.duplicates:>7} {i.reopened:>6} {i.skipped:>6}"
            )

    def _show(self, opts: dict[str, Any]) -> None:
        lead_import = LeadImport.objects.filter(pk=opts["id"]).first()
        if lead_import is None:
            raise CommandError(f"no import {opts['id']}; `leadloop import list` shows them")
        if opts.get("errors"):
            header, rows = error_rows(lead_import, dry_run=False)
            with Path(opts["errors"]).open("wb") as out:
                written = sheets.write_csv(out, header, rows)
            self.stderr.write(f"{written} rows with problems written to {opts['errors']}")
        if opts.get("mapping"):
            Path(opts["mapping"]).write_text(
                json.dumps(lead_import.mapping, indent=2, ensure_ascii=False) + "\n",
                encoding="utf-8",
            )
            self.stderr.write(f"import {lead_import.pk}'s mapping written to {opts['mapping']}")
        if opts["format"] == "json":
            data = _brief(lead_import) | {
                "errors": [
                    {"line": p.line, "column": p.column, "message": p.message}
                    for p in ImportProblem.objects.filter(lead_import=lead_import, dry_run=False)[
                        :1000
                    ]
                ]
            }
            self.stdout.write(json.dumps(data, ensure_ascii=False))
            return
        b = _brief(lead_import)
        self.stdout.write("\n".join(f"{k:>14}: {v}" for k, v in b.items()))


def _common(parser: CommandParser) -> None:
    parser.add_argument("--format", choices=["table", "json"], default="table")
    parser.add_argument("--now", help="The present, ISO 8601 with offset (default: now)")


def _brief(i: LeadImport) -> dict[str, Any]:
    return {
        "id": i.pk,
        "state": i.state,
        "file": i.file_name,
        "created_at": i.created_at.isoformat(),
        "by": str(i.created_by) if i.created_by else None,
        "campaign": i.campaign.name if i.campaign else None,
        "mapping": i.mapping_name,
        "rows": i.rows_read,
        "created": i.created,
        "duplicates": i.duplicates,
        "reopened": i.reopened,
        "updated": i.updated,
        "unchanged": i.unchanged,
        "skipped": i.skipped,
        "error_count": i.error_count,
        "progress": round(i.progress, 3),
        "message": i.message,
    }


def _refusal(exc: ValidationError) -> str:
    if hasattr(exc, "error_dict"):
        parts = []
        for field, errors in exc.message_dict.items():
            for message in errors:
                parts.append(f"{field}: {message}" if field != "__all__" else message)
        return "\n".join(parts)
    return "; ".join(exc.messages)
