"""Webhook endpoints in the app: register (the secret shown once), change, the delivery
log with every attempt, resend one or every failed message since a time, test events.

Admins only: an endpoint carries every team's lead data out of leadloop. The views
translate; the writes are `webhooks.services` and `lifecycle.webhooks`.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from leadloop.accounts.choices import Role
from leadloop.accounts.models import User
from leadloop.lib import pages
from leadloop.lib.pages import current_user, page
from leadloop.lifecycle import webhooks
from leadloop.web.webhooks.forms import EndpointForm, ResendFailedForm
from leadloop.webhooks import services
from leadloop.webhooks.choices import ALL
from leadloop.webhooks.models import Delivery, Endpoint
from leadloop.webhooks.selectors import counts, deliveries, endpoints

LOG_SHOWN = 50


def _admin(request: HttpRequest) -> User:
    user = current_user(request)
    if user.role != Role.ADMIN:
        raise PermissionDenied
    return user


def _endpoint(request: HttpRequest, endpoint_id: int) -> Endpoint:
    _admin(request)
    return get_object_or_404(endpoints(), pk=endpoint_id)


def _field_errors(form: EndpointForm, exc: ValidationError) -> None:
    for field, errors in exc.message_dict.items():
        form.add_error(field if field in form.fields else None, errors)


@require_http_methods(["GET", "POST"])
@page
def endpoint_list(request: HttpRequest) -> HttpResponse:
    user = _admin(request)
    form = EndpointForm(request.POST or None, initial={"active": True})
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                endpoint, secret = services.create_endpoint(
                    url=form.cleaned_data["url"],
                    events=form.chosen_events(),
                    owner=user,
                    team=form.cleaned_data["team"],
                    description=form.cleaned_data["description"],
                    is_active=form.cleaned_data["active"],
                    now=pages.clock(),
                )
            except ValidationError as exc:
                _field_errors(form, exc)
            else:
                return _detail(request, endpoint, secret=secret, status=201)
        status = 422
    rows = [(e, counts(e)) for e in endpoints()]
    return render(request, "webhooks/list.html", {"rows": rows, "form": form}, status=status)


def _detail(
    request: HttpRequest,
    endpoint: Endpoint,
    *,
    secret: str = "",
    form: EndpointForm | None = None,
    status: int = 200,
) -> HttpResponse:
    endpoint = endpoints().get(pk=endpoint.pk)
    if form is None:
        form = EndpointForm(
            initial={
                "url": endpoint.url,
                "all_events": endpoint.events == [ALL],
                "events": [] if endpoint.events == [ALL] else endpoint.events,
                "team": endpoint.team_id,
                "description": endpoint.description,
                "active": endpoint.is_active,
            }
        )
    state = request.GET.get("state") or None
    if state not in (None, "pending", "delivered", "failed"):
        state = None
    return render(
        request,
        "webhooks/detail.html",
        {
            "endpoint": endpoint,
            "secret": secret,
            "form": form,
            "resend_form": ResendFailedForm(),
            "counts": counts(endpoint),
            "deliveries": deliveries(endpoint, state=state)[:LOG_SHOWN],
            "state": state or "",
        },
        status=status,
    )


@require_http_methods(["GET", "POST"])
@page
def endpoint_detail(request: HttpRequest, endpoint_id: int) -> HttpResponse:
    endpoint = _endpoint(request, endpoint_id)
    if request.method == "GET":
        return _detail(request, endpoint)
    form = EndpointForm(request.POST)
    if form.is_valid():
        try:
            services.update_endpoint(
                endpoint,
                now=pages.clock(),
                url=form.cleaned_data["url"],
                events=form.chosen_events(),
                description=form.cleaned_data["description"],
                is_active=form.cleaned_data["active"],
            )
        except ValidationError as exc:
            _field_errors(form, exc)
        else:
            messages.success(request, "Endpoint saved.")
            return HttpResponseRedirect(reverse("webhooks:detail", args=[endpoint.pk]))
    return _detail(request, endpoint, form=form, status=422)


@require_POST
@page
def endpoint_test(request: HttpRequest, endpoint_id: int) -> HttpResponse:
    endpoint = _endpoint(request, endpoint_id)
    try:
        webhooks.send_test(endpoint, now=pages.clock())
    except ValidationError as exc:
        messages.error(request, "; ".join(exc.messages))
    else:
        messages.success(request, "Test event queued; its attempts show in the log below.")
    return HttpResponseRedirect(reverse("webhooks:detail", args=[endpoint.pk]))


@require_POST
@page
def endpoint_rotate(request: HttpRequest, endpoint_id: int) -> HttpResponse:
    endpoint = _endpoint(request, endpoint_id)
    secret = services.rotate_secret(endpoint, now=pages.clock())
    return _detail(request, endpoint, secret=secret)


@require_POST
@page
def endpoint_delete(request: HttpRequest, endpoint_id: int) -> HttpResponse:
    endpoint = _endpoint(request, endpoint_id)
    services.delete_endpoint(endpoint)
    messages.success(request, f"Endpoint {endpoint.url} deleted.")
    return HttpResponseRedirect(reverse("webhooks:list"))


@require_POST
@page
def resend(request: HttpRequest, endpoint_id: int, delivery_id: int) -> HttpResponse:
    endpoint = _endpoint(request, endpoint_id)
    delivery = get_object_or_404(Delivery, pk=delivery_id, endpoint=endpoint)
    webhooks.resend(delivery, now=pages.clock())
    messages.success(request, f"Message {delivery.message_id or delivery.pk} queued again.")
    return HttpResponseRedirect(reverse("webhooks:detail", args=[endpoint.pk]))


@require_POST
@page
def resend_failed(request: HttpRequest, endpoint_id: int) -> HttpResponse:
    endpoint = _endpoint(request, endpoint_id)
    form = ResendFailedForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Give the time from which failed messages are sent again.")
        return HttpResponseRedirect(reverse("webhooks:detail", args=[endpoint.pk]))
    count = webhooks.resend_failed(endpoint, since=form.cleaned_data["since"], now=pages.clock())
    messages.success(request, f"{count} failed messages queued again.")
    return HttpResponseRedirect(reverse("webhooks:detail", args=[endpoint.pk]))
