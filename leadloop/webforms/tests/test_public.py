"""The public doors of a form: the hosted page, its POST (form-encoded and JSON), the JS
snippet, CORS, and the spam checks. Every refused submission creates nothing and is
counted by its reason; a good one goes through the API's intake."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from leadloop.campaigns.models import Campaign
from leadloop.leads.models import Lead
from leadloop.sla.models import SlaClock
from leadloop.testing import NOW, World, make_lead
from leadloop.web.webforms import public
from leadloop.webforms.models import Form, Submission
from leadloop.webforms.selectors import form_by_key, stats
from leadloop.webforms.services import update_form
from leadloop.webforms.stamps import make_stamp
from leadloop.webforms.tests.conftest import make_form

pytestmark = pytest.mark.django_db
ORIGIN = "https://www.example.com"
T0 = NOW.timestamp()


@pytest.fixture(autouse=True)
def pinned(monkeypatch: pytest.MonkeyPatch, settings: Any) -> None:
    """The stamp clock at NOW + 10 s (so a stamp made at NOW is 10 s old), the
    intake at NOW + 10 s too."""
    monkeypatch.setattr(public, "clock", lambda: T0 + 10)
    monkeypatch.setattr(timezone, "now", lambda: NOW + timedelta(seconds=10))
    settings.FORMS_MIN_FILL_SECONDS = 3
    settings.FORMS_RATE_PER_ADDRESS = "off"
    settings.FORMS_RATE_PER_FORM = "off"


def person(n: int = 1, **extra: Any) -> dict[str, Any]:
    return {
        "first_name": "Ada",
        "last_name": f"Lovelace{n}",
        "email": f"ada{n}@engines.example",
        "company": "Engines Ltd",
        "attributes.budget": "50k",
        "consent": "yes",
        **extra,
    }


def stamped(form: Form, data: dict[str, Any], *, at: float = T0) -> dict[str, Any]:
    return data | {"_stamp": make_stamp(form.key, now=at)}


def post_json(client: Client, form: Form, data: dict[str, Any], **headers: Any) -> Any:
    return client.post(
        f"/f/{form.key}",
        data=json.dumps(data),
        content_type="application/json",
        HTTP_ACCEPT="application/json",
        **headers,
    )


def counters(form: Form) -> dict[str, int]:
    """The form's non-zero numbers, as its owner sees them."""
    form.refresh_from_db()
    numbers = stats(form)
    found = {
        "views": numbers.views,
        "submissions": numbers.submissions,
        "leads_created": numbers.leads_created,
    } | {f"spam_{reason}": n for reason, n in numbers.spam.items()}
    return {name: n for name, n in found.items() if n}


def test_hosted_page_is_framed_only_by_the_allowed_origins(form: Form) -> None:
    response = Client().get(f"/f/{form.key}")
    assert response.status_code == 200
    csp = response["Content-Security-Policy"]
    assert f"frame-ancestors 'self' {ORIGIN}" in csp
    assert "X-Frame-Options" not in response
    body = response.content.decode()
    assert 'name="email"' in body and 'name="attributes.budget"' in body
    assert 'name="website_url"' in body and 'name="_stamp"' in body
    assert form.consent_text in body
    assert counters(form) == {"views": 1}


def test_a_plain_html_post_makes_a_lead_and_answers_303_to_the_thank_you_page(
    world: World, form: Form
) -> None:
    response = Client().post(
        f"/f/{form.key}?utm_source=newsletter&utm_campaign=spring",
        stamped(form, person()),
        HTTP_ORIGIN=ORIGIN,
        HTTP_REFERER=f"{ORIGIN}/contact",
    )
    assert response.status_code == 303
    assert response["Location"] == f"/f/{form.key}?sent=1"
    assert response["Access-Control-Allow-Origin"] == ORIGIN
    lead = Lead.objects.get(email="ada1@engines.example")
    submitted = NOW + timedelta(seconds=10)
    assert lead.campaign == world.a.campaign and lead.created_at == submitted
    assert lead.owner is not None
    # The SLA clock runs from the submission's time (web RFI: 12 business hours).
    clock = SlaClock.objects.get(lead=lead, kind="first_contact")
    assert clock.started_at == submitted and clock.due_at > submitted
    assert lead.attributes["budget"] == "50k"
    assert lead.attributes["utm_source"] == "newsletter"
    assert lead.attributes["utm_campaign"] == "spring"
    assert lead.attributes["referrer"] == f"{ORIGIN}/contact"
    assert lead.attributes["consent"] == form.consent_text
    assert lead.attributes["consented_at"] == "2026-11-17T09:00:10Z"
    row = Submission.objects.get(lead=lead)
    assert row.form == form and row.created_lead
    assert row.consent_text == form.consent_text and row.consented_at == submitted
    assert row.tracking == {"utm_source": "newsletter", "utm_campaign": "spring"}
    assert counters(form) == {"submissions": 1, "leads_created": 1}
    thanks = Client().get(response["Location"])
    assert b"Thank you" in thanks.content


def test_the_redirect_url_is_where_a_plain_post_goes(world: World) -> None:
    form = make_form(world, redirect_url=f"{ORIGIN}/thanks")
    response = Client().post(f"/f/{form.key}", stamped(form, person()), HTTP_ORIGIN=ORIGIN)
    assert response.status_code == 303
    assert response["Location"] == f"{ORIGIN}/thanks"
    page = Client().get(f"/f/{form.key}")
    assert f"form-action 'self' {ORIGIN}" in page["Content-Security-Policy"]


def test_a_json_post_answers_json_and_a_known_person_gets_the_same_answer(
    world: World, form: Form
) -> None:
    known = make_lead(world.a, email="known@engines.example", last_name="Known")
    client = Client()
    new = post_json(client, form, stamped(form, person()), HTTP_ORIGIN=ORIGIN)
    again = post_json(
        client, form, stamped(form, person(email="known@engines.example")), HTTP_ORIGIN=ORIGIN
    )
    assert new.status_code == again.status_code == 200
    assert new.content == again.content
    assert dict(new.items()).keys() == dict(again.items()).keys()
    assert new.json()["ok"] is True and "redirect_url" in new.json()
    assert Lead.objects.filter(email="known@engines.example").count() == 1
    assert Submission.objects.get(lead=known).created_lead is False
    assert counters(form) == {"submissions": 2, "leads_created": 1}


def test_an_origin_not_allowed_is_refused_and_counted(form: Form) -> None:
    response = post_json(
        Client(), form, stamped(form, person()), HTTP_ORIGIN="https://evil.example"
    )
    assert response.status_code == 403
    assert "Access-Control-Allow-Origin" not in response
    assert not Lead.objects.exists()
    assert counters(form) == {"spam_bad_origin": 1}


def test_preflight_allows_only_the_forms_origins(form: Form) -> None:
    client = Client()
    ok = client.options(
        f"/f/{form.key}",
        HTTP_ORIGIN=ORIGIN,
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="content-type",
    )
    assert ok.status_code == 204
    assert ok["Access-Control-Allow-Origin"] == ORIGIN
    assert "POST" in ok["Access-Control-Allow-Methods"]
    assert "Content-Type" in ok["Access-Control-Allow-Headers"]
    refused = client.options(
        f"/f/{form.key}",
        HTTP_ORIGIN="https://evil.example",
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
    )
    assert refused.status_code == 403
    assert "Access-Control-Allow-Origin" not in refused


def test_the_js_snippet_carries_the_form_and_cors_only_for_its_origins(form: Form) -> None:
    client = Client()
    allowed = client.get(f"/f/{form.key}.js", HTTP_ORIGIN=ORIGIN)
    assert allowed.status_code == 200
    assert allowed["Content-Type"].startswith("text/javascript")
    assert allowed["Cache-Control"] == "no-store"
    assert allowed["Access-Control-Allow-Origin"] == ORIGIN
    text = allowed.content.decode()
    assert form.key in text and '"attributes.budget"' in text and "fetch(" in text
    assert f"http://testserver/f/{form.key}" in text
    refused = client.get(f"/f/{form.key}.js", HTTP_ORIGIN="https://evil.example")
    assert "Access-Control-Allow-Origin" not in refused
    assert counters(form) == {"views": 2}


def test_the_snippet_escapes_what_the_form_says(world: World) -> None:
    form = make_form(world, consent_text="</script><script>alert(1)</script>")
    text = Client().get(f"/f/{form.key}.js").content.decode()
    assert "</script>" not in text
    assert "\\u003C/script\\u003E" in text


def test_paused_and_unknown_keys_answer_404(world: World, form: Form) -> None:
    update_form(form=form, actor=world.marketing, now=NOW, is_active=False)
    client = Client()
    for path in (f"/f/{form.key}", f"/f/{form.key}.js", "/f/NoSuchKeyAtAll1234"):
        assert client.get(path).status_code == 404, path
    assert client.post(f"/f/{form.key}", stamped(form, person())).status_code == 404
    assert not Lead.objects.exists()


def test_a_paused_campaigns_forms_answer_404(world: World, form: Form) -> None:
    Campaign.objects.filter(pk=form.campaign_id).update(is_active=False)
    assert form_by_key(form.key) is None
    assert Client().post(f"/f/{form.key}", stamped(form, person())).status_code == 404
    assert not Lead.objects.exists()


def test_the_form_comes_with_its_campaign_in_one_query(
    world: World, form: Form, django_assert_num_queries: Any
) -> None:
    with django_assert_num_queries(1):
        found = form_by_key(form.key)
        assert found is not None
        assert found.campaign.name == world.a.campaign.name
    assert (found.pk, found.key, found.fields) == (form.pk, form.key, form.fields)
    assert found.allowed_origins == [ORIGIN] and found.created_at == NOW


def test_a_submission_runs_a_pinned_number_of_queries(
    form: Form, django_assert_num_queries: Any
) -> None:
    # The form and its campaign (one statement); the intake's (its campaign,
    # policy and model with the person's locks, the identity match, the rep
    # picked, the lead, clocks and events inserts); the submission's row; the
    # transaction (a savepoint inside the test's).
    client = Client()
    assert post_json(client, form, stamped(form, person(1))).status_code == 200
    with django_assert_num_queries(10):
        response = post_json(client, form, stamped(form, person(2)))
    assert response.status_code == 200
    row = Submission.objects.get(lead__email="ada2@engines.example")
    assert (row.form_id, row.form_name, row.created_lead) == (form.pk, form.name, True)
    assert row.consent_text == form.consent_text and row.consented_at == row.submitted_at


def test_a_filled_honeypot_answers_like_success_and_creates_nothing(form: Form) -> None:
    client = Client()
    html = client.post(f"/f/{form.key}", stamped(form, person(website_url="http://spam")))
    assert html.status_code == 303
    data = post_json(client, form, stamped(form, person(2, website_url="x")), HTTP_ORIGIN=ORIGIN)
    good = post_json(client, form, stamped(form, person(3)), HTTP_ORIGIN=ORIGIN)
    assert data.content == good.content
    assert list(Lead.objects.values_list("email", flat=True)) == ["ada3@engines.example"]
    assert counters(form) == {"spam_honeypot": 2, "submissions": 1, "leads_created": 1}


def test_a_post_faster_than_the_minimum_fill_time_is_refused(form: Form) -> None:
    client = Client()
    quick = stamped(form, person(), at=T0 + 9.8)  # rendered 200 ms ago
    html = client.post(f"/f/{form.key}", quick)
    assert html.status_code == 422
    assert b"That was quick" in html.content
    data = post_json(client, form, quick, HTTP_ORIGIN=ORIGIN)
    assert data.status_code == 422 and "_form" in data.json()["errors"]
    assert data.json()["stamp"]  # a fresh stamp, so a person can send it again
    assert not Lead.objects.exists()
    assert counters(form) == {"spam_too_fast": 2}


def test_a_forged_or_foreign_stamp_is_refused(world: World, form: Form) -> None:
    other = make_form(world, name="Other")
    client = Client()
    forged = person() | {"_stamp": "eyJrIjoi.forged"}
    foreign = stamped(other, person())
    for data in (forged, foreign):
        assert client.post(f"/f/{form.key}", data).status_code == 422
    assert not Lead.objects.exists()
    assert counters(form) == {"spam_bad_stamp": 2}


def test_unstamped_posts_are_refused_when_the_form_says_so(world: World, form: Form) -> None:
    client = Client()
    assert client.post(f"/f/{form.key}", person()).status_code == 303
    update_form(form=form, actor=world.marketing, now=NOW, allow_unstamped=False)
    assert client.post(f"/f/{form.key}", person(2)).status_code == 422
    assert Lead.objects.count() == 1
    assert counters(form)["spam_bad_stamp"] == 1


def test_rate_limits_per_address_and_per_form(form: Form, settings: Any) -> None:
    settings.FORMS_RATE_PER_ADDRESS = "2/min"
    client = Client()
    answers = [
        post_json(client, form, stamped(form, person(n)), HTTP_ORIGIN=ORIGIN).status_code
        for n in range(3)
    ]
    assert answers == [200, 200, 429]
    other_address = post_json(
        client, form, stamped(form, person(9)), HTTP_ORIGIN=ORIGIN, REMOTE_ADDR="10.0.0.9"
    )
    assert other_address.status_code == 200
    # Per form, whichever address: counted from now on.
    settings.FORMS_RATE_PER_FORM = "1/min"
    first, second = (
        post_json(
            client, form, stamped(form, person(n)), HTTP_ORIGIN=ORIGIN, REMOTE_ADDR=f"10.0.1.{n}"
        )
        for n in (10, 11)
    )
    assert first.status_code == 200
    assert second.status_code == 429 and int(second["Retry-After"]) >= 1
    assert Lead.objects.count() == 4
    assert counters(form)["spam_rate_limited"] == 2


def test_validation_errors_name_the_field(form: Form) -> None:
    client = Client()
    bad = person(email="not-an-email")
    html = client.post(f"/f/{form.key}", stamped(form, bad))
    assert html.status_code == 422
    assert b'data-field="email"' in html.content and b"not a valid email" in html.content
    assert b'value="Ada"' in html.content  # what she typed is still there
    missing = post_json(client, form, stamped(form, person() | {"last_name": "", "consent": ""}))
    assert missing.status_code == 422
    assert set(missing.json()["errors"]) == {"last_name", "consent"}
    assert not Lead.objects.exists()
    assert counters(form) == {"spam_invalid": 2}


def test_bad_bodies_are_4xx_never_500(form: Form) -> None:
    client = Client()
    cases = [
        client.post(f"/f/{form.key}", data="[1, 2]", content_type="application/json"),
        client.post(f"/f/{form.key}", data="{not json", content_type="application/json"),
        post_json(client, form, stamped(form, person(**{"attributes.budget": "a\x00b"}))),
        post_json(client, form, stamped(form, person(first_name=["x", "Ada"]))),
        post_json(client, form, stamped(form, person(email={"a": 1}))),
    ]
    assert [r.status_code for r in cases] == [400, 400, 422, 200, 422]
    assert Lead.objects.count() == 1  # a list: its last item counts


def test_only_the_forms_own_fields_are_taken(form: Form) -> None:
    post_json(Client(), form, stamped(form, person(title="CEO", **{"attributes.x": "y"})))
    lead = Lead.objects.get()
    assert lead.title == "" and "x" not in lead.attributes
