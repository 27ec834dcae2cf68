"""SLA policies: the services, the pages, who may change what, and what a change does."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from leadloop.campaigns.choices import Channel, SlaUnit
from leadloop.campaigns.models import Campaign, SourcePolicy
from leadloop.campaigns.selectors import policy_for
from leadloop.campaigns.services import (
    POLICY_FIELDS,
    remove_campaign_override,
    set_campaign_override,
    update_source_policy,
)
from leadloop.lib import pages
from leadloop.lib.errors import NotPermitted
from leadloop.testing import NOW, World, client_for, make_lead

LIST_URL = "/sla/policies"


@pytest.fixture(autouse=True)
def pinned_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pages, "clock", lambda: NOW)


def default(channel: str) -> SourcePolicy:
    return SourcePolicy.objects.get(channel=channel, campaign__isnull=True)


def values(policy: SourcePolicy) -> dict[str, Any]:
    policy.refresh_from_db()
    return {name: getattr(policy, name) for name in POLICY_FIELDS}


def form_data(policy: SourcePolicy, **changes: Any) -> dict[str, str]:
    return {name: str(value) for name, value in (values(policy) | changes).items()}


def edit_url(policy: SourcePolicy) -> str:
    return reverse("campaigns:policy_edit", args=[policy.pk])


def campaign_url(campaign: Campaign) -> str:
    return reverse("campaigns:campaign_policy", args=[campaign.pk])


def new_lead_due(world: World) -> datetime:
    """first_contact_due of a lead arriving at NOW (Tue 10:00 Berlin) on Alpha's campaign."""
    due = make_lead(world.a).first_contact_due
    assert due is not None
    return due.astimezone(UTC)


# The seeds' web request for information: 12 business hours from Tue 10:00 on
# Mon-Fri 09:00-17:00 Berlin is Wed 14:00 Berlin.
SEED_DUE = datetime(2026, 11, 18, 13, 0, tzinfo=UTC)


# ---------------------------------------------------------------- services


def test_update_changes_only_the_given_settings(world: World) -> None:
    policy = default(Channel.WEB_RFI)
    before = values(policy)
    update_source_policy(policy=policy, actor=world.marketing, max_dials=8)
    assert values(policy) == before | {"max_dials": 8}


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"priority": 0}, "priority"),
        ({"priority": 6}, "priority"),
        ({"first_contact_amount": 0}, "first_contact_amount"),
        ({"first_contact_unit": "weeks"}, "first_contact_unit"),
        ({"max_open_days": 0}, "max_open_days"),
        ({"feedback_days": 0}, "feedback_days"),
        ({"update_days": 0}, "update_days"),
        ({"accept_days": -1}, "accept_days"),
        ({"max_dials": 0, "max_emails": 0}, "max_dials"),
        ({"max_emails": "3"}, "max_emails"),
        ({"priority": True}, "priority"),
        ({"priority": None}, "priority"),
        ({"channel": "webinar"}, "channel"),
        (
            {"first_contact_amount": 9, "first_contact_unit": SlaUnit.BUSINESS_DAYS},
            "first_contact_amount",
        ),
    ],
)
def test_update_refuses_bad_values_naming_the_field(
    world: World, changes: dict[str, Any], field: str
) -> None:
    policy = default(Channel.WEB_RFI)
    before = values(policy)
    with pytest.raises(ValidationError) as raised:
        update_source_policy(policy=policy, actor=world.admin, **changes)
    assert list(raised.value.message_dict) == [field]
    assert values(policy) == before


def test_zero_means_the_same_business_day_where_it_makes_sense(world: World) -> None:
    policy = update_source_policy(
        policy=default(Channel.WEBINAR), actor=world.admin, accept_days=0, max_emails=0
    )
    assert (policy.accept_days, policy.max_emails) == (0, 0)


@pytest.mark.parametrize("who", ["inside", "inside2", "sales_rep"])
def test_reps_may_not_change_policies(world: World, who: str) -> None:
    actor = getattr(world.a, who)
    policy = default(Channel.WEB_RFI)
    before = values(policy)
    with pytest.raises(NotPermitted):
        update_source_policy(policy=policy, actor=actor, priority=5)
    with pytest.raises(NotPermitted):
        set_campaign_override(campaign=world.a.campaign, actor=actor, priority=5)
    assert values(policy) == before
    assert not SourcePolicy.objects.filter(campaign__isnull=False).exists()


def test_override_starts_from_the_default_and_is_one_row(world: World) -> None:
    campaign = world.a.campaign
    base = values(default(campaign.channel))
    override = set_campaign_override(campaign=campaign, actor=world.marketing, max_dials=9)
    assert override.campaign == campaign
    assert override.channel == campaign.channel
    assert values(override) == base | {"max_dials": 9}
    again = set_campaign_override(campaign=campaign, actor=world.marketing, priority=2)
    assert again.pk == override.pk
    assert values(again) == base | {"max_dials": 9, "priority": 2}
    assert policy_for(campaign).pk == override.pk
    assert remove_campaign_override(campaign=campaign, actor=world.marketing) is True
    assert remove_campaign_override(campaign=campaign, actor=world.marketing) is False
    assert policy_for(campaign).campaign is None


def test_bad_override_creates_nothing(world: World) -> None:
    with pytest.raises(ValidationError) as raised:
        set_campaign_override(campaign=world.a.campaign, actor=world.admin, priority=9)
    assert list(raised.value.message_dict) == ["priority"]
    assert not SourcePolicy.objects.filter(campaign=world.a.campaign).exists()


@pytest.mark.parametrize(
    ("who", "allowed"),
    [
        ("a.tele_manager", True),
        ("a.sales_manager", True),  # her sales team is fed by the team working it
        ("b.tele_manager", False),
        ("b.sales_manager", False),
        ("marketing", True),
        ("admin", True),
    ],
)
def test_managers_override_only_their_team_pairs_campaigns(
    world: World, who: str, allowed: bool
) -> None:
    side, _, role = who.partition(".")
    actor = getattr(getattr(world, side), role) if role else getattr(world, side)
    if allowed:
        set_campaign_override(campaign=world.a.campaign, actor=actor, max_dials=7)
        assert policy_for(world.a.campaign).max_dials == 7
        return
    with pytest.raises(NotPermitted):
        set_campaign_override(campaign=world.a.campaign, actor=actor, max_dials=7)
    override = set_campaign_override(campaign=world.a.campaign, actor=world.admin)
    with pytest.raises(NotPermitted):
        update_source_policy(policy=override, actor=actor, max_dials=7)
    with pytest.raises(NotPermitted):
        remove_campaign_override(campaign=world.a.campaign, actor=actor)
    assert policy_for(world.a.campaign).pk == override.pk


# ---------------------------------------------------------------- list page


def test_list_shows_every_default_in_words(world: World) -> None:
    response = client_for(world.a.tele_manager).get(LIST_URL)
    assert response.status_code == 200
    rows = {row.scope: row.cells for row in response.context["default_rows"]}
    assert set(rows) == {str(label) for label in Channel.labels}
    web = rows["Web request for information"]
    assert web == [
        "P1",
        "12 business hours",
        "7 business days",
        "5 dials, 3 emails",
        "1 business day",
        "2 business days",
        "10 business days",
        "every 30 days",
    ]
    assert rows["Webinar"][1] == "5 business days"
    html = response.content.decode()
    assert "12 business hours" in html
    assert edit_url(default(Channel.WEB_RFI)) in html
    # Each campaign without its own policy can get one.
    assert campaign_url(world.a.campaign) in html


def test_list_shows_overrides_with_edit_links_where_allowed(world: World) -> None:
    set_campaign_override(
        campaign=world.a.campaign, actor=world.admin, first_contact_amount=1, max_dials=1
    )
    set_campaign_override(campaign=world.b.campaign, actor=world.admin, accept_days=0)
    response = client_for(world.a.tele_manager).get(LIST_URL)
    rows = {row.scope: row for row in response.context["override_rows"]}
    assert rows["Alpha campaign"].cells[1] == "1 business hour"
    assert rows["Alpha campaign"].cells[3] == "1 dial, 3 emails"
    assert rows["Alpha campaign"].edit_url == campaign_url(world.a.campaign)
    assert rows["Beta campaign"].cells[4] == "the same business day"
    assert rows["Beta campaign"].edit_url is None  # Beta's campaign is not hers
    assert list(response.context["candidates"]) == []


@pytest.mark.parametrize("who", ["inside", "inside2", "sales_rep"])
def test_reps_get_403_on_every_policy_page(world: World, who: str) -> None:
    client = client_for(getattr(world.a, who))
    policy = default(Channel.WEB_RFI)
    before = values(policy)
    assert client.get(LIST_URL).status_code == 403
    assert client.get(edit_url(policy)).status_code == 403
    assert client.post(edit_url(policy), form_data(policy, priority=5)).status_code == 403
    assert client.get(campaign_url(world.a.campaign)).status_code == 403
    assert client.post(campaign_url(world.a.campaign), form_data(policy)).status_code == 403
    assert values(policy) == before
    assert not SourcePolicy.objects.filter(campaign__isnull=False).exists()


def test_marketing_home_links_to_the_policies(world: World) -> None:
    html = client_for(world.marketing).get(reverse("web:home")).content.decode()
    assert reverse("campaigns:policy_list") in html


# ---------------------------------------------------------------- channel default


def test_editing_a_channel_default_moves_new_leads_due_times(world: World) -> None:
    assert new_lead_due(world) == SEED_DUE
    policy = default(Channel.WEB_RFI)
    client = client_for(world.a.tele_manager)
    page = client.get(edit_url(policy))
    assert page.status_code == 200
    assert 'name="first_contact_amount" value="12"' in page.content.decode()
    response = client.post(edit_url(policy), form_data(policy, first_contact_amount=4))
    assert response.status_code == 302
    assert response["Location"] == LIST_URL
    assert values(policy)["first_contact_amount"] == 4
    assert new_lead_due(world) == datetime(2026, 11, 17, 13, 0, tzinfo=UTC)  # Tue 14:00


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"priority": 0}, "priority", "Select a valid choice"),
        ({"priority": 6}, "priority", "Select a valid choice"),
        ({"first_contact_amount": 0}, "first_contact_amount", "greater than or equal to 1"),
        ({"first_contact_amount": "soon"}, "first_contact_amount", "whole number"),
        ({"first_contact_unit": "weeks"}, "first_contact_unit", "Select a valid choice"),
        ({"max_open_days": 0}, "max_open_days", "greater than or equal to 1"),
        ({"max_dials": 0, "max_emails": 0}, "max_dials", "at least one dial or one email"),
        (
            {"first_contact_amount": 9, "first_contact_unit": SlaUnit.BUSINESS_DAYS},
            "first_contact_amount",
            "later than the maximum open age",
        ),
    ],
)
def test_bad_policy_input_is_shown_on_its_field_and_nothing_is_saved(
    world: World, changes: dict[str, Any], field: str, message: str
) -> None:
    policy = default(Channel.WEB_RFI)
    before = values(policy)
    response = client_for(world.marketing).post(edit_url(policy), form_data(policy, **changes))
    assert response.status_code == 422
    errors = response.context["form"].errors
    assert list(errors) == [field]
    assert message in errors[field][0]
    assert f'has-error" data-field="{field}"' in response.content.decode()
    assert values(policy) == before


def test_editing_an_override_by_id_goes_to_its_campaign(world: World) -> None:
    override = set_campaign_override(campaign=world.a.campaign, actor=world.admin)
    response = client_for(world.a.tele_manager).get(edit_url(override))
    assert response.status_code == 302
    assert response["Location"] == campaign_url(world.a.campaign)
    assert client_for(world.b.tele_manager).get(edit_url(override)).status_code == 403
    assert client_for(world.admin).get("/sla/policies/99999/edit").status_code == 404


def test_policy_edit_needs_a_csrf_token(world: World) -> None:
    policy = default(Channel.WEB_RFI)
    before = values(policy)
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.marketing)
    assert client.post(edit_url(policy), form_data(policy, priority=2)).status_code == 403
    assert values(policy) == before
    client.get(edit_url(policy))
    token = client.cookies["csrftoken"].value
    data = form_data(policy, priority=2) | {"csrfmiddlewaretoken": token}
    assert client.post(edit_url(policy), data).status_code == 302
    assert values(policy)["priority"] == 2


# ---------------------------------------------------------------- campaign override


def test_override_page_adds_edits_and_removes_a_campaigns_policy(world: World) -> None:
    campaign = world.a.campaign
    client = client_for(world.a.sales_manager)
    page = client.get(campaign_url(campaign))
    assert page.status_code == 200
    assert "uses the Web request for information default" in page.content.decode()
    assert "Remove this campaign" not in page.content.decode()

    base = default(campaign.channel)
    data = form_data(base, first_contact_amount=2)
    assert client.post(campaign_url(campaign), data).status_code == 302
    override = SourcePolicy.objects.get(campaign=campaign)
    assert values(override) == values(base) | {"first_contact_amount": 2}
    assert values(base)["first_contact_amount"] == 12  # the default is untouched
    # Tue 10:00 + 2 business hours.
    assert new_lead_due(world) == datetime(2026, 11, 17, 11, 0, tzinfo=UTC)

    page = client.get(campaign_url(campaign)).content.decode()
    assert 'name="first_contact_amount" value="2"' in page
    assert "Remove this campaign" in page
    assert client.post(campaign_url(campaign), form_data(override, max_dials=6)).status_code == 302
    assert SourcePolicy.objects.filter(campaign=campaign).count() == 1
    assert values(override)["max_dials"] == 6

    response = client.post(campaign_url(campaign), {"remove": "1"})
    assert response.status_code == 302
    assert not SourcePolicy.objects.filter(campaign=campaign).exists()
    assert new_lead_due(world) == SEED_DUE


def test_bad_override_input_creates_nothing(world: World) -> None:
    campaign = world.a.campaign
    data = form_data(default(campaign.channel), max_dials=0, max_emails=0)
    response = client_for(world.marketing).post(campaign_url(campaign), data)
    assert response.status_code == 422
    assert list(response.context["form"].errors) == ["max_dials"]
    assert not SourcePolicy.objects.filter(campaign=campaign).exists()


@pytest.mark.parametrize("who", ["tele_manager", "sales_manager"])
def test_other_teams_managers_may_not_override_a_campaign(world: World, who: str) -> None:
    campaign = world.a.campaign
    override = set_campaign_override(campaign=campaign, actor=world.admin, max_dials=4)
    client = client_for(getattr(world.b, who))
    assert client.get(campaign_url(campaign)).status_code == 403
    data = form_data(override, max_dials=9)
    assert client.post(campaign_url(campaign), data).status_code == 403
    assert client.post(campaign_url(campaign), {"remove": "1"}).status_code == 403
    assert values(override)["max_dials"] == 4
    # Her own team pair's campaign is hers to change.
    assert client.get(campaign_url(world.b.campaign)).status_code == 200


def test_unknown_campaign_is_404(world: World) -> None:
    assert client_for(world.admin).get("/campaigns/99999/policy").status_code == 404
