"""The follow-up pages: who sees what across two teams, the forms, CSRF, errors by field."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.urls import reverse

from leadloop.followup.choices import TaskStatus
from leadloop.followup.models import CadenceRun, CadenceTask, CadenceTemplate
from leadloop.followup.tests.conftest import DAY1, DAY5, NO_SHOW_AT, accepted, missed
from leadloop.leads.choices import Stage
from leadloop.leads.models import Lead, ReasonCode
from leadloop.lib import pages
from leadloop.lifecycle.cadence_steps import complete_task
from leadloop.lifecycle.sales import record_outcome
from leadloop.testing import NOW, World, client_for, hand_off, make_lead


class Clock:
    """The web app's clock seam, settable per test."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    pinned = Clock(NOW + timedelta(hours=1))
    monkeypatch.setattr(pages, "clock", pinned)
    return pinned


# ---------------------------------------------------------------- the sales inbox


def test_the_inbox_shows_the_handoff_and_its_clock(world: World, clock: Clock) -> None:
    mine = hand_off(world, make_lead(world.a, owner=world.a.inside, last_name="Inboxed"))
    hand_off_b = make_lead(world.b, owner=world.b.inside, last_name="Betaside")
    html = client_for(world.a.sales_rep).get(reverse("followup:inbox")).content.decode()
    assert f'data-lead="{mine.pk}"' in html
    assert "Ready to talk." in html  # the write-up
    assert "50k approved" in html and "CFO" in html  # the qualification answers
    assert str(world.a.inside) in html  # who set the meeting
    assert 'class="clock clock-running"' in html  # the acceptance clock
    assert "Betaside" not in html
    assert hand_off_b.pk  # Beta's lead is not handed to anyone here
    # Beta's sales rep and manager see none of Alpha's.
    for outsider in (world.b.sales_rep, world.b.sales_manager):
        page = client_for(outsider).get(reverse("followup:inbox")).content.decode()
        assert "Inboxed" not in page
    # Alpha's sales manager sees her team's.
    assert (
        "Inboxed"
        in client_for(world.a.sales_manager).get(reverse("followup:inbox")).content.decode()
    )


def test_accept_from_the_inbox(world: World, clock: Clock) -> None:
    lead = hand_off(world, make_lead(world.a, owner=world.a.inside))
    client = client_for(world.a.sales_rep)
    response = client.post(
        reverse("followup:accept", args=[lead.pk]), {"expected_version": lead.version}
    )
    assert response.status_code == 302
    assert Lead.objects.get(pk=lead.pk).stage == Stage.ACCEPTED
    # The same form again is stale: refused, nothing changes.
    again = client.post(
        reverse("followup:accept", args=[lead.pk]), {"expected_version": lead.version}
    )
    assert again.status_code == 409


def test_reject_needs_a_reason_named_on_the_field(world: World, clock: Clock) -> None:
    lead = hand_off(world, make_lead(world.a, owner=world.a.inside))
    client = client_for(world.a.sales_rep)
    url = reverse("followup:reject", args=[lead.pk])
    response = client.post(url, {"expected_version": lead.version, "note": "why"})
    assert response.status_code == 422
    html = response.content.decode()
    assert f'id="id_reject{lead.pk}_reason_code"' in html and "This field is required." in html
    assert Lead.objects.get(pk=lead.pk).stage == Stage.HANDED_OFF
    reason = ReasonCode.objects.get(kind="reject", code="poor_write_up")
    response = client.post(
        url, {"expected_version": lead.version, "reason_code": reason.pk, "note": "Who decides?"}
    )
    assert response.status_code == 302
    lead.refresh_from_db()
    assert (lead.stage, lead.owner, lead.reason_code) == (Stage.REJECTED, world.a.inside, reason)
    # Back in her queue, with a notification naming the reason.
    inside = client_for(world.a.inside)
    assert lead.last_name in inside.get(reverse("web:home")).content.decode()
    inbox = inside.get(reverse("notifications:inbox")).content.decode()
    assert reason.label in inbox and "Who decides?" in inbox


def test_forms_need_csrf(world: World, clock: Clock) -> None:
    lead = hand_off(world, make_lead(world.a, owner=world.a.inside))
    client = client_for(world.a.sales_rep, csrf=True)
    response = client.post(
        reverse("followup:accept", args=[lead.pk]), {"expected_version": lead.version}
    )
    assert response.status_code == 403
    assert Lead.objects.get(pk=lead.pk).stage == Stage.HANDED_OFF
    page = client.get(reverse("followup:inbox")).content.decode()
    assert page.count("csrfmiddlewaretoken") >= 2


def test_others_cannot_answer_a_handoff(world: World, clock: Clock) -> None:
    lead = hand_off(world, make_lead(world.a, owner=world.a.inside))
    for outsider in (world.b.sales_rep, world.b.sales_manager):
        response = client_for(outsider).post(
            reverse("followup:accept", args=[lead.pk]), {"expected_version": lead.version}
        )
        assert response.status_code == 404
    response = client_for(world.a.inside).post(
        reverse("followup:accept", args=[lead.pk]), {"expected_version": lead.version}
    )
    assert response.status_code == 403
    assert Lead.objects.get(pk=lead.pk).stage == Stage.HANDED_OFF


# ---------------------------------------------------------------- cadence tasks


def test_the_task_list_and_doing_a_step(world: World, no_show: Lead, clock: Clock) -> None:
    clock.now = DAY1
    client = client_for(world.a.sales_rep)
    html = client.get(reverse("followup:tasks")).content.decode()
    assert html.count('class="task task-pending"') == 5
    assert "Due today" in html and "From Tue 24 Nov" in html
    voicemail = CadenceTask.objects.get(lead=no_show, day=1, action="voicemail")
    url = reverse("followup:task_done", args=[voicemail.pk])
    assert client.post(url, {"note": "left a message"}).status_code == 302
    assert client.post(url, {"note": "twice"}).status_code == 302
    voicemail.refresh_from_db()
    assert voicemail.status == TaskStatus.DONE and voicemail.note == "left a message"
    assert no_show.activities.filter(kind="call").count() == 1
    # Beta's sales rep cannot see or do it.
    assert client_for(world.b.sales_rep).post(url, {}).status_code == 404
    assert (
        "task-pending"
        not in client_for(world.b.sales_rep).get(reverse("followup:tasks")).content.decode()
    )
    # Alpha's sales manager sees the team's tasks.
    assert (
        f'data-task="{voicemail.pk}"'
        in client_for(world.a.sales_manager).get(reverse("followup:tasks")).content.decode()
    )


def test_an_invitation_without_a_time_is_refused_by_field(
    world: World, no_show: Lead, clock: Clock
) -> None:
    clock.now = DAY5
    client = client_for(world.a.sales_rep)
    invite = CadenceTask.objects.get(lead=no_show, action="invitation")
    page = client.get(reverse("followup:tasks")).content.decode()
    assert f'id="id_task{invite.pk}_proposed_at"' in page
    assert 'value="2026-11-30T10:00"' in page  # two business days on, at the meeting's hour
    url = reverse("followup:task_done", args=[invite.pk])
    response = client.post(url, {"proposed_at": "2026-12-10T10:00", "send_email": "on"})
    assert response.status_code == 422
    assert "within the next 5 business days" in response.content.decode()
    response = client.post(url, {"proposed_at": "2026-11-30T10:00", "send_email": "on"})
    assert response.status_code == 302
    invite.refresh_from_db()
    assert invite.status == TaskStatus.DONE and invite.emailed_to == no_show.email
    ics = client.get(reverse("followup:invitation_ics", args=[invite.pk]))
    assert ics.status_code == 200 and ics["Content-Type"].startswith("text/calendar")
    assert b"BEGIN:VEVENT" in ics.content and b"DTSTART:20261130T090000Z" in ics.content
    # The prospect's calendar names her company first.
    assert f"SUMMARY:{no_show.company}: call with {world.a.sales_rep}".encode() in ics.content
    assert (
        client_for(world.b.sales_rep)
        .get(reverse("followup:invitation_ics", args=[invite.pk]))
        .status_code
        == 404
    )


def test_the_lead_page_shows_the_cadence(world: World, no_show: Lead, clock: Clock) -> None:
    clock.now = DAY1
    client = client_for(world.a.sales_rep)
    html = client.get(reverse("web:lead_detail", args=[no_show.pk])).content.decode()
    assert 'id="followup"' in html
    assert html.index('id="followup"') < html.index("<h2>Timeline</h2>")
    assert "Back to" in html and "Mon 30 Nov 2026, 09:00" in html
    assert html.count("Done: ") == 2  # the day-1 voicemail and email
    assert reverse("followup:rebook", args=[no_show.pk]) in html
    # The inside rep who produced it reads it, without buttons.
    inside = client_for(world.a.inside).get(reverse("web:lead_detail", args=[no_show.pk]))
    assert 'id="followup"' in inside.content.decode() and "Done: " not in inside.content.decode()
    # A step refused from the lead page comes back there, the error named.
    early = CadenceTask.objects.get(lead=no_show, day=3, action="voicemail")
    detail = reverse("web:lead_detail", args=[no_show.pk])
    response = client.post(
        reverse("followup:task_done", args=[early.pk]), {"next": detail}, follow=True
    )
    assert response.redirect_chain == [(detail, 302)]
    assert "Step: this step is for Tue 24 Nov" in response.content.decode()
    early.refresh_from_db()
    assert early.status == TaskStatus.PENDING


def test_rebook_from_the_lead_page(world: World, no_show: Lead, clock: Clock) -> None:
    clock.now = DAY1
    client = client_for(world.a.sales_rep)
    url = reverse("followup:rebook", args=[no_show.pk])
    bad = client.post(url, {"meeting_at": "2026-11-01T10:00"}, follow=True)
    assert "New meeting: the new meeting must be in the future" in bad.content.decode()
    ok = client.post(url, {"meeting_at": "2026-11-25T11:00"})
    assert ok.status_code == 302
    lead = Lead.objects.get(pk=no_show.pk)
    assert lead.meeting_at is not None
    assert lead.meeting_at.isoformat() == "2026-11-25T10:00:00+00:00"
    assert CadenceRun.objects.get(lead=lead).state == "rebooked"


# ---------------------------------------------------------------- feedback owed, purgatory, home


def test_feedback_owed_per_rep_and_home_debt(world: World, clock: Clock) -> None:
    lead = record_outcome(
        lead=accepted(world, last_name="Owing"),
        outcome="meeting_held",
        actor=world.a.sales_rep,
        now=NO_SHOW_AT,
    )
    clock.now = NOW + timedelta(days=30)
    manager = client_for(world.a.sales_manager).get(reverse("followup:feedback_owed"))
    html = manager.content.decode()
    assert f'data-rep="{world.a.sales_rep.pk}"' in html and f'data-lead="{lead.pk}"' in html
    assert "An outcome" in html
    other = (
        client_for(world.b.sales_manager).get(reverse("followup:feedback_owed")).content.decode()
    )
    assert "Owing" not in other and f'data-rep="{world.a.sales_rep.pk}"' not in other
    assert f'data-rep="{world.b.sales_rep.pk}"' in other  # her own rep, owing nothing
    home = client_for(world.a.sales_rep).get(reverse("web:home")).content.decode()
    assert home.index('id="debt"') < home.index("By stage")
    assert "Owing" in home and "feedback overdue" in home
    manager_home = client_for(world.a.sales_manager).get(reverse("web:home")).content.decode()
    assert reverse("followup:feedback_owed") in manager_home
    assert reverse("followup:purgatory") in manager_home


def test_purgatory_page(world: World, clock: Clock) -> None:
    rep = world.a.sales_rep
    lead = record_outcome(
        lead=accepted(world, last_name="Forgotten"),
        outcome="meeting_held",
        actor=rep,
        now=NO_SHOW_AT,
    )
    record_outcome(
        lead=lead,
        outcome="nurture",
        actor=rep,
        now=NO_SHOW_AT,
        data={"next_touch_on": "2026-12-01"},
    )
    clock.now = NOW + timedelta(days=20)
    html = client_for(world.a.sales_manager).get(reverse("followup:purgatory")).content.decode()
    assert f'data-lead="{lead.pk}" data-reason="touch_overdue"' in html
    assert "next tick" in html  # seen before the tick flagged it
    other = client_for(world.b.sales_manager).get(reverse("followup:purgatory")).content.decode()
    assert "Forgotten" not in other
    filtered = client_for(world.a.sales_manager).get(
        reverse("followup:purgatory") + "?reason=no_owner"
    )
    assert "Forgotten" not in filtered.content.decode()


# ---------------------------------------------------------------- cadence templates


def test_a_manager_edits_her_teams_cadence(world: World, clock: Clock) -> None:
    assert client_for(world.a.sales_rep).get(reverse("followup:cadences")).status_code == 403
    manager = client_for(world.a.sales_manager)
    page = manager.get(reverse("followup:cadences")).content.decode()
    assert "No-show follow-up" in page and "Give a team its own cadence" in page
    default = CadenceTemplate.objects.get(team__isnull=True)
    assert manager.post(reverse("followup:cadence_edit", args=[default.pk]), {}).status_code == 403
    response = manager.post(reverse("followup:cadence_customize"), {"team": world.a.sales.pk})
    mine = CadenceTemplate.objects.get(team=world.a.sales)
    assert response["Location"] == reverse("followup:cadence_edit", args=[mine.pk])
    form = {
        "name": "Alpha no-show",
        "recycle_day": "6",
        "invite_window_days": "4",
        "expected_version": str(mine.version),
        "steps-TOTAL_FORMS": "3",
        "steps-INITIAL_FORMS": "0",
        "steps-0-day": "1",
        "steps-0-action": "voicemail",
        "steps-1-day": "1",
        "steps-1-action": "voicemail",
        "steps-2-day": "6",
        "steps-2-action": "email",
        "steps-2-text": "Hi {first_name}",
    }
    response = manager.post(reverse("followup:cadence_edit", args=[mine.pk]), form)
    assert response.status_code == 422
    html = response.content.decode()
    assert "overlap" in html and "not before the recycle day (6)" in html
    form |= {"steps-1-action": "email", "steps-1-text": "Hello", "steps-2-day": "4"}
    response = manager.post(reverse("followup:cadence_edit", args=[mine.pk]), form)
    assert response.status_code == 302
    mine.refresh_from_db()
    assert (mine.name, mine.recycle_day, mine.version) == ("Alpha no-show", 6, 2)
    assert [(s.day, s.action) for s in mine.steps.all()] == [
        (1, "voicemail"),
        (1, "email"),
        (4, "email"),
    ]
    # Beta's manager cannot see Alpha's cadence.
    beta = client_for(world.b.sales_manager)
    assert beta.get(reverse("followup:cadence_edit", args=[mine.pk])).status_code == 404


def test_every_follow_up_page_renders_for_each_role(world: World, clock: Clock) -> None:
    missed(world)
    clock.now = DAY1
    for user in (
        world.a.inside,
        world.a.sales_rep,
        world.a.tele_manager,
        world.a.sales_manager,
        world.marketing,
        world.admin,
    ):
        client = client_for(user)
        for name in ("inbox", "tasks", "feedback_owed", "purgatory"):
            assert client.get(reverse(f"followup:{name}")).status_code == 200, (user, name)
    done = CadenceTask.objects.filter(status=TaskStatus.PENDING, day=1).first()
    assert done is not None
    complete_task(task=done, actor=world.a.sales_rep, now=DAY1)


def test_meetings_to_report_take_held_or_no_show(world: World, clock: Clock) -> None:
    lead = accepted(world, last_name="Reporting")
    client = client_for(world.a.sales_rep)
    url = reverse("followup:outcome", args=[lead.pk])
    assert "Reporting" not in client.get(reverse("followup:tasks")).content.decode()
    early = client.post(url, {"outcome": "no_show", "expected_version": lead.version})
    assert early.status_code == 422
    assert "Meeting: the meeting is on Thu 19 Nov 2026, 10:00" in early.content.decode()
    clock.now = NO_SHOW_AT
    page = client.get(reverse("followup:tasks")).content.decode()
    assert f'data-lead="{lead.pk}"' in page and 'value="no_show"' in page
    assert client_for(world.b.sales_rep).post(url, {"outcome": "no_show"}).status_code == 404
    response = client.post(url, {"outcome": "no_show", "expected_version": lead.version})
    assert response.status_code == 302
    assert Lead.objects.get(pk=lead.pk).stage == Stage.NO_SHOW
    assert CadenceTask.objects.filter(lead=lead).count() == 5
