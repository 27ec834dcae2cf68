"""Who works a lead: the inside rep a new lead goes to, and a manager's reassignments."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from functools import cache

from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import F

from leadloop.accounts.choices import Role
from leadloop.accounts.models import Team, TerritoryRule, User
from leadloop.accounts.selectors import managed_team_ids
from leadloop.leads import states
from leadloop.leads.models import Lead
from leadloop.lib.errors import NotPermitted
from leadloop.lib.prepared import prepared
from leadloop.lib.times import utc
from leadloop.lifecycle import clocks, events, news, outbox

# One statement picks and stamps the rep: the territory's rep if one covers
# (country, region), most specific first, else the active inside rep who
# waited longest. It replaces three ORM queries (territory, round robin,
# stamp): on PostgreSQL with 100,000 leads rep assignment was ~4.7 ms of an
# intake, mostly query compilation and round trips, for well under 1 ms of SQL.
_PICK_REP = """
UPDATE {user} SET last_assigned_at = %s WHERE id = COALESCE(
  (SELECT tr.rep_id FROM {territory} tr JOIN {user} u ON u.id = tr.rep_id
    WHERE tr.team_id = %s AND tr.country = %s AND tr.region IN (%s, '') AND u.is_active
    ORDER BY tr.region = '' LIMIT 1),
  (SELECT u.id FROM {user} u
    JOIN {user_groups} ug ON ug.user_id = u.id JOIN {group} g ON g.id = ug.group_id
    WHERE g.name = %s AND u.team_id = %s AND u.is_active
    ORDER BY u.last_assigned_at ASC NULLS FIRST, u.id LIMIT 1 {lock}))
RETURNING id
"""


@cache
def _pick_rep_sql(lock: str) -> str:
    groups = User.groups.through._meta
    return _PICK_REP.format(
        user=User._meta.db_table,
        territory=TerritoryRule._meta.db_table,
        user_groups=groups.db_table,
        group=Group._meta.db_table,
        lock=lock,
    )


def assign_inside_rep(*, team: Team, country: str, region: str, now: datetime) -> int | None:
    """Pick the rep for a new lead (territory first, then round robin) and mark her
    assigned; her id, or None if the team has no active inside rep.

    The rep who waited longest is taken with SKIP LOCKED, so intakes for one
    team run side by side: a rep another intake is assigning right now is
    passed over for the next one, never given two leads by one race. (SQLite
    has one writer at a time: no row locks to take.)
    """
    postgres = connection.vendor == "postgresql"
    params = [
        connection.ops.adapt_datetimefield_value(now),
        team.pk,
        country.upper() if country else None,
        region,
        Role.INSIDE_REP,
        team.pk,
    ]
    # Planned once per session on PostgreSQL (`lib.prepared`), like the rest of intake's reads.
    with connection.cursor() as cur:
        skip = _pick_rep_sql("FOR UPDATE OF u SKIP LOCKED" if postgres else "")
        cur.execute(prepared(connection, "leadloop_pick_rep", skip), params)
        row = cur.fetchone()
        if row is None and postgres:
            # Every rep is being assigned by another intake right now: wait for one.
            wait = _pick_rep_sql("FOR UPDATE OF u")
            cur.execute(prepared(connection, "leadloop_pick_rep_wait", wait), params)
            row = cur.fetchone()
    return row[0] if row is not None else None


def reassign_leads(
    *, lead_ids: Sequence[int], to_rep: User, actor: User, now: datetime
) -> list[int]:
    """A manager moves open leads to another inside rep of their team; an event per lead.

    Returns the ids that changed hands (a lead she already owns is left as
    is). Her running inside clocks move with the lead; any claim is dropped.
    """
    if actor.role not in (Role.MANAGER, Role.ADMIN) and not actor.is_superuser:
        raise NotPermitted(f"{actor} may not reassign leads; a manager of the team may.")
    now = utc(now, "now")
    ids = sorted({int(i) for i in lead_ids})
    if not ids:
        raise ValidationError({"leads": "choose at least one lead"})
    if not to_rep.is_active or to_rep.role != Role.INSIDE_REP:
        raise ValidationError({"to_rep": f"{to_rep} is not an active inside rep"})
    with transaction.atomic():
        leads = list(
            Lead.objects.select_for_update(of=("self",), no_key=True)
            .filter(pk__in=ids)
            .order_by("pk")
        )
        found = {lead.pk for lead in leads}
        if missing := [i for i in ids if i not in found]:
            raise ValidationError({"leads": f"no such leads: {', '.join(map(str, missing))}"})
        managed = (
            None if actor.role == Role.ADMIN or actor.is_superuser else managed_team_ids(actor)
        )
        for lead in leads:
            if managed is not None and lead.team_id not in managed:
                raise NotPermitted(f"Lead {lead.pk} is not on a team {actor} manages.")
            if lead.stage not in states.INSIDE_OPEN:
                raise ValidationError(
                    {
                        "leads": f"lead {lead.pk} is {lead.get_stage_display().lower()}, not open "
                        "with inside sales"
                    }
                )
            if lead.team_id != to_rep.team_id:
                raise ValidationError(
                    {"to_rep": f"{to_rep} is not on lead {lead.pk}'s team ({lead.team})"}
                )
        moving = [lead for lead in leads if lead.owner_id != to_rep.pk]
        if not moving:
            return []
        moved = [lead.pk for lead in moving]
        Lead.objects.filter(pk__in=moved).update(
            owner=to_rep,
            updated_at=now,
            version=F("version") + 1,
            claimed_by=None,
            claimed_until=None,
        )
        clocks.move_to(lead_ids=moved, user_id=to_rep.pk)
        why = f"reassigned by {actor}"
        written = events.record_each(
            (
                (lead, events.assigned(owner=to_rep.pk, why=why, previous_owner=lead.owner_id))
                for lead in moving
            ),
            at=now,
            actor=actor,
        )
        for lead, event in zip(moving, written, strict=True):
            news.tell(
                [to_rep],
                lead=lead,
                now=now,
                event=event,
                summary=f"assigned to you by {actor}",
                actor=str(actor),
            )
        outbox.publish(written)
    return moved
