"""Headless Chromium on a page of another origin (a second local server) that embeds a
leadloop form: the JS snippet, a plain HTML form and the iframe. A person's submission
becomes a lead whose SLA clock runs; a bot that fills the honeypot or sends within
200 ms creates nothing and is counted."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from django.utils import timezone

from leadloop.leads.models import Lead
from leadloop.sla.models import SlaClock
from leadloop.testing import World
from leadloop.web.webforms.snippets import snippets
from leadloop.webforms.models import Form, Submission
from leadloop.webforms.selectors import stats
from leadloop.webforms.services import create_form

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


class Site:
    """A customer's site on 127.0.0.1, another origin than leadloop's live server."""

    def __init__(self) -> None:
        self.pages: dict[str, str] = {"/thanks": "<h1>Thanks from the customer's site</h1>"}
        pages = self.pages

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                body = pages.get(self.path.split("?")[0])
                self.send_response(200 if body is not None else 404)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.end_headers()
                self.wfile.write(f"<!doctype html><html><body>{body or ''}</body></html>".encode())

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.origin = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def site() -> Iterator[Site]:
    s = Site()
    yield s
    s.close()


@pytest.fixture(autouse=True)
def _fill_time(settings: Any) -> None:
    settings.FORMS_MIN_FILL_SECONDS = 1


def _form(world: World, site: Site, **extra: Any) -> Form:
    return create_form(
        actor=world.marketing,
        campaign=world.a.campaign,
        name=extra.pop("name", "Request info"),
        fields=[
            {"name": "first_name", "required": True},
            {"name": "email", "required": True},
            "attributes.topic",
        ],
        consent_text="You may contact me.",
        allowed_origins=[site.origin],
        now=timezone.now(),
        **extra,
    )


def _snippet(form: Form, base: str, title: str) -> str:
    return next(s.code for s in snippets(form, base) if s.title == title)


def _fill(frame: Any, email: str) -> None:
    frame.fill("input[name=first_name]", "Ada")
    frame.fill("input[name=email]", email)
    frame.fill("input[name='attributes.topic']", "routing")
    frame.check("input[name=consent]")


def _counts(form: Form) -> dict[str, int]:
    form.refresh_from_db()
    numbers = stats(form)
    return {
        "submissions": numbers.submissions,
        "honeypot": numbers.spam["honeypot"],
        "too_fast": numbers.spam["too_fast"],
    }


def test_the_js_snippet_on_another_origin(
    browser_context: Any, tworld: World, site: Site, live_server: Any
) -> None:
    form = _form(tworld, site)
    site.pages["/contact"] = "<h1>Contact</h1>" + _snippet(form, live_server.url, "JS snippet")
    page = browser_context.new_page()

    # A person: reads, types, sends after a while; the answer shows in place.
    before = timezone.now()
    page.goto(f"{site.origin}/contact?utm_source=newsletter")
    page.wait_for_selector("form[data-leadloop-form] input[name=email]")
    _fill(page, "ada@engines.example")
    page.wait_for_timeout(1200)
    page.click("form[data-leadloop-form] button[type=submit]")
    page.wait_for_selector(".leadloop-thanks")
    assert "Thank you" in page.inner_text(".leadloop-thanks")
    lead = Lead.objects.get(email="ada@engines.example")
    assert lead.attributes["topic"] == "routing"
    assert lead.attributes["utm_source"] == "newsletter"
    assert lead.attributes["referrer"] == f"{site.origin}/contact?utm_source=newsletter"
    assert lead.attributes["consent"] == "You may contact me."
    clock = SlaClock.objects.get(lead=lead, kind="first_contact")
    assert before <= clock.started_at <= timezone.now() and clock.due_at > clock.started_at

    # A bot sending within 200 ms of the page: refused, shown, counted; nothing made.
    page.goto(f"{site.origin}/contact")
    page.wait_for_selector("form[data-leadloop-form] input[name=email]")
    started = time.monotonic()
    _fill(page, "fast@bots.example")
    page.click("form[data-leadloop-form] button[type=submit]")
    sent_within = time.monotonic() - started
    page.wait_for_selector(".leadloop-alert:not([hidden])")
    assert sent_within < 0.2 + 0.5  # Playwright's own overhead on a busy machine
    assert "quick" in page.inner_text(".leadloop-alert")

    # A bot filling the honeypot: told it worked, nothing made, counted.
    page.goto(f"{site.origin}/contact")
    page.wait_for_selector("form[data-leadloop-form] input[name=email]")
    _fill(page, "trap@bots.example")
    page.eval_on_selector("input[name=website_url]", "el => { el.value = 'http://spam' }")
    page.wait_for_timeout(1200)
    page.click("form[data-leadloop-form] button[type=submit]")
    page.wait_for_selector(".leadloop-thanks")

    assert list(Lead.objects.values_list("email", flat=True)) == ["ada@engines.example"]
    assert _counts(form) == {"submissions": 1, "honeypot": 1, "too_fast": 1}


def test_a_plain_html_form_and_the_iframe_on_another_origin(
    browser_context: Any, tworld: World, site: Site, live_server: Any
) -> None:
    form = _form(tworld, site, redirect_url=f"{site.origin}/thanks")
    site.pages["/plain"] = _snippet(form, live_server.url, "Plain HTML form")
    site.pages["/framed"] = _snippet(form, live_server.url, "iframe")
    page = browser_context.new_page()

    # The plain form: posted by the browser, answered 303 to the customer's page.
    page.goto(f"{site.origin}/plain")
    _fill(page, "grace@navy.example")
    page.click("button[type=submit]")
    page.wait_for_url(f"{site.origin}/thanks")
    assert "Thanks from the customer" in page.inner_text("h1")
    lead = Lead.objects.get(email="grace@navy.example")
    assert SlaClock.objects.filter(lead=lead, kind="first_contact", stopped_at=None).exists()
    assert Submission.objects.get(lead=lead).referrer.startswith(site.origin)

    # A bot posting the plain form with its honeypot filled.
    page.goto(f"{site.origin}/plain")
    _fill(page, "trap@bots.example")
    page.eval_on_selector("input[name=website_url]", "el => { el.value = 'x' }")
    page.click("button[type=submit]")
    page.wait_for_url(f"{site.origin}/thanks")

    # The hosted page, framed by the customer's site (its frame-ancestors allow it).
    page.goto(f"{site.origin}/framed")
    frame = page.frame_locator("iframe")
    frame.locator("input[name=email]").wait_for()
    # Sent at once: too fast, the form comes back with the message.
    frame.locator("input[name=first_name]").fill("Bot")
    frame.locator("input[name=email]").fill("fast@bots.example")
    frame.locator("input[name=consent]").check()
    frame.locator("button[type=submit]").click()
    frame.locator(".ll-alert").wait_for()
    assert "quick" in frame.locator(".ll-alert").inner_text()
    # Then as a person: the redirect leads the frame to the customer's thank-you page.
    frame.locator("input[name=first_name]").fill("Linus")
    frame.locator("input[name=email]").fill("linus@kernel.example")
    frame.locator("input[name=consent]").check()
    page.wait_for_timeout(1200)
    frame.locator("button[type=submit]").click()
    frame.locator("h1", has_text="Thanks from the customer").wait_for()

    emails = set(Lead.objects.values_list("email", flat=True))
    assert emails == {"grace@navy.example", "linus@kernel.example"}
    assert _counts(form) == {"submissions": 2, "honeypot": 1, "too_fast": 1}
    assert timezone.now() - Lead.objects.get(email="linus@kernel.example").created_at < timedelta(
        minutes=1
    )
