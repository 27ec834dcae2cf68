"""The scoring page's URLs."""

from __future__ import annotations

from django.urls import URLPattern, path

from leadloop.web import scoring

app_name = "scoring"
urlpatterns: list[URLPattern] = [
    path("scoring/", scoring.scoring_page, name="page"),
    path("scoring/tune", scoring.scoring_tune, name="tune"),
    path("scoring/tunings/<int:run_id>/progress", scoring.scoring_progress, name="progress"),
    path("scoring/models/<int:model_id>/apply", scoring.scoring_apply, name="apply"),
]
