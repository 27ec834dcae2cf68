"""Every web form and filter, every field, hostile values: never a server error.

The values are the bad-input corpus of the API's tests (huge and negative numbers, far
dates, a 20,000-character text, markup, JSON where a word is expected); each one is sent
alone into each field of each form a page posts, and into each filter of each list.
A value may be refused (a 4xx, or the form again with its error) or taken (it is valid
text), but no page may answer 5xx.
"""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from leadloop.campaigns.models import SourcePolicy
from leadloop.followup.models import CadenceTemplate
from leadloop.testing import World, client_for, hand_off, make_lead

HUGE = "9" * 30
VALUES = [
    HUGE,
    "-" + HUGE,
    "1e308",
    "NaN",
    "0001-01-01",
    "9999-12-31T23:59",
    "x" * 20000,
    "<b>",
    "[]",
]


def hostile(client: Client) -> Client:
    client.raise_request_exception = False  # see the 500 as the browser would
    return client


@pytest.mark.django_db
def test_hostile_values_never_make_a_server_error(world: World) -> None:
    lead = make_lead(world.a, owner=world.a.inside)
    sold = hand_off(world, make_lead(world.a, owner=world.a.inside))
    policy = SourcePolicy.objects.first()
    tmpl = CadenceTemplate.objects.first()
    assert policy is not None and tmpl is not None
    forms = [
        (
            world.a.inside,
            reverse("web:lead_transition", args=[lead.pk]),
            [
                "action",
                "expected_version",
                "reason_code",
                "note",
                "duplicate_of",
                "sales_rep",
                "meeting_at",
                "amount",
            ],
            {"action": "disqualify"},
        ),
        (
            world.a.inside,
            reverse("web:lead_activity", args=[lead.pk]),
            ["kind", "outcome", "note", "occurred_at"],
            {"kind": "call"},
        ),
        (
            world.a.inside,
            reverse("web:lead_edit", args=[lead.pk]),
            ["expected_version", "employees", "country", "first_name"],
            {},
        ),
        (
            world.a.inside,
            reverse("web:lead_qualification", args=[lead.pk]),
            ["expected_version", "answer_budget"],
            {},
        ),
        (world.a.tele_manager, reverse("web:queue_reassign"), ["leads", "to_rep", "rep"], {}),
        (world.a.inside, reverse("web:queue_next"), ["rep", "campaign", "channel", "stage"], {}),
        (world.a.sales_rep, reverse("followup:accept", args=[sold.pk]), ["expected_version"], {}),
        (
            world.a.sales_rep,
            reverse("followup:reject", args=[sold.pk]),
            ["expected_version", "reason_code", "note"],
            {},
        ),
        (world.a.sales_rep, reverse("followup:rebook", args=[sold.pk]), ["meeting_at", "note"], {}),
        (
            world.a.sales_rep,
            reverse("followup:outcome", args=[sold.pk]),
            [
                "outcome",
                "expected_version",
                "amount",
                "revenue",
                "next_touch_on",
                "expected_close_on",
            ],
            {"outcome": "open_opportunity"},
        ),
        (
            world.admin,
            reverse("campaigns:policy_edit", args=[policy.pk]),
            [
                "priority",
                "first_contact_amount",
                "max_open_days",
                "max_dials",
                "max_emails",
                "accept_days",
                "outcome_days",
                "feedback_days",
                "update_days",
                "version",
            ],
            {},
        ),
        (
            world.admin,
            reverse("followup:cadence_edit", args=[tmpl.pk]),
            [
                "name",
                "recycle_day",
                "invite_window_days",
                "version",
                "form-TOTAL_FORMS",
                "form-0-day",
            ],
            {},
        ),
        (
            world.a.tele_manager,
            reverse("accounts:team_calendar", args=[world.a.tele.pk]),
            ["timezone", "holiday_country", "version", "closures"],
            {},
        ),
        (world.a.inside, reverse("notifications:me"), ["notify_mode", "timezone"], {}),
    ]
    gets = [
        (
            world.a.inside,
            reverse("web:lead_list"),
            [
                "q",
                "stage",
                "campaign",
                "owner",
                "created_from",
                "created_to",
                "cursor",
                "team",
                "age_min",
                "as_of",
                "sla_from",
                "reason",
            ],
        ),
        (world.a.inside, reverse("web:queue"), ["rep", "campaign", "channel", "stage"]),
        (world.a.tele_manager, reverse("followup:tasks"), ["rep"]),
        (world.a.tele_manager, reverse("followup:feedback_owed"), ["rep"]),
        (world.a.tele_manager, reverse("followup:purgatory"), ["reason"]),
        (world.a.inside, reverse("notifications:inbox"), ["show", "cursor"]),
        (world.a.inside, reverse("web:handed_off"), ["page"]),
    ]
    bad = []
    for user, url, fields, base in forms:
        c = hostile(client_for(user))
        for f in fields:
            for v in VALUES:
                r = c.post(url, {**base, f: v})
                if r.status_code >= 500:
                    bad.append(("POST", url, f, v[:20], r.status_code))
    for user, url, fields in gets:
        c = hostile(client_for(user))
        for f in fields:
            for v in VALUES:
                r = c.get(url, {f: v})
                if r.status_code >= 500:
                    bad.append(("GET", url, f, v[:20], r.status_code))
    assert not bad, bad
