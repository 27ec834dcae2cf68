"""The bad-input corpus: what a careless client or an attacker sends, and what leadloop answers.

Every row goes through a real door (the API or a web form); every answer is
a 4xx that names the field, and nothing is written. Text that looks like
HTML or SQL is stored as text and shown back escaped.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from leadloop.api.models import IdempotentRequest
from leadloop.leads.models import Lead, LeadEvent
from leadloop.outreach.models import Activity
from leadloop.testing import BANT, World, api, client_for, hand_off, make_lead


def lead_body(world: World, **extra: Any) -> dict[str, Any]:
    return {
        "campaign": world.a.campaign.pk,
        "first_name": "Ana",
        "last_name": "Silva",
        "company": "Globex",
        "email": "ana@globex.example",
        "country": "DE",
        **extra,
    }


def locs(response: Any) -> list[str]:
    detail = response.json()["detail"]
    assert isinstance(detail, list), detail
    return [str(part) for d in detail for part in d["loc"]]


# (what is sent in a new lead, the field the answer must name)
BAD_LEADS: list[tuple[str, dict[str, Any], str]] = [
    ("NUL in a name", {"first_name": "A\x00na"}, "first_name"),
    ("NUL in an attribute", {"attributes": {"source": "x\x00y"}}, "source"),
    ("NUL in an attribute's name", {"attributes": {"so\x00urce": "x"}}, "attributes"),
    ("lone surrogate", {"company": "Glo\ud800bex"}, "company"),
    ("surrogate in an attribute", {"attributes": {"note": "\udfff"}}, "note"),
    ("employees past the column", {"employees": 2**31}, "employees"),
    ("employees past any column", {"employees": 99999999999999999999}, "employees"),
    ("negative employees", {"employees": -5}, "employees"),
    ("not a country", {"country": "XX"}, "country"),
    ("a country name", {"country": "Germany"}, "country"),
    ("bad email", {"email": "not-an-email"}, "email"),
    ("no email nor phone", {"email": "", "phone": ""}, "email"),
    ("over-long name", {"last_name": "x" * 81}, "last_name"),
    ("10,000 attributes", {"attributes": {f"k{i}": i for i in range(10_000)}}, "attributes"),
    ("a 900 KiB attribute", {"attributes": {"blob": "x" * 900_000}}, "body"),
    ("a nested attribute", {"attributes": {"deep": {"a": 1}}}, "attributes"),
    ("an over-long attribute name", {"attributes": {"k" * 65: 1}}, "attributes"),
    ("campaign past any id", {"campaign": 2**64}, "campaign"),
    ("campaign as text", {"campaign": "one"}, "campaign"),
]


@pytest.mark.parametrize(("why", "change", "field"), BAD_LEADS, ids=[b[0] for b in BAD_LEADS])
def test_api_a_bad_lead_is_a_4xx_naming_the_field_and_writes_nothing(
    world: World, why: str, change: dict[str, Any], field: str
) -> None:
    response = api(world, world.marketing, "post", "/leads", lead_body(world, **change))
    assert 400 <= response.status_code < 500, (why, response.status_code, response.content[:300])
    if response.status_code == 422:
        assert field in locs(response), (why, response.json())
    assert not Lead.objects.exists()
    assert not IdempotentRequest.objects.exists()


def test_api_deep_json_and_bodies_that_are_not_an_object_are_refused(world: World) -> None:
    deep: Any = "x"
    for _ in range(40):
        deep = {"a": deep}
    response = api(world, world.marketing, "post", "/leads", lead_body(world, attributes=deep))
    assert response.status_code == 422 and "deeper" in response.content.decode()
    lead = hand_off(world, make_lead(world.a, owner=world.a.inside))
    for body in ([None, None], "start_work", 7):
        r = api(world, world.a.sales_rep, "post", f"/leads/{lead.pk}/transitions", body)
        assert r.status_code == 422, body
        assert r.json()["detail"][0]["msg"].startswith("must be a JSON object")
    broken = Client().post(
        f"/api/v1/leads/{lead.pk}/transitions",
        data="{not json",
        content_type="application/json",
        **world.auth(world.a.sales_rep),
    )
    assert broken.status_code == 400 and "not valid JSON" in broken.json()["detail"]
    assert Lead.objects.get(pk=lead.pk).stage == "handed_off"


# (path with query, the parameter the answer must name)
BAD_QUERIES: list[tuple[str, str]] = [
    ("/leads?stage=bogus", "stage"),
    ("/leads?stage=new,bogus", "stage"),
    ("/leads?owner=99999999999999999999", "owner"),
    ("/leads?created_from=2026-01-01T00:00:00%2B25:00", "created_from"),
    ("/leads?created_from=yesterday", "created_from"),
    ("/leads?campaign=%00", "campaign"),
    ("/leads?cursor=%00", "cursor"),
    ("/leads?limit=100000", "limit"),
    ("/handed-off?offset=9223372036854775808", "offset"),
    ("/handed-off?offset=-1", "offset"),
    ("/notifications?cursor=abc%00", "cursor"),
]


@pytest.mark.parametrize(("path", "field"), BAD_QUERIES, ids=[q[0] for q in BAD_QUERIES])
def test_api_a_bad_query_parameter_is_a_422_naming_it_in_the_query(
    world: World, path: str, field: str
) -> None:
    response = api(world, world.a.inside, "get", path)
    assert response.status_code == 422, (path, response.status_code, response.content[:300])
    detail = response.json()["detail"]
    assert any(d["loc"][0] == "query" and field in d["loc"] for d in detail), detail


def test_api_far_offsets_are_converted_not_refused_by_the_database(world: World) -> None:
    """Offsets up to a day are valid ISO 8601; PostgreSQL takes ±15:59 only: the API converts
    to UTC at the door, so a far but valid offset works on both databases."""
    response = api(world, world.a.inside, "get", "/leads?created_from=2026-01-01T00:00:00%2B23:30")
    assert response.status_code == 200
    lead = make_lead(world.a, owner=world.a.inside, now=timezone.now() - timedelta(hours=1))
    when = (timezone.now() - timedelta(minutes=5)).isoformat()
    far = when[:-6] + "+00:00" if when.endswith("+00:00") else when
    body = {"kind": "call", "outcome": "no_answer", "occurred_at": far}
    assert (
        api(world, world.a.inside, "post", f"/leads/{lead.pk}/activities", body).status_code == 201
    )


# (the transition body, the field the answer must name)
BAD_MOVES: list[tuple[str, dict[str, Any], str]] = [
    ("amount 1e20", {"action": "open_opportunity", "amount": 1e20}, "amount"),
    ("amount 1e30", {"action": "open_opportunity", "amount": "1e30"}, "amount"),
    ("amount NaN", {"action": "open_opportunity", "amount": "NaN"}, "amount"),
    ("negative amount", {"action": "open_opportunity", "amount": -1}, "amount"),
    ("revenue 1e15", {"action": "win", "revenue": 1e15}, "revenue"),
    (
        "next touch in year 0001",
        {"action": "nurture", "next_touch_on": "0001-01-01"},
        "next_touch_on",
    ),
    ("not a date", {"action": "nurture", "next_touch_on": "soon"}, "next_touch_on"),
    (
        "NUL in a note",
        {"action": "nurture", "next_touch_on": "2099-01-01", "note": "a\x00"},
        "note",
    ),
    (
        "a note of a megabyte",
        {"action": "lose", "reason_code": "price", "note": "x" * 10_001},
        "note",
    ),
]


@pytest.mark.parametrize(("why", "body", "field"), BAD_MOVES, ids=[b[0] for b in BAD_MOVES])
def test_api_a_bad_outcome_is_a_422_naming_the_field_and_changes_nothing(
    world: World, why: str, body: dict[str, Any], field: str
) -> None:
    from leadloop.lifecycle.transitions import lead_transition

    lead = hand_off(
        world, make_lead(world.a, owner=world.a.inside), now=timezone.now() - timedelta(days=5)
    )
    rep = world.a.sales_rep
    lead_transition(lead=lead, action="accept", actor=rep, now=timezone.now() - timedelta(days=4))
    lead = lead_transition(lead=lead, action="meeting_held", actor=rep, now=timezone.now())
    events = LeadEvent.objects.filter(lead=lead).count()
    response = api(world, rep, "post", f"/leads/{lead.pk}/transitions", body)
    assert response.status_code == 422, (why, response.status_code, response.content[:300])
    assert field in locs(response), (why, response.json())
    after = Lead.objects.get(pk=lead.pk)
    assert after.stage == "meeting_held" and after.version == lead.version
    assert LeadEvent.objects.filter(lead=lead).count() == events


def test_api_unknown_paths_and_methods_answer_json(world: World) -> None:
    missing = api(world, world.admin, "get", "/no-such-endpoint")
    assert missing.status_code == 404 and "detail" in missing.json()
    huge = api(world, world.admin, "get", "/leads/99999999999999999999999")
    assert huge.status_code == 404 and "detail" in huge.json()
    wrong = api(world, world.admin, "delete", "/leads")
    assert wrong.status_code == 405 and "not allowed" in wrong.json()["detail"]


def test_api_the_same_body_spelled_differently_is_the_same_request(world: World) -> None:
    body = lead_body(world)
    first = api(world, world.marketing, "post", "/leads", body, HTTP_IDEMPOTENCY_KEY="k-1")
    respelled = json.dumps(dict(reversed(list(body.items()))), indent=2)
    again = Client().post(
        "/api/v1/leads",
        data=respelled,
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="k-1",
        **world.auth(world.marketing),
    )
    assert first.status_code == 201 and again.status_code == 201
    assert again.json()["id"] == first.json()["id"]
    assert Lead.objects.count() == 1


def test_api_the_documentation_renders(world: World) -> None:
    schema = Client().get("/api/v1/openapi.json")
    assert schema.status_code == 200
    text = schema.content.decode()
    # One "200" per operation: a JSON object with a key twice breaks every viewer.
    invitation = json.loads(text)["paths"]["/api/v1/followup/tasks/{task_id}/invitation.ics"]
    assert list(invitation["get"]["responses"]).count("200") == 1
    assert '"200": {"description": "OK"}, "404"' not in text or text.count('"200"') >= 1
    names = [n for n in json.loads(text)["components"]["schemas"] if "Qualification" in n]
    assert len(names) == len(set(names)) >= 2
    assert Client().get("/api/v1/docs").status_code == 200


# ---------------------------------------------------------------- web forms


def test_web_nul_in_a_form_is_a_400_and_writes_nothing(world: World) -> None:
    lead = make_lead(world.a, owner=world.a.inside)
    client = client_for(world.a.inside)
    url = reverse("web:lead_activity", args=[lead.pk])
    response = client.post(url, {"kind": "note", "note": "hello\x00world"})
    assert response.status_code == 400 and b"NUL" in response.content
    assert not Activity.objects.filter(lead=lead).exists()
    listing = client.get(reverse("web:lead_list") + "?q=a%00b")
    assert listing.status_code == 400


def test_web_an_over_long_or_huge_input_is_a_field_error(world: World) -> None:
    lead = make_lead(world.a, owner=world.a.inside)
    client = client_for(world.a.inside)
    edit = client.post(
        reverse("web:lead_edit", args=[lead.pk]),
        {"expected_version": lead.version, "employees": "99999999999999999999", "country": "DE"},
    )
    assert edit.status_code == 422
    assert Lead.objects.get(pk=lead.pk).employees is None
    note = client.post(
        reverse("web:lead_activity", args=[lead.pk]), {"kind": "note", "note": "x" * 10_001}
    )
    assert note.status_code == 422
    assert not Activity.objects.filter(lead=lead).exists()
    huge_id = client.get("/leads/99999999999999999999999/")
    assert huge_id.status_code == 404


@pytest.mark.parametrize(
    "text",
    ["<script>alert(1)</script>", "'; DROP TABLE leads_lead; --", '"><img src=x onerror=alert(1)>'],
)
def test_html_and_sql_are_stored_as_text_and_shown_escaped(world: World, text: str) -> None:
    response = api(world, world.marketing, "post", "/leads", lead_body(world, company=text))
    assert response.status_code == 201
    lead = Lead.objects.get(pk=response.json()["id"])
    assert lead.company == text
    page = client_for(world.admin).get(reverse("web:lead_detail", args=[lead.pk])).content.decode()
    assert text not in page
    assert "&lt;" in page or "&#x27;" in page or "&quot;" in page
    assert api(world, world.admin, "get", f"/leads/{lead.pk}").json()["company"] == text


def test_api_qualification_answers_must_be_text(world: World) -> None:
    lead = make_lead(world.a, owner=world.a.inside)
    path = f"/leads/{lead.pk}/qualification"
    for answers in ({**BANT, "budget": 5}, {"budget": ["a"]}, {"budget": "x\x00"}):
        response = api(world, world.a.inside, "put", path, {"answers": answers})
        assert response.status_code == 422, answers
    assert Lead.objects.get(pk=lead.pk).qualification == {}
