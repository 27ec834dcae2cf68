"""The follow-up services: cadences start and stop with the lifecycle, steps get done once,
outcomes refuse bad input by field, and the inside rep hears of everything."""

from __future__ import annotations

from datetime import timedelta
from email import message_from_bytes
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from icalendar import Calendar

from leadloop.followup.choices import MailState, RunState, TaskStatus
from leadloop.followup.models import CadenceRun, CadenceTask, CadenceTemplate
from leadloop.followup.rules import StepSpec
from leadloop.followup.services import customize_for_team, save_template
from leadloop.followup.tests.conftest import (
    DAY1,
    DAY3,
    DAY5,
    MEETING,
    NO_SHOW_AT,
    RECYCLE_AT,
    accepted,
    missed,
)
from leadloop.leads.choices import Stage
from leadloop.leads.models import Lead
from leadloop.lib.errors import NotPermitted
from leadloop.lifecycle.activities import log_activity
from leadloop.lifecycle.cadence_steps import complete_task, rebook_meeting, resend_mail
from leadloop.lifecycle.prospect_mail import send_queued
from leadloop.lifecycle.sales import accept_handoff, record_outcome, reject_handoff
from leadloop.lifecycle.transitions import lead_transition
from leadloop.notifications import delivery
from leadloop.notifications.models import Notification
from leadloop.notifications.tests.mailserver import free_port
from leadloop.notifications.texts import render
from leadloop.outreach.models import Activity
from leadloop.sla.choices import ClockKind
from leadloop.sla.models import SlaClock
from leadloop.testing import NOW, World, hand_off, make_lead

BERLIN = ZoneInfo("Europe/Berlin")


def task(run: CadenceRun, day: int, action: str) -> CadenceTask:
    return CadenceTask.objects.get(run=run, day=day, action=action)


def news_for(user_id: int, lead: Lead) -> list[str]:
    return [
        render(n).title
        for n in Notification.objects.filter(user_id=user_id, lead=lead).order_by("id")
    ]


# ---------------------------------------------------------------- the cadence starts


def test_a_no_show_starts_the_seed_004_cadence(
    world: World, no_show: Lead, run: CadenceRun
) -> None:
    assert run.state == RunState.RUNNING
    assert run.sales_rep == world.a.sales_rep
    assert run.inside_rep == world.a.inside
    assert run.team == world.a.sales
    # Counted from when the no-show was recorded, on the sales team's calendar.
    assert run.anchor_at == NO_SHOW_AT
    assert run.recycle_at == RECYCLE_AT
    tasks = list(run.tasks.order_by("position"))
    assert [(t.day, t.action) for t in tasks] == [
        (1, "voicemail"),
        (1, "email"),
        (3, "voicemail"),
        (3, "email"),
        (5, "invitation"),
    ]
    assert {t.assignee_id for t in tasks} == {world.a.sales_rep.pk}
    assert [t.due_at.astimezone(BERLIN).strftime("%a %d %H:%M") for t in tasks[::2]] == [
        "Fri 20 17:00",
        "Tue 24 17:00",
        "Thu 26 17:00",
    ]


def test_a_team_template_overrides_the_default(world: World) -> None:
    mine = customize_for_team(team=world.a.sales, actor=world.a.sales_manager, now=NOW)
    save_template(
        template=mine,
        actor=world.a.sales_manager,
        now=NOW,
        name="Short",
        recycle_day=3,
        invite_window_days=5,
        steps=[StepSpec(1, "voicemail"), StepSpec(2, "email", "Hi {first_name}")],
        expected_version=mine.version,
    )
    lead = missed(world)
    run = CadenceRun.objects.get(lead=lead)
    assert run.template == mine
    assert [(t.day, t.action) for t in run.tasks.all()] == [(1, "voicemail"), (2, "email")]
    # Beta's team still runs the default.
    assert CadenceTemplate.objects.get(team__isnull=True).steps.count() == 5


# ---------------------------------------------------------------- outcomes and bad input


def test_an_outcome_before_the_meeting_is_refused(world: World) -> None:
    lead = accepted(world)
    for action in ("meeting_held", "no_show"):
        with pytest.raises(ValidationError) as caught:
            record_outcome(
                lead=lead,
                outcome=action,
                actor=world.a.sales_rep,
                now=MEETING - timedelta(minutes=1),
            )
        assert "meeting_at" in caught.value.message_dict
    assert Lead.objects.get(pk=lead.pk).stage == Stage.ACCEPTED
    assert not CadenceRun.objects.exists()


@pytest.mark.parametrize(
    ("outcome", "data", "field"),
    [
        ("disqualify", {}, "reason_code"),
        ("lose", {}, "reason_code"),
        ("nurture", {}, "next_touch_on"),
        ("win", {}, "revenue"),
        ("open_opportunity", {}, "amount"),
        (
            "open_opportunity",
            {"amount": "1000", "expected_close_on": "2020-01-01"},
            "expected_close_on",
        ),
        ("lose", {"reason_code": "no_such_code"}, "reason_code"),
        ("celebrate", {}, "outcome"),
    ],
)
def test_bad_outcomes_name_the_field(
    world: World, outcome: str, data: dict[str, str], field: str
) -> None:
    lead = accepted(world)
    lead = record_outcome(
        lead=lead, outcome="meeting_held", actor=world.a.sales_rep, now=NO_SHOW_AT
    )
    with pytest.raises(ValidationError) as caught:
        record_outcome(
            lead=lead, outcome=outcome, actor=world.a.sales_rep, now=NO_SHOW_AT, data=data
        )
    assert field in caught.value.message_dict
    assert Lead.objects.get(pk=lead.pk).stage == Stage.MEETING_HELD


def test_outcomes_after_a_held_meeting(world: World) -> None:
    rep = world.a.sales_rep
    lead = record_outcome(lead=accepted(world), outcome="meeting_held", actor=rep, now=NO_SHOW_AT)
    lead = record_outcome(
        lead=lead,
        outcome="nurture",
        actor=rep,
        now=NO_SHOW_AT,
        data={"next_touch_on": "2027-01-15"},
    )
    assert (lead.stage, lead.sales_rep) == (Stage.NURTURE, rep)
    lead = record_outcome(
        lead=lead,
        outcome="open_opportunity",
        actor=rep,
        now=NO_SHOW_AT,
        data={"amount": "25000", "expected_close_on": "2027-03-31"},
    )
    lead = record_outcome(
        lead=lead, outcome="win", actor=rep, now=NO_SHOW_AT, data={"revenue": "24000"}
    )
    assert lead.stage == Stage.WON
    # Every one of them reached the inside rep who produced the lead.
    titles = news_for(world.a.inside.pk, lead)
    assert [t.split(": ", 1)[1] for t in titles] == [
        "Accept (now accepted)",
        "Meeting held (now meeting held)",
        "Nurture (now nurture)",
        "Open opportunity (now opportunity)",
        "Win (now won)",
    ]


def test_reject_needs_a_reason_and_sends_the_lead_back(world: World) -> None:
    lead = hand_off(world, make_lead(world.a, owner=world.a.inside))
    with pytest.raises(ValidationError) as caught:
        reject_handoff(lead=lead, actor=world.a.sales_rep, now=NOW, reason_code=None)
    assert "reason_code" in caught.value.message_dict
    lead = reject_handoff(
        lead=lead,
        actor=world.a.sales_rep,
        now=NOW + timedelta(hours=2),
        reason_code="poor_write_up",
        note="Who is the buyer?",
    )
    assert (lead.stage, lead.owner, lead.sales_rep) == (Stage.REJECTED, world.a.inside, None)
    fresh = SlaClock.objects.get(lead=lead, kind=ClockKind.FIRST_CONTACT, stopped_at__isnull=True)
    assert fresh.started_at == NOW + timedelta(hours=2)
    (note,) = Notification.objects.filter(user=world.a.inside, lead=lead)
    text = render(note)
    assert "Reject" in text.title and "Who is the buyer?" in text.body and "Reason:" in text.body


def test_only_the_rep_it_was_handed_to_accepts(world: World) -> None:
    lead = hand_off(world, make_lead(world.a, owner=world.a.inside))
    for outsider in (world.b.sales_rep, world.b.sales_manager, world.a.inside):
        with pytest.raises(NotPermitted):
            accept_handoff(lead=lead, actor=outsider, now=NOW)
    assert accept_handoff(lead=lead, actor=world.a.sales_manager, now=NOW).stage == Stage.ACCEPTED


# ---------------------------------------------------------------- doing steps


def test_doing_a_step_logs_it_once_and_tells_the_inside_rep(
    world: World, no_show: Lead, run: CadenceRun
) -> None:
    voicemail = task(run, 1, "voicemail")
    first = complete_task(task=voicemail, actor=world.a.sales_rep, now=DAY1, note="Left a message")
    again = complete_task(task=voicemail, actor=world.a.sales_rep, now=DAY1 + timedelta(minutes=1))
    assert first.status == again.status == TaskStatus.DONE
    assert again.done_at == DAY1 and again.activity_id == first.activity_id
    (activity,) = Activity.objects.filter(lead=no_show, kind="call")
    assert (activity.outcome, activity.actor) == ("voicemail", world.a.sales_rep)
    assert "day 1: voicemail" in activity.note and "Left a message" in activity.note
    titles = news_for(world.a.inside.pk, no_show)
    assert titles[-1].endswith("no-show follow-up, day 1: voicemail done")
    assert sum("voicemail done" in t for t in titles) == 1


def test_an_email_step_emails_the_prospect_in_the_reps_name(
    world: World, no_show: Lead, run: CadenceRun, django_capture_on_commit_callbacks: Any
) -> None:
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        done = complete_task(task=task(run, 1, "email"), actor=world.a.sales_rep, now=DAY1)
        # Recorded now, sent once the step commits: no mail server under the lead's lock.
        assert not [m for m in mail.outbox if m.to == [no_show.email]]
    assert done.emailed_to == no_show.email
    done.refresh_from_db()
    assert done.mail_state == MailState.SENT
    (message,) = [m for m in mail.outbox if m.to == [no_show.email]]
    assert message.subject == "Sorry we missed each other"
    assert message.reply_to == [world.a.sales_rep.email]
    assert f"Hi {no_show.first_name}," in message.body
    assert "Thu 19 Nov 2026, 10:00" in message.body  # the missed meeting, in Berlin
    assert str(world.a.sales_rep) in message.body
    (activity,) = Activity.objects.filter(lead=no_show, kind="email")
    assert activity.outcome == "sent" and "sent by leadloop" in activity.note


def test_the_invitation_proposes_a_time_and_attaches_the_ics(
    world: World, no_show: Lead, run: CadenceRun, django_capture_on_commit_callbacks: Any
) -> None:
    invite = task(run, 5, "invitation")
    with pytest.raises(ValidationError) as caught:
        complete_task(task=invite, actor=world.a.sales_rep, now=DAY5)
    assert "proposed_at" in caught.value.message_dict
    too_late = DAY5 + timedelta(days=8)
    with pytest.raises(ValidationError) as caught:
        complete_task(task=invite, actor=world.a.sales_rep, now=DAY5, proposed_at=too_late)
    assert "within the next 5 business days" in caught.value.message_dict["proposed_at"][0]
    mail.outbox.clear()
    proposed = DAY5 + timedelta(days=4, hours=4)  # Mon 30 Nov, 14:00 Berlin
    with django_capture_on_commit_callbacks(execute=True):
        done = complete_task(task=invite, actor=world.a.sales_rep, now=DAY5, proposed_at=proposed)
    assert done.proposed_at == proposed
    (message,) = [m for m in mail.outbox if m.to == [no_show.email]]
    assert message.subject == "A new time for our call: Mon 30 Nov 2026, 14:00"
    raw = message.message().as_bytes()
    parts = [p for p in message_from_bytes(raw).walk() if p.get_content_type() == "text/calendar"]
    assert len(parts) == 1 and parts[0].get_filename() == "invitation.ics"
    event = Calendar.from_ical(parts[0].get_payload(decode=True)).walk("VEVENT")[0]
    assert event.decoded("dtstart") == proposed
    assert str(event["attendee"]) == f"mailto:{no_show.email}"
    assert str(event["organizer"]) == f"mailto:{world.a.sales_rep.email}"


def test_a_dead_mail_server_keeps_the_step_and_its_email_waits(
    world: World, no_show: Lead, run: CadenceRun, settings: Any
) -> None:
    """The step is done when the rep did it; the email goes out when the server is back."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", free_port()  # nothing listens
    email = complete_task(task=task(run, 1, "email"), actor=world.a.sales_rep, now=DAY1)
    assert email.status == TaskStatus.DONE and email.mail_state == MailState.QUEUED
    assert Activity.objects.filter(lead=no_show, kind="email").exists()
    assert send_queued(now=DAY1) == 0
    email.refresh_from_db()
    assert email.mail_state == MailState.QUEUED  # waiting for the next tick
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    mail.outbox.clear()
    assert send_queued(now=DAY1) == 1
    email.refresh_from_db()
    assert email.mail_state == MailState.SENT and email.mailed_at == DAY1
    assert [m.to for m in mail.outbox] == [[no_show.email]]
    assert send_queued(now=DAY1) == 0  # sent once


def test_a_refused_email_is_shown_told_and_sent_again(
    world: World, no_show: Lead, run: CadenceRun, monkeypatch: pytest.MonkeyPatch
) -> None:
    email = complete_task(task=task(run, 1, "email"), actor=world.a.sales_rep, now=DAY1)

    def refuse(messages: Any, *, what: str = "") -> tuple[list[int], dict[int, str]]:
        return [], {ident: "550 mailbox unavailable" for ident, _ in messages}

    monkeypatch.setattr(delivery, "send_messages", refuse)
    assert send_queued(now=DAY1) == 0
    email.refresh_from_db()
    assert (email.mail_state, email.mail_error) == (MailState.FAILED, "550 mailbox unavailable")
    assert any("was not sent" in t for t in news_for(world.a.sales_rep.pk, no_show))
    with pytest.raises(NotPermitted):
        resend_mail(task=email, actor=world.b.sales_rep, now=DAY1)
    monkeypatch.undo()
    mail.outbox.clear()
    again = resend_mail(task=email, actor=world.a.sales_rep, now=DAY1)
    assert again.mail_state == MailState.QUEUED
    assert send_queued(now=DAY1) == 1
    with pytest.raises(ValidationError):  # only a refused email is sent again
        resend_mail(task=email, actor=world.a.sales_rep, now=DAY1)
    # Unticked, the rep writes herself and leadloop sends nothing.
    other = complete_task(
        task=task(run, 3, "email"), actor=world.a.sales_rep, now=DAY3, send_email=False
    )
    assert other.emailed_to == "" and other.mail_state == MailState.NONE


def test_a_step_waits_for_its_day(world: World, no_show: Lead, run: CadenceRun) -> None:
    with pytest.raises(ValidationError) as caught:
        complete_task(task=task(run, 3, "voicemail"), actor=world.a.sales_rep, now=DAY1)
    assert "Tue 24 Nov" in caught.value.message_dict["task"][0]
    late = complete_task(task=task(run, 1, "voicemail"), actor=world.a.sales_rep, now=DAY3)
    assert late.is_late(DAY3)


def test_only_the_sales_side_of_the_lead_works_its_steps(
    world: World, no_show: Lead, run: CadenceRun
) -> None:
    for outsider in (world.b.sales_rep, world.b.sales_manager, world.a.inside):
        with pytest.raises(NotPermitted):
            complete_task(task=task(run, 1, "voicemail"), actor=outsider, now=DAY1)
    done = complete_task(task=task(run, 1, "voicemail"), actor=world.a.sales_manager, now=DAY1)
    assert done.done_by == world.a.sales_manager


# ---------------------------------------------------------------- the cadence stops


@pytest.mark.parametrize(
    ("kind", "outcome", "state"),
    [
        ("email", "replied", RunState.RESPONDED),
        ("call", "connected", RunState.RESPONDED),
        ("meeting", "scheduled", RunState.REBOOKED),
    ],
)
def test_a_response_stops_the_cadence(
    world: World, no_show: Lead, run: CadenceRun, kind: str, outcome: str, state: str
) -> None:
    complete_task(task=task(run, 1, "voicemail"), actor=world.a.sales_rep, now=DAY1)
    log_activity(
        lead=no_show,
        actor=world.a.sales_rep,
        kind=kind,
        outcome=outcome,
        now=DAY1 + timedelta(hours=2),
    )
    run.refresh_from_db()
    assert run.state == state
    statuses = dict(run.tasks.values_list("position", "status"))
    assert statuses == {0: "done", 1: "cancelled", 2: "cancelled", 3: "cancelled", 4: "cancelled"}
    assert "follow-up stopped" in news_for(world.a.inside.pk, no_show)[-1]
    with pytest.raises(ValidationError):
        complete_task(task=task(run, 1, "email"), actor=world.a.sales_rep, now=DAY1)


def test_a_voicemail_or_sent_email_does_not_stop_it(
    world: World, no_show: Lead, run: CadenceRun
) -> None:
    log_activity(lead=no_show, actor=world.a.sales_rep, kind="call", outcome="voicemail", now=DAY1)
    log_activity(lead=no_show, actor=world.a.sales_rep, kind="email", outcome="sent", now=DAY1)
    run.refresh_from_db()
    assert run.state == RunState.RUNNING


def test_rebooking_moves_the_meeting_and_stops_the_cadence(
    world: World, no_show: Lead, run: CadenceRun
) -> None:
    new_time = DAY3 + timedelta(days=1, hours=5)
    with pytest.raises(ValidationError) as caught:
        rebook_meeting(
            lead=no_show, meeting_at=DAY3 - timedelta(days=1), actor=world.a.sales_rep, now=DAY3
        )
    assert "meeting_at" in caught.value.message_dict
    with pytest.raises(NotPermitted):
        rebook_meeting(lead=no_show, meeting_at=new_time, actor=world.b.sales_rep, now=DAY3)
    lead = rebook_meeting(lead=no_show, meeting_at=new_time, actor=world.a.sales_rep, now=DAY3)
    assert lead.meeting_at == new_time and lead.stage == Stage.NO_SHOW
    run.refresh_from_db()
    assert (run.state, run.rebooked_for) == (RunState.REBOOKED, new_time)
    # The rebooked meeting's outcome waits for the rebooked meeting.
    with pytest.raises(ValidationError) as caught:
        record_outcome(lead=lead, outcome="meeting_held", actor=world.a.sales_rep, now=DAY3)
    assert "meeting_at" in caught.value.message_dict
    held = record_outcome(
        lead=lead,
        outcome="meeting_held",
        actor=world.a.sales_rep,
        now=new_time + timedelta(hours=1),
    )
    assert held.stage == Stage.MEETING_HELD


def test_leaving_the_no_show_stage_ends_the_cadence(
    world: World, no_show: Lead, run: CadenceRun
) -> None:
    lead_transition(
        lead=no_show,
        action="lose",
        actor=world.a.sales_rep,
        now=DAY3,
        data={"reason_code": "unresponsive"},
    )
    run.refresh_from_db()
    assert run.state == RunState.MOVED_ON
    assert set(run.tasks.values_list("status", flat=True)) == {"cancelled"}


def test_templates_are_validated_and_versioned(world: World) -> None:
    default = CadenceTemplate.objects.get(team__isnull=True)
    with pytest.raises(NotPermitted):
        save_template(
            template=default,
            actor=world.a.sales_manager,
            now=NOW,
            name="x",
            recycle_day=7,
            invite_window_days=5,
            steps=[StepSpec(1, "voicemail")],
        )
    mine = customize_for_team(team=world.a.sales, actor=world.a.sales_manager, now=NOW)
    assert customize_for_team(team=world.a.sales, actor=world.a.sales_manager, now=NOW) == mine
    with pytest.raises(NotPermitted):
        customize_for_team(team=world.b.sales, actor=world.a.sales_manager, now=NOW)
    with pytest.raises(ValidationError) as caught:
        save_template(
            template=mine,
            actor=world.a.sales_manager,
            now=NOW,
            name="Mine",
            recycle_day=4,
            invite_window_days=5,
            steps=[StepSpec(1, "voicemail"), StepSpec(1, "voicemail"), StepSpec(5, "email", "x")],
        )
    messages = caught.value.message_dict["steps"]
    assert any("overlap" in m for m in messages) and any("recycle day" in m for m in messages)
    saved = save_template(
        template=mine,
        actor=world.a.sales_manager,
        now=NOW,
        name="Mine",
        recycle_day=4,
        invite_window_days=5,
        steps=[StepSpec(3, "email", "Hi"), StepSpec(1, "voicemail")],
        expected_version=mine.version,
    )
    assert saved.version == mine.version + 1
    assert [(s.position, s.day) for s in saved.steps.all()] == [(0, 1), (1, 3)]
    with pytest.raises(ValidationError) as caught:
        save_template(
            template=mine,
            actor=world.a.sales_manager,
            now=NOW,
            name="Stale",
            recycle_day=4,
            invite_window_days=5,
            steps=[StepSpec(1, "voicemail")],
            expected_version=mine.version,
        )
    assert "version" in caught.value.message_dict
