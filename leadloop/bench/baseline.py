"""The bare endpoint the API is measured against.

It goes through the same WSGI server and middleware as the API but does no
authentication, no validation and no query, so the ratio API/bare is the
cost of leadloop's own work on this machine, whatever the machine.
"""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt


@csrf_exempt
def bare(request: HttpRequest) -> JsonResponse:
    """GET or POST; a POST body is read (as the API reads it) and dropped."""
    if request.method == "POST":
        request.body  # noqa: B018 -- reading the body is part of a request's cost
    return JsonResponse({"ok": True})
