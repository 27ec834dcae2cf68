"""Headless Chromium: under the Content-Security-Policy nothing the app needs is blocked.

The browser reports every blocked script, style, image or request as a
`securitypolicyviolation` event; a page that works only in part would show
one here. htmx (the inbox count, the queue filter) must still work.
"""

from __future__ import annotations

from typing import Any

import pytest

from leadloop.accounts.models import User
from leadloop.testing import World, log_in, make_lead

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

RECORD_VIOLATIONS = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__csp.push(e.violatedDirective + " " + (e.blockedURI || "inline") + " " + e.sourceFile);
});
"""


def violations(page: Any) -> list[str]:
    return page.evaluate("window.__csp || []")  # type: ignore[no-any-return]


def test_pages_work_under_the_policy(world: World, browser_context: Any) -> None:
    browser_context.add_init_script(RECORD_VIOLATIONS)
    lead = make_lead(world.a, owner=world.a.inside, last_name="Policy")
    console: list[str] = []
    page = log_in(browser_context, world.a.inside.username)
    page.on("console", lambda message: console.append(message.text))
    assert violations(page) == []
    # htmx loaded its configuration and fills the inbox count.
    page.wait_for_function("document.querySelector('.inbox-link').textContent.trim() !== ''")
    assert page.evaluate("htmx.config.allowEval") is False
    assert page.evaluate("htmx.config.includeIndicatorStyles") is False

    page.goto("/queue/")
    # The queue filter is an htmx form: a change swaps the table in place.
    with page.expect_response(lambda r: "/queue/" in r.url and r.request.headers.get("hx-request")):
        page.select_option("select[name=stage]", index=1)
    assert violations(page) == []

    page.goto(f"/leads/{lead.pk}/")
    assert "Policy" in page.content()
    assert violations(page) == []

    page.goto("/api/v1/docs")
    # Swagger UI, served from the installed package, renders every operation.
    page.wait_for_selector(".swagger-ui .opblock")
    assert violations(page) == []
    assert not [text for text in console if "Content Security Policy" in text]


def test_the_admin_works_under_the_policy(world: World, browser_context: Any) -> None:
    browser_context.add_init_script(RECORD_VIOLATIONS)
    page = log_in(browser_context, world.admin.username)
    page.goto("/admin/accounts/user/")
    page.wait_for_selector("#result_list")
    # The changelist's JavaScript (select all, actions) runs from static files.
    page.check("#action-toggle")
    assert page.locator(".action-counter").inner_text().startswith(f"{User.objects.count()} of")
    assert violations(page) == []
