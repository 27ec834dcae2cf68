"""The demo's cadences agree with the lifecycle, and the follow-up pages show real work on them."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

import pytest
from django.test import Client
from django.urls import reverse

from leadloop.accounts.choices import Role
from leadloop.accounts.models import User
from leadloop.followup.choices import RunState, TaskStatus
from leadloop.followup.models import CadenceRun, CadenceTask, PurgatoryFlag
from leadloop.followup.selectors import flag_manager, purgatory_candidates
from leadloop.leads.choices import Stage
from leadloop.leads.models import Lead, LeadEvent
from leadloop.lib import pages
from leadloop.lifecycle.followup_sweep import run_followup
from leadloop.outreach.models import Activity

NOW = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)  # a Tuesday

pytestmark = pytest.mark.django_db


@pytest.fixture
def seeded(monkeypatch: pytest.MonkeyPatch) -> None:
    from leadloop.demo.seed import seed_demo

    seed_demo(leads=4000, seed=10, now=NOW)  # a scenario with cadences running at NOW
    monkeypatch.setattr(pages, "clock", lambda: NOW)


def test_every_no_show_has_its_cadence(seeded: None) -> None:
    no_shows = LeadEvent.objects.filter(action="no_show").count()
    assert no_shows > 10
    assert CadenceRun.objects.count() == no_shows
    states = Counter(CadenceRun.objects.values_list("state", flat=True))
    assert states[RunState.RECYCLED] and states[RunState.RESPONDED] and states[RunState.RUNNING]
    # A cadence runs exactly while its lead waits in "no-show".
    running = set(
        CadenceRun.objects.filter(state=RunState.RUNNING).values_list("lead_id", flat=True)
    )
    assert running == set(Lead.objects.filter(stage=Stage.NO_SHOW).values_list("pk", flat=True))
    # Every done step is its activity, by the sales rep.
    done = CadenceTask.objects.filter(status=TaskStatus.DONE)
    assert done.exists() and not done.filter(activity__isnull=True).exists()
    pairs = set(done.values_list("activity__actor_id", "assignee_id"))
    assert all(actor == rep for actor, rep in pairs)
    assert set(done.values_list("activity__kind", flat=True)) == {"call", "email"}
    # Skipped steps belong to recycled cadences; still-open ones to running ones.
    assert set(
        CadenceTask.objects.filter(status=TaskStatus.SKIPPED).values_list("run__state", flat=True)
    ) == {RunState.RECYCLED}
    assert set(
        CadenceTask.objects.filter(status=TaskStatus.PENDING).values_list("run__state", flat=True)
    ) <= {RunState.RUNNING}
    assert Activity.objects.filter(pk__in=done.values("activity")).count() == done.count()


def test_the_first_tick_recycles_only_what_ran_out(seeded: None) -> None:
    due = set(
        CadenceRun.objects.filter(state=RunState.RUNNING, recycle_at__lte=NOW).values_list(
            "lead_id", flat=True
        )
    )
    result = run_followup(now=NOW)
    assert result.recycled == len(due)
    assert set(Lead.objects.filter(pk__in=due).values_list("stage", flat=True)) <= {Stage.RECYCLED}
    assert run_followup(now=NOW).recycled == 0
    assert result.purgatory_flagged == PurgatoryFlag.objects.count() > 0


def test_the_pages_show_real_work(seeded: None) -> None:
    # The manager of a sales team with a cadence running at NOW.
    manager = User.objects.filter(
        groups__name=Role.MANAGER,
        managed_teams__in=CadenceRun.objects.filter(state=RunState.RUNNING).values("team"),
        is_active=True,
    ).first()
    assert manager is not None
    client = Client()
    client.force_login(manager)
    owed = client.get(reverse("followup:feedback_owed")).content.decode()
    assert 'class="overdue" data-lead=' in owed
    # Purgatory, as the manager who hears of a lead in it.
    in_purgatory = [
        lead
        for leads in purgatory_candidates(NOW).values()
        for lead in leads.annotate(manager=flag_manager())
    ]
    assert in_purgatory
    client.force_login(User.objects.get(pk=in_purgatory[0].manager))
    assert "data-reason=" in client.get(reverse("followup:purgatory")).content.decode()
    client.force_login(manager)
    tasks = client.get(reverse("followup:tasks")).content.decode()
    assert 'class="task task-done"' in tasks or 'class="task task-pending"' in tasks
    rep_with_tasks = (
        CadenceTask.objects.filter(status=TaskStatus.PENDING, assignee__is_active=True)
        .values_list("assignee", flat=True)
        .first()
    )
    assert rep_with_tasks is not None  # a no-show cadence is running when the demo opens
    rep = User.objects.get(pk=rep_with_tasks)
    client.force_login(rep)
    assert 'class="task task-pending"' in client.get(reverse("followup:tasks")).content.decode()
    home = client.get(reverse("web:home")).content.decode()
    assert 'id="debt"' in home
    inbox_rep = Lead.objects.filter(stage=Stage.HANDED_OFF, sales_rep__is_active=True).first()
    assert inbox_rep is not None and inbox_rep.sales_rep is not None
    client.force_login(inbox_rep.sales_rep)
    assert f'data-lead="{inbox_rep.pk}"' in client.get(reverse("followup:inbox")).content.decode()
