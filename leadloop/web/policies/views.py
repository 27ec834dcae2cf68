"""SLA policy pages: the per-channel defaults and the campaigns that override them.

Thin: `campaigns.services` checks who may change what and validates; these
views parse the form and show every policy in words ("12 business hours").
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods

from leadloop.campaigns.choices import Channel, SlaUnit
from leadloop.campaigns.models import Campaign, SourcePolicy
from leadloop.campaigns.selectors import policy_for
from leadloop.campaigns.services import (
    may_edit_policy,
    may_override,
    may_view_policies,
    overridable_campaign_ids,
    remove_campaign_override,
    set_campaign_override,
    update_source_policy,
)
from leadloop.lib.errors import NotPermitted
from leadloop.lib.pages import current_user, page
from leadloop.web.policies.forms import PolicyForm

COLUMNS = (
    "Priority",
    "First contact",
    "Concluded within",
    "Attempts",
    "Sales accepts within",
    "Meeting outcome within",
    "Feedback within",
    "Updates",
)


def _plural(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def business_days(n: int) -> str:
    return "the same business day" if n == 0 else _plural(n, "business day", "business days")


def first_contact(amount: int, unit: str) -> str:
    if unit == SlaUnit.BUSINESS_HOURS:
        return _plural(amount, "business hour", "business hours")
    return business_days(amount)


def describe(policy: SourcePolicy) -> list[str]:
    """A policy's settings in words, in the order of COLUMNS."""
    return [
        f"P{policy.priority}",
        first_contact(policy.first_contact_amount, policy.first_contact_unit),
        business_days(policy.max_open_days),
        f"{_plural(policy.max_dials, 'dial', 'dials')}, "
        f"{_plural(policy.max_emails, 'email', 'emails')}",
        business_days(policy.accept_days),
        business_days(policy.outcome_days),
        business_days(policy.feedback_days),
        f"every {_plural(policy.update_days, 'day', 'days')}",
    ]


@dataclass(frozen=True)
class PolicyRow:
    scope: str
    channel: str
    cells: list[str]
    edit_url: str | None


def _channel_label(channel: str) -> str:
    return str(Channel(channel).label) if channel in Channel.values else channel


def _forbid_unless(allowed: bool) -> None:
    if not allowed:
        raise PermissionDenied


@require_GET
@page
def policy_list(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    _forbid_unless(may_view_policies(user))
    order = {value: i for i, value in enumerate(Channel.values)}
    defaults = sorted(
        SourcePolicy.objects.filter(campaign__isnull=True), key=lambda p: order.get(p.channel, 99)
    )
    default_rows = [
        PolicyRow(
            scope=_channel_label(p.channel),
            channel=_channel_label(p.channel),
            cells=describe(p),
            edit_url=reverse("campaigns:policy_edit", args=[p.pk]),
        )
        for p in defaults
    ]
    allowed = overridable_campaign_ids(user)
    overrides = SourcePolicy.objects.filter(campaign__isnull=False).select_related(
        "campaign", "campaign__team"
    )
    override_rows = [
        PolicyRow(
            scope=p.campaign.name,
            channel=_channel_label(p.campaign.channel),
            cells=describe(p),
            edit_url=(
                reverse("campaigns:campaign_policy", args=[p.campaign.pk])
                if allowed is None or p.campaign.pk in allowed
                else None
            ),
        )
        for p in sorted(overrides, key=lambda p: p.campaign.name if p.campaign else "")
        if p.campaign is not None
    ]
    candidates = Campaign.objects.filter(policy__isnull=True).select_related("team")
    if allowed is not None:
        candidates = candidates.filter(pk__in=allowed)
    missing = [
        label for value, label in Channel.choices if value not in {p.channel for p in defaults}
    ]
    context = {
        "columns": COLUMNS,
        "default_rows": default_rows,
        "override_rows": override_rows,
        "candidates": candidates.order_by("name"),
        "missing_channels": missing,
    }
    return render(request, "campaigns/policy_list.html", context)


@require_http_methods(["GET", "POST"])
@page
def policy_edit(request: HttpRequest, policy_id: int) -> HttpResponse:
    user = current_user(request)
    policy = get_object_or_404(SourcePolicy.objects.select_related("campaign"), pk=policy_id)
    if policy.campaign is not None:
        # An override is edited on its campaign's page, with its remove button.
        _forbid_unless(may_override(user, policy.campaign))
        return HttpResponseRedirect(reverse("campaigns:campaign_policy", args=[policy.campaign.pk]))
    _forbid_unless(may_edit_policy(user, policy))
    status = 200
    if request.method == "POST":
        form = PolicyForm(request.POST)
        if form.is_valid():
            try:
                update_source_policy(policy=policy, actor=user, **form.service_values())
            except ValidationError as exc:
                form.add_service_errors(exc.message_dict)
            except NotPermitted:
                raise PermissionDenied from None
            else:
                label = _channel_label(policy.channel)
                messages.success(request, f"Policy for {label} saved; it applies to new leads.")
                return HttpResponseRedirect(reverse("campaigns:policy_list"))
        status = 422
    else:
        form = PolicyForm(initial=PolicyForm.initial_for(policy))
    context = {
        "form": form,
        "title": f"Default policy: {_channel_label(policy.channel)}",
        "note": "Applies to every campaign of this channel that has no policy of its own.",
        "action": reverse("campaigns:policy_edit", args=[policy.pk]),
    }
    return render(request, "campaigns/policy_form.html", context, status=status)


def _campaign_context(campaign: Campaign, form: PolicyForm) -> dict[str, object]:
    own = SourcePolicy.objects.filter(campaign=campaign).exists()
    channel = _channel_label(campaign.channel)
    note = (
        f"This campaign has its own policy. Remove it to use the {channel} default again."
        if own
        else f"This campaign uses the {channel} default (shown). Saving gives it its own policy."
    )
    return {
        "form": form,
        "campaign": campaign,
        "has_override": own,
        "title": f"Policy of {campaign.name}",
        "note": note,
        "action": reverse("campaigns:campaign_policy", args=[campaign.pk]),
    }


@require_http_methods(["GET", "POST"])
@page
def campaign_policy(request: HttpRequest, campaign_id: int) -> HttpResponse:
    user = current_user(request)
    _forbid_unless(may_view_policies(user))
    campaign = get_object_or_404(Campaign.objects.select_related("team"), pk=campaign_id)
    _forbid_unless(may_override(user, campaign))
    status = 200
    if request.method == "POST" and "remove" in request.POST:
        try:
            removed = remove_campaign_override(campaign=campaign, actor=user)
        except NotPermitted:
            raise PermissionDenied from None
        channel = _channel_label(campaign.channel)
        if removed:
            messages.success(request, f"{campaign.name} uses the {channel} default again.")
        else:
            messages.info(request, f"{campaign.name} already uses the {channel} default.")
        return HttpResponseRedirect(reverse("campaigns:policy_list"))
    if request.method == "POST":
        form = PolicyForm(request.POST)
        if form.is_valid():
            try:
                set_campaign_override(campaign=campaign, actor=user, **form.service_values())
            except ValidationError as exc:
                form.add_service_errors(exc.message_dict)
            except NotPermitted:
                raise PermissionDenied from None
            else:
                messages.success(
                    request, f"Policy of {campaign.name} saved; it applies to new leads."
                )
                return HttpResponseRedirect(reverse("campaigns:policy_list"))
        status = 422
    else:
        form = PolicyForm(initial=PolicyForm.initial_for(policy_for(campaign)))
    return render(
        request,
        "campaigns/policy_form.html",
        _campaign_context(campaign, form),
        status=status,
    )
