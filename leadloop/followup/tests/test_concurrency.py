"""Two workers running the follow-up tick at the same moment, on PostgreSQL: every recycle,
late step and purgatory flag exactly once."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection, connections

from leadloop.followup.models import CadenceTask, PurgatoryFlag
from leadloop.followup.tests.conftest import DAY1, RECYCLE_AT, missed
from leadloop.leads.choices import Stage
from leadloop.leads.models import Lead, LeadEvent
from leadloop.lifecycle.followup_sweep import FollowupResult, run_followup
from leadloop.notifications.models import Notification
from leadloop.testing import World

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL row locks"),
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def race(fn: Callable[[], FollowupResult]) -> list[FollowupResult]:
    start = threading.Barrier(2)
    results: dict[str, Any] = {}

    def worker(name: str) -> None:
        try:
            start.wait()
            results[name] = fn()
        except Exception as exc:  # pragma: no cover - reported below
            results[name] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(n,)) for n in ("one", "two")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not any(isinstance(r, Exception) for r in results.values()), results
    return [results["one"], results["two"]]


def test_two_ticks_recycle_each_lead_once(tworld: World) -> None:
    leads = [missed(tworld) for _ in range(8)]
    results = race(lambda: run_followup(now=RECYCLE_AT, batch_size=3))
    assert sum(r.recycled for r in results) == 8
    assert set(
        Lead.objects.filter(pk__in=[x.pk for x in leads]).values_list("stage", flat=True)
    ) == {Stage.RECYCLED}
    per_lead = Counter(LeadEvent.objects.filter(action="recycle").values_list("lead_id", flat=True))
    assert len(per_lead) == 8 and set(per_lead.values()) == {1}
    sales_news = Counter(
        Notification.objects.filter(
            user=tworld.a.sales_rep, data__summary__startswith="back to"
        ).values_list("lead_id", flat=True)
    )
    assert len(sales_news) == 8 and set(sales_news.values()) == {1}


def test_two_ticks_mark_each_late_step_once(tworld: World) -> None:
    for _ in range(6):
        missed(tworld)
    after = DAY1 + timedelta(hours=8)
    results = race(lambda: run_followup(now=after, batch_size=4))
    assert sum(r.late for r in results) == 12
    assert CadenceTask.objects.filter(late_at__isnull=False).count() == 12
    news = Counter(
        Notification.objects.filter(data__summary__endswith="is late").values_list(
            "lead_id", "data__summary"
        )
    )
    assert len(news) == 12 and set(news.values()) == {1}


def test_two_ticks_flag_purgatory_once(tworld: World) -> None:
    from leadloop.testing import make_lead

    leads = [make_lead(tworld.b, owner=tworld.b.inside) for _ in range(5)]
    tworld.b.inside.is_active = False
    tworld.b.inside.save()
    results = race(lambda: run_followup(now=RECYCLE_AT))
    assert sum(r.purgatory_flagged for r in results) == 5
    assert PurgatoryFlag.objects.filter(lead__in=leads).count() == 5
    assert Notification.objects.filter(user=tworld.b.tele_manager, lead__in=leads).count() == 5
