"""Web form pages: the list, the editor, and a form's page with its snippets and numbers.

Thin: `webforms.services` checks who may change what and validates.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from leadloop.accounts.models import User
from leadloop.lib.errors import NotPermitted
from leadloop.lib.pages import current_user, page
from leadloop.web.webforms.forms import FormEditor
from leadloop.web.webforms.snippets import snippets
from leadloop.webforms.choices import Rejection
from leadloop.webforms.models import Form
from leadloop.webforms.selectors import (
    campaigns_for_forms,
    manageable_forms,
    may_manage_forms,
    recent_submissions,
    stats,
    with_counts,
)
from leadloop.webforms.services import create_form, delete_form, update_form


def _manager(request: HttpRequest) -> User:
    user = current_user(request)
    if not may_manage_forms(user):
        raise PermissionDenied
    return user


def _form(user: User, form_id: int) -> Form:
    return get_object_or_404(manageable_forms(user), pk=form_id)


@require_GET
@page
def form_list(request: HttpRequest) -> HttpResponse:
    user = _manager(request)
    rows = [
        (form, stats(form)) for form in with_counts(manageable_forms(user)).order_by("name", "pk")
    ]
    return render(request, "webforms/list.html", {"rows": rows})


@require_http_methods(["GET", "POST"])
@page
def form_new(request: HttpRequest) -> HttpResponse:
    user = _manager(request)
    campaigns = campaigns_for_forms(user)
    status = 200
    if request.method == "POST":
        editor = FormEditor(request.POST, campaigns=campaigns)
        if editor.is_valid():
            try:
                form = create_form(actor=user, now=timezone.now(), **editor.service_values())
            except ValidationError as exc:
                editor.add_service_errors(exc.message_dict)
            except NotPermitted:
                raise PermissionDenied from None
            else:
                messages.success(request, f"Form '{form.name}' created; embed it from here.")
                return HttpResponseRedirect(reverse("webforms:detail", args=[form.pk]))
        status = 422
    else:
        editor = FormEditor(campaigns=campaigns)
    context = {"editor": editor, "title": "New web form", "action": reverse("webforms:new")}
    return render(request, "webforms/edit.html", context, status=status)


@require_http_methods(["GET", "POST"])
@page
def form_edit(request: HttpRequest, form_id: int) -> HttpResponse:
    user = _manager(request)
    form = _form(user, form_id)
    campaigns = campaigns_for_forms(user)
    status = 200
    if request.method == "POST":
        editor = FormEditor(request.POST, campaigns=campaigns)
        if editor.is_valid():
            try:
                update_form(form=form, actor=user, now=timezone.now(), **editor.service_values())
            except ValidationError as exc:
                editor.add_service_errors(exc.message_dict)
            except NotPermitted:
                raise PermissionDenied from None
            else:
                messages.success(request, f"Form '{form.name}' saved.")
                return HttpResponseRedirect(reverse("webforms:detail", args=[form.pk]))
        status = 422
    else:
        editor = FormEditor(initial=FormEditor.initial_for(form), campaigns=campaigns)
    context = {
        "editor": editor,
        "form": form,
        "title": f"Edit {form.name}",
        "action": reverse("webforms:edit", args=[form.pk]),
    }
    return render(request, "webforms/edit.html", context, status=status)


@require_GET
@page
def form_detail(request: HttpRequest, form_id: int) -> HttpResponse:
    user = _manager(request)
    form = _form(user, form_id)
    base = request.build_absolute_uri("/").rstrip("/")
    numbers = stats(form)
    context = {
        "form": form,
        "stats": numbers,
        "spam_rows": [(r.value, r.label, numbers.spam[r.value]) for r in Rejection],
        "snippets": snippets(form, base),
        "submissions": recent_submissions(form, reader=user),
        "page_url": f"{base}/f/{form.key}",
    }
    return render(request, "webforms/detail.html", context)


@require_POST
@page
def form_pause(request: HttpRequest, form_id: int) -> HttpResponse:
    """Pause an active form (its key answers 404), or resume a paused one."""
    user = _manager(request)
    form = _form(user, form_id)
    try:
        update_form(form=form, actor=user, now=timezone.now(), is_active=not form.is_active)
    except NotPermitted:
        raise PermissionDenied from None
    except ValidationError as exc:
        messages.error(request, "; ".join(exc.messages))
    else:
        state = "resumed" if form.is_active else "paused"
        messages.success(request, f"Form '{form.name}' {state}.")
    return HttpResponseRedirect(reverse("webforms:detail", args=[form.pk]))


@require_POST
@page
def form_delete(request: HttpRequest, form_id: int) -> HttpResponse:
    user = _manager(request)
    form = _form(user, form_id)
    name = form.name
    try:
        delete_form(form=form, actor=user)
    except NotPermitted:
        raise PermissionDenied from None
    messages.success(request, f"Form '{name}' deleted; its submissions stay on their leads.")
    return HttpResponseRedirect(reverse("webforms:list"))
