"""The inside rep's workspace in the web app: queue, next lead, claims, quick logging,
qualification, the handoff form's suggestions and preview, her handed-off leads."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.urls import reverse

from leadloop.accounts.models import User
from leadloop.leads.choices import EventKind, Stage
from leadloop.leads.models import Lead, LeadEvent
from leadloop.lib import pages
from leadloop.lifecycle.transitions import lead_transition
from leadloop.outreach.models import Activity
from leadloop.testing import BANT, NOW, World, client_for, hand_off, make_lead


@pytest.fixture(autouse=True)
def pinned_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pages, "clock", lambda: NOW)


def lead_url(lead: Lead) -> str:
    return reverse("web:lead_detail", args=[lead.pk])


@pytest.fixture
def queue_leads(world: World) -> dict[str, Lead]:
    rep = world.a.inside
    return {
        "breached": make_lead(
            world.a, owner=rep, now=NOW - timedelta(days=5), last_name="Breached"
        ),
        "soon": make_lead(world.a, owner=rep, now=NOW - timedelta(hours=2), last_name="Soon"),
        "fresh": make_lead(world.a, owner=rep, now=NOW, last_name="Fresh"),
        "colleague": make_lead(world.a, owner=world.a.inside2, last_name="Colleague"),
    }


def test_queue_shows_her_open_leads_most_urgent_first(world: World, queue_leads: Any) -> None:
    html = client_for(world.a.inside).get(reverse("web:queue")).content.decode()
    assert "My queue" in html
    order = [html.index(name) for name in ("Breached", "Soon", "Fresh")]
    assert order == sorted(order)
    assert "Colleague" not in html
    assert "left" in html and "overdue" in html  # business time on the clocks
    assert 'data-key="n"' in html


def test_queue_filters_with_htmx(world: World, queue_leads: Any) -> None:
    client = client_for(world.a.inside)
    response = client.get(reverse("web:queue"), {"stage": "working"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    body = response.content.decode()
    assert "<html" not in body and "No open leads" in body


def test_next_lead_claims_and_opens_it(world: World, queue_leads: Any) -> None:
    client = client_for(world.a.inside)
    response = client.post(reverse("web:queue_next"), {"rep": world.a.inside.pk})
    assert response.status_code == 302
    assert response["Location"] == lead_url(queue_leads["breached"])
    assert Lead.objects.get(pk=queue_leads["breached"].pk).claimed_by_id == world.a.inside.pk


def test_manager_sees_a_reps_queue_and_reassigns(world: World, queue_leads: Any) -> None:
    manager = client_for(world.a.tele_manager)
    html = manager.get(reverse("web:queue"), {"rep": world.a.inside.pk}).content.decode()
    assert "Queue of" in html and "Reassign the ticked leads" in html
    ids = [queue_leads["soon"].pk, queue_leads["fresh"].pk]
    response = manager.post(
        reverse("web:queue_reassign"), {"lead": ids, "to_rep": world.a.inside2.pk}
    )
    assert response.status_code == 302
    assert set(Lead.objects.filter(pk__in=ids).values_list("owner", flat=True)) == {
        world.a.inside2.pk
    }
    assert (
        LeadEvent.objects.filter(
            lead_id__in=ids, kind=EventKind.ASSIGNED, actor=world.a.tele_manager
        ).count()
        == 2
    )


def test_queues_of_other_teams_are_forbidden(world: World, queue_leads: Any) -> None:
    # Another team's rep is refused, as the API refuses her, not swapped for a queue of
    # Beta's own without a word.
    response = client_for(world.b.tele_manager).get(
        reverse("web:queue"), {"rep": world.a.inside.pk}
    )
    assert response.status_code == 403
    assert "Breached" not in response.content.decode()
    assert client_for(world.a.sales_rep).get(reverse("web:queue")).status_code == 403
    response = client_for(world.a.inside2).post(
        reverse("web:queue_reassign"),
        {"lead": [queue_leads["soon"].pk], "to_rep": world.a.inside2.pk},
    )
    assert Lead.objects.get(pk=queue_leads["soon"].pk).owner_id == world.a.inside.pk
    assert response.status_code == 403


def test_a_lead_is_claimed_by_the_work_button_not_by_opening_it(
    world: World, queue_leads: Any
) -> None:
    lead = queue_leads["soon"]
    rep, manager = client_for(world.a.inside), client_for(world.a.tele_manager)
    page = rep.get(lead_url(lead)).content.decode()
    manager.get(lead_url(lead))  # a manager looking
    assert Lead.objects.get(pk=lead.pk).claimed_by_id is None
    assert "Work this lead" in page
    assert rep.post(reverse("web:lead_claim", args=[lead.pk])).status_code == 302
    assert Lead.objects.get(pk=lead.pk).claimed_by_id == world.a.inside.pk
    html = manager.get(lead_url(lead)).content.decode()
    assert "is working this lead until 10:15 CET" in html  # her manager reads Berlin time
    assert 'data-key="1"' not in html  # no quick logging for her meanwhile
    response = manager.post(
        reverse("web:lead_activity", args=[lead.pk]), {"kind": "call", "outcome": "no_answer"}
    )
    assert response.status_code == 409
    assert "until 10:15 CET (Europe/Berlin)" in response.content.decode()
    assert not Activity.objects.filter(lead=lead).exists()
    # Her manager's claim is refused while she holds it; the other team's rep cannot see it.
    assert manager.post(reverse("web:lead_claim", args=[lead.pk])).status_code == 409
    assert (
        client_for(world.b.inside).post(reverse("web:lead_claim", args=[lead.pk])).status_code
        == 404
    )
    # Any move releases the claim.
    rep.post(reverse("web:lead_activity", args=[lead.pk]), {"kind": "call", "outcome": "no_answer"})
    lead.refresh_from_db()
    assert lead.stage == Stage.WORKING and lead.claimed_by_id is None


def test_marketing_reads_a_lead_but_cannot_claim_it(world: World, queue_leads: Any) -> None:
    lead = queue_leads["soon"]
    client = client_for(world.marketing)
    assert "Work this lead" not in client.get(lead_url(lead)).content.decode()
    assert client.post(reverse("web:lead_claim", args=[lead.pk])).status_code == 403
    assert Lead.objects.get(pk=lead.pk).claimed_by_id is None


def test_quick_log_buttons_log_attempts(world: World, queue_leads: Any) -> None:
    lead = queue_leads["soon"]
    client = client_for(world.a.inside)
    html = client.get(lead_url(lead)).content.decode()
    assert 'data-key="3"' in html and "No answer" in html
    for outcome in ("no_answer", "voicemail"):
        response = client.post(
            reverse("web:lead_activity", args=[lead.pk]), {"kind": "call", "outcome": outcome}
        )
        assert response.status_code == 302
    lead.refresh_from_db()
    assert lead.dials == 2 and lead.stage == Stage.WORKING


def test_attempts_on_a_closed_lead_are_refused(world: World, queue_leads: Any) -> None:
    lead = lead_transition(
        lead=queue_leads["soon"],
        action="disqualify",
        actor=world.a.inside,
        now=NOW,
        data={"reason_code": "no_need"},
    )
    response = client_for(world.a.inside).post(
        reverse("web:lead_activity", args=[lead.pk]), {"kind": "call", "outcome": "no_answer"}
    )
    assert response.status_code in (403, 422)
    assert not Activity.objects.filter(lead=lead).exists()


def test_qualification_form_saves_and_prefills_the_handoff(world: World, queue_leads: Any) -> None:
    lead = queue_leads["soon"]
    client = client_for(world.a.inside)
    data = {"expected_version": lead.version, **{f"answer_{k}": v for k, v in BANT.items()}}
    response = client.post(reverse("web:lead_qualification", args=[lead.pk]), data)
    assert response.status_code == 302
    assert Lead.objects.get(pk=lead.pk).qualification == BANT
    html = client.get(lead_url(lead)).content.decode()
    assert "complete" in html
    assert f'value="{BANT["budget"]}"' in html
    # A stale page is refused, nothing overwritten.
    stale = client.post(
        reverse("web:lead_qualification", args=[lead.pk]),
        {**data, "answer_budget": "none"},
    )
    assert stale.status_code == 409
    assert Lead.objects.get(pk=lead.pk).qualification["budget"] == BANT["budget"]


def test_handoff_form_errors_stay_on_the_fields(world: World, queue_leads: Any) -> None:
    lead = queue_leads["soon"]
    response = client_for(world.a.inside).post(
        reverse("web:lead_transition", args=[lead.pk]),
        {
            "action": "hand_off",
            "expected_version": lead.version,
            "meeting_at": (NOW - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M"),
            "write_up": "x",
            "answer_budget": "yes",
        },
    )
    assert response.status_code == 422
    html = response.content.decode()
    assert "the meeting must be in the future" in html
    assert "Call the sales rep" in html
    assert html.count("This field is required") >= 3  # sales rep and two criteria
    assert Lead.objects.get(pk=lead.pk).stage == Stage.NEW


def test_handoff_preview_shows_both_zones(world: World, queue_leads: Any) -> None:
    User.objects.filter(pk=world.a.sales_rep.pk).update(timezone="America/New_York")
    lead = queue_leads["soon"]
    response = client_for(world.a.inside).get(
        reverse("web:lead_handoff_preview", args=[lead.pk]),
        {"sales_rep": world.a.sales_rep.pk, "meeting_at": "2026-11-19T15:00"},
    )
    text = response.content.decode()
    assert "Thu 19 Nov, 15:00 your time (Europe/Berlin)" in text
    assert "Thu 19 Nov, 09:00 for" in text and "America/New_York" in text


def test_handed_off_page_shows_every_fate(world: World) -> None:
    rep = world.a.inside
    waiting = hand_off(world, make_lead(world.a, owner=rep, last_name="Waiting"))
    lost = hand_off(world, make_lead(world.a, owner=rep, last_name="Lostone"))
    sales = world.a.sales_rep
    lead_transition(lead=lost, action="accept", actor=sales, now=NOW + timedelta(hours=1))
    lead_transition(lead=lost, action="meeting_held", actor=sales, now=NOW + timedelta(days=2))
    lead_transition(
        lead=lost,
        action="lose",
        actor=sales,
        now=NOW + timedelta(days=2),
        data={"reason_code": "price"},
    )
    html = client_for(rep).get(reverse("web:handed_off")).content.decode()
    assert "2 leads handed off" in html
    assert "Waiting" in html and "Lostone" in html
    assert "Lost on price" in html or "price" in html.lower()
    assert "nothing yet" in html  # the waiting one
    assert client_for(world.a.sales_rep).get(reverse("web:handed_off")).status_code == 403
    assert waiting.pk


def test_queue_shows_the_most_urgent_page_with_a_count_and_pages_on(
    world: World, django_assert_num_queries: Any
) -> None:
    from leadloop.leads.queues import QUEUE_PAGE

    rep = world.a.inside
    for n in range(QUEUE_PAGE + 5):
        make_lead(world.a, owner=rep, now=NOW - timedelta(minutes=n), last_name=f"Q{n:03d}x")
    client = client_for(rep)
    client.get(reverse("web:queue"))  # the session and content types, once
    few = 3
    for _ in range(few):
        make_lead(world.a, owner=rep, now=NOW, last_name="Late")
    # Session, user, her role, her teams (the campaign filter), the counts, the
    # page of leads, its clocks, the campaigns of the filter: flat whatever the
    # queue's length.
    with django_assert_num_queries(8):
        html = client.get(reverse("web:queue")).content.decode()
    total = QUEUE_PAGE + 5 + few
    assert f"{total} open leads" in html
    assert f"the {QUEUE_PAGE} most urgent shown" in html
    assert html.count("data-lead=") == QUEUE_PAGE
    assert 'rel="next"' in html and 'rel="prev"' not in html
    second = client.get(reverse("web:queue"), {"page": "2"}).content.decode()
    assert second.count("data-lead=") == total - QUEUE_PAGE
    assert f"{QUEUE_PAGE + 1}\u2013{total} shown" in second
    ids = re.findall(r'data-lead="(\d+)"', html) + re.findall(r'data-lead="(\d+)"', second)
    assert len(set(ids)) == total  # every lead once, the first page's before the second's
    assert 'rel="prev"' in second and 'rel="next"' not in second
    # A page past the end (leads were worked meanwhile) shows the last one.
    assert (
        client.get(reverse("web:queue"), {"page": "9"}).content.decode().count("data-lead=")
        == total - QUEUE_PAGE
    )
    assert client.get(reverse("web:queue"), {"page": "x"}).status_code == 200
