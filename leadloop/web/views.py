"""Server-rendered pages. Thin: reads through selectors, writes through actions.

Every page runs in the viewer's time zone and reads the time through
`lib.pages.clock` (see `lib.pages`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Q, prefetch_related_objects
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.dateformat import format as date_format
from django.views.decorators.http import require_GET, require_POST

from leadloop.accounts.choices import Role
from leadloop.accounts.models import User
from leadloop.campaigns.choices import Channel
from leadloop.followup import selectors as followup_selectors
from leadloop.handoff.assignment import Suggestion, suggest_sales_reps
from leadloop.handoff.selectors import active_definition
from leadloop.leads import states
from leadloop.leads.choices import Action, EventKind, Stage
from leadloop.leads.claims import is_claimed_by_other
from leadloop.leads.models import Lead, LeadEvent
from leadloop.leads.permissions import can_act
from leadloop.leads.permissions import may_work as may_log_activity
from leadloop.leads.selectors import lead_events, lead_page, visible_leads
from leadloop.lib import pages
from leadloop.lib.errors import LeadClaimed, NotPermitted, StaleLead
from leadloop.lib.pages import HtmxHttpRequest, current_user, page
from leadloop.lib.zones import zone_named
from leadloop.lifecycle.activities import log_activity
from leadloop.lifecycle.claims import claim_lead, release_claim
from leadloop.lifecycle.qualification import save_qualification
from leadloop.lifecycle.transitions import lead_transition
from leadloop.outreach.models import Activity
from leadloop.sla.choices import ClockKind
from leadloop.sla.selectors import lead_clocks
from leadloop.web import selectors
from leadloop.web.forms import (
    NEGATIVE_ACTIONS,
    ActivityForm,
    LeadFilterForm,
    QualificationForm,
    TransitionForm,
)

PAGE_SIZE = 50

# ---------------------------------------------------------------- home


HOMES: dict[str, tuple[str, Callable[[User, datetime], dict[str, Any]]]] = {
    Role.INSIDE_REP: ("web/home_inside_rep.html", selectors.inside_rep_home),
    Role.SALES_REP: ("web/home_sales_rep.html", selectors.sales_rep_home),
    Role.MANAGER: ("web/home_manager.html", selectors.manager_home),
    Role.MARKETING: ("web/home_marketing.html", selectors.marketing_home),
    Role.ADMIN: ("web/home_admin.html", selectors.admin_home),
}


@require_GET
@page
def home(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    now = pages.clock()
    template, build = HOMES.get(user.role or "", ("web/home_none.html", None))
    context: dict[str, Any] = {"now": now, "stage_groups": stage_group_urls()}
    if build is not None:
        context |= build(user, now)
    if user.role == Role.ADMIN:
        links = admin_links()
        context["admin_links"] = [(label, url) for _, label, url in links]
        context["admin_urls"] = {key: url for key, _, url in links}
    return render(request, template, context)


ADMIN_PAGES = [
    ("user", "Users", "admin:accounts_user_changelist"),
    ("team", "Teams and calendars", "admin:accounts_team_changelist"),
    ("campaign", "Campaigns", "admin:campaigns_campaign_changelist"),
    ("sourcepolicy", "Source policies", "admin:campaigns_sourcepolicy_changelist"),
    ("reasoncode", "Reason codes", "admin:leads_reasoncode_changelist"),
    (
        "qualification",
        "Qualification definitions",
        "admin:handoff_qualificationdefinition_changelist",
    ),
]


def admin_links() -> list[tuple[str, str, str]]:
    """Admin pages that exist: a model not (yet) registered is left out, not a 500."""
    links = []
    for key, label, name in ADMIN_PAGES:
        try:
            links.append((key, label, reverse(name)))
        except NoReverseMatch:
            continue
    return links


def stage_group_urls() -> dict[str, str]:
    """The stage filter values the home pages link to, by a template-friendly name."""
    return {
        "open": selectors.OPEN_CSV,
        "inside_open": selectors.INSIDE_OPEN_CSV,
        "sales_open": selectors.SALES_OPEN_CSV,
        "closed_not_won": selectors.CLOSED_NOT_WON_CSV,
    }


# ---------------------------------------------------------------- lead list


@require_GET
@page
def lead_list(request: HtmxHttpRequest) -> HttpResponse:
    user = current_user(request)
    form = LeadFilterForm(request.GET, user=user, tz=timezone.get_current_timezone())
    form.is_valid()
    cursor = request.GET.get("cursor") or None
    try:
        leads, next_cursor = lead_page(user, form.filters(), cursor=cursor, limit=PAGE_SIZE)
    except ValueError:
        messages.error(request, "That page link is not valid any more; showing the newest.")
        cursor = None
        leads, next_cursor = lead_page(user, form.filters(), cursor=None, limit=PAGE_SIZE)
    # lead_page returns plain rows; two IN-queries keep the count flat per page.
    prefetch_related_objects(leads, "campaign", "owner", "sales_rep")
    params = request.GET.copy()
    params.pop("cursor", None)
    newest_url = f"?{params.urlencode()}" if cursor else None
    older_url = None
    if next_cursor:
        params["cursor"] = next_cursor
        older_url = f"?{params.urlencode()}"
    context = {
        "form": form,
        "leads": leads,
        "older_url": older_url,
        "newest_url": newest_url,
        "now": pages.clock(),
    }
    # A history restore needs the whole page, not the fragment.
    partial = request.htmx and not request.htmx.history_restore_request
    response = render(request, "web/_lead_table.html" if partial else "web/lead_list.html", context)
    patch_vary_headers(response, ["HX-Request"])
    return response


# ---------------------------------------------------------------- lead page


@dataclass
class TimelineItem:
    at: datetime
    who: User | None
    kind: str
    title: str
    css: str
    lines: list[tuple[str, str]] = field(default_factory=list)
    note: str = ""
    order: int = 0


# Event data that names a person by id, and how the timeline labels it.
PERSON_KEYS = {
    "owner": "Owner",
    "previous_owner": "Previous owner",
    "sales_rep": "Sales rep",
    "to": "Escalated to",
}

DATA_LABELS = {
    "meeting_at": "Meeting",
    "amount": "Amount",
    "revenue": "Revenue",
    "next_touch_on": "Next touch",
    "expected_close_on": "Expected close",
    "duplicate_of": "Duplicate of lead",
    "why": "Why",
    "campaign": "Campaign",
    "channel": "Channel",
    "clock": "SLA",
    "stopped_by": "Stopped by",
}


def _event_item(event: LeadEvent, names: dict[int, str]) -> TimelineItem:
    data = dict(event.data or {})
    lines: list[tuple[str, str]] = []
    if event.kind == EventKind.TRANSITION:
        title = (
            f"{Action(event.action).label}"
            if event.action in Action.values
            else (event.action or "Stage changed")
        )
        lines.append(
            ("Stage", f"{_stage_label(event.from_stage)} → {_stage_label(event.to_stage)}")
        )
        css = "transition"
    else:
        title = event.get_kind_display()
        css = event.kind
    if event.reason_code is not None:
        lines.append(("Reason", event.reason_code.label))
    for key, label in PERSON_KEYS.items():
        if key in data:
            pk = data.pop(key)
            lines.append((label, names.get(pk, "nobody") if pk else "nobody"))
    answers = data.pop("answers", None)
    if isinstance(answers, dict):
        lines += [(str(k).title(), str(v)) for k, v in answers.items()]
    submitted = data.pop("submitted", None)
    if isinstance(submitted, dict):
        lines.append(("Submitted", ", ".join(f"{k}: {v}" for k, v in submitted.items())))
    note = str(data.pop("note", "") or "")
    for key, value in data.items():
        if key in ("campaign", "clock_id", "definition"):
            continue  # shown on the lead itself, or internal
        label = DATA_LABELS.get(key, key.replace("_", " ").capitalize())
        lines.append((label, _readable(key, value)))
    return TimelineItem(
        at=event.at,
        who=event.actor,
        kind="event",
        title=title,
        css=css,
        lines=lines,
        note=note,
        order=event.pk,
    )


def _readable(key: str, value: Any) -> str:
    """Event data as a person reads it: ISO date-times in her zone, the rest as is."""
    if key == "channel" and value in Channel.values:
        return str(Channel(value).label)
    if key in ("clock", "stopped_by") and value in ClockKind.values:
        return str(ClockKind(value).label)
    if key.endswith("_at") and isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            return value
        if timezone.is_aware(moment):
            return date_format(timezone.localtime(moment), "D j M Y, H:i")
    return str(value)


def _stage_label(stage: str) -> str:
    return Stage(stage).label if stage in Stage.values else (stage or "—")


def _activity_item(activity: Activity) -> TimelineItem:
    title = activity.get_kind_display()
    if activity.outcome:
        title += f" · {activity.get_outcome_display()}"
    return TimelineItem(
        at=activity.occurred_at,
        who=activity.actor,
        kind="activity",
        title=title,
        css=f"activity {activity.kind}",
        note=activity.note,
        order=activity.pk,
    )


def timeline(lead: Lead) -> list[TimelineItem]:
    """Events and activities in one list, newest first."""
    events = list(lead_events(lead))
    ids = {
        int(e.data[k])
        for e in events
        for k in PERSON_KEYS
        if isinstance(e.data, dict) and isinstance(e.data.get(k), int)
    }
    names = {u.pk: str(u) for u in User.objects.filter(pk__in=ids)} if ids else {}
    items = [_event_item(e, names) for e in events]
    items += [_activity_item(a) for a in lead.activities.select_related("actor")]
    # Same instant: the activity came first (it caused the event), so it sorts below.
    items.sort(key=lambda i: (i.at, i.kind == "event", i.order), reverse=True)
    return items


def _lead_for(user: User, lead_id: int) -> Lead:
    """The lead if the user may see it, else 404 (not 403: don't confirm it exists)."""
    return get_object_or_404(
        visible_leads(user).select_related(
            "campaign",
            "team",
            "owner",
            "sales_rep",
            "sales_rep__team",
            "handed_off_by",
            "reason_code",
            "duplicate_of",
        ),
        pk=lead_id,
    )


def _action_forms(
    user: User,
    lead: Lead,
    bound: TransitionForm | None = None,
    suggestions: list[Suggestion] | None = None,
) -> list[TransitionForm]:
    # Forward moves first, then the ones that end or park the lead; each in lifecycle order.
    order = list(Action)
    allowed = sorted(
        (a for a in states.allowed_actions(lead.stage) if can_act(user, lead, a)),
        key=lambda a: (a in NEGATIVE_ACTIONS, order.index(a)),
    )
    if not allowed:
        return []
    needs_handoff = Action.HAND_OFF in allowed
    definition = active_definition() if needs_handoff else None
    reps = selectors.sales_reps_for_handoff(lead) if needs_handoff else None
    forms = []
    for action in allowed:
        if bound is not None and bound.lead_action == action:
            forms.append(bound)
        elif action == Action.HAND_OFF:
            suggested = suggestions[0].rep.pk if suggestions else None
            initial: dict[str, Any] = {"sales_rep": suggested}
            initial |= {f"answer_{k}": v for k, v in (lead.qualification or {}).items()}
            forms.append(
                TransitionForm(
                    lead=lead,
                    action=action,
                    definition=definition,
                    sales_reps=reps,
                    initial=initial,
                )
            )
        else:
            forms.append(
                TransitionForm(lead=lead, action=action, definition=definition, sales_reps=reps)
            )
    return forms


def _render_lead(
    request: HttpRequest,
    lead: Lead,
    *,
    status: int = 200,
    bound: TransitionForm | None = None,
    activity_form: ActivityForm | None = None,
    qualification_form: QualificationForm | None = None,
    claim: bool = False,
) -> HttpResponse:
    user = current_user(request)
    now = pages.clock()
    may_log = may_log_activity(user, lead)
    suggestions: list[Suggestion] = []
    if Action.HAND_OFF in states.allowed_actions(lead.stage) and can_act(
        user, lead, Action.HAND_OFF
    ):
        suggestions = suggest_sales_reps(lead, now)
    action_forms = _action_forms(user, lead, bound, suggestions)
    # Whoever opens a lead she may work claims it for a while (see leads.claims).
    if claim and (may_log or action_forms):
        claim_lead(lead=lead, user=user, now=now)
        lead.refresh_from_db(fields=["claimed_by", "claimed_until"])
    held_by_other = is_claimed_by_other(lead, user, now)
    may_qualify = lead.stage in states.INSIDE_OPEN and can_act(user, lead, Action.HAND_OFF)
    holds_claim = (
        lead.claimed_by_id == user.pk
        and lead.claimed_until is not None
        and lead.claimed_until > now
    )
    qualification = None
    if may_qualify and not held_by_other:
        qualification = qualification_form or QualificationForm(
            lead=lead, definition=active_definition()
        )
    context = {
        "lead": lead,
        "clocks": lead_clocks(lead, now),
        "timeline": timeline(lead),
        "action_forms": [] if held_by_other else action_forms,
        "activity_form": activity_form or ActivityForm(),
        "quick_log": [] if held_by_other or not may_log else QUICK_LOG,
        "may_log": may_log and not held_by_other,
        "held_by_other": held_by_other,
        "holds_claim": holds_claim,
        "qualification_form": qualification,
        "suggestions": suggestions,
        "duplicates": possible_duplicates(user, lead),
        "handoff": lead.handoffs.select_related("from_rep", "to_rep", "definition").first(),
        "now": now,
        "is_open": states.is_open(lead.stage),
        "followup": followup_selectors.lead_followup(lead, now, user),
    }
    return render(request, "web/lead_detail.html", context, status=status)


@require_GET
@page
def lead_detail(request: HttpRequest, lead_id: int) -> HttpResponse:
    return _render_lead(request, _lead_for(current_user(request), lead_id), claim=True)


def _conflict(lead: Lead, action: Action, raw_version: str | None) -> str | None:
    """Why the page the form came from is out of date, before reading any input."""
    try:
        expected = int(raw_version or "")
    except ValueError:
        return None  # the form reports it
    if expected != lead.version:
        return str(
            StaleLead(lead_id=lead.pk, expected=expected, version=lead.version, stage=lead.stage)
        )
    if action not in states.allowed_actions(lead.stage):
        return str(states.TransitionNotAllowed(lead.stage, action))
    return None


@require_POST
@page
def lead_transition_view(request: HttpRequest, lead_id: int) -> HttpResponse:
    user = current_user(request)
    lead = _lead_for(user, lead_id)
    raw_action = request.POST.get("action", "")
    if raw_action not in Action.values:
        messages.error(request, f"Unknown action '{raw_action}'.")
        return _render_lead(request, lead, status=400)
    action = Action(raw_action)
    if not can_act(user, lead, action):
        messages.error(request, f"You may not '{action.label.lower()}' this lead.")
        return _render_lead(request, lead, status=403)
    conflict = _conflict(lead, action, request.POST.get("expected_version"))
    if conflict:
        messages.error(request, conflict)
        return _render_lead(request, lead, status=409)
    form = TransitionForm(
        request.POST,
        lead=lead,
        action=action,
        definition=active_definition() if action == Action.HAND_OFF else None,
        sales_reps=selectors.sales_reps_for_handoff(lead) if action == Action.HAND_OFF else None,
        now=pages.clock(),
    )
    if not form.is_valid():
        return _render_lead(request, lead, status=422, bound=form)
    try:
        lead_transition(
            lead=lead.pk,
            action=action,
            actor=user,
            now=pages.clock(),
            data=form.service_data(),
            expected_version=form.cleaned_data["expected_version"],
        )
    except ValidationError as exc:
        form.add_service_errors(exc.message_dict)
        return _render_lead(request, lead, status=422, bound=form)
    except (states.TransitionNotAllowed, StaleLead, LeadClaimed) as exc:
        # Someone else moved or holds the lead meanwhile: show it as it is now.
        messages.error(request, str(exc))
        return _render_lead(request, _lead_for(user, lead_id), status=409)
    except NotPermitted as exc:
        messages.error(request, str(exc))
        return _render_lead(request, lead, status=403)
    messages.success(request, f"{action.label}: done.")
    return HttpResponseRedirect(reverse("web:lead_detail", args=[lead.pk]))


@require_POST
@page
def lead_activity_view(request: HttpRequest, lead_id: int) -> HttpResponse:
    user = current_user(request)
    lead = _lead_for(user, lead_id)
    form = ActivityForm(request.POST)
    if not form.is_valid():
        return _render_lead(request, lead, status=422, activity_form=form)
    try:
        activity = log_activity(
            lead=lead.pk,
            actor=user,
            kind=form.cleaned_data["kind"],
            outcome=form.cleaned_data["outcome"],
            note=form.cleaned_data["note"],
            now=pages.clock(),
        )
    except ValidationError as exc:
        form.add_service_errors(exc.message_dict)
        return _render_lead(request, lead, status=422, activity_form=form)
    except NotPermitted as exc:
        messages.error(request, str(exc))
        return _render_lead(request, lead, status=403)
    except LeadClaimed as exc:
        messages.error(request, str(exc))
        return _render_lead(request, lead, status=409)
    title = activity.get_kind_display()
    if activity.outcome:
        title += f" ({activity.get_outcome_display().lower()})"
    messages.success(request, f"{title} logged.")
    return HttpResponseRedirect(reverse("web:lead_detail", args=[lead.pk]))


# One click (or key) per attempt: (group, [(key, kind, outcome, label)]).
QUICK_LOG = [
    (
        "Call",
        [
            ("1", "call", "connected", "Connected"),
            ("2", "call", "voicemail", "Voicemail"),
            ("3", "call", "no_answer", "No answer"),
            ("4", "call", "gatekeeper", "Gatekeeper"),
            ("5", "call", "wrong_number", "Wrong number"),
        ],
    ),
    (
        "Email",
        [
            ("e", "email", "sent", "Sent"),
            ("r", "email", "replied", "Replied"),
            ("b", "email", "bounced", "Bounced"),
        ],
    ),
]


def possible_duplicates(user: User, lead: Lead) -> list[Lead]:
    """Other leads the user may see with the same email, phone, or person at company."""
    match = Q(pk__in=[])
    for key in ("email_key", "phone_key", "person_key"):
        value = getattr(lead, key)
        if value:
            match |= Q(**{key: value})
    return list(visible_leads(user).filter(match).exclude(pk=lead.pk).select_related("owner")[:10])


@require_POST
@page
def lead_qualification_view(request: HttpRequest, lead_id: int) -> HttpResponse:
    user = current_user(request)
    lead = _lead_for(user, lead_id)
    form = QualificationForm(request.POST, lead=lead, definition=active_definition())
    if not form.is_valid():
        return _render_lead(request, lead, status=422, qualification_form=form)
    try:
        save_qualification(
            lead=lead.pk,
            actor=user,
            answers=form.answers(),
            now=pages.clock(),
            expected_version=form.cleaned_data["expected_version"],
        )
    except ValidationError as exc:
        form.add_service_errors(exc.message_dict)
        return _render_lead(request, lead, status=422, qualification_form=form)
    except (StaleLead, LeadClaimed) as exc:
        messages.error(request, str(exc))
        return _render_lead(request, _lead_for(user, lead_id), status=409)
    except NotPermitted as exc:
        messages.error(request, str(exc))
        return _render_lead(request, lead, status=403)
    messages.success(request, "Qualification saved.")
    return HttpResponseRedirect(reverse("web:lead_detail", args=[lead.pk]) + "#qualification")


@require_POST
@page
def lead_claim_view(request: HttpRequest, lead_id: int) -> HttpResponse:
    """Let go of one's claim (the lead page takes one on opening)."""
    user = current_user(request)
    lead = _lead_for(user, lead_id)
    if release_claim(lead=lead, user=user):
        messages.info(request, "You let go of this lead; others may work it now.")
    return HttpResponseRedirect(reverse("web:queue"))


@require_GET
@page
def lead_handoff_preview(request: HttpRequest, lead_id: int) -> HttpResponse:
    """The meeting time as both reps will read it, for the handoff form (htmx)."""
    user = current_user(request)
    lead = _lead_for(user, lead_id)
    form = TransitionForm(
        request.GET,
        lead=lead,
        action=Action.HAND_OFF,
        definition=None,
        sales_reps=selectors.sales_reps_for_handoff(lead),
    )
    form.is_valid()
    cleaned = getattr(form, "cleaned_data", {})
    meeting, rep = cleaned.get("meeting_at"), cleaned.get("sales_rep")
    context = {
        "meeting": meeting,
        "rep": rep,
        "mine": zone_named(user.timezone),
        "theirs": zone_named(rep.timezone) if rep is not None else None,
        "past": meeting is not None and meeting <= pages.clock(),
    }
    return render(request, "web/_meeting_preview.html", context)
