"""The bench's copied leads: each its own person, dated and clocked as the ORM would write."""

from __future__ import annotations

from datetime import timedelta

from leadloop.bench.copies import add_running_clocks, copy_leads
from leadloop.leads.choices import Stage
from leadloop.leads.models import Lead
from leadloop.lifecycle.sla_sweep import sla_sweep
from leadloop.sla.choices import ClockKind, ClockResult
from leadloop.sla.models import SlaClock
from leadloop.testing import NOW, World, make_lead


def test_copies_are_new_working_leads_dated_as_the_orm_dates_them(world: World) -> None:
    template = make_lead(world.a, owner=world.a.inside)
    created = NOW - timedelta(days=2)
    first = copy_leads(
        count=12,
        label="copy",
        created=created,
        template=template.pk,
        columns={"priority": "g.n %% 5"},
    )
    copies = Lead.objects.filter(pk__gte=first)
    assert copies.count() == 12 and first > template.pk
    assert copies.values("email_key").distinct().count() == 12
    assert set(copies.values_list("stage", flat=True)) == {Stage.WORKING}
    assert set(copies.values_list("priority", flat=True)) == {0, 1, 2, 3, 4}
    # The time compares as the ORM's own: an aware time written raw would not on SQLite.
    assert copies.filter(created_at=created).count() == 12
    assert Lead.objects.filter(pk__gte=first, created_at__gt=created).count() == 0


def test_copies_of_the_seeded_leads_in_turn_keep_their_times(world: World) -> None:
    seeded = [make_lead(world.a, owner=world.a.inside), make_lead(world.b, owner=world.b.inside)]
    first = copy_leads(count=4, label="turn")
    teams = list(Lead.objects.filter(pk__gte=first).order_by("pk").values_list("team", flat=True))
    assert teams == [seeded[1].team_id, seeded[0].team_id] * 2


def test_running_clocks_fall_due_on_one_copy_in_n_and_the_sweep_finds_them(world: World) -> None:
    template = make_lead(world.a, owner=world.a.inside)
    SlaClock.objects.filter(lead=template).delete()
    first = copy_leads(
        count=20, label="clock", created=NOW - timedelta(days=2), template=template.pk
    )
    add_running_clocks(
        first=first,
        kind=ClockKind.CONCLUDE.value,
        due_every=5,
        due_past=NOW - timedelta(hours=1),
        due_later=NOW + timedelta(days=3),
        warn_past=NOW - timedelta(hours=3),
        warn_later=NOW + timedelta(days=2),
    )
    clocks = SlaClock.objects.filter(lead__gte=first)
    assert clocks.count() == 20 and clocks.filter(due_at__lte=NOW).count() == 4
    assert sla_sweep(now=NOW).breached == 4
    assert clocks.filter(result=ClockResult.BREACHED).count() == 4
