"""The web app's pages. Names are what templates and LOGIN_URL refer to."""

from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.urls import URLPattern, path

from leadloop.web import exports, handed_off, lead_actions, lead_page, queue, views

app_name = "web"
urlpatterns: list[URLPattern] = [
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    # Django's LogoutView answers POST only: a link or an <img> cannot log anyone out.
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("", views.home, name="home"),
    path("queue/", queue.queue, name="queue"),
    path("queue/next", queue.next_lead, name="queue_next"),
    path("queue/reassign", queue.reassign, name="queue_reassign"),
    path("handed-off/", handed_off.handed_off, name="handed_off"),
    path("leads/", views.lead_list, name="lead_list"),
    path("leads/export", exports.lead_export, name="lead_export"),
    path("leads/<int:lead_id>/", lead_page.lead_detail, name="lead_detail"),
    path(
        "leads/<int:lead_id>/transition", lead_actions.lead_transition_view, name="lead_transition"
    ),
    path("leads/<int:lead_id>/activities", lead_actions.lead_activity_view, name="lead_activity"),
    path(
        "leads/<int:lead_id>/activities/undo",
        lead_actions.lead_activity_undo_view,
        name="lead_activity_undo",
    ),
    path(
        "leads/<int:lead_id>/qualification",
        lead_actions.lead_qualification_view,
        name="lead_qualification",
    ),
    path("leads/<int:lead_id>/edit", lead_actions.lead_edit_view, name="lead_edit"),
    path("leads/<int:lead_id>/claim", lead_actions.lead_claim_view, name="lead_claim"),
    path("leads/<int:lead_id>/release", lead_actions.lead_release_view, name="lead_release"),
    path(
        "leads/<int:lead_id>/handoff-preview",
        lead_actions.lead_handoff_preview,
        name="lead_handoff_preview",
    ),
]
