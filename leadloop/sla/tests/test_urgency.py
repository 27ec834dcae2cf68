"""Queue order in SQL: breached first, then due soonest, then source priority, then score."""

from __future__ import annotations

from datetime import timedelta

from leadloop.leads.models import Lead, LeadScore
from leadloop.lifecycle.activities import log_activity
from leadloop.lifecycle.sla_sweep import sla_sweep
from leadloop.sla.selectors import with_urgency
from leadloop.testing import NOW, World, make_lead


def test_urgency_order(world: World, django_assert_num_queries: object) -> None:
    inside = world.a.inside
    make_lead(world.a, owner=inside, now=NOW - timedelta(days=5), last_name="Old")
    sla_sweep(now=NOW)  # its first contact is breached
    make_lead(world.a, owner=inside, now=NOW - timedelta(hours=2), last_name="Soon")
    later = make_lead(world.a, owner=inside, now=NOW, last_name="Later")
    # Same due times: priority decides, then score.
    low = make_lead(world.a, owner=inside, now=NOW, last_name="LowScore")
    LeadScore.objects.create(lead=low, score=10)
    LeadScore.objects.create(lead=later, score=90)
    urgent_source = make_lead(world.a, owner=inside, now=NOW, last_name="UrgentSource")
    Lead.objects.filter(pk=urgent_source.pk).update(priority=0)
    # Contacted: its first-contact clock is met; only the 7-day clock is left.
    contacted = make_lead(world.a, owner=inside, now=NOW - timedelta(hours=3), last_name="Called")
    log_activity(lead=contacted, actor=inside, kind="call", outcome="no_answer", now=NOW)

    with django_assert_num_queries(1):  # type: ignore[operator]
        rows = list(with_urgency(Lead.objects.filter(owner=inside), NOW))
    assert [r.last_name for r in rows] == [
        "Old",
        "Soon",
        "UrgentSource",
        "Later",
        "LowScore",
        "Called",
    ]
    assert rows[0].sla_breached and not rows[1].sla_breached
    assert rows[1].sla_due < rows[2].sla_due
