"""The inbox, its header badge and "My settings". Thin: selectors read, services write.

Pages run in the viewer's time zone (`web.views.page`), so the times inside
a notification's text are on her wall clock; they read the time through the
web app's one `clock()` seam, so a test pins both apps at once. htmx swaps
the list or one row and answers with an `HX-Trigger` that makes the header
badge reload.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from leadloop.accounts.models import User
from leadloop.lib import pages
from leadloop.lib.pages import HtmxHttpRequest, current_user, page
from leadloop.lib.zones import zone_names
from leadloop.notifications import texts
from leadloop.notifications.models import Notification
from leadloop.notifications.selectors import inbox_page, unread_count, user_notifications
from leadloop.notifications.services import (
    mark_all_read,
    mark_read,
    set_preferences,
)
from leadloop.web.notifications.forms import ALL, UNREAD, InboxFilterForm, PreferencesForm

PAGE_SIZE = 50
# The htmx event the header badge listens for, to reload at once after a change.
CHANGED = "notifications-changed"


@dataclass(frozen=True)
class Entry:
    """A notification with its words, rendered in the viewer's zone."""

    notification: Notification
    text: texts.Text

    @property
    def unread(self) -> bool:
        return self.notification.read_at is None


def _inbox_url(*, show: str = ALL, cursor: str | None = None) -> str:
    params = {k: v for k, v in (("show", show if show == UNREAD else ""), ("cursor", cursor)) if v}
    url = reverse("notifications:inbox")
    return f"{url}?{urlencode(params)}" if params else url


def _list_context(
    user: User, rows: list[Notification], *, show: str, cursor: str | None, next_cursor: str | None
) -> dict[str, Any]:
    return {
        "entries": [Entry(n, texts.render(n)) for n in rows],
        "show": show,
        "unread_only": show == UNREAD,
        "unread": unread_count(user),
        "all_url": _inbox_url(),
        "unread_url": _inbox_url(show=UNREAD),
        "here": _inbox_url(show=show, cursor=cursor),
        "newest_url": _inbox_url(show=show) if cursor else None,
        "older_url": _inbox_url(show=show, cursor=next_cursor) if next_cursor else None,
    }


def _back(request: HttpRequest) -> str:
    """Where a plain (non-htmx) POST returns to: the inbox page it came from."""
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse("notifications:inbox")


@require_GET
@page
def inbox(request: HtmxHttpRequest) -> HttpResponse:
    user = current_user(request)
    form = InboxFilterForm(request.GET)
    form.is_valid()
    show = UNREAD if form.unread_only else ALL
    cursor = request.GET.get("cursor") or None
    try:
        rows, next_cursor = inbox_page(
            user, unread_only=form.unread_only, cursor=cursor, limit=PAGE_SIZE
        )
    except ValueError:
        messages.error(request, "That page link is not valid any more; showing the newest.")
        cursor = None
        rows, next_cursor = inbox_page(
            user, unread_only=form.unread_only, cursor=None, limit=PAGE_SIZE
        )
    context = _list_context(user, rows, show=show, cursor=cursor, next_cursor=next_cursor)
    # A history restore needs the whole page, not the fragment.
    partial = request.htmx and not request.htmx.history_restore_request
    template = "notifications/_list.html" if partial else "notifications/inbox.html"
    response = render(request, template, context)
    patch_vary_headers(response, ["HX-Request"])
    return response


@require_POST
@page
def mark_read_view(request: HtmxHttpRequest, notification_id: int) -> HttpResponse:
    user = current_user(request)
    try:
        mark_read(user=user, notification_id=notification_id, now=pages.clock())
    except Notification.DoesNotExist:
        raise Http404 from None  # someone else's: do not confirm it exists
    if not request.htmx:
        return HttpResponseRedirect(_back(request))
    n = user_notifications(user).get(pk=notification_id)
    context = {
        "entry": Entry(n, texts.render(n)),
        "here": _back(request),
        "unread": unread_count(user),
        "oob": True,
    }
    response = render(request, "notifications/_item.html", context)
    response["HX-Trigger"] = CHANGED
    return response


@require_POST
@page
def mark_all_read_view(request: HtmxHttpRequest) -> HttpResponse:
    user = current_user(request)
    count = mark_all_read(user=user, now=pages.clock())
    if not request.htmx:
        messages.success(request, f"{count} notification{'s' if count != 1 else ''} marked read.")
        return HttpResponseRedirect(_back(request))
    form = InboxFilterForm(request.POST)
    form.is_valid()
    show = UNREAD if form.unread_only else ALL
    rows, next_cursor = inbox_page(user, unread_only=form.unread_only, cursor=None, limit=PAGE_SIZE)
    context = _list_context(user, rows, show=show, cursor=None, next_cursor=next_cursor)
    response = render(request, "notifications/_list.html", context)
    response["HX-Trigger"] = CHANGED
    response["HX-Replace-Url"] = context["here"]  # back on the first page
    return response


@require_GET
@never_cache
def unread_badge(request: HttpRequest) -> HttpResponse:
    """The header's unread count, polled by htmx on every page.

    Not behind `login_required`: a poll after the session ended would swap the
    login page into the header. 204 makes htmx leave the badge alone.
    """
    if not request.user.is_authenticated:
        return HttpResponse(status=204)
    user = current_user(request)
    return render(request, "notifications/_badge.html", {"unread": unread_count(user)})


@require_http_methods(["GET", "POST"])
@page
def me(request: HttpRequest) -> HttpResponse:
    """My settings: how I hear of news, and the zone I read and type times in."""
    user = current_user(request)
    status = 200
    if request.method == "POST":
        form = PreferencesForm(request.POST)
        if form.is_valid():
            try:
                set_preferences(
                    user=user,
                    notify_mode=form.cleaned_data["notify_mode"],
                    timezone=form.cleaned_data["timezone"],
                )
            except ValidationError as exc:
                form.add_service_errors(exc.message_dict)
            else:
                messages.success(request, "Settings saved.")
                return HttpResponseRedirect(reverse("notifications:me"))
        status = 422
    else:
        form = PreferencesForm(initial={"notify_mode": user.notify_mode, "timezone": user.timezone})
    context = {
        "form": form,
        "zone_names": sorted(zone_names().values()),
        "current_zone": timezone.get_current_timezone_name(),
    }
    return render(request, "notifications/me.html", context, status=status)
