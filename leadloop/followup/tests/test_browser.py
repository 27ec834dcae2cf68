"""Headless Chromium: the sales rep accepts a handoff, marks the no-show, does the day 1 and
day 3 steps; `leadloop tick --now` on business day 7 recycles the lead; the inside rep finds
it back in her queue, with a notification.

The web app's clock seam is pinned (the live server runs in this process), so each step
happens on its business day.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from django.core.management import call_command

from leadloop.followup.choices import RunState
from leadloop.followup.models import CadenceRun
from leadloop.followup.tests.conftest import DAY1, DAY3, NO_SHOW_AT, RECYCLE_AT
from leadloop.leads.choices import Stage
from leadloop.leads.models import Lead
from leadloop.lib import pages
from leadloop.testing import NOW, World, hand_off, log_in, make_lead

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def do_steps(page: Any, day: int) -> None:
    """Open each step of the day on the task list and mark it done."""
    for action in ("voicemail", "email"):
        page.goto("/follow-up/tasks/")
        row = page.locator(f'tr[data-day="{day}"][data-action="{action}"]')
        row.locator("summary").click()
        row.locator("button[type=submit]").click()
        page.wait_for_url("**/follow-up/tasks/")
        assert f"Day {day} {action} done" in page.locator(".messages").inner_text()


def test_no_show_cadence_to_recycle(
    tworld: World, live_server: Any, browser_context: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = tworld
    clock = Clock(NOW + timedelta(hours=1))
    monkeypatch.setattr(pages, "clock", clock)
    lead = hand_off(world, make_lead(world.a, owner=world.a.inside, last_name="Noshow"))

    # The sales rep accepts it from her inbox.
    page = log_in(browser_context, world.a.sales_rep.username)
    page.goto("/follow-up/inbox/")
    card = page.locator(f'section[data-lead="{lead.pk}"]')
    assert "Ready to talk." in card.inner_text()
    card.locator("button[name=accept]").click()
    page.wait_for_url("**/follow-up/inbox/")
    assert Lead.objects.get(pk=lead.pk).stage == Stage.ACCEPTED

    # After the meeting time, the prospect did not come: no-show.
    clock.now = NO_SHOW_AT
    page.goto("/follow-up/tasks/")
    page.locator(f'tr[data-lead="{lead.pk}"] button[value=no_show]').click()
    page.wait_for_url("**/follow-up/tasks/")
    assert page.locator("tr.task-pending").count() == 5

    # Business day 1 and business day 3: voicemail and email each.
    clock.now = DAY1
    do_steps(page, 1)
    clock.now = DAY3
    do_steps(page, 3)
    assert page.locator("#tasks-finished tr.task-done").count() == 4
    run = CadenceRun.objects.get(lead=lead)
    assert run.state == RunState.RUNNING

    # No answer by business day 7: the tick sends it back.
    call_command("tick", "--now", RECYCLE_AT.isoformat())
    lead.refresh_from_db()
    assert (lead.stage, lead.owner) == (Stage.RECYCLED, world.a.inside)

    # The inside rep who set the meeting has it back, and was told.
    clock.now = RECYCLE_AT + timedelta(minutes=5)
    inside_context = browser_context.browser.new_context(
        base_url=live_server.url, timezone_id="Europe/Berlin"
    )
    try:
        inside = log_in(inside_context, world.a.inside.username)
        assert inside.locator("h1").first.inner_text() == "My queue"
        queue = inside.locator("#queue")
        assert "Noshow" in queue.inner_text()
        assert "Recycled" in queue.locator("tr", has_text="Noshow").inner_text()
        inside.goto("/notifications/")
        news = inside.locator("main").inner_text()
        assert "Recycle to inside rep" in news
        assert "No response to the no-show follow-up" in news
    finally:
        inside_context.close()
