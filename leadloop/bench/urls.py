"""The project's URLs plus the bare baseline endpoint, for the bench's server only."""

from __future__ import annotations

from django.urls import path

from config.urls import urlpatterns as project_urlpatterns
from leadloop.bench.baseline import bare

urlpatterns = [path("bench/bare", bare, name="bench-bare"), *project_urlpatterns]
