"""Taking a lead in: validate, match the person, assign, start the SLA clocks.

Who the person is decides what a submission does:

* someone with an open lead is a duplicate: nothing is created, the open
  lead gets a "submitted again" event with what was sent, and whoever
  produced it hears of it;
* someone whose earlier leads are all closed (disqualified, unreachable,
  lost, won) is a returning prospect: a new inquiry is opened, linked to
  the latest earlier lead, with a fresh SLA clock, and the rep who produced
  that one is told;
* anyone else is a new lead.

Two submissions of the same person racing each other make one lead: each
takes a transaction-scoped lock on the person's identity keys first.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection, transaction

from leadloop.accounts.models import User
from leadloop.campaigns.models import Campaign
from leadloop.leads.choices import Stage
from leadloop.leads.models import Lead
from leadloop.leads.person import PERSON_FIELDS, clean_lead_fields
from leadloop.leads.selectors import IDENTITY_KEYS, identity_matches
from leadloop.lib.rows import insert_rows
from leadloop.lib.times import utc
from leadloop.lifecycle import clocks, events, news, outbox, scoring
from leadloop.lifecycle.assignment import assign_inside_rep
from leadloop.lifecycle.intake_context import IntakeContext, intake_context
from leadloop.sla import rules as sla_rules


@dataclass(frozen=True)
class IntakeResult:
    lead: Lead
    created: bool
    # The earlier, closed lead of a returning prospect.
    previous: Lead | None = None

    @property
    def duplicate_of(self) -> Lead | None:
        return None if self.created else self.lead


def _identity_locks(fields: Mapping[str, Any]) -> list[str] | None:
    """The locks that serialize intakes of the same person, so two racing requests make one lead.

    PostgreSQL: transaction-scoped advisory locks on each identity key, sorted so
    two intakes sharing two keys take them in the same order (`intake_context`
    takes them). SQLite: None, the IMMEDIATE transaction already holds the
    database's write lock.
    """
    if connection.vendor != "postgresql":
        return None
    return sorted(f"{k}:{fields[k]}" for k in IDENTITY_KEYS if fields.get(k))


def create_lead(
    *,
    data: Mapping[str, Any],
    campaign: Campaign | int,
    actor: User | None,
    now: datetime,
) -> IntakeResult:
    """Take in a submission (see the module's docstring for what it becomes).

    `campaign` is the campaign or its id: the campaign, its team, its policy
    and the active model are read afresh in the statement that takes the
    person's locks (`intake_context`). The active scoring model scores the new
    lead.
    """
    campaign_id = campaign if isinstance(campaign, int) else campaign.pk
    now = utc(now, "now")
    fields = clean_lead_fields(data)
    # No savepoint of its own: in the API's transaction (`idempotency.run_once`)
    # a savepoint is two more round trips per intake. Nothing in it raises on
    # purpose: a refused campaign leaves the block first, then raises.
    with transaction.atomic(savepoint=False):
        context = intake_context(campaign_id, locks=_identity_locks(fields))
        if context is not None and context.campaign.is_active:
            return _take_in(fields, context, actor, now)
    if context is None:
        raise ValidationError({"campaign": f"no campaign with id {campaign_id}"})
    name = context.campaign.name
    raise ValidationError({"campaign": f"campaign '{name}' is not active"})


def _take_in(
    fields: Mapping[str, Any],
    context: IntakeContext,
    actor: User | None,
    now: datetime,
) -> IntakeResult:
    matches = identity_matches(fields)
    if matches.open is not None:
        _submitted_again(matches.open, fields, context.campaign, actor, now)
        return IntakeResult(lead=matches.open, created=False)
    lead = _new_lead(fields, context, actor, now, previous=matches.closed)
    if matches.closed is not None:
        _returned(matches.closed, lead, context.campaign, actor, now)
    return IntakeResult(lead=lead, created=True, previous=matches.closed)


def _submitted_again(
    lead: Lead, fields: Mapping[str, Any], campaign: Campaign, actor: User | None, now: datetime
) -> None:
    submitted = {k: v for k, v in fields.items() if k in PERSON_FIELDS and v not in ("", None)}
    [event] = events.record(
        lead,
        [events.submitted_again(campaign_id=campaign.pk, submitted=submitted)],
        at=now,
        actor=actor,
    )
    news.tell_producer(
        lead,
        actor=actor,
        now=now,
        or_owner=True,
        event=event,
        summary=f"submitted again through {campaign.name}",
    )
    scoring.rescore(lead, actor=actor, now=now)
    outbox.publish([event])


def _new_lead(
    fields: Mapping[str, Any],
    context: IntakeContext,
    actor: User | None,
    now: datetime,
    *,
    previous: Lead | None,
) -> Lead:
    campaign, policy = context.campaign, context.policy
    team = campaign.team
    owner = assign_inside_rep(
        team=team, country=fields["country"], region=fields["region"], now=now
    )
    lead = Lead(
        **fields,
        campaign=campaign,
        team=team,
        owner_id=owner,
        previous_lead=previous,
        stage=Stage.NEW,
        priority=policy.priority,
        created_at=now,
        updated_at=now,
        stage_changed_at=now,
    )
    score = scoring.score_arrival(lead, model=context.model, now=now)
    # The clocks set the lead's due columns before the lead is written.
    planned = clocks.plan_clocks(
        lead=lead, kinds=sla_rules.clocks_for(Stage.NEW), now=now, policy=policy
    )
    # Fixed INSERTs (`lib.rows.insert_rows`): what `save` and `bulk_create`
    # write, without compiling the statements again for every intake.
    insert_rows([lead])
    scoring.write_score(lead, score, new=True)
    for clock in planned:
        clock.lead = lead
    insert_rows(planned)
    written = events.record(
        lead,
        [
            events.created(
                campaign_id=campaign.pk,
                channel=campaign.channel,
                previous_lead=previous.pk if previous is not None else None,
            ),
            events.assigned(owner=owner),
        ],
        at=now,
        actor=actor,
    )
    outbox.publish(written)
    return lead


def _returned(
    previous: Lead, lead: Lead, campaign: Campaign, actor: User | None, now: datetime
) -> None:
    """The earlier lead's history says she came back; its producer hears of the new inquiry."""
    [event] = events.record(
        previous,
        [events.returned(new_lead=lead.pk, campaign_id=campaign.pk)],
        at=now,
        actor=actor,
    )
    who = news.producer(previous, or_owner=True)
    if who is not None and (actor is None or actor.pk != who):
        news.tell(
            [who],
            lead=lead,
            now=now,
            summary=f"asked again through {campaign.name}: a new inquiry for your "
            f"{previous.get_stage_display().lower()} lead {previous.pk}",
            actor=news.actor_name(actor),
        )
    outbox.publish([event])
