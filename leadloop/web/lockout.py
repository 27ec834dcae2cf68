"""The page a locked-out login gets (django-axes calls `locked_out`, AXES_LOCKOUT_CALLABLE).

It says when to try again: the lockout runs from the latest failed attempt
of that user name from this address (another attempt starts it again), so
the time shown is the time it really ends.
"""

from __future__ import annotations

import math
from datetime import timedelta
from typing import Any

from axes.helpers import get_client_username, get_cool_off
from axes.models import AccessAttempt
from django.db.models import Max
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from leadloop.lib.clients import client_address


def locked_out(
    request: HttpRequest,
    original_response: HttpResponse | None = None,
    credentials: dict[str, Any] | None = None,
) -> HttpResponse:
    now = timezone.now()
    username = get_client_username(request, credentials) or ""
    cool_off: timedelta = get_cool_off(request) or timedelta(0)
    latest = AccessAttempt.objects.filter(
        username=username, ip_address=client_address(request)
    ).aggregate(at=Max("attempt_time"))["at"]
    until = (latest or now) + cool_off
    minutes = max(1, math.ceil((until - now).total_seconds() / 60))
    response = render(
        request,
        "registration/locked_out.html",
        {"username": username, "until": until, "minutes": minutes},
        status=429,
    )
    response["Retry-After"] = str(max(1, math.ceil((until - now).total_seconds())))
    return response
