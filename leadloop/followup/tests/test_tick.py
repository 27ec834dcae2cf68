"""The tick's follow-up work, end to end through `leadloop tick --now`: the day-7 recycle,
late steps, purgatory, and overdue feedback escalated to the sales manager; each exactly once."""

from __future__ import annotations

import json
from datetime import date, timedelta
from io import StringIO
from typing import Any

from django.core.management import call_command

from leadloop.followup.choices import PurgatoryReason, RunState, TaskStatus
from leadloop.followup.models import CadenceRun, CadenceTask, PurgatoryFlag
from leadloop.followup.tests.conftest import DAY1, DAY3, MEETING, NO_SHOW_AT, RECYCLE_AT, accepted
from leadloop.leads.choices import EventKind, Stage
from leadloop.leads.models import Lead, LeadEvent
from leadloop.lifecycle.cadence_steps import complete_task
from leadloop.lifecycle.followup_sweep import run_followup
from leadloop.lifecycle.sales import record_outcome
from leadloop.notifications.models import Notification
from leadloop.notifications.texts import render
from leadloop.sla.choices import ClockKind, ClockResult
from leadloop.sla.models import SlaClock
from leadloop.testing import World


def tick(now: Any) -> dict[str, Any]:
    out = StringIO()
    call_command("tick", "--now", now.isoformat(), "--json", stdout=out)
    return json.loads(out.getvalue())  # type: ignore[no-any-return]


def titles(user_id: int, lead: Lead) -> list[str]:
    return [render(n).title for n in Notification.objects.filter(user_id=user_id, lead=lead)]


def test_day_7_recycles_to_the_inside_rep_who_set_the_meeting_once(
    world: World, no_show: Lead, run: CadenceRun
) -> None:
    # Reassigned meanwhile: the lead still goes back to the rep who set the meeting.
    Lead.objects.filter(pk=no_show.pk).update(owner=world.a.inside2)
    rep = world.a.sales_rep
    for t in CadenceTask.objects.filter(run=run, day=1):
        complete_task(task=t, actor=rep, now=DAY1, send_email=False)
    for t in CadenceTask.objects.filter(run=run, day=3):
        complete_task(task=t, actor=rep, now=DAY3, send_email=False)

    before = tick(RECYCLE_AT - timedelta(minutes=1))
    assert before["followup_recycled"] == 0
    assert Lead.objects.get(pk=no_show.pk).stage == Stage.NO_SHOW

    first = tick(RECYCLE_AT)
    assert first["followup_recycled"] == 1
    lead = Lead.objects.get(pk=no_show.pk)
    assert (lead.stage, lead.owner, lead.sales_rep) == (Stage.RECYCLED, world.a.inside, None)
    event = LeadEvent.objects.get(lead=lead, kind=EventKind.TRANSITION, action="recycle")
    assert event.actor is None and event.at == RECYCLE_AT
    assert "4 of 5 steps done" in event.data["note"]
    run.refresh_from_db()
    assert run.state == RunState.RECYCLED
    statuses = list(run.tasks.order_by("position").values_list("status", flat=True))
    assert statuses == ["done"] * 4 + ["skipped"]
    # A fresh first-contact clock, on the inside rep.
    clock = SlaClock.objects.get(lead=lead, kind=ClockKind.FIRST_CONTACT, stopped_at__isnull=True)
    assert clock.started_at == RECYCLE_AT and clock.user == world.a.inside
    assert lead.first_contact_due == clock.due_at
    # Both hear of it: the inside rep with the note, the sales rep with where it went.
    inside_news = Notification.objects.filter(user=world.a.inside, lead=lead, event=event)
    assert inside_news.count() == 1
    assert "4 of 5 steps done" in render(inside_news.get()).body
    assert any("back to" in t for t in titles(world.a.sales_rep.pk, lead))

    second = tick(RECYCLE_AT)
    assert second["followup_recycled"] == 0
    assert LeadEvent.objects.filter(lead=lead, action="recycle").count() == 1
    assert (
        Notification.objects.filter(lead=lead, user=world.a.sales_rep)
        .filter(data__summary__startswith="back to")
        .count()
        == 1
    )
    # Back in her queue: the inside rep works it again.
    assert lead in Lead.objects.filter(owner=world.a.inside, stage__in=["recycled"])


def test_a_late_step_warns_the_sales_rep_once(world: World, no_show: Lead, run: CadenceRun) -> None:
    after_day_1 = DAY1 + timedelta(hours=8)  # Fri 18:00 Berlin: day 1 closed at 17:00
    first = run_followup(now=after_day_1)
    assert first.late == 2 and first.notifications == 2
    assert set(CadenceTask.objects.filter(late_at__isnull=False).values_list("day", flat=True)) == {
        1
    }
    again = run_followup(now=after_day_1 + timedelta(minutes=1))
    assert again.late == 0 and again.notifications == 0
    late_news = [t for t in titles(world.a.sales_rep.pk, no_show) if "is late" in t]
    assert len(late_news) == 2
    # Done late: counted late, not skipped.
    done = complete_task(
        task=CadenceTask.objects.get(run=run, day=1, action="voicemail"),
        actor=world.a.sales_rep,
        now=after_day_1 + timedelta(days=3),
    )
    assert done.status == TaskStatus.DONE and done.is_late(after_day_1)


def test_overdue_feedback_escalates_to_the_sales_manager_once(world: World) -> None:
    lead = record_outcome(
        lead=accepted(world), outcome="meeting_held", actor=world.a.sales_rep, now=NO_SHOW_AT
    )
    clock = SlaClock.objects.get(lead=lead, kind=ClockKind.FEEDBACK, stopped_at__isnull=True)
    assert clock.user == world.a.sales_rep and clock.team == world.a.sales
    after = clock.due_at + timedelta(minutes=1)
    first = tick(after)
    assert first["sla_breached"] >= 1
    clock.refresh_from_db()
    assert clock.result == ClockResult.BREACHED and clock.escalated_at == after
    escalations = Notification.objects.filter(user=world.a.sales_manager, clock=clock)
    assert escalations.count() == 1
    assert "Escalated: feedback deadline missed" in render(escalations.get()).title
    tick(after)
    assert Notification.objects.filter(user=world.a.sales_manager, clock=clock).count() == 1
    # The overdue outcome is on the feedback-owed page's data, and the rep's home.
    from leadloop.followup.selectors import feedback_owed, my_debt

    owed = feedback_owed(world.a.sales_manager, after)
    (debt,) = [d for d in owed.reps if d.rep == world.a.sales_rep]
    assert debt.overdue == 1 and debt.feedback == 1
    assert [r.lead.pk for r in my_debt(world.a.sales_rep, after).feedback] == [lead.pk]
    # Recording the outcome pays the debt.
    record_outcome(
        lead=lead,
        outcome="nurture",
        actor=world.a.sales_rep,
        now=after,
        data={"next_touch_on": "2027-01-10"},
    )
    assert feedback_owed(world.a.sales_manager, after).total == 0


def test_purgatory_is_flagged_once_and_cleared(world: World) -> None:
    rep = world.a.sales_rep
    lead = record_outcome(lead=accepted(world), outcome="meeting_held", actor=rep, now=NO_SHOW_AT)
    lead = record_outcome(
        lead=lead,
        outcome="nurture",
        actor=rep,
        now=NO_SHOW_AT,
        data={"next_touch_on": "2026-12-01"},
    )
    quiet = run_followup(now=NO_SHOW_AT + timedelta(days=5))
    assert quiet.purgatory_flagged == 0
    # 1 December passes with no touch: purgatory.
    after = MEETING.replace(month=12, day=2)
    first = run_followup(now=after)
    assert first.purgatory_flagged == 1
    flag = PurgatoryFlag.objects.get(lead=lead)
    assert (flag.reason, flag.owner, flag.manager) == (
        PurgatoryReason.TOUCH_OVERDUE,
        rep,
        world.a.sales_manager,
    )
    assert any("in purgatory" in t for t in titles(rep.pk, lead))
    assert any("in purgatory" in t for t in titles(world.a.sales_manager.pk, lead))
    # Seed 000: the inside rep who produced the lead hears of it too.
    assert any("in purgatory" in t for t in titles(world.a.inside.pk, lead))
    assert run_followup(now=after + timedelta(minutes=1)).purgatory_flagged == 0
    assert (
        Notification.objects.filter(lead=lead, data__summary__startswith="in purgatory").count()
        == 3
    )
    # A logged touch takes it out; the flag is closed.
    from leadloop.lifecycle.activities import log_activity

    log_activity(lead=lead, actor=rep, kind="call", outcome="connected", now=after)
    cleared = run_followup(now=after + timedelta(minutes=2))
    assert cleared.purgatory_cleared == 1
    flag.refresh_from_db()
    assert flag.cleared_at == after + timedelta(minutes=2)


def test_a_lead_without_an_active_owner_is_in_purgatory(world: World) -> None:
    from leadloop.testing import make_lead

    lead = make_lead(world.b, owner=world.b.inside)
    nurture = record_outcome(
        lead=record_outcome(
            lead=accepted(world), outcome="meeting_held", actor=world.a.sales_rep, now=NO_SHOW_AT
        ),
        outcome="nurture",
        actor=world.a.sales_rep,
        now=NO_SHOW_AT,
        data={"next_touch_on": "2027-06-01"},
    )
    Lead.objects.filter(pk=nurture.pk).update(next_touch_on=None)  # an import left it blank
    world.b.inside.is_active = False
    world.b.inside.save()
    result = run_followup(now=NO_SHOW_AT)
    assert result.purgatory_flagged == 2
    flags = dict(PurgatoryFlag.objects.values_list("lead_id", "reason"))
    assert flags == {lead.pk: "no_owner", nurture.pk: "no_next_touch"}
    # The leaver is not notified; her manager is.
    assert not Notification.objects.filter(user=world.b.inside).exists()
    assert Notification.objects.filter(user=world.b.tele_manager, lead=lead).count() == 1


def test_tick_reports_the_followup_counts(world: World) -> None:
    result = tick(MEETING)
    assert {
        "followup_recycled",
        "followup_late",
        "followup_purgatory_flagged",
        "followup_purgatory_cleared",
        "followup_notifications",
    } <= set(result)


def test_next_touch_in_the_past_is_by_the_teams_day(world: World) -> None:
    """A touch date is past only when that day is over on the sales team's calendar."""
    rep = world.a.sales_rep
    lead = record_outcome(lead=accepted(world), outcome="meeting_held", actor=rep, now=NO_SHOW_AT)
    record_outcome(
        lead=lead,
        outcome="nurture",
        actor=rep,
        now=NO_SHOW_AT,
        data={"next_touch_on": "2026-12-01"},
    )
    from datetime import UTC, datetime

    # 23:30 UTC on 1 December is already 2 December in Berlin.
    assert run_followup(now=datetime(2026, 12, 1, 22, 30, tzinfo=UTC)).purgatory_flagged == 0
    assert run_followup(now=datetime(2026, 12, 1, 23, 30, tzinfo=UTC)).purgatory_flagged == 1
    assert date(2026, 12, 1) == Lead.objects.get(pk=lead.pk).next_touch_on
