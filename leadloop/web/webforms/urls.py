"""Web form management pages (managers, marketing, admins)."""

from __future__ import annotations

from django.urls import URLPattern, path

from leadloop.web.webforms import views

app_name = "webforms"
urlpatterns: list[URLPattern] = [
    path("forms/", views.form_list, name="list"),
    path("forms/new", views.form_new, name="new"),
    path("forms/<int:form_id>/", views.form_detail, name="detail"),
    path("forms/<int:form_id>/edit", views.form_edit, name="edit"),
    path("forms/<int:form_id>/pause", views.form_pause, name="pause"),
    path("forms/<int:form_id>/delete", views.form_delete, name="delete"),
]
