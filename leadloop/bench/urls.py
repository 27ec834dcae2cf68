"""The project's URLs plus the baseline endpoints, for the bench's server only."""

from __future__ import annotations

from django.urls import path

from config.urls import urlpatterns as project_urlpatterns
from leadloop.bench import baseline

urlpatterns = [
    path("bench/bare", baseline.bare, name="bench-bare"),
    path("bench/insert", baseline.bare_insert, name="bench-insert"),
    path("bench/intake", baseline.raw_intake, name="bench-intake"),
    path("bench/list", baseline.bare_list, name="bench-list"),
    *project_urlpatterns,
]
