"""'My handed-off leads': every lead she ever handed off, where it is now and what sales did.

Seed 000's answer: an inside rep is never again left to guess what happened
to a lead she produced.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from leadloop.accounts.choices import Role
from leadloop.handoff.selectors import fate, handed_off_by
from leadloop.lib import pages
from leadloop.lib.pages import current_user, page
from leadloop.web.selectors import stage_counts

PAGE_SIZE = 50


@require_GET
@page
def handed_off(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    if user.role != Role.INSIDE_REP:
        raise PermissionDenied(
            "'Handed off' lists an inside rep's own hand-offs. Managers and admins find "
            "every hand-off in the Teleprospector results report and the lead list."
        )
    leads = handed_off_by(user)
    paginator = Paginator(leads, PAGE_SIZE)
    page_obj = paginator.get_page(request.GET.get("page"))
    context = {
        "counts": stage_counts(handed_off_by(user).order_by()),
        "total": paginator.count,
        "page_obj": page_obj,
        "fates": [fate(lead) for lead in page_obj.object_list],
        "now": pages.clock(),
    }
    return render(request, "web/handed_off.html", context)
