"""The webhook endpoints' pages (admins only)."""

from __future__ import annotations

from django.urls import URLPattern, path

from leadloop.web.webhooks import views

app_name = "webhooks"
urlpatterns: list[URLPattern] = [
    path("webhooks/", views.endpoint_list, name="list"),
    path("webhooks/<int:endpoint_id>/", views.endpoint_detail, name="detail"),
    path("webhooks/<int:endpoint_id>/test", views.endpoint_test, name="test"),
    path("webhooks/<int:endpoint_id>/rotate", views.endpoint_rotate, name="rotate"),
    path("webhooks/<int:endpoint_id>/delete", views.endpoint_delete, name="delete"),
    path("webhooks/<int:endpoint_id>/resend-failed", views.resend_failed, name="resend_failed"),
    path(
        "webhooks/<int:endpoint_id>/deliveries/<int:delivery_id>/resend",
        views.resend,
        name="resend",
    ),
]
