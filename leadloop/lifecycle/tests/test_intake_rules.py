"""Who a submission is: a duplicate of an open lead, or a returning prospect whose earlier
lead is closed; and the producer of a lead hears of everything that happens to it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from leadloop.leads.choices import EventKind, Stage
from leadloop.leads.models import Lead, LeadEvent
from leadloop.lib import pages
from leadloop.lifecycle.activities import log_activity
from leadloop.lifecycle.intake import create_lead
from leadloop.lifecycle.sla_sweep import sla_sweep
from leadloop.lifecycle.transitions import lead_transition
from leadloop.notifications.models import Notification
from leadloop.notifications.texts import render
from leadloop.sla.choices import ClockKind
from leadloop.sla.models import SlaClock
from leadloop.testing import NOW, World, api, client_for, hand_off, make_lead


@pytest.fixture(autouse=True)
def pinned_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pages, "clock", lambda: NOW + timedelta(days=1))


def news_for(user_id: int) -> list[str]:
    return [render(n).title for n in Notification.objects.filter(user_id=user_id).order_by("id")]


def submission(world: World, email: str) -> dict[str, object]:
    return {
        "campaign": world.a.campaign.pk,
        "first_name": "Ana",
        "last_name": "Silva",
        "company": "Globex",
        "email": email,
        "country": "DE",
    }


def closed_lead(world: World) -> Lead:
    lead = make_lead(world.a, owner=world.a.inside, email="ana@globex.example")
    return lead_transition(
        lead=lead,
        action="disqualify",
        actor=world.a.inside,
        now=NOW,
        data={"reason_code": "timing"},
    )


def test_api_a_returning_prospect_opens_a_new_inquiry_linked_to_her_closed_lead(
    world: World,
) -> None:
    earlier = closed_lead(world)
    body = submission(world, "ANA@globex.example")
    response = api(
        world, world.marketing, "post", "/leads", body, HTTP_IDEMPOTENCY_KEY="form-ana-2"
    )
    assert response.status_code == 201, response.content
    answer = response.json()
    assert answer["previous_lead"] == earlier.pk and answer["id"] != earlier.pk
    assert answer["stage"] == Stage.NEW and answer["duplicate_of"] is None
    new = Lead.objects.get(pk=answer["id"])
    clock = SlaClock.objects.get(lead=new, kind=ClockKind.FIRST_CONTACT)
    assert clock.started_at == new.created_at  # a fresh SLA clock
    assert LeadEvent.objects.filter(lead=earlier, kind=EventKind.RETURNED).count() == 1
    assert any("asked again" in t for t in news_for(world.a.inside.pk))
    # A retried request creates nothing twice.
    again = api(world, world.marketing, "post", "/leads", body, HTTP_IDEMPOTENCY_KEY="form-ana-2")
    assert again.json()["id"] == answer["id"]
    assert Lead.objects.count() == 2
    # The same person while the new inquiry is open: a duplicate of it, nothing created.
    dup = api(world, world.marketing, "post", "/leads", submission(world, "ana@globex.example"))
    assert dup.status_code == 200 and dup.json()["duplicate_of"] == answer["id"]
    assert Lead.objects.count() == 2


def test_web_the_new_inquiry_shows_the_earlier_leads_history(world: World) -> None:
    earlier = closed_lead(world)
    result = create_lead(
        data=submission(world, "ana@globex.example"),
        campaign=world.a.campaign,
        actor=None,
        now=NOW + timedelta(hours=2),
    )
    assert result.created and result.previous == earlier
    client = client_for(world.a.tele_manager)
    page = client.get(reverse("web:lead_detail", args=[result.lead.pk])).content.decode()
    assert 'id="inquiries"' in page and f"#{earlier.pk}" in page
    assert f'on <a href="/leads/{earlier.pk}/">lead #{earlier.pk}</a>' in page
    assert "Disqualify" in page  # the earlier lead's move, in this lead's timeline
    old_page = client.get(reverse("web:lead_detail", args=[earlier.pk])).content.decode()
    assert "Asked again" in old_page and f"#{result.lead.pk}" in old_page


def test_the_producer_hears_of_a_re_submission_on_her_open_lead(world: World) -> None:
    lead = hand_off(world, make_lead(world.a, owner=world.a.inside, email="bo@initech.example"))
    response = api(
        world, world.marketing, "post", "/leads", submission(world, "bo@initech.example")
    )
    assert response.status_code == 200 and response.json()["duplicate_of"] == lead.pk
    assert any("submitted again" in t for t in news_for(world.a.inside.pk))


def test_the_producer_hears_of_sales_activities_and_missed_sales_slas(world: World) -> None:
    lead = hand_off(world, make_lead(world.a, owner=world.a.inside))
    log_activity(
        lead=lead,
        actor=world.a.sales_rep,
        kind="email",
        outcome="sent",
        note="Agenda sent",
        now=NOW + timedelta(hours=1),
    )
    assert any("sales logged an email (sent)" in t for t in news_for(world.a.inside.pk))
    # Nobody accepts: the acceptance clock runs out; the sweep tells her too.
    due = SlaClock.objects.get(lead=lead, kind=ClockKind.ACCEPT).due_at
    sla_sweep(now=due + timedelta(minutes=1))
    assert any(
        "sales missed the sales accepts or rejects sla" in t.lower()
        for t in news_for(world.a.inside.pk)
    )
    # Her own clocks breaching do not tell her twice as "news".
    assert sum("sales missed" in t for t in news_for(world.a.inside.pk)) == 1


def test_api_times_are_answered_in_utc(world: World) -> None:
    lead = make_lead(world.a, owner=world.a.inside, now=timezone.now())
    body = api(world, world.a.inside, "get", f"/leads/{lead.pk}").json()
    stamps = [body["created_at"], body["first_contact_due"], body["conclude_due"]]
    stamps += [e["at"] for e in body["events"]]
    assert all(s.endswith("Z") for s in stamps), stamps
