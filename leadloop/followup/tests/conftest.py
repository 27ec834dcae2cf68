"""Follow-up fixtures: a lead handed to Alpha's sales rep, accepted, and missed.

Times (Europe/Berlin, no public holiday in between): handed off Tue 17 Nov
2026 10:00; the meeting is Thu 19 Nov 10:00; the no-show is recorded at
11:00. Cadence days: 1 = Fri 20, 3 = Tue 24, 5 = Thu 26; the lead goes
back on business day 7, Mon 30 Nov at 09:00.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from leadloop.followup.models import CadenceRun
from leadloop.leads.models import Lead
from leadloop.lifecycle.transitions import lead_transition
from leadloop.testing import NOW, World, hand_off, make_lead

MEETING = NOW + timedelta(days=2)  # Thu 19 Nov 2026, 10:00 Berlin
NO_SHOW_AT = MEETING + timedelta(hours=1)
DAY1 = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)  # Fri 10:00 Berlin
DAY3 = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)  # Tue
DAY5 = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)  # Thu
RECYCLE_AT = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)  # Mon 09:00 Berlin, business day 7


def accepted(world: World, **fields: object) -> Lead:
    lead = hand_off(world, make_lead(world.a, owner=world.a.inside, **fields))
    return lead_transition(
        lead=lead, action="accept", actor=world.a.sales_rep, now=NOW + timedelta(hours=1)
    )


def missed(world: World, **fields: object) -> Lead:
    """An Alpha lead whose prospect missed the first meeting: the cadence runs."""
    lead = accepted(world, **fields)
    return lead_transition(lead=lead, action="no_show", actor=world.a.sales_rep, now=NO_SHOW_AT)


@pytest.fixture
def no_show(world: World) -> Lead:
    return missed(world)


@pytest.fixture
def run(no_show: Lead) -> CadenceRun:
    return CadenceRun.objects.get(lead=no_show)
