"""Managing forms through the API and the web pages: who may, what is checked, and the
form's page with its snippets, submissions and numbers."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from leadloop.leads.models import Lead
from leadloop.testing import World, api, client_for
from leadloop.webforms.models import Form, Submission
from leadloop.webforms.stamps import make_stamp

pytestmark = pytest.mark.django_db


def body(world: World, **extra: Any) -> dict[str, Any]:
    return {
        "campaign": world.a.campaign.pk,
        "name": "Contact us",
        "fields": ["first_name", {"name": "email", "required": True}, "attributes.topic"],
        "allowed_origins": ["https://www.example.com"],
        "redirect_url": "https://www.example.com/thanks",
        "consent_text": "Contact me.",
        **extra,
    }


def test_marketing_creates_reads_changes_and_deletes_a_form_through_the_api(
    world: World,
) -> None:
    created = api(world, world.marketing, "POST", "/forms", body(world))
    assert created.status_code == 201, created.content
    data = created.json()
    assert data["id"] and len(data["key"]) >= 20
    assert data["fields"][1] == {"name": "email", "label": "Email", "required": True}
    assert data["page_url"] == f"http://testserver/f/{data['key']}"
    assert data["script_url"].endswith(".js")
    assert data["stats"]["spam"]["honeypot"] == 0 and data["stats"]["conversion"] is None
    listed = api(world, world.marketing, "GET", "/forms").json()
    assert [f["id"] for f in listed] == [data["id"]]
    one = api(world, world.marketing, "GET", f"/forms/{data['id']}").json()
    assert one["key"] == data["key"]
    paused = api(world, world.marketing, "PATCH", f"/forms/{data['id']}", {"is_active": False})
    assert paused.status_code == 200 and paused.json()["is_active"] is False
    assert paused.json()["redirect_url"] == "https://www.example.com/thanks"  # kept
    assert Client().get(f"/f/{data['key']}").status_code == 404
    gone = api(world, world.marketing, "DELETE", f"/forms/{data['id']}")
    assert gone.status_code == 204
    assert not Form.objects.exists()


def test_keys_are_unguessable_and_unique(world: World) -> None:
    keys = {api(world, world.admin, "POST", "/forms", body(world)).json()["key"] for _ in range(5)}
    assert len(keys) == 5
    ids = set(Form.objects.values_list("pk", flat=True))
    assert not any(str(i) in k for k in keys for i in ids if i > 9)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"fields": ["first_name"]}, "fields"),
        ({"fields": ["email", "nickname"]}, "fields"),
        ({"fields": ["email", "attributes.utm_source"]}, "fields"),
        ({"fields": ["email", "email"]}, "fields"),
        ({"allowed_origins": ["not a url"]}, "allowed_origins"),
        ({"allowed_origins": ["https://x.example/path"]}, "allowed_origins"),
        ({"redirect_url": "https://elsewhere.example/"}, "redirect_url"),
        ({"redirect_url": "javascript:alert(1)"}, "redirect_url"),
        ({"name": "  "}, "name"),
        ({"fields": [{"name": "email", "required": "yes"}]}, "fields"),
    ],
)
def test_a_bad_form_is_a_422_naming_the_field(
    world: World, change: dict[str, Any], field: str
) -> None:
    response = api(world, world.marketing, "POST", "/forms", body(world, **change))
    assert response.status_code == 422, response.content
    assert field in json.dumps(response.json()["detail"])
    assert not Form.objects.exists()


def test_reps_may_not_manage_forms_and_managers_only_their_pairs(world: World) -> None:
    for rep in (world.a.inside, world.a.sales_rep):
        assert api(world, rep, "POST", "/forms", body(world)).status_code == 403
        assert api(world, rep, "GET", "/forms").status_code == 403
    alpha = api(world, world.a.tele_manager, "POST", "/forms", body(world)).json()
    assert api(world, world.a.sales_manager, "GET", f"/forms/{alpha['id']}").status_code == 200
    beta = world.b.tele_manager
    assert api(world, beta, "GET", "/forms").json() == []
    assert api(world, beta, "GET", f"/forms/{alpha['id']}").status_code == 404
    assert api(world, beta, "PATCH", f"/forms/{alpha['id']}", {"name": "x"}).status_code == 404
    assert api(world, beta, "DELETE", f"/forms/{alpha['id']}").status_code == 404
    # Nor move one of hers to Alpha's campaign.
    own = api(world, beta, "POST", "/forms", body(world, campaign=world.b.campaign.pk)).json()
    moved = api(world, beta, "PATCH", f"/forms/{own['id']}", {"campaign": world.a.campaign.pk})
    assert moved.status_code == 403
    assert api(world, beta, "POST", "/forms", body(world)).status_code == 403


def test_the_web_pages_create_show_pause_and_delete_a_form(world: World) -> None:
    client = client_for(world.a.tele_manager)
    home = client.get("/")
    assert b'href="/forms/"' in home.content
    assert b'href="/forms/"' not in client_for(world.a.inside).get("/").content
    assert client_for(world.a.inside).get("/forms/").status_code == 403
    bad = client.post(
        "/forms/new",
        {"campaign": world.a.campaign.pk, "name": "Web RFI", "fields_text": "first_name*"},
    )
    assert bad.status_code == 422 and b"email or a phone" in bad.content
    made = client.post(
        "/forms/new",
        {
            "campaign": world.a.campaign.pk,
            "name": "Web RFI",
            "fields_text": "first_name* | Your name\nemail* | Work email\nattributes.topic",
            "consent_text": "Contact me.",
            "allowed_origins": "https://www.example.com\nhttps://shop.example.com",
            "allow_unstamped": "on",
            "is_active": "on",
        },
    )
    assert made.status_code == 302
    form = Form.objects.get()
    assert form.fields[0] == {"name": "first_name", "label": "Your name", "required": True}
    assert form.allowed_origins == ["https://www.example.com", "https://shop.example.com"]
    assert form.created_by == world.a.tele_manager
    # A submission, then the form's page: snippets, numbers, the lead's link.
    Client().post(
        f"/f/{form.key}",
        {
            "first_name": "Grace",
            "email": "grace@navy.example",
            "consent": "yes",
            "_stamp": make_stamp(form.key, now=0),
        },
    )
    Client().post(f"/f/{form.key}", {"email": "bot@spam.example", "website_url": "x"})
    lead = Lead.objects.get()
    page = client.get(made["Location"])
    text = page.content.decode()
    assert f"/f/{form.key}.js" in text and "&lt;iframe" in text and "&lt;form method" in text
    assert f'href="/leads/{lead.pk}/"' in text
    assert 'data-stat="submissions">1<' in text and 'data-spam="honeypot">1<' in text
    listing = client.get("/forms/").content.decode()
    assert "Web RFI" in listing
    edit = client.get(f"/forms/{form.pk}/edit")
    assert b"first_name* | Your name" in edit.content
    assert client.post(f"/forms/{form.pk}/pause").status_code == 302
    assert Client().get(f"/f/{form.key}").status_code == 404
    assert client.post(f"/forms/{form.pk}/pause").status_code == 302
    assert Client().get(f"/f/{form.key}").status_code == 200
    assert client_for(world.b.tele_manager).get(f"/forms/{form.pk}/").status_code == 404
    assert client.post(f"/forms/{form.pk}/delete").status_code == 302
    assert not Form.objects.exists()
    # The consent record stays, with the lead.
    assert Submission.objects.get().consent_text == "Contact me."


def test_a_sales_manager_sees_the_numbers_but_not_leads_not_yet_handed_to_her_team(
    world: World,
) -> None:
    form = Form.objects.get(
        pk=api(world, world.marketing, "POST", "/forms", body(world, consent_text="")).json()["id"]
    )
    Client().post(
        f"/f/{form.key}",
        {
            "first_name": "Grace",
            "email": "grace@navy.example",
            "_stamp": make_stamp(form.key, now=0),
        },
        HTTP_ORIGIN="https://www.example.com",
    )
    lead = Lead.objects.get()
    link = f'href="/leads/{lead.pk}/"'
    tele = client_for(world.a.tele_manager).get(f"/forms/{form.pk}/").content.decode()
    sales = client_for(world.a.sales_manager).get(f"/forms/{form.pk}/").content.decode()
    assert link in tele and "Grace" in tele
    assert link not in sales and "Grace" not in sales
    assert 'data-stat="submissions">1<' in sales
