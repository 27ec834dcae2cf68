from __future__ import annotations

import json
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from leadloop.leads.models import Lead, LeadEvent, ReasonCode
from leadloop.testing import BANT, NOW, World, make_lead


def post(client: Client, world: World, user: Any, path: str, body: Any, **headers: str) -> Any:
    return client.post(
        f"/api/v1{path}",
        data=json.dumps(body),
        content_type="application/json",
        **world.auth(user),
        **headers,
    )


def get(client: Client, world: World, user: Any, path: str) -> Any:
    return client.get(f"/api/v1{path}", **world.auth(user))


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


def test_create_lead_returns_201_with_owner_and_sla(client: Client, world: World) -> None:
    r = post(client, world, world.marketing, "/leads", lead_body(world))
    assert r.status_code == 201, r.content
    body = r.json()
    for key in (
        "id",
        "stage",
        "owner",
        "sales_rep",
        "campaign",
        "priority",
        "score",
        "first_contact_due",
        "conclude_due",
    ):
        assert key in body
    assert body["stage"] == "new"
    assert body["owner"] in (world.a.inside.pk, world.a.inside2.pk)


def test_duplicate_returns_200_with_duplicate_of(client: Client, world: World) -> None:
    first = post(client, world, world.marketing, "/leads", lead_body(world)).json()
    r = post(
        client,
        world,
        world.marketing,
        "/leads",
        lead_body(world, email="ANA@GLOBEX.example", first_name="Anna"),
    )
    assert r.status_code == 200
    assert r.json()["duplicate_of"] == first["id"]
    assert Lead.objects.count() == 1


def test_idempotency_key_replays_first_answer(client: Client, world: World) -> None:
    r1 = post(
        client, world, world.marketing, "/leads", lead_body(world), HTTP_IDEMPOTENCY_KEY="abc-1"
    )
    events = LeadEvent.objects.count()
    r2 = post(
        client, world, world.marketing, "/leads", lead_body(world), HTTP_IDEMPOTENCY_KEY="abc-1"
    )
    assert r1.status_code == r2.status_code == 201
    assert r1.json() == r2.json()
    assert Lead.objects.count() == 1
    assert LeadEvent.objects.count() == events  # not even a "submitted again"
    r3 = post(
        client,
        world,
        world.marketing,
        "/leads",
        lead_body(world, email="x@y.example"),
        HTTP_IDEMPOTENCY_KEY="abc-1",
    )
    assert r3.status_code == 422
    assert "Idempotency-Key" in json.dumps(r3.json())


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"email": "", "phone": ""}, "email"),
        ({"campaign": 999999}, "campaign"),
        ({"email": "nope"}, "email"),
        ({"employees": "lots"}, "employees"),
    ],
)
def test_bad_lead_is_422_naming_the_field(
    client: Client, world: World, change: dict[str, Any], field: str
) -> None:
    r = post(client, world, world.marketing, "/leads", lead_body(world, **change))
    assert r.status_code == 422, r.content
    assert any(field in [str(p) for p in d["loc"]] for d in r.json()["detail"])
    assert Lead.objects.count() == 0


def test_malformed_json_is_400_and_big_body_413(client: Client, world: World) -> None:
    r = client.post(
        "/api/v1/leads",
        data="{not json",
        content_type="application/json",
        **world.auth(world.marketing),
    )
    assert r.status_code == 400
    big = json.dumps(lead_body(world, title="x" * (1024 * 1024 + 10)))
    r = client.post(
        "/api/v1/leads", data=big, content_type="application/json", **world.auth(world.marketing)
    )
    assert r.status_code == 413
    assert Lead.objects.count() == 0


def test_no_or_bad_token_is_401(client: Client, world: World) -> None:
    assert client.get("/api/v1/leads").status_code == 401
    r = client.get("/api/v1/leads", HTTP_AUTHORIZATION="Bearer ll_wrong")
    assert r.status_code == 401


def test_sales_rep_cannot_create_leads(client: Client, world: World) -> None:
    r = post(client, world, world.a.sales_rep, "/leads", lead_body(world))
    assert r.status_code == 403


def test_who_sees_what(client: Client, world: World) -> None:
    mine = make_lead(world.a, owner=world.a.inside)
    colleague = make_lead(world.a, owner=world.a.inside2)
    other_team = make_lead(world.b, owner=world.b.inside)

    def ids(user: Any) -> set[int]:
        r = get(client, world, user, "/leads?limit=100")
        assert r.status_code == 200
        return {item["id"] for item in r.json()["items"]}

    assert ids(world.a.inside) == {mine.pk}
    assert ids(world.a.tele_manager) == {mine.pk, colleague.pk}
    assert ids(world.b.tele_manager) == {other_team.pk}
    assert ids(world.marketing) == ids(world.admin) == {mine.pk, colleague.pk, other_team.pk}
    assert ids(world.a.sales_rep) == set()
    assert get(client, world, world.a.inside, f"/leads/{other_team.pk}").status_code == 404
    assert get(client, world, world.a.inside, f"/leads/{colleague.pk}").status_code == 404

    r = post(
        client,
        world,
        world.a.inside,
        f"/leads/{mine.pk}/transitions",
        {
            "action": "hand_off",
            "sales_rep": world.a.sales_rep.pk,
            "meeting_at": (timezone.now() + timedelta(days=2)).isoformat(),
            "answers": BANT,
            "write_up": "Ready to talk.",
            "warm_call_confirmed": True,
        },
    )
    assert r.status_code == 200, r.content
    assert ids(world.a.sales_rep) == {mine.pk}
    assert ids(world.a.sales_manager) == {mine.pk}
    assert ids(world.b.sales_rep) == set()
    # The inside rep still sees the fate of the lead she handed off.
    assert mine.pk in ids(world.a.inside)


def test_marketing_reads_but_cannot_act(client: Client, world: World) -> None:
    lead = make_lead(world.a, owner=world.a.inside)
    r = post(
        client, world, world.marketing, f"/leads/{lead.pk}/transitions", {"action": "start_work"}
    )
    assert r.status_code == 403


def test_transitions_409_and_422(client: Client, world: World) -> None:
    lead = make_lead(world.a, owner=world.a.inside)
    r = post(
        client,
        world,
        world.a.inside,
        f"/leads/{lead.pk}/transitions",
        {"action": "win", "revenue": 5},
    )
    assert r.status_code == 409
    assert "new" in r.json()["detail"] and "win" in r.json()["detail"]
    r = post(
        client, world, world.a.inside, f"/leads/{lead.pk}/transitions", {"action": "disqualify"}
    )
    assert r.status_code == 422
    assert r.json()["detail"][0]["loc"][-1] == "reason_code"
    r = post(client, world, world.a.inside, f"/leads/{lead.pk}/transitions", {"action": "fly_away"})
    assert r.status_code == 422
    r = post(
        client,
        world,
        world.a.inside,
        f"/leads/{lead.pk}/transitions",
        {"action": "disqualify", "reason_code": "no_need", "note": "uses spreadsheets"},
    )
    assert r.status_code == 200
    assert r.json()["stage"] == "disqualified"


def test_lead_detail_has_events_oldest_first(client: Client, world: World) -> None:
    lead = make_lead(world.a, owner=world.a.inside)
    post(
        client,
        world,
        world.a.inside,
        f"/leads/{lead.pk}/activities",
        {"kind": "call", "outcome": "no_answer"},
    )
    body = get(client, world, world.a.inside, f"/leads/{lead.pk}").json()
    assert [e["kind"] for e in body["events"]][:2] == ["created", "assigned"]
    assert body["events"][-1]["action"] == "start_work"
    assert body["stage"] == "working"
    assert {"kind", "at", "actor", "data"} <= set(body["events"][0])


def test_activities_validate_outcome_and_drive_attempt_policy(client: Client, world: World) -> None:
    lead = make_lead(world.a, owner=world.a.inside)
    path = f"/leads/{lead.pk}/activities"
    r = post(client, world, world.a.inside, path, {"kind": "call", "outcome": "replied"})
    assert r.status_code == 422
    assert r.json()["detail"][0]["loc"][-1] == "outcome"
    r = post(client, world, world.a.inside2, path, {"kind": "call", "outcome": "no_answer"})
    assert r.status_code == 404
    for _ in range(5):
        r = post(client, world, world.a.inside, path, {"kind": "call", "outcome": "voicemail"})
        assert r.status_code == 201
    for i in range(3):
        r = post(client, world, world.a.inside, path, {"kind": "email", "outcome": "sent"})
        assert r.json()["lead_stage"] == ("unreachable" if i == 2 else "working")
    lead.refresh_from_db()
    assert lead.stage == "unreachable"
    event = lead.events.get(action="mark_unreachable")
    assert "attempt policy" in event.data["note"]
    r = post(client, world, world.a.inside, path, {"kind": "call", "outcome": "no_answer"})
    assert r.status_code == 422


def test_cursor_pagination_walks_every_lead_once(client: Client, world: World) -> None:
    made = {make_lead(world.a, owner=world.a.inside).pk for _ in range(7)}
    seen: list[int] = []
    cursor = ""
    while True:
        r = get(client, world, world.a.inside, f"/leads?limit=3&cursor={cursor}")
        page = r.json()
        seen += [i["id"] for i in page["items"]]
        if not page["next_cursor"]:
            break
        cursor = page["next_cursor"]
    assert sorted(seen) == sorted(made)
    assert len(seen) == len(set(seen))


def test_reference_endpoints(client: Client, world: World) -> None:
    user = world.a.inside
    campaigns = get(client, world, user, "/campaigns").json()
    assert {c["name"] for c in campaigns} >= {"Alpha campaign", "Beta campaign"}
    reasons = get(client, world, user, "/reason-codes?kind=disqualify").json()
    assert any(r["code"] == "out_of_target" and r["out_of_target"] for r in reasons)
    reps = get(client, world, user, "/users?role=sales_rep").json()
    assert {u["username"] for u in reps} == {"alpha_sales", "beta_sales"}
    assert get(client, world, user, "/users?role=wizard").status_code == 422
    q = get(client, world, user, "/qualification").json()
    assert q["keys"] == ["budget", "authority", "need", "timeline"]


def test_openapi_declares_every_response(client: Client, world: World) -> None:
    schema = client.get("/api/v1/openapi.json").json()
    assert schema["openapi"].startswith("3.1")
    create = schema["paths"]["/api/v1/leads"]["post"]["responses"]
    assert {"200", "201", "401", "413", "422"} <= set(create)
    transitions = schema["paths"]["/api/v1/leads/{lead_id}/transitions"]["post"]["responses"]
    assert {"200", "403", "404", "409", "422"} <= set(transitions)
    docs = client.get("/api/v1/docs")
    assert docs.status_code == 200
    assert b"cdn" not in docs.content.lower()


def test_hot_endpoints_have_a_fixed_number_of_queries(
    client: Client, world: World, django_assert_num_queries: Any
) -> None:
    for _ in range(30):
        make_lead(world.a, owner=world.a.inside)
    get(client, world, world.a.inside, "/leads?limit=1")  # the token's last use, once a minute
    get(client, world, world.marketing, "/leads?limit=1")
    get(client, world, world.a.tele_manager, "/leads?limit=1")
    # The token with its user and role, then the page: one query each.
    with django_assert_num_queries(2):
        r = get(client, world, world.a.inside, "/leads?limit=25")
    assert len(r.json()["items"]) == 25
    with django_assert_num_queries(2):
        r = get(client, world, world.marketing, "/leads?limit=25")
    assert len(r.json()["items"]) == 25
    # A manager's scope needs her teams first.
    with django_assert_num_queries(3):
        r = get(client, world, world.a.tele_manager, "/leads?limit=25")
    assert len(r.json()["items"]) == 25


def test_the_list_answers_each_lead_as_the_lead_endpoint_does(client: Client, world: World) -> None:
    """The list reads plain rows; each item is the very answer GET /leads/{id} gives."""
    lead = make_lead(world.a, owner=world.a.inside, attributes={"fleet": 12})
    reason = ReasonCode.objects.filter(kind="disqualify").first()
    assert reason is not None
    Lead.objects.filter(pk=lead.pk).update(
        reason_code=reason,
        next_touch_on=date(2027, 1, 4),
        amount=Decimal("1234.50"),
        meeting_at=NOW,
    )
    make_lead(world.a, owner=world.a.inside)
    items = get(client, world, world.a.inside, "/leads?limit=5").json()["items"]
    listed = next(item for item in items if item["id"] == lead.pk)
    one = get(client, world, world.a.inside, f"/leads/{lead.pk}").json()
    one.pop("events")
    assert listed == one
    assert listed["reason_code"] == reason.code
    assert listed["next_touch_on"] == "2027-01-04"
    assert listed["attributes"] == {"fleet": 12}


def test_intake_and_transition_query_counts_are_pinned(
    client: Client, world: World, django_assert_max_num_queries: Any
) -> None:
    # Intake: auth (and the fresh token's first-use stamp); the campaign with
    # its team, policy, the active scoring model and the active webhook
    # endpoints, with the identity locks on PostgreSQL (one statement); the
    # dedup lookup; the rep picked and stamped (one statement); lead, clocks
    # and events inserts; the transaction's statements (a savepoint inside
    # the test's transaction).
    with django_assert_max_num_queries(10):
        r = post(client, world, world.marketing, "/leads", lead_body(world))
    assert r.status_code == 201
    # With an Idempotency-Key: the key claimed (one statement) before, the answer written after.
    with django_assert_max_num_queries(11):
        r2 = post(
            client,
            world,
            world.marketing,
            "/leads",
            lead_body(world, email="bo@initech.example", first_name="Bo", company="Initech"),
            HTTP_IDEMPOTENCY_KEY="pinned-1",
        )
    assert r2.status_code == 201
    lead_id = r.json()["id"]
    Lead.objects.filter(pk=lead_id).update(owner=world.a.inside)
    with django_assert_max_num_queries(12):
        r = post(
            client, world, world.a.inside, f"/leads/{lead_id}/transitions", {"action": "start_work"}
        )
    assert r.status_code == 200
