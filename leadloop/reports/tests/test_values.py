"""Every report on the known dataset (see dataset.py), to the exact value.

The expected numbers are worked out by hand from the dataset's story and the
definitions in docs/metrics.md; the comments say how.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.http import QueryDict

from leadloop.accounts.models import User
from leadloop.leads.models import ReasonCode
from leadloop.leads.selectors import filtered_leads
from leadloop.lifecycle.transitions import lead_transition
from leadloop.reports import registry
from leadloop.reports.result import Report, Table
from leadloop.reports.scope import Viewer
from leadloop.reports.tests.dataset import NOVEMBER, REPORT_NOW, Data, at, build, lead_of
from leadloop.testing import World
from leadloop.web.forms import LeadFilterForm

BERLIN = ZoneInfo("Europe/Berlin")


@pytest.fixture
def data(world: World) -> Data:
    return build(world)


def run(name: str, user: User | None = None, **filters: Any) -> Report:
    from dataclasses import replace

    viewer = Viewer(user=user, tz=BERLIN) if user else Viewer.everything(BERLIN)
    return registry.run(name, viewer, replace(NOVEMBER, **filters), now=REPORT_NOW)


def values(table: Table, *keys: str) -> dict[tuple[Any, ...], dict[str, Any]]:
    """Rows keyed by the values of the text columns `keys`: {column: value}."""
    out = {}
    for row in table.rows:
        out[tuple(row[k].value for k in keys)] = {k: c.value for k, c in row.items()}
    return out


def total(table: Table) -> dict[str, Any]:
    assert table.total is not None
    return {k: c.value for k, c in table.total.items()}


def listed(user: User, cell_link: dict[str, str]) -> set[int]:
    """The ids of the leads the lead list shows for a report cell's link."""
    query = QueryDict(mutable=True)
    query.update(cell_link)
    form = LeadFilterForm(query, user=user, tz=BERLIN)
    assert form.is_valid(), form.errors
    return set(filtered_leads(user, form.filters()).values_list("pk", flat=True))


def ids(data: Data, *keys: str) -> set[int]:
    return {data[k].pk for k in keys}


# ---------------------------------------------------------------- sla


def test_sla(data: Data) -> None:
    report = run("sla")
    by_kind = values(report.table("by_kind"), "sla")
    # First contact: A1 A2 A3 A5 A6 B1 met; A4, A5 (after the rejection) and A6
    # (after recycling) never contacted again: late. B2's clocks were cancelled.
    assert by_kind[("First contact",)] == {
        "sla": "First contact",
        "clocks": 9,
        "met": 6,
        "late": 3,
        "pending": 0,
        "compliance": pytest.approx(6 / 9),
        "open_late": 3,
        "at_risk": 0,
    }
    # Concluded: A4 late (due Thu 26 17:00); A5's second round due Mon 30 17:00 is
    # past its warning (Fri 27 12:24): at risk; A6's due Wed 2 Dec: pending.
    assert by_kind[("Concluded",)] == {
        "sla": "Concluded",
        "clocks": 9,
        "met": 6,
        "late": 1,
        "pending": 2,
        "compliance": pytest.approx(6 / 7),
        "open_late": 1,
        "at_risk": 1,
    }
    # Accept: A1 and A6 within the business day, A5 rejected on Thursday: late.
    assert by_kind[("Sales accepts or rejects",)]["met"] == 2
    assert by_kind[("Sales accepts or rejects",)]["late"] == 1
    assert by_kind[("Meeting outcome recorded",)]["met"] == 2
    assert by_kind[("Sales feedback",)]["met"] == 3
    assert by_kind[("Open lead updated",)]["met"] == 1
    assert total(report.table("by_kind")) == {
        "sla": "All SLAs",
        "clocks": 27,
        "met": 20,
        "late": 5,
        "pending": 2,
        "compliance": pytest.approx(0.8),
        "open_late": 4,
        "at_risk": 1,
    }
    by_rep = values(report.table("by_rep"), "group", "sla")
    assert by_rep[("Alpha_Inside", "First contact")]["met"] == 3
    assert by_rep[("Alpha_Inside", "First contact")]["late"] == 2
    assert by_rep[("Alpha_Inside2", "Concluded")]["pending"] == 1
    assert by_rep[("Beta_Inside", "First contact")]["clocks"] == 1
    by_channel = values(report.table("by_channel"), "group", "sla")
    assert by_channel[("Webinar", "First contact")]["met"] == 1
    assert by_channel[("Web request for information", "First contact")]["late"] == 3
    by_team = values(report.table("by_team"), "group", "sla")
    assert by_team[("Alpha Sales", "Sales accepts or rejects")]["clocks"] == 3


def test_sla_links_list_the_leads_behind_each_number(data: Data) -> None:
    report = run("sla")
    rows = {r["sla"].value: r for r in report.table("by_kind").rows}
    admin = data.world.admin
    first = rows["First contact"]
    assert listed(admin, first["late"].link) == ids(data, "A4", "A5", "A6")
    assert listed(admin, first["open_late"].link) == ids(data, "A4", "A5", "A6")
    concluded = rows["Concluded"]
    assert listed(admin, concluded["at_risk"].link) == ids(data, "A5")
    assert listed(admin, concluded["pending"].link) == ids(data, "A5", "A6")
    assert listed(admin, rows["Sales accepts or rejects"]["late"].link) == ids(data, "A5")


# ---------------------------------------------------------------- aging


def test_aging(data: Data) -> None:
    report = run("aging", date_from=None, date_to=None)
    matrix = values(report.table("by_stage"), "stage")
    # A4 and A5 came in Tue 17: Wed 18 .. Fri 27 closed by Mon 30 13:00 = 8 days;
    # A6 came in Wed 18: 7 days. All in 7-10.
    assert matrix[("New",)]["b4"] == 1
    assert matrix[("Rejected by sales",)]["b4"] == 1
    assert matrix[("Recycled",)]["b4"] == 1
    assert total(report.table("by_stage"))["total"] == 3
    assert sum(v for k, v in total(report.table("by_stage")).items() if k.startswith("b")) == 3
    past = report.table("past_max_age")
    assert [r["rep"].value for r in past.rows] == ["Alpha_Inside"]
    assert total(past)["total"] == 1
    admin = data.world.admin
    assert listed(admin, past.rows[0]["total"].link) == ids(data, "A4")
    new_row = next(r for r in report.table("by_stage").rows if r["stage"].value == "New")
    assert listed(admin, new_row["b4"].link) == ids(data, "A4")
    assert listed(admin, new_row["b3"].link) == set()


# ---------------------------------------------------------------- sales accountability


def test_sales_accountability(data: Data) -> None:
    report = run("sales-accountability")
    row = values(report.table("by_rep"), "rep")[("Alpha_Sales",)]
    assert row == {
        "rep": "Alpha_Sales",
        "team": "Alpha Sales",
        "received": 3,
        "accepted": 2,
        "rejected": 1,
        "waiting": 0,
        "answered_on_time": pytest.approx(2 / 3),
        # A1: handed off Tue 13:00, accepted 15:00 (2 h); A6: 12:00 -> 13:00 (1 h).
        "median_accept_hours": pytest.approx(1.5),
        "meetings_on_time": 2,
        "meetings_late": 0,
        "meetings_on_time_share": pytest.approx(1.0),
        "feedback_given": 3,
        "feedback_rate": pytest.approx(1.0),
        "feedback_overdue": 0,
        # A6's no-show cadence (five steps, days 1 to 5 after Fri 20) was cut short by
        # the recycle on Mon 23 before any step was done: all five skipped.
        "steps_on_time": 0,
        "steps_missed": 5,
        "steps_on_time_share": pytest.approx(0.0),
    }
    outcomes = values(report.table("outcomes"), "rep")[("Alpha_Sales",)]
    assert outcomes["leads"] == 3
    assert (outcomes["won"], outcomes["rejected"], outcomes["recycled"]) == (1, 1, 1)
    assert outcomes["revenue"] == Decimal("12000")
    assert outcomes["pipeline"] == Decimal("0")
    admin = data.world.admin
    cells = report.table("by_rep").rows[0]
    assert listed(admin, cells["accepted"].link) == ids(data, "A1", "A6")
    assert listed(admin, cells["rejected"].link) == ids(data, "A5")
    assert listed(admin, cells["steps_missed"].link) == ids(data, "A6")
    assert listed(admin, cells["steps_on_time"].link) == set()
    out_cells = report.table("outcomes").rows[0]
    assert listed(admin, out_cells["won"].link) == ids(data, "A1")
    assert listed(admin, out_cells["leads"].link) == ids(data, "A1", "A5", "A6")


def test_sales_accountability_overdue_feedback(world: World) -> None:
    """A handoff nobody answers: waiting, late to accept, feedback overdue after 10 days."""
    lead = lead_of(world.a, world.a.inside)
    lead_transition(
        lead=lead,
        action="hand_off",
        actor=world.a.inside,
        now=at(hours=1),
        data={
            "sales_rep": world.a.sales_rep.pk,
            "meeting_at": at(days=2),
            "answers": {"budget": "b", "authority": "a", "need": "n", "timeline": "t"},
            "write_up": "Ready.",
            "warm_call_confirmed": True,
        },
    )
    row = run("sales-accountability").table("by_rep").rows[0]
    # Feedback due 10 business days after Tue 17 11:00: Tue 1 Dec 17:00, not yet.
    assert (row["received"].value, row["waiting"].value, row["feedback_overdue"].value) == (1, 1, 0)
    assert row["answered_on_time"].value == 0.0
    later = (
        registry.run(
            "sales-accountability",
            Viewer.everything(BERLIN),
            NOVEMBER,
            now=at(days=20),
        )
        .table("by_rep")
        .rows[0]
    )
    assert later["feedback_overdue"].value == 1
    assert later["feedback_rate"].value == 0.0


# ---------------------------------------------------------------- teleprospectors


def test_teleprospectors(data: Data) -> None:
    report = run("teleprospectors")
    rows = values(report.table("by_rep"), "rep")
    inside = rows[("Alpha_Inside",)]
    # Her leads A1 A2 A4 A5: 2 + 5 + 0 + 1 dials, A2's 3 emails, A1 and A5 connected.
    assert (inside["leads"], inside["dials"], inside["emails"], inside["connects"]) == (4, 8, 3, 2)
    assert inside["qualified"] == 2
    assert inside["dials_per_qualified"] == pytest.approx(4.0)
    # 1 Nov 00:00 Berlin to the report's 30 Nov 13:00 Berlin: 29 days 13 hours.
    assert inside["qualified_per_week"] == pytest.approx(2 / ((29 * 24 + 13) / 168))
    # A1 accepted, A5 rejected and never accepted.
    assert (inside["accepted"], inside["rejected"], inside["acceptance"]) == (1, 1, 0.5)
    assert (inside["no_response"], inside["no_response_share"]) == (0, 0.0)
    inside2 = rows[("Alpha_Inside2",)]
    # A3 (1 dial, connected) and A6 (1 dial, connected before it was handed off): the
    # counters keep a recycled lead's history.
    assert (inside2["leads"], inside2["dials"], inside2["connects"]) == (2, 2, 2)
    assert (inside2["qualified"], inside2["accepted"], inside2["acceptance"]) == (1, 1, 1.0)
    # A6: a no-show, then recycled: no response to sales' follow-up.
    assert (inside2["no_response"], inside2["no_response_share"]) == (1, 1.0)
    beta = rows[("Beta_Inside",)]
    assert (beta["leads"], beta["emails"], beta["connects"], beta["qualified"]) == (2, 0, 1, 0)
    assert beta["dials_per_qualified"] is None
    everything = total(report.table("by_rep"))
    assert (everything["leads"], everything["dials"], everything["qualified"]) == (8, 10, 3)
    outcomes = values(report.table("outcomes"), "rep")
    assert (outcomes[("Alpha_Inside",)]["won"], outcomes[("Alpha_Inside",)]["rejected"]) == (1, 1)
    assert outcomes[("Alpha_Inside",)]["revenue"] == Decimal("12000")
    assert outcomes[("Alpha_Inside2",)]["recycled"] == 1
    reasons = values(report.table("reasons"), "rep", "reason")
    assert reasons[("Alpha_Inside2", "No budget")]["k_rep"] == 1
    assert reasons[("Alpha_Inside", "Not qualified (criteria not met)")]["k_team"] == 1
    admin = data.world.admin
    cells = next(r for r in report.table("by_rep").rows if r["rep"].value == "Alpha_Inside2")
    assert listed(admin, cells["no_response"].link) == ids(data, "A6")
    assert listed(admin, cells["dials"].link) == ids(data, "A3", "A6")
    first = next(r for r in report.table("by_rep").rows if r["rep"].value == "Alpha_Inside")
    assert listed(admin, first["rejected"].link) == ids(data, "A5")
    assert listed(admin, first["accepted"].link) == ids(data, "A1")


# ---------------------------------------------------------------- campaigns


def test_campaigns(data: Data) -> None:
    report = run("campaigns")
    alpha = values(report.table("by_campaign"), "campaign")[("Alpha campaign",)]
    assert alpha == {
        "campaign": "Alpha campaign",
        "channel": "Web request for information",
        "cost": Decimal("1000"),
        "leads": 6,
        # A1 A3 A5 connected, A6 was handed off (its counters restarted when recycled).
        "reached": 4,
        "unreachable": 1,
        "out_of_target": 0,
        "qualified": 3,
        "accepted": 2,
        "opportunities": 1,
        "won": 1,
        "pipeline": Decimal("0"),
        "revenue": Decimal("12000"),
        "cost_per_qualified": Decimal("1000") / 3,
        "roi": pytest.approx(11.0),
    }
    beta = values(report.table("by_campaign"), "campaign")[("Beta campaign",)]
    assert (beta["leads"], beta["reached"], beta["out_of_target"], beta["roi"]) == (2, 1, 1, -1.0)
    assert beta["cost_per_qualified"] is None
    everything = total(report.table("by_campaign"))
    assert (everything["leads"], everything["qualified"], everything["roi"]) == (8, 3, 5.0)
    assert total(report.table("by_channel"))["leads"] == 8


def test_campaign_numbers_are_lead_counts_of_their_links(data: Data) -> None:
    """Every count on the campaign report is exactly the size of its lead list."""
    admin = data.world.admin
    report = run("campaigns")
    for table in report.tables:
        for row in [*table.rows, table.total]:
            assert row is not None
            for key in (
                "leads",
                "reached",
                "unreachable",
                "out_of_target",
                "qualified",
                "accepted",
                "opportunities",
                "won",
            ):
                cell = row[key]
                assert cell.link is not None
                assert len(listed(admin, cell.link)) == cell.value, (table.key, key)


# ---------------------------------------------------------------- funnel


def test_funnel(data: Data) -> None:
    report = run("funnel")
    steps = values(report.table("steps"), "step")
    counts = [r["leads"].value for r in report.table("steps").rows]
    assert counts == [8, 6, 3, 2, 1, 1, 1]
    # Came in -> first call or email: A1 A2 B1 1 h, A3 30 min (A5 and A6 came back
    # to the queue, their first round's time is gone): median 1 h over 4.
    assert steps[("Worked",)]["median_hours"] == pytest.approx(1.0)
    assert steps[("Worked",)]["timed"] == 4
    # Work started -> handed off: A1 2 h, A5 1 h, A6 1 h.
    assert steps[("Qualified (handed off)",)]["median_hours"] == pytest.approx(1.0)
    assert steps[("Qualified (handed off)",)]["timed"] == 3
    assert steps[("Accepted by sales",)]["median_hours"] == pytest.approx(1.5)
    # A1: accepted Tue 15:00, meeting held Thu 12:00: 2 + 8 + 3 business hours.
    assert steps[("Meeting held",)]["median_hours"] == pytest.approx(13.0)
    assert steps[("Opportunity",)]["median_hours"] == pytest.approx(6.0)
    assert steps[("Won",)]["median_hours"] == pytest.approx(8.0)
    assert steps[("Qualified (handed off)",)]["conversion"] == pytest.approx(0.5)
    by_group = values(report.table("by_group"), "group", "step")
    assert by_group[("Webinar", "Leads")]["leads"] == 2
    assert by_group[("Webinar", "Worked")]["leads"] == 1
    assert by_group[("Web request for information", "Qualified (handed off)")]["leads"] == 3
    by_industry = values(run("funnel", by="industry").table("by_group"), "group", "step")
    assert by_industry[("Retail", "Leads")]["leads"] == 3
    assert by_industry[("Software", "Won")]["leads"] == 1
    admin = data.world.admin
    for row in report.table("steps").rows:
        assert len(listed(admin, row["leads"].link)) == row["leads"].value


# ---------------------------------------------------------------- reasons


def test_reasons(data: Data) -> None:
    report = run("reasons")
    by_reason = values(report.table("by_reason"), "group", "reason")
    assert by_reason[("Disqualified by inside sales", "No budget")]["n"] == 1
    assert by_reason[("Disqualified by inside sales", "Out of target market")]["n"] == 1
    assert by_reason[("Disqualified by inside sales", "No budget")]["share"] == 0.5
    assert by_reason[("Rejected by sales", "Not qualified (criteria not met)")]["n"] == 1
    assert total(report.table("by_reason"))["n"] == 3
    by_team = values(report.table("by_team"), "group", "dim", "reason")
    assert (
        by_team[("Rejected by sales", "Alpha Teleprospecting", "Not qualified (criteria not met)")][
            "n"
        ]
        == 1
    )
    months = values(report.table("by_month"), "month")
    assert months[("2026-11",)] == {
        "month": "2026-11",
        "disqualified": 2,
        "rejected": 1,
        "disqualified_by_sales": 0,
        "lost": 0,
        "total": 3,
    }
    admin = data.world.admin
    rep_rows = {r["rep"].value: r for r in report.table("by_rep").rows}
    assert listed(admin, rep_rows["Alpha_Inside"]["k_rep"].link) == ids(data, "A5")
    assert listed(admin, rep_rows["Alpha_Inside2"]["k_rep"].link) == ids(data, "A3")


def test_training_flag(world: World) -> None:
    """Inside2 disqualifies 6 of 6 for "no need", her colleague 1 of 8: flagged.

    Pooled share 7/14, standard error sqrt(.25 * (1/6 + 1/8)) = 0.2700,
    z = (1 - 1/8) / 0.2700 = 3.24, one-sided p = 0.0006 < 0.01.
    """
    a = world.a
    for i in range(6):
        lead = lead_of(a, a.inside2)
        lead_transition(
            lead=lead,
            action="disqualify",
            actor=a.inside2,
            now=at(hours=i),
            data={"reason_code": "no_need"},
        )
    for i, code in enumerate(["no_need"] + ["timing"] * 7):
        lead = lead_of(a, a.inside)
        lead_transition(
            lead=lead,
            action="disqualify",
            actor=a.inside,
            now=at(hours=i),
            data={"reason_code": code},
        )
    table = run("reasons").table("by_rep")
    rows = {(r["rep"].value, r["reason"].value): r for r in table.rows}
    flagged = rows[("Alpha_Inside2", "No need")]
    assert flagged["flag"].value == "training"
    assert flagged["flag"].tone == "bad"
    assert flagged["z"].value == pytest.approx(0.875 / (0.25 * (1 / 6 + 1 / 8)) ** 0.5)
    assert flagged["p"].value == pytest.approx(0.000597, abs=1e-5)
    assert (flagged["k_rep"].value, flagged["n_rep"].value) == (6, 6)
    assert (flagged["k_team"].value, flagged["n_team"].value) == (7, 14)
    assert rows[("Alpha_Inside", "No need")]["flag"].value == ""
    # 7 of 8 "timing" against 0 of 6: flagged too.
    assert rows[("Alpha_Inside", "Timing (not within 6 months)")]["flag"].value == "training"


# ---------------------------------------------------------------- unreachable


def test_unreachable(data: Data) -> None:
    report = run("unreachable")
    rows = values(report.table("by_value"), "attribute", "value")
    # Settled: A1 A2 A3 A5 A6 (reached or closed) and B1; A4 is open and unreached,
    # B2 a duplicate. Reached: all but A2.
    assert total(report.table("by_value"))["settled"] == 6
    assert total(report.table("by_value"))["reached"] == 5
    software = rows[("Industry", "Software")]
    # A1 A2 A5 B1: three of four reached.
    assert (software["settled"], software["reached"], software["rate"]) == (4, 3, 0.75)
    assert software["lift"] == pytest.approx(0.75 / (5 / 6))
    assert software["low"] == pytest.approx(0.300636, abs=1e-5)  # Wilson, 3 of 4
    assert software["high"] == pytest.approx(0.954413, abs=1e-5)
    retail = rows[("Industry", "Retail")]
    assert (retail["settled"], retail["reached"], retail["rate"]) == (2, 2, 1.0)
    assert rows[("Company size (employees)", "10-49")]["settled"] == 3
    admin = data.world.admin
    cells = next(r for r in report.table("by_value").rows if r["value"].value == "Software")
    assert listed(admin, cells["not_reached"].link) == ids(data, "A2")
    assert listed(admin, cells["settled"].link) == ids(data, "A1", "A2", "A5", "B1")
    custom = run("unreachable", attribute="attributes.utm").table("by_value")
    assert [r["value"].value for r in custom.rows] == ["unknown"]


@pytest.mark.django_db
def test_reason_codes_exist() -> None:
    assert ReasonCode.objects.filter(code="unresponsive", kind="lose").exists()


def test_windows_leave_out_other_months(data: Data) -> None:
    october = {"date_from": date(2026, 10, 1), "date_to": date(2026, 10, 31)}
    assert total(run("sla", **october).table("by_kind"))["clocks"] == 0
    assert total(run("campaigns", **october).table("by_campaign"))["leads"] == 0
    assert run("reasons", **october).table("by_reason").rows == []


@pytest.mark.parametrize("lookup_step", [1, 1000])
def test_funnel_samples_the_first_step_of_a_big_cohort(
    data: Data, monkeypatch: pytest.MonkeyPatch, lookup_step: int
) -> None:
    """Over SAMPLE timed leads, the first median is taken on every k-th lead id."""
    from leadloop.reports import funnel

    monkeypatch.setattr(funnel, "SAMPLE", 2)
    monkeypatch.setattr(funnel, "LOOKUP_STEP", lookup_step)
    report = run("funnel")
    worked = values(report.table("steps"), "step")[("Worked",)]
    assert worked["timed"] == 4  # the count is exact; only the median is sampled
    assert worked["median_hours"] is not None
    cell = next(r for r in report.table("steps").rows if r["step"].value == "Worked")
    assert "every" in cell["median_hours"].note
    assert any("every" in note for note in report.notes)
    # The later steps are measured on every lead, as before.
    assert values(report.table("steps"), "step")[("Meeting held",)]["median_hours"] == 13.0
