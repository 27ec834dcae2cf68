"""The inside rep's queue: her open leads most urgent first, "next lead", and a manager's
reassignment. Thin: `leads.queues` reads, `lifecycle.claims` and `lifecycle.assignment` write."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_GET, require_POST

from leadloop.accounts.choices import Role
from leadloop.accounts.models import User
from leadloop.accounts.selectors import relevant_team_ids
from leadloop.campaigns.choices import Channel
from leadloop.campaigns.models import Campaign
from leadloop.campaigns.selectors import campaign_choices
from leadloop.leads.choices import Stage
from leadloop.leads.queues import (
    QUEUE_PAGE,
    QueueFilters,
    may_see_queue,
    queue_leads,
    queue_reps,
    queue_rows,
)
from leadloop.leads.states import INSIDE_OPEN
from leadloop.lib import pages
from leadloop.lib.errors import NotPermitted
from leadloop.lib.pages import HtmxHttpRequest, current_user, id_from, page
from leadloop.lifecycle.assignment import reassign_leads
from leadloop.lifecycle.claims import take_next_lead
from leadloop.web.forms import UserChoiceField


class QueueFilterForm(forms.Form):
    """GET filters of the queue; bad values are ignored (and reported by the form)."""

    rep = UserChoiceField(queryset=None, required=False, empty_label=None, label="Queue of")
    campaign: forms.ModelChoiceField[Campaign] = forms.ModelChoiceField(
        queryset=None, required=False, empty_label="Any campaign"
    )
    channel = forms.ChoiceField(required=False, choices=[("", "Any channel"), *Channel.choices])
    stage = forms.ChoiceField(
        required=False,
        choices=[("", "Any open stage"), *[(s.value, s.label) for s in Stage if s in INSIDE_OPEN]],
    )

    def __init__(self, *args: Any, viewer: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        reps = queue_reps(viewer)
        rep_field = self.fields["rep"]
        assert isinstance(rep_field, forms.ModelChoiceField)
        rep_field.queryset = reps
        if viewer.role == Role.INSIDE_REP:
            rep_field.widget = forms.HiddenInput()
        campaign_field = self.fields["campaign"]
        assert isinstance(campaign_field, forms.ModelChoiceField)
        campaign_field.queryset = campaign_choices(relevant_team_ids(viewer))

    def filters(self) -> QueueFilters:
        data = getattr(self, "cleaned_data", {})
        campaign = data.get("campaign")
        return QueueFilters(
            campaign=campaign.pk if campaign is not None else None,
            channel=data.get("channel") or None,
            stage=data.get("stage") or None,
        )


def _back_to_queue(request: HttpRequest) -> str:
    """The queue as the form was posted from it, filters kept (they come as `query`)."""
    query = request.POST.get("query", "")
    return reverse("web:queue") + (f"?{query}" if query else "")


def _queue_owner(viewer: User, form: QueueFilterForm) -> User | None:
    """Whose queue: the chosen rep if the viewer may see it, else her own (if she has one).

    A rep she may not see is refused (403, as the API answers), never quietly
    replaced by another queue.
    """
    form.is_valid()
    if "rep" in form.errors:
        raise PermissionDenied
    chosen = getattr(form, "cleaned_data", {}).get("rep")
    if chosen is not None:
        if not may_see_queue(viewer, chosen):
            raise PermissionDenied
        return chosen
    if viewer.role == Role.INSIDE_REP:
        return viewer
    return queue_reps(viewer).first()


# What the queue's table shows of a lead, its campaign and whoever holds it: the
# rest (JSON columns above all) was read and decoded for nothing.
QUEUE_FIELDS = (
    "first_name",
    "last_name",
    "email",
    "phone",
    "company",
    "priority",
    "stage",
    "scored__score",
    "scored__tier",
    "claimed_until",
    "campaign__name",
    "campaign__channel",
    "team",
    "claimed_by",
)


def _page_number(request: HttpRequest) -> int:
    """The queue page asked for (1 is the most urgent); anything else is page 1."""
    try:
        return max(1, int(request.GET.get("page", "1")))
    except ValueError:
        return 1


def _page_url(request: HttpRequest, number: int) -> str:
    params = request.GET.copy()
    params.pop("page", None)
    if number > 1:
        params["page"] = str(number)
    return reverse("web:queue") + (f"?{params.urlencode()}" if params else "")


@require_GET
@page
def queue(request: HtmxHttpRequest) -> HttpResponse:
    viewer = current_user(request)
    if viewer.role not in (Role.INSIDE_REP, Role.MANAGER, Role.ADMIN) and not viewer.is_superuser:
        raise PermissionDenied(
            "The queue is for inside reps, their managers and admins; your leads are on "
            "your home page and in Leads."
        )
    now = pages.clock()
    form = QueueFilterForm(request.GET or None, viewer=viewer)
    rep = _queue_owner(viewer, form)
    rows, total, breached = [], 0, 0
    number = _page_number(request)
    offset = (number - 1) * QUEUE_PAGE
    if rep is not None:
        leads = queue_leads(viewer, rep, form.filters(), now)
        # Both counts in one scan of her open leads.
        counts = leads.order_by().aggregate(
            total=Count("pk"), breached=Count("pk", filter=Q(sla_breached=True))
        )
        total, breached = counts["total"], counts["breached"]
        if total and offset >= total:  # past the end (leads were worked): the last page
            number = -(-total // QUEUE_PAGE)
            offset = (number - 1) * QUEUE_PAGE
        rows = queue_rows(leads, viewer, now, offset=offset, fields=QUEUE_FIELDS)
    reassign_to = []
    if rep is not None and viewer.role in (Role.MANAGER, Role.ADMIN):
        reassign_to = [
            r for r in queue_reps(viewer).filter(is_active=True) if r.team_id == rep.team_id
        ]
    context = {
        "form": form,
        "rep": rep,
        "rows": rows,
        "total": total,
        "breached": breached,
        "shown": len(rows),
        "first": offset + 1,
        "last": offset + len(rows),
        "newer_url": _page_url(request, number - 1) if number > 1 else None,
        "older_url": _page_url(request, number + 1) if offset + len(rows) < total else None,
        "now": now,
        "is_own": rep is not None and rep.pk == viewer.pk,
        "reassign_to": reassign_to,
        "query": request.GET.urlencode(),
    }
    partial = request.htmx and not request.htmx.history_restore_request
    response = render(request, "web/_queue_table.html" if partial else "web/queue.html", context)
    patch_vary_headers(response, ["HX-Request"])
    return response


@require_POST
@page
def next_lead(request: HttpRequest) -> HttpResponse:
    """Claim and open the most urgent lead of her queue that nobody else is on."""
    viewer = current_user(request)
    now = pages.clock()
    form = QueueFilterForm(request.POST, viewer=viewer)
    rep = _queue_owner(viewer, form)
    back = _back_to_queue(request)
    if rep is None:
        messages.info(request, "There is no queue to take a lead from.")
        return HttpResponseRedirect(back)
    lead = take_next_lead(user=viewer, leads=queue_leads(viewer, rep, form.filters(), now), now=now)
    if lead is None:
        messages.success(request, "Nothing left to work in this queue. Well done.")
        return HttpResponseRedirect(back)
    return HttpResponseRedirect(reverse("web:lead_detail", args=[lead.pk]))


@require_POST
@page
def reassign(request: HttpRequest) -> HttpResponse:
    """A manager moves the ticked leads to another inside rep of the team."""
    viewer = current_user(request)
    back = _back_to_queue(request)
    ids = [i for i in map(id_from, request.POST.getlist("lead")) if i is not None]
    to_rep = get_object_or_404(User, pk=id_from(request.POST.get("to_rep")) or 0)
    try:
        moved = reassign_leads(lead_ids=ids, to_rep=to_rep, actor=viewer, now=pages.clock())
    except ValidationError as exc:
        for field, errors in exc.message_dict.items():
            for error in errors:
                messages.error(request, f"{field.replace('_', ' ')}: {error}")
        return HttpResponseRedirect(back)
    except NotPermitted as exc:
        raise PermissionDenied(str(exc)) from None
    if moved:
        messages.success(
            request, f"{len(moved)} lead{'s' if len(moved) != 1 else ''} reassigned to {to_rep}."
        )
    else:
        messages.info(request, f"Those leads already belong to {to_rep}.")
    return HttpResponseRedirect(back)
