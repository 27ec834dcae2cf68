"""The data each action needs, checked and resolved before anything is written.

Raw input comes from a form, a JSON body or the demo; what leaves here is
typed (ids, aware UTC datetimes, dates, bounded Decimals, plain strings) and
every refusal is a ValidationError naming the field, so the web form and the
API show the same message on the same field. These rules hold whichever door
the change comes through: a hand-off needs its write-up and the warm
hand-off call whether it comes from the form or the API.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError

from leadloop.accounts.choices import Role
from leadloop.accounts.models import User
from leadloop.campaigns.models import SourcePolicy
from leadloop.handoff.models import QualificationDefinition
from leadloop.handoff.selectors import active_definition
from leadloop.leads import states
from leadloop.leads.choices import Action, Stage
from leadloop.leads.models import Lead, ReasonCode
from leadloop.leads.permissions import manages_side
from leadloop.lib.times import parse_utc, utc
from leadloop.lib.zones import zone_named
from leadloop.outreach.rules import attempts_exhausted

# Money columns hold 14 digits, 2 after the point.
MONEY_LIMIT = Decimal("1000000000000")
MAX_NOTE = 10_000
MAX_ANSWER = 1_000


def text(field: str, value: Any, *, limit: int, required: bool = False) -> str:
    """A string as typed (trimmed), within `limit` characters, without NUL bytes."""
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise ValidationError({field: "must be text"})
    cleaned = value.strip()
    if "\x00" in cleaned:
        raise ValidationError({field: "must not contain NUL characters"})
    if len(cleaned) > limit:
        raise ValidationError({field: f"is longer than {limit} characters"})
    if required and not cleaned:
        raise ValidationError({field: "is required"})
    return cleaned


def money(field: str, value: Any) -> Decimal:
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise ValidationError({field: f"'{value}' is not a number"}) from None
    if not number.is_finite() or number < 0:
        raise ValidationError({field: "must be zero or more"})
    if number >= MONEY_LIMIT:
        raise ValidationError({field: "must be less than 1,000,000,000,000"})
    return number.quantize(Decimal("0.01"))


def day(field: str, value: Any) -> date:
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise ValidationError({field: f"'{value}' is not a date (YYYY-MM-DD)"}) from None


def moment(field: str, value: Any) -> datetime:
    """An aware date-time, as UTC."""
    if isinstance(value, datetime):
        return utc(value, field)
    return parse_utc(str(value), field)


def reason(kind: str, value: Any) -> ReasonCode:
    """An active reason code of `kind` (disqualify, reject, lose, unreachable), by id or code."""
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


def sales_rep(lead: Lead, value: Any) -> User:
    """An active sales rep on a sales team the lead's team feeds."""
    try:
        rep = User.objects.select_related("team").get(pk=int(value))
    except (User.DoesNotExist, TypeError, ValueError, OverflowError):
        raise ValidationError({"sales_rep": f"no user with id '{value}'"}) from None
    if not rep.is_active or rep.role != Role.SALES_REP:
        raise ValidationError({"sales_rep": f"{rep} is not an active sales rep"})
    if rep.team_id not in set(lead.team.feeds.values_list("id", flat=True)):
        raise ValidationError(
            {"sales_rep": f"{rep} is not on a sales team fed by {lead.team.name}"}
        )
    return rep


def answers(value: Any, definition: QualificationDefinition, *, complete: bool) -> dict[str, str]:
    """Answers keyed by criterion, each a string; all required ones when `complete`."""
    if not isinstance(value, Mapping):
        raise ValidationError({"answers": "must be an object keyed by criterion"})
    known = [c["key"] for c in definition.criteria]
    unknown = sorted(str(k) for k in value if k not in known)
    if unknown:
        raise ValidationError({"answers": f"unknown criteria: {', '.join(unknown)}"})
    not_text = sorted(str(k) for k, v in value.items() if v is not None and not isinstance(v, str))
    if not_text:
        raise ValidationError({"answers": f"answers must be text: {', '.join(not_text)}"})
    cleaned = {k: text("answers", value.get(k), limit=MAX_ANSWER) for k in known}
    cleaned = {k: v for k, v in cleaned.items() if v}
    if complete:
        missing = [k for k in definition.required_keys() if k not in cleaned]
        if missing:
            raise ValidationError(
                {"answers": f"required criteria not answered: {', '.join(missing)}"}
            )
    return cleaned


def _require(action: str, data: Mapping[str, Any]) -> None:
    for name in states.REQUIRED_DATA.get(Action(action), ()):
        value = data.get(name)
        if value is None or (isinstance(value, str) and not value.strip()):
            raise ValidationError({name: f"'{action}' needs '{name}'"})


def transition_data(
    *,
    lead: Lead,
    action: str,
    raw: Mapping[str, Any],
    actor: User | None,
    now: datetime,
    policy: SourcePolicy,
) -> dict[str, Any]:
    """The typed data `effects.move` takes for `action` on `lead`, or ValidationError.

    Also carries what only the action needs around the move: the reason code
    object (its label goes into notifications) and the hand-off's definition
    and write-up for its record.
    """
    _require(action, raw)
    data: dict[str, Any] = {"note": text("note", raw.get("note"), limit=MAX_NOTE)}
    today = now.astimezone(zone_named(actor.timezone if actor else None)).date()
    if action in states.REASON_KIND and raw.get("reason_code") not in (None, ""):
        found = reason(states.REASON_KIND[Action(action)], raw["reason_code"])
        data["reason_code"], data["reason"] = found.pk, found
    match action:
        case Action.HAND_OFF:
            data |= _hand_off(lead, raw, actor, now)
        case Action.MARK_UNREACHABLE:
            _check_unreachable(lead, data, actor, policy)
        case Action.MEETING_HELD | Action.NO_SHOW:
            if lead.meeting_at is not None and now < lead.meeting_at:
                local = lead.meeting_at.astimezone(zone_named(actor.timezone if actor else None))
                raise ValidationError(
                    {
                        "meeting_at": f"the meeting is on {local:%a %d %b %Y, %H:%M %Z}; "
                        "record its outcome after it"
                    }
                )
        case Action.OPEN_OPPORTUNITY:
            data["amount"] = money("amount", raw["amount"])
            if raw.get("expected_close_on"):
                close = day("expected_close_on", raw["expected_close_on"])
                if close < today:
                    raise ValidationError({"expected_close_on": "must be today or later"})
                data["expected_close_on"] = close
        case Action.WIN:
            data["revenue"] = money("revenue", raw["revenue"])
        case Action.NURTURE:
            touch = day("next_touch_on", raw["next_touch_on"])
            if touch < today:
                raise ValidationError({"next_touch_on": "must be today or later"})
            data["next_touch_on"] = touch
        case Action.MARK_DUPLICATE:
            data["duplicate_of"] = _original(lead, raw["duplicate_of"])
    return data


def _hand_off(lead: Lead, raw: Mapping[str, Any], actor: User | None, now: datetime) -> dict:
    """Seed 003: a qualified lead, a sales rep, a first meeting ahead, a write-up and the
    warm hand-off call to the sales rep, whichever door the hand-off comes through."""
    rep = sales_rep(lead, raw["sales_rep"])
    meeting = moment("meeting_at", raw["meeting_at"])
    if meeting <= now:
        raise ValidationError({"meeting_at": "the meeting must be in the future"})
    definition = active_definition()
    answered = answers(raw["answers"], definition, complete=True)
    write_up = text("write_up", raw.get("write_up"), limit=MAX_NOTE)
    if not write_up:
        raise ValidationError(
            {"write_up": "a hand-off needs a write-up: who, what they need, what was agreed"}
        )
    if raw.get("warm_call_confirmed") is not True:
        raise ValidationError(
            {
                "warm_call_confirmed": "call the sales rep and walk her through the lead first, "
                "then confirm the warm hand-off call"
            }
        )
    inside = actor if actor is not None and actor.role == Role.INSIDE_REP else None
    return {
        "sales_rep": rep.pk,
        "sales_rep_user": rep,
        "meeting_at": meeting,
        "answers": answered,
        "definition": definition,
        "write_up": write_up,
        "inside_rep": inside.pk if inside is not None else lead.owner_id,
    }


def _check_unreachable(
    lead: Lead, data: Mapping[str, Any], actor: User | None, policy: SourcePolicy
) -> None:
    """Unreachable means the attempt policy is used up; before that only a manager may
    say so, with a reason code (a wrong number, a prospect who asked not to be called)."""
    if actor is None or attempts_exhausted(
        dials=lead.round_dials,
        emails=lead.round_emails,
        connects=lead.round_connects,
        max_dials=policy.max_dials,
        max_emails=policy.max_emails,
    ):
        return
    left = (
        f"{max(policy.max_dials - lead.round_dials, 0)} dials and "
        f"{max(policy.max_emails - lead.round_emails, 0)} emails left"
        if not lead.round_connects
        else "the prospect was reached"
    )
    if not manages_side(actor, lead):
        raise ValidationError(
            {
                "action": f"the attempt policy is not used up ({left}); keep trying, or ask "
                "your manager to mark the lead unreachable with a reason"
            }
        )
    if data.get("reason_code") is None:
        raise ValidationError(
            {
                "reason_code": f"the attempt policy is not used up ({left}); marking the lead "
                "unreachable now needs a reason code"
            }
        )


def _original(lead: Lead, value: Any) -> int:
    try:
        original = Lead.objects.only("pk", "stage").get(pk=int(value))
    except (Lead.DoesNotExist, TypeError, ValueError, OverflowError):
        raise ValidationError({"duplicate_of": f"no lead with id '{value}'"}) from None
    if original.pk == lead.pk:
        raise ValidationError({"duplicate_of": "a lead cannot duplicate itself"})
    if original.stage == Stage.DUPLICATE:
        raise ValidationError(
            {"duplicate_of": f"lead {original.pk} is itself a duplicate; point to its original"}
        )
    return original.pk
