"""The lead page's details a rep trips over: meeting outcomes before the meeting, an
empty qualification called "saved", a page claiming she works a lead she handed off."""

from __future__ import annotations

from datetime import timedelta

import pytest

from leadloop.leads.models import Lead
from leadloop.lib import pages
from leadloop.lifecycle.claims import claim_lead
from leadloop.lifecycle.sales import accept_handoff
from leadloop.testing import NOW, World, client_for, hand_off, make_lead

pytestmark = pytest.mark.django_db


def test_meeting_outcomes_are_offered_once_the_meeting_has_started(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    lead = hand_off(world, make_lead(world.a, owner=world.a.inside, now=NOW), now=NOW)
    accept_handoff(lead=lead.pk, actor=world.a.sales_rep, now=NOW + timedelta(hours=1))
    meeting = Lead.objects.get(pk=lead.pk).meeting_at
    assert meeting is not None
    client = client_for(world.a.sales_rep)
    monkeypatch.setattr(pages, "clock", lambda: meeting - timedelta(hours=1))
    before = client.get(f"/leads/{lead.pk}/").content.decode()
    assert (
        'name="action" value="meeting_held"' not in before
        and 'name="action" value="no_show"' not in before
    )
    assert "to record once the meeting has started" in before
    monkeypatch.setattr(pages, "clock", lambda: meeting + timedelta(minutes=5))
    after = client.get(f"/leads/{lead.pk}/").content.decode()
    assert (
        'name="action" value="meeting_held"' in after and 'name="action" value="no_show"' in after
    )


def test_an_empty_qualification_is_not_saved(world: World) -> None:
    lead = make_lead(world.a, owner=world.a.inside, now=NOW)
    client = client_for(world.a.inside)
    response = client.post(f"/leads/{lead.pk}/qualification", {"expected_version": lead.version})
    assert response.status_code == 422
    page = response.content.decode()
    assert "Nothing to save" in page and "Qualification saved." not in page
    assert Lead.objects.get(pk=lead.pk).qualification in (None, {})


def test_after_the_hand_off_the_page_does_not_say_she_works_the_lead(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    lead = make_lead(world.a, owner=world.a.inside, now=NOW)
    claim_lead(lead=lead, user=world.a.inside, now=NOW)
    hand_off(world, Lead.objects.get(pk=lead.pk), now=NOW + timedelta(minutes=1))
    monkeypatch.setattr(pages, "clock", lambda: NOW + timedelta(minutes=2))
    page = client_for(world.a.inside).get(f"/leads/{lead.pk}/").content.decode()
    assert "You are working this lead" not in page
    assert "You can read this lead; others work it." in page
