"""The import wizard's pages."""

from __future__ import annotations

from django.urls import URLPattern, path

from leadloop.web.imports import views

app_name = "imports"
urlpatterns: list[URLPattern] = [
    path("imports/", views.import_list, name="list"),
    path("imports/new", views.import_new, name="new"),
    path("imports/<int:import_id>/", views.import_detail, name="detail"),
    path("imports/<int:import_id>/mapping", views.import_mapping, name="mapping"),
    path("imports/<int:import_id>/progress", views.import_progress, name="progress"),
    path("imports/<int:import_id>/resume", views.import_resume, name="resume"),
    path("imports/<int:import_id>/errors.csv", views.import_errors, name="errors"),
]
