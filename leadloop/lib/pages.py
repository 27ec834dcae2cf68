"""What every server-rendered page shares: the logged-in viewer, her time zone, the clock.

Each page runs in the viewer's zone, so dates are shown and datetime-local
inputs are read on her wall clock; views render immediately (`render`, not
TemplateResponse) so that rendering happens while that zone is active.
`clock()` is the one seam through which pages read the time, so a test pins
every page at once, as the actions take `now`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import wraps
from typing import TYPE_CHECKING, Any

from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest
from django.http.response import HttpResponseBase
from django.utils import timezone
from django_htmx.middleware import HtmxDetails

from leadloop.lib.zones import zone_named

if TYPE_CHECKING:
    from leadloop.accounts.models import User

# A page may stream (an export, an error file): any response, not only HttpResponse.
View = Callable[..., HttpResponseBase]


class HtmxHttpRequest(HttpRequest):
    """A request that went through django-htmx's middleware (for the type checker)."""

    htmx: HtmxDetails


def clock() -> datetime:
    """The current time (UTC); one seam so tests can pin it like the actions' `now`."""
    return timezone.now()


def current_user(request: HttpRequest) -> User:
    user = request.user
    if not isinstance(user, get_user_model()) or not user.is_authenticated:
        raise Http404  # login_required let an anonymous user through?
    return user


# The largest primary key a database holds; a larger number typed into a URL or a form
# would overflow in the driver (a 500) instead of finding nothing.
MAX_ID = 2**63 - 1


def id_from(text: str | None) -> int | None:
    """An id typed into a page's parameter, or None when it cannot be one."""
    if not text or not text.isdigit():
        return None
    value = int(text)
    return value if 0 < value <= MAX_ID else None


def viewer_timezone(view: View) -> View:
    """Run the view, rendering included, in the logged-in viewer's time zone."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        with timezone.override(zone_named(current_user(request).timezone)):
            return view(request, *args, **kwargs)

    return wrapper


def page(view: View) -> View:
    """The decorators every page has: logged in, in her time zone."""
    return login_required(viewer_timezone(view))
