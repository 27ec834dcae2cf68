"""Moves notify the people they concern: the sales rep of a handoff, the producing inside rep."""

from __future__ import annotations

from datetime import timedelta

from leadloop.lifecycle.transitions import lead_transition
from leadloop.notifications.choices import NotificationKind
from leadloop.notifications.models import Notification
from leadloop.testing import NOW, World, hand_off, make_lead


def test_handoff_tells_the_sales_rep_with_the_write_up(world: World) -> None:
    lead = hand_off(world, make_lead(world.a, owner=world.a.inside))
    [note] = Notification.objects.filter(kind=NotificationKind.HANDOFF)
    assert note.user_id == world.a.sales_rep.pk
    assert note.lead_id == lead.pk
    assert note.data["write_up"] == "Ready to talk."
    assert note.data["from"] == str(world.a.inside)
    # The inside rep made the move herself: nothing for her.
    assert not Notification.objects.filter(user=world.a.inside).exists()


def test_every_sales_move_reaches_the_inside_rep_who_produced_the_lead(world: World) -> None:
    lead = hand_off(world, make_lead(world.a, owner=world.a.inside))
    rep = world.a.sales_rep
    lead = lead_transition(lead=lead, action="accept", actor=rep, now=NOW + timedelta(hours=1))
    lead = lead_transition(lead=lead, action="no_show", actor=rep, now=NOW + timedelta(days=2))
    lead = lead_transition(
        lead=lead,
        action="lose",
        actor=rep,
        now=NOW + timedelta(days=3),
        data={"reason_code": "competitor", "note": "Went with the incumbent."},
    )
    notes = list(
        Notification.objects.filter(user=world.a.inside, kind=NotificationKind.LEAD_EVENT).order_by(
            "id"
        )
    )
    assert [n.event.action for n in notes] == ["accept", "no_show", "lose"]
    assert notes[-1].data["reason"] == "Lost to a competitor"
    assert notes[-1].data["note"] == "Went with the incumbent."
    assert all(n.data["actor"] == str(rep) for n in notes)
    # Nobody on team Beta hears of it.
    assert not Notification.objects.filter(user__team__in=[world.b.tele, world.b.sales]).exists()
