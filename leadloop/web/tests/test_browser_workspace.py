"""Headless Chromium: an inside rep works her queue end to end and sales sees the handoff."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from leadloop.leads.choices import Stage
from leadloop.leads.models import Lead
from leadloop.testing import BANT, World, log_in, make_lead

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_inside_rep_works_the_queue_and_hands_off(world: World, browser_context: Any) -> None:
    now = timezone.now()
    urgent = make_lead(
        world.a,
        owner=world.a.inside,
        now=now - timedelta(days=10),
        last_name="Urgent",
        company="Globex",
    )
    make_lead(world.a, owner=world.a.inside, now=now, last_name="Later")

    page = log_in(browser_context, world.a.inside.username)
    page.click("nav.mainnav >> text=Queue")
    page.wait_for_url("**/queue/")
    rows = page.locator("table.queue tbody tr")
    assert rows.count() == 2
    assert "Urgent" in rows.first.inner_text()

    # "Next lead" by keyboard: the most urgent one opens, claimed.
    page.keyboard.press("n")
    page.wait_for_url(f"**/leads/{urgent.pk}/")
    assert "You are working this lead" in page.content()

    # Two calls, one by click, one by key.
    page.click("#quick-log >> text=No answer")
    page.wait_for_selector(".msg-success")
    page.keyboard.press("1")  # connected
    page.wait_for_selector("text=Call (connected) logged.")
    urgent.refresh_from_db()
    assert (urgent.dials, urgent.connects, urgent.stage) == (2, 1, Stage.WORKING)

    # The qualification, answered and saved.
    for key, value in BANT.items():
        page.fill(f"#id_qualification_answer_{key}", value)
    page.click("#qualification >> text=Save answers")
    page.wait_for_selector("text=Qualification saved.")

    # The handoff: the suggested rep is preselected, the answers are there already.
    page.keyboard.press("h")
    handoff = page.locator("#handoff")
    assert handoff.locator("select[name=sales_rep]").input_value() == str(world.a.sales_rep.pk)
    assert handoff.locator("input[name=answer_budget]").input_value() == BANT["budget"]
    meeting = timezone.localtime(now, timezone.get_fixed_timezone(60)) + timedelta(days=3)
    handoff.locator("input[name=meeting_at]").fill(meeting.strftime("%Y-%m-%dT10:00"))
    page.wait_for_selector(f"#meeting-preview-{urgent.pk} >> text=your time")
    handoff.locator("textarea[name=write_up]").fill("Globex wants routing by Q1; CFO on the call.")
    handoff.locator("input[name=warm_call_confirmed]").check()
    handoff.locator("button[type=submit]").click()
    page.wait_for_selector(f"text=Handed off to {world.a.sales_rep}.")
    assert Lead.objects.get(pk=urgent.pk).stage == Stage.HANDED_OFF

    # The sales rep sees it waiting for her.
    sales = log_in(
        browser_context.browser.new_context(base_url=page.url.split("/leads/")[0]),
        world.a.sales_rep.username,
    )
    sales.wait_for_selector("text=Urgent")
    sales.click("text=Urgent")
    sales.wait_for_url(f"**/leads/{urgent.pk}/")
    sales.wait_for_selector("text=Globex wants routing by Q1")
