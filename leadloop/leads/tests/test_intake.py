from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError

from leadloop.accounts.models import TerritoryRule
from leadloop.leads.choices import EventKind, Stage
from leadloop.leads.models import Lead, LeadEvent
from leadloop.lifecycle.intake import create_lead
from leadloop.testing import NOW, World


def _data(**extra: object) -> dict[str, object]:
    return {
        "first_name": "Ana",
        "last_name": "Silva",
        "company": "Globex GmbH",
        "email": "ana@globex.example",
        "phone": "+49 30 1234567",
        "country": "DE",
        **extra,
    }


def test_new_lead_is_assigned_timed_and_logged(world: World) -> None:
    result = create_lead(data=_data(), campaign=world.a.campaign, actor=None, now=NOW)
    lead = result.lead
    assert result.created
    assert lead.stage == Stage.NEW
    assert lead.owner in (world.a.inside, world.a.inside2)
    assert lead.phone_key == "+49301234567"
    # Web request for information: 12 business hours, Mon-Fri 9-17 Berlin.
    # Tuesday 10:00 + 12h -> Wednesday 14:00 Berlin = 13:00 UTC.
    assert lead.first_contact_due == NOW + timedelta(days=1, hours=4)
    kinds = list(lead.events.values_list("kind", flat=True))
    assert kinds == [EventKind.CREATED, EventKind.ASSIGNED]


@pytest.mark.parametrize(
    "same",
    [
        {"email": "ANA@globex.example", "phone": "", "first_name": "X", "company": "Other"},
        {"email": "other@x.example", "phone": "030 1234567", "first_name": "X"},
        {"email": "other@x.example", "phone": "", "company": "GLOBEX"},
    ],
    ids=["email", "phone", "person-at-company"],
)
def test_duplicate_returns_existing_and_records_submitted_again(
    world: World, same: dict[str, object]
) -> None:
    first = create_lead(data=_data(), campaign=world.a.campaign, actor=None, now=NOW).lead
    again = create_lead(
        data=_data(**same), campaign=world.a.campaign, actor=None, now=NOW + timedelta(hours=1)
    )
    assert not again.created
    assert again.lead.pk == first.pk
    assert Lead.objects.count() == 1
    event = LeadEvent.objects.filter(lead=first, kind=EventKind.SUBMITTED_AGAIN).get()
    assert event.data["campaign"] == world.a.campaign.pk


def test_round_robin_alternates_and_skips_inactive_reps(world: World) -> None:
    owners = [
        create_lead(
            data={"email": f"p{i}@x.example"},
            campaign=world.a.campaign,
            actor=None,
            now=NOW + timedelta(minutes=i),
        ).lead.owner_id
        for i in range(4)
    ]
    assert owners[0] != owners[1]
    assert owners[0] == owners[2] and owners[1] == owners[3]
    world.a.inside2.is_active = False
    world.a.inside2.save()
    later = [
        create_lead(
            data={"email": f"q{i}@x.example"},
            campaign=world.a.campaign,
            actor=None,
            now=NOW + timedelta(hours=1, minutes=i),
        ).lead.owner_id
        for i in range(3)
    ]
    assert set(later) == {world.a.inside.pk}


def test_territory_rule_wins_over_round_robin(world: World) -> None:
    TerritoryRule.objects.create(team=world.a.tele, country="AT", rep=world.a.inside2)
    for i in range(3):
        lead = create_lead(
            data={"email": f"at{i}@x.example", "country": "AT"},
            campaign=world.a.campaign,
            actor=None,
            now=NOW,
        ).lead
        assert lead.owner == world.a.inside2


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"first_name": "No", "last_name": "Contact"}, "email"),
        ({"email": "not-an-email"}, "email"),
        ({"email": "a@b.example", "phone": "banana"}, "phone"),
        ({"email": "a@b.example", "country": "Germany"}, "country"),
        ({"email": "a@b.example", "employees": "many"}, "employees"),
    ],
)
def test_bad_fields_are_named_and_nothing_is_written(
    world: World, data: dict[str, object], field: str
) -> None:
    with pytest.raises(ValidationError) as exc:
        create_lead(data=data, campaign=world.a.campaign, actor=None, now=NOW)
    assert field in exc.value.message_dict
    assert Lead.objects.count() == 0
    assert LeadEvent.objects.count() == 0
