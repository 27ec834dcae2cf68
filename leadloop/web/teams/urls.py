"""Team settings pages."""

from __future__ import annotations

from django.urls import URLPattern, path

from leadloop.web.teams import views

app_name = "accounts"
urlpatterns: list[URLPattern] = [
    path("teams/", views.team_list, name="team_list"),
    path("teams/<int:team_id>/calendar", views.team_calendar_view, name="team_calendar"),
    path(
        "teams/<int:team_id>/handoff-weighting",
        views.team_handoff_weighting,
        name="team_handoff_weighting",
    ),
]
