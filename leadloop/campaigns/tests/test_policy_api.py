"""/api/v1/source-policies: the defaults and overrides, and partial changes to them."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from django.test import Client

from leadloop.accounts.models import User
from leadloop.campaigns.choices import Channel
from leadloop.campaigns.models import SourcePolicy
from leadloop.campaigns.services import POLICY_FIELDS, set_campaign_override
from leadloop.testing import World, make_lead


def put(client: Client, world: World, user: User, pk: int, body: Any) -> Any:
    return client.put(
        f"/api/v1/source-policies/{pk}",
        data=json.dumps(body),
        content_type="application/json",
        **world.auth(user),
    )


def default(channel: str) -> SourcePolicy:
    return SourcePolicy.objects.get(channel=channel, campaign__isnull=True)


def values(policy: SourcePolicy) -> dict[str, Any]:
    policy.refresh_from_db()
    return {name: getattr(policy, name) for name in POLICY_FIELDS}


def test_list_has_every_default_and_each_override(client: Client, world: World) -> None:
    override = set_campaign_override(campaign=world.a.campaign, actor=world.admin, max_dials=2)
    r = client.get("/api/v1/source-policies", **world.auth(world.marketing))
    assert r.status_code == 200, r.content
    rows = r.json()
    defaults = {row["channel"]: row for row in rows if row["campaign"] is None}
    assert set(defaults) == set(Channel.values)
    assert defaults["web_rfi"]["first_contact_amount"] == 12
    assert defaults["web_rfi"]["first_contact_unit"] == "business_hours"
    own = [row for row in rows if row["campaign"] == world.a.campaign.pk]
    assert [row["id"] for row in own] == [override.pk]
    assert own[0]["max_dials"] == 2


def test_partial_put_changes_only_what_is_sent(client: Client, world: World) -> None:
    policy = default(Channel.WEB_RFI)
    before = values(policy)
    r = put(client, world, world.a.tele_manager, policy.pk, {"first_contact_amount": 4})
    assert r.status_code == 200, r.content
    assert r.json()["first_contact_amount"] == 4
    assert values(policy) == before | {"first_contact_amount": 4}
    due = make_lead(world.a).first_contact_due
    assert due is not None
    # Tue 10:00 Berlin + 4 business hours.
    assert due.astimezone(UTC) == datetime(2026, 11, 17, 13, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"priority": 0}, "priority"),
        ({"priority": 9}, "priority"),
        ({"first_contact_amount": 0}, "first_contact_amount"),
        ({"first_contact_unit": "weeks"}, "first_contact_unit"),
        ({"max_dials": 0, "max_emails": 0}, "max_dials"),
        ({"update_days": None}, "update_days"),
    ],
)
def test_bad_value_is_422_naming_the_field(
    client: Client, world: World, body: dict[str, Any], field: str
) -> None:
    policy = default(Channel.WEB_RFI)
    before = values(policy)
    r = put(client, world, world.marketing, policy.pk, body)
    assert r.status_code == 422, r.content
    assert [d["loc"] for d in r.json()["detail"]] == [["body", field]]
    assert values(policy) == before


def test_non_number_is_422(client: Client, world: World) -> None:
    policy = default(Channel.WEB_RFI)
    r = put(client, world, world.marketing, policy.pk, {"max_dials": "many"})
    assert r.status_code == 422
    assert "max_dials" in r.json()["detail"][0]["loc"]


@pytest.mark.parametrize("who", ["inside", "inside2", "sales_rep"])
def test_reps_get_403(client: Client, world: World, who: str) -> None:
    user = getattr(world.a, who)
    policy = default(Channel.WEB_RFI)
    before = values(policy)
    assert client.get("/api/v1/source-policies", **world.auth(user)).status_code == 403
    assert put(client, world, user, policy.pk, {"priority": 5}).status_code == 403
    assert values(policy) == before


def test_other_teams_manager_may_not_change_an_override(client: Client, world: World) -> None:
    override = set_campaign_override(campaign=world.a.campaign, actor=world.admin, max_dials=2)
    r = put(client, world, world.b.sales_manager, override.pk, {"max_dials": 9})
    assert r.status_code == 403
    assert values(override)["max_dials"] == 2
    r = put(client, world, world.a.sales_manager, override.pk, {"max_dials": 9})
    assert r.status_code == 200
    assert values(override)["max_dials"] == 9


def test_unknown_policy_is_404(client: Client, world: World) -> None:
    assert put(client, world, world.admin, 99999, {"priority": 2}).status_code == 404
