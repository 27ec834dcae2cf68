"""Server-rendered pages. Thin: reads through selectors, writes through actions.

Every page runs in the viewer's time zone and reads the time through
`lib.pages.clock` (see `lib.pages`).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from django.contrib import messages
from django.db.models import prefetch_related_objects
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_GET

from leadloop.accounts.choices import Role
from leadloop.accounts.models import User
from leadloop.leads.selectors import filtered_leads, lead_page
from leadloop.lib import pages
from leadloop.lib.pages import HtmxHttpRequest, current_user, page
from leadloop.web import dashboard, selectors
from leadloop.web.forms import (
    LeadFilterForm,
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
    context["dashboard"] = home_dashboard(user, now, context)
    if user.role == Role.ADMIN:
        links = admin_links()
        context["admin_links"] = [(label, url) for _, label, url in links]
        context["admin_urls"] = {key: url for key, _, url in links}
    return render(request, template, context)


def home_dashboard(user: User, now: datetime, context: dict[str, Any]) -> dashboard.Dashboard:
    """The role's few numbers for the top of its home page."""
    tz = timezone.get_current_timezone()
    if user.role == Role.MANAGER:
        return dashboard.manager(user, now, tz)
    if user.role == Role.MARKETING:
        return dashboard.marketing(user, now, tz)
    if user.role == Role.INSIDE_REP:
        return dashboard.inside_rep(user, now, tz)
    if user.role == Role.SALES_REP and "debt" in context:
        return dashboard.sales_rep(user, now, tz, context["debt"])
    return dashboard.Dashboard(tiles=[])


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
    export_query = params.urlencode()
    newest_url = f"?{params.urlencode()}" if cursor else None
    older_url = None
    if next_cursor:
        params["cursor"] = next_cursor
        older_url = f"?{params.urlencode()}"
    as_of = getattr(form, "cleaned_data", {}).get("as_of")
    context = {
        "form": form,
        "leads": leads,
        "count": selectors.capped_count(filtered_leads(user, form.filters())),
        "count_cap": selectors.COUNT_CAP,
        "as_of": as_of,
        "older_url": older_url,
        "newest_url": newest_url,
        "export_query": export_query,
        "now": pages.clock(),
    }
    # A history restore needs the whole page, not the fragment.
    partial = request.htmx and not request.htmx.history_restore_request
    response = render(request, "web/_lead_table.html" if partial else "web/lead_list.html", context)
    patch_vary_headers(response, ["HX-Request"])
    return response
