"""The follow-up pages: sales inbox, cadence tasks, feedback owed, purgatory, cadence templates.

Thin: selectors read, services write. Pages run in the viewer's time zone
and read the time through the web app's one `clock()` seam, so a test pins
every app at once.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from leadloop.accounts.models import Team, User
from leadloop.followup import ics, selectors
from leadloop.followup.choices import MailState, PurgatoryReason, StepAction, TaskStatus
from leadloop.followup.models import CadenceTask, CadenceTemplate
from leadloop.followup.permissions import may_edit_template, may_see_templates, may_work_task
from leadloop.followup.services import customize_for_team, save_template
from leadloop.leads.choices import Action
from leadloop.leads.models import Lead
from leadloop.leads.permissions import can_act
from leadloop.leads.selectors import visible_leads
from leadloop.leads.states import TransitionNotAllowed
from leadloop.lib import pages
from leadloop.lib.errors import LeadClaimed, NotPermitted, StaleLead
from leadloop.lib.pages import current_user, id_from, page
from leadloop.lifecycle.cadence_steps import complete_task, rebook_meeting, resend_mail
from leadloop.lifecycle.sales import accept_handoff, record_outcome, reject_handoff
from leadloop.web.followup.forms import (
    AcceptForm,
    BaseStepFormSet,
    RebookForm,
    RejectForm,
    StepFormSet,
    TaskDoneForm,
    TemplateForm,
)

CONFLICTS = (TransitionNotAllowed, StaleLead, LeadClaimed)


def _refusal_status(exc: Exception) -> int:
    """403 for a user who may not act, 409 for a lead that moved, is claimed or is stale."""
    return 403 if isinstance(exc, NotPermitted) else 409


def _lead_for(user: User, lead_id: int) -> Lead:
    return get_object_or_404(visible_leads(user), pk=lead_id)


def _next(request: HttpRequest, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


def _field_messages(exc: ValidationError, labels: dict[str, str]) -> list[str]:
    if hasattr(exc, "error_dict"):
        return [
            f"{labels.get(name, name)}: {'; '.join(str(m) for e in errs for m in e.messages)}"
            for name, errs in exc.error_dict.items()
        ]
    return list(exc.messages)


# ---------------------------------------------------------------- the sales inbox


def _render_inbox(
    request: HttpRequest, *, status: int = 200, bound: dict[int, RejectForm] | None = None
) -> HttpResponse:
    user = current_user(request)
    now = pages.clock()
    items = selectors.sales_inbox(user, now)
    rows = []
    for item in items:
        lead = item.lead
        reject = (bound or {}).get(lead.pk) or RejectForm(
            prefix_id=str(lead.pk), initial={"expected_version": lead.version}
        )
        rows.append({"item": item, "reject": reject, "can_act": _may_answer(user, lead)})
    return render(request, "followup/inbox.html", {"rows": rows, "now": now}, status=status)


def _may_answer(user: User, lead: Lead) -> bool:
    return can_act(user, lead, Action.ACCEPT)


@require_GET
@page
def inbox(request: HttpRequest) -> HttpResponse:
    return _render_inbox(request)


@require_POST
@page
def accept_view(request: HttpRequest, lead_id: int) -> HttpResponse:
    user = current_user(request)
    lead = _lead_for(user, lead_id)
    form = AcceptForm(request.POST)
    back = _next(request, reverse("followup:inbox"))
    if not form.is_valid():
        messages.error(request, "The page was out of date; reload it and try again.")
        return _render_inbox(request, status=400)
    try:
        accept_handoff(
            lead=lead.pk,
            actor=user,
            now=pages.clock(),
            expected_version=form.cleaned_data["expected_version"],
        )
    except (*CONFLICTS, NotPermitted) as exc:
        messages.error(request, str(exc))
        return _render_inbox(request, status=_refusal_status(exc))
    messages.success(request, f"Accepted {lead}. The meeting's outcome is yours to record.")
    return HttpResponseRedirect(back)


@require_POST
@page
def reject_view(request: HttpRequest, lead_id: int) -> HttpResponse:
    user = current_user(request)
    lead = _lead_for(user, lead_id)
    form = RejectForm(request.POST, prefix_id=str(lead.pk))
    if not form.is_valid():
        return _render_inbox(request, status=422, bound={lead.pk: form})
    reason = form.cleaned_data["reason_code"]
    try:
        reject_handoff(
            lead=lead.pk,
            actor=user,
            now=pages.clock(),
            reason_code=reason.pk,
            note=form.cleaned_data["note"],
            expected_version=form.cleaned_data["expected_version"],
        )
    except ValidationError as exc:
        form.add_service_errors(exc.message_dict)
        return _render_inbox(request, status=422, bound={lead.pk: form})
    except (*CONFLICTS, NotPermitted) as exc:
        messages.error(request, str(exc))
        return _render_inbox(request, status=_refusal_status(exc))
    messages.success(
        request, f"Rejected {lead} ({reason.label}): it is back in the inside rep's queue."
    )
    return HttpResponseRedirect(_next(request, reverse("followup:inbox")))


# ---------------------------------------------------------------- cadence tasks


def _render_tasks(
    request: HttpRequest, *, status: int = 200, bound: dict[int, TaskDoneForm] | None = None
) -> HttpResponse:
    user = current_user(request)
    now = pages.clock()
    assignee = id_from(request.GET.get("rep"))
    board = selectors.task_board(user, now, assignee=assignee)
    for task in board.overdue + board.today:
        # What the row needs rides on the row: may she do it, and the failed try if any.
        task.workable = may_work_task(user, task.lead)  # type: ignore[attr-defined]
        task.bound_form = (bound or {}).get(task.pk)  # type: ignore[attr-defined]
    for task in board.finished:
        task.resendable = task.mail_state == MailState.FAILED and may_work_task(  # type: ignore[attr-defined]
            user, task.lead
        )
    context = {
        "board": board,
        "now": now,
        "assignee": assignee,
        "sections": [
            ("overdue", "Late", board.overdue),
            ("today", "Due today", board.today),
            ("upcoming", "Coming up", board.upcoming),
        ],
    }
    return render(request, "followup/tasks.html", context, status=status)


@require_GET
@page
def tasks(request: HttpRequest) -> HttpResponse:
    return _render_tasks(request)


TASK_LABELS = {
    "proposed_at": "Proposed new time",
    "send_email": "Email",
    "task": "Step",
    "lead": "Lead",
    "meeting_at": "New meeting",
}


@require_POST
@page
def task_done_view(request: HttpRequest, task_id: int) -> HttpResponse:
    user = current_user(request)
    task = get_object_or_404(selectors.visible_tasks(user).select_related("lead"), pk=task_id)
    form = TaskDoneForm(request.POST, auto_id=f"id_task{task.pk}_%s")
    came_from = request.POST.get("next")
    if not form.is_valid():
        return _task_error(request, task, form, came_from)
    try:
        done = complete_task(
            task=task.pk,
            actor=user,
            now=pages.clock(),
            note=form.cleaned_data["note"],
            proposed_at=form.cleaned_data.get("proposed_at"),
            send_email=bool(form.cleaned_data.get("send_email")),
        )
    except ValidationError as exc:
        form.add_service_errors(exc.message_dict)
        return _task_error(request, task, form, came_from)
    except (LeadClaimed, NotPermitted) as exc:
        messages.error(request, str(exc))
        return _render_tasks(request, status=_refusal_status(exc))
    label = StepAction(done.action).label.lower()
    text = f"Day {done.day} {label} done on {task.lead}."
    if done.emailed_to:
        text += f" The email to {done.emailed_to} is on its way."
    messages.success(request, text)
    return HttpResponseRedirect(_next(request, reverse("followup:tasks")))


@require_POST
@page
def task_resend_view(request: HttpRequest, task_id: int) -> HttpResponse:
    """Send a step's email again after the mail server refused it."""
    user = current_user(request)
    task = get_object_or_404(selectors.visible_tasks(user).select_related("lead"), pk=task_id)
    try:
        again = resend_mail(task=task.pk, actor=user, now=pages.clock())
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return _render_tasks(request, status=422)
    except NotPermitted as exc:
        messages.error(request, str(exc))
        return _render_tasks(request, status=403)
    messages.success(request, f"The email to {again.emailed_to} is on its way again.")
    return HttpResponseRedirect(_next(request, reverse("followup:tasks")))


def _task_error(
    request: HttpRequest, task: CadenceTask, form: TaskDoneForm, came_from: str | None
) -> HttpResponse:
    """From the lead page: back there with the error named; from the list: the list, 422."""
    if came_from:
        for name, errors in form.errors.items():
            label = TASK_LABELS.get(name, name) if name != "__all__" else "Step"
            messages.error(request, f"{label}: {' '.join(str(e) for e in errors)}")
        return HttpResponseRedirect(_next(request, reverse("followup:tasks")))
    return _render_tasks(request, status=422, bound={task.pk: form})


MEETING_OUTCOMES = {"meeting_held": "Meeting held", "no_show": "No-show"}


@require_POST
@page
def outcome_view(request: HttpRequest, lead_id: int) -> HttpResponse:
    """Held or no-show, from the list of meetings to report; the rest is on the lead page."""
    user = current_user(request)
    lead = _lead_for(user, lead_id)
    outcome = request.POST.get("outcome", "")
    form = AcceptForm(request.POST)  # carries the version the page showed
    if outcome not in MEETING_OUTCOMES or not form.is_valid():
        messages.error(request, "Choose held or no-show on a page that is up to date.")
        return _render_tasks(request, status=400)
    try:
        record_outcome(
            lead=lead.pk,
            outcome=outcome,
            actor=user,
            now=pages.clock(),
            expected_version=form.cleaned_data["expected_version"],
        )
    except ValidationError as exc:
        for text in _field_messages(exc, {"meeting_at": "Meeting"}):
            messages.error(request, text)
        return _render_tasks(request, status=422)
    except (*CONFLICTS, NotPermitted) as exc:
        messages.error(request, str(exc))
        return _render_tasks(request, status=_refusal_status(exc))
    if outcome == "no_show":
        messages.success(request, f"No-show on {lead}: the follow-up cadence is in your tasks.")
    else:
        messages.success(request, f"Meeting held with {lead}: record what came of it.")
        return HttpResponseRedirect(reverse("web:lead_detail", args=[lead.pk]))
    return HttpResponseRedirect(_next(request, reverse("followup:tasks")))


@require_GET
@page
def invitation_ics(request: HttpRequest, task_id: int) -> HttpResponse:
    user = current_user(request)
    task = get_object_or_404(
        selectors.visible_tasks(user).select_related("lead", "done_by"),
        pk=task_id,
        action=StepAction.INVITATION,
    )
    if task.status != TaskStatus.DONE or task.proposed_at is None or task.done_at is None:
        raise Http404("The invitation has not been sent yet.")
    body = ics.invitation(
        task=task, lead=task.lead, organizer=task.done_by, start=task.proposed_at, now=task.done_at
    )
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8; method=REQUEST")
    response["Content-Disposition"] = f'attachment; filename="{ics.filename(task)}"'
    return response


@require_POST
@page
def rebook_view(request: HttpRequest, lead_id: int) -> HttpResponse:
    user = current_user(request)
    lead = _lead_for(user, lead_id)
    back = _next(request, reverse("web:lead_detail", args=[lead.pk]))
    form = RebookForm(request.POST)
    if not form.is_valid():
        for name, errors in form.errors.items():
            messages.error(
                request, f"{TASK_LABELS.get(name, name)}: {' '.join(str(e) for e in errors)}"
            )
        return HttpResponseRedirect(back)
    try:
        rebook_meeting(
            lead=lead.pk,
            meeting_at=form.cleaned_data["meeting_at"],
            actor=user,
            now=pages.clock(),
            note=form.cleaned_data["note"],
        )
    except ValidationError as exc:
        for text in _field_messages(exc, TASK_LABELS):
            messages.error(request, text)
        return HttpResponseRedirect(back)
    except NotPermitted as exc:
        raise PermissionDenied(str(exc)) from None
    except LeadClaimed as exc:
        messages.error(request, str(exc))
        return HttpResponseRedirect(back)
    messages.success(request, "Meeting rebooked; the no-show follow-up stopped.")
    return HttpResponseRedirect(back)


# ---------------------------------------------------------------- feedback owed and purgatory


@require_GET
@page
def feedback_owed(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    now = pages.clock()
    rep = id_from(request.GET.get("rep"))
    owed = selectors.feedback_owed(user, now, rep=rep)
    return render(request, "followup/feedback_owed.html", {"owed": owed, "now": now, "rep": rep})


@require_GET
@page
def purgatory(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    now = pages.clock()
    reason = request.GET.get("reason") or None
    if reason not in PurgatoryReason.values:
        reason = None
    found = selectors.purgatory(user, now, reason=reason)
    return render(
        request, "followup/purgatory.html", {"found": found, "now": now, "reason": reason}
    )


# ---------------------------------------------------------------- cadence templates


def _templates_allowed(user: User) -> None:
    if not may_see_templates(user):
        raise PermissionDenied("Cadences are set by managers and admins.")


@require_GET
@page
def cadence_list(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    _templates_allowed(user)
    return render(
        request,
        "followup/cadences.html",
        {
            "templates": selectors.cadence_templates(user),
            "customizable": selectors.teams_to_customize(user),
        },
    )


def _steps_initial(template: CadenceTemplate) -> list[dict[str, Any]]:
    return [{"day": s.day, "action": s.action, "text": s.text} for s in template.steps.all()]


@require_http_methods(["GET", "POST"])
@page
def cadence_edit(request: HttpRequest, template_id: int) -> HttpResponse:
    user = current_user(request)
    _templates_allowed(user)
    template = get_object_or_404(CadenceTemplate.objects.select_related("team"), pk=template_id)
    visible = {v.template.pk for v in selectors.cadence_templates(user)}
    if template.pk not in visible:
        raise Http404
    editable = may_edit_template(user, template)
    status = 200
    if request.method == "POST":
        if not editable:
            raise PermissionDenied("You may read this cadence but not change it.")
        form = TemplateForm(request.POST)
        steps = StepFormSet(request.POST, prefix="steps")
        assert isinstance(steps, BaseStepFormSet)
        if form.is_valid() and steps.is_valid():
            try:
                save_template(
                    template=template,
                    actor=user,
                    now=pages.clock(),
                    name=form.cleaned_data["name"],
                    recycle_day=form.cleaned_data["recycle_day"],
                    invite_window_days=form.cleaned_data["invite_window_days"],
                    steps=steps.specs(),
                    expected_version=form.cleaned_data["expected_version"],
                )
            except ValidationError as exc:
                form.add_service_errors(exc.message_dict)
            else:
                messages.success(request, f"Saved '{form.cleaned_data['name']}'.")
                return HttpResponseRedirect(reverse("followup:cadence_edit", args=[template.pk]))
        status = 422
    else:
        form = TemplateForm(
            initial={
                "name": template.name,
                "recycle_day": template.recycle_day,
                "invite_window_days": template.invite_window_days,
                "expected_version": template.version,
            }
        )
        steps = StepFormSet(prefix="steps", initial=_steps_initial(template))
    return render(
        request,
        "followup/cadence_edit.html",
        {"template": template, "form": form, "steps": steps, "editable": editable},
        status=status,
    )


@require_POST
@page
def cadence_customize(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    _templates_allowed(user)
    team = get_object_or_404(Team, pk=request.POST.get("team") or 0)
    try:
        template = customize_for_team(team=team, actor=user, now=pages.clock())
    except NotPermitted as exc:
        raise PermissionDenied(str(exc)) from exc
    except ValidationError as exc:
        for text in _field_messages(exc, {"team": "Team"}):
            messages.error(request, text)
        return HttpResponseRedirect(reverse("followup:cadences"))
    messages.success(request, f"{team} now has its own cadence; change it here.")
    return HttpResponseRedirect(reverse("followup:cadence_edit", args=[template.pk]))
