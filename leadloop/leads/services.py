"""Writes on leads: intake and the lifecycle.

`lead_transition` is the only code that sets a lead's stage. It locks the
row, asks `states` whether the move is allowed, checks the data the action
needs, saves, appends the event and queues side effects after commit.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import connection, transaction
from django.db.models import F, Q

from leadloop.accounts.choices import Role
from leadloop.accounts.models import User
from leadloop.campaigns.models import Campaign
from leadloop.campaigns.selectors import policy_for
from leadloop.leads import identity, states
from leadloop.leads.assignment import assign_inside_rep
from leadloop.leads.choices import Action, EventKind, Stage
from leadloop.leads.claims import check_claim
from leadloop.leads.models import Lead, LeadEvent, ReasonCode
from leadloop.leads.permissions import can_act
from leadloop.lib.errors import NotPermitted, StaleLead
from leadloop.sla import rules as sla_rules
from leadloop.sla import services as sla_services
from leadloop.sla.models import SlaClock

log = logging.getLogger("leadloop.leads")

PERSON_FIELDS = (
    "first_name",
    "last_name",
    "title",
    "email",
    "phone",
    "company",
    "industry",
    "employees",
    "revenue_band",
    "country",
    "region",
)
_MAX_LEN: dict[str, int] = {
    name: length
    for name in PERSON_FIELDS
    if (length := getattr(Lead._meta.get_field(name), "max_length", None))
}


# ---------------------------------------------------------------- intake


@dataclass(frozen=True)
class IntakeResult:
    lead: Lead
    created: bool

    @property
    def duplicate_of(self) -> Lead | None:
        return None if self.created else self.lead


def clean_lead_fields(data: Mapping[str, Any]) -> dict[str, Any]:
    """Validate person and company fields one by one; ValidationError names each bad field."""
    errors: dict[str, str] = {}
    out: dict[str, Any] = {}
    for name in PERSON_FIELDS:
        value = data.get(name)
        if name == "employees":
            if value in (None, ""):
                out[name] = None
                continue
            try:
                number = int(value)
            except (TypeError, ValueError):
                errors[name] = "must be a whole number"
                continue
            if number < 0:
                errors[name] = "must not be negative"
            out[name] = number
            continue
        text = "" if value is None else str(value).strip()
        limit = _MAX_LEN.get(name)
        if limit and len(text) > limit:
            errors[name] = f"is longer than {limit} characters"
        out[name] = text
    if out["email"]:
        try:
            validate_email(out["email"])
        except ValidationError:
            errors["email"] = f"'{out['email']}' is not a valid email address"
    out["country"] = out["country"].upper()
    if out["country"] and (len(out["country"]) != 2 or not out["country"].isalpha()):
        errors["country"] = "must be a two-letter ISO country code, e.g. DE or US"
    if out["phone"]:
        try:
            out["phone_key"] = identity.phone_key(out["phone"], out["country"] or None)
        except identity.PhoneError as exc:
            errors["phone"] = str(exc)
    else:
        out["phone_key"] = ""
    if not out["email"] and not out["phone"]:
        errors.setdefault("email", "a lead needs an email or a phone number")
    attributes = data.get("attributes") or {}
    if not isinstance(attributes, Mapping):
        errors["attributes"] = "must be an object of name: value"
    else:
        out["attributes"] = dict(attributes)
    if errors:
        raise ValidationError(errors)
    out["email_key"] = identity.email_key(out["email"])
    out["person_key"] = identity.person_key(out["first_name"], out["last_name"], out["company"])
    return out


def find_duplicate(fields: Mapping[str, Any]) -> Lead | None:
    """The oldest lead with the same email, phone, or person at company."""
    match = Q(pk__in=[])
    for key in ("email_key", "phone_key", "person_key"):
        if fields.get(key):
            match |= Q(**{key: fields[key]})
    return (
        Lead.objects.filter(match)
        .exclude(stage=Stage.DUPLICATE)
        .order_by("created_at", "id")
        .first()
    )


def _lock_identity(fields: Mapping[str, Any]) -> None:
    """Serialize intakes of the same person so two racing requests make one lead.

    PostgreSQL: transaction-scoped advisory locks on each identity key.
    SQLite: the IMMEDIATE transaction already holds the database's write lock.
    """
    if connection.vendor != "postgresql":
        return
    keys = sorted(
        f"{k}:{fields[k]}" for k in ("email_key", "phone_key", "person_key") if fields.get(k)
    )
    if keys:
        with connection.cursor() as cur:
            # Sorted, so two intakes sharing two keys take them in the same order.
            cur.execute(
                "SELECT pg_advisory_xact_lock(hashtextextended(k, 0)) "
                "FROM unnest(%s::text[]) WITH ORDINALITY AS t(k, n) ORDER BY n",
                [keys],
            )


def create_lead(
    *,
    data: Mapping[str, Any],
    campaign: Campaign,
    actor: User | None,
    now: datetime,
    score: int = 0,
) -> IntakeResult:
    """Take in a lead: validate, deduplicate, assign, start its SLA clocks.

    A duplicate is not created: the existing lead gets a "submitted again"
    event carrying what was submitted, and is returned.
    """
    if not campaign.is_active:
        raise ValidationError({"campaign": f"campaign '{campaign.name}' is not active"})
    fields = clean_lead_fields(data)
    with transaction.atomic():
        _lock_identity(fields)
        existing = find_duplicate(fields)
        if existing is not None:
            submitted = {
                k: v for k, v in fields.items() if k in PERSON_FIELDS and v not in ("", None)
            }
            event = LeadEvent.objects.create(
                lead=existing,
                kind=EventKind.SUBMITTED_AGAIN,
                at=now,
                actor=actor,
                data={"campaign": campaign.pk, "submitted": submitted},
            )
            transaction.on_commit(lambda: publish_events([event]))
            return IntakeResult(lead=existing, created=False)

        team = campaign.team
        policy = policy_for(campaign)
        owner = assign_inside_rep(
            team=team, country=fields["country"], region=fields["region"], now=now
        )
        lead = Lead(
            **fields,
            campaign=campaign,
            team=team,
            owner=owner,
            stage=Stage.NEW,
            priority=policy.priority,
            score=score,
            created_at=now,
            updated_at=now,
            stage_changed_at=now,
        )
        # The clocks set the lead's due columns before the lead is written.
        clocks = sla_services.plan_clocks(
            lead=lead, kinds=sla_rules.clocks_for(Stage.NEW), now=now, policy=policy
        )
        lead.save(force_insert=True)
        for clock in clocks:
            clock.lead = lead
        SlaClock.objects.bulk_create(clocks)
        events = [
            LeadEvent(
                lead=lead,
                kind=EventKind.CREATED,
                at=now,
                actor=actor,
                to_stage=Stage.NEW,
                data={"campaign": campaign.pk, "channel": campaign.channel},
            ),
            LeadEvent(
                lead=lead,
                kind=EventKind.ASSIGNED,
                at=now,
                actor=actor,
                data={
                    "owner": owner.pk if owner else None,
                    "why": "no active inside rep on the team"
                    if owner is None
                    else "territory or round robin",
                },
            ),
        ]
        created = LeadEvent.objects.bulk_create(events)
        transaction.on_commit(lambda: publish_events(created))
    return IntakeResult(lead=lead, created=True)


# ---------------------------------------------------------------- lifecycle


def _reason(action: str, value: Any) -> ReasonCode:
    kind = states.REASON_KIND[Action(action)]
    codes = ReasonCode.objects.filter(kind=kind, is_active=True)
    found = None
    if isinstance(value, int) or (isinstance(value, str) and value.isdigit()):
        found = codes.filter(pk=int(value)).first()
    if found is None and isinstance(value, str):
        found = codes.filter(code=value).first()
    if found is None:
        allowed = ", ".join(codes.values_list("code", flat=True))
        raise ValidationError(
            {"reason_code": f"unknown {kind} reason '{value}'; one of: {allowed}"}
        )
    return found


def _decimal(field: str, value: Any) -> Decimal:
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise ValidationError({field: f"'{value}' is not a number"}) from None
    if not number.is_finite() or number < 0:
        raise ValidationError({field: "must be zero or more"})
    return number


def _date(field: str, value: Any) -> date:
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise ValidationError({field: f"'{value}' is not a date (YYYY-MM-DD)"}) from None


def _datetime(field: str, value: Any) -> datetime:
    if isinstance(value, datetime):
        parsed = value
    else:
        try:
            parsed = datetime.fromisoformat(str(value))
        except ValueError:
            raise ValidationError({field: f"'{value}' is not an ISO date-time"}) from None
    if parsed.tzinfo is None:
        raise ValidationError({field: "needs a time zone offset, e.g. 2026-11-24T10:00:00+01:00"})
    return parsed


def _sales_rep(lead: Lead, value: Any) -> User:
    try:
        rep = User.objects.select_related("team").get(pk=int(value))
    except (User.DoesNotExist, TypeError, ValueError):
        raise ValidationError({"sales_rep": f"no user with id '{value}'"}) from None
    if not rep.is_active or rep.role != Role.SALES_REP:
        raise ValidationError({"sales_rep": f"{rep} is not an active sales rep"})
    paired = set(lead.team.feeds.values_list("id", flat=True))
    if rep.team_id not in paired:
        raise ValidationError(
            {"sales_rep": f"{rep} is not on a sales team fed by {lead.team.name}"}
        )
    return rep


def _answers(value: Any) -> tuple[Any, dict[str, str]]:
    from leadloop.handoff.selectors import active_definition

    definition = active_definition()
    if not isinstance(value, Mapping):
        raise ValidationError({"answers": "must be an object keyed by criterion"})
    known = {c["key"] for c in definition.criteria}
    unknown = sorted(set(value) - known)
    if unknown:
        raise ValidationError({"answers": f"unknown criteria: {', '.join(unknown)}"})
    missing = [k for k in definition.required_keys() if not str(value.get(k) or "").strip()]
    if missing:
        raise ValidationError({"answers": f"required criteria not answered: {', '.join(missing)}"})
    return definition, {k: str(v).strip() for k, v in value.items()}


def _require(action: str, data: Mapping[str, Any]) -> None:
    for field in states.REQUIRED_DATA.get(Action(action), ()):
        value = data.get(field)
        if (
            value is None
            or (isinstance(value, str) and not value.strip())
            or (field == "answers" and not value)
        ):
            raise ValidationError({field: f"'{action}' needs '{field}'"})


def lead_transition(
    *,
    lead: Lead | int,
    action: str,
    actor: User | None,
    now: datetime,
    data: Mapping[str, Any] | None = None,
    expected_version: int | None = None,
) -> Lead:
    """Move a lead along the lifecycle; the only writer of `Lead.stage`.

    Raises TransitionNotAllowed (409), ValidationError naming the field (422),
    NotPermitted (403) or StaleLead (409); on any of them nothing is written.
    """
    data = dict(data or {})
    if action not in Action.values:
        raise ValidationError(
            {"action": f"unknown action '{action}'; one of {', '.join(Action.values)}"}
        )
    lead_id = lead.pk if isinstance(lead, Lead) else lead
    with transaction.atomic():
        # FOR NO KEY UPDATE: the sweep's inserts of events check their foreign
        # key to this row (FOR KEY SHARE) at commit while holding clock locks
        # this transaction is about to ask for; a full FOR UPDATE would deadlock.
        locked = (
            Lead.objects.select_for_update(of=("self",), no_key=True)
            .select_related("team", "sales_rep", "campaign")
            .get(pk=lead_id)
        )
        if expected_version is not None and locked.version != expected_version:
            raise StaleLead(
                lead_id=locked.pk,
                expected=expected_version,
                version=locked.version,
                stage=locked.stage,
            )
        to_stage = states.next_stage(locked.stage, action)
        if not can_act(actor, locked, action):
            raise NotPermitted(f"{actor} may not '{action}' lead {locked.pk}.")
        check_claim(locked, actor, now)
        _require(action, data)
        from_stage = locked.stage
        event_data: dict[str, Any] = {}
        reason: ReasonCode | None = None
        handoff_kwargs: dict[str, Any] | None = None
        changed = ["stage", "stage_changed_at", "updated_at", "version"]

        if action in states.REASON_KIND:
            reason = _reason(action, data["reason_code"])
            locked.reason_code = reason
            changed.append("reason_code")
        if action == Action.HAND_OFF:
            rep = _sales_rep(locked, data["sales_rep"])
            meeting_at = _datetime("meeting_at", data["meeting_at"])
            if meeting_at <= now:
                raise ValidationError({"meeting_at": "the meeting must be in the future"})
            definition, answers = _answers(data["answers"])
            inside_rep = (
                actor if actor is not None and actor.role == Role.INSIDE_REP else (locked.owner)
            )
            locked.sales_rep, locked.meeting_at = rep, meeting_at
            locked.handed_off_by, locked.handed_off_at = inside_rep, now
            locked.qualification = answers
            # The round robin of handoff suggestions moves on past her.
            User.objects.filter(pk=rep.pk).update(last_assigned_at=now)
            changed += [
                "sales_rep",
                "meeting_at",
                "handed_off_by",
                "handed_off_at",
                "qualification",
            ]
            handoff_kwargs = {
                "to_rep": rep,
                "from_rep": inside_rep or actor,
                "definition": definition,
                "answers": answers,
                "meeting_at": meeting_at,
                "write_up": str(data.get("write_up") or data.get("note") or ""),
                "warm_call_confirmed": bool(data.get("warm_call_confirmed", False)),
            }
            event_data |= {
                "sales_rep": rep.pk,
                "meeting_at": meeting_at.isoformat(),
                "answers": answers,
            }
        elif action == Action.REJECT:
            event_data["sales_rep"] = locked.sales_rep_id
            locked.sales_rep = None
            changed.append("sales_rep")
        elif action == Action.RECYCLE:
            if from_stage == Stage.NO_SHOW and locked.handed_off_by_id:
                # Back to the inside rep who set the meeting, not merely the team.
                locked.owner_id = locked.handed_off_by_id
            event_data["sales_rep"] = locked.sales_rep_id
            locked.sales_rep = None
            # A fresh start: the attempt policy counts the new round of work.
            locked.dials = locked.emails = locked.connects = 0
            changed += ["owner", "sales_rep", "dials", "emails", "connects"]
        elif action == Action.OPEN_OPPORTUNITY:
            locked.amount = _decimal("amount", data["amount"])
            changed.append("amount")
            event_data["amount"] = str(locked.amount)
            if data.get("expected_close_on"):
                locked.expected_close_on = _date("expected_close_on", data["expected_close_on"])
                changed.append("expected_close_on")
                event_data["expected_close_on"] = locked.expected_close_on.isoformat()
        elif action == Action.WIN:
            locked.revenue = _decimal("revenue", data["revenue"])
            changed.append("revenue")
            event_data["revenue"] = str(locked.revenue)
        elif action == Action.NURTURE:
            next_touch = _date("next_touch_on", data["next_touch_on"])
            if next_touch < now.date():
                raise ValidationError({"next_touch_on": "must be today or later"})
            locked.next_touch_on = next_touch
            changed.append("next_touch_on")
            event_data["next_touch_on"] = next_touch.isoformat()
        elif action == Action.MARK_DUPLICATE:
            try:
                original = Lead.objects.get(pk=int(data["duplicate_of"]))
            except (Lead.DoesNotExist, TypeError, ValueError):
                raise ValidationError(
                    {"duplicate_of": f"no lead with id '{data['duplicate_of']}'"}
                ) from None
            if original.pk == locked.pk:
                raise ValidationError({"duplicate_of": "a lead cannot duplicate itself"})
            locked.duplicate_of = original
            changed.append("duplicate_of")
            event_data["duplicate_of"] = original.pk

        if data.get("note"):
            event_data["note"] = str(data["note"])
        if to_stage not in states.OPEN_STAGES:
            locked.closed_at = now
            changed.append("closed_at")
        elif from_stage not in states.OPEN_STAGES:
            locked.closed_at = None
            changed.append("closed_at")
        changed += sla_services.apply_transition(
            lead=locked, from_stage=from_stage, to_stage=to_stage, action=action, now=now
        )
        from leadloop.followup import services as followup_services

        followup_services.on_transition(
            lead=locked,
            from_stage=from_stage,
            to_stage=to_stage,
            action=action,
            actor=actor,
            now=now,
            data=data,
        )
        locked.stage = to_stage
        locked.stage_changed_at = now
        locked.updated_at = now
        locked.version += 1
        locked.save(update_fields=changed)
        if handoff_kwargs is not None:
            from leadloop.handoff.models import Handoff

            Handoff.objects.create(lead=locked, created_at=now, **handoff_kwargs)
        event = LeadEvent.objects.create(
            lead=locked,
            kind=EventKind.TRANSITION,
            action=action,
            at=now,
            actor=actor,
            from_stage=from_stage,
            to_stage=to_stage,
            reason_code=reason,
            data=event_data,
        )
        _tell_the_loop(lead=locked, event=event, actor=actor, handoff=handoff_kwargs, now=now)
        transaction.on_commit(lambda: publish_events([event]))
    return locked


def _tell_the_loop(
    *,
    lead: Lead,
    event: LeadEvent,
    actor: User | None,
    handoff: Mapping[str, Any] | None,
    now: datetime,
) -> None:
    """Notify the people a move concerns, in the same transaction as the move.

    A handoff tells the sales rep (with the write-up); every other move on a
    lead an inside rep produced tells her, whoever made it (seed 000: she is
    never left to guess what happened to her lead).
    """
    from leadloop.notifications.choices import NotificationKind
    from leadloop.notifications.services import notify

    if handoff is not None:
        notify(
            users=[handoff["to_rep"]],
            kind=NotificationKind.HANDOFF,
            lead=lead,
            event=event,
            now=now,
            data={
                "from": str(handoff["from_rep"]),
                "meeting_at": handoff["meeting_at"].isoformat(),
                "write_up": handoff["write_up"],
            },
        )
        return
    producer = lead.handed_off_by_id
    if producer is None or (actor is not None and actor.pk == producer):
        return
    data: dict[str, Any] = {"actor": str(actor) if actor is not None else "leadloop"}
    if event.reason_code is not None:
        data["reason"] = event.reason_code.label
    if event.data.get("note"):
        data["note"] = event.data["note"]
    notify(
        users=[producer],
        kind=NotificationKind.LEAD_EVENT,
        lead=lead,
        event=event,
        now=now,
        data=data,
    )


# ---------------------------------------------------------------- work on open leads


def save_qualification(
    *,
    lead: Lead | int,
    actor: User,
    answers: Mapping[str, Any],
    now: datetime,
    expected_version: int | None = None,
) -> Lead:
    """Record the inside rep's answers to the qualification definition (a draft; may be partial).

    Handing off checks that every required criterion is answered; this only
    refuses criteria the definition does not have. Each save is an event.
    """
    from leadloop.handoff.selectors import active_definition

    if not isinstance(answers, Mapping):
        raise ValidationError({"answers": "must be an object keyed by criterion"})
    definition = active_definition()
    known = [c["key"] for c in definition.criteria]
    unknown = sorted(set(answers) - set(known))
    if unknown:
        raise ValidationError({"answers": f"unknown criteria: {', '.join(unknown)}"})
    cleaned = {k: str(answers[k]).strip() for k in known if str(answers.get(k) or "").strip()}
    too_long = [k for k, v in cleaned.items() if len(v) > 1000]
    if too_long:
        raise ValidationError({"answers": f"longer than 1000 characters: {', '.join(too_long)}"})
    lead_id = lead.pk if isinstance(lead, Lead) else lead
    with transaction.atomic():
        locked = Lead.objects.select_for_update(of=("self",), no_key=True).get(pk=lead_id)
        if expected_version is not None and locked.version != expected_version:
            raise StaleLead(
                lead_id=locked.pk,
                expected=expected_version,
                version=locked.version,
                stage=locked.stage,
            )
        if not states.is_open(locked.stage) or not can_act(actor, locked, Action.HAND_OFF):
            raise NotPermitted(
                f"{actor} may not qualify lead {locked.pk} ({locked.get_stage_display()})."
            )
        check_claim(locked, actor, now)
        locked.qualification = cleaned
        locked.updated_at = now
        locked.version += 1
        locked.save(update_fields=["qualification", "updated_at", "version"])
        event = LeadEvent.objects.create(
            lead=locked,
            kind=EventKind.QUALIFICATION,
            at=now,
            actor=actor,
            data={"answers": cleaned, "definition": definition.version},
        )
        transaction.on_commit(lambda: publish_events([event]))
    return locked


def reassign_leads(
    *, lead_ids: Sequence[int], to_rep: User, actor: User, now: datetime
) -> list[int]:
    """A manager moves open leads to another inside rep of their team; an event per lead.

    Returns the ids that changed hands (a lead she already owns is left as
    is). Her running inside clocks move with the lead; any claim is dropped.
    """
    from leadloop.accounts.selectors import managed_team_ids
    from leadloop.notifications.choices import NotificationKind
    from leadloop.notifications.services import notify
    from leadloop.sla.choices import INSIDE_KINDS

    if actor.role not in (Role.MANAGER, Role.ADMIN) and not actor.is_superuser:
        raise NotPermitted(f"{actor} may not reassign leads; a manager of the team may.")
    ids = sorted({int(i) for i in lead_ids})
    if not ids:
        raise ValidationError({"leads": "choose at least one lead"})
    if not to_rep.is_active or to_rep.role != Role.INSIDE_REP:
        raise ValidationError({"to_rep": f"{to_rep} is not an active inside rep"})
    with transaction.atomic():
        leads = list(Lead.objects.select_for_update(of=("self",), no_key=True).filter(pk__in=ids))
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
        SlaClock.objects.filter(
            lead_id__in=moved, stopped_at__isnull=True, kind__in=INSIDE_KINDS
        ).update(user=to_rep)
        events = LeadEvent.objects.bulk_create(
            LeadEvent(
                lead_id=lead.pk,
                kind=EventKind.ASSIGNED,
                at=now,
                actor=actor,
                data={
                    "owner": to_rep.pk,
                    "previous_owner": lead.owner_id,
                    "why": f"reassigned by {actor}",
                },
            )
            for lead in moving
        )
        for lead, event in zip(moving, events, strict=True):
            notify(
                users=[to_rep],
                kind=NotificationKind.LEAD_EVENT,
                lead=lead,
                event=event,
                now=now,
                data={"summary": f"assigned to you by {actor}", "actor": str(actor)},
            )
        transaction.on_commit(lambda: publish_events(events))
    return moved


def publish_events(events: list[LeadEvent]) -> None:
    """After commit: write each event to the structured log.

    Later side effects (notifications to the inside rep who produced the
    lead, webhooks) hang off this point so they never fire for a rolled-back
    change.
    """
    for event in events:
        log.info(
            "lead event",
            extra={
                "event": event.pk,
                "lead": event.lead_id,
                "kind": event.kind,
                "action": event.action,
                "from_stage": event.from_stage,
                "to_stage": event.to_stage,
                "actor": event.actor_id,
            },
        )
