"""The v1 API: one NinjaAPI, routers from each domain app, one error vocabulary.

Domain errors map to HTTP once, here: ValidationError -> 422 naming the
field, every Conflict (TransitionNotAllowed, StaleLead, LeadClaimed) -> 409, NotPermitted -> 403,
a rate limit -> 429 with Retry-After (leadloop.api.throttling).
"""

from __future__ import annotations

import logging
import math
from typing import Any

from django.core.exceptions import RequestDataTooBig, ValidationError
from django.db import DataError
from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import Throttled
from ninja.errors import ValidationError as NinjaValidationError

from leadloop.api.activities import router as outreach
from leadloop.api.auth import BearerToken
from leadloop.api.campaigns import policies_router
from leadloop.api.campaigns import router as campaigns
from leadloop.api.exports import router as exports
from leadloop.api.followup import router as followup
from leadloop.api.forms import router as forms
from leadloop.api.imports import router as imports
from leadloop.api.leads import reasons_router
from leadloop.api.leads import router as leads
from leadloop.api.notifications import router as notifications
from leadloop.api.qualification import router as handoff
from leadloop.api.schemas import CheckedJsonParser, UtcJsonRenderer
from leadloop.api.scoring import router as scoring
from leadloop.api.teams import router as accounts
from leadloop.api.throttling import PerAddress, PerToken
from leadloop.api.webhooks import router as webhooks
from leadloop.api.workspace import router as workspace
from leadloop.leads.states import TransitionNotAllowed
from leadloop.lib.errors import Conflict, LeadClaimed, NotPermitted
from leadloop.reports.api import router as reports

log = logging.getLogger("leadloop.api")

api = NinjaAPI(
    title="leadloop API",
    version="1",
    description=(
        "Closed-loop lead management. Authenticate with `Authorization: Bearer <token>` "
        "(`leadloop token create --user NAME [--read-only] [--expires 90d]`). Requests are "
        "limited per token and per client address; over a limit the answer is 429 with "
        "`Retry-After`."
    ),
    auth=BearerToken(),
    throttle=[PerToken(), PerAddress()],
    renderer=UtcJsonRenderer(),
    parser=CheckedJsonParser(),
    urls_namespace="api-v1",
)


def _where(request: HttpRequest, field: str) -> str:
    """Where the field came from: the query string, the path, or the body."""
    if field in request.GET:
        return "query"
    match = request.resolver_match
    if match is not None and field in match.kwargs:
        return "path"
    return "query" if request.method in ("GET", "HEAD") else "body"


def field_errors(request: HttpRequest, exc: ValidationError) -> list[dict[str, Any]]:
    if hasattr(exc, "error_dict"):
        return [
            {
                "loc": [_where(request, field), field],
                "msg": "; ".join(str(m) for e in errs for m in e.messages),
                "type": "value_error",
            }
            for field, errs in exc.error_dict.items()
        ]
    where = "query" if request.method in ("GET", "HEAD") else "body"
    return [{"loc": [where], "msg": "; ".join(exc.messages), "type": "value_error"}]


@api.exception_handler(ValidationError)
def on_validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    return api.create_response(request, {"detail": field_errors(request, exc)}, status=422)


@api.exception_handler(OverflowError)
@api.exception_handler(DataError)
def on_data_error(request: HttpRequest, exc: Exception) -> HttpResponse:
    """A value its column cannot hold: a number out of range, text too long.

    Every field a client sends is bounded where it is checked; this is the net
    under those checks, so a value that slips through is still the client's
    4xx, not the server's 500.
    """
    log.warning("api value out of range", extra={"path": request.path, "error": str(exc)})
    detail = [
        {"loc": ["body"], "msg": "a value is out of range for its field", "type": "value_error"}
    ]
    return api.create_response(request, {"detail": detail}, status=422)


@api.exception_handler(NinjaValidationError)
def on_schema_error(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
    detail = [
        {
            "loc": [str(p) for p in e.get("loc", [])],
            "msg": e.get("msg", "invalid"),
            "type": e.get("type", "value_error"),
        }
        for e in exc.errors
    ]
    return api.create_response(request, {"detail": detail}, status=422)


@api.exception_handler(Conflict)
def on_conflict(request: HttpRequest, exc: Conflict) -> HttpResponse:
    """Not now: the stage does not allow it, the caller's copy is stale, or someone holds it."""
    body: dict[str, Any] = {"detail": str(exc), "stage": exc.stage, "action": None}
    if isinstance(exc, TransitionNotAllowed):
        body["action"] = exc.action
    if isinstance(exc, LeadClaimed):
        body["claimed_by"] = exc.holder_id
        body["claimed_until"] = exc.until
    return api.create_response(request, body, status=409)


@api.exception_handler(NotPermitted)
def on_forbidden(request: HttpRequest, exc: NotPermitted) -> HttpResponse:
    return api.create_response(request, {"detail": str(exc)}, status=403)


@api.exception_handler(Throttled)
def on_throttled(request: HttpRequest, exc: Throttled) -> HttpResponse:
    """Too many requests (429): says when to come back, in the body and in Retry-After."""
    if exc.wait is None:
        return api.create_response(request, {"detail": "Too many requests."}, status=429)
    seconds = max(1, math.ceil(exc.wait))
    response = api.create_response(
        request, {"detail": f"Too many requests; try again in {seconds} s."}, status=429
    )
    response["Retry-After"] = str(seconds)
    return response


@api.exception_handler(RequestDataTooBig)
def on_too_big(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
    return api.create_response(
        request, {"detail": "Request body is over the 1 MiB limit."}, status=413
    )


# Before the leads' router: /leads/export is not a lead id.
api.add_router("/leads", exports)
api.add_router("/leads", leads)
api.add_router("/leads", outreach)
api.add_router("/", workspace)
api.add_router("/campaigns", campaigns)
api.add_router("/", policies_router)
api.add_router("/", accounts)
api.add_router("/", handoff)
api.add_router("/", reasons_router)
api.add_router("/reports", reports)
api.add_router("/notifications", notifications)
api.add_router("/followup", followup)
api.add_router("/imports", imports)
api.add_router("/forms", forms)
api.add_router("/webhooks", webhooks)
api.add_router("/scoring", scoring)
