"""The inbox, the header badge and "My settings"."""

from __future__ import annotations

from django.urls import URLPattern, path

from leadloop.web.notifications import views

app_name = "notifications"
urlpatterns: list[URLPattern] = [
    path("notifications/", views.inbox, name="inbox"),
    path("notifications/count", views.unread_badge, name="count"),
    path("notifications/read-all", views.mark_all_read_view, name="mark_all_read"),
    path("notifications/<int:notification_id>/read", views.mark_read_view, name="mark_read"),
    path("me/", views.me, name="me"),
]
