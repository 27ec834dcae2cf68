"""Report pages under /reports/; the review pack's routes come before the report names."""

from __future__ import annotations

from django.urls import URLPattern, path

from leadloop.reports import views

app_name = "reports"
urlpatterns: list[URLPattern] = [
    path("", views.index, name="index"),
    path("review/", views.review_page, name="review"),
    path("review.pdf", views.review_pdf, name="review_pdf"),
    path("<slug:name>/", views.report_page, name="report"),
    path("<slug:name>.csv", views.report_csv, name="csv"),
]
