"""The public doors of a web form: the hosted page, its POST, and the JS snippet.

No login, no token, no CSRF token (a form on another site cannot have one):
what keeps them safe is that only the form's own fields are taken, a
browser page may post only from the form's allowed origins, every request
is counted against a per-address and a per-form limit, and spam checks
(a honeypot, a signed page stamp giving the fill time) run before any
database write but the counters. Every answer to a good submission is the
same, whether the person was new or already known.
"""

from __future__ import annotations

import json
import time
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.html import _json_script_escapes  # type: ignore[attr-defined]
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.csrf import csrf_exempt

from leadloop.lib.clients import client_address
from leadloop.lib.ratelimit import count_hit, parse_rate
from leadloop.lifecycle.form_intake import submit_form
from leadloop.webforms import rules
from leadloop.webforms.choices import Rejection
from leadloop.webforms.models import Form
from leadloop.webforms.selectors import form_by_key
from leadloop.webforms.services import count_rejection, count_view
from leadloop.webforms.stamps import BadStamp, make_stamp, read_stamp

DEFAULT_THANKS = "Thank you! We have your request and will be in touch soon."
TOO_FAST = "That was quick: please check the form, then send it again."


def clock() -> float:
    """Now, in seconds since the epoch; tests pin it."""
    return time.time()


def _form(key: str) -> Form:
    form = form_by_key(key)
    if form is None:
        raise Http404("No such form.")
    return form


def _own_origin(request: HttpRequest) -> str:
    return rules.normalize_origin(request.build_absolute_uri("/"))


def _cors(response: HttpResponse, request: HttpRequest, form: Form) -> HttpResponse:
    """Allow the requesting origin to read the answer, if it is one of the form's."""
    origin = request.headers.get("Origin", "")
    response["Vary"] = "Origin"
    if origin and origin != "null" and origin_is_allowed(request, form):
        response["Access-Control-Allow-Origin"] = rules.normalize_origin(origin)
    return response


def origin_is_allowed(request: HttpRequest, form: Form) -> bool:
    """A request without an Origin (a server, curl) is not a browser page of another site."""
    origin = request.headers.get("Origin")
    if origin is None:
        return True
    return rules.origin_allowed(origin, form.allowed_origins, _own_origin(request))


def _rate_limited(request: HttpRequest, form: Form) -> float | None:
    """Seconds to wait, if this request is over the per-address or the per-form limit."""
    now = clock()
    waits = []
    for scope, ident, setting in (
        ("form-address", client_address(request), settings.FORMS_RATE_PER_ADDRESS),
        ("form", str(form.pk), settings.FORMS_RATE_PER_FORM),
    ):
        rate = parse_rate(setting)
        if rate is None or not ident:
            continue
        count, left = count_hit(scope, ident, rate, now=now)
        if count > rate.limit:
            waits.append(left)
    return max(waits) if waits else None


def _wants_json(request: HttpRequest) -> bool:
    accept = request.headers.get("Accept", "")
    return request.content_type == "application/json" or (
        "application/json" in accept and "text/html" not in accept
    )


def _hosted_csp(response: HttpResponse, form: Form) -> HttpResponse:
    """Framed only by the form's own origins; its post may lead to its redirect's origin."""
    ancestors = ["'self'", *form.allowed_origins]
    actions = ["'self'"]
    if form.redirect_url:
        parts = urlsplit(form.redirect_url)
        actions.append(rules.normalize_origin(f"{parts.scheme}://{parts.netloc}"))
    response._csp_replace = {  # type: ignore[attr-defined]  # django-csp's per-view hook
        "frame-ancestors": ancestors,
        "form-action": actions,
    }
    return response


def _page(
    request: HttpRequest,
    form: Form,
    *,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    sent: bool = False,
    status: int = 200,
) -> HttpResponse:
    values = values or {}
    errors = errors or {}
    specs = rules.parse_fields(form.fields)
    query = request.GET
    utm = {k: query.get(k) or values.get(k, "") for k in rules.UTM_KEYS}
    referrer = values.get(rules.REFERRER_FIELD) or request.headers.get("Referer", "")
    context = {
        "form": form,
        "sent": sent,
        "thank_you": form.thank_you or DEFAULT_THANKS,
        "rows": [
            {"spec": spec, "value": values.get(spec.name, ""), "error": errors.get(spec.name, "")}
            for spec in specs
        ],
        "consent_error": errors.get(rules.CONSENT_FIELD, ""),
        "form_error": errors.get("_form", ""),
        "other_errors": {k: v for k, v in errors.items() if k not in {s.name for s in specs}}
        if errors
        else {},
        "stamp": make_stamp(form.key, now=clock()),
        "hidden": [(k, v) for k, v in utm.items() if v] + [(rules.REFERRER_FIELD, referrer[:1000])],
        "honeypot": rules.HONEYPOT_FIELD,
        "stamp_field": rules.STAMP_FIELD,
        "consent_field": rules.CONSENT_FIELD,
        "action": reverse("webforms_public:form", args=[form.key]),
    }
    response = render(request, "webforms/hosted.html", context, status=status)
    return _hosted_csp(response, form)


def _reject(form: Form, reason: str) -> None:
    count_rejection(form.pk, reason)


def _body(request: HttpRequest) -> dict[str, Any] | None:
    """The submission as name -> value; None if it is not a JSON object or a form."""
    if request.content_type == "application/json":
        try:
            data = json.loads(request.body or b"{}")
        except (ValueError, UnicodeDecodeError):
            return None
        return data if isinstance(data, dict) else None
    return {key: request.POST.get(key) for key in request.POST}


def _accepted(request: HttpRequest, form: Form, as_json: bool) -> HttpResponse:
    """The one answer to a good submission, whoever the person turned out to be."""
    if as_json:
        body = {"ok": True, "message": form.thank_you or DEFAULT_THANKS}
        body["redirect_url"] = form.redirect_url or None
        return _cors(JsonResponse(body), request, form)
    target = form.redirect_url or (
        reverse("webforms_public:form", args=[form.key]) + "?" + urlencode({"sent": 1})
    )
    response = HttpResponse(status=303)
    response["Location"] = target
    return _cors(response, request, form)


def _refused(
    request: HttpRequest,
    form: Form,
    as_json: bool,
    errors: dict[str, str],
    values: dict[str, Any],
    status: int = 422,
) -> HttpResponse:
    if as_json:
        body = {"ok": False, "errors": errors, "stamp": make_stamp(form.key, now=clock())}
        return _cors(JsonResponse(body, status=status), request, form)
    return _page(request, form, values=values, errors=errors, status=status)


def _bad_text(data: dict[str, Any]) -> str | None:
    """The first field whose text no database can store (NUL, lone surrogates)."""
    for key, value in data.items():
        for text in (key, rules.plain(value)):
            if rules.text_problem(text):
                return str(key)[:80]
    return None


def _submit(request: HttpRequest, form: Form) -> HttpResponse:
    as_json = _wants_json(request)
    if not origin_is_allowed(request, form):
        _reject(form, Rejection.BAD_ORIGIN)
        refusal = {"ok": False, "detail": "This origin may not post this form."}
        return JsonResponse(refusal, status=403)
    wait = _rate_limited(request, form)
    if wait is not None:
        _reject(form, Rejection.RATE_LIMITED)
        seconds = max(1, round(wait))
        response = JsonResponse(
            {"ok": False, "detail": f"Too many submissions; try again in {seconds} s."},
            status=429,
        )
        response["Retry-After"] = str(seconds)
        return _cors(response, request, form)
    data = _body(request)
    if data is None:
        _reject(form, Rejection.INVALID)
        error = {"_form": "send a JSON object or a form"}
        return _cors(JsonResponse({"ok": False, "errors": error}, status=400), request, form)
    bad = _bad_text(data)
    if bad is not None:
        _reject(form, Rejection.INVALID)
        return _refused(request, form, as_json, {bad: "contains characters that are not text"}, {})
    values = {k: rules.plain(v) for k, v in data.items()}
    if rules.plain(data.get(rules.HONEYPOT_FIELD)):
        # Answered as if it worked: a bot learns nothing to tune itself with.
        _reject(form, Rejection.HONEYPOT)
        return _accepted(request, form, as_json)
    stamp = rules.plain(data.get(rules.STAMP_FIELD))
    if stamp or not form.allow_unstamped:
        try:
            rendered = read_stamp(
                stamp, form.key, max_age=settings.FORMS_STAMP_MAX_AGE_HOURS * 3600
            )
        except BadStamp:
            _reject(form, Rejection.BAD_STAMP)
            return _refused(request, form, as_json, {"_form": TOO_FAST}, values)
        if not rules.fill_time_verdict(
            rendered_at=rendered, now=clock(), min_seconds=settings.FORMS_MIN_FILL_SECONDS
        ):
            _reject(form, Rejection.TOO_FAST)
            return _refused(request, form, as_json, {"_form": TOO_FAST}, values)
    specs = rules.parse_fields(form.fields)
    lead_data, errors = rules.collect(specs, data)
    consented = rules.consent_given(data.get(rules.CONSENT_FIELD))
    if form.consent_text and not consented:
        errors[rules.CONSENT_FIELD] = "Please agree to be contacted"
    if errors:
        _reject(form, Rejection.INVALID)
        return _refused(request, form, as_json, errors, values)
    referrer_page = rules.plain(data.get(rules.REFERRER_FIELD)) or request.headers.get(
        "Referer", ""
    )
    query = {k: v[-1] for k, v in parse_qs(urlsplit(referrer_page).query).items()}
    utm, referrer = rules.tracking(request.GET | query, data, referrer_page)
    try:
        submit_form(
            form=form,
            data=lead_data,
            utm=utm,
            referrer=referrer,
            consented=consented,
            now=timezone.now(),
        )
    except ValidationError as exc:
        _reject(form, Rejection.INVALID)
        problems = {
            field: "; ".join(str(m) for m in messages)
            for field, messages in exc.message_dict.items()
        }
        return _refused(request, form, as_json, problems, values)
    return _accepted(request, form, as_json)


@csrf_exempt
@xframe_options_exempt
def form_page(request: HttpRequest, key: str) -> HttpResponse:
    """GET: the hosted page (also inside an iframe); POST: a submission; OPTIONS: CORS."""
    form = _form(key)
    if request.method == "OPTIONS":
        return _preflight(request, form)
    if request.method == "POST":
        return _submit(request, form)
    if request.method not in ("GET", "HEAD"):
        response = HttpResponse(status=405)
        response["Allow"] = "GET, HEAD, POST, OPTIONS"
        return response
    sent = request.GET.get("sent") == "1"
    if not sent:
        count_view(form.pk)
    return _page(request, form, sent=sent)


def _preflight(request: HttpRequest, form: Form) -> HttpResponse:
    if not request.headers.get("Origin") or not origin_is_allowed(request, form):
        return HttpResponse(status=403)
    response = HttpResponse(status=204)
    response["Access-Control-Allow-Methods"] = "POST"
    response["Access-Control-Allow-Headers"] = "Content-Type, Accept"
    response["Access-Control-Max-Age"] = "600"
    return _cors(response, request, form)


def form_script(request: HttpRequest, key: str) -> HttpResponse:
    """The JS snippet: renders the form where it is included and posts it with fetch."""
    if request.method not in ("GET", "HEAD"):
        response = HttpResponse(status=405)
        response["Allow"] = "GET, HEAD"
        return response
    form = _form(key)
    count_view(form.pk)
    specs = rules.parse_fields(form.fields)
    config = {
        "action": request.build_absolute_uri(reverse("webforms_public:form", args=[form.key])),
        "key": form.key,
        "fields": [s.as_json() | {"type": s.input_type} for s in specs],
        "consent": form.consent_text,
        "consentField": rules.CONSENT_FIELD,
        "stamp": make_stamp(form.key, now=clock()),
        "stampField": rules.STAMP_FIELD,
        "honeypot": rules.HONEYPOT_FIELD,
        "referrerField": rules.REFERRER_FIELD,
        "utm": list(rules.UTM_KEYS),
    }
    encoded = json.dumps(config).translate(_json_script_escapes)
    response = render(
        request,
        "webforms/embed.js",
        {"config": encoded},
        content_type="text/javascript; charset=utf-8",
    )
    response["Cache-Control"] = "no-store"
    return _cors(response, request, form)
