"""The import action: what each row becomes, what is written with it, and what is not."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from leadloop.imports.mapping import load_mapping
from leadloop.imports.models import ImportedRow, ImportProblem, ImportState, LeadImport
from leadloop.imports.plan import PlanError, resolve
from leadloop.imports.services import create_import, store_file
from leadloop.leads.choices import EventKind, Stage
from leadloop.leads.models import Lead, LeadEvent
from leadloop.lifecycle import import_batch, imports
from leadloop.lifecycle.edits import edit_lead
from leadloop.lifecycle.imports import ImportRefused, run_import
from leadloop.lifecycle.transitions import lead_transition
from leadloop.notifications.models import Notification
from leadloop.sla.choices import ClockKind
from leadloop.sla.models import SlaClock
from leadloop.testing import NOW, World, make_lead

SF_HEADER = [
    "First Name",
    "Last Name",
    "Title",
    "Company / Account",
    "Email",
    "Phone",
    "Lead Status",
    "Created Date",
    "Country",
    "Employees",
]


def sf_row(n: int, status: str = "Open - Not Contacted", **over: str) -> dict[str, str]:
    row = {
        "First Name": f"Ann{n}",
        "Last Name": f"Berg{n}",
        "Title": "CTO",
        "Company / Account": f"Firm {n} GmbH",
        "Email": f"ann{n}@firm{n}.example",
        "Phone": "",
        "Lead Status": status,
        "Created Date": "3/14/2024 10:22 AM",
        "Country": "Germany",
        "Employees": "120",
    }
    row.update(over)
    return row


def csv_bytes(rows: list[dict[str, str]], header: list[str] = SF_HEADER) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=header, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode()


def new_import(
    world: World, data: bytes, *, mapping: Any = "salesforce", **options: Any
) -> LeadImport:
    stored = store_file(io.BytesIO(data), file_name="leads.csv")
    options.setdefault("campaign", world.a.campaign)
    return create_import(
        stored=stored,
        file_name="leads.csv",
        actor=world.marketing,
        now=NOW,
        mapping=mapping,
        **options,
    )


def run(world: World, lead_import: LeadImport, **kw: Any) -> imports.ImportSummary:
    return run_import(lead_import, actor=world.marketing, now=NOW, **kw)


def test_open_rows_are_assigned_and_clocked_from_the_import(world: World) -> None:
    summary = run(world, new_import(world, csv_bytes([sf_row(1), sf_row(2)])))
    assert (summary.created, summary.duplicates, summary.skipped) == (2, 0, 0)
    leads = list(Lead.objects.filter(email__startswith="ann").order_by("pk"))
    assert {lead.stage for lead in leads} == {Stage.NEW}
    # The file's own date is kept as when the lead came in ...
    assert leads[0].created_at == datetime(2024, 3, 14, 9, 22, tzinfo=UTC)  # 10:22 Berlin
    # ... but its service levels count from the import, like any intake.
    clocks = SlaClock.objects.filter(lead__in=leads)
    assert {c.kind for c in clocks} == {ClockKind.FIRST_CONTACT, ClockKind.CONCLUDE}
    assert {c.started_at for c in clocks} == {NOW}
    assert all(lead.first_contact_due and lead.first_contact_due > NOW for lead in leads)
    # Round robin over the team's inside reps.
    assert {lead.owner_id for lead in leads} == {world.a.inside.pk, world.a.inside2.pk}
    imported = LeadEvent.objects.get(lead=leads[1], kind=EventKind.IMPORTED)
    assert imported.data["file"] == "leads.csv"
    assert imported.data["line"] == 3
    # Who got it, and why, is in that same event.
    assert imported.data["owner"] == leads[1].owner_id
    assert imported.data["why"] == "territory or round robin"


def test_closed_rows_are_history_without_clocks_or_notifications(world: World) -> None:
    rows = [
        sf_row(1, "Closed - Not Converted"),
        sf_row(2, "Closed - Not Converted"),
    ]
    header = [*SF_HEADER, "Reason"]
    rows[0]["Reason"] = "No budget"
    rows[1]["Reason"] = ""
    mapping = {
        "columns": {**{h: None for h in SF_HEADER}, "Email": "email", "Lead Status": "stage"}
        | {"Created Date": "created_at", "Reason": "reason_code", "Last Name": "last_name"},
        "stages": {"Closed - Not Converted": "disqualified"},
    }
    before = Notification.objects.count()
    summary = run(world, new_import(world, csv_bytes(rows, header), mapping=mapping))
    assert summary.created == 2
    first, second = Lead.objects.filter(email__startswith="ann").order_by("pk")
    assert first.stage == second.stage == Stage.DISQUALIFIED
    assert first.reason_code is not None and first.reason_code.code == "no_budget"
    # No reason in the file: coded as not recorded, never guessed.
    assert second.reason_code is not None and second.reason_code.code == "not_recorded"
    assert first.closed_at == first.created_at == datetime(2024, 3, 14, 9, 22, tzinfo=UTC)
    assert not SlaClock.objects.filter(lead__in=[first, second]).exists()
    assert Notification.objects.count() == before
    # The move is in the history at the file's time, so the reports count it.
    move = LeadEvent.objects.get(lead=first, kind=EventKind.TRANSITION)
    assert (move.action, move.to_stage, move.at) == ("disqualify", "disqualified", first.created_at)


def test_duplicates_match_open_leads_and_earlier_rows(world: World) -> None:
    existing = make_lead(world.a, email="ann1@firm1.example")
    rows = [sf_row(1), sf_row(2), sf_row(3, Email="ANN2@firm2.example")]
    summary = run(world, new_import(world, csv_bytes(rows)))
    assert (summary.created, summary.duplicates) == (1, 2)
    again = LeadEvent.objects.get(lead=existing, kind=EventKind.SUBMITTED_AGAIN)
    assert again.data["line"] == 2
    assert Lead.objects.filter(email_key="ann2@firm2.example").count() == 1


def test_an_open_row_of_a_closed_person_is_a_returning_prospect(world: World) -> None:
    closed = make_lead(world.a, email="ann1@firm1.example", owner=world.a.inside)
    lead_transition(
        lead=closed,
        action="disqualify",
        actor=world.a.inside,
        now=NOW,
        data={"reason_code": 1},
    )
    summary = run(world, new_import(world, csv_bytes([sf_row(1)])))
    assert (summary.created, summary.reopened) == (0, 1)
    new = Lead.objects.exclude(pk=closed.pk).get(email_key="ann1@firm1.example")
    assert new.previous_lead_id == closed.pk
    assert LeadEvent.objects.filter(lead=closed, kind=EventKind.RETURNED).exists()
    told = Notification.objects.filter(user=world.a.inside, lead=new)
    assert told.exists()


def test_an_anonymised_outcome_history_imports_without_contact_data(world: World) -> None:
    """Public outcome data sets carry no email or phone: their closed rows are history,
    an open row among them is refused by line, and a mapping written by hand gets its
    attributes' kinds from the file."""
    header = ["Prospect ID", "Lead Source", "TotalVisits", "Converted"]
    rows = [
        {"Prospect ID": "7927b2df", "Lead Source": "Google", "TotalVisits": "5", "Converted": "1"},
        {"Prospect ID": "2a272436", "Lead Source": "Olark", "TotalVisits": "", "Converted": "0"},
        {
            "Prospect ID": "8cc8c611",
            "Lead Source": "Google",
            "TotalVisits": "2.5",
            "Converted": "?",
        },
    ]
    mapping = {
        "columns": {
            "Prospect ID": "attributes.prospect_id",
            "Lead Source": "attributes.lead_source",
            "TotalVisits": "attributes.total_visits",
            "Converted": "stage",
        },
        "stages": {"1": "won", "0": "lost", "?": "new"},
    }
    lead_import = new_import(world, csv_bytes(rows, header), mapping=mapping)
    assert lead_import.mapping["kinds"]["total_visits"] == "number"
    summary = run(world, lead_import)
    assert (summary.created, summary.skipped) == (2, 1)
    won, lost = Lead.objects.filter(campaign=world.a.campaign).order_by("pk")
    assert (won.stage, lost.stage) == (Stage.WON, Stage.LOST)
    assert (won.email, won.phone) == ("", "")
    assert won.attributes == {"prospect_id": "7927b2df", "lead_source": "Google", "total_visits": 5}
    problem = ImportProblem.objects.get(lead_import=lead_import, dry_run=False)
    assert problem.line == 4
    assert problem.message == "an open lead needs an email or a phone number"
    # A closed lead of that history can still be corrected without inventing contact data.
    edited = edit_lead(
        lead=won, actor=world.a.tele_manager, fields={"industry": "Education"}, now=NOW
    )
    assert edited.industry == "Education"


def test_a_file_without_contact_columns_or_closed_stages_is_refused() -> None:
    header = ["Prospect ID", "Status"]
    for stages in ({"Open": "new"}, None):
        columns = {"Prospect ID": "attributes.prospect_id"}
        if stages:
            columns["Status"] = "stage"
        with pytest.raises(PlanError, match="an open lead needs one of them"):
            resolve(load_mapping({"columns": columns, "stages": stages or {}}), header)
    closed = load_mapping(
        {"columns": {"Prospect ID": "attributes.x", "Status": "stage"}, "stages": {"Won": "won"}}
    )
    assert resolve(closed, header, stage_values=["Won"]).fields == {"stage": (1,)}


def test_the_same_file_twice_creates_nothing_the_second_time(world: World) -> None:
    data = csv_bytes([sf_row(1), sf_row(2, "Closed - Not Converted"), sf_row(1)])
    first = run(world, new_import(world, data))
    leads, events = Lead.objects.count(), LeadEvent.objects.count()
    second = run(world, new_import(world, data))
    assert (first.created, first.duplicates) == (2, 1)
    assert (second.created, second.duplicates, second.unchanged) == (0, 0, 3)
    assert (Lead.objects.count(), LeadEvent.objects.count()) == (leads, events)


def test_a_dry_run_counts_exactly_and_writes_nothing(world: World) -> None:
    make_lead(world.a, email="ann1@firm1.example")
    data = csv_bytes([sf_row(1), sf_row(2), sf_row(3, Email="bad")])
    leads, events = Lead.objects.count(), LeadEvent.objects.count()
    lead_import = new_import(
        world, data, campaign=None, campaign_name="Fresh campaign", team=world.a.tele
    )
    check = run(world, lead_import, dry_run=True)
    assert (Lead.objects.count(), LeadEvent.objects.count()) == (leads, events)
    assert not ImportedRow.objects.exists()
    lead_import.refresh_from_db()
    assert lead_import.state == ImportState.CHECKED
    assert lead_import.campaign is None  # the campaign it names is made by the run only
    assert ImportProblem.objects.filter(lead_import=lead_import, dry_run=True).count() == 1
    done = run(world, lead_import)
    assert (check.created, check.duplicates, check.skipped) == (1, 1, 1)
    assert (done.created, done.duplicates, done.skipped) == (1, 1, 1)
    lead_import.refresh_from_db()
    assert lead_import.campaign is not None and lead_import.campaign.name == "Fresh campaign"


def test_abort_imports_nothing_when_a_row_is_bad(world: World) -> None:
    data = csv_bytes([sf_row(1), sf_row(2, Email="not-an-email", Phone="")])
    lead_import = new_import(world, data, on_error="abort")
    summary = run(world, lead_import)
    assert summary.state == ImportState.FAILED
    assert "nothing imported" in summary.message
    assert not Lead.objects.filter(email__startswith="ann").exists()
    problem = ImportProblem.objects.get(lead_import=lead_import, dry_run=False)
    assert (problem.line, problem.column) == (3, "Email")


def test_a_stage_value_without_target_is_refused_before_anything_is_written(
    world: World,
) -> None:
    data = csv_bytes([sf_row(1), sf_row(2, "Some Custom Status")])
    with pytest.raises(ImportRefused) as refused:
        run(world, new_import(world, data))
    assert "Some Custom Status" in str(refused.value)
    assert not Lead.objects.filter(email__startswith="ann").exists()
    lead_import = LeadImport.objects.get()
    assert lead_import.state == ImportState.FAILED
    assert "Some Custom Status" in lead_import.message


def test_update_fills_only_empty_fields(world: World) -> None:
    lead = make_lead(world.a, email="ann1@firm1.example", title="", phone="")
    data = csv_bytes([sf_row(1, Title="Head of IT", Phone="+49 30 1234567")])
    summary = run(world, new_import(world, data, update_existing=True))
    assert (summary.duplicates, summary.updated) == (1, 1)
    lead.refresh_from_db()
    assert (lead.title, lead.phone_key) == ("Head of IT", "+49301234567")
    assert LeadEvent.objects.filter(lead=lead, kind=EventKind.EDITED).exists()


def test_a_crash_mid_import_loses_no_lead_and_a_rerun_completes_it(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(imports, "BATCH_ROWS", 3)
    rows = [sf_row(n) for n in range(1, 9)] + [sf_row(1)]
    lead_import = new_import(world, csv_bytes(rows))
    real = import_batch.process
    calls = {"n": 0}

    def crashing(*args: Any, **kw: Any) -> Any:
        calls["n"] += 1
        tally = real(*args, **kw)
        if calls["n"] == 2:
            raise RuntimeError("power cut")
        return tally

    monkeypatch.setattr(import_batch, "process", crashing)
    with pytest.raises(RuntimeError):
        run(world, lead_import)
    lead_import.refresh_from_db()
    # The first batch is in, whole; the second rolled back, whole.
    assert lead_import.last_line == 4
    made = Lead.objects.filter(email__startswith="ann")
    assert made.count() == 3
    assert LeadEvent.objects.filter(lead__in=made, kind=EventKind.IMPORTED).count() == 3
    assert SlaClock.objects.filter(lead__in=made).count() == 6
    monkeypatch.setattr(import_batch, "process", real)
    summary = run(world, lead_import)
    assert summary.state == ImportState.DONE
    assert Lead.objects.filter(email__startswith="ann").count() == 8
    lead_import.refresh_from_db()
    assert (lead_import.created, lead_import.duplicates) == (8, 1)


def test_matching_takes_the_same_queries_for_ten_rows_or_two_hundred(world: World) -> None:
    """Set-based: a batch costs a fixed number of statements, not one per row."""

    def queries(n: int, offset: int) -> int:
        data = csv_bytes([sf_row(offset + i) for i in range(n)])
        lead_import = new_import(world, data)
        with CaptureQueriesContext(connection) as ctx:
            run(world, lead_import)
        return len(ctx.captured_queries)

    small, large = queries(10, 0), queries(200, 1000)
    assert large <= small + 2


def test_the_owner_in_the_file_keeps_her_leads(world: World) -> None:
    header = [*SF_HEADER, "Lead Owner"]
    rows = [sf_row(1, **{"Lead Owner": world.a.inside2.email})]
    rows.append(sf_row(2, **{"Lead Owner": "Someone Gone"}))
    summary = run(world, new_import(world, csv_bytes(rows, header)))
    assert summary.created == 2
    kept = Lead.objects.get(email_key="ann1@firm1.example")
    assert kept.owner_id == world.a.inside2.pk
    assert summary.unknown_people == {"Someone Gone": 1}
    assigned = Lead.objects.get(email_key="ann2@firm2.example")
    assert assigned.owner_id in {world.a.inside.pk, world.a.inside2.pk}
    event = LeadEvent.objects.get(lead=assigned, kind=EventKind.IMPORTED)
    assert event.data["owner_in_file"] == "Someone Gone"


def test_a_future_created_date_is_a_row_problem(world: World) -> None:
    later = (NOW + timedelta(days=30)).strftime("%m/%d/%Y")
    summary = run(world, new_import(world, csv_bytes([sf_row(1, **{"Created Date": later})])))
    assert summary.skipped == 1
    assert summary.errors[0]["column"] == "Created Date"


def test_the_stored_file_is_removed_when_the_import_is_done(world: World) -> None:
    lead_import = new_import(world, csv_bytes([sf_row(1)]))
    path = imports.file_path(lead_import)
    assert Path(path).exists()
    run(world, lead_import)
    assert not Path(path).exists()


def test_a_hubspot_export_in_utf16_through_the_database(world: World, tmp_path: Path) -> None:
    from leadloop.imports.tests.files import write_csv
    from leadloop.imports.tests.test_crm import HUBSPOT

    path = write_csv(tmp_path / "hubspot.csv", HUBSPOT, encoding="utf-16-le", delimiter="\t")
    summary = run(world, new_import(world, path.read_bytes(), mapping="hubspot"))
    assert (summary.created, summary.skipped) == (2, 2)
    problems = {(e["line"], e["message"]) for e in summary.errors}
    assert any("email or a phone" in message for _, message in problems)
    assert any("needs a sales rep" in message for _, message in problems)
    ann = Lead.objects.get(email_key="ann@beta.com")
    assert (ann.stage, ann.country, ann.employees) == (Stage.WON, "US", 25)
    assert ann.campaign.name == "Organic Search"  # one campaign per source, made
    assert ann.attributes["hubspot_id"] == "1002"
    jm = Lead.objects.get(email_key="jm@acme.de")
    assert (jm.stage, jm.first_name, jm.phone_key) == (Stage.WORKING, "Jürgen", "+491711234567")


def test_a_pipedrive_xlsx_export_through_the_database(world: World, tmp_path: Path) -> None:
    from leadloop.imports.tests.files import write_xlsx
    from leadloop.imports.tests.test_crm import PIPEDRIVE

    path = write_xlsx(tmp_path / "leads.xlsx", {"Leads": PIPEDRIVE})
    summary = run(world, new_import(world, path.read_bytes(), mapping="pipedrive"))
    assert summary.created == 2
    jm = Lead.objects.get(email_key="juergen@mail.de")
    assert (jm.first_name, jm.last_name, jm.stage) == ("Jürgen", "Müller", Stage.NEW)
    ann = Lead.objects.get(email_key="ann@beta.com")
    assert ann.stage == Stage.DISQUALIFIED and ann.reason_code.code == "not_recorded"
